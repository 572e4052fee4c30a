//! Auth0: client_credentials with `private_key_jwt`. The assertion's `aud` is the tenant's issuer
//! with its trailing slash (not the token endpoint), it is signed RS256, RS384 or PS256 with a
//! registered RSA key, and the API is named by `audience`.

use std::sync::Mutex;

use assert_cmd::Command;
use serde_json::Value;

use super::*;
use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const AUTH0_ID: &str = "your-auth0-client-id";

const AUTH0_KEY: &str = "auth0.key.pem";

const AUTH0_PATH: &str = "/oauth/token";

/// The tenant's issuer: what the assertion's `aud` must be, exactly.
const AUTH0_ISSUER: &str = "https://YOUR_TENANT.auth0.com/";

/// The API's identifier, the example's `audience`.
const AUTH0_API: &str = "https://api.example.com";

/// The documented client_credentials response.
fn auth0_ok() -> String {
    let token = jwt(&json!({
        "iss": AUTH0_ISSUER, "sub": format!("{AUTH0_ID}@clients"), "aud": AUTH0_API,
        "iat": 1_700_000_000, "exp": 1_700_086_400, "gty": "client-credentials", "azp": AUTH0_ID,
    }));
    format!("{{\"access_token\":\"{token}\",\"token_type\":\"Bearer\",\"expires_in\":86400}}")
}

/// Auth0's `POST /oauth/token`: a form with `grant_type`, `client_assertion_type`,
/// `client_assertion`, `audience` and optionally `client_id` and `scope`. Errors are `{"error",
/// "error_description"}`: invalid_client for the assertion, access_denied (403) for the API.
fn auth0_stub(public: PublicKey) -> StubServer {
    let seen = Mutex::new(Vec::new());
    StubServer::start(move |r: &Recorded| {
        let wrong_route = r.method != "POST" || r.path != AUTH0_PATH || r.query.is_some();
        let form = form_of(r).filter(|_| r.header("content-type") == Some(FORM));
        let (true, Some(form)) = (!wrong_route, form) else {
            return auth0_error(400, "invalid_request", "Invalid request");
        };
        let field = |k: &str| field(&form, k);
        let allowed = [
            "grant_type",
            "audience",
            "scope",
            "client_id",
            "client_assertion_type",
            "client_assertion",
        ];
        let mut keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        let unknown = keys.iter().any(|k| !allowed.contains(k));
        if r.header_count("authorization") != 0 || keys.len() != form.len() || unknown {
            let description = "Only one client authentication method may be used";
            return auth0_error(400, "invalid_request", description);
        }
        if field("grant_type") != Some("client_credentials") {
            let description = "Grant type not allowed for the client.";
            return auth0_error(403, "unauthorized_client", description);
        }
        let other_client = field("client_id").is_some_and(|id| id != AUTH0_ID);
        if other_client || field("client_assertion_type") != Some(JWT_BEARER) {
            return auth0_error(401, "access_denied", "Unauthorized");
        }
        let rules = AssertionRules {
            client_id: AUTH0_ID,
            audience: AUTH0_ISSUER,
            algs: &["RS256", "RS384", "PS256"],
            public: &public,
            kid: None,
            x5t: None,
            seen: &seen,
        };
        let assertion = field("client_assertion").unwrap_or("");
        if let Err(why) = checked_assertion(assertion, &rules) {
            return auth0_error(401, "invalid_client", why);
        }
        match field("audience") {
            Some(AUTH0_API) => Reply::json(200, &auth0_ok()),
            Some(other) => {
                auth0_error(403, "access_denied", &format!("Service not found: {other}"))
            }
            None => {
                let description = "No audience parameter was provided, and no default audience has been configured";
                auth0_error(403, "access_denied", description)
            }
        }
    })
}

fn auth0_error(status: u16, error: &str, description: &str) -> Reply {
    let body = json!({ "error": error, "error_description": description });
    Reply::json(status, &body.to_string())
}

// =============================================================================================
// 007: Auth0 (client_credentials, private_key_jwt, the issuer as the assertion's aud).

fn auth0(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.args(["-p", "auth0", "fetch"]);
    cmd.args(extra);
    cmd
}

