//! Signature and claim checks for `inspect --verify`. Pure: no I/O, no clock.
//!
//! Three steps, each reporting exactly why when it says no: a [`KeySet`] (here) read from a JWK
//! Set, one JWK, a PEM public key or certificate, or an HMAC secret, whose key material
//! `crate::keys` reads while this module decides which keys may check signatures at all;
//! [`verify_signature`] (`signature.rs`), which picks the key and checks the JWS signature over
//! the signing input exactly as sent (RFC 7515 §5.2); and [`check_claims`] (`claims.rs`), which
//! checks `exp`, `nbf`, `iat`, `iss` and `aud` one by one so that the user sees what was and was
//! not verified.
//!
//! The cryptography is ring's (the library rustls already uses here); this module decides which
//! key and which algorithm may be used. The algorithm is pinned by the key, never taken from the
//! token alone (RFC 8725 §3.1): a token saying HS256 is never checked with an RSA key's bytes as
//! the HMAC secret. `alg: none` is always refused, and headers that point to or carry keys
//! (`jku`, `x5u`, `jwk`, `x5c`) are never fetched or used (RFC 8725 §3.10), only reported.

use std::fmt;

use serde_json::Value;

use crate::jwt::json_kind;
use crate::keys::{self, Alg, KeyFamily, VerifyingKey};
use crate::untrusted::printable;

mod claims;
mod signature;

pub use claims::{ClaimRules, DEFAULT_LEEWAY, check_claims};
/// The bare check of one signature with one key, for the signing side's tests.
#[cfg(test)]
pub(crate) use signature::verifies;
pub use signature::{Refused, Verified, ignored_headers, verify_signature};

/// Longest text taken from a token or a key set into a message.
const SHOWN: usize = 80;

/// One key that may check signatures.
pub struct Key {
    /// The JWK `kid`, when the key came with one.
    pub kid: Option<String>,
    pub family: KeyFamily,
    /// The algorithms this key may check: exactly the JWK's `alg` when it has one, else every
    /// algorithm of its family. Never empty.
    pub algs: Vec<Alg>,
    /// For messages: `kid rs256-1 (RSA 2048)`, `EC P-256 key from key.pem`.
    pub description: String,
    material: VerifyingKey,
}

impl fmt::Debug for Key {
    // By hand: the material of an HMAC key is the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("family", &self.family)
            .field("algs", &self.algs)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// `pinned` is a JWK's `alg`; `source` names where the key came from, for kid-less keys.
    fn new(
        kid: Option<String>,
        pinned: Option<Alg>,
        material: VerifyingKey,
        source: &str,
    ) -> Result<Key, String> {
        let family = material.family();
        let algs = match pinned {
            None => family.algs(),
            Some(alg) if family.algs().contains(&alg) => vec![alg],
            Some(alg) => {
                return Err(match (family, alg.hmac_min_bytes()) {
                    (KeyFamily::Hmac { bytes }, Some(min)) => format!(
                        "alg {alg} needs a secret of at least {min} bytes (RFC 7518 §3.2); this one has {bytes}"
                    ),
                    (KeyFamily::Hmac { .. }, None) => {
                        format!("alg {alg} cannot be used with an HMAC secret")
                    }
                    _ => format!("alg {alg} cannot be used with an {family} key"),
                });
            }
        };
        if algs.is_empty() {
            // Only an HMAC secret shorter than any hash gets here.
            return Err(format!(
                "the {family} is too short: HS256 needs at least 32 bytes (RFC 7518 §3.2)"
            ));
        }
        let description = match (&kid, family) {
            (Some(kid), _) => format!("kid {} ({family})", printable(kid, SHOWN)),
            (None, KeyFamily::Hmac { .. }) => format!("{family} from {}", printable(source, SHOWN)),
            (None, _) => format!("{family} key from {}", printable(source, SHOWN)),
        };
        Ok(Key {
            kid,
            family,
            algs,
            description,
            material,
        })
    }
}

/// The candidate keys for a signature check, and why others were left out.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<Skipped>,
}

