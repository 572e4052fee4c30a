//! DPoP (RFC 9449) at the e2e server's token endpoint, checked without the oauthctl binary: raw
//! token requests carrying proofs made by the library (`oauthctl::dpop::proof`) with keys it
//! generates, and what the server says it issued (`/test/token-info`) and saw (`/test/dpop`).
//! When these fail, the fault is in the server (tests/e2e/idp/server.mjs) or the harness, not in
//! oauthctl's DPoP support, whose own e2e tests build on what these establish: the server wants
//! its nonce in every proof (§8), binds the tokens of every grant to the proof's key (§5), and
//! holds a code to the `dpop_jkt` of its authorization request (§10).
//!
//! Run only these: `cargo test --test it e2e::dpop_server`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauthctl::dpop::{ProofFor, proof};
use oauthctl::keys::Alg;
use oauthctl::keys::signing::{SigningKey, generate};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::ci_platform::{E2E_AUDIENCE, ci_platform};
use crate::support::idp::idp;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// cc-basic's secret (server.mjs), which its clones share.
const CC_BASIC_SECRET: &str = "cc-basic secret+/=&%:x";
const PUBLIC_REDIRECT: &str = "http://127.0.0.1:8766/callback";
const WEB_SECRET: &str = "web-secret";
const WEB_REDIRECT: &str = "http://127.0.0.1:8765/callback";
/// RFC 7636 §4.1: 43 characters of the unreserved set. Each code is used once, so one verifier
/// serves every authorization request here.
const CODE_VERIFIER: &str = "dpop-server-e2e-code-verifier-0123456789abcdefgh";

/// A DPoP key of the test's own.
struct DpopKey {
    key: SigningKey,
    alg: Alg,
}

impl DpopKey {
    fn new(alg: Alg) -> DpopKey {
        let (key, _pem) = generate(alg).expect("a new DPoP key");
        DpopKey { key, alg }
    }

    /// A new proof (new `jti`, `iat` now) for a POST to `url`.
    fn proof(&self, url: &str, nonce: Option<&str>) -> String {
        let request = ProofFor {
            method: "POST",
            url,
            nonce,
            access_token: None,
        };
        let now = crate::support::common::now() as u64;
        proof(&self.key, self.alg, request, now)
            .expect("a DPoP proof")
            .expose()
            .to_owned()
    }

    /// RFC 7638, what `cnf.jkt` and `dpop_jkt` carry (RFC 9449 §6.1, §10).
    fn thumbprint(&self) -> String {
        self.key.thumbprint()
    }
}

/// A token endpoint's answer: status, `DPoP-Nonce` header, JSON body.
struct Answer {
    status: u16,
    dpop_nonce: Option<String>,
    body: Value,
}

/// POSTs `form` to the token endpoint with Basic credentials (RFC 6749 §2.3.1: each part
/// form-urlencoded first) when given, and one `DPoP` header per proof.
fn post_token(basic: Option<(&str, &str)>, form: &[(&str, &str)], proofs: &[&str]) -> Answer {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut request = agent
        .post(idp().token_url())
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
        request = request.header("authorization", format!("Basic {credentials}"));
    }
    for proof in proofs {
        request = request.header("dpop", *proof);
    }
    let mut response = request
        .send(body)
        .unwrap_or_else(|e| panic!("POST /token: {e}\n{}", idp().log()));
    let status = response.status().as_u16();
    let dpop_nonce = response
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().expect("an ASCII DPoP-Nonce").to_owned());
    let text = response.body_mut().read_to_string().expect("token answer");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    Answer {
        status,
        dpop_nonce,
        body,
    }
}

/// The first answer to a proof without a nonce: 400 `use_dpop_nonce` with the nonce to use
/// (RFC 9449 §8). Returns the nonce.
fn expect_nonce_challenge(answer: &Answer) -> String {
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["error"], "use_dpop_nonce", "{}", answer.body);
    let nonce = answer
        .dpop_nonce
        .clone()
        .unwrap_or_else(|| panic!("no DPoP-Nonce header with {}", answer.body));
    assert!(!nonce.is_empty());
    nonce
}

/// A DPoP-bound access token in a 200 answer (RFC 9449 §5): token_type DPoP, and the server
/// knows it bound to `key`.
fn expect_bound(answer: &Answer, key: &DpopKey) -> String {
    assert_eq!(answer.status, 200, "{}\n{}", answer.body, idp().log());
    assert_eq!(answer.body["token_type"], "DPoP", "{}", answer.body);
    let token = answer.body["access_token"].as_str().expect("access_token");
    assert_eq!(cnf_jkt(token).as_deref(), Some(&*key.thumbprint()));
    token.to_owned()
}

/// The `cnf.jkt` the server holds for a token it issued: from `/test/token-info` of an opaque
/// token, or from a JWT's payload.
fn cnf_jkt(token: &str) -> Option<String> {
    let info = idp().token_info(token);
    let cnf = match info["format"].as_str() {
        Some("jwt") => &info["payload"]["cnf"],
        _ => &info["cnf"],
    };
    cnf["jkt"].as_str().map(str::to_owned)
}

