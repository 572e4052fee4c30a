//! The token cache against a hostile or broken environment (DESIGN §7; SECURITY 11, 13, 48): a
//! directory others could swap, entries that are links, FIFOs or someone else's, a
//! read-only or unremovable cache, killed writers' temp files, and a secret that changed.
//!
//! Permissions do not bind root, so when the suite runs as root (as CI does), oauthctl runs as
//! `nobody` in the tests that need them to (`support::unprivileged`), with the test's HOME given
//! to it, and root plays the other user.

use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::app::{SECRET, SECRET_ENV, fetch, profile};
use crate::support::common::{Background, Env, cache_dir, fails, stderr_of, stdout_of, success};
use crate::support::server::{Recorded, Reply, StubServer};
use crate::support::unprivileged::{hand_over, is_root, oauthctl};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// The one entry file in the cache, after one fetch.
fn entry_path(env: &Env) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(cache_dir(env))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

/// An entry like the real one at `path`, holding `token` instead.
fn planted_entry(path: &Path, token: &str) -> String {
    let mut entry: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    entry["response"]["access_token"] = token.into();
    entry.to_string()
}

/// Issues `tok-1`, `tok-2`, … to a client presenting `SECRET` (Basic), `invalid_client` to any
/// other.
fn token_server() -> StubServer {
    let issued = AtomicUsize::new(0);
    StubServer::start(move |r: &Recorded| {
        if r.path == "/revoke" {
            return Reply::json(200, "{}");
        }
        if r.basic_credentials().map(|(_, secret)| secret) != Some(SECRET.to_string()) {
            return Reply::json(401, r#"{"error":"invalid_client"}"#);
        }
        let n = issued.fetch_add(1, SeqCst) + 1;
        let body =
            json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600});
        Reply::json(200, &body.to_string())
    })
}

/// Profile `app` (the default) for `server`, with its revocation endpoint; the HOME handed over.
fn app(env: &Env, server: &StubServer, extra: &str) {
    let revocation = format!("revocation_url = \"{}\"\n{extra}", server.url("/revoke"));
    profile(env, &server.url("/token"), &revocation);
    hand_over(env);
}

/// A token server, a profile for it, and the cache entry one fetch made.
fn with_a_cached_token() -> (StubServer, Env, PathBuf) {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    success(fetch(oauthctl(&env), &[]));
    let entry = entry_path(&env);
    (server, env, entry)
}

/// The revocation request the server received.
fn revocation_sent(server: &StubServer) -> Recorded {
    server
        .requests()
        .into_iter()
        .find(|r| r.path == "/revoke")
        .expect("a revocation request")
}

fn ok(stdout: &str) -> (String, String) {
    (stdout.to_string(), String::new())
}

// ---------------------------------------------------------------- point 2: nothing swapped in

#[test]
fn a_cache_below_a_directory_others_can_write_is_not_trusted() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-1\n"));
    let parent = env.home.path().join(".cache");
    chmod(&parent, 0o777);
    // Another user could have renamed the cache away and planted their own: tok-1 is not
    // believed, and nothing is written there.
    let warning = format!(
        "oauthctl: warning: not using the token cache `{}`: `{}` is writable by group or others without the sticky bit (mode 0777), so they could replace what is below it; working uncached (fix that, or set OAUTHCTL_CACHE_DIR)\n",
        cache_dir(&env).display(),
        parent.display()
    );
    assert_eq!(
        success(fetch(oauthctl(&env), &[])),
        ("tok-2\n".into(), warning)
    );
    // With the sticky bit (as /tmp has), nobody else can rename what is in it: trusted.
    chmod(&parent, 0o1777);
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-1\n"));
    assert_eq!(server.request_count(), 2);
}

