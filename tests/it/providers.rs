//! Strict stubs of the five providers whose token endpoints are documented in public, each as its
//! own documentation describes it (`examples/providers.toml` names the documents).
//!
//! Every test loads `examples/providers.toml`, points one profile at a loopback stub by replacing
//! the real URL literal, and runs `oauthctl` with that profile. Each stub reproduces its provider's
//! documented contract and answers anything else with the provider's own error, so a wrong wire
//! detail makes oauthctl fail; the tests then also assert on the recorded request.
//!
//! Layout: constants and documented bodies, one stub builder per provider, shared helpers, then
//! the tests grouped per provider.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const FORM: &str = "application/x-www-form-urlencoded";

/// A secret with every character that needs encoding somewhere: form syntax (`+ & = %`), base64
/// and URL syntax (`/ :`), a space, and `%41` which a double decode would turn into `A`.
const AWKWARD_SECRET: &str = "a+b/c=d&e%41:f g";

// ---------------------------------------------------------------------------------------------
// 000 / 001: IBM Watson Work, app token and user token (one endpoint, both grants).

const WATSON_URL: &str = "https://api.watsonwork.ibm.com/oauth/token";
const WATSON_APP_ID: &str = "your-watson-app-id";
const WATSON_SECRET: &str = "wS3cr3tOfTheWatsonApp";
const WATSON_REDIRECT_URI: &str = "https://myapp.example.com/oauth/callback";
const WATSON_APP_UUID: &str = "a4b5c6d7-1234-4e5f-9a8b-0c1d2e3f4a5b";
const WATSON_USER_UUID: &str = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

// ---------------------------------------------------------------------------------------------
// 002: Tencent CIAM.

const TENCENT_URL: &str = "https://sample.portal.tencentciam.com/oauth2/token";
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

// ---------------------------------------------------------------------------------------------
// 003: server-side apps (grant_type in the query string).

const SERVER_SIDE_URL: &str = "http://localhost:8381/oauth/token";
const SERVER_SIDE_ID: &str = "yourClientId";
const SERVER_SIDE_SECRET: &str = "yourClientSecret";

/// The documented sample, trailing comma included: the server really sends it.
const SERVER_SIDE_OK: &str = r#"{
  "access_token":"someAccessTokenValue",
  "token_type":"Bearer",
  "expires_in":3600,
  "refresh_token":"SomeRefreshTokenValue",
}"#;

// ---------------------------------------------------------------------------------------------
// 004: Igni (Laravel Passport).

const IGNI_URL: &str = "https://acme.igni.co/api/v1/oauth2/token";
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

// =============================================================================================
// Stubs: one builder per provider. Each validates everything its document specifies and answers
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
// Shared helpers.

/// The request body decoded as a form; `None` if it is not a well-formed one.
fn form_of(r: &Recorded) -> Option<Vec<(String, String)>> {
    form_pairs(std::str::from_utf8(&r.body).ok()?)
}

/// `application/x-www-form-urlencoded` text as pairs; `None` on a bad escape.
fn form_pairs(body: &str) -> Option<Vec<(String, String)>> {
    let pairs = body.split('&').filter(|pair| !pair.is_empty());
    let pairs = pairs.map(|pair| pair.split_once('=').unwrap_or((pair, "")));
    pairs
        .map(|(k, v)| Some((form_decoded(k)?, form_decoded(v)?)))
        .collect()
}

/// The first value of `key` in a decoded form.
fn field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    let (_, value) = form.iter().find(|(name, _)| name == key)?;
    Some(value)
}

/// `application/x-www-form-urlencoded` decoding of one component; `None` on a bad escape.
fn form_decoded(text: &str) -> Option<String> {
    let hex = |b: Option<&u8>| char::from(*b?).to_digit(16);
    let (mut out, bytes) = (Vec::new(), text.as_bytes());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push((hex(bytes.get(i + 1))? * 16 + hex(bytes.get(i + 2))?) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `application/x-www-form-urlencoded` encoding of one component (space as `+`).
fn form_encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `Authorization: Basic` split at the first ':', not decoded further; `None` when absent or not
/// well-formed (a stub must answer, never panic, on a malformed header).
fn basic(r: &Recorded) -> Option<(String, String)> {
    if r.header_count("authorization") != 1 {
        return None;
    }
    let (scheme, token) = r.header("authorization")?.split_once(' ')?;
    let bytes = STANDARD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, secret) = text.split_once(':')?;
    scheme
        .eq_ignore_ascii_case("basic")
        .then(|| (id.to_owned(), secret.to_owned()))
}

/// A JWT with base64url JSON segments and a dummy signature, like a provider's access token.
fn jwt(claims: &Value) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": "stub-key-1" });
    let segment = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let signature = URL_SAFE_NO_PAD.encode(b"not a real RS256 signature");
    format!("{}.{}.{signature}", segment(&header), segment(claims))
}

