//! Microsoft Entra ID: client_credentials with a certificate credential. `client_id` is required
//! beside the assertion, the scope is `{resource}/.default`, and the assertion (PS256 as the
//! certificate-credentials page asks, RS256 still accepted) names the uploaded certificate by its
//! `x5t#S256` and `x5t` thumbprints and has the token endpoint as `aud`.

use std::sync::Mutex;

use assert_cmd::Command;
use serde_json::Value;

use super::*;
use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const ENTRA_ID: &str = "your-application-client-id";

const ENTRA_KEY: &str = "entra.key.pem";
const ENTRA_CERT: &str = "entra.crt.pem";

const ENTRA_PATH: &str = "/TENANT_ID/oauth2/v2.0/token";

/// "Successful response example" of the client credentials flow, in its field order.
fn entra_ok() -> String {
    let token = jwt(&json!({
        "aud": "https://graph.microsoft.com", "iss": "https://sts.windows.net/TENANT_ID/",
        "iat": 1_700_000_000, "exp": 1_700_003_599, "appid": ENTRA_ID, "roles": ["User.Read.All"],
    }));
    format!(
        "{{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,\"access_token\":\"{token}\"}}"
    )
}

/// The registered credential: the certificate's public key and its thumbprints.
struct Registered {
    public: PublicKey,
    /// (`x5t`, `x5t#S256`).
    x5t: (String, String),
}

/// Entra's v2.0 token endpoint: a form with `scope`, `client_id`, `client_assertion_type`,
/// `client_assertion`, `grant_type`. Errors carry an AADSTS code in `error_description` and
/// `error_codes`, with `timestamp`, `trace_id`, `correlation_id` and `error_uri`.
fn entra_stub(registered: Registered) -> StubServer {
    let seen = Mutex::new(Vec::new());
    StubServer::start(move |r: &Recorded| {
        let wrong_route = r.method != "POST" || r.path != ENTRA_PATH || r.query.is_some();
        let form = form_of(r).filter(|_| r.header("content-type") == Some(FORM));
        let (true, Some(form)) = (!wrong_route, form) else {
            return entra_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            );
        };
        let field = |k: &str| field(&form, k);
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
        if r.header_count("authorization") != 0
            || keys.len() != form.len()
            || keys.iter().any(|k| !allowed.contains(k))
        {
            return entra_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain only the documented parameters.",
            );
        }
        if field("grant_type") != Some("client_credentials") {
            return entra_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            );
        }
        if field("client_id") != Some(ENTRA_ID) {
            return entra_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            );
        }
        if field("client_assertion_type") != Some(JWT_BEARER) {
            return entra_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided.",
            );
        }
        let audience = format!("http://{}{}", r.header("host").unwrap_or(""), r.path);
        let rules = AssertionRules {
            client_id: ENTRA_ID,
            audience: &audience,
            algs: &["PS256", "RS256"],
            public: &registered.public,
            kid: None,
            x5t: Some((&registered.x5t.0, &registered.x5t.1)),
            seen: &seen,
        };
        let assertion = field("client_assertion").unwrap_or("");
        if let Err(why) = checked_assertion(assertion, &rules) {
            return entra_error(
                401,
                "invalid_client",
                700027,
                &format!("Client assertion failed signature validation: {why}."),
            );
        }
        if field("scope") != Some("https://graph.microsoft.com/.default") {
            return entra_error(
                400,
                "invalid_scope",
                1002012,
                "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            );
        }
        Reply::json(200, &entra_ok())
    })
}

fn entra_error(status: u16, error: &str, code: u32, description: &str) -> Reply {
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333 Correlation ID: aaaa0000-bb11-2222-33cc-444444dddddd Timestamp: 2024-01-01 00:00:00Z"),
        "error_codes": [code],
        "timestamp": "2024-01-01 00:00:00Z",
        "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
        "correlation_id": "aaaa0000-bb11-2222-33cc-444444dddddd",
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    Reply::json(status, &body.to_string())
}

// =============================================================================================
// 006: Microsoft Entra ID (client_credentials, certificate credential).

fn entra(env: &Env, extra: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.args(["-p", "entra", "fetch"]);
    cmd.args(extra);
    cmd
}

