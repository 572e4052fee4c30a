//! The e2e suites' key material (tests/e2e/idp/README.md, "Keys"), made once per test process by
//! the harness (support/idp.rs) before it starts the server: keys and certificates by the
//! `openssl` command (OpenSSL 3.0 or later), then `node keys.mjs` adds the JWK forms and
//! `public.json` (public JWKs, RFC 7638 thumbprints, certificate thumbprints), from which the
//! server registers its clients. The service account's JSON key names the token endpoint, so it
//! is written once the server has said its issuer.
//!
//! Everything lives in a directory of its own, `CARGO_TARGET_TMPDIR/oauthctl-e2e-keys-…` (mode
//! 0700, every file 0600), that outlives the test process so that the server can be run by hand on
//! it (the README says how); directories more than a day old are removed at the next start.
//! Tests share these files: never change one. To test a variant (a key readable by others, a
//! broken PEM, a certificate with the wrong key), copy or combine the files in the test's own
//! directory.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Where the key directories go, one per test process.
const TMP: &str = env!("CARGO_TARGET_TMPDIR");
const PREFIX: &str = "oauthctl-e2e-keys-";
/// Key directories older than this are removed when a test process starts.
const KEEP_FOR: Duration = Duration::from_secs(24 * 3600);

/// The service account's `client_email`: the client_id of its client on the server.
pub(crate) const SERVICE_ACCOUNT_EMAIL: &str = "sa@e2e.iam.gserviceaccount.com";
/// The subject of [`Keys::client_cert`] (and of [`Keys::client_expired_cert`]), RFC 4514: the
/// `tls_client_auth_subject_dn` the `mtls-pki` client is registered with.
pub(crate) const CLIENT_SUBJECT_DN: &str = "CN=mtls-pki,O=oauthctl e2e";
/// The subject of [`Keys::client_other_cert`]: signed by the test CA, but not `mtls-pki`'s.
pub(crate) const OTHER_SUBJECT_DN: &str = "CN=mtls-other,O=oauthctl e2e";

/// Validity of every certificate but the expired one: from 2019 (so that the expired one lies
/// within its CA's validity) to 2039.
const VALID: (&str, &str) = ("20190101000000Z", "20391231235959Z");
/// The expired client certificate: a year in 2019.
const EXPIRED: (&str, &str) = ("20190101000000Z", "20200101000000Z");

/// `openssl ca` and `openssl req` read this (and nothing from the system's openssl.cnf, through
/// `OPENSSL_CONF`). Each `[*_ext]` section is the extensions of one kind of certificate.
const OPENSSL_CNF: &str = "\
[req]
distinguished_name = req_dn
[req_dn]

[ca]
default_ca = e2e_ca
[e2e_ca]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
certificate = ca.crt.pem
private_key = ca.key.pem
default_md = sha256
policy = any_dn
unique_subject = no
copy_extensions = none
email_in_dn = no
[any_dn]
organizationName = optional
commonName = supplied

