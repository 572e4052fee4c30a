//! Token requests and responses (RFC 6749): building the request a profile describes, and turning
//! whatever the server answered into a token or one clear error.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::config::{AuthMethod, BasicEncoding, GrantParams};
use crate::error::{Error, Refusal, Result};
use crate::http::{Response, Trace, host_of};
use crate::jwt::NotMembers;
use crate::resolve::Profile;
use crate::secret::Secret;
use crate::untrusted::{printable, summarize_body};

/// `expires_in` beyond this (ten years) is nonsense and treated as absent (SECURITY 26).
pub const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

/// The grant being requested, with its grant-specific parameters.
#[derive(Debug)]
pub enum Grant<'a> {
    /// RFC 6749 §4.4.2.
    ClientCredentials,
    /// RFC 6749 §4.1.3, with the RFC 7636 §4.5 verifier when PKCE was used.
    AuthorizationCode {
        code: &'a Secret,
        redirect_uri: Option<&'a str>,
        code_verifier: Option<&'a Secret>,
    },
    /// RFC 6749 §6.
    RefreshToken { refresh_token: &'a Secret },
    /// RFC 8628 §3.4: polling with the device code.
    DeviceCode { device_code: &'a Secret },
}

/// RFC 8628 §3.4's grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A request ready for the transport.
#[derive(Debug, PartialEq)]
pub struct TokenRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded (Appendix B) before base64, unless the
/// profile says the server compares them raw.
pub fn basic_authorization(client_id: &str, secret: &str, encoding: BasicEncoding) -> String {
    let pair = match encoding {
        BasicEncoding::Form => format!("{}:{}", form_encode(client_id), form_encode(secret)),
        BasicEncoding::Raw => format!("{client_id}:{secret}"),
    };
    format!("Basic {}", STANDARD.encode(pair))
}

fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier))), unpadded.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// Builds the token request for `grant` as the profile describes it.
pub fn build_request(
    profile: &Profile,
    secret: Option<&Secret>,
    grant: &Grant<'_>,
) -> Result<TokenRequest> {
    let token_url = profile.require_token_url()?;
    let client_id = profile.require_client_id()?;
    let mut grant_fields: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: &str| grant_fields.push((k.to_string(), v.to_string()));
    match grant {
        Grant::ClientCredentials => push("grant_type", "client_credentials"),
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            push("grant_type", "authorization_code");
            push("code", code.expose());
            if let Some(uri) = redirect_uri {
                push("redirect_uri", uri);
            }
            if let Some(verifier) = code_verifier {
                push("code_verifier", verifier.expose());
            }
        }
        Grant::RefreshToken { refresh_token } => {
            push("grant_type", "refresh_token");
            push("refresh_token", refresh_token.expose());
        }
        Grant::DeviceCode { device_code } => {
            push("grant_type", DEVICE_CODE_GRANT);
            push("device_code", device_code.expose());
        }
    }
    // Scope (RFC 6749 §3.3, one space-separated string) and audience ask for what to grant, which
    // only client_credentials decides at the token endpoint: a code carries its grant (§4.1.3) and
    // a refresh without scope keeps the original one (§6).
    if matches!(grant, Grant::ClientCredentials) {
        if let Some(scope) = &profile.scope {
            push("scope", scope);
        }
        if let Some(audience) = &profile.audience {
            push("audience", audience);
        }
    }
    // RFC 8707 §2.
    if let Some(resource) = &profile.resource {
        push("resource", resource);
    }
    for (k, v) in &profile.params {
        push(k, v);
    }

    let (headers, credential_fields) = client_authentication(profile, client_id, secret)?;

    let (url, form) = match profile.grant_params {
        GrantParams::Body => (
            token_url.to_string(),
            grant_fields.into_iter().chain(credential_fields).collect(),
        ),
        GrantParams::Query => {
            // Credentials never go in the URI (RFC 6749 §2.3.1), and neither does any other secret
            // (code, verifier, refresh token): URIs end up in server and proxy logs.
            let (secret, public): (Vec<_>, Vec<_>) = grant_fields
                .into_iter()
                .partition(|(k, _)| crate::http::SECRET_FIELDS.contains(&k.as_str()));
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(&public);
            let separator = if token_url.contains('?') { '&' } else { '?' };
            (
                format!("{token_url}{separator}{}", query.finish()),
                secret.into_iter().chain(credential_fields).collect(),
            )
        }
    };
    Ok(TokenRequest { url, headers, form })
}

