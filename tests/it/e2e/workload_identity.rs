//! End-to-end tests of workload identity (DESIGN §11, the README's "In CI without a stored
//! secret"): the real `oauthctl` binary gets its identity token from the loopback CI platform
//! (support/ci_platform.rs: GitHub Actions' request endpoint, or tokens it mints for a Kubernetes
//! file, an env var or a command) and exchanges it at the real authorization server
//! (tests/e2e/idp/server.mjs: `wi-sts`, `wi-jwt-bearer`, `jwtb-rs256`, the service account,
//! `wi-federated`), which verifies it against the platform's keys. What went over the wire is read
//! back from the platform's record of each job (`GithubJob::requests`) and the server's
//! (`/test/client-auth`, `/test/token-info`).
//!
//! Every test that counts records or arms a failure has a GitHub job, and where it counts the
//! server's records a client, of its own (`github_job`, `Idp::clone_client`).
//!
//! Run only these: `cargo test --test it e2e::workload_identity`.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::ci_platform::{
    E2E_AUDIENCE, FEDERATED_AUDIENCE, GITHUB_SUBJECT, GithubJob, KID, ci_platform,
};
use crate::support::common::{Env, now, stderr_of, stdout_of};
use crate::support::idp::idp;
use crate::support::keys::SERVICE_ACCOUNT_EMAIL;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

// ---------------------------------------------------------------- helpers

/// A TOML value: a JSON string is a TOML basic string.
fn toml_str(value: &str) -> String {
    Value::from(value).to_string()
}

/// `[profiles.NAME]` with these keys, each value a string; a value starting with `[` or `{` is
/// written as is (an array or inline table).
fn profile(name: &str, keys: &[(&str, &str)]) -> String {
    let mut out = format!("[profiles.{name}]\n");
    for (key, value) in keys {
        let value = match value.starts_with(['[', '{']) {
            true => value.to_string(),
            false => toml_str(value),
        };
        out.push_str(&format!("{key} = {value}\n"));
    }
    out
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A token exchange profile of the e2e server with no client (`wi-sts` is implied), plus `extra`.
fn exchange_profile(name: &str, extra: &[(&str, &str)]) -> String {
    let token_url = idp().token_url();
    let mut keys = vec![
        ("token_url", token_url.as_str()),
        ("grant", "token_exchange"),
        ("auth_method", "none"),
        ("scope", "api:read"),
    ];
    keys.extend_from_slice(extra);
    profile(name, &keys)
}

/// The job's variables on the command, as a GitHub runner sets them.
fn with_job(mut cmd: assert_cmd::Command, job: &GithubJob<'_>) -> assert_cmd::Command {
    for (name, value) in job.env() {
        cmd.env(name, value);
    }
    cmd
}

/// Runs `cmd`, which must succeed with nothing on stderr: its stdout as JSON.
fn succeeds_json(mut cmd: assert_cmd::Command, what: &str) -> Value {
    let assert = cmd.assert();
    let output = assert.get_output();
    assert!(
        output.status.success(),
        "{what} failed ({:?}): {}\nthe server's stderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr),
        idp().log()
    );
    assert_eq!(
        stderr_of(&assert),
        "",
        "{what}: nothing on stderr on success"
    );
    let stdout = stdout_of(&assert);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout:?}"))
}

/// `oauthctl fetch -p NAME --no-cache -o json` with `env`: the token response.
fn fetch_json(env: &Env, name: &str, vars: &[(&str, &str)], job: Option<&GithubJob<'_>>) -> Value {
    let mut cmd = env.cmd();
    cmd.args(["fetch", "-p", name, "--no-cache", "-o", "json"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    if let Some(job) = job {
        cmd = with_job(cmd, job);
    }
    let v = succeeds_json(cmd, &format!("fetch -p {name}"));
    assert!(v["access_token"].is_string(), "{v}");
    v
}

/// The documented failure: this exit code, nothing on stdout, one line on stderr with each word.
fn fails(assert: assert_cmd::assert::Assert, code: i32, words: &[&str]) -> String {
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "", "stdout");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("oauthctl: error: "), "{stderr:?}");
    for word in words {
        assert!(
            stderr.contains(word),
            "stderr should contain {word:?}, was {stderr:?}"
        );
    }
    stderr
}

