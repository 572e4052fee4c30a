//! The core command-line contract: fetch, exchange-code, inspect, profiles, errors and exit codes,
//! each asserted on what went over the wire and on what the user sees.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use predicates::prelude::*;
use serde_json::{Value, json};

use crate::support::app::{app_profile, profile};
use crate::support::common::{
    Env, fails, form, jwt, now, stderr_of, stdout_of, token_reply, token_server,
};
use crate::support::server::{Recorded, Reply, StubServer};

const SECRET: &str = "s3cr3t+/=&% :x";

// ---------------------------------------------------------------- fetch

#[test]
fn fetch_sends_an_rfc_6749_client_credentials_request_and_prints_only_the_token() {
    let server = token_server("tok-1");
    let env = Env::new();
    env.write_config(&app_profile(
        "my app",
        &server.url("/oauth/token"),
        "scope = \"read write\"",
    ));
    let assert = env
        .cmd()
        .arg("fetch")
        .env("APP_SECRET", SECRET)
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "tok-1\n");
    assert_eq!(stderr_of(&assert), "");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.target, "/oauth/token");
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.header("accept"), Some("application/json"));
    assert!(req.header("user-agent").unwrap().starts_with("oauthctl/"));
    // RFC 6749 §2.3.1: both halves form-urlencoded before base64.
    let (id, secret) = req.basic_credentials().unwrap();
    assert_eq!(id, "my+app");
    assert_eq!(secret, "s3cr3t%2B%2F%3D%26%25+%3Ax");
    assert_eq!(
        req.form(),
        form(&[
            ("grant_type", "client_credentials"),
            ("scope", "read write")
        ])
    );
    assert!(!req.body_str().contains("s3cr3t"));
}

#[test]
fn fetch_works_from_env_vars_alone_with_no_config_file() {
    let server = token_server("ci-token");
    let env = Env::new();
    let assert = env
        .cmd()
        .arg("fetch")
        .env("OAUTHCTL_TOKEN_URL", server.url("/token"))
        .env("OAUTHCTL_CLIENT_ID", "ci")
        .env("OAUTHCTL_CLIENT_SECRET", SECRET)
        .env("OAUTHCTL_AUTH_METHOD", "post")
        .env("OAUTHCTL_SCOPE", "deploy")
        .env("OAUTHCTL_AUDIENCE", "https://api.example")
        .env("OAUTHCTL_RESOURCE", "https://res.example")
        .env("OAUTHCTL_PARAMS", "tenant=acme&x=a%26b")
        .env("OAUTHCTL_HEADERS", "X-Tenant: acme\nX-Other: 2")
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "ci-token\n");
    assert!(!env.config_path().exists());
    let req = &server.requests()[0];
    assert_eq!(
        req.form(),
        form(&[
            ("grant_type", "client_credentials"),
            ("scope", "deploy"),
            ("audience", "https://api.example"),
            ("resource", "https://res.example"),
            ("tenant", "acme"),
            ("x", "a&b"),
            ("client_id", "ci"),
            ("client_secret", SECRET),
        ])
    );
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.header("x-tenant"), Some("acme"));
    assert_eq!(req.header("x-other"), Some("2"));
}

#[test]
fn flags_beat_env_vars_which_beat_the_profile() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&app_profile(
        "my app",
        &server.url("/oauth/token"),
        "scope = \"read write\"",
    ));
    // These runs are about what is sent, so none may be answered from the cache.
    let scope_sent = |cmd: &mut assert_cmd::Command| {
        cmd.arg("--no-cache")
            .env("APP_SECRET", "x")
            .assert()
            .success();
        server
            .requests()
            .last()
            .unwrap()
            .form_value("scope")
            .unwrap()
    };
    assert_eq!(scope_sent(env.cmd().arg("fetch")), "read write");
    assert_eq!(
        scope_sent(env.cmd().arg("fetch").env("OAUTHCTL_SCOPE", "from-env")),
        "from-env"
    );
    assert_eq!(
        scope_sent(
            env.cmd()
                .args(["fetch", "--scope", "from-flag"])
                .env("OAUTHCTL_SCOPE", "from-env")
        ),
        "from-flag"
    );
    // An override of the secret source: OAUTHCTL_CLIENT_SECRET beats the profile's env var.
    env.cmd()
        .args(["fetch", "--no-cache"])
        .env("APP_SECRET", "from-profile")
        .env("OAUTHCTL_CLIENT_SECRET", "from-override")
        .assert()
        .success();
    let (_, secret) = server
        .requests()
        .last()
        .unwrap()
        .basic_credentials()
        .unwrap();
    assert_eq!(secret, "from-override");
}

