//! `dpop_key_file`: keys made by openssl, in each form oauthctl reads (PKCS#8, SEC1, PKCS#1, a
//! private JWK), sign the proofs with the algorithm their kind implies, and a proof carries
//! exactly that key's public part as openssl reads it. A configured key is never copied into the
//! cache, and a token is served from the cache only to the key it is bound to.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{
    Issuer, Proof, cache_entry, dpop_files, dpop_profile, fetch, genpkey, hex_block, openssl,
    public_jwk_by_openssl, write_file,
};
use crate::support::common::{Env, stderr_of, stdout_of};

/// The members of `jwk` that make the public key (RFC 7638 §3.2).
fn public_members(jwk: &serde_json::Map<String, Value>) -> Value {
    let names: &[&str] = match jwk["kty"].as_str().unwrap() {
        "EC" => &["kty", "crv", "x", "y"],
        "OKP" => &["kty", "crv", "x"],
        _ => &["kty", "n", "e"],
    };
    let members = names.iter().map(|n| (n.to_string(), jwk[*n].clone()));
    Value::Object(members.collect())
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `fetch --no-cache` with `dpop_key_file = KEY` (and `extra`): the one proof it sent.
fn proof_with_key_file(env: &Env, issuer: &Issuer, key: &Path, extra: &str) -> Proof {
    let before = issuer.requests().len();
    dpop_profile(
        env,
        issuer,
        &format!("dpop_key_file = \"{}\"\n{extra}", path(key)),
    );
    let assert = fetch(env, &["--no-cache"]).assert();
    let output = assert.get_output();
    assert!(
        output.status.success(),
        "{}: {}",
        key.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stderr_of(&assert), "");
    let requests = issuer.requests();
    assert_eq!(requests.len(), before + 1);
    Proof::of_token_request(&requests[before], &issuer.token_url(), None)
}

#[test]
fn openssl_keys_sign_the_proofs_with_the_alg_their_kind_implies() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    let dir = env.home.path();
    let p256 = genpkey(&env, "p256.pem", "EC", &["ec_paramgen_curve:P-256"]);
    openssl(dir, &["ec", "-in", "p256.pem", "-out", "p256.sec1.pem"]);
    let p384 = genpkey(&env, "p384.pem", "EC", &["ec_paramgen_curve:P-384"]);
    let ed25519 = genpkey(&env, "ed25519.pem", "ED25519", &[]);
    let rsa = genpkey(&env, "rsa.pem", "RSA", &["rsa_keygen_bits:2048"]);
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "rsa.pem",
            "-traditional",
            "-out",
            "rsa.pkcs1.pem",
        ],
    );
    let private = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        write_file(&env, name, &text, 0o600)
    };
    let p256_sec1 = private("p256.sec1.pem");
    let rsa_pkcs1 = private("rsa.pkcs1.pem");
    assert!(
        std::fs::read_to_string(&p256_sec1)
            .unwrap()
            .starts_with("-----BEGIN EC PRIVATE KEY-----")
    );
    assert!(
        std::fs::read_to_string(&rsa_pkcs1)
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );

    // (key file, dpop_alg, the proof's alg)
    let cases = [
        (&p256, None, "ES256"),
        (&p256_sec1, None, "ES256"),
        (&p384, None, "ES384"),
        (&ed25519, None, "EdDSA"),
        (&rsa, None, "RS256"),
        (&rsa_pkcs1, None, "RS256"),
        (&rsa, Some("PS256"), "PS256"),
    ];
    for (key, dpop_alg, alg) in cases {
        let extra = dpop_alg.map_or(String::new(), |a| format!("dpop_alg = \"{a}\"\n"));
        let proof = proof_with_key_file(&env, &issuer, key, &extra);
        assert_eq!(proof.alg(), alg, "{}", key.display());
        assert_eq!(
            public_members(proof.jwk()),
            public_jwk_by_openssl(&env, key),
            "{}: the proof's jwk is the file's key",
            key.display()
        );
    }
    // A configured key is used where it is: none is made or copied into the cache.
    assert_eq!(
        dpop_files(&env, ".key.pem"),
        Vec::<std::path::PathBuf>::new()
    );
}

