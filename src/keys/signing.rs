//! Private keys, which sign: client assertions (RFC 7523), DPoP proofs, and `keys generate` /
//! `keys public` (DESIGN §10). ring holds each key and makes every signature; this module only
//! reads the forms keys come in and decides which algorithms a key may sign with.
//!
//! Forms read (`PrivateKey::parse`): PEM `PRIVATE KEY` (PKCS#8, RFC 5208/5958: RSA, EC P-256 and
//! P-384, Ed25519), `RSA PRIVATE KEY` (PKCS#1, RFC 8017 §A.1.2), `EC PRIVATE KEY` (SEC1, RFC
//! 5915, after an optional `EC PARAMETERS` block), a private JWK (RFC 7518 §6, RFC 8037 §2) or a
//! JWK Set of one, and a Google service-account key (JSON with a PKCS#8 `private_key`); the
//! readers are in `read.rs`.
//!
//! Errors are one phrase naming the source as the caller shows it, never holding key material;
//! anything taken from the key text is escaped (`untrusted::printable`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{Map, Value};

use super::{Alg, KeyFamily, VerifyingKey, bit_len, jwk_thumbprint};
use crate::untrusted::printable;

mod read;

/// The longest text shown from a key file in a message.
const SHOWN_SOURCE: usize = 300;

/// A key that signs: one of ring's key pairs.
pub struct SigningKey(Pair);

enum Pair {
    Rsa(RsaKeyPair),
    EcP256(EcdsaKeyPair),
    EcP384(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for SigningKey {
    // By hand: the key pair's own Debug is ring's to decide; this one never shows material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.family())
    }
}

impl SigningKey {
    pub fn family(&self) -> KeyFamily {
        match &self.0 {
            Pair::Rsa(pair) => KeyFamily::Rsa {
                bits: bit_len(&rsa_public(pair).n),
            },
            Pair::EcP256(_) => KeyFamily::EcP256,
            Pair::EcP384(_) => KeyFamily::EcP384,
            Pair::Ed25519(_) => KeyFamily::Ed25519,
        }
    }

    /// The algorithm a key signs with unless told otherwise (DESIGN §10): RSA → RS256, P-256 →
    /// ES256, P-384 → ES384, Ed25519 → EdDSA.
    pub fn default_alg(&self) -> Alg {
        match &self.0 {
            Pair::Rsa(_) => Alg::RS256,
            Pair::EcP256(_) => Alg::ES256,
            Pair::EcP384(_) => Alg::ES384,
            Pair::Ed25519(_) => Alg::EdDSA,
        }
    }

    /// Whether this key signs with `alg`; the error says which algorithms it signs with. The
    /// HMAC algorithms never fit a private key.
    pub fn check_alg(&self, alg: Alg) -> Result<(), String> {
        let family = self.family();
        let algs = family.algs();
        if algs.contains(&alg) {
            return Ok(());
        }
        let names: Vec<&str> = algs.iter().map(|a| a.name()).collect();
        Err(format!(
            "{alg} does not fit an {family} key (it signs with {})",
            names.join(", ")
        ))
    }

