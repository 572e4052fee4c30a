//! End-to-end tests of clients without shared secrets (DESIGN §10, and the README's "Without a
//! client secret"): the real `oauthctl` binary against the real authorization server
//! (`tests/e2e/idp/server.mjs`, oidc-provider; its README says which client has which key), with
//! `private_key_jwt` from every key format and algorithm, `client_secret_jwt`, mutual TLS
//! (`tls_client_auth`, `self_signed_tls_client_auth`, and `private_key_jwt` with a certificate)
//! over the server's HTTPS listener, and the failures oauthctl must catch before it sends
//! anything.
//!
//! What oauthctl sent is read back from the server's own record (`/test/client-assertions`,
//! `/test/client-auth`): every test that reads records or arms a failure uses a client of its
//! own (`Idp::clone_client`), since every e2e test shares the one server (support/idp.rs).
//!
//! Run only these: `cargo test --test it e2e::client_auth`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::support::common::{Background, Env, now, stderr_of, stdout_of};
use crate::support::idp::idp;
use crate::support::keys::{self, CLIENT_SUBJECT_DN, SERVICE_ACCOUNT_EMAIL};

/// client_secret_jwt's secret (server.mjs).
const SECRET_JWT: &str =
    "secret-jwt: a shared secret of sixty-four bytes or more, for HS256 to HS512";
/// The scope of the login grants (tests/e2e/idp/README.md, "Clients").
const LOGIN_SCOPE: &str = "openid offline_access api:read";

// ---------------------------------------------------------------- helpers

/// A profile's keys and values.
type Fields = Vec<(&'static str, String)>;

/// A TOML value: a JSON string is a TOML basic string.
fn toml_str(value: &str) -> String {
    Value::from(value).to_string()
}

/// `[profiles.NAME]` with these keys, each value a string.
fn profile(name: &str, keys: &[(&str, &str)]) -> String {
    let mut out = format!("[profiles.{name}]\n");
    for (key, value) in keys {
        out.push_str(&format!("{key} = {}\n", toml_str(value)));
    }
    out
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// `oauthctl -p NAME fetch --no-cache -o json ARGS`: the token response, nothing on stderr.
fn fetch_json(env: &Env, name: &str, args: &[&str]) -> Value {
    let assert = env
        .cmd()
        .args(["-p", name, "fetch", "--no-cache", "-o", "json"])
        .args(args)
        .assert();
    let output = assert.get_output();
    assert!(
        output.status.success(),
        "fetch -p {name} failed ({:?}): {}\nthe server's stderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr),
        idp().log()
    );
    assert_eq!(stderr_of(&assert), "", "nothing on stderr on success");
    let stdout = stdout_of(&assert);
    let v: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout:?}"));
    assert!(v["access_token"].is_string(), "{v}");
    v
}

/// The documented failure shape: this exit code, nothing on stdout, each word on stderr.
fn fails(assert: assert_cmd::assert::Assert, code: i32, words: &[&str]) -> String {
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "", "stdout");
    for word in words {
        assert!(
            stderr.contains(word),
            "stderr should contain {word:?}, was {stderr:?}"
        );
    }
    stderr
}

/// The claims of a JWT, decoded (not verified).
fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// The one record of a client's requests, checked to be a successful assertion.
fn only<'a>(records: &'a [Value], what: &str) -> &'a Value {
    assert_eq!(records.len(), 1, "{what}: {records:#?}");
    &records[0]
}

