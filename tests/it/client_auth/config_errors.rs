//! Every configuration error of a client's key pair is exit 78, one line naming what is wrong and
//! where, before any request (DESIGN §10, SECURITY 39 and 41).

use std::os::unix::fs::PermissionsExt;

use crate::support::common::{Env, fails_in_one_line};
use crate::support::server::StubServer;

fn server() -> StubServer {
    StubServer::start(|_| crate::support::common::token_reply("never"))
}

fn key_profile(token_url: &str, extra: &str) -> String {
    format!(
        "[profiles.k]\ntoken_url = \"{token_url}\"\nclient_id = \"svc\"\nauth_method = \"private_key_jwt\"\n{extra}"
    )
}

#[test]
fn private_key_jwt_without_a_key_says_which_keys_to_set() {
    let server = server();
    let env = Env::new();
    env.write_config(&key_profile(&server.url("/token"), ""));
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k"]).assert(),
        78,
        "needs the client's private key: set private_key_file",
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn two_key_sources_in_one_place_are_refused_and_a_flag_overrides_the_file() {
    let server = server();
    let env = Env::new();
    env.write_config(&key_profile(
        &server.url("/token"),
        "private_key_file = \"k.pem\"\nprivate_key_env = \"KEY\"\n",
    ));
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k"]).assert(),
        78,
        "sets private_key_file and private_key_env; keep exactly one private key source",
    );
    fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "k"])
            .env("OAUTHCTL_PRIVATE_KEY_ENV", "A")
            .env("OAUTHCTL_PRIVATE_KEY_COMMAND", "[\"cat\"]")
            .assert(),
        78,
        "the environment sets private_key_env and private_key_command",
    );
    // A flag is one source, above the file's two.
    let missing = env.home.path().join("missing.pem");
    fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "k", "--private-key-file"])
            .arg(&missing)
            .assert(),
        78,
        "cannot read private_key_file",
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn a_key_file_others_can_read_is_refused_unread() {
    let server = server();
    let env = Env::new();
    let key = env.home.path().join("ci.key.pem");
    // Not a key at all: it must be refused before it is read.
    std::fs::write(&key, "not a key").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.write_config(&key_profile(
        &server.url("/token"),
        &format!("private_key_file = \"{}\"\n", key.display()),
    ));
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k"]).assert(),
        78,
        "is accessible by group or others (mode 0644); run `chmod 600",
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn a_missing_key_variable_an_empty_key_and_a_failing_command_are_named() {
    let server = server();
    let env = Env::new();
    env.write_config(&key_profile(
        &server.url("/token"),
        "private_key_env = \"CI_KEY\"\n",
    ));
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k"]).assert(),
        78,
        "private key: env var CI_KEY is not set (it is named by private_key_env)",
    );
    fails_in_one_line(
        env.cmd()
            .args(["fetch", "-p", "k"])
            .env("CI_KEY", " \n")
            .assert(),
        78,
        "private_key_env `CI_KEY` is empty",
    );
    env.write_config(&key_profile(
        &server.url("/token"),
        "private_key_command = [\"false\"]\n",
    ));
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k"]).assert(),
        78,
        "private_key_command `false` failed",
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn a_certificate_needs_a_key_and_tls_methods_need_a_certificate() {
    let server = server();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.c]\ntoken_url = \"{}\"\nclient_id = \"svc\"\nauth_method = \"none\"\nclient_certificate_file = \"c.pem\"\n\n[profiles.t]\ntoken_url = \"{}\"\nclient_id = \"svc\"\nauth_method = \"tls_client_auth\"\n",
        server.url("/token"),
        server.url("/token")
    ));
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "c"]).assert(),
        78,
        "sets client_certificate_file",
    );
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "t"]).assert(),
        78,
        "uses auth_method = \"tls_client_auth\", which needs the client's private key",
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn an_assertion_lifetime_over_300_seconds_is_refused() {
    let server = server();
    let env = Env::new();
    env.write_config(&key_profile(
        &server.url("/token"),
        "assertion_lifetime_secs = 301\nprivate_key_env = \"K\"\n",
    ));
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k"]).assert(),
        78,
        "assertion_lifetime_secs is 301; it must be from 1 to 300",
    );
    assert_eq!(server.requests().len(), 0);
}