fn now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.expect("clock after 1970").as_secs() as i64
}

/// `examples/providers.toml` with every `real_url` literal (exactly `count` of them) replaced by
/// the stub's URL, written as the test's config.
fn use_example(env: &Env, real_url: &str, count: usize, stub_url: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/providers.toml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let literal = format!("token_url = \"{real_url}\"");
    assert_eq!(text.matches(&literal).count(), count, "{literal} in {path}");
    let config = text.replace(&literal, &format!("token_url = \"{stub_url}\""));
    assert!(!config.contains(real_url), "{real_url} still in the config");
    env.write_config(&config);
}

/// A successful run: exit 0, nothing on stderr. Returns stdout.
fn succeeded(assert: Assert) -> String {
    let output = assert.get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "", "a successful run prints nothing on stderr");
    stdout
}

/// A failed run in text mode: exit `code`, empty stdout, exactly one `oauthctl: error:` line on
/// stderr containing every one of `words`. Returns that line.
fn failed(assert: Assert, code: i32, words: &[&str]) -> String {
    let output = assert.get_output().clone();
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(output.stdout, b"", "stdout must be empty on failure");
    assert!(stderr.starts_with("oauthctl: error: "), "{stderr}");
    assert!(
        stderr.ends_with('\n') && stderr.lines().count() == 1,
        "{stderr:?}"
    );
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in {stderr:?}");
    }
    stderr
}

/// What `-o json` must put on stderr for a failure.
struct JsonError<'a> {
    kind: &'a str,
    code: Option<&'a str>,
    /// `None` when the server sent no description of its own.
    description: Option<&'a str>,
    status: u16,
    exit_code: i32,
    /// Words the `message` must contain.
    words: &'a [&'a str],
}

/// A failed run with `-o json`: empty stdout, stderr exactly one JSON object whose `error` fields
/// match `expected`.
fn failed_json(assert: Assert, expected: &JsonError<'_>) -> Value {
    let output = assert.get_output().clone();
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    assert_eq!(output.status.code(), Some(expected.exit_code), "{stderr}");
    assert_eq!(output.stdout, b"", "stdout must be empty on failure");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one JSON object: {stderr}"
    );
    let value: Value = serde_json::from_str(&stderr).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let error = &value["error"];
    assert_eq!(value.as_object().map(Map::len), Some(1), "{value}");
    assert_eq!(error["kind"], expected.kind, "{value}");
    assert_eq!(error["code"], json!(expected.code), "{value}");
    match expected.description {
        Some(description) => assert_eq!(error["description"], description, "{value}"),
        // The server sent no description: a refusal's stays null (DESIGN §4: the server's words
        // only); any other error is described by oauthctl's own message.
        None if expected.kind == "refused" => assert!(error["description"].is_null(), "{value}"),
        None => assert_eq!(error["description"], error["message"], "{value}"),
    }
    assert_eq!(error["status"], expected.status, "{value}");
    assert_eq!(error["exit_code"], expected.exit_code, "{value}");
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{value}"));
    for word in expected.words {
        assert!(message.contains(word), "{word:?} not in {value}");
    }
    value
}

/// Runs `make()` twice, in text and in JSON mode, and checks both renderings of one failure.
fn fails_both_ways(make: impl Fn() -> Command, expected: &JsonError<'_>) {
    failed(make().assert(), expected.exit_code, expected.words);
    failed_json(make().args(["-o", "json"]).assert(), expected);
}

