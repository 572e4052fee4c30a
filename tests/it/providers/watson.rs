//! IBM Watson Work, app token and user token: one endpoint for client_credentials and the
//! authorization code, the app id and secret only in `Authorization: Basic`.

use std::collections::BTreeSet;
use std::sync::Mutex;

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::*;
use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const WATSON_APP_ID: &str = "your-watson-app-id";

const WATSON_SECRET: &str = "wS3cr3tOfTheWatsonApp";

const WATSON_REDIRECT_URI: &str = "https://myapp.example.com/oauth/callback";

const WATSON_APP_UUID: &str = "a4b5c6d7-1234-4e5f-9a8b-0c1d2e3f4a5b";

const WATSON_USER_UUID: &str = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

// =============================================================================================
// The stub. Like every provider's, it validates everything its document specifies and answers
// `ok` only to a request that passes; anything else gets the provider's own error reply.

/// Watson Work ("Authenticate as an app", "Get User Access Token"): `POST /oauth/token`, form
/// body, app id and secret only in `Authorization: Basic`, form-decoded as RFC 6749 §2.3.1 says.
/// `codes` are the authorization codes it issued, each redeemable once with exactly
/// `WATSON_REDIRECT_URI`. Errors have Watson's documented shape (see `watson_error`).
fn watson_stub(client_id: &str, secret: &str, codes: &[&str], ok: Reply) -> StubServer {
    let expected = (Some(client_id.to_owned()), Some(secret.to_owned()));
    let codes = Mutex::new(codes.iter().map(|c| c.to_string()).collect::<BTreeSet<_>>());
    StubServer::start(move |r: &Recorded| {
        let improper = |message| watson_error(400, "invalid_request", IMPROPER, message);
        if r.method != "POST" || r.path != "/oauth/token" {
            return watson_error(404, "not_found", "No handler found", "Not Found");
        }
        let Some(form) = form_of(r) else {
            return improper("Malformed form body");
        };
        // Spring's client authentication filter runs before the endpoint: credentials first.
        let in_body = ["client_id", "client_secret"].map(|k| field(&form, k).is_some());
        let Some((id, pass)) = basic(r).filter(|_| in_body == [false, false]) else {
            let full = "Full authentication is required to access this resource";
            return watson_error(401, "unauthorized", full, "Unauthorized");
        };
        if (form_decoded(&id), form_decoded(&pass)) != expected {
            let bad = "Bad client credentials";
            return watson_error(401, "invalid_client", bad, bad);
        }
        if r.query.is_some() {
            return improper("Unexpected query string");
        }
        if r.header("content-type") != Some(FORM) {
            return improper("Content-Type must be application/x-www-form-urlencoded");
        }
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        match field(&form, "grant_type") {
            None => improper("Missing grant type"),
            Some("client_credentials") if keys == ["grant_type"] => ok.clone(),
            Some("authorization_code") if keys == ["grant_type", "code", "redirect_uri"] => {
                let mut issued = codes.lock().unwrap();
                let code = field(&form, "code").unwrap_or_default();
                if !issued.contains(code) {
                    let why = "Invalid authorization code";
                    return watson_error(400, "invalid_grant", why, why);
                }
                if field(&form, "redirect_uri") != Some(WATSON_REDIRECT_URI) {
                    let why = "Redirect URI mismatch.";
                    return watson_error(400, "invalid_grant", why, why);
                }
                issued.remove(code);
                ok.clone()
            }
            Some(_) => improper("Unexpected parameters"),
        }
    })
}

const IMPROPER: &str = "Improperly formed authentication body";

/// Watson's documented Error entity: `error`, `error_description`, `message`, `path`, `status`
/// (a string) and `timestamp` (yyyy-MM-dd'T'HH:mm:ss.SSSZ).
fn watson_error(status: u16, error: &str, description: &str, message: &str) -> Reply {
    let body = json!({
        "error": error,
        "error_description": description,
        "message": message,
        "path": "/oauth/token",
        "status": status.to_string(),
        "timestamp": "2017-05-15T14:16:54.128+0000",
    });
    Reply::json(status, &body.to_string())
}

// =============================================================================================
// 000: Watson Work app token (client_credentials, Basic).

/// The documented TokenResponse: lowercase `bearer`, `id`, `jti`, `expires_in`, `scope`, and a
/// JWT access token.
fn watson_app_token() -> Value {
    let iat = now();
    let jti = "5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let claims = json!({
        "iss": "https://api.watsonwork.ibm.com",
        "sub": WATSON_APP_UUID,
        "type": "app",
        "scope": ["ibm"],
        "jti": jti,
        "iat": iat,
        "exp": iat + 43_199,
    });
    json!({
        "access_token": jwt(&claims),
        "token_type": "bearer",
        "expires_in": 43_199,
        "scope": "ibm",
        "id": WATSON_APP_UUID,
        "jti": jti,
    })
}