/// An assertion record as oauthctl must make it: `alg`, `kid`, `iss` = `sub` = the client,
/// `aud`, a `jti`, `exp` - `iat` = 60 around now; and the server took it.
fn assert_assertion(record: &Value, client_id: &str, alg: &str, kid: Option<&str>, aud: &str) {
    let (header, payload) = (&record["header"], &record["payload"]);
    assert_eq!(header["alg"], alg, "{record:#}");
    match kid {
        Some(kid) => assert_eq!(header["kid"], kid, "{record:#}"),
        None => assert!(header.get("kid").is_none(), "{record:#}"),
    }
    assert_eq!(header["typ"], "JWT", "{record:#}");
    assert_eq!(payload["iss"], client_id, "{record:#}");
    assert_eq!(payload["sub"], client_id, "{record:#}");
    assert_eq!(payload["aud"], aud, "{record:#}");
    let jti = payload["jti"].as_str().expect("a jti");
    assert!(jti.len() >= 22, "128 random bits: {jti}");
    let (iat, exp) = (
        payload["iat"].as_i64().expect("iat"),
        payload["exp"].as_i64().expect("exp"),
    );
    assert_eq!(exp - iat, 60, "{record:#}");
    assert!((iat - now()).abs() <= 60, "{record:#}");
    assert_eq!(record["status"], 200, "{record:#}");
    assert_eq!(record["client_id"], client_id, "{record:#}");
}

/// A copy of `from` in the test's own directory with `mode`.
fn copy_with_mode(env: &Env, from: &Path, name: &str, mode: u32) -> PathBuf {
    let to = env.home.path().join(name);
    fs::copy(from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    fs::set_permissions(&to, fs::Permissions::from_mode(mode)).unwrap();
    to
}

/// `openssl ARGS`, which must succeed.
fn openssl(args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------- private_key_jwt

/// Every key format and algorithm the server has a client for: a token each, and the assertion
/// the server recorded carries the algorithm, the key's kid, the client as iss and sub, the token
/// endpoint as aud, and lives 60 s.
#[test]
fn e2e_private_key_jwt_from_every_key_format_and_algorithm() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let token_url = idp.token_url();
    // (server client, key file, signing_alg, expected alg, expected kid)
    let cases: &[(&str, &Path, Option<&str>, &str, &str)] = &[
        (
            "pkjwt-rs256",
            &keys.rsa,
            None,
            "RS256",
            &keys.rsa_thumbprint,
        ),
        (
            "pkjwt-rs256",
            &keys.rsa_pkcs1,
            None,
            "RS256",
            &keys.rsa_thumbprint,
        ),
        (
            "pkjwt-ps256",
            &keys.rsa,
            Some("PS256"),
            "PS256",
            &keys.rsa_thumbprint,
        ),
        (
            "pkjwt-es256",
            &keys.p256,
            None,
            "ES256",
            &keys.p256_thumbprint,
        ),
        (
            "pkjwt-es256",
            &keys.p256_sec1,
            None,
            "ES256",
            &keys.p256_thumbprint,
        ),
        (
            "pkjwt-es256",
            &keys.p256_jwk,
            None,
            "ES256",
            &keys.p256_jwk_kid,
        ),
        (
            "pkjwt-es256",
            &keys.p256_jwks,
            None,
            "ES256",
            &keys.p256_jwk_kid,
        ),
        (
            "pkjwt-es384",
            &keys.p384,
            None,
            "ES384",
            &keys.p384_thumbprint,
        ),
        (
            "pkjwt-eddsa",
            &keys.ed25519,
            None,
            "EdDSA",
            &keys.ed25519_thumbprint,
        ),
        (
            SERVICE_ACCOUNT_EMAIL,
            &keys.service_account,
            None,
            "RS256",
            &keys.service_account_key_id,
        ),
    ];
    let mut config = String::new();
    let mut clients = Vec::new();
    for (i, (client, key, alg, _, _)) in cases.iter().enumerate() {
        let client_id = idp.clone_client(client);
        let mut fields = vec![
            ("token_url", token_url.as_str()),
            ("client_id", client_id.as_str()),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(key)),
        ];
        if let Some(alg) = alg {
            fields.push(("signing_alg", alg));
        }
        config.push_str(&profile(&format!("k{i}"), &fields));
        clients.push(client_id);
    }
    // The service account's own client, its client_id the key's client_email. (Left out, the
    // client_id should default to the client_email, DESIGN §10; oauthctl does not do that yet.)
    config.push_str(&profile(
        "sa",
        &[
            ("token_url", &token_url),
            ("client_id", SERVICE_ACCOUNT_EMAIL),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(&keys.service_account)),
        ],
    ));
    env.write_config(&config);

    for (i, (client, key, _, alg, kid)) in cases.iter().enumerate() {
        let what = format!("{client} with {}", key.display());
        let v = fetch_json(&env, &format!("k{i}"), &[]);
        let info = idp.token_info(v["access_token"].as_str().unwrap());
        assert_eq!(info["clientId"], clients[i], "{what}: {info}");
        let records = idp.client_assertions(&clients[i]);
        let record = only(&records, &what);
        assert_eq!(record["method"], "private_key_jwt", "{what}");
        assert_eq!(record["path"], "/token", "{what}");
        assert_assertion(record, &clients[i], alg, Some(kid), &token_url);
    }

    let started = now();
    let v = fetch_json(&env, "sa", &[]);
    let info = idp.token_info(v["access_token"].as_str().unwrap());
    assert_eq!(info["clientId"], SERVICE_ACCOUNT_EMAIL, "{info}");
    // The server's client is shared with other tests: ours is among its recent records.
    let records = idp.client_assertions(SERVICE_ACCOUNT_EMAIL);
    assert!(
        records.iter().any(|r| {
            r["status"] == 200
                && r["header"]["kid"] == *keys.service_account_key_id
                && r["payload"]["iss"] == SERVICE_ACCOUNT_EMAIL
                && r["payload"]["aud"] == *token_url
                && r["payload"]["iat"]
                    .as_i64()
                    .is_some_and(|iat| iat >= started - 1)
        }),
        "{records:#?}"
    );
}

