//! What a server answered, as JSON or as the error the user should see (RFC 6749 §5.2 and the
//! providers' own shapes): every endpoint's successful answer read as one object (a member twice
//! refused, one known flaw tolerated), every failure turned into one line in the server's words.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Refusal, Result};
use crate::http::{Response, Trace};
use crate::jwt::NotMembers;
use crate::untrusted::{printable, summarize_body};

/// An answer that is not a success (a redirect, an OAuth error, a failure) from `endpoint` ("the
/// token endpoint HOST", "the revocation endpoint HOST"), as the error the user should see.
pub fn failure(response: &Response, endpoint: &str, trace: &Trace) -> Error {
    let status = response.status;
    if (300..400).contains(&status) {
        return Error::Unreachable {
            message: format!(
                "{endpoint} answered HTTP {status} redirecting to {}; redirects are not followed",
                response
                    .location
                    .as_deref()
                    .map(|l| printable(&crate::http::redact_url_from_server(l), 200))
                    .unwrap_or_else(|| "(no Location)".into())
            ),
            status: Some(status),
        };
    }
    // What we sent is masked in the server's words before anything is cut to length: a secret
    // cut in half would no longer match its mask (SECURITY 38).
    let body = trace.scrub(&String::from_utf8_lossy(&response.body));
    let json = parse_json_object(body.as_bytes(), trace);
    let scrubbed = Response {
        body: body.into_bytes(),
        content_type: response.content_type.as_deref().map(|c| trace.scrub(c)),
        location: None,
        retry_after: None,
        cache_control: None,
        dpop_nonce: None,
        ..*response
    };
    error_from(status, json, &scrubbed, endpoint)
}

/// A successful answer's body as a JSON object, for every endpoint (token, device
/// authorization, introspection, metadata); anything else, as the error the user should see.
/// A 2xx body is never quoted: it may hold a token in some other shape.
pub fn success_object(
    response: &Response,
    endpoint: &str,
    trace: &Trace,
) -> Result<Map<String, Value>> {
    let status = response.status;
    if !(200..300).contains(&status) {
        return Err(failure(response, endpoint, trace));
    }
    parse_json_object(&response.body, trace).map_err(|why| Error::Unreachable {
        message: format!(
            "{endpoint} answered HTTP {status} but {}",
            why.describe(response)
        ),
        status: Some(status),
    })
}

