//! End-to-end tests against a real authorization server (oidc-provider) on 127.0.0.1.
//!
//! The server is `tests/e2e/idp/server.mjs` (see the README there), set up and shared with
//! e2e/users.rs and e2e/verify.rs by the harness in support/idp.rs (read its header): the first
//! e2e test in this process installs its Node dependencies (`npm ci`, skipped when `node_modules` already
//! matches `package-lock.json`) and starts ONE server that every e2e test shares; it dies with the
//! test process. Node.js 20+ and npm are required: without them these tests fail, saying what to
//! install. They never skip.
//!
//! Every test drives the real `oauthctl` binary under `Env`'s hermetic environment, and checks
//! what the user sees (exit code, exact stdout, stderr words) against what the server itself says
//! it issued (`GET /test/token-info`, which verifies JWT signatures with the server's own keys).
//!
//! Run only these: `cargo test --test it e2e::tokens` (every e2e suite: `… e2e`).

use std::fs::File;
use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::common::{Env, now, stderr_of, stdout_of};
use crate::support::idp::{Idp, idp};

// The server's clients (tests/e2e/idp/server.mjs). The cc-* secrets need RFC 6749 §2.3.1
// form-urlencoding in Basic credentials, which the server decodes as the RFC says.
const CC_BASIC: (&str, &str) = ("cc-basic", "cc-basic secret+/=&%:x");
const CC_POST: (&str, &str) = ("cc-post", "cc-post secret+/=&%:x");
const WEB: (&str, &str) = ("web", "web-secret");
const WEB_REDIRECT: &str = "http://127.0.0.1:8765/callback";
const PUBLIC_APP: &str = "public-app";
const PUBLIC_REDIRECT: &str = "http://127.0.0.1:8766/callback";
const ACCOUNT: &str = "test-user";

// ---------------------------------------------------------------- this suite's server route

/// `/test/authorize`, the route only this suite uses, on the shared server (support/idp.rs).
impl Idp {
    /// Runs the authorization code flow for `test-user` through the server's own endpoints and
    /// returns the code, or panics with the server's error.
    fn authorize(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        pkce: Option<&str>,
    ) -> String {
        let (status, body) = self.try_authorize(client_id, redirect_uri, scope, pkce);
        assert_eq!(
            status,
            200,
            "/test/authorize failed: {body}\n{}",
            self.log()
        );
        let code = body["code"].as_str().expect("a code").to_owned();
        assert!(!code.is_empty());
        code
    }

    fn try_authorize(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        challenge: Option<&str>,
    ) -> (u16, Value) {
        let state = random_urlsafe(16);
        let mut query = vec![
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", &state),
        ];
        if let Some(challenge) = challenge {
            query.extend([
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ]);
        }
        self.get("/test/authorize", &query)
    }
}

// ---------------------------------------------------------------- helpers

/// `bytes` random bytes from the kernel, base64url without padding (RFC 7636 unreserved chars).
fn random_urlsafe(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("read /dev/urandom");
    URL_SAFE_NO_PAD.encode(buf)
}

/// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `-o text`: exactly the token and one "\n"; returns the token.
fn bare_token(assert: &assert_cmd::assert::Assert) -> String {
    let stdout = stdout_of(assert);
    let token = stdout.strip_suffix('\n');
    let token = token.unwrap_or_else(|| panic!("stdout should end in \"\\n\": {stdout:?}"));
    assert!(
        !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()),
        "stdout should be the bare token and \"\\n\", was {stdout:?}"
    );
    assert_eq!(stderr_of(assert), "", "nothing on stderr on success");
    token.to_owned()
}

fn json_out(assert: &assert_cmd::assert::Assert) -> Value {
    let stdout = stdout_of(assert);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout:?}"))
}

/// The documented failure shape: this exit code, empty stdout, and each word on stderr.
fn fails(assert: assert_cmd::assert::Assert, code: i32, words: &[&str]) -> String {
    let assert = assert.failure().code(code).stdout("");
    let stderr = stderr_of(&assert);
    for word in words {
        assert!(
            stderr.contains(word),
            "stderr should contain {word:?}, was {stderr:?}"
        );
    }
    stderr
}

