//! `oauth::parse_token_response` on any answer a token endpoint could give, `oauth::expires_in` on
//! any JSON value, and the rendering of whatever token is accepted.
//!
//! Input layout (so that seeds can be written by hand):
//!
//! ```text
//! STATUS (2 bytes, big-endian) CONTROL (1 byte) CONTENT-TYPE \n LOCATION \n BODY…
//! ```
//!
//! CONTROL's low 3 bits choose the clock (`NOWS`), the rest the number of attempts; an empty
//! CONTENT-TYPE or LOCATION line means the header is absent.
//!
//! Invariants: an accepted token came with a 2xx status, is non-empty and made only of VSCHAR
//! (RFC 6749 App. A.12, which RFC 6750's b64token is a subset of), and is the response's own
//! `access_token`; `expires_at` is `now + expires_in` when `expires_in` is valid, else the JWT's
//! `exp` when that is from now to ten years ahead; every output format renders that token exactly
//! (a shell reading `-o env` gets the same values back). A refusal is `Refused` exactly for 4xx other than 408/429, carries the status and
//! the server's `error` code, and a 2xx that is not a token never quotes the body's
//! `access_token`. Every error is one line without control characters. `expires_in` is what
//! RFC 6749 §5.1 allows: a non-negative integer (or a string of digits) up to ten years.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oauthctl::cli::OutputFormat;
use oauthctl::error::Error;
use oauthctl::http::{Response, Trace};
use oauthctl::oauth::{TokenResponse, TokenType, expires_in, parse_token_response};
use oauthctl::tokens::TokenResult;
use oauthctl::untrusted::printable;
use serde_json::Value;

use common::{assert_clean_message, assert_rendered_error};

const URL: &str = "https://idp.example/oauth/token";
const HOST: &str = "idp.example";

/// `now` comes from the system clock: before 1970, now, and far ahead. (Not i64::MAX: see
/// fuzz/README.md on `now + expires_in`.)
const NOWS: [i64; 5] = [
    -2_000_000_000,
    0,
    1_700_000_000,
    4_102_444_800,
    253_402_300_799,
];

/// SECURITY 26 / oauth.rs: `expires_in` beyond ten years is treated as absent.
const MAX_EXPIRES_IN: u128 = 10 * 365 * 24 * 3600;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]);
    let now = NOWS[usize::from(data[2] & 7) % NOWS.len()];
    let attempts = 1 + u32::from(data[2] >> 3);
    let mut lines = data[3..].splitn(3, |&b| b == b'\n');
    let mut header = || {
        lines
            .next()
            .filter(|l| !l.is_empty())
            .map(|l| String::from_utf8_lossy(l).into_owned())
    };
    let (content_type, location) = (header(), header());
    let body = lines.next().unwrap_or_default().to_vec();

    if let Ok(value) = serde_json::from_slice::<Value>(&body) {
        check_expires_in_everywhere(&value);
    }

    let response = Response {
        status,
        content_type,
        location,
        retry_after: None,
        cache_control: None,
        dpop_nonce: None,
        body,
        attempts,
    };
    match parse_token_response(
        &response,
        URL,
        now,
        &Trace::off(oauthctl::oauth::SECRET_NAMES),
    ) {
        Ok(token) => accepted(&response, now, token),
        Err(e) => refused(&response, &e),
    }
});

/// RFC 6749 App. A.13, decided byte by byte rather than by the code's own function: a type-name
/// (`-._`, digits, letters) or scheme `:` URI characters (RFC 3986 §3.1, §2).
fn is_token_type(text: &str) -> bool {
    const NAME: &[u8] = b"-._0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const URI: &[u8] =
        b"-._~:/?#[]@!$&'()*+,;=%0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if !text.is_empty() && text.bytes().all(|b| NAME.contains(&b)) {
        return true;
    }
    match text.split_once(':') {
        Some((scheme, rest)) => {
            scheme
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && rest.bytes().all(|b| URI.contains(&b))
        }
        None => false,
    }
}