#[test]
fn profile_selection_flag_env_and_default() {
    let a = token_server("from-a");
    let b = token_server("from-b");
    let env = Env::new();
    env.write_config(&format!(
        "default_profile = \"a\"\n[profiles.a]\ntoken_url = \"{}\"\nclient_id = \"a\"\nauth_method = \"none\"\n[profiles.b]\ntoken_url = \"{}\"\nclient_id = \"b\"\nauth_method = \"none\"\n",
        a.url("/t"),
        b.url("/t")
    ));
    env.cmd().arg("fetch").assert().success().stdout("from-a\n");
    env.cmd()
        .arg("fetch")
        .env("OAUTHCTL_PROFILE", "b")
        .assert()
        .success()
        .stdout("from-b\n");
    env.cmd()
        .args(["-p", "a", "fetch"])
        .env("OAUTHCTL_PROFILE", "b")
        .assert()
        .success()
        .stdout("from-a\n");
    env.cmd()
        .args(["fetch", "-p", "b"])
        .assert()
        .success()
        .stdout("from-b\n");
    // A public client sends its id in the body and no Authorization header.
    let req = &b.requests()[0];
    assert_eq!(
        req.form(),
        form(&[("grant_type", "client_credentials"), ("client_id", "b")])
    );
    assert_eq!(req.header_count("authorization"), 0);
}

#[test]
fn json_output_keeps_every_provider_field_and_adds_expiry() {
    let server = token_server("tok");
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    let before = now();
    let assert = env
        .cmd()
        .args(["-o", "json", "fetch"])
        .env("APP_SECRET", "x")
        .assert()
        .success();
    let v: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(v["access_token"], "tok");
    assert_eq!(v["vendor_field"], json!({"x": 1}));
    assert_eq!(v["expires_in"], 300);
    assert_eq!(v["cached"], false);
    let expires_at = v["expires_at"].as_i64().unwrap();
    assert!(
        (before + 300..=now() + 300).contains(&expires_at),
        "{expires_at}"
    );
}

#[test]
fn header_env_and_exec_credential_outputs() {
    let server = token_server("tok");
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    let run = |format: &str| {
        let assert = env
            .cmd()
            .args(["fetch", "-o", format])
            .env("APP_SECRET", "x")
            .assert()
            .success();
        stdout_of(&assert)
    };
    assert_eq!(run("header"), "Authorization: Bearer tok\n");
    let lines = run("env");
    assert!(lines.starts_with("export OAUTHCTL_ACCESS_TOKEN='tok'\nexport OAUTHCTL_TOKEN_TYPE='Bearer'\nexport OAUTHCTL_EXPIRES_AT="), "{lines}");
    let exec: Value = serde_json::from_str(&run("exec-credential")).unwrap();
    assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(exec["kind"], "ExecCredential");
    assert_eq!(exec["status"]["token"], "tok");
    let stamp = exec["status"]["expirationTimestamp"].as_str().unwrap();
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{stamp}"
    );
}

