//! The DER readers on what real keys and certificates hold, and on hand-made DER for each way a
//! public key is refused (the fixture keys cover the rest, through `verify`'s key sets).

use super::*;

/// An EC P-256 public key, and two certificates for it that an X.509 path validator would refuse
/// but whose public key `inspect --key` uses all the same (the certificate is not validated): a
/// version 1 certificate (`openssl x509 -req` without extensions), and a version 3 one with a
/// critical extension nobody knows (OID 1.2.3.4).
const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAElwpyraJ3lBPhrxJ7AtM+UJNX+TAO
PAEbg4phvwFqA1olzNZPx5c/Gzanb+CEx3hoKRbTBWaFf8UG1et+nCAgAQ==
-----END PUBLIC KEY-----
";
const V1_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----
MIIBFDCBuwIUPVjIe9y+waNAmsZwv1qaoyl+KFIwCgYIKoZIzj0EAwIwDTELMAkG
A1UEAwwCdjEwHhcNMjYxMjA1MTMyODUyWhcNMjYxMjA4MTMyODUyWjANMQswCQYD
VQQDDAJ2MTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJcKcq2id5QT4a8SewLT
PlCTV/kwDjwBG4OKYb8BagNaJczWT8eXPxs2p2/ghMd4aCkW0wVmhX/FBtXrfpwg
IAEwCgYIKoZIzj0EAwIDSAAwRQIgeGrr3me4pyJ5EH4bBhCK921xpU0AH01MZFVs
wypjR0UCIQCZ/lzk7AB7rRU8D+qrwcJKINJFWuRDw+rs9vKlZFYNTQ==
-----END CERTIFICATE-----
";
const CRITICAL_EXTENSION_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----
MIIBfjCCASOgAwIBAgIUHh3MNA08XfuhxQF0uNfJivUGfc0wCgYIKoZIzj0EAwIw
DTELMAkGA1UEAwwCdjMwHhcNMjYxMjA1MTMyODUyWhcNMjYxMjA4MTMyODUyWjAN
MQswCQYDVQQDDAJ2MzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJcKcq2id5QT
4a8SewLTPlCTV/kwDjwBG4OKYb8BagNaJczWT8eXPxs2p2/ghMd4aCkW0wVmhX/F
BtXrfpwgIAGjYTBfMB0GA1UdDgQWBBQrm3J2nqCoOHJG8XR3YN+xw0fRjDAfBgNV
HSMEGDAWgBQrm3J2nqCoOHJG8XR3YN+xw0fRjDAPBgNVHRMBAf8EBTADAQH/MAwG
AyoDBAEB/wQCBQAwCgYIKoZIzj0EAwIDSQAwRgIhAPBIo2kwPIcwbnaBUq2wiwEj
0E5PTw7MlKZSPtTV2BZJAiEA+iXQiB0cAAmspKEFer1/iqMIOCOXB2zfEUfnIxjU
+lY=
-----END CERTIFICATE-----
";

fn der_of(pem_text: &str) -> Vec<u8> {
    pem::parse(pem_text).unwrap().into_contents()
}

/// One DER TLV with a short-form length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    assert!(content.len() < 128);
    [&[tag, content.len() as u8][..], content].concat()
}

/// A SubjectPublicKeyInfo: the algorithm's OID (content bytes), its parameters, and the key as a
/// BIT STRING with `unused` bits.
fn spki(oid: &[u8], parameters: Option<Vec<u8>>, key: &[u8], unused: u8) -> Vec<u8> {
    let algorithm = [tlv(0x06, oid), parameters.unwrap_or_default()].concat();
    let bits = [&[unused][..], key].concat();
    tlv(0x30, &[tlv(0x30, &algorithm), tlv(0x03, &bits)].concat())
}

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const ED448: &[u8] = &[0x2b, 0x65, 0x71];

fn refused(der: &[u8]) -> String {
    VerifyingKey::from_spki_der(der).unwrap_err()
}

#[test]
fn a_certificate_gives_its_public_key_whatever_its_version_and_extensions() {
    let expected = VerifyingKey::from_spki_der(&der_of(PUBLIC_KEY)).unwrap();
    let VerifyingKey::EcP256(expected) = expected else {
        panic!("{expected:?}");
    };
    for certificate in [V1_CERTIFICATE, CRITICAL_EXTENSION_CERTIFICATE] {
        let spki = certificate_spki(&der_of(certificate)).unwrap();
        assert_eq!(spki, der_of(PUBLIC_KEY));
        let key = VerifyingKey::from_spki_der(&spki).unwrap();
        assert!(matches!(&key, VerifyingKey::EcP256(point) if *point == expected));
    }
}