/// RFC 6749 §5.1, decided from the JSON text rather than by the same calls the code makes.
fn expected_expires_in(value: &Value) -> Option<u64> {
    let digits = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 20 {
        return None;
    }
    let secs: u128 = if significant.is_empty() {
        0
    } else {
        significant.parse().unwrap()
    };
    (secs <= MAX_EXPIRES_IN).then_some(secs as u64)
}

fn check_expires_in_everywhere(value: &Value) {
    assert_eq!(
        expires_in(Some(value)),
        expected_expires_in(value),
        "expires_in({value})"
    );
    match value {
        Value::Array(items) => items.iter().for_each(check_expires_in_everywhere),
        Value::Object(map) => map.values().for_each(check_expires_in_everywhere),
        _ => {}
    }
}

fn accepted(response: &Response, now: i64, token: TokenResponse) {
    assert!(
        (200..300).contains(&response.status),
        "a token from HTTP {}",
        response.status
    );
    let t = &token.access_token;
    assert!(
        !t.is_empty() && t.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        "accepted access_token {t:?}"
    );
    assert_eq!(
        token.fields.get("access_token"),
        Some(&Value::from(t.as_str()))
    );
    // A token_type is a name to print only when RFC 6749 App. A.13 says it is one.
    let expected_type = match token.fields.get("token_type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if is_token_type(s) => Some(TokenType::Named(s.clone())),
        Some(other) => Some(TokenType::Malformed(other.clone())),
    };
    assert_eq!(token.token_type, expected_type);
    let expected = match token.fields.get("expires_in").and_then(expected_expires_in) {
        Some(secs) => Some(now + secs as i64),
        // The JWT's exp stands in for an expires_in of `exp - now`, within the same bounds.
        None => oauthctl::jwt::decode(t)
            .ok()
            .and_then(|jwt| jwt.exp())
            .filter(|exp| {
                (0..=MAX_EXPIRES_IN as i128).contains(&(i128::from(*exp) - i128::from(now)))
            }),
    };
    assert_eq!(token.expires_at, expected);
    render(TokenResult::fresh(token));
}

fn render(result: TokenResult) {
    use oauthctl::output::token;
    let t = &result.token;
    let text = token(OutputFormat::Text, &result, Default::default())
        .unwrap()
        .stdout;
    assert_eq!(text, format!("{}\n", t.access_token));

    match token(OutputFormat::Header, &result, Default::default()) {
        Ok(r) => {
            assert!(t.is_bearer());
            assert_eq!(
                r.stdout,
                format!("Authorization: Bearer {}\n", t.access_token)
            );
        }
        Err(e) => {
            assert!(!t.is_bearer());
            assert_clean_message("-o header refusal", &e.to_string());
        }
    }

    match (
        token(OutputFormat::Env, &result, Default::default()),
        &t.token_type,
    ) {
        (Ok(r), None | Some(TokenType::Named(_))) => {
            let vars = parse_env(&r.stdout);
            // Any case of bearer is printed as `Bearer` (SECURITY 25); another type as sent.
            let token_type = match &t.token_type {
                Some(TokenType::Named(name)) if !t.is_bearer() => name.clone(),
                _ => "Bearer".into(),
            };
            let mut expected = vec![
                ("OAUTHCTL_ACCESS_TOKEN".to_string(), t.access_token.clone()),
                ("OAUTHCTL_TOKEN_TYPE".to_string(), token_type),
            ];
            if let Some(at) = t.expires_at {
                expected.push(("OAUTHCTL_EXPIRES_AT".to_string(), at.to_string()));
            }
            assert_eq!(vars, expected, "-o env: {:?}", r.stdout);
        }
        (Err(e), Some(TokenType::Malformed(_))) => {
            assert_clean_message("-o env refusal", &e.to_string())
        }
        (other, token_type) => panic!("-o env with {token_type:?}: {other:?}"),
    }

    let json: Value = serde_json::from_str(
        &token(OutputFormat::Json, &result, Default::default())
            .unwrap()
            .stdout,
    )
    .expect("-o json parses");
    for (k, v) in &t.fields {
        if k != "expires_at" && k != "cached" {
            assert!(common::json_eq(&json[k], v), "-o json changed `{k}`");
        }
    }
    assert_eq!(
        json["expires_at"],
        t.expires_at.map_or(Value::Null, Value::from)
    );
    assert_eq!(json["cached"], false);

    if let Ok(r) = token(OutputFormat::ExecCredential, &result, Default::default()) {
        let exec: Value = serde_json::from_str(&r.stdout).expect("ExecCredential parses");
        assert_eq!(exec["status"]["token"], t.access_token.as_str());
        match t.expires_at {
            Some(at) => {
                let stamp = exec["status"]["expirationTimestamp"].as_str();
                assert_eq!(
                    stamp.map(str::to_string),
                    Some(oauthctl::timefmt::rfc3339(at))
                );
            }
            None => assert!(exec["status"].get("expirationTimestamp").is_none()),
        }
    }
}

