//! The protocol (RFC 6749 and its extensions), owned here:
//! - `grant`: the grants a token request carries, each with its parameters, which of them are
//!   secret, and whether a request may be resent;
//! - `client_auth`: how the client authenticates, each method with what it adds to a request;
//! - `request`: the typed request built from a profile, a grant and the client's authentication,
//!   which the sender and `--dry-run` both render;
//! - `response` and `answer`: what a server answered, as a token or one clear error.
//!
//! A new grant or client-authentication method is a variant in `grant.rs` or `client_auth.rs`,
//! with its arms; the request, the trace's masks and the dry run follow from what it declares.

mod answer;
pub mod assertion;
pub mod client;
pub mod client_auth;
pub mod credential;
pub mod grant;
pub mod request;
mod response;

pub use answer::{failure, success_object};
pub use client::{Client, ClientSecret, Discovered, Run};
pub use client_auth::{ClientAuth, basic_authorization};
pub use grant::{
    DEVICE_CODE_GRANT, Grant, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, s256_challenge,
    token_type_uri,
};
pub use request::{
    Header, HeaderValue, Param, TokenRequest, access_params, build_request, client_request,
};
pub use response::{
    MAX_EXPIRES_IN, TokenResponse, TokenType, expires_in, is_vschar, parse_token_response,
};

/// Names of parameters and JSON members whose values are secrets in OAuth: a profile's extra
/// parameter of one of these names is a secret parameter, a URL's query value of one is hidden,
/// and the `-v` trace masks the member of one in any JSON answer, at any depth.
pub const SECRET_NAMES: &[&str] = &[
    "client_secret",
    // RFC 7009 §2.1 / RFC 7662 §2.1: the token being revoked or introspected.
    "token",
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "id_token",
    "client_assertion",
    "assertion",
    "password",
    "device_code",
    "subject_token",
    "actor_token",
];

#[cfg(test)]
mod tests;