fn dpop_records(client_id: &str) -> Vec<Value> {
    let (status, body) = idp().get("/test/dpop", &[("client_id", client_id)]);
    assert_eq!(status, 200, "/test/dpop: {body}");
    match body {
        Value::Array(records) => records,
        other => panic!("/test/dpop answered {other}, not an array"),
    }
}

/// A code for `client_id` from `/test/authorize`, its authorization request carrying
/// `dpop_jkt` and a PKCE challenge of [`CODE_VERIFIER`].
fn code_bound_to(client_id: &str, redirect_uri: &str, dpop_jkt: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(CODE_VERIFIER));
    let (status, body) = idp().get(
        "/test/authorize",
        &[
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", "openid offline_access api:read"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("dpop_jkt", dpop_jkt),
        ],
    );
    assert_eq!(status, 200, "/test/authorize: {body}\n{}", idp().log());
    body["code"].as_str().expect("a code").to_owned()
}

#[test]
fn e2e_dpop_server_client_credentials_wants_its_nonce_then_binds_the_token() {
    let idp = idp();
    let (status, discovery) = idp.get("/.well-known/openid-configuration", &[]);
    assert_eq!(status, 200, "{discovery}");
    let algs = &discovery["dpop_signing_alg_values_supported"];
    for alg in ["ES256", "ES384", "EdDSA", "Ed25519", "PS256", "RS256"] {
        assert!(
            algs.as_array().unwrap().contains(&alg.into()),
            "{alg} not in {algs}"
        );
    }

    let client = idp.clone_client("cc-basic");
    let basic = Some((client.as_str(), CC_BASIC_SECRET));
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    let url = idp.token_url();

    // Without a DPoP header, nothing changes: a Bearer token, bound to nothing.
    let plain = post_token(basic, &form, &[]);
    assert_eq!(plain.status, 200, "{}", plain.body);
    assert_eq!(plain.body["token_type"], "Bearer", "{}", plain.body);
    assert!(plain.dpop_nonce.is_none());
    let info = idp.token_info(plain.body["access_token"].as_str().unwrap());
    assert!(info.get("cnf").is_none(), "{info}");

    let key = DpopKey::new(Alg::ES256);
    let first = key.proof(&url, None);
    let challenged = post_token(basic, &form, &[&first]);
    let nonce = expect_nonce_challenge(&challenged);

    let second = key.proof(&url, Some(&nonce));
    let answer = post_token(basic, &form, &[&second]);
    let token = expect_bound(&answer, &key);
    let info = idp.token_info(&token);
    assert_eq!(info["kind"], "ClientCredentials", "{info}");

    // RFC 9449 §4.3: exactly one DPoP header.
    let another = key.proof(&url, Some(&nonce));
    let twice = post_token(basic, &form, &[&another, &another]);
    assert_eq!(twice.status, 400, "{}", twice.body);
    assert_eq!(twice.body["error"], "invalid_dpop_proof", "{}", twice.body);

    // An EdDSA key, with the nonce already known: a token on the first request.
    let ed25519 = DpopKey::new(Alg::EdDSA);
    let proof = ed25519.proof(&url, Some(&nonce));
    expect_bound(&post_token(basic, &form, &[&proof]), &ed25519);

    let records = dpop_records(&client);
    assert_eq!(records.len(), 4, "{records:#?}");
    let (challenge, granted, doubled) = (&records[0], &records[1], &records[2]);
    assert_eq!(challenge["client_id"], *client);
    assert_eq!(challenge["grant_type"], "client_credentials");
    assert_eq!(challenge["listener"], "http");
    assert_eq!(challenge["dpop_headers"], 1);
    assert_eq!(challenge["header"]["typ"], "dpop+jwt");
    assert_eq!(challenge["header"]["alg"], "ES256");
    assert_eq!(
        challenge["header"]["jwk"],
        Value::Object(key.key.public_jwk())
    );
    assert_eq!(challenge["payload"]["htm"], "POST");
    assert_eq!(challenge["payload"]["htu"], *url);
    assert!(challenge["payload"].get("nonce").is_none());
    assert_eq!(challenge["status"], 400);
    assert_eq!(challenge["error"], "use_dpop_nonce");
    assert_eq!(challenge["dpop_nonce_header"], true);

    assert_eq!(granted["payload"]["nonce"], *nonce);
    assert_ne!(granted["payload"]["jti"], challenge["payload"]["jti"]);
    assert_eq!(granted["status"], 200);
    assert_eq!(granted["error"], Value::Null);

    assert_eq!(doubled["dpop_headers"], 2);
    assert_eq!(doubled["status"], 400);
    assert_eq!(doubled["error"], "invalid_dpop_proof");
    assert_eq!(records[3]["header"]["alg"], "EdDSA");
}

