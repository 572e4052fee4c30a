//! oauthctl's output read by other tools: kubectl's exec credential plugin protocol, and
//! `-o header` fed to `curl -H @-`.

use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::common::curl_available;
use crate::support::common::{Env, fails, jwt, now, stderr_of, stdout_of, token_server};
use crate::support::server::{Reply, StubServer};

const BIN: &str = env!("CARGO_BIN_EXE_oauthctl");

/// The profile `k8s` that the README's kubeconfig names (`-p k8s`), its secret in `$K8S_SECRET`.
fn k8s_profile(server: &StubServer, extra: &str) -> String {
    format!(
        "default_profile = \"k8s\"\n\n[profiles.k8s]\ntoken_url = \"{}\"\nclient_id = \"cluster-admin\"\nclient_secret_env = \"K8S_SECRET\"\n{extra}",
        server.url("/oauth/token")
    )
}

fn exec_info(api_version: &str, interactive: bool) -> String {
    json!({
        "kind": "ExecCredential",
        "apiVersion": api_version,
        "spec": {"cluster": {"server": "https://k8s.example:6443", "config": null}, "interactive": interactive},
    })
    .to_string()
}

/// The fields client-go's ExecCredential types define (k8s.io/client-go/pkg/apis/clientauthentication
/// v1 and v1beta1): anything else would be rejected by a strict decoder or silently ignored.
fn assert_client_go_shape(doc: &Value, api_version: &str) {
    let top: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        top.iter()
            .all(|k| ["apiVersion", "kind", "spec", "status"].contains(k)),
        "{doc}"
    );
    assert_eq!(doc["apiVersion"], api_version);
    assert_eq!(doc["kind"], "ExecCredential");
    let status = doc["status"].as_object().expect("status is an object");
    assert!(
        status.keys().all(|k| [
            "token",
            "expirationTimestamp",
            "clientCertificateData",
            "clientKeyData"
        ]
        .contains(&k.as_str())),
        "{doc}"
    );
    assert!(!status["token"].as_str().unwrap().is_empty());
    if let Some(at) = status.get("expirationTimestamp") {
        // metav1.Time: RFC 3339 in UTC, second precision.
        let at = at.as_str().unwrap();
        assert_eq!(at.len(), 20, "{at}");
        assert!(httpdate_free_rfc3339(at), "{at}");
    }
}

fn httpdate_free_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'Z'
}