#[derive(Debug)]
struct Skipped {
    kid: Option<String>,
    /// `key 3 (kid enc-1): use is enc, not sig`
    note: String,
    reason: String,
}

impl KeySet {
    /// A JWK Set (RFC 7517 §5), e.g. from an issuer's `jwks_uri` or `--jwks`. Keys that cannot be
    /// used are skipped with a note (see [`KeySet::notes`]); a set with none usable is an error.
    /// Symmetric (`oct`) keys are skipped too: a JWK Set is published, so its secret is not one.
    pub fn from_jwks_json(bytes: &[u8], source: &str) -> Result<KeySet, String> {
        let shown = printable(source, SHOWN);
        let set =
            keys::unique_json(bytes).map_err(|why| format!("the JWK Set from {shown} {why}"))?;
        let Some(members) = set.get("keys").and_then(Value::as_array) else {
            return Err(format!(
                "the JSON from {shown} is not a JWK Set: it has no `keys` array (RFC 7517 §5)"
            ));
        };
        if members.is_empty() {
            return Err(format!("the JWK Set from {shown} has no keys"));
        }
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for (index, jwk) in members.iter().enumerate() {
            let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
            let parsed = if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
                Err(
                    "a symmetric (oct) key in a JWK Set is not secret; give an HMAC secret with \
                     --secret-file or --secret-env instead"
                        .to_string(),
                )
            } else {
                key_from_jwk(jwk, source)
            };
            match parsed {
                Ok(key) => keys.push(key),
                Err(reason) => {
                    let label = match &kid {
                        Some(kid) => format!("key {} (kid {})", index + 1, printable(kid, SHOWN)),
                        None => format!("key {}", index + 1),
                    };
                    skipped.push(Skipped {
                        kid,
                        note: format!("{label}: {reason}"),
                        reason,
                    });
                }
            }
        }
        if keys.is_empty() {
            let why: Vec<&str> = skipped.iter().map(|s| s.note.as_str()).collect();
            return Err(format!(
                "no usable key in the JWK Set from {shown}: {}",
                why.join("; ")
            ));
        }
        Ok(KeySet { keys, skipped })
    }

    /// One JWK (RFC 7517 §4), e.g. `--key key.jwk`; a JWK Set is read as one too.
    pub fn from_jwk_json(bytes: &[u8], source: &str) -> Result<KeySet, String> {
        let shown = printable(source, SHOWN);
        let jwk = keys::unique_json(bytes).map_err(|why| format!("the JWK from {shown} {why}"))?;
        if jwk.get("keys").is_some() {
            return KeySet::from_jwks_json(bytes, source);
        }
        let key = key_from_jwk(&jwk, source)
            .map_err(|reason| format!("the JWK from {shown} cannot be used: {reason}"))?;
        Ok(KeySet::one(key))
    }

    /// A PEM public key (`PUBLIC KEY`: RSA, EC P-256/P-384 or Ed25519; `RSA PUBLIC KEY`) or
    /// certificate (`CERTIFICATE`, whose public key is used as is: the certificate itself is not
    /// validated). In a chain, the first certificate is the one used.
    pub fn from_pem(bytes: &[u8], source: &str) -> Result<KeySet, String> {
        let shown = printable(source, SHOWN);
        let blocks = keys::pem_blocks(bytes, &shown)?;
        let first = &blocks[0];
        if blocks.iter().any(|b| b.tag().contains("PRIVATE KEY")) {
            return Err(format!(
                "{shown} holds a private key; give its public key instead \
                 (`openssl pkey -in {shown} -pubout`)"
            ));
        }
        if blocks.len() > 1 && !blocks.iter().all(|b| b.tag() == "CERTIFICATE") {
            return Err(format!(
                "{shown} has {} PEM blocks; give one public key or certificate",
                blocks.len()
            ));
        }
        let cannot = |reason: String| format!("the key from {shown} cannot be used: {reason}");
        let (material, from) = match first.tag() {
            "PUBLIC KEY" => {
                let material = VerifyingKey::from_spki_der(first.contents()).map_err(cannot)?;
                (material, source.to_string())
            }
            "RSA PUBLIC KEY" => {
                let material =
                    VerifyingKey::from_rsa_public_key_der(first.contents()).map_err(cannot)?;
                (material, source.to_string())
            }
            "CERTIFICATE" => {
                let material = keys::certificate_spki(first.contents())
                    .and_then(|spki| VerifyingKey::from_spki_der(&spki))
                    .map_err(cannot)?;
                (material, format!("certificate {source}"))
            }
            other => {
                return Err(format!(
                    "{shown} holds a `{}` PEM block; expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE",
                    printable(other, SHOWN)
                ));
            }
        };
        let key = Key::new(None, None, material, &from).map_err(cannot)?;
        Ok(KeySet::one(key))
    }

    /// `--key FILE`: a JWK when the file is a JSON object, else PEM.
    pub fn from_key_file(bytes: &[u8], source: &str) -> Result<KeySet, String> {
        if bytes.trim_ascii_start().starts_with(b"{") {
            KeySet::from_jwk_json(bytes, source)
        } else {
            KeySet::from_pem(bytes, source)
        }
    }

    /// An HMAC secret (`--secret-env`, `--secret-file`), for HS256/384/512. RFC 7518 §3.2: the key
    /// must be at least as long as the hash, so a secret under 32 bytes is refused, and one under
    /// 64 bytes checks only the algorithms it is long enough for.
    pub fn hmac(secret: &[u8], source: &str) -> Result<KeySet, String> {
        if secret.is_empty() {
            return Err(format!(
                "the HMAC secret from {} is empty",
                printable(source, SHOWN)
            ));
        }
        let key = Key::new(None, None, VerifyingKey::Hmac(secret.to_vec()), source)
            .map_err(|reason| format!("{reason} (from {})", printable(source, SHOWN)))?;
        Ok(KeySet::one(key))
    }

    fn one(key: Key) -> KeySet {
        KeySet {
            keys: vec![key],
            skipped: Vec::new(),
        }
    }

    /// The usable keys, in the order they are tried.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// One line per key that was skipped, and why: `key 6 (kid enc-1): use is enc, not sig`.
    pub fn notes(&self) -> Vec<String> {
        self.skipped.iter().map(|s| s.note.clone()).collect()
    }
}

