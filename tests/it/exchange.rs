//! `oauthctl exchange-code` (RFC 6749 §4.1.3, PKCE RFC 7636): what is sent, how it fails, and the
//! one line of printable ASCII it takes as the code.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::common::{Env, fails, form, stderr_of, stdout_of};
use crate::support::server::{Recorded, Reply, StubServer};

// ---------------------------------------------------------------- exchange-code

fn exchange_server() -> StubServer {
    StubServer::start(|req: &Recorded| {
        if req.form_value("code").as_deref() != Some("the-code") {
            return Reply::json(
                400,
                r#"{"error":"invalid_grant","error_description":"code already used"}"#,
            );
        }
        Reply::json(
            200,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":60,"refresh_token":"rt","id_token":"it"}"#,
        )
    })
}

#[test]
fn exchange_code_sends_code_redirect_uri_and_verifier() {
    let server = exchange_server();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\nredirect_uri = \"https://app.example/cb\"\n",
        server.url("/token")
    ));
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let assert = env
        .cmd()
        .args(["-p", "web", "-o", "json", "exchange-code", "the-code"])
        .env("WEB_SECRET", "ws")
        .env("OAUTHCTL_CODE_VERIFIER", verifier)
        .assert()
        .success();
    let v: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(
        (v["refresh_token"].as_str(), v["id_token"].as_str()),
        (Some("rt"), Some("it"))
    );
    let req = &server.requests()[0];
    assert_eq!(
        req.form(),
        form(&[
            ("grant_type", "authorization_code"),
            ("code", "the-code"),
            ("redirect_uri", "https://app.example/cb"),
            ("code_verifier", verifier),
        ])
    );
    assert_eq!(
        req.basic_credentials().unwrap(),
        ("web".to_string(), "ws".to_string())
    );

    // -v shows the verifier's S256 challenge (RFC 7636 App. B vector), never the verifier or code.
    let assert = env
        .cmd()
        .args(["-v", "-p", "web", "exchange-code", "the-code"])
        .env("WEB_SECRET", "ws")
        .env("OAUTHCTL_CODE_VERIFIER", verifier)
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("S256 code_challenge is E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(verifier) && !stderr.contains("the-code"),
        "{stderr}"
    );
    assert!(
        stderr.contains("code=***") && stderr.contains("code_verifier=***"),
        "{stderr}"
    );

    // The code from stdin, --redirect-uri overriding the profile, a public client.
    env.cmd()
        .args([
            "-p",
            "web",
            "exchange-code",
            "-",
            "--redirect-uri",
            "http://127.0.0.1:8400/cb",
            "--auth-method",
            "none",
        ])
        .write_stdin("the-code\n")
        .assert()
        .success()
        .stdout("at\n");
    let req = server.requests().pop().unwrap();
    assert_eq!(
        req.form(),
        form(&[
            ("grant_type", "authorization_code"),
            ("code", "the-code"),
            ("redirect_uri", "http://127.0.0.1:8400/cb"),
            ("client_id", "web"),
        ])
    );
    assert_eq!(req.header_count("authorization"), 0);
}

#[test]
fn exchange_code_errors() {
    let server = exchange_server();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"w\"\nauth_method = \"none\"\n",
        server.url("/t")
    ));
    fails(
        env.cmd()
            .args(["-p", "web", "exchange-code", "used-code"])
            .assert(),
        3,
        "invalid_grant: code already used",
    );
    assert_eq!(
        server.request_count(),
        1,
        "a code exchange is never retried"
    );
    env.cmd()
        .args([
            "-p",
            "web",
            "exchange-code",
            "c",
            "--code-verifier",
            "too-short",
        ])
        .assert()
        .failure()
        .code(2);
    fails(
        env.cmd()
            .args(["-p", "web", "exchange-code"])
            .write_stdin("\n")
            .assert(),
        2,
        "the authorization code is empty",
    );
    fails(
        env.cmd()
            .args([
                "-p",
                "web",
                "exchange-code",
                "--client-secret-stdin",
                "--auth-method",
                "basic",
            ])
            .write_stdin("x")
            .assert(),
        2,
        "cannot both come from stdin",
    );
    assert_eq!(server.request_count(), 1);
}

