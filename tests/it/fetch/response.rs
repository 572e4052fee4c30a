//! The tolerated forms of a token response (RFC 6749 §5.1): `token_type` in any case and the types
//! never printed as Bearer (SECURITY 25), `expires_in` sane or not and a JWT's `exp` (SECURITY 26),
//! numbers no float can hold, members twice, and a missing access token.

use serde_json::{Value, json};

use crate::support::app::{SECRET, SECRET_ENV, fetch, profile};
use crate::support::common::{Env, fails_in_one_line, json_of, jwt, now, stderr_of, stdout_of};
use crate::support::server::{Reply, StubServer};

// ================================================================ SECURITY 25: token_type

fn answering(body: Value) -> StubServer {
    let body = body.to_string();
    StubServer::start(move |_| Reply::json(200, &body))
}

#[test]
fn any_case_of_bearer_makes_a_bearer_header() {
    let env = Env::new();
    for token_type in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let server = answering(json!({"access_token": "tok", "token_type": token_type}));
        profile(&env, &server.url("/token"), "");
        fetch(env.cmd(), &["--no-cache", "-o", "header"])
            .assert()
            .success()
            .stdout("Authorization: Bearer tok\n");
        let exec = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "exec-credential"])
                .assert()
                .success(),
        );
        assert_eq!(exec["status"]["token"], "tok", "{token_type}");
    }
    // RFC 6749 §5.1 makes token_type required; several providers omit it, and mean Bearer.
    let server = answering(json!({"access_token": "tok"}));
    profile(&env, &server.url("/token"), "");
    fetch(env.cmd(), &["--no-cache", "-o", "header"])
        .assert()
        .success()
        .stdout("Authorization: Bearer tok\n");
}

#[test]
fn an_unknown_token_type_is_never_printed_as_bearer_but_text_and_json_work() {
    // DPoP itself is in output/formats.rs; these are the others a server may send.
    let env = Env::new();
    for token_type in ["MAC", "N_A", "", "Bearer2", " Bearer", "bearer "] {
        let server = answering(json!({"access_token": "tok", "token_type": token_type}));
        profile(&env, &server.url("/token"), "");
        for format in ["header", "exec-credential"] {
            let stderr = fails_in_one_line(
                fetch(env.cmd(), &["--no-cache", "-o", format]).assert(),
                4,
                "not Bearer; refusing to print it",
            );
            assert!(
                stderr.contains(&format!("`{token_type}`")),
                "{token_type:?}: {stderr}"
            );
        }
        fetch(env.cmd(), &["--no-cache"])
            .assert()
            .success()
            .stdout("tok\n");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        assert_eq!(v["token_type"], token_type);
        // -o env prints a type name (RFC 6749 App. A.13) as it is, and refuses anything else.
        let named = !token_type.is_empty() && !token_type.contains(' ');
        if named {
            let env_lines = stdout_of(
                &fetch(env.cmd(), &["--no-cache", "-o", "env"])
                    .assert()
                    .success(),
            );
            assert!(
                env_lines.contains(&format!("export OAUTHCTL_TOKEN_TYPE='{token_type}'\n")),
                "{env_lines}"
            );
        } else {
            let stderr = fails_in_one_line(
                fetch(env.cmd(), &["--no-cache", "-o", "env"]).assert(),
                4,
                "which is not an RFC 6749 token type",
            );
            assert!(
                stderr.contains(&format!("the token_type is `{token_type}`")),
                "{token_type:?}: {stderr}"
            );
        }
    }
}

// ================================================================ SECURITY 26: expires_in

#[test]
fn sane_expires_in_values_set_expires_at() {
    let env = Env::new();
    for (expires_in, secs) in [
        (json!(3600), 3600),
        (json!("3599"), 3599),
        (json!(0), 0),
        (json!(1), 1),
        (json!(315_360_000), 315_360_000), // ten years, the most taken at face value
    ] {
        let server = answering(
            json!({"access_token": "opaque", "token_type": "Bearer", "expires_in": expires_in}),
        );
        profile(&env, &server.url("/token"), "");
        let before = now();
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        let expires_at = v["expires_at"].as_i64().unwrap_or_else(|| panic!("{v}"));
        assert!(
            (before + secs..=now() + secs).contains(&expires_at),
            "{expires_in}: {expires_at}"
        );
        // The provider's own field is kept as it was sent.
        assert_eq!(v["expires_in"], expires_in);
    }
}

