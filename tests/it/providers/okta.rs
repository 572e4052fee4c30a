//! Okta: client_credentials for a service app that authenticates with `private_key_jwt`. The
//! assertion's `aud` is the full URL of the token endpoint invoked, its `kid` names a registered
//! key, its `jti` is single-use; a scope is required.

use std::sync::Mutex;

use assert_cmd::Command;
use serde_json::Value;

use super::*;
use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const OKTA_ID: &str = "0oa-your-service-app-id";

/// The example's key file, next to the config.
const OKTA_KEY: &str = "okta.key.pem";

const OKTA_PATH: &str = "/oauth2/default/v1/token";

/// The authorization server's custom scopes.
const OKTA_SCOPES: [&str; 2] = ["api:read", "api:write"];

/// The documented client_credentials response: `token_type`, `expires_in`, `access_token`,
/// `scope`, in that order.
fn okta_ok() -> String {
    let token = jwt(&json!({
        "ver": 1, "jti": "AT.okta-stub", "iss": "https://your-org.okta.com/oauth2/default",
        "aud": "api://default", "iat": 1_700_000_000, "exp": 1_700_003_600,
        "cid": OKTA_ID, "scp": ["api:read"], "sub": OKTA_ID,
    }));
    format!(
        "{{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"{token}\",\"scope\":\"api:read\"}}"
    )
}

/// Okta's token endpoint: `POST {authorizationServer}/v1/token`, a form with `grant_type`,
/// `scope`, `client_assertion_type`, `client_assertion` and optionally `client_id`. The
/// assertion must be signed by the key registered under its `kid` (RS256/384/512,
/// ES256/384/512), `iss` = `sub` = client_id, `aud` the endpoint invoked, a `jti` not seen before.
/// Errors are `{"error", "error_description"}`.
fn okta_stub(public: PublicKey) -> StubServer {
    let seen = Mutex::new(Vec::new());
    let kid = thumbprint(&public);
    StubServer::start(move |r: &Recorded| {
        let wrong_route = r.method != "POST" || r.path != OKTA_PATH || r.query.is_some();
        let form = form_of(r).filter(|_| r.header("content-type") == Some(FORM));
        let (true, Some(form)) = (!wrong_route, form) else {
            return okta_error(400, "invalid_request", "The request is malformed.");
        };
        let field = |k: &str| field(&form, k);
        if r.header_count("authorization") != 0 || field("client_secret").is_some() {
            let description = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.";
            return okta_error(400, "invalid_request", description);
        }
        let allowed = [
            "grant_type",
            "scope",
            "client_id",
            "client_assertion_type",
            "client_assertion",
        ];
        let mut keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() != form.len() || keys.iter().any(|k| !allowed.contains(k)) {
            return okta_error(400, "invalid_request", "The request is malformed.");
        }
        match field("grant_type") {
            Some("client_credentials") => {}
            Some(_) => {
                let description =
                    "The authorization grant type is not supported by the authorization server.";
                return okta_error(400, "unsupported_grant_type", description);
            }
            None => return okta_error(400, "invalid_request", "The request is malformed."),
        }
        if field("client_assertion_type") != Some(JWT_BEARER)
            || field("client_id").is_some_and(|id| id != OKTA_ID)
        {
            return okta_error(401, "invalid_client", "Client authentication failed.");
        }
        let Some(assertion) = field("client_assertion") else {
            return okta_error(401, "invalid_client", "Client authentication failed.");
        };
        let audience = format!("http://{}{}", r.header("host").unwrap_or(""), r.path);
        let rules = AssertionRules {
            client_id: OKTA_ID,
            audience: &audience,
            algs: &["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"],
            public: &public,
            kid: Some(&kid),
            x5t: None,
            seen: &seen,
        };
        if let Err(why) = checked_assertion(assertion, &rules) {
            return okta_error(401, "invalid_client", why);
        }
        let Some(scope) = field("scope") else {
            let description = "The authorization server resource does not have any configured default scopes, 'scope' must be provided.";
            return okta_error(400, "invalid_scope", description);
        };
        if scope.split(' ').any(|s| !OKTA_SCOPES.contains(&s)) {
            let description =
                "One or more scopes are not configured for the authorization server resource.";
            return okta_error(400, "invalid_scope", description);
        }
        Reply::json(200, &okta_ok())
    })
}

fn okta_error(status: u16, error: &str, description: &str) -> Reply {
    let body = json!({ "error": error, "error_description": description });
    Reply::json(status, &body.to_string())
}

// =============================================================================================
// 005: Okta (client_credentials, private_key_jwt).

fn okta(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.args(["-p", "okta", "fetch"]);
    cmd.args(extra);
    cmd
}

/// The documented request, with oauthctl's field order: grant parameters, then the client's
/// authentication. Returns the assertion.
fn assert_okta_request(r: &Recorded, scope: &str) -> Jws {
    assert_eq!(r.target, OKTA_PATH);
    let jws = assert_assertion_request(r, OKTA_ID);
    let assertion = r.form_value("client_assertion").expect("an assertion");
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        ("client_id", OKTA_ID),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &assertion),
    ];
    assert_eq!(r.form(), pairs(&form));
    jws
}