    /// The JWS signature of `message` with `alg` (RFC 7515 §5.1): for ES256 and ES384 the fixed
    /// `r‖s` form of RFC 7518 §3.4, not DER.
    pub fn sign(&self, alg: Alg, message: &[u8]) -> Result<Vec<u8>, String> {
        self.check_alg(alg)?;
        let rng = SystemRandom::new();
        let failed = |_| format!("signing with {alg} failed");
        match &self.0 {
            Pair::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Alg::RS256 => &signature::RSA_PKCS1_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut sig)
                    .map_err(failed)?;
                Ok(sig)
            }
            Pair::EcP256(pair) | Pair::EcP384(pair) => pair
                .sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(failed),
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// The public members of the key's JWK, and only those: `kty`, `n`, `e` (RSA); `kty`, `crv`,
    /// `x`, `y` (EC); `kty`, `crv`, `x` (Ed25519, RFC 8037 §2).
    pub fn public_jwk(&self) -> Map<String, Value> {
        let b64 = |bytes: &[u8]| Value::String(URL_SAFE_NO_PAD.encode(bytes));
        let mut jwk = Map::new();
        match &self.0 {
            Pair::Rsa(pair) => {
                let public = rsa_public(pair);
                jwk.insert("kty".into(), "RSA".into());
                jwk.insert("n".into(), b64(&public.n));
                jwk.insert("e".into(), b64(&public.e));
            }
            Pair::EcP256(pair) | Pair::EcP384(pair) => {
                let crv = match &self.0 {
                    Pair::EcP256(_) => "P-256",
                    _ => "P-384",
                };
                // The uncompressed point: 0x04, then x and y of equal length.
                let point = &pair.public_key().as_ref()[1..];
                let (x, y) = point.split_at(point.len() / 2);
                jwk.insert("kty".into(), "EC".into());
                jwk.insert("crv".into(), crv.into());
                jwk.insert("x".into(), b64(x));
                jwk.insert("y".into(), b64(y));
            }
            Pair::Ed25519(pair) => {
                jwk.insert("kty".into(), "OKP".into());
                jwk.insert("crv".into(), "Ed25519".into());
                jwk.insert("x".into(), b64(pair.public_key().as_ref()));
            }
        }
        jwk
    }

    /// The RFC 7638 thumbprint of [`Self::public_jwk`].
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.public_jwk()).expect("a public JWK of ours has its required members")
    }

    /// The public key as `inspect --verify` reads it, to compare with a certificate's key or to
    /// check a signature.
    pub fn verifying_key(&self) -> VerifyingKey {
        match &self.0 {
            Pair::Rsa(pair) => {
                let public = rsa_public(pair);
                VerifyingKey::Rsa {
                    n: public.n,
                    e: public.e,
                }
            }
            Pair::EcP256(pair) => VerifyingKey::EcP256(pair.public_key().as_ref().to_vec()),
            Pair::EcP384(pair) => VerifyingKey::EcP384(pair.public_key().as_ref().to_vec()),
            Pair::Ed25519(pair) => VerifyingKey::Ed25519(pair.public_key().as_ref().to_vec()),
        }
    }
}

/// The modulus and exponent of an RSA key pair, big-endian without leading zeros.
fn rsa_public(pair: &RsaKeyPair) -> signature::RsaPublicKeyComponents<Vec<u8>> {
    signature::RsaPublicKeyComponents::from(pair.public())
}

/// What a private key file held.
#[derive(Debug)]
pub struct PrivateKey {
    pub key: SigningKey,
    /// A JWK's own `kid`, or a Google service-account key's `private_key_id`.
    pub kid: Option<String>,
    /// A JWK's own `alg`, which fits the key (checked when read).
    pub alg: Option<Alg>,
    /// A Google service-account key's `client_email`.
    pub client_email: Option<String>,
    /// The key as DER for TLS (mTLS presents it): `None` when it came as a JWK.
    pub tls_der: Option<TlsKeyDer>,
}

/// A private key's DER in the form it came in, as rustls takes it.
pub enum TlsKeyDer {
    Pkcs8(Vec<u8>),
    Pkcs1(Vec<u8>),
    Sec1(Vec<u8>),
}

impl fmt::Debug for TlsKeyDer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = match self {
            TlsKeyDer::Pkcs8(_) => "Pkcs8",
            TlsKeyDer::Pkcs1(_) => "Pkcs1",
            TlsKeyDer::Sec1(_) => "Sec1",
        };
        write!(f, "TlsKeyDer::{form}(***)")
    }
}

impl PrivateKey {
    /// Reads a private key in any form this module knows, from a file, an env var's text or a
    /// command's output (surrounding whitespace is fine). `shown` names the source in messages,
    /// e.g. "private_key_file `/x/k.pem`".
    pub fn parse(bytes: &[u8], shown: &str) -> Result<PrivateKey, String> {
        let shown = printable(shown, SHOWN_SOURCE);
        let text = bytes.trim_ascii();
        if text.is_empty() {
            return Err(format!("{shown} is empty"));
        }
        if text.starts_with(b"{") {
            return read::from_json(text, &shown);
        }
        if text.windows(11).any(|w| w == b"-----BEGIN ") {
            return read::from_pem(text, &shown);
        }
        Err(format!(
            "{shown} holds no private key: expected a PEM private key (`-----BEGIN PRIVATE \
             KEY-----`), a private JWK or a Google service-account key"
        ))
    }