/// Holds every request until `release`.
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn release(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

#[test]
fn a_cache_swapped_while_a_fetch_runs_is_not_written_to() {
    let gate = Arc::new(Gate {
        open: Mutex::new(true),
        opened: Condvar::new(),
    });
    let held = gate.clone();
    let issued = AtomicUsize::new(0);
    let server = StubServer::start(move |_| {
        held.wait();
        let n = issued.fetch_add(1, SeqCst) + 1;
        Reply::json(
            200,
            &json!({"access_token": format!("tok-{n}"), "expires_in": 3600}).to_string(),
        )
    });
    // No permission matters here: oauthctl runs as the test's own user, whoever that is.
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.app]\ntoken_url = \"{}\"\nclient_id = \"app\"\nclient_secret_env = \"APP_SECRET\"\n",
        server.url("/token")
    ));
    let mut cmd = env.cmd();
    cmd.args(["-p", "app", "fetch"]).env(SECRET_ENV, SECRET);
    cmd.assert().success().stdout("tok-1\n");
    let entry = entry_path(&env);
    let name = entry.file_name().unwrap().to_owned();

    *gate.open.lock().unwrap() = false;
    cmd.arg("--force");
    let running = Background::start(&cmd);
    while server.request_count() < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    // While it waits for the server, the cache is renamed away and another planted in its
    // place, holding the same key's entry.
    let moved = env.home.path().join(".cache/moved");
    std::fs::rename(cache_dir(&env), &moved).unwrap();
    std::fs::create_dir(cache_dir(&env)).unwrap();
    let planted = planted_entry(&moved.join(&name), "planted");
    std::fs::write(cache_dir(&env).join(&name), &planted).unwrap();
    gate.release();
    let done = running.finish();
    assert_eq!((done.code, done.stdout.as_str()), (Some(0), "tok-2\n"));
    // The run wrote where it had opened, not where the path led by then.
    let written: Value =
        serde_json::from_slice(&std::fs::read(moved.join(&name)).unwrap()).unwrap();
    assert_eq!(written["response"]["access_token"], "tok-2");
    assert_eq!(
        std::fs::read_to_string(cache_dir(&env).join(&name)).unwrap(),
        planted
    );
}

#[test]
fn entries_that_are_links_or_that_others_may_write_are_not_believed() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    assert_eq!(success(fetch(oauthctl(&env), &[])).0, "tok-1\n");
    let entry = entry_path(&env);
    let elsewhere = env.home.path().join("planted.json");
    std::fs::write(&elsewhere, planted_entry(&entry, "planted-by-link")).unwrap();
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    hand_over(&env);
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-2\n"));
    // The link was replaced by the new entry; what it pointed to is untouched.
    assert!(!entry.is_symlink());
    assert!(
        std::fs::read_to_string(&elsewhere)
            .unwrap()
            .contains("planted-by-link")
    );

    std::fs::write(&entry, planted_entry(&entry, "planted-in-place")).unwrap();
    chmod(&entry, 0o666);
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-3\n"));
    assert_eq!(server.request_count(), 3);
}

#[test]
fn entries_and_locks_of_another_user_are_not_believed() {
    if !is_root() {
        eprintln!("not run: only root can make a file another user owns");
        return;
    }
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    assert_eq!(success(fetch(oauthctl(&env), &[])).0, "tok-1\n");
    let entry = entry_path(&env);
    // Root plays the other user: readable files of theirs, in the cache.
    std::fs::write(&entry, planted_entry(&entry, "planted-by-root")).unwrap();
    chown(&entry, Some(0), Some(0)).unwrap();
    chmod(&entry, 0o644);
    let lock = entry.with_extension("lock");
    chown(&lock, Some(0), Some(0)).unwrap();
    chmod(&lock, 0o644);
    let (stdout, stderr) = success(fetch(oauthctl(&env), &[]));
    assert_eq!(stdout, "tok-2\n");
    assert_eq!(
        stderr,
        format!(
            "oauthctl: warning: went ahead without the cache lock (cannot lock `{}`: it is owned by uid 0, not by you); parallel runs may each have asked for a token\n",
            lock.display()
        )
    );
}

