//! Key material: what a key is ([`KeyFamily`]), the JWS algorithms that go with it ([`Alg`]), and
//! readers for the forms keys come in — a JWK (RFC 7517), and the DER inside PEM: a
//! SubjectPublicKeyInfo, an RSAPublicKey or a certificate — into a [`VerifyingKey`], the bytes
//! ring checks a signature with. Pure: no I/O, and nothing here decides whether a key may be used
//! (`use`, `key_ops`, a JWK's `alg`, a private key where a public one is wanted): that is the
//! caller's rule, `verify`'s for `inspect --verify`.
//!
//! Private keys, which sign, are in [`signing`]: the same families and algorithms, the same
//! JSON, JWK-member and PEM readers, and a [`signing::SigningKey`] that gives its
//! [`VerifyingKey`]. Both sides name a public key by its RFC 7638 thumbprint ([`jwk_thumbprint`]).
//!
//! Every error is a phrase for the user's message, with anything taken from the key escaped.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::asn1::{IntRef, ObjectIdentifier};
use der::{Decode, Reader, SliceReader};
use serde::Serialize;
use serde_json::{Map, Value};
use spki::SubjectPublicKeyInfoRef;

use crate::jwt::{self, json_kind};
use crate::untrusted::printable;

pub mod signing;

/// Longest text taken from a key into a message.
const SHOWN: usize = 80;

/// The JWS algorithms oauthctl knows (RFC 7518 §3.1; EdDSA with Ed25519, RFC 8037 §3.1).
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
    pub fn hmac_min_bytes(self) -> Option<usize> {
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

/// What kind of key, which decides the algorithms it can ever be used with: the same for a
/// key that checks signatures and one that makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    Ed25519,
    Hmac { bytes: usize },
}

impl KeyFamily {
    /// Every algorithm a key of this family may be used with; for HMAC, those whose hash is no
    /// longer than the secret (RFC 7518 §3.2).
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

/// The material of a key that checks signatures, as ring takes it: RSA modulus and exponent
/// (big-endian, no leading zeros), an uncompressed SEC1 point, the raw Ed25519 public key, or
/// the HMAC secret.
pub enum VerifyingKey {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    EcP256(Vec<u8>),
    EcP384(Vec<u8>),
    Ed25519(Vec<u8>),
    Hmac(Vec<u8>),
}

impl fmt::Debug for VerifyingKey {
    // By hand: the material of an HMAC key is the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", self.family())
    }
}

impl VerifyingKey {
    pub fn family(&self) -> KeyFamily {
        match self {
            VerifyingKey::Rsa { n, .. } => KeyFamily::Rsa { bits: bit_len(n) },
            VerifyingKey::EcP256(_) => KeyFamily::EcP256,
            VerifyingKey::EcP384(_) => KeyFamily::EcP384,
            VerifyingKey::Ed25519(_) => KeyFamily::Ed25519,
            VerifyingKey::Hmac(secret) => KeyFamily::Hmac {
                bytes: secret.len(),
            },
        }
    }

