//! `oauthctl inspect` without `--verify`: the header, the claims and human times of a JWT, said to be
//! unverified; `--require-valid`; malformed input; a token piped in from `fetch`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use predicates::prelude::*;
use serde_json::{Value, json};

use crate::support::app::profile;
use crate::support::common::{Env, fails, jwt, now, stderr_of, stdout_of, token_server};

// ---------------------------------------------------------------- inspect

#[test]
fn inspect_shows_header_claims_and_human_times_and_says_unverified() {
    let t = now();
    let token = jwt(
        json!({"iss": "https://idp.example", "sub": "ci", "iat": t - 10, "nbf": t - 10, "exp": t + 299}),
    );
    let env = Env::new();
    let assert = env.cmd().args(["inspect", &token]).assert().success();
    let out = stdout_of(&assert);
    for expected in [
        "Header",
        "alg  RS256",
        "Claims",
        "iss  https://idp.example",
        "valid for 4m 5",
        "UNVERIFIED",
        "10s ago",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from\n{out}");
    }
    assert_eq!(stderr_of(&assert), "");

    let assert = env
        .cmd()
        .args(["inspect", "-o", "json", "-"])
        .write_stdin(format!("{token}\n"))
        .assert()
        .success();
    let v: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(v["header"]["kid"], "k1");
    assert_eq!(v["claims"]["sub"], "ci");
    assert_eq!(v["times"]["exp"]["unix"], t + 299);
    assert!(v["times"]["exp"]["utc"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["validity"]["state"], "valid");
    assert_eq!(v["signature_verified"], false);
}

#[test]
fn inspect_require_valid() {
    let t = now();
    let env = Env::new();
    let expired = jwt(json!({"exp": t - 3 * 3600}));
    env.cmd()
        .args(["inspect", &expired])
        .assert()
        .success()
        .stdout(predicate::str::contains("EXPIRED 3h ago"));
    fails(
        env.cmd()
            .args(["inspect", "--require-valid", &expired])
            .assert(),
        5,
        "the token expired at",
    );
    let future = jwt(json!({"nbf": t + 3600, "exp": t + 7200}));
    fails(
        env.cmd()
            .args(["inspect", "--require-valid", &future])
            .assert(),
        5,
        "not valid before",
    );
    let string_exp = jwt(json!({"exp": (t + 60).to_string()}));
    fails(
        env.cmd()
            .args(["inspect", "--require-valid", &string_exp])
            .assert(),
        5,
        "`exp` is a string",
    );
    env.cmd()
        .args(["inspect", &string_exp])
        .assert()
        .success()
        .stdout(predicate::str::contains("INVALID"));
    env.cmd()
        .args(["inspect", "--require-valid", &jwt(json!({"exp": t + 60}))])
        .assert()
        .success();
}

#[test]
fn inspect_malformed_input_exits_5_saying_what_is_wrong() {
    let env = Env::new();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
    let cases = [
        ("a.b".to_string(), "found 2"),
        ("a.b.c.d".to_string(), "found 4"),
        (format!("{header}=.e30.x"), "header segment has `=` padding"),
        (
            format!("{header}.e3+0.x"),
            "claims segment is not base64url: invalid character `+`",
        ),
        (
            format!("{header}.{}.x", URL_SAFE_NO_PAD.encode("nope")),
            "claims segment is not a JSON object",
        ),
        (
            format!("{header}.{}.x", URL_SAFE_NO_PAD.encode(r#"{"a":1,"a":2}"#)),
            "duplicate member `a`",
        ),
        ("opaque".to_string(), "opaque tokens cannot be decoded"),
    ];
    for (input, message) in cases {
        fails(env.cmd().args(["inspect", &input]).assert(), 5, message);
    }
    fails(env.cmd().arg("inspect").assert(), 5, "the input is empty");
}

#[test]
fn fetch_pipes_into_inspect_and_inspect_p_fetches_the_profiles_token() {
    let token = jwt(json!({"sub": "svc", "exp": now() + 600}));
    let server = token_server(&token);
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    let fetched = stdout_of(
        &env.cmd()
            .arg("fetch")
            .env("APP_SECRET", "x")
            .assert()
            .success(),
    );
    env.cmd()
        .arg("inspect")
        .write_stdin(fetched)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("sub        svc").or(predicate::str::contains("sub  svc")),
        );
    let header = stdout_of(
        &env.cmd()
            .args(["fetch", "-o", "header"])
            .env("APP_SECRET", "x")
            .assert()
            .success(),
    );
    env.cmd()
        .arg("inspect")
        .write_stdin(header)
        .assert()
        .success();
    env.cmd()
        .args(["inspect", "-p", "app", "-o", "json"])
        .env("APP_SECRET", "x")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"sub\": \"svc\""));
    // One request: the later runs are served by the token cache.
    assert_eq!(server.request_count(), 1);
}
