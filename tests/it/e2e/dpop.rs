//! End-to-end tests of oauthctl's DPoP (RFC 9449, DESIGN §12): the real binary against the real
//! authorization server (`tests/e2e/idp/server.mjs`, whose DPoP e2e::dpop_server checks without
//! the binary: it wants its own nonce in every proof and binds the tokens of every grant), for
//! each grant oauthctl has, and the tokens it gets used through real curl against a strict
//! resource server (support/resource_server.rs).
//!
//! What oauthctl sent is read back from the server's record of every token request with a DPoP
//! header (`/test/dpop`: the proof decoded, the answer's status and error) and what it issued
//! (`/test/token-info`: `cnf.jkt`). Each test's client is its own (`Idp::clone_client`), and
//! each test's cache its own, so each run starts with no nonce.
//!
//! Run only these: `cargo test --test it e2e::dpop::`.

use std::time::Duration;

use serde_json::Value;

use crate::dpop::{curl, split_header_lines};
use crate::support::ci_platform::{E2E_AUDIENCE, ci_platform};
use crate::support::common::{Background, Env, stderr_of, stdout_of};
use crate::support::idp::idp;
use crate::support::resource_server::{self, ResourceServer, jwt_cnf_jkt, reason};

/// cc-basic's secret (server.mjs), which its clones share.
const CC_BASIC_SECRET: &str = "cc-basic secret+/=&%:x";
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
const USER_SCOPE: &str = "openid offline_access api:read";

// ---------------------------------------------------------------- helpers

/// `[profiles.NAME]` with these keys, each value a string, and DPoP on when `dpop`.
fn profile(name: &str, dpop: bool, keys: &[(&str, &str)]) -> String {
    let mut out = format!("[profiles.{name}]\ndpop = {dpop}\n");
    for (key, value) in keys {
        out.push_str(&format!("{key} = {}\n", Value::from(*value)));
    }
    out
}

/// `oauthctl -p NAME ARGS` with `vars`, which must succeed with nothing on stderr: its stdout.
fn run(env: &Env, name: &str, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut cmd = env.cmd();
    cmd.args(["-p", name]).args(args);
    for (key, value) in vars {
        cmd.env(key, value);
    }
    let assert = cmd.assert();
    let output = assert.get_output();
    assert!(
        output.status.success(),
        "{name} {args:?} failed ({:?}): {}\nthe server's stderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr),
        idp().log()
    );
    assert_eq!(stderr_of(&assert), "", "{args:?}: nothing on stderr");
    stdout_of(&assert)
}

/// `fetch -o json ARGS`: the token response, checked to be a DPoP token.
fn fetch_json(env: &Env, name: &str, args: &[&str], vars: &[(&str, &str)]) -> Value {
    let mut all = vec!["fetch", "-o", "json"];
    all.extend_from_slice(args);
    let stdout = run(env, name, &all, vars);
    let token: Value = serde_json::from_str(&stdout).expect("-o json prints JSON");
    assert_eq!(token["token_type"], "DPoP", "{token}");
    token
}

/// Every token request of `client_id` with a DPoP header, in order (`/test/dpop`).
fn dpop_records(client_id: &str) -> Vec<Value> {
    let (status, body) = idp().get("/test/dpop", &[("client_id", client_id)]);
    assert_eq!(status, 200, "/test/dpop: {body}");
    match body {
        Value::Array(records) => records,
        other => panic!("/test/dpop answered {other}, not an array"),
    }
}

/// RFC 7638 thumbprint of a record's proof key, computed by the tests' resource server.
fn record_jkt(record: &Value) -> String {
    let jwk = record["header"]["jwk"].as_object().expect("a jwk");
    resource_server::thumbprint(jwk).expect("a thumbprint")
}

/// The `cnf.jkt` the server holds for a token it issued (opaque or JWT), `None` for a token it
/// does not know or did not bind: the resource server's resolver.
fn server_cnf_jkt(token: &str) -> Option<String> {
    let (status, info) = idp().get("/test/token-info", &[("token", token)]);
    if status != 200 {
        return None;
    }
    let cnf = match info["format"].as_str() {
        Some("jwt") => &info["payload"]["cnf"],
        _ => &info["cnf"],
    };
    cnf["jkt"].as_str().map(str::to_owned)
}