/// Header or form name/value pairs, in order.
type Pairs = Vec<(String, String)>;

/// How the client authenticates at any of the server's endpoints (token, device authorization,
/// revocation, introspection all use the token endpoint's method, RFC 6749 §2.3, RFC 8628 §3.1,
/// RFC 7009 §2.1, RFC 7662 §2.1): the headers (Accept, Basic, the profile's own) and the form
/// fields (`client_id`, and `client_secret` for post).
fn client_authentication(
    profile: &Profile,
    client_id: &str,
    secret: Option<&Secret>,
) -> Result<(Pairs, Pairs)> {
    let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
    let mut credential_fields = Vec::new();
    match profile.auth_method {
        AuthMethod::Basic => {
            let secret =
                secret.ok_or_else(|| Error::Internal("basic auth without a secret".into()))?;
            headers.push((
                "Authorization".into(),
                basic_authorization(client_id, secret.expose(), profile.basic_encoding),
            ));
        }
        AuthMethod::Post => {
            let secret =
                secret.ok_or_else(|| Error::Internal("post auth without a secret".into()))?;
            credential_fields.push(("client_id".to_string(), client_id.to_string()));
            credential_fields.push(("client_secret".to_string(), secret.expose().to_string()));
        }
        // A public client identifies itself in the body (RFC 6749 §3.2.1, §4.1.3).
        AuthMethod::None => {
            credential_fields.push(("client_id".to_string(), client_id.to_string()))
        }
    }
    for (name, value) in &profile.headers {
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(existing) => *existing = (name.clone(), value.clone()),
            None => headers.push((name.clone(), value.clone())),
        }
    }
    Ok((headers, credential_fields))
}

/// A client-authenticated form POST to `url` (not the token endpoint: `grant_params` does not
/// apply), for the device authorization, revocation and introspection endpoints.
pub fn client_request(
    profile: &Profile,
    secret: Option<&Secret>,
    url: &str,
    fields: Vec<(String, String)>,
) -> Result<TokenRequest> {
    let client_id = profile.require_client_id()?;
    let (headers, credential_fields) = client_authentication(profile, client_id, secret)?;
    Ok(TokenRequest {
        url: url.to_string(),
        headers,
        form: fields.into_iter().chain(credential_fields).collect(),
    })
}

/// A token response (RFC 6749 §5.1), every field the provider sent kept as it was.
///
/// oauthctl makes one only through `TokenResponse::checked`, whether the answer is fresh from the
/// server or read back from the cache, so that what is printed from one cannot be what the other
/// would have refused.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub fields: Map<String, Value>,
    /// RFC 6749 App. A.12: one or more VSCHAR (printable ASCII), checked.
    pub access_token: String,
    /// `None` when the server sent none (or null).
    pub token_type: Option<TokenType>,
    /// Unix seconds, from `expires_in` or else the JWT's own `exp`.
    pub expires_at: Option<i64>,
}

/// RFC 6749 §5.1 `token_type`, sorted by what it may be used for.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenType {
    /// A type name as RFC 6749 App. A.13 defines one (`-._`, digits and letters, §7.1) or an
    /// absolute URI: printable as it is.
    Named(String),
    /// Anything else the server sent (spaces, control characters, a number…): never a token
    /// type to print or to act on, only shown escaped.
    Malformed(Value),
}