/// The claims of a JWT, decoded (not verified).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// The first segment of every token the CI platform signs: one header for all of them, so a
/// trace that contains it leaked an identity token.
fn platform_header() -> String {
    URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT", "kid": KID}).to_string())
}

/// The access token's account and client on the server.
fn account_of(token: &Value) -> (String, String) {
    let info = idp().token_info(token["access_token"].as_str().expect("access_token"));
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (text(&info["accountId"]), text(&info["clientId"]))
}

// ---------------------------------------------------------------- token exchange

/// GitHub Actions, Google STS's way: no client at all. oauthctl asks the job's request endpoint
/// for a token with `&audience=oauthctl-e2e` and the request token, and exchanges it at `wi-sts`
/// for a token of the identity's `sub`.
#[test]
fn e2e_workload_identity_github_actions_token_exchange_without_a_client() {
    let ci = ci_platform();
    let job = ci.github_job();
    let env = Env::new();
    env.write_config(&exchange_profile(
        "gh",
        &[
            ("identity_token_from", "github-actions"),
            ("identity_token_audience", E2E_AUDIENCE),
            ("audience", "//iam.example/pools/ci/providers/github"),
        ],
    ));
    let v = fetch_json(&env, "gh", &[], Some(&job));
    assert_eq!(v["issued_token_type"], ACCESS_TOKEN_TYPE, "{v}");
    assert_eq!(v["token_type"], "Bearer", "{v}");
    assert_eq!(v["scope"], "api:read", "{v}");
    assert_eq!(
        account_of(&v),
        (GITHUB_SUBJECT.to_owned(), "wi-sts".to_owned())
    );

    let requests = job.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.query.as_deref(),
        Some(format!("api-version=2.0&audience={E2E_AUDIENCE}").as_str()),
        "`&audience=` appended to the URL's own query"
    );
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", job.request_token()).as_str())
    );
}

/// The other sources, each exchanged at `wi-sts` (a client of the test's own, named by
/// client_id with no authentication): the Kubernetes projected token file, an env var (GitLab's
/// `id_tokens:`), a command. The server records the token each one presented.
#[test]
fn e2e_workload_identity_kubernetes_file_env_and_command_sources() {
    let ci = ci_platform();
    let client = idp().clone_client("wi-sts");
    let env = Env::new();
    let file = env.home.path().join("token");
    let (k8s, gitlab, command) = (
        "system:serviceaccount:ci:builder",
        "project_path:group/app:ref_type:branch:ref:main",
        "buildkite:pipeline:deploy",
    );
    std::fs::write(&file, format!("{}\n", ci.mint(k8s, E2E_AUDIENCE, 120))).unwrap();
    let command_token = ci.mint(command, E2E_AUDIENCE, 120);
    let mut config = String::new();
    let base = [("client_id", client.as_str())];
    config.push_str(&exchange_profile(
        "k8s",
        &[
            base[0],
            ("identity_token_from", "kubernetes"),
            ("identity_token_file", path(&file)),
        ],
    ));
    config.push_str(&exchange_profile(
        "env",
        &[base[0], ("identity_token_env", "CI_JOB_OIDC")],
    ));
    config.push_str(&exchange_profile(
        "cmd",
        &[
            base[0],
            (
                "identity_token_command",
                r#"["sh", "-c", "printf '%s\n' \"$MINTED\""]"#,
            ),
            ("subject_token_type", "id_token"),
        ],
    ));
    env.write_config(&config);

    let gitlab_token = ci.mint(gitlab, E2E_AUDIENCE, 120);
    let cases = [
        ("k8s", k8s, vec![]),
        ("env", gitlab, vec![("CI_JOB_OIDC", gitlab_token.as_str())]),
        ("cmd", command, vec![("MINTED", command_token.as_str())]),
    ];
    for (name, subject, vars) in &cases {
        let v = fetch_json(&env, name, vars, None);
        assert_eq!(v["issued_token_type"], ACCESS_TOKEN_TYPE, "{name}: {v}");
        assert_eq!(
            account_of(&v),
            (subject.to_string(), client.clone()),
            "{name}"
        );
    }
    let records = idp().client_auth(&client);
    assert_eq!(records.len(), 3, "{records:#?}");
    for (record, (name, subject, _)) in records.iter().zip(&cases) {
        let grant = &record["grant"];
        assert_eq!(record["status"], 200, "{name}: {record:#}");
        assert_eq!(record["method"], "none", "{name}: {record:#}");
        assert_eq!(grant["grant_type"], TOKEN_EXCHANGE, "{name}: {record:#}");
        assert_eq!(grant["subject_token"]["payload"]["sub"], *subject, "{name}");
        let wanted = match *name {
            "cmd" => "urn:ietf:params:oauth:token-type:id_token",
            _ => JWT_TYPE,
        };
        assert_eq!(grant["subject_token_type"], wanted, "{name}: {record:#}");
    }
}