/// Reads `-o env` back as a POSIX shell would: `export NAME=VALUE` lines, where VALUE is digits
/// or single-quoted text with `'\''` for a quote (which may span lines).
fn parse_env(mut rest: &str) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    while !rest.is_empty() {
        rest = rest
            .strip_prefix("export ")
            .expect("each line is an export");
        let (name, after) = rest.split_once('=').expect("NAME=VALUE");
        rest = after;
        let mut value = String::new();
        loop {
            if let Some(r) = rest.strip_prefix('\'') {
                let end = r.find('\'').expect("a closing quote");
                value.push_str(&r[..end]);
                rest = &r[end + 1..];
            } else if let Some(r) = rest.strip_prefix("\\'") {
                value.push('\'');
                rest = r;
            } else if let Some(r) = rest.strip_prefix('\n') {
                rest = r;
                break;
            } else {
                let end = rest.find('\n').expect("a line end");
                let word = &rest[..end];
                assert!(
                    word.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
                    "unquoted {word:?} in -o env"
                );
                value.push_str(word);
                rest = &rest[end..];
            }
        }
        vars.push((name.to_string(), value));
    }
    vars
}

fn refused(response: &Response, e: &Error) {
    let status = response.status;
    let message = e.to_string();
    assert_clean_message("parse_token_response", &message);
    assert_rendered_error(e);
    assert!(
        message.starts_with(&format!("the token endpoint {HOST} ")),
        "{message}"
    );
    // An object with a member twice is read by nobody (RFC 8259 §4): no code comes out of it.
    let body_json = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .filter(|_| !has_a_member_twice(&response.body));
    match e {
        Error::Refused(r) => {
            assert!((400..500).contains(&status) && status != 408 && status != 429);
            assert_eq!(r.status, status);
            if let Some(Value::Object(map)) = &body_json {
                let code = map
                    .get("error")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| printable(s, 300));
                assert_eq!(r.code, code);
            }
            assert_eq!(e.exit() as u8, 3);
        }
        Error::Unreachable { status: s, .. } => {
            assert_eq!(*s, Some(status));
            assert!(
                !(400..500).contains(&status) || status == 408 || status == 429,
                "HTTP {status} is a refusal, not {e:?}"
            );
            assert_eq!(e.exit() as u8, 4);
            if (200..300).contains(&status) {
                // Never quote a 2xx body: it may hold the token in a form we did not accept.
                if let Some(Value::Object(map)) = &body_json
                    && let Some(Value::String(t)) = map.get("access_token")
                    && t.len() >= 8
                {
                    assert!(!message.contains(t.as_str()), "quoted the token: {message}");
                }
            }
        }
        other => panic!("unexpected error kind {other:?}"),
    }
}

/// Whether the body is a JSON object with some member name twice (read by `jwt::members`, the one
/// reader oauthctl has for it; jwt_decode checks that it agrees with serde_json otherwise).
fn has_a_member_twice(body: &[u8]) -> bool {
    matches!(
        oauthctl::jwt::members::<Value>(body),
        Err(oauthctl::jwt::NotMembers::Duplicate(_))
    )
}
