//! JWT decoding for `inspect` (RFC 7519 over RFC 7515 compact JWS). Pure: no I/O, no clock.
//!
//! Decoding is not verification, and nothing here pretends otherwise. Errors say exactly what is
//! wrong: how many segments, which one is not base64url and where, which one is not JSON. They are
//! this module's own [`DecodeError`], which `error.rs` turns into a bad token (exit 5) where a
//! command meets it, so that the decoder depends on nothing but the token.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::cell::RefCell;
use std::collections::HashSet;
use std::marker::PhantomData;

use serde::de::{
    self, Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor,
};
use serde_json::{Map, Value};

use crate::untrusted::printable;

/// A decoded (not verified) JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// Length of the decoded signature in bytes; 0 for an unsecured JWT.
    pub signature_len: usize,
}

/// A NumericDate claim (RFC 7519 §2) as found.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeClaim {
    Absent,
    /// Whole seconds since the epoch (fractions dropped).
    At(i64),
    /// Present but not a number: flagged, never silently ignored (SECURITY 33).
    Invalid(String),
}

/// A NumericDate claim (RFC 7519 §2): an integer or not, fractions dropped. Any other type is
/// flagged, never taken as absent (SECURITY 33).
pub fn time_claim(claims: &Map<String, Value>, name: &str) -> TimeClaim {
    match claims.get(name) {
        None => TimeClaim::Absent,
        Some(Value::Number(n)) => match n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| f.floor() as i64)
        }) {
            Some(secs) => TimeClaim::At(secs),
            None => TimeClaim::Invalid(format!("`{name}` is out of range")),
        },
        Some(Value::String(_)) => TimeClaim::Invalid(format!(
            "`{name}` is a string, not a NumericDate (RFC 7519 §2)"
        )),
        Some(other) => TimeClaim::Invalid(format!(
            "`{name}` is {}, not a NumericDate (RFC 7519 §2)",
            json_kind(other)
        )),
    }
}

impl Jwt {
    pub fn time(&self, name: &str) -> TimeClaim {
        time_claim(&self.claims, name)
    }

    /// `exp` when it is a valid NumericDate.
    pub fn exp(&self) -> Option<i64> {
        match self.time("exp") {
            TimeClaim::At(t) => Some(t),
            _ => None,
        }
    }
}

/// "a string", "an array"…: what a JSON value is, for messages that must not quote it.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One of the three segments of a compact JWS (RFC 7515 §7.1), as messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Header,
    Claims,
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Segment::Header => "header",
            Segment::Claims => "claims",
            Segment::Signature => "signature",
        })
    }
}

/// Why a text is not a JWT that can be decoded. `Display` is the one-line message for the user;
/// anything taken from the token is escaped in it. Positions count from 1.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the input is empty")]
    Empty,
    #[error("the token contains whitespace at position {0}")]
    Whitespace(usize),
    #[error("not a JWT: it has no `.`-separated segments (opaque tokens cannot be decoded)")]
    Opaque,
    /// RFC 7516 §7.1: five segments is a JWE.
    #[error("this is an encrypted JWT (JWE, 5 segments); it cannot be decoded without the key")]
    Encrypted,
    #[error("not a JWT: expected 3 `.`-separated segments (header.claims.signature), found {0}")]
    SegmentCount(usize),
    #[error(
        "the {segment} segment has `=` padding at position {position}; JWT segments are unpadded base64url (RFC 7515 §2)"
    )]
    Padded { segment: Segment, position: usize },
    #[error(
        "the {segment} segment is not base64url: invalid character {} at position {position}",
        shown_char(*.character)
    )]
    NotBase64Url {
        segment: Segment,
        character: char,
        position: usize,
    },
    /// Only base64url characters, but not a length or a last character base64url can end on.
    #[error("the {segment} segment is not valid base64url: {error}")]
    InvalidBase64Url {
        segment: Segment,
        error: base64::DecodeError,
    },
    #[error("the header segment is empty")]
    EmptyHeader,
    #[error("the {segment} segment is not UTF-8 text (invalid byte at {valid_up_to})")]
    NotUtf8 {
        segment: Segment,
        valid_up_to: usize,
    },
    /// The name comes from the token: escaped and cut, so that the error stays one line without
    /// control characters (found by fuzz/jwt_decode).
    #[error(
        "the {segment} segment is not a JSON object: duplicate member `{}`",
        printable(.name, 60)
    )]
    DuplicateMember { segment: Segment, name: String },
    #[error("the {segment} segment is not a JSON object: {error}")]
    NotAnObject {
        segment: Segment,
        error: serde_json::Error,
    },
}

/// An invalid character as a message shows it: in backticks when printable, else escaped.
fn shown_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("`{c}`")
    } else {
        format!("{:?}", c)
    }
}