    fn bare(key: SigningKey, tls_der: Option<TlsKeyDer>) -> PrivateKey {
        PrivateKey {
            key,
            kid: None,
            alg: None,
            client_email: None,
            tls_der,
        }
    }
}

// ---------------------------------------------------------------- new keys

/// The algorithms [`generate`] makes keys for.
pub const GENERATED_ALGS: [Alg; 9] = [
    Alg::ES256,
    Alg::ES384,
    Alg::EdDSA,
    Alg::RS256,
    Alg::RS384,
    Alg::RS512,
    Alg::PS256,
    Alg::PS384,
    Alg::PS512,
];

/// The modulus of a new RSA key: 3072 bits, 128-bit security (NIST SP 800-57 Part 1 §5.6.1).
pub const NEW_RSA_BITS: usize = 3072;

/// A new key for `alg`, and its PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`), made from the
/// system's random source: P-256 for ES256, P-384 for ES384, Ed25519 for EdDSA (by ring), and an
/// RSA key of [`NEW_RSA_BITS`] for RS* and PS* (by RustCrypto's `rsa`, since ring cannot make
/// one; ring reads it back and does every signature). HS* have no key pair to make.
pub fn generate(alg: Alg) -> Result<(SigningKey, String), String> {
    let rng = SystemRandom::new();
    let failed = |_| format!("making a new {alg} key failed");
    let pkcs8: Vec<u8> = match alg {
        Alg::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(failed)?
                .as_ref()
                .to_vec()
        }
        Alg::ES384 => {
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
                .map_err(failed)?
                .as_ref()
                .to_vec()
        }
        Alg::EdDSA => {
            let v2 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(failed)?;
            ed25519_pkcs8_v1(v2.as_ref())?
        }
        Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
            new_rsa_pkcs8().map_err(|e| format!("making a new {alg} key failed: {e}"))?
        }
        Alg::HS256 | Alg::HS384 | Alg::HS512 => {
            return Err(format!(
                "{alg} signs with a shared secret, not a key pair: there is no key to make"
            ));
        }
    };
    let key =
        read::from_pkcs8(&pkcs8).map_err(|e| format!("the new {alg} key cannot be used: {e}"))?;
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    let text = pem::encode_config(&pem::Pem::new("PRIVATE KEY", pkcs8), config);
    Ok((key, text))
}

/// A new RSA key as PKCS#8 DER, from the operating system's random source.
fn new_rsa_pkcs8() -> Result<Vec<u8>, String> {
    use rsa::Generate;
    use rsa::pkcs8::EncodePrivateKey;
    // `DEFAULT_BITS`, from the operating system's source (getrandom).
    const _: () = assert!(rsa::PrivateKey::DEFAULT_BITS == NEW_RSA_BITS);
    let key = rsa::PrivateKey::try_generate().map_err(|e| e.to_string())?;
    let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(der.as_bytes().to_vec())
}

/// ring writes a new Ed25519 key as PKCS#8 v2 (RFC 5958, with the public key), which OpenSSL 3
/// cannot read; the same key in v1 (RFC 8410 §7: the seed alone), which every tool reads, and
/// ring too (`Ed25519KeyPair::from_pkcs8_maybe_unchecked`).
fn ed25519_pkcs8_v1(v2: &[u8]) -> Result<Vec<u8>, String> {
    use der::{Decode, Encode};
    let encoding = |e: der::Error| format!("encoding the new Ed25519 key failed ({e})");
    let mut info = pkcs8::PrivateKeyInfoRef::from_der(v2).map_err(encoding)?;
    info.public_key = None;
    info.to_der().map_err(encoding)
}

#[cfg(test)]
mod tests;
