//! Every form a private key is read from, on keys made at test time by ring and by openssl (and
//! the committed fixture keys, which openssl made); every signature checked by `verify`'s own
//! checker, through the key's public half as `inspect --verify` reads it; and every refusal.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::Decode;
use serde_json::json;

use super::*;
use crate::keys::jwk_thumbprint;
use crate::verify::{KeySet, verifies, verify_signature};

const SHOWN: &str = "key file `k`";

fn parse(bytes: &[u8]) -> PrivateKey {
    PrivateKey::parse(bytes, SHOWN).unwrap_or_else(|e| panic!("{e}"))
}

fn refused(bytes: &[u8]) -> String {
    match PrivateKey::parse(bytes, SHOWN) {
        Ok(key) => panic!("read as {key:?}"),
        Err(e) => e,
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs openssl in `dir`; its stdout.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl {args:?}: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

/// A public key's material, tagged by family, to compare two readings of it.
fn material(key: &VerifyingKey) -> (String, Vec<u8>) {
    let family = key.family().to_string();
    match key {
        VerifyingKey::Rsa { n, e } => (family, [n.as_slice(), e].concat()),
        VerifyingKey::EcP256(m)
        | VerifyingKey::EcP384(m)
        | VerifyingKey::Ed25519(m)
        | VerifyingKey::Hmac(m) => (family, m.clone()),
    }
}

/// `key` signs with every algorithm its family has, and each signature checks out twice: with
/// `verifying_key()` through `verify`'s signature check, and as a JWS through `inspect
/// --verify`'s whole path, with the key read back from `public_jwk()`.
fn assert_signs(key: &SigningKey) {
    for alg in key.family().algs() {
        let message = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0";
        let sig = key.sign(alg, message).unwrap();
        assert!(verifies(&key.verifying_key(), alg, message, &sig), "{alg}");
        assert!(
            !verifies(&key.verifying_key(), alg, b"other", &sig),
            "{alg}"
        );
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg.name()}).to_string());
        let signing_input = format!("{header}.e30");
        let sig = key.sign(alg, signing_input.as_bytes()).unwrap();
        let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig));
        let jwk = serde_json::to_vec(&key.public_jwk()).unwrap();
        let keys = KeySet::from_jwk_json(&jwk, "the public JWK").unwrap();
        let verified = verify_signature(&token, &keys).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.alg, alg);
    }
}

// ---------------------------------------------------------------- RFC 7638 and the JWK