#[test]
fn public_keys_that_cannot_be_used_say_why() {
    let ed25519 = spki(ED25519, None, &[7; 32], 0);
    assert!(matches!(
        VerifyingKey::from_spki_der(&ed25519),
        Ok(VerifyingKey::Ed25519(key)) if key == [7; 32]
    ));
    assert_eq!(
        refused(&spki(ED25519, None, &[0; 32], 1)),
        "the public key's BIT STRING has unused bits"
    );
    assert_eq!(
        refused(&spki(ED25519, None, &[0; 31], 0)),
        "an Ed25519 public key is 32 bytes, this one 31"
    );
    assert_eq!(
        refused(&spki(ED448, None, &[0; 57], 0)),
        "Ed448 keys are not supported"
    );
    assert_eq!(
        refused(&spki(RSASSA_PSS, None, &[0; 8], 0)),
        "RSASSA-PSS-only keys (OID 1.2.840.113549.1.1.10) are not supported; export the key as \
         rsaEncryption"
    );
    assert_eq!(
        refused(&spki(&[0x2a, 0x03, 0x04], None, &[0; 8], 0)),
        "the key algorithm 1.2.3.4 is not supported (RSA, EC P-256/P-384 and Ed25519 are)"
    );
    let point = [&[0x04][..], &[1; 64]].concat();
    assert_eq!(
        refused(&spki(EC_PUBLIC_KEY, None, &point, 0)),
        "the EC public key does not name its curve"
    );
    assert_eq!(
        refused(&spki(EC_PUBLIC_KEY, Some(tlv(0x06, P521)), &point, 0)),
        "EC P-521 (ES512) keys are not supported"
    );
    assert_eq!(
        refused(&spki(
            EC_PUBLIC_KEY,
            Some(tlv(0x06, &[0x2a, 0x03])),
            &point,
            0
        )),
        "the EC curve 1.2.3 is not supported"
    );
    let compressed = [&[0x02][..], &[1; 32]].concat();
    assert_eq!(
        refused(&spki(EC_PUBLIC_KEY, Some(tlv(0x06, P256)), &compressed, 0)),
        "the EC P-256 public key is not an uncompressed point of 65 bytes"
    );
    assert!(matches!(
        VerifyingKey::from_spki_der(&spki(EC_PUBLIC_KEY, Some(tlv(0x06, P256)), &point, 0)),
        Ok(VerifyingKey::EcP256(key)) if key == point
    ));
    // The detail in parentheses is the DER reader's own.
    assert!(
        refused(&ed25519[..ed25519.len() - 1])
            .starts_with("the public key is not a DER SubjectPublicKeyInfo (")
    );
}

#[test]
fn rsa_public_keys_are_read_as_signed_integers() {
    let rsa_public_key = |n: &[u8], e: &[u8]| tlv(0x30, &[tlv(0x02, n), tlv(0x02, e)].concat());
    let negative = rsa_public_key(&[0x80, 0], &[1, 0, 1]);
    let message = "the RSA public key has a negative modulus or exponent";
    assert_eq!(
        VerifyingKey::from_rsa_public_key_der(&negative).unwrap_err(),
        message
    );
    let negative_e = rsa_public_key(&[0x7f, 0], &[0x81]);
    assert_eq!(
        VerifyingKey::from_rsa_public_key_der(&negative_e).unwrap_err(),
        message
    );
    // Inside an SPKI, after the algorithm.
    let small = rsa_public_key(&[0x00, 0x80, 0, 0, 1], &[1, 0, 1]);
    assert_eq!(
        refused(&spki(RSA_ENCRYPTION, Some(vec![0x05, 0x00]), &small, 0)),
        "an RSA key of 32 bits is not supported (2048 to 8192 bits are)"
    );
    assert!(
        VerifyingKey::from_rsa_public_key_der(&small[..small.len() - 1])
            .unwrap_err()
            .starts_with("the RSA public key is not a DER RSAPublicKey (")
    );
}

#[test]
fn a_certificate_without_its_fields_has_no_public_key() {
    let integer = tlv(0x02, &[1]);
    let sequence = tlv(0x30, &[]);
    let tbs = tlv(
        0x30,
        &[integer.clone(), sequence.clone(), sequence.clone()].concat(),
    );
    let certificate = tlv(0x30, &[tbs, sequence.clone(), tlv(0x03, &[0])].concat());
    assert_eq!(
        certificate_spki(&certificate).unwrap_err(),
        "the certificate has no subjectPublicKeyInfo"
    );
    assert!(
        certificate_spki(&certificate[..certificate.len() - 1])
            .unwrap_err()
            .starts_with("the certificate is not a DER X.509 certificate (")
    );
}
