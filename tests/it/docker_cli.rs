//! The real `docker` CLI with `docker-credential-oauthctl` as its credential helper
//! (docker-credential-helpers: `get`, `store`, `erase` on stdin and stdout), against a stub
//! Docker Engine API on loopback (support/docker_daemon.rs) and a client_credentials token
//! endpoint (RFC 6749 §4.4). No daemon runs and nothing leaves the machine: the stub daemon
//! dials no registry, the CLI's proxies and `DOCKER_*` settings are cleared, and the registries
//! are names under `.invalid` (RFC 6761 §6.4) that login and logout never resolve, or, for a
//! pull, an address of TEST-NET-1 (RFC 5737): `docker pull` looks the registry's host up in DNS
//! before it calls the daemon (strace shows the A and AAAA queries), which an IP literal spares.
//!
//! What docker 28 does, as these tests pin it: `docker login REGISTRY` with no credentials given
//! runs `get`, sends the answer to `POST /auth` and then runs `store` with it, whether the login
//! succeeded or not; `docker logout REGISTRY` runs `erase` and never calls the daemon; `docker
//! pull` runs `get` and sends the answer in `X-Registry-Auth`. A registry no profile covers is
//! `get`'s "not found", and docker, with no terminal to prompt on, fails before the daemon.
//!
//! Without `docker` on PATH these tests fail, saying to install its CLI.
//!
//! Run only these: `cargo test --test it docker_cli`.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::app::{APP, SECRET, SECRET_ENV, app_profile, assert_token_request};
use crate::support::common::{Env, form, stderr_of, stdout_of, token_reply};
use crate::support::docker_daemon::{API_VERSION, DockerCli, DockerDaemon, HelperCall};
use crate::support::server::StubServer;

/// The registry profile `app` answers for (its `credential_url` is `https://REGISTRY`).
const REGISTRY: &str = "registry.test.invalid";
/// The registry of the pull, which docker would otherwise look up in DNS.
const PULL_REGISTRY: &str = "192.0.2.1:5000";
/// A registry no profile covers.
const OTHER: &str = "other.test.invalid";
/// The username docker gets from a profile that names none.
const USERNAME: &str = "oauth2accesstoken";

/// A config that sends only `registry` to the helper.
fn cred_helpers(registry: &str) -> Value {
    json!({"credHelpers": {registry: "oauthctl"}})
}

/// A config that sends every registry to the helper.
fn creds_store() -> Value {
    json!({"credsStore": "oauthctl"})
}

/// The token endpoint, the registry behind the stub daemon, and docker set up for them.
struct Setup {
    registry: &'static str,
    env: Env,
    tokens: StubServer,
    daemon: DockerDaemon,
    docker: DockerCli,
}

impl Setup {
    /// `REGISTRY`, which takes the last token the endpoint issued from `oauth2accesstoken`.
    fn new(config: Value) -> Setup {
        Setup::with_registry(config, REGISTRY, true)
    }

    /// `REGISTRY`, which refuses every credential.
    fn refusing(config: Value) -> Setup {
        Setup::with_registry(config, REGISTRY, false)
    }

    /// Profile `app` answers for `registry`, with the tokens the endpoint issues in order:
    /// `docker-token-1`, `docker-token-2`, …
    fn with_registry(config: Value, registry: &'static str, accepts: bool) -> Setup {
        let issued = Arc::new(Mutex::new(Vec::<String>::new()));
        let tokens = StubServer::start({
            let issued = Arc::clone(&issued);
            move |_| {
                let mut issued = issued.lock().unwrap();
                let token = format!("docker-token-{}", issued.len() + 1);
                issued.push(token.clone());
                token_reply(&token)
            }
        });
        let daemon = DockerDaemon::start(move |auth| {
            let last = issued.lock().unwrap().last().cloned();
            accepts && last.is_some_and(|token| *auth == auth_config(registry, &token))
        });
        let env = Env::new();
        env.write_config(&app_profile(
            APP,
            &tokens.url("/token"),
            &format!("credential_url = \"https://{registry}\""),
        ));
        let docker = DockerCli::new(&env, &daemon, &config);
        Setup {
            registry,
            env,
            tokens,
            daemon,
            docker,
        }
    }

    /// `docker ARGS`, the profile's secret in its environment for the helper it runs.
    fn docker(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        let mut cmd = self.docker.cmd(&self.env);
        cmd.args(args).env(SECRET_ENV, SECRET).assert()
    }

