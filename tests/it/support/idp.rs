//! The harness of the end-to-end suites (e2e/tokens.rs, e2e/users.rs, e2e/verify.rs): ONE real
//! authorization server, `tests/e2e/idp/server.mjs` (oidc-provider; see the README there), on
//! 127.0.0.1, shared by every e2e test of this process.
//!
//! The first e2e test to call [`idp`] installs the server's Node dependencies (`npm ci`, skipped
//! when `node_modules` already matches `package-lock.json`; a marker in `node_modules` holds the
//! lock file's SHA-256, and a file lock keeps two test processes from installing at once), makes
//! the key material of the server's keyed clients with `openssl` (support/keys.rs), starts the
//! loopback CI platform (support/ci_platform.rs, whose identity tokens the server exchanges for
//! access tokens: workload identity), then starts the server with `E2E_KEYS_DIR` naming the keys
//! and `E2E_CI_ISSUER` the platform's issuer, and waits for its ready line,
//! `{"issuer":"http://127.0.0.1:PORT","mtls":"https://127.0.0.1:PORT2"}`. The server dies with the
//! test process because its stdin is a pipe from us. Node.js 20+, npm and openssl are required:
//! without them the e2e tests fail, saying what to install. They never skip.
//!
//! What a suite gets: the issuer, the HTTPS listener for mutual TLS (`mtls`, its certificate
//! signed by `keys().ca_cert`), the token endpoint and its mTLS alias, the key files
//! (`keys()`), GET on the server's test-only routes (`/test/…`, JSON answers), `token_info`
//! (what the server says it issued, JWT signatures verified with its own keys), the record of
//! what clients sent to authenticate (`client_auth`, `client_assertions`), failures on demand
//! (`fail_next`), a client of the test's own (`clone_client`) and the server's stderr for
//! failure messages. Which client uses which key: tests/e2e/idp/README.md ("Clients"). A suite
//! adds its own routes as methods in an `impl Idp` block of its own.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::ci_platform::ci_platform;
use crate::support::keys::Keys;

/// The Node project holding the server.
const IDP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/idp");
/// Written into `node_modules` after a successful `npm ci`: the SHA-256 of `package-lock.json`.
const MARKER: &str = ".oauthctl-e2e-lock.sha256";
/// Serialises `npm ci` between test processes (it lives outside `node_modules`, which npm deletes).
const NPM_LOCK: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/oauthctl-e2e-npm.lock");
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one request to the server's test-only routes may take, all included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const INSTALL_HINT: &str = "the e2e tests need Node.js 20 or newer and npm on PATH: install \
    them (https://nodejs.org/en/download, or your package manager's `nodejs` and `npm`), then \
    rerun `cargo test --test it e2e`";

/// The running server.
pub(crate) struct Idp {
    /// `http://127.0.0.1:PORT`, from the ready line.
    pub(crate) issuer: String,
    /// `https://127.0.0.1:PORT`, from the ready line: the same server over HTTPS, asking for a
    /// client certificate (RFC 8705). Its certificate is signed by [`Keys::ca_cert`]. Discovery's
    /// `mtls_endpoint_aliases` point here: `/token`, `/token/revocation`,
    /// `/token/introspection`, `/device/auth`; the test-only routes answer here too.
    pub(crate) mtls: String,
    /// The key material the server's keyed clients are registered with.
    keys: Keys,
    /// Owns the server's stdin pipe: the server exits when this process does.
    _child: Child,
    stderr: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

static IDP: OnceLock<Result<Idp, String>> = OnceLock::new();

/// The shared server, started on first use. Panics (never skips) if it cannot be set up.
pub(crate) fn idp() -> &'static Idp {
    let idp = IDP.get_or_init(start_idp);
    let idp = idp.as_ref().unwrap_or_else(|e| panic!("e2e: {e}"));
    println!("e2e: issuer {}", idp.issuer);
    idp
}

/// Runs `program --version` and returns its output, or says what to install.
fn tool_version(program: &str) -> Result<String, String> {
    let output = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{program} --version` ({e}): {INSTALL_HINT}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{program} --version` failed ({}: {}): {INSTALL_HINT}",
            output.status,
            tail(&output.stderr, 2000),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn check_tools() -> Result<(), String> {
    let node = tool_version("node")?;
    let major = node.strip_prefix('v').and_then(|v| v.split('.').next());
    match major.and_then(|m| m.parse::<u32>().ok()) {
        Some(major) if major >= 20 => {}
        _ => return Err(format!("found node {node:?}: {INSTALL_HINT}")),
    }
    tool_version("npm")?;
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An exclusive `flock` on `path`, released when the file is closed (or the process dies).
fn lock_file(path: &str) -> Result<File, String> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("open lock file {path}: {e}"))?;
    loop {
        // SAFETY: flock on a file descriptor that `file` owns for the duration of the call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(file);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("lock {path}: {err}"));
        }
    }
}