#[test]
fn a_non_bearer_token_is_never_printed_as_a_bearer_header() {
    let server =
        StubServer::start(|_| Reply::json(200, r#"{"access_token":"t","token_type":"DPoP"}"#));
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    fails(
        env.cmd()
            .args(["fetch", "-o", "header"])
            .env("APP_SECRET", "x")
            .assert(),
        4,
        "not Bearer",
    );
    env.cmd()
        .arg("fetch")
        .env("APP_SECRET", "x")
        .assert()
        .success()
        .stdout("t\n");
}

// ---------------------------------------------------------------- secrets

#[test]
fn secret_sources_file_command_and_stdin() {
    let server = token_server("t");
    let env = Env::new();
    std::fs::create_dir_all(env.config_path().parent().unwrap()).unwrap();
    std::fs::write(
        env.config_path().parent().unwrap().join("secret.txt"),
        "from-file\n",
    )
    .unwrap();
    env.write_config(&format!(
        "[profiles.file]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_file = \"secret.txt\"\n\
         [profiles.cmd]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"sh\", \"-c\", \"echo from-command\"]\n\
         [profiles.none]\ntoken_url = \"{url}\"\nclient_id = \"c\"\n",
        url = server.url("/t")
    ));
    let secret_sent = |cmd: &mut assert_cmd::Command| {
        cmd.assert().success();
        server
            .requests()
            .last()
            .unwrap()
            .basic_credentials()
            .unwrap()
            .1
    };
    assert_eq!(
        secret_sent(env.cmd().args(["-p", "file", "fetch", "--no-cache"])),
        "from-file"
    );
    assert_eq!(
        secret_sent(env.cmd().args(["-p", "cmd", "fetch", "--no-cache"])),
        "from-command"
    );
    assert_eq!(
        secret_sent(
            env.cmd()
                .args(["-p", "none", "fetch", "--no-cache", "--client-secret-stdin"])
                .write_stdin("from-stdin\n")
        ),
        "from-stdin"
    );
}

#[test]
fn no_secret_and_no_terminal_fails_at_once_without_a_request() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\n",
        server.url("/t")
    ));
    let start = Instant::now();
    fails(
        env.cmd().args(["-p", "p", "fetch"]).assert(),
        78,
        "no terminal to ask on",
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(server.request_count(), 0);
}

#[test]
fn failing_secret_sources_are_config_errors_that_do_not_echo_output() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.cmd]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"sh\", \"-c\", \"echo half-secret; exit 7\"]\n\
         [profiles.env]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_env = \"UNSET_VAR_FOR_TEST\"\n\
         [profiles.file]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_file = \"/nonexistent/secret\"\n",
        url = server.url("/t")
    ));
    let stderr = fails(
        env.cmd().args(["-p", "cmd", "fetch"]).assert(),
        78,
        "client_secret_command `sh` failed",
    );
    assert!(!stderr.contains("half-secret"));
    fails(
        env.cmd().args(["-p", "env", "fetch"]).assert(),
        78,
        "UNSET_VAR_FOR_TEST is not set",
    );
    fails(
        env.cmd().args(["-p", "file", "fetch"]).assert(),
        78,
        "cannot read client_secret_file `/nonexistent/secret`",
    );
    assert_eq!(server.request_count(), 0);
}

#[test]
fn a_secret_command_is_bounded_in_time_and_output() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.slow]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"sleep\", \"20\"]\ntimeout_secs = 1\n\
         [profiles.chatty]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"head\", \"-c\", \"200000\", \"/dev/zero\"]\n\
         [profiles.shell]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"echo\", \"$HOME;\", \"`id`\"]\n",
        url = server.url("/t")
    ));
    let start = Instant::now();
    fails(
        env.cmd().args(["-p", "slow", "fetch"]).assert(),
        78,
        "client_secret_command `sleep` did not finish within 1s",
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    fails(
        env.cmd().args(["-p", "chatty", "fetch"]).assert(),
        78,
        "client_secret_command `head` printed more than 64 KiB",
    );
    assert_eq!(server.request_count(), 0);
    // No shell: the arguments arrive as written.
    env.cmd().args(["-p", "shell", "fetch"]).assert().success();
    assert_eq!(
        server.requests()[0].basic_credentials().unwrap().1,
        "%24HOME%3B+%60id%60",
        "form-encoded per RFC 6749 §2.3.1, from the literal `$HOME; `id``"
    );
}

