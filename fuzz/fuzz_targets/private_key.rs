//! `keys::signing::PrivateKey::parse` on any bytes: what a private key file, an env var or a
//! command's output may hold.
//!
//! Every input is used twice: as given, and, when its first byte is 0, 1 or 2, the rest as the
//! DER of a PEM block labelled `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`, so that the
//! fuzzer reaches the PKCS#8, PKCS#1 and SEC1 readers without having to discover PEM and base64.
//!
//! Invariants: a refusal is one line without control characters; an accepted key's public JWK has
//! its public members only, reads back as the same public key, has the thumbprint of RFC 7638
//! computed from it, a kid only when the input is JSON, DER for TLS whenever the key came as PEM
//! (a service-account key's included), and the key signs with every algorithm of
//! its family a signature that `inspect --verify` accepts with that JWK, and with no other.

#![no_main]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use oauthctl::keys::signing::PrivateKey;
use oauthctl::keys::{Alg, VerifyingKey, jwk_thumbprint};
use oauthctl::verify::{KeySet, verify_signature};

use common::assert_clean_message;

const LABELS: [&str; 3] = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some((&label, der)) = data.split_first()
        && let Some(label) = LABELS.get(label as usize)
    {
        let block = pem::encode(&pem::Pem::new(*label, der.to_vec()));
        check(block.as_bytes());
    }
});

fn check(data: &[u8]) {
    let key = match PrivateKey::parse(data, "fuzz input `k`") {
        Ok(key) => key,
        Err(message) => return assert_clean_message("PrivateKey::parse", &message),
    };
    let signing = &key.key;
    let jwk = signing.public_jwk();
    let public: &[&str] = match jwk["kty"].as_str().unwrap() {
        "RSA" => &["kty", "n", "e"],
        "EC" => &["kty", "crv", "x", "y"],
        _ => &["kty", "crv", "x"],
    };
    assert_eq!(jwk.keys().map(String::as_str).collect::<Vec<_>>(), public);
    let again = VerifyingKey::from_jwk(&jwk).expect("the public JWK reads back");
    assert_eq!(again.family(), signing.family());
    assert_eq!(signing.thumbprint(), jwk_thumbprint(&jwk).unwrap());
    let text = String::from_utf8_lossy(data);
    // A kid (a JWK's, or a service-account key's private_key_id) only comes with JSON, and a
    // PEM key carries no kid.
    let json = data.trim_ascii_start().starts_with(b"{");
    if key.kid.is_some() || key.client_email.is_some() {
        assert!(json, "a kid from {text:?}");
    }
    assert!(
        json || key.tls_der.is_some(),
        "PEM without its DER: {text:?}"
    );
    assert!(key.client_email.is_none() || key.tls_der.is_some());
    let keys = KeySet::from_jwk_json(&serde_json::to_vec(&jwk).unwrap(), "its JWK").unwrap();
    let algs = signing.family().algs();
    assert!(algs.contains(&signing.default_alg()));
    for alg in Alg::ALL {
        if !algs.contains(&alg) {
            assert!(signing.check_alg(alg).is_err() && signing.sign(alg, b"m").is_err());
            continue;
        }
        let header = URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"{}\"}}", alg.name()));
        let input = format!("{header}.e30");
        let sig = signing
            .sign(alg, input.as_bytes())
            .expect("a fitting alg signs");
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig));
        let verified = verify_signature(&token, &keys).expect("its signature verifies");
        assert_eq!(verified.alg, alg);
    }
}
