//! `fetch --id-token` (kubectl's OIDC sign-in): a user profile's ID token (OpenID Connect Core
//! §2) from the cache while its own `exp` is more than `min_ttl` away, else renewed with the
//! refresh token (§12.2); exit 6 when the server sent none, exit 2 for a profile that signs in no
//! user. The cached entry is made by `exchange-code`, as in fetch/refresh.rs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::common::{Env, fails, json_of, jwt, now, stderr_of, stdout_of};
use crate::support::server::{Recorded, Reply, StubServer};

/// How long what the stub issues lives, in seconds: the access tokens, and the ID tokens of the
/// code exchange and of each refresh (`None`: the answer has no `id_token`).
#[derive(Clone, Copy)]
struct Lives {
    access: i64,
    code_id: Option<i64>,
    refresh_id: Option<i64>,
}

/// A user's token endpoint: the code exchange gives `at-0` and `rt-0`, each refresh `at-N` and
/// `rt-N` (rotated); the ID tokens it gave, in order, are in `issued`.
struct Oidc {
    server: StubServer,
    issued: Arc<Mutex<Vec<String>>>,
}

impl Oidc {
    fn start(lives: Lives) -> Oidc {
        let issued = Arc::new(Mutex::new(Vec::new()));
        let log = issued.clone();
        let n = AtomicUsize::new(0);
        let server = StubServer::start(move |req: &Recorded| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let id_life = match req.form_value("grant_type").as_deref() {
                Some("authorization_code") => lives.code_id,
                Some("refresh_token") => lives.refresh_id,
                _ => return Reply::json(400, r#"{"error":"unsupported_grant_type"}"#),
            };
            let mut body = json!({
                "access_token": format!("at-{i}"),
                "token_type": "Bearer",
                "expires_in": lives.access,
                "refresh_token": format!("rt-{i}"),
            });
            if let Some(life) = id_life {
                let id_token = jwt(json!({
                    "iss": "https://login.example.com",
                    "sub": "alice",
                    "aud": "web",
                    "iat": now(),
                    "exp": now() + life,
                    "n": i,
                }));
                log.lock().unwrap().push(id_token.clone());
                body["id_token"] = id_token.into();
            }
            Reply::json(200, &body.to_string())
        });
        Oidc { server, issued }
    }

    fn issued(&self) -> Vec<String> {
        self.issued.lock().unwrap().clone()
    }

    /// The refresh tokens the stub was sent, in order.
    fn refreshes(&self) -> Vec<String> {
        let requests = self.server.requests();
        let refreshes = requests
            .iter()
            .filter(|r| r.form_value("grant_type").as_deref() == Some("refresh_token"));
        refreshes
            .map(|r| r.form_value("refresh_token").unwrap())
            .collect()
    }
}

/// Profile `user` at the stub, with this scope line (or none), signed in by `exchange-code`.
fn signed_in(env: &Env, oidc: &Oidc, scope: &str) {
    env.write_config(&format!(
        "[profiles.user]\ntoken_url = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\n\
         grant = \"authorization_code\"\nredirect_uri = \"http://127.0.0.1:9/cb\"\n{scope}\n",
        oidc.server.url("/token")
    ));
    env.cmd()
        .args(["-p", "user", "exchange-code", "the-code"])
        .env("WEB_SECRET", "ws")
        .assert()
        .success();
}

fn fetch(env: &Env, args: &[&str]) -> assert_cmd::assert::Assert {
    env.cmd()
        .args(["-p", "user", "fetch"])
        .args(args)
        .env("WEB_SECRET", "ws")
        .assert()
}

const OPENID: &str = "scope = \"openid offline_access\"";

