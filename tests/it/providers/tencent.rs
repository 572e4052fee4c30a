//! Tencent CIAM: client_credentials with `client_id`/`client_secret` in the form body and
//! space-separated scopes; a Basic header is refused.

use assert_cmd::Command;
use serde_json::Value;

use super::*;
use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const TENCENT_ID: &str = "TENANT_CLIENT_ID";

const TENCENT_SECRET: &str = "TENANT_CLIENT_SECRET";

/// Registered, but without permission to use client_credentials (→ unauthorized_client).
const TENCENT_WEB_ID: &str = "TENANT_WEB_CLIENT_ID";

const TENCENT_SCOPES: [&str; 2] = ["identity_proofing", "openid"];

/// "Sample Success Responses", byte for byte.
const TENCENT_OK: &str = r#"{
  "access_token" : "eyJraWQiOiJmOTY5NGQ5My1kNTQxLTQ5ODUtODhkYy00MjIyOTg3MzAwOGUiLCJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJURU5BTlRfQ0xJRU5UX0lEIiwiYXVkIjoiVEVOQU5UX0NMSUVOVF9JRCIsIm5iZiI6MTY0MDU4ODgyOCwic2NvcGUiOlsiaWRlbnRpdHlfcHJvb2ZpbmciXSwiaXNzIjoiaHR0cHM6XC9cL3NhbXBsZS5wb3J0YWwudGVuY2VudGNpYW0uY29tIiwiZXhwIjoxNjQwNTg5MTI4LCJpYXQiOjE2NDA1ODg4MjgsImp0aSI6Ijk5MzliYzNmLTVlZGYtNDZjMy04ZjVjLTJiMWRjMWFjZmE5MCJ9.D8khbU3BkWTHD6sRTY9M_bbRq7AF4MGina2S1ycFA2HOUo-k_P_f81V4fP1DLO7n-1_5em_Dmxo768wsFcvUIYWRlSLh91kXPTyBV5mHt6IZRnT3eMpqTiMKC_ubzUc_7DSpE8-99-CpfrQ19hcpMwkoLYh1dwYjUJB6xyZPzqlezrHy4unUHLTpyjGeecgNNLUScY9W0diGxVnbsMuTW7T00OsltNoJj11qtOllbh5kd1B4umvA3UJpGucVMZQ2YTvltHyDBefWabP4ektzktAwDTALGIu1EsQfb5j9Rru3R0L0nAvjT8HiIqthLvvMdkjXAW983zj0yCPe3GqF3g",
  "scope" : "identity_proofing",
  "token_type" : "Bearer",
  "expires_in" : 299
}"#;

/// Tencent CIAM: `POST /oauth2/token`, form body with `client_id`/`client_secret`,
/// optional space-separated `scope`. A Basic header is refused with 401 invalid_client. Errors
/// are nothing but `{"error" : …}`, laid out exactly as the document prints them.
fn tencent_stub(secret: &str, ok: Reply) -> StubServer {
    let secret = secret.to_owned();
    StubServer::start(move |r: &Recorded| {
        let wrong_route = r.method != "POST" || r.path != "/oauth2/token" || r.query.is_some();
        let form = form_of(r).filter(|_| r.header("content-type") == Some(FORM));
        let (true, Some(form)) = (!wrong_route, form) else {
            return tencent_error(400, "invalid_request");
        };
        let field = |k: &str| field(&form, k);
        if r.header_count("authorization") != 0 {
            return tencent_error(401, "invalid_client");
        }
        let allowed = ["grant_type", "client_id", "client_secret", "scope"];
        let mut keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() != form.len() || keys.iter().any(|k| !allowed.contains(k)) {
            return tencent_error(400, "invalid_request");
        }
        match field("grant_type") {
            Some("client_credentials") => {}
            Some(_) => return tencent_error(400, "unsupported_grant_type"),
            None => return tencent_error(400, "invalid_request"),
        }
        let client = field("client_id").filter(|id| [TENCENT_ID, TENCENT_WEB_ID].contains(id));
        if client.is_none() || field("client_secret") != Some(secret.as_str()) {
            return tencent_error(401, "invalid_client");
        }
        if client == Some(TENCENT_WEB_ID) {
            return tencent_error(400, "unauthorized_client");
        }
        if let Some(scope) = field("scope") {
            let scopes: Vec<&str> = scope.split(' ').collect();
            if scopes.iter().any(|s| !TENCENT_SCOPES.contains(s)) {
                return tencent_error(400, "invalid_scope");
            }
        }
        ok.clone()
    })
}

/// A Tencent error body exactly as its documentation prints it: spaces around the colon, line
/// breaks.
fn tencent_error(status: u16, error: &str) -> Reply {
    Reply::json(status, &format!("{{\n  \"error\" : \"{error}\"\n}}"))
}

// =============================================================================================
// 002: Tencent CIAM (client_credentials, credentials in the body).

fn tencent(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.env("TENCENT_CIAM_CLIENT_SECRET", TENCENT_SECRET);
    cmd.args(["-p", "tencent", "fetch"]);
    cmd.args(extra);
    cmd
}

/// The documented sample request, with oauthctl's field order: grant parameters, then the
/// client's credentials.
fn assert_tencent_request(r: &Recorded, scope: &str, client_id: &str, secret: &str) {
    assert_common_headers(r);
    assert_eq!(r.target, "/oauth2/token");
    assert_eq!(r.header("content-type"), Some(FORM));
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    assert_eq!(r.form(), pairs(&form));
    assert_body_credentials(r, client_id, secret);
}