#[test]
fn e2e_dpop_server_holds_a_code_to_its_dpop_jkt_and_binds_a_public_clients_refresh_token() {
    let idp = idp();
    let url = idp.token_url();
    let client = idp.clone_client("public-app");
    let key = DpopKey::new(Alg::ES256);
    let other = DpopKey::new(Alg::ES256);
    let redeem = |code: &str, proof: &str| {
        post_token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &client),
                ("code", code),
                ("redirect_uri", PUBLIC_REDIRECT),
                ("code_verifier", CODE_VERIFIER),
            ],
            &[proof],
        )
    };

    let code = code_bound_to(&client, PUBLIC_REDIRECT, &key.thumbprint());
    let nonce = expect_nonce_challenge(&redeem(&code, &key.proof(&url, None)));
    // Another key's proof: refused (and the code is spent).
    let refused = redeem(&code, &other.proof(&url, Some(&nonce)));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["error"], "invalid_grant", "{}", refused.body);
    let records = dpop_records(&client);
    let detail = records.last().unwrap()["error_detail"].as_str().unwrap();
    assert!(detail.contains("dpop_jkt"), "{records:#?}");
    let spent = redeem(&code, &key.proof(&url, Some(&nonce)));
    assert_eq!(spent.status, 400, "{}", spent.body);
    assert_eq!(spent.body["error"], "invalid_grant", "{}", spent.body);

    let code = code_bound_to(&client, PUBLIC_REDIRECT, &key.thumbprint());
    let answer = redeem(&code, &key.proof(&url, Some(&nonce)));
    expect_bound(&answer, &key);
    // RFC 9449 §5: a public client's refresh token is bound to the key too.
    let refresh = answer.body["refresh_token"]
        .as_str()
        .expect("a refresh token");
    assert_eq!(cnf_jkt(refresh).as_deref(), Some(&*key.thumbprint()));

    let renew = |proof: &str| {
        post_token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client),
                ("refresh_token", refresh),
            ],
            &[proof],
        )
    };
    let refused = renew(&other.proof(&url, Some(&nonce)));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["error"], "invalid_grant", "{}", refused.body);
    expect_bound(&renew(&key.proof(&url, Some(&nonce))), &key);
}

#[test]
fn e2e_dpop_server_leaves_a_confidential_clients_refresh_token_unbound() {
    let idp = idp();
    let url = idp.token_url();
    let client = idp.clone_client("web");
    let key = DpopKey::new(Alg::ES384);
    let code = code_bound_to(&client, WEB_REDIRECT, &key.thumbprint());
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &*code),
        ("redirect_uri", WEB_REDIRECT),
        ("code_verifier", CODE_VERIFIER),
    ];
    let basic = Some((client.as_str(), WEB_SECRET));
    let nonce = expect_nonce_challenge(&post_token(basic, &form, &[&key.proof(&url, None)]));
    let answer = post_token(basic, &form, &[&key.proof(&url, Some(&nonce))]);
    expect_bound(&answer, &key);
    // RFC 9449 §5: bound to the client's authentication instead.
    let refresh = answer.body["refresh_token"]
        .as_str()
        .expect("a refresh token");
    let info = idp.token_info(refresh);
    assert!(info.get("cnf").is_none(), "{info}");
}

#[test]
fn e2e_dpop_server_token_exchange_and_jwt_bearer_bind_their_tokens() {
    let idp = idp();
    let url = idp.token_url();
    let key = DpopKey::new(Alg::ES256);
    let identity = ci_platform().mint("dpop-workload", E2E_AUDIENCE, 300);
    let exchange = [
        ("grant_type", TOKEN_EXCHANGE),
        ("client_id", "wi-sts"),
        ("subject_token", &*identity),
        ("subject_token_type", JWT_TYPE),
        ("scope", "api:read"),
    ];
    let nonce = expect_nonce_challenge(&post_token(None, &exchange, &[&key.proof(&url, None)]));
    let answer = post_token(None, &exchange, &[&key.proof(&url, Some(&nonce))]);
    expect_bound(&answer, &key);

    // A JWT access token (a resource) carries cnf.jkt in its payload.
    let with_resource: Vec<_> = exchange
        .iter()
        .copied()
        .chain([("resource", "urn:api:es256")])
        .collect();
    expect_bound(
        &post_token(None, &with_resource, &[&key.proof(&url, Some(&nonce))]),
        &key,
    );

    let bearer = [
        ("grant_type", JWT_BEARER),
        ("client_id", "wi-jwt-bearer"),
        ("assertion", &*identity),
        ("scope", "api:read"),
    ];
    let answer = post_token(None, &bearer, &[&key.proof(&url, Some(&nonce))]);
    expect_bound(&answer, &key);

    // Without a DPoP header these grants still answer Bearer tokens.
    let plain = post_token(None, &bearer, &[]);
    assert_eq!(plain.status, 200, "{}", plain.body);
    assert_eq!(plain.body["token_type"], "Bearer", "{}", plain.body);
}