#[test]
fn a_literal_secret_in_a_readable_config_is_refused() {
    let server = token_server("t");
    let env = Env::new();
    let path = env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\nclient_secret = \"literal\"\n",
        server.url("/t")
    ));
    env.cmd().args(["-p", "p", "fetch"]).assert().success();
    assert_eq!(
        server.requests()[0].basic_credentials().unwrap().1,
        "literal"
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    // (A cached token would be served without reading the secret at all.)
    std::fs::remove_dir_all(env.home.path().join(".cache")).unwrap();
    let stderr = fails(
        env.cmd().args(["-p", "p", "fetch"]).assert(),
        78,
        "refusing the literal client_secret",
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains("literal\""));
    assert_eq!(server.request_count(), 1);
    // An override for this run does not need the file's secret, so it is not refused.
    env.cmd()
        .args(["-p", "p", "fetch"])
        .env("OAUTHCTL_CLIENT_SECRET", "other")
        .assert()
        .success();
}

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
        .env("APP_SECRET", SECRET)
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("> POST http://127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("client_secret=***"), "{stderr}");
    assert!(stderr.contains("< HTTP 200"), "{stderr}");
    let encoded: String = form_urlencoded_encode(SECRET);
    for leak in [SECRET, encoded.as_str(), "AT-abcdef", "RT-abcdef"] {
        assert!(!stderr.contains(leak), "{leak:?} leaked into {stderr}");
    }
    let basic = env
        .cmd()
        .args(["-v", "fetch"])
        .env("APP_SECRET", SECRET)
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

// ---------------------------------------------------------------- server errors and transport

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

// ---------------------------------------------------------------- config errors

#[test]
fn config_errors_name_the_problem_and_exit_78() {
    let env = Env::new();
    fails(
        env.cmd().args(["-p", "nope", "fetch"]).assert(),
        78,
        "profile `nope` not found",
    );
    fails(
        env.cmd().arg("fetch").assert(),
        78,
        "no profile selected and no token URL",
    );
    fails(
        env.cmd()
            .args(["-c", "/nonexistent/oauthctl.toml", "fetch"])
            .assert(),
        78,
        "does not exist",
    );

    env.write_config("[profiles.watson]\ntoken_url = \"https://x/t\"\n");
    fails(
        env.cmd().args(["-p", "watsn", "fetch"]).assert(),
        78,
        "did you mean `watson`?",
    );

    let path =
        env.write_config("[profiles.a]\ntoken_url = \"https://x/t\"\nclient-secret-env = \"X\"\n");
    let stderr = fails(
        env.cmd().args(["-p", "a", "fetch"]).assert(),
        78,
        "line 3: unknown key `client-secret-env`",
    );
    assert!(
        stderr.contains("did you mean `client_secret_env`?")
            && stderr.contains(&path.display().to_string()),
        "{stderr}"
    );

    env.write_config("[profiles.a]\ntoken_url = \"https://x/t\"\ntimeout_secs = \"ten\"\n");
    fails(env.cmd().args(["-p", "a", "fetch"]).assert(), 78, "line 3:");
    env.write_config("[profiles.a\n");
    fails(env.cmd().args(["-p", "a", "fetch"]).assert(), 78, "line 1:");
    std::fs::write(env.config_path(), b"[profiles.a]\ntoken_url = \"\xff\"\n").unwrap();
    fails(
        env.cmd().args(["-p", "a", "fetch"]).assert(),
        78,
        "not valid UTF-8",
    );
    env.write_config(&format!("x = {}{}", "[".repeat(10_000), "]".repeat(10_000)));
    fails(
        env.cmd().args(["-p", "a", "fetch"]).assert(),
        78,
        "config `",
    );
    std::fs::remove_file(env.config_path()).unwrap();
    fails(
        env.cmd()
            .arg("fetch")
            .env("OAUTHCTL_TOKEN_URL", "https://x/t")
            .env("OAUTHCTL_TIMEOUT_SECS", "soon")
            .assert(),
        78,
        "OAUTHCTL_TIMEOUT_SECS",
    );
}

#[test]
fn usage_errors_exit_2_and_help_and_version_exit_0() {
    let env = Env::new();
    env.cmd()
        .arg("--frobnicate")
        .assert()
        .failure()
        .code(2)
        .stdout("");
    env.cmd()
        .args(["fetch", "--param", "novalue"])
        .assert()
        .failure()
        .code(2)
        .stdout("");
    env.cmd()
        .args(["fetch", "--header", "Bad Name: x"])
        .assert()
        .failure()
        .code(2);
    env.cmd()
        .args(["-o", "yaml", "fetch"])
        .assert()
        .failure()
        .code(2);
    env.cmd()
        .args(["--version"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("oauthctl "));
    env.cmd()
        .args(["fetch", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
    fails(
        env.cmd()
            .args(["-o", "header", "inspect", "a.b.c"])
            .assert(),
        2,
        "-o header applies to fetch and exchange-code only",
    );
}

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

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    let token = jwt(json!({"big": "x".repeat(512 * 1024)}));
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let script = format!(
        "{} inspect -o json - < \"$TOKEN_FILE\" | head -c 1 >/dev/null; echo \"status=${{PIPESTATUS[0]}}\"",
        bin.display()
    );
    let token_file = env.home.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    let assert = env
        .hermetic(assert_cmd::Command::new("bash"))
        .args(["-c", &script])
        .env("TOKEN_FILE", &token_file)
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "status=0\n");
    assert_eq!(stderr_of(&assert), "");
}

// ---------------------------------------------------------------- profiles

#[test]
fn profiles_add_creates_a_private_file_and_keeps_others_layout() {
    let env = Env::new();
    let path = env.config_path();
    env.cmd()
        .args([
            "profiles",
            "add",
            "first",
            "--token-url",
            "https://idp.example/token",
            "--client-id",
            "one",
        ])
        .args([
            "--client-secret-env",
            "FIRST_SECRET",
            "--scope",
            "a b",
            "--header",
            "Accept: application/json",
        ])
        .args([
            "--param",
            "tenant=acme",
            "--auth-method",
            "post",
            "--default",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "added profile `first` as the default profile",
        ));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);

    // A hand-written comment survives the next edit.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "# my notes\n{}",
            text.replace("[profiles.first]", "# the first one\n[profiles.first]")
        ),
    )
    .unwrap();
    env.cmd()
        .args([
            "profiles",
            "add",
            "second",
            "--token-url",
            "https://idp.example/t2",
            "--client-id",
            "two",
        ])
        .args(["--client-secret-command", r#"["pass","show","idp"]"#])
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# my notes\n"), "{text}");
    assert!(text.contains("# the first one\n[profiles.first]"), "{text}");
    assert!(
        text.contains("client_secret_command = [\"pass\", \"show\", \"idp\"]"),
        "{text}"
    );
    assert!(text.contains("params = { tenant = \"acme\" }"), "{text}");

    fails(
        env.cmd()
            .args(["profiles", "add", "second", "--token-url", "https://x/t"])
            .assert(),
        78,
        "profile `second` already exists",
    );
    env.cmd()
        .args([
            "profiles",
            "add",
            "second",
            "--token-url",
            "https://x/t",
            "--replace",
        ])
        .assert()
        .success();
    fails(
        env.cmd()
            .args(["profiles", "add", "bad", "--token-url", "http://remote/t"])
            .assert(),
        78,
        "plain http",
    );

    let list = stdout_of(&env.cmd().args(["profiles", "list"]).assert().success());
    assert_eq!(
        list,
        "* first   https://idp.example/token\n  second  https://x/t\n"
    );
    let json: Value = serde_json::from_str(&stdout_of(
        &env.cmd()
            .args(["profiles", "list", "-o", "json"])
            .assert()
            .success(),
    ))
    .unwrap();
    assert_eq!(
        json[0],
        json!({"name": "first", "default": true, "endpoint": "https://idp.example/token"})
    );

    env.cmd()
        .args(["profiles", "remove", "first"])
        .assert()
        .success()
        .stdout(predicate::str::contains("default_profile removed too"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("first")
            && !text.contains("default_profile")
            && text.starts_with("# my notes\n"),
        "{text}"
    );
    fails(
        env.cmd().args(["profiles", "remove", "first"]).assert(),
        78,
        "profile `first` not found",
    );
    env.cmd()
        .args(["profiles", "path"])
        .assert()
        .success()
        .stdout(format!("{}\n", path.display()));
}

#[test]
fn profiles_add_stores_a_literal_secret_from_stdin_only() {
    let env = Env::new();
    env.cmd()
        .args([
            "profiles",
            "add",
            "lit",
            "--token-url",
            "https://x/t",
            "--client-id",
            "c",
            "--client-secret-stdin",
        ])
        .write_stdin("from-stdin\n")
        .assert()
        .success();
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(text.contains("client_secret = \"from-stdin\""), "{text}");
    std::fs::set_permissions(env.config_path(), std::fs::Permissions::from_mode(0o640)).unwrap();
    fails(
        env.cmd()
            .args([
                "profiles",
                "add",
                "lit2",
                "--token-url",
                "https://x/t",
                "--client-secret-stdin",
            ])
            .write_stdin("s\n")
            .assert(),
        78,
        "refusing to store a literal client_secret",
    );
}

#[test]
fn profiles_show_says_where_each_value_and_the_secret_come_from_never_the_secret() {
    let env = Env::new();
    env.write_config(
        "[profiles.p]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\nclient_secret = \"literal-value\"\nscope = \"file\"\n",
    );
    let assert = env
        .cmd()
        .args(["profiles", "show", "p"])
        .env("OAUTHCTL_SCOPE", "env-scope")
        .assert()
        .success();
    let out = stdout_of(&assert);
    assert!(out.contains("scope           env-scope  (env)"), "{out}");
    assert!(
        out.contains("token_url       https://idp.example/t  (profile)"),
        "{out}"
    );
    assert!(out.contains("auth_method     basic  (default)"), "{out}");
    assert!(
        out.contains("client_secret   *** from client_secret in the config file  (profile)"),
        "{out}"
    );
    assert!(!out.contains("literal-value"));

    let assert = env
        .cmd()
        .args(["profiles", "show", "p", "-o", "json"])
        .env("OAUTHCTL_CLIENT_SECRET", "override-value")
        .assert()
        .success();
    let out = stdout_of(&assert);
    assert!(
        !out.contains("override-value") && !out.contains("literal-value"),
        "{out}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["client_secret"]["value"], "***");
    assert_eq!(
        v["client_secret"]["source"],
        "env var OAUTHCTL_CLIENT_SECRET"
    );
    assert_eq!(v["client_secret"]["from"], "env");
    assert_eq!(
        v["client_secret"]["overrides"],
        "client_secret in the config file"
    );
    assert_eq!(v["origins"]["scope"], "profile");
}

// ---------------------------------------------------------------- discovery

/// An issuer at `/tenant` that publishes only RFC 8414 metadata, naming `claimed` as its issuer.
fn discovery_server(claimed: Option<&str>) -> StubServer {
    let claimed = claimed.map(str::to_string);
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let server_base = base.clone();
    let server = StubServer::start(move |req: &Recorded| {
        let base = server_base.get().unwrap();
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/.well-known/oauth-authorization-server/tenant") => {
                let issuer = claimed.clone().unwrap_or_else(|| format!("{base}/tenant"));
                Reply::json(
                    200,
                    &json!({"issuer": issuer, "token_endpoint": format!("{base}/tenant/token")})
                        .to_string(),
                )
            }
            ("POST", "/tenant/token") => token_reply("discovered"),
            _ => Reply::json(404, r#"{"error":"not_found"}"#),
        }
    });
    base.set(server.url("")).unwrap();
    server
}

#[test]
fn issuer_discovery_finds_the_token_endpoint() {
    let server = discovery_server(None);
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.d]\nissuer = \"{}\"\nclient_id = \"c\"\nauth_method = \"none\"\n",
        server.url("/tenant")
    ));
    env.cmd()
        .args(["-p", "d", "fetch"])
        .assert()
        .success()
        .stdout("discovered\n");
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /tenant/.well-known/openid-configuration",
            "GET /.well-known/oauth-authorization-server/tenant",
            "POST /tenant/token"
        ]
    );
}