impl TokenType {
    fn from_field(value: Option<&Value>) -> Option<TokenType> {
        match value? {
            Value::Null => None,
            Value::String(name) if is_token_type(name) => Some(TokenType::Named(name.clone())),
            other => Some(TokenType::Malformed(other.clone())),
        }
    }

    /// For messages: the name, or what was sent instead, escaped.
    pub fn describe(&self) -> String {
        match self {
            TokenType::Named(name) => format!("`{name}`"),
            TokenType::Malformed(Value::String(text)) => format!("`{}`", printable(text, 60)),
            TokenType::Malformed(other) => crate::jwt::json_kind(other).to_string(),
        }
    }
}

/// RFC 6749 App. A.13: `token-type = type-name / URI`, `type-name = 1*name-char`,
/// `name-char = "-" / "." / "_" / DIGIT / ALPHA`; a URI as RFC 3986 §3 spells one (a scheme,
/// `:`, then only the characters a URI may hold).
fn is_token_type(text: &str) -> bool {
    let name_char = |b: u8| b.is_ascii_alphanumeric() || b"-._".contains(&b);
    if !text.is_empty() && text.bytes().all(name_char) {
        return true;
    }
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    // RFC 3986 §2: unreserved, reserved (gen-delims and sub-delims) and `%` of pct-encoded.
    let uri_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
    scheme_ok && rest.bytes().all(uri_char)
}

/// RFC 6749 App. A: `VSCHAR = %x20-7E`, what an access token (A.12), a refresh token (A.17) and
/// an authorization code (A.11) are made of.
pub fn is_vschar(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

impl TokenResponse {
    /// The one way a token response is made, from a fresh answer or from the cache: the
    /// access_token must be a non-empty string of VSCHAR (RFC 6749 App. A.12; anything else would
    /// corrupt a header or the "token and a newline" promise of `-o text`), and the token_type is
    /// sorted into a name or not. `Err` says why it is not a token. `expires_at` is the caller's.
    fn checked(fields: Map<String, Value>) -> std::result::Result<TokenResponse, &'static str> {
        let access_token = match fields.get("access_token") {
            Some(Value::String(t)) if !t.is_empty() && t.bytes().all(is_vschar) => t.clone(),
            Some(Value::String(t)) if !t.is_empty() => {
                return Err(
                    "its access_token has characters outside printable ASCII (RFC 6749 App. A.12)",
                );
            }
            Some(Value::String(_)) => return Err("its access_token is empty"),
            Some(_) => return Err("its access_token is not a string"),
            None => return Err("the response has no access_token"),
        };
        Ok(TokenResponse {
            token_type: TokenType::from_field(fields.get("token_type")),
            access_token,
            expires_at: None,
            fields,
        })
    }

    /// A token as the cache kept it, checked as a fresh answer is: one that fails is a miss
    /// (DESIGN §7), as a corrupt file is.
    pub fn from_cache(
        fields: Map<String, Value>,
        expires_at: Option<i64>,
    ) -> Option<TokenResponse> {
        let token = TokenResponse::checked(fields).ok()?;
        Some(TokenResponse {
            expires_at,
            ..token
        })
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.fields
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
    }

    /// RFC 6750 bearer tokens; `token_type` is case-insensitive (RFC 6749 §5.1). A missing type is
    /// taken as Bearer, as several providers omit it; a malformed one is not Bearer.
    pub fn is_bearer(&self) -> bool {
        match &self.token_type {
            None => true,
            Some(TokenType::Named(name)) => name.eq_ignore_ascii_case("bearer"),
            Some(TokenType::Malformed(_)) => false,
        }
    }
}

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
        ..*response
    };
    error_from(status, json, &scrubbed, endpoint)
}

