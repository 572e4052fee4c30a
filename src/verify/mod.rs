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
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwt::{self, json_kind};
use crate::untrusted::printable;

mod claims;
mod signature;

pub use claims::{ClaimRules, DEFAULT_LEEWAY, check_claims};
pub use signature::{Refused, Verified, ignored_headers, verify_signature};

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