// ---------------------------------------------------------------- jwt_bearer

/// jwt_bearer with the platform's token as the assertion (no client: `wi-jwt-bearer`); no
/// `issued_token_type` is needed or given.
#[test]
fn e2e_workload_identity_jwt_bearer_with_the_platform_token() {
    let ci = ci_platform();
    let env = Env::new();
    let subject = "gitlab:project_path:group/app";
    env.write_config(&profile(
        "jwtb",
        &[
            ("token_url", &idp().token_url()),
            ("grant", "jwt_bearer"),
            ("auth_method", "none"),
            ("identity_token_env", "CI_JOB_OIDC"),
            ("scope", "api:write"),
        ],
    ));
    let identity = ci.mint(subject, E2E_AUDIENCE, 120);
    let v = fetch_json(&env, "jwtb", &[("CI_JOB_OIDC", &identity)], None);
    assert!(v.get("issued_token_type").is_none(), "{v}");
    assert_eq!(v["scope"], "api:write", "{v}");
    assert_eq!(
        account_of(&v),
        (subject.to_owned(), "wi-jwt-bearer".to_owned())
    );
}

/// jwt_bearer with an assertion oauthctl signs: the service account's key (`iss` its
/// client_email, the scope as a claim, Google's way) with no client, and with the client
/// authenticated by private_key_jwt; and `jwtb-rs256`'s RSA key (`iss` the client_id), whose
/// `keys assertion --grant-assertion` the server takes as well.
#[test]
fn e2e_workload_identity_jwt_bearer_self_signed_assertions() {
    let keys = idp().keys();
    let token_url = idp().token_url();
    let env = Env::new();
    let sa_key = path(&keys.service_account);
    let mut config = profile(
        "sa",
        &[
            ("token_url", &token_url),
            ("grant", "jwt_bearer"),
            ("auth_method", "none"),
            ("private_key_file", sa_key),
            ("assertion_claims", r#"{ scope = "api:read" }"#),
        ],
    );
    config.push_str(&profile(
        "sa-client",
        &[
            ("token_url", &token_url),
            ("grant", "jwt_bearer"),
            ("client_id", SERVICE_ACCOUNT_EMAIL),
            ("auth_method", "private_key_jwt"),
            ("private_key_file", sa_key),
            ("assertion_claims", r#"{ scope = "api:read api:write" }"#),
        ],
    ));
    config.push_str(&profile(
        "rsa",
        &[
            ("token_url", &token_url),
            ("grant", "jwt_bearer"),
            ("client_id", "jwtb-rs256"),
            ("auth_method", "none"),
            ("private_key_file", path(&keys.rsa)),
            ("scope", "api:read"),
        ],
    ));
    env.write_config(&config);

    let v = fetch_json(&env, "sa", &[], None);
    assert_eq!(v["scope"], "api:read", "{v}");
    assert_eq!(
        account_of(&v),
        (SERVICE_ACCOUNT_EMAIL.to_owned(), "wi-jwt-bearer".to_owned())
    );
    let v = fetch_json(&env, "sa-client", &[], None);
    assert_eq!(v["scope"], "api:read api:write", "{v}");
    assert_eq!(
        account_of(&v),
        (
            SERVICE_ACCOUNT_EMAIL.to_owned(),
            SERVICE_ACCOUNT_EMAIL.to_owned()
        )
    );
    let v = fetch_json(&env, "rsa", &[], None);
    assert_eq!(
        account_of(&v),
        ("jwtb-rs256".to_owned(), "jwtb-rs256".to_owned())
    );

    // The assertion `keys assertion --grant-assertion` prints is one the server takes.
    let assert = env
        .cmd()
        .args(["keys", "assertion", "--grant-assertion", "-p", "rsa"])
        .assert()
        .success();
    let assertion = stdout_of(&assert).trim().to_owned();
    let claims = claims_of(&assertion);
    assert_eq!(claims["iss"], "jwtb-rs256", "{claims}");
    assert_eq!(claims["sub"], "jwtb-rs256", "{claims}");
    assert_eq!(claims["aud"], token_url, "{claims}");
    assert!(
        (claims["iat"].as_i64().unwrap() - now()).abs() < 60,
        "{claims}"
    );
    let (status, body) = post_token(&[
        ("grant_type", JWT_BEARER),
        ("client_id", "jwtb-rs256"),
        ("assertion", &assertion),
    ]);
    assert_eq!(status, 200, "{body}");
}

/// POSTs a form to the e2e server's token endpoint: the status and the JSON answer.
fn post_token(form: &[(&str, &str)]) -> (u16, Value) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut response = agent
        .post(idp().token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body)
        .unwrap_or_else(|e| panic!("POST /token: {e}\n{}", idp().log()));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("token answer");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    (status, json)
}

// ---------------------------------------------------------------- federated_jwt

/// Microsoft Entra's federated credential: client_credentials at `wi-federated` (a clone, which
/// keeps its federated credential), the GitHub job's token (`sub` the main branch's, `aud`
/// `api://AzureADTokenExchange`) as the client assertion; the token is the client's. `-v` shows
/// neither the identity token nor the request token.
#[test]
fn e2e_workload_identity_federated_client_credentials_from_github_actions() {
    let ci = ci_platform();
    let job = ci.github_job();
    let client = idp().clone_client("wi-federated");
    let env = Env::new();
    env.write_config(&profile(
        "azure",
        &[
            ("token_url", &idp().token_url()),
            ("client_id", &client),
            ("auth_method", "federated_jwt"),
            ("identity_token_from", "github-actions"),
            ("identity_token_audience", FEDERATED_AUDIENCE),
            ("scope", "api:read"),
            ("resource", "urn:api:rs256"),
        ],
    ));
    let v = fetch_json(&env, "azure", &[], Some(&job));
    let info = idp().token_info(v["access_token"].as_str().unwrap());
    assert_eq!(info["payload"]["client_id"], client, "{info}");
    assert_eq!(info["payload"]["sub"], client, "{info}");
    assert_eq!(info["payload"]["scope"], "api:read", "{info}");

    let assert = with_job(env.cmd(), &job)
        .args(["fetch", "-p", "azure", "--no-cache", "-v"])
        .assert()
        .success();
    let trace = stderr_of(&assert);
    assert!(!trace.is_empty(), "-v traces");
    assert!(!trace.contains(&platform_header()), "{trace}");
    assert!(!trace.contains(job.request_token()), "{trace}");

    let records = idp().client_assertions(&client);
    assert_eq!(records.len(), 2, "{records:#?}");
    for record in &records {
        assert_eq!(record["status"], 200, "{record:#}");
        assert_eq!(record["federated"], true, "{record:#}");
        assert_eq!(record["payload"]["sub"], GITHUB_SUBJECT, "{record:#}");
        assert_eq!(record["payload"]["aud"], FEDERATED_AUDIENCE, "{record:#}");
        assert_eq!(record["payload"]["iss"], ci.issuer(), "{record:#}");
    }
    let requests = job.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert!(
        requests[0]
            .query
            .as_deref()
            .is_some_and(|q| q.ends_with("&audience=api%3A%2F%2FAzureADTokenExchange")),
        "{:?}",
        requests[0].query
    );
}

// ---------------------------------------------------------------- failures

/// Getting the identity token fails: no GitHub variables (78, the permission to add), the
/// platform refusing (3, its words, no retry), failing beyond the retries (4, every retry
/// made) or within them (a token), and answering after `timeout_secs` (4).
#[test]
fn e2e_workload_identity_platform_failures_name_the_step() {
    let ci = ci_platform();
    let env = Env::new();
    let mut config = exchange_profile(
        "gh",
        &[
            ("identity_token_from", "github-actions"),
            ("identity_token_audience", E2E_AUDIENCE),
        ],
    );
    config.push_str("retries = 2\nretry_max_secs = 1\ntimeout_secs = 2\n");
    env.write_config(&config);
    let step = "getting the identity token from GitHub Actions";
    let fetch = |job: Option<&GithubJob<'_>>| {
        let cmd = env.cmd();
        let mut cmd = match job {
            Some(job) => with_job(cmd, job),
            None => cmd,
        };
        cmd.args(["fetch", "-p", "gh", "--no-cache"]).assert()
    };

    fails(fetch(None), 78, &[step, "id-token: write"]);

    let job = ci.github_job();
    job.forbid_next(1);
    let stderr = fails(fetch(Some(&job)), 3, &[step, "403", "id-token: write"]);
    assert!(!stderr.contains(job.request_token()), "{stderr}");
    assert_eq!(job.requests().len(), 1, "a refusal is not retried");

    let job = ci.github_job();
    job.fail_next(500, 3);
    fails(fetch(Some(&job)), 4, &[step, "500", "injected failure 500"]);
    assert_eq!(job.requests().len(), 3, "the request and its 2 retries");

    let job = ci.github_job();
    job.fail_next(500, 2);
    let assert = fetch(Some(&job)).success();
    let token = stdout_of(&assert);
    assert_eq!(
        idp().token_info(token.trim())["accountId"],
        GITHUB_SUBJECT,
        "recovered within the retries"
    );
    assert_eq!(job.requests().len(), 3, "two failures, then the token");

    let job = ci.github_job();
    job.delay_next(Duration::from_secs(4), 3);
    fails(fetch(Some(&job)), 4, &[step, "timed out", "timeout_secs"]);
    // timeout_secs bounds the whole request, retries included: no time is left for one.
    assert_eq!(job.requests().len(), 1);
}

