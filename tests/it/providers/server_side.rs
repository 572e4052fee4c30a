//! "Server Side Apps" (`server-side`): `grant_type` in the query string, Basic credentials built
//! as `echo -n "id:secret" | base64` (raw, never form-encoded), and an empty body.

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::*;
use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const SERVER_SIDE_ID: &str = "yourClientId";

const SERVER_SIDE_SECRET: &str = "yourClientSecret";

/// The documented sample, trailing comma included: the server really sends it.
const SERVER_SIDE_OK: &str = r#"{
  "access_token":"someAccessTokenValue",
  "token_type":"Bearer",
  "expires_in":3600,
  "refresh_token":"SomeRefreshTokenValue",
}"#;

/// "Server Side Apps" (`server-side`): `POST /oauth/token?grant_type=client_credentials`,
/// `Authorization: Basic` built as `echo -n "id:secret" | base64` (so compared raw, never
/// form-decoded) and an empty body. The document's table says `client_credential`, its curl
/// example and RFC 6749 `client_credentials`; the stub takes the latter. It shows no error body,
/// so errors are plain RFC 6749 §5.2 JSON.
fn server_side_stub(secret: &str, ok: Reply) -> StubServer {
    let expected = (SERVER_SIDE_ID.to_owned(), secret.to_owned());
    StubServer::start(move |r: &Recorded| {
        let error = |status: u16, code: &str, description: &str| {
            let body = json!({ "error": code, "error_description": description });
            Reply::new(status, "application/json", &body.to_string())
        };
        if r.method != "POST" || r.path != "/oauth/token" {
            return error(404, "invalid_request", "no such endpoint");
        }
        if basic(r) != Some(expected.clone()) {
            return error(401, "invalid_client", "Bad client credentials");
        }
        let query = r.query.as_deref().and_then(form_pairs).unwrap_or_default();
        match field(&query, "grant_type") {
            // The only grant the document describes; RFC 6749 §5.2 for any other.
            Some(grant) if grant != "client_credentials" => {
                return error(400, "unsupported_grant_type", "only client_credentials");
            }
            _ if r.query.as_deref() != Some("grant_type=client_credentials") => {
                let why = "grant_type=client_credentials must be in the query string";
                return error(400, "invalid_request", why);
            }
            _ => {}
        }
        if !r.body.is_empty() {
            return error(400, "invalid_request", "the request body must be empty");
        }
        ok.clone()
    })
}

// =============================================================================================
// 003: server-side apps (Basic, grant_type in the query, empty body).

fn server_side(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.env("SERVER_SIDE_CLIENT_SECRET", SERVER_SIDE_SECRET);
    cmd.args(["-p", "server-side", "fetch"]);
    cmd.args(extra);
    cmd
}

