//! `inspect --verify` against real tokens from the e2e authorization server
//! (oidc-provider, see support/idp.rs): RS256 and ES256 JWT access tokens verified with the keys
//! its metadata points to, and every way a token must fail — a tampered payload, a wrong key, an
//! unknown kid, the HS256-with-the-public-key confusion, `alg: none`, expiry and the wrong audience.
//!
//! Run only these: `cargo test --test it e2e::verify`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::common::{Env, stderr_of, stdout_of};
use crate::support::idp::{Idp, idp};

/// A client_credentials client of the server (tests/e2e/idp/server.mjs).
const CLIENT: (&str, &str) = ("cc-basic", "cc-basic secret+/=&%:x");

/// A profile that gets resource-bound JWT access tokens from the e2e server, found by discovery.
fn api_profile(env: &Env, idp: &Idp, resource: &str) {
    env.write_config(&format!(
        "default_profile = \"api\"\n\n[profiles.api]\nissuer = \"{}\"\nclient_id = \"{}\"\n\
         client_secret_env = \"CC_SECRET\"\nscope = \"api:read\"\nresource = \"{resource}\"\n",
        idp.issuer, CLIENT.0
    ));
}

fn cmd(env: &Env) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CC_SECRET", CLIENT.1);
    cmd
}

fn fetch_token(env: &Env) -> String {
    stdout_of(&cmd(env).args(["fetch", "--no-cache"]).assert().success())
        .trim()
        .to_string()
}

fn parts(token: &str) -> (Value, Value, String) {
    let mut it = token.split('.');
    let mut json = || -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap()
    };
    let (header, claims) = (json(), json());
    (header, claims, it.next().unwrap().to_string())
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `inspect --verify` failing: exit 5, nothing on stdout, `why` on stderr.
fn refused(env: &Env, args: &[&str], token: &str, why: &str) -> String {
    let assert = cmd(env)
        .args(["inspect", "--verify"])
        .args(args)
        .arg("-")
        .write_stdin(format!("{token}\n"))
        .assert()
        .failure()
        .code(5)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(stderr.contains(why), "expected {why:?} in {stderr}");
    stderr
}

#[test]
fn e2e_verify_rs256_and_es256_tokens_with_the_issuers_keys() {
    let idp = idp();
    for (resource, alg, kid) in [
        ("urn:api:rs256", "RS256", "rs256-1"),
        ("urn:api:es256", "ES256", "es256-1"),
    ] {
        let env = Env::new();
        api_profile(&env, idp, resource);
        let token = fetch_token(&env);
        // Text: the key and algorithm that verified, from the issuer's jwks_uri; iss and aud
        // checked against the profile's issuer and resource.
        let text = stdout_of(
            &cmd(&env)
                .args(["inspect", "--verify", &token])
                .assert()
                .success(),
        );
        assert!(
            text.contains(&format!(
                "verified with key {kid} ({alg}) from {}/jwks",
                idp.issuer
            )),
            "{text}"
        );
        assert!(text.contains("iss  "), "{text}");
        assert!(!text.contains("UNVERIFIED"), "{text}");
        // JSON: signature_verified and the checks list.
        let doc: Value = serde_json::from_str(&stdout_of(
            &cmd(&env)
                .args(["-o", "json", "inspect", "--verify", &token])
                .assert()
                .success(),
        ))
        .unwrap();
        assert_eq!(doc["signature_verified"], true);
        assert_eq!(doc["verification"]["kid"], kid);
        assert_eq!(doc["verification"]["alg"], alg);
        let checks = doc["checks"].as_array().unwrap();
        let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["exp", "nbf", "iat", "iss", "aud"]);
        assert!(checks.iter().all(|c| c["ok"] == true), "{doc}");
        assert!(
            checks[3]["detail"].as_str().unwrap().contains(&idp.issuer),
            "iss was checked against the issuer: {doc}"
        );
        assert!(
            checks[4]["detail"].as_str().unwrap().contains(resource),
            "aud was checked against the resource: {doc}"
        );
        // `inspect -p --verify`: the profile's own token, fetched, then verified.
        cmd(&env)
            .args(["inspect", "-p", "api", "--verify"])
            .assert()
            .success();
    }
}