/// The claims of a JWT, decoded here independently of oauthctl.
fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn fetch_id_token_prints_the_cached_id_token_in_every_format() {
    let oidc = Oidc::start(Lives {
        access: 3600,
        code_id: Some(3600),
        refresh_id: Some(3600),
    });
    let env = Env::new();
    signed_in(&env, &oidc, OPENID);
    let id_token = oidc.issued().pop().unwrap();
    let exp = claims(&id_token)["exp"].as_i64().unwrap();

    let assert = fetch(&env, &["--id-token"]).success();
    assert_eq!(stdout_of(&assert), format!("{id_token}\n"));
    assert_eq!(stderr_of(&assert), "");
    fetch(&env, &["--id-token", "-o", "header"])
        .success()
        .stdout(format!("Authorization: Bearer {id_token}\n"));
    fetch(&env, &["--id-token", "-o", "env"])
        .success()
        .stdout(format!(
            "export OAUTHCTL_ID_TOKEN='{id_token}'\nexport OAUTHCTL_EXPIRES_AT={exp}\n"
        ));
    // -o json is the token response, as without --id-token.
    let v = json_of(&fetch(&env, &["--id-token", "-o", "json"]).success());
    assert_eq!(
        (&v["access_token"], &v["id_token"], &v["cached"]),
        (&json!("at-0"), &json!(id_token), &json!(true))
    );
    // Without the flag, the access token, as ever.
    fetch(&env, &[]).success().stdout("at-0\n");
    assert_eq!(oidc.server.request_count(), 1, "only the code exchange");
}

/// The access token's expiry says nothing about the ID token's: a stale access token with a
/// fresh ID token is served from the cache, a fresh access token with an ID token near its `exp`
/// is renewed.
#[test]
fn fetch_id_token_is_fresh_by_the_id_tokens_own_exp() {
    let oidc = Oidc::start(Lives {
        access: 30,
        code_id: Some(3600),
        refresh_id: Some(3600),
    });
    let env = Env::new();
    signed_in(&env, &oidc, OPENID);
    let first = oidc.issued().pop().unwrap();
    fetch(&env, &["--id-token"])
        .success()
        .stdout(format!("{first}\n"));
    assert!(oidc.refreshes().is_empty());

    let oidc = Oidc::start(Lives {
        access: 3600,
        code_id: Some(120),
        refresh_id: Some(3600),
    });
    let env = Env::new();
    signed_in(&env, &oidc, OPENID);
    let old = oidc.issued().pop().unwrap();
    // 120 s left: fresh for the default min TTL of 60 s.
    fetch(&env, &["--id-token"])
        .success()
        .stdout(format!("{old}\n"));
    assert!(oidc.refreshes().is_empty());
    // Not for 300 s: renewed with the refresh token, once, and the new ID token printed and
    // cached. The trace (-v) shows neither ID token.
    let assert = fetch(&env, &["--id-token", "--min-ttl", "300", "-v"]).success();
    assert_eq!(oidc.refreshes(), ["rt-0"], "exactly one refresh");
    let new = oidc.issued().pop().unwrap();
    assert_ne!(new, old);
    assert_eq!(stdout_of(&assert), format!("{new}\n"));
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("grant_type=refresh_token"), "{stderr}");
    for token in [&old, &new] {
        assert!(!stderr.contains(token.as_str()), "{stderr}");
        let payload = token.split('.').nth(1).unwrap();
        assert!(!stderr.contains(payload), "{stderr}");
    }
    fetch(&env, &["--id-token", "--min-ttl", "300"])
        .success()
        .stdout(format!("{new}\n"));
    fetch(&env, &[]).success().stdout("at-1\n");
    assert_eq!(
        oidc.refreshes(),
        ["rt-0"],
        "the new one came from the cache"
    );
}

#[test]
fn fetch_id_token_when_the_refresh_answer_has_none_is_login_required() {
    let oidc = Oidc::start(Lives {
        access: 3600,
        code_id: Some(120),
        refresh_id: None,
    });
    let env = Env::new();
    signed_in(&env, &oidc, OPENID);
    let stderr = fails(
        fetch(&env, &["--id-token", "--min-ttl", "300"]),
        6,
        "login required: profile `user` (grant = authorization_code) has no ID token",
    );
    assert!(
        stderr.contains("sign in again") && stderr.contains("run `oauthctl login -p user`"),
        "{stderr}"
    );
    assert_eq!(oidc.refreshes(), ["rt-0"]);
    // The refresh's rotated tokens were kept all the same (SECURITY 30).
    fetch(&env, &[]).success().stdout("at-1\n");
    fails(fetch(&env, &["--id-token"]), 6, "has no ID token");
    assert_eq!(oidc.refreshes(), ["rt-0", "rt-1"]);
}

#[test]
fn fetch_id_token_without_the_openid_scope_says_to_ask_for_it() {
    let oidc = Oidc::start(Lives {
        access: 3600,
        code_id: None,
        refresh_id: None,
    });
    let env = Env::new();
    signed_in(&env, &oidc, "scope = \"orders:read\"");
    let stderr = fails(
        fetch(&env, &["--id-token", "-o", "exec-credential"]),
        6,
        "has no ID token",
    );
    assert!(
        stderr.contains("`openid` scope")
            && stderr.contains("add openid to the profile's scope")
            && stderr.contains("oauthctl login -p user"),
        "{stderr}"
    );
}