/// Why a body is not a JSON object to read.
enum NotAnObject {
    Empty,
    /// Valid JSON of this kind ("an array").
    Other(&'static str),
    /// An object with this member twice (`jwt::members`).
    Duplicate(String),
    Invalid,
}

impl NotAnObject {
    fn describe(&self, response: &Response) -> String {
        match self {
            NotAnObject::Empty => "its body is empty (not valid JSON)".into(),
            NotAnObject::Other(kind) => format!("its body is {kind} in JSON, not an object"),
            NotAnObject::Duplicate(name) => duplicate_member(name),
            NotAnObject::Invalid => format!(
                "its body is not valid JSON ({} bytes, {})",
                response.body.len(),
                printable(
                    response
                        .content_type
                        .as_deref()
                        .unwrap_or("no content type"),
                    80
                )
            ),
        }
    }
}

/// A member sent twice: which of the two a reader takes is not settled (RFC 8259 §4), so neither
/// is read (`jwt::members`).
fn duplicate_member(name: &str) -> String {
    format!(
        "its body has the member `{}` twice, so it is not read (RFC 8259 §4)",
        printable(name, 60)
    )
}

/// The body as a JSON object, each member once. One known flaw is tolerated: a trailing comma
/// before the closing brace, as one documented provider sends (`server-side` in
/// examples/providers.toml). A member whose value holds a number no 64-bit float can (`1e400`)
/// is left out, as absent (`json_object`).
fn parse_json_object(
    body: &[u8],
    trace: &Trace,
) -> std::result::Result<Map<String, Value>, NotAnObject> {
    let (map, left_out) = match json_object(body) {
        Err(NotAnObject::Invalid) => match without_trailing_comma(body).map(|r| json_object(&r)) {
            Some(Ok(read)) => {
                trace.line("note: the response had a trailing comma before its closing brace (invalid JSON); accepted");
                read
            }
            Some(Err(duplicate @ NotAnObject::Duplicate(_))) => return Err(duplicate),
            _ if body.is_empty() => return Err(NotAnObject::Empty),
            _ => return Err(NotAnObject::Invalid),
        },
        read => read?,
    };
    for name in left_out {
        trace.line(&format!(
            "note: the response's `{}` holds a number beyond a 64-bit float; it is treated as absent",
            printable(&name, 60)
        ));
    }
    Ok(map)
}

/// An object's members, and the names of those left out (`json_object`).
type ReadObject = (Map<String, Value>, Vec<String>);

/// The object's members, and the names of those left out because a number in them is beyond
/// what a 64-bit float holds.
///
/// RFC 8259 §6 sets no range on numbers, so `"expires_in": 1e400` is valid JSON, but serde_json
/// (without its crate-wide `arbitrary_precision`, which would change every number oauthctl reads)
/// refuses the whole text over it. Each member is first read as raw text (`RawValue`, which checks
/// the syntax and converts no number), then as a value on its own: a member that fails only over
/// such a number is absent, as SECURITY 26 wants of a huge `expires_in`, and the rest of the answer
/// still counts. `-o json` leaves it out too: it cannot be written back as the number sent.
fn json_object(body: &[u8]) -> std::result::Result<ReadObject, NotAnObject> {
    match crate::jwt::members::<Box<RawValue>>(body) {
        Ok(members) => {
            let mut map = Map::new();
            let mut left_out = Vec::new();
            for (name, raw) in members {
                match serde_json::from_str::<Value>(raw.get()) {
                    Ok(value) => {
                        map.insert(name, value);
                    }
                    Err(e) if beyond_a_float(&e) => left_out.push(name),
                    // A lone surrogate in a string, nesting past serde_json's limit: not read.
                    Err(_) => return Err(NotAnObject::Invalid),
                }
            }
            Ok((map, left_out))
        }
        Err(NotMembers::Duplicate(name)) => Err(NotAnObject::Duplicate(name)),
        // Not an object, or not JSON: which one is worth saying.
        Err(NotMembers::Json(_)) => match serde_json::from_slice::<Value>(body) {
            Ok(other) => Err(NotAnObject::Other(crate::jwt::json_kind(&other))),
            Err(_) => Err(NotAnObject::Invalid),
        },
    }
}

/// serde_json's error for a number beyond f64 (`ErrorCode::NumberOutOfRange`, not public): told
/// apart by its message, which a unit test pins (`a_number_beyond_a_float_is_an_absent_member`).
pub(super) fn beyond_a_float(e: &serde_json::Error) -> bool {
    e.classify() == serde_json::error::Category::Syntax
        && e.to_string().starts_with("number out of range")
}

fn without_trailing_comma(body: &[u8]) -> Option<Vec<u8>> {
    let end = body.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if body[end] != b'}' {
        return None;
    }
    let comma = body[..end].iter().rposition(|b| !b.is_ascii_whitespace())?;
    if body[comma] != b',' {
        return None;
    }
    let mut repaired = body.to_vec();
    repaired.remove(comma);
    Some(repaired)
}

/// RFC 6749 §5.2 errors and the providers' own variants, as one line in the provider's words.
fn error_from(
    status: u16,
    json: std::result::Result<Map<String, Value>, NotAnObject>,
    response: &Response,
    endpoint: &str,
) -> Error {
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| printable(s, 300))
    };
    let (code, description, detail) = match &json {
        Ok(map) => {
            let code = text(map, "error");
            let description = text(map, "error_description");
            let message = text(map, "message");
            let mut words: Vec<String> = Vec::new();
            for part in [&description, &message].into_iter().flatten() {
                if !words.contains(part) {
                    words.push(part.clone());
                }
            }
            if let Some(uri) = text(map, "error_uri") {
                words.push(format!("see {uri}"));
            }
            let detail = match (&code, words.is_empty()) {
                (Some(code), true) => code.clone(),
                (Some(code), false) => format!("{code}: {}", words.join(" — ")),
                (None, false) => words.join(" — "),
                // Name the fields, never their values: the body may echo the request.
                (None, true) => format!(
                    "no OAuth error in the body (fields: {})",
                    printable(&map.keys().cloned().collect::<Vec<_>>().join(", "), 200)
                ),
            };
            (code, description.or(message), printable(&detail, 600))
        }
        Err(NotAnObject::Duplicate(name)) => (None, None, duplicate_member(name)),
        Err(_) => {
            let kind = response
                .content_type
                .as_deref()
                .unwrap_or("no content type");
            (
                None,
                None,
                format!(
                    "{} ({})",
                    summarize_body(&response.body),
                    printable(kind, 80)
                ),
            )
        }
    };
    // 408 and 429 are 4xx but mean "not now": after the retries they are exit 4, not a refusal.
    if (400..500).contains(&status) && !crate::http::is_transient(status) {
        let message = format!("{endpoint} refused the request (HTTP {status}): {detail}");
        return Error::Refused(Box::new(Refusal {
            status,
            code,
            description,
            message,
        }));
    }
    let attempts = match response.attempts {
        1 => String::new(),
        n => format!(" (gave up after {n} attempts)"),
    };
    Error::Unreachable {
        message: format!("{endpoint} failed (HTTP {status}): {detail}{attempts}"),
        status: Some(status),
    }
}