/// Exchanging the identity token fails at the server: expired, for another audience, or signed
/// by a key the platform does not publish — each exit 3, naming the step, with the server's own
/// words.
#[test]
fn e2e_workload_identity_server_refusals_keep_the_servers_words() {
    let ci = ci_platform();
    let env = Env::new();
    env.write_config(&exchange_profile(
        "x",
        &[("identity_token_env", "CI_JOB_OIDC")],
    ));
    let at = format!("exchanging the identity token at {}", idp().token_url());
    let subject = "system:serviceaccount:ci:refused";
    let cases = [
        (ci.mint(subject, E2E_AUDIENCE, -120), "expired"),
        (ci.mint(subject, "someone-else", 120), "wrong audience"),
        (ci.mint_foreign(subject, E2E_AUDIENCE, 120), "bad signature"),
    ];
    for (token, words) in &cases {
        let assert = env
            .cmd()
            .args(["fetch", "-p", "x"])
            .env("CI_JOB_OIDC", token)
            .assert();
        let stderr = fails(assert, 3, &[&at, "invalid_grant", words]);
        assert!(
            !stderr.contains(token.split('.').nth(1).unwrap()),
            "{stderr}"
        );
    }
}

/// Two subjects on one profile never share a cached token; a cache hit still asks the platform
/// for the identity token, but makes no exchange.
#[test]
fn e2e_workload_identity_cache_is_per_identity_and_a_hit_makes_no_exchange() {
    let ci = ci_platform();
    let client = idp().clone_client("wi-sts");
    let env = Env::new();
    env.write_config(&exchange_profile(
        "gh",
        &[
            ("client_id", &client),
            ("identity_token_from", "github-actions"),
            ("identity_token_audience", E2E_AUDIENCE),
        ],
    ));
    let (a, b) = (
        "repo:octo-org/app-a:ref:refs/heads/main",
        "repo:octo-org/app-b:ref:refs/heads/main",
    );
    let (job_a, job_b) = (ci.github_job_for(a), ci.github_job_for(b));
    let fetch = |job: &GithubJob<'_>| {
        let assert = with_job(env.cmd(), job)
            .args(["fetch", "-p", "gh"])
            .assert()
            .success();
        stdout_of(&assert).trim().to_owned()
    };
    let first = fetch(&job_a);
    assert_eq!(idp().token_info(&first)["accountId"], a);
    assert_eq!(fetch(&job_a), first, "the same identity: a cache hit");
    assert_eq!(
        job_a.requests().len(),
        2,
        "a hit still gets the identity token"
    );
    assert_eq!(idp().client_auth(&client).len(), 1, "but makes no exchange");

    let other = fetch(&job_b);
    assert_ne!(other, first, "another subject, another token");
    assert_eq!(idp().token_info(&other)["accountId"], b);
    assert_eq!(job_b.requests().len(), 1);
    assert_eq!(fetch(&job_a), first, "a's entry is still a's");
    let records = idp().client_auth(&client);
    assert_eq!(records.len(), 2, "{records:#?}");
    let subjects: Vec<&Value> = records
        .iter()
        .map(|r| &r["grant"]["subject_token"]["payload"]["sub"])
        .collect();
    assert_eq!(subjects, [a, b]);
}