/// `aud` is the token endpoint by default, the issuer with `assertion_audience = "issuer"`; the
/// server takes both.
#[test]
fn e2e_private_key_jwt_audience_is_the_token_endpoint_or_the_issuer() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("pkjwt-es256");
    let base = [
        ("token_url", idp.token_url()),
        ("issuer", idp.issuer.clone()),
        ("client_id", client_id.clone()),
        ("auth_method", "private_key_jwt".into()),
        ("private_key_file", path(&keys.p256).into()),
    ];
    let fields = |extra: Option<(&'static str, &'static str)>| {
        let mut fields: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fields.extend(extra);
        fields
    };
    let mut config = profile("default", &fields(None));
    config.push_str(&profile(
        "issuer",
        &fields(Some(("assertion_audience", "issuer"))),
    ));
    env.write_config(&config);

    fetch_json(&env, "default", &[]);
    fetch_json(&env, "issuer", &[]);
    let records = idp.client_assertions(&client_id);
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_assertion(
        &records[0],
        &client_id,
        "ES256",
        Some(&keys.p256_thumbprint),
        &idp.token_url(),
    );
    assert_assertion(
        &records[1],
        &client_id,
        "ES256",
        Some(&keys.p256_thumbprint),
        &idp.issuer,
    );
}

/// A retried request signs a new assertion: the server refuses a `jti` it has seen, and marks
/// the failed request's as used.
#[test]
fn e2e_private_key_jwt_retry_signs_a_new_assertion() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("pkjwt-rs256");
    env.write_config(&profile(
        "ci",
        &[
            ("token_url", &idp.token_url()),
            ("client_id", &client_id),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(&keys.rsa)),
        ],
    ));
    idp.fail_next(&client_id, "/token", 503, 1);
    let v = fetch_json(&env, "ci", &[]);
    assert_eq!(
        idp.token_info(v["access_token"].as_str().unwrap())["clientId"],
        *client_id
    );

    let records = idp.client_assertions(&client_id);
    assert_eq!(records.len(), 2, "one failure, one retry: {records:#?}");
    let (first, second) = (&records[0], &records[1]);
    assert_eq!(first["status"], 503, "{first:#}");
    assert_eq!(first["injected"], true, "{first:#}");
    assert_eq!(
        first["jti_marked_used"], true,
        "the server would refuse it again: {first:#}"
    );
    assert_assertion(
        second,
        &client_id,
        "RS256",
        Some(&keys.rsa_thumbprint),
        &idp.token_url(),
    );
    let jti = |r: &Value| r["payload"]["jti"].as_str().expect("jti").to_owned();
    assert_ne!(jti(first), jti(second), "a new jti for the retry");
}