/// `oauthctl inspect -o json -` on `token`.
fn inspect(env: &Env, token: &str) -> Value {
    let assert = env
        .cmd()
        .args(["inspect", "-o", "json", "-"])
        .write_stdin(format!("{token}\n"))
        .assert()
        .success();
    json_out(&assert)
}

/// A client_credentials JWT from `resource`, checked through `oauthctl inspect` and the server.
fn assert_resource_jwt(
    idp: &Idp,
    env: &Env,
    token: &str,
    alg: &str,
    resource: &str,
    client: &str,
    scope: &str,
) {
    let v = inspect(env, token);
    let (header, claims) = (&v["header"], &v["claims"]);
    assert_eq!(header["alg"], alg, "{v:#}");
    assert_eq!(header["typ"], "at+jwt", "RFC 9068 access token: {v:#}");
    assert_eq!(claims["iss"], idp.issuer.as_str(), "{v:#}");
    assert_eq!(claims["aud"], resource, "{v:#}");
    assert_eq!(claims["client_id"], client, "{v:#}");
    assert_eq!(claims["sub"], client, "{v:#}");
    assert_eq!(claims["scope"], scope, "{v:#}");
    let exp = claims["exp"].as_i64().expect("exp is a number");
    let t = now();
    assert!(
        exp > t && exp <= t + 300 + 60,
        "exp {exp} should be ~300 s after {t}"
    );
    assert_eq!(v["times"]["exp"]["unix"], exp);
    assert_eq!(v["validity"]["state"], "valid", "{v:#}");
    assert_eq!(v["signature_verified"], false, "inspect never verifies");

    // The server verifies the signature with its own keys: the token is exactly what it signed.
    let info = idp.token_info(token);
    assert_eq!(info["format"], "jwt");
    assert_eq!(info["header"], *header);
    assert_eq!(info["payload"], *claims);

    env.cmd()
        .args(["inspect", "--require-valid", token])
        .assert()
        .success();
}

// ---------------------------------------------------------------- fetch (client_credentials)

#[test]
fn e2e_fetch_with_client_secret_basic_prints_the_issued_token() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_BASIC;
    let fetch = || {
        let mut cmd = env.cmd();
        cmd.arg("fetch")
            .env("OAUTHCTL_TOKEN_URL", idp.token_url())
            .env("OAUTHCTL_CLIENT_ID", id)
            .env("OAUTHCTL_CLIENT_SECRET", secret);
        cmd
    };

    let token = bare_token(&fetch().assert().success());
    let info = idp.token_info(&token);
    assert_eq!(info["format"], "opaque", "no resource: an opaque token");
    assert_eq!(info["kind"], "ClientCredentials");
    assert_eq!(info["clientId"], id);

    // The second run is served by the token cache: the same token, no new request.
    let assert = fetch().args(["-o", "json"]).assert().success();
    let cached = json_out(&assert);
    assert_eq!(
        (cached["cached"].as_bool(), cached["access_token"].as_str()),
        (Some(true), Some(token.as_str()))
    );

    let assert = fetch().args(["-o", "json", "--force"]).assert().success();
    let v = json_out(&assert);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 300);
    assert_eq!(v["cached"], false);
    assert_ne!(
        v["access_token"].as_str(),
        Some(token.as_str()),
        "--force gets a new token"
    );
    let expires_at = v["expires_at"]
        .as_i64()
        .expect("expires_at from expires_in");
    assert!((expires_at - (now() + 300)).abs() <= 60, "{v}");
    let token = v["access_token"].as_str().expect("access_token");
    assert_eq!(idp.token_info(token)["clientId"], id);

    let assert = fetch().args(["-o", "header"]).assert().success();
    let header = stdout_of(&assert);
    let token = header
        .strip_prefix("Authorization: Bearer ")
        .and_then(|h| h.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("-o header: {header:?}"));
    assert_eq!(idp.token_info(token)["kind"], "ClientCredentials");
}