    /// The key of one JWK, by its `kty` and `crv` (members per RFC 7518 §6 and RFC 8037 §2).
    /// What the JWK says about its use (`use`, `key_ops`, `alg`, `kid`) is the caller's to judge.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<VerifyingKey, String> {
        let kty = match jwk.get("kty") {
            Some(Value::String(kty)) => kty.as_str(),
            Some(other) => return Err(format!("`kty` is {}, not a string", json_kind(other))),
            None => return Err("it has no `kty`".into()),
        };
        match kty {
            "RSA" => VerifyingKey::rsa(&jwk_bytes(jwk, "n")?, &jwk_bytes(jwk, "e")?),
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
                Ok(if size == 32 {
                    VerifyingKey::EcP256(point)
                } else {
                    VerifyingKey::EcP384(point)
                })
            }
            "OKP" => match jwk.get("crv").and_then(Value::as_str) {
                Some("Ed25519") => VerifyingKey::ed25519(&jwk_bytes(jwk, "x")?),
                Some(crv) => Err(format!(
                    "curve {} is not supported (Ed25519 is)",
                    printable(crv, SHOWN)
                )),
                None => Err("an OKP key needs a `crv` string".into()),
            },
            "oct" => Ok(VerifyingKey::Hmac(jwk_bytes(jwk, "k")?)),
            other => Err(format!(
                "kty {} is not supported (RSA, EC, OKP and oct are)",
                printable(other, SHOWN)
            )),
        }
    }

    /// RSA from its modulus and exponent, big-endian. ring takes 2048 to 8192 bits, so other
    /// sizes are refused here rather than failing every signature later.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<VerifyingKey, String> {
        // ring wants both without leading zero bytes; some encoders add one.
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_len(n);
        if !(2048..=8192).contains(&bits) {
            return Err(format!(
                "an RSA key of {bits} bits is not supported (2048 to 8192 bits are)"
            ));
        }
        // What ring accepts (and every real key has: 65537, sometimes 3).
        let e_bits = bit_len(e);
        if e_bits > 33 || e.last().is_none_or(|low| low % 2 == 0) || e == [1] {
            return Err("the RSA exponent is not an odd number from 3 to 2^33 - 1".into());
        }
        Ok(VerifyingKey::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// The raw Ed25519 public key (RFC 8032 §5.1.5), as a JWK's `x` or an SPKI holds it.
    pub fn ed25519(x: &[u8]) -> Result<VerifyingKey, String> {
        if x.len() != 32 {
            return Err(format!(
                "an Ed25519 public key is 32 bytes, this one {}",
                x.len()
            ));
        }
        Ok(VerifyingKey::Ed25519(x.to_vec()))
    }

    /// A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; RFC 3279, RFC 5480 and RFC 8410 for the
    /// algorithms).
    pub fn from_spki_der(der: &[u8]) -> Result<VerifyingKey, String> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("the public key is not a DER SubjectPublicKeyInfo ({e})"))?;
        let algorithm = spki.algorithm.oid;
        let Some(key) = spki.subject_public_key.as_bytes() else {
            return Err("the public key's BIT STRING has unused bits".into());
        };
        match algorithm {
            OID_RSA => VerifyingKey::from_rsa_public_key_der(key),
            OID_EC => {
                let curve = spki
                    .algorithm
                    .parameters
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                    .ok_or("the EC public key does not name its curve")?;
                let (family, size) = match curve {
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
                Ok(if size == 32 {
                    VerifyingKey::EcP256(key.to_vec())
                } else {
                    VerifyingKey::EcP384(key.to_vec())
                })
            }
            OID_ED25519 => VerifyingKey::ed25519(key),
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

    /// An RSAPublicKey (RFC 8017 §A.1.1): `BEGIN RSA PUBLIC KEY`, and inside an RSA SPKI. Read
    /// as signed INTEGERs, so that a negative one is named as such.
    pub fn from_rsa_public_key_der(der: &[u8]) -> Result<VerifyingKey, String> {
        let key = pkcs1::RsaPublicKey::<IntRef>::from_der(der)
            .map_err(|e| format!("the RSA public key is not a DER RSAPublicKey ({e})"))?;
        let (n, e) = (key.modulus.as_bytes(), key.public_exponent.as_bytes());
        if [n, e]
            .iter()
            .any(|int| int.first().is_some_and(|top| top & 0x80 != 0))
        {
            return Err("the RSA public key has a negative modulus or exponent".into());
        }
        VerifyingKey::rsa(n, e)
    }
}

/// A JSON value whose objects' names are unique at every depth: a JWK Set or a JWK with a
/// member twice (`keys`, `n`, `alg`) is refused, as a token's claims are (RFC 8259 §4 leaves it to
/// each reader, and two readers must not verify with two different keys). The error is a phrase:
/// "is not JSON: …" or "has member `n` twice".
pub fn unique_json(bytes: &[u8]) -> Result<Value, String> {
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

/// The PEM blocks (RFC 7468) of a key or certificate file, in order: at least one. `shown` is the
/// file as messages name it.
pub fn pem_blocks(bytes: &[u8], shown: &str) -> Result<Vec<pem::Pem>, String> {
    let blocks = pem::parse_many(bytes)
        .map_err(|e| format!("{shown} is not valid PEM: {}", pem_problem(&e)))?;
    if blocks.is_empty() {
        return Err(format!("{shown} has no PEM block (`-----BEGIN …-----`)"));
    }
    Ok(blocks)
}

/// What is wrong with a PEM text, in words of our own: the pem crate's messages quote the file
/// (an END line, a header line), which in a private key file may be part of the key, and hold
/// its line breaks.
fn pem_problem(error: &pem::PemError) -> String {
    match error {
        // The label is named only when it looks like one: a BEGIN line that lost its closing
        // dashes makes the pem crate take the lines after it, a key's, for the label.
        pem::PemError::MismatchedTags(begin, _) if is_label(begin) => {
            format!("the END line of the `{begin}` block does not match its BEGIN line")
        }
        pem::PemError::MismatchedTags(..) => {
            "a block's END line does not match its BEGIN line".into()
        }
        pem::PemError::MalformedFraming => "a `-----BEGIN`/`-----END` line is malformed".into(),
        pem::PemError::MissingBeginTag => "a block has no `-----BEGIN …-----` line".into(),
        pem::PemError::MissingEndTag => "a block has no `-----END …-----` line".into(),
        pem::PemError::MissingData => "a block holds no data".into(),
        pem::PemError::InvalidData(_) => "a block's content is not base64".into(),
        pem::PemError::InvalidHeader(_) => "a block has a malformed header line".into(),
        pem::PemError::NotUtf8(_) => "it is not UTF-8 text".into(),
    }
}

/// A PEM label as RFC 7468 §3 has them (`PRIVATE KEY`, `EC PRIVATE KEY`): short, upper-case
/// words.
fn is_label(text: &str) -> bool {
    text.len() <= 40
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b' ' || b == b'-' || b.is_ascii_digit())
}

/// A base64url member of a JWK (RFC 7518 §2: no padding).
pub fn jwk_bytes(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let Some(text) = jwk.get(name).and_then(Value::as_str) else {
        return Err(format!("it has no `{name}` string"));
    };
    // base64's error can name a character of the value and where it is: not for a private
    // member, whose every character is the key.
    let private = ["d", "p", "q", "dp", "dq", "qi", "k"].contains(&name);
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|e| {
        if private {
            format!("`{name}` is not base64url")
        } else {
            format!("`{name}` is not base64url: {e}")
        }
    })?;
    if bytes.is_empty() {
        return Err(format!("`{name}` is empty"));
    }
    Ok(bytes)
}

