//! End-to-end tests of signing a user in, against the real authorization server
//! (`tests/e2e/idp/server.mjs`, oidc-provider; see the README there): `oauthctl login` in a
//! browser (PKCE S256 and a loopback redirect on any port, RFC 8252) and with the device flow
//! (RFC 8628), renewal by `fetch` with the refresh token, `revoke` (RFC 7009) and `introspect`
//! (RFC 7662).
//!
//! The server also plays the user: `GET /test/browse?url=…` walks an authorization URL as a
//! browser would (login of `test-user`, consent, or a refusal with `deny=1`) and then calls
//! oauthctl's loopback listener with the redirect; `GET /test/device?user_code=…` approves or
//! denies a device sign-in. What oauthctl got is checked against what the server says it issued
//! (`GET /test/token-info`).
//!
//! Harness: support/idp.rs (read its header), which installs the server's Node dependencies and
//! starts ONE server that these tests share with e2e/tokens.rs and e2e/verify.rs. Node.js 20+ and npm are required; without them
//! these tests fail, saying so. They never skip.
//!
//! Run only these: `cargo test --test it e2e::users`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::common::{Background, Env, Finished, stderr_of, stdout_of};
use crate::support::idp::{Idp, idp};

// The server's user-facing clients (server.mjs). Both native clients register
// http://127.0.0.1/callback, which the server matches on any port (RFC 8252 §7.3).
const NATIVE: &str = "native-app";
const CONFIDENTIAL: (&str, &str) = ("native-confidential", "native-confidential secret");
const DEVICE: &str = "device-app";
const ACCOUNT: &str = "test-user";
const SCOPE: &str = "openid offline_access api:read";

// ---------------------------------------------------------------- this suite's server routes

/// What only this suite asks of the shared server (support/idp.rs): `/test/browse`, `/test/device`,
/// whether a token is still known, and a script that plays the browser.
impl Idp {
    /// Whether the server still knows a token (a revoked one is deleted).
    fn knows(&self, token: &str) -> bool {
        match self.get("/test/token-info", &[("token", token)]) {
            (200, _) => true,
            (404, _) => false,
            (status, body) => panic!("/test/token-info answered {status}: {body}"),
        }
    }

    /// The user's browser on `url`: the answer of /test/browse, checked to be the listener's.
    fn browse(&self, url: &str, deny: bool) -> (u16, String) {
        let mut query = vec![("url", url)];
        if deny {
            query.push(("deny", "1"));
        }
        let (status, body) = self.get("/test/browse", &query);
        assert_eq!(status, 200, "/test/browse failed: {body}\n{}", self.log());
        let listener_status = body["status"].as_u64().expect("status") as u16;
        (
            listener_status,
            body["body"].as_str().expect("body").to_owned(),
        )
    }

    /// Approves (or denies) the device sign-in with this user code, as `test-user`.
    fn device(&self, user_code: &str, deny: bool) {
        let mut query = vec![("user_code", user_code)];
        if deny {
            query.push(("deny", "1"));
        }
        let (status, body) = self.get("/test/device", &query);
        let expected = if deny { "denied" } else { "approved" };
        assert_eq!(
            (status, &body[expected]),
            (200, &Value::Bool(true)),
            "/test/device: {body}\n{}",
            self.log()
        );
    }

    /// A `curl` script that plays the user's browser through /test/browse, for `BROWSER`, and
    /// the file where it leaves the listener's answer. (`BROWSER` is a `:`-separated list, so a
    /// URL with a port cannot be in it: the script holds the route's URL.)
    fn browser_script(&self, env: &Env) -> (PathBuf, PathBuf) {
        let script = env.home.path().join("browse.sh");
        let answer = env.home.path().join("browse.json");
        let text = format!(
            "#!/bin/sh\nset -e\ncurl -sS -G --data-urlencode \"url=$1\" '{}/test/browse' > '{tmp}'\n\
             mv '{tmp}' '{answer}'\n",
            self.issuer,
            tmp = answer.with_extension("tmp").display(),
            answer = answer.display(),
        );
        fs::write(&script, text).unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        (script, answer)
    }
}