/// client_secret_jwt: HS256 by default, HS512 with `signing_alg`.
#[test]
fn e2e_client_secret_jwt_signs_with_the_secret() {
    let idp = idp();
    let env = Env::new();
    let client_id = idp.clone_client("secret-jwt");
    let token_url = idp.token_url();
    let base = [
        ("token_url", token_url.as_str()),
        ("client_id", client_id.as_str()),
        ("auth_method", "client_secret_jwt"),
        ("client_secret_env", "JWT_SECRET"),
    ];
    let mut config = profile("hs256", &base);
    config.push_str(&profile(
        "hs512",
        &[&base[..], &[("signing_alg", "HS512")]].concat(),
    ));
    env.write_config(&config);

    for (name, alg) in [("hs256", "HS256"), ("hs512", "HS512")] {
        let assert = env
            .cmd()
            .args(["-p", name, "fetch", "--no-cache", "-o", "json"])
            .env("JWT_SECRET", SECRET_JWT)
            .assert()
            .success();
        let v: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
        assert_eq!(
            idp.token_info(v["access_token"].as_str().unwrap())["clientId"],
            *client_id
        );
        assert!(!stderr_of(&assert).contains(SECRET_JWT));
        let records = idp.client_assertions(&client_id);
        let record = records.last().unwrap();
        assert_eq!(record["method"], "client_secret_jwt", "{record:#}");
        assert_assertion(record, &client_id, alg, None, &idp.token_url());
    }
    assert_eq!(idp.client_assertions(&client_id).len(), 2);
}

// ---------------------------------------------------------------- mutual TLS

/// `oauthctl inspect -p NAME` with the token on stdin: its `Bound` line.
fn bound_line(env: &Env, name: &str, token: Option<&str>) -> String {
    let mut cmd = env.cmd();
    cmd.args(["-p", name, "inspect"]);
    if let Some(token) = token {
        cmd.arg("-").write_stdin(format!("{token}\n"));
    }
    let assert = cmd.assert().success();
    let stdout = stdout_of(&assert);
    stdout
        .lines()
        .find(|l| l.starts_with("Bound"))
        .unwrap_or_else(|| panic!("no Bound line in {stdout}"))
        .to_owned()
}