#[test]
fn absent_or_insane_expires_in_is_treated_as_absent() {
    let env = Env::new();
    let exp = now() + 1234;
    let jwt_token = jwt(json!({"sub": "s", "exp": exp}));
    let insane: Vec<Value> = vec![
        json!(-1),
        json!(-3600),
        json!(3600.5),
        json!(0.5),
        json!(1e30),
        serde_json::from_str("18446744073709551616").unwrap(),
        json!(315_360_001),
        json!("abc"),
        json!(""),
        json!("-5"),
        json!("3599.0"),
        json!(" 3599"),
        json!("1e3"),
        json!(true),
        json!(null),
        json!([3600]),
        json!({"secs": 3600}),
    ];
    let cases = insane.into_iter().map(Some).chain([None]);
    for expires_in in cases {
        let mut body = json!({"access_token": "opaque", "token_type": "Bearer"});
        if let Some(value) = &expires_in {
            body["expires_in"] = value.clone();
        }
        let server = answering(body.clone());
        profile(&env, &server.url("/token"), "");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        assert_eq!(v["expires_at"], Value::Null, "{expires_in:?}");
        assert_eq!(v["access_token"], "opaque");
        fetch(env.cmd(), &["--no-cache"])
            .assert()
            .success()
            .stdout("opaque\n");
        let env_lines = stdout_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "env"])
                .assert()
                .success(),
        );
        assert!(!env_lines.contains("OAUTHCTL_EXPIRES_AT"), "{env_lines}");

        // Absent, so a JWT's own exp is used instead.
        body["access_token"] = json!(jwt_token);
        let server = answering(body);
        profile(&env, &server.url("/token"), "");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        assert_eq!(v["expires_at"], exp, "{expires_in:?}");
    }
}

#[test]
fn a_number_no_float_can_hold_is_an_absent_member_not_a_broken_answer() {
    // `1e400` is valid JSON (RFC 8259 §6 sets no range) but overflows a 64-bit float: the member
    // holding it is treated as absent (SECURITY 26 for expires_in), and the rest is read.
    let env = Env::new();
    let exp = now() + 1234;
    for (access_token, expires_at) in [
        ("opaque".to_string(), Value::Null),
        (jwt(json!({"exp": exp})), json!(exp)),
    ] {
        let body = format!(
            r#"{{"access_token":"{access_token}","token_type":"Bearer","expires_in":1e400,"vendor":{{"n":[-1E+999]}},"kept":1e300}}"#
        );
        let reply = Reply::json(200, &body);
        let server = StubServer::start(move |_| reply.clone());
        profile(&env, &server.url("/token"), "");
        let assert = fetch(env.cmd(), &["--no-cache", "-v", "-o", "json"])
            .assert()
            .success();
        let v = json_of(&assert);
        assert_eq!(v["access_token"], access_token.as_str());
        assert_eq!(v["expires_at"], expires_at);
        // -o json leaves out what it cannot write as the number sent, and -v says so.
        assert!(
            v.get("expires_in").is_none() && v.get("vendor").is_none(),
            "{v}"
        );
        assert_eq!(v["kept"], 1e300);
        let stderr = stderr_of(&assert);
        assert!(
            stderr.contains("note: the response's `expires_in` holds a number beyond a 64-bit float; it is treated as absent")
                && stderr.contains("`vendor`"),
            "{stderr}"
        );
        fetch(env.cmd(), &["--no-cache"])
            .assert()
            .success()
            .stdout(format!("{access_token}\n"));
    }
}

