//! `oauthctl fetch` with the client_credentials grant (RFC 6749 §4.4): exactly what goes over the
//! wire, from a profile or from env vars alone, and what is printed.

use serde_json::{Value, json};

use crate::support::app::ESCAPED_SECRET;
use crate::support::app::{app_profile, profile};
use crate::support::common::{Env, form, now, stderr_of, stdout_of, token_server};

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
        .env("APP_SECRET", ESCAPED_SECRET)
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
        .env("OAUTHCTL_CLIENT_SECRET", ESCAPED_SECRET)
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
            ("client_secret", ESCAPED_SECRET),
        ])
    );
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.header("x-tenant"), Some("acme"));
    assert_eq!(req.header("x-other"), Some("2"));
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