/// RFC 9449 §8 as oauthctl must do it against this server, which wants its nonce in every
/// proof: with no nonce remembered, a first proof without one (400 `use_dpop_nonce`, with a
/// `DPoP-Nonce`), then one more request with that nonce and a new `jti`, answered `status`. All
/// of `grant_type`, each proof a single header signed with the same key. Returns the nonce.
fn assert_nonce_retry(records: &[Value], grant_type: &str, status: u16) -> String {
    assert_eq!(records.len(), 2, "{records:#?}");
    let (challenged, retried) = (&records[0], &records[1]);
    for record in records {
        assert_eq!(record["grant_type"], grant_type, "{record:#}");
        assert_eq!(record["dpop_headers"], 1, "{record:#}");
        assert_eq!(record["header"]["typ"], "dpop+jwt", "{record:#}");
        assert_eq!(record["payload"]["htm"], "POST", "{record:#}");
        assert_eq!(record["payload"]["htu"], idp().token_url(), "{record:#}");
    }
    assert!(
        challenged["payload"].get("nonce").is_none(),
        "{challenged:#}"
    );
    assert_eq!(challenged["status"], 400, "{challenged:#}");
    assert_eq!(challenged["error"], "use_dpop_nonce", "{challenged:#}");
    assert_eq!(challenged["dpop_nonce_header"], true, "{challenged:#}");
    assert_eq!(retried["status"], status, "{retried:#}");
    assert_ne!(retried["payload"]["jti"], challenged["payload"]["jti"]);
    assert_eq!(retried["header"]["jwk"], challenged["header"]["jwk"]);
    retried["payload"]["nonce"]
        .as_str()
        .expect("the retry's nonce")
        .to_owned()
}

/// `fetch -o header --url URL` piped into real curl against `rs`, which must accept it.
fn curl_with_printed_lines(env: &Env, name: &str, rs: &ResourceServer, vars: &[(&str, &str)]) {
    let url = rs.url("/orders?page=1");
    let stdout = run(env, name, &["fetch", "-o", "header", "--url", &url], vars);
    let (token, proof) = split_header_lines(&stdout);
    assert_eq!(proof.claims["htu"], rs.url("/orders"));
    assert_eq!(server_cnf_jkt(&token), Some(proof.jkt()));
    let (status, body) = curl(&url, "GET", &stdout);
    assert_eq!(status, "200", "{body} {:?}", rs.verdicts());
    let verdict = rs.verdicts().pop().unwrap();
    assert_eq!(verdict.reason, reason::ACCEPTED);
}

// ---------------------------------------------------------------- client_credentials

/// `--dpop` for a client_credentials client: the nonce retry, a token bound to the proof's key,
/// the nonce remembered for the next run (one request), and the cached token used through curl
/// at a resource server that asks the authorization server what the token is bound to.
#[test]
fn e2e_dpop_client_credentials_binds_the_token_and_remembers_the_nonce() {
    let idp = idp();
    let client = idp.clone_client("cc-basic");
    let env = Env::new();
    let config = profile(
        "cc",
        false,
        &[
            ("token_url", &idp.token_url()),
            ("client_id", &client),
            ("client_secret_env", "CC_SECRET"),
            ("scope", "api:read"),
        ],
    );
    env.write_config(&config);
    let secret = [("CC_SECRET", CC_BASIC_SECRET)];

    let token = fetch_json(&env, "cc", &["--dpop"], &secret);
    let records = dpop_records(&client);
    let nonce = assert_nonce_retry(&records, "client_credentials", 200);
    let access_token = token["access_token"].as_str().unwrap();
    assert_eq!(
        server_cnf_jkt(access_token),
        Some(record_jkt(&records[1])),
        "cnf.jkt is the proof key's thumbprint"
    );

    // The next run's first proof has the nonce: one request, a new token.
    let again = fetch_json(&env, "cc", &["--dpop", "--force"], &secret);
    assert_ne!(again["access_token"], token["access_token"]);
    let records = dpop_records(&client);
    assert_eq!(records.len(), 3, "{records:#?}");
    assert_eq!(records[2]["payload"]["nonce"], *nonce);
    assert_eq!(records[2]["status"], 200);
    assert_eq!(record_jkt(&records[2]), record_jkt(&records[1]), "one key");

    let rs = ResourceServer::start(server_cnf_jkt);
    let mut with_dpop = secret.to_vec();
    with_dpop.push(("OAUTHCTL_DPOP", "true"));
    curl_with_printed_lines(&env, "cc", &rs, &with_dpop);
    assert_eq!(dpop_records(&client).len(), 3, "the cached token");
}

