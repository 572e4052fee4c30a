//! `inspect --verify` from the command line, with the key sources that need no server: `--key`
//! (PEM, certificate, JWK), `--jwks` as a file and as a loopback URL, `--secret-env` and
//! `--secret-file`; and its failures, each with its exit code and nothing on stdout. Real tokens
//! from a real server are in e2e/verify.rs; the algorithms one by one in
//! src/verify/signature/tests.rs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::support::common::{Env, fails, stderr_of, stdout_of};
use crate::support::server::{Reply, StubServer};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys");
/// tests/fixtures/keys/jwks_and_tokens.py's test-only HMAC secret.
const SECRET: &str = "test-only HMAC secret, 64 bytes long, for oauthctl's unit tests!";

fn fixture_token(alg: &str) -> String {
    let tokens: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{KEYS}/tokens.json")).unwrap())
            .unwrap();
    tokens[alg].as_str().unwrap().to_string()
}

fn verify(env: &Env, args: &[&str], token: &str) -> assert_cmd::assert::Assert {
    env.cmd()
        .args(["inspect"])
        .args(args)
        .arg("-")
        .write_stdin(format!("{token}\n"))
        .assert()
}

#[test]
fn every_local_key_source_verifies() {
    let env = Env::new();
    let secret_file = env.home.path().join("hmac.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let secret_path = secret_file.to_str().unwrap().to_string();
    let pem = |name: &str| format!("{KEYS}/{name}");
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "RS256",
            vec!["--key".into(), pem("rsa-2048.pub.pem")],
            "RS256",
        ),
        (
            "PS384",
            vec!["--key".into(), pem("rsa-2048.crt.pem")],
            "PS384",
        ),
        (
            "ES256",
            vec!["--jwks".into(), pem("jwks.json")],
            "key es256-1 (ES256)",
        ),
        (
            "EdDSA",
            vec!["--key".into(), pem("ed25519.pub.pem")],
            "EdDSA",
        ),
        (
            "HS512",
            vec!["--secret-file".into(), secret_path.clone()],
            "HS512",
        ),
        (
            "HS256",
            vec!["--secret-env".into(), "HMAC_KEY".into()],
            "HS256",
        ),
    ];
    for (alg, args, shown) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let assert = env
            .cmd()
            .arg("inspect")
            .args(&args)
            .arg("-")
            .env("HMAC_KEY", SECRET)
            .write_stdin(fixture_token(alg))
            .assert()
            .success();
        let out = stdout_of(&assert);
        assert!(out.contains("Signature  verified with"), "{alg}: {out}");
        assert!(out.contains(shown), "{alg}: {out}");
        assert!(!out.contains(SECRET) && !stderr_of(&assert).contains(SECRET));
    }
}

#[test]
fn a_jwks_url_is_fetched_and_a_bad_one_is_an_unreachable_error() {
    let jwks = std::fs::read_to_string(format!("{KEYS}/jwks.json")).unwrap();
    let server = StubServer::start(move |r| match r.path.as_str() {
        "/jwks" => Reply::json(200, &jwks),
        "/html" => Reply::new(200, "text/html", "<html>login</html>"),
        _ => Reply::json(404, r#"{"error":"not_found"}"#),
    });
    let env = Env::new();
    verify(
        &env,
        &["--jwks", &server.url("/jwks")],
        &fixture_token("RS256"),
    )
    .success();
    let requests = server.requests();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].header("accept"), Some("application/json"));
    for (path, why) in [("/missing", "answered HTTP 404"), ("/html", "not usable")] {
        fails(
            verify(
                &env,
                &["--jwks", &server.url(path)],
                &fixture_token("RS256"),
            ),
            4,
            why,
        );
    }
    // http to anything but loopback is refused before connecting, as everywhere.
    fails(
        verify(
            &env,
            &["--jwks", "http://keys.example/jwks"],
            &fixture_token("RS256"),
        ),
        78,
        "plain http",
    );
}

#[test]
fn failures_say_why_exit_5_and_print_nothing_on_stdout() {
    let env = Env::new();
    let rsa = format!("{KEYS}/rsa-2048.pub.pem");
    // The right key for another algorithm, a wrong key of the right kind, a tampered token.
    fails(
        verify(&env, &["--key", &rsa], &fixture_token("ES256")),
        5,
        "alg ES256 is not one this key allows",
    );
    fails(
        verify(
            &env,
            &["--key", &format!("{KEYS}/rsa-3072.pub.pem")],
            &fixture_token("RS256"),
        ),
        5,
        "signature does not match",
    );
    let token = fixture_token("RS256");
    let mut segments: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&segments[1]).unwrap()).unwrap();
    claims["sub"] = "mallory".into();
    segments[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    fails(
        verify(&env, &["--key", &rsa], &segments.join(".")),
        5,
        "NOT verified",
    );
    // A secret too short for HMAC (RFC 7518 §3.2).
    let assert = env
        .cmd()
        .args(["inspect", "--secret-env", "SHORT", "-"])
        .env("SHORT", "tiny")
        .write_stdin(fixture_token("HS256"))
        .assert();
    let stderr = fails(assert, 78, "--secret-env");
    assert!(!stderr.contains("tiny"), "{stderr}");
    // -o json: the error object carries the verdict and the checks.
    let assert = env
        .cmd()
        .args([
            "-o",
            "json",
            "inspect",
            "--key",
            &rsa,
            "--iss",
            "https://idp",
            "-",
        ])
        .write_stdin(fixture_token("RS256"))
        .assert()
        .failure()
        .code(5)
        .stdout("");
    let error: Value = serde_json::from_str(&stderr_of(&assert)).unwrap();
    assert_eq!(error["error"]["signature_verified"], true);
    let iss = error["error"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "iss")
        .unwrap()
        .clone();
    assert_eq!(iss["ok"], false, "{error}");
}