/// An issuer on loopback: its discovery document names its own token endpoint, which answers
/// `real` to anyone.
fn issuer_server() -> StubServer {
    let base = Arc::new(Mutex::new(String::new()));
    let own = base.clone();
    let idp = StubServer::start(move |r: &Recorded| {
        let base = own.lock().unwrap().clone();
        match r.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                200,
                &json!({"issuer": base, "token_endpoint": format!("{base}/token")}).to_string(),
            ),
            _ => Reply::json(200, r#"{"access_token":"real","expires_in":3600}"#),
        }
    });
    *base.lock().unwrap() = idp.url("");
    idp
}

/// Profile `app` (the default) for the issuer `idp`, its secret in `APP_SECRET`.
fn issuer_profile(env: &Env, idp: &StubServer) {
    env.write_config(&format!(
        "default_profile = \"app\"\n[profiles.app]\nissuer = \"{}\"\nclient_id = \"app\"\nclient_secret_env = \"APP_SECRET\"\n",
        idp.url("")
    ));
}

#[test]
fn planted_issuer_metadata_never_receives_the_secret() {
    let evil = StubServer::start(|_| Reply::json(200, r#"{"access_token":"evil"}"#));
    let idp = issuer_server();
    let env = Env::new();
    issuer_profile(&env, &idp);
    hand_over(&env);
    assert_eq!(success(fetch(oauthctl(&env), &["--no-cache"])).0, "real\n");
    let issuers = cache_dir(&env).join("issuers");
    let documents: Vec<PathBuf> = std::fs::read_dir(&issuers)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(documents.len(), 1, "{documents:?}");
    let document = &documents[0];
    let mut cached: Value = serde_json::from_slice(&std::fs::read(document).unwrap()).unwrap();
    cached["document"]["token_endpoint"] = evil.url("/token").into();
    let planted = cached.to_string();
    // In place, writable by others; then as a link to a file of the user's own.
    std::fs::write(document, &planted).unwrap();
    chmod(document, 0o666);
    assert_eq!(success(fetch(oauthctl(&env), &["--no-cache"])).0, "real\n");
    let elsewhere = env.home.path().join("metadata.json");
    std::fs::write(&elsewhere, &planted).unwrap();
    std::fs::remove_file(document).unwrap();
    std::os::unix::fs::symlink(&elsewhere, document).unwrap();
    hand_over(&env);
    assert_eq!(success(fetch(oauthctl(&env), &["--no-cache"])).0, "real\n");
    assert_eq!(evil.request_count(), 0);
}

// ---------------------------------------------------------------- point 3: never fails a fetch

#[test]
fn a_read_only_cache_serves_its_tokens_and_never_fails_a_fetch() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    assert_eq!(success(fetch(oauthctl(&env), &[])).0, "tok-1\n");
    let entry = entry_path(&env);
    std::fs::remove_file(entry.with_extension("lock")).unwrap();
    chmod(&cache_dir(&env), 0o500);
    // What it holds is served, with no lock needed and nothing to say.
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-1\n"));
    // What it does not hold is fetched, without the lock, and not kept: one line says so.
    let (stdout, stderr) = success(fetch(oauthctl(&env), &["--scope", "other"]));
    assert_eq!(stdout, "tok-2\n");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("oauthctl: warning: the token was not cached: cannot write `"),
        "{stderr}"
    );
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(
        stderr.contains("nor could the cache be locked: cannot lock `"),
        "{stderr}"
    );
    chmod(&cache_dir(&env), 0o700);
}

// ---------------------------------------------------------------- point 4: clear and revoke

#[test]
fn cache_clear_says_which_file_it_could_not_remove_and_counts_only_what_it_did() {
    let (_server, env, entry) = with_a_cached_token();
    chmod(&cache_dir(&env), 0o500);
    let stderr = fails(oauthctl(&env).args(["cache", "clear"]).assert(), 78, "");
    assert_eq!(
        stderr,
        format!(
            "oauthctl: error: cannot remove `{}` from the token cache: Permission denied (os error 13); removed 0 cached tokens\n",
            entry.display()
        )
    );
    chmod(&cache_dir(&env), 0o700);
    assert!(entry.exists());
}

