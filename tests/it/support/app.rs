//! The client-credentials profile most suites need and `oauthctl fetch` for it: one writer of
//! that profile and one way to run `fetch` with its secret, where each suite used to have its own.
//! What differs between suites (the client_id, the token URL, more TOML, `--no-cache`, the user
//! oauthctl runs as, a terminal) is a parameter.

use std::path::PathBuf;

use assert_cmd::Command;

use super::common::{Env, form};
use super::server::Recorded;

/// The profile's name and, unless a test says otherwise, its client_id.
pub const APP: &str = "app";
/// The env var that the profile names in `client_secret_env`.
pub const SECRET_ENV: &str = "APP_SECRET";
/// The secret `fetch` puts in `SECRET_ENV`.
pub const SECRET: &str = "the-client-secret";
/// A secret that needs escaping in a form, a URL and Basic credentials.
pub const ESCAPED_SECRET: &str = "s3cr3t+/=&% :x";

/// The TOML of profile `app`, the default: tokens from `token_url` for `client_id`, its secret
/// from `$APP_SECRET`, then `extra` (more keys of `app`, or further tables).
pub fn app_profile(client_id: &str, token_url: &str, extra: &str) -> String {
    format!(
        "default_profile = \"{APP}\"\n\n[profiles.{APP}]\ntoken_url = \"{token_url}\"\n\
         client_id = \"{client_id}\"\nclient_secret_env = \"{SECRET_ENV}\"\n{extra}\n"
    )
}

/// Writes `app_profile` with client_id `app` as the config (mode 0600, where oauthctl looks).
pub fn profile(env: &Env, token_url: &str, extra: &str) -> PathBuf {
    env.write_config(&app_profile(APP, token_url, extra))
}

/// `oauthctl fetch ARGS` on `cmd` with `SECRET` in `$APP_SECRET`. `cmd` is `env.cmd()`, or
/// oauthctl prepared otherwise (as another user, for a terminal); add `--no-cache` to ARGS for a
/// run that always asks the server.
pub fn fetch(mut cmd: Command, args: &[&str]) -> Command {
    cmd.arg("fetch").args(args).env(SECRET_ENV, SECRET);
    cmd
}

/// The stdout of a successful `fetch(env.cmd(), args)`: the token and a newline, unless ARGS ask
/// for another format.
pub fn fetched(env: &Env, args: &[&str]) -> String {
    let assert = fetch(env.cmd(), args).assert().success();
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

/// The client_credentials request of profile `app`, as the stub must have received it.
pub fn assert_token_request(request: &Recorded, path: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, path);
    assert_eq!(
        request.form(),
        form(&[("grant_type", "client_credentials")])
    );
    assert_eq!(
        request.basic_credentials(),
        Some((APP.to_owned(), SECRET.to_owned()))
    );
}
