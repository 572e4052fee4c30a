//! Hermetic `oauthctl` commands: each test gets its own HOME, config and cache directories, and
//! nothing from the developer's environment (OAUTHCTL_* settings, proxies, NO_COLOR) reaches the
//! child. Set what a test needs on the command itself, never with `std::env::set_var`.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::server::{Reply, StubServer};

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

/// A JWT-shaped token with these claims and a junk signature: `inspect` decodes it (and says it
/// is unverified); `inspect --verify` fails on it, since no key signed it.
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

// ---------------------------------------------------------------- profiles and commands

/// `fails`, and the message is one line (DESIGN §4).
pub fn fails_in_one_line(assert: assert_cmd::assert::Assert, code: i32, message: &str) -> String {
    let stderr = fails(assert, code, message);
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr:?}");
    assert!(stderr.starts_with("oauthctl: error: "), "{stderr:?}");
    stderr
}

/// stdout, which must be JSON.
pub fn json_of(assert: &assert_cmd::assert::Assert) -> Value {
    let stdout = stdout_of(assert);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"))
}

pub fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------- a command in the background

/// How long a background `oauthctl` (a login) may take to exit in `finish` before it is killed.
const FINISH_DEADLINE: Duration = Duration::from_secs(30);

/// How long `line` waits for the stderr line it wants.
const LINE_DEADLINE: Duration = Duration::from_secs(15);

/// `oauthctl` running in the background (an `oauthctl login`), its stderr read line by line as it
/// comes and its stdout collected by a thread. Dropped before it exits, it is killed.
pub struct Background {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stdout: Option<thread::JoinHandle<String>>,
    /// Just before the spawn, so `Finished::elapsed` covers the command's whole run.
    started: Instant,
}

/// How a background `oauthctl` ended.
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    /// Every stderr line, each ending in a newline.
    pub stderr: String,
    /// From just before the spawn in `start` to the exit (within `finish`'s 20 ms polling), so
    /// it bounds the command's whole run, whatever the test did while it ran.
    pub elapsed: Duration,
}

impl Background {
    /// Starts `cmd` (an `Env::cmd()`, so with the hermetic environment) with stdin closed.
    pub fn start(cmd: &Command) -> Background {
        let mut command = std::process::Command::new(cmd.get_program());
        command.args(cmd.get_args());
        for (name, value) in cmd.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn oauthctl");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdout = child.stdout.take().unwrap();
        let stdout = thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
            stdout: Some(stdout),
            started,
        }
    }

    /// The next stderr line that satisfies `wanted`, within `LINE_DEADLINE`.
    pub fn line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + LINE_DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(e) => panic!("no such line on stderr ({e}); saw {:#?}", self.seen),
            }
        }
    }

    /// The browser flow's authorization URL: the line of two spaces and the URL that follows
    /// either header ("to sign in, open this URL in a browser:" or, when a browser was opened,
    /// "… if none shows up, open this URL:").
    pub fn authorization_url(&mut self) -> String {
        let line = self.line(|l| l.starts_with("  http"));
        let url = &line["  ".len()..];
        assert!(!url.contains(char::is_whitespace), "{line:?}");
        url.to_owned()
    }

    /// The device flow's instructions: (verification_uri, user_code).
    pub fn device_instructions(&mut self) -> (String, String) {
        const PREFIX: &str = "oauthctl: to sign in, visit ";
        let line = self.line(|l| l.starts_with(PREFIX));
        let rest = &line[PREFIX.len()..];
        let (uri, code) = rest
            .split_once(" and enter the code ")
            .unwrap_or_else(|| panic!("unexpected instructions: {line:?}"));
        (uri.to_owned(), code.to_owned())
    }

    /// Waits for the exit (killing it after `FINISH_DEADLINE`) and collects what it wrote.
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + FINISH_DEADLINE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for oauthctl") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "oauthctl still running after {}s; stderr so far: {:#?}",
                    FINISH_DEADLINE.as_secs(),
                    self.seen
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        let elapsed = self.started.elapsed();
        // The reader thread ends at EOF, which comes with the exit.
        self.seen.extend(self.lines.iter());
        let stdout = self.stdout.take().unwrap().join().unwrap();
        let mut stderr = self.seen.join("\n");
        stderr.push('\n');
        Finished {
            code: status.code(),
            stdout,
            stderr,
            elapsed,
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------- more shared helpers

/// (stdout, stderr) of `cmd`, which must succeed.
pub fn success(mut cmd: Command) -> (String, String) {
    let assert = cmd.assert().success();
    (stdout_of(&assert), stderr_of(&assert))
}

/// `<home>/.cache/oauthctl`, where the child keeps its cache.
pub fn cache_dir(env: &Env) -> PathBuf {
    env.home.path().join(".cache/oauthctl")
}

/// The cache entries (`*.json`) in `cache_dir`, sorted; none if it does not exist.
pub fn cache_files(env: &Env) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cache_dir(env))
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// No character a terminal would act on, and no line break but `\n`.
pub fn assert_inert(stream: &str, text: &str) {
    let raw = text
        .char_indices()
        .find(|&(_, c)| c != '\n' && (c.is_control() || ('\u{2028}'..='\u{2069}').contains(&c)));
    assert!(raw.is_none(), "raw {raw:?} on {stream}: {text:?}");
}

/// `text` form-urlencoded (application/x-www-form-urlencoded), as a form carries it.
pub fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The repository: where the docs, goldens, fixtures and committed files are.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Asserts that curl can be run (the tests that run it say so, rather than skip).
pub fn curl_available() -> bool {
    let found = std::process::Command::new("curl").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "these tests need curl (.ci/run installs it)"
    );
    true
}
