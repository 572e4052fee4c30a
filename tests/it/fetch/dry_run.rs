//! `--dry-run`: the curl command it prints is run here against the same stub as the real request
//! and must send the same thing; its JSON form; and no secret in either.

use serde_json::{Value, json};

use crate::support::common::curl_available;
use crate::support::common::{Env, fails, stderr_of, stdout_of, token_server};
use crate::support::server::{Recorded, StubServer};

// ---------------------------------------------------------------- --dry-run

/// A profile with a secret in every place a request can carry one.
const SECRET: &str = "dry-s3cret";

const API_KEY: &str = "k3y-NOT-TO-BE-SEEN";

const ASSERTION: &str = "eyJhbGciOiJub25lIn0.e30.ASSERTION";

fn everything_profile(server: &StubServer, extra: &str) -> String {
    format!(
        "[profiles.dry]\ntoken_url = \"{}\"\nclient_id = \"my app/1\"\nclient_secret_env = \"DRY_SECRET\"\nscope = \"read write\"\naudience = \"https://api.example\"\nheaders = {{ \"X-Api-Key\" = \"{API_KEY}\", \"X-Tenant\" = \"acme\" }}\nparams = {{ client_assertion = \"{ASSERTION}\", tenant = \"a&b\" }}\n{extra}",
        server.url("/oauth/token?v=2")
    )
}

fn assert_secret_free(texts: &[&str], secrets: &[&str]) {
    for text in texts {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret:?} leaked into {text}");
        }
    }
}

/// Runs the dry run's curl command in bash with the placeholders set, against the same stub.
fn run_curl(env: &Env, command: &str, vars: &[(&str, &str)]) {
    let mut cmd = env.hermetic(assert_cmd::Command::new("bash"));
    let script = format!(
        "set -e\n{} --silent --show-error --output /dev/null",
        command.trim_end()
    );
    cmd.current_dir(env.home.path()).args(["-c", &script]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.assert().success();
}

/// What both requests must agree on. Header names are compared lowercased; curl's own headers
/// (User-Agent, Host, Content-Length) are not ours to compare.
fn essentials(r: &Recorded) -> Value {
    let header = |name: &str| r.header(name).map(str::to_string);
    json!({
        "method": r.method,
        "path": r.path,
        "query": r.query_pairs(),
        "content-type": header("content-type"),
        "accept": header("accept"),
        "authorization": header("authorization"),
        "basic": r.basic_credentials(),
        "x-api-key": header("x-api-key"),
        "x-tenant": header("x-tenant"),
        "form": if r.body.is_empty() { json!(null) } else { json!(r.form()) },
    })
}

fn dry_run_matches_the_real_request(extra: &str, vars: &[(&str, &str)]) {
    assert!(curl_available());
    let server = token_server("real");
    let env = Env::new();
    env.write_config(&everything_profile(&server, extra));
    let assert = env
        .cmd()
        .args(["fetch", "-p", "dry", "--dry-run"])
        .env("DRY_SECRET", SECRET)
        .assert()
        .success();
    let command = stdout_of(&assert);
    let stderr = stderr_of(&assert);
    assert_eq!(server.request_count(), 0, "a dry run sent a request");
    assert_secret_free(&[&command, &stderr], &[SECRET, API_KEY, ASSERTION]);
    assert!(
        !env.home.path().join(".cache/oauthctl").exists(),
        "a dry run touched the cache"
    );

    env.cmd()
        .args(["fetch", "-p", "dry", "--no-cache"])
        .env("DRY_SECRET", SECRET)
        .assert()
        .success();
    let mut all = vec![("DRY_SECRET", SECRET)];
    all.extend_from_slice(vars);
    run_curl(&env, &command, &all);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        essentials(&requests[1]),
        essentials(&requests[0]),
        "the dry run's command:\n{command}"
    );
}

