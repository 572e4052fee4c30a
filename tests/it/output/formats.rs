//! The output formats of a token (`-o header`, `env`, `exec-credential`) and what they refuse to
//! print. The token_type rules over every value a server may send are in fetch/response.rs.

use serde_json::Value;

use crate::support::app::profile;
use crate::support::common::assert_inert;
use crate::support::common::{Env, fails, stdout_of, token_server};
use crate::support::server::{Reply, StubServer};

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