/// tls_client_auth found by discovery alone: the token comes from the HTTPS listener (the
/// `mtls_endpoint_aliases`), bound to the certificate; `inspect -p` says it is the profile's
/// certificate, and with another profile's certificate that it is ANOTHER one. The chain file
/// works as well as the leaf.
#[test]
fn e2e_tls_client_auth_gets_a_certificate_bound_token_over_mtls() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("mtls-pki");
    let tls = |cert: &Path| {
        vec![
            ("client_id", client_id.clone()),
            ("auth_method", "tls_client_auth".into()),
            ("private_key_file", path(&keys.client_key).into()),
            ("client_certificate_file", path(cert).into()),
            ("ca_file", path(&keys.ca_cert).into()),
            ("resource", "urn:api:rs256".into()),
        ]
    };
    let refs = |fields: &[(&'static str, String)]| -> String {
        fields
            .iter()
            .map(|(k, v)| format!("{k} = {}\n", toml_str(v)))
            .collect()
    };
    let mut discovered = vec![("issuer", idp.issuer.clone())];
    discovered.extend(tls(&keys.client_cert));
    let mut chain = vec![("token_url", idp.mtls_token_url())];
    chain.extend(tls(&keys.client_chain));
    let mut other = vec![("issuer", idp.issuer.clone())];
    other.extend(tls(&keys.self_signed_cert));
    env.write_config(&format!(
        "[profiles.pki]\n{}[profiles.chain]\n{}[profiles.other]\n{}",
        refs(&discovered),
        refs(&chain),
        refs(&other)
    ));

    // Cached this time, for `inspect -p pki`.
    let assert = env
        .cmd()
        .args(["-p", "pki", "fetch", "-o", "json"])
        .assert()
        .success();
    let v: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    let token = v["access_token"].as_str().unwrap().to_owned();
    let thumbprint = keys::x5t_s256(&keys.client_cert);
    assert_eq!(jwt_claims(&token)["cnf"]["x5t#S256"], *thumbprint);
    assert_eq!(
        idp.token_info(&token)["payload"]["cnf"]["x5t#S256"],
        *thumbprint
    );

    let v = fetch_json(&env, "chain", &[]);
    let chained = v["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(chained)["cnf"]["x5t#S256"], *thumbprint);

    let records = idp.client_auth(&client_id);
    assert_eq!(records.len(), 2, "{records:#?}");
    for record in &records {
        assert_eq!(record["method"], "tls_client_auth", "{record:#}");
        assert_eq!(record["listener"], "mtls", "the mTLS alias: {record:#}");
        assert_eq!(record["path"], "/token", "{record:#}");
        assert_eq!(record["status"], 200, "{record:#}");
        assert_eq!(record["certificate"]["x5t#S256"], *thumbprint, "{record:#}");
        assert_eq!(
            record["certificate"]["subject"], CLIENT_SUBJECT_DN,
            "{record:#}"
        );
        assert!(record.get("header").is_none(), "no assertion: {record:#}");
    }

    // The cached token, and the same token on stdin.
    for line in [
        bound_line(&env, "pki", None),
        bound_line(&env, "pki", Some(&token)),
    ] {
        assert!(
            line.contains("to the certificate of client_certificate_file")
                && line.contains(path(&keys.client_cert)),
            "{line}"
        );
    }
    let line = bound_line(&env, "other", Some(&token));
    assert!(
        line.contains("ANOTHER") && line.contains(&thumbprint),
        "{line}"
    );
}

/// self_signed_tls_client_auth: the registered self-signed certificate, on the mTLS token
/// endpoint; the token is bound to it.
#[test]
fn e2e_self_signed_tls_client_auth_gets_a_bound_token() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("mtls-self-signed");
    env.write_config(&profile(
        "self",
        &[
            ("token_url", &idp.mtls_token_url()),
            ("client_id", &client_id),
            ("auth_method", "self_signed_tls_client_auth"),
            ("private_key_file", path(&keys.self_signed_key)),
            ("client_certificate_file", path(&keys.self_signed_cert)),
            ("ca_file", path(&keys.ca_cert)),
            ("resource", "urn:api:rs256"),
        ],
    ));
    let v = fetch_json(&env, "self", &[]);
    let token = v["access_token"].as_str().unwrap();
    let thumbprint = keys::x5t_s256(&keys.self_signed_cert);
    assert_eq!(jwt_claims(token)["cnf"]["x5t#S256"], *thumbprint);
    idp.token_info(token);
    let records = idp.client_auth(&client_id);
    let record = only(&records, "self-signed");
    assert_eq!(
        record["method"], "self_signed_tls_client_auth",
        "{record:#}"
    );
    assert_eq!(record["listener"], "mtls", "{record:#}");
    assert_eq!(record["certificate"]["x5t#S256"], *thumbprint, "{record:#}");
    assert_eq!(record["status"], 200, "{record:#}");
    let line = bound_line(&env, "self", Some(token));
    assert!(line.contains("to the certificate of"), "{line}");
}

