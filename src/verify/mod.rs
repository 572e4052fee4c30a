//! Signature and claim checks for `inspect --verify` (issue 9). Pure: no I/O, no clock.
//!
//! Three steps, each reporting exactly why when it says no: a [`KeySet`] read from a JWK Set, one
//! JWK, a PEM public key or certificate, or an HMAC secret; [`verify_signature`], which picks the
//! key and checks the JWS signature over the signing input exactly as sent (RFC 7515 §5.2); and
//! [`check_claims`], which checks `exp`, `nbf`, `iat`, `iss` and `aud` one by one so that the user
//! sees what was and was not verified.
//!
//! The cryptography is ring's (the library rustls already uses here); this module decides which
//! key and which algorithm may be used. The algorithm is pinned by the key, never taken from the token alone
//! (RFC 8725 §3.1): a token saying HS256 is never checked with an RSA key's bytes as the HMAC
//! secret. `alg: none` is always refused, and headers that point to or carry keys (`jku`, `x5u`,
//! `jwk`, `x5c`) are never fetched or used (RFC 8725 §3.10), only reported.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::{hmac, signature};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwt::{self, json_kind};
use crate::untrusted::printable;

mod claims;

pub use claims::{ClaimRules, DEFAULT_LEEWAY, check_claims};

/// Longest text taken from a token or a key set into a message.
const SHOWN: usize = 80;

/// The JWS algorithms oauthctl verifies (RFC 7518 §3.1; EdDSA with Ed25519, RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl Alg {
    pub const ALL: [Alg; 12] = [
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::EdDSA,
    ];

    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// Exact match: `alg` values are case-sensitive (RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == name)
    }

    /// RFC 7518 §3.2: an HMAC key MUST be at least as long as the hash output.
    fn hmac_min_bytes(self) -> Option<usize> {
        match self {
            Alg::HS256 => Some(32),
            Alg::HS384 => Some(48),
            Alg::HS512 => Some(64),
            _ => None,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of key, which decides the algorithms it can ever be used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    Ed25519,
    Hmac { bytes: usize },
}

impl KeyFamily {
    /// Every algorithm a key of this family may check; for HMAC, those whose hash is no longer
    /// than the secret (RFC 7518 §3.2).
    pub fn algs(self) -> Vec<Alg> {
        match self {
            KeyFamily::Rsa { .. } => vec![
                Alg::RS256,
                Alg::RS384,
                Alg::RS512,
                Alg::PS256,
                Alg::PS384,
                Alg::PS512,
            ],
            KeyFamily::EcP256 => vec![Alg::ES256],
            KeyFamily::EcP384 => vec![Alg::ES384],
            KeyFamily::Ed25519 => vec![Alg::EdDSA],
            KeyFamily::Hmac { bytes } => [Alg::HS256, Alg::HS384, Alg::HS512]
                .into_iter()
                .filter(|a| a.hmac_min_bytes().is_some_and(|min| bytes >= min))
                .collect(),
        }
    }
}

impl fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFamily::Rsa { bits } => write!(f, "RSA {bits}"),
            KeyFamily::EcP256 => f.write_str("EC P-256"),
            KeyFamily::EcP384 => f.write_str("EC P-384"),
            KeyFamily::Ed25519 => f.write_str("Ed25519"),
            KeyFamily::Hmac { bytes } => write!(f, "HMAC secret of {bytes} bytes"),
        }
    }
}

/// A key as ring verifies with it: RSA modulus and exponent (big-endian, no leading zeros), an
/// uncompressed SEC1 point, the raw Ed25519 public key, or the HMAC secret.
enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    EcP256(Vec<u8>),
    EcP384(Vec<u8>),
    Ed25519(Vec<u8>),
    Hmac(Vec<u8>),
}

