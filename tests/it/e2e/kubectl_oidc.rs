//! End to end: kubectl's OIDC sign-in through `oauthctl fetch --id-token -o exec-credential`,
//! against the real authorization server (`tests/e2e/idp/server.mjs`, oidc-provider; support/idp.rs
//! starts it). A user signs in with the device flow (RFC 8628) asking for `openid offline_access`;
//! the ExecCredential then carries the ID token the server issued (OpenID Connect Core §2: its
//! signature checked by the server's `/test/token-info` against its own keys, `aud` the client),
//! with its `exp` as `expirationTimestamp`; an ID token within `min_ttl` of its `exp` is renewed
//! with the refresh token, and the server's new ID token is given (§12.2).
//!
//! The kubeconfig is the one a user writes: an `exec` entry running the oauthctl binary (client-go
//! credential plugins, apiVersion `client.authentication.k8s.io/v1`, `interactiveMode: Never`).
//! What client-go does with it is done here by hand, as client-go does it: run the command with
//! `KUBERNETES_EXEC_INFO` set (src/kube.rs reads it) and read the ExecCredential it prints. Where
//! `kubectl` is installed, the real one runs too, against a loopback HTTPS API server stub that
//! records the bearer token each request carried.
//!
//! Run only these: `cargo test --test it e2e::kubectl_oidc`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::common::{Background, Env, stderr_of, stdout_of};
use crate::support::idp::{Idp, idp};
use crate::support::server::{Recorded, Reply, StubServer};
use crate::support::tls::{Pki, TlsFront};

/// The server's public device-flow client (server.mjs), and the user it signs in.
const DEVICE: &str = "device-app";
const ACCOUNT: &str = "test-user";
const PROFILE: &str = "k8s";
const EXEC_API: &str = "client.authentication.k8s.io/v1";

/// `oauthctl login --device -o json` for profile `k8s`, approved as `test-user`: the token
/// response it printed.
fn sign_in(idp: &Idp, env: &Env) -> Value {
    let mut login = Background::start(
        env.cmd()
            .args(["-p", PROFILE, "-o", "json", "login", "--device"]),
    );
    let (_, user_code) = login.device_instructions();
    let (status, body) = idp.get("/test/device", &[("user_code", &user_code)]);
    assert_eq!(
        (status, &body["approved"]),
        (200, &Value::Bool(true)),
        "/test/device: {body}\n{}",
        idp.log()
    );
    let done = login.finish();
    assert_eq!(done.code, Some(0), "login failed: {}", done.stderr);
    let response: Value = serde_json::from_str(&done.stdout)
        .unwrap_or_else(|e| panic!("login -o json printed no JSON ({e}): {:?}", done.stdout));
    let id_token = response["id_token"].as_str().expect("an id_token");
    assert!(!done.stderr.contains(id_token), "{}", done.stderr);
    response
}

/// What client-go sets in `KUBERNETES_EXEC_INFO` for an exec entry of `EXEC_API` with
/// `interactiveMode: Never` (and no `provideClusterInfo`), as kubectl 1.32 sends it.
fn exec_info() -> String {
    json!({"kind": "ExecCredential", "apiVersion": EXEC_API, "spec": {"interactive": false}})
        .to_string()
}

/// `oauthctl -p k8s fetch --id-token -o exec-credential ARGS`, as client-go runs it: its
/// ExecCredential, checked to be one client-go takes, and nothing on stderr.
fn exec_credential(env: &Env, args: &[&str]) -> Value {
    let assert = env
        .cmd()
        .args([
            "fetch",
            "-p",
            PROFILE,
            "--id-token",
            "-o",
            "exec-credential",
        ])
        .args(args)
        .env("KUBERNETES_EXEC_INFO", exec_info())
        .assert();
    let output = assert.get_output();
    assert!(
        output.status.success(),
        "fetch {args:?} failed: {}\nthe server's stderr:\n{}",
        String::from_utf8_lossy(&output.stderr),
        idp().log()
    );
    assert_eq!(stderr_of(&assert), "", "nothing on stderr");
    client_go_reads(&stdout_of(&assert), EXEC_API)
}

/// What client-go checks of a plugin's answer (its exec authenticator): an ExecCredential of the
/// apiVersion it asked for, with a status holding a token. The status.
fn client_go_reads(stdout: &str, api_version: &str) -> Value {
    let credential: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not an ExecCredential ({e}): {stdout:?}"));
    assert_eq!(credential["kind"], "ExecCredential", "{credential}");
    assert_eq!(credential["apiVersion"], api_version, "{credential}");
    let status = credential["status"].clone();
    assert!(
        status["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{credential}"
    );
    status
}

/// The status's token is an ID token the server issued to `device-app` for `test-user` (its
/// signature verified with the server's keys), and `expirationTimestamp` is its `exp`. Its
/// payload.
fn assert_issued_id_token(idp: &Idp, status: &Value) -> Value {
    let token = status["token"].as_str().unwrap();
    let info = idp.token_info(token);
    assert_eq!(info["format"], "jwt", "{info}");
    let payload = info["payload"].clone();
    assert_eq!(payload["aud"], DEVICE, "{info}");
    assert_eq!(payload["sub"], ACCOUNT, "{info}");
    assert_eq!(payload["iss"], idp.issuer.as_str(), "{info}");
    let exp = payload["exp"].as_i64().expect("a numeric exp");
    assert_eq!(
        status["expirationTimestamp"],
        oauthctl::timefmt::rfc3339(exp),
        "the ID token's own exp"
    );
    payload
}

/// A kubeconfig whose user runs oauthctl as a credential plugin, for a cluster at `server` whose
/// certificate `ca` signed. Written as JSON, which kubectl reads as the YAML it is a subset of.
fn write_kubeconfig(env: &Env, server: &str, ca: &Path) -> PathBuf {
    let oauthctl = assert_cmd::cargo::cargo_bin!("oauthctl");
    let kubeconfig = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "dev", "cluster": {
            "server": server,
            "certificate-authority": ca,
        }}],
        "users": [{"name": "oidc", "user": {"exec": {
            "apiVersion": EXEC_API,
            "command": oauthctl,
            "args": ["fetch", "-p", PROFILE, "--id-token", "-o", "exec-credential"],
            "interactiveMode": "Never",
        }}}],
        "contexts": [{"name": "dev", "context": {"cluster": "dev", "user": "oidc"}}],
        "current-context": "dev",
    });
    let path = env.home.path().join("kubeconfig");
    std::fs::write(&path, serde_json::to_string_pretty(&kubeconfig).unwrap()).unwrap();
    path
}

