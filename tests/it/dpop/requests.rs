//! The proof on every token request (RFC 9449 §5), new for each request sent, retries included,
//! and the server's nonce (§8): asked for once, remembered per server across runs, taken from
//! any answer.

use std::collections::HashSet;

use serde_json::json;

use super::{
    DPOP, Issuer, Proof, bound, cache_entry, cnf_jkt, dpop_files, dpop_profile, fetch,
    generated_key, mode, nonce_demand,
};
use crate::support::app::{self, assert_token_request};
use crate::support::common::{self, Env, stderr_of, stdout_of};
use crate::support::server::{Recorded, Reply, StubServer};

/// The token of a successful `fetch ARGS`, which must print nothing on stderr.
fn fetched(env: &Env, args: &[&str]) -> String {
    let assert = fetch(env, args).assert().success();
    assert_eq!(stderr_of(&assert), "", "nothing on stderr on success");
    let stdout = stdout_of(&assert);
    stdout.strip_suffix('\n').unwrap().to_owned()
}

#[test]
fn a_client_credentials_request_carries_one_proof_that_its_own_key_verifies() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    // RFC 9449 §4.2: htu is the endpoint without its query (and fragment).
    let token_url = issuer.server.url("/token?api-version=2");
    app::profile(&env, &token_url, DPOP);
    let token = fetched(&env, &["--force"]);

    let requests = issuer.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_token_request(request, "/token");
    assert_eq!(request.query.as_deref(), Some("api-version=2"));
    let proof = Proof::of_token_request(request, &issuer.token_url(), None);
    // The default: ES256 with a P-256 key.
    assert_eq!(proof.alg(), "ES256");
    assert_eq!(proof.jwk()["kty"], "EC");
    assert_eq!(proof.jwk()["crv"], "P-256");
    assert_eq!(cnf_jkt(&token), proof.jkt(), "the token the server bound");
}

#[test]
fn dpop_is_turned_on_by_the_flag_and_the_env_var_and_off_by_the_flag() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    app::profile(&env, &issuer.token_url(), "");
    fetched(&env, &["--force"]);
    fetched(&env, &["--force", "--dpop"]);
    let mut with_env = fetch(&env, &["--force"]);
    with_env.env("OAUTHCTL_DPOP", "true").assert().success();
    dpop_profile(&env, &issuer, "");
    fetched(&env, &["--force", "--dpop=false"]);
    let mut off_by_env = fetch(&env, &["--force"]);
    off_by_env.env("OAUTHCTL_DPOP", "0").assert().success();
    fetched(&env, &["--force"]);

    let sent: Vec<bool> = issuer
        .requests()
        .iter()
        .map(|r| r.header("dpop").is_some())
        .collect();
    assert_eq!(sent, [false, true, true, false, false, true]);
}

#[test]
fn dpop_alg_chooses_the_key_and_the_proofs_algorithm() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    // (how it is set, alg, kty, crv)
    let cases = [
        ("profile", "ES384", "EC", Some("P-384")),
        ("env", "EdDSA", "OKP", Some("Ed25519")),
        ("profile", "PS256", "RSA", None),
        ("env", "RS256", "RSA", None),
    ];
    for (how, alg, kty, crv) in cases {
        let mut cmd = match how {
            "profile" => {
                dpop_profile(&env, &issuer, &format!("dpop_alg = \"{alg}\"\n"));
                fetch(&env, &["--force"])
            }
            _ => {
                dpop_profile(&env, &issuer, "");
                let mut cmd = fetch(&env, &["--force"]);
                cmd.env("OAUTHCTL_DPOP_ALG", alg);
                cmd
            }
        };
        cmd.assert().success();
        let request = issuer.requests().pop().unwrap();
        let proof = Proof::of_token_request(&request, &issuer.token_url(), None);
        assert_eq!(proof.alg(), alg);
        assert_eq!(proof.jwk()["kty"], kty, "{alg}");
        match crv {
            Some(crv) => assert_eq!(proof.jwk()["crv"], crv, "{alg}"),
            None => assert!(proof.jwk().get("crv").is_none(), "{alg}"),
        }
    }
    // One key per algorithm, each kept; PS256 and RS256 share no key file.
    assert_eq!(dpop_files(&env, ".key.pem").len(), 4);
}