/// The example's RSA key and a self-signed certificate of it, next to the config.
fn entra_credential(env: &Env) -> Registered {
    let key = rsa_key(env, ENTRA_KEY);
    let der = certificate(env, &key, ENTRA_CERT, "/CN=oauthctl-entra");
    Registered {
        public: key.public,
        x5t: x5t(&der),
    }
}

/// The documented request, in oauthctl's field order. Returns the assertion.
fn assert_entra_request(r: &Recorded) -> Jws {
    assert_eq!(r.target, ENTRA_PATH);
    let jws = assert_assertion_request(r, ENTRA_ID);
    let assertion = r.form_value("client_assertion").expect("an assertion");
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "https://graph.microsoft.com/.default"),
        ("client_id", ENTRA_ID),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &assertion),
    ];
    assert_eq!(r.form(), pairs(&form));
    jws
}

#[test]
fn entra_token_in_every_output_format() {
    let env = Env::new();
    let stub = entra_stub(entra_credential(&env));
    use_example(&env, ENTRA_URL, 1, &stub.url(ENTRA_PATH));
    let expected: Value = serde_json::from_str(&entra_ok()).expect("documented JSON");

    assert_every_format(&expected, |format| {
        entra(&env, &["--no-cache", "-o", format]).assert()
    });

    for r in requests(&stub, 5) {
        assert_entra_request(&r);
    }
}

/// The header names the certificate: `x5t` = base64url(SHA-1(DER)) and `x5t#S256` =
/// base64url(SHA-256(DER)) of the certificate openssl wrote; PS256 verifies with its key.
#[test]
fn entra_assertion_names_the_certificate_and_is_ps256_signed() {
    let env = Env::new();
    let registered = entra_credential(&env);
    let (sha1, sha256) = registered.x5t.clone();
    let public = registered.public.clone();
    let stub = entra_stub(registered);
    let url = stub.url(ENTRA_PATH);
    use_example(&env, ENTRA_URL, 1, &url);

    succeeded(entra(&env, &[]).assert());

    let jws = assert_entra_request(&requests(&stub, 1)[0]);
    let header = json!({
        "alg": "PS256", "typ": "JWT", "kid": thumbprint(&public),
        "x5t#S256": sha256, "x5t": sha1,
    });
    assert_eq!(jws.header, header);
    assert_eq!(URL_SAFE_NO_PAD.decode(&sha1).map(|d| d.len()), Ok(20));
    assert_assertion_claims(&jws, ENTRA_ID, &url);
    assert!(signature_verifies(
        &public,
        "PS256",
        &jws.input,
        &jws.signature
    ));
}

/// Strictness, the certificate: without client_certificate_file the assertion has no `x5t`, and
/// Entra cannot tell which credential signed it.
#[test]
fn entra_assertion_without_the_certificate_is_invalid_client() {
    let env = Env::new();
    let stub = entra_stub(entra_credential(&env));
    use_example(&env, ENTRA_URL, 1, &stub.url(ENTRA_PATH));
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    let line = "client_certificate_file = \"entra.crt.pem\"";
    assert_eq!(config.matches(line).count(), 1, "{line}");
    env.write_config(&config.replace(line, ""));

    let words = [
        "(HTTP 401)",
        "invalid_client",
        "AADSTS700027",
        "does not name the registered certificate",
    ];
    failed(entra(&env, &[]).assert(), 3, &words);

    let jws = assert_entra_request(&requests(&stub, 1)[0]);
    assert_eq!(jws.header.get("x5t"), None);
    assert_eq!(jws.header.get("x5t#S256"), None);
}

/// A certificate that does not hold the profile's key is exit 78 naming the file, before any
/// request.
#[test]
fn entra_certificate_of_another_key_is_refused_before_any_request() {
    let env = Env::new();
    let other = rsa_key(&env, "other.key.pem");
    let der = certificate(&env, &other, ENTRA_CERT, "/CN=someone-else");
    let key = rsa_key(&env, ENTRA_KEY);
    let stub = entra_stub(Registered {
        public: key.public,
        x5t: x5t(&der),
    });
    use_example(&env, ENTRA_URL, 1, &stub.url(ENTRA_PATH));

    failed(
        entra(&env, &[]).assert(),
        78,
        &["client_certificate_file", ENTRA_CERT],
    );
    requests(&stub, 0);
}