[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[self_signed_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
";

/// The paths of the key material, and what the tests compare with. Which server client each key
/// belongs to is in tests/e2e/idp/README.md ("Clients"). Private keys are PEM unless said
/// otherwise; "PKCS#8" is `BEGIN PRIVATE KEY`, unencrypted.
pub(crate) struct Keys {
    /// The directory holding everything below.
    pub(crate) dir: PathBuf,

    /// RSA 2048, PKCS#8: clients `pkjwt-rs256`, `pkjwt-ps256`, `pkjwt-mtls`, `pkjwt-any` and the
    /// service account.
    pub(crate) rsa: PathBuf,
    /// The same RSA key, PKCS#1 (`BEGIN RSA PRIVATE KEY`, `openssl rsa -traditional`).
    pub(crate) rsa_pkcs1: PathBuf,
    /// A self-signed certificate of the RSA key, `CN=pkjwt-rsa,O=oauthctl e2e`: registered (as
    /// `x5c`) for `pkjwt-rs256`, `pkjwt-ps256` and `pkjwt-mtls`, so that their assertions may
    /// carry `x5t#S256` / `x5t` headers naming it, and `pkjwt-mtls`'s TLS client certificate.
    pub(crate) rsa_cert: PathBuf,
    /// A Google service-account JSON key of the RSA key: `type` `service_account`,
    /// `private_key_id` ([`Keys::service_account_key_id`], the kid its client has the key
    /// under), `private_key` (PKCS#8), `client_email` ([`SERVICE_ACCOUNT_EMAIL`], the client_id),
    /// `client_id` `123`, `token_uri` the server's token endpoint.
    pub(crate) service_account: PathBuf,

    /// EC P-256, PKCS#8: clients `pkjwt-es256`, `pkjwt-login` and `pkjwt-any`.
    pub(crate) p256: PathBuf,
    /// The same P-256 key, SEC1 (`BEGIN EC PRIVATE KEY`, `openssl ec`).
    pub(crate) p256_sec1: PathBuf,
    /// The same P-256 key as a private JWK, with `kid` [`Keys::p256_jwk_kid`] (not its
    /// thumbprint) and no `alg`.
    pub(crate) p256_jwk: PathBuf,
    /// A JWK Set of that one JWK.
    pub(crate) p256_jwks: PathBuf,
    /// EC P-384, PKCS#8: clients `pkjwt-es384` and `pkjwt-any`.
    pub(crate) p384: PathBuf,
    /// Ed25519, PKCS#8 (version 1, as openssl writes it): clients `pkjwt-eddsa` and `pkjwt-any`.
    pub(crate) ed25519: PathBuf,

    /// The test CA's certificate (P-256, `CN=oauthctl e2e test CA,O=oauthctl e2e`): the
    /// `ca_file` that trusts the HTTPS listener, and the only issuer `tls_client_auth` accepts.
    pub(crate) ca_cert: PathBuf,
    /// The test CA's key, for a test that issues a certificate of its own.
    pub(crate) ca_key: PathBuf,
    /// The HTTPS listener's certificate (subjectAltName `IP:127.0.0.1`), signed by the CA.
    pub(crate) server_cert: PathBuf,
    /// The HTTPS listener's key.
    pub(crate) server_key: PathBuf,

    /// A client certificate signed by the CA, [`CLIENT_SUBJECT_DN`]: `mtls-pki`'s.
    pub(crate) client_cert: PathBuf,
    /// Its key (P-256, PKCS#8), also the key of the expired and the other-subject certificates.
    pub(crate) client_key: PathBuf,
    /// [`Keys::client_cert`] then [`Keys::ca_cert`], for a client that sends its chain.
    pub(crate) client_chain: PathBuf,
    /// The same subject and key, signed by the CA, expired since 2020: `tls_client_auth` refuses
    /// it (`invalid_client`).
    pub(crate) client_expired_cert: PathBuf,
    /// Signed by the CA with the same key, but for [`OTHER_SUBJECT_DN`]: `mtls-pki` refuses it.
    pub(crate) client_other_cert: PathBuf,
    /// A self-signed client certificate, `CN=mtls-self-signed,O=oauthctl e2e`:
    /// `mtls-self-signed`'s, registered as the `x5c` of its JWK.
    pub(crate) self_signed_cert: PathBuf,
    /// Its key (P-256, PKCS#8). A certificate with a key that does not match it: pair
    /// [`Keys::self_signed_cert`] with [`Keys::client_key`], say.
    pub(crate) self_signed_key: PathBuf,

    /// The RFC 7638 thumbprint (base64url SHA-256) of the RSA key's public JWK: the kid a client
    /// names a PEM key by, and one of the kids the server has the key under.
    pub(crate) rsa_thumbprint: String,
    /// The same for the P-256 key.
    pub(crate) p256_thumbprint: String,
    /// The same for the P-384 key.
    pub(crate) p384_thumbprint: String,
    /// The same for the Ed25519 key.
    pub(crate) ed25519_thumbprint: String,
    /// The `kid` of [`Keys::p256_jwk`], `e2e-p256`; the server has the P-256 key under it too.
    pub(crate) p256_jwk_kid: String,
    /// The service account's `private_key_id` (40 hex digits, new at each start); the server has
    /// the RSA key under it for the service-account client.
    pub(crate) service_account_key_id: String,
}

/// Runs `openssl ARGS` in `dir` with the directory's own configuration.
fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", dir.join("openssl.cnf"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "cannot run `openssl` ({e}): the e2e tests need the OpenSSL 3 command-line tool \
                 (Debian package `openssl`)"
            )
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`openssl {}` in {} failed ({}): {}",
        args.join(" "),
        dir.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

fn ec_key(dir: &Path, curve: &str, out: &str) -> Result<(), String> {
    let curve = format!("ec_paramgen_curve:{curve}");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            &curve,
            "-out",
            out,
        ],
    )
}