#[test]
fn cache_clear_sweeps_killed_writers_temp_files_and_unreadable_entries_but_no_live_write() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    success(fetch(oauthctl(&env), &[]));
    let dir = cache_dir(&env);
    let key = entry_path(&env)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let token_json = r#"{"response":{"access_token":"tok-in-a-temp-file"}}"#;
    // Temp files of writers of this key that were killed (`.<key>.json.<pid>.tmp`).
    for stale in [
        format!(".{key}.json.4242.tmp"),
        format!(".{key}.json.31337.tmp"),
    ] {
        std::fs::write(dir.join(stale), token_json).unwrap();
    }
    // An entry nobody can read as one.
    let corrupt = format!("{}.json", "ab".repeat(32));
    std::fs::write(dir.join(&corrupt), b"\x00\xffnot json").unwrap();
    // A write in progress: its writer holds the key's lock.
    let busy = "cd".repeat(32);
    let live = format!(".{busy}.json.777.tmp");
    std::fs::write(dir.join(&live), token_json).unwrap();
    hand_over(&env);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{busy}.lock")))
        .unwrap();
    lock.lock().unwrap();
    hand_over(&env);
    let assert = oauthctl(&env).args(["cache", "clear"]).assert().success();
    assert_eq!(
        stdout_of(&assert),
        format!(
            "removed 1 cached token (and 1 unreadable entry file and 2 temp files left by interrupted writers) from {}\n",
            dir.display()
        )
    );
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut expected = vec![
        format!("{busy}.lock"),
        format!("{key}.lock"),
        live.clone(),
        "fingerprint.key".to_string(),
    ];
    expected.sort();
    assert_eq!(left, expected);
    drop(lock);
    let json: Value = serde_json::from_str(&stdout_of(
        &oauthctl(&env)
            .args(["cache", "clear", "-o", "json"])
            .assert()
            .success(),
    ))
    .unwrap();
    assert_eq!(
        (
            &json["removed"],
            &json["unreadable_removed"],
            &json["temp_files_removed"]
        ),
        (&json!(0), &json!(0), &json!(1))
    );
}

#[test]
fn revoke_fails_when_the_revoked_tokens_stay_cached() {
    let (server, env, entry) = with_a_cached_token();
    chmod(&cache_dir(&env), 0o500);
    let stderr = fails(
        oauthctl(&env)
            .arg("revoke")
            .env(SECRET_ENV, SECRET)
            .assert(),
        78,
        "",
    );
    assert_eq!(
        stderr,
        format!(
            "oauthctl: error: revoked the token of profile `app` but could not forget the cache entry: cannot remove `{}`: Permission denied (os error 13); until it is removed, `oauthctl fetch` may print a revoked token\n",
            entry.display()
        )
    );
    let revocation = revocation_sent(&server);
    assert_eq!(revocation.form_value("token").as_deref(), Some("tok-1"));
    chmod(&cache_dir(&env), 0o700);
}

// ---------------------------------------------------------------- point 5: no FIFO hangs a run

#[test]
fn fifos_at_an_entry_and_its_lock_are_a_miss_not_a_hang() {
    let (_server, env, entry) = with_a_cached_token();
    let lock = entry.with_extension("lock");
    for path in [&entry, &lock] {
        std::fs::remove_file(path).unwrap();
        mkfifo(path);
    }
    hand_over(&env);
    let (stdout, stderr) = success(fetch(oauthctl(&env), &[]));
    assert_eq!(stdout, "tok-2\n");
    assert_eq!(
        stderr,
        format!(
            "oauthctl: warning: went ahead without the cache lock (cannot lock `{}`: it is a FIFO, not a regular file); parallel runs may each have asked for a token\n",
            lock.display()
        )
    );
    // The entry is a file again, and serves the next run.
    assert!(entry.is_file());
    assert_eq!(success(fetch(oauthctl(&env), &[])).0, "tok-2\n");
}

