//! A Docker Engine API stub on loopback, the peer of the real `docker` CLI in the tests of the
//! docker credential helper, and that CLI set up to use it. No daemon runs: `DOCKER_HOST` points
//! the CLI at the stub, which answers the three things `docker login` and `docker pull` send
//! (docker CLI 28):
//!
//! - `HEAD /_ping` (or `GET`), the API version negotiation: `Api-Version: 1.44`, the version
//!   of Docker Engine 25, so every CLI since then talks `/v1.44/…`;
//! - `POST /v1.44/auth`, a login: the registry credentials as a JSON body (the Engine API's
//!   AuthConfig), answered `{"Status":"Login Succeeded"}` when the check given to
//!   [`DockerDaemon::start`] accepts them, as a registry would, else 401;
//! - `POST /v1.44/images/create?fromImage=…&tag=…`, a pull: the same credentials in the
//!   `X-Registry-Auth` header, base64url JSON with padding (Go's `base64.URLEncoding`, which the
//!   daemon decodes with), answered with the progress stream of a pulled image when accepted.
//!
//! Anything else is 404 `{"message":"page not found"}`, as the daemon answers an unknown route.
//! Every request is recorded as a [`DaemonCall`], so a test asserts the exact sequence.
//!
//! [`DockerCli`] is the real CLI with a config directory of its own (`DOCKER_CONFIG`), nothing
//! of the developer's `DOCKER_*` environment, and `docker-credential-oauthctl` first on PATH:
//! a recorder that runs the built helper and keeps each call docker made of it (action, stdin,
//! stdout, stderr, exit code), since docker shows none of that.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use serde_json::{Value, json};

use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

/// The API version the stub announces: Docker Engine 25.0's.
pub const API_VERSION: &str = "1.44";

/// One request to the stub daemon.
#[derive(Clone, Debug)]
pub struct DaemonCall {
    pub method: String,
    /// The version of a `/vX.Y/…` path; `None` for an unversioned one (`/_ping`).
    pub api_version: Option<String>,
    /// The path without its version: `/_ping`, `/auth`, `/images/create`.
    pub endpoint: String,
    /// The query, decoded.
    pub query: Vec<(String, String)>,
    /// The registry credentials: the body of `/auth`, the decoded `X-Registry-Auth` of any
    /// other request that carries one.
    pub registry_auth: Option<Value>,
}

impl DaemonCall {
    fn from(request: &Recorded) -> DaemonCall {
        let (api_version, endpoint) = split_version(&request.path);
        let registry_auth = if endpoint == "/auth" {
            let body = serde_json::from_slice(&request.body);
            let body = body.unwrap_or_else(|e| panic!("/auth body is not JSON ({e})"));
            Some(body)
        } else {
            request.header("x-registry-auth").map(decode_registry_auth)
        };
        DaemonCall {
            method: request.method.clone(),
            api_version: api_version.map(str::to_owned),
            endpoint: endpoint.to_owned(),
            query: request.query_pairs(),
            registry_auth,
        }
    }

    /// `METHOD /vX.Y/endpoint`, as the sequence of a test is written.
    pub fn line(&self) -> String {
        match &self.api_version {
            Some(version) => format!("{} /v{version}{}", self.method, self.endpoint),
            None => format!("{} {}", self.method, self.endpoint),
        }
    }
}

/// `/v1.44/auth` → (`Some("1.44")`, `/auth`).
fn split_version(path: &str) -> (Option<&str>, &str) {
    let versioned = path.strip_prefix("/v").and_then(|rest| {
        let (version, endpoint) = rest.split_at(rest.find('/')?);
        let numeric = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        let (major, minor) = version.split_once('.')?;
        (numeric(major) && numeric(minor)).then_some((Some(version), endpoint))
    });
    versioned.unwrap_or((None, path))
}

/// The Engine API's `X-Registry-Auth`: base64url (RFC 4648 §5) with padding, of JSON.
fn decode_registry_auth(header: &str) -> Value {
    let bytes = URL_SAFE.decode(header);
    let bytes =
        bytes.unwrap_or_else(|e| panic!("X-Registry-Auth {header:?} is not base64url: {e}"));
    let auth = serde_json::from_slice(&bytes);
    auth.unwrap_or_else(|e| panic!("X-Registry-Auth does not decode to JSON: {e}"))
}

/// A running stub daemon; dropping it stops it, re-raising a handler panic.
pub struct DockerDaemon {
    server: StubServer,
}