/// The provider's documented success, rendered in each of the five output formats: `run(format)`
/// makes one request with `-o format`. `expected` is the response body as JSON.
fn assert_every_format(expected: &Value, mut run: impl FnMut(&str) -> Assert) {
    let fields = expected.as_object().expect("a JSON object");
    let token = fields["access_token"].as_str().expect("access_token");
    let token_type = fields["token_type"].as_str().expect("token_type");
    let expires_in = fields["expires_in"].as_i64().expect("expires_in");
    let timed = |run: &mut dyn FnMut(&str) -> Assert, format: &str| {
        let before = now();
        let stdout = succeeded(run(format));
        (stdout, before + expires_in..=now() + expires_in)
    };

    assert_eq!(succeeded(run("text")), format!("{token}\n"), "-o text");

    let (stdout, window) = timed(&mut run, "json");
    let mut json: Map<String, Value> = serde_json::from_str(&stdout).expect("-o json is JSON");
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.extend(["expires_at", "cached"]);
    assert!(
        json.keys().map(String::as_str).eq(keys),
        "key order: {stdout}"
    );
    let expires_at = json.remove("expires_at").and_then(|v| v.as_i64());
    assert!(window.contains(&expires_at.unwrap_or(0)), "{stdout}");
    assert_eq!(json.remove("cached"), Some(Value::Bool(false)), "{stdout}");
    assert_eq!(
        &json, fields,
        "-o json keeps every field as the provider sent it"
    );

    let header = succeeded(run("header"));
    assert_eq!(
        header,
        format!("Authorization: Bearer {token}\n"),
        "-o header"
    );

    let (stdout, window) = timed(&mut run, "env");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        stdout.ends_with('\n') && lines.len() == 3,
        "-o env: {stdout}"
    );
    assert_eq!(lines[0], format!("export OAUTHCTL_ACCESS_TOKEN='{token}'"));
    // SECURITY 25: any case of Bearer is printed as Bearer.
    let shown = if token_type.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else {
        token_type
    };
    assert_eq!(lines[1], format!("export OAUTHCTL_TOKEN_TYPE='{shown}'"));
    let at = lines[2].strip_prefix("export OAUTHCTL_EXPIRES_AT=");
    let at = at.and_then(|n| n.parse::<i64>().ok());
    assert!(window.contains(&at.unwrap_or(0)), "-o env: {stdout}");

    let (stdout, window) = timed(&mut run, "exec-credential");
    let credential: Value = serde_json::from_str(&stdout).expect("-o exec-credential is JSON");
    let expiry = credential["status"]["expirationTimestamp"].as_str();
    let expiry = expiry.and_then(unix_from_rfc3339);
    assert!(window.contains(&expiry.unwrap_or(0)), "{stdout}");
    let expected = json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {
            "token": token,
            "expirationTimestamp": credential["status"]["expirationTimestamp"],
        },
    });
    assert_eq!(credential, expected, "-o exec-credential");
}

/// `2024-02-29T12:00:00Z` as Unix seconds (Howard Hinnant's days-from-civil).
fn unix_from_rfc3339(text: &str) -> Option<i64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let num = |s: &str| s.parse::<i64>().ok();
    let date: Vec<i64> = date.split('-').map(num).collect::<Option<_>>()?;
    let time: Vec<i64> = time.split(':').map(num).collect::<Option<_>>()?;
    let [y, m, d] = <[i64; 3]>::try_from(date).ok()?;
    let [hh, mm, ss] = <[i64; 3]>::try_from(time).ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The recorded requests, asserting there were exactly `n`.
fn requests(stub: &StubServer, n: usize) -> Vec<Recorded> {
    let requests = stub.requests();
    assert_eq!(requests.len(), n, "{requests:#?}");
    requests
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let owned = list.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    owned.collect()
}

/// What every request oauthctl sends must carry, whatever the provider.
fn assert_common_headers(r: &Recorded) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.header_count("accept"), 1, "{r:?}");
    assert_eq!(r.header("accept"), Some("application/json"), "{r:?}");
}

/// A request sent with the credentials in the form body: no Authorization header at all.
fn assert_body_credentials(r: &Recorded, id: &str, secret: &str) {
    assert_eq!(r.header_count("authorization"), 0, "{r:?}");
    assert_eq!(r.form_value("client_id").as_deref(), Some(id));
    assert_eq!(r.form_value("client_secret").as_deref(), Some(secret));
}

// =============================================================================================
// The example file itself.

#[test]
fn example_file_loads_with_a_profile_per_provider_at_its_real_url() {
    let env = Env::new();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/providers.toml");
    let cmd = env
        .cmd()
        .args(["-c", path, "-o", "json", "profiles", "list"])
        .assert();
    let list: Value = serde_json::from_str(&succeeded(cmd)).expect("JSON list");
    let expected = json!([
        { "name": "igni", "default": false, "endpoint": IGNI_URL },
        { "name": "server-side", "default": false, "endpoint": SERVER_SIDE_URL },
        { "name": "tencent", "default": false, "endpoint": TENCENT_URL },
        { "name": "watson-app", "default": false, "endpoint": WATSON_URL },
        { "name": "watson-user", "default": false, "endpoint": WATSON_URL },
    ]);
    assert_eq!(list, expected);
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
