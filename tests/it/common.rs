//! Hermetic `oauthctl` commands: each test gets its own HOME, config and cache directories, and
//! nothing from the developer's environment (OAUTHCTL_* settings, proxies, NO_COLOR) reaches the
//! child. Set what a test needs on the command itself, never with `std::env::set_var`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;

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
        for name in PROXY_VARS.into_iter().chain(["NO_COLOR"]) {
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