#[test]
fn key_sources_that_cannot_be_used_are_configuration_errors() {
    let env = Env::new();
    let token = fixture_token("RS256");
    fails(
        verify(&env, &["--key", "/nonexistent/key.pem"], &token),
        78,
        "cannot read --key file `/nonexistent/key.pem`",
    );
    fails(
        verify(&env, &["--secret-env", "UNSET_VAR"], &token),
        78,
        "env var UNSET_VAR is not set",
    );
    fails(
        verify(
            &env,
            &["--key", &format!("{KEYS}/rsa-2048.key.pem")],
            &token,
        ),
        78,
        "--key",
    );
    // No key source and no profile to take one from.
    fails(
        verify(&env, &["--verify"], &token),
        2,
        "--verify needs keys",
    );
    // One key source at a time.
    env.cmd()
        .args(["inspect", "--key", "a.pem", "--jwks", "b.json", "-"])
        .assert()
        .failure()
        .code(2);
}

/// A token signed here with HS256 under `SECRET`, with these header fields beside `alg` and `typ`.
fn hs256(extra_header: Value, claims: Value) -> String {
    let mut header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    header
        .as_object_mut()
        .unwrap()
        .extend(extra_header.as_object().unwrap().clone());
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let mac = URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, input.as_bytes()));
    format!("{input}.{mac}")
}

/// RFC 8725 §3.10: a key URL in the token is the attacker's choice. With `jku` pointing at a live
/// server that would answer, the token is verified with the secret the user named, the server is
/// never asked, and the output says the header was not followed.
#[test]
fn a_jku_header_is_never_followed() {
    let jwks = std::fs::read_to_string(format!("{KEYS}/jwks.json")).unwrap();
    let server = StubServer::start(move |_| Reply::json(200, &jwks));
    let env = Env::new();
    let now = crate::support::common::now();
    let token = hs256(
        serde_json::json!({"jku": server.url("/jwks.json")}),
        serde_json::json!({"sub": "alice", "iat": now, "exp": now + 600}),
    );
    let assert = env
        .cmd()
        .args(["inspect", "--secret-env", "HMAC_KEY", "-"])
        .env("HMAC_KEY", SECRET)
        .write_stdin(format!("{token}\n"))
        .assert()
        .success();
    let out = stdout_of(&assert);
    assert!(out.contains("Signature  verified with"), "{out}");
    assert!(
        out.contains("the token's jku header named keys elsewhere; never followed"),
        "{out}"
    );
    assert_eq!(server.request_count(), 0, "the jku URL was fetched");
}

/// The expected `aud` defaults to the profile's `audience` (the profile has no `resource`): a
/// token for another audience fails the check, one for the profile's passes.
#[test]
fn the_expected_audience_defaults_to_the_profiles_audience() {
    let env = Env::new();
    env.write_config(
        "[profiles.api]\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\naudience = \"https://api.example\"\n",
    );
    let now = crate::support::common::now();
    let for_audience = |aud: &str| {
        hs256(
            serde_json::json!({}),
            serde_json::json!({"sub": "alice", "aud": aud, "iat": now, "exp": now + 600}),
        )
    };
    let run = |token: &str| {
        env.cmd()
            .args(["-p", "api", "inspect", "--secret-env", "HMAC_KEY", "-"])
            .env("HMAC_KEY", SECRET)
            .write_stdin(format!("{token}\n"))
            .assert()
    };
    let stderr = fails(
        run(&for_audience("https://other.example")),
        5,
        "aud: `https://other.example` does not include the expected `https://api.example`",
    );
    assert!(stderr.contains("the signature is good"), "{stderr}");
    let assert = run(&for_audience("https://api.example")).success();
    let out = stdout_of(&assert);
    assert!(out.contains("Signature  verified with"), "{out}");
    assert!(out.contains("includes `https://api.example`"), "{out}");
}

#[test]
fn claim_expectations_are_never_silently_dropped() {
    let env = Env::new();
    env.write_config(
        "[profiles.api]\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\n",
    );
    let token = fixture_token("RS256");
    // --aud, --iss and --leeway ask for verification: with no keys to be had, that is an error,
    // not an unverified view that exits 0.
    for flag in [["--aud", "x"], ["--iss", "x"], ["--leeway", "5"]] {
        fails(verify(&env, &flag, &token), 2, "--verify needs keys");
    }
    // A profile named with -p (here mistyped) must exist: its iss and aud are expected.
    let assert = env
        .cmd()
        .args(["-p", "apii", "inspect", "--secret-env", "HMAC_KEY", "-"])
        .env("HMAC_KEY", SECRET)
        .write_stdin(fixture_token("HS256"))
        .assert();
    fails(assert, 78, "profile `apii`");
}