// ---------------------------------------------------------------- a finished `oauthctl login`

impl Finished {
    /// Exit 0, nothing on stdout (text mode), and the sign-in note on stderr.
    fn signed_in(&self) {
        assert_eq!(self.code, Some(0), "login failed: {}", self.stderr);
        assert_eq!(self.stdout, "", "text mode prints nothing on stdout");
        assert!(
            self.stderr
                .lines()
                .any(|l| l.starts_with("oauthctl: signed in")),
            "no sign-in note on stderr: {}",
            self.stderr
        );
    }

    /// The documented failure shape: this exit code, empty stdout, each word on stderr.
    fn failed(&self, code: i32, words: &[&str]) {
        assert_eq!(self.code, Some(code), "stderr: {}", self.stderr);
        assert_eq!(self.stdout, "", "stdout is empty on failure");
        for word in words {
            assert!(
                self.stderr.contains(word),
                "stderr should contain {word:?}, was {}",
                self.stderr
            );
        }
    }
}

// ---------------------------------------------------------------- helpers

/// A user profile named `name` for the issuer, found by discovery alone.
fn user_profile(idp: &Idp, name: &str, grant: &str, client_id: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nissuer = \"{}\"\ngrant = \"{grant}\"\nclient_id = \"{client_id}\"\n\
         scope = \"{SCOPE}\"\n{extra}\n",
        idp.issuer
    )
}

/// `native-app`, public, as profile `cli`.
fn public_config(env: &Env, idp: &Idp) {
    env.write_config(&user_profile(
        idp,
        "cli",
        "authorization_code",
        NATIVE,
        "auth_method = \"none\"\n",
    ));
}

/// `native-confidential` as profile `conf`, its secret from `$CONF_SECRET`.
fn confidential_config(env: &Env, idp: &Idp) {
    env.write_config(&user_profile(
        idp,
        "conf",
        "authorization_code",
        CONFIDENTIAL.0,
        "client_secret_env = \"CONF_SECRET\"\n",
    ));
}

/// `device-app`, public, as profile `tv`.
fn device_config(env: &Env, idp: &Idp) {
    env.write_config(&user_profile(
        idp,
        "tv",
        "device_code",
        DEVICE,
        "auth_method = \"none\"\n",
    ));
}

/// `oauthctl` for a profile, with the confidential client's secret in the environment (unused
/// by the other profiles).
fn cmd(env: &Env, profile: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args(["-p", profile]).env("CONF_SECRET", CONFIDENTIAL.1);
    cmd
}

/// Asserts that none of `secrets` shows in `text`.
fn no_leak(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "{secret:?} leaked into: {text}");
    }
}

/// `oauthctl -p PROFILE fetch [args]` in text mode: the bare token and one newline, nothing on
/// stderr.
fn fetched_token(env: &Env, profile: &str, args: &[&str]) -> String {
    let assert = cmd(env, profile).arg("fetch").args(args).assert().success();
    let stdout = stdout_of(&assert);
    let token = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("{stdout:?}"));
    assert!(
        !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()),
        "stdout should be the bare token and \"\\n\", was {stdout:?}"
    );
    assert_eq!(stderr_of(&assert), "", "nothing on stderr on success");
    token.to_owned()
}

/// The access token is one the server issued to `client` for `test-user`.
fn assert_user_token(idp: &Idp, token: &str, kind: &str, client: &str) -> Value {
    let info = idp.token_info(token);
    assert_eq!(info["format"], "opaque", "{info}");
    assert_eq!(info["kind"], kind, "{info}");
    assert_eq!(info["clientId"], client, "{info}");
    assert_eq!(info["accountId"], ACCOUNT, "{info}");
    info
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> &'a str {
    let mut values = query.iter().filter(|(k, _)| k == name);
    let value = values.next().map(|(_, v)| v.as_str());
    let value = value.unwrap_or_else(|| panic!("no {name} in {query:?}"));
    assert!(values.next().is_none(), "{name} twice in {query:?}");
    value
}