#[test]
fn dry_run_prints_a_curl_command_that_sends_the_same_request_as_fetch() {
    let vars = [
        ("OAUTHCTL_HEADER_X_API_KEY", API_KEY),
        ("OAUTHCTL_PARAM_CLIENT_ASSERTION", ASSERTION),
    ];
    // Basic, form-encoded (the client_id has a space and a slash).
    dry_run_matches_the_real_request("", &vars);
    // Basic, raw.
    dry_run_matches_the_real_request("basic_encoding = \"raw\"\n", &vars);
    // Credentials in the body.
    dry_run_matches_the_real_request("auth_method = \"post\"\n", &vars);
    // A public client, grant parameters in the query (the Watson quirk).
    dry_run_matches_the_real_request("auth_method = \"none\"\ngrant_params = \"query\"\n", &vars);
}

#[test]
fn dry_run_of_exchange_code_never_shows_the_code_or_the_verifier() {
    assert!(curl_available());
    let server = token_server("real");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"web\"\nauth_method = \"none\"\nredirect_uri = \"http://127.0.0.1:8400/cb\"\n",
        server.url("/token")
    ));
    let code = "SplxlOBeZQQYbYS6WxSbIA";
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let assert = env
        .cmd()
        .args(["exchange-code", "-p", "web", "--dry-run", code])
        .env("OAUTHCTL_CODE_VERIFIER", verifier)
        .assert()
        .success();
    let command = stdout_of(&assert);
    assert_secret_free(&[&command, &stderr_of(&assert)], &[code, verifier]);
    assert!(command.contains("\"$OAUTHCTL_CODE\""), "{command}");
    assert!(command.contains("\"$OAUTHCTL_CODE_VERIFIER\""), "{command}");
    assert_eq!(server.request_count(), 0);
    // Without a code, a dry run does not wait for one on stdin.
    env.cmd()
        .args(["exchange-code", "-p", "web", "--dry-run"])
        .assert()
        .success();

    env.cmd()
        .args(["exchange-code", "-p", "web", "--no-cache", code])
        .env("OAUTHCTL_CODE_VERIFIER", verifier)
        .assert()
        .success();
    run_curl(
        &env,
        &command,
        &[
            ("OAUTHCTL_CODE", code),
            ("OAUTHCTL_CODE_VERIFIER", verifier),
        ],
    );
    let requests = server.requests();
    assert_eq!(essentials(&requests[1]), essentials(&requests[0]));
}

#[test]
fn dry_run_json_describes_the_request_with_placeholders() {
    let server = token_server("never");
    let env = Env::new();
    env.write_config(&everything_profile(&server, ""));
    let assert = env
        .cmd()
        .args(["fetch", "-p", "dry", "--dry-run", "-o", "json"])
        .env("DRY_SECRET", SECRET)
        .assert()
        .success();
    let text = stdout_of(&assert);
    assert_secret_free(&[&text], &[SECRET, API_KEY, ASSERTION]);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["method"], "POST");
    assert_eq!(doc["url"], server.url("/oauth/token?v=2"));
    assert_eq!(
        doc["headers"],
        json!([
            ["Accept", "application/json"],
            ["Authorization", "Basic base64(my+app%2F1:${DRY_SECRET})"],
            ["X-Api-Key", "${OAUTHCTL_HEADER_X_API_KEY}"],
            ["X-Tenant", "acme"],
        ])
    );
    assert_eq!(
        doc["form"],
        json!([
            ["grant_type", "client_credentials"],
            ["scope", "read write"],
            ["audience", "https://api.example"],
            ["client_assertion", "${OAUTHCTL_PARAM_CLIENT_ASSERTION}"],
            ["tenant", "a&b"],
        ])
    );
    let names: Vec<&str> = doc["placeholders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "DRY_SECRET",
            "OAUTHCTL_HEADER_X_API_KEY",
            "OAUTHCTL_PARAM_CLIENT_ASSERTION"
        ]
    );
    assert!(
        doc["curl"]
            .as_str()
            .unwrap()
            .starts_with("# oauthctl --dry-run")
    );
    assert_eq!(server.request_count(), 0);
}