#[test]
fn a_jwt_exp_is_held_to_the_bounds_of_expires_in() {
    // Without expires_in, the JWT's exp stands in for it, and is taken only where an expires_in
    // would be: from now to ten years ahead. Otherwise the expiry is unknown, and the token is
    // not cached (SECURITY 14, 26).
    let env = Env::new();
    let ten_years = 315_360_000;
    for (offset, taken) in [
        (3600, true),
        (ten_years - 60, true),
        (100 * ten_years, false),
        (ten_years + 3600, false),
        (-3600, false),
    ] {
        let exp = now() + offset;
        let body = json!({"access_token": jwt(json!({"exp": exp})), "token_type": "Bearer"});
        let server = answering(body);
        profile(&env, &server.url("/token"), "");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        let expected = if taken { json!(exp) } else { Value::Null };
        assert_eq!(v["expires_at"], expected, "exp = now + {offset}");
        let env_lines = stdout_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "env"])
                .assert()
                .success(),
        );
        assert_eq!(
            env_lines.contains("OAUTHCTL_EXPIRES_AT"),
            taken,
            "{env_lines}"
        );
    }
    // A century ahead is not cached as good for a century: the next fetch asks again.
    let body = json!({"access_token": jwt(json!({"exp": now() + 100 * ten_years}))});
    let server = answering(body);
    profile(&env, &server.url("/token"), "");
    for _ in 0..2 {
        env.cmd()
            .arg("fetch")
            .env(SECRET_ENV, SECRET)
            .assert()
            .success();
    }
    assert_eq!(server.request_count(), 2);
}

// ================================================================ not a token

#[test]
fn an_answer_with_a_member_twice_is_not_read() {
    // Two parsers that keep a different one of the two would disagree on what the token is, as on
    // a JWT's claims (SECURITY 33); a token answer is refused as inspect refuses such a claim.
    let env = Env::new();
    for (body, member) in [
        (
            r#"{"access_token":"first","token_type":"Bearer","access_token":"second"}"#,
            "access_token",
        ),
        (
            r#"{"access_token":"tok","expires_in":60,"expires_in":"31536000"}"#,
            "expires_in",
        ),
        (
            "{\"access_token\":\"tok\",\"token_type\":\"DPoP\",\"token_type\":\"Bearer\",}",
            "token_type",
        ),
    ] {
        let reply = Reply::json(200, body);
        let server = StubServer::start(move |_| reply.clone());
        profile(&env, &server.url("/token"), "");
        let stderr = fails_in_one_line(
            fetch(env.cmd(), &["--no-cache"]).assert(),
            4,
            &format!("answered HTTP 200 but its body has the member `{member}` twice"),
        );
        assert!(
            !stderr.contains("first") && !stderr.contains("second"),
            "{stderr}"
        );
    }
    // An error answer with two `error` codes is summarised, not read as either.
    let server = StubServer::start(|_| {
        Reply::json(400, r#"{"error":"invalid_scope","error":"invalid_client"}"#)
    });
    profile(&env, &server.url("/token"), "");
    let stderr = fails_in_one_line(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        3,
        "refused the request (HTTP 400): its body has the member `error` twice",
    );
    assert!(!stderr.contains("invalid_"), "{stderr}");
}

#[test]
fn a_missing_empty_or_non_string_access_token_is_exit_4() {
    let env = Env::new();
    for (body, message) in [
        (json!({"token_type": "Bearer"}), "has no access_token"),
        (
            json!({"access_token": "", "token_type": "Bearer"}),
            "access_token is empty",
        ),
        (
            json!({"access_token": null}),
            "access_token is not a string",
        ),
        (json!({"access_token": 42}), "access_token is not a string"),
        (
            json!({"access_token": ["t"]}),
            "access_token is not a string",
        ),
    ] {
        let server = answering(body.clone());
        profile(&env, &server.url("/token"), "");
        let stderr = fails_in_one_line(fetch(env.cmd(), &["--no-cache"]).assert(), 4, message);
        assert!(stderr.contains("HTTP 200"), "{body}: {stderr}");
        assert!(stderr.contains(&server.addr().to_string()), "{stderr}");
        // Not a transient failure: asked once.
        assert_eq!(server.request_count(), 1, "{body}");
    }
}