#[test]
fn discovery_metadata_for_another_issuer_is_refused() {
    let server = discovery_server(Some("https://evil.example"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.d]\nissuer = \"{}\"\nclient_id = \"c\"\nauth_method = \"none\"\n",
        server.url("/tenant")
    ));
    fails(
        env.cmd().args(["-p", "d", "fetch"]).assert(),
        78,
        "names issuer `https://evil.example`",
    );
    assert!(server.requests().iter().all(|r| r.method == "GET"));
}

/// An endpoint the command does not use may be bad in the metadata without stopping it: a fetch
/// needs only the token endpoint.
#[test]
fn a_bad_endpoint_the_command_does_not_need_is_left_unused() {
    let server = StubServer::start(|r: &Recorded| {
        let base = format!("http://{}", r.header("host").unwrap());
        match r.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                200,
                &json!({
                    "issuer": base,
                    "token_endpoint": format!("{base}/token"),
                    "jwks_uri": "http://keys.example/jwks",
                })
                .to_string(),
            ),
            _ => token_reply("t"),
        }
    });
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.d]\nissuer = \"http://{}\"\nclient_id = \"c\"\nauth_method = \"none\"\n",
        server.addr()
    ));
    let assert = env
        .cmd()
        .args(["-v", "-p", "d", "fetch"])
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "t\n");
    assert!(
        stderr_of(&assert).contains("jwks_uri `http://keys.example/jwks` uses plain http"),
        "{}",
        stderr_of(&assert)
    );
    // The command that needs it refuses it.
    fails(
        env.cmd()
            .args(["-p", "d", "inspect", "--verify", &jwt(json!({"sub": "x"}))])
            .assert(),
        78,
        "plain http",
    );
}

