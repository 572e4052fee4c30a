//! Strict stubs of the five providers whose token endpoints are documented in public, each as its
//! own documentation describes it (`examples/providers.toml` names the documents).
//!
//! Every test loads `examples/providers.toml`, points one profile at a loopback stub by replacing
//! the real URL literal, and runs `oauthctl` with that profile. Each stub reproduces its provider's
//! documented contract and answers anything else with the provider's own error, so a wrong wire
//! detail makes oauthctl fail; the tests then also assert on the recorded request.
//!
//! Layout: here the real URLs and the helpers every provider's tests share, and the example file's
//! own test; in each provider's file its constants and documented bodies, its stub, then its tests.

mod igni;
mod server_side;
mod tencent;
mod watson;

use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::support::common::Env;
use crate::support::server::{Recorded, StubServer};

const FORM: &str = "application/x-www-form-urlencoded";

/// A secret with every character that needs encoding somewhere: form syntax (`+ & = %`), base64
/// and URL syntax (`/ :`), a space, and `%41` which a double decode would turn into `A`.
const AWKWARD_SECRET: &str = "a+b/c=d&e%41:f g";

// ---------------------------------------------------------------------------------------------
// The real token URLs, as the example file holds them; each test replaces one with its stub's.
// 000 / 001: IBM Watson Work, app token and user token (one endpoint, both grants).
const WATSON_URL: &str = "https://api.watsonwork.ibm.com/oauth/token";
// 002: Tencent CIAM.
const TENCENT_URL: &str = "https://sample.portal.tencentciam.com/oauth2/token";
// 003: server-side apps (grant_type in the query string).
const SERVER_SIDE_URL: &str = "http://localhost:8381/oauth/token";
// 004: Igni (Laravel Passport).
const IGNI_URL: &str = "https://acme.igni.co/api/v1/oauth2/token";

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