/// What client-go does with the current user's exec entry: run `command` with `args` and `env`
/// (over its own environment, here the test's hermetic one) and `KUBERNETES_EXEC_INFO`, stdin not
/// the user's (interactiveMode Never), and read the ExecCredential on stdout. The status.
fn client_go_exec(env: &Env, kubeconfig: &Path) -> Value {
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(kubeconfig).unwrap()).unwrap();
    let exec = &config["users"][0]["user"]["exec"];
    assert_eq!(exec["interactiveMode"], "Never");
    let api_version = exec["apiVersion"].as_str().unwrap();
    let mut cmd = env.hermetic(assert_cmd::Command::new(exec["command"].as_str().unwrap()));
    for arg in exec["args"].as_array().unwrap() {
        cmd.arg(arg.as_str().unwrap());
    }
    for var in exec["env"].as_array().into_iter().flatten() {
        cmd.env(
            var["name"].as_str().unwrap(),
            var["value"].as_str().unwrap(),
        );
    }
    let info = json!({"kind": "ExecCredential", "apiVersion": api_version, "spec": {"interactive": false}});
    let assert = cmd.env("KUBERNETES_EXEC_INFO", info.to_string()).assert();
    let assert = assert.success();
    assert_eq!(stderr_of(&assert), "", "nothing on stderr");
    client_go_reads(&stdout_of(&assert), api_version)
}

/// Whether a `kubectl` that runs is on PATH.
fn kubectl_installed() -> bool {
    std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn e2e_kubectl_oidc_sign_in_gets_and_renews_the_servers_id_token() {
    let idp = idp();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.{PROFILE}]\nissuer = \"{}\"\ngrant = \"device_code\"\nclient_id = \"{DEVICE}\"\n\
         auth_method = \"none\"\nscope = \"openid offline_access\"\n",
        idp.issuer
    ));
    let signed_in = sign_in(idp, &env);
    let refresh_token = signed_in["refresh_token"]
        .as_str()
        .expect("a refresh_token");

    // The sign-in's ID token, from the cache.
    let first = exec_credential(&env, &[]);
    assert_eq!(first["token"], signed_in["id_token"]);
    let payload = assert_issued_id_token(idp, &first);
    assert_eq!(
        idp.token_info(refresh_token)["consumed"],
        false,
        "no refresh yet"
    );

    // A min TTL longer than the ID token lives: it counts as near its exp, and is renewed with
    // the refresh token, which the server then holds consumed (it rotates a public client's).
    let lifetime = payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap();
    let min_ttl = (lifetime + 60).to_string();
    // The server's ID token has no jti and an RS256 signature is deterministic: one issued in
    // the same second as the first would be the same bytes. A second later it is a new one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let renewed = exec_credential(&env, &["--min-ttl", &min_ttl]);
    assert_ne!(renewed["token"], first["token"]);
    let renewed_payload = assert_issued_id_token(idp, &renewed);
    assert!(renewed_payload["iat"].as_i64() > payload["iat"].as_i64());
    assert_eq!(
        idp.token_info(refresh_token)["consumed"],
        true,
        "renewed with it"
    );

    // kubectl's way in: the kubeconfig's exec entry gets the renewed ID token from the cache.
    let api_server = StubServer::start(|_: &Recorded| {
        Reply::json(200, r#"{"kind":"APIVersions","versions":["v1"]}"#)
    });
    let pki = Pki::new("kubectl-oidc test CA");
    let front = TlsFront::start(&pki, &api_server);
    let ca = pki.write_ca(env.home.path(), "cluster-ca.pem");
    let kubeconfig = write_kubeconfig(&env, &front.url("127.0.0.1", ""), &ca);
    let status = client_go_exec(&env, &kubeconfig);
    assert_eq!(status, renewed, "the cached ID token, with its exp");

    if !kubectl_installed() {
        println!("kubectl is not installed: client-go's exec plugin call was emulated only");
        return;
    }
    let mut kubectl = env.hermetic(assert_cmd::Command::new("kubectl"));
    let assert = kubectl
        .args(["--kubeconfig"])
        .arg(&kubeconfig)
        .args(["get", "--raw", "/api"])
        .assert();
    let output = assert.get_output();
    assert!(
        output.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let requests = api_server.requests();
    assert!(requests.iter().any(|r| r.path == "/api"), "{requests:?}");
    let bearer = format!("Bearer {}", renewed["token"].as_str().unwrap());
    for request in &requests {
        assert_eq!(
            request.header("authorization"),
            Some(bearer.as_str()),
            "{}",
            request.target
        );
    }
}