#[test]
fn fifos_and_devices_given_as_files_are_refused_at_once() {
    let env = Env::new();
    let fifo = env.home.path().join("fifo");
    mkfifo(&fifo);
    let fifo_text = fifo.display().to_string();
    let token = crate::support::common::jwt(json!({"sub": "x"}));
    let base = "default_profile = \"app\"\n[profiles.app]\ntoken_url = \"https://idp.example/token\"\nclient_id = \"app\"\n";
    let cases: Vec<(String, Vec<&str>, String)> = vec![
        (
            format!("{base}client_secret_file = \"{fifo_text}\"\n"),
            vec!["fetch", "--no-cache"],
            format!(
                "cannot read client_secret_file `{fifo_text}`: it is a FIFO, not a regular file"
            ),
        ),
        (
            format!("{base}client_secret_file = \"/dev/zero\"\n"),
            vec!["fetch", "--no-cache"],
            "cannot read client_secret_file `/dev/zero`: it is a device, not a regular file".into(),
        ),
        (
            format!("{base}client_secret_env = \"S\"\nca_file = \"{fifo_text}\"\n"),
            vec!["fetch", "--no-cache"],
            format!("cannot read ca_file `{fifo_text}`: it is a FIFO, not a regular file"),
        ),
        (
            base.to_string(),
            vec!["inspect", "--jwks", &fifo_text, &token],
            format!("`{fifo_text}`: it is a FIFO, not a regular file"),
        ),
        (
            base.to_string(),
            vec!["inspect", "--key", &fifo_text, &token],
            format!("`{fifo_text}`: it is a FIFO, not a regular file"),
        ),
        (
            base.to_string(),
            vec!["inspect", "--secret-file", &fifo_text, &token],
            format!("`{fifo_text}`: it is a FIFO, not a regular file"),
        ),
        (
            base.to_string(),
            vec!["-c", &fifo_text, "fetch"],
            format!("cannot read config `{fifo_text}`: it is a FIFO, not a regular file"),
        ),
    ];
    for (config, args, message) in cases {
        env.write_config(&config);
        let mut cmd = env.cmd();
        cmd.args(&args)
            .env("S", "s")
            .timeout(Duration::from_secs(10));
        let stderr = fails(cmd.assert(), 78, &message);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}

// ---------------------------------------------------------------- point 9: credential identity

#[test]
fn a_changed_or_wrong_secret_is_never_served_another_secrets_token() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-1\n"));
    // The same profile with a wrong secret: the server's verdict, not the cached token.
    for (var, value) in [
        ("APP_SECRET", "a-wrong-secret"),
        ("OAUTHCTL_CLIENT_SECRET", "another-wrong-one"),
    ] {
        let stderr = fails(
            oauthctl(&env)
                .arg("fetch")
                .env(SECRET_ENV, SECRET)
                .env(var, value)
                .assert(),
            3,
            "invalid_client",
        );
        assert!(!stderr.contains("tok-1"), "{stderr}");
    }
    // A secret that cannot be read is the error it would be on a miss.
    fails(
        oauthctl(&env).arg("fetch").assert(),
        78,
        "env var APP_SECRET is not set",
    );
    // The right one again: served from the cache.
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-1\n"));
    assert_eq!(server.request_count(), 3);
    // A secret file that changes is fingerprinted the same way.
    let file = env.home.path().join("secret.txt");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    hand_over(&env);
    let with_file = format!("--client-secret-file={}", file.display());
    assert_eq!(success(fetch(oauthctl(&env), &[&with_file])), ok("tok-1\n"));
    std::fs::write(&file, "changed\n").unwrap();
    hand_over(&env);
    fails(
        oauthctl(&env).args(["fetch", &with_file]).assert(),
        3,
        "invalid_client",
    );
}

