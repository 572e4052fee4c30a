//! End-to-end tests of `oauthctl git-credential` as the real git's credential helper
//! (git-credential(1), DESIGN §13): `git clone`, `git push` and `git fetch` over smart HTTP
//! against the loopback git server (support/git_server.rs), which serves a request only when the
//! real authorization server (support/idp.rs) says its token is one it issued and still in force.
//! git runs `oauthctl git-credential` through `credential.helper`, its environment (HOME, the
//! client's secret) inherited from git, never on a command line.
//!
//! What is shown: Basic credentials with the username `oauth2` and Bearer with
//! `credential_authtype`; one token request for several git commands (oauthctl's cache); a token
//! revoked at the authorization server, which git reports to `erase`, replaced on the next
//! command with no user action; the token in none of git's traces (SECURITY 46); and a user
//! signed in with the device flow, whose token oauthctl renews by refresh for git.
//!
//! Run only these: `cargo test --test it e2e::git`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::support::common::{Background, Env, stderr_of, stdout_of};
use crate::support::git_server::{
    GitRequest, GitServer, Outcome, Scheme, Verdict, git_cmd, idp_token_is_valid,
};
use crate::support::idp::{Idp, idp};

/// cc-basic's secret (server.mjs), which its clones share.
const CC_BASIC_SECRET: &str = "cc-basic secret+/=&%:x";
/// The variable the git profile names in `client_secret_env`, set on git's environment.
const SECRET_ENV: &str = "GIT_CLIENT_SECRET";
/// The scope of `device-app` (tests/e2e/idp/README.md, "Clients").
const DEVICE_SCOPE: &str = "openid offline_access api:read";

/// The git server, whose check asks the authorization server about each token, and every
/// token the check was asked about, in order (for the tests' eyes only: never printed).
fn git_server(idp: &Idp) -> (GitServer, Arc<Mutex<Vec<String>>>) {
    let valid = idp_token_is_valid(&idp.issuer);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let server = GitServer::start(move |auth| {
        record.lock().unwrap().push(auth.token().to_owned());
        Verdict::from(valid(auth.token()))
    });
    server.create_repo("r");
    (server, seen)
}

/// The git server's own URL, `http://127.0.0.1:PORT`: every repository is below it.
fn server_url(server: &GitServer) -> String {
    let repo = server.url("r");
    repo.strip_suffix("/r.git").expect(&repo).to_owned()
}

/// A client of the test's own (a clone of cc-basic, so that its token requests can be counted)
/// as profile `git`, answering for the git server, then `extra`. Returns the client_id.
fn client_profile(env: &Env, idp: &Idp, server: &GitServer, extra: &str) -> String {
    let client = idp.clone_client("cc-basic");
    env.write_config(&format!(
        "[profiles.git]\ntoken_url = \"{}\"\nclient_id = \"{client}\"\n\
         client_secret_env = \"{SECRET_ENV}\"\ncredential_url = \"{}\"\n{extra}\n",
        idp.token_url(),
        server_url(server),
    ));
    client
}

/// `git -c credential.helper=… ARGS`: only oauthctl as the helper, run as `oauthctl [pre…]
/// git-credential`, with the client's secret in the environment git hands down to it.
fn git(env: &Env, pre: &str, args: &[&str]) -> assert_cmd::Command {
    let oauthctl = assert_cmd::cargo::cargo_bin!("oauthctl");
    let helper = format!(
        "credential.helper=!'{}' {pre}git-credential",
        oauthctl.display()
    );
    let mut cmd = git_cmd(env);
    // The empty value clears any helper configured before (git-credential(1), "CONFIGURATION").
    cmd.env(SECRET_ENV, CC_BASIC_SECRET)
        .args(["-c", "credential.helper=", "-c", &helper])
        .args(args);
    cmd
}