#[test]
fn e2e_fetch_with_client_secret_post() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_POST;
    let assert = env
        .cmd()
        .args(["fetch", "--token-url", &idp.token_url(), "--client-id", id])
        .args([
            "--auth-method",
            "post",
            "--client-secret-env",
            "CC_POST_SECRET",
        ])
        .env("CC_POST_SECRET", secret)
        .assert()
        .success();
    let token = bare_token(&assert);
    let info = idp.token_info(&token);
    assert_eq!(info["kind"], "ClientCredentials");
    assert_eq!(info["clientId"], id);
}

/// The server enforces each client's registered method, so the two tests above would fail if
/// oauthctl sent the credentials the other way.
#[test]
fn e2e_fetch_with_the_wrong_auth_method_is_invalid_client() {
    let idp = idp();
    let env = Env::new();
    for ((id, secret), method) in [(CC_POST, "basic"), (CC_BASIC, "post")] {
        fails(
            env.cmd()
                .args(["fetch", "--token-url", &idp.token_url(), "--client-id", id])
                .args(["--auth-method", method])
                .env("OAUTHCTL_CLIENT_SECRET", secret)
                .assert(),
            3,
            &["invalid_client"],
        );
    }
}

#[test]
fn e2e_fetch_with_scope_api_read() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_BASIC;
    let assert = env
        .cmd()
        .args([
            "-o",
            "json",
            "fetch",
            "--token-url",
            &idp.token_url(),
            "--client-id",
            id,
        ])
        .args(["--scope", "api:read"])
        .env("OAUTHCTL_CLIENT_SECRET", secret)
        .assert()
        .success();
    let v = json_out(&assert);
    assert_eq!(v["scope"], "api:read", "{v}");
    let info = idp.token_info(v["access_token"].as_str().unwrap());
    assert_eq!(
        (&info["clientId"], &info["scope"]),
        (&Value::from(id), &Value::from("api:read"))
    );
}

#[test]
fn e2e_fetch_resource_rs256_gives_a_jwt_that_inspect_decodes() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_BASIC;
    let assert = env
        .cmd()
        .args(["fetch", "--token-url", &idp.token_url(), "--client-id", id])
        .args([
            "--resource",
            "urn:api:rs256",
            "--scope",
            "api:read api:write",
        ])
        .env("OAUTHCTL_CLIENT_SECRET", secret)
        .assert()
        .success();
    let token = bare_token(&assert);
    assert_resource_jwt(
        idp,
        &env,
        &token,
        "RS256",
        "urn:api:rs256",
        id,
        "api:read api:write",
    );
}

/// From a config file this time: `resource` and `auth_method = "post"` in the profile, and
/// `inspect -p` fetching the profile's token itself.
#[test]
fn e2e_fetch_resource_es256_gives_a_jwt_that_inspect_decodes() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_POST;
    env.write_config(&format!(
        "default_profile = \"es\"\n\n[profiles.es]\ntoken_url = \"{}\"\nclient_id = \"{id}\"\n\
         client_secret_env = \"ES_SECRET\"\nauth_method = \"post\"\nscope = \"api:read\"\n\
         resource = \"urn:api:es256\"\n",
        idp.token_url()
    ));
    let token = bare_token(
        &env.cmd()
            .arg("fetch")
            .env("ES_SECRET", secret)
            .assert()
            .success(),
    );
    assert_resource_jwt(idp, &env, &token, "ES256", "urn:api:es256", id, "api:read");

    let assert = env
        .cmd()
        .args(["inspect", "-p", "es", "-o", "json"])
        .env("ES_SECRET", secret)
        .assert()
        .success();
    let v = json_out(&assert);
    assert_eq!(v["header"]["alg"], "ES256", "{v:#}");
    assert_eq!(v["claims"]["aud"], "urn:api:es256", "{v:#}");
    assert_eq!(v["claims"]["iss"], idp.issuer.as_str(), "{v:#}");
}