#[test]
fn a_cache_hit_runs_no_secret_command() {
    let server = token_server();
    let env = Env::new();
    let runs = env.home.path().join("runs");
    app(
        &env,
        &server,
        &format!(
            "client_secret_command = [\"sh\", \"-c\", \"echo run >> '{}'; echo {SECRET}\"]\n",
            runs.display()
        ),
    );
    // The profile's env source is replaced by the command.
    let config = std::fs::read_to_string(env.config_path())
        .unwrap()
        .replace("client_secret_env = \"APP_SECRET\"\n", "");
    env.write_config(&config);
    hand_over(&env);
    for _ in 0..3 {
        assert_eq!(
            stdout_of(&oauthctl(&env).arg("fetch").assert().success()),
            "tok-1\n"
        );
    }
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "run\n");
}

#[test]
fn the_cache_holds_neither_the_secret_nor_an_unkeyed_hash_of_it() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    success(fetch(oauthctl(&env), &[]));
    let digest = ring::digest::digest(&ring::digest::SHA256, SECRET.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let mut seen = 0;
    for entry in std::fs::read_dir(cache_dir(&env)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let content = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for leak in [SECRET, hex.as_str()] {
            assert!(!name.contains(leak) && !content.contains(leak), "{name}");
        }
        seen += 1;
    }
    assert_eq!(seen, 3, "the entry, its lock and the fingerprint key");
}

// ---------------------------------------------------------------- review: what the cache must not cost

#[test]
fn a_directory_above_the_cache_that_can_be_entered_but_not_listed_is_fine() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    // A shared host's /home: others may pass through, not look inside.
    let passage = env.home.path().join("passage");
    let cache = passage.join("inner/cache");
    std::fs::create_dir_all(&cache).unwrap();
    hand_over(&env);
    if is_root() {
        chown(&passage, Some(0), Some(0)).unwrap();
        chmod(&passage, 0o711);
    } else {
        chmod(&passage, 0o311);
    }
    let run = |args: &[&str]| {
        let assert = oauthctl(&env)
            .arg("fetch")
            .args(args)
            .env(SECRET_ENV, SECRET)
            .env("OAUTHCTL_CACHE_DIR", &cache)
            .assert()
            .success();
        (stdout_of(&assert), stderr_of(&assert))
    };
    assert_eq!(run(&[]), ok("tok-1\n"));
    assert_eq!(run(&[]), ok("tok-1\n"));
    assert_eq!(server.request_count(), 1);
    chmod(&passage, 0o755);
}

#[test]
fn what_needs_no_cache_neither_makes_one_nor_warns_about_one() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    let open = env.home.path().join("open");
    std::fs::create_dir(&open).unwrap();
    hand_over(&env);
    chmod(&open, 0o777);
    let cache = open.join("cache");
    for args in [
        &["fetch", "--no-cache"][..],
        &["introspect", "--token-type-hint", "access_token", "a-token"][..],
    ] {
        let assert = oauthctl(&env)
            .args(args)
            .env(SECRET_ENV, SECRET)
            .env("OAUTHCTL_CACHE_DIR", &cache)
            .env("OAUTHCTL_INTROSPECTION_URL", server.url("/revoke"))
            .assert();
        let stderr = stderr_of(&assert);
        assert!(!stderr.contains("warning"), "{args:?}: {stderr}");
    }
    assert!(!cache.exists(), "nothing was made");
}

