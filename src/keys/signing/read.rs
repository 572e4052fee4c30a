//! The forms a private key comes in, read into a [`SigningKey`]: PEM (PKCS#8, PKCS#1, SEC1),
//! a private JWK or a JWK Set of one, and a Google service-account key. ring parses PKCS#8 and
//! PKCS#1 itself; `pkcs8`, `pkcs1` and `sec1` read what it does not (a SEC1 key's curve and
//! point) and what a message needs (the algorithm, the size, the curve).

use der::Decode;
use der::asn1::ObjectIdentifier;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use serde_json::{Map, Value};

use super::{Pair, PrivateKey, SigningKey, TlsKeyDer};
use crate::jwt::json_kind;
use crate::keys::{
    Alg, KeyFamily, OID_EC, OID_ED448, OID_ED25519, OID_P256, OID_P384, OID_P521, OID_RSA,
    OID_RSA_PSS, SHOWN, bit_len, jwk_bytes, pem_blocks, unique_json,
};
use crate::untrusted::printable;

const OID_SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
const OID_X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const OID_X448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.111");

/// ring signs with RSA keys of 2048 to 4096 bits (it verifies up to 8192).
const RSA_SIGNING_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

// ---------------------------------------------------------------- PEM

pub(super) fn from_pem(text: &[u8], shown: &str) -> Result<PrivateKey, String> {
    let blocks = pem_blocks(text, shown)?;
    let encrypted = blocks.iter().any(|b| {
        b.tag() == "ENCRYPTED PRIVATE KEY"
            || b.headers()
                .get("Proc-Type")
                .is_some_and(|v| v.contains("ENCRYPTED"))
    });
    if encrypted {
        return Err(format!(
            "{shown} is an encrypted PEM key; oauthctl cannot decrypt it: export it unencrypted, \
             e.g. `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.plain`"
        ));
    }
    let is_private =
        |tag: &str| matches!(tag, "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY");
    let private: Vec<&pem::Pem> = blocks.iter().filter(|b| is_private(b.tag())).collect();
    let key = match private.as_slice() {
        [key] => *key,
        [] => return Err(no_private_block(&blocks, shown)),
        more => {
            return Err(format!(
                "{shown} holds {} private keys; give a file with one",
                more.len()
            ));
        }
    };
    let cannot = |reason: String| format!("the private key in {shown} cannot be used: {reason}");
    let der = key.contents().to_vec();
    match key.tag() {
        "PRIVATE KEY" => {
            let signing = from_pkcs8(&der).map_err(cannot)?;
            Ok(PrivateKey::bare(signing, Some(TlsKeyDer::Pkcs8(der))))
        }
        "RSA PRIVATE KEY" => {
            let signing = rsa_from_pkcs1(&der).map_err(cannot)?;
            Ok(PrivateKey::bare(signing, Some(TlsKeyDer::Pkcs1(der))))
        }
        _ => {
            // openssl's `ecparam -genkey` writes the curve in a block of its own first.
            let curve = blocks
                .iter()
                .find(|b| b.tag() == "EC PARAMETERS")
                .and_then(|b| ObjectIdentifier::from_der(b.contents()).ok());
            let signing = ec_from_sec1(&der, curve).map_err(cannot)?;
            Ok(PrivateKey::bare(signing, Some(TlsKeyDer::Sec1(der))))
        }
    }
}

/// Why PEM blocks that hold no private key are not one.
fn no_private_block(blocks: &[pem::Pem], shown: &str) -> String {
    let tags: Vec<&str> = blocks.iter().map(|b| b.tag()).collect();
    if tags.contains(&"OPENSSH PRIVATE KEY") {
        return format!(
            "{shown} is an OpenSSH private key; convert it to PKCS#8 first: \
             `ssh-keygen -p -m PKCS8 -f KEY` (it rewrites KEY in place)"
        );
    }
    if let Some(public) = tags
        .iter()
        .find(|t| matches!(**t, "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE"))
    {
        let what = if *public == "CERTIFICATE" {
            "a certificate"
        } else {
            "a public key"
        };
        return format!("{shown} holds {what}, not a private key");
    }
    format!(
        "{shown} holds a `{}` PEM block; expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY",
        printable(tags[0], SHOWN)
    )
}

/// A PKCS#8 PrivateKeyInfo (RFC 5208 §5, or RFC 5958's OneAsymmetricKey).
pub(super) fn from_pkcs8(der: &[u8]) -> Result<SigningKey, String> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|e| format!("it is not a DER PKCS#8 PrivateKeyInfo ({e})"))?;
    let inner = info.private_key.as_bytes();
    match info.algorithm.oid {
        OID_RSA => {
            rsa_size_fits(inner)?;
            RsaKeyPair::from_pkcs8(der)
                .map_err(|e| rejected("RSA", e))
                .and_then(signing_rsa)
        }
        OID_EC => {
            let curve = info
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            ec_from_sec1(inner, curve)
        }
        OID_ED25519 => Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map(|pair| SigningKey(Pair::Ed25519(pair)))
            .map_err(|e| rejected("Ed25519", e)),
        oid => Err(unsupported_algorithm(oid)),
    }
}