/// A certificate for `key` with `subject` (openssl's `/O=…/CN=…` form, in RDN order) and the
/// extensions of section `ext`, valid `from`–`to`: signed by the test CA, or by `key` itself.
fn certificate(
    dir: &Path,
    key: &str,
    subject: &str,
    ext: &str,
    (from, to): (&str, &str),
    self_signed: bool,
    out: &str,
) -> Result<(), String> {
    let csr = format!("{out}.csr");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-config",
            "openssl.cnf",
            "-key",
            key,
            "-subj",
            subject,
            "-out",
            &csr,
        ],
    )?;
    let mut args = vec![
        "ca",
        "-batch",
        "-config",
        "openssl.cnf",
        "-notext",
        "-preserveDN",
        "-in",
        &csr,
        "-out",
        out,
        "-startdate",
        from,
        "-enddate",
        to,
        "-extensions",
        ext,
    ];
    if self_signed {
        args.extend(["-selfsign", "-keyfile", key]);
    }
    openssl(dir, &args)?;
    fs::remove_file(dir.join(&csr)).map_err(|e| format!("remove {csr}: {e}"))
}

/// Removes the key directories of earlier test processes that are more than a day old.
fn prune_old_dirs() {
    let Ok(entries) = fs::read_dir(TMP) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age > KEEP_FOR);
        if old && entry.file_name().to_string_lossy().starts_with(PREFIX) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Mode 0600 for every file under `dir`, 0700 for every directory.
fn make_private(dir: &Path) -> Result<(), String> {
    let set = |path: &Path, mode: u32| {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|e| format!("chmod {mode:o} {}: {e}", path.display()))
    };
    set(dir, 0o700)?;
    for entry in fs::read_dir(dir).map_err(|e| format!("read {}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            make_private(&path)?;
        } else {
            set(&path, 0o600)?;
        }
    }
    Ok(())
}

/// Writes `text` to `path` as a new file, mode 0600 from the start.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| format!("write {}: {e}", path.display()))
}