/// private_key_jwt with a certificate, by discovery: the assertion names the certificate
/// (`x5t#S256`, `x5t`), the TLS handshake presents it, `aud` is the mTLS token endpoint in use,
/// and the token is bound to it.
#[test]
fn e2e_private_key_jwt_with_a_certificate_over_mtls() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("pkjwt-mtls");
    env.write_config(&profile(
        "both",
        &[
            ("issuer", &idp.issuer),
            ("client_id", &client_id),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(&keys.rsa)),
            ("client_certificate_file", path(&keys.rsa_cert)),
            ("ca_file", path(&keys.ca_cert)),
            ("resource", "urn:api:rs256"),
        ],
    ));
    let v = fetch_json(&env, "both", &[]);
    let token = v["access_token"].as_str().unwrap();
    let thumbprint = keys::x5t_s256(&keys.rsa_cert);
    assert_eq!(jwt_claims(token)["cnf"]["x5t#S256"], *thumbprint);
    idp.token_info(token);

    let records = idp.client_assertions(&client_id);
    let record = only(&records, "pkjwt-mtls");
    assert_eq!(record["method"], "private_key_jwt", "{record:#}");
    assert_eq!(record["listener"], "mtls", "{record:#}");
    assert_eq!(record["certificate"]["x5t#S256"], *thumbprint, "{record:#}");
    assert_eq!(record["header"]["x5t#S256"], *thumbprint, "{record:#}");
    assert_eq!(
        record["header"]["x5t"],
        *keys::x5t(&keys.rsa_cert),
        "{record:#}"
    );
    assert_assertion(
        record,
        &client_id,
        "RS256",
        Some(&keys.rsa_thumbprint),
        &idp.mtls_token_url(),
    );
    let line = bound_line(&env, "both", Some(token));
    assert!(line.contains("to the certificate of"), "{line}");
}

// ---------------------------------------------------------------- failures

/// What oauthctl must refuse before it sends anything (exit 78, nothing on stdout, no request
/// at the server), and what the server refuses (exit 3).
#[test]
fn e2e_client_key_and_certificate_failures() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let home = env.home.path();

    let encrypted = home.join("encrypted.pem");
    openssl(&[
        "pkey",
        "-in",
        path(&keys.p256),
        "-aes256",
        "-passout",
        "pass:x",
        "-out",
        path(&encrypted),
    ]);
    fs::set_permissions(&encrypted, fs::Permissions::from_mode(0o600)).unwrap();
    let readable = copy_with_mode(&env, &keys.p256, "readable.pem", 0o644);
    let stranger = home.join("stranger.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        path(&stranger),
    ]);
    fs::set_permissions(&stranger, fs::Permissions::from_mode(0o600)).unwrap();

    let pki = idp.clone_client("mtls-pki");
    let self_signed = idp.clone_client("mtls-self-signed");
    let es256 = idp.clone_client("pkjwt-es256");
    let rs256 = idp.clone_client("pkjwt-rs256");
    let mtls = idp.mtls_token_url();
    let plain = idp.token_url();
    let ca = path(&keys.ca_cert);
    let tls = |client: &str, method: &str, key: &Path, cert: &Path| {
        vec![
            ("token_url", mtls.clone()),
            ("client_id", client.to_owned()),
            ("auth_method", method.to_owned()),
            ("private_key_file", path(key).to_owned()),
            ("client_certificate_file", path(cert).to_owned()),
            ("ca_file", ca.to_owned()),
        ]
    };
    let jwt = |client: &str, key: &Path| {
        vec![
            ("token_url", plain.clone()),
            ("client_id", client.to_owned()),
            ("auth_method", "private_key_jwt".to_owned()),
            ("private_key_file", path(key).to_owned()),
        ]
    };
    let mut es256_with_rsa = jwt(&rs256, &keys.rsa);
    es256_with_rsa.push(("signing_alg", "ES256".into()));
    // (profile, its keys, words on stderr, the client that must see no request): exit 78 each.
    let cases: Vec<(&str, Fields, Vec<String>, &str)> = vec![
        (
            "rsa-key-other-cert",
            tls(&pki, "tls_client_auth", &keys.rsa, &keys.client_other_cert),
            vec![
                "client_certificate_file".into(),
                path(&keys.client_other_cert).into(),
                "does not hold".into(),
            ],
            &pki,
        ),
        (
            "cert-a-key-b",
            tls(
                &self_signed,
                "self_signed_tls_client_auth",
                &keys.client_key,
                &keys.self_signed_cert,
            ),
            vec![
                "client_certificate_file".into(),
                path(&keys.self_signed_cert).into(),
                "does not hold".into(),
            ],
            &self_signed,
        ),
        (
            "expired",
            tls(
                &pki,
                "tls_client_auth",
                &keys.client_key,
                &keys.client_expired_cert,
            ),
            vec!["expired".into(), path(&keys.client_expired_cert).into()],
            &pki,
        ),
        (
            "encrypted",
            jwt(&es256, &encrypted),
            vec!["encrypted".into(), path(&encrypted).into()],
            &es256,
        ),
        (
            "readable",
            jwt(&es256, &readable),
            vec![path(&readable).into(), "0644".into()],
            &es256,
        ),
        (
            "es256-with-rsa",
            es256_with_rsa,
            vec!["signing_alg ES256 does not fit".into()],
            &rs256,
        ),
    ];
    let mut config = String::new();
    for (name, fields, ..) in &cases {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        config.push_str(&profile(name, &refs));
    }
    config.push_str(&profile(
        "stranger",
        &[
            ("token_url", &plain),
            ("client_id", &es256),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(&stranger)),
        ],
    ));
    env.write_config(&config);

    for (name, _, words, client) in &cases {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let assert = env.cmd().args(["-p", name, "fetch", "--no-cache"]).assert();
        let stderr = fails(assert, 78, &words);
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
        assert!(
            idp.client_auth(client).is_empty(),
            "{name}: nothing may reach the server: {:#?}",
            idp.client_auth(client)
        );
    }

    // A key the client is not registered with: the server refuses it, in its own words.
    let assert = env
        .cmd()
        .args(["-p", "stranger", "fetch", "--no-cache"])
        .assert();
    fails(
        assert,
        3,
        &["invalid_client", "client authentication failed"],
    );
    let records = idp.client_assertions(&es256);
    let record = only(&records, "stranger");
    assert_eq!(
        (&record["status"], &record["error"]),
        (&401.into(), &"invalid_client".into()),
        "{record:#}"
    );
}