/// Seconds since the epoch of a `YYYY-MM-DDTHH:MM:SSZ` (days from civil, Howard Hinnant).
fn unix_of(text: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

// ---------------------------------------------------------------- kubectl

#[test]
fn exec_credential_answers_with_the_api_version_kubectl_asks_for() {
    let server = token_server("k8s-token");
    let env = Env::new();
    env.write_config(&k8s_profile(&server, ""));
    for (asked, answered) in [
        (
            Some(exec_info("client.authentication.k8s.io/v1", false)),
            "client.authentication.k8s.io/v1",
        ),
        (
            Some(exec_info("client.authentication.k8s.io/v1beta1", false)),
            "client.authentication.k8s.io/v1beta1",
        ),
        // Run by hand, or by a client that sets nothing: v1.
        (None, "client.authentication.k8s.io/v1"),
    ] {
        let mut cmd = env.cmd();
        cmd.args(["fetch", "-o", "exec-credential", "--no-cache"])
            .env("K8S_SECRET", "s");
        if let Some(info) = &asked {
            cmd.env("KUBERNETES_EXEC_INFO", info);
        }
        let before = now();
        let assert = cmd.assert().success();
        assert_eq!(stderr_of(&assert), "");
        let doc: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
        assert_client_go_shape(&doc, answered);
        assert_eq!(doc["status"]["token"], "k8s-token");
        // token_reply says expires_in 300.
        let at = unix_of(doc["status"]["expirationTimestamp"].as_str().unwrap());
        assert!((before + 299..=now() + 301).contains(&at), "{doc}");
    }
}

#[test]
fn exec_credential_without_a_known_expiry_has_no_expiration_timestamp() {
    let server = StubServer::start(|_| {
        Reply::json(200, r#"{"access_token":"opaque","token_type":"Bearer"}"#)
    });
    let env = Env::new();
    env.write_config(&k8s_profile(&server, ""));
    let assert = env
        .cmd()
        .args(["fetch", "-o", "exec-credential"])
        .env("K8S_SECRET", "s")
        .env(
            "KUBERNETES_EXEC_INFO",
            exec_info("client.authentication.k8s.io/v1", false),
        )
        .assert()
        .success();
    let doc: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_client_go_shape(&doc, "client.authentication.k8s.io/v1");
    assert!(doc["status"].get("expirationTimestamp").is_none(), "{doc}");
}

#[test]
fn exec_credential_has_no_expiry_for_a_jwt_exp_beyond_what_expires_in_allows() {
    // No expires_in: the expiry would come from the JWT's own exp, here absurdly far away (past
    // year 9999), which counts no more than an expires_in that large would (SECURITY 26). kube.rs
    // still caps what it writes at 9999-12-31T23:59:59Z.
    let token = jwt(json!({"sub": "svc", "exp": 400_000_000_000_i64}));
    let body = json!({"access_token": token, "token_type": "Bearer"}).to_string();
    let server = StubServer::start(move |_| Reply::json(200, &body));
    let env = Env::new();
    env.write_config(&k8s_profile(&server, ""));
    let assert = env
        .cmd()
        .args(["fetch", "-o", "exec-credential"])
        .env("K8S_SECRET", "s")
        .assert()
        .success();
    let doc: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_client_go_shape(&doc, "client.authentication.k8s.io/v1");
    assert!(doc["status"].get("expirationTimestamp").is_none(), "{doc}");
}

#[test]
fn exec_info_that_cannot_be_answered_is_a_config_error_before_any_request() {
    let server = token_server("never");
    let env = Env::new();
    env.write_config(&k8s_profile(&server, ""));
    for (info, message) in [
        (
            exec_info("client.authentication.k8s.io/v1alpha1", false),
            "asks for apiVersion `client.authentication.k8s.io/v1alpha1`",
        ),
        (
            "{not json".to_string(),
            "KUBERNETES_EXEC_INFO is not an ExecCredential",
        ),
        (
            r#"{"kind":"Pod","apiVersion":"v1"}"#.to_string(),
            "has kind `Pod`",
        ),
    ] {
        fails(
            env.cmd()
                .args(["fetch", "-o", "exec-credential"])
                .env("K8S_SECRET", "s")
                .env("KUBERNETES_EXEC_INFO", &info)
                .assert(),
            78,
            message,
        );
    }
    assert_eq!(server.request_count(), 0);
}

/// A pseudo-terminal pair: (controller, device).
fn pty() -> (OwnedFd, OwnedFd) {
    let (mut controller, mut device) = (-1, -1);
    // SAFETY: openpty writes two new descriptors into the out-pointers; the name, termios and
    // winsize arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut device,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    unsafe {
        (
            OwnedFd::from_raw_fd(controller),
            OwnedFd::from_raw_fd(device),
        )
    }
}

/// `oauthctl` with stdin on a terminal, in a session of its own with no controlling terminal (so a
/// prompt could not reach the developer's terminal either), in a hermetic environment.
fn on_a_terminal(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
    let (_controller, device) = pty();
    let home = env.home.path();
    let mut cmd = StdCommand::new("setsid");
    cmd.arg(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .envs(vars.iter().copied())
        .stdin(Stdio::from(device))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let output = cmd.output().expect("run setsid oauthctl");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it waited for input"
    );
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_non_interactive_kubectl_session_is_never_prompted() {
    let server = token_server("never");
    let env = Env::new();
    // No secret source at all: on a terminal, oauthctl would ask for one.
    env.write_config(&format!(
        "[profiles.k8s]\ntoken_url = \"{}\"\nclient_id = \"cluster-admin\"\n",
        server.url("/oauth/token")
    ));
    let info = exec_info("client.authentication.k8s.io/v1", false);
    let (code, stdout, stderr) = on_a_terminal(
        &env,
        &["fetch", "-p", "k8s", "-o", "exec-credential"],
        &[("KUBERNETES_EXEC_INFO", &info)],
    );
    assert_eq!(code, 78, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("says the session is not interactive"),
        "{stderr}"
    );
    assert!(!stderr.contains("Client secret for"), "{stderr}");
    assert_eq!(server.request_count(), 0);

    // The control: the same terminal, interactive, does go for the prompt (which fails here
    // because the session has no controlling terminal to open).
    let info = exec_info("client.authentication.k8s.io/v1", true);
    let (code, _, stderr) = on_a_terminal(
        &env,
        &["fetch", "-p", "k8s", "-o", "exec-credential"],
        &[("KUBERNETES_EXEC_INFO", &info)],
    );
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains("cannot read from the terminal"), "{stderr}");
}

#[test]
fn kubectl_can_run_the_readme_exec_block() {
    // The README's kubeconfig passes exactly these arguments.
    let server = token_server("from-readme");
    let env = Env::new();
    env.write_config(&k8s_profile(&server, ""));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains("args: [\"fetch\", \"-p\", \"k8s\", \"-o\", \"exec-credential\"]"),
        "the README's exec block changed: update this test"
    );
    assert!(readme.contains("apiVersion: client.authentication.k8s.io/v1\n"));
    assert!(readme.contains("interactiveMode: Never"));
    let assert = env
        .cmd()
        .args(["fetch", "-p", "k8s", "-o", "exec-credential"])
        .env("K8S_SECRET", "s")
        .env(
            "KUBERNETES_EXEC_INFO",
            exec_info("client.authentication.k8s.io/v1", false),
        )
        .assert()
        .success();
    let doc: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(doc["status"]["token"], "from-readme");
}

#[test]
fn header_output_feeds_curl_through_stdin_so_the_token_never_is_in_argv() {
    assert!(curl_available());
    let idp = token_server("piped-token");
    let api = StubServer::start(|_| Reply::json(200, r#"{"ok":true}"#));
    let env = Env::new();
    env.write_config(&k8s_profile(&idp, ""));
    let script = format!(
        "set -o pipefail; \"$OAUTHCTL\" fetch -o header | curl --silent --show-error --fail -H @- {}",
        api.url("/v1/things")
    );
    let assert = env
        .hermetic(assert_cmd::Command::new("bash"))
        .args(["-c", &script])
        .env("OAUTHCTL", BIN)
        .env("K8S_SECRET", "s")
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), r#"{"ok":true}"#);
    let requests = api.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer piped-token")
    );
}
