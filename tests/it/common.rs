//! Hermetic `oauthctl` commands: each test gets its own HOME, config and cache directories, and
//! nothing from the developer's environment (OAUTHCTL_* settings, proxies, NO_COLOR) reaches the
//! child. Set what a test needs on the command itself, never with `std::env::set_var`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::server::{Reply, StubServer};

/// ureq reads every one of these (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY in either case, and NO_PROXY),
/// so any of them would route a test's loopback request elsewhere.
const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

pub struct Env {
    pub home: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let home = tempfile::Builder::new().prefix("oauthctl-home-").tempdir();
        Env {
            home: home.expect("create a temporary HOME"),
        }
    }

    /// The `oauthctl` binary under a hermetic environment with a 30 s timeout.
    ///
    /// Stdin: assert_cmd 2.2.2 always spawns the child with a piped stdin (`Command::spawn` sets
    /// `Stdio::piped()`, and the type has no `stdin()` setter to change that). Without
    /// `write_stdin` nothing is written and the pipe's write end is dropped as soon as it waits
    /// (`Child::wait`, or `wait_timeout` from wait-timeout 0.2.1 when a timeout is set), so the
    /// child sees an empty stdin that is not a terminal: reads hit EOF at once and
    /// `is_terminal()` is false. Tests that need input call `write_stdin`.
    pub fn cmd(&self) -> Command {
        self.hermetic(assert_cmd::cargo::cargo_bin_cmd!("oauthctl"))
    }

    /// Applies the hermetic environment and timeout of `cmd()` to any program.
    pub fn hermetic(&self, mut cmd: Command) -> Command {
        let home = self.home.path();
        cmd.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"));
        // vars_os, not vars: vars() panics on a variable that is not Unicode.
        for (name, _) in std::env::vars_os() {
            if name.as_encoded_bytes().starts_with(b"OAUTHCTL_") {
                cmd.env_remove(name);
            }
        }
        // Colour settings and kubectl's request would change what a test sees.
        for name in
            PROXY_VARS
                .into_iter()
                .chain(["NO_COLOR", "CLICOLOR_FORCE", "KUBERNETES_EXEC_INFO"])
        {
            cmd.env_remove(name);
        }
        cmd.timeout(Duration::from_secs(30));
        cmd
    }

    /// `<home>/.config/oauthctl/config.toml`, where the child looks by default.
    pub fn config_path(&self) -> PathBuf {
        self.home.path().join(".config/oauthctl/config.toml")
    }

    /// Writes the config with mode 0600, as a file holding client secrets should have.
    pub fn write_config(&self, toml: &str) -> PathBuf {
        let path = self.config_path();
        let dir = path.parent().expect("config path has a parent");
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        fs::write(&path, toml).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("chmod 600 {}: {e}", path.display()));
        path
    }
}

// ---------------------------------------------------------------- shared assertions and fixtures

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A JWT-shaped token with these claims (the signature is junk: inspect never verifies).
pub fn jwt(claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
    format!(
        "{header}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

pub fn token_reply(token: &str) -> Reply {
    Reply::json(
        200,
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": 300, "vendor_field": {"x": 1}})
            .to_string(),
    )
}

/// A token endpoint that answers every request with `token`.
pub fn token_server(token: &str) -> StubServer {
    let reply = token_reply(token);
    StubServer::start(move |_| reply.clone())
}

pub fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

pub fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

/// Asserts the documented failure shape: exit code, empty stdout, one message on stderr.
pub fn fails(assert: assert_cmd::assert::Assert, code: i32, message: &str) -> String {
    let assert = assert.failure().code(code).stdout("");
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(message),
        "stderr should contain {message:?}, was {stderr:?}"
    );
    stderr
}

pub fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