#[test]
fn dry_run_with_an_issuer_shows_discovery_and_looks_nothing_up() {
    let server = token_server("never");
    let env = Env::new();
    let issuer = server.url("/realms/main");
    let assert = env
        .cmd()
        .args(["fetch", "--dry-run", "--client-id", "ci"])
        .env("OAUTHCTL_ISSUER", &issuer)
        .env("OAUTHCTL_CLIENT_SECRET", SECRET)
        .assert()
        .success();
    let command = stdout_of(&assert);
    assert!(
        command.contains(&format!("'{issuer}/.well-known/openid-configuration'")),
        "{command}"
    );
    assert!(command.contains("/.well-known/oauth-authorization-server/realms/main"));
    assert!(command.contains("\"$OAUTHCTL_TOKEN_URL\""), "{command}");
    assert!(command.contains("\"$OAUTHCTL_CLIENT_SECRET\""), "{command}");
    assert_secret_free(&[&command], &[SECRET]);
    assert_eq!(server.request_count(), 0);
}

#[test]
fn dry_run_checks_what_a_real_run_checks() {
    let env = Env::new();
    fails(
        env.cmd()
            .args(["fetch", "--dry-run", "--client-id", "ci"])
            .env("OAUTHCTL_TOKEN_URL", "http://idp.example/token")
            .assert(),
        78,
        "plain http to a non-loopback host",
    );
    fails(
        env.cmd()
            .args(["fetch", "--dry-run", "--token-url", "https://idp.example/t"])
            .assert(),
        78,
        "has no client_id",
    );
    fails(
        env.cmd()
            .args([
                "exchange-code",
                "--dry-run",
                "--token-url",
                "https://idp.example/t",
                "--client-id",
                "c",
                "code",
            ])
            .env("OAUTHCTL_CODE_VERIFIER", "short")
            .assert(),
        2,
        "code_verifier (5 characters)",
    );
}

#[test]
fn dry_run_quotes_hostile_values_for_the_shell_and_the_terminal() {
    assert!(curl_available());
    let server = token_server("real");
    let env = Env::new();
    // A scope with a quote, a `$(…)` and an escape sequence: printed inert, sent as it is.
    let scope = "it's $(touch pwned) \u{1b}[31mred";
    env.write_config(&format!(
        "[profiles.q]\ntoken_url = \"{}\"\nclient_id = \"c\"\nauth_method = \"none\"\nscope = \"it's $(touch pwned) \\u001b[31mred\"\n",
        server.url("/token")
    ));
    let command = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "q", "--dry-run"])
            .assert()
            .success(),
    );
    assert!(!command.contains('\u{1b}'), "{command:?}");
    run_curl(&env, &command, &[]);
    assert!(!env.home.path().join("pwned").exists());
    assert!(!std::path::Path::new("pwned").exists());
    let requests = server.requests();
    assert_eq!(
        requests[0].form_value("scope").as_deref(),
        Some(scope),
        "{command}"
    );
}

#[test]
fn the_readmes_dry_run_example_is_what_oauthctl_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = "$ oauthctl fetch -p watson --dry-run\n";
    let at = readme.find(start).expect("the README's dry-run example") + start.len();
    let shown = &readme[at..at + readme[at..].find("```").unwrap()];
    let env = Env::new();
    env.write_config(
        "[profiles.watson]\ntoken_url = \"https://api.watsonwork.ibm.com/oauth/token\"\nclient_id = \"my-app-id\"\nclient_secret_env = \"WATSON_APP_SECRET\"\nscope = \"read write\"\n",
    );
    let printed = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "watson", "--dry-run"])
            .assert()
            .success(),
    );
    assert_eq!(shown, printed);
}