/// Signs `profile` in through `BROWSER` (the script that plays the browser), with `-o json`;
/// returns the token response printed on stdout and the stderr.
fn login_with_browser_json(idp: &Idp, env: &Env, profile: &str) -> (Value, String) {
    let (script, answer) = idp.browser_script(env);
    let assert = cmd(env, profile)
        .args(["-o", "json", "login"])
        .env("BROWSER", format!("{} %s", script.display()))
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    let stdout = stdout_of(&assert);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("-o json stdout is not JSON ({e}): {stdout:?}\n{stderr}"));
    assert!(
        stderr.lines().any(|l| l.starts_with("oauthctl: signed in")),
        "{stderr}"
    );
    // The browser's side: the listener answered the redirect with its success page.
    let browsed = wait_for_file(&answer);
    assert_eq!(browsed["status"], 200, "{browsed}");
    (v, stderr)
}

/// The JSON the browser script leaves (it may finish just after oauthctl exits).
fn wait_for_file(path: &Path) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = fs::read_to_string(path) {
            return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn string<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

// ---------------------------------------------------------------- login in a browser

/// `--no-browser`: the URL on stderr is a correct RFC 8252 request (PKCE S256, a state, a
/// loopback redirect on a free port); the user completes it; the tokens are cached, `fetch` serves
/// them without a sign-in and renews them with the (rotating) refresh token.
#[test]
fn e2e_login_no_browser_prints_the_url_then_fetch_uses_and_renews_the_tokens() {
    let idp = idp();
    let env = Env::new();
    public_config(&env, idp);

    let mut login = Background::start(cmd(&env, "cli").args(["login", "--no-browser"]));
    let url = login.authorization_url();
    assert!(url.starts_with(&format!("{}/auth?", idp.issuer)), "{url}");
    let query = query_of(&url);
    assert_eq!(param(&query, "response_type"), "code");
    assert_eq!(param(&query, "client_id"), NATIVE);
    assert_eq!(param(&query, "scope"), SCOPE);
    assert_eq!(param(&query, "code_challenge_method"), "S256");
    assert_eq!(param(&query, "code_challenge").len(), 43, "{url}");
    assert!(param(&query, "state").len() >= 22, "{url}");
    let redirect = param(&query, "redirect_uri");
    let port = redirect
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix("/callback"))
        .and_then(|p| p.parse::<u16>().ok());
    assert!(port.is_some_and(|p| p != 0), "{redirect}");

    let (status, page) = idp.browse(&url, false);
    assert_eq!(status, 200, "the listener's page: {page}");
    let done = login.finish();
    done.signed_in();

    // Served from the cache: no sign-in, the server's own token.
    let first = fetched_token(&env, "cli", &[]);
    assert_user_token(idp, &first, "AccessToken", NATIVE);
    assert_eq!(fetched_token(&env, "cli", &[]), first, "cached");
    no_leak(&done.stderr, &[&first]);

    // --force renews with the refresh token. The server rotates a public client's refresh token
    // on every use, so the second renewal works only if the first one cached the new one.
    let second = fetched_token(&env, "cli", &["--force"]);
    assert_ne!(second, first, "--force gets a new access token");
    assert_user_token(idp, &second, "AccessToken", NATIVE);
    let third = fetched_token(&env, "cli", &["--force"]);
    assert!(third != second && third != first);
    assert_user_token(idp, &third, "AccessToken", NATIVE);
}

