//! The JWS signature check of `inspect --verify` (RFC 7515 §5.2), with ring: which of the
//! user's keys may check a token (its `kid`, each key's algorithms), with which algorithm (the
//! token's, only when the key allows it: RFC 8725 §3.1; never `none`), and, when none verifies,
//! exactly why not.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::{hmac, signature};
use serde_json::{Map, Value};

use super::{Key, KeySet, SHOWN, list};
use crate::jwt::{self, json_kind};
use crate::keys::{Alg, KeyFamily, VerifyingKey};
use crate::untrusted::printable;

/// Whether `sig` is `alg`'s signature of `message` by `key`. An algorithm of another family is
/// false whatever the bytes, so even a wrong `algs` list could not turn an RSA public key into an
/// HMAC secret.
pub(crate) fn verifies(key: &VerifyingKey, alg: Alg, message: &[u8], sig: &[u8]) -> bool {
    let unparsed = |algorithm: &'static dyn signature::VerificationAlgorithm, key: &[u8]| {
        signature::UnparsedPublicKey::new(algorithm, key)
            .verify(message, sig)
            .is_ok()
    };
    match (key, alg) {
        (VerifyingKey::Rsa { n, e }, _) => {
            let params: &signature::RsaParameters = match alg {
                Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                Alg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
                _ => return false,
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, message, sig)
                .is_ok()
        }
        (VerifyingKey::EcP256(point), Alg::ES256) => {
            unparsed(&signature::ECDSA_P256_SHA256_FIXED, point)
        }
        (VerifyingKey::EcP384(point), Alg::ES384) => {
            unparsed(&signature::ECDSA_P384_SHA384_FIXED, point)
        }
        (VerifyingKey::Ed25519(key), Alg::EdDSA) => unparsed(&signature::ED25519, key),
        (VerifyingKey::Hmac(secret), Alg::HS256 | Alg::HS384 | Alg::HS512) => {
            let algorithm = match alg {
                Alg::HS256 => hmac::HMAC_SHA256,
                Alg::HS384 => hmac::HMAC_SHA384,
                _ => hmac::HMAC_SHA512,
            };
            // Constant time.
            hmac::verify(&hmac::Key::new(algorithm, secret), message, sig).is_ok()
        }
        _ => false,
    }
}

/// A signature that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `kid` of the key that verified, when it has one.
    pub kid: Option<String>,
    pub alg: Alg,
    /// The key's [`Key::description`].
    pub key: String,
    /// Key-bearing headers the token had and that were not followed: see [`ignored_headers`].
    pub ignored_headers: Vec<&'static str>,
}

/// Why a signature was not verified. `Display` is the message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a compact JWS (the decoder's message), or a header member of the wrong type.
    Malformed(String),
    /// `alg: none` (in any case): an unsecured JWT has nothing to verify.
    AlgNone,
    NoAlg,
    /// An `alg` oauthctl does not verify (shown escaped).
    UnsupportedAlg(String),
    /// RFC 7515 §4.1.11: extensions the recipient must understand; oauthctl understands none.
    Crit(Vec<String>),
    /// The token's `kid` matches no usable key, and no key without a kid could stand in.
    NoKeyWithKid {
        kid: String,
        /// The kids of the usable keys.
        kids: Vec<String>,
        /// Why a key with this kid was skipped when the key set was read.
        skipped: Option<String>,
    },
    /// The candidate keys exist but none may be used with the token's `alg` (e.g. HS256 against
    /// an RSA key: the algorithm confusion attack).
    AlgNotAllowed {
        alg: Alg,
        /// Each candidate's description and the algorithms it allows.
        keys: Vec<(String, Vec<Alg>)>,
        /// The token's alg is HMAC and a candidate is an HMAC secret too short for it.
        secret_too_short: bool,
    },
    /// Every candidate key was tried; the signature matched none.
    SignatureMismatch {
        alg: Alg,
        tried: Vec<String>,
    },
}

impl std::error::Error for Refused {}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Malformed(message) => f.write_str(message),
            Refused::AlgNone => f.write_str(
                "alg: none is never accepted (an unsecured JWT has no signature to verify)",
            ),
            Refused::NoAlg => f.write_str("the token has no alg"),
            Refused::UnsupportedAlg(alg) => {
                let supported: Vec<&str> = Alg::ALL.iter().map(|a| a.name()).collect();
                write!(
                    f,
                    "alg {alg} is not supported (supported: {})",
                    supported.join(", ")
                )
            }
            Refused::Crit(names) => write!(
                f,
                "crit header present ({}): oauthctl understands no JWS extension, so it must refuse \
                 the token (RFC 7515 §4.1.11)",
                names.join(", ")
            ),
            Refused::NoKeyWithKid { kid, kids, skipped } => {
                write!(f, "no key with kid {kid}")?;
                match kids.as_slice() {
                    [] => f.write_str(" (the usable keys have no kid)")?,
                    kids => write!(f, " (keys: {})", list(kids, 20))?,
                }
                if let Some(reason) = skipped {
                    write!(f, "; the key with kid {kid} was skipped: {reason}")?;
                }
                Ok(())
            }
            Refused::AlgNotAllowed {
                alg,
                keys,
                secret_too_short,
            } => {
                match keys.as_slice() {
                    [(key, algs)] => write!(
                        f,
                        "alg {alg} is not one this key allows ({}): {key}",
                        names(algs)
                    )?,
                    keys => {
                        let each: Vec<String> = keys
                            .iter()
                            .map(|(key, algs)| format!("{key}: {}", names(algs)))
                            .collect();
                        write!(
                            f,
                            "alg {alg} is not one these keys allow ({})",
                            each.join("; ")
                        )?
                    }
                }
                if let (true, Some(min)) = (secret_too_short, alg.hmac_min_bytes()) {
                    write!(
                        f,
                        "; {alg} needs an HMAC secret of at least {min} bytes (RFC 7518 §3.2)"
                    )?;
                }
                Ok(())
            }
            Refused::SignatureMismatch { alg, tried } => match tried.as_slice() {
                [key] => write!(f, "signature does not match ({alg}, {key})"),
                tried => write!(
                    f,
                    "signature does not match any of the {} keys that could check {alg} ({})",
                    tried.len(),
                    list(tried, 20)
                ),
            },
        }
    }
}