fn watson_app(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.env("WATSON_APP_SECRET", WATSON_SECRET);
    cmd.args(["-p", "watson-app", "fetch"]);
    cmd.args(extra);
    cmd
}

/// The one documented request: Basic credentials, `grant_type=client_credentials` and nothing
/// else in a form body, no query, no secret in the body.
fn assert_watson_app_request(r: &Recorded) {
    assert_common_headers(r);
    assert_eq!(r.target, "/oauth/token");
    assert_eq!(r.header("content-type"), Some(FORM));
    assert_eq!(r.body_str(), "grant_type=client_credentials");
    let credentials = (WATSON_APP_ID.to_owned(), WATSON_SECRET.to_owned());
    assert_eq!(r.basic_credentials(), Some(credentials));
    let header = format!(
        "Basic {}",
        STANDARD.encode(format!("{WATSON_APP_ID}:{WATSON_SECRET}"))
    );
    assert_eq!(r.header("authorization"), Some(header.as_str()));
}

#[test]
fn watson_app_token_in_every_output_format() {
    let env = Env::new();
    let token = watson_app_token();
    let stub = watson_stub(
        WATSON_APP_ID,
        WATSON_SECRET,
        &[],
        Reply::json(200, &token.to_string()),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    assert_every_format(&token, |format| {
        watson_app(&env, &["--no-cache", "-o", format]).assert()
    });

    requests(&stub, 5)
        .iter()
        .for_each(assert_watson_app_request);
    // The access token is a real JWT: oauthctl decodes the claims the test put in it.
    let access_token = token["access_token"].as_str().unwrap_or_default();
    let mut inspect = env.cmd();
    inspect
        .args(["-o", "json", "inspect", "-"])
        .write_stdin(access_token);
    let inspected = succeeded(inspect.assert());
    let inspected: Value = serde_json::from_str(&inspected).expect("inspect -o json");
    assert_eq!(inspected["claims"]["sub"], WATSON_APP_UUID, "{inspected}");
}

#[test]
fn watson_app_wrong_secret_is_invalid_client_in_watsons_words() {
    let env = Env::new();
    let stub = watson_stub(
        WATSON_APP_ID,
        "the-real-secret",
        &[],
        Reply::json(200, "{}"),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_client"),
        description: Some("Bad client credentials"),
        status: 401,
        exit_code: 3,
        words: &["(HTTP 401)", "invalid_client", "Bad client credentials"],
    };
    fails_both_ways(|| watson_app(&env, &[]), &expected);

    requests(&stub, 2)
        .iter()
        .for_each(assert_watson_app_request);
}

/// Strictness, credential placement: `--auth-method post` moves the secret into the body, and
/// Watson answers 401 with its own error shape.
#[test]
fn watson_app_refuses_credentials_in_the_body() {
    let env = Env::new();
    let stub = watson_stub(WATSON_APP_ID, WATSON_SECRET, &[], Reply::json(200, "{}"));
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let full = "Full authentication is required to access this resource";
    let expected = JsonError {
        kind: "refused",
        code: Some("unauthorized"),
        description: Some(full),
        status: 401,
        exit_code: 3,
        words: &["(HTTP 401)", "unauthorized", full, "Unauthorized"],
    };
    fails_both_ways(|| watson_app(&env, &["--auth-method", "post"]), &expected);

    for r in requests(&stub, 2) {
        assert_body_credentials(&r, WATSON_APP_ID, WATSON_SECRET);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", WATSON_APP_ID),
            ("client_secret", WATSON_SECRET),
        ];
        assert_eq!(r.form(), pairs(&form));
    }
}

/// Strictness, grant parameter placement: Watson documents them in the form body.
#[test]
fn watson_app_refuses_grant_type_in_the_query() {
    let env = Env::new();
    let stub = watson_stub(WATSON_APP_ID, WATSON_SECRET, &[], Reply::json(200, "{}"));
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_request"),
        description: Some(IMPROPER),
        status: 400,
        exit_code: 3,
        words: &[
            "(HTTP 400)",
            "invalid_request",
            IMPROPER,
            "Unexpected query string",
        ],
    };
    fails_both_ways(|| watson_app(&env, &["--grant-params", "query"]), &expected);

    for r in requests(&stub, 2) {
        assert_eq!(r.target, "/oauth/token?grant_type=client_credentials");
        assert!(r.body.is_empty(), "{r:?}");
    }
}