/// RFC 7638 §3.1: the example RSA key (that of RFC 7517 Appendix A.1) and its thumbprint.
#[test]
fn the_thumbprint_of_the_rfc_7638_example_key() {
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B\
             JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_\
             FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhA\
             I4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let jwk = json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"});
    let thumbprint = jwk_thumbprint(jwk.as_object().unwrap()).unwrap();
    assert_eq!(thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    // Members in another order, and others beside them, change nothing.
    let reordered = json!({"e": "AQAB", "use": "sig", "n": n, "kty": "RSA"});
    assert_eq!(
        jwk_thumbprint(reordered.as_object().unwrap()).unwrap(),
        thumbprint
    );
    let missing = json!({"kty": "EC", "crv": "P-256", "x": "AA"});
    assert_eq!(
        jwk_thumbprint(missing.as_object().unwrap()).unwrap_err(),
        "it has no `y` string"
    );
}

#[test]
fn the_public_jwk_holds_the_public_members_only() {
    let cases = [
        ("ec-p256.key.pem", vec!["kty", "crv", "x", "y"]),
        ("ec-p384.key.pem", vec!["kty", "crv", "x", "y"]),
        ("ed25519.key.pem", vec!["kty", "crv", "x"]),
        ("rsa-2048.key.pem", vec!["kty", "n", "e"]),
    ];
    for (name, members) in cases {
        let key = parse(&fixture(name)).key;
        let jwk = key.public_jwk();
        assert_eq!(jwk.keys().collect::<Vec<_>>(), members, "{name}");
        assert_eq!(key.thumbprint(), jwk_thumbprint(&jwk).unwrap());
        // `inspect --key` reads the same public key from the fixture's public half.
        let public = name.replace(".key.pem", ".pub.pem");
        let spki = pem::parse(fixture(&public)).unwrap();
        let expected = VerifyingKey::from_spki_der(spki.contents()).unwrap();
        assert_eq!(
            material(&key.verifying_key()),
            material(&expected),
            "{name}"
        );
        let from_jwk = VerifyingKey::from_jwk(&jwk).unwrap();
        assert_eq!(material(&from_jwk), material(&expected), "{name}");
    }
}

#[test]
fn algorithms_fit_their_family_and_the_refusal_lists_those_that_do() {
    let rsa = parse(&fixture("rsa-2048.key.pem")).key;
    let ec = parse(&fixture("ec-p256.key.pem")).key;
    let p384 = parse(&fixture("ec-p384.key.pem")).key;
    let ed = parse(&fixture("ed25519.key.pem")).key;
    assert_eq!(
        [&rsa, &ec, &p384, &ed].map(|k| k.default_alg()),
        [Alg::RS256, Alg::ES256, Alg::ES384, Alg::EdDSA]
    );
    assert_eq!(rsa.family(), KeyFamily::Rsa { bits: 2048 });
    assert_eq!(
        rsa.check_alg(Alg::ES256).unwrap_err(),
        "ES256 does not fit an RSA 2048 key (it signs with RS256, RS384, RS512, PS256, PS384, PS512)"
    );
    assert_eq!(
        ec.check_alg(Alg::HS256).unwrap_err(),
        "HS256 does not fit an EC P-256 key (it signs with ES256)"
    );
    assert_eq!(
        p384.check_alg(Alg::ES256).unwrap_err(),
        "ES256 does not fit an EC P-384 key (it signs with ES384)"
    );
    assert_eq!(
        ed.check_alg(Alg::RS256).unwrap_err(),
        "RS256 does not fit an Ed25519 key (it signs with EdDSA)"
    );
    assert!(rsa.check_alg(Alg::PS512).is_ok());
    assert_eq!(
        ec.sign(Alg::ES384, b"m").unwrap_err(),
        "ES384 does not fit an EC P-256 key (it signs with ES256)"
    );
}

// ---------------------------------------------------------------- the forms keys come in

#[test]
fn the_fixture_keys_sign_pkcs1_and_pkcs8() {
    for (name, tls) in [
        ("rsa-2048.key.pem", "Pkcs1"),
        ("rsa-3072.key.pem", "Pkcs1"),
        ("ec-p256.key.pem", "Pkcs8"),
        ("ec-p384.key.pem", "Pkcs8"),
        ("ed25519.key.pem", "Pkcs8"),
    ] {
        let key = parse(&fixture(name));
        assert_eq!(
            (key.kid.as_deref(), key.client_email.as_deref()),
            (None, None)
        );
        let shown = format!("{:?}", key.tls_der.as_ref().unwrap());
        assert_eq!(shown, format!("TlsKeyDer::{tls}(***)"), "{name}");
        assert_signs(&key.key);
    }
}

/// Each form openssl writes, read to the same key as its PKCS#8 (and as `openssl pkey -pubout`
/// says its public key is).
#[test]
fn every_form_openssl_writes_is_read_to_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let genpkey = |out: &str, args: &[&str]| {
        let mut argv = vec!["genpkey", "-out", out];
        argv.extend(args);
        openssl(d, &argv);
    };
    genpkey(
        "ec.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    genpkey("ed.pem", &["-algorithm", "ED25519"]);
    genpkey(
        "rsa.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    openssl(d, &["ec", "-in", "ec.pem", "-out", "ec.sec1.pem"]);
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "rsa.pem",
            "-traditional",
            "-out",
            "rsa.pkcs1.pem",
        ],
    );
    // `ecparam -genkey` writes an `EC PARAMETERS` block before the key.
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "secp384r1",
            "-genkey",
            "-out",
            "p384.params.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "p384.params.pem",
            "-out",
            "p384.pem",
        ],
    );
    let cases = [
        ("ec.pem", "ec.pem", "Pkcs8"),
        ("ec.sec1.pem", "ec.pem", "Sec1"),
        ("ed.pem", "ed.pem", "Pkcs8"),
        ("rsa.pem", "rsa.pem", "Pkcs8"),
        ("rsa.pkcs1.pem", "rsa.pem", "Pkcs1"),
        ("p384.params.pem", "p384.pem", "Sec1"),
        ("p384.pem", "p384.pem", "Pkcs8"),
    ];
    for (name, same_as, tls) in cases {
        let text = read(d, name);
        assert!(text.starts_with(b"-----BEGIN "), "{name}");
        // Surrounding whitespace, as an env var or a command's output may have.
        let padded = [b"\n  ".as_slice(), &text, b"\n\n"].concat();
        let key = parse(&padded);
        assert_eq!(
            format!("{:?}", key.tls_der.unwrap()),
            format!("TlsKeyDer::{tls}(***)")
        );
        let spki = openssl(d, &["pkey", "-in", same_as, "-pubout", "-outform", "DER"]);
        let expected = VerifyingKey::from_spki_der(&spki).unwrap();
        assert_eq!(
            material(&key.key.verifying_key()),
            material(&expected),
            "{name}"
        );
        assert_signs(&key.key);
    }
    assert!(
        String::from_utf8(read(d, "p384.params.pem"))
            .unwrap()
            .starts_with("-----BEGIN EC PARAMETERS-----"),
    );
}