#[test]
fn okta_token_in_every_output_format() {
    let env = Env::new();
    let key = p256_key(&env, OKTA_KEY);
    let stub = okta_stub(key.public.clone());
    use_example(&env, OKTA_URL, 1, &stub.url(OKTA_PATH));
    let expected: Value = serde_json::from_str(&okta_ok()).expect("documented JSON");

    assert_every_format(&expected, |format| {
        okta(&env, &["--no-cache", "-o", format]).assert()
    });

    let jtis: Vec<Value> = requests(&stub, 5)
        .iter()
        .map(|r| assert_okta_request(r, "api:read").claims["jti"].clone())
        .collect();
    for (i, jti) in jtis.iter().enumerate() {
        assert!(
            !jtis[..i].contains(jti),
            "a new jti for every request: {jtis:?}"
        );
    }
}

/// The assertion itself: ES256 from the P-256 key, the key's RFC 7638 thumbprint as `kid`, the
/// token endpoint as `aud`; its signature verifies with the public key openssl gave.
#[test]
fn okta_assertion_is_es256_signed_for_the_token_endpoint() {
    let env = Env::new();
    let key = p256_key(&env, OKTA_KEY);
    let stub = okta_stub(key.public.clone());
    let url = stub.url(OKTA_PATH);
    use_example(&env, OKTA_URL, 1, &url);

    let stdout = succeeded(okta(&env, &["--scope", "api:read api:write"]).assert());
    let expected: Value = serde_json::from_str(&okta_ok()).expect("JSON");
    assert_eq!(
        stdout,
        format!("{}\n", expected["access_token"].as_str().unwrap())
    );

    let r = &requests(&stub, 1)[0];
    let jws = assert_okta_request(r, "api:read api:write");
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": thumbprint(&key.public) });
    assert_eq!(jws.header, header);
    assert_assertion_claims(&jws, OKTA_ID, &url);
    assert!(signature_verifies(
        &key.public,
        "ES256",
        &jws.input,
        &jws.signature
    ));
}

/// The example allows an RSA key too: RS256, and the RSA key's thumbprint as `kid`.
#[test]
fn okta_rsa_key_signs_rs256() {
    let env = Env::new();
    let key = rsa_key(&env, OKTA_KEY);
    let stub = okta_stub(key.public.clone());
    use_example(&env, OKTA_URL, 1, &stub.url(OKTA_PATH));

    succeeded(okta(&env, &[]).assert());

    let jws = assert_okta_request(&requests(&stub, 1)[0], "api:read");
    assert_eq!(jws.header["alg"], "RS256");
    assert_eq!(jws.header["kid"], thumbprint(&key.public));
    assert!(signature_verifies(
        &key.public,
        "RS256",
        &jws.input,
        &jws.signature
    ));
}

/// Strictness, the signature: a key Okta does not have for this client is invalid_client.
#[test]
fn okta_assertion_signed_by_another_key_is_invalid_client() {
    let env = Env::new();
    let registered = p256_key(&env, "registered.key.pem");
    p256_key(&env, OKTA_KEY);
    let registered_kid = thumbprint(&registered.public);
    let stub = okta_stub(registered.public);
    use_example(&env, OKTA_URL, 1, &stub.url(OKTA_PATH));

    let expected = JsonError {
        kind: "refused",
        code: Some("invalid_client"),
        description: Some("no key is registered under the client_assertion kid"),
        status: 401,
        exit_code: 3,
        words: &["(HTTP 401)", "invalid_client"],
    };
    fails_both_ways(|| okta(&env, &[]), &expected);

    // Under the registered key's kid, the signature itself is what fails.
    let mut cmd = okta(&env, &[]);
    cmd.env("OAUTHCTL_KEY_ID", &registered_kid);
    let line = failed(cmd.assert(), 3, &["invalid_client"]);
    assert!(line.contains("signature is invalid"), "{line}");
    requests(&stub, 3);
}

/// oauthctl refuses a key file others can read (exit 78) before anything is sent.
#[test]
fn okta_key_file_readable_by_others_is_refused_before_any_request() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = Env::new();
    let key = p256_key(&env, OKTA_KEY);
    std::fs::set_permissions(&key.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stub = okta_stub(key.public.clone());
    use_example(&env, OKTA_URL, 1, &stub.url(OKTA_PATH));

    failed(
        okta(&env, &[]).assert(),
        78,
        &["private_key_file", OKTA_KEY],
    );
    requests(&stub, 0);
}

/// Strictness, scope: one the authorization server does not have is invalid_scope.
#[test]
fn okta_unknown_scope_is_invalid_scope() {
    let env = Env::new();
    let key = p256_key(&env, OKTA_KEY);
    let stub = okta_stub(key.public.clone());
    use_example(&env, OKTA_URL, 1, &stub.url(OKTA_PATH));

    let line = failed(
        okta(&env, &["--scope", "api:admin"]).assert(),
        3,
        &["(HTTP 400)", "invalid_scope"],
    );
    assert!(line.contains("not configured"), "{line}");
    assert_okta_request(&requests(&stub, 1)[0], "api:admin");
}