impl Keys {
    /// Makes every file but the service account's (see [`Keys::write_service_account`]) in a new
    /// directory. `idp_dir` holds `keys.mjs` and its `node_modules`.
    pub(crate) fn generate(idp_dir: &Path) -> Result<Keys, String> {
        let started = Instant::now();
        prune_old_dirs();
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(TMP)
            .map_err(|e| format!("create a key directory in {TMP}: {e}"))?
            .keep();
        write_private(&dir.join("openssl.cnf"), OPENSSL_CNF)?;
        fs::create_dir(dir.join("ca-db"))
            .and_then(|()| fs::write(dir.join("ca-db/index.txt"), ""))
            .and_then(|()| fs::write(dir.join("ca-db/serial"), "1000\n"))
            .map_err(|e| format!("the CA database in {}: {e}", dir.display()))?;

        // RSA key generation is the slow part (about 0.1 s): beside the rest. It does not touch
        // the CA's database, which `openssl ca` rewrites.
        let rsa = {
            let dir = dir.clone();
            thread::spawn(move || -> Result<(), String> {
                openssl(
                    &dir,
                    &[
                        "genpkey",
                        "-algorithm",
                        "RSA",
                        "-pkeyopt",
                        "rsa_keygen_bits:2048",
                        "-out",
                        "rsa.pkcs8.pem",
                    ],
                )?;
                openssl(
                    &dir,
                    &[
                        "rsa",
                        "-in",
                        "rsa.pkcs8.pem",
                        "-traditional",
                        "-out",
                        "rsa.pkcs1.pem",
                    ],
                )
            })
        };

        ec_key(&dir, "P-256", "p256.pkcs8.pem")?;
        openssl(
            &dir,
            &["ec", "-in", "p256.pkcs8.pem", "-out", "p256.sec1.pem"],
        )?;
        ec_key(&dir, "P-384", "p384.pkcs8.pem")?;
        openssl(
            &dir,
            &[
                "genpkey",
                "-algorithm",
                "ED25519",
                "-out",
                "ed25519.pkcs8.pem",
            ],
        )?;

        ec_key(&dir, "P-256", "ca.key.pem")?;
        let ca_subject = "/O=oauthctl e2e/CN=oauthctl e2e test CA";
        certificate(
            &dir,
            "ca.key.pem",
            ca_subject,
            "ca_ext",
            VALID,
            true,
            "ca.crt.pem",
        )?;
        ec_key(&dir, "P-256", "server.key.pem")?;
        certificate(
            &dir,
            "server.key.pem",
            "/O=oauthctl e2e/CN=127.0.0.1",
            "server_ext",
            VALID,
            false,
            "server.crt.pem",
        )?;
        ec_key(&dir, "P-256", "client.key.pem")?;
        let client = "/O=oauthctl e2e/CN=mtls-pki";
        let client_ext = "client_ext";
        certificate(
            &dir,
            "client.key.pem",
            client,
            client_ext,
            VALID,
            false,
            "client.crt.pem",
        )?;
        certificate(
            &dir,
            "client.key.pem",
            client,
            client_ext,
            EXPIRED,
            false,
            "client-expired.crt.pem",
        )?;
        certificate(
            &dir,
            "client.key.pem",
            "/O=oauthctl e2e/CN=mtls-other",
            client_ext,
            VALID,
            false,
            "client-other.crt.pem",
        )?;
        ec_key(&dir, "P-256", "self-signed.key.pem")?;
        certificate(
            &dir,
            "self-signed.key.pem",
            "/O=oauthctl e2e/CN=mtls-self-signed",
            "self_signed_ext",
            VALID,
            true,
            "self-signed.crt.pem",
        )?;

        rsa.join()
            .map_err(|_| "the RSA key thread panicked".to_owned())??;
        certificate(
            &dir,
            "rsa.pkcs8.pem",
            "/O=oauthctl e2e/CN=pkjwt-rsa",
            "self_signed_ext",
            VALID,
            true,
            "rsa.crt.pem",
        )?;

        let read = |name: &str| {
            fs::read_to_string(dir.join(name)).map_err(|e| format!("read {name}: {e}"))
        };
        let chain = read("client.crt.pem")? + &read("ca.crt.pem")?;
        write_private(&dir.join("client-chain.pem"), &chain)?;

        // The JWK forms and public.json.
        let output = Command::new("node")
            .arg("keys.mjs")
            .arg(&dir)
            .current_dir(idp_dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `node keys.mjs` ({e})"))?;
        if !output.status.success() {
            return Err(format!(
                "`node keys.mjs {}` failed ({}): {}",
                dir.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        make_private(&dir)?;

        let public: Value =
            serde_json::from_str(&read("public.json")?).map_err(|e| format!("public.json: {e}"))?;
        let text = |pointer: &str| {
            public
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(String::from)
                .ok_or_else(|| format!("public.json has no {pointer}: {public}"))
        };
        let path = |name: &str| dir.join(name);
        let keys = Keys {
            rsa: path("rsa.pkcs8.pem"),
            rsa_pkcs1: path("rsa.pkcs1.pem"),
            rsa_cert: path("rsa.crt.pem"),
            service_account: path("service-account.json"),
            p256: path("p256.pkcs8.pem"),
            p256_sec1: path("p256.sec1.pem"),
            p256_jwk: path("p256.jwk.json"),
            p256_jwks: path("p256.jwks.json"),
            p384: path("p384.pkcs8.pem"),
            ed25519: path("ed25519.pkcs8.pem"),
            ca_cert: path("ca.crt.pem"),
            ca_key: path("ca.key.pem"),
            server_cert: path("server.crt.pem"),
            server_key: path("server.key.pem"),
            client_cert: path("client.crt.pem"),
            client_key: path("client.key.pem"),
            client_chain: path("client-chain.pem"),
            client_expired_cert: path("client-expired.crt.pem"),
            client_other_cert: path("client-other.crt.pem"),
            self_signed_cert: path("self-signed.crt.pem"),
            self_signed_key: path("self-signed.key.pem"),
            rsa_thumbprint: text("/keys/rsa/thumbprint")?,
            p256_thumbprint: text("/keys/p256/thumbprint")?,
            p384_thumbprint: text("/keys/p384/thumbprint")?,
            ed25519_thumbprint: text("/keys/ed25519/thumbprint")?,
            p256_jwk_kid: text("/p256_jwk_kid")?,
            service_account_key_id: text("/service_account/private_key_id")?,
            dir,
        };
        println!(
            "e2e: keys in {} made in {:.2}s",
            keys.dir.display(),
            started.elapsed().as_secs_f64()
        );
        Ok(keys)
    }

    /// Writes the service account's JSON key, whose `token_uri` is `issuer`'s token endpoint.
    pub(crate) fn write_service_account(&self, issuer: &str) -> Result<(), String> {
        let private_key = fs::read_to_string(&self.rsa)
            .map_err(|e| format!("read {}: {e}", self.rsa.display()))?;
        let key = json!({
            "type": "service_account",
            "project_id": "e2e",
            "private_key_id": self.service_account_key_id,
            "private_key": private_key,
            "client_email": SERVICE_ACCOUNT_EMAIL,
            "client_id": "123",
            "auth_uri": format!("{issuer}/auth"),
            "token_uri": format!("{issuer}/token"),
        });
        write_private(
            &self.service_account,
            &serde_json::to_string_pretty(&key).expect("JSON"),
        )
    }
}

/// The DER of the first certificate in a PEM file.
fn certificate_der(cert: &Path) -> Vec<u8> {
    let text = fs::read(cert).unwrap_or_else(|e| panic!("read {}: {e}", cert.display()));
    let block = pem::parse(text).unwrap_or_else(|e| panic!("{}: {e}", cert.display()));
    assert_eq!(block.tag(), "CERTIFICATE", "{}", cert.display());
    block.into_contents()
}

/// RFC 8705 §3.1 / RFC 7515 §4.1.8 `x5t#S256` of the (first) certificate in `cert`:
/// base64url(SHA-256(DER)). What a certificate-bound token's `cnf` holds.
pub(crate) fn x5t_s256(cert: &Path) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(certificate_der(cert)))
}

/// RFC 7515 §4.1.7 `x5t`: base64url(SHA-1(DER)) of the (first) certificate in `cert`.
pub(crate) fn x5t(cert: &Path) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        &certificate_der(cert),
    );
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}
