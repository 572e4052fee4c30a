//! Client assertions: the JWT a client signs to authenticate instead of sending a secret
//! (RFC 7523 §2.2 and §3, OpenID Connect Core §9 `private_key_jwt` and `client_secret_jwt`).
//! One is made for every request, retries included, and never kept: its `jti` is single-use
//! (RFC 7523 §3 item 7) and a server may refuse one it has seen.

use std::rc::Rc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::keys::Alg;
use crate::keys::signing::SigningKey;
use crate::secret::Secret;

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What signs the assertions: the client's private key, or its secret as an HMAC key.
pub enum AssertionKey {
    Private(Rc<SigningKey>),
    Hmac(Secret),
}

/// Makes the client's assertions: who it is, how it signs, and what its JWS header says of the
/// key.
pub struct AssertionSigner {
    pub key: AssertionKey,
    pub alg: Alg,
    /// The JWS `kid`.
    pub kid: Option<String>,
    /// The certificate's `x5t#S256` and `x5t` (RFC 7515 §4.1.8, §4.1.7), when one is configured.
    pub x5t: Option<(String, String)>,
    /// `iss` and `sub` (RFC 7523 §3 items 1 and 2): the client_id for a client assertion; for a
    /// JWT bearer grant, whom the profile names (DESIGN §11).
    pub issuer: String,
    pub subject: String,
    /// More claims (a JWT bearer grant's `scope`, as Google's service accounts take it).
    pub extra: Vec<(String, String)>,
    /// `exp` - `iat`, in seconds.
    pub lifetime: u64,
}

impl std::fmt::Debug for AssertionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AssertionSigner({} for {})", self.alg, self.issuer)
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    x5t_s256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
    #[serde(flatten)]
    extra: std::collections::BTreeMap<&'a str, &'a str>,
}

impl AssertionSigner {
    /// A new assertion for `audience`, issued at `now` (seconds since the epoch).
    pub fn mint(&self, audience: &str, now: u64) -> Result<Secret> {
        let header = Header {
            alg: self.alg.name(),
            typ: "JWT",
            kid: self.kid.as_deref(),
            x5t_s256: self.x5t.as_ref().map(|(s256, _)| s256.as_str()),
            x5t: self.x5t.as_ref().map(|(_, sha1)| sha1.as_str()),
        };
        let claims = Claims {
            iss: &self.issuer,
            sub: &self.subject,
            aud: audience,
            jti: random_jti()?,
            iat: now,
            exp: now + self.lifetime,
            // The registered claims above are oauthctl's to set: an extra one of the same name
            // would make the JSON hold it twice.
            extra: self
                .extra
                .iter()
                .filter(|(name, _)| {
                    !["iss", "sub", "aud", "jti", "iat", "exp"].contains(&name.as_str())
                })
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect(),
        };
        let signing_input = format!("{}.{}", encoded(&header)?, encoded(&claims)?);
        let signature = self.sign(signing_input.as_bytes())?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        match &self.key {
            AssertionKey::Private(key) => key
                .sign(self.alg, message)
                .map_err(|e| Error::Config(format!("cannot sign the client assertion: {e}"))),
            AssertionKey::Hmac(secret) => {
                let algorithm = match self.alg {
                    Alg::HS256 => ring::hmac::HMAC_SHA256,
                    Alg::HS384 => ring::hmac::HMAC_SHA384,
                    Alg::HS512 => ring::hmac::HMAC_SHA512,
                    other => {
                        return Err(Error::Internal(format!("{other} with a client secret")));
                    }
                };
                let key = ring::hmac::Key::new(algorithm, secret.expose().as_bytes());
                Ok(ring::hmac::sign(&key, message).as_ref().to_vec())
            }
        }
    }
}

/// RFC 7523 §3 item 7 (and RFC 9449 §4.2 for DPoP proofs): a unique identifier; 128 random bits
/// make a collision out of reach.
pub(crate) fn random_jti() -> Result<String> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| Error::Internal("the system's random source failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// base64url(JSON), a JWS part.
pub(crate) fn encoded<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_vec(value)
        .map(|json| URL_SAFE_NO_PAD.encode(json))
        .map_err(|e| Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(token: &str, n: usize) -> serde_json::Value {
        let text = token.split('.').nth(n).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
    }

    #[test]
    fn an_hmac_assertion_has_the_rfc_7523_claims_and_verifies() {
        let secret = "s".repeat(32);
        let signer = AssertionSigner {
            key: AssertionKey::Hmac(Secret::new(secret.clone())),
            alg: Alg::HS256,
            kid: None,
            x5t: Some(("s256".into(), "sha1".into())),
            issuer: "app".into(),
            subject: "app".into(),
            extra: vec![
                ("scope".into(), "a b".into()),
                ("iss".into(), "ignored".into()),
            ],
            lifetime: 60,
        };
        let a = signer
            .mint("https://idp.example/token", 1_700_000_000)
            .unwrap();
        let b = signer
            .mint("https://idp.example/token", 1_700_000_000)
            .unwrap();
        let token = a.expose();
        assert_eq!(
            part(token, 0),
            serde_json::json!({"alg": "HS256", "typ": "JWT", "x5t#S256": "s256", "x5t": "sha1"})
        );
        let claims = part(token, 1);
        assert_eq!(claims["iss"], "app");
        assert_eq!(claims["sub"], "app");
        assert_eq!(claims["aud"], "https://idp.example/token");
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_000_060);
        assert_eq!(claims["scope"], "a b");
        let jti = claims["jti"].as_str().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(jti).unwrap().len(), 16);
        assert_ne!(
            part(b.expose(), 1)["jti"],
            claims["jti"],
            "a new jti each time"
        );
        // The signature, checked by the verifier `inspect --verify` uses.
        let (input, signature) = token.rsplit_once('.').unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        ring::hmac::verify(
            &key,
            input.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .unwrap();
    }
}