#[test]
fn tencent_token_in_every_output_format() {
    let env = Env::new();
    let stub = tencent_stub(TENCENT_SECRET, Reply::json(200, TENCENT_OK));
    use_example(&env, TENCENT_URL, 1, &stub.url("/oauth2/token"));
    let expected: Value = serde_json::from_str(TENCENT_OK).expect("documented JSON");

    assert_every_format(&expected, |format| {
        tencent(&env, &["--no-cache", "-o", format]).assert()
    });

    for r in requests(&stub, 5) {
        assert_tencent_request(&r, "identity_proofing", TENCENT_ID, TENCENT_SECRET);
        let body = "grant_type=client_credentials&scope=identity_proofing&client_id=TENANT_CLIENT_ID&client_secret=TENANT_CLIENT_SECRET";
        assert_eq!(r.body_str(), body);
    }
}

#[test]
fn tencent_space_separated_scopes() {
    let env = Env::new();
    let stub = tencent_stub(TENCENT_SECRET, Reply::json(200, TENCENT_OK));
    use_example(&env, TENCENT_URL, 1, &stub.url("/oauth2/token"));

    succeeded(tencent(&env, &["--scope", "identity_proofing openid"]).assert());

    let r = &requests(&stub, 1)[0];
    assert_tencent_request(r, "identity_proofing openid", TENCENT_ID, TENCENT_SECRET);
    assert!(
        r.body_str().contains("&scope=identity_proofing+openid&"),
        "{r:?}"
    );
}

#[test]
fn tencent_wrong_secret_is_invalid_client() {
    let env = Env::new();
    let stub = tencent_stub("the-real-secret", Reply::json(200, TENCENT_OK));
    use_example(&env, TENCENT_URL, 1, &stub.url("/oauth2/token"));

    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_client"),
        description: None,
        status: 401,
        exit_code: 3,
        words: &["(HTTP 401)", "invalid_client"],
    };
    fails_both_ways(|| tencent(&env, &[]), &expected);

    for r in requests(&stub, 2) {
        assert_tencent_request(&r, "identity_proofing", TENCENT_ID, TENCENT_SECRET);
    }
}

/// Strictness, credential placement: Tencent refuses a Basic header with 401 invalid_client.
#[test]
fn tencent_refuses_a_basic_header_with_invalid_client() {
    let env = Env::new();
    let stub = tencent_stub(TENCENT_SECRET, Reply::json(200, TENCENT_OK));
    use_example(&env, TENCENT_URL, 1, &stub.url("/oauth2/token"));

    let mut cmd = tencent(&env, &[]);
    cmd.args(["--auth-method", "basic"]);
    failed(cmd.assert(), 3, &["(HTTP 401)", "invalid_client"]);

    let r = &requests(&stub, 1)[0];
    let credentials = (TENCENT_ID.to_owned(), TENCENT_SECRET.to_owned());
    assert_eq!(r.basic_credentials(), Some(credentials));
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "identity_proofing"),
    ];
    assert_eq!(r.form(), pairs(&form), "no client_secret in the body");
}

#[test]
fn tencent_client_without_client_credentials_permission_is_unauthorized_client() {
    let env = Env::new();
    let stub = tencent_stub(TENCENT_SECRET, Reply::json(200, TENCENT_OK));
    use_example(&env, TENCENT_URL, 1, &stub.url("/oauth2/token"));

    let expected = JsonError {
        kind: "refused",
        code: Some("unauthorized_client"),
        description: None,
        status: 400,
        exit_code: 3,
        words: &["(HTTP 400)", "unauthorized_client"],
    };
    fails_both_ways(
        || tencent(&env, &["--client-id", TENCENT_WEB_ID]),
        &expected,
    );

    for r in requests(&stub, 2) {
        assert_tencent_request(&r, "identity_proofing", TENCENT_WEB_ID, TENCENT_SECRET);
    }
}

#[test]
fn tencent_unknown_scope_is_invalid_scope() {
    let env = Env::new();
    let stub = tencent_stub(TENCENT_SECRET, Reply::json(200, TENCENT_OK));
    use_example(&env, TENCENT_URL, 1, &stub.url("/oauth2/token"));

    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_scope"),
        description: None,
        status: 400,
        exit_code: 3,
        words: &["(HTTP 400)", "invalid_scope"],
    };
    let scope = "identity_proofing admin";
    fails_both_ways(|| tencent(&env, &["--scope", scope]), &expected);

    for r in requests(&stub, 2) {
        assert_tencent_request(&r, scope, TENCENT_ID, TENCENT_SECRET);
    }
}

/// In the body the form decoding gives back exactly the secret.
#[test]
fn tencent_body_secret_that_needs_encoding_round_trips() {
    let env = Env::new();
    let stub = tencent_stub(AWKWARD_SECRET, Reply::json(200, TENCENT_OK));
    use_example(&env, TENCENT_URL, 1, &stub.url("/oauth2/token"));

    let mut cmd = tencent(&env, &[]);
    succeeded(
        cmd.env("TENCENT_CIAM_CLIENT_SECRET", AWKWARD_SECRET)
            .assert(),
    );

    let r = &requests(&stub, 1)[0];
    assert_tencent_request(r, "identity_proofing", TENCENT_ID, AWKWARD_SECRET);
    let encoded = format!("&client_secret={}", form_encoded(AWKWARD_SECRET));
    assert!(r.body_str().ends_with(&encoded), "{r:?}");
}