impl Material {
    /// Whether `sig` is `alg`'s signature of `message` by this key. An algorithm of another
    /// family is false whatever the bytes, so even a wrong `algs` list could not turn an RSA
    /// public key into an HMAC secret.
    fn verifies(&self, alg: Alg, message: &[u8], sig: &[u8]) -> bool {
        let unparsed = |algorithm: &'static dyn signature::VerificationAlgorithm, key: &[u8]| {
            signature::UnparsedPublicKey::new(algorithm, key)
                .verify(message, sig)
                .is_ok()
        };
        match (self, alg) {
            (Material::Rsa { n, e }, _) => {
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
            (Material::EcP256(point), Alg::ES256) => {
                unparsed(&signature::ECDSA_P256_SHA256_FIXED, point)
            }
            (Material::EcP384(point), Alg::ES384) => {
                unparsed(&signature::ECDSA_P384_SHA384_FIXED, point)
            }
            (Material::Ed25519(key), Alg::EdDSA) => unparsed(&signature::ED25519, key),
            (Material::Hmac(secret), Alg::HS256 | Alg::HS384 | Alg::HS512) => {
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
}

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
    material: Material,
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
        family: KeyFamily,
        pinned: Option<Alg>,
        material: Material,
        source: &str,
    ) -> Result<Key, String> {
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
        let set = unique_object(bytes).map_err(|why| format!("the JWK Set from {shown} {why}"))?;
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
        let jwk = unique_object(bytes).map_err(|why| format!("the JWK from {shown} {why}"))?;
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
        let blocks =
            pem::parse_many(bytes).map_err(|e| format!("{shown} is not valid PEM: {e}"))?;
        let Some(first) = blocks.first() else {
            return Err(format!("{shown} has no PEM block (`-----BEGIN …-----`)"));
        };
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
        let (family, material, from) = match first.tag() {
            "PUBLIC KEY" => {
                let (family, material) = key_from_spki(first.contents()).map_err(cannot)?;
                (family, material, source.to_string())
            }
            "RSA PUBLIC KEY" => {
                let (family, material) = rsa_key_from_pkcs1(first.contents()).map_err(cannot)?;
                (family, material, source.to_string())
            }
            "CERTIFICATE" => {
                let (family, material) = spki_of_certificate(first.contents())
                    .and_then(|spki| key_from_spki(&spki))
                    .map_err(cannot)?;
                (family, material, format!("certificate {source}"))
            }
            other => {
                return Err(format!(
                    "{shown} holds a `{}` PEM block; expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE",
                    printable(other, SHOWN)
                ));
            }
        };
        let key = Key::new(None, family, None, material, &from).map_err(cannot)?;
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
        let family = KeyFamily::Hmac {
            bytes: secret.len(),
        };
        if secret.is_empty() {
            return Err(format!(
                "the HMAC secret from {} is empty",
                printable(source, SHOWN)
            ));
        }
        let key = Key::new(None, family, None, Material::Hmac(secret.to_vec()), source)
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

/// A key from one JWK (RFC 7517 §4, members per RFC 7518 §6 and RFC 8037 §2).
/// A JSON value whose objects' names are unique at every depth: a JWK Set or a JWK with a
/// member twice (`keys`, `n`, `alg`) is refused, as a token's claims are (RFC 8259 §4 leaves it to
/// each reader, and two readers must not verify with two different keys). The error is a phrase:
/// "is not JSON: …" or "has member `n` twice".
fn unique_object(bytes: &[u8]) -> Result<Value, String> {
    fn checked(value: &serde_json::value::RawValue) -> Result<Value, String> {
        let text = value.get();
        match text.trim_start().as_bytes().first() {
            Some(b'{') => {
                let members = jwt::members::<Box<serde_json::value::RawValue>>(text.as_bytes())
                    .map_err(|e| match e {
                        jwt::NotMembers::Duplicate(name) => {
                            format!("has member `{}` twice", printable(&name, SHOWN))
                        }
                        jwt::NotMembers::Json(e) => format!("is not JSON: {e}"),
                    })?;
                let mut map = Map::new();
                for (name, raw) in members {
                    map.insert(name, checked(&raw)?);
                }
                Ok(Value::Object(map))
            }
            Some(b'[') => {
                let items: Vec<Box<serde_json::value::RawValue>> =
                    serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
                items
                    .iter()
                    .map(|item| checked(item))
                    .collect::<Result<_, _>>()
                    .map(Value::Array)
            }
            _ => serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}")),
        }
    }
    let raw: Box<serde_json::value::RawValue> =
        serde_json::from_slice(bytes).map_err(|e| format!("is not JSON: {e}"))?;
    checked(&raw)
}

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
    let kty = match jwk.get("kty") {
        Some(Value::String(kty)) => kty.as_str(),
        Some(other) => return Err(format!("`kty` is {}, not a string", json_kind(other))),
        None => return Err("it has no `kty`".into()),
    };
    let (family, material) = match kty {
        "RSA" => rsa_key(&jwk_bytes(jwk, "n")?, &jwk_bytes(jwk, "e")?)?,
        "EC" => {
            let (family, size) = match jwk.get("crv").and_then(Value::as_str) {
                Some("P-256") => (KeyFamily::EcP256, 32),
                Some("P-384") => (KeyFamily::EcP384, 48),
                Some(crv) => {
                    return Err(format!(
                        "curve {} is not supported (P-256 and P-384 are)",
                        printable(crv, SHOWN)
                    ));
                }
                None => return Err("an EC key needs a `crv` string".into()),
            };
            let (x, y) = (jwk_bytes(jwk, "x")?, jwk_bytes(jwk, "y")?);
            if x.len() != size || y.len() != size {
                return Err(format!(
                    "`x` and `y` of an {family} key must be {size} bytes each (RFC 7518 §6.2.1.2)"
                ));
            }
            // The uncompressed SEC1 point, which is what ring takes.
            let point = [&[0x04][..], &x, &y].concat();
            (
                family,
                if size == 32 {
                    Material::EcP256(point)
                } else {
                    Material::EcP384(point)
                },
            )
        }
        "OKP" => match jwk.get("crv").and_then(Value::as_str) {
            Some("Ed25519") => ed25519_key(&jwk_bytes(jwk, "x")?)?,
            Some(crv) => {
                return Err(format!(
                    "curve {} is not supported (Ed25519 is)",
                    printable(crv, SHOWN)
                ));
            }
            None => return Err("an OKP key needs a `crv` string".into()),
        },
        "oct" => {
            let k = jwk_bytes(jwk, "k")?;
            (KeyFamily::Hmac { bytes: k.len() }, Material::Hmac(k))
        }
        other => {
            return Err(format!(
                "kty {} is not supported (RSA, EC, OKP and oct are)",
                printable(other, SHOWN)
            ));
        }
    };
    Key::new(kid, family, pinned, material, source)
}

/// A base64url member of a JWK (RFC 7518 §2: no padding).
fn jwk_bytes(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let Some(text) = jwk.get(name).and_then(Value::as_str) else {
        return Err(format!("it has no `{name}` string"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| format!("`{name}` is not base64url: {e}"))?;
    if bytes.is_empty() {
        return Err(format!("`{name}` is empty"));
    }
    Ok(bytes)
}

/// RSA from its modulus and exponent, big-endian. ring takes 2048 to 8192 bits, so other sizes are
/// refused here rather than failing every signature later.
fn rsa_key(n: &[u8], e: &[u8]) -> Result<(KeyFamily, Material), String> {
    // ring wants both without leading zero bytes; some encoders add one.
    let n = strip_leading_zeros(n);
    let e = strip_leading_zeros(e);
    let bits = n
        .first()
        .map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize);
    if !(2048..=8192).contains(&bits) {
        return Err(format!(
            "an RSA key of {bits} bits is not supported (2048 to 8192 bits are)"
        ));
    }
    // What ring accepts (and every real key has: 65537, sometimes 3).
    let e_bits = e
        .first()
        .map_or(0, |top| e.len() * 8 - top.leading_zeros() as usize);
    if e_bits > 33 || e.last().is_none_or(|low| low % 2 == 0) || e == [1] {
        return Err("the RSA exponent is not an odd number from 3 to 2^33 - 1".into());
    }
    Ok((
        KeyFamily::Rsa { bits },
        Material::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        },
    ))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn ed25519_key(x: &[u8]) -> Result<(KeyFamily, Material), String> {
    if x.len() != 32 {
        return Err(format!(
            "an Ed25519 public key is 32 bytes, this one {}",
            x.len()
        ));
    }
    Ok((KeyFamily::Ed25519, Material::Ed25519(x.to_vec())))
}

const OID_RSA: &[u64] = &[1, 2, 840, 113_549, 1, 1, 1];
const OID_RSA_PSS: &[u64] = &[1, 2, 840, 113_549, 1, 1, 10];
const OID_EC: &[u64] = &[1, 2, 840, 10_045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10_045, 3, 1, 7];
const OID_P384: &[u64] = &[1, 3, 132, 0, 34];
const OID_P521: &[u64] = &[1, 3, 132, 0, 35];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
const OID_ED448: &[u64] = &[1, 3, 101, 113];

/// A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; RFC 3279, RFC 5480, RFC 8410 for the algorithms).
fn key_from_spki(der: &[u8]) -> Result<(KeyFamily, Material), String> {
    let (algorithm, parameters, key, key_bits) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let (algorithm, parameters) = r.next().read_sequence(|r| {
                let algorithm = r.next().read_oid()?;
                let parameters = r.read_optional(|r| r.read_der())?;
                Ok((algorithm, parameters))
            })?;
            let (key, key_bits) = r.next().read_bitvec_bytes()?;
            Ok((algorithm, parameters, key, key_bits))
        })
    })
    .map_err(|e| format!("the public key is not a DER SubjectPublicKeyInfo ({e})"))?;
    if key_bits != key.len() * 8 {
        return Err("the public key's BIT STRING has unused bits".into());
    }
    match algorithm.components().as_slice() {
        OID_RSA => rsa_key_from_pkcs1(&key),
        OID_EC => {
            let curve = parameters
                .and_then(|p| yasna::parse_der(&p, |r| r.read_oid()).ok())
                .ok_or("the EC public key does not name its curve")?;
            let (family, size) = match curve.components().as_slice() {
                OID_P256 => (KeyFamily::EcP256, 32),
                OID_P384 => (KeyFamily::EcP384, 48),
                OID_P521 => return Err("EC P-521 (ES512) keys are not supported".into()),
                _ => return Err(format!("the EC curve {curve} is not supported")),
            };
            if key.first() != Some(&0x04) || key.len() != 1 + 2 * size {
                return Err(format!(
                    "the {family} public key is not an uncompressed point of {} bytes",
                    1 + 2 * size
                ));
            }
            let material = if size == 32 {
                Material::EcP256(key)
            } else {
                Material::EcP384(key)
            };
            Ok((family, material))
        }
        OID_ED25519 => ed25519_key(&key),
        OID_ED448 => Err("Ed448 keys are not supported".into()),
        OID_RSA_PSS => Err(
            "RSASSA-PSS-only keys (OID 1.2.840.113549.1.1.10) are not supported; \
             export the key as rsaEncryption"
                .into(),
        ),
        _ => Err(format!(
            "the key algorithm {algorithm} is not supported (RSA, EC P-256/P-384 and Ed25519 are)"
        )),
    }
}