/// The last `max` characters of a command's output, trimmed first so that trailing blank lines
/// do not use up the budget.
fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(max);
    text.chars().skip(skip).collect()
}

/// `npm ci` when `node_modules` does not match the lock file. Runs once per test process: only
/// `start_idp` calls it, under `IDP`.
fn install_node_modules() -> Result<(), String> {
    check_tools()?;
    let dir = Path::new(IDP_DIR);
    let lock = dir.join("package-lock.json");
    let lock = fs::read(&lock).map_err(|e| format!("read {}: {e}", lock.display()))?;
    let wanted = sha256_hex(&lock);
    let marker = dir.join("node_modules").join(MARKER);
    let in_sync = || fs::read_to_string(&marker).is_ok_and(|m| m.trim() == wanted);

    // Another test process may be installing right now: wait for it, then look again.
    let _guard = lock_file(NPM_LOCK)?;
    if in_sync() {
        return Ok(());
    }
    let started = Instant::now();
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `npm ci` ({e}): {INSTALL_HINT}"))?;
    if !output.status.success() {
        return Err(format!(
            "`npm ci --no-audit --no-fund` in {IDP_DIR} failed ({}):\n{}\n{}",
            output.status,
            tail(&output.stdout, 4000),
            tail(&output.stderr, 4000),
        ));
    }
    // Atomic: a reader sees no marker or the whole marker, never a partial one.
    let partial = marker.with_extension(format!("tmp-{}", std::process::id()));
    fs::write(&partial, format!("{wanted}\n"))
        .and_then(|()| fs::rename(&partial, &marker))
        .map_err(|e| format!("write {}: {e}", marker.display()))?;
    println!(
        "e2e: npm ci in {IDP_DIR} took {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Collects the server's stderr for failure messages, and keeps the pipe drained.
fn drain_stderr(mut stderr: ChildStderr, log: Arc<Mutex<String>>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            log.push_str(&String::from_utf8_lossy(&buf[..n]));
            if log.len() > 256 * 1024 {
                let cut = log.len() - 128 * 1024;
                let cut = (cut..log.len())
                    .find(|&i| log.is_char_boundary(i))
                    .unwrap_or(0);
                log.replace_range(..cut, "…");
            }
        }
    })
}

fn start_idp() -> Result<Idp, String> {
    install_node_modules()?;
    let keys = Keys::generate(Path::new(IDP_DIR))?;
    let started = Instant::now();
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(IDP_DIR)
        .env("E2E_KEYS_DIR", &keys.dir)
        .env("E2E_CI_ISSUER", ci_platform().issuer())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot start `node server.mjs` in {IDP_DIR} ({e}): {INSTALL_HINT}")
        })?;
    let log = Arc::new(Mutex::new(String::new()));
    let stderr_thread = drain_stderr(child.stderr.take().expect("piped stderr"), log.clone());

    // The first stdout line is the ready line; anything after it is drained and dropped.
    let stdout = child.stdout.take().expect("piped stdout");
    let (ready_tx, ready) = mpsc::channel();
    thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let first = stdout.read_line(&mut line).map(|_| line);
        let _ = ready_tx.send(first);
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    });

    // Kills the server and waits for the end of its stderr, so that the message holds all of it.
    let failure = |child: &mut Child, what: String| {
        let _ = child.kill();
        let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
        let _ = stderr_thread.join();
        let log = log.lock().unwrap_or_else(|e| e.into_inner());
        format!(
            "the e2e authorization server (node {IDP_DIR}/server.mjs) did not start: {what}; \
             it exited with {status}; its stderr:\n{log}"
        )
    };
    let line = match ready.recv_timeout(STARTUP_TIMEOUT) {
        Ok(Ok(line)) if !line.is_empty() => line,
        Ok(Ok(_)) => {
            return Err(failure(
                &mut child,
                "stdout closed before the ready line".into(),
            ));
        }
        Ok(Err(e)) => return Err(failure(&mut child, format!("reading its stdout: {e}"))),
        Err(_) => {
            let what = format!("no ready line within {}s", STARTUP_TIMEOUT.as_secs());
            return Err(failure(&mut child, what));
        }
    };
    let parsed = serde_json::from_str::<Value>(&line).ok();
    let field = |name: &str, scheme: &str| -> Option<String> {
        let url = parsed.as_ref()?[name].as_str()?;
        let authority = url.strip_prefix(scheme)?.strip_prefix("://")?;
        let addr = authority.parse::<std::net::SocketAddr>().ok()?;
        (addr.ip() == std::net::Ipv4Addr::LOCALHOST).then(|| url.to_owned())
    };
    let (Some(issuer), Some(mtls)) = (field("issuer", "http"), field("mtls", "https")) else {
        let what = format!(
            "unexpected ready line {line:?} (want {{\"issuer\":\"http://127.0.0.1:PORT\",\
             \"mtls\":\"https://127.0.0.1:PORT\"}})"
        );
        return Err(failure(&mut child, what));
    };
    if let Err(e) = keys.write_service_account(&issuer) {
        return Err(failure(&mut child, e));
    }
    println!(
        "e2e: started {issuer} and {mtls} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    // Never through a proxy from the environment (everything here is on loopback), no redirects
    // followed, and every status handed back to the caller.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(REQUEST_TIMEOUT))
        .build()
        .new_agent();
    Ok(Idp {
        issuer,
        mtls,
        keys,
        _child: child,
        stderr: log,
        agent,
    })
}