/// A transient failure (503) is sent again, then the nonce demand is answered: three requests,
/// three proofs, each with a `jti` of its own (RFC 9449 §11.1: a proof is used once), the last
/// with the nonce. The other way round, the retry after the nonce keeps it.
#[test]
fn every_request_sent_has_a_new_proof_transient_retries_and_the_nonce_retry_included() {
    let scripts = [
        vec![
            Reply::json(503, r#"{"error":"temporarily_unavailable"}"#),
            nonce_demand(Some("n-1")),
        ],
        vec![
            nonce_demand(Some("n-1")),
            Reply::json(503, r#"{"error":"temporarily_unavailable"}"#),
        ],
    ];
    let nonces = [[None, None, Some("n-1")], [None, Some("n-1"), Some("n-1")]];
    for (script, nonces) in scripts.into_iter().zip(nonces) {
        let issuer = Issuer::start(script);
        let env = Env::new();
        dpop_profile(&env, &issuer, "retries = 2\nretry_max_secs = 0\n");
        fetched(&env, &["--force"]);
        let requests = issuer.requests();
        assert_eq!(requests.len(), 3);
        let proofs: Vec<Proof> = requests
            .iter()
            .zip(nonces)
            .map(|(r, nonce)| Proof::of_token_request(r, &issuer.token_url(), nonce))
            .collect();
        let jtis: HashSet<&str> = proofs.iter().map(Proof::jti).collect();
        assert_eq!(jtis.len(), 3, "{proofs:#?}");
        let keys: HashSet<String> = proofs.iter().map(Proof::jkt).collect();
        assert_eq!(keys.len(), 1, "one key signs them all");
    }
}

#[test]
fn the_nonce_is_asked_for_once_and_remembered_for_the_next_run() {
    let issuer = Issuer::start(vec![nonce_demand(Some("n-1"))]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    fetched(&env, &["--force"]);
    let requests = issuer.requests();
    assert_eq!(requests.len(), 2);
    let url = issuer.token_url();
    let first = Proof::of_token_request(&requests[0], &url, None);
    let second = Proof::of_token_request(&requests[1], &url, Some("n-1"));
    assert_ne!(first.jti(), second.jti());
    assert_eq!(first.jkt(), second.jkt());
    // The request is otherwise the same.
    assert_eq!(requests[0].form(), requests[1].form());
    assert_eq!(
        requests[0].header("authorization"),
        requests[1].header("authorization")
    );

    // Kept beside the keys, private.
    let nonces = dpop_files(&env, ".nonce");
    assert_eq!(nonces.len(), 1, "{nonces:?}");
    assert_eq!(mode(&nonces[0]), 0o600);

    // The next run's first proof carries it: one request.
    fetched(&env, &["--force"]);
    let requests = issuer.requests();
    assert_eq!(requests.len(), 3);
    Proof::of_token_request(&requests[2], &url, Some("n-1"));
}

/// A remembered nonce the server no longer takes (RFC 9449 §8: servers rotate them) is
/// replaced by the one its demand gives, once, and the new one is kept.
#[test]
fn a_stale_remembered_nonce_is_replaced_by_the_servers_new_one() {
    let issuer = Issuer::start(vec![
        nonce_demand(Some("n-1")),
        Reply::json(200, "{}"),
        nonce_demand(Some("n-2")),
    ]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    // The first run's answer after its retry is not a token: the nonce is kept all the same.
    fetch(&env, &["--force"]).assert().failure().code(4);
    fetched(&env, &["--force"]);
    fetched(&env, &["--force"]);
    let requests = issuer.requests();
    let expected = [None, Some("n-1"), Some("n-1"), Some("n-2"), Some("n-2")];
    assert_eq!(requests.len(), expected.len());
    for (request, nonce) in requests.iter().zip(expected) {
        Proof::of_token_request(request, &issuer.token_url(), nonce);
    }
}

/// private_key_jwt with DPoP: the nonce retry is a new request, with a new client assertion
/// (RFC 7523 §3: a jti is used once) beside its new proof.
#[test]
fn the_nonce_retry_of_a_private_key_jwt_client_has_a_new_assertion() {
    let issuer = Issuer::start(vec![nonce_demand(Some("n-1"))]);
    let env = Env::new();
    let key = super::genpkey(&env, "client.pem", "EC", &["ec_paramgen_curve:P-256"]);
    env.write_config(&format!(
        "default_profile = \"app\"\n[profiles.app]\ntoken_url = \"{}\"\nclient_id = \"app\"\n\
         auth_method = \"private_key_jwt\"\nprivate_key_file = \"{}\"\n{DPOP}",
        issuer.token_url(),
        key.display()
    ));
    fetched(&env, &["--force"]);
    let requests = issuer.requests();
    assert_eq!(requests.len(), 2);
    let url = issuer.token_url();
    let (first, second) = (
        Proof::of_token_request(&requests[0], &url, None),
        Proof::of_token_request(&requests[1], &url, Some("n-1")),
    );
    let assertions: Vec<_> = requests
        .iter()
        .map(|r| crate::client_auth::assertion_of(r, "app"))
        .collect();
    assert_ne!(assertions[0].claims["jti"], assertions[1].claims["jti"]);
    assert_ne!(assertions[0].raw, assertions[1].raw);
    // The client's key and the DPoP key are two keys.
    assert_eq!(first.jkt(), second.jkt());
    assert_ne!(
        assertions[0].header.get("jwk"),
        Some(&serde_json::Value::Object(first.jwk().clone()))
    );
    assert_eq!(
        super::dpop_files(&env, ".key.pem").len(),
        1,
        "a DPoP key of its own"
    );
}

/// RFC 9449 §8.2: a server may give the next nonce with any answer, a token included.
#[test]
fn a_nonce_given_with_a_token_is_used_next_time() {
    let server = StubServer::start(|request: &Recorded| {
        bound(request, 0).with_header("DPoP-Nonce", "n-from-200")
    });
    let env = Env::new();
    app::profile(&env, &server.url("/token"), DPOP);
    fetched(&env, &["--force"]);
    fetched(&env, &["--force"]);
    let requests = server.requests();
    let url = server.url("/token");
    Proof::of_token_request(&requests[0], &url, None);
    Proof::of_token_request(&requests[1], &url, Some("n-from-200"));
}

/// RFC 9449 §8: a nonce is its server's. Two profiles sharing a cache, on two servers: the nonce
/// of one is not sent to the other.
#[test]
fn a_nonce_is_sent_only_to_the_server_that_gave_it() {
    let one = Issuer::start(vec![nonce_demand(Some("n-of-one"))]);
    let two = Issuer::start(vec![]);
    let env = Env::new();
    env.write_config(&format!(
        "{}[profiles.two]\ntoken_url = \"{}\"\nclient_id = \"two\"\nclient_secret_env = \"APP_SECRET\"\n{DPOP}",
        app::app_profile(app::APP, &one.token_url(), DPOP),
        two.token_url()
    ));
    fetched(&env, &["--force"]);
    fetched(&env, &["--force", "-p", "two"]);
    fetched(&env, &["--force"]);
    assert_eq!(one.requests().len(), 3);
    Proof::of_token_request(&one.requests()[2], &one.token_url(), Some("n-of-one"));
    assert_eq!(two.requests().len(), 1);
    Proof::of_token_request(&two.requests()[0], &two.token_url(), None);
}

/// The cache entry of a DPoP token names the key it is bound to (its RFC 7638 thumbprint); a
/// second run is served from the cache.
#[test]
fn a_bound_token_is_cached_with_its_keys_thumbprint_and_the_key_is_private() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let token = fetched(&env, &[]);
    let proof = Proof::of(&issuer.requests()[0]);
    let entry = cache_entry(&env);
    assert_eq!(entry["dpop_jkt"], proof.jkt(), "{entry}");
    assert_eq!(cnf_jkt(&token), proof.jkt());
    let key = generated_key(&env);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8");

    assert_eq!(fetched(&env, &[]), token, "a cache hit");
    assert_eq!(issuer.requests().len(), 1);
}

/// DESIGN §12: the generated key gone, the cached token is bound to a key that no longer exists:
/// a miss, a new key, a new token bound to it.
#[test]
fn a_generated_key_gone_missing_is_a_cache_miss_with_a_new_key() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let first = fetched(&env, &[]);
    let key = generated_key(&env);
    let old_pem = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();

    let second = fetched(&env, &[]);
    assert_ne!(second, first);
    let requests = issuer.requests();
    assert_eq!(requests.len(), 2, "a miss");
    let (old, new) = (Proof::of(&requests[0]), Proof::of(&requests[1]));
    assert_ne!(new.jkt(), old.jkt(), "a new key");
    assert_eq!(cnf_jkt(&second), new.jkt());
    assert_eq!(cache_entry(&env)["dpop_jkt"], new.jkt());
    let key = generated_key(&env);
    assert_ne!(std::fs::read(&key).unwrap(), old_pem);
    // And the new token is the one served from now on.
    assert_eq!(fetched(&env, &[]), second);
    assert_eq!(issuer.requests().len(), 2);
}

/// RFC 9449 §5: a server that does not bind the token answers Bearer; oauthctl uses it, says so,
/// and caches it as bound to nothing.
#[test]
fn a_bearer_answer_to_a_dpop_request_is_used_with_a_warning() {
    let server = StubServer::start(|_| common::token_reply("plain-bearer"));
    let env = Env::new();
    app::profile(&env, &server.url("/token"), DPOP);
    let assert = fetch(&env, &[]).assert().success().stdout("plain-bearer\n");
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("not bound to the DPoP key"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(server.requests()[0].header("dpop").is_some());
    let entry = cache_entry(&env);
    assert!(entry.get("dpop_jkt").is_none_or(|j| j.is_null()), "{entry}");
    // Served from the cache (no second warning), and --url changes nothing for it.
    fetch(&env, &["-o", "header", "--url", "https://rs.example/a"])
        .assert()
        .success()
        .stdout("Authorization: Bearer plain-bearer\n")
        .stderr("");
    let assert = fetch(&env, &["-o", "json", "--url", "https://rs.example/a"])
        .assert()
        .success()
        .stderr("");
    let json = common::json_of(&assert);
    assert_eq!(json["access_token"], "plain-bearer");
    assert!(json.get("dpop_proof").is_none(), "{json}");
    assert_eq!(server.request_count(), 1);
}

/// RFC 6749 §6 with DPoP: the code exchange and the renewal with the cached refresh token each
/// carry a proof of the same key, and the renewed token is bound to it.
#[test]
fn exchange_code_and_the_refresh_carry_proofs_of_the_same_key() {
    let server = StubServer::start(|request: &Recorded| {
        let proof = Proof::parse(request.header("dpop").expect("a proof"));
        let grant = request.form_value("grant_type").unwrap();
        let token = common::jwt(json!({"grant": grant, "cnf": {"jkt": proof.jkt()}}));
        let body = json!({"access_token": token, "token_type": "DPoP", "expires_in": 3600,
                          "refresh_token": format!("rt-after-{grant}")});
        Reply::json(200, &body.to_string())
    });
    let env = Env::new();
    env.write_config(&format!(
        "default_profile = \"user\"\n[profiles.user]\ntoken_url = \"{}\"\nclient_id = \"web\"\n\
         client_secret_env = \"WEB_SECRET\"\ngrant = \"authorization_code\"\n\
         redirect_uri = \"http://127.0.0.1:9/cb\"\n{DPOP}",
        server.url("/token")
    ));
    let run = |args: &[&str]| {
        let assert = env
            .cmd()
            .args(args)
            .env("WEB_SECRET", "ws")
            .assert()
            .success();
        stdout_of(&assert).trim_end().to_owned()
    };
    let exchanged = run(&["exchange-code", "the-code"]);
    assert_eq!(run(&["fetch"]), exchanged, "cached, bound to the key");
    let renewed = run(&["fetch", "--force"]);
    assert_ne!(renewed, exchanged);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let url = server.url("/token");
    let code = Proof::of_token_request(&requests[0], &url, None);
    let refresh = Proof::of_token_request(&requests[1], &url, None);
    assert_eq!(
        requests[1].form(),
        common::form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-after-authorization_code")
        ])
    );
    assert_eq!(code.jkt(), refresh.jkt());
    assert_ne!(code.jti(), refresh.jti());
    assert_eq!(cnf_jkt(&renewed), refresh.jkt());
    assert_eq!(cache_entry(&env)["dpop_jkt"], refresh.jkt());
}

/// RFC 9449 §5 names the token requests only: the device authorization request has no proof,
/// each poll of the token endpoint has one; `revoke` and `introspect` (RFC 7009, RFC 7662) send
/// none.
#[test]
fn only_token_requests_carry_proofs() {
    let server = StubServer::start(|request: &Recorded| match request.path.as_str() {
        "/device" => Reply::json(
            200,
            &json!({"device_code": "dc", "user_code": "WDJB-MJHT", "interval": 0,
                    "verification_uri": "https://idp.example/device", "expires_in": 600})
            .to_string(),
        ),
        "/token" => {
            let mut reply = bound(request, 1);
            let mut body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
            body["refresh_token"] = "rt-tv".into();
            reply.body = body.to_string().into_bytes();
            reply
        }
        "/introspect" => Reply::json(200, r#"{"active":true}"#),
        "/revoke" => Reply::json(200, "{}"),
        _ => Reply::json(400, r#"{"error":"unsupported_grant_type"}"#),
    });
    let env = Env::new();
    env.write_config(&format!(
        "default_profile = \"tv\"\n[profiles.tv]\ngrant = \"device_code\"\n\
         device_authorization_url = \"{}\"\ntoken_url = \"{}\"\nrevocation_url = \"{}\"\n\
         introspection_url = \"{}\"\nclient_id = \"tv-app\"\nauth_method = \"none\"\n{DPOP}",
        server.url("/device"),
        server.url("/token"),
        server.url("/revoke"),
        server.url("/introspect"),
    ));
    env.cmd().args(["login", "--device"]).assert().success();
    env.cmd()
        .args(["introspect", "-p", "tv"])
        .assert()
        .success();
    env.cmd().args(["revoke", "-p", "tv"]).assert().success();
    let requests = server.requests();
    let paths: Vec<(&str, bool)> = requests
        .iter()
        .map(|r| (&*r.path, r.header("dpop").is_some()))
        .collect();
    assert_eq!(
        paths,
        [
            ("/device", false),
            ("/token", true),
            ("/introspect", false),
            ("/revoke", false),
            ("/revoke", false),
        ]
    );
    Proof::of_token_request(&requests[1], &server.url("/token"), None);
}

/// RFC 9449 §8.2: a server may give a nonce with any answer, a transient failure included; the
/// retry after it and the next run carry it.
#[test]
fn a_nonce_given_with_a_transient_failure_is_remembered() {
    let busy = Reply::json(503, r#"{"error":"temporarily_unavailable"}"#);
    let issuer = Issuer::start(vec![busy.with_header("DPoP-Nonce", "n-503")]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "retries = 2\nretry_max_secs = 0\n");
    fetched(&env, &["--force"]);
    fetched(&env, &["--force"]);
    let nonces: Vec<Option<String>> = issuer
        .requests()
        .iter()
        .map(|r| Proof::of(r).nonce().map(str::to_owned))
        .collect();
    let given = Some("n-503".to_owned());
    assert_eq!(nonces, [None, given.clone(), given]);
}

/// The dry run renders the request a real run sends (DESIGN §8): for a DPoP profile, that
/// request has a `DPoP` header (a proof cannot be made ahead, so a placeholder stands for it).
#[test]
fn a_dry_run_of_a_dpop_profile_shows_its_dpop_header() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let assert = fetch(&env, &["--dry-run"]).assert().success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains("--header 'DPoP: "),
        "no DPoP header in the dry run: {stdout}"
    );
    assert_eq!(issuer.requests().len(), 0);
}
