//! Unit tests of verify: the fixture keys and the tokens they sign (shared with
//! `signature/tests.rs`), and how key sets are read: JWK Sets, JWKs, PEM keys and certificates,
//! HMAC secrets, and the keys that are refused or skipped.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use ring::{hmac, signature};
use serde_json::json;

pub(super) const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/");
/// 64 bytes: long enough for HS512. The same as in tests/fixtures/keys/jwks_and_tokens.py.
pub(super) const SECRET: &[u8] =
    b"test-only HMAC secret, 64 bytes long, for oauthctl's unit tests!";

pub(super) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{KEYS}{name}")).unwrap()
}

pub(super) fn der(name: &str) -> Vec<u8> {
    pem::parse(fixture(name)).unwrap().into_contents()
}

/// A private key from the fixtures (or a secret), to make test tokens with.
pub(super) enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Hmac(Vec<u8>),
}

pub(super) fn rsa_2048() -> Signer {
    Signer::Rsa(RsaKeyPair::from_der(&der("rsa-2048.key.pem")).unwrap())
}

pub(super) fn rsa_3072() -> Signer {
    Signer::Rsa(RsaKeyPair::from_der(&der("rsa-3072.key.pem")).unwrap())
}

pub(super) fn hmac_key(secret: &[u8]) -> Signer {
    Signer::Hmac(secret.to_vec())
}

/// The fixture key that signs `alg`, with the kid it has in jwks.json and its public PEM.
pub(super) fn signer(alg: Alg) -> (Signer, &'static str, &'static str) {
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

pub(super) fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// A compact JWS of exactly this header and these claims.
pub(super) fn sign(header: &Value, claims: &str, key: &Signer, alg: Alg) -> String {
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

pub(super) const CLAIMS: &str = r#"{"sub":"alice","exp":1900000000}"#;

pub(super) fn jwks() -> KeySet {
    KeySet::from_jwks_json(&fixture("jwks.json"), "jwks.json").unwrap()
}

/// One member of jwks.json, as JSON text.
pub(super) fn jwk(kid: &str) -> Vec<u8> {
    let set: Value = serde_json::from_slice(&fixture("jwks.json")).unwrap();
    let key = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap();
    serde_json::to_vec(key).unwrap()
}

pub(super) fn oct_jwk(kid: Option<&str>, alg: Option<&str>, secret: &[u8]) -> Vec<u8> {
    let mut jwk = json!({"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret)});
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    if let Some(alg) = alg {
        jwk["alg"] = json!(alg);
    }
    serde_json::to_vec(&jwk).unwrap()
}

pub(super) fn refuse(token: &str, keys: &KeySet) -> (Refused, String) {
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