/// The private members of an openssl key, as a JWK: RSA from its PKCS#1, EC from its SEC1, the
/// Ed25519 seed from its PKCS#8.
fn private_jwk(d: &Path, name: &str, public: &Map<String, Value>) -> Map<String, Value> {
    let b64 = |bytes: &[u8]| Value::String(URL_SAFE_NO_PAD.encode(bytes));
    let der = pem::parse(read(d, name)).unwrap().into_contents();
    let mut jwk = public.clone();
    match public["kty"].as_str().unwrap() {
        "RSA" => {
            let key = pkcs1::RsaPrivateKey::<der::asn1::UintRef>::from_der(&der).unwrap();
            for (member, value) in [
                ("d", key.private_exponent),
                ("p", key.prime1),
                ("q", key.prime2),
                ("dp", key.exponent1),
                ("dq", key.exponent2),
                ("qi", key.coefficient),
            ] {
                jwk.insert(member.into(), b64(value.as_bytes()));
            }
        }
        "EC" => {
            let key = sec1::EcPrivateKey::from_der(&der).unwrap();
            jwk.insert("d".into(), b64(key.private_key));
        }
        _ => {
            let info = pkcs8::PrivateKeyInfoRef::from_der(&der).unwrap();
            // The seed, inside its own OCTET STRING (RFC 8410 §7).
            jwk.insert("d".into(), b64(&info.private_key.as_bytes()[2..]));
        }
    }
    jwk
}

