//! What a failed `fetch` says and its exit code (DESIGN §5): an OAuth error in the server's words,
//! an HTML or 5xx answer, a dead server, a user profile with nothing to refresh.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::app::profile;
use crate::support::common::{Env, fails, stderr_of, token_server};
use crate::support::server::{Reply, StubServer};

// ---------------------------------------------------------------- server errors

#[test]
fn an_oauth_error_is_exit_3_in_the_servers_words() {
    let server = StubServer::start(|_| {
        Reply::json(
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed","error_uri":"https://idp/doc"}"#,
        )
    });
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    let stderr = fails(
        env.cmd().arg("fetch").env("APP_SECRET", "wrong").assert(),
        3,
        "invalid_client: Client authentication failed",
    );
    assert!(
        stderr.starts_with("oauthctl: error: the token endpoint 127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("(HTTP 401)") && stderr.contains("see https://idp/doc"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);

    let assert = env
        .cmd()
        .args(["-o", "json", "fetch"])
        .env("APP_SECRET", "wrong")
        .assert()
        .failure()
        .code(3)
        .stdout("");
    let v: Value = serde_json::from_str(&stderr_of(&assert)).unwrap();
    assert_eq!(
        v["error"],
        json!({"kind": "refused", "code": "invalid_client", "description": "Client authentication failed", "status": 401, "exit_code": 3, "message": v["error"]["message"]})
    );
}

#[test]
fn html_and_5xx_answers_are_summarised_with_exit_4() {
    let server = StubServer::start(|_| {
        Reply::new(
            502,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body>\x1b[2J<h1>nginx</h1></body></html>",
        )
    });
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    let stderr = fails(
        env.cmd().arg("fetch").env("APP_SECRET", "x").assert(),
        4,
        "(HTTP 502): 502 Bad Gateway (text/html)",
    );
    assert!(
        !stderr.contains("<h1>") && !stderr.contains('\x1b'),
        "{stderr}"
    );

    let plain = StubServer::start(|_| Reply::new(404, "text/plain", "no such route\n"));
    fails(
        env.cmd()
            .arg("fetch")
            .env("APP_SECRET", "x")
            .args(["--token-url", &plain.url("/t")])
            .assert(),
        3,
        "(HTTP 404): no such route (text/plain)",
    );
    let not_token = StubServer::start(|_| Reply::json(200, r#"{"token_type":"bearer"}"#));
    fails(
        env.cmd()
            .arg("fetch")
            .env("APP_SECRET", "x")
            .args(["--token-url", &not_token.url("/t")])
            .assert(),
        4,
        "has no access_token",
    );
}

#[test]
fn a_dead_server_is_exit_4() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let env = Env::new();
    fails(
        env.cmd()
            .args([
                "fetch",
                "--token-url",
                &format!("http://127.0.0.1:{port}/t"),
                "--client-id",
                "c",
            ])
            .env("OAUTHCTL_CLIENT_SECRET", "x")
            .assert(),
        4,
        &format!("127.0.0.1:{port}"),
    );
}

#[test]
fn a_user_profile_without_a_refresh_token_needs_login() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.user]\ntoken_url = \"{}\"\nclient_id = \"c\"\ngrant = \"authorization_code\"\n",
        server.url("/t")
    ));
    // A "browser" that leaves a file behind: fetch never signs in on its own, so it never runs.
    let opened = env.home.path().join("browser-was-opened");
    let browser = env.home.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\ntouch '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = fails(
        env.cmd()
            .args(["-p", "user", "fetch"])
            .env("BROWSER", browser.as_os_str())
            .assert(),
        6,
        "login required: profile `user`",
    );
    assert!(stderr.contains("run `oauthctl login -p user`"), "{stderr}");
    assert_eq!(server.request_count(), 0);
    // A browser is started in the background (src/browser.rs), so it could still be starting
    // when fetch has exited: give it a moment before concluding it never ran.
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        assert!(
            !opened.exists(),
            "fetch opened a browser (BROWSER ran); stderr: {stderr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!opened.exists(), "fetch opened a browser (BROWSER ran)");
}