/// private_key_jwt with DPoP: the nonce retry is sent with a new client assertion, or the
/// server would refuse the spent `jti` (RFC 7523 §3).
#[test]
fn e2e_dpop_private_key_jwt_signs_a_new_assertion_for_the_nonce_retry() {
    let idp = idp();
    let client = idp.clone_client("pkjwt-es256");
    let env = Env::new();
    let key = idp.keys().p256.to_str().unwrap().to_owned();
    env.write_config(&profile(
        "pk",
        true,
        &[
            ("token_url", &idp.token_url()),
            ("client_id", &client),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", &key),
        ],
    ));
    let token = fetch_json(&env, "pk", &["--no-cache"], &[]);
    let records = dpop_records(&client);
    assert_nonce_retry(&records, "client_credentials", 200);
    let assertions = idp.client_assertions(&client);
    assert_eq!(assertions.len(), 2, "{assertions:#?}");
    assert_ne!(
        assertions[0]["payload"]["jti"],
        assertions[1]["payload"]["jti"]
    );
    assert_eq!(assertions[1]["status"], 200, "{assertions:#?}");
    // The client's key signs the assertions, another key the proofs.
    assert_ne!(record_jkt(&records[1]), idp.keys().p256_thumbprint);
    let access_token = token["access_token"].as_str().unwrap();
    assert_eq!(server_cnf_jkt(access_token), Some(record_jkt(&records[1])));
}

// ---------------------------------------------------------------- signing a user in