    /// What `get` answers for the registry.
    fn helper_answer(&self, token: &str) -> Value {
        json!({"ServerURL": self.registry, "Username": USERNAME, "Secret": token})
    }
}

/// The Engine API's AuthConfig docker makes of `get`'s answer for `registry`.
fn auth_config(registry: &str, token: &str) -> Value {
    json!({"username": USERNAME, "password": token, "serveraddress": registry})
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// Each call's action and exit code; and every call wrote nothing on stderr.
fn actions(calls: &[HelperCall]) -> Vec<(&str, i32)> {
    for call in calls {
        assert_eq!(call.stderr, "", "{call:?}");
    }
    calls.iter().map(|c| (c.action.as_str(), c.code)).collect()
}

/// The `POST /auth` of a login: the daemon's calls since `before` are the ping and that, at the
/// negotiated version. Its credentials.
fn login_calls(setup: &Setup, before: usize) -> Value {
    let calls = setup.daemon.calls();
    let lines: Vec<String> = calls[before..].iter().map(|c| c.line()).collect();
    let auth = format!("POST /v{API_VERSION}/auth");
    assert_eq!(lines, ["HEAD /_ping", auth.as_str()]);
    calls
        .last()
        .unwrap()
        .registry_auth
        .clone()
        .expect("an AuthConfig")
}

/// `docker login REGISTRY` succeeded with the helper's `token`: `get`, then `store` of the same
/// answer, each exit 0, and the token in the daemon's `/auth`.
fn assert_logged_in_with(setup: &Setup, before: usize, token: &str) {
    let assert = setup.docker(&["login", REGISTRY]).success();
    assert_eq!(stdout_of(&assert), "Login Succeeded\n");
    let stderr = stderr_of(&assert);
    let existing = format!("Authenticating with existing credentials... [Username: {USERNAME}]");
    assert!(stderr.contains(&existing), "{stderr}");
    assert!(!stderr.contains(token), "{stderr}");

    let calls = setup.docker.take_helper_calls();
    assert_eq!(actions(&calls), [("get", 0), ("store", 0)]);
    assert_eq!(calls[0].stdin, REGISTRY);
    assert_eq!(json_of(&calls[0].stdout), setup.helper_answer(token));
    // docker hands back what `get` answered; `store` keeps nothing and says nothing.
    assert_eq!(json_of(&calls[1].stdin), setup.helper_answer(token));
    assert_eq!(calls[1].stdout, "");

    assert_eq!(login_calls(setup, before), auth_config(REGISTRY, token));
}

fn login_asks_the_helper_and_logs_in_with_its_token(config: Value) {
    let setup = Setup::new(config);
    assert_logged_in_with(&setup, 0, "docker-token-1");
    let requests = setup.tokens.requests();
    assert_eq!(requests.len(), 1);
    assert_token_request(&requests[0], "/token");

    // docker records the login in its config, without the token: that stays oauthctl's.
    let config = json_of(&setup.docker.config());
    assert_eq!(config["auths"], json!({REGISTRY: {}}), "{config}");

    // A second login is answered from oauthctl's cache.
    assert_logged_in_with(&setup, 2, "docker-token-1");
    assert_eq!(setup.tokens.request_count(), 1);
}

#[test]
fn docker_login_with_cred_helpers_gets_the_token_from_the_helper_and_logs_in() {
    login_asks_the_helper_and_logs_in_with_its_token(cred_helpers(REGISTRY));
}

#[test]
fn docker_login_with_creds_store_gets_the_token_from_the_helper_and_logs_in() {
    login_asks_the_helper_and_logs_in_with_its_token(creds_store());
}

#[test]
fn docker_logout_erases_the_token_so_the_next_login_gets_a_new_one() {
    let setup = Setup::new(cred_helpers(REGISTRY));
    assert_logged_in_with(&setup, 0, "docker-token-1");

    let assert = setup.docker(&["logout", REGISTRY]).success();
    assert_eq!(
        stdout_of(&assert),
        format!("Removing login credentials for {REGISTRY}\n")
    );
    // docker 28 erases twice: the address as given and its hostname, the same here.
    let calls = setup.docker.take_helper_calls();
    assert!(!calls.is_empty(), "docker logout ran no helper");
    for call in &calls {
        assert_eq!((call.action.as_str(), call.code), ("erase", 0), "{call:?}");
        assert_eq!((call.stdin.as_str(), call.stdout.as_str()), (REGISTRY, ""));
        assert_eq!(call.stderr, "");
    }
    assert_eq!(setup.daemon.calls().len(), 2, "logout is the CLI's alone");
    assert_eq!(setup.tokens.request_count(), 1, "erase fetches nothing");
    let config = json_of(&setup.docker.config());
    assert_eq!(config["auths"], json!({}), "{config}");

    assert_logged_in_with(&setup, 2, "docker-token-2");
    let requests = setup.tokens.requests();
    assert_eq!(requests.len(), 2, "the erased token was not used again");
    assert_token_request(&requests[1], "/token");
}

#[test]
fn docker_pull_sends_the_helpers_token_to_the_daemon_in_x_registry_auth() {
    let setup = Setup::with_registry(cred_helpers(PULL_REGISTRY), PULL_REGISTRY, true);
    let image = format!("{PULL_REGISTRY}/team/app:1");
    let assert = setup.docker(&["pull", &image]).success();
    let stdout = stdout_of(&assert);
    assert_eq!(stdout.lines().last(), Some(image.as_str()), "{stdout}");
    assert!(!stdout.contains("docker-token"), "{stdout}");
    assert!(!stderr_of(&assert).contains("docker-token"));

    let calls = setup.docker.take_helper_calls();
    assert_eq!(actions(&calls), [("get", 0)], "a pull stores nothing");
    assert_eq!(calls[0].stdin, PULL_REGISTRY);
    let answer = setup.helper_answer("docker-token-1");
    assert_eq!(json_of(&calls[0].stdout), answer);

    let calls = setup.daemon.calls();
    let lines: Vec<String> = calls.iter().map(|c| c.line()).collect();
    let create = format!("POST /v{API_VERSION}/images/create");
    assert_eq!(lines, ["HEAD /_ping", create.as_str()]);
    let repository = format!("{PULL_REGISTRY}/team/app");
    let query = form(&[("fromImage", &repository), ("tag", "1")]);
    assert_eq!(calls[1].query, query);
    let auth = auth_config(PULL_REGISTRY, "docker-token-1");
    assert_eq!(calls[1].registry_auth, Some(auth));
    assert_eq!(setup.tokens.request_count(), 1);
}

#[test]
fn docker_login_to_a_registry_no_profile_covers_fails_without_sending_a_secret() {
    let setup = Setup::new(creds_store());
    let assert = setup.docker(&["login", OTHER]).failure().code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("Cannot perform an interactive login from a non TTY device"),
        "{stderr}"
    );

    let calls = setup.docker.take_helper_calls();
    assert_eq!(actions(&calls), [("get", 1)]);
    assert_eq!(calls[0].stdin, OTHER);
    assert_eq!(
        calls[0].stdout,
        "credentials not found in native keychain\n"
    );
    assert_eq!(setup.daemon.call_lines(), Vec::<String>::new());
    assert_eq!(setup.tokens.request_count(), 0);
}