#[test]
fn an_untrusted_issuer_metadata_directory_is_one_warning_line() {
    let idp = issuer_server();
    let env = Env::new();
    issuer_profile(&env, &idp);
    let elsewhere = env.home.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(cache_dir(&env)).unwrap();
    std::os::unix::fs::symlink(&elsewhere, cache_dir(&env).join("issuers")).unwrap();
    hand_over(&env);
    chmod(&cache_dir(&env), 0o700);
    let (stdout, stderr) = success(fetch(oauthctl(&env), &["--no-cache"]));
    assert_eq!(stdout, "real\n");
    assert_eq!(
        stderr,
        format!(
            "oauthctl: warning: not using the issuer metadata cache: `{}` is a symbolic link; asking the issuer every time\n",
            cache_dir(&env).join("issuers").display()
        )
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn revoke_with_a_cache_that_cannot_make_its_key_revokes_nothing_and_says_why() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    std::fs::create_dir_all(cache_dir(&env)).unwrap();
    hand_over(&env);
    chmod(&cache_dir(&env), 0o500);
    let assert = oauthctl(&env)
        .arg("revoke")
        .env(SECRET_ENV, SECRET)
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("oauthctl: warning: the token cache cannot compute its keys: `")
            && lines[0].contains("fingerprint.key`: cannot create it: Permission denied")
            && lines[0].ends_with("; looking for the profile's tokens by its name"),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        "oauthctl: nothing to revoke: profile `app` has no cached token"
    );
    assert_eq!(server.request_count(), 0);
    chmod(&cache_dir(&env), 0o700);
}

#[test]
fn cache_clear_sweeps_a_temp_file_whose_lock_nobody_can_hold() {
    let (_server, env, entry) = with_a_cached_token();
    let key = entry.file_stem().unwrap().to_string_lossy().into_owned();
    let stale = cache_dir(&env).join(format!(".{key}.json.4242.tmp"));
    std::fs::write(&stale, r#"{"response":{"access_token":"tok-1"}}"#).unwrap();
    hand_over(&env);
    // Its lock is a FIFO: nobody can hold it, so no write can be in progress.
    let lock = entry.with_extension("lock");
    std::fs::remove_file(&lock).unwrap();
    mkfifo(&lock);
    hand_over(&env);
    let assert = oauthctl(&env).args(["cache", "clear"]).assert().success();
    assert!(
        stdout_of(&assert).starts_with(
            "removed 1 cached token (and 1 temp file left by interrupted writers) from "
        ),
        "{}",
        stdout_of(&assert)
    );
    assert!(!stale.exists());
}

#[test]
fn a_fingerprint_key_that_is_not_a_private_file_is_replaced() {
    let server = token_server();
    let env = Env::new();
    app(&env, &server, "");
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-1\n"));
    let key = cache_dir(&env).join("fingerprint.key");
    std::fs::remove_file(&key).unwrap();
    mkfifo(&key);
    hand_over(&env);
    // A new key: the old entry cannot be found (a request), and the cache works again.
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-2\n"));
    assert_eq!(success(fetch(oauthctl(&env), &[])), ok("tok-2\n"));
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
}

#[test]
fn revoke_finds_the_profiles_tokens_when_the_cache_keys_cannot_be_had() {
    // The fingerprint key unreadable, then replaced: the entry cannot be found by its key, and
    // must be found by the profile's name, never reported as "nothing to revoke".
    for breakage in ["unreadable", "replaced"] {
        let server = token_server();
        let env = Env::new();
        app(&env, &server, "");
        success(fetch(oauthctl(&env), &[]));
        let entry = entry_path(&env);
        let key = cache_dir(&env).join("fingerprint.key");
        match breakage {
            "unreadable" => chmod(&key, 0o000),
            _ => chmod(&key, 0o666),
        }
        let assert = oauthctl(&env)
            .arg("revoke")
            .env(SECRET_ENV, SECRET)
            .assert()
            .success();
        let stderr = stderr_of(&assert);
        assert!(
            stderr.ends_with(&format!(
                "oauthctl: revoked the cached access token of profile `app` at {}, and forgot the cache entry\n",
                server.addr()
            )),
            "{breakage}: {stderr}"
        );
        let revocation = revocation_sent(&server);
        assert_eq!(revocation.form_value("token").as_deref(), Some("tok-1"));
        assert!(!entry.exists(), "{breakage}");
        chmod(&key, 0o600);
    }
}