#[test]
fn watson_app_server_error_exits_4_with_watsons_words() {
    let env = Env::new();
    let why = "Internal server error";
    let stub = watson_stub(
        WATSON_APP_ID,
        WATSON_SECRET,
        &[],
        watson_error(500, "server_error", why, why),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let expected = JsonError {
        kind: "unreachable",
        code: None,
        description: None,
        status: 500,
        exit_code: 4,
        words: &[
            "(HTTP 500)",
            "server_error",
            why,
            "(gave up after 4 attempts)",
        ],
    };
    // A 500 is retried (DESIGN §6): the default 3 retries, without waiting in between.
    let no_wait = || {
        let mut cmd = watson_app(&env, &[]);
        cmd.env("OAUTHCTL_RETRY_MAX_SECS", "0");
        cmd
    };
    fails_both_ways(no_wait, &expected);

    requests(&stub, 8)
        .iter()
        .for_each(assert_watson_app_request);
}

/// RFC 6749 §2.3.1 with the default `basic_encoding = "form"`: id and secret are form-urlencoded
/// before base64, and the stub form-decodes them to compare.
#[test]
fn watson_app_basic_form_encodes_a_secret_that_needs_it() {
    let env = Env::new();
    let token = watson_app_token();
    let stub = watson_stub(
        WATSON_APP_ID,
        AWKWARD_SECRET,
        &[],
        Reply::json(200, &token.to_string()),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let mut cmd = watson_app(&env, &[]);
    let stdout = succeeded(cmd.env("WATSON_APP_SECRET", AWKWARD_SECRET).assert());

    assert_eq!(
        stdout,
        format!("{}\n", token["access_token"].as_str().unwrap())
    );
    let r = &requests(&stub, 1)[0];
    let (id, secret) = r.basic_credentials().expect("Basic credentials");
    assert_eq!(secret, "a%2Bb%2Fc%3Dd%26e%2541%3Af+g");
    assert_eq!(secret, form_encoded(AWKWARD_SECRET));
    assert_eq!(form_decoded(&id).as_deref(), Some(WATSON_APP_ID));
    assert_eq!(form_decoded(&secret).as_deref(), Some(AWKWARD_SECRET));
    assert_eq!(
        r.body_str(),
        "grant_type=client_credentials",
        "the secret stays out of the body"
    );
}

/// The RFC 6749 §2.3.1 vector (AppAuth-Android#337), end to end.
#[test]
fn watson_app_basic_header_matches_the_rfc_6749_vector() {
    let (id, secret) = (
        "1PpG/Q 1",
        "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=",
    );
    let env = Env::new();
    let token = watson_app_token();
    let stub = watson_stub(id, secret, &[], Reply::json(200, &token.to_string()));
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let mut cmd = watson_app(&env, &[]);
    cmd.env("WATSON_APP_SECRET", secret)
        .args(["--client-id", id]);
    succeeded(cmd.assert());

    let r = &requests(&stub, 1)[0];
    let header = "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA==";
    assert_eq!(r.header("authorization"), Some(header));
    assert_eq!(r.body_str(), "grant_type=client_credentials");
    assert!(
        !r.body_str().contains("tZ9VwFZqApmIQ"),
        "the secret is not in the body"
    );
}

/// Raw Basic credentials of a secret that needs encoding do not form-decode to the secret, so a
/// server that follows RFC 6749 §2.3.1 refuses them.
#[test]
fn watson_app_refuses_raw_basic_of_a_secret_that_needs_encoding() {
    let env = Env::new();
    let stub = watson_stub(WATSON_APP_ID, AWKWARD_SECRET, &[], Reply::json(200, "{}"));
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let mut cmd = watson_app(&env, &[]);
    cmd.env("WATSON_APP_SECRET", AWKWARD_SECRET)
        .args(["--basic-encoding", "raw"]);
    failed(
        cmd.assert(),
        3,
        &["(HTTP 401)", "invalid_client", "Bad client credentials"],
    );

    let r = &requests(&stub, 1)[0];
    let raw = (WATSON_APP_ID.to_owned(), AWKWARD_SECRET.to_owned());
    assert_eq!(r.basic_credentials(), Some(raw));
}

// =============================================================================================
// 001: Watson Work user token (authorization_code, Basic, exact redirect_uri).

/// The documented TokenResponse of the code grant, with a `refresh_token`.
fn watson_user_token() -> Value {
    let iat = now();
    let claims = json!({
        "iss": "https://api.watsonwork.ibm.com",
        "sub": WATSON_USER_UUID,
        "type": "user",
        "client_id": WATSON_APP_ID,
        "scope": ["ibm", "openid"],
        "iat": iat,
        "exp": iat + 43_199,
    });
    json!({
        "access_token": jwt(&claims),
        "token_type": "bearer",
        "refresh_token": "d0c4f1e2-refresh-7a8b-9c0d-e1f2a3b4c5d6",
        "expires_in": 43_199,
        "scope": "ibm openid",
    })
}

fn watson_user(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.env("WATSON_APP_SECRET", WATSON_SECRET);
    cmd.args(["-p", "watson-user", "exchange-code"]);
    cmd.args(extra);
    cmd
}

fn assert_watson_user_request(r: &Recorded, code: &str, redirect_uri: &str) {
    assert_common_headers(r);
    assert_eq!(r.target, "/oauth/token");
    assert_eq!(r.header("content-type"), Some(FORM));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    assert_eq!(r.form(), pairs(&form));
    let credentials = (WATSON_APP_ID.to_owned(), WATSON_SECRET.to_owned());
    assert_eq!(r.basic_credentials(), Some(credentials));
    assert!(!r.body_str().contains(WATSON_SECRET), "{r:?}");
}

#[test]
fn watson_user_code_exchange_in_every_output_format() {
    let env = Env::new();
    let token = watson_user_token();
    let codes = [
        "code-text",
        "code-json",
        "code-header",
        "code-env",
        "code-exec-credential",
    ];
    let stub = watson_stub(
        WATSON_APP_ID,
        WATSON_SECRET,
        &codes,
        Reply::json(200, &token.to_string()),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    // The redirect_uri comes from the profile in examples/providers.toml.
    assert_every_format(&token, |format| {
        let code = format!("code-{format}");
        watson_user(&env, &[code.as_str(), "-o", format]).assert()
    });

    for (r, code) in requests(&stub, 5).iter().zip(codes) {
        assert_watson_user_request(r, code, WATSON_REDIRECT_URI);
    }
}

#[test]
fn watson_user_code_from_stdin_with_an_explicit_redirect_uri() {
    let env = Env::new();
    let token = watson_user_token();
    let stub = watson_stub(
        WATSON_APP_ID,
        WATSON_SECRET,
        &["piped-code"],
        Reply::json(200, &token.to_string()),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let mut cmd = watson_user(&env, &[]);
    cmd.args(["-", "--redirect-uri", WATSON_REDIRECT_URI, "-o", "json"]);
    let stdout = succeeded(cmd.write_stdin("piped-code\n").assert());

    let json: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["refresh_token"], token["refresh_token"]);
    assert_eq!(json["access_token"], token["access_token"]);
    assert_watson_user_request(&requests(&stub, 1)[0], "piped-code", WATSON_REDIRECT_URI);
}

#[test]
fn watson_user_wrong_redirect_uri_is_invalid_grant() {
    let env = Env::new();
    let stub = watson_stub(
        WATSON_APP_ID,
        WATSON_SECRET,
        &["the-code"],
        Reply::json(200, "{}"),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));
    let wrong = "https://myapp.example.com/oauth/callback/";

    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_grant"),
        description: Some("Redirect URI mismatch."),
        status: 400,
        exit_code: 3,
        words: &["(HTTP 400)", "invalid_grant", "Redirect URI mismatch."],
    };
    fails_both_ways(
        || watson_user(&env, &["the-code", "--redirect-uri", wrong]),
        &expected,
    );

    for r in requests(&stub, 2) {
        assert_watson_user_request(&r, "the-code", wrong);
    }
}

#[test]
fn watson_user_reused_code_is_invalid_grant() {
    let env = Env::new();
    let token = watson_user_token();
    let stub = watson_stub(
        WATSON_APP_ID,
        WATSON_SECRET,
        &["once"],
        Reply::json(200, &token.to_string()),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    succeeded(watson_user(&env, &["once"]).assert());
    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_grant"),
        description: Some("Invalid authorization code"),
        status: 400,
        exit_code: 3,
        words: &["(HTTP 400)", "invalid_grant", "Invalid authorization code"],
    };
    fails_both_ways(|| watson_user(&env, &["once"]), &expected);

    for r in requests(&stub, 3) {
        assert_watson_user_request(&r, "once", WATSON_REDIRECT_URI);
    }
}

#[test]
fn watson_user_refuses_credentials_in_the_body() {
    let env = Env::new();
    let stub = watson_stub(
        WATSON_APP_ID,
        WATSON_SECRET,
        &["the-code"],
        Reply::json(200, "{}"),
    );
    use_example(&env, WATSON_URL, 2, &stub.url("/oauth/token"));

    let mut cmd = watson_user(&env, &[]);
    cmd.args(["the-code", "--auth-method", "post"]);
    let full = "Full authentication is required to access this resource";
    failed(cmd.assert(), 3, &["(HTTP 401)", "unauthorized", full]);

    let r = &requests(&stub, 1)[0];
    assert_body_credentials(r, WATSON_APP_ID, WATSON_SECRET);
}