// ---------------------------------------------------------------- every endpoint

/// `introspect` and `revoke` authenticate with assertions too, each new, `aud` the token
/// endpoint.
#[test]
fn e2e_private_key_jwt_at_introspection_and_revocation() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("pkjwt-any");
    env.write_config(&profile(
        "any",
        &[
            ("issuer", &idp.issuer),
            ("client_id", &client_id),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(&keys.ed25519)),
        ],
    ));
    let v = fetch_json(&env, "any", &[]);
    let token = v["access_token"].as_str().unwrap();
    let run = |command: &str| {
        env.cmd()
            .args(["-p", "any", "-o", "json", command, "-"])
            .write_stdin(format!("{token}\n"))
            .assert()
            .success()
    };
    let introspected: Value = serde_json::from_str(&stdout_of(&run("introspect"))).unwrap();
    assert_eq!(introspected["active"], true, "{introspected}");
    assert_eq!(introspected["client_id"], *client_id, "{introspected}");
    run("revoke");
    let introspected: Value = serde_json::from_str(&stdout_of(&run("introspect"))).unwrap();
    assert_eq!(introspected["active"], false, "{introspected}");

    let records = idp.client_auth(&client_id);
    let paths: Vec<&str> = records
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/token",
            "/token/introspection",
            "/token/revocation",
            "/token/introspection"
        ],
        "{records:#?}"
    );
    for record in &records {
        assert_eq!(record["method"], "private_key_jwt", "{record:#}");
        assert_assertion(
            record,
            &client_id,
            "EdDSA",
            Some(&keys.ed25519_thumbprint),
            &idp.token_url(),
        );
    }
    let mut jtis: Vec<&str> = records
        .iter()
        .map(|r| r["payload"]["jti"].as_str().unwrap())
        .collect();
    jtis.sort_unstable();
    jtis.dedup();
    assert_eq!(jtis.len(), 4, "a new assertion for every request");
}