/// The documented curl call: grant_type in the query, raw Basic credentials, no body at all.
fn assert_server_side_request(r: &Recorded, secret: &str) {
    assert_common_headers(r);
    assert_eq!(r.target, "/oauth/token?grant_type=client_credentials");
    assert_eq!(
        r.query_pairs(),
        pairs(&[("grant_type", "client_credentials")])
    );
    assert!(r.body.is_empty(), "the body must be empty: {r:?}");
    let raw = STANDARD.encode(format!("{SERVER_SIDE_ID}:{secret}"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Basic {raw}").as_str())
    );
}

/// The documented sample, which has a trailing comma, is a token in every format, silently.
#[test]
fn server_side_token_in_every_output_format() {
    let env = Env::new();
    let ok = Reply::new(200, "application/json", SERVER_SIDE_OK)
        .with_header("Cache-Control", "no-store");
    let stub = server_side_stub(SERVER_SIDE_SECRET, ok);
    use_example(&env, SERVER_SIDE_URL, 1, &stub.url("/oauth/token"));
    let fixed = SERVER_SIDE_OK.replace(",\n}", "\n}");
    let expected: Value = serde_json::from_str(&fixed).expect("the sample without its comma");
    assert_eq!(expected["refresh_token"], "SomeRefreshTokenValue");

    assert_every_format(&expected, |format| {
        server_side(&env, &["--no-cache", "-o", format]).assert()
    });

    for r in requests(&stub, 5) {
        assert_server_side_request(&r, SERVER_SIDE_SECRET);
    }
}

#[test]
fn server_side_trailing_comma_is_noted_under_verbose_without_leaking_secrets() {
    let env = Env::new();
    let stub = server_side_stub(
        SERVER_SIDE_SECRET,
        Reply::new(200, "application/json", SERVER_SIDE_OK),
    );
    use_example(&env, SERVER_SIDE_URL, 1, &stub.url("/oauth/token"));

    let output = server_side(&env, &["-v"]).assert().get_output().clone();

    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(output.stdout, b"someAccessTokenValue\n");
    let post = format!(
        "> POST {}?grant_type=client_credentials",
        stub.url("/oauth/token")
    );
    for line in [post.as_str(), "> (no body)", "Basic ***", "trailing comma"] {
        assert!(stderr.contains(line), "{line:?} not in {stderr}");
    }
    for secret in [
        SERVER_SIDE_SECRET,
        "someAccessTokenValue",
        "SomeRefreshTokenValue",
    ] {
        assert!(!stderr.contains(secret), "{secret} leaked into {stderr}");
    }
    assert_server_side_request(&requests(&stub, 1)[0], SERVER_SIDE_SECRET);
}

#[test]
fn server_side_other_malformed_json_exits_4() {
    let bodies = [
        r#"{"access_token":"x",,}"#,
        "{\n  \"access_token\":\"someAccessTokenValue\",\n  \"token_type\":\"Bea",
    ];
    for body in bodies {
        let env = Env::new();
        let stub = server_side_stub(
            SERVER_SIDE_SECRET,
            Reply::new(200, "application/json", body),
        );
        use_example(&env, SERVER_SIDE_URL, 1, &stub.url("/oauth/token"));

        let expected = JsonError {
            kind: "unreachable",
            code: None,
            description: None,
            status: 200,
            exit_code: 4,
            words: &["answered HTTP 200", "not valid JSON"],
        };
        fails_both_ways(|| server_side(&env, &[]), &expected);

        for r in requests(&stub, 2) {
            assert_server_side_request(&r, SERVER_SIDE_SECRET);
        }
    }
}

/// The documented response carries a refresh_token even for client_credentials, so the cache
/// keeps one. Once the cached token is stale (here: `--min-ttl` above its lifetime), `fetch` must
/// still return a token from this server, which documents no other grant, and must never put the
/// refresh token in the request URI, where server and proxy logs keep it.
#[test]
fn server_side_profile_keeps_working_once_its_cached_token_is_stale() {
    let env = Env::new();
    let ok = Reply::new(200, "application/json", SERVER_SIDE_OK);
    let stub = server_side_stub(SERVER_SIDE_SECRET, ok);
    use_example(&env, SERVER_SIDE_URL, 1, &stub.url("/oauth/token"));

    assert_eq!(
        succeeded(server_side(&env, &[]).assert()),
        "someAccessTokenValue\n"
    );
    let output = server_side(&env, &["--min-ttl", "3601", "-o", "json"]).assert();
    let output = output.get_output().clone();

    // Both defects are reported at once: the request that leaked, and the outcome.
    let requests = stub.requests();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problems: Vec<String> = requests
        .iter()
        .filter(|r| r.target.contains("SomeRefreshTokenValue"))
        .map(|r| format!("refresh token in the request URI: POST {}", r.target))
        .collect();
    if output.status.code() != Some(0) {
        let code = output.status.code();
        problems.push(format!("exit {code:?} instead of a token: {stderr}"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["access_token"], "someAccessTokenValue");
    assert_eq!(json["cached"], false);
    let last = requests.last().expect("a request");
    assert_server_side_request(last, SERVER_SIDE_SECRET);
}

/// Strictness, grant parameter placement: the server wants grant_type in the query string.
#[test]
fn server_side_refuses_grant_type_in_the_body() {
    let env = Env::new();
    let stub = server_side_stub(
        SERVER_SIDE_SECRET,
        Reply::new(200, "application/json", SERVER_SIDE_OK),
    );
    use_example(&env, SERVER_SIDE_URL, 1, &stub.url("/oauth/token"));

    let why = "grant_type=client_credentials must be in the query string";
    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_request"),
        description: Some(why),
        status: 400,
        exit_code: 3,
        words: &["(HTTP 400)", "invalid_request", why],
    };
    fails_both_ways(|| server_side(&env, &["--grant-params", "body"]), &expected);

    for r in requests(&stub, 2) {
        assert_eq!(
            (r.target.as_str(), r.body_str()),
            ("/oauth/token", "grant_type=client_credentials")
        );
        assert_eq!(r.header("content-type"), Some(FORM));
    }
}

/// `basic_encoding = "raw"`: the stub sees the raw secret after base64 decoding.
#[test]
fn server_side_raw_basic_carries_a_secret_that_needs_encoding_unchanged() {
    let env = Env::new();
    let stub = server_side_stub(
        AWKWARD_SECRET,
        Reply::new(200, "application/json", SERVER_SIDE_OK),
    );
    use_example(&env, SERVER_SIDE_URL, 1, &stub.url("/oauth/token"));

    let mut cmd = server_side(&env, &[]);
    let stdout = succeeded(
        cmd.env("SERVER_SIDE_CLIENT_SECRET", AWKWARD_SECRET)
            .assert(),
    );

    assert_eq!(stdout, "someAccessTokenValue\n");
    let r = &requests(&stub, 1)[0];
    assert_server_side_request(r, AWKWARD_SECRET);
    let raw = (SERVER_SIDE_ID.to_owned(), AWKWARD_SECRET.to_owned());
    assert_eq!(r.basic_credentials(), Some(raw));
}

/// Form-encoded Basic credentials are not what `echo -n id:secret | base64` gives: refused.
#[test]
fn server_side_refuses_form_encoded_basic_of_a_secret_that_needs_encoding() {
    let env = Env::new();
    let stub = server_side_stub(
        AWKWARD_SECRET,
        Reply::new(200, "application/json", SERVER_SIDE_OK),
    );
    use_example(&env, SERVER_SIDE_URL, 1, &stub.url("/oauth/token"));

    let mut cmd = server_side(&env, &[]);
    cmd.env("SERVER_SIDE_CLIENT_SECRET", AWKWARD_SECRET)
        .args(["--basic-encoding", "form"]);
    failed(
        cmd.assert(),
        3,
        &["(HTTP 401)", "invalid_client", "Bad client credentials"],
    );

    let r = &requests(&stub, 1)[0];
    let encoded = (SERVER_SIDE_ID.to_owned(), form_encoded(AWKWARD_SECRET));
    assert_eq!(r.basic_credentials(), Some(encoded));
}