#[test]
fn e2e_fetch_with_a_wrong_secret_is_invalid_client() {
    let idp = idp();
    let env = Env::new();
    let wrong = "not-the-secret-4711";
    let cmd = || {
        let mut cmd = env.cmd();
        cmd.args([
            "fetch",
            "--token-url",
            &idp.token_url(),
            "--client-id",
            CC_BASIC.0,
        ])
        .env("OAUTHCTL_CLIENT_SECRET", wrong);
        cmd
    };
    let stderr = fails(cmd().assert(), 3, &["invalid_client"]);
    assert!(!stderr.contains(wrong), "the secret leaked: {stderr}");

    let stderr = fails(cmd().args(["-o", "json"]).assert(), 3, &["invalid_client"]);
    let v: Value = serde_json::from_str(&stderr).expect("-o json errors are JSON");
    assert_eq!(v["error"]["code"], "invalid_client", "{v}");
    assert_eq!(v["error"]["status"], 401, "{v}");
    assert_eq!(v["error"]["exit_code"], 3, "{v}");
}

#[test]
fn e2e_fetch_with_a_scope_the_client_may_not_have_is_invalid_scope() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_BASIC;
    fails(
        env.cmd()
            .args(["fetch", "--token-url", &idp.token_url(), "--client-id", id])
            .args(["--scope", "api:admin"])
            .env("OAUTHCTL_CLIENT_SECRET", secret)
            .assert(),
        3,
        &["invalid_scope"],
    );
}

#[test]
fn e2e_fetch_with_an_unknown_resource_is_invalid_target() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_BASIC;
    fails(
        env.cmd()
            .args(["fetch", "--token-url", &idp.token_url(), "--client-id", id])
            .args(["--resource", "urn:api:unknown"])
            .env("OAUTHCTL_CLIENT_SECRET", secret)
            .assert(),
        3,
        &["invalid_target"],
    );
}

#[test]
fn e2e_fetch_finds_the_token_endpoint_by_issuer_discovery() {
    let idp = idp();
    let env = Env::new();
    let (id, secret) = CC_BASIC;
    env.write_config(&format!(
        "[profiles.d]\nissuer = \"{}\"\nclient_id = \"{id}\"\nclient_secret_env = \"D_SECRET\"\n",
        idp.issuer
    ));
    let assert = env
        .cmd()
        .args(["-p", "d", "fetch"])
        .env("D_SECRET", secret)
        .assert()
        .success();
    let token = bare_token(&assert);
    assert_eq!(idp.token_info(&token)["clientId"], id);
}

// ---------------------------------------------------------------- exchange-code

fn web_config(env: &Env, idp: &Idp) {
    env.write_config(&format!(
        "[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"{}\"\nclient_secret_env = \"WEB_SECRET\"\n\
         redirect_uri = \"{WEB_REDIRECT}\"\n",
        idp.token_url(),
        WEB.0
    ));
}

#[test]
fn e2e_exchange_code_web_client_returns_refresh_and_id_tokens() {
    let idp = idp();
    let env = Env::new();
    web_config(&env, idp);
    let code = idp.authorize(WEB.0, WEB_REDIRECT, "openid offline_access api:read", None);
    let assert = env
        .cmd()
        .args(["-p", "web", "-o", "json", "exchange-code", "-"])
        .env("WEB_SECRET", WEB.1)
        .write_stdin(format!("{code}\n"))
        .assert()
        .success();
    assert_eq!(stderr_of(&assert), "");
    let v = json_out(&assert);
    assert_eq!(v["token_type"], "Bearer", "{v}");
    assert_eq!(v["scope"], "openid offline_access api:read", "{v}");
    assert_eq!(v["cached"], false, "{v}");

    let at = idp.token_info(v["access_token"].as_str().expect("access_token"));
    assert_eq!(at["kind"], "AccessToken");
    assert_eq!(
        (&at["clientId"], &at["accountId"]),
        (&Value::from(WEB.0), &Value::from(ACCOUNT))
    );

    let refresh = v["refresh_token"].as_str();
    let refresh = refresh.unwrap_or_else(|| panic!("no refresh_token in -o json: {v}"));
    let rt = idp.token_info(refresh);
    assert_eq!(rt["kind"], "RefreshToken");
    assert_eq!(
        (&rt["clientId"], &rt["accountId"]),
        (&Value::from(WEB.0), &Value::from(ACCOUNT))
    );

    let id_token = v["id_token"].as_str();
    let id_token = id_token.unwrap_or_else(|| panic!("scope has openid but no id_token: {v}"));
    let claims = &inspect(&env, id_token)["claims"];
    assert_eq!(claims["iss"], idp.issuer.as_str());
    assert_eq!(claims["aud"], WEB.0);
    assert_eq!(claims["sub"], ACCOUNT);
    assert_eq!(idp.token_info(id_token)["payload"], *claims);
}