/// An RSAPublicKey (RFC 8017 §A.1.1): `BEGIN RSA PUBLIC KEY`, and inside an RSA SPKI.
fn rsa_key_from_pkcs1(der: &[u8]) -> Result<(KeyFamily, Material), String> {
    let ((n, n_positive), (e, e_positive)) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| Ok((r.next().read_bigint_bytes()?, r.next().read_bigint_bytes()?)))
    })
    .map_err(|e| format!("the RSA public key is not a DER RSAPublicKey ({e})"))?;
    if !n_positive || !e_positive {
        return Err("the RSA public key has a negative modulus or exponent".into());
    }
    rsa_key(&n, &e)
}

/// The subjectPublicKeyInfo of a DER certificate (RFC 5280 §4.1): the seventh field of the
/// TBSCertificate, or the sixth when the optional `[0]` version is absent.
fn spki_of_certificate(der: &[u8]) -> Result<Vec<u8>, String> {
    let fields = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let fields = r.next().read_sequence(|r| {
                let mut fields = Vec::new();
                while let Some(field) = r.read_optional(|r| r.read_der())? {
                    fields.push(field);
                }
                Ok(fields)
            })?;
            r.next().read_der()?; // signatureAlgorithm
            r.next().read_der()?; // signatureValue
            Ok(fields)
        })
    })
    .map_err(|e| format!("the certificate is not a DER X.509 certificate ({e})"))?;
    let versioned = fields.first().is_some_and(|f| f.first() == Some(&0xa0));
    fields
        .into_iter()
        .nth(if versioned { 6 } else { 5 })
        .ok_or_else(|| "the certificate has no subjectPublicKeyInfo".to_string())
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