/// `login --device` with private_key_jwt (the device authorization request and every poll), then
/// a renewal by `fetch` with the refresh token: all authenticated by assertions.
#[test]
fn e2e_private_key_jwt_login_with_the_device_flow_then_refresh() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("pkjwt-login");
    env.write_config(&profile(
        "user",
        &[
            ("issuer", &idp.issuer),
            ("grant", "device_code"),
            ("client_id", &client_id),
            ("scope", LOGIN_SCOPE),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(&keys.p256)),
        ],
    ));
    let mut cmd = env.cmd();
    cmd.args(["-p", "user", "login", "--device"]);
    let mut login = Background::start(&cmd);
    let (_, user_code) = login.device_instructions();
    let (status, body) = idp.get("/test/device", &[("user_code", &user_code)]);
    assert_eq!(status, 200, "/test/device: {body}");
    let done = login.finish();
    assert_eq!(done.code, Some(0), "login: {}", done.stderr);

    let signed_in = idp.client_auth(&client_id).len();
    let assert = env
        .cmd()
        .args(["-p", "user", "fetch", "--force"])
        .assert()
        .success();
    let token = stdout_of(&assert).trim().to_owned();
    let info = idp.token_info(&token);
    assert_eq!(info["clientId"], *client_id, "{info}");
    assert_eq!(info["accountId"], "test-user", "{info}");

    let records = idp.client_auth(&client_id);
    assert_eq!(records.len(), signed_in + 1, "{records:#?}");
    assert_eq!(records[0]["path"], "/device/auth", "{records:#?}");
    assert_eq!(
        records[signed_in - 1]["status"],
        200,
        "the tokens: {records:#?}"
    );
    let jtis: std::collections::HashSet<&str> = records
        .iter()
        .map(|r| r["payload"]["jti"].as_str().unwrap())
        .collect();
    assert_eq!(jtis.len(), records.len(), "a new assertion each time");
    for record in &records[1..] {
        assert_eq!(record["path"], "/token", "{record:#}");
    }
    for record in &records {
        assert_eq!(record["method"], "private_key_jwt", "{record:#}");
        let payload = &record["payload"];
        assert_eq!(payload["iss"], *client_id, "{record:#}");
        assert_eq!(payload["aud"], *idp.token_url(), "{record:#}");
    }
    assert_assertion(
        records.last().unwrap(),
        &client_id,
        "ES256",
        Some(&keys.p256_thumbprint),
        &idp.token_url(),
    );
}

/// `-v` masks the assertion: the trace shows `client_assertion=***` and nothing of what the
/// server received.
#[test]
fn e2e_private_key_jwt_verbose_trace_masks_the_assertion() {
    let idp = idp();
    let keys = idp.keys();
    let env = Env::new();
    let client_id = idp.clone_client("pkjwt-es384");
    env.write_config(&profile(
        "ci",
        &[
            ("token_url", &idp.token_url()),
            ("client_id", &client_id),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", path(&keys.p384)),
        ],
    ));
    let assert = env
        .cmd()
        .args(["-p", "ci", "-v", "fetch", "--no-cache"])
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("client_assertion=***"), "{stderr}");
    let records = idp.client_assertions(&client_id);
    let record = only(&records, "verbose");
    let jti = record["payload"]["jti"].as_str().unwrap();
    assert!(!stderr.contains(jti), "the jti leaked: {stderr}");
    // The header and the payload are base64url JSON objects: they start `eyJ`.
    assert!(!stderr.contains("eyJ"), "a JWT segment leaked: {stderr}");
    // The key's thumbprint is the assertion's kid, and in no trace line.
    assert!(!stderr.contains(&keys.p384_thumbprint), "{stderr}");
}