fn unsupported_algorithm(oid: ObjectIdentifier) -> String {
    match oid {
        OID_ED448 => "Ed448 keys are not supported (Ed25519 is)".into(),
        OID_X25519 | OID_X448 => {
            "an X25519 or X448 key agrees on keys and cannot sign; make an Ed25519 key".into()
        }
        OID_RSA_PSS => "RSASSA-PSS-only keys (OID 1.2.840.113549.1.1.10) are not supported; \
                        export the key as rsaEncryption"
            .into(),
        _ => format!(
            "the key algorithm {oid} is not supported (RSA, EC P-256/P-384 and Ed25519 are)"
        ),
    }
}

/// Refuses an RSAPrivateKey whose modulus ring cannot sign with, naming its size.
fn rsa_size_fits(pkcs1_der: &[u8]) -> Result<(), String> {
    let key = pkcs1::RsaPrivateKey::<der::asn1::UintRef>::from_der(pkcs1_der)
        .map_err(|e| format!("the RSA key is not a DER RSAPrivateKey ({e})"))?;
    let bits = bit_len(key.modulus.as_bytes());
    if !RSA_SIGNING_BITS.contains(&bits) {
        return Err(format!(
            "an RSA key of {bits} bits cannot sign here (2048 to 4096 bits can)"
        ));
    }
    Ok(())
}

fn rsa_from_pkcs1(der: &[u8]) -> Result<SigningKey, String> {
    rsa_size_fits(der)?;
    RsaKeyPair::from_der(der)
        .map_err(|e| rejected("RSA", e))
        .and_then(signing_rsa)
}

/// An ECPrivateKey (RFC 5915 §3); `outer` is the curve named outside it (PKCS#8's algorithm, or
/// an `EC PARAMETERS` block), which must agree with its own when it has one.
fn ec_from_sec1(der: &[u8], outer: Option<ObjectIdentifier>) -> Result<SigningKey, String> {
    let key = sec1::EcPrivateKey::from_der(der)
        .map_err(|e| format!("the EC key is not a DER ECPrivateKey ({e})"))?;
    let own = key.parameters.and_then(|p| p.named_curve());
    let curve = match (own, outer) {
        (Some(own), Some(outer)) if own != outer => {
            return Err("the EC key names two different curves".into());
        }
        (Some(curve), _) | (None, Some(curve)) => curve,
        (None, None) => return Err("the EC key does not name its curve".into()),
    };
    let curve = EcCurve::from_oid(curve)?;
    let Some(public) = key.public_key else {
        return Err(
            "the EC key does not hold its public key; export it again with `openssl ec`".into(),
        );
    };
    curve.pair(key.private_key, public)
}

#[derive(Clone, Copy)]
enum EcCurve {
    P256,
    P384,
}

impl EcCurve {
    fn from_oid(oid: ObjectIdentifier) -> Result<EcCurve, String> {
        match oid {
            OID_P256 => Ok(EcCurve::P256),
            OID_P384 => Ok(EcCurve::P384),
            OID_P521 => Err("EC P-521 (ES512) keys are not supported (P-256 and P-384 are)".into()),
            OID_SECP256K1 => {
                Err("secp256k1 (ES256K) keys are not supported (P-256 and P-384 are)".into())
            }
            other => Err(format!(
                "the EC curve {other} is not supported (P-256 and P-384 are)"
            )),
        }
    }

    /// The size of a coordinate and of the private scalar, in bytes.
    fn size(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
        }
    }

    fn family(self) -> KeyFamily {
        match self {
            EcCurve::P256 => KeyFamily::EcP256,
            EcCurve::P384 => KeyFamily::EcP384,
        }
    }

    /// ring's key pair from the private scalar and the uncompressed public point, which ring
    /// checks belong together. A scalar shorter than the curve's size (an encoder that dropped
    /// leading zeros) is padded back.
    fn pair(self, scalar: &[u8], public: &[u8]) -> Result<SigningKey, String> {
        let size = self.size();
        if scalar.len() > size {
            return Err(format!(
                "the private scalar of an {} key must be {size} bytes",
                self.family()
            ));
        }
        let mut padded = vec![0; size - scalar.len()];
        padded.extend_from_slice(scalar);
        if public.first() != Some(&0x04) || public.len() != 1 + 2 * size {
            return Err(format!(
                "the {} public key is not an uncompressed point of {} bytes",
                self.family(),
                1 + 2 * size
            ));
        }
        let rng = SystemRandom::new();
        let name = self.family().to_string();
        match self {
            EcCurve::P256 => EcdsaKeyPair::from_private_key_and_public_key(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &padded,
                public,
                &rng,
            )
            .map(|pair| SigningKey(Pair::EcP256(pair))),
            EcCurve::P384 => EcdsaKeyPair::from_private_key_and_public_key(
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                &padded,
                public,
                &rng,
            )
            .map(|pair| SigningKey(Pair::EcP384(pair))),
        }
        .map_err(|e| rejected(&name, e))
    }
}

