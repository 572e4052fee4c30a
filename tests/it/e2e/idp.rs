//! The e2e server's clients without shared secrets, checked without oauthctl: the key files the
//! harness made (support/keys.rs), client assertions signed with jose from each of them
//! (`tests/e2e/idp/selftest.mjs`, with curl for mutual TLS), and mutual TLS from rustls through
//! ureq, as oauthctl's own transport will do it. When these fail, the fault is in the harness or
//! the server, not in oauthctl.
//!
//! Run only these: `cargo test --test it e2e::idp`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::Value;

use crate::support::idp::{Idp, idp};
use crate::support::keys::{self, CLIENT_SUBJECT_DN, OTHER_SUBJECT_DN, SERVICE_ACCOUNT_EMAIL};

const IDP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/idp");

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

#[test]
fn e2e_idp_selftest_signs_assertions_from_every_key_file_and_binds_mtls_tokens() {
    let idp = idp();
    let output = Command::new("node")
        .arg("selftest.mjs")
        .current_dir(IDP_DIR)
        .env("E2E_ISSUER", &idp.issuer)
        .env("E2E_MTLS", &idp.mtls)
        .env("E2E_KEYS_DIR", &idp.keys().dir)
        .stdin(Stdio::null())
        .output()
        .expect("run node selftest.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success() && !stdout.contains("not ok"),
        "selftest.mjs failed ({}):\n{stdout}\n{stderr}\nthe server's stderr:\n{}",
        output.status,
        idp.log()
    );
    assert!(
        stdout.lines().filter(|l| l.starts_with("ok - ")).count() >= 20,
        "{stdout}"
    );
}

/// A POST of `form` to the HTTPS listener through rustls, as oauthctl's transport makes it: the
/// test CA as the only root, and the client certificate `cert` with `key` (PEM files) when given.
fn post_over_tls(
    idp: &Idp,
    path: &str,
    form: &[(&str, &str)],
    cert: Option<(&Path, &Path)>,
) -> (u16, Value) {
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
    let pem = |path: &Path| fs::read(path).unwrap();
    let ca = Certificate::from_pem(&pem(&idp.keys().ca_cert)).unwrap();
    let client_cert = cert.map(|(cert, key)| {
        let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem(cert))
            .filter_map(|item| match item.unwrap() {
                ureq::tls::PemItem::Certificate(cert) => Some(cert),
                _ => None,
            })
            .collect();
        ClientCert::new_with_certs(&chain, PrivateKey::from_pem(&pem(key)).unwrap())
    });
    let tls = TlsConfig::builder()
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .root_certs(RootCerts::new_with_certs(&[ca]))
        .client_cert(client_cert)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut response = agent
        .post(format!("{}{path}", idp.mtls))
        .send_form(form.iter().copied())
        .unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", idp.log()));
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

#[test]
fn e2e_idp_mtls_through_rustls_binds_tokens_to_the_certificate_and_records_it() {
    let idp = idp();
    let keys = idp.keys();
    let client_id = idp.clone_client("mtls-pki");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", &*client_id),
    ];
    let pki = Some((keys.client_cert.as_path(), keys.client_key.as_path()));

    let (status, body) = post_over_tls(idp, "/token", &form, pki);
    assert_eq!(status, 200, "{body}\n{}", idp.log());
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        idp.token_info(token)["cnf"]["x5t#S256"],
        *keys::x5t_s256(&keys.client_cert)
    );

    // RSA keys in TLS too, PKCS#1 included: pkjwt-mtls's certificate, on mtls-self-signed's
    // registration it does not match.
    let rsa = Some((keys.rsa_cert.as_path(), keys.rsa_pkcs1.as_path()));
    let self_signed = [
        ("grant_type", "client_credentials"),
        ("client_id", "mtls-self-signed"),
    ];
    let (status, body) = post_over_tls(idp, "/token", &self_signed, rsa);
    assert_eq!(
        (status, &body["error"]),
        (401, &"invalid_client".into()),
        "{body}"
    );

    // A failure armed for this client answers in place of the server, after the record.
    idp.fail_next(&client_id, "/token", 503, 1);
    let (status, body) = post_over_tls(idp, "/token", &form, pki);
    assert_eq!(
        (status, &body["error"]),
        (503, &"temporarily_unavailable".into()),
        "{body}"
    );
    let (status, body) = post_over_tls(idp, "/token", &form, None);
    assert_eq!(status, 401, "{body}");

    let records = idp.client_auth(&client_id);
    let summary: Vec<(Value, Value, Value)> = records
        .iter()
        .map(|r| {
            (
                r["status"].clone(),
                r["method"].clone(),
                r["certificate"]["subject"].clone(),
            )
        })
        .collect();
    let dn = Value::from(CLIENT_SUBJECT_DN);
    assert_eq!(
        summary,
        [
            (200.into(), "tls_client_auth".into(), dn.clone()),
            (503.into(), "tls_client_auth".into(), dn),
            (401.into(), "none".into(), Value::Null),
        ],
        "{records:#?}"
    );
    assert!(idp.client_assertions(&client_id).is_empty());
    assert!(idp.mtls_token_url().starts_with("https://127.0.0.1:"));
}