/// `BROWSER` (a `:`-separated list; the first command does not exist) opens the URL; `-o json`
/// prints the token response, and stderr holds none of its tokens.
#[test]
fn e2e_login_through_the_browser_command_with_json_output() {
    let idp = idp();
    let env = Env::new();
    public_config(&env, idp);
    let (script, answer) = idp.browser_script(&env);

    let assert = cmd(&env, "cli")
        .args(["-o", "json", "login"])
        .env(
            "BROWSER",
            format!("/nonexistent/oauthctl-test-browser:{} %s", script.display()),
        )
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    let v: Value = serde_json::from_str(&stdout_of(&assert)).expect("-o json prints JSON");
    assert!(
        v["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        "{v}"
    );
    let (access, refresh, id_token) = (
        string(&v, "access_token"),
        string(&v, "refresh_token"),
        string(&v, "id_token"),
    );
    assert_user_token(idp, access, "AccessToken", NATIVE);
    let rt = assert_user_token(idp, refresh, "RefreshToken", NATIVE);
    assert_eq!(rt["consumed"], false);
    let id = idp.token_info(id_token);
    assert_eq!(id["payload"]["aud"], NATIVE, "{id}");
    assert_eq!(id["payload"]["sub"], ACCOUNT, "{id}");
    assert!(
        stderr.lines().any(|l| l.starts_with("oauthctl: signed in")),
        "{stderr}"
    );
    no_leak(&stderr, &[access, refresh, id_token]);
    let browsed = wait_for_file(&answer);
    assert_eq!(browsed["status"], 200, "{browsed}");
    no_leak(&browsed.to_string(), &[access, refresh]);

    assert_eq!(
        fetched_token(&env, "cli", &[]),
        access,
        "the login's token, cached"
    );
    let renewed = fetched_token(&env, "cli", &["--force"]);
    assert_ne!(renewed, access);
    assert_user_token(idp, &renewed, "AccessToken", NATIVE);
    // It was renewed with that refresh token, which the server rotated.
    assert_eq!(idp.token_info(refresh)["consumed"], true);
}

/// A redirect_uri with a fixed port in the profile: oauthctl listens there, and the server takes
/// it for the client's portless registration.
#[test]
fn e2e_login_with_a_fixed_loopback_redirect_port() {
    let idp = idp();
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    env.write_config(&user_profile(
        idp,
        "fixed",
        "authorization_code",
        NATIVE,
        &format!("auth_method = \"none\"\nredirect_uri = \"{redirect}\"\n"),
    ));

    let mut login = Background::start(cmd(&env, "fixed").args(["login", "--no-browser"]));
    let url = login.authorization_url();
    assert_eq!(param(&query_of(&url), "redirect_uri"), redirect);
    assert_eq!(idp.browse(&url, false).0, 200);
    login.finish().signed_in();
    assert_user_token(
        idp,
        &fetched_token(&env, "fixed", &[]),
        "AccessToken",
        NATIVE,
    );
}

/// The user refuses at the consent prompt: the redirect carries error=access_denied.
#[test]
fn e2e_login_denied_in_the_browser_is_access_denied() {
    let idp = idp();
    let env = Env::new();
    public_config(&env, idp);

    let mut login = Background::start(cmd(&env, "cli").args(["login", "--no-browser"]));
    let url = login.authorization_url();
    let (status, page) = idp.browse(&url, true);
    assert_eq!(status, 400, "the listener's page: {page}");
    login.finish().failed(3, &["access_denied"]);

    // Nothing was cached: fetch needs a login, and says so without prompting.
    let assert = cmd(&env, "cli")
        .arg("fetch")
        .assert()
        .failure()
        .code(6)
        .stdout("");
    assert!(
        stderr_of(&assert).contains("oauthctl login"),
        "{}",
        stderr_of(&assert)
    );
}

#[test]
fn e2e_login_that_nobody_completes_gives_up_after_wait_secs() {
    let idp = idp();
    let env = Env::new();
    public_config(&env, idp);
    let started = Instant::now();
    let assert = cmd(&env, "cli")
        .args(["login", "--no-browser", "--wait-secs", "1"])
        .assert()
        .failure()
        .code(4)
        .stdout("");
    assert!(started.elapsed() < Duration::from_secs(15));
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("oauthctl: to sign in, open this URL in a browser:"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------- login with the device flow

/// RFC 8628 end to end. The server sends `interval` 1 and answers slow_down to a poll that comes
/// sooner, adding 5 s: a sign-in done in under 5 s shows that oauthctl waited the server's
/// interval (not the default 5 s) and never polled too soon.
#[test]
fn e2e_login_device_flow_approved_then_fetch_uses_and_renews_the_tokens() {
    let idp = idp();
    let env = Env::new();
    device_config(&env, idp);

    let mut login = Background::start(cmd(&env, "tv").args(["login", "--device"]));
    let (uri, user_code) = login.device_instructions();
    assert_eq!(uri, format!("{}/device", idp.issuer));
    assert!(
        user_code.len() == 9 && user_code.as_bytes()[4] == b'-',
        "{user_code}"
    );
    idp.device(&user_code, false);
    let done = login.finish();
    done.signed_in();
    assert!(
        done.elapsed < Duration::from_secs(5),
        "took {:?}: {}",
        done.elapsed,
        done.stderr
    );

    let first = fetched_token(&env, "tv", &[]);
    assert_user_token(idp, &first, "AccessToken", DEVICE);
    no_leak(&done.stderr, &[&first]);
    let second = fetched_token(&env, "tv", &["--force"]);
    assert_ne!(second, first);
    assert_user_token(idp, &second, "AccessToken", DEVICE);
    let third = fetched_token(&env, "tv", &["--force"]);
    assert_ne!(third, second);
    assert_user_token(idp, &third, "AccessToken", DEVICE);
}

#[test]
fn e2e_login_device_flow_denied_is_access_denied() {
    let idp = idp();
    let env = Env::new();
    device_config(&env, idp);

    let mut login = Background::start(cmd(&env, "tv").args(["login", "--device"]));
    let (_, user_code) = login.device_instructions();
    idp.device(&user_code, true);
    login.finish().failed(3, &["access_denied"]);
    cmd(&env, "tv")
        .arg("fetch")
        .assert()
        .failure()
        .code(6)
        .stdout("");
}

#[test]
fn e2e_login_device_flow_that_nobody_approves_gives_up_after_wait_secs() {
    let idp = idp();
    let env = Env::new();
    device_config(&env, idp);
    let assert = cmd(&env, "tv")
        .args(["login", "--device", "--wait-secs", "1"])
        .assert()
        .failure()
        .code(4)
        .stdout("");
    assert!(
        stderr_of(&assert).contains("oauthctl: to sign in, visit "),
        "{}",
        stderr_of(&assert)
    );
}

// ---------------------------------------------------------------- revoke and introspect

/// `revoke -p` revokes the cached refresh and access tokens at the server and forgets them.
#[test]
fn e2e_revoke_deletes_the_tokens_at_the_server_and_fetch_then_needs_login() {
    let idp = idp();
    let env = Env::new();
    public_config(&env, idp);
    let (v, _) = login_with_browser_json(idp, &env, "cli");
    let (access, refresh) = (string(&v, "access_token"), string(&v, "refresh_token"));
    assert!(idp.knows(refresh) && idp.knows(access));

    let assert = cmd(&env, "cli").arg("revoke").assert().success().stdout("");
    no_leak(&stderr_of(&assert), &[access, refresh]);
    assert!(!idp.knows(refresh), "the refresh token is revoked");
    assert!(!idp.knows(access), "the access token is revoked");

    let assert = cmd(&env, "cli")
        .arg("fetch")
        .assert()
        .failure()
        .code(6)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("login required"), "{stderr}");
    no_leak(&stderr, &[access, refresh]);

    // Nothing left to revoke is not an error.
    cmd(&env, "cli").arg("revoke").assert().success().stdout("");
}

/// Introspection with the confidential client (the server refuses public clients there, RFC 7662
/// §2.1): active for live tokens, inactive once revoked; `--require-active` turns that into exit 3.
/// The confidential client's renewal (client_secret_basic at the token endpoint) is covered too.
#[test]
fn e2e_introspect_says_active_until_revoked() {
    let idp = idp();
    let env = Env::new();
    confidential_config(&env, idp);
    let secret = CONFIDENTIAL.1;
    let (v, stderr) = login_with_browser_json(idp, &env, "conf");
    no_leak(&stderr, &[secret]);
    let (first, refresh) = (string(&v, "access_token"), string(&v, "refresh_token"));
    assert_user_token(idp, first, "AccessToken", CONFIDENTIAL.0);
    let access = fetched_token(&env, "conf", &["--force"]);
    assert_ne!(access, first);
    assert_user_token(idp, &access, "AccessToken", CONFIDENTIAL.0);

    // The token on stdin (`-`): it stays out of the process list, and one that starts with `-`
    // (base64url) is not taken for a flag.
    let introspect = |token: &str, args: &[&str]| {
        cmd(&env, "conf")
            .arg("introspect")
            .args(args)
            .arg("-")
            .write_stdin(format!("{token}\n"))
            .assert()
    };
    for token in [access.as_str(), refresh] {
        let assert = introspect(token, &["-o", "json"]).success();
        let stderr = stderr_of(&assert);
        no_leak(&stderr, &[token, secret]);
        let v: Value = serde_json::from_str(&stdout_of(&assert)).expect("-o json");
        assert_eq!(v["active"], true, "{v}");
        assert_eq!(v["client_id"], CONFIDENTIAL.0, "{v}");
        assert_eq!(v["sub"], ACCOUNT, "{v}");
        assert_eq!(v["iss"], idp.issuer.as_str(), "{v}");
        assert!(
            v["scope"].as_str().is_some_and(|s| s.contains("api:read")),
            "{v}"
        );
    }
    let assert = introspect(&access, &["--require-active"]).success();
    assert_ne!(stdout_of(&assert), "", "text mode shows the answer");
    no_leak(&stderr_of(&assert), &[&access, secret]);

    let assert = cmd(&env, "conf")
        .arg("revoke")
        .assert()
        .success()
        .stdout("");
    no_leak(&stderr_of(&assert), &[&access, refresh, secret]);

    for token in [access.as_str(), refresh] {
        let assert = introspect(token, &["-o", "json"]).success();
        let v: Value = serde_json::from_str(&stdout_of(&assert)).expect("-o json");
        assert_eq!(v["active"], false, "{v}");
        let assert = introspect(token, &["--require-active"])
            .failure()
            .code(3)
            .stdout("");
        no_leak(&stderr_of(&assert), &[token, secret]);
    }
    cmd(&env, "conf")
        .arg("fetch")
        .assert()
        .failure()
        .code(6)
        .stdout("");
}

/// The server's introspection policy, as oauthctl reports it: a confidential client may introspect
/// another client's token; a public client may not introspect at all (invalid_client, exit 3).
#[test]
fn e2e_introspection_is_for_confidential_clients_only() {
    let idp = idp();
    let env = Env::new();
    env.write_config(&format!(
        "{}\n{}",
        user_profile(
            idp,
            "cli",
            "authorization_code",
            NATIVE,
            "auth_method = \"none\"\n"
        ),
        user_profile(
            idp,
            "conf",
            "authorization_code",
            CONFIDENTIAL.0,
            "client_secret_env = \"CONF_SECRET\"\n"
        ),
    ));
    let (v, _) = login_with_browser_json(idp, &env, "cli");
    let access = string(&v, "access_token");

    let assert = cmd(&env, "conf")
        .args(["-o", "json", "introspect", "--", access])
        .assert()
        .success();
    let answer: Value = serde_json::from_str(&stdout_of(&assert)).expect("-o json");
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["client_id"], NATIVE, "{answer}");

    let assert = cmd(&env, "cli")
        .args(["introspect", "--", access])
        .assert()
        .failure()
        .code(3)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    no_leak(&stderr, &[access]);
}
