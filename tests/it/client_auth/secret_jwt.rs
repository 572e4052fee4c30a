//! `auth_method = "client_secret_jwt"`: an HMAC-signed client assertion instead of the secret
//! (OpenID Connect Core §9), a new one for every request.

use crate::support::common::{Env, fails_in_one_line, stderr_of, stdout_of, token_reply};
use crate::support::server::{Reply, StubServer};

use super::{assert_claims, assertion_of};

const SECRET: &str = "a client secret of thirty-two bytes or more";

fn config(token_url: &str, extra: &str) -> String {
    format!(
        "[profiles.jwt]\ntoken_url = \"{token_url}\"\nclient_id = \"svc\"\n\
         client_secret_env = \"JWT_SECRET\"\nauth_method = \"client_secret_jwt\"\n{extra}"
    )
}

fn hmac_ok(alg: ring::hmac::Algorithm, input: &str, signature: &[u8]) -> bool {
    let key = ring::hmac::Key::new(alg, SECRET.as_bytes());
    ring::hmac::verify(&key, input.as_bytes(), signature).is_ok()
}

#[test]
fn the_secret_signs_an_hs256_assertion_and_never_goes_on_the_wire() {
    let server = StubServer::start(|_| token_reply("tok-jwt"));
    let env = Env::new();
    let token_url = server.url("/token");
    env.write_config(&config(&token_url, ""));
    let assert = env
        .cmd()
        .args(["fetch", "-p", "jwt"])
        .env("JWT_SECRET", SECRET)
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "tok-jwt\n");
    let requests = server.requests();
    let request = &requests[0];
    assert!(!request.body_str().contains("thirty-two"));
    assert_eq!(
        request.form_value("grant_type").as_deref(),
        Some("client_credentials")
    );
    let sent = assertion_of(request, "svc");
    assert_eq!(
        sent.header,
        serde_json::json!({"alg": "HS256", "typ": "JWT"})
    );
    assert_claims(&sent, "svc", &token_url, 60);
    assert!(hmac_ok(
        ring::hmac::HMAC_SHA256,
        &sent.input,
        &sent.signature
    ));
}

#[test]
fn hs512_a_literal_audience_and_a_lifetime_are_taken_from_the_profile() {
    let server = StubServer::start(|_| token_reply("tok"));
    let env = Env::new();
    env.write_config(&config(
        &server.url("/token"),
        "signing_alg = \"HS512\"\nassertion_audience = \"https://tenant.example/\"\nassertion_lifetime_secs = 300\nkey_id = \"k-1\"\n",
    ));
    // HS512 needs 64 bytes (RFC 7518 §3.2).
    let secret = SECRET.repeat(2);
    env.cmd()
        .args(["fetch", "-p", "jwt"])
        .env("JWT_SECRET", &secret)
        .assert()
        .success();
    let sent = assertion_of(&server.requests()[0], "svc");
    assert_eq!(
        sent.header,
        serde_json::json!({"alg": "HS512", "typ": "JWT", "kid": "k-1"})
    );
    assert_claims(&sent, "svc", "https://tenant.example/", 300);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA512, secret.as_bytes());
    ring::hmac::verify(&key, sent.input.as_bytes(), &sent.signature).unwrap();
}

#[test]
fn a_retry_signs_a_new_assertion() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let server = StubServer::start(move |_| {
        // RFC 7523 §3 item 7: a jti is used once; the first attempt fails as a busy server does.
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::json(503, r#"{"error":"temporarily_unavailable"}"#)
                .with_header("retry-after", "0")
        } else {
            token_reply("tok-2")
        }
    });
    let env = Env::new();
    env.write_config(&config(&server.url("/token"), ""));
    env.cmd()
        .args(["fetch", "-p", "jwt"])
        .env("JWT_SECRET", SECRET)
        .assert()
        .success();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = assertion_of(&requests[0], "svc");
    let second = assertion_of(&requests[1], "svc");
    assert_ne!(first.claims["jti"], second.claims["jti"]);
    assert_ne!(first.raw, second.raw);
}

