//! Clients without a shared secret in the request (DESIGN §10): client assertions (RFC 7523 §2.2,
//! OpenID Connect Core §9) and their configuration errors, against loopback stubs that record
//! exactly what was sent.

mod config_errors;
mod secret_jwt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::support::server::Recorded;

/// RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The header and claims of the client assertion a request carried, and its signing input and
/// signature, after checking the parameters around it.
pub struct Sent {
    pub header: Value,
    pub claims: Value,
    pub input: String,
    pub signature: Vec<u8>,
    pub raw: String,
}

pub fn assertion_of(request: &Recorded, client_id: &str) -> Sent {
    assert_eq!(
        request.header("authorization"),
        None,
        "no Basic beside an assertion"
    );
    assert_eq!(request.form_value("client_id").as_deref(), Some(client_id));
    assert_eq!(
        request.form_value("client_assertion_type").as_deref(),
        Some(JWT_BEARER)
    );
    assert_eq!(request.form_value("client_secret"), None);
    let raw = request
        .form_value("client_assertion")
        .expect("a client_assertion");
    let parts: Vec<&str> = raw.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS: {raw}");
    let json = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    Sent {
        header: json(parts[0]),
        claims: json(parts[1]),
        input: format!("{}.{}", parts[0], parts[1]),
        signature: URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        raw,
    }
}

/// RFC 7523 §3: `iss` = `sub` = the client, `aud`, a 128-bit `jti`, `iat` now, `exp` = `iat` +
/// `lifetime`.
pub fn assert_claims(sent: &Sent, client_id: &str, audience: &str, lifetime: i64) {
    let claims = &sent.claims;
    assert_eq!(claims["iss"], client_id);
    assert_eq!(claims["sub"], client_id);
    assert_eq!(claims["aud"], audience);
    let jti = claims["jti"].as_str().expect("jti");
    assert_eq!(URL_SAFE_NO_PAD.decode(jti).unwrap().len(), 16, "{jti}");
    let iat = claims["iat"].as_i64().unwrap();
    assert!((iat - crate::support::common::now()).abs() < 30, "{iat}");
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, lifetime);
}