/// The documented request, in oauthctl's field order. Returns the assertion.
fn assert_auth0_request(r: &Recorded, audience: &str) -> Jws {
    assert_eq!(r.target, AUTH0_PATH);
    let jws = assert_assertion_request(r, AUTH0_ID);
    let assertion = r.form_value("client_assertion").expect("an assertion");
    let form = [
        ("grant_type", "client_credentials"),
        ("audience", audience),
        ("client_id", AUTH0_ID),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &assertion),
    ];
    assert_eq!(r.form(), pairs(&form));
    jws
}

#[test]
fn auth0_token_in_every_output_format() {
    let env = Env::new();
    let key = rsa_key(&env, AUTH0_KEY);
    let stub = auth0_stub(key.public.clone());
    use_example(&env, AUTH0_URL, 1, &stub.url(AUTH0_PATH));
    let expected: Value = serde_json::from_str(&auth0_ok()).expect("documented JSON");

    assert_every_format(&expected, |format| {
        auth0(&env, &["--no-cache", "-o", format]).assert()
    });

    for r in requests(&stub, 5) {
        assert_auth0_request(&r, AUTH0_API);
    }
}

/// `aud` is the issuer with its trailing slash although the request goes to the token endpoint;
/// RS256 verifies with the RSA key openssl made.
#[test]
fn auth0_assertion_is_for_the_issuer_with_its_trailing_slash() {
    let env = Env::new();
    let key = rsa_key(&env, AUTH0_KEY);
    let stub = auth0_stub(key.public.clone());
    use_example(&env, AUTH0_URL, 1, &stub.url(AUTH0_PATH));

    succeeded(auth0(&env, &[]).assert());

    let jws = assert_auth0_request(&requests(&stub, 1)[0], AUTH0_API);
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": thumbprint(&key.public) });
    assert_eq!(jws.header, header);
    assert_assertion_claims(&jws, AUTH0_ID, AUTH0_ISSUER);
    assert!(signature_verifies(
        &key.public,
        "RS256",
        &jws.input,
        &jws.signature
    ));
}

/// Strictness, `aud`: the token endpoint (oauthctl's default), or the issuer without its slash,
/// is invalid_client.
#[test]
fn auth0_assertion_for_another_audience_is_invalid_client() {
    let env = Env::new();
    let key = rsa_key(&env, AUTH0_KEY);
    let stub = auth0_stub(key.public.clone());
    let url = stub.url(AUTH0_PATH);
    use_example(&env, AUTH0_URL, 1, &url);

    let audiences = ["token_endpoint", "https://YOUR_TENANT.auth0.com"];
    for audience in audiences {
        let mut cmd = auth0(&env, &[]);
        cmd.env("OAUTHCTL_ASSERTION_AUDIENCE", audience);
        let words = ["(HTTP 401)", "invalid_client", "aud is not this server's"];
        failed(cmd.assert(), 3, &words);
    }

    let sent = requests(&stub, 2);
    let auds: Vec<Value> = sent
        .iter()
        .map(|r| assert_auth0_request(r, AUTH0_API).claims["aud"].clone())
        .collect();
    assert_eq!(auds, [json!(url), json!("https://YOUR_TENANT.auth0.com")]);
}

/// Strictness, the algorithm: Auth0 takes RSA keys only, so an ES256 assertion is refused.
#[test]
fn auth0_refuses_an_es256_assertion() {
    let env = Env::new();
    let key = p256_key(&env, AUTH0_KEY);
    let stub = auth0_stub(key.public.clone());
    use_example(&env, AUTH0_URL, 1, &stub.url(AUTH0_PATH));

    let words = ["(HTTP 401)", "invalid_client", "alg is not supported"];
    failed(auth0(&env, &[]).assert(), 3, &words);
    let jws = assert_auth0_request(&requests(&stub, 1)[0], AUTH0_API);
    assert_eq!(jws.header["alg"], "ES256");
}

/// Strictness, the API: an audience Auth0 does not know is access_denied.
#[test]
fn auth0_unknown_api_is_access_denied() {
    let env = Env::new();
    let key = rsa_key(&env, AUTH0_KEY);
    let stub = auth0_stub(key.public.clone());
    use_example(&env, AUTH0_URL, 1, &stub.url(AUTH0_PATH));

    let other = "https://other.example.com";
    let words = ["(HTTP 403)", "access_denied", "Service not found"];
    failed(auth0(&env, &["--audience", other]).assert(), 3, &words);
    assert_auth0_request(&requests(&stub, 1)[0], other);
}