/// `git clone` of repository `r` into `<home>/work`; returns the work tree.
fn clone(env: &Env, server: &GitServer, pre: &str) -> (PathBuf, assert_cmd::assert::Assert) {
    let work = env.home.path().join("work");
    let assert = git(env, pre, &["clone", &server.url("r"), path(&work)]).assert();
    (work, assert)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A new commit in `work`, as the user makes one (no credentials involved).
fn commit(env: &Env, work: &Path, message: &str) {
    git_cmd(env)
        .current_dir(work)
        .args(["commit", "--quiet", "--allow-empty", "-m", message])
        .assert()
        .success();
}

/// The requests of the server, each git command's starting with the one 401 that makes git ask
/// its helper (the request without credentials), and every other one accepted with `scheme` and,
/// for Basic, the username `oauth2`. Returns how many commands (401s) there were.
fn assert_challenged_then_accepted(requests: &[GitRequest], scheme: Scheme) -> usize {
    assert!(!requests.is_empty());
    assert_eq!(requests[0].outcome, Outcome::NoCredentials, "{requests:#?}");
    let mut commands = 0;
    for request in requests {
        if request.outcome == Outcome::NoCredentials {
            assert_eq!(request.status, 401);
            commands += 1;
            continue;
        }
        assert!(request.accepted(), "{requests:#?}");
        assert_eq!(request.scheme, Some(scheme), "{requests:#?}");
        let username = (scheme == Scheme::Basic).then_some("oauth2");
        assert_eq!(request.username.as_deref(), username, "{requests:#?}");
    }
    commands
}

/// The token requests the authorization server saw from `client`.
fn token_requests(idp: &Idp, client: &str) -> usize {
    let records = idp.client_auth(client);
    records.iter().filter(|r| r["path"] == "/token").count()
}

/// None of `tokens`, raw or as the Basic credentials `oauth2:TOKEN` in base64, is in `text`.
fn assert_no_token(text: &str, tokens: &[String]) {
    for token in tokens {
        assert!(!token.is_empty());
        let basic = STANDARD.encode(format!("oauth2:{token}"));
        assert!(
            !text.contains(token.as_str()),
            "a token leaked into: {text}"
        );
        assert!(
            !text.contains(&basic),
            "Basic credentials leaked into: {text}"
        );
    }
}

/// RFC 7009: revokes `token` at the authorization server's revocation endpoint, as the client
/// `client` (client_secret_basic, RFC 6749 §2.3.1 encoding), behind oauthctl's back.
fn revoke_at_the_server(idp: &Idp, client: &str, token: &str) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = STANDARD.encode(format!("{}:{}", encode(client), encode(CC_BASIC_SECRET)));
    let body = format!("token={}&token_type_hint=access_token", encode(token));
    let response = agent
        .post(format!("{}/token/revocation", idp.issuer))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Basic {basic}"))
        .send(body)
        .unwrap_or_else(|e| panic!("POST /token/revocation: {e}"));
    assert_eq!(response.status().as_u16(), 200, "{}", idp.log());
}

#[test]
fn e2e_git_clone_commit_and_push_with_oauthctl_as_the_credential_helper() {
    let idp = idp();
    let (server, seen) = git_server(idp);
    let env = Env::new();
    let client = client_profile(&env, idp, &server, "");

    let (work, assert) = clone(&env, &server, "");
    assert.success();
    assert_eq!(
        std::fs::read_to_string(work.join("README")).unwrap(),
        "# r\n"
    );
    commit(&env, &work, "second");
    git(&env, "", &["-C", path(&work), "push", "origin", "main"])
        .assert()
        .success();

    assert_eq!(
        server.log("r"),
        ["second", "initial"],
        "{}",
        server.backend_log()
    );
    let requests = server.requests();
    assert_eq!(
        assert_challenged_then_accepted(&requests, Scheme::Basic),
        2,
        "one challenge per git command: {requests:#?}"
    );
    // One token for both commands, from oauthctl's cache: the one `fetch` gives now.
    assert_eq!(token_requests(idp, &client), 1);
    let seen = seen.lock().unwrap().clone();
    let fetched = env
        .cmd()
        .args(["-p", "git", "fetch"])
        .env(SECRET_ENV, CC_BASIC_SECRET)
        .assert()
        .success();
    let token = stdout_of(&fetched).trim_end().to_owned();
    assert!(seen.iter().all(|t| *t == token), "git sent other tokens");
    assert_eq!(idp.token_info(&token)["clientId"], client.as_str());
    assert_eq!(token_requests(idp, &client), 1);
}

