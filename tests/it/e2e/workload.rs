//! Workload identity's test infrastructure, checked without oauthctl: the loopback CI platform
//! (support/ci_platform.rs) mints identity tokens and serves GitHub's request endpoint, and the
//! e2e server exchanges them by token exchange (RFC 8693), the jwt-bearer grant (RFC 7523 §2.1)
//! and as a federated client_assertion, refusing expired, wrongly addressed and foreign ones with
//! `invalid_grant` (or `invalid_client`) in its own words. When these fail, the fault is in the
//! harness or the server, not in oauthctl.
//!
//! Run only these: `cargo test --test it e2e::workload`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

use crate::support::ci_platform::{
    E2E_AUDIENCE, FEDERATED_AUDIENCE, GITHUB_DEFAULT_AUDIENCE, GITHUB_SUBJECT, KID,
    REQUEST_TOKEN_VAR, REQUEST_URL_VAR, ci_platform,
};
use crate::support::idp::idp;
use crate::support::keys::SERVICE_ACCOUNT_EMAIL;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// POSTs a form to the e2e server's token endpoint: the status and the JSON answer.
fn post_token(form: &[(&str, &str)]) -> (u16, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut response = agent()
        .post(idp().token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body)
        .unwrap_or_else(|e| panic!("POST /token: {e}\n{}", idp().log()));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("token answer");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    (status, json)
}

/// GET with an optional bearer token: the status and the body.
fn get(url: &str, bearer: Option<&str>) -> (u16, String) {
    let mut request = agent().get(url);
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().expect("body"))
}

fn part(jwt: &str, index: usize) -> Value {
    let segment = jwt.split('.').nth(index).expect("JWT segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An RS256 JWT signed with the e2e RSA key (support/keys.rs) under `kid`.
fn sign_with_e2e_rsa(kid: &str, claims: &Value) -> String {
    let text = std::fs::read_to_string(&idp().keys().rsa).expect("read the RSA key");
    let key = RsaKeyPair::from_pkcs8(pem::parse(text).expect("PEM").contents()).expect("RSA");
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn assert_refused(answer: &(u16, Value), status: u16, error: &str, words: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(words), "{words:?} not in {body}");
}

#[test]
fn e2e_workload_ci_platform_publishes_its_keys_and_signs_what_they_verify() {
    let ci = ci_platform();
    let discovery = format!("{}/.well-known/openid-configuration", ci.issuer());
    let (status, body) = get(&discovery, None);
    assert_eq!(status, 200, "{body}");
    let discovery: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(discovery["issuer"], ci.issuer());
    assert_eq!(discovery["jwks_uri"], ci.jwks_uri());

    let (status, body) = get(&ci.jwks_uri(), None);
    assert_eq!(status, 200, "{body}");
    let jwks: Value = serde_json::from_str(&body).unwrap();
    let jwk = &jwks["keys"][0];
    assert_eq!((&jwk["kid"], &jwk["kty"]), (&json!(KID), &json!("RSA")));
    let component = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    let public = ring::signature::RsaPublicKeyComponents {
        n: component("n"),
        e: component("e"),
    };

    let token = ci.mint("system:serviceaccount:ci:builder", E2E_AUDIENCE, 120);
    let claims = part(&token, 1);
    assert_eq!(claims["iss"], ci.issuer());
    assert_eq!(claims["sub"], "system:serviceaccount:ci:builder");
    assert_eq!(claims["aud"], E2E_AUDIENCE);
    let exp = claims["exp"].as_u64().unwrap();
    assert!(exp.abs_diff(now() + 120) <= 5, "{claims}");
    assert!(
        claims["jti"].is_string() && claims["iat"].is_u64(),
        "{claims}"
    );
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let verify = |input: &str, signature: &[u8]| {
        public.verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), signature)
    };
    verify(input, &signature).expect("the platform's token verifies with its JWKS");

    let expired = part(&ci.mint("x", "y", -60), 1);
    assert!(expired["exp"].as_u64().unwrap() < now() - 30, "{expired}");
    let foreign = ci.mint_foreign("x", "y", 60);
    let (input, signature) = foreign.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert!(
        verify(input, &signature).is_err(),
        "a foreign token verifies"
    );
    assert_eq!(part(&foreign, 0)["kid"], KID);

    let extra = ci.mint_claims("x", "y", 60, json!({"repository": "o/r", "jti": null}));
    let extra = part(&extra, 1);
    assert_eq!(extra["repository"], "o/r");
    assert!(extra.get("jti").is_none(), "{extra}");
}

