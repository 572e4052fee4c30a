//! Secrets that a server sends back, and the `-v` trace: neither shows the client secret, the code
//! or the tokens in any encoding (SECURITY 35–37). The sweep over every command is canary.rs.

use serde_json::json;

use crate::support::app::ESCAPED_SECRET;
use crate::support::app::profile;
use crate::support::common::{Env, fails, stderr_of};
use crate::support::server::{Recorded, Reply, StubServer};

#[test]
fn verbose_trace_shows_the_exchange_but_no_secret() {
    let server = StubServer::start(|_| {
        Reply::json(
            200,
            r#"{"access_token":"AT-abcdef","refresh_token":"RT-abcdef","token_type":"bearer"}"#,
        )
    });
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    let assert = env
        .cmd()
        .args(["-v", "fetch", "--auth-method", "post"])
        .env("APP_SECRET", ESCAPED_SECRET)
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("> POST http://127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("client_secret=***"), "{stderr}");
    assert!(stderr.contains("< HTTP 200"), "{stderr}");
    let encoded: String = form_urlencoded_encode(ESCAPED_SECRET);
    for leak in [ESCAPED_SECRET, encoded.as_str(), "AT-abcdef", "RT-abcdef"] {
        assert!(!stderr.contains(leak), "{leak:?} leaked into {stderr}");
    }
    let basic = env
        .cmd()
        .args(["-v", "fetch"])
        .env("APP_SECRET", ESCAPED_SECRET)
        .assert()
        .success();
    let stderr = stderr_of(&basic);
    assert!(stderr.contains("> Authorization: Basic ***"), "{stderr}");
    let header = server
        .requests()
        .last()
        .unwrap()
        .header("authorization")
        .unwrap()
        .to_string();
    assert!(!stderr.contains(&header[6..]));
}

fn form_urlencoded_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------- secrets a server echoes back

const CANARY: &str = "CANARY-s3cr3t+/=";

/// A server that echoes the request back in every way a careless server might.
fn echoing_server() -> StubServer {
    StubServer::start(|req: &Recorded| {
        let echoed = format!(
            "{}?{}",
            req.body_str(),
            req.query.clone().unwrap_or_default()
        );
        match req.path.as_str() {
            "/form-token" => Reply::new(200, "application/x-www-form-urlencoded", &format!("access_token={CANARY}&token_type=bearer")),
            "/echo-error" => Reply::json(400, &json!({"error": "invalid_request", "error_description": format!("bad request: {echoed}")}).to_string()),
            "/echo-no-error" => Reply::json(400, &json!({"request": echoed, "auth": req.header("authorization")}).to_string()),
            "/echo-html" => Reply::new(500, "text/html", &format!("<title>{}</title>", req.header("authorization").unwrap_or_default())),
            "/redirect" => Reply::new(302, "text/plain", "").with_header("Location", &format!("https://elsewhere/t?{echoed}")),
            "/crlf" => Reply::json(200, r#"{"access_token":"abc\r\nX-Evil: 1","token_type":"bearer"}"#),
            _ => Reply::json(404, "{}"),
        }
    })
}

fn assert_no_canary(stderr: &str) {
    let encoded = form_urlencoded_encode(CANARY);
    for leak in [CANARY, encoded.as_str(), "CANARY-s3cr3t"] {
        assert!(!stderr.contains(leak), "{leak:?} leaked into {stderr:?}");
    }
}

#[test]
fn secrets_echoed_by_a_server_never_reach_the_user() {
    let server = echoing_server();
    let env = Env::new();
    let run = |path: &str, extra: &[&str], code: i32, message: &str| {
        let stderr = fails(
            env.cmd()
                .args([
                    "fetch",
                    "--token-url",
                    &server.url(path),
                    "--client-id",
                    "app",
                ])
                .args(extra)
                .env("OAUTHCTL_CLIENT_SECRET", CANARY)
                .assert(),
            code,
            message,
        );
        assert_no_canary(&stderr);
    };
    run("/form-token", &[], 4, "not valid JSON");
    run(
        "/echo-error",
        &["--auth-method", "post"],
        3,
        "invalid_request: bad request: ",
    );
    run(
        "/echo-error",
        &["--auth-method", "post", "--grant-params", "query"],
        3,
        "client_secret=***",
    );
    run(
        "/echo-no-error",
        &[],
        3,
        "no OAuth error in the body (fields: request, auth)",
    );
    run("/echo-html", &[], 4, "(HTTP 500): Basic *** (text/html)");
    run(
        "/redirect",
        &["--auth-method", "post"],
        4,
        "client_secret=***",
    );
    run("/crlf", &[], 4, "outside printable ASCII");

    // The code and verifier of an exchange, echoed in a redirect's Location.
    let verifier = "CANARY-verifier-0123456789-0123456789-0123456789";
    let stderr = fails(
        env.cmd()
            .args([
                "exchange-code",
                "--token-url",
                &server.url("/redirect"),
                "--client-id",
                "app",
                "--auth-method",
                "none",
            ])
            .args(["--grant-params", "query", "-"])
            .env("OAUTHCTL_CODE_VERIFIER", verifier)
            .write_stdin("CANARY-code\n")
            .assert(),
        4,
        "redirecting to",
    );
    assert!(!stderr.contains("CANARY"), "{stderr}");
}
