//! The token cache (DESIGN §7, SECURITY 7–14), seen from outside: what reaches the server, what
//! lands on disk, what parallel runs do, and `cache list` / `cache clear`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::app::{SECRET, SECRET_ENV, fetched, profile};
use crate::support::common::{Env, fails, jwt, now, stdout_of, token_server};
use crate::support::common::{cache_dir, cache_files};
use crate::support::server::{Reply, StubServer};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A token endpoint issuing `tok-1`, `tok-2`, … with `expires_in`, slowly enough that parallel
/// runs overlap.
fn counting_server(expires_in: Option<u64>, delay: Duration) -> StubServer {
    let n = AtomicUsize::new(0);
    StubServer::start(move |_| {
        std::thread::sleep(delay);
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        let mut body = json!({"access_token": format!("tok-{i}"), "token_type": "Bearer"});
        if let Some(secs) = expires_in {
            body["expires_in"] = secs.into();
        }
        Reply::json(200, &body.to_string())
    })
}

#[test]
fn a_second_fetch_is_served_from_the_cache() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    let v: Value = serde_json::from_str(&fetched(&env, &["-o", "json"])).unwrap();
    assert_eq!(
        (v["access_token"].as_str(), v["cached"].as_bool()),
        (Some("tok-1"), Some(true))
    );
    assert!(v["expires_at"].as_i64().unwrap() > now() + 3500);
    assert_eq!(server.request_count(), 1);

    assert_eq!(fetched(&env, &["--force"]), "tok-2\n");
    assert_eq!(
        fetched(&env, &[]),
        "tok-2\n",
        "--force replaced the cached token"
    );
    assert_eq!(fetched(&env, &["--no-cache"]), "tok-3\n");
    assert_eq!(
        fetched(&env, &[]),
        "tok-2\n",
        "--no-cache neither reads nor writes the cache"
    );
    assert_eq!(server.request_count(), 3);
}

#[test]
fn twenty_parallel_cold_fetches_send_one_request() {
    let server = counting_server(Some(3600), Duration::from_millis(300));
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let outputs = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|scope| {
        for _ in 0..20 {
            let outputs = outputs.clone();
            let env = &env;
            scope.spawn(move || {
                let out = fetched(env, &[]);
                outputs.lock().unwrap().push(out);
            });
        }
    });
    let outputs = outputs.lock().unwrap();
    assert_eq!(outputs.len(), 20);
    assert!(outputs.iter().all(|o| o == "tok-1\n"), "{outputs:?}");
    assert_eq!(
        server.request_count(),
        1,
        "the per-key lock makes one request for all"
    );
}