/// Decodes a compact JWS. Accepts surrounding whitespace and a leading `Bearer ` or
/// `Authorization: Bearer ` so that `fetch -o header | inspect` works too.
pub fn decode(input: &str) -> Result<Jwt, DecodeError> {
    let token = strip_prefixes(input.trim());
    if token.is_empty() {
        return Err(DecodeError::Empty);
    }
    if let Some(pos) = token.find(|c: char| c.is_whitespace()) {
        return Err(DecodeError::Whitespace(pos + 1));
    }
    let segments: Vec<&str> = token.split('.').collect();
    match segments.len() {
        3 => {}
        1 => return Err(DecodeError::Opaque),
        5 => return Err(DecodeError::Encrypted),
        n => return Err(DecodeError::SegmentCount(n)),
    }
    // Left to right, so the first problem reported is the first one in the token.
    let header_bytes = segment(segments[0], Segment::Header)?;
    if header_bytes.is_empty() {
        return Err(DecodeError::EmptyHeader);
    }
    let header = object(&header_bytes, Segment::Header)?;
    let claims = object(&segment(segments[1], Segment::Claims)?, Segment::Claims)?;
    let signature = segment(segments[2], Segment::Signature)?;
    Ok(Jwt {
        header,
        claims,
        signature_len: signature.len(),
    })
}

/// `token` without a leading `Authorization:` and `Bearer ` (any case), as `-o header` prints it.
pub fn strip_prefixes(token: &str) -> &str {
    fn strip<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        let head = text.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix)
            .then(|| text[prefix.len()..].trim_start())
    }
    let t = strip(token, "authorization:").unwrap_or(token);
    strip(t, "bearer ").unwrap_or(t)
}

/// base64url without padding (RFC 7515 §2), with the position of the first offending character.
fn segment(text: &str, segment: Segment) -> Result<Vec<u8>, DecodeError> {
    if let Some(pos) = text.find('=') {
        return Err(DecodeError::Padded {
            segment,
            position: pos + 1,
        });
    }
    if let Some((pos, character)) = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(DecodeError::NotBase64Url {
            segment,
            character,
            position: pos + 1,
        });
    }
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|error| DecodeError::InvalidBase64Url { segment, error })
}

fn object(bytes: &[u8], segment: Segment) -> Result<Map<String, Value>, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::NotUtf8 {
        segment,
        valid_up_to: e.valid_up_to(),
    })?;
    match members::<Value>(text.as_bytes()) {
        Ok(members) => Ok(members.into_iter().collect()),
        Err(NotMembers::Duplicate(name)) => Err(DecodeError::DuplicateMember { segment, name }),
        Err(NotMembers::Json(error)) => Err(DecodeError::NotAnObject { segment, error }),
    }
}

/// Why `members` read no object.
#[derive(Debug)]
pub enum NotMembers {
    /// A member name came twice: this one, the first to.
    Duplicate(String),
    /// Not JSON, or not an object.
    Json(serde_json::Error),
}

/// A JSON object's members in the order sent, each read as a `V`, refusing a name that comes
/// twice.
///
/// RFC 8259 §4 leaves a repeated name to each reader, and readers differ (the first, the last,
/// an error), so two of them can read two different `exp` claims, `access_token`s or `active`s out
/// of one text. oauthctl refuses such an object wherever it reads one: a JWT's header and claims
/// (RFC 7519 §4 allows it; SECURITY 33) and every answer of an authorization server
/// (`oauth::success_object`). It stops at the first repeated name, before reading further.
pub fn members<V: DeserializeOwned>(
    json: &[u8],
) -> std::result::Result<Vec<(String, V)>, NotMembers> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let read = MembersSeed {
        duplicate: &duplicate,
        value: PhantomData::<V>,
    }
    .deserialize(&mut deserializer)
    .and_then(|members| deserializer.end().map(|()| members));
    read.map_err(|e| match duplicate.into_inner() {
        Some(name) => NotMembers::Duplicate(name),
        None => NotMembers::Json(e),
    })
}

/// Reads an object's members; on a repeated name, records it in `duplicate` and stops there.
struct MembersSeed<'a, V> {
    duplicate: &'a RefCell<Option<String>>,
    value: PhantomData<V>,
}