/// Turns the server's answer into a token, or into the error the user should see.
pub fn parse_token_response(
    response: &Response,
    url: &str,
    now: i64,
    trace: &Trace,
) -> Result<TokenResponse> {
    let host = host_of(url);
    let status = response.status;
    let endpoint = format!("the token endpoint {host}");
    let fields = success_object(response, &endpoint, trace)?;
    let not_a_token = |why: String| Error::Unreachable {
        message: format!("{endpoint} answered HTTP {status} but {why}"),
        status: Some(status),
    };
    let mut token = TokenResponse::checked(fields).map_err(|why| not_a_token(why.into()))?;
    token.expires_at = expires_at(&token, now);
    Ok(token)
}

/// When the token expires: `now + expires_in`, else the JWT's own `exp` held to the same bounds
/// (SECURITY 26), since it stands in for an `expires_in` of `exp - now`. An `exp` in the past or
/// more than ten years ahead is as absent as a negative or huge `expires_in`, so that a token
/// claiming to live for a century is never cached as if it did (SECURITY 14).
fn expires_at(token: &TokenResponse, now: i64) -> Option<i64> {
    if let Some(secs) = expires_in(token.fields.get("expires_in")) {
        return Some(now + secs as i64);
    }
    let exp = crate::jwt::decode(&token.access_token).ok()?.exp()?;
    let left = exp.checked_sub(now)?;
    (0..=MAX_EXPIRES_IN as i64).contains(&left).then_some(exp)
}

