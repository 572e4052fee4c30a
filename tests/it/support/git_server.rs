//! A git smart-HTTP server on loopback that asks for credentials on every request: the peer of
//! the real `git clone`, `git fetch` and `git push` in the tests of a git credential helper.
//!
//! Requests are read by the strict stub (support/server.rs: RFC 9112 framing, chunked bodies
//! included), authenticated here, then served by git's own CGI program, `git http-backend`, from
//! bare repositories in a temporary directory. A request without credentials, or whose token is
//! refused, is answered 401 with `WWW-Authenticate: Basic realm="test"` (RFC 7617 §2), and with
//! `WWW-Authenticate: Bearer realm="test"` too (RFC 6750 §3) once [`GitServer::offer_bearer`] is
//! on, which is what makes git ask its credential helper, and, for a refused token, tell the
//! helper to `erase` it. `Authorization: Basic base64(user:token)` and, when offered,
//! `Authorization: Bearer token` are accepted when the token is not [`GitServer::revoke`]d and
//! the check given to [`GitServer::start`] accepts it; [`idp_token_is_valid`] is such a check,
//! asking the e2e authorization server (support/idp.rs).
//!
//! Every request is recorded as a [`GitRequest`]: method, path, scheme, username, outcome and
//! status, never the token. Nothing here prints, formats or panics with a token, so a test may
//! assert that a token appears in no log.
//!
//! [`git`] and [`git_cmd`] are git commands cut off from the developer's configuration and
//! environment, for the server's own repositories and for the clients of the tests.
//!
//! Limits: a request body may be 1 MiB at most (the stub's cap; git sends a pack bigger than
//! `http.postBuffer` chunked, which is read and handed to http-backend whole), each connection
//! carries one exchange (`Connection: close`), and the path is given to http-backend as
//! `PATH_INFO` without percent-decoding, which repository names made of plain characters do not
//! need. The tests at the end of this file show what git 2.47 does against it: the challenge
//! first, the helper's credentials after, chunked pushes, gzipped fetch negotiation, Bearer from
//! a helper with the `authtype` capability, and the redaction of its traces.

use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

/// The realm of both challenges.
pub const REALM: &str = "test";

/// Where the environment could send a loopback request elsewhere, or make git prompt: curl reads
/// the proxy variables (the lower-case `http_proxy` only, for plain HTTP), git's `credential`
/// code asks `SSH_ASKPASS` as a last resort. Every `GIT_*` variable is removed as well.
const CLEARED_VARS: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "SSH_ASKPASS",
];

/// How an `Authorization` header carried its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 7617: `Basic base64(user:token)`.
    Basic,
    /// RFC 6750 §2.1: `Bearer token`.
    Bearer,
}

/// The credentials of one request, as the check sees them. `Debug` never shows the token.
pub struct Auth {
    pub scheme: Scheme,
    /// The user-id of Basic credentials; `None` for Bearer.
    pub username: Option<String>,
    token: String,
}

impl Auth {
    /// The password of Basic credentials, or the Bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("scheme", &self.scheme)
            .field("username", &self.username)
            .field("token", &"***")
            .finish()
    }
}

/// What the check decides about a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Reject,
}

impl From<bool> for Verdict {
    fn from(valid: bool) -> Verdict {
        if valid {
            Verdict::Accept
        } else {
            Verdict::Reject
        }
    }
}

/// Why a request was served or answered 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to `git http-backend`, whatever it answered.
    Accepted,
    /// No `Authorization` header.
    NoCredentials,
    /// More than one `Authorization` header, or one that is not well-formed Basic or Bearer.
    Malformed,
    /// Bearer while [`GitServer::offer_bearer`] is off, or a scheme other than Basic and Bearer.
    SchemeNotOffered,
    /// The token was given to [`GitServer::revoke`]; the check was not asked.
    Revoked,
    /// The check rejected the token.
    Refused,
}

/// One request as the server saw and answered it. It holds no token, so it may be printed.
#[derive(Clone, Debug)]
pub struct GitRequest {
    pub method: String,
    pub path: String,
    /// The raw query, e.g. `service=git-upload-pack`.
    pub query: Option<String>,
    /// `None` without an `Authorization` header, or with one of another scheme.
    pub scheme: Option<Scheme>,
    /// The user-id of Basic credentials.
    pub username: Option<String>,
    pub outcome: Outcome,
    /// What the client was answered: 401, or the status `git http-backend` gave.
    pub status: u16,
    /// The body came with `Transfer-Encoding: chunked` (RFC 9112 §7.1).
    pub chunked: bool,
    /// The `Content-Encoding` of the body, e.g. `gzip`.
    pub content_encoding: Option<String>,
    /// The `Git-Protocol` header, e.g. `version=2`.
    pub git_protocol: Option<String>,
}

impl GitRequest {
    pub fn accepted(&self) -> bool {
        self.outcome == Outcome::Accepted
    }
}

type Check = dyn Fn(&Auth) -> Verdict + Send + Sync;

struct State {
    check: Box<Check>,
    /// Tokens refused before the check is asked. Never printed: `State` has no `Debug`.
    revoked: Mutex<HashSet<String>>,
    offer_bearer: AtomicBool,
    requests: Mutex<Vec<GitRequest>>,
    /// What `git http-backend` wrote on stderr.
    backend_log: Mutex<String>,
    /// `GIT_PROJECT_ROOT`: the bare repositories, as `<name>.git`.
    repos: PathBuf,
    /// HOME of the server's own git commands, empty.
    home: PathBuf,
}