// ---------------------------------------------------------------- terminal prompt

/// With a terminal and no secret source, oauthctl asks on the terminal with echo off (SECURITY 5).
/// `script` gives the child a real pseudo-terminal; the answer is typed after the prompt shows.
#[test]
fn prompts_for_the_secret_on_a_terminal_with_echo_off() {
    let server = token_server("prompted");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\n",
        server.url("/t")
    ));
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let command = format!("{} -p p fetch", bin.display());
    let assert = env
        .hermetic(assert_cmd::Command::new("bash"))
        .args([
            "-c",
            "{ sleep 1; printf 'typed-secret\\n'; sleep 1; } | script -qec \"$CMD\" /dev/null",
        ])
        .env("CMD", &command)
        .assert()
        .success();
    let transcript = stdout_of(&assert);
    assert!(
        transcript.contains("Client secret for profile `p`: "),
        "{transcript:?}"
    );
    assert!(transcript.contains("prompted"), "{transcript:?}");
    assert!(
        !transcript.contains("typed-secret"),
        "the secret was echoed: {transcript:?}"
    );
    assert_eq!(
        server.requests()[0].basic_credentials().unwrap().1,
        "typed-secret"
    );
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

#[test]
fn a_secret_command_sees_no_oauthctl_variables() {
    let server = token_server("t");
    let env = Env::new();
    let dump = env.home.path().join("child-env");
    env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\nclient_secret_command = [\"sh\", \"-c\", \"env > '{}'; echo s\"]\n",
        server.url("/t"),
        dump.display()
    ));
    env.cmd()
        .args(["-p", "p", "exchange-code", "code"])
        .env(
            "OAUTHCTL_CODE_VERIFIER",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        )
        .env("OAUTHCTL_SCOPE", "x")
        .assert()
        .success();
    let child_env = std::fs::read_to_string(&dump).unwrap();
    assert!(
        child_env.contains("HOME="),
        "the dump should be a real environment"
    );
    assert!(!child_env.contains("OAUTHCTL_"), "{child_env}");
}