#[test]
fn e2e_verify_refuses_tampered_unknown_and_confused_tokens() {
    let idp = idp();
    let env = Env::new();
    api_profile(&env, idp, "urn:api:rs256");
    let token = fetch_token(&env);
    let (header, mut claims, signature) = parts(&token);

    // A payload changed after signing.
    claims["scope"] = json!("api:read api:write api:admin");
    let tampered = format!("{}.{}.{signature}", b64(&header), b64(&claims));
    refused(&env, &[], &tampered, "signature does not match");

    // A kid the issuer's key set does not have.
    let mut unknown = header.clone();
    unknown["kid"] = json!("no-such-key");
    let (_, claims, _) = parts(&token);
    let unknown_kid = format!("{}.{}.{signature}", b64(&unknown), b64(&claims));
    let stderr = refused(&env, &[], &unknown_kid, "no key with kid no-such-key");
    assert!(
        stderr.contains("rs256-1"),
        "lists the kids it has: {stderr}"
    );

    // Algorithm confusion: HS256 with the issuer's published RSA key as the HMAC secret.
    let (_, jwks) = idp.get("/jwks", &[]);
    let rsa_key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == "rs256-1")
        .unwrap()
        .to_string();
    let mut hs = header.clone();
    hs["alg"] = json!("HS256");
    let input = format!("{}.{}", b64(&hs), b64(&claims));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, rsa_key.as_bytes());
    let mac = URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, input.as_bytes()));
    refused(
        &env,
        &[],
        &format!("{input}.{mac}"),
        "alg HS256 is not one this key allows",
    );

    // alg: none, signed or not.
    let mut none = header.clone();
    none["alg"] = json!("none");
    // src/verify/signature.rs, `Refused::AlgNone`.
    const ALG_NONE: &str =
        "alg: none is never accepted (an unsecured JWT has no signature to verify)";
    let unsigned = format!("{}.{}.", b64(&none), b64(&claims));
    refused(&env, &[], &unsigned, ALG_NONE);
    refused(
        &env,
        &[],
        &format!("{}.{}.{signature}", b64(&none), b64(&claims)),
        ALG_NONE,
    );
}

#[test]
fn e2e_verify_refuses_the_wrong_key() {
    let idp = idp();
    let env = Env::new();
    api_profile(&env, idp, "urn:api:es256");
    let token = fetch_token(&env);
    // The issuer's keys, but the ES256 one swapped for another P-256 key with the same kid: the
    // right shape, the wrong key.
    let (_, mut jwks) = idp.get("/jwks", &[]);
    let other: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/keys/jwks.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut p256 = other["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["crv"] == "P-256")
        .unwrap()
        .clone();
    p256["kid"] = json!("es256-1");
    for key in jwks["keys"].as_array_mut().unwrap() {
        if key["kid"] == "es256-1" {
            *key = p256.clone();
        }
    }
    let file = env.home.path().join("wrong-jwks.json");
    std::fs::write(&file, jwks.to_string()).unwrap();
    refused(
        &env,
        &["--jwks", file.to_str().unwrap()],
        &token,
        "signature does not match",
    );
    // The issuer's own set, given as a URL, does verify it.
    cmd(&env)
        .args(["inspect", "--jwks", &format!("{}/jwks", idp.issuer), &token])
        .assert()
        .success();
}

#[test]
fn e2e_verify_refuses_an_expired_token_and_the_wrong_audience() {
    let idp = idp();
    let env = Env::new();
    api_profile(&env, idp, "urn:api:rs256-short");
    let token = fetch_token(&env);
    // Valid now (the leeway aside)…
    cmd(&env)
        .args(["inspect", "--verify", "--leeway", "0", &token])
        .assert()
        .success();
    // …and expired six seconds later (it lives five), with no leeway; still fine within a minute's.
    std::thread::sleep(std::time::Duration::from_secs(6));
    let stderr = refused(
        &env,
        &["--leeway", "0"],
        &token,
        "the signature is good (key rs256-1 (RS256)), but the claims are not: exp",
    );
    assert!(stderr.contains("expired"), "{stderr}");
    cmd(&env)
        .args(["inspect", "--verify", &token])
        .assert()
        .success();

    // The wrong audience, and in JSON the failed check named.
    let env = Env::new();
    api_profile(&env, idp, "urn:api:rs256");
    let token = fetch_token(&env);
    refused(&env, &["--aud", "urn:api:other"], &token, "aud");
    let assert = cmd(&env)
        .args([
            "-o",
            "json",
            "inspect",
            "--verify",
            "--aud",
            "urn:api:other",
            &token,
        ])
        .assert()
        .failure()
        .code(5)
        .stdout("");
    let error: Value = serde_json::from_str(&stderr_of(&assert)).unwrap();
    assert_eq!(error["error"]["kind"], "unverified");
    assert_eq!(error["error"]["signature_verified"], true);
    let failed: Vec<&str> = error["error"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["aud"]);
}