fn list(items: &[String], max: usize) -> String {
    let mut shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let more;
    if items.len() > max {
        more = format!("and {} more", items.len() - max);
        shown.push(&more);
    }
    shown.join(", ")
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
        if key
            .material
            .verifies(alg, signing_input.as_bytes(), &signature)
        {
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
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
    use serde_json::json;

    const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/");
    /// 64 bytes: long enough for HS512. The same as in tests/fixtures/keys/jwks_and_tokens.py.
    const SECRET: &[u8] = b"test-only HMAC secret, 64 bytes long, for oauthctl's unit tests!";

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{KEYS}{name}")).unwrap()
    }

    fn der(name: &str) -> Vec<u8> {
        pem::parse(fixture(name)).unwrap().into_contents()
    }

    /// A private key from the fixtures (or a secret), to make test tokens with.
    enum Signer {
        Rsa(RsaKeyPair),
        Ec(EcdsaKeyPair),
        Ed(Ed25519KeyPair),
        Hmac(Vec<u8>),
    }

    fn rsa_2048() -> Signer {
        Signer::Rsa(RsaKeyPair::from_der(&der("rsa-2048.key.pem")).unwrap())
    }

    fn rsa_3072() -> Signer {
        Signer::Rsa(RsaKeyPair::from_der(&der("rsa-3072.key.pem")).unwrap())
    }

    fn hmac_key(secret: &[u8]) -> Signer {
        Signer::Hmac(secret.to_vec())
    }

    /// The fixture key that signs `alg`, with the kid it has in jwks.json and its public PEM.
    fn signer(alg: Alg) -> (Signer, &'static str, &'static str) {
        let ec = |alg, file| {
            let key = EcdsaKeyPair::from_pkcs8(alg, &der(file), &SystemRandom::new()).unwrap();
            Signer::Ec(key)
        };
        match alg {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => (hmac_key(SECRET), "", ""),
            Alg::ES256 => (
                ec(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    "ec-p256.key.pem",
                ),
                "es256-1",
                "ec-p256.pub.pem",
            ),
            Alg::ES384 => (
                ec(
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    "ec-p384.key.pem",
                ),
                "es384-1",
                "ec-p384.pub.pem",
            ),
            Alg::EdDSA => {
                // openssl writes PKCS#8 v1, without the public key.
                let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der("ed25519.key.pem"));
                (Signer::Ed(key.unwrap()), "ed-1", "ed25519.pub.pem")
            }
            _ => (rsa_2048(), "rs-1", "rsa-2048.pub.pem"),
        }
    }

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    /// A compact JWS of exactly this header and these claims.
    fn sign(header: &Value, claims: &str, key: &Signer, alg: Alg) -> String {
        let input = format!("{}.{}", b64(&header.to_string()), b64(claims));
        let message = input.as_bytes();
        let rng = SystemRandom::new();
        let signature = match key {
            Signer::Rsa(key) => {
                let padding: &dyn signature::RsaEncoding = match alg {
                    Alg::RS256 => &signature::RSA_PKCS1_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    Alg::PS512 => &signature::RSA_PSS_SHA512,
                    other => panic!("{other} with an RSA key"),
                };
                let mut out = vec![0; key.public().modulus_len()];
                key.sign(padding, &rng, message, &mut out).unwrap();
                out
            }
            Signer::Ec(key) => key.sign(&rng, message).unwrap().as_ref().to_vec(),
            Signer::Ed(key) => key.sign(message).as_ref().to_vec(),
            Signer::Hmac(secret) => {
                let algorithm = match alg {
                    Alg::HS256 => hmac::HMAC_SHA256,
                    Alg::HS384 => hmac::HMAC_SHA384,
                    Alg::HS512 => hmac::HMAC_SHA512,
                    other => panic!("{other} with an HMAC key"),
                };
                hmac::sign(&hmac::Key::new(algorithm, secret), message)
                    .as_ref()
                    .to_vec()
            }
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    const CLAIMS: &str = r#"{"sub":"alice","exp":1900000000}"#;

    fn jwks() -> KeySet {
        KeySet::from_jwks_json(&fixture("jwks.json"), "jwks.json").unwrap()
    }

    /// One member of jwks.json, as JSON text.
    fn jwk(kid: &str) -> Vec<u8> {
        let set: Value = serde_json::from_slice(&fixture("jwks.json")).unwrap();
        let key = set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap();
        serde_json::to_vec(key).unwrap()
    }

    fn oct_jwk(kid: Option<&str>, alg: Option<&str>, secret: &[u8]) -> Vec<u8> {
        let mut jwk = json!({"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret)});
        if let Some(kid) = kid {
            jwk["kid"] = json!(kid);
        }
        if let Some(alg) = alg {
            jwk["alg"] = json!(alg);
        }
        serde_json::to_vec(&jwk).unwrap()
    }

    fn refuse(token: &str, keys: &KeySet) -> (Refused, String) {
        let refused = verify_signature(token, keys).unwrap_err();
        let message = refused.to_string();
        (refused, message)
    }

    #[test]
    fn a_member_twice_anywhere_in_a_jwk_set_is_refused() {
        let set = |text: &str| KeySet::from_jwks_json(text.as_bytes(), "t").err();
        let good = std::str::from_utf8(&fixture("jwks.json"))
            .unwrap()
            .to_string();
        assert!(set(&good).is_none());
        let twice_keys = format!("{{\"keys\":[],{}", &good.trim_start()[1..]);
        assert_eq!(
            set(&twice_keys).unwrap(),
            "the JWK Set from t has member `keys` twice"
        );
        let twice_n = good.replacen("\"n\":", "\"n\":\"AQAB\",\"n\":", 1);
        assert_ne!(twice_n, good);
        assert_eq!(
            set(&twice_n).unwrap(),
            "the JWK Set from t has member `n` twice"
        );
        let one = KeySet::from_jwk_json(br#"{"kty":"OKP","kty":"EC"}"#, "k")
            .err()
            .unwrap();
        assert_eq!(one, "the JWK from k has member `kty` twice");
    }

    #[test]
    fn every_algorithm_verifies_with_a_jwks_and_the_kid() {
        let keys = jwks();
        for alg in Alg::ALL
            .into_iter()
            .filter(|a| a.hmac_min_bytes().is_none())
        {
            let (key, kid, _) = signer(alg);
            let token = sign(&json!({"alg": alg.name(), "kid": kid}), CLAIMS, &key, alg);
            let verified = verify_signature(&token, &keys).unwrap();
            assert_eq!(verified.kid.as_deref(), Some(kid), "{alg}");
            assert_eq!(verified.alg, alg);
            assert!(
                verified.key.starts_with(&format!("kid {kid} (")),
                "{verified:?}"
            );
            assert!(verified.ignored_headers.is_empty());
        }
        // HMAC keys come from a JWK (a JWK Set of them is refused, see below) or a secret.
        let keys = KeySet::from_jwk_json(&oct_jwk(Some("hs-1"), None, SECRET), "k.jwk").unwrap();
        for alg in [Alg::HS256, Alg::HS384, Alg::HS512] {
            let (key, _, _) = signer(alg);
            let token = sign(
                &json!({"alg": alg.name(), "kid": "hs-1"}),
                CLAIMS,
                &key,
                alg,
            );
            let verified = verify_signature(&token, &keys).unwrap();
            assert_eq!(verified.kid.as_deref(), Some("hs-1"));
            assert_eq!(verified.key, "kid hs-1 (HMAC secret of 64 bytes)");
        }
    }

    #[test]
    fn every_algorithm_verifies_with_a_pem_key_and_a_single_jwk() {
        for alg in Alg::ALL {
            let (key, kid, pem_file) = signer(alg);
            // No kid in the token: a key the user gave is the one to use.
            let token = sign(&json!({"alg": alg.name(), "typ": "JWT"}), CLAIMS, &key, alg);
            let from_file = if alg.hmac_min_bytes().is_some() {
                KeySet::hmac(SECRET, "$SECRET").unwrap()
            } else {
                KeySet::from_pem(&fixture(pem_file), pem_file).unwrap()
            };
            let verified = verify_signature(&token, &from_file).unwrap();
            assert_eq!((verified.kid, verified.alg), (None, alg));
            if alg.hmac_min_bytes().is_none() {
                let from_jwk = KeySet::from_jwk_json(&jwk(kid), "key.jwk").unwrap();
                let verified = verify_signature(&token, &from_jwk).unwrap();
                assert_eq!(verified.kid.as_deref(), Some(kid), "{alg}");
                // --key FILE takes either.
                for (bytes, name) in [(fixture(pem_file), pem_file), (jwk(kid), "key.jwk")] {
                    let keys = KeySet::from_key_file(&bytes, name).unwrap();
                    assert!(verify_signature(&token, &keys).is_ok(), "{alg} {name}");
                }
            }
        }
    }

    #[test]
    fn pem_forms_and_descriptions() {
        let token = sign(&json!({"alg": "PS384"}), CLAIMS, &rsa_2048(), Alg::PS384);
        for (file, description) in [
            ("rsa-2048.pub.pem", "RSA 2048 key from rsa-2048.pub.pem"),
            (
                "rsa-2048.pkcs1.pub.pem",
                "RSA 2048 key from rsa-2048.pkcs1.pub.pem",
            ),
            (
                "rsa-2048.crt.pem",
                "RSA 2048 key from certificate rsa-2048.crt.pem",
            ),
        ] {
            let keys = KeySet::from_pem(&fixture(file), file).unwrap();
            assert_eq!(keys.keys()[0].description, description);
            assert_eq!(verify_signature(&token, &keys).unwrap().key, description);
        }
        let (key, _, _) = signer(Alg::ES256);
        let token = sign(&json!({"alg": "ES256"}), CLAIMS, &key, Alg::ES256);
        // A chain: the first certificate is used.
        let chain = [fixture("ec-p256.crt.pem"), fixture("rsa-2048.crt.pem")].concat();
        let keys = KeySet::from_pem(&chain, "chain.pem").unwrap();
        assert_eq!(
            verify_signature(&token, &keys).unwrap().key,
            "EC P-256 key from certificate chain.pem"
        );
        let keys = KeySet::from_pem(&fixture("ec-p384.pub.pem"), "p384.pem").unwrap();
        assert_eq!(keys.keys()[0].algs, [Alg::ES384]);
        assert_eq!(keys.keys()[0].family, KeyFamily::EcP384);
        let keys = KeySet::hmac(&SECRET[..40], "$SECRET").unwrap();
        assert_eq!(
            keys.keys()[0].description,
            "HMAC secret of 40 bytes from $SECRET"
        );
    }

    #[test]
    fn tokens_signed_by_another_implementation_verify() {
        // tests/fixtures/keys/tokens.json: one token per algorithm, made by Python's cryptography.
        let tokens: Map<String, Value> = serde_json::from_slice(&fixture("tokens.json")).unwrap();
        let jwks = jwks();
        let secret = KeySet::hmac(SECRET, "$S").unwrap();
        assert_eq!(tokens.len(), Alg::ALL.len());
        for alg in Alg::ALL {
            let token = tokens[alg.name()].as_str().unwrap();
            let keys = if alg.hmac_min_bytes().is_some() {
                &secret
            } else {
                &jwks
            };
            let verified = verify_signature(token, keys).unwrap();
            assert_eq!(verified.alg, alg);
            let (_, kid, _) = signer(alg);
            assert_eq!(verified.kid.as_deref(), Some(kid).filter(|k| !k.is_empty()));
        }
    }

    #[test]
    fn a_tampered_token_fails() {
        let keys = jwks();
        for alg in [Alg::RS256, Alg::PS256, Alg::ES256, Alg::ES384, Alg::EdDSA] {
            let (key, kid, _) = signer(alg);
            let token = sign(&json!({"alg": alg.name(), "kid": kid}), CLAIMS, &key, alg);
            let (head, rest) = token.split_once('.').unwrap();
            let (_, signature) = rest.split_once('.').unwrap();
            let forged = format!(
                "{head}.{}.{signature}",
                b64(r#"{"sub":"admin","exp":1900000000}"#)
            );
            let (refused, message) = refuse(&forged, &keys);
            assert!(
                matches!(refused, Refused::SignatureMismatch { .. }),
                "{alg}"
            );
            assert_eq!(
                message,
                format!(
                    "signature does not match ({alg}, kid {kid} ({}))",
                    keys.keys()
                        .iter()
                        .find(|k| k.kid.as_deref() == Some(kid))
                        .unwrap()
                        .family
                )
            );
            // The same bytes re-encoded differently (here: the claims with a space) fail too:
            // the check is over the segments as sent, not over re-serialised JSON.
            let respaced = format!(
                "{head}.{}.{signature}",
                b64(r#"{"sub":"alice", "exp":1900000000}"#)
            );
            assert!(verify_signature(&respaced, &keys).is_err());
        }
        let hs = KeySet::hmac(SECRET, "$S").unwrap();
        let token = sign(
            &json!({"alg": "HS256"}),
            CLAIMS,
            &hmac_key(SECRET),
            Alg::HS256,
        );
        // One character of the signature changed, well before the last (whose low bits are
        // padding), so that the token still decodes.
        let at = token.len() - 10;
        let other = if &token[at..=at] == "A" { "B" } else { "A" };
        let flipped = format!("{}{other}{}", &token[..at], &token[at + 1..]);
        assert!(matches!(
            refuse(&flipped, &hs).0,
            Refused::SignatureMismatch { .. }
        ));
    }

    #[test]
    fn the_wrong_key_fails() {
        // Signed by the 3072-bit key, claiming the kid of the 2048-bit one.
        let token = sign(
            &json!({"alg": "RS256", "kid": "rs-1"}),
            CLAIMS,
            &rsa_3072(),
            Alg::RS256,
        );
        let (_, message) = refuse(&token, &jwks());
        assert_eq!(
            message,
            "signature does not match (RS256, kid rs-1 (RSA 2048))"
        );
        let keys = KeySet::from_pem(&fixture("rsa-2048.pub.pem"), "k.pem").unwrap();
        assert!(matches!(
            refuse(&token, &keys).0,
            Refused::SignatureMismatch { .. }
        ));
        // Without a kid every RSA key that allows RS256 is tried, and named.
        let token = sign(&json!({"alg": "RS256"}), CLAIMS, &rsa_3072(), Alg::RS256);
        let (_, message) = refuse(&token, &jwks());
        assert_eq!(
            message,
            "signature does not match any of the 2 keys that could check RS256 \
             (kid rs-1 (RSA 2048), kid rs-pinned (RSA 2048))"
        );
        let other = KeySet::hmac(b"another secret, also long enough for HS256!", "$S").unwrap();
        let token = sign(
            &json!({"alg": "HS256"}),
            CLAIMS,
            &hmac_key(SECRET),
            Alg::HS256,
        );
        assert!(matches!(
            refuse(&token, &other).0,
            Refused::SignatureMismatch { .. }
        ));
    }

    #[test]
    fn a_kid_less_token_says_which_key_verified() {
        let (key, _, _) = signer(Alg::ES384);
        let token = sign(&json!({"alg": "ES384"}), CLAIMS, &key, Alg::ES384);
        assert_eq!(
            verify_signature(&token, &jwks()).unwrap().kid.as_deref(),
            Some("es384-1")
        );
        let token = sign(&json!({"alg": "RS256"}), CLAIMS, &rsa_2048(), Alg::RS256);
        assert_eq!(
            verify_signature(&token, &jwks()).unwrap().kid.as_deref(),
            Some("rs-1")
        );
    }

    #[test]
    fn an_unknown_kid_fails_and_lists_the_kids() {
        let token = sign(
            &json!({"alg": "RS256", "kid": "rs-2"}),
            CLAIMS,
            &rsa_2048(),
            Alg::RS256,
        );
        let (refused, message) = refuse(&token, &jwks());
        assert!(matches!(refused, Refused::NoKeyWithKid { .. }));
        assert_eq!(
            message,
            "no key with kid rs-2 (keys: rs-1, rs-pinned, es256-1, es384-1, ed-1)"
        );
        // A key without a kid (one the user chose) checks a token whatever its kid.
        let keys = KeySet::from_pem(&fixture("rsa-2048.pub.pem"), "k.pem").unwrap();
        assert!(verify_signature(&token, &keys).is_ok());
    }

    #[test]
    fn alg_none_is_always_refused() {
        let keys = [jwks(), KeySet::hmac(SECRET, "$S").unwrap()];
        let empty = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(CLAIMS));
        let signed = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"none","kid":"rs-1"}"#),
            b64(CLAIMS)
        );
        let shouted = format!("{}.{}.", b64(r#"{"alg":"NONE"}"#), b64(CLAIMS));
        for keys in &keys {
            for token in [&empty, &signed, &shouted] {
                let (refused, message) = refuse(token, keys);
                assert_eq!(refused, Refused::AlgNone);
                assert!(message.starts_with("alg: none is never accepted"));
            }
        }
    }

    #[test]
    fn hs256_signed_with_the_rsa_public_key_is_alg_confusion() {
        let public_pem = fixture("rsa-2048.pub.pem");
        let token = sign(
            &json!({"alg": "HS256"}),
            CLAIMS,
            &hmac_key(&public_pem),
            Alg::HS256,
        );
        // The attack token is real: it verifies if the PEM bytes are taken as an HMAC secret.
        assert!(verify_signature(&token, &KeySet::hmac(&public_pem, "pem").unwrap()).is_ok());
        let rsa = KeySet::from_pem(&public_pem, "rsa-2048.pub.pem").unwrap();
        let (refused, message) = refuse(&token, &rsa);
        assert!(matches!(
            refused,
            Refused::AlgNotAllowed {
                alg: Alg::HS256,
                ..
            }
        ));
        assert_eq!(
            message,
            "alg HS256 is not one this key allows (RS256, RS384, RS512, PS256, PS384, PS512): \
             RSA 2048 key from rsa-2048.pub.pem"
        );
        // With the kid of a JWK.
        let token = sign(
            &json!({"alg": "HS256", "kid": "rs-1"}),
            CLAIMS,
            &hmac_key(&public_pem),
            Alg::HS256,
        );
        let (refused, message) = refuse(&token, &jwks());
        assert!(matches!(refused, Refused::AlgNotAllowed { .. }));
        assert!(
            message.starts_with("alg HS256 is not one this key allows (RS256"),
            "{message}"
        );
        // And the other way round: an RS256 token against an HMAC secret.
        let token = sign(&json!({"alg": "RS256"}), CLAIMS, &rsa_2048(), Alg::RS256);
        let (_, message) = refuse(&token, &KeySet::hmac(SECRET, "$S").unwrap());
        assert_eq!(
            message,
            "alg RS256 is not one this key allows (HS256, HS384, HS512): \
             HMAC secret of 64 bytes from $S"
        );
    }

    #[test]
    fn a_jwk_alg_pins_the_algorithm() {
        let ps256 = sign(
            &json!({"alg": "PS256", "kid": "rs-pinned"}),
            CLAIMS,
            &rsa_2048(),
            Alg::PS256,
        );
        let (_, message) = refuse(&ps256, &jwks());
        assert_eq!(
            message,
            "alg PS256 is not one this key allows (RS256): kid rs-pinned (RSA 2048)"
        );
        let rs256 = sign(
            &json!({"alg": "RS256", "kid": "rs-pinned"}),
            CLAIMS,
            &rsa_2048(),
            Alg::RS256,
        );
        assert_eq!(
            verify_signature(&rs256, &jwks()).unwrap().kid.as_deref(),
            Some("rs-pinned")
        );
        // The same for a single JWK, and for a JWK whose alg does not fit its kty.
        let keys = KeySet::from_jwk_json(&jwk("rs-pinned"), "k.jwk").unwrap();
        assert_eq!(keys.keys()[0].algs, [Alg::RS256]);
        assert!(matches!(
            refuse(&ps256, &keys).0,
            Refused::AlgNotAllowed { .. }
        ));
        let mut wrong: Value = serde_json::from_slice(&jwk("rs-1")).unwrap();
        wrong["alg"] = json!("ES256");
        let error = KeySet::from_jwk_json(wrong.to_string().as_bytes(), "k.jwk").unwrap_err();
        assert_eq!(
            error,
            "the JWK from k.jwk cannot be used: alg ES256 cannot be used with an RSA 2048 key"
        );
    }

    #[test]
    fn use_enc_keys_are_never_used() {
        let keys = jwks();
        assert!(
            keys.keys()
                .iter()
                .all(|k| k.kid.as_deref() != Some("enc-1"))
        );
        assert!(
            keys.notes()
                .contains(&"key 6 (kid enc-1): use is enc, not sig".to_string()),
            "{:?}",
            keys.notes()
        );
        // Signed by the enc key itself, with and without its kid.
        let token = sign(
            &json!({"alg": "RS256", "kid": "enc-1"}),
            CLAIMS,
            &rsa_3072(),
            Alg::RS256,
        );
        let (refused, message) = refuse(&token, &keys);
        assert!(matches!(refused, Refused::NoKeyWithKid { .. }));
        assert_eq!(
            message,
            "no key with kid enc-1 (keys: rs-1, rs-pinned, es256-1, es384-1, ed-1); \
             the key with kid enc-1 was skipped: use is enc, not sig"
        );
        let token = sign(&json!({"alg": "RS256"}), CLAIMS, &rsa_3072(), Alg::RS256);
        let (_, message) = refuse(&token, &keys);
        assert!(!message.contains("enc-1"), "{message}");
        // Alone, it is no key at all; key_ops without verify is the same.
        let error = KeySet::from_jwk_json(&jwk("enc-1"), "k.jwk").unwrap_err();
        assert_eq!(
            error,
            "the JWK from k.jwk cannot be used: use is enc, not sig"
        );
        let mut ops: Value = serde_json::from_slice(&jwk("rs-1")).unwrap();
        ops["key_ops"] = json!(["encrypt"]);
        let error = KeySet::from_jwk_json(ops.to_string().as_bytes(), "k.jwk").unwrap_err();
        assert!(
            error.ends_with("key_ops does not include verify"),
            "{error}"
        );
        ops["key_ops"] = json!(["verify"]);
        assert!(KeySet::from_jwk_json(ops.to_string().as_bytes(), "k.jwk").is_ok());
    }

    #[test]
    fn crit_is_refused() {
        let token = sign(
            &json!({"alg": "RS256", "kid": "rs-1", "crit": ["exp"], "exp": 1}),
            CLAIMS,
            &rsa_2048(),
            Alg::RS256,
        );
        let (refused, message) = refuse(&token, &jwks());
        assert_eq!(refused, Refused::Crit(vec!["exp".into()]));
        assert!(
            message.starts_with("crit header present (exp)"),
            "{message}"
        );
        let token = sign(
            &json!({"alg": "RS256", "crit": 5}),
            CLAIMS,
            &rsa_2048(),
            Alg::RS256,
        );
        assert_eq!(
            refuse(&token, &jwks()).0,
            Refused::Crit(vec!["a number".into()])
        );
    }

    #[test]
    fn key_headers_are_ignored_and_reported() {
        // A token signed by the attacker's key, which it carries and points to.
        let attacker: Value = serde_json::from_slice(&jwk("enc-1")).unwrap();
        let token = sign(
            &json!({
                "alg": "RS256",
                "jku": "https://attacker.invalid/jwks.json",
                "x5u": "https://attacker.invalid/cert.pem",
                "jwk": {"kty": "RSA", "n": attacker["n"], "e": attacker["e"]},
            }),
            CLAIMS,
            &rsa_3072(),
            Alg::RS256,
        );
        let keys = KeySet::from_pem(&fixture("rsa-2048.pub.pem"), "k.pem").unwrap();
        assert!(matches!(
            refuse(&token, &keys).0,
            Refused::SignatureMismatch { .. }
        ));
        let header = jwt::decode(&token).unwrap().header;
        assert_eq!(ignored_headers(&header), ["jku", "jwk", "x5u"]);
        // A good signature still verifies, with the note.
        let token = sign(
            &json!({"alg": "RS256", "jku": "https://attacker.invalid/jwks.json"}),
            CLAIMS,
            &rsa_2048(),
            Alg::RS256,
        );
        assert_eq!(
            verify_signature(&token, &keys).unwrap().ignored_headers,
            ["jku"]
        );
    }

    #[test]
    fn malformed_headers_are_refused_with_the_reason() {
        let keys = jwks();
        let token = |header: &str| format!("{}.{}.c2ln", b64(header), b64(CLAIMS));
        assert_eq!(refuse(&token(r#"{"kid":"rs-1"}"#), &keys).0, Refused::NoAlg);
        assert_eq!(
            refuse(&token(r#"{"kid":"rs-1"}"#), &keys).1,
            "the token has no alg"
        );
        assert_eq!(
            refuse(&token(r#"{"alg":"ES512"}"#), &keys).1,
            "alg ES512 is not supported (supported: HS256, HS384, HS512, RS256, RS384, RS512, \
             PS256, PS384, PS512, ES256, ES384, EdDSA)"
        );
        assert_eq!(
            refuse(&token(r#"{"alg":"rs256"}"#), &keys).0,
            Refused::UnsupportedAlg("rs256".into())
        );
        assert_eq!(
            refuse(&token(r#"{"alg":256}"#), &keys).1,
            "the token's alg is a number, not a string"
        );
        assert_eq!(
            refuse(&token(r#"{"alg":"RS256","kid":1}"#), &keys).1,
            "the token's kid is a number, not a string"
        );
        assert_eq!(
            refuse(&token("{\"alg\":\"X\\u001b[31m\"}"), &keys).0,
            Refused::UnsupportedAlg("X\\u{1b}[31m".into())
        );
        assert!(matches!(refuse("a.b", &keys).0, Refused::Malformed(m) if m.contains("found 2")));
    }

    #[test]
    fn unusable_keys_are_refused_with_the_reason() {
        let jwks_notes = jwks().notes();
        assert_eq!(
            jwks_notes,
            [
                "key 6 (kid enc-1): use is enc, not sig",
                "key 7 (kid es512-1): alg ES512 is not a signature algorithm oauthctl supports",
            ]
        );
        let err = |bytes: &[u8]| KeySet::from_key_file(bytes, "f").unwrap_err();
        assert_eq!(
            err(&fixture("rsa-1024.pub.pem")),
            "the key from f cannot be used: an RSA key of 1024 bits is not supported (2048 to 8192 bits are)"
        );
        assert_eq!(
            err(&fixture("ec-p521.pub.pem")),
            "the key from f cannot be used: EC P-521 (ES512) keys are not supported"
        );
        assert!(err(&fixture("rsa-2048.key.pem")).starts_with("f holds a private key"));
        assert!(err(&fixture("ed25519.key.pem")).contains("-pubout"));
        assert_eq!(
            err(&[fixture("rsa-2048.pub.pem"), fixture("ec-p256.pub.pem")].concat()),
            "f has 2 PEM blocks; give one public key or certificate"
        );
        assert!(err(b"not a key").starts_with("f has no PEM block"));
        assert!(err(b"{\"kty\":").starts_with("the JWK from f is not JSON"));
        assert_eq!(
            err(br#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}"#),
            "the JWK from f cannot be used: `x` and `y` of an EC P-256 key must be 32 bytes each (RFC 7518 §6.2.1.2)"
        );
        assert!(err(br#"{"kty":"RSA","n":"AQAB=","e":"AQAB"}"#).contains("`n` is not base64url"));
        assert!(err(br#"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#).contains("curve X25519"));
        assert!(err(br#"{"kty":"RSA","e":"AQAB"}"#).ends_with("it has no `n` string"));
        assert!(err(br#"{"n":"AQAB"}"#).ends_with("it has no `kty`"));
        let mut jwk_e: Value = serde_json::from_slice(&jwk("rs-1")).unwrap();
        for e in ["AQ", "AQAA", "AQAAAAAB"] {
            jwk_e["e"] = json!(e);
            assert!(
                err(jwk_e.to_string().as_bytes())
                    .ends_with("the RSA exponent is not an odd number from 3 to 2^33 - 1"),
                "{e}"
            );
        }
        jwk_e["e"] = json!("AAEAAQ"); // 65537 with a leading zero byte: tolerated
        assert!(KeySet::from_jwk_json(jwk_e.to_string().as_bytes(), "f").is_ok());
        // HMAC: RFC 7518 §3.2.
        assert_eq!(
            KeySet::hmac(&SECRET[..31], "$S").unwrap_err(),
            "the HMAC secret of 31 bytes is too short: HS256 needs at least 32 bytes (RFC 7518 §3.2) (from $S)"
        );
        assert_eq!(
            KeySet::hmac(b"", "$S").unwrap_err(),
            "the HMAC secret from $S is empty"
        );
        let short = KeySet::hmac(&SECRET[..40], "$S").unwrap();
        // Debug never shows the secret.
        assert!(!format!("{short:?}").contains("test-only"));
        assert_eq!(short.keys()[0].algs, [Alg::HS256]);
        let (key, _, _) = signer(Alg::HS384);
        let token = sign(&json!({"alg": "HS384"}), CLAIMS, &key, Alg::HS384);
        assert_eq!(
            refuse(&token, &short).1,
            "alg HS384 is not one this key allows (HS256): HMAC secret of 40 bytes from $S; \
             HS384 needs an HMAC secret of at least 48 bytes (RFC 7518 §3.2)"
        );
        assert!(
            KeySet::from_jwk_json(&oct_jwk(None, Some("HS512"), &SECRET[..48]), "f")
                .unwrap_err()
                .ends_with(
                    "alg HS512 needs a secret of at least 64 bytes (RFC 7518 §3.2); this one has 48"
                )
        );
        // JWK Sets: oct keys are skipped; none usable is an error; not a set is an error.
        let set = format!(
            r#"{{"keys":[{},{}]}}"#,
            String::from_utf8(oct_jwk(Some("hs"), None, SECRET)).unwrap(),
            String::from_utf8(jwk("enc-1")).unwrap()
        );
        let error = KeySet::from_jwks_json(set.as_bytes(), "https://idp/jwks").unwrap_err();
        assert!(error.starts_with("no usable key in the JWK Set from https://idp/jwks: key 1 (kid hs): a symmetric (oct) key"), "{error}");
        assert!(
            error.ends_with("key 2 (kid enc-1): use is enc, not sig"),
            "{error}"
        );
        assert_eq!(
            KeySet::from_jwks_json(br#"{"keys":[]}"#, "j").unwrap_err(),
            "the JWK Set from j has no keys"
        );
        assert!(
            KeySet::from_jwks_json(br#"[]"#, "j")
                .unwrap_err()
                .contains("no `keys` array")
        );
        // A single-JWK file that holds a set is read as the set.
        assert_eq!(
            KeySet::from_jwk_json(&fixture("jwks.json"), "j")
                .unwrap()
                .keys()
                .len(),
            5
        );
    }
}