/// `expires_in` as RFC 6749 §5.1 means it: a non-negative whole number of seconds, tolerated as a
/// numeric string; anything else is treated as absent (SECURITY 26).
pub fn expires_in(value: Option<&Value>) -> Option<u64> {
    let secs = match value? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()?
        }
        _ => return None,
    };
    (secs <= MAX_EXPIRES_IN).then_some(secs)
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
fn beyond_a_float(e: &serde_json::Error) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{ProfileLayer, merge};
    use serde_json::json;

    fn profile(edit: impl FnOnce(&mut ProfileLayer)) -> Profile {
        let mut layer = ProfileLayer {
            token_url: Some("https://idp.example/token".into()),
            client_id: Some("app".into()),
            ..Default::default()
        };
        edit(&mut layer);
        merge(
            Some("t".into()),
            layer,
            ProfileLayer::default(),
            ProfileLayer::default(),
        )
    }

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            content_type: Some("application/json".into()),
            location: None,
            retry_after: None,
            cache_control: None,
            attempts: 1,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn basic_header_matches_the_rfc_6749_vector() {
        // The Basic test vector of docs/security.md, SECURITY 24 (AppAuth-Android#337).
        let header = basic_authorization(
            "1PpG/Q 1",
            "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=",
            BasicEncoding::Form,
        );
        assert_eq!(
            header,
            "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA=="
        );
        assert_eq!(
            basic_authorization("app", "secret", BasicEncoding::Raw),
            "Basic YXBwOnNlY3JldA=="
        );
    }

    #[test]
    fn s256_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn client_credentials_with_basic_auth_keeps_the_secret_out_of_the_body() {
        let secret = Secret::new("s+/=".into());
        let p = profile(|l| l.scope = Some("read write".into()));
        let req = build_request(&p, Some(&secret), &Grant::ClientCredentials).unwrap();
        assert_eq!(req.url, "https://idp.example/token");
        assert_eq!(
            req.form,
            vec![
                ("grant_type".into(), "client_credentials".into()),
                ("scope".into(), "read write".into())
            ]
        );
        assert!(
            req.headers
                .iter()
                .any(|(n, v)| n == "Authorization" && v.starts_with("Basic "))
        );
    }

    #[test]
    fn post_auth_puts_credentials_in_the_body_and_query_mode_moves_only_grant_params() {
        let secret = Secret::new("s".into());
        let p = profile(|l| {
            l.auth_method = Some(AuthMethod::Post);
            l.grant_params = Some(GrantParams::Query);
            l.params = vec![("tenant".into(), "a b".into())];
        });
        let req = build_request(&p, Some(&secret), &Grant::ClientCredentials).unwrap();
        assert_eq!(
            req.url,
            "https://idp.example/token?grant_type=client_credentials&tenant=a+b"
        );
        assert_eq!(
            req.form,
            vec![
                ("client_id".into(), "app".into()),
                ("client_secret".into(), "s".into())
            ]
        );
        assert!(!req.headers.iter().any(|(n, _)| n == "Authorization"));
    }

    #[test]
    fn query_mode_never_puts_a_secret_in_the_uri() {
        let code = Secret::new("c0de".into());
        let verifier = Secret::new("v".repeat(43));
        let p = profile(|l| {
            l.auth_method = Some(AuthMethod::None);
            l.grant_params = Some(GrantParams::Query);
        });
        let grant = Grant::AuthorizationCode {
            code: &code,
            redirect_uri: Some("http://127.0.0.1/cb"),
            code_verifier: Some(&verifier),
        };
        let req = build_request(&p, None, &grant).unwrap();
        assert_eq!(
            req.url,
            "https://idp.example/token?grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
        );
        let keys: Vec<&str> = req.form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["code", "code_verifier", "client_id"]);
        let rt = Secret::new("rt".into());
        let req = build_request(&p, None, &Grant::RefreshToken { refresh_token: &rt }).unwrap();
        assert_eq!(
            req.url,
            "https://idp.example/token?grant_type=refresh_token"
        );
        assert_eq!(req.form[0], ("refresh_token".to_string(), "rt".to_string()));
    }

    #[test]
    fn code_exchange_with_pkce_for_a_public_client() {
        let code = Secret::new("c0de".into());
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let p = profile(|l| l.auth_method = Some(AuthMethod::None));
        let grant = Grant::AuthorizationCode {
            code: &code,
            redirect_uri: Some("http://127.0.0.1/cb"),
            code_verifier: Some(&verifier),
        };
        let req = build_request(&p, None, &grant).unwrap();
        let keys: Vec<&str> = req.form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "grant_type",
                "code",
                "redirect_uri",
                "code_verifier",
                "client_id"
            ]
        );
    }

    #[test]
    fn profile_headers_override_defaults_case_insensitively() {
        let p = profile(|l| {
            l.auth_method = Some(AuthMethod::None);
            l.headers = vec![
                ("accept".into(), "application/vnd+json".into()),
                ("X-Tenant".into(), "t".into()),
            ];
        });
        let req = build_request(&p, None, &Grant::ClientCredentials).unwrap();
        assert_eq!(
            req.headers,
            vec![
                ("accept".into(), "application/vnd+json".into()),
                ("X-Tenant".into(), "t".into())
            ]
        );
    }

    #[test]
    fn expires_in_tolerance() {
        let v = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert_eq!(expires_in(Some(&v("3600"))), Some(3600));
        assert_eq!(expires_in(Some(&v("\"3599\""))), Some(3599));
        for bad in [
            "-5", "1.5", "\"1.5\"", "\"\"", "1e12", "null", "true", "\"soon\"",
        ] {
            assert_eq!(expires_in(Some(&v(bad))), None, "{bad}");
        }
        assert_eq!(expires_in(None), None);
    }

    #[test]
    fn a_jwt_exp_counts_only_within_the_bounds_of_expires_in() {
        let now = 1_700_000_000;
        let at = |exp: i64| {
            let token =
                crate::jwt::tests::make(r#"{"alg":"none"}"#, &format!(r#"{{"exp":{exp}}}"#));
            let body = json!({ "access_token": token }).to_string();
            parse_token_response(&response(200, &body), "https://x/t", now, &Trace::default())
                .unwrap()
                .expires_at
        };
        let max = MAX_EXPIRES_IN as i64;
        assert_eq!(at(now), Some(now));
        assert_eq!(at(now + 60), Some(now + 60));
        assert_eq!(at(now + max), Some(now + max));
        assert_eq!(at(now + max + 1), None);
        assert_eq!(at(now - 1), None);
        assert_eq!(at(i64::MAX), None);
        assert_eq!(at(i64::MIN), None);
        // expires_in, when usable, wins over the JWT.
        let token = crate::jwt::tests::make(r#"{"alg":"none"}"#, r#"{"exp":1}"#);
        let body = json!({ "access_token": token, "expires_in": 60 }).to_string();
        let parsed =
            parse_token_response(&response(200, &body), "https://x/t", now, &Trace::default());
        assert_eq!(parsed.unwrap().expires_at, Some(now + 60));
    }

    #[test]
    fn success_keeps_every_field_and_computes_expiry() {
        let body =
            r#"{"access_token":"at","token_type":"bearer","expires_in":60,"id":"u1","jti":"j"}"#;
        let token =
            parse_token_response(&response(200, body), "https://x/t", 1000, &Trace::default())
                .unwrap();
        assert_eq!(token.access_token, "at");
        assert_eq!(token.expires_at, Some(1060));
        assert!(token.is_bearer());
        assert_eq!(token.fields["id"], "u1");
    }

    #[test]
    fn exactly_a_trailing_comma_is_tolerated() {
        let body =
            "{\n  \"access_token\":\"someAccessTokenValue\",\n  \"refresh_token\":\"r\",\n}\n";
        let token = parse_token_response(&response(200, body), "https://x/t", 0, &Trace::default())
            .unwrap();
        assert_eq!(token.fields["refresh_token"], "r");
        for bad in [
            "{\"access_token\":\"a\",,}",
            "{\"access_token\":\"a\"",
            "[\"a\",]",
            "{\"access_token\":\"a\",]",
        ] {
            let err =
                parse_token_response(&response(200, bad), "https://x/t", 0, &Trace::default())
                    .unwrap_err();
            assert!(matches!(err, Error::Unreachable { .. }), "{bad}");
        }
    }

    #[test]
    fn a_number_beyond_a_float_is_an_absent_member() {
        let read = |body: &str| success_object(&response(200, body), "e", &Trace::default());
        let map = read(
            r#"{"access_token":"a","expires_in":1e400,"b":{"c":[-1E+999]},"d":1e-400,"e":1e300}"#,
        )
        .unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["access_token", "d", "e"]);
        assert_eq!(map["d"], 0.0);
        // With the trailing comma one provider sends, too.
        let map = read("{\"access_token\":\"a\",\"expires_in\":1e400,}").unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["access_token"]);
        // serde_json's wording for it is what `beyond_a_float` relies on.
        let e = serde_json::from_str::<Value>("1e400").unwrap_err();
        assert!(beyond_a_float(&e), "{e}");
        // What is not such a number still makes the body unreadable.
        let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
        for body in [r#"{"a":"\ud800"}"#, deep.as_str(), r#"{"a":1e400"#] {
            let err = read(body).unwrap_err();
            assert!(err.to_string().contains("not valid JSON"), "{body}: {err}");
        }
        // The token: expires_in absent, so the JWT's exp counts; an access_token so big is none.
        let jwt = crate::jwt::tests::make(r#"{"alg":"none"}"#, r#"{"exp":1060}"#);
        let body = format!(r#"{{"access_token":"{jwt}","expires_in":1e400}}"#);
        let token = parse_token_response(
            &response(200, &body),
            "https://x/t",
            1000,
            &Trace::default(),
        )
        .unwrap();
        assert_eq!(token.expires_at, Some(1060));
        assert!(!token.fields.contains_key("expires_in"));
        let err = parse_token_response(
            &response(200, r#"{"access_token":1e400}"#),
            "https://x/t",
            0,
            &Trace::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("the response has no access_token"),
            "{err}"
        );
    }

    #[test]
    fn no_answer_with_a_member_twice_is_read() {
        // success_object reads the token, device authorization, introspection and metadata answers.
        for body in [
            r#"{"active":false,"active":true}"#,
            r#"{"issuer":"https://a","jwks_uri":"x","issuer":"https://b"}"#,
            "{\"access_token\":\"a\",\"access_token\":\"b\",\n}",
        ] {
            let err = success_object(&response(200, body), "the endpoint h", &Trace::default())
                .unwrap_err();
            assert_eq!(err.exit() as u8, 4, "{body}");
            assert!(
                err.to_string()
                    .starts_with("the endpoint h answered HTTP 200 but its body has the member `"),
                "{err}"
            );
        }
        let err = success_object(
            &response(200, r#"{"a\u001b":1,"a\u001b":2}"#),
            "e",
            &Trace::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("the member `a\\u{1b}` twice"),
            "{err}"
        );
        // Names are compared as decoded: `\u0061` is `a`.
        assert!(
            success_object(
                &response(200, r#"{"a":1,"\u0061":2}"#),
                "e",
                &Trace::default()
            )
            .is_err()
        );
        // Inside a member, as inside a claim, JSON's own reading stands.
        let map = success_object(
            &response(200, r#"{"cnf":{"x":1,"x":2},"b":[1,1]}"#),
            "e",
            &Trace::default(),
        )
        .unwrap();
        assert_eq!(map["cnf"]["x"], 2);
        // An error answer with two codes is neither code.
        let err = parse_token_response(
            &response(400, r#"{"error":"invalid_scope","error":"invalid_client"}"#),
            "https://x/t",
            0,
            &Trace::default(),
        )
        .unwrap_err();
        assert_eq!(err.exit() as u8, 3);
        assert_eq!(err.oauth_fields(), (None, None, Some(400)));
        assert!(
            err.to_string().ends_with(
                "(HTTP 400): its body has the member `error` twice, so it is not read (RFC 8259 §4)"
            ),
            "{err}"
        );
    }

    #[test]
    fn missing_or_empty_access_token_is_an_error() {
        for body in [
            r#"{"token_type":"bearer"}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":5}"#,
            "[]",
            "",
        ] {
            let err =
                parse_token_response(&response(200, body), "https://x/t", 0, &Trace::default())
                    .unwrap_err();
            assert_eq!(err.exit() as u8, 4, "{body}: {err}");
        }
    }

    #[test]
    fn a_cached_token_is_checked_as_a_fresh_one_is() {
        for body in [
            r#"{"access_token":"at","token_type":"bearer"}"#,
            r#"{"access_token":"at\r\nX-Injected: 1","token_type":"Bearer"}"#,
            r#"{"access_token":"t\u00f6k"}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":7}"#,
            r#"{"refresh_token":"rt"}"#,
            r#"{"access_token":"at","token_type":"Bearer\u001b[2J"}"#,
            r#"{"access_token":"at","token_type":null}"#,
        ] {
            let fields: Map<String, Value> = serde_json::from_str(body).unwrap();
            let fresh =
                parse_token_response(&response(200, body), "https://x/t", 0, &Trace::default());
            let cached = TokenResponse::from_cache(fields, Some(60));
            assert_eq!(fresh.is_ok(), cached.is_some(), "{body}");
            if let (Ok(fresh), Some(cached)) = (fresh, cached) {
                assert_eq!(fresh.access_token, cached.access_token, "{body}");
                assert_eq!(fresh.token_type, cached.token_type, "{body}");
                assert_eq!(cached.expires_at, Some(60));
            }
        }
    }

    #[test]
    fn token_types_are_rfc_6749_names_or_uris() {
        let sorted = |value: Value| TokenType::from_field(Some(&value));
        for name in [
            "Bearer",
            "bearer",
            "DPoP",
            "N_A",
            "mac-1.0",
            "urn:ietf:params:oauth:token-type:jwt",
            "https://idp.example/types?v=1#a",
        ] {
            assert_eq!(sorted(name.into()), Some(TokenType::Named(name.into())));
        }
        for text in [
            "",
            "Bearer x",
            "Bearer\r\n",
            "b\u{1b}[0m",
            "tök",
            ":x",
            "1a:b",
            "a:b c",
        ] {
            assert_eq!(
                sorted(text.into()),
                Some(TokenType::Malformed(text.into())),
                "{text:?}"
            );
        }
        assert_eq!(sorted(Value::from(5)), Some(TokenType::Malformed(5.into())));
        assert_eq!(sorted(Value::Null), None);
        assert_eq!(TokenType::from_field(None), None);
        assert_eq!(
            TokenType::Malformed("a\u{1b}b".into()).describe(),
            "`a\\u{1b}b`"
        );
        assert_eq!(
            TokenType::Malformed(Value::Bool(true)).describe(),
            "a boolean"
        );
        // Only a named Bearer (or none at all) is a bearer token.
        let token = |t: &str| {
            parse_token_response(
                &response(
                    200,
                    &json!({"access_token": "a", "token_type": t}).to_string(),
                ),
                "https://x/t",
                0,
                &Trace::default(),
            )
            .unwrap()
        };
        assert!(token("BEARER").is_bearer());
        assert!(!token("Bearer ").is_bearer());
        assert!(!token("DPoP").is_bearer());
    }

    #[test]
    fn oauth_errors_become_one_line_in_the_providers_words() {
        let watson = r#"{"error":"invalid_client","error_description":"Bad credentials","message":"Bad credentials","path":"/oauth/token","status":"401","timestamp":"2020-01-01T00:00:00.000Z"}"#;
        let err = parse_token_response(
            &response(401, watson),
            "https://api.x/oauth/token",
            0,
            &Trace::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the token endpoint api.x refused the request (HTTP 401): invalid_client: Bad credentials"
        );
        assert_eq!(
            err.oauth_fields(),
            (Some("invalid_client"), Some("Bad credentials"), Some(401))
        );

        let igni = r#"{"error":"invalid_client","message":"Client authentication failed"}"#;
        let err = parse_token_response(
            &response(401, igni),
            "https://w.igni.co/t",
            0,
            &Trace::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("invalid_client: Client authentication failed"),
            "{err}"
        );
        assert_eq!(err.oauth_fields().1, Some("Client authentication failed"));

        let err = parse_token_response(
            &response(400, r#"{"error" : "invalid_scope"}"#),
            "https://x/t",
            0,
            &Trace::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().ends_with("(HTTP 400): invalid_scope"),
            "{err}"
        );
        assert_eq!(err.exit() as u8, 3);
    }

    #[test]
    fn html_and_5xx_are_summarised_not_dumped() {
        let mut resp = response(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body>\x1b[31m…</body></html>",
        );
        resp.content_type = Some("text/html".into());
        let err = parse_token_response(&resp, "https://x/t", 0, &Trace::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the token endpoint x failed (HTTP 502): 502 Bad Gateway (text/html)"
        );
        assert_eq!(err.exit() as u8, 4);
        let mut resp = response(403, "Forbidden\n");
        resp.content_type = Some("text/plain".into());
        let err = parse_token_response(&resp, "https://x/t", 0, &Trace::default()).unwrap_err();
        assert_eq!(err.exit() as u8, 3);
        assert!(
            err.to_string()
                .ends_with("(HTTP 403): Forbidden (text/plain)"),
            "{err}"
        );
    }

    #[test]
    fn redirects_are_reported_with_their_target() {
        let mut resp = response(302, "");
        resp.location = Some("https://elsewhere/t".into());
        let err = parse_token_response(&resp, "https://x/t", 0, &Trace::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("redirecting to https://elsewhere/t"),
            "{err}"
        );
        assert_eq!(err.exit() as u8, 4);
    }
}