#[test]
fn the_expiry_margin_decides_reuse() {
    // 90 s left: reused under the default 60 s margin, not under --min-ttl 100.
    let server = counting_server(Some(90), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    assert_eq!(fetched(&env, &["--min-ttl", "100"]), "tok-2\n");
    // The profile's min_ttl_secs works the same way.
    profile(&env, &server.url("/token"), "min_ttl_secs = 120\n");
    assert_eq!(fetched(&env, &[]), "tok-3\n");

    // 50 s left is inside the default margin: never reused.
    let short = counting_server(Some(50), Duration::ZERO);
    let env = Env::new();
    profile(&env, &short.url("/token"), "");
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    assert_eq!(fetched(&env, &[]), "tok-2\n");
}

#[test]
fn a_token_without_expiry_is_never_cached_unless_its_jwt_says_when() {
    let server = counting_server(None, Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    assert_eq!(fetched(&env, &[]), "tok-2\n");
    assert!(cache_files(&env).is_empty());

    let token = jwt(json!({"exp": now() + 3600}));
    let jwt_server = token_server(&token);
    // token_server sends expires_in; this one must not.
    let body = json!({"access_token": token, "token_type": "Bearer"}).to_string();
    let no_expires_in = StubServer::start(move |_| Reply::json(200, &body));
    drop(jwt_server);
    let env = Env::new();
    profile(&env, &no_expires_in.url("/token"), "");
    fetched(&env, &[]);
    let v: Value = serde_json::from_str(&fetched(&env, &["-o", "json"])).unwrap();
    assert_eq!(v["cached"], true);
    assert_eq!(no_expires_in.request_count(), 1);
}

#[test]
fn a_corrupt_or_truncated_cache_file_is_a_miss() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    fetched(&env, &[]);
    let file = cache_files(&env).pop().unwrap();
    let content = std::fs::read(&file).unwrap();
    std::fs::write(&file, &content[..content.len() / 2]).unwrap();
    assert_eq!(fetched(&env, &[]), "tok-2\n");
    std::fs::write(&file, b"\x00\xffnot json").unwrap();
    assert_eq!(fetched(&env, &[]), "tok-3\n");
    assert_eq!(
        fetched(&env, &[]),
        "tok-3\n",
        "and the rewritten file is good again"
    );
}

#[test]
fn files_are_private_even_under_umask_000_and_never_hold_the_secret() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let run = |extra: &str| {
        env.hermetic(assert_cmd::Command::new("sh"))
            .args(["-c", &format!("umask 000; exec \"$BIN\" fetch {extra}")])
            .env("BIN", bin)
            .env(SECRET_ENV, SECRET)
            .assert()
            .success();
    };
    run("");
    assert_eq!(mode(&cache_dir(&env)), 0o700);
    let mut files = 0;
    for entry in std::fs::read_dir(cache_dir(&env)).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        let content = std::fs::read(&path).unwrap();
        let secret = SECRET.as_bytes();
        assert!(
            !content.windows(secret.len()).any(|w| w == secret),
            "{}",
            path.display()
        );
        files += 1;
    }
    // The entry, its lock, and the key of the credential fingerprints.
    assert_eq!(files, 3);
    // A file someone loosened is private again after the next write.
    let file = cache_files(&env).pop().unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    run("--force");
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn an_unsafe_cache_directory_is_not_used_and_one_line_says_why() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let elsewhere = env.home.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::create_dir_all(env.home.path().join(".cache")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, cache_dir(&env)).unwrap();
    let run = || {
        env.cmd()
            .arg("fetch")
            .env("APP_SECRET", "s")
            .assert()
            .success()
    };
    let warning = |problem: &str| {
        format!(
            "oauthctl: warning: not using the token cache `{dir}`: `{dir}` {problem}; working uncached (fix that, or set OAUTHCTL_CACHE_DIR)\n",
            dir = cache_dir(&env).display()
        )
    };
    // Each run asks the server: nothing is read from or written to the directory.
    run()
        .stdout("tok-1\n")
        .stderr(warning("is a symbolic link"));
    run().stdout("tok-2\n");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    std::fs::remove_file(cache_dir(&env)).unwrap();
    std::fs::create_dir(cache_dir(&env)).unwrap();
    std::fs::set_permissions(cache_dir(&env), std::fs::Permissions::from_mode(0o777)).unwrap();
    run()
        .stdout("tok-3\n")
        .stderr(warning("is writable by group or others (mode 0777)"));
    assert_eq!(std::fs::read_dir(cache_dir(&env)).unwrap().count(), 0);
    assert_eq!(server.request_count(), 3);
    // The commands whose job is the cache refuse it.
    fails(
        env.cmd().args(["cache", "list"]).assert(),
        78,
        "refusing the token cache: ",
    );
}

#[test]
fn profiles_differing_only_in_scope_audience_or_client_id_never_share_an_entry() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let tokens: Vec<String> = [
        vec![],
        vec!["--scope", "a"],
        vec!["--scope", "b"],
        vec!["--audience", "https://api.example"],
        vec!["--resource", "https://api.example"],
        vec!["--client-id", "other"],
        vec!["--param", "tenant=x"],
    ]
    .iter()
    .map(|args| fetched(&env, args))
    .collect();
    let distinct: std::collections::HashSet<&String> = tokens.iter().collect();
    assert_eq!(distinct.len(), tokens.len(), "{tokens:?}");
    assert_eq!(cache_files(&env).len(), tokens.len());
    // And each one is then reused.
    assert_eq!(fetched(&env, &["--scope", "b"]), tokens[2]);
    assert_eq!(fetched(&env, &["--client-id", "other"]), tokens[5]);
}