/// git 2.46+ offers `capability[]=authtype`; with `credential_authtype = "Bearer"` oauthctl
/// answers with it, and git sends `Authorization: Bearer` (RFC 6750 §2.1).
#[test]
fn e2e_git_sends_bearer_when_the_profile_sets_credential_authtype() {
    let idp = idp();
    let (server, seen) = git_server(idp);
    server.offer_bearer(true);
    let env = Env::new();
    let client = client_profile(&env, idp, &server, "credential_authtype = \"Bearer\"\n");

    let (work, assert) = clone(&env, &server, "");
    assert.success();
    commit(&env, &work, "bearer");
    git(&env, "", &["-C", path(&work), "push", "origin", "main"])
        .assert()
        .success();

    assert_eq!(server.log("r"), ["bearer", "initial"]);
    let requests = server.requests();
    assert_eq!(
        assert_challenged_then_accepted(&requests, Scheme::Bearer),
        2
    );
    assert_eq!(token_requests(idp, &client), 1);
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty() && seen.iter().all(|t| *t == seen[0]));
    assert_eq!(idp.token_info(&seen[0])["clientId"], client.as_str());
}

/// The token is revoked at the authorization server while oauthctl still caches it. The git
/// command that meets the refusal fails (git does not ask its helper twice within one command;
/// it calls `erase` with the refused token and stops), and the next git command gets a new token
/// with no one doing anything. Every command runs with git's traces on and oauthctl's `-v`, and
/// no token shows in any of them (SECURITY 46).
#[test]
fn e2e_git_recovers_from_a_revoked_token_on_the_next_command_and_traces_show_no_token() {
    let idp = idp();
    let (server, seen) = git_server(idp);
    let env = Env::new();
    let client = client_profile(&env, idp, &server, "");
    let traced = |args: &[&str]| {
        let mut cmd = git(&env, "-v ", args);
        cmd.env("GIT_TRACE", "1")
            .env("GIT_CURL_VERBOSE", "1")
            .env("GIT_TRACE_CURL", "1");
        cmd.assert()
    };
    let mut stderr = String::new();

    let work = env.home.path().join("work");
    let assert = traced(&["clone", &server.url("r"), path(&work)]).success();
    stderr.push_str(&stderr_of(&assert));
    let first = seen.lock().unwrap().last().cloned().expect("a token");
    assert!(
        stderr.contains("git-credential get") || stderr.contains("git-credential' get"),
        "git's trace shows the helper: {stderr}"
    );

    revoke_at_the_server(idp, &client, &first);
    let before = server.requests().len();
    let refused = traced(&["-C", path(&work), "fetch", "origin"]).failure();
    let refused_stderr = stderr_of(&refused);
    stderr.push_str(&refused_stderr);
    assert_eq!(refused.get_output().status.code(), Some(128));
    assert!(
        refused_stderr.contains("Authentication failed"),
        "{refused_stderr}"
    );
    let outcomes: Vec<Outcome> = server.requests()[before..]
        .iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(outcomes, [Outcome::NoCredentials, Outcome::Refused]);
    assert_eq!(token_requests(idp, &client), 1, "no new token yet");

    // The next command: a new token, accepted.
    server.commit("r", "upstream");
    let assert = traced(&["-C", path(&work), "fetch", "origin"]).success();
    stderr.push_str(&stderr_of(&assert));
    assert_eq!(token_requests(idp, &client), 2);
    let seen = seen.lock().unwrap().clone();
    let second = seen.last().cloned().unwrap();
    assert_ne!(second, first);
    assert!(server.requests().last().unwrap().accepted());
    let log = git_cmd(&env)
        .current_dir(&work)
        .args(["log", "--format=%s", "-1", "origin/main"])
        .assert()
        .success();
    assert_eq!(stdout_of(&log), "upstream\n");

    // The traces were on: curl's headers (redacted), the helper's runs, oauthctl's requests.
    assert!(
        stderr.contains("Authorization: Basic <redacted>"),
        "{stderr}"
    );
    assert!(stderr.contains("/token"), "oauthctl's -v trace: {stderr}");
    assert_no_token(&stderr, &seen);
}