/// A running server; dropping it stops it and deletes its repositories.
pub struct GitServer {
    state: Arc<State>,
    // Declared before `_dir`: the stub's threads stop before the repositories go.
    stub: StubServer,
    /// The repositories and the server's HOME.
    _dir: tempfile::TempDir,
}

impl GitServer {
    /// Starts the server on 127.0.0.1 with no repositories; see [`GitServer::create_repo`].
    pub fn start(check: impl Fn(&Auth) -> Verdict + Send + Sync + 'static) -> GitServer {
        let dir = tempfile::Builder::new().prefix("oauthctl-git-").tempdir();
        let dir = dir.expect("create the git server's directory");
        let (repos, home) = (dir.path().join("repos"), dir.path().join("home"));
        for path in [&repos, &home] {
            std::fs::create_dir(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        }
        let state = Arc::new(State {
            check: Box::new(check),
            revoked: Mutex::default(),
            offer_bearer: AtomicBool::new(false),
            requests: Mutex::default(),
            backend_log: Mutex::default(),
            repos,
            home,
        });
        let shared = Arc::clone(&state);
        let stub = StubServer::start(move |request| handle(&shared, request));
        GitServer {
            state,
            stub,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT/<repo>.git`.
    pub fn url(&self, repo: &str) -> String {
        self.stub.url(&format!("/{repo}.git"))
    }

    /// The git directory of the bare repository `repo`.
    pub fn git_dir(&self, repo: &str) -> PathBuf {
        self.state.repos.join(format!("{repo}.git"))
    }

    /// Creates the bare repository `repo`, open to pushes (`http.receivepack`), whose branch
    /// `main` holds one commit, "initial", adding `README`. Returns its git directory.
    pub fn create_repo(&self, repo: &str) -> PathBuf {
        let git_dir = self.git_dir(repo);
        let init = ["init", "--quiet", "--bare", "--initial-branch=main"];
        run(git(&self.state.home).args(init).arg(&git_dir));
        run(self
            .in_repo(repo)
            .args(["config", "http.receivepack", "true"]));
        let blob = format!("# {repo}\n");
        let blob = run_with_input(
            self.in_repo(repo).args(["hash-object", "-w", "--stdin"]),
            blob.as_bytes(),
        );
        let tree = format!("100644 blob {blob}\tREADME\n");
        let tree = run_with_input(self.in_repo(repo).arg("mktree"), tree.as_bytes());
        let commit = run(self
            .in_repo(repo)
            .args(["commit-tree", &tree, "-m", "initial"]));
        run(self
            .in_repo(repo)
            .args(["update-ref", "refs/heads/main", &commit]));
        git_dir
    }

    /// Adds a commit to `main` of `repo` on the server's side, as if someone else had pushed it:
    /// `message`, with its parent's tree. Returns its id.
    pub fn commit(&self, repo: &str, message: &str) -> String {
        let args = ["commit-tree", "main^{tree}", "-p", "main", "-m", message];
        let commit = run(self.in_repo(repo).args(args));
        run(self
            .in_repo(repo)
            .args(["update-ref", "refs/heads/main", &commit]));
        commit
    }

    /// The subjects of the commits on `main` of `repo`, newest first.
    pub fn log(&self, repo: &str) -> Vec<String> {
        let out = run(self.in_repo(repo).args(["log", "--format=%s", "main"]));
        out.lines().map(str::to_owned).collect()
    }

    /// The server's own `git --git-dir <repo>`.
    fn in_repo(&self, repo: &str) -> Command {
        let mut cmd = git(&self.state.home);
        cmd.arg("--git-dir").arg(self.git_dir(repo));
        cmd
    }

    /// Offers and accepts `Authorization: Bearer` from now on (or no longer).
    pub fn offer_bearer(&self, offer: bool) {
        self.state.offer_bearer.store(offer, SeqCst);
    }

    /// Refuses `token` from now on, whatever the check says.
    pub fn revoke(&self, token: &str) {
        self.state.revoked.lock().unwrap().insert(token.to_owned());
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<GitRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    /// What `git http-backend` wrote on stderr so far, for failure messages.
    pub fn backend_log(&self) -> String {
        self.state.backend_log.lock().unwrap().clone()
    }
}

/// A check that accepts `token` and nothing else.
pub fn accept_token(token: &str) -> impl Fn(&Auth) -> Verdict + Send + Sync + 'static {
    let token = token.to_owned();
    move |auth| Verdict::from(auth.token() == token)
}

/// A check asking the e2e authorization server at `issuer` (`GET /test/token-info?token=…`, see
/// tests/e2e/idp/README.md) whether it issued `token` and it is still an access token a resource
/// server would take: known and not revoked (a revoked token is unknown, 404), not expired
/// (`exp`, where given), and, for a JWT, verified by the server and typed `at+jwt` (RFC 9068 §4),
/// or, for an opaque token, an access token rather than a refresh token or a code. Panics, without
/// the token in the message, when the server cannot be asked.
pub fn idp_token_is_valid(issuer: &str) -> impl Fn(&str) -> bool + Send + Sync + 'static {
    let url = format!("{}/test/token-info", issuer.trim_end_matches('/'));
    // Everything here is on loopback: no proxy from the environment, no redirects followed.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent();
    move |token| {
        // An error may quote the URL, where the token is form-encoded.
        let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
        let redacted = |text: String| match token.is_empty() {
            true => text,
            false => text.replace(token, "***").replace(&encoded, "***"),
        };
        let response = agent.get(&url).query("token", token).call();
        let mut response =
            response.unwrap_or_else(|e| panic!("GET {url}: {}", redacted(e.to_string())));
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string();
        let body = body.unwrap_or_else(|e| panic!("GET {url}: {}", redacted(e.to_string())));
        match status {
            200 => {
                let info = serde_json::from_str(&body);
                let info = info.unwrap_or_else(|e| panic!("GET {url}: {e} in {}", redacted(body)));
                token_info_is_valid(&info, unix_now())
            }
            404 => false,
            _ => panic!("GET {url}: {status} {}", redacted(body)),
        }
    }
}

/// Whether `/test/token-info`'s answer describes an access token in force at `now`.
fn token_info_is_valid(info: &Value, now: i64) -> bool {
    let in_force = |exp: &Value| exp.is_null() || exp.as_i64().is_some_and(|exp| exp > now);
    match info["format"].as_str() {
        Some("jwt") => {
            info.get("invalid").is_none()
                && info["header"]["typ"] == "at+jwt"
                && info["payload"]["exp"].as_i64().is_some_and(|exp| exp > now)
        }
        Some("opaque") => {
            matches!(
                info["kind"].as_str(),
                Some("AccessToken" | "ClientCredentials")
            ) && info["consumed"] != true
                && in_force(&info["exp"])
        }
        _ => false,
    }
}

fn unix_now() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH);
    now.expect("the clock is after 1970").as_secs() as i64
}

/// `git` with nothing from the developer's setup: HOME is `home` (and XDG_CONFIG_HOME under it),
/// no system config, no `GIT_*` variable from the environment (a hook running the tests sets
/// GIT_DIR), no proxy, no prompt (GIT_TERMINAL_PROMPT=0, no askpass), English messages, a fixed
/// identity for commits, and stdin from /dev/null.
pub fn git(home: &Path) -> Command {
    let mut cmd = Command::new("git");
    // vars_os, not vars: vars() panics on a variable that is not Unicode.
    for (name, _) in std::env::vars_os() {
        if name.as_encoded_bytes().starts_with(b"GIT_") {
            cmd.env_remove(name);
        }
    }
    for name in CLEARED_VARS {
        cmd.env_remove(name);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C");
    for (name, value) in [
        ("GIT_AUTHOR_NAME", "Test Author"),
        ("GIT_AUTHOR_EMAIL", "author@example.test"),
        ("GIT_COMMITTER_NAME", "Test Committer"),
        ("GIT_COMMITTER_EMAIL", "committer@example.test"),
    ] {
        cmd.env(name, value);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// [`git`] under the test's hermetic environment (`Env::hermetic`: its HOME, no `OAUTHCTL_*`,
/// a 30 s timeout), so that a credential helper run by git is `oauthctl` as a test would run it.
pub fn git_cmd(env: &Env) -> assert_cmd::Command {
    env.hermetic(assert_cmd::Command::from_std(git(env.home.path())))
}

/// `git http-backend`, from the exec path of the `git` on PATH.
pub fn http_backend() -> &'static Path {
    static BACKEND: OnceLock<PathBuf> = OnceLock::new();
    BACKEND.get_or_init(|| {
        let exec_path = run(Command::new("git").arg("--exec-path").stdin(Stdio::null()));
        let backend = Path::new(&exec_path).join("git-http-backend");
        assert!(backend.is_file(), "no {}: install git", backend.display());
        backend
    })
}

/// Runs a command to success and returns its stdout, trimmed.
fn run(cmd: &mut Command) -> String {
    run_with_input(cmd, b"")
}

fn run_with_input(cmd: &mut Command, input: &[u8]) -> String {
    let output = pipe(cmd, input).unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{cmd:?}: {}: {stderr}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Runs `cmd` with `input` written to its stdin from another thread, so that a child writing a
/// large output before it reads all its input cannot deadlock with us.
fn pipe(cmd: &mut Command, input: &[u8]) -> std::io::Result<Output> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    thread::scope(|scope| {
        // A child that exits without reading all of its input closes the pipe: not our error.
        scope.spawn(move || drop(stdin.write_all(input)));
        child.wait_with_output()
    })
}

fn handle(state: &State, request: &Recorded) -> Reply {
    let offer_bearer = state.offer_bearer.load(SeqCst);
    let (auth, outcome) = authenticate(state, request, offer_bearer);
    let reply = match (outcome, &auth) {
        (Outcome::Accepted, Some(auth)) => backend(state, request, auth.username.as_deref()),
        _ => challenge(offer_bearer, auth.as_ref().map(|a| a.scheme)),
    };
    let te = request.header("transfer-encoding");
    state.requests.lock().unwrap().push(GitRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        scheme: auth.as_ref().map(|auth| auth.scheme),
        username: auth.and_then(|auth| auth.username),
        outcome,
        status: reply.status,
        chunked: te.is_some_and(|te| te.eq_ignore_ascii_case("chunked")),
        content_encoding: request.header("content-encoding").map(str::to_owned),
        git_protocol: request.header("git-protocol").map(str::to_owned),
    });
    reply
}

/// The credentials of `request` and what becomes of them. `Auth` is `Some` whenever a Basic or
/// Bearer token could be read, accepted or not.
fn authenticate(state: &State, request: &Recorded, offer_bearer: bool) -> (Option<Auth>, Outcome) {
    let auth = match request.header_count("authorization") {
        0 => return (None, Outcome::NoCredentials),
        1 => request.header("authorization").unwrap_or_default(),
        _ => return (None, Outcome::Malformed),
    };
    let (scheme, credentials) = auth.split_once(' ').unwrap_or((auth, ""));
    let credentials = credentials.trim_start_matches(' ');
    // RFC 9110 §11.1: the scheme is case-insensitive.
    let auth = if scheme.eq_ignore_ascii_case("basic") {
        // RFC 7617 §2: the user-id ends at the first colon; the password may hold more.
        let decoded = STANDARD
            .decode(credentials)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let Some((username, token)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return (None, Outcome::Malformed);
        };
        let username = Some(username.to_owned());
        Auth {
            scheme: Scheme::Basic,
            username,
            token: token.to_owned(),
        }
    } else if scheme.eq_ignore_ascii_case("bearer") {
        // RFC 6750 §2.1: b64token, i.e. RFC 9110's token68.
        let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
        let body = credentials.trim_end_matches('=');
        if body.is_empty() || !body.chars().all(token68) {
            return (None, Outcome::Malformed);
        }
        Auth {
            scheme: Scheme::Bearer,
            username: None,
            token: credentials.to_owned(),
        }
    } else {
        return (None, Outcome::SchemeNotOffered);
    };
    let outcome = if auth.scheme == Scheme::Bearer && !offer_bearer {
        Outcome::SchemeNotOffered
    } else if state.revoked.lock().unwrap().contains(auth.token()) {
        Outcome::Revoked
    } else if (state.check)(&auth) == Verdict::Accept {
        Outcome::Accepted
    } else {
        Outcome::Refused
    };
    (Some(auth), outcome)
}

/// 401 with a challenge per scheme offered (RFC 9110 §11.6.1). A Bearer token that was read but
/// refused is told so with `error="invalid_token"` (RFC 6750 §3.1).
fn challenge(offer_bearer: bool, refused: Option<Scheme>) -> Reply {
    let reply = Reply::new(401, "text/plain", "authentication required\n");
    let reply = reply.with_header("WWW-Authenticate", &format!("Basic realm=\"{REALM}\""));
    if !offer_bearer {
        return reply;
    }
    let error = match refused {
        Some(Scheme::Bearer) => ", error=\"invalid_token\"",
        _ => "",
    };
    reply.with_header(
        "WWW-Authenticate",
        &format!("Bearer realm=\"{REALM}\"{error}"),
    )
}

/// Runs `git http-backend` as a CGI program (RFC 3875) for `request` and turns its output into
/// the reply: the `Status` header gives the status (§6.3.3, 200 without one), the other headers
/// are passed on, and the stub frames the body with Content-Length.
fn backend(state: &State, request: &Recorded, username: Option<&str>) -> Reply {
    let mut cmd = Command::new(http_backend());
    // Only what RFC 3875 §4.1 and git http-backend(1) name, and PATH for the programs it runs.
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &state.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PROJECT_ROOT", &state.repos)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", &request.method)
        .env("PATH_INFO", &request.path)
        .env("QUERY_STRING", request.query.as_deref().unwrap_or_default());
    // The body is whole here, chunked framing removed (RFC 9112 §7.1.3), so its length is known;
    // with `Content-Encoding: gzip` it is the compressed length, and http-backend inflates.
    if !request.body.is_empty() || request.method == "POST" {
        cmd.env("CONTENT_LENGTH", request.body.len().to_string());
    }
    let headers = [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ];
    for (header, variable) in headers {
        if let Some(value) = request.header(header) {
            cmd.env(variable, value);
        }
    }
    if let Some(username) = username {
        cmd.env("REMOTE_USER", username);
    }
    let output = pipe(&mut cmd, &request.body);
    let output = output.unwrap_or_else(|e| panic!("run {}: {e}", http_backend().display()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    state.backend_log.lock().unwrap().push_str(&stderr);
    match parse_cgi(&output.stdout) {
        Some(reply) => reply,
        None => {
            let why = format!(
                "git http-backend {}, no CGI response: {stderr}",
                output.status
            );
            Reply::new(500, "text/plain", &why)
        }
    }
}

/// A CGI response: header lines ending in LF or CRLF, an empty line, the body.
fn parse_cgi(output: &[u8]) -> Option<Reply> {
    let mut rest = output;
    let mut reply = Reply {
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
    };
    loop {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let line = std::str::from_utf8(&rest[..end]).ok()?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        rest = &rest[end + 1..];
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            reply.status = value.split(' ').next()?.parse().ok()?;
        } else if !["content-length", "transfer-encoding", "connection"]
            .contains(&&*name.to_ascii_lowercase())
        {
            // The stub writes the framing headers itself.
            reply.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    reply.body = rest.to_vec();
    Some(reply)
}

/// The server's own tests, with the real git as the client, and a raw client for the challenges.
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::os::unix::fs::PermissionsExt;

    use serde_json::json;

    use super::*;
    use crate::support::common::stderr_of;

    const GOOD: &str = "tok-Good-5e1f";

    /// A credential helper (git-credential(1), "Custom helpers") that answers `get` with
    /// `username=u` and `password=$TEST_TOKEN`: read from the environment, so that the token is
    /// not in the helper's command line, which GIT_TRACE prints.
    const BASIC_HELPER: &str = "credential.helper=!f() { test \"$1\" = get && echo username=u && echo password=$TEST_TOKEN; }; f";

    /// `git -c <BASIC_HELPER> <args>` whose helper answers `token`.
    fn git_with(env: &Env, token: &str, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = git_cmd(env);
        cmd.env("TEST_TOKEN", token)
            .args(["-c", BASIC_HELPER])
            .args(args);
        cmd
    }

    /// Runs git in `dir` to success.
    fn git_ok(env: &Env, dir: &Path, args: &[&str]) {
        git_cmd(env).current_dir(dir).args(args).assert().success();
    }

    fn summary(server: &GitServer) -> Vec<(String, Option<Scheme>, Outcome, u16)> {
        let requests = server.requests().into_iter();
        let summary = requests.map(|r| {
            (
                format!("{} {}", r.method, r.path),
                r.scheme,
                r.outcome,
                r.status,
            )
        });
        summary.collect()
    }

    #[test]
    fn clone_commit_and_push_with_basic_credentials() {
        let server = GitServer::start(accept_token(GOOD));
        server.create_repo("r");
        let env = Env::new();
        let work = env.home.path().join("work");
        let work_str = work.to_str().unwrap();

        git_with(&env, GOOD, &["clone", &server.url("r"), work_str])
            .assert()
            .success();
        assert_eq!(
            std::fs::read_to_string(work.join("README")).unwrap(),
            "# r\n"
        );
        git_ok(
            &env,
            &work,
            &["commit", "--quiet", "--allow-empty", "-m", "second"],
        );
        git_with(&env, GOOD, &["-C", work_str, "push", "origin", "main"])
            .assert()
            .success();

        assert_eq!(
            server.log("r"),
            ["second", "initial"],
            "{}",
            server.backend_log()
        );
        // Each git command is refused once, without credentials, then asks the helper and sends
        // its username and token (RFC 7617 §2) on every request.
        let seen = server.requests().into_iter().map(|r| {
            let target = format!("{} {}?{}", r.method, r.path, r.query.unwrap_or_default());
            (target, r.username, r.outcome, r.status)
        });
        let basic = |target: &str| {
            (
                target.to_owned(),
                Some("u".to_owned()),
                Outcome::Accepted,
                200,
            )
        };
        let challenged = |target: &str| (target.to_owned(), None, Outcome::NoCredentials, 401);
        let expected = [
            challenged("GET /r.git/info/refs?service=git-upload-pack"),
            basic("GET /r.git/info/refs?service=git-upload-pack"),
            basic("POST /r.git/git-upload-pack?"),
            basic("POST /r.git/git-upload-pack?"),
            challenged("GET /r.git/info/refs?service=git-receive-pack"),
            basic("GET /r.git/info/refs?service=git-receive-pack"),
            basic("POST /r.git/git-receive-pack?"),
        ];
        assert_eq!(seen.collect::<Vec<_>>(), expected);
        let requests = server.requests();
        assert!(
            requests
                .iter()
                .all(|r| r.scheme == r.username.as_ref().map(|_| Scheme::Basic))
        );
        // git asks upload-pack for protocol v2 (the `Git-Protocol` header, handed on to
        // http-backend), and receive-pack, which has no v2, for nothing.
        let protocols = requests.iter().map(|r| r.git_protocol.as_deref());
        let v2 = Some("version=2");
        assert_eq!(
            protocols.collect::<Vec<_>>(),
            [v2, v2, v2, v2, None, None, None]
        );
    }

    #[test]
    fn a_refused_token_makes_git_fail_with_authentication_failed() {
        let server = GitServer::start(accept_token(GOOD));
        server.create_repo("r");
        let env = Env::new();

        let assert = git_with(&env, "tok-Wrong-0000", &["ls-remote", &server.url("r")]).assert();

        let stderr = stderr_of(&assert.code(128));
        let url = server.url("r");
        assert!(
            stderr.contains(&format!("fatal: Authentication failed for '{url}/'")),
            "{stderr}"
        );
        assert!(!stderr.contains("tok-Wrong"), "{stderr}");
        let info_refs = "GET /r.git/info/refs".to_owned();
        let expected = vec![
            (info_refs.clone(), None, Outcome::NoCredentials, 401),
            (info_refs, Some(Scheme::Basic), Outcome::Refused, 401),
        ];
        assert_eq!(summary(&server), expected);
        assert_eq!(server.requests()[1].username.as_deref(), Some("u"));
    }

    #[test]
    fn a_revoked_token_is_refused_from_then_on() {
        let server = GitServer::start(accept_token(GOOD));
        server.create_repo("r");
        let env = Env::new();
        git_with(&env, GOOD, &["ls-remote", &server.url("r")])
            .assert()
            .success();
        let before = server.requests().len();

        server.revoke(GOOD);
        let assert = git_with(&env, GOOD, &["ls-remote", &server.url("r")]).assert();

        assert!(stderr_of(&assert.code(128)).contains("Authentication failed"));
        let after = &summary(&server)[before..];
        let info_refs = "GET /r.git/info/refs".to_owned();
        let expected = [
            (info_refs.clone(), None, Outcome::NoCredentials, 401),
            (info_refs, Some(Scheme::Basic), Outcome::Revoked, 401),
        ];
        assert_eq!(after, expected);
    }

    /// git 2.47 redacts the Authorization header in GIT_TRACE_CURL's output (and in
    /// GIT_CURL_VERBOSE's, which it turns into the same trace) as `Authorization: Basic
    /// <redacted>`; GIT_TRACE_REDACT=0 turns that off. GIT_TRACE prints every helper's command
    /// line, so a test helper must not carry the token in it.
    #[test]
    fn git_traces_redact_the_authorization_header_unless_told_not_to() {
        let server = GitServer::start(accept_token(GOOD));
        server.create_repo("r");
        let env = Env::new();
        let basic = STANDARD.encode(format!("u:{GOOD}"));
        let traced = |redact: &str| {
            let mut cmd = git_with(&env, GOOD, &["ls-remote", &server.url("r")]);
            let vars = [
                ("GIT_TRACE", "1"),
                ("GIT_CURL_VERBOSE", "1"),
                ("GIT_TRACE_CURL", "1"),
            ];
            cmd.envs(vars).env("GIT_TRACE_REDACT", redact);
            stderr_of(&cmd.assert().success())
        };

        let redacted = traced("1");
        assert!(
            redacted.contains("=> Send header: Authorization: Basic <redacted>"),
            "{redacted}"
        );
        assert!(
            !redacted.contains(GOOD) && !redacted.contains(&basic),
            "{redacted}"
        );

        let plain = traced("0");
        assert!(
            plain.contains(&format!("=> Send header: Authorization: Basic {basic}")),
            "{plain}"
        );
    }

    /// A helper that logs what git sends it and answers `get` with `lines`.
    fn script_helper(env: &Env, lines: &[&str]) -> (String, PathBuf) {
        let (script, log) = (
            env.home.path().join("helper.sh"),
            env.home.path().join("helper.log"),
        );
        let answer: String = lines
            .iter()
            .map(|line| format!("echo '{line}'\n"))
            .collect();
        let body = format!(
            "#!/bin/sh\n{{ echo \"== $1\"; cat; }} >> '{}'\ntest \"$1\" = get || exit 0\n{answer}",
            log.display()
        );
        std::fs::write(&script, body).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        (format!("credential.helper={}", script.display()), log)
    }

    /// git 2.46 and later tell a helper `capability[]=authtype` on stdin first; a helper that
    /// answers with it may give `authtype` and `credential`, which git sends as `Authorization:
    /// <authtype> <credential>` whatever schemes the server offered. git 2.47 does so for Bearer
    /// against a Basic-only challenge too: such a server refuses it, and git has the helper
    /// erase it.
    #[test]
    fn bearer_from_a_helper_with_the_authtype_capability() {
        for offer in [true, false] {
            let server = GitServer::start(accept_token(GOOD));
            server.offer_bearer(offer);
            server.create_repo("r");
            let env = Env::new();
            let answer = [
                "capability[]=authtype",
                "authtype=Bearer",
                &format!("credential={GOOD}"),
            ];
            let (helper, log) = script_helper(&env, &answer);
            let mut cmd = git_cmd(&env);
            cmd.args([
                "-c",
                &helper,
                "-c",
                "credential.useHttpPath=true",
                "ls-remote",
                &server.url("r"),
            ]);
            let assert = cmd.env("GIT_TRACE_CURL", "1").assert();

            let log = std::fs::read_to_string(log).unwrap();
            let get = log
                .split("== ")
                .find(|call| call.starts_with("get\n"))
                .unwrap();
            let mut challenges = "wwwauth[]=Basic realm=\"test\"\n".to_owned();
            if offer {
                challenges.push_str("wwwauth[]=Bearer realm=\"test\"\n");
            }
            let expected = format!(
                "get\ncapability[]=authtype\ncapability[]=state\nprotocol=http\nhost={}\npath=r.git\n{challenges}",
                server.stub.addr()
            );
            assert_eq!(get, expected);
            let info_refs = "GET /r.git/info/refs".to_owned();
            let summary = summary(&server);
            assert_eq!(
                summary[0],
                (info_refs.clone(), None, Outcome::NoCredentials, 401)
            );
            if offer {
                let stderr = stderr_of(&assert.success());
                assert!(
                    stderr.contains("=> Send header: Authorization: Bearer <redacted>"),
                    "{stderr}"
                );
                assert!(!stderr.contains(GOOD), "{stderr}");
                assert!(
                    summary[1..]
                        .iter()
                        .all(|r| r.1 == Some(Scheme::Bearer) && r.2 == Outcome::Accepted),
                    "{summary:?}"
                );
                assert!(log.contains("== store\n"), "{log}");
            } else {
                assert!(stderr_of(&assert.code(128)).contains("Authentication failed"));
                assert_eq!(
                    summary[1..],
                    [(
                        info_refs,
                        Some(Scheme::Bearer),
                        Outcome::SchemeNotOffered,
                        401
                    )]
                );
                assert!(
                    log.contains(&format!(
                        "== erase\ncapability[]=authtype\nauthtype=Bearer\ncredential={GOOD}\n"
                    )),
                    "{log}"
                );
            }
        }
    }

    /// Pseudo-random bytes: a file git cannot compress, so that its pack is as big as it.
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let step = |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        (0..len).map(step).collect()
    }

    /// git sends a pack bigger than `http.postBuffer` (64 KiB at least) chunked, after a probe
    /// request; and it gzips an upload-pack request over 1 KiB, here a fetch's many `have` lines.
    #[test]
    fn chunked_pushes_and_gzipped_fetches_are_served() {
        let server = GitServer::start(accept_token(GOOD));
        server.create_repo("r");
        let env = Env::new();
        let work = env.home.path().join("work");
        let work_str = work.to_str().unwrap();
        git_with(
            &env,
            GOOD,
            &["clone", "--quiet", &server.url("r"), work_str],
        )
        .assert()
        .success();

        std::fs::write(work.join("noise.bin"), noise(200 * 1024)).unwrap();
        git_ok(&env, &work, &["add", "noise.bin"]);
        git_ok(&env, &work, &["commit", "--quiet", "-m", "noise"]);
        git_with(
            &env,
            GOOD,
            &[
                "-C",
                work_str,
                "-c",
                "http.postBuffer=65536",
                "push",
                "origin",
                "main",
            ],
        )
        .assert()
        .success();

        assert_eq!(server.log("r"), ["noise", "initial"]);
        let requests = server.requests();
        let chunked = requests.iter().filter(|r| r.chunked);
        let chunked: Vec<_> = chunked
            .map(|r| (r.path.as_str(), r.outcome, r.status))
            .collect();
        assert_eq!(
            chunked,
            [("/r.git/git-receive-pack", Outcome::Accepted, 200)]
        );

        // Local commits the server lacks, which a fetch names as `have`s, and one on the server
        // for it to fetch. Negotiation walks the newest commits first: these are dated after
        // anything the server has, so that it does not find the common ones first.
        const NEWER: u64 = 4_000_000_000;
        let commits = (1..=60).map(|i| {
            let message = format!("local {i}\n");
            let from = if i == 1 { "from refs/heads/main^0\n" } else { "" };
            format!("commit refs/heads/main\ncommitter T <t@example.test> {} +0000\ndata {}\n{message}{from}\n", NEWER + i, message.len())
        });
        let mut import = git_cmd(&env);
        import
            .current_dir(&work)
            .args(["fast-import", "--quiet"])
            .write_stdin(commits.collect::<String>());
        import.assert().success();
        server.commit("r", "upstream");
        git_with(&env, GOOD, &["-C", work_str, "fetch", "--quiet", "origin"])
            .assert()
            .success();

        let requests = server.requests();
        let gzipped = requests
            .iter()
            .filter(|r| r.content_encoding.as_deref() == Some("gzip"));
        let gzipped: Vec<_> = gzipped
            .map(|r| (r.path.as_str(), r.outcome, r.status))
            .collect();
        assert!(!gzipped.is_empty(), "{requests:#?}");
        assert!(
            gzipped
                .iter()
                .all(|r| *r == ("/r.git/git-upload-pack", Outcome::Accepted, 200)),
            "{gzipped:?}"
        );
        let fetched = git_cmd(&env)
            .current_dir(&work)
            .args(["log", "--format=%s", "-1", "origin/main"])
            .assert();
        assert_eq!(
            crate::support::common::stdout_of(&fetched.success()),
            "upstream\n"
        );
    }

    /// GET info/refs with `authorization` headers on a raw connection: the status line, the
    /// `WWW-Authenticate` headers, and whether the body is a ref advertisement.
    fn get_info_refs(server: &GitServer, authorization: &[&str]) -> (String, Vec<String>, bool) {
        let mut stream = TcpStream::connect(server.stub.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request =
            "GET /r.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: x\r\n".to_owned();
        for value in authorization {
            request.push_str(&format!("Authorization: {value}\r\n"));
        }
        stream
            .write_all(format!("{request}\r\n").as_bytes())
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status = lines.next().unwrap().to_owned();
        let challenges = lines
            .filter_map(|l| l.strip_prefix("WWW-Authenticate: "))
            .map(str::to_owned);
        (
            status,
            challenges.collect(),
            body.contains("# service=git-upload-pack"),
        )
    }

    #[test]
    fn credentials_are_read_strictly_and_each_refusal_is_a_challenge() {
        let server = GitServer::start(accept_token(GOOD));
        server.create_repo("r");
        let basic = |user_pass: &str| format!("Basic {}", STANDARD.encode(user_pass));
        let good = basic(&format!("user:{GOOD}"));
        let bearer = format!("Bearer {GOOD}");
        let basic_only = vec!["Basic realm=\"test\"".to_owned()];
        let unauthorized = "HTTP/1.1 401 Unauthorized".to_owned();
        let ok = "HTTP/1.1 200 OK".to_owned();
        let cases: [(&[&str], _, _); 8] = [
            (&[], Outcome::NoCredentials, None),
            (&[&good], Outcome::Accepted, Some(Scheme::Basic)),
            // RFC 9110 §11.1: the scheme is case-insensitive; RFC 7617 §2: the password may hold ':'.
            (
                &[&good.replace("Basic", "bAsIc")],
                Outcome::Accepted,
                Some(Scheme::Basic),
            ),
            (
                &[&basic(&format!("user:{GOOD}:"))],
                Outcome::Refused,
                Some(Scheme::Basic),
            ),
            (&["Basic not*base64"], Outcome::Malformed, None),
            (&[&basic("no colon")], Outcome::Malformed, None),
            (&[&good, &good], Outcome::Malformed, None),
            (&[&bearer], Outcome::SchemeNotOffered, Some(Scheme::Bearer)),
        ];
        for (authorization, outcome, scheme) in cases {
            let (status, challenges, advertised) = get_info_refs(&server, authorization);
            let last = server.requests().pop().unwrap();
            assert_eq!(
                (last.outcome, last.scheme),
                (outcome, scheme),
                "{authorization:?}"
            );
            if outcome == Outcome::Accepted {
                assert_eq!((status, challenges, advertised), (ok.clone(), vec![], true));
                assert_eq!(
                    (last.username.as_deref(), last.status, last.accepted()),
                    (Some("user"), 200, true)
                );
            } else {
                assert_eq!(
                    (status, challenges, advertised),
                    (unauthorized.clone(), basic_only.clone(), false)
                );
                assert_eq!((last.status, last.accepted()), (401, false));
            }
        }

        server.offer_bearer(true);
        let both = |error: &str| {
            vec![
                basic_only[0].clone(),
                format!("Bearer realm=\"test\"{error}"),
            ]
        };
        assert_eq!(
            get_info_refs(&server, &[]),
            (unauthorized.clone(), both(""), false)
        );
        assert_eq!(get_info_refs(&server, &[&bearer]), (ok, vec![], true));
        let wrong = get_info_refs(&server, &["Bearer tok-Wrong-0000"]);
        assert_eq!(
            wrong,
            (
                unauthorized.clone(),
                both(", error=\"invalid_token\""),
                false
            )
        );
        assert_eq!(
            get_info_refs(&server, &["Bearer not token68"]).0,
            unauthorized
        );
        assert_eq!(get_info_refs(&server, &["Negotiate abc"]).1, both(""));
        let tail: Vec<_> = server
            .requests()
            .iter()
            .rev()
            .take(5)
            .map(|r| (r.outcome, r.scheme))
            .collect();
        let expected = [
            (Outcome::SchemeNotOffered, None),
            (Outcome::Malformed, None),
            (Outcome::Refused, Some(Scheme::Bearer)),
            (Outcome::Accepted, Some(Scheme::Bearer)),
            (Outcome::NoCredentials, None),
        ];
        assert_eq!(tail, expected);

        // Nothing the server keeps or prints holds the token.
        server.revoke(GOOD);
        assert_eq!(get_info_refs(&server, &[&good]).0, unauthorized);
        assert_eq!(server.requests().pop().unwrap().outcome, Outcome::Revoked);
        let kept = format!("{:?}{}", server.requests(), server.backend_log());
        assert!(
            !kept.contains(GOOD) && !kept.contains(&STANDARD.encode(GOOD)),
            "{kept}"
        );
        let auth = Auth {
            scheme: Scheme::Basic,
            username: Some("u".into()),
            token: GOOD.into(),
        };
        assert_eq!(
            format!("{auth:?}"),
            "Auth { scheme: Basic, username: Some(\"u\"), token: \"***\" }"
        );
    }

    #[test]
    fn the_idp_check_takes_only_access_tokens_in_force() {
        let now = unix_now();
        let idp = StubServer::start(move |request| {
            assert_eq!(request.path, "/test/token-info");
            let token = request
                .query_pairs()
                .into_iter()
                .find(|(k, _)| k == "token")
                .unwrap()
                .1;
            let jwt = |typ: &str, exp: i64| json!({"format": "jwt", "header": {"typ": typ}, "payload": {"exp": exp}});
            let opaque = |kind: &str, extra: Value| {
                let mut info = json!({"format": "opaque", "kind": kind, "consumed": false});
                info.as_object_mut()
                    .unwrap()
                    .extend(extra.as_object().unwrap().clone());
                info
            };
            let info = match token.as_str() {
                "jwt good" => jwt("at+jwt", now + 60),
                "jwt expired" => jwt("at+jwt", now - 1),
                "jwt id token" => jwt("JWT", now + 60),
                "jwt invalid" => {
                    json!({"format": "jwt", "invalid": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"})
                }
                "opaque" => opaque("AccessToken", json!({})),
                "opaque cc" => opaque("ClientCredentials", json!({"exp": now + 60})),
                "opaque expired" => opaque("AccessToken", json!({"exp": now - 1})),
                "refresh" => opaque("RefreshToken", json!({})),
                "consumed" => opaque("AccessToken", json!({"consumed": true})),
                _ => return Reply::json(404, r#"{"error":"unknown_token"}"#),
            };
            Reply::json(200, &info.to_string())
        });
        let valid = idp_token_is_valid(&idp.url("/"));
        let accepted = ["jwt good", "opaque", "opaque cc"];
        let refused = [
            "jwt expired",
            "jwt id token",
            "jwt invalid",
            "opaque expired",
            "refresh",
            "consumed",
            "revoked",
        ];
        for token in accepted {
            assert!(valid(token), "{token}");
        }
        for token in refused {
            assert!(!valid(token), "{token}");
        }
        let asked = idp.requests().into_iter().map(|r| r.query_pairs());
        let asked: Vec<_> = asked.collect();
        assert_eq!(asked.len(), accepted.len() + refused.len());
        assert_eq!(asked[0], [("token".to_owned(), "jwt good".to_owned())]);

        // A server that cannot be asked is a failure of the test, whose message hides the token.
        let gone = idp.url("");
        drop(idp);
        let valid = idp_token_is_valid(&gone);
        let panic =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| valid("tok-Secret-1")));
        let panic = panic.unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with(&format!("GET {gone}/test/token-info: ")),
            "{message}"
        );
        assert!(!message.contains("tok-Secret-1"), "{message}");
    }
}