#[test]
fn fetch_id_token_exec_credential_carries_the_id_token_and_its_exp() {
    let oidc = Oidc::start(Lives {
        access: 3600,
        code_id: Some(1800),
        refresh_id: Some(3600),
    });
    let env = Env::new();
    signed_in(&env, &oidc, OPENID);
    let id_token = oidc.issued().pop().unwrap();
    let exp = claims(&id_token)["exp"].as_i64().unwrap();
    // What client-go sets for an exec plugin of apiVersion v1beta1 (src/kube.rs).
    let info = json!({
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {"interactive": false},
    });
    let assert = env
        .cmd()
        .args(["-p", "user", "fetch", "--id-token", "-o", "exec-credential"])
        .env("WEB_SECRET", "ws")
        .env("KUBERNETES_EXEC_INFO", info.to_string())
        .assert()
        .success();
    assert_eq!(stderr_of(&assert), "");
    assert_eq!(
        json_of(&assert),
        json!({
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "kind": "ExecCredential",
            "status": {
                "token": id_token,
                "expirationTimestamp": oauthctl::timefmt::rfc3339(exp),
            },
        })
    );
    assert_eq!(oidc.server.request_count(), 1, "from the cache");
}

#[test]
fn fetch_id_token_for_a_client_credentials_profile_is_a_usage_error() {
    let server = StubServer::start(|_| Reply::json(500, "{}"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.ci]\ntoken_url = \"{}\"\nclient_id = \"ci\"\nclient_secret_env = \"CI_SECRET\"\n",
        server.url("/token")
    ));
    for args in [&["--id-token"][..], &["--id-token", "--dry-run"]] {
        let stderr = fails(
            env.cmd()
                .args(["-p", "ci", "fetch"])
                .args(args)
                .env("CI_SECRET", "s")
                .assert(),
            2,
            "--id-token: profile `ci` has grant = \"client_credentials\"",
        );
        assert!(stderr.contains("user profile"), "{stderr}");
    }
    assert_eq!(server.request_count(), 0, "refused before anything is sent");
    // --url makes a DPoP proof for an access token: clap refuses it beside --id-token.
    env.cmd()
        .args([
            "-p",
            "ci",
            "fetch",
            "--id-token",
            "--url",
            "https://api.example.com/",
        ])
        .assert()
        .failure()
        .code(2)
        .stdout("");
}

/// An `id_token` that is not a JWT with an `exp` is not an ID token to print: exit 4 (a response
/// that is not what was asked for), its value never quoted.
#[test]
fn fetch_id_token_refuses_an_id_token_that_is_not_a_jwt() {
    let server = StubServer::start(|_: &Recorded| {
        Reply::json(
            200,
            &json!({"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
                    "refresh_token": "rt", "id_token": "opaque-secret-id"})
            .to_string(),
        )
    });
    let env = Env::new();
    let oidc = Oidc {
        server,
        issued: Default::default(),
    };
    signed_in(&env, &oidc, OPENID);
    let stderr = fails(
        fetch(&env, &["--id-token"]),
        4,
        "the ID token the server sent for profile `user` cannot be used: it is not a signed JWT",
    );
    assert!(!stderr.contains("opaque-secret-id"), "{stderr}");
    assert_eq!(oidc.refreshes(), ["rt"], "the cached one was no better");
}

/// A server that hands the sign-in's ID token back with the refreshed tokens, expired by then:
/// exit 6, never the expired token (OpenID Connect Core §3.1.3.7).
#[test]
fn fetch_id_token_when_the_refresh_answer_carries_an_expired_one_is_login_required() {
    let oidc = Oidc::start(Lives {
        access: 3600,
        code_id: Some(120),
        refresh_id: Some(-30),
    });
    let env = Env::new();
    signed_in(&env, &oidc, OPENID);
    let stderr = fails(
        fetch(
            &env,
            &["--id-token", "--min-ttl", "300", "-o", "exec-credential"],
        ),
        6,
        "has only an expired ID token",
    );
    assert!(stderr.contains("sign in again"), "{stderr}");
    assert_eq!(oidc.refreshes(), ["rt-0"]);
}