#[test]
fn empty_global_env_vars_count_as_unset() {
    let server = token_server("t");
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    env.cmd()
        .arg("fetch")
        .env("APP_SECRET", "x")
        .env("OAUTHCTL_PROFILE", "")
        .env("OAUTHCTL_CONFIG", "")
        .env("OAUTHCTL_OUTPUT", "")
        .assert()
        .success()
        .stdout("t\n");
    env.cmd()
        .arg("fetch")
        .env("APP_SECRET", "x")
        .env("OAUTHCTL_OUTPUT", "json")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"cached\": true"));
    fails(
        env.cmd()
            .arg("fetch")
            .env("OAUTHCTL_OUTPUT", "yaml")
            .assert(),
        2,
        "OAUTHCTL_OUTPUT",
    );
}

#[test]
fn profiles_show_redacts_secret_looking_headers_and_params() {
    let env = Env::new();
    env.write_config(
        "[profiles.p]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\nauth_method = \"none\"\n\
         headers = { X-Api-Key = \"KEY-CANARY\", Accept = \"application/json\" }\nparams = { client_assertion = \"ASSERT-CANARY\", tenant = \"acme\" }\n",
    );
    let out = stdout_of(&env.cmd().args(["profiles", "show", "p"]).assert().success());
    assert!(!out.contains("CANARY"), "{out}");
    assert!(
        out.contains("X-Api-Key = ***") && out.contains("Accept = application/json"),
        "{out}"
    );
    assert!(
        out.contains("tenant = acme") && out.contains("client_assertion = ***"),
        "{out}"
    );
    assert!(
        out.contains("client_secret   none needed (auth_method = none)"),
        "{out}"
    );
}