// ---------------------------------------------------------------- a signed-in user

/// What only this suite asks of the shared server: approving a device sign-in.
impl Idp {
    fn approve_device(&self, user_code: &str) {
        let (status, body) = self.get("/test/device", &[("user_code", user_code)]);
        assert_eq!(
            (status, &body["approved"]),
            (200, &Value::Bool(true)),
            "/test/device: {body}\n{}",
            self.log()
        );
    }
}

/// A user signs in once with the device flow (RFC 8628); from then on git's helper gets the
/// user's access token, renewed with the refresh token when it is within `min_ttl_secs` of its
/// expiry (here always: 400 s is more than the server's 300 s lifetime), and git uses it.
#[test]
fn e2e_git_uses_a_device_signed_in_users_token_renewed_by_refresh() {
    let idp = idp();
    let (server, seen) = git_server(idp);
    let env = Env::new();
    let client = idp.clone_client("device-app");
    env.write_config(&format!(
        "[profiles.me]\nissuer = \"{}\"\ngrant = \"device_code\"\nclient_id = \"{client}\"\n\
         auth_method = \"none\"\nscope = \"{DEVICE_SCOPE}\"\nmin_ttl_secs = 400\n\
         credential_url = \"{}\"\n",
        idp.issuer,
        server_url(&server),
    ));

    let mut login = env.cmd();
    login.args(["-p", "me", "-o", "json", "login", "--device"]);
    let mut login = Background::start(&login);
    let (_, user_code) = login.device_instructions();
    idp.approve_device(&user_code);
    let done = login.finish();
    assert_eq!(done.code, Some(0), "login failed: {}", done.stderr);
    let signed_in: Value = serde_json::from_str(&done.stdout).unwrap();
    let login_token = signed_in["access_token"].as_str().unwrap().to_owned();
    let after_login = token_requests(idp, &client);

    let (work, assert) = clone(&env, &server, "");
    let clone_stderr = stderr_of(&assert.success());
    assert_eq!(token_requests(idp, &client), after_login + 1, "a refresh");
    let cloned_with = seen.lock().unwrap().last().cloned().unwrap();
    assert_ne!(cloned_with, login_token, "renewed before git used it");

    commit(&env, &work, "by the user");
    let assert = git(&env, "", &["-C", path(&work), "push", "origin", "main"]).assert();
    let push_stderr = stderr_of(&assert.success());
    assert_eq!(token_requests(idp, &client), after_login + 2);
    let pushed_with = seen.lock().unwrap().last().cloned().unwrap();
    assert_ne!(pushed_with, cloned_with);
    assert_eq!(server.log("r"), ["by the user", "initial"]);
    assert_challenged_then_accepted(&server.requests(), Scheme::Basic);

    for token in [&cloned_with, &pushed_with] {
        let info = idp.token_info(token);
        assert_eq!(info["kind"], "AccessToken", "{info}");
        assert_eq!(info["clientId"], client.as_str(), "{info}");
        assert_eq!(info["accountId"], "test-user", "{info}");
    }
    let seen = seen.lock().unwrap().clone();
    assert_no_token(
        &format!("{clone_stderr}{push_stderr}{}", done.stderr),
        &seen,
    );
}