/// A code from stdin or an argument is one line of RFC 6749 App. A.11 characters, checked before
/// any request; the error says what is wrong and where, never the code.
#[test]
fn exchange_code_takes_exactly_one_line_of_printable_ascii() {
    let server = exchange_server();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"w\"\nauth_method = \"none\"\n",
        server.url("/t")
    ));
    // /dev/zero: a NUL at once, not 64 KiB of them sent as `code=%00…`.
    let started = Instant::now();
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let assert = env
        .hermetic(assert_cmd::Command::new("sh"))
        .args(["-c", "exec \"$BIN\" -p web exchange-code - < /dev/zero"])
        .env("BIN", bin)
        .assert();
    fails(
        assert,
        2,
        "oauthctl: error: the authorization code has a NUL character at position 1; it must be one line of printable ASCII (RFC 6749 App. A.11)",
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let stdin_cases: [(&str, &str); 6] = [
        ("SECRET\0code\n", "has a NUL character at position 7"),
        (
            "SECRET-code\nsecond\n",
            "has a second line (a line break at position 12)",
        ),
        (
            "SECRET-code\n\n",
            "has a second line (a line break at position 12)",
        ),
        (
            "SECRET\rcode",
            "has a control character (U+000D) at position 7",
        ),
        (
            "SECRET\u{1b}[2J",
            "has a control character (U+001B) at position 7",
        ),
        (
            "SECRET-cödé",
            "has a character outside printable ASCII at position 9",
        ),
    ];
    for (stdin, message) in stdin_cases {
        let stderr = fails(
            env.cmd()
                .args(["-p", "web", "exchange-code", "-"])
                .write_stdin(stdin)
                .assert(),
            2,
            &format!("the authorization code {message}"),
        );
        assert!(!stderr.contains("SECRET"), "{stderr}");
    }
    let long = "a".repeat(64 * 1024 + 1);
    fails(
        env.cmd()
            .args(["-p", "web", "exchange-code", "-"])
            .write_stdin(format!("{long}\n"))
            .assert(),
        2,
        "the authorization code is longer than 65536 bytes",
    );
    // The same check for a code given as an argument.
    fails(
        env.cmd()
            .args(["-p", "web", "exchange-code", "SECRET\u{1b}[2J"])
            .assert(),
        2,
        "the authorization code has a control character (U+001B) at position 7",
    );
    for empty in ["", "\n", "  \r\n"] {
        fails(
            env.cmd()
                .args(["-p", "web", "exchange-code", "-"])
                .write_stdin(empty)
                .assert(),
            2,
            "the authorization code is empty",
        );
    }
    assert_eq!(server.request_count(), 0, "no code went out");
    // A final LF or CRLF ends the line; nothing else is taken away.
    for line in ["the-code", "the-code\n", "the-code\r\n"] {
        env.cmd()
            .args(["-p", "web", "exchange-code", "--no-cache", "-"])
            .write_stdin(line)
            .assert()
            .success()
            .stdout("at\n");
        let sent = server.requests().pop().unwrap();
        assert_eq!(
            sent.form_value("code").as_deref(),
            Some("the-code"),
            "{line:?}"
        );
    }
    env.cmd()
        .args(["-p", "web", "exchange-code", "--no-cache", "-"])
        .write_stdin(" the-code \n")
        .assert()
        .failure()
        .code(3);
    let sent = server.requests().pop().unwrap();
    assert_eq!(sent.form_value("code").as_deref(), Some(" the-code "));
}

#[test]
fn an_invalid_verifier_is_a_usage_error_that_does_not_echo_it() {
    let env = Env::new();
    let stderr = fails(
        env.cmd()
            .args([
                "exchange-code",
                "--token-url",
                "https://idp.example/t",
                "--client-id",
                "c",
                "code",
            ])
            .env("OAUTHCTL_CODE_VERIFIER", "CANARY+short")
            .assert(),
        2,
        "code_verifier (12 characters) is not 43 to 128 characters",
    );
    assert!(!stderr.contains("CANARY"), "{stderr}");
}