/// The device flow with DPoP: every poll carries a proof (the nonce asked for at the first), the
/// tokens of this public client are bound, access and refresh token alike (RFC 9449 §5); the
/// refresh with the remembered nonce is one request and keeps the binding. The nonce retry is a
/// poll like any other, and keeps to the polling interval.
#[test]
fn e2e_dpop_device_login_then_refresh_are_bound_to_the_key() {
    let idp = idp();
    let client = idp.clone_client("device-app");
    let env = Env::new();
    env.write_config(&profile(
        "tv",
        true,
        &[
            ("issuer", &idp.issuer),
            ("grant", "device_code"),
            ("client_id", &client),
            ("auth_method", "none"),
            ("scope", USER_SCOPE),
        ],
    ));
    let mut cmd = env.cmd();
    cmd.args(["-p", "tv", "-o", "json", "login", "--device"]);
    let mut login = Background::start(&cmd);
    let (_, user_code) = login.device_instructions();
    let (status, body) = idp.get("/test/device", &[("user_code", &user_code)]);
    assert_eq!(
        (status, &body["approved"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    let done = login.finish();
    assert_eq!(done.code, Some(0), "{}\n{}", done.stderr, idp.log());
    let tokens: Value = serde_json::from_str(&done.stdout).expect("-o json");
    assert_eq!(tokens["token_type"], "DPoP", "{tokens}");

    let records = dpop_records(&client);
    assert!(records.len() >= 2, "{records:#?}");
    assert_nonce_retry(
        &records[..2],
        DEVICE_CODE,
        records[1]["status"].as_u64().unwrap() as u16,
    );
    let nonce = &records[1]["payload"]["nonce"];
    let jkt = record_jkt(&records[0]);
    for poll in &records[1..] {
        assert_eq!(poll["payload"]["nonce"], *nonce, "{poll:#}");
        assert_eq!(record_jkt(poll), jkt);
    }
    assert_eq!(records.last().unwrap()["status"], 200);
    for name in ["access_token", "refresh_token"] {
        let token = tokens[name].as_str().expect(name);
        assert_eq!(server_cnf_jkt(token), Some(jkt.clone()), "{name}");
    }

    let renewed = fetch_json(&env, "tv", &["--force"], &[]);
    assert_ne!(renewed["access_token"], tokens["access_token"]);
    let after = dpop_records(&client);
    assert_eq!(after.len(), records.len() + 1, "{after:#?}");
    let refresh = after.last().unwrap();
    assert_eq!(refresh["grant_type"], "refresh_token");
    assert_eq!(refresh["payload"]["nonce"], *nonce);
    assert_eq!(refresh["status"], 200, "{refresh:#}");
    let access_token = renewed["access_token"].as_str().unwrap();
    assert_eq!(server_cnf_jkt(access_token), Some(jkt));

    // RFC 8628 §3.5: polls at least `interval` (1 s here) apart, the nonce retry's included;
    // this server answers slow_down to an early one, and every poll after it waits 5 s more.
    let slowed: Vec<&Value> = records
        .iter()
        .filter(|r| r["error"] == "slow_down")
        .collect();
    assert!(
        slowed.is_empty(),
        "polled sooner than the interval: {slowed:#?}"
    );
    assert!(
        done.elapsed < Duration::from_secs(5),
        "took {:?}: {}",
        done.elapsed,
        done.stderr
    );
}

/// The browser login with DPoP: the authorization request carries `dpop_jkt` (RFC 9449 §10),
/// which the server holds the code to, so the code exchange succeeds only with a proof of that
/// key; the tokens are bound to it.
#[test]
fn e2e_dpop_browser_login_sends_dpop_jkt_and_redeems_the_code_with_that_key() {
    let idp = idp();
    let client = idp.clone_client("native-app");
    let env = Env::new();
    env.write_config(&profile(
        "cli",
        true,
        &[
            ("issuer", &idp.issuer),
            ("grant", "authorization_code"),
            ("client_id", &client),
            ("auth_method", "none"),
            ("scope", USER_SCOPE),
        ],
    ));
    let mut cmd = env.cmd();
    cmd.args(["-p", "cli", "login", "--no-browser"]);
    let mut login = Background::start(&cmd);
    let url = login.authorization_url();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let dpop_jkt: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "dpop_jkt")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(dpop_jkt.len(), 1, "{url}");
    let (status, body) = idp.get("/test/browse", &[("url", &url)]);
    assert_eq!(status, 200, "/test/browse: {body}\n{}", idp.log());
    assert_eq!(body["status"], 200, "the listener's answer: {body}");
    let done = login.finish();
    assert_eq!(done.code, Some(0), "{}\n{}", done.stderr, idp.log());

    let records = dpop_records(&client);
    assert_nonce_retry(&records, "authorization_code", 200);
    assert_eq!(
        record_jkt(&records[1]),
        dpop_jkt[0],
        "the key dpop_jkt named"
    );
    let token = fetch_json(&env, "cli", &[], &[]);
    let access_token = token["access_token"].as_str().unwrap();
    assert_eq!(server_cnf_jkt(access_token), Some(dpop_jkt[0].to_owned()));
}

// ---------------------------------------------------------------- workload identity

/// Token exchange and jwt-bearer with DPoP: each grant's token bound after the nonce retry. The
/// exchange asks for a JWT access token (resource `urn:api:es256`), which carries `cnf.jkt`
/// itself, and is used through curl at a resource server that reads it from the token.
#[test]
fn e2e_dpop_token_exchange_and_jwt_bearer_tokens_are_bound() {
    let idp = idp();
    let sts = idp.clone_client("wi-sts");
    let bearer = idp.clone_client("wi-jwt-bearer");
    let env = Env::new();
    let token_url = idp.token_url();
    let mut config = profile(
        "sts",
        true,
        &[
            ("token_url", &token_url),
            ("grant", "token_exchange"),
            ("client_id", &sts),
            ("auth_method", "none"),
            ("identity_token_env", "CI_JOB_OIDC"),
            ("scope", "api:read"),
            ("resource", "urn:api:es256"),
        ],
    );
    config.push_str(&profile(
        "jwtb",
        true,
        &[
            ("token_url", &token_url),
            ("grant", "jwt_bearer"),
            ("client_id", &bearer),
            ("auth_method", "none"),
            ("identity_token_env", "CI_JOB_OIDC"),
            ("scope", "api:read"),
        ],
    ));
    env.write_config(&config);
    let identity = ci_platform().mint("dpop-e2e-workload", E2E_AUDIENCE, 300);
    let vars = [("CI_JOB_OIDC", identity.as_str())];

    let exchanged = fetch_json(&env, "sts", &[], &vars);
    let records = dpop_records(&sts);
    assert_nonce_retry(&records, TOKEN_EXCHANGE, 200);
    let jwt = exchanged["access_token"].as_str().unwrap();
    assert_eq!(jwt_cnf_jkt(jwt), Some(record_jkt(&records[1])), "{jwt}");
    let rs = ResourceServer::start(jwt_cnf_jkt);
    curl_with_printed_lines(&env, "sts", &rs, &vars);

    // Another profile, the same server: the nonce the exchange was given is remembered.
    let granted = fetch_json(&env, "jwtb", &["--force"], &vars);
    let records = dpop_records(&bearer);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["grant_type"], JWT_BEARER);
    assert_eq!(records[0]["status"], 200, "{records:#?}");
    assert!(records[0]["payload"]["nonce"].is_string());
    let access_token = granted["access_token"].as_str().unwrap();
    assert_eq!(server_cnf_jkt(access_token), Some(record_jkt(&records[0])));
    // Each profile has a key of its own.
    assert_ne!(record_jkt(&records[0]), jwt_cnf_jkt(jwt).unwrap());
}