/// RFC 7517: a private JWK (an EC P-256 key made by openssl, written out as a JWK here), named
/// by `OAUTHCTL_DPOP_KEY_FILE` as well as by the profile.
#[test]
fn a_private_jwk_works_as_dpop_key_file_from_the_profile_and_the_env_var() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    let pem = genpkey(&env, "p256.pem", "EC", &["ec_paramgen_curve:P-256"]);
    let public = public_jwk_by_openssl(&env, &pem);
    let text = openssl(
        env.home.path(),
        &["pkey", "-in", "p256.pem", "-text", "-noout"],
    );
    let mut d = hex_block(&text, "priv:");
    // RFC 7518 §6.2.2.1: `d` is as long as the curve's order, leading zeros included.
    while d.len() < 32 {
        d.insert(0, 0);
    }
    let mut jwk = public.clone();
    jwk["d"] = URL_SAFE_NO_PAD.encode(&d).into();
    let jwk_file = write_file(&env, "p256.jwk.json", &jwk.to_string(), 0o600);

    let proof = proof_with_key_file(&env, &issuer, &jwk_file, "");
    assert_eq!(proof.alg(), "ES256");
    assert_eq!(public_members(proof.jwk()), public);

    dpop_profile(&env, &issuer, "");
    fetch(&env, &["--no-cache"])
        .env("OAUTHCTL_DPOP_KEY_FILE", &jwk_file)
        .assert()
        .success();
    let proof = Proof::of(&issuer.requests().pop().unwrap());
    assert_eq!(public_members(proof.jwk()), public);
    assert_eq!(dpop_files(&env, ".key.pem").len(), 0);
}

/// A token bound to one configured key is not served for another: the profile pointed at a new
/// key file gets a new token, bound to that key.
#[test]
fn a_token_bound_to_another_key_file_is_a_cache_miss() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    let one = genpkey(&env, "one.pem", "EC", &["ec_paramgen_curve:P-256"]);
    let two = genpkey(&env, "two.pem", "ED25519", &[]);
    let run = |key: &Path| {
        dpop_profile(
            &env,
            &issuer,
            &format!("dpop_key_file = \"{}\"\n", path(key)),
        );
        stdout_of(&fetch(&env, &[]).assert().success())
    };
    let first = run(&one);
    assert_eq!(run(&one), first, "a hit");
    let second = run(&two);
    assert_ne!(second, first, "a miss");
    assert_eq!(issuer.requests().len(), 2);
    let proof = Proof::of(&issuer.requests()[1]);
    assert_eq!(proof.alg(), "EdDSA");
    assert_eq!(cache_entry(&env)["dpop_jkt"], json!(proof.jkt()));
}

/// SECURITY 45 and DESIGN §12: the key oauthctl made for a profile is removed with its tokens,
/// by `cache clear` and by `revoke` (whatever the server answers to the revocation).
#[test]
fn the_generated_key_is_removed_with_its_tokens() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    let revocation = issuer.server.url("/revoke");
    dpop_profile(
        &env,
        &issuer,
        &format!("revocation_url = \"{revocation}\"\n"),
    );
    for forget in [&["cache", "clear"][..], &["revoke", "-p", "app"]] {
        fetch(&env, &[]).assert().success();
        assert_eq!(dpop_files(&env, ".key.pem").len(), 1);
        let mut cmd = env.cmd();
        cmd.args(forget).env("APP_SECRET", "x");
        cmd.assert().success();
        assert_eq!(
            crate::support::common::cache_files(&env).len(),
            0,
            "{forget:?}"
        );
        assert_eq!(
            dpop_files(&env, ".key.pem"),
            Vec::<std::path::PathBuf>::new(),
            "{forget:?} left the DPoP key"
        );
    }
}
