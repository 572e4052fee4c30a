//! The requests a workload identity profile sends, and how its failures read.

use serde_json::json;

use crate::support::common::{Env, fails_in_one_line, jwt, now, stderr_of, stdout_of, token_reply};
use crate::support::server::{Reply, StubServer};

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// An identity token as a CI platform issues it (signature junk: the stub does not verify).
fn identity(sub: &str) -> String {
    jwt(json!({
        "iss": "https://token.actions.githubusercontent.com",
        "sub": sub,
        "aud": "sts.example",
        "iat": now(),
        "exp": now() + 300,
    }))
}

/// A token exchange answer (RFC 8693 §2.2.1).
fn exchanged(token: &str) -> Reply {
    Reply::json(
        200,
        &json!({
            "access_token": token,
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": 3600,
        })
        .to_string(),
    )
}

#[test]
fn google_sts_shape_no_client_and_the_identity_token_as_subject() {
    let server = StubServer::start(|_| exchanged("ya29.federated"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.gcp]\ntoken_url = \"{}\"\ngrant = \"token_exchange\"\nauth_method = \"none\"\n\
         identity_token_env = \"CI_OIDC\"\n\
         audience = \"//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/gh\"\n\
         scope = \"https://www.googleapis.com/auth/cloud-platform\"\n\
         requested_token_type = \"access_token\"\n",
        server.url("/v1/token")
    ));
    let token = identity("repo:acme/app:ref:refs/heads/main");
    let assert = env
        .cmd()
        .args(["fetch", "-p", "gcp", "-o", "json"])
        .env("CI_OIDC", &token)
        .assert()
        .success();
    let out: serde_json::Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(out["access_token"], "ya29.federated");
    assert_eq!(out["issued_token_type"], ACCESS_TOKEN_TYPE);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        r.form(),
        crate::support::common::form(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("requested_token_type", ACCESS_TOKEN_TYPE),
            ("subject_token", &token),
            ("subject_token_type", JWT_TYPE),
            ("scope", "https://www.googleapis.com/auth/cloud-platform"),
            (
                "audience",
                "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/gh"
            ),
        ])
    );
}

#[test]
fn entra_federated_credential_is_a_client_assertion_with_client_credentials() {
    let server = StubServer::start(|_| token_reply("entra-token"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.azure]\ntoken_url = \"{}\"\nclient_id = \"11111111-2222-3333-4444-555555555555\"\n\
         auth_method = \"federated_jwt\"\nidentity_token_env = \"CI_OIDC\"\n\
         scope = \"https://management.azure.com/.default\"\n",
        server.url("/tenant/oauth2/v2.0/token")
    ));
    let token = identity("repo:acme/app:environment:prod");
    let assert = env
        .cmd()
        .args(["fetch", "-p", "azure"])
        .env("CI_OIDC", &token)
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "entra-token\n");
    let r = &server.requests()[0];
    assert_eq!(
        r.form(),
        crate::support::common::form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://management.azure.com/.default"),
            ("client_id", "11111111-2222-3333-4444-555555555555"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ),
            ("client_assertion", &token),
        ])
    );
}

/// GitHub Actions' token request endpoint: `&audience=` on a URL with a query, the request token
/// as a bearer token, `{"value": …}`.
fn github(request_token: &'static str, identity_token: String) -> StubServer {
    StubServer::start(move |r| {
        if r.header("authorization") != Some(&format!("Bearer {request_token}")) {
            return Reply::json(401, r#"{"message":"Bad credentials"}"#);
        }
        Reply::json(200, &json!({"value": identity_token}).to_string())
    })
}

#[test]
fn github_actions_asks_for_the_audience_with_the_request_token_and_exchanges_the_answer() {
    let token = identity("repo:acme/app:ref:refs/heads/main");
    let platform = github("gh-request-token", token.clone());
    let sts = StubServer::start(|_| exchanged("sts-token"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.gh]\ntoken_url = \"{}\"\ngrant = \"token_exchange\"\nauth_method = \"none\"\n\
         identity_token_from = \"github-actions\"\nidentity_token_audience = \"sts.example/a b\"\n",
        sts.url("/token")
    ));
    let assert = env
        .cmd()
        .args(["fetch", "-p", "gh", "-v"])
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            platform.url("/_apis/token?api-version=2.0"),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token")
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "sts-token\n");
    let asked = &platform.requests()[0];
    assert_eq!(asked.method, "GET");
    assert_eq!(
        asked.target,
        "/_apis/token?api-version=2.0&audience=sts.example%2Fa+b"
    );
    assert_eq!(
        sts.requests()[0].form_value("subject_token").as_deref(),
        Some(token.as_str())
    );
    let trace = stderr_of(&assert);
    assert!(trace.contains("> GET "), "{trace}");
    assert!(!trace.contains("gh-request-token"), "{trace}");
    for part in token.split('.') {
        assert!(
            !trace.contains(part),
            "the identity token in the trace: {trace}"
        );
    }
}