#[test]
fn e2e_exchange_code_reused_code_is_invalid_grant() {
    let idp = idp();
    let env = Env::new();
    web_config(&env, idp);
    let code = idp.authorize(WEB.0, WEB_REDIRECT, "openid api:read", None);
    let exchange = || {
        let mut cmd = env.cmd();
        cmd.args(["-p", "web", "exchange-code", "-"])
            .env("WEB_SECRET", WEB.1)
            .write_stdin(format!("{code}\n"));
        cmd
    };
    let token = bare_token(&exchange().assert().success());
    assert_eq!(idp.token_info(&token)["kind"], "AccessToken");
    let stderr = fails(exchange().assert(), 3, &["invalid_grant"]);
    assert!(!stderr.contains(&code), "the code leaked: {stderr}");
}

fn public_exchange(
    env: &Env,
    idp: &Idp,
    code: &str,
    verifier: Option<&str>,
) -> assert_cmd::assert::Assert {
    let mut cmd = env.cmd();
    cmd.args(["exchange-code", "-", "--auth-method", "none"])
        .args(["--redirect-uri", PUBLIC_REDIRECT])
        .env("OAUTHCTL_TOKEN_URL", idp.token_url())
        .env("OAUTHCTL_CLIENT_ID", PUBLIC_APP)
        .write_stdin(format!("{code}\n"));
    if let Some(verifier) = verifier {
        cmd.env("OAUTHCTL_CODE_VERIFIER", verifier);
    }
    cmd.assert()
}

#[test]
fn e2e_exchange_code_public_client_with_pkce() {
    let idp = idp();
    let env = Env::new();
    let verifier = random_urlsafe(48);
    assert_eq!(verifier.len(), 64);
    let challenge = s256(&verifier);

    // The server really requires PKCE from this client, so the verifier below is checked.
    let (status, body) = idp.try_authorize(PUBLIC_APP, PUBLIC_REDIRECT, "openid api:read", None);
    assert_eq!(
        (status, &body["error"]),
        (400, &Value::from("invalid_request")),
        "{body}"
    );

    let code = idp.authorize(
        PUBLIC_APP,
        PUBLIC_REDIRECT,
        "openid api:read",
        Some(&challenge),
    );
    let token = bare_token(&public_exchange(&env, idp, &code, Some(&verifier)).success());
    let info = idp.token_info(&token);
    assert_eq!(info["kind"], "AccessToken");
    assert_eq!(
        (&info["clientId"], &info["accountId"]),
        (&Value::from(PUBLIC_APP), &Value::from(ACCOUNT))
    );

    fails(
        public_exchange(&env, idp, &code, Some(&verifier)),
        3,
        &["invalid_grant"],
    );
}

#[test]
fn e2e_exchange_code_with_a_wrong_pkce_verifier_is_refused() {
    let idp = idp();
    let env = Env::new();
    let verifier = random_urlsafe(32);
    let challenge = s256(&verifier);

    let code = idp.authorize(PUBLIC_APP, PUBLIC_REDIRECT, "openid", Some(&challenge));
    let wrong = random_urlsafe(32);
    assert_ne!(wrong, verifier);
    fails(
        public_exchange(&env, idp, &code, Some(&wrong)),
        3,
        &["invalid_grant"],
    );

    let code = idp.authorize(PUBLIC_APP, PUBLIC_REDIRECT, "openid", Some(&challenge));
    fails(
        public_exchange(&env, idp, &code, None),
        3,
        &["invalid_grant"],
    );
}