/// A self-signed certificate and its PKCS#8 key, as PEM (rcgen: P-256).
fn certificate_pair(name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn another_certificate_is_another_credential_whatever_the_method() {
    // RFC 8705 §3: a token may be bound to the certificate; a basic-auth client presents one too.
    let server = StubServer::start(|_| crate::support::common::token_reply("bound"));
    let env = Env::new();
    let dir = env.home.path();
    let write = |(cert, key): (String, String)| {
        std::fs::write(dir.join("c.pem"), cert).unwrap();
        std::fs::write(dir.join("k.pem"), key).unwrap();
        std::fs::set_permissions(dir.join("k.pem"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
    };
    write(certificate_pair("one"));
    env.write_config(&format!(
        "[profiles.b]\ntoken_url = \"{}\"\nclient_id = \"svc\"\nclient_secret_env = \"S\"\n\
         private_key_file = \"{}\"\nclient_certificate_file = \"{}\"\n",
        server.url("/token"),
        dir.join("k.pem").display(),
        dir.join("c.pem").display()
    ));
    let fetch = || {
        env.cmd()
            .args(["fetch", "-p", "b"])
            .env("S", "secret")
            .assert()
            .success();
    };
    fetch();
    fetch();
    assert_eq!(
        server.requests().len(),
        1,
        "the second fetch is a cache hit"
    );
    write(certificate_pair("two"));
    fetch();
    assert_eq!(
        server.requests().len(),
        2,
        "a new certificate never reuses the old token"
    );
}

#[test]
fn the_dry_run_presents_the_certificate_as_curl_would_without_reading_the_key() {
    let env = Env::new();
    env.write_config(
        "[profiles.t]\ntoken_url = \"https://idp.example/token\"\nclient_id = \"svc\"\n\
         auth_method = \"tls_client_auth\"\nprivate_key_file = \"/nowhere/k.pem\"\n\
         client_certificate_file = \"/nowhere/c.pem\"\n\n\
         [profiles.e]\nissuer = \"https://idp.example\"\nclient_id = \"svc\"\n\
         auth_method = \"tls_client_auth\"\nprivate_key_env = \"CI_KEY\"\n\
         client_certificate_file = \"/nowhere/c.pem\"\n",
    );
    let plan = crate::support::common::stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "t", "--dry-run"])
            .assert()
            .success(),
    );
    assert!(plan.contains("--cert '/nowhere/c.pem'"), "{plan}");
    assert!(plan.contains("--key '/nowhere/k.pem'"), "{plan}");
    assert!(plan.contains("--data-raw 'client_id=svc'"), "{plan}");
    let plan = crate::support::common::stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "e", "--dry-run"])
            .assert()
            .success(),
    );
    assert!(
        plan.contains("--key \"$OAUTHCTL_PRIVATE_KEY_FILE\""),
        "{plan}"
    );
    assert!(plan.contains("private_key_env `CI_KEY`"), "{plan}");
    assert!(plan.contains("mtls_endpoint_aliases"), "{plan}");
    let json = crate::support::common::json_of(
        &env.cmd()
            .args(["fetch", "-p", "t", "--dry-run", "-o", "json"])
            .assert()
            .success(),
    );
    assert_eq!(
        json["client_certificate"],
        serde_json::json!({"certificate_file": "/nowhere/c.pem", "private_key_file": "/nowhere/k.pem"})
    );
}