// ---------------------------------------------------------------- text from outside on its way out

/// No character a terminal would act on, and no line break but `\n`.
fn assert_inert(stream: &str, text: &str) {
    let raw = text
        .char_indices()
        .find(|&(_, c)| c != '\n' && (c.is_control() || ('\u{2028}'..='\u{2069}').contains(&c)));
    assert!(raw.is_none(), "raw {raw:?} on {stream}: {text:?}");
}

#[test]
fn env_output_refuses_a_token_type_that_is_not_a_token_type() {
    // A CR/LF would make a second line out of the server's text, an ESC would act on the terminal.
    let server = StubServer::start(|_| {
        Reply::json(
            200,
            r#"{"access_token":"tok","token_type":"Bearer\u001b]0;owned\u0007\r\nexport EVIL=1","expires_in":300}"#,
        )
    });
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    let run = |format: &str| {
        env.cmd()
            .args(["fetch", "--no-cache", "-o", format])
            .env("APP_SECRET", "x")
            .assert()
    };
    for format in ["env", "header", "exec-credential"] {
        let stderr = fails(
            run(format),
            4,
            "the token_type is `Bearer\\u{1b}]0;owned\\u{7}\\r\\nexport EVIL=1`",
        );
        assert_inert("stderr", &stderr);
    }
    // The token itself is fine: the formats that do not print the type still work.
    run("text").success().stdout("tok\n");
    let json = stdout_of(&run("json").success());
    assert_inert("stdout", &json);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["token_type"],
        "Bearer\u{1b}]0;owned\u{7}\r\nexport EVIL=1"
    );
}

#[test]
fn profiles_show_list_and_remove_escape_what_the_config_file_says() {
    let env = Env::new();
    let path = env.write_config(
        "default_profile = \"evil\\u001b[2Jname\"\n\
         [profiles.\"evil\\u001b[2Jname\"]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\n\
         client_secret_env = \"VAR\\u001b[31m\"\nheaders = { \"X-\\u001b[1mKey\" = \"v\" }\n\
         [profiles.other]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\nclient_secret_env = \"V\"\n",
    );
    let name = "evil\u{1b}[2Jname";
    let escaped = "evil\\u{1b}[2Jname";
    for args in [
        vec!["profiles", "show"],
        vec!["profiles", "show", name],
        vec!["profiles", "list"],
    ] {
        let out = stdout_of(&env.cmd().args(&args).assert().success());
        assert_inert("stdout", &out);
        assert!(out.contains(escaped), "{args:?}: {out}");
    }
    let out = stdout_of(&env.cmd().args(["profiles", "show"]).assert().success());
    assert!(out.contains("X-\\u{1b}[1mKey = ***"), "{out}");
    assert!(out.contains("env var VAR\\u{1b}[31m (NOT SET)"), "{out}");

    let out = stdout_of(
        &env.cmd()
            .args(["profiles", "remove", name])
            .assert()
            .success(),
    );
    assert_inert("stdout", &out);
    assert!(
        out.starts_with(&format!("removed profile `{escaped}` from ")),
        "{out}"
    );

    // A config path is the user's, but a file name can hold anything too.
    let odd = env.home.path().join("odd\u{1b}[5mdir");
    std::fs::create_dir(&odd).unwrap();
    let odd_config = odd.join("config.toml");
    std::fs::copy(&path, &odd_config).unwrap();
    let out = stdout_of(
        &env.cmd()
            .args(["profiles", "path"])
            .arg("-c")
            .arg(&odd_config)
            .assert()
            .success(),
    );
    assert_inert("stdout", &out);
    assert!(out.contains("odd\\u{1b}[5mdir/config.toml"), "{out}");
}