#[test]
fn github_actions_without_its_variables_says_the_permission_to_add() {
    let env = Env::new();
    env.write_config(
        "[profiles.gh]\ntoken_url = \"https://sts.example/token\"\ngrant = \"token_exchange\"\n\
         auth_method = \"none\"\nidentity_token_from = \"github-actions\"\n",
    );
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "gh"]).assert(),
        78,
        "getting the identity token from GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: the workflow (or job) needs `permissions: id-token: write`",
    );
}

#[test]
fn a_platform_refusal_is_exit_3_and_an_exchange_refusal_names_its_step_with_the_servers_words() {
    let platform = github("right", identity("s"));
    let env = Env::new();
    let sts = StubServer::start(|_| {
        Reply::json(
            400,
            r#"{"error":"invalid_grant","error_description":"The audience in ID Token [sts.example] does not match the expected audience."}"#,
        )
    });
    env.write_config(&format!(
        "[profiles.gh]\ntoken_url = \"{}\"\ngrant = \"token_exchange\"\nauth_method = \"none\"\n\
         identity_token_from = \"github-actions\"\n",
        sts.url("/token")
    ));
    let run = |request_token: &str| {
        env.cmd()
            .args(["fetch", "-p", "gh"])
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                platform.url("/_apis/token?api-version=2.0"),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token)
            .assert()
    };
    let stderr = fails_in_one_line(
        run("wrong"),
        3,
        "getting the identity token from GitHub Actions",
    );
    assert!(stderr.contains("Bad credentials"), "{stderr}");
    assert!(!stderr.contains("wrong"), "{stderr}");
    let stderr = fails_in_one_line(run("right"), 3, "exchanging the identity token at");
    assert!(
        stderr.contains("does not match the expected audience"),
        "{stderr}"
    );
}

#[test]
fn an_exchange_answer_without_issued_token_type_is_not_a_token() {
    let sts = StubServer::start(|_| token_reply("plain"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.x]\ntoken_url = \"{}\"\ngrant = \"token_exchange\"\nauth_method = \"none\"\n\
         identity_token_env = \"CI_OIDC\"\n",
        sts.url("/token")
    ));
    fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "x"])
            .env("CI_OIDC", identity("s"))
            .assert(),
        4,
        "no issued_token_type (RFC 8693 §2.2.1)",
    );
}

#[test]
fn two_subjects_never_share_a_cached_token_and_a_hit_still_reads_the_identity_token() {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    let sts = StubServer::start(move |_| {
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        exchanged(&format!("token-{n}"))
    });
    let env = Env::new();
    let file = env.home.path().join("oidc-token");
    env.write_config(&format!(
        "[profiles.k8s]\ntoken_url = \"{}\"\ngrant = \"token_exchange\"\nauth_method = \"none\"\n\
         identity_token_from = \"kubernetes\"\nidentity_token_file = \"{}\"\n",
        sts.url("/token"),
        file.display()
    ));
    let fetch = || stdout_of(&env.cmd().args(["fetch", "-p", "k8s"]).assert().success());
    std::fs::write(&file, identity("system:serviceaccount:ci:a")).unwrap();
    assert_eq!(fetch(), "token-0\n");
    assert_eq!(fetch(), "token-0\n", "the same workload: a cache hit");
    // The projected file is rotated to another workload's token: re-read, another identity.
    std::fs::write(&file, identity("system:serviceaccount:ci:b")).unwrap();
    assert_eq!(fetch(), "token-1\n");
    std::fs::remove_file(&file).unwrap();
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k8s"]).assert(),
        78,
        "getting the identity token from the Kubernetes service-account token",
    );
    assert_eq!(sts.requests().len(), 2);
}