#[test]
fn a_service_account_key_names_the_client_when_the_profile_does_not() {
    let server = StubServer::start(|_| crate::support::common::token_reply("sa-token"));
    let env = Env::new();
    let dir = env.home.path();
    let pem = dir.join("new.pem");
    env.cmd()
        .args(["keys", "generate", "--alg", "ES256", "--out"])
        .arg(&pem)
        .assert()
        .success();
    let sa = serde_json::json!({
        "type": "service_account",
        "private_key_id": "key-7",
        "private_key": std::fs::read_to_string(&pem).unwrap(),
        "client_email": "ci@project.iam.gserviceaccount.com",
    });
    let file = dir.join("sa.json");
    std::fs::write(&file, sa.to_string()).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.write_config(&format!(
        "[profiles.sa]\ntoken_url = \"{}\"\nauth_method = \"private_key_jwt\"\nprivate_key_file = \"{}\"\n",
        server.url("/token"),
        file.display()
    ));
    env.cmd().args(["fetch", "-p", "sa"]).assert().success();
    let sent = super::assertion_of(&server.requests()[0], "ci@project.iam.gserviceaccount.com");
    super::assert_claims(
        &sent,
        "ci@project.iam.gserviceaccount.com",
        &server.url("/token"),
        60,
    );
    assert_eq!(sent.header["kid"], "key-7");
    let shown = crate::support::common::stdout_of(
        &env.cmd()
            .args(["profiles", "show", "sa"])
            .assert()
            .success(),
    );
    assert!(
        shown.contains("ci@project.iam.gserviceaccount.com  (service-account key)"),
        "{shown}"
    );
}

#[test]
fn profiles_show_names_the_key_source_and_the_algorithm_never_the_key() {
    let env = Env::new();
    let key = env.home.path().join("k.pem");
    env.cmd()
        .args(["keys", "generate", "--out"])
        .arg(&key)
        .assert()
        .success();
    env.write_config(&key_profile(
        "https://idp.example/token",
        &format!(
            "private_key_file = \"{}\"\nclient_certificate_file = \"c.pem\"\n",
            key.display()
        ),
    ));
    let shown = crate::support::common::stdout_of(
        &env.cmd().args(["profiles", "show", "k"]).assert().success(),
    );
    assert!(
        shown.contains(&format!(
            "private_key_file         {}  (profile)",
            key.display()
        )),
        "{shown}"
    );
    assert!(
        shown.contains("signing_alg              from the key"),
        "{shown}"
    );
    assert!(shown.contains("client_certificate_file"), "{shown}");
    let pem = std::fs::read_to_string(&key).unwrap();
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "a line of the key in {shown}");
    }
}

#[test]
fn a_key_that_cannot_be_read_fails_only_what_needs_the_key() {
    let env = Env::new();
    let missing = env.home.path().join("missing-sa.json");
    env.write_config(&format!(
        "[profiles.k]\ntoken_url = \"https://idp.example/token\"\n\
         auth_method = \"private_key_jwt\"\nprivate_key_file = \"{}\"\n",
        missing.display()
    ));
    // No client_id, and a key that might have named it: commands that need neither go on.
    env.cmd().args(["profiles", "show", "k"]).assert().success();
    env.cmd()
        .args(["-p", "k", "cache", "clear"])
        .assert()
        .success();
    // A request needs the client_id, so the key: its problem is the one reported.
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k", "--dry-run"]).assert(),
        78,
        "cannot read private_key_file",
    );
    fails_in_one_line(
        env.cmd().args(["fetch", "-p", "k"]).assert(),
        78,
        "cannot read private_key_file",
    );
}

#[test]
fn the_dry_run_never_hands_curl_a_json_key_and_escapes_a_colon_in_the_certificate() {
    let env = Env::new();
    env.write_config(
        "[profiles.j]\ntoken_url = \"https://idp.example/token\"\nclient_id = \"svc\"\n\
         auth_method = \"private_key_jwt\"\nprivate_key_file = \"/k/sa.json\"\n\
         client_certificate_file = \"/k/a:b.pem\"\n",
    );
    let plan = crate::support::common::stdout_of(
        &env.cmd()
            .args(["fetch", "-p", "j", "--dry-run"])
            .assert()
            .success(),
    );
    assert!(plan.contains(r"--cert '/k/a\:b.pem'"), "{plan}");
    assert!(
        plan.contains("--key \"$OAUTHCTL_PRIVATE_KEY_FILE\""),
        "{plan}"
    );
}