impl Idp {
    pub(crate) fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// The token endpoint's mTLS alias, on the HTTPS listener.
    pub(crate) fn mtls_token_url(&self) -> String {
        format!("{}/token", self.mtls)
    }

    /// The keys, certificates and key files of the server's keyed clients (support/keys.rs).
    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// What the server has written on stderr so far (its last 128 to 256 KiB).
    pub(crate) fn log(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// GET on one of the server's test-only routes; every answer from them is JSON.
    pub(crate) fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let target = format!("{path}?{query}");
        let mut response = self
            .agent
            .get(format!("{}{target}", self.issuer))
            .call()
            .unwrap_or_else(|e| panic!("GET {target}: {e}\n{}", self.log()));
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|e| panic!("GET {target}: reading the body: {e}\n{}", self.log()));
        let body = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {target}: {e} in {body:?}\n{}", self.log()));
        (status, body)
    }

    /// What the server knows about a token it issued (see server.mjs). Panics if it does not
    /// know it, or if it is a JWT whose signature does not verify with the server's keys, so a
    /// token that oauthctl mangled fails here.
    pub(crate) fn token_info(&self, token: &str) -> Value {
        let (status, body) = self.get("/test/token-info", &[("token", token)]);
        assert_eq!(
            status,
            200,
            "the server did not issue {token:?}: {body}\n{}",
            self.log()
        );
        assert!(
            body.get("invalid").is_none(),
            "{token:?} does not verify: {body}"
        );
        body
    }
}

/// The server's record of client authentication (`/test/client-auth`, `/test/client-assertions`,
/// `/test/fail-next`, `/test/clone-client`; tests/e2e/idp/README.md says what each record holds).
impl Idp {
    /// A new client with the registration of `client_id` under a client_id of its own
    /// (`<client_id>.<n>`): a test that reads what its client sent, or arms a failure for it, has
    /// that client to itself, while every e2e test shares the server.
    pub(crate) fn clone_client(&self, client_id: &str) -> String {
        let (status, body) = self.get("/test/clone-client", &[("client_id", client_id)]);
        assert_eq!(status, 200, "/test/clone-client: {body}\n{}", self.log());
        body["client_id"].as_str().expect("client_id").to_owned()
    }

    /// Every request to a client-authentication endpoint that named `client_id`, in order.
    pub(crate) fn client_auth(&self, client_id: &str) -> Vec<Value> {
        self.records("/test/client-auth", client_id)
    }

    /// Every `client_assertion` `client_id` sent, in order: `header` and `payload` (decoded),
    /// `path`, `listener`, `status`, and for a refusal `error` and `error_detail`.
    pub(crate) fn client_assertions(&self, client_id: &str) -> Vec<Value> {
        self.records("/test/client-assertions", client_id)
    }

    fn records(&self, route: &str, client_id: &str) -> Vec<Value> {
        let (status, body) = self.get(route, &[("client_id", client_id)]);
        assert_eq!(status, 200, "{route}: {body}\n{}", self.log());
        match body {
            Value::Array(records) => records,
            other => panic!("{route} answered {other}, not an array"),
        }
    }

    /// Has the server answer the next `count` POSTs of `client_id` to `path` (`/token`,
    /// `/token/revocation`, `/token/introspection` or `/device/auth`) with `status` and
    /// `retry-after: 0` instead of serving them, after recording them; the `jti` of each
    /// one's client assertion then counts as used, so that the same assertion sent again is
    /// refused (`invalid_client`).
    pub(crate) fn fail_next(&self, client_id: &str, path: &str, status: u16, count: u32) {
        let (answer, body) = self.get(
            "/test/fail-next",
            &[
                ("client_id", client_id),
                ("path", path),
                ("status", &status.to_string()),
                ("count", &count.to_string()),
            ],
        );
        assert_eq!(answer, 200, "/test/fail-next: {body}\n{}", self.log());
    }
}