#[test]
fn identity_token_prints_the_token_and_the_dry_run_leaves_it_to_a_variable() {
    let env = Env::new();
    env.write_config(
        "[profiles.c]\ntoken_url = \"https://sts.example/token\"\ngrant = \"jwt_bearer\"\n\
         client_id = \"svc\"\nauth_method = \"none\"\n\
         identity_token_command = [\"sh\", \"-c\", \"printf %s \\\"$T\\\"\"]\n",
    );
    let token = identity("cmd");
    let printed = stdout_of(
        &env.cmd()
            .args(["identity-token", "-p", "c"])
            .env("T", &token)
            .assert()
            .success(),
    );
    assert_eq!(printed, format!("{token}\n"));
    let plan = stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "c", "--dry-run"])
            .env("T", &token)
            .assert()
            .success(),
    );
    assert!(
        plan.contains("'assertion='\"$OAUTHCTL_IDENTITY_TOKEN\""),
        "{plan}"
    );
    assert!(plan.contains("oauthctl identity-token -p c"), "{plan}");
    assert!(!plan.contains(token.split('.').nth(1).unwrap()), "{plan}");
    assert!(
        plan.contains("urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"),
        "{plan}"
    );
}

#[test]
fn two_identity_sources_and_a_grant_without_one_are_config_errors() {
    let env = Env::new();
    env.write_config(
        "[profiles.two]\ntoken_url = \"https://sts.example/token\"\ngrant = \"token_exchange\"\n\
         auth_method = \"none\"\nidentity_token_env = \"A\"\nidentity_token_file = \"b\"\n\n\
         [profiles.none]\ntoken_url = \"https://sts.example/token\"\ngrant = \"token_exchange\"\n\
         auth_method = \"none\"\n",
    );
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "two"]).assert(),
        78,
        "sets identity_token_env and identity_token_file; keep exactly one identity token source",
    );
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "none"]).assert(),
        78,
        "presents a workload identity token: set identity_token_from",
    );
}

#[test]
fn a_source_given_for_the_run_overrides_the_files_and_revoke_touches_only_this_workloads_tokens() {
    let sts = StubServer::start(|r| {
        if r.path == "/revoke" {
            return Reply::json(200, "{}");
        }
        exchanged(&format!(
            "for-{}",
            r.form_value("subject_token").unwrap_or_default().len()
        ))
    });
    let env = Env::new();
    let file = env.home.path().join("file-token");
    std::fs::write(&file, identity("from-the-file")).unwrap();
    env.write_config(&format!(
        "[profiles.r]\ntoken_url = \"{}\"\nrevocation_url = \"{}\"\ngrant = \"token_exchange\"\n\
         auth_method = \"none\"\nidentity_token_file = \"{}\"\n",
        sts.url("/token"),
        sts.url("/revoke"),
        file.display()
    ));
    // The environment names another source: it wins over the file's, as every key does.
    let alice = identity("alice");
    let bob = identity("bob-with-a-longer-subject");
    let fetch = |token: &str| {
        env.cmd()
            .args(["fetch", "-p", "r"])
            .env("OAUTHCTL_IDENTITY_TOKEN_ENV", "CI_OIDC")
            .env("CI_OIDC", token)
            .assert()
            .success();
    };
    fetch(&alice);
    fetch(&bob);
    let sent: Vec<String> = sts
        .requests()
        .iter()
        .filter_map(|r| r.form_value("subject_token"))
        .collect();
    assert_eq!(sent, [alice.clone(), bob.clone()]);
    // Alice's clean-up revokes Alice's token, never Bob's.
    env.cmd()
        .args(["revoke", "-p", "r"])
        .env("OAUTHCTL_IDENTITY_TOKEN_ENV", "CI_OIDC")
        .env("CI_OIDC", &alice)
        .assert()
        .success();
    let revoked: Vec<String> = sts
        .requests()
        .iter()
        .filter(|r| r.path == "/revoke")
        .filter_map(|r| r.form_value("token"))
        .collect();
    assert_eq!(revoked, [format!("for-{}", alice.len())]);
    // Bob's is still cached: his next fetch asks nothing of the server.
    let before = sts.requests().len();
    fetch(&bob);
    assert_eq!(sts.requests().len(), before);
}