#[test]
fn e2e_workload_github_endpoint_answers_only_with_the_job_request_token() {
    let ci = ci_platform();
    let job = ci.github_job();
    let env = job.env();
    assert_eq!(env[0], (REQUEST_URL_VAR, ci.request_url()));
    assert_eq!(env[1], (REQUEST_TOKEN_VAR, job.request_token().to_owned()));
    assert!(job.request_url().ends_with("/github/token?api-version=2.0"));
    let url = format!("{}&audience={E2E_AUDIENCE}", job.request_url());

    assert_eq!(get(&url, None).0, 401);
    assert_eq!(get(&url, Some("not-the-request-token")).0, 401);
    let other = ci.github_job();
    let (status, body) = get(&url, Some(job.request_token()));
    assert_eq!(status, 200, "{body}");
    let value = serde_json::from_str::<Value>(&body).unwrap()["value"]
        .as_str()
        .expect("value")
        .to_owned();
    let claims = part(&value, 1);
    assert_eq!(claims["iss"], ci.issuer());
    assert_eq!(claims["sub"], GITHUB_SUBJECT);
    assert_eq!(claims["aud"], E2E_AUDIENCE);
    assert_eq!(claims["repository"], "octo-org/octo-repo");
    assert_eq!(claims["ref"], "refs/heads/main");

    // Without `audience`, GitHub's default.
    let (status, body) = get(&job.request_url(), Some(job.request_token()));
    assert_eq!(status, 200, "{body}");
    let value: Value = serde_json::from_str(&body).unwrap();
    let aud = &part(value["value"].as_str().unwrap(), 1)["aud"];
    assert_eq!(aud, GITHUB_DEFAULT_AUDIENCE);

    // Failures on demand, in the order armed, then tokens again.
    job.fail_next(503, 1);
    job.forbid_next(1);
    job.delay_next(Duration::from_millis(400), 1);
    assert_eq!(get(&url, Some(job.request_token())).0, 503);
    let (status, body) = get(&url, Some(job.request_token()));
    assert_eq!(status, 403);
    assert!(body.contains("id-token: write"), "{body}");
    let started = Instant::now();
    assert_eq!(get(&url, Some(job.request_token())).0, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(get(&url, Some(job.request_token())).0, 200);

    let requests = job.requests();
    assert_eq!(requests.len(), 6, "{requests:?}");
    assert_eq!(
        requests[0].query_pairs()[1],
        ("audience".into(), E2E_AUDIENCE.into())
    );
    assert!(other.requests().is_empty());
    // The token from GitHub is one the e2e server exchanges.
    let token = job_token(&url, job.request_token());
    let (status, body) = post_token(&[
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", &token),
        ("subject_token_type", JWT_TYPE),
    ]);
    assert_eq!(status, 200, "{body}");
}

fn job_token(url: &str, request_token: &str) -> String {
    let (status, body) = get(url, Some(request_token));
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    body["value"].as_str().unwrap().to_owned()
}

#[test]
fn e2e_workload_token_exchange_gives_a_token_for_the_identity() {
    let ci = ci_platform();
    let subject = "system:serviceaccount:ci:builder";
    let identity = ci.mint(subject, E2E_AUDIENCE, 120);

    // No client authentication and no client_id, as Google's STS takes it: client wi-sts.
    let (status, body) = post_token(&[
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", &identity),
        ("subject_token_type", JWT_TYPE),
        ("scope", "api:read"),
        (
            "audience",
            "//iam.googleapis.com/projects/1/pools/p/providers/ci",
        ),
    ]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], ACCESS_TOKEN_TYPE);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "api:read");
    let info = idp().token_info(body["access_token"].as_str().unwrap());
    assert_eq!(info["kind"], "AccessToken", "{info}");
    assert_eq!(info["accountId"], subject, "{info}");
    assert_eq!(info["clientId"], "wi-sts", "{info}");

    // A JWT for a resource, with the identity's sub and the identity token's claims.
    let client = idp().clone_client("wi-sts");
    let (status, body) = post_token(&[
        ("grant_type", TOKEN_EXCHANGE),
        ("client_id", &client),
        ("subject_token", &identity),
        ("subject_token_type", JWT_TYPE),
        ("requested_token_type", JWT_TYPE),
        ("resource", "urn:api:rs256"),
    ]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], JWT_TYPE);
    let info = idp().token_info(body["access_token"].as_str().unwrap());
    let payload = &info["payload"];
    assert_eq!(payload["sub"], subject, "{info}");
    assert_eq!(payload["aud"], "urn:api:rs256", "{info}");
    assert_eq!(payload["client_id"], client, "{info}");
    assert_eq!(payload["identity"]["iss"], ci.issuer(), "{info}");

    // What the client sent, for oauthctl's tests to check.
    let records = idp().client_auth(&client);
    let grant = &records[0]["grant"];
    assert_eq!(grant["grant_type"], TOKEN_EXCHANGE, "{records:?}");
    assert_eq!(grant["requested_token_type"], JWT_TYPE, "{records:?}");
    assert_eq!(grant["resource"], json!(["urn:api:rs256"]), "{records:?}");
    assert_eq!(
        grant["subject_token"]["payload"]["sub"], subject,
        "{records:?}"
    );
}