#[test]
fn issuer_audience_is_the_issuer_and_revocation_uses_the_token_endpoint_audience() {
    let server = StubServer::start(|_| token_reply("tok"));
    let env = Env::new();
    let issuer = server.url("/");
    env.write_config(&format!(
        "{}issuer = \"{issuer}\"\nassertion_audience = \"issuer\"\n\n{}revocation_url = \"{}\"\n",
        config(&server.url("/token"), ""),
        config(&server.url("/token"), "").replace("[profiles.jwt]", "[profiles.rev]"),
        server.url("/revoke")
    ));
    env.cmd()
        .args(["fetch", "-p", "jwt", "--no-cache"])
        .env("JWT_SECRET", SECRET)
        .assert()
        .success();
    env.cmd()
        .args(["revoke", "-p", "rev", "-"])
        .write_stdin("tok-to-revoke\n")
        .env("JWT_SECRET", SECRET)
        .assert()
        .success();
    let requests = server.requests();
    assert_claims(&assertion_of(&requests[0], "svc"), "svc", &issuer, 60);
    assert_eq!(requests[1].path, "/revoke");
    // DESIGN §10: token_endpoint means the token endpoint for every request to the server.
    assert_claims(
        &assertion_of(&requests[1], "svc"),
        "svc",
        &server.url("/token"),
        60,
    );
}

#[test]
fn the_assertion_is_masked_in_the_trace_and_absent_from_the_dry_run() {
    let server = StubServer::start(|_| token_reply("tok"));
    let env = Env::new();
    env.write_config(&config(&server.url("/token"), ""));
    let assert = env
        .cmd()
        .args(["fetch", "-p", "jwt", "-v", "--no-cache"])
        .env("JWT_SECRET", SECRET)
        .assert()
        .success();
    let trace = stderr_of(&assert);
    let sent = assertion_of(&server.requests()[0], "svc");
    assert!(trace.contains("client_assertion=***"), "{trace}");
    for part in sent.raw.split('.') {
        assert!(
            !trace.contains(part),
            "a part of the assertion in the trace: {trace}"
        );
    }
    let assert = env
        .cmd()
        .args(["fetch", "-p", "jwt", "--dry-run"])
        .assert()
        .success();
    let plan = stdout_of(&assert);
    assert!(
        plan.contains(r#"'client_assertion='"$OAUTHCTL_CLIENT_ASSERTION""#),
        "{plan}"
    );
    assert!(plan.contains("oauthctl keys assertion -p jwt"), "{plan}");
    assert!(!plan.contains("eyJ"), "{plan}");
    assert_eq!(server.requests().len(), 1, "a dry run sends nothing");
}

#[test]
fn a_secret_shorter_than_the_hash_or_a_key_algorithm_is_refused_before_any_request() {
    let server = StubServer::start(|_| token_reply("tok"));
    let env = Env::new();
    env.write_config(&config(&server.url("/token"), ""));
    let stderr = fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "jwt"])
            .env("JWT_SECRET", "short")
            .assert(),
        78,
        "needs a client secret of at least 32 bytes (RFC 7518 §3.2), and this one has 5",
    );
    assert!(!stderr.contains("short"), "{stderr}");
    fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "jwt", "--signing-alg", "RS256"])
            .env("JWT_SECRET", SECRET)
            .assert(),
        78,
        "signing_alg RS256 does not fit client_secret_jwt",
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn keys_assertion_prints_what_the_dry_run_leaves_to_a_variable() {
    let env = Env::new();
    let token_url = "https://idp.example/oauth/token";
    env.write_config(&config(token_url, ""));
    let assert = env
        .cmd()
        .args(["keys", "assertion", "-p", "jwt"])
        .env("JWT_SECRET", SECRET)
        .assert()
        .success();
    let jwt = stdout_of(&assert);
    let jwt = jwt.trim_end();
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    use base64::Engine;
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    assert!(hmac_ok(ring::hmac::HMAC_SHA256, input, &signature));
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(input.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], token_url);
    assert_eq!(claims["iss"], "svc");
    let json = crate::support::common::json_of(
        &env.cmd()
            .args(["keys", "assertion", "-p", "jwt", "-o", "json"])
            .env("JWT_SECRET", SECRET)
            .assert()
            .success(),
    );
    assert_eq!(
        json["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    // A profile that sends no assertion has none to print.
    env.write_config(&config(token_url, "").replace("client_secret_jwt", "post"));
    fails_in_one_line(
        env.cmd().args(["keys", "assertion", "-p", "jwt"]).assert(),
        78,
        "sends no client assertion",
    );
}