#[test]
fn private_jwks_a_jwk_set_of_one_and_google_service_account_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            "ec.pem",
        ],
    );
    openssl(d, &["ec", "-in", "ec.pem", "-out", "ec.sec1.pem"]);
    openssl(d, &["genpkey", "-algorithm", "ED25519", "-out", "ed.pem"]);
    std::fs::write(d.join("rsa.pkcs1.pem"), fixture("rsa-2048.key.pem")).unwrap();
    for (pem_name, jwk_source) in [
        ("ec.pem", "ec.sec1.pem"),
        ("ed.pem", "ed.pem"),
        ("rsa.pkcs1.pem", "rsa.pkcs1.pem"),
    ] {
        let from_pem = parse(&read(d, pem_name)).key;
        let jwk = private_jwk(d, jwk_source, &from_pem.public_jwk());
        let mut with_kid = jwk.clone();
        with_kid.insert("kid".into(), "2024-rotation".into());
        with_kid.insert("use".into(), "sig".into());
        let key = parse(&serde_json::to_vec(&with_kid).unwrap());
        assert_eq!(key.kid.as_deref(), Some("2024-rotation"));
        assert!(key.tls_der.is_none() && key.alg.is_none());
        assert_eq!(key.key.thumbprint(), from_pem.thumbprint(), "{pem_name}");
        assert_signs(&key.key);
        let jwks = json!({"keys": [jwk]});
        let from_set = parse(jwks.to_string().as_bytes());
        assert_eq!(from_set.key.thumbprint(), from_pem.thumbprint());
        assert_eq!(from_set.kid, None);
        assert_eq!(
            refused(json!({"keys": [jwk, jwk]}).to_string().as_bytes()),
            "the JWK Set key file `k` holds 2 keys; give one private key"
        );
    }
    // A JWK's own alg is kept, when it fits.
    let ec = parse(&read(d, "ec.pem")).key;
    let mut jwk = private_jwk(d, "ec.sec1.pem", &ec.public_jwk());
    jwk.insert("alg".into(), "ES384".into());
    assert_eq!(
        parse(&serde_json::to_vec(&jwk).unwrap()).alg,
        Some(Alg::ES384)
    );
    jwk.insert("alg".into(), "RS256".into());
    assert_eq!(
        refused(&serde_json::to_vec(&jwk).unwrap()),
        "the JWK in key file `k` cannot be used: its alg: RS256 does not fit an EC P-384 key \
         (it signs with ES384)"
    );

    // What `gcloud iam service-accounts keys create` writes: RSA in PKCS#8.
    let pkcs8 = openssl(d, &["pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pkcs1.pem"]);
    let google = json!({
        "type": "service_account",
        "project_id": "oauthctl-test",
        "private_key_id": "4f0c1d2e3a",
        "private_key": String::from_utf8(pkcs8).unwrap(),
        "client_email": "ci@oauthctl-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let key = parse(google.to_string().as_bytes());
    assert_eq!(key.kid.as_deref(), Some("4f0c1d2e3a"));
    assert_eq!(
        key.client_email.as_deref(),
        Some("ci@oauthctl-test.iam.gserviceaccount.com")
    );
    assert_eq!(
        format!("{:?}", key.tls_der.unwrap()),
        "TlsKeyDer::Pkcs8(***)"
    );
    assert_eq!(key.key.default_alg(), Alg::RS256);
    assert_signs(&key.key);
    let user = json!({"type": "authorized_user", "refresh_token": "x"});
    assert_eq!(
        refused(user.to_string().as_bytes()),
        "key file `k` is a Google credential of type `authorized_user`, not a service-account key"
    );
    let mut no_key = google.clone();
    no_key.as_object_mut().unwrap().remove("private_key");
    assert_eq!(
        refused(no_key.to_string().as_bytes()),
        "the service-account key key file `k` has no `private_key`"
    );
}

// ---------------------------------------------------------------- refusals

#[test]
fn keys_that_cannot_sign_are_refused_for_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let genpkey = |out: &str, args: &[&str]| {
        let mut argv = vec!["genpkey", "-out", out];
        argv.extend(args);
        openssl(d, &argv);
        read(d, out)
    };
    let ec = genpkey(
        "ec.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let cannot = |reason: &str| format!("the private key in key file `k` cannot be used: {reason}");
    let cases: Vec<(Vec<u8>, String)> = vec![
        (
            genpkey(
                "p521.pem",
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
            ),
            cannot("EC P-521 (ES512) keys are not supported (P-256 and P-384 are)"),
        ),
        (
            genpkey(
                "k1.pem",
                &[
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:secp256k1",
                ],
            ),
            cannot("secp256k1 (ES256K) keys are not supported (P-256 and P-384 are)"),
        ),
        (
            genpkey("ed448.pem", &["-algorithm", "ED448"]),
            cannot("Ed448 keys are not supported (Ed25519 is)"),
        ),
        (
            genpkey("x25519.pem", &["-algorithm", "X25519"]),
            cannot("an X25519 or X448 key agrees on keys and cannot sign; make an Ed25519 key"),
        ),
        (
            genpkey(
                "small.pem",
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            ),
            cannot("an RSA key of 1024 bits cannot sign here (2048 to 4096 bits can)"),
        ),
        (
            genpkey(
                "pss.pem",
                &["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
            ),
            cannot(
                "RSASSA-PSS-only keys (OID 1.2.840.113549.1.1.10) are not supported; export the \
                 key as rsaEncryption",
            ),
        ),
        (
            openssl(d, &["ec", "-in", "ec.pem", "-no_public"]),
            cannot("the EC key does not hold its public key; export it again with `openssl ec`"),
        ),
    ];
    let encrypted = "key file `k` is an encrypted PEM key; oauthctl cannot decrypt it: export it \
                     unencrypted, e.g. `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.plain`";
    let pkcs8_encrypted = genpkey(
        "enc.pem",
        &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            "pass:x",
        ],
    );
    let traditional_encrypted =
        openssl(d, &["ec", "-in", "ec.pem", "-aes256", "-passout", "pass:x"]);
    assert!(String::from_utf8_lossy(&traditional_encrypted).contains("Proc-Type: 4,ENCRYPTED"));
    let public = openssl(d, &["pkey", "-in", "ec.pem", "-pubout"]);
    let certificate = openssl(
        d,
        &[
            "req", "-x509", "-new", "-key", "ec.pem", "-subj", "/CN=k", "-days", "1",
        ],
    );
    let two = [ec.clone(), ec.clone()].concat();
    let more: Vec<(Vec<u8>, String)> = vec![
        (pkcs8_encrypted, encrypted.into()),
        (traditional_encrypted, encrypted.into()),
        (public, "key file `k` holds a public key, not a private key".into()),
        (certificate.clone(), "key file `k` holds a certificate, not a private key".into()),
        (two, "key file `k` holds 2 private keys; give a file with one".into()),
        (
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n".to_vec(),
            "key file `k` is an OpenSSH private key; convert it to PKCS#8 first: `ssh-keygen -p -m \
             PKCS8 -f KEY` (it rewrites KEY in place)"
                .into(),
        ),
        (
            b"-----BEGIN X\x1b[31m-----\nAAAA\n-----END X\x1b[31m-----\n".to_vec(),
            "key file `k` holds a `X\\u{1b}[31m` PEM block; expected PRIVATE KEY, RSA PRIVATE KEY \
             or EC PRIVATE KEY"
                .into(),
        ),
        (b"  \n".to_vec(), "key file `k` is empty".into()),
        (
            b"hunter2".to_vec(),
            "key file `k` holds no private key: expected a PEM private key (`-----BEGIN PRIVATE \
             KEY-----`), a private JWK or a Google service-account key"
                .into(),
        ),
        (
            br#"{"kty":"EC","kty":"RSA"}"#.to_vec(),
            "key file `k` has member `kty` twice".into(),
        ),
        (
            br#"{"client_id":"x"}"#.to_vec(),
            "key file `k` is JSON but neither a JWK, a JWK Set nor a Google service-account key"
                .into(),
        ),
        (br#"{"keys":[]}"#.to_vec(), "the JWK Set key file `k` holds no key".into()),
    ];
    for (bytes, message) in cases.into_iter().chain(more) {
        assert_eq!(refused(&bytes), message);
    }
    // The certificate beside its key is fine: the key is read.
    let combined = [ec.clone(), certificate].concat();
    assert_signs(&parse(&combined).key);
}

#[test]
fn jwks_that_cannot_sign_are_refused_for_what_they_are() {
    let ec = parse(&fixture("ec-p256.key.pem")).key;
    let public = Value::Object(ec.public_jwk());
    let with = |extra: Value| {
        let mut jwk = public.clone();
        for (name, value) in extra.as_object().unwrap() {
            jwk[name] = value.clone();
        }
        jwk.to_string()
    };
    let cannot = |reason: &str| format!("the JWK in key file `k` cannot be used: {reason}");
    let d = URL_SAFE_NO_PAD.encode([7; 32]);
    let cases = [
        (
            public.to_string(),
            cannot("it is a public key (it has no `d`); give the private JWK"),
        ),
        (
            json!({"kty": "oct", "k": "c2VjcmV0"}).to_string(),
            cannot(
                "an oct JWK is a shared secret, not a private key (client_secret_jwt signs with the client secret)",
            ),
        ),
        (
            with(json!({"crv": "P-521", "d": d})),
            cannot("EC P-521 (ES512) keys are not supported (P-256 and P-384 are)"),
        ),
        (
            with(json!({"crv": "secp256k1", "d": d})),
            cannot("secp256k1 (ES256K) keys are not supported (P-256 and P-384 are)"),
        ),
        (
            json!({"kty": "OKP", "crv": "Ed448", "x": "AA", "d": "AA"}).to_string(),
            cannot("Ed448 keys are not supported (Ed25519 is)"),
        ),
        (
            with(json!({"d": "AAAA"})),
            cannot("`x`, `y` and `d` of an EC P-256 key must be 32 bytes each (RFC 7518 §6.2)"),
        ),
        // A `d` that is not the private key of this `x` and `y`.
        (
            with(json!({"d": d})),
            cannot("ring refuses the EC P-256 key (InconsistentComponents)"),
        ),
        (
            with(json!({"d": d, "use": "enc"})),
            cannot("its use is enc, not sig"),
        ),
        (
            with(json!({"d": d, "alg": "ES512"})),
            cannot("its alg ES512 is not one oauthctl signs with"),
        ),
        (
            with(json!({"d": d, "kid": 7})),
            cannot("`kid` is a number, not a string"),
        ),
        (
            json!({"kty": "XYZ", "d": "AA"}).to_string(),
            cannot("kty XYZ is not supported (RSA, EC and OKP are)"),
        ),
        (
            json!({"kty": 1}).to_string(),
            cannot("`kty` is a number, not a string"),
        ),
    ];
    for (text, message) in cases {
        assert_eq!(refused(text.as_bytes()), message, "{text}");
    }
    // RSA: the CRT members are needed, and the size must be one ring signs with.
    let rsa = parse(&fixture("rsa-2048.key.pem")).key;
    let mut jwk = rsa.public_jwk();
    jwk.insert("d".into(), "AQAB".into());
    assert_eq!(
        refused(&serde_json::to_vec(&jwk).unwrap()),
        cannot(
            "it has no `p`: ring signs with an RSA key's CRT members (p, q, dp, dq, qi), not with `d` alone"
        )
    );
    jwk.insert("n".into(), URL_SAFE_NO_PAD.encode([0xc1; 128]).into());
    assert_eq!(
        refused(&serde_json::to_vec(&jwk).unwrap()),
        cannot("an RSA key of 1024 bits cannot sign here (2048 to 4096 bits can)")
    );
}

// ---------------------------------------------------------------- new keys

#[test]
fn new_keys_are_pkcs8_pem_that_reads_back_to_the_same_key() {
    // One RSA alg stands for the six (the same key is made for each); an RSA key takes seconds.
    let rsa = |alg: &Alg| matches!(alg.name().as_bytes(), [b'R' | b'P', b'S', ..]);
    let algs = GENERATED_ALGS
        .into_iter()
        .filter(|alg| !rsa(alg) || *alg == Alg::RS256);
    for alg in algs {
        let (key, text) = generate(alg).unwrap();
        assert_eq!(key.default_alg(), alg);
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        assert!(text.ends_with("-----END PRIVATE KEY-----\n") && !text.contains('\r'));
        let again = parse(text.as_bytes());
        assert_eq!(again.key.thumbprint(), key.thumbprint());
        assert_signs(&key);
        // PKCS#8 v1, the form every tool reads (ring would write Ed25519 as v2).
        let der = pem::parse(&text).unwrap().into_contents();
        let info = <pkcs8::PrivateKeyInfoRef as der::Decode>::from_der(&der).unwrap();
        assert_eq!(info.version(), pkcs8::Version::V1, "{alg}");
        // Two keys are two keys.
        if !rsa(&alg) {
            assert_ne!(generate(alg).unwrap().0.thumbprint(), key.thumbprint());
        }
    }
    let (key, _) = generate(Alg::PS512).unwrap();
    assert_eq!(key.family(), KeyFamily::Rsa { bits: 3072 });
    key.check_alg(Alg::PS512).unwrap();
    assert!(generate(Alg::HS256).unwrap_err().contains("shared secret"));
}

#[test]
fn debug_never_shows_key_material() {
    let (key, text) = generate(Alg::ES256).unwrap();
    let private = parse(text.as_bytes());
    let shown = format!("{key:?} {private:?}");
    assert_eq!(format!("{key:?}"), "SigningKey(EC P-256)");
    let der = pem::parse(&text).unwrap().into_contents();
    // Any 6-byte run of the DER, in any encoding a Debug could use.
    for window in der.windows(6).step_by(3) {
        let hex: String = window.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!shown.contains(&hex), "{shown}");
        assert!(!shown.contains(&URL_SAFE_NO_PAD.encode(window)), "{shown}");
        assert!(!shown.contains(&format!("{window:?}")[1..12]), "{shown}");
    }
}

#[test]
fn a_begin_line_without_its_dashes_never_puts_the_key_in_the_message() {
    // The pem crate then reads the key's lines as the block's label.
    for name in ["ed25519.key.pem", "ec-p256.key.pem"] {
        let text = String::from_utf8(fixture(name)).unwrap();
        let broken = text.replacen("-----BEGIN PRIVATE KEY-----", "-----BEGIN PRIVATE KEY", 1)
            + "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let message = refused(broken.as_bytes());
        for line in text.lines().filter(|l| !l.starts_with("-----")) {
            for piece in line.as_bytes().chunks(12) {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(!message.contains(piece), "{piece} of {name} in {message:?}");
            }
        }
    }
}