/// The RFC 7638 thumbprint of a public JWK: base64url (no padding) of the SHA-256 of a JSON
/// object holding only the members its `kty` requires (§3.2), in lexicographic order, without
/// whitespace (§3.3). Any other member (`kid`, `alg`, `use`, a private one) takes no part.
pub fn jwk_thumbprint(jwk: &Map<String, Value>) -> Result<String, String> {
    let required: &[&str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("RSA") => &["e", "kty", "n"],
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        Some("oct") => &["k", "kty"],
        Some(other) => {
            return Err(format!(
                "kty {} has no RFC 7638 thumbprint here (RSA, EC, OKP and oct do)",
                printable(other, SHOWN)
            ));
        }
        None => return Err("it has no `kty` string".into()),
    };
    let mut members = Map::new();
    for name in required {
        let Some(value) = jwk.get(*name).and_then(Value::as_str) else {
            return Err(format!("it has no `{name}` string"));
        };
        // Inserted in order: the map keeps it (serde_json's `preserve_order`).
        members.insert((*name).to_string(), Value::String(value.to_string()));
    }
    let json = serde_json::to_string(&members).expect("a map of strings serializes");
    let digest = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
    Ok(URL_SAFE_NO_PAD.encode(digest))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const OID_RSA_PSS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
pub(crate) const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(crate) const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
pub(crate) const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
pub(crate) const OID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");

/// The subjectPublicKeyInfo of a DER certificate (RFC 5280 §4.1): the seventh field of the
/// TBSCertificate, or the sixth when the optional `[0]` version is absent.
pub fn certificate_spki(der: &[u8]) -> Result<Vec<u8>, String> {
    let fields = tbs_fields(der)
        .map_err(|e| format!("the certificate is not a DER X.509 certificate ({e})"))?;
    let versioned = fields.first().is_some_and(|f| f.first() == Some(&0xa0));
    fields
        .into_iter()
        .nth(if versioned { 6 } else { 5 })
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "the certificate has no subjectPublicKeyInfo".to_string())
}

/// The fields of a certificate's TBSCertificate, each a whole TLV whose tag and length are
/// checked but whose content is not: the certificate is not validated, only its key is used, so
/// any version, extension or name is fine.
pub(crate) fn tbs_fields(der: &[u8]) -> der::Result<Vec<&[u8]>> {
    let mut reader = SliceReader::new(der)?;
    let fields = reader.sequence(|certificate| {
        let fields = certificate.sequence(|tbs| {
            let mut fields = Vec::new();
            while !tbs.is_finished() {
                fields.push(tbs.tlv_bytes()?);
            }
            Ok::<_, der::Error>(fields)
        })?;
        certificate.tlv_bytes()?; // signatureAlgorithm
        certificate.tlv_bytes()?; // signatureValue
        Ok::<_, der::Error>(fields)
    })?;
    reader.finish()?;
    Ok(fields)
}

/// The number of significant bits of a big-endian unsigned integer.
pub(crate) fn bit_len(bytes: &[u8]) -> usize {
    let bytes = strip_leading_zeros(bytes);
    bytes
        .first()
        .map_or(0, |top| bytes.len() * 8 - top.leading_zeros() as usize)
}

pub mod certificate;
#[cfg(test)]
mod tests;