fn names(algs: &[Alg]) -> String {
    algs.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
}

/// The header members that point to or carry a key (RFC 7515 §4.1.2–§4.1.6, RFC 8725 §3.10)
/// present in `header`. They are never fetched or used; this is for a note to the user.
pub fn ignored_headers(header: &Map<String, Value>) -> Vec<&'static str> {
    ["jku", "jwk", "x5u", "x5c"]
        .into_iter()
        .filter(|name| header.contains_key(*name))
        .collect()
}

/// Checks the JWS signature of `token` (compact serialization, as `jwt::decode` takes it) with
/// the keys that may: those whose `kid` is the token's (or, when none has it, those without a
/// kid), allowing the token's `alg`. A kid-less token is tried with every such key; [`Verified`]
/// says which one matched.
pub fn verify_signature(token: &str, keys: &KeySet) -> Result<Verified, Refused> {
    let token = jwt::strip_prefixes(token.trim());
    let header = jwt::decode(token)
        .map_err(|e| Refused::Malformed(e.to_string()))?
        .header;
    // RFC 7515 §5.2: the signature covers the first two segments exactly as they are in the token.
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return Err(Refused::Malformed(
            "the token has no signature segment".into(),
        ));
    };
    let alg = match header.get("alg") {
        None => return Err(Refused::NoAlg),
        Some(Value::String(alg)) if alg.eq_ignore_ascii_case("none") => {
            return Err(Refused::AlgNone);
        }
        Some(Value::String(alg)) => {
            Alg::from_name(alg).ok_or_else(|| Refused::UnsupportedAlg(printable(alg, SHOWN)))?
        }
        Some(other) => {
            return Err(Refused::Malformed(format!(
                "the token's alg is {}, not a string",
                json_kind(other)
            )));
        }
    };
    if let Some(crit) = header.get("crit") {
        let names = match crit.as_array() {
            Some(names) => names
                .iter()
                .map(|n| match n {
                    Value::String(s) => printable(s, SHOWN),
                    other => json_kind(other).to_string(),
                })
                .collect(),
            None => vec![json_kind(crit).to_string()],
        };
        return Err(Refused::Crit(names));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(other) => {
            return Err(Refused::Malformed(format!(
                "the token's kid is {}, not a string",
                json_kind(other)
            )));
        }
    };

    // RFC 7517 §4.5: `kid` selects the key. A key without a kid (a PEM file, a secret) is one the
    // user chose, and may check a token whatever kid it names.
    let mut candidates: Vec<&Key> = match kid {
        Some(kid) => keys
            .keys
            .iter()
            .filter(|k| k.kid.as_deref() == Some(kid))
            .collect(),
        None => keys.keys.iter().collect(),
    };
    if candidates.is_empty() {
        candidates = keys.keys.iter().filter(|k| k.kid.is_none()).collect();
    }
    if candidates.is_empty() {
        let kid = kid.unwrap_or_default();
        return Err(Refused::NoKeyWithKid {
            kid: printable(kid, SHOWN),
            kids: keys
                .keys
                .iter()
                .filter_map(|k| k.kid.as_deref().map(|kid| printable(kid, SHOWN)))
                .collect(),
            skipped: keys
                .skipped
                .iter()
                .find(|s| s.kid.as_deref() == Some(kid))
                .map(|s| s.reason.clone()),
        });
    }
    let usable: Vec<&Key> = candidates
        .iter()
        .copied()
        .filter(|k| k.algs.contains(&alg))
        .collect();
    if usable.is_empty() {
        return Err(Refused::AlgNotAllowed {
            alg,
            keys: candidates
                .iter()
                .map(|k| (k.description.clone(), k.algs.clone()))
                .collect(),
            secret_too_short: candidates.iter().any(|k| {
                matches!(k.family, KeyFamily::Hmac { bytes }
                    if alg.hmac_min_bytes().is_some_and(|min| bytes < min))
            }),
        });
    }
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        // jwt::decode has already refused a signature that is not base64url.
        return Err(Refused::Malformed("the signature is not base64url".into()));
    };
    for key in &usable {
        if verifies(&key.material, alg, signing_input.as_bytes(), &signature) {
            return Ok(Verified {
                kid: key.kid.clone(),
                alg,
                key: key.description.clone(),
                ignored_headers: ignored_headers(&header),
            });
        }
    }
    Err(Refused::SignatureMismatch {
        alg,
        tried: usable.iter().map(|k| k.description.clone()).collect(),
    })
}

#[cfg(test)]
mod tests;