#[test]
fn cache_list_and_clear() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.one]\ntoken_url = \"{url}\"\nclient_id = \"one\"\nclient_secret_env = \"S\"\n[profiles.two]\ntoken_url = \"{url}\"\nclient_id = \"two\"\nclient_secret_env = \"S\"\n",
        url = server.url("/token")
    ));
    for p in ["one", "two"] {
        env.cmd()
            .args(["-p", p, "fetch"])
            .env("S", "s")
            .assert()
            .success();
    }
    let list = stdout_of(&env.cmd().args(["cache", "list"]).assert().success());
    assert!(list.starts_with("PROFILE  KEY"), "{list}");
    assert!(
        list.contains("one") && list.contains("two") && list.contains(" in "),
        "{list}"
    );
    assert!(!list.contains("tok-"), "no token is ever shown: {list}");
    let json: Value = serde_json::from_str(&stdout_of(
        &env.cmd()
            .args(["cache", "list", "-o", "json"])
            .assert()
            .success(),
    ))
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["profile"], "one");
    assert_eq!(json[0]["has_refresh_token"], false);
    assert!(!json.to_string().contains("tok-"));

    env.cmd()
        .args(["-p", "one", "cache", "clear"])
        .assert()
        .success()
        .stdout(predicate_contains("removed 1 cached token"));
    let left = stdout_of(&env.cmd().args(["cache", "list"]).assert().success());
    assert!(!left.contains("one ") && left.contains("two"), "{left}");
    env.cmd()
        .args(["cache", "clear"])
        .assert()
        .success()
        .stdout(predicate_contains("removed 1 cached token"));
    assert!(cache_files(&env).is_empty());
    env.cmd()
        .args(["cache", "list"])
        .assert()
        .success()
        .stdout(predicate_contains("PROFILE"));
}

fn predicate_contains(text: &str) -> predicates::str::ContainsPredicate {
    predicates::str::contains(text)
}

/// oauthctl starts without std's runtime (src/start.rs), so it must itself make sure that a file it
/// opens never takes the place of a closed standard stream: here the `-v` trace, written while the
/// cache lock is held, would otherwise land in the lock file.
#[test]
fn with_stderr_closed_nothing_is_written_into_the_cache_files() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let script = format!("{} -v fetch 2>&-; echo \"status=$?\"", bin.display());
    let assert = env
        .hermetic(assert_cmd::Command::new("bash"))
        .args(["-c", &script])
        .env(SECRET_ENV, SECRET)
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "tok-1\nstatus=0\n");
    let mut locks = 0;
    for entry in std::fs::read_dir(cache_dir(&env)).unwrap() {
        let path = entry.unwrap().path();
        if path.ends_with("fingerprint.key") {
            assert_eq!(std::fs::read(&path).unwrap().len(), 32);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if path.extension().is_some_and(|x| x == "lock") {
            locks += 1;
            assert_eq!(text, "", "{} holds output", path.display());
        } else {
            let entry: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(entry["response"]["access_token"], "tok-1");
        }
    }
    // The check above is only worth something if the lock file it is about was there to read.
    assert!(locks > 0, "no *.lock file in {}", cache_dir(&env).display());
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    assert_eq!(server.request_count(), 1);
}

/// A cached entry is read back through the checks a fresh answer passes (RFC 6749 App. A.12): one
/// that fails them is a miss, like a corrupt file, never a header injected into `-o header`.
#[test]
fn a_cached_token_that_a_fresh_answer_could_not_carry_is_a_miss() {
    let server = counting_server(Some(3600), Duration::ZERO);
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    assert_eq!(fetched(&env, &[]), "tok-1\n");
    let file = cache_files(&env).pop().unwrap();
    let mut entry: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for poisoned in [json!("tok-1\r\nX-Injected: 1"), json!(""), json!(42)] {
        entry["response"]["access_token"] = poisoned.clone();
        std::fs::write(&file, entry.to_string()).unwrap();
        let before = server.request_count();
        let header = fetched(&env, &["-o", "header"]);
        assert_eq!(
            header,
            format!("Authorization: Bearer tok-{}\n", before + 1),
            "{poisoned}"
        );
        assert_eq!(server.request_count(), before + 1, "{poisoned}");
    }
}

/// Text from the cache's own directory name reaches stderr escaped, like any other.
#[test]
fn notes_on_stderr_are_escaped() {
    let env = Env::new();
    let dir = env.home.path().join("cache\u{1b}[31mdir");
    let assert = env
        .cmd()
        .args(["cache", "list"])
        .env("OAUTHCTL_CACHE_DIR", &dir)
        .assert()
        .success();
    let stderr = crate::support::common::stderr_of(&assert);
    assert!(
        stderr.contains("no cached tokens in `") && stderr.contains("cache\\u{1b}[31mdir"),
        "{stderr:?}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}
