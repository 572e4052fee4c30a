//! Where identity tokens come from: CircleCI's variables, Buildkite's agent, and a platform that
//! is down.

use std::os::unix::fs::PermissionsExt;

use crate::support::common::{Env, fails_in_one_line, stdout_of};
use crate::support::server::{Reply, StubServer};

fn sts() -> StubServer {
    StubServer::start(|r| {
        Reply::json(
            200,
            &serde_json::json!({
                "access_token": format!("for-{}", r.form_value("subject_token").unwrap_or_default()),
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": 60,
            })
            .to_string(),
        )
    })
}

fn profile(env: &Env, token_url: &str, source: &str) {
    env.write_config(&format!(
        "[profiles.ci]\ntoken_url = \"{token_url}\"\ngrant = \"token_exchange\"\nauth_method = \"none\"\n{source}\n"
    ));
}

#[test]
fn circleci_prefers_the_v2_token_and_says_what_is_missing() {
    let server = sts();
    let env = Env::new();
    profile(
        &env,
        &server.url("/token"),
        "identity_token_from = \"circleci\"",
    );
    let out = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "ci", "--no-cache"])
            .env("CIRCLE_OIDC_TOKEN", "v1")
            .env("CIRCLE_OIDC_TOKEN_V2", "v2")
            .assert()
            .success(),
    );
    assert_eq!(out, "for-v2\n");
    let out = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "ci", "--no-cache"])
            .env("CIRCLE_OIDC_TOKEN", "v1")
            .assert()
            .success(),
    );
    assert_eq!(out, "for-v1\n");
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "ci"]).assert(),
        78,
        "getting the identity token from CircleCI: neither CIRCLE_OIDC_TOKEN_V2 nor CIRCLE_OIDC_TOKEN is set",
    );
}

#[test]
fn buildkite_asks_its_agent_for_the_audience() {
    let server = sts();
    let env = Env::new();
    let bin = env.home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let agent = bin.join("buildkite-agent");
    // The agent prints the token for the arguments it was given.
    std::fs::write(&agent, "#!/bin/sh\nprintf 'bk:%s' \"$*\" | tr ' ' '_'\n").unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    profile(
        &env,
        &server.url("/token"),
        "identity_token_from = \"buildkite\"\nidentity_token_audience = \"sts.example\"",
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "ci"])
            .env("PATH", &path)
            .assert()
            .success(),
    );
    assert_eq!(out, "for-bk:oidc_request-token_--audience_sts.example\n");
    fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "ci", "--no-cache"])
            .env("PATH", "/nonexistent")
            .assert(),
        78,
        "getting the identity token from Buildkite: cannot run identity_token_from = \"buildkite\" `buildkite-agent`",
    );
}

#[test]
fn a_platform_that_is_down_is_exit_4_and_a_busy_one_is_asked_again() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let platform = StubServer::start(move |_| {
        if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::json(503, r#"{"message":"busy"}"#).with_header("retry-after", "0")
        } else {
            Reply::json(200, r#"{"value":"gh-token"}"#)
        }
    });
    let server = sts();
    let env = Env::new();
    profile(
        &env,
        &server.url("/token"),
        "identity_token_from = \"github-actions\"",
    );
    let out = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "ci"])
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                platform.url("/t?api-version=2.0"),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "rt")
            .assert()
            .success(),
    );
    assert_eq!(out, "for-gh-token\n");
    assert_eq!(platform.requests().len(), 2, "retried after a 503");
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://{}/t?api-version=2.0",
            listener.local_addr().unwrap()
        )
    };
    fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "ci", "--no-cache"])
            .env("ACTIONS_ID_TOKEN_REQUEST_URL", &down)
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "rt")
            .env("OAUTHCTL_RETRIES", "0")
            .assert(),
        4,
        "getting the identity token from GitHub Actions: cannot connect",
    );
}

#[test]
fn a_source_can_be_given_for_one_run_by_flag() {
    let server = sts();
    let env = Env::new();
    profile(
        &env,
        &server.url("/token"),
        "identity_token_env = \"FROM_FILE\"",
    );
    let out = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "ci", "--identity-token-env", "FROM_FLAG"])
            .env("FROM_FILE", "file-token")
            .env("FROM_FLAG", "flag-token")
            .assert()
            .success(),
    );
    assert_eq!(out, "for-flag-token\n");
    let token = env.home.path().join("t");
    std::fs::write(&token, "file\n").unwrap();
    let out = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "ci", "--identity-token-file"])
            .arg(&token)
            .assert()
            .success(),
    );
    assert_eq!(out, "for-file\n");
}

#[test]
fn identity_token_takes_the_runs_flags_and_a_token_without_a_subject_is_its_own_identity() {
    let server = sts();
    let env = Env::new();
    profile(
        &env,
        &server.url("/token"),
        "identity_token_env = \"FROM_FILE\"",
    );
    let out = stdout_of(
        &env.cmd()
            .args([
                "identity-token",
                "-p",
                "ci",
                "--identity-token-env",
                "FROM_FLAG",
            ])
            .env("FROM_FILE", "file-token")
            .env("FROM_FLAG", "flag-token")
            .assert()
            .success(),
    );
    assert_eq!(out, "flag-token\n");
    // Two JWTs that name no subject are two identities, never one cache entry.
    let unsigned = |claims: serde_json::Value| crate::support::common::jwt(claims);
    for (n, email) in ["alice@x", "mallory@x"].iter().enumerate() {
        let out = stdout_of(
            &env.cmd()
                .args(["fetch", "-p", "ci"])
                .env("FROM_FILE", unsigned(serde_json::json!({ "email": email })))
                .assert()
                .success(),
        );
        assert!(out.starts_with("for-"), "{out}");
        assert_eq!(server.requests().len(), n + 1);
    }
}