/// An RSA key pair ring has read, once it has made a signature. ring checks the parts of an RSA
/// key when it reads them, but not every one (a `dQ` that does not go with `d` and `q` is read),
/// and checks each signature before giving it out, so such a key would fail every signature
/// later; one test signature finds it while the key is read, and names it.
fn signing_rsa(pair: RsaKeyPair) -> Result<SigningKey, String> {
    let key = SigningKey(Pair::Rsa(pair));
    key.sign(Alg::RS256, b"oauthctl: does this key sign?")
        .map_err(|_| {
            "the RSA key's private parts do not go with its public key (a test signature fails)"
                .to_string()
        })?;
    Ok(key)
}

/// ring's refusal, as a phrase: its reasons are short names ("InconsistentComponents").
fn rejected(what: &str, e: ring::error::KeyRejected) -> String {
    format!("ring refuses the {what} key ({e})")
}

// ---------------------------------------------------------------- JSON: JWK, JWK Set, Google

pub(super) fn from_json(text: &[u8], shown: &str) -> Result<PrivateKey, String> {
    let value = unique_json(text).map_err(|e| format!("{shown} {e}"))?;
    let Value::Object(object) = value else {
        unreachable!("text that starts with `{{` is an object when it is JSON at all");
    };
    if let Some(keys) = object.get("keys") {
        let Some(keys) = keys.as_array() else {
            return Err(format!(
                "{shown}: `keys` is {}, not an array of JWKs",
                json_kind(keys)
            ));
        };
        return match keys.as_slice() {
            [Value::Object(jwk)] => from_jwk(jwk, shown),
            [other] => Err(format!(
                "the key in the JWK Set {shown} is {}, not a JWK",
                json_kind(other)
            )),
            [] => Err(format!("the JWK Set {shown} holds no key")),
            more => Err(format!(
                "the JWK Set {shown} holds {} keys; give one private key",
                more.len()
            )),
        };
    }
    if let Some(kind) = object.get("type") {
        return from_google(&object, kind, shown);
    }
    if object.contains_key("kty") {
        return from_jwk(&object, shown);
    }
    Err(format!(
        "{shown} is JSON but neither a JWK, a JWK Set nor a Google service-account key"
    ))
}

/// A Google service-account key (`gcloud iam service-accounts keys create`): a PKCS#8 PEM in
/// `private_key`, its id in `private_key_id`, the account in `client_email`.
fn from_google(
    object: &Map<String, Value>,
    kind: &Value,
    shown: &str,
) -> Result<PrivateKey, String> {
    if kind != "service_account" {
        let kind = match kind {
            Value::String(kind) => format!("`{}`", printable(kind, SHOWN)),
            other => json_kind(other).to_string(),
        };
        return Err(format!(
            "{shown} is a Google credential of type {kind}, not a service-account key"
        ));
    }
    let text = |name: &str| -> Result<Option<String>, String> {
        match object.get(name) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value.clone())),
            Some(other) => Err(format!(
                "{shown}: `{name}` is {}, not a string",
                json_kind(other)
            )),
        }
    };
    let Some(pem_text) = text("private_key")? else {
        return Err(format!(
            "the service-account key {shown} has no `private_key`"
        ));
    };
    let inner = format!("the `private_key` of {shown}");
    let mut key = from_pem(pem_text.as_bytes(), &inner)?;
    key.kid = text("private_key_id")?;
    key.client_email = text("client_email")?;
    Ok(key)
}

/// A private JWK: RSA with all of its CRT members, EC or OKP Ed25519 with `d` (RFC 7518 §6.2.2,
/// §6.3.2; RFC 8037 §2).
fn from_jwk(jwk: &Map<String, Value>, shown: &str) -> Result<PrivateKey, String> {
    let cannot = |reason: String| format!("the JWK in {shown} cannot be used: {reason}");
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(other) => {
            return Err(cannot(format!(
                "`kid` is {}, not a string",
                json_kind(other)
            )));
        }
    };
    // RFC 7517 §4.2: a key meant for encryption does not sign.
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(Value::String(u)) => {
            return Err(cannot(format!(
                "its use is {}, not sig",
                printable(u, SHOWN)
            )));
        }
        Some(other) => {
            return Err(cannot(format!(
                "`use` is {}, not a string",
                json_kind(other)
            )));
        }
    }
    let alg = match jwk.get("alg") {
        None => None,
        Some(Value::String(name)) => Some(Alg::from_name(name).ok_or_else(|| {
            cannot(format!(
                "its alg {} is not one oauthctl signs with",
                printable(name, SHOWN)
            ))
        })?),
        Some(other) => {
            return Err(cannot(format!(
                "`alg` is {}, not a string",
                json_kind(other)
            )));
        }
    };
    let key = signing_key_from_jwk(jwk).map_err(cannot)?;
    if let Some(alg) = alg {
        key.check_alg(alg)
            .map_err(|e| cannot(format!("its alg: {e}")))?;
    }
    Ok(PrivateKey {
        key,
        kid,
        alg,
        client_email: None,
        tls_der: None,
    })
}