#[test]
fn e2e_workload_token_exchange_refuses_expired_misaddressed_and_foreign_tokens() {
    let ci = ci_platform();
    let exchange = |token: &str| {
        post_token(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", token),
            ("subject_token_type", JWT_TYPE),
        ])
    };
    let expired = ci.mint("job", E2E_AUDIENCE, -60);
    assert_refused(&exchange(&expired), 400, "invalid_grant", "expired");
    let misaddressed = ci.mint("job", "someone-else", 60);
    assert_refused(
        &exchange(&misaddressed),
        400,
        "invalid_grant",
        "wrong audience",
    );
    let foreign = ci.mint_foreign("job", E2E_AUDIENCE, 60);
    assert_refused(&exchange(&foreign), 400, "invalid_grant", "bad signature");
    let (status, body) = post_token(&[
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", &ci.mint("job", E2E_AUDIENCE, 60)),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:saml2",
        ),
    ]);
    assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
}

#[test]
fn e2e_workload_jwt_bearer_takes_identity_tokens_and_self_signed_assertions() {
    let ci = ci_platform();
    let bearer = |assertion: &str, extra: &[(&str, &str)]| {
        let mut form = vec![("grant_type", JWT_BEARER), ("assertion", assertion)];
        form.extend_from_slice(extra);
        post_token(&form)
    };

    // The CI platform's token, no client authentication: client wi-jwt-bearer.
    let identity = ci.mint("gitlab:project_path:group/app", E2E_AUDIENCE, 60);
    let (status, body) = bearer(&identity, &[("scope", "api:write")]);
    assert_eq!(status, 200, "{body}");
    assert!(body.get("issued_token_type").is_none(), "{body}");
    let info = idp().token_info(body["access_token"].as_str().unwrap());
    assert_eq!(info["accountId"], "gitlab:project_path:group/app", "{info}");
    assert_eq!(info["clientId"], "wi-jwt-bearer", "{info}");

    assert_refused(
        &bearer(&ci.mint("j", E2E_AUDIENCE, -60), &[]),
        400,
        "invalid_grant",
        "expired",
    );
    assert_refused(
        &bearer(&ci.mint("j", "other", 60), &[]),
        400,
        "invalid_grant",
        "wrong audience",
    );
    assert_refused(
        &bearer(&ci.mint_foreign("j", E2E_AUDIENCE, 60), &[]),
        400,
        "invalid_grant",
        "bad signature",
    );

    // Self-signed by the e2e RSA key: jwtb-rs256 (no client authentication, client_id sent).
    let keys = idp().keys();
    let now = now();
    let claims = |iss: &str, aud: String| {
        json!({"iss": iss, "sub": iss, "aud": aud, "iat": now, "exp": now + 60,
               "jti": format!("{iss}-{now}"), "scope": "api:read"})
    };
    let assertion = sign_with_e2e_rsa(
        &keys.rsa_thumbprint,
        &claims("jwtb-rs256", idp().token_url()),
    );
    let (status, body) = bearer(&assertion, &[("client_id", "jwtb-rs256")]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "api:read", "{body}");
    let info = idp().token_info(body["access_token"].as_str().unwrap());
    assert_eq!(info["accountId"], "jwtb-rs256", "{info}");
    // The audience may also be the issuer; another audience is refused.
    let to_issuer = sign_with_e2e_rsa(
        &keys.rsa_thumbprint,
        &claims("jwtb-rs256", idp().issuer.clone()),
    );
    assert_eq!(bearer(&to_issuer, &[("client_id", "jwtb-rs256")]).0, 200);
    let elsewhere = sign_with_e2e_rsa(&keys.rsa_thumbprint, &claims("jwtb-rs256", "x".into()));
    assert_refused(
        &bearer(&elsewhere, &[("client_id", "jwtb-rs256")]),
        400,
        "invalid_grant",
        "wrong audience",
    );

    // A Google service account: the assertion signed by its key (kid private_key_id), the
    // client authenticated by private_key_jwt with the same key.
    let sa = SERVICE_ACCOUNT_EMAIL;
    let kid = &keys.service_account_key_id;
    let assertion = sign_with_e2e_rsa(kid, &claims(sa, idp().token_url()));
    let client_assertion = sign_with_e2e_rsa(
        kid,
        &json!({"iss": sa, "sub": sa, "aud": idp().token_url(), "iat": now, "exp": now + 60,
                "jti": format!("client-{now}-{}", std::process::id())}),
    );
    let (status, body) = bearer(
        &assertion,
        &[
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", &client_assertion),
        ],
    );
    assert_eq!(status, 200, "{body}");
    let info = idp().token_info(body["access_token"].as_str().unwrap());
    assert_eq!(
        (&info["accountId"], &info["clientId"]),
        (&json!(sa), &json!(sa)),
        "{info}"
    );
}