/// A key from one JWK (RFC 7517 §4), if it may check signatures: not one for encryption, and
/// with an `alg`, if it names one, that oauthctl verifies.
fn key_from_jwk(jwk: &Value, source: &str) -> Result<Key, String> {
    let Some(jwk) = jwk.as_object() else {
        return Err(format!("{} is not a JWK (a JSON object)", json_kind(jwk)));
    };
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(other) => return Err(format!("`kid` is {}, not a string", json_kind(other))),
    };
    // RFC 7517 §4.2/§4.3: a key meant for encryption is never used to check a signature.
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(Value::String(u)) => return Err(format!("use is {}, not sig", printable(u, SHOWN))),
        Some(other) => return Err(format!("`use` is {}, not a string", json_kind(other))),
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"));
        if !verifies {
            return Err("key_ops does not include verify".into());
        }
    }
    let pinned = match jwk.get("alg") {
        None => None,
        Some(Value::String(alg)) => match Alg::from_name(alg) {
            Some(alg) => Some(alg),
            None => {
                return Err(format!(
                    "alg {} is not a signature algorithm oauthctl supports",
                    printable(alg, SHOWN)
                ));
            }
        },
        Some(other) => return Err(format!("`alg` is {}, not a string", json_kind(other))),
    };
    let material = VerifyingKey::from_jwk(jwk)?;
    Key::new(kid, pinned, material, source)
}

/// `a, b, c`, or the first `max` and `and N more`.
fn list(items: &[String], max: usize) -> String {
    let mut shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let more;
    if items.len() > max {
        more = format!("and {} more", items.len() - max);
        shown.push(&more);
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests;
