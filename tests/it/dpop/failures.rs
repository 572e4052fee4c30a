//! What fails, with its exit code, nothing on stdout and a message that says why: a
//! `dpop_key_file` that cannot be the profile's DPoP key (exit 78, before anything is sent), and
//! a server that keeps asking for a nonce (exit 3, after the one retry RFC 9449 §8 allows).

use super::{Issuer, Proof, dpop_profile, fetch, genpkey, nonce_demand, openssl, write_file};
use crate::support::common::{Env, fails, fails_in_one_line};
use crate::support::server::Reply;

/// `fetch` with `dpop_key_file = KEY` (and `extra`) fails with exit 78 naming the key file, and
/// sends nothing.
fn refused_key_file(env: &Env, key: &std::path::Path, extra: &str, words: &[&str]) -> String {
    let issuer = Issuer::start(vec![]);
    dpop_profile(
        env,
        &issuer,
        &format!("dpop_key_file = \"{}\"\n{extra}", key.display()),
    );
    let shown = format!("dpop_key_file `{}`", key.display());
    let stderr = fails_in_one_line(fetch(env, &["--no-cache"]).assert(), 78, &shown);
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in {stderr}");
    }
    assert_eq!(issuer.requests().len(), 0, "nothing sent");
    stderr
}

#[test]
fn a_missing_dpop_key_file_is_exit_78() {
    let env = Env::new();
    let missing = env.home.path().join("no-such-key.pem");
    refused_key_file(&env, &missing, "", &["does not exist"]);
}

/// SECURITY 39: a private key others can read is refused, as ssh refuses one.
#[test]
fn a_group_readable_dpop_key_file_is_exit_78() {
    let env = Env::new();
    let key = genpkey(&env, "p256.pem", "EC", &["ec_paramgen_curve:P-256"]);
    for mode in [0o640, 0o604] {
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
        refused_key_file(&env, &key, "", &["readable by you alone"]);
    }
}

/// Files that are not a private key DPoP proofs can be signed with: a certificate, a public key,
/// a symmetric JWK (RFC 9449 §4.2: asymmetric only), an RSA key for ES256.
#[test]
fn a_dpop_key_file_of_the_wrong_kind_is_exit_78() {
    let env = Env::new();
    let dir = env.home.path();
    genpkey(&env, "p256.pem", "EC", &["ec_paramgen_curve:P-256"]);
    openssl(
        dir,
        &[
            "req", "-x509", "-new", "-key", "p256.pem", "-subj", "/CN=dpop", "-days", "1", "-out",
            "cert.pem",
        ],
    );
    let cert_text = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    let cert = write_file(&env, "cert.pem", &cert_text, 0o600);
    refused_key_file(&env, &cert, "", &[]);

    openssl(
        dir,
        &["pkey", "-in", "p256.pem", "-pubout", "-out", "public.pem"],
    );
    let public_text = std::fs::read_to_string(dir.join("public.pem")).unwrap();
    let public = write_file(&env, "public.pem", &public_text, 0o600);
    refused_key_file(&env, &public, "", &[]);

    let oct = write_file(
        &env,
        "oct.jwk.json",
        r#"{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA","alg":"HS256"}"#,
        0o600,
    );
    refused_key_file(&env, &oct, "", &[]);

    let rsa = genpkey(&env, "rsa.pem", "RSA", &["rsa_keygen_bits:2048"]);
    refused_key_file(&env, &rsa, "dpop_alg = \"ES256\"\n", &["ES256"]);
}

/// RFC 9449 §8 allows one retry with the server's nonce: asked again, oauthctl stops, exit 3,
/// after exactly two requests, and says what it tried. Whether the second demand gives a new
/// nonce or the one just sent.
#[test]
fn a_nonce_demanded_again_after_the_retry_is_exit_3() {
    for second in ["n-2", "n-1"] {
        let issuer = Issuer::start(vec![
            nonce_demand(Some("n-1")),
            nonce_demand(Some(second)),
            nonce_demand(Some("n-3")),
        ]);
        let env = Env::new();
        dpop_profile(&env, &issuer, "retries = 2\nretry_max_secs = 0\n");
        let stderr = fails_in_one_line(fetch(&env, &["--no-cache"]).assert(), 3, "use_dpop_nonce");
        assert!(stderr.contains("retried"), "{second}: {stderr}");
        let requests = issuer.requests();
        assert_eq!(requests.len(), 2, "{second}: exactly one retry");
        Proof::of_token_request(&requests[0], &issuer.token_url(), None);
        Proof::of_token_request(&requests[1], &issuer.token_url(), Some("n-1"));
    }
}

/// A demand for a nonce that gives none cannot be answered: exit 3, no retry.
#[test]
fn a_nonce_demand_without_a_dpop_nonce_header_is_exit_3_without_a_retry() {
    let issuer = Issuer::start(vec![nonce_demand(None), nonce_demand(Some("late"))]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "retries = 2\nretry_max_secs = 0\n");
    fails(
        fetch(&env, &["--no-cache"]).assert(),
        3,
        "without giving one (no DPoP-Nonce header)",
    );
    assert_eq!(issuer.requests().len(), 1);
}

/// RFC 9449 §8: a 401 with `use_dpop_nonce` at the token endpoint is answered like the 400.
#[test]
fn a_401_nonce_demand_is_retried_once_too() {
    let demand =
        Reply::json(401, r#"{"error":"use_dpop_nonce"}"#).with_header("DPoP-Nonce", "n-401");
    let issuer = Issuer::start(vec![demand]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    fetch(&env, &["--no-cache"]).assert().success();
    let requests = issuer.requests();
    assert_eq!(requests.len(), 2);
    Proof::of_token_request(&requests[1], &issuer.token_url(), Some("n-401"));
}

/// A server that echoes the proof in its refusal (RFC 9449 §4.3 `invalid_dpop_proof`) has it
/// scrubbed from the message and from the `-v` trace of the answer, which shows the body whole,
/// as every secret of the request is (SECURITY 38).
#[test]
fn a_refusal_that_echoes_the_proof_does_not_show_it() {
    let server = crate::support::server::StubServer::start(|request| {
        let proof = request.header("dpop").unwrap_or_default();
        let body = serde_json::json!({
            "error": "invalid_dpop_proof",
            "error_description": format!("bad proof {proof}"),
        });
        Reply::json(400, &body.to_string())
    });
    let env = Env::new();
    crate::support::app::profile(&env, &server.url("/token"), super::DPOP);
    let stderr = fails(
        fetch(&env, &["--no-cache", "-v"]).assert(),
        3,
        "invalid_dpop_proof",
    );
    assert!(
        stderr.contains("< {\"error\""),
        "the answer in the trace: {stderr}"
    );
    let proof = Proof::of(&server.requests()[0]);
    let parts: Vec<&str> = proof.raw.split('.').collect();
    for part in [proof.raw.as_str(), parts[1], parts[2]] {
        assert!(!stderr.contains(part), "{part} in {stderr}");
    }
    assert_eq!(server.request_count(), 1, "no retry");
}