#[test]
fn docker_login_with_a_refused_token_fails_and_keeps_it_until_docker_logout() {
    let setup = Setup::refusing(cred_helpers(REGISTRY));
    let assert = setup.docker(&["login", REGISTRY]).failure().code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("Stored credentials invalid or expired"),
        "{stderr}"
    );
    assert!(!stderr.contains("docker-token"), "{stderr}");
    // docker stores even the refused answer and erases nothing: the token stays cached.
    let calls = setup.docker.take_helper_calls();
    assert_eq!(actions(&calls), [("get", 0), ("store", 0)]);
    assert_eq!(
        login_calls(&setup, 0),
        auth_config(REGISTRY, "docker-token-1")
    );

    setup.docker(&["login", REGISTRY]).failure().code(1);
    setup.docker.take_helper_calls();
    assert_eq!(
        login_calls(&setup, 2),
        auth_config(REGISTRY, "docker-token-1")
    );
    assert_eq!(setup.tokens.request_count(), 1);

    // `docker logout` is the way to a new token.
    setup.docker(&["logout", REGISTRY]).success();
    setup.docker.take_helper_calls();
    setup.docker(&["login", REGISTRY]).failure().code(1);
    assert_eq!(
        login_calls(&setup, 4),
        auth_config(REGISTRY, "docker-token-2")
    );
    assert_eq!(setup.tokens.request_count(), 2);
}
