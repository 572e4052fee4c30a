//! The credential helpers (DESIGN §13) through the real binaries, against loopback token
//! endpoints that record every request: `oauthctl git-credential get|store|erase` and git's
//! protocol, line for line (git-credential(1); `git`), which profile answers for which URL
//! (`matching`), and `oauthctl docker-credential` and `docker-credential-oauthctl` with the
//! docker-credential-helpers protocol (`docker`). The real git against a real authorization
//! server is e2e/git.rs.

mod docker;
mod git;
mod matching;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use assert_cmd::Command;

use crate::support::app::{SECRET, SECRET_ENV};
use crate::support::common::{Env, now, token_reply};
use crate::support::server::StubServer;

/// A token endpoint that names each token after the client that asked and the request's
/// number, `tok-<client_id>-<n>` (from 1), so that an answer shows which profile gave it and
/// whether it is new.
fn numbering_server() -> StubServer {
    let count = Arc::new(AtomicUsize::new(0));
    StubServer::start(move |request| {
        let n = count.fetch_add(1, SeqCst) + 1;
        let (client_id, _) = request.basic_credentials().expect("client_secret_basic");
        token_reply(&format!("tok-{client_id}-{n}"))
    })
}

/// One profile's TOML: client_id its name, its secret from `$APP_SECRET`, tokens from
/// `token_url`, then `extra` (its `credential_url` and so on).
fn profile_toml(name: &str, token_url: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\ntoken_url = \"{token_url}\"\nclient_id = \"{name}\"\n\
         client_secret_env = \"{SECRET_ENV}\"\n{extra}\n"
    )
}

/// Writes a config of `(name, credential_url)` profiles, all getting tokens from `server`.
fn write_profiles(env: &Env, server: &StubServer, profiles: &[(&str, &str)]) {
    let toml: String = profiles
        .iter()
        .map(|(name, url)| {
            profile_toml(
                name,
                &server.url("/token"),
                &format!("credential_url = \"{url}\""),
            )
        })
        .collect();
    env.write_config(&toml);
}

/// `oauthctl [pre…] git-credential ACTION` with `request` on stdin and the profiles' secret in
/// the environment.
fn git_credential(env: &Env, pre: &[&str], action: &str, request: &str) -> Command {
    let mut cmd = env.cmd();
    cmd.args(pre)
        .args(["git-credential", action])
        .env(SECRET_ENV, SECRET)
        .write_stdin(request.to_owned());
    cmd
}

/// git's request for `protocol://host/path` (git-credential(1)): `path` only when given, as git
/// sends it only with `credential.useHttpPath`.
fn git_request(protocol: &str, host: &str, path: Option<&str>) -> String {
    let mut request = format!("protocol={protocol}\nhost={host}\n");
    if let Some(path) = path {
        request.push_str(&format!("path={path}\n"));
    }
    request.push('\n');
    request
}

/// `password_expiry_utc` of an answer is the token's expiry: 300 s from now (`token_reply`),
/// as a Unix time.
fn assert_expiry_in_300s(value: &str) {
    let at: i64 = value.parse().unwrap_or_else(|_| panic!("{value:?}"));
    let expected = now() + 300;
    assert!((at - expected).abs() <= 10, "{at} is not about {expected}");
}

/// The lines of a Basic answer: `username`, `password` and `password_expiry_utc`, exactly;
/// returns the password.
fn assert_basic_answer(stdout: &str, username: &str) -> String {
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(stdout.ends_with('\n'), "{stdout:?}");
    let [user, password, expiry] = lines[..] else {
        panic!("three lines expected: {stdout:?}")
    };
    assert_eq!(user, format!("username={username}"), "{stdout:?}");
    let password = password.strip_prefix("password=").expect(stdout);
    assert_expiry_in_300s(expiry.strip_prefix("password_expiry_utc=").expect(stdout));
    password.to_owned()
}
