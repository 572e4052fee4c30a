//! The e2e server's clients without shared secrets, checked without oauthctl: the key files the
//! harness made (support/keys.rs). When these fail, the fault is in the harness or the server,
//! not in oauthctl.
//!
//! Run only these: `cargo test --test it e2e::idp`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::idp::idp;
use crate::support::keys::{self, CLIENT_SUBJECT_DN, OTHER_SUBJECT_DN, SERVICE_ACCOUNT_EMAIL};

/// The PEM labels of a file, in order.
fn pem_labels(path: &Path) -> Vec<String> {
    let text = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    pem::parse_many(text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .iter()
        .map(|block| block.tag().to_owned())
        .collect()
}

fn json_file(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `openssl x509 -noout ARGS -in cert`: its stdout, and whether it succeeded.
fn x509(cert: &Path, args: &[&str]) -> (String, bool) {
    let output = Command::new("openssl")
        .args(["x509", "-noout", "-nameopt", "RFC2253"])
        .args(args)
        .arg("-in")
        .arg(cert)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl x509");
    (
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        output.status.success(),
    )
}

#[test]
fn e2e_idp_key_files_are_private_and_in_the_formats_their_names_say() {
    let idp = idp();
    let keys = idp.keys();
    let mode = fs::metadata(&keys.dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", keys.dir.display());

    let pem_files = [
        (&keys.rsa, &["PRIVATE KEY"][..]),
        (&keys.rsa_pkcs1, &["RSA PRIVATE KEY"]),
        (&keys.rsa_cert, &["CERTIFICATE"]),
        (&keys.p256, &["PRIVATE KEY"]),
        (&keys.p256_sec1, &["EC PRIVATE KEY"]),
        (&keys.p384, &["PRIVATE KEY"]),
        (&keys.ed25519, &["PRIVATE KEY"]),
        (&keys.ca_cert, &["CERTIFICATE"]),
        (&keys.ca_key, &["PRIVATE KEY"]),
        (&keys.server_cert, &["CERTIFICATE"]),
        (&keys.server_key, &["PRIVATE KEY"]),
        (&keys.client_cert, &["CERTIFICATE"]),
        (&keys.client_key, &["PRIVATE KEY"]),
        (&keys.client_chain, &["CERTIFICATE", "CERTIFICATE"]),
        (&keys.client_expired_cert, &["CERTIFICATE"]),
        (&keys.client_other_cert, &["CERTIFICATE"]),
        (&keys.self_signed_cert, &["CERTIFICATE"]),
        (&keys.self_signed_key, &["PRIVATE KEY"]),
    ];
    let json_files = [&keys.service_account, &keys.p256_jwk, &keys.p256_jwks];
    for path in pem_files.iter().map(|(path, _)| *path).chain(json_files) {
        let mode = fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        assert!(path.starts_with(&keys.dir), "{}", path.display());
    }
    for (path, labels) in pem_files {
        assert_eq!(pem_labels(path), labels, "{}", path.display());
    }

    // The same key in every form: one public key (openssl pkey -pubout) for each family.
    let public_key = |path: &Path| {
        let output = Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(path)
            .output()
            .expect("run openssl pkey");
        assert!(
            output.status.success(),
            "openssl pkey -in {}",
            path.display()
        );
        output.stdout
    };
    assert_eq!(public_key(&keys.rsa), public_key(&keys.rsa_pkcs1));
    assert_eq!(public_key(&keys.p256), public_key(&keys.p256_sec1));

    let service_account = json_file(&keys.service_account);
    assert_eq!(service_account["type"], "service_account");
    assert_eq!(service_account["client_email"], SERVICE_ACCOUNT_EMAIL);
    assert_eq!(
        service_account["private_key_id"],
        *keys.service_account_key_id
    );
    assert_eq!(service_account["token_uri"], idp.token_url());
    assert_eq!(
        service_account["private_key"].as_str(),
        Some(fs::read_to_string(&keys.rsa).unwrap().as_str())
    );
    assert_eq!(keys.service_account_key_id.len(), 40);

    let jwk = json_file(&keys.p256_jwk);
    assert_eq!(
        (&jwk["kty"], &jwk["crv"], &jwk["kid"]),
        (
            &"EC".into(),
            &"P-256".into(),
            &Value::from(&*keys.p256_jwk_kid)
        )
    );
    assert!(jwk["d"].is_string(), "a private JWK: {jwk}");
    assert_eq!(json_file(&keys.p256_jwks)["keys"], Value::Array(vec![jwk]));
    let thumbprints = [
        &keys.rsa_thumbprint,
        &keys.p256_thumbprint,
        &keys.p384_thumbprint,
        &keys.ed25519_thumbprint,
    ];
    for thumbprint in thumbprints {
        assert_eq!(thumbprint.len(), 43, "base64url of 32 bytes: {thumbprint}");
    }
    assert_ne!(keys.p256_jwk_kid, keys.p256_thumbprint);

    let subject = |cert: &Path| x509(cert, &["-subject"]).0;
    assert_eq!(
        subject(&keys.client_cert),
        format!("subject={CLIENT_SUBJECT_DN}")
    );
    assert_eq!(
        subject(&keys.client_expired_cert),
        format!("subject={CLIENT_SUBJECT_DN}")
    );
    assert_eq!(
        subject(&keys.client_other_cert),
        format!("subject={OTHER_SUBJECT_DN}")
    );
    let (san, _) = x509(&keys.server_cert, &["-ext", "subjectAltName"]);
    assert!(san.contains("IP Address:127.0.0.1"), "{san}");
    // -checkend 0: whether the certificate is still valid now.
    assert!(x509(&keys.client_cert, &["-checkend", "0"]).1);
    assert!(!x509(&keys.client_expired_cert, &["-checkend", "0"]).1);

    // The thumbprints keys.mjs computed (from which the server registers certificates) and ours.
    let public = json_file(&keys.dir.join("public.json"));
    assert_eq!(public["certs"]["rsa"]["x5t"], *keys::x5t(&keys.rsa_cert));
    assert_eq!(
        public["certs"]["client"]["x5t#S256"],
        *keys::x5t_s256(&keys.client_cert)
    );
}
