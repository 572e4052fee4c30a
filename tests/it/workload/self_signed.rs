//! `grant = "jwt_bearer"` with no identity token but a private key: the assertion is signed here
//! (RFC 7523 §2.1), as Google's service accounts and Salesforce's server-to-server flow want it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::common::{Env, json_of, now, stdout_of, token_reply};
use crate::support::server::StubServer;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const EMAIL: &str = "deploy@project.iam.gserviceaccount.com";

/// A Google service-account key of a new RSA key, and that key's public JWK.
fn service_account(env: &Env) -> (std::path::PathBuf, Value) {
    let dir = env.home.path();
    let pem = dir.join("new.pem");
    let jwk = json_of(
        &env.cmd()
            .args(["keys", "generate", "--alg", "RS256", "--out"])
            .arg(&pem)
            .assert()
            .success(),
    );
    let key = json!({
        "type": "service_account",
        "project_id": "project",
        "private_key_id": "sa-key-1",
        "private_key": std::fs::read_to_string(&pem).unwrap(),
        "client_email": EMAIL,
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let file = dir.join("sa.json");
    std::fs::write(&file, key.to_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    (file, jwk)
}

fn part(token: &str, n: usize) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(n).unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn verifies(token: &str, jwk: &Value) -> bool {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let bytes = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    ring::signature::RsaPublicKeyComponents {
        n: bytes("n"),
        e: bytes("e"),
    }
    .verify(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        input.as_bytes(),
        &URL_SAFE_NO_PAD.decode(signature).unwrap(),
    )
    .is_ok()
}

#[test]
fn a_service_account_key_signs_googles_jwt_bearer_assertion() {
    let server = StubServer::start(|_| token_reply("ya29.sa"));
    let env = Env::new();
    let (key, jwk) = service_account(&env);
    let token_url = server.url("/token");
    env.write_config(&format!(
        "[profiles.sa]\ntoken_url = \"{token_url}\"\ngrant = \"jwt_bearer\"\nauth_method = \"none\"\n\
         private_key_file = \"{}\"\nassertion_claims = {{ scope = \"https://www.googleapis.com/auth/cloud-platform\" }}\n\n\
         [profiles.as-user]\ntoken_url = \"{token_url}\"\ngrant = \"jwt_bearer\"\nauth_method = \"none\"\n\
         private_key_file = \"{}\"\nassertion_subject = \"admin@example.com\"\n",
        key.display(),
        key.display()
    ));
    let fetched = stdout_of(&env.cmd().args(["fetch", "-p", "sa"]).assert().success());
    assert_eq!(fetched, "ya29.sa\n");
    let r = &server.requests()[0];
    assert_eq!(r.form_value("grant_type").as_deref(), Some(JWT_BEARER));
    assert_eq!(r.form_value("client_id"), None, "no client at all");
    let assertion = r.form_value("assertion").unwrap();
    assert!(
        verifies(&assertion, &jwk),
        "signed with the service account's key"
    );
    assert_eq!(part(&assertion, 0)["kid"], "sa-key-1");
    let claims = part(&assertion, 1);
    assert_eq!(claims["iss"], EMAIL);
    assert_eq!(claims["sub"], EMAIL);
    assert_eq!(claims["aud"], token_url);
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    assert!((claims["iat"].as_i64().unwrap() - now()).abs() < 30);
    // Another subject (domain-wide delegation) is another cache entry.
    env.cmd().args(["fetch", "-p", "sa"]).assert().success();
    env.cmd()
        .args(["fetch", "-p", "as-user"])
        .assert()
        .success();
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        2,
        "the second fetch of `sa` was a cache hit"
    );
    assert_eq!(
        part(&requests[1].form_value("assertion").unwrap(), 1)["sub"],
        "admin@example.com"
    );
    // `keys assertion --grant-assertion` signs what the dry run leaves to a variable.
    let printed = stdout_of(
        &env.cmd()
            .args(["keys", "assertion", "--grant-assertion", "-p", "sa"])
            .assert()
            .success(),
    );
    assert!(verifies(printed.trim(), &jwk));
    assert_eq!(part(printed.trim(), 1)["iss"], EMAIL);
    let plan = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "sa", "--dry-run"])
            .assert()
            .success(),
    );
    assert!(
        plan.contains("oauthctl keys assertion --grant-assertion -p sa"),
        "{plan}"
    );
    assert!(
        plan.contains("'assertion='\"$OAUTHCTL_ASSERTION\""),
        "{plan}"
    );
}

#[test]
fn revoke_of_a_self_signed_profile_touches_only_its_subjects_tokens() {
    let server = StubServer::start(|r| {
        if r.path == "/revoke" {
            return crate::support::server::Reply::json(200, "{}");
        }
        let sub = part(&r.form_value("assertion").unwrap(), 1)["sub"]
            .as_str()
            .unwrap()
            .to_string();
        token_reply(&format!("for-{sub}"))
    });
    let env = Env::new();
    let (key, _) = service_account(&env);
    env.write_config(&format!(
        "[profiles.jb]\ntoken_url = \"{}\"\nrevocation_url = \"{}\"\ngrant = \"jwt_bearer\"\n\
         auth_method = \"none\"\nprivate_key_file = \"{}\"\n",
        server.url("/token"),
        server.url("/revoke"),
        key.display()
    ));
    for sub in ["alice@example.com", "bob@example.com"] {
        env.cmd()
            .args(["fetch", "-p", "jb"])
            .env("OAUTHCTL_ASSERTION_SUBJECT", sub)
            .assert()
            .success();
    }
    env.cmd()
        .args(["revoke", "-p", "jb"])
        .env("OAUTHCTL_ASSERTION_SUBJECT", "alice@example.com")
        .assert()
        .success();
    let revoked: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/revoke")
        .filter_map(|r| r.form_value("token"))
        .collect();
    assert_eq!(revoked, ["for-alice@example.com"]);
}

#[test]
fn a_retry_signs_a_new_grant_assertion() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let server = StubServer::start(move |_| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            crate::support::server::Reply::json(503, r#"{"error":"temporarily_unavailable"}"#)
                .with_header("retry-after", "0")
        } else {
            token_reply("after-retry")
        }
    });
    let env = Env::new();
    let (key, jwk) = service_account(&env);
    env.write_config(&format!(
        "[profiles.sa]\ntoken_url = \"{}\"\ngrant = \"jwt_bearer\"\nauth_method = \"none\"\n\
         private_key_file = \"{}\"\n",
        server.url("/token"),
        key.display()
    ));
    let out = stdout_of(&env.cmd().args(["fetch", "-p", "sa"]).assert().success());
    assert_eq!(out, "after-retry\n");
    let sent: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.form_value("assertion").unwrap())
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|a| verifies(a, &jwk)));
    assert_ne!(part(&sent[0], 1)["jti"], part(&sent[1], 1)["jti"]);
}