// ---------------------------------------------------------------- identity-token, traces

/// `oauthctl identity-token -p NAME | oauthctl inspect -` shows the claims a trust policy
/// matches; `-v` never shows the identity token or the request token.
#[test]
fn e2e_workload_identity_token_inspected_and_masked_in_traces() {
    let ci = ci_platform();
    let job = ci.github_job();
    let env = Env::new();
    env.write_config(&exchange_profile(
        "gh",
        &[
            ("identity_token_from", "github-actions"),
            ("identity_token_audience", E2E_AUDIENCE),
        ],
    ));
    let assert = with_job(env.cmd(), &job)
        .args(["identity-token", "-p", "gh"])
        .assert()
        .success();
    let identity = stdout_of(&assert);
    assert!(identity.starts_with(&platform_header()), "{identity}");

    let mut inspect = env.cmd();
    inspect
        .args(["inspect", "-o", "json", "-"])
        .write_stdin(identity);
    let shown = succeeds_json(inspect, "inspect -");
    let claims = &shown["claims"];
    assert_eq!(claims["iss"], ci.issuer(), "{shown}");
    assert_eq!(claims["sub"], GITHUB_SUBJECT, "{shown}");
    assert_eq!(claims["aud"], E2E_AUDIENCE, "{shown}");
    assert_eq!(claims["repository"], "octo-org/octo-repo", "{shown}");
    assert_eq!(shown["header"]["kid"], KID, "{shown}");

    let assert = with_job(env.cmd(), &job)
        .args(["fetch", "-p", "gh", "--no-cache", "-v"])
        .assert()
        .success();
    let trace = stderr_of(&assert);
    assert!(
        trace.contains("github/token"),
        "the platform request is traced: {trace}"
    );
    assert!(!trace.contains(&platform_header()), "{trace}");
    assert!(!trace.contains(job.request_token()), "{trace}");
    let trace = stderr_of(
        &with_job(env.cmd(), &job)
            .args(["identity-token", "-p", "gh", "-v"])
            .assert()
            .success(),
    );
    assert!(!trace.contains(&platform_header()), "{trace}");
    assert!(!trace.contains(job.request_token()), "{trace}");
    assert_eq!(job.requests().len(), 3);
}