fn signing_key_from_jwk(jwk: &Map<String, Value>) -> Result<SigningKey, String> {
    let kty = match jwk.get("kty") {
        Some(Value::String(kty)) => kty.as_str(),
        Some(other) => return Err(format!("`kty` is {}, not a string", json_kind(other))),
        None => return Err("it has no `kty`".into()),
    };
    if kty == "oct" {
        return Err(
            "an oct JWK is a shared secret, not a private key (client_secret_jwt signs \
                    with the client secret)"
                .into(),
        );
    }
    if !jwk.contains_key("d") {
        return Err("it is a public key (it has no `d`); give the private JWK".into());
    }
    match kty {
        "RSA" => {
            let member = |name| jwk_bytes(jwk, name);
            let n = member("n")?;
            let bits = bit_len(&n);
            if !RSA_SIGNING_BITS.contains(&bits) {
                return Err(format!(
                    "an RSA key of {bits} bits cannot sign here (2048 to 4096 bits can)"
                ));
            }
            let crt = ["p", "q", "dp", "dq", "qi"];
            if let Some(missing) = crt.iter().find(|name| !jwk.contains_key(**name)) {
                return Err(format!(
                    "it has no `{missing}`: ring signs with an RSA key's CRT members \
                     (p, q, dp, dq, qi), not with `d` alone"
                ));
            }
            let components = ring::rsa::KeyPairComponents {
                public_key: ring::rsa::PublicKeyComponents { n, e: member("e")? },
                d: member("d")?,
                p: member("p")?,
                q: member("q")?,
                dP: member("dp")?,
                dQ: member("dq")?,
                qInv: member("qi")?,
            };
            RsaKeyPair::from_components(&components)
                .map_err(|e| rejected("RSA", e))
                .and_then(signing_rsa)
        }
        "EC" => {
            let curve = match jwk.get("crv").and_then(Value::as_str) {
                Some("P-256") => EcCurve::P256,
                Some("P-384") => EcCurve::P384,
                Some("P-521") => {
                    return Err(
                        "EC P-521 (ES512) keys are not supported (P-256 and P-384 are)".into(),
                    );
                }
                Some("secp256k1") => {
                    return Err(
                        "secp256k1 (ES256K) keys are not supported (P-256 and P-384 are)".into(),
                    );
                }
                Some(crv) => {
                    return Err(format!(
                        "curve {} is not supported (P-256 and P-384 are)",
                        printable(crv, SHOWN)
                    ));
                }
                None => return Err("an EC key needs a `crv` string".into()),
            };
            let size = curve.size();
            let (x, y, d) = (
                jwk_bytes(jwk, "x")?,
                jwk_bytes(jwk, "y")?,
                jwk_bytes(jwk, "d")?,
            );
            if x.len() != size || y.len() != size || d.len() != size {
                return Err(format!(
                    "`x`, `y` and `d` of an {} key must be {size} bytes each (RFC 7518 §6.2)",
                    curve.family()
                ));
            }
            let point = [&[0x04][..], &x, &y].concat();
            curve.pair(&d, &point)
        }
        "OKP" => match jwk.get("crv").and_then(Value::as_str) {
            Some("Ed25519") => {
                let (x, d) = (jwk_bytes(jwk, "x")?, jwk_bytes(jwk, "d")?);
                Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                    .map(|pair| SigningKey(Pair::Ed25519(pair)))
                    .map_err(|e| rejected("Ed25519", e))
            }
            Some("Ed448") => Err("Ed448 keys are not supported (Ed25519 is)".into()),
            Some("X25519" | "X448") => Err(
                "an X25519 or X448 key agrees on keys and cannot sign; make an Ed25519 key".into(),
            ),
            Some(crv) => Err(format!(
                "curve {} is not supported (Ed25519 is)",
                printable(crv, SHOWN)
            )),
            None => Err("an OKP key needs a `crv` string".into()),
        },
        other => Err(format!(
            "kty {} is not supported (RSA, EC and OKP are)",
            printable(other, SHOWN)
        )),
    }
}
