//! Igni (Laravel Passport): client_credentials with the credentials in the form body, and
//! `Accept: application/json` required.

use assert_cmd::Command;
use serde_json::Value;

use super::*;
use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const IGNI_ID: &str = "your-igni-client-id";

const IGNI_SECRET: &str = "igniClientSecret0123";

/// The documented 200 example, byte for byte.
const IGNI_OK: &str = r#"{
    "token_type": "Bearer",
    "expires_in": 172800,
    "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciiIsImp0aSI6IjVhODFiMjgyZjY5NzRkOGQ2YWU0N2UxZGI4ZWFiMTUyNWRjMmQ0YjlkYWNlNjM3YTczZTdmMTUwZjU1MDYyMjEyNjk4YmM0MTMyYWIwYWM3In0.eyJhdWQiOiIxIiwianRpIjoiNWE4MWIyODJmNjk3NGQ4ZDZhZTQ3ZTFkYjhlYWIxNTI1ZGMyZDRiOWRhY2U2MzdhNzNlN2YxNTBmNTUwNjIyMTI2OThiYzQxMzJhYjBhYzciLCJpYXQiOjE1NDE3NzAyNTgsIm5iZiI6MTU0MTc3MDI1OCwiZXhwIjoxNTQxOTQzMDU4LCJzdWIiOiIiLCJzY29wZXMiOltdfQ.YkXTWC-3DBXOKbi9AppkXcC8OAUxHYsRvw7XZFdBDqBcwVXD-J0yHe8jwE5amp2qfTNkFVV_f-0_H2b6rxDJDH_oWR7pRiaF1BjqPpegEdAUDPNMH_WVokFmRwBfOwiDB8HV6FCvFMtcFRmP737a8jfFmmawrBvC1_d3xUK-eIulVLLmjoTiJjFY4U1lswsskJtZtPgx1LZb2Re2YGdwpv3117SgMzfp-27rq6X95kmDpqWIm7f6Y1bmL19ujUhQVygCH-Yk6vPT8aG-o67XV6YA__CfB1AeiJGCI8SQH3D1SvdQJG_8BDBOZT4WaEMNOJ__mz1IGffsAffE3vPUuiaQxhdlA"
}"#;

/// The documented 401 example, byte for byte (Igni's documentation indents it like this).
const IGNI_401: &str = r#"{
    "error": "invalid_client",
    "message": "Client authentication failed"
}"#;

/// Igni, a Laravel Passport server: `POST /api/v1/oauth2/token`, form body with
/// `grant_type`, `client_id`, `client_secret`, and `Accept: application/json` required.
///
/// Without that Accept header Laravel does not treat the request as an API call
/// (`Request::expectsJson()` is false), so its exception handler renders errors as its HTML error
/// page instead of JSON. The stub models the documented requirement that way: anything but
/// `Accept: application/json` gets 406 Not Acceptable as Laravel's HTML error page.
///
/// league/oauth2-server would also take a Basic header, but the document names only the body,
/// and the stub holds oauthctl to the document: a Basic header gets the documented 401.
fn igni_stub(secret: &str, ok: Reply) -> StubServer {
    let secret = secret.to_owned();
    StubServer::start(move |r: &Recorded| {
        let json = |status, body: &str| Reply::new(status, "application/json; charset=UTF-8", body);
        if r.header_count("accept") != 1 || r.header("accept") != Some("application/json") {
            return Reply::new(406, "text/html; charset=UTF-8", LARAVEL_406);
        }
        if r.method != "POST" || r.path != "/api/v1/oauth2/token" || r.query.is_some() {
            return json(404, r#"{"message":"Not Found."}"#);
        }
        let form = form_of(r).filter(|_| r.header("content-type") == Some(FORM));
        let Some(form) = form else {
            return json(400, IGNI_UNSUPPORTED_GRANT);
        };
        let field = |k: &str| field(&form, k);
        if field("grant_type") != Some("client_credentials") {
            return json(400, IGNI_UNSUPPORTED_GRANT);
        }
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        let credentials = field("client_id") == Some(IGNI_ID)
            && field("client_secret") == Some(secret.as_str())
            && keys == ["grant_type", "client_id", "client_secret"];
        if !credentials || r.header_count("authorization") != 0 {
            return json(401, IGNI_401);
        }
        ok.clone()
    })
}

/// league/oauth2-server's error for a missing or unknown grant_type.
const IGNI_UNSUPPORTED_GRANT: &str = r#"{"error":"unsupported_grant_type","error_description":"The authorization grant type is not supported by the authorization server.","hint":"Check that all required parameters have been provided","message":"The authorization grant type is not supported by the authorization server."}"#;

/// Laravel's minimal HTML error page, as rendered for a client that did not ask for JSON.
const LARAVEL_406: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>Not Acceptable</title>\n</head>\n<body>\n<div class=\"code\">406</div>\n\
<div class=\"message\">Not Acceptable</div>\n</body>\n</html>\n";

// =============================================================================================
// 004: Igni (credentials in the body, Accept: application/json required).

fn igni(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.env("IGNI_CLIENT_SECRET", IGNI_SECRET);
    cmd.args(["-p", "igni", "fetch"]);
    cmd.args(extra);
    cmd
}

fn assert_igni_request(r: &Recorded, secret: &str) {
    assert_common_headers(r);
    assert_eq!(r.target, "/api/v1/oauth2/token");
    assert_eq!(r.header("content-type"), Some(FORM));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", IGNI_ID),
        ("client_secret", secret),
    ];
    assert_eq!(r.form(), pairs(&form));
    assert_body_credentials(r, IGNI_ID, secret);
}