#[test]
fn e2e_workload_federated_client_assertion_is_checked_like_entra() {
    let ci = ci_platform();
    let client = idp().clone_client("wi-federated");
    let request = |assertion: &str| {
        post_token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", assertion),
            ("resource", "urn:api:rs256"),
            ("scope", "api:read"),
        ])
    };
    let token = ci.mint(GITHUB_SUBJECT, FEDERATED_AUDIENCE, 60);
    let (status, body) = request(&token);
    assert_eq!(status, 200, "{body}");
    let info = idp().token_info(body["access_token"].as_str().unwrap());
    assert_eq!(info["payload"]["client_id"], client, "{info}");
    assert_eq!(info["payload"]["scope"], "api:read", "{info}");
    // The same identity token again: platform tokens are reused within their lifetime.
    assert_eq!(request(&token).0, 200);

    let wrong_subject = ci.mint(
        "repo:octo-org/octo-repo:pull_request",
        FEDERATED_AUDIENCE,
        60,
    );
    assert_refused(&request(&wrong_subject), 401, "invalid_client", "subject");
    let wrong_audience = ci.mint(GITHUB_SUBJECT, E2E_AUDIENCE, 60);
    assert_refused(
        &request(&wrong_audience),
        401,
        "invalid_client",
        "wrong audience",
    );
    let expired = ci.mint(GITHUB_SUBJECT, FEDERATED_AUDIENCE, -60);
    assert_refused(&request(&expired), 401, "invalid_client", "expired");
    let foreign = ci.mint_foreign(GITHUB_SUBJECT, FEDERATED_AUDIENCE, 60);
    assert_refused(&request(&foreign), 401, "invalid_client", "bad signature");

    let records = idp().client_assertions(&client);
    assert_eq!(records.len(), 6, "{records:?}");
    assert_eq!(records[0]["payload"]["sub"], GITHUB_SUBJECT, "{records:?}");
    assert_eq!(records[0]["federated"], true, "{records:?}");
    assert_eq!(records[2]["status"], 401, "{records:?}");
}
