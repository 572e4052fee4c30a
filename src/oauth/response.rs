//! A token response (RFC 6749 §5.1): the one way one is made, fresh or from the cache, and when it
//! expires.

use serde_json::{Map, Value};

use super::answer::success_object;
use crate::error::{Error, Result};
use crate::http::{Response, Trace, host_of};
use crate::untrusted::printable;

/// `expires_in` beyond this (ten years) is nonsense and treated as absent (SECURITY 26).
pub const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub fields: Map<String, Value>,
    /// RFC 6749 App. A.12: one or more VSCHAR (printable ASCII), checked.
    pub access_token: String,
    /// `None` when the server sent none (or null).
    pub token_type: Option<TokenType>,
    /// Unix seconds, from `expires_in` or else the JWT's own `exp`.
    pub expires_at: Option<i64>,
    /// The RFC 7638 thumbprint of the DPoP key a `DPoP` token is bound to (RFC 9449 §5), when
    /// oauthctl asked for it with that key.
    pub dpop_jkt: Option<String>,
    /// Where the DPoP key it is bound to is kept (with `dpop_jkt`).
    pub dpop_key: Option<crate::dpop::Kept>,
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
    pub(super) fn from_field(value: Option<&Value>) -> Option<TokenType> {
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
            dpop_jkt: None,
            dpop_key: None,
            fields,
        })
    }

    /// A token as the cache kept it, checked as a fresh answer is: one that fails is a miss
    /// (DESIGN §7), as a corrupt file is.
    pub fn from_cache(
        fields: Map<String, Value>,
        expires_at: Option<i64>,
        dpop: Option<(String, crate::dpop::Kept)>,
    ) -> Option<TokenResponse> {
        let token = TokenResponse::checked(fields).ok()?;
        let (dpop_jkt, dpop_key) = dpop.unzip();
        Some(TokenResponse {
            expires_at,
            dpop_jkt,
            dpop_key,
            ..token
        })
    }

    /// A DPoP token (RFC 9449 §5: `token_type` `DPoP`, in any case).
    pub fn is_dpop(&self) -> bool {
        matches!(&self.token_type, Some(TokenType::Named(name)) if name.eq_ignore_ascii_case("dpop"))
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