fn igni_ok() -> Reply {
    Reply::new(200, "application/json; charset=UTF-8", IGNI_OK)
}

#[test]
fn igni_token_in_every_output_format() {
    let env = Env::new();
    let stub = igni_stub(IGNI_SECRET, igni_ok());
    use_example(&env, IGNI_URL, 1, &stub.url("/api/v1/oauth2/token"));
    let expected: Value = serde_json::from_str(IGNI_OK).expect("documented JSON");

    assert_every_format(&expected, |format| {
        igni(&env, &["--no-cache", "-o", format]).assert()
    });

    for r in requests(&stub, 5) {
        assert_igni_request(&r, IGNI_SECRET);
    }
}

#[test]
fn igni_wrong_secret_is_client_authentication_failed() {
    let env = Env::new();
    let stub = igni_stub("the-real-secret", igni_ok());
    use_example(&env, IGNI_URL, 1, &stub.url("/api/v1/oauth2/token"));

    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_client"),
        description: Some("Client authentication failed"),
        status: 401,
        exit_code: 3,
        words: &[
            "(HTTP 401)",
            "invalid_client",
            "Client authentication failed",
        ],
    };
    fails_both_ways(|| igni(&env, &[]), &expected);

    for r in requests(&stub, 2) {
        assert_igni_request(&r, IGNI_SECRET);
    }
}

/// Strictness, required header: `--header 'Accept: */*'` overrides the profile's Accept and the
/// server answers with its HTML error page.
#[test]
fn igni_requires_accept_application_json() {
    let env = Env::new();
    let stub = igni_stub(IGNI_SECRET, igni_ok());
    use_example(&env, IGNI_URL, 1, &stub.url("/api/v1/oauth2/token"));

    let expected = JsonError {
        kind: "refused",
        code: None,
        description: None,
        status: 406,
        exit_code: 3,
        words: &["(HTTP 406)", "Not Acceptable", "text/html"],
    };
    fails_both_ways(|| igni(&env, &["--header", "Accept: */*"]), &expected);

    for r in requests(&stub, 2) {
        assert_eq!(r.header_count("accept"), 1, "{r:?}");
        assert_eq!(r.header("accept"), Some("*/*"));
    }
}

/// Strictness, credential placement: the documented placement is the body.
#[test]
fn igni_refuses_a_basic_header() {
    let env = Env::new();
    let stub = igni_stub(IGNI_SECRET, igni_ok());
    use_example(&env, IGNI_URL, 1, &stub.url("/api/v1/oauth2/token"));

    let mut cmd = igni(&env, &[]);
    cmd.args(["--auth-method", "basic"]);
    failed(
        cmd.assert(),
        3,
        &[
            "(HTTP 401)",
            "invalid_client",
            "Client authentication failed",
        ],
    );

    let r = &requests(&stub, 1)[0];
    assert_eq!(r.form(), pairs(&[("grant_type", "client_credentials")]));
    assert!(r.basic_credentials().is_some(), "{r:?}");
}

#[test]
fn igni_body_secret_that_needs_encoding_round_trips() {
    let env = Env::new();
    let stub = igni_stub(AWKWARD_SECRET, igni_ok());
    use_example(&env, IGNI_URL, 1, &stub.url("/api/v1/oauth2/token"));

    let mut cmd = igni(&env, &[]);
    succeeded(cmd.env("IGNI_CLIENT_SECRET", AWKWARD_SECRET).assert());

    let r = &requests(&stub, 1)[0];
    assert_igni_request(r, AWKWARD_SECRET);
    assert_eq!(
        r.form_value("client_secret").as_deref(),
        Some(AWKWARD_SECRET)
    );
}