impl DockerDaemon {
    /// `accept` decides, as the registry would, whether credentials (the JSON of a `/auth` body
    /// or an `X-Registry-Auth`) log in or pull.
    pub fn start(accept: impl Fn(&Value) -> bool + Send + Sync + 'static) -> DockerDaemon {
        let server = StubServer::start(move |request| answer(request, &accept));
        DockerDaemon { server }
    }

    /// The `DOCKER_HOST` of the stub: plain TCP on loopback.
    pub fn host(&self) -> String {
        format!("tcp://{}", self.server.addr())
    }

    pub fn calls(&self) -> Vec<DaemonCall> {
        self.server
            .requests()
            .iter()
            .map(DaemonCall::from)
            .collect()
    }

    /// Each call's `line`.
    pub fn call_lines(&self) -> Vec<String> {
        self.calls().iter().map(DaemonCall::line).collect()
    }
}

fn answer(request: &Recorded, accept: &dyn Fn(&Value) -> bool) -> Reply {
    let call = DaemonCall::from(request);
    let method = call.method.as_str();
    let accepted = call.registry_auth.as_ref().is_some_and(accept);
    match (method, call.endpoint.as_str()) {
        ("HEAD" | "GET", "/_ping") => {
            // The daemon answers HEAD with these headers and no body (moby's pingHandler).
            let body = if method == "GET" { "OK" } else { "" };
            Reply::new(200, "text/plain; charset=utf-8", body)
                .with_header("Api-Version", API_VERSION)
                .with_header("Docker-Experimental", "false")
                .with_header("Ostype", "linux")
        }
        ("POST", "/auth") if accepted => {
            Reply::json(200, r#"{"IdentityToken":"","Status":"Login Succeeded"}"#)
        }
        ("POST", "/auth") => {
            let server = call
                .registry_auth
                .as_ref()
                .and_then(|a| a["serveraddress"].as_str());
            let message = format!(
                "login attempt to https://{}/v2/ failed with status: 401 Unauthorized",
                server.unwrap_or_default()
            );
            Reply::json(401, &json!({ "message": message }).to_string())
        }
        ("POST", "/images/create") => {
            let param = |name| call.query.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            let image = format!(
                "{}:{}",
                param("fromImage").map_or("", String::as_str),
                param("tag").map_or("latest", String::as_str)
            );
            if !accepted {
                let message = format!("pull access denied for {image}: unauthorized");
                return Reply::json(401, &json!({ "message": message }).to_string());
            }
            // The progress stream of a pull: one JSON message a line (the Engine API's
            // JSONMessage), CRLF-terminated as the daemon writes them.
            let digest = format!("sha256:{}", "0".repeat(64));
            let stream: String = [
                json!({"status": "Pulling from the stub", "id": "1"}),
                json!({"status": format!("Digest: {digest}")}),
                json!({"status": format!("Status: Downloaded newer image for {image}")}),
            ]
            .iter()
            .map(|message| format!("{message}\r\n"))
            .collect();
            Reply::json(200, &stream)
        }
        _ => Reply::json(404, r#"{"message":"page not found"}"#),
    }
}

/// One run of the credential helper by docker, as the recorder kept it.
#[derive(Clone, Debug)]
pub struct HelperCall {
    pub action: String,
    pub stdin: String,
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// The real `docker` CLI, set up for one test: its config directory under the test's HOME, the
/// stub daemon as its host, and the recording `docker-credential-oauthctl` on PATH.
pub struct DockerCli {
    docker: PathBuf,
    config_dir: PathBuf,
    /// Holds the recorder, first on PATH.
    bin_dir: PathBuf,
    /// One directory per helper call, numbered in order.
    calls_dir: PathBuf,
    host: String,
}

impl DockerCli {
    /// Writes `config` as docker's config.json and the recorder. Panics, saying to install it,
    /// when `docker` is not on PATH.
    pub fn new(env: &Env, daemon: &DockerDaemon, config: &Value) -> DockerCli {
        let home = env.home.path();
        let cli = DockerCli {
            docker: docker_program(),
            config_dir: home.join(".docker"),
            bin_dir: home.join("docker-bin"),
            calls_dir: home.join("docker-helper-calls"),
            host: daemon.host(),
        };
        for dir in [&cli.config_dir, &cli.bin_dir, &cli.calls_dir] {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        }
        let config_file = cli.config_dir.join("config.json");
        fs::write(&config_file, serde_json::to_string_pretty(config).unwrap())
            .unwrap_or_else(|e| panic!("write {}: {e}", config_file.display()));
        cli.write_recorder();
        cli
    }

    /// `docker ARGS…` under the test's hermetic environment (`Env::hermetic`: proxies cleared),
    /// without any `DOCKER_*` or `OTEL_*` variable of the developer's (a context, TLS, content
    /// trust, an API version, a telemetry endpoint), talking to the stub daemon only. The
    /// helper it runs inherits this environment: it finds oauthctl's config and cache by it.
    pub fn cmd(&self, env: &Env) -> Command {
        let mut cmd = env.hermetic(Command::new(&self.docker));
        for (name, _) in std::env::vars_os() {
            let name_bytes = name.as_encoded_bytes();
            if name_bytes.starts_with(b"DOCKER_") || name_bytes.starts_with(b"OTEL_") {
                cmd.env_remove(name);
            }
        }
        let built = PathBuf::from(assert_cmd::cargo::cargo_bin!("docker-credential-oauthctl"));
        let built_dir = built.parent().expect("the built helper has a directory");
        let path = format!(
            "{}:{}:/usr/bin:/bin",
            self.bin_dir.display(),
            built_dir.display()
        );
        cmd.env("PATH", path)
            .env("DOCKER_CONFIG", &self.config_dir)
            .env("DOCKER_HOST", &self.host)
            .env("OAUTHCTL_CONFIG", env.config_path())
            .env("OAUTHCTL_CACHE_DIR", env.home.path().join("oauthctl-cache"));
        cmd
    }

    /// docker's config.json as it is now (docker writes to it on login and logout).
    pub fn config(&self) -> String {
        let path = self.config_dir.join("config.json");
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The helper calls since the last `take_helper_calls`, in order.
    pub fn take_helper_calls(&self) -> Vec<HelperCall> {
        let mut dirs: Vec<PathBuf> = fs::read_dir(&self.calls_dir)
            .expect("read the helper calls")
            .map(|entry| entry.expect("a helper call").path())
            .collect();
        dirs.sort();
        let calls = dirs.iter().map(|dir| read_call(dir)).collect();
        for dir in dirs {
            fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("remove {}: {e}", dir.display()));
        }
        calls
    }

    /// `docker-credential-oauthctl` that runs the built one with docker's arguments, stdin and
    /// environment, keeps what went in and out, and answers docker with it unchanged.
    fn write_recorder(&self) {
        let built = assert_cmd::cargo::cargo_bin!("docker-credential-oauthctl");
        let quoted = |path: &Path| {
            let text = path.to_str().expect("a UTF-8 path");
            assert!(!text.contains('\''), "{text:?} cannot be single-quoted");
            format!("'{text}'")
        };
        let script = format!(
            "#!/bin/sh\n\
             calls={calls}\n\
             call=\"$calls/$(printf %04d \"$(ls \"$calls\" | wc -l)\")\"\n\
             mkdir \"$call\" || exit 99\n\
             printf '%s' \"$1\" > \"$call/action\"\n\
             cat > \"$call/stdin\"\n\
             {built} \"$@\" < \"$call/stdin\" > \"$call/stdout\" 2> \"$call/stderr\"\n\
             code=$?\n\
             printf '%s' \"$code\" > \"$call/code\"\n\
             cat \"$call/stdout\"\n\
             cat \"$call/stderr\" >&2\n\
             exit \"$code\"\n",
            calls = quoted(&self.calls_dir),
            built = quoted(Path::new(built)),
        );
        let recorder = self.bin_dir.join("docker-credential-oauthctl");
        fs::write(&recorder, script)
            .unwrap_or_else(|e| panic!("write {}: {e}", recorder.display()));
        fs::set_permissions(&recorder, fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod 755 {}: {e}", recorder.display()));
    }
}

fn read_call(dir: &Path) -> HelperCall {
    let read = |name: &str| {
        let path = dir.join(name);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    };
    HelperCall {
        action: read("action"),
        stdin: read("stdin"),
        stdout: read("stdout"),
        stderr: read("stderr"),
        code: read("code").parse().expect("an exit code"),
    }
}

/// `docker` from the test's PATH. These tests run the real client (against the stub, so no
/// daemon is needed); where it is missing they fail rather than pass without having run.
fn docker_program() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join("docker"))
        .find(|file| {
            fs::metadata(file)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        });
    found.unwrap_or_else(|| {
        panic!(
            "`docker` is not on PATH: install docker's CLI (the docker-ce-cli or docker.io \
             package; no daemon is needed, these tests answer for one) to run the docker \
             credential helper tests"
        )
    })
}