impl<'de, V: Deserialize<'de>> DeserializeSeed<'de> for MembersSeed<'_, V> {
    type Value = Vec<(String, V)>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, V: Deserialize<'de>> Visitor<'de> for MembersSeed<'_, V> {
    type Value = Vec<(String, V)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut access: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut members: Vec<(String, V)> = Vec::new();
        let mut seen = HashSet::new();
        while let Some(key) = access.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                *self.duplicate.borrow_mut() = Some(key);
                return Err(de::Error::custom("a member name comes twice"));
            }
            let value = access.next_value::<V>()?;
            members.push((key, value));
        }
        Ok(members)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds an unsigned-looking token from JSON text, for tests.
    pub fn make(header: &str, claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn decodes_header_claims_and_times_in_order() {
        let t = make(
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"sub":"me","exp":1700000000,"iat":1.9e9,"nbf":"soon"}"#,
        );
        let jwt = decode(&format!("  {t}\n")).unwrap();
        assert_eq!(jwt.header["alg"], "RS256");
        assert_eq!(
            jwt.claims.keys().collect::<Vec<_>>(),
            ["sub", "exp", "iat", "nbf"]
        );
        assert_eq!(jwt.time("exp"), TimeClaim::At(1_700_000_000));
        assert_eq!(jwt.time("iat"), TimeClaim::At(1_900_000_000));
        assert!(matches!(jwt.time("nbf"), TimeClaim::Invalid(m) if m.contains("string")));
        assert_eq!(jwt.time("jti"), TimeClaim::Absent);
        assert_eq!(jwt.signature_len, 3);
        assert_eq!(decode(&format!("Authorization: Bearer {t}")).unwrap(), jwt);
        assert_eq!(decode(&format!("bearer {t}")).unwrap(), jwt);
    }

    #[test]
    fn decodes_the_tencent_sample_from_the_seeds() {
        let t = "eyJraWQiOiJmOTY5NGQ5My1kNTQxLTQ5ODUtODhkYy00MjIyOTg3MzAwOGUiLCJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJURU5BTlRfQ0xJRU5UX0lEIiwiYXVkIjoiVEVOQU5UX0NMSUVOVF9JRCIsIm5iZiI6MTY0MDU4ODgyOCwic2NvcGUiOlsiaWRlbnRpdHlfcHJvb2ZpbmciXSwiaXNzIjoiaHR0cHM6XC9cL3NhbXBsZS5wb3J0YWwudGVuY2VudGNpYW0uY29tIiwiZXhwIjoxNjQwNTg5MTI4LCJpYXQiOjE2NDA1ODg4MjgsImp0aSI6Ijk5MzliYzNmLTVlZGYtNDZjMy04ZjVjLTJiMWRjMWFjZmE5MCJ9.D8khbU3BkWTHD6sRTY9M_bbRq7AF4MGina2S1ycFA2HOUo-k_P_f81V4fP1DLO7n-1_5em_Dmxo768wsFcvUIYWRlSLh91kXPTyBV5mHt6IZRnT3eMpqTiMKC_ubzUc_7DSpE8-99-CpfrQ19hcpMwkoLYh1dwYjUJB6xyZPzqlezrHy4unUHLTpyjGeecgNNLUScY9W0diGxVnbsMuTW7T00OsltNoJj11qtOllbh5kd1B4umvA3UJpGucVMZQ2YTvltHyDBefWabP4ektzktAwDTALGIu1EsQfb5j9Rru3R0L0nAvjT8HiIqthLvvMdkjXAW983zj0yCPe3GqF3g";
        let jwt = decode(t).unwrap();
        assert_eq!(jwt.claims["iss"], "https://sample.portal.tencentciam.com");
        assert_eq!(jwt.exp(), Some(1_640_589_128));
        assert_eq!(jwt.signature_len, 256);
    }

    /// The message; that it is a bad token (exit 5) is error.rs's test.
    fn err(input: &str) -> String {
        decode(input).unwrap_err().to_string()
    }

    #[test]
    fn malformed_input_says_what_is_wrong() {
        let good = make(r#"{"alg":"none"}"#, r#"{"a":1}"#);
        let (h, rest) = good.split_once('.').unwrap();
        assert!(err("").contains("empty"));
        assert!(err("aéééééééééééééé").contains("no `.`-separated segments"));
        assert!(err("Bearer").contains("no `.`-separated segments"));
        assert!(err("opaque-token").contains("no `.`-separated segments"));
        assert!(err("a.b").contains("found 2"));
        assert!(err("a.b.c.d").contains("found 4"));
        assert!(err("a.b.c.d.e").contains("JWE"));
        assert!(err(&format!("{h}=.{rest}")).contains("header segment has `=` padding"));
        assert!(
            err(&format!("{h}.ab+c.x"))
                .contains("claims segment is not base64url: invalid character `+` at position 3")
        );
        assert!(
            err(&format!("{h}.{}.x", URL_SAFE_NO_PAD.encode("not json")))
                .contains("claims segment is not a JSON object")
        );
        assert!(
            err(&format!("{h}.{}.x", URL_SAFE_NO_PAD.encode("[1]")))
                .contains("claims segment is not a JSON object")
        );
        assert!(
            err(&format!("{h}.{}.x", URL_SAFE_NO_PAD.encode([0xff, 0xfe]))).contains("not UTF-8")
        );
        assert!(
            err(&format!("{}.e30.x", URL_SAFE_NO_PAD.encode("{}{"))).contains("header segment")
        );
        assert!(err(&format!("{h}.e30.x y")).contains("whitespace"));
        assert!(err(&format!("{h}.A.x")).contains("claims segment is not valid base64url"));
        assert!(err(&format!("{h}.e30.x")).contains("signature segment is not valid base64url"));
        assert!(err(".e30.").contains("header segment is empty"));
    }

    #[test]
    fn duplicate_claims_are_rejected() {
        let t = make(r#"{"alg":"none"}"#, r#"{"exp":1,"exp":2}"#);
        assert!(err(&t).contains("duplicate member `exp`"));
    }

    #[test]
    fn unsecured_jwt_has_an_empty_signature() {
        let t = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode("{}")
        );
        assert_eq!(decode(&t).unwrap().signature_len, 0);
    }
}
