//! Where the key oauthctl makes for a DPoP profile lives and when it goes (DESIGN §12): it is
//! named by the client its tokens belong to, so profiles that share a token share it; it is
//! recorded in the cache entry and removed with it by `cache clear` and by `revoke` once the
//! server was asked; `--no-cache` and a store that cannot be written keep nothing. Then what
//! the commands that use the key without fetching show: `inspect -p`, `keys dpop-proof`, and
//! the refusals and checks made before anything is sent.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::{
    DPOP, Issuer, Proof, ath, bound, cache_entry, cnf_jkt, dpop_files, dpop_profile, fetch,
    generated_key, genpkey, nonce_demand,
};
use crate::support::app::{self, APP, SECRET, SECRET_ENV};
use crate::support::common::{self, Env, fails, json_of, stdout_of};
use crate::support::server::{Reply, StubServer};
use crate::support::unprivileged;

// ---------------------------------------------------------------- revoke

/// A token endpoint (`/token`) that binds what it issues to the proof's key (`bound`), and a
/// revocation endpoint (`/revoke`) that answers `revocation` to every request.
fn token_and_revocation(revocation: Reply) -> StubServer {
    let n = AtomicUsize::new(0);
    StubServer::start(move |request| match request.path.as_str() {
        "/token" => bound(request, n.fetch_add(1, Ordering::SeqCst)),
        "/revoke" => revocation.clone(),
        _ => Reply::json(404, r#"{"error":"not_found"}"#),
    })
}

/// Profile `app` with DPoP on and `server`'s revocation endpoint, then `extra`.
fn revocable_profile(env: &Env, server: &StubServer, extra: &str) {
    let revoke = server.url("/revoke");
    app::profile(
        env,
        &server.url("/token"),
        &format!("{DPOP}revocation_url = \"{revoke}\"\n{extra}"),
    );
}

/// `oauthctl ARGS` with the client secret set.
fn oauthctl(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args(args).env(SECRET_ENV, SECRET);
    cmd
}

/// The profiles of the entries `cache list -o json` shows.
fn listed(env: &Env) -> Vec<String> {
    let assert = env
        .cmd()
        .args(["-o", "json", "cache", "list"])
        .assert()
        .success();
    json_of(&assert)
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["profile"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The revocation requests `server` received: each sent the token (RFC 7009 §2.1) as the
/// client, with no DPoP proof (RFC 9449 §5 defines them for token requests only).
fn revocations(server: &StubServer, token: &str) -> usize {
    let sent: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/revoke")
        .collect();
    for request in &sent {
        assert_eq!(request.form_value("token").as_deref(), Some(token));
        assert_eq!(
            request.basic_credentials(),
            Some((APP.to_owned(), SECRET.to_owned()))
        );
        assert_eq!(request.header_count("dpop"), 0, "{request:?}");
    }
    sent.len()
}

/// DESIGN §12: the server was asked to revoke the cached token and refused (400): the token it
/// did not revoke is of no use without the key, so the key goes and the message says so; the
/// entry stays, for a later `revoke` to send again.
#[test]
fn revoke_refused_by_the_server_removes_the_key_and_keeps_the_entry() {
    let refusal = Reply::json(400, r#"{"error":"invalid_request"}"#);
    let server = token_and_revocation(refusal);
    let env = Env::new();
    revocable_profile(&env, &server, "");
    let token = stdout_of(&oauthctl(&env, &["fetch"]).assert().success());
    let key = generated_key(&env);
    assert_eq!(cache_entry(&env)["dpop_key"], json!(key_name(&key)));

    let stderr = fails(
        oauthctl(&env, &["revoke", "-p", APP]).assert(),
        3,
        "invalid_request",
    );
    assert!(
        stderr.contains("the DPoP key the tokens are bound to is removed"),
        "{stderr}"
    );
    assert_eq!(revocations(&server, token.trim_end()), 1);
    assert!(!key.exists(), "{} kept", key.display());
    assert_eq!(listed(&env), [APP], "the entry is kept");
}

/// A revocation never sent (the client secret's env var unset: exit 78) asked the server
/// nothing: the key and the entry stay.
#[test]
fn revoke_that_sends_nothing_keeps_the_key_and_the_entry() {
    let server = token_and_revocation(Reply::json(200, "{}"));
    let env = Env::new();
    revocable_profile(&env, &server, "");
    oauthctl(&env, &["fetch"]).assert().success();
    let key = generated_key(&env);

    let mut cmd = env.cmd();
    cmd.args(["revoke", "-p", APP]).env_remove(SECRET_ENV);
    fails(cmd.assert(), 78, SECRET_ENV);
    assert_eq!(revocations(&server, ""), 0, "nothing sent");
    assert!(key.exists(), "{} removed", key.display());
    assert_eq!(listed(&env), [APP]);
}

/// `revoke TOKEN` for a token no cache entry holds: the server's refusal says nothing about the
/// profile's cached token, whose key stays.
#[test]
fn revoke_of_a_token_that_is_not_cached_keeps_the_key() {
    let refusal = Reply::json(400, r#"{"error":"invalid_request"}"#);
    let server = token_and_revocation(refusal);
    let env = Env::new();
    revocable_profile(&env, &server, "");
    oauthctl(&env, &["fetch"]).assert().success();
    let key = generated_key(&env);

    let stderr = fails(
        oauthctl(&env, &["revoke", "-p", APP, "some-other-token"]).assert(),
        3,
        "invalid_request",
    );
    assert!(!stderr.contains("DPoP key"), "{stderr}");
    assert_eq!(revocations(&server, "some-other-token"), 1);
    assert!(key.exists(), "{} removed", key.display());
    assert_eq!(listed(&env), [APP]);
}

/// Revoked (RFC 7009 §2.2: 200): the entry and its key go, and `-o json` says so.
#[test]
fn revoke_that_succeeds_removes_the_key_and_says_so() {
    let server = token_and_revocation(Reply::json(200, "{}"));
    let env = Env::new();
    revocable_profile(&env, &server, "");
    let token = stdout_of(&oauthctl(&env, &["fetch"]).assert().success());
    let key = generated_key(&env);

    let assert = oauthctl(&env, &["-o", "json", "revoke", "-p", APP])
        .assert()
        .success();
    let outcome = json_of(&assert);
    assert_eq!(outcome["dpop_key_removed"], true, "{outcome}");
    assert_eq!(outcome["forgotten"], true, "{outcome}");
    assert_eq!(revocations(&server, token.trim_end()), 1);
    assert!(!key.exists(), "{} kept", key.display());
    assert_eq!(listed(&env), Vec::<String>::new());
}

/// A `dpop_key_file` is the user's: no revocation, whatever the server answers, and no
/// `cache clear` removes it.
#[test]
fn a_dpop_key_file_survives_revoke_and_cache_clear() {
    for status in [200, 400] {
        let server = token_and_revocation(Reply::json(status, r#"{"error":"invalid_request"}"#));
        let env = Env::new();
        let file = genpkey(&env, "mine.pem", "EC", &["ec_paramgen_curve:P-256"]);
        let text = std::fs::read(&file).unwrap();
        revocable_profile(
            &env,
            &server,
            &format!("dpop_key_file = \"{}\"\n", file.display()),
        );
        let forget: [&[&str]; 4] = [
            &["revoke", "-p", APP],
            &["revoke", "-p", APP, "some-other-token"],
            &["cache", "clear", "-p", APP],
            &["cache", "clear"],
        ];
        for args in forget {
            oauthctl(&env, &["fetch"]).assert().success();
            assert!(cache_entry(&env)["dpop_key"].is_null());
            let code = oauthctl(&env, args).assert().get_output().status.code();
            let expected = match (args[0], status) {
                ("revoke", 400) => Some(3),
                _ => Some(0),
            };
            assert_eq!(code, expected, "{status} {args:?}");
            assert_eq!(
                std::fs::read(&file).ok().as_ref(),
                Some(&text),
                "{status} {args:?} removed the dpop_key_file"
            );
            assert_eq!(dpop_files(&env, ".key.pem"), Vec::<PathBuf>::new());
            oauthctl(&env, &["cache", "clear"]).assert().success();
        }
    }
}

// ---------------------------------------------------------------- cache clear and sharing

/// A config of DPoP client_credentials profiles for `token_url`, each (name, client_id), all
/// with the secret in `$APP_SECRET` and `extra`; the first is the default.
fn dpop_profiles(env: &Env, token_url: &str, profiles: &[(&str, &str)], extra: &str) {
    let mut toml = format!("default_profile = \"{}\"\n", profiles[0].0);
    for (name, client_id) in profiles {
        toml.push_str(&format!(
            "\n[profiles.{name}]\ntoken_url = \"{token_url}\"\nclient_id = \"{client_id}\"\n\
             client_secret_env = \"{SECRET_ENV}\"\n{DPOP}{extra}"
        ));
    }
    env.write_config(&toml);
}

/// The cache entry stored for `profile`.
fn entry_of(env: &Env, profile: &str) -> Value {
    let entries: Vec<Value> = common::cache_files(env)
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
        .filter(|e: &Value| e["profile"] == profile)
        .collect();
    assert_eq!(entries.len(), 1, "{profile}: {entries:#?}");
    entries[0].clone()
}

/// `cache clear -p NAME` removes the key its entry records (`dpop_key`), though the profile's
/// client has changed since and would name another; another client's key stays. `cache clear`
/// removes every key and every remembered nonce, and both say how many keys went.
#[test]
fn cache_clear_removes_the_keys_the_entries_record_and_every_nonce() {
    let issuer = Issuer::start(vec![nonce_demand(Some("n-1"))]);
    let env = Env::new();
    let url = issuer.token_url();
    dpop_profiles(&env, &url, &[(APP, APP), ("other", "other")], "");
    oauthctl(&env, &["fetch", "-p", APP]).assert().success();
    oauthctl(&env, &["fetch", "-p", "other"]).assert().success();
    let dir = super::dpop_dir(&env);
    let app_key = dir.join(entry_of(&env, APP)["dpop_key"].as_str().expect("dpop_key"));
    let other_key = dir.join(entry_of(&env, "other")["dpop_key"].as_str().unwrap());
    assert_eq!(dpop_files(&env, ".key.pem"), sorted([&app_key, &other_key]));
    assert_eq!(dpop_files(&env, ".nonce").len(), 1, "the server's nonce");

    dpop_profiles(&env, &url, &[(APP, "renamed"), ("other", "other")], "");
    let assert = oauthctl(&env, &["cache", "clear", "-p", APP])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.starts_with("removed 1 cached token (and 1 DPoP key) from "),
        "{stdout}"
    );
    assert!(!app_key.exists(), "the entry's key is kept");
    assert!(other_key.exists(), "another client's key is removed");
    assert_eq!(listed(&env), ["other"]);

    oauthctl(&env, &["fetch", "-p", APP]).assert().success();
    assert_eq!(dpop_files(&env, ".key.pem").len(), 2);
    let assert = oauthctl(&env, &["-o", "json", "cache", "clear"])
        .assert()
        .success();
    let cleared = json_of(&assert);
    assert_eq!(cleared["removed"], 2, "{cleared}");
    assert_eq!(cleared["dpop_keys_removed"], 2, "{cleared}");
    let left: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, Vec::<PathBuf>::new(), "no key or nonce is left");
}

fn sorted<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
    paths.sort();
    paths
}

/// Two profiles with the same endpoint, client, secret and scope share one cached token, so
/// they share the one key it is bound to: one token request between three runs, one key.
#[test]
fn profiles_of_one_client_share_one_token_and_one_key() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    let scope = "scope = \"orders:read\"\n";
    dpop_profiles(&env, &issuer.token_url(), &[("a", APP), ("b", APP)], scope);
    let tokens: Vec<String> = ["a", "b", "a"]
        .iter()
        .map(|name| {
            let assert = oauthctl(&env, &["fetch", "-p", name]).assert().success();
            assert_eq!(common::stderr_of(&assert), "", "{name}");
            stdout_of(&assert)
        })
        .collect();
    assert_eq!(tokens[1], tokens[0]);
    assert_eq!(tokens[2], tokens[0]);
    let requests = issuer.requests();
    assert_eq!(requests.len(), 1, "one token request");
    assert_eq!(
        requests[0].form_value("scope").as_deref(),
        Some("orders:read")
    );
    let proof = Proof::of_token_request(&requests[0], &issuer.token_url(), None);
    assert_eq!(cnf_jkt(tokens[0].trim_end()), proof.jkt());
    let key = generated_key(&env);
    assert_eq!(cache_entry(&env)["dpop_key"], json!(key_name(&key)));
}

// ---------------------------------------------------------------- nothing kept

/// `--no-cache` writes nothing: no cache directory is made (`OAUTHCTL_CACHE_DIR` names one
/// that does not exist), and the nonce the server gave one run (RFC 9449 §8) is used within it
/// but not remembered for the next.
#[test]
fn no_cache_writes_no_key_and_no_nonce() {
    let issuer = Issuer::start(vec![nonce_demand(Some("n-1"))]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let fresh = env.home.path().join("fresh");
    for _ in 0..2 {
        let mut cmd = fetch(&env, &["--no-cache"]);
        let assert = cmd
            .env("OAUTHCTL_CACHE_DIR", fresh.join("cache"))
            .assert()
            .success();
        assert_eq!(common::stderr_of(&assert), "");
    }
    let url = issuer.token_url();
    let requests = issuer.requests();
    assert_eq!(requests.len(), 3);
    Proof::of_token_request(&requests[0], &url, None);
    Proof::of_token_request(&requests[1], &url, Some("n-1"));
    Proof::of_token_request(&requests[2], &url, None);
    assert!(!fresh.exists(), "{} was made", fresh.display());
    assert!(!common::cache_dir(&env).exists());
}

/// The cache directory, made private as oauthctl makes it.
fn make_cache_dir(env: &Env) -> PathBuf {
    let dir = common::cache_dir(env);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// `oauthctl fetch` as a user file modes bind (`nobody` when the tests run as root).
fn fetch_unprivileged(env: &Env) -> assert_cmd::Command {
    app::fetch(unprivileged::oauthctl(env), &[])
}

/// DESIGN §12: a key that cannot be kept signs this run's proofs alone, so its token is not
/// cached (no later run could prove the key): `fetch` works, says so in one line, and the next
/// run asks for a token again. Whatever keeps the key from being written: `dpop/` read-only, a
/// file where `dpop/` goes, a directory where the key file goes.
#[test]
fn a_key_that_cannot_be_kept_serves_the_run_and_its_token_is_not_cached() {
    type Spoil = fn(&Env);
    let cases: [(&str, Spoil); 3] = [
        ("dpop/ read-only", |env| {
            let dir = make_cache_dir(env).join("dpop");
            std::fs::create_dir(&dir).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        }),
        ("a file named dpop", |env| {
            std::fs::write(make_cache_dir(env).join("dpop"), "not a directory").unwrap();
        }),
        ("a directory where the key goes", |env| {
            unprivileged::hand_over(env);
            fetch_unprivileged(env).assert().success();
            let key = generated_key(env);
            let mut clear = unprivileged::oauthctl(env);
            clear.args(["cache", "clear"]).assert().success();
            std::fs::create_dir(&key).unwrap();
        }),
    ];
    for (case, spoil) in cases {
        let issuer = Issuer::start(vec![]);
        let env = Env::new();
        dpop_profile(&env, &issuer, "");
        spoil(&env);
        unprivileged::hand_over(&env);
        let before = issuer.requests().len();
        let mut tokens = Vec::new();
        for _ in 0..2 {
            let assert = fetch_unprivileged(&env).assert().success();
            let stderr = common::stderr_of(&assert);
            assert_eq!(stderr.lines().count(), 1, "{case}: {stderr}");
            assert!(
                stderr.starts_with("oauthctl: warning: ")
                    && stderr.contains("DPoP key")
                    && stderr.contains("made for this run signs its proofs"),
                "{case}: {stderr}"
            );
            tokens.push(stdout_of(&assert).trim_end().to_owned());
        }
        let requests = issuer.requests();
        assert_eq!(requests.len(), before + 2, "{case}: the token was cached");
        assert_eq!(common::cache_files(&env), Vec::<PathBuf>::new(), "{case}");
        let proofs: Vec<Proof> = requests[before..]
            .iter()
            .map(|r| Proof::of_token_request(r, &issuer.token_url(), None))
            .collect();
        assert_ne!(proofs[0].jkt(), proofs[1].jkt(), "{case}: a key per run");
        assert_eq!(cnf_jkt(&tokens[1]), proofs[1].jkt(), "{case}");
        let kept: Vec<PathBuf> = dpop_files(&env, ".key.pem")
            .into_iter()
            .filter(|p| p.is_file())
            .collect();
        assert_eq!(kept, Vec::<PathBuf>::new(), "{case}");
    }
}

// ---------------------------------------------------------------- checked before sending

/// DESIGN §12: the formats that cannot carry a DPoP token (`-o header` without the request its
/// proof is for, `-o exec-credential`, as kubectl sends no proof) are refused before anything is
/// sent, so no code is spent and no token asked for that could not be printed.
#[test]
fn formats_that_cannot_carry_a_dpop_token_are_refused_before_any_request() {
    let server = StubServer::start(|request| match request.path.as_str() {
        "/device" => Reply::json(
            200,
            &json!({"device_code": "dc", "user_code": "WDJB-MJHT", "interval": 0,
                    "verification_uri": "https://idp.example/device", "expires_in": 600})
            .to_string(),
        ),
        _ => bound(request, 0),
    });
    let env = Env::new();
    let token_url = server.url("/token");
    env.write_config(&format!(
        "default_profile = \"{APP}\"\n\
         [profiles.{APP}]\ntoken_url = \"{token_url}\"\nclient_id = \"{APP}\"\n\
         client_secret_env = \"{SECRET_ENV}\"\n{DPOP}\n\
         [profiles.web]\ntoken_url = \"{token_url}\"\nclient_id = \"web\"\n\
         client_secret_env = \"{SECRET_ENV}\"\ngrant = \"authorization_code\"\n\
         redirect_uri = \"http://127.0.0.1:9/cb\"\n{DPOP}\n\
         [profiles.tv]\ngrant = \"device_code\"\ndevice_authorization_url = \"{}\"\n\
         token_url = \"{token_url}\"\nclient_id = \"tv\"\nauth_method = \"none\"\n{DPOP}",
        server.url("/device"),
    ));
    let header = "-o header needs the request it goes with";
    let kubectl = "kubectl cannot send the DPoP proof";
    let cases: [(&[&str], &str); 5] = [
        (&["fetch", "-o", "header"], header),
        (&["fetch", "-o", "exec-credential"], kubectl),
        (
            &["exchange-code", "-p", "web", "-o", "header", "the-code"],
            header,
        ),
        (&["login", "-p", "tv", "-o", "exec-credential"], kubectl),
        (&["login", "-p", "tv", "-o", "header"], header),
    ];
    for (args, message) in cases {
        fails(oauthctl(&env, args).assert(), 2, message);
        assert_eq!(server.requests().len(), 0, "{args:?} sent a request");
        assert_eq!(
            dpop_files(&env, ".key.pem"),
            Vec::<PathBuf>::new(),
            "{args:?}"
        );
    }
}

/// The request `--url` names, as the proof names it: the method as given (RFC 9110 §9.1: method
/// names are case-sensitive), `htu` with the `/` an empty path stands for (RFC 3986 §6.2.3),
/// and a URL with user information refused before anything is sent (RFC 9110 §4.2.4).
#[test]
fn the_proof_names_the_method_as_given_and_the_root_path_and_userinfo_is_refused() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let url = "https://alice:hunter2@rs.example/a";
    let stderr = fails(
        fetch(&env, &["-o", "header", "--url", url]).assert(),
        2,
        "--url must not carry user information",
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert_eq!(issuer.requests().len(), 0, "nothing sent");

    let args = [
        "-o",
        "header",
        "--url",
        "https://rs.example",
        "--method",
        "patch",
    ];
    let assert = fetch(&env, &args).assert().success();
    let (token, proof) = super::split_header_lines(&stdout_of(&assert));
    assert_eq!(proof.claims["htm"], "patch");
    assert_eq!(proof.claims["htu"], "https://rs.example/");
    assert_eq!(proof.claims["ath"], ath(&token));
    assert_eq!(issuer.requests().len(), 1);
}

// ---------------------------------------------------------------- inspect -p

/// RFC 9449 §6.1: `inspect -p NAME` compares a token's `cnf.jkt` with the profile's DPoP key:
/// its own key, another profile's, and a profile that has none yet, for which inspecting makes
/// none.
#[test]
fn inspect_compares_cnf_jkt_with_the_profiles_key_without_making_one() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    let profiles = [(APP, APP), ("other", "other"), ("third", "third")];
    dpop_profiles(&env, &issuer.token_url(), &profiles, "");
    let inspect = |args: &[&str]| {
        let text = stdout_of(
            &oauthctl(&env, &[&["inspect"], args].concat())
                .assert()
                .success(),
        );
        let json = json_of(
            &oauthctl(&env, &[&["-o", "json", "inspect"], args].concat())
                .assert()
                .success(),
        );
        let bound: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("Bound"))
            .map(str::to_owned)
            .collect();
        assert_eq!(bound.len(), 1, "{text}");
        (bound[0].clone(), json["dpop_binding"].clone())
    };

    let (line, binding) = inspect(&["-p", APP]);
    let token = stdout_of(&oauthctl(&env, &["fetch", "-p", APP]).assert().success());
    let token = token.trim_end();
    let jkt = cnf_jkt(token);
    assert!(line.contains("to the profile's DPoP key"), "{line}");
    assert_eq!(binding["matches"], true, "{binding}");
    assert_eq!(binding["token_jkt"], jkt.as_str());
    assert_eq!(binding["key_jkt"], jkt.as_str());
    assert_eq!(
        issuer.requests().len(),
        1,
        "inspect -p fetched the token once"
    );

    oauthctl(&env, &["fetch", "-p", "other"]).assert().success();
    let other_jkt = Proof::of(&issuer.requests()[1]).jkt();
    let (line, binding) = inspect(&["-p", "other", token]);
    assert!(line.contains("to ANOTHER DPoP key"), "{line}");
    assert_eq!(binding["matches"], false, "{binding}");
    assert_eq!(binding["key_jkt"], other_jkt.as_str());

    let keys = dpop_files(&env, ".key.pem");
    assert_eq!(keys.len(), 2);
    let (line, binding) = inspect(&["-p", "third", token]);
    assert!(line.contains("has no DPoP key kept"), "{line}");
    assert_eq!(binding["matches"], false, "{binding}");
    assert!(binding["key_jkt"].is_null(), "{binding}");
    assert_eq!(dpop_files(&env, ".key.pem"), keys, "inspect made a key");
    assert_eq!(issuer.requests().len(), 2);
}

// ---------------------------------------------------------------- keys dpop-proof

/// `keys dpop-proof` signs with the key the profile's token is bound to: by default for its
/// token request (POST to the token endpoint, with the nonce the server gave, RFC 9449 §8), else
/// for the request `--url` and `--method` name, with no nonce but `--nonce`. A profile without
/// DPoP has no key to sign with (exit 78). Nothing is sent.
#[test]
fn keys_dpop_proof_signs_for_the_token_endpoint_or_the_url_given() {
    let issuer = Issuer::start(vec![nonce_demand(Some("n-1"))]);
    let env = Env::new();
    dpop_profile(
        &env,
        &issuer,
        &format!(
            "\n[profiles.plain]\ntoken_url = \"{}\"\nclient_id = \"{APP}\"\n\
             client_secret_env = \"{SECRET_ENV}\"\n",
            issuer.token_url()
        ),
    );
    let token = stdout_of(&oauthctl(&env, &["fetch"]).assert().success());
    let jkt = cnf_jkt(token.trim_end());
    let sent = issuer.requests().len();
    let proof_of = |args: &[&str]| {
        let assert = oauthctl(&env, &[&["keys", "dpop-proof", "-p", APP], args].concat())
            .assert()
            .success();
        let stdout = stdout_of(&assert);
        let proof = Proof::parse(stdout.strip_suffix('\n').expect("one line"));
        assert_eq!(proof.jkt(), jkt, "the key the token is bound to");
        assert!(proof.claims.get("ath").is_none(), "{}", proof.claims);
        proof
    };

    let proof = proof_of(&[]);
    assert_eq!(proof.claims["htm"], "POST");
    assert_eq!(proof.claims["htu"], issuer.token_url());
    assert_eq!(proof.nonce(), Some("n-1"));

    let url = "https://rs.example/orders?page=2";
    let proof = proof_of(&["--url", url, "--method", "GET"]);
    assert_eq!(proof.claims["htm"], "GET");
    assert_eq!(proof.claims["htu"], "https://rs.example/orders");
    assert_eq!(proof.nonce(), None);
    let proof = proof_of(&["--url", url, "--method", "GET", "--nonce", "rs-1"]);
    assert_eq!(proof.nonce(), Some("rs-1"));

    let assert = oauthctl(&env, &["-o", "json", "keys", "dpop-proof", "-p", APP])
        .assert()
        .success();
    let json = json_of(&assert);
    let members: Vec<&String> = json.as_object().expect("an object").keys().collect();
    assert_eq!(members, ["dpop_proof"], "{json}");
    assert_eq!(
        Proof::parse(json["dpop_proof"].as_str().unwrap()).jkt(),
        jkt
    );

    fails(
        oauthctl(&env, &["keys", "dpop-proof", "-p", "plain"]).assert(),
        78,
        "does not use DPoP",
    );
    assert_eq!(issuer.requests().len(), sent, "nothing sent");
}

// ---------------------------------------------------------------- -o json

/// A token response that has a `dpop_proof` member of its own: `fetch -o json --url` prints
/// one `dpop_proof`, ours, for the request `--url` names, fresh and from the cache.
#[test]
fn json_names_dpop_proof_once_when_the_server_sent_one_too() {
    let n = AtomicUsize::new(0);
    let server = StubServer::start(move |request| {
        let mut reply = bound(request, n.fetch_add(1, Ordering::SeqCst));
        let mut body: Value = serde_json::from_slice(&reply.body).unwrap();
        body["dpop_proof"] = "the-servers-own".into();
        reply.body = body.to_string().into_bytes();
        reply
    });
    let env = Env::new();
    app::profile(&env, &server.url("/token"), DPOP);
    let url = "https://rs.example/orders";
    for cached in [false, true] {
        let assert = fetch(&env, &["-o", "json", "--url", url])
            .assert()
            .success();
        let stdout = stdout_of(&assert);
        assert_eq!(stdout.matches("\"dpop_proof\"").count(), 1, "{stdout}");
        assert!(!stdout.contains("the-servers-own"), "{stdout}");
        let json: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(json["cached"], cached, "{json}");
        let token = json["access_token"].as_str().unwrap();
        let proof = Proof::parse(json["dpop_proof"].as_str().unwrap());
        assert_eq!(proof.claims["htm"], "GET");
        assert_eq!(proof.claims["htu"], url);
        assert_eq!(proof.claims["ath"], ath(token));
        assert_eq!(proof.jkt(), cnf_jkt(token));
    }
    assert_eq!(server.requests().len(), 1);
}

/// The file name of a key in `dpop/`, as the entry records it.
fn key_name(key: &std::path::Path) -> String {
    key.file_name().unwrap().to_string_lossy().into_owned()
}

// ---------------------------------------------------------------- review fixes

/// A token endpoint for a user profile that binds what it issues (`bound`) and rotates refresh
/// tokens (RFC 6749 §6): the code gets `RT0` with a token inside the 60 s margin, `RT0` gets
/// `RT1`, `RT1` gets `RT2`; any other refresh token is refused.
fn rotating_issuer() -> StubServer {
    let n = AtomicUsize::new(0);
    StubServer::start(move |request| {
        let refresh = match request.form_value("grant_type").as_deref() {
            Some("authorization_code") => "RT0",
            Some("refresh_token") => match request.form_value("refresh_token").as_deref() {
                Some("RT0") => "RT1",
                Some("RT1") => "RT2",
                _ => return Reply::json(400, r#"{"error":"invalid_grant"}"#),
            },
            _ => return Reply::json(400, r#"{"error":"unsupported_grant_type"}"#),
        };
        let mut reply = bound(request, n.fetch_add(1, Ordering::SeqCst));
        let mut body: Value = serde_json::from_slice(&reply.body).unwrap();
        body["refresh_token"] = refresh.into();
        body["expires_in"] = 30.into();
        reply.body = body.to_string().into_bytes();
        reply
    })
}

/// SECURITY 30 with a key that cannot be kept: the token bound to it is not cached, but the
/// rotated refresh token is (the old one is spent), so the next run refreshes with `RT1`, not
/// `RT0`; the entry holds neither an access token nor the run's `dpop_jkt`, and each run says so
/// in one line.
#[test]
fn a_run_only_dpop_key_keeps_the_rotated_refresh_token() {
    let server = rotating_issuer();
    let env = Env::new();
    app::profile(
        &env,
        &server.url("/token"),
        &format!(
            "{DPOP}grant = \"authorization_code\"\nredirect_uri = \"http://127.0.0.1:9/cb\"\n"
        ),
    );
    oauthctl(&env, &["exchange-code", "the-code"])
        .assert()
        .success();
    assert_eq!(cache_entry(&env)["response"]["refresh_token"], "RT0");
    // Now the key cannot be kept: a file where `dpop/` goes.
    let dir = super::dpop_dir(&env);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, "not a directory").unwrap();

    for _ in 0..2 {
        let assert = oauthctl(&env, &["fetch"]).assert().success();
        let stderr = common::stderr_of(&assert);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("oauthctl: warning: ")
                && stderr.contains("made for this run signs its proofs"),
            "{stderr}"
        );
    }
    let presented: Vec<Option<String>> = server
        .requests()
        .iter()
        .filter(|r| r.form_value("grant_type").as_deref() == Some("refresh_token"))
        .map(|r| r.form_value("refresh_token"))
        .collect();
    assert_eq!(
        presented,
        [Some("RT0".to_owned()), Some("RT1".to_owned())],
        "the rotated refresh token was lost"
    );
    let entry = cache_entry(&env);
    assert_eq!(entry["response"]["refresh_token"], "RT2", "{entry:#}");
    assert!(entry["response"].get("access_token").is_none(), "{entry:#}");
    assert!(entry["dpop_jkt"].is_null(), "{entry:#}");
    assert!(entry["dpop_key"].is_null(), "{entry:#}");
}

/// Two grants of one client (same endpoint, client, secret and scope) share its DPoP key while
/// their entries differ: `cache clear -p laptop` and `revoke -p laptop` forget laptop's entry but
/// keep the key ssh's entry records; forgetting ssh last removes it.
#[test]
fn a_dpop_key_another_entry_records_outlives_cache_clear_and_revoke() {
    let n = AtomicUsize::new(0);
    let server = StubServer::start(move |request| match request.path.as_str() {
        "/device" => Reply::json(
            200,
            &json!({"device_code": "dc", "user_code": "WDJB-MJHT", "interval": 0,
                    "verification_uri": "https://idp.example/device", "expires_in": 600})
            .to_string(),
        ),
        "/token" => bound(request, n.fetch_add(1, Ordering::SeqCst)),
        "/revoke" => Reply::json(200, "{}"),
        _ => Reply::json(404, r#"{"error":"not_found"}"#),
    });
    let env = Env::new();
    let client = format!(
        "token_url = \"{}\"\nclient_id = \"{APP}\"\nclient_secret_env = \"{SECRET_ENV}\"\n\
         scope = \"repo\"\nrevocation_url = \"{}\"\n{DPOP}",
        server.url("/token"),
        server.url("/revoke"),
    );
    env.write_config(&format!(
        "default_profile = \"laptop\"\n\
         [profiles.laptop]\n{client}grant = \"authorization_code\"\n\
         redirect_uri = \"http://127.0.0.1:9/cb\"\n\
         [profiles.ssh]\n{client}grant = \"device_code\"\ndevice_authorization_url = \"{}\"\n",
        server.url("/device"),
    ));
    let forgets: [&[&str]; 2] = [&["cache", "clear", "-p"], &["revoke", "-p"]];
    for forget in forgets {
        oauthctl(&env, &["exchange-code", "-p", "laptop", "the-code"])
            .assert()
            .success();
        oauthctl(&env, &["login", "-p", "ssh", "--device"])
            .assert()
            .success();
        let key = generated_key(&env);
        for profile in ["laptop", "ssh"] {
            let recorded = &entry_of(&env, profile)["dpop_key"];
            assert_eq!(*recorded, json!(key_name(&key)), "{forget:?} {profile}");
        }

        oauthctl(&env, &[forget, &["laptop"]].concat())
            .assert()
            .success();
        assert_eq!(listed(&env), ["ssh"], "{forget:?}");
        assert!(
            key.is_file(),
            "{forget:?} laptop removed the key ssh records"
        );

        oauthctl(&env, &[forget, &["ssh"]].concat())
            .assert()
            .success();
        assert_eq!(listed(&env), Vec::<String>::new(), "{forget:?}");
        assert!(!key.exists(), "{forget:?} ssh kept the key");
    }
    let revoked = server
        .requests()
        .iter()
        .filter(|r| r.path == "/revoke")
        .count();
    assert_eq!(revoked, 2, "one revocation per profile");
}
