//! `fetch` for a user profile: the tokens `exchange-code` cached, renewed with the refresh token
//! (RFC 6749 §6), rotation, one refresh for parallel runs, and a refused refresh token.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::support::common::cache_files;
use crate::support::common::{Env, fails, stdout_of};
use crate::support::server::{Recorded, Reply, StubServer};

/// A server for a user profile: `exchange-code` gets `rt-0` with an access token living
/// `code_expires_in`; each refresh gives an hour-long token and rotates `rt-N` to `rt-N+1` unless
/// `rotate` is off; `revoked` refresh tokens get `invalid_grant`.
struct Rotating {
    server: StubServer,
    seen: Arc<Mutex<Vec<String>>>,
}

fn rotating_server(
    rotate: bool,
    revoked: &'static [&'static str],
    code_expires_in: u64,
) -> Rotating {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let n = AtomicUsize::new(0);
    let server = StubServer::start(move |req: &Recorded| {
        std::thread::sleep(Duration::from_millis(100));
        let i = n.fetch_add(1, Ordering::SeqCst);
        match req.form_value("grant_type").as_deref() {
            Some("authorization_code") => Reply::json(
                200,
                &json!({"access_token": "at-0", "refresh_token": "rt-0", "expires_in": code_expires_in})
                    .to_string(),
            ),
            Some("refresh_token") => {
                let rt = req.form_value("refresh_token").unwrap();
                log.lock().unwrap().push(rt.clone());
                if revoked.contains(&rt.as_str()) {
                    return Reply::json(
                        400,
                        r#"{"error":"invalid_grant","error_description":"refresh token revoked"}"#,
                    );
                }
                let mut body =
                    json!({"access_token": format!("at-{}", i), "expires_in": 3600});
                if rotate {
                    body["refresh_token"] = format!("rt-{}", i).into();
                }
                Reply::json(200, &body.to_string())
            }
            _ => Reply::json(400, r#"{"error":"unsupported_grant_type"}"#),
        }
    });
    Rotating { server, seen }
}

fn user_profile(env: &Env, server: &StubServer) {
    env.write_config(&format!(
        "default_profile = \"user\"\n[profiles.user]\ntoken_url = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\ngrant = \"authorization_code\"\nredirect_uri = \"http://127.0.0.1:9/cb\"\n",
        server.url("/token")
    ));
}

fn user_fetch(env: &Env, args: &[&str]) -> assert_cmd::assert::Assert {
    env.cmd()
        .arg("fetch")
        .args(args)
        .env("WEB_SECRET", "ws")
        .assert()
}

#[test]
fn exchange_code_stores_tokens_that_fetch_refreshes_with_rotation() {
    let rotating = rotating_server(true, &[], 3600);
    let env = Env::new();
    user_profile(&env, &rotating.server);
    env.cmd()
        .args(["exchange-code", "the-code"])
        .env("WEB_SECRET", "ws")
        .assert()
        .success()
        .stdout("at-0\n");
    // Fresh: served from the cache.
    user_fetch(&env, &[]).success().stdout("at-0\n");
    // --force renews with the refresh token, which rotates: the newest one is stored.
    user_fetch(&env, &["--force"]).success().stdout("at-1\n");
    user_fetch(&env, &["--force"]).success().stdout("at-2\n");
    assert_eq!(*rotating.seen.lock().unwrap(), ["rt-0", "rt-1"]);
    let refresh = rotating.server.requests().pop().unwrap();
    assert_eq!(
        refresh.form(),
        crate::support::common::form(&[("grant_type", "refresh_token"), ("refresh_token", "rt-1")]),
        "RFC 6749 §6: no scope, so the original grant is kept"
    );
    assert_eq!(
        refresh.basic_credentials().unwrap(),
        ("web".to_string(), "ws".to_string())
    );
}

#[test]
fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let rotating = rotating_server(false, &[], 3600);
    let env = Env::new();
    user_profile(&env, &rotating.server);
    env.cmd()
        .args(["exchange-code", "c"])
        .env("WEB_SECRET", "ws")
        .assert()
        .success();
    user_fetch(&env, &["--force"]).success().stdout("at-1\n");
    user_fetch(&env, &["--force"]).success().stdout("at-2\n");
    assert_eq!(*rotating.seen.lock().unwrap(), ["rt-0", "rt-0"]);
}

#[test]
fn a_stale_token_is_refreshed_once_by_ten_parallel_runs() {
    // The exchanged token's 30 s are inside the 60 s margin: stale for every run at once.
    let rotating = rotating_server(true, &[], 30);
    let env = Env::new();
    user_profile(&env, &rotating.server);
    env.cmd()
        .args(["exchange-code", "c"])
        .env("WEB_SECRET", "ws")
        .assert()
        .success();
    let outputs = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..10 {
            scope.spawn(|| {
                let out = stdout_of(&user_fetch(&env, &[]).success());
                outputs.lock().unwrap().push(out);
            });
        }
    });
    let outputs = outputs.into_inner().unwrap();
    assert!(outputs.iter().all(|o| o == "at-1\n"), "{outputs:?}");
    assert_eq!(
        *rotating.seen.lock().unwrap(),
        ["rt-0"],
        "one refresh request for ten runs"
    );
}

#[test]
fn a_refused_refresh_token_drops_the_entry_and_says_login_is_required() {
    let rotating = rotating_server(true, &["rt-0"], 3600);
    let env = Env::new();
    user_profile(&env, &rotating.server);
    env.cmd()
        .args(["exchange-code", "c"])
        .env("WEB_SECRET", "ws")
        .assert()
        .success();
    let stderr = fails(
        user_fetch(&env, &["--force"]),
        6,
        "login required: profile `user`",
    );
    assert!(
        stderr.contains("invalid_grant: refresh token revoked") && stderr.contains("dropped"),
        "{stderr}"
    );
    assert!(cache_files(&env).is_empty());
    // Without an entry there is nothing to refresh: still login required, with no request.
    fails(user_fetch(&env, &[]), 6, "has no usable refresh token");
    assert_eq!(rotating.seen.lock().unwrap().len(), 1);
}
