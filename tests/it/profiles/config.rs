//! Where a setting comes from: flags over env vars over the profile, which profile is used, and
//! config files that are wrong (exit 78).

use std::os::unix::fs::PermissionsExt;

use predicates::prelude::*;

use crate::support::app::{app_profile, profile};
use crate::support::common::{Env, fails, form, token_server};

#[test]
fn flags_beat_env_vars_which_beat_the_profile() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&app_profile(
        "my app",
        &server.url("/oauth/token"),
        "scope = \"read write\"",
    ));
    // These runs are about what is sent, so none may be answered from the cache.
    let scope_sent = |cmd: &mut assert_cmd::Command| {
        cmd.arg("--no-cache")
            .env("APP_SECRET", "x")
            .assert()
            .success();
        server
            .requests()
            .last()
            .unwrap()
            .form_value("scope")
            .unwrap()
    };
    assert_eq!(scope_sent(env.cmd().arg("fetch")), "read write");
    assert_eq!(
        scope_sent(env.cmd().arg("fetch").env("OAUTHCTL_SCOPE", "from-env")),
        "from-env"
    );
    assert_eq!(
        scope_sent(
            env.cmd()
                .args(["fetch", "--scope", "from-flag"])
                .env("OAUTHCTL_SCOPE", "from-env")
        ),
        "from-flag"
    );
    // An override of the secret source: OAUTHCTL_CLIENT_SECRET beats the profile's env var.
    env.cmd()
        .args(["fetch", "--no-cache"])
        .env("APP_SECRET", "from-profile")
        .env("OAUTHCTL_CLIENT_SECRET", "from-override")
        .assert()
        .success();
    let (_, secret) = server
        .requests()
        .last()
        .unwrap()
        .basic_credentials()
        .unwrap();
    assert_eq!(secret, "from-override");
}

#[test]
fn profile_selection_flag_env_and_default() {
    let a = token_server("from-a");
    let b = token_server("from-b");
    let env = Env::new();
    env.write_config(&format!(
        "default_profile = \"a\"\n[profiles.a]\ntoken_url = \"{}\"\nclient_id = \"a\"\nauth_method = \"none\"\n[profiles.b]\ntoken_url = \"{}\"\nclient_id = \"b\"\nauth_method = \"none\"\n",
        a.url("/t"),
        b.url("/t")
    ));
    env.cmd().arg("fetch").assert().success().stdout("from-a\n");
    env.cmd()
        .arg("fetch")
        .env("OAUTHCTL_PROFILE", "b")
        .assert()
        .success()
        .stdout("from-b\n");
    env.cmd()
        .args(["-p", "a", "fetch"])
        .env("OAUTHCTL_PROFILE", "b")
        .assert()
        .success()
        .stdout("from-a\n");
    env.cmd()
        .args(["fetch", "-p", "b"])
        .assert()
        .success()
        .stdout("from-b\n");
    // A public client sends its id in the body and no Authorization header.
    let req = &b.requests()[0];
    assert_eq!(
        req.form(),
        form(&[("grant_type", "client_credentials"), ("client_id", "b")])
    );
    assert_eq!(req.header_count("authorization"), 0);
}

// ---------------------------------------------------------------- config errors

#[test]
fn config_errors_name_the_problem_and_exit_78() {
    let env = Env::new();
    fails(
        env.cmd().args(["-p", "nope", "fetch"]).assert(),
        78,
        "profile `nope` not found",
    );
    fails(
        env.cmd().arg("fetch").assert(),
        78,
        "no profile selected and no token URL",
    );
    fails(
        env.cmd()
            .args(["-c", "/nonexistent/oauthctl.toml", "fetch"])
            .assert(),
        78,
        "does not exist",
    );

    env.write_config("[profiles.watson]\ntoken_url = \"https://x/t\"\n");
    fails(
        env.cmd().args(["-p", "watsn", "fetch"]).assert(),
        78,
        "did you mean `watson`?",
    );

    let path =
        env.write_config("[profiles.a]\ntoken_url = \"https://x/t\"\nclient-secret-env = \"X\"\n");
    let stderr = fails(
        env.cmd().args(["-p", "a", "fetch"]).assert(),
        78,
        "line 3: unknown key `client-secret-env`",
    );
    assert!(
        stderr.contains("did you mean `client_secret_env`?")
            && stderr.contains(&path.display().to_string()),
        "{stderr}"
    );

    env.write_config("[profiles.a]\ntoken_url = \"https://x/t\"\ntimeout_secs = \"ten\"\n");
    fails(env.cmd().args(["-p", "a", "fetch"]).assert(), 78, "line 3:");
    env.write_config("[profiles.a\n");
    fails(env.cmd().args(["-p", "a", "fetch"]).assert(), 78, "line 1:");
    std::fs::write(env.config_path(), b"[profiles.a]\ntoken_url = \"\xff\"\n").unwrap();
    fails(
        env.cmd().args(["-p", "a", "fetch"]).assert(),
        78,
        "not valid UTF-8",
    );
    env.write_config(&format!("x = {}{}", "[".repeat(10_000), "]".repeat(10_000)));
    fails(
        env.cmd().args(["-p", "a", "fetch"]).assert(),
        78,
        "config `",
    );
    std::fs::remove_file(env.config_path()).unwrap();
    fails(
        env.cmd()
            .arg("fetch")
            .env("OAUTHCTL_TOKEN_URL", "https://x/t")
            .env("OAUTHCTL_TIMEOUT_SECS", "soon")
            .assert(),
        78,
        "OAUTHCTL_TIMEOUT_SECS",
    );
}

#[test]
fn a_literal_secret_in_a_readable_config_is_refused() {
    let server = token_server("t");
    let env = Env::new();
    let path = env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\nclient_secret = \"literal\"\n",
        server.url("/t")
    ));
    env.cmd().args(["-p", "p", "fetch"]).assert().success();
    assert_eq!(
        server.requests()[0].basic_credentials().unwrap().1,
        "literal"
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    // (A cached token would be served without reading the secret at all.)
    std::fs::remove_dir_all(env.home.path().join(".cache")).unwrap();
    let stderr = fails(
        env.cmd().args(["-p", "p", "fetch"]).assert(),
        78,
        "refusing the literal client_secret",
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains("literal\""));
    assert_eq!(server.request_count(), 1);
    // An override for this run does not need the file's secret, so it is not refused.
    env.cmd()
        .args(["-p", "p", "fetch"])
        .env("OAUTHCTL_CLIENT_SECRET", "other")
        .assert()
        .success();
}

#[test]
fn empty_global_env_vars_count_as_unset() {
    let server = token_server("t");
    let env = Env::new();
    profile(&env, &server.url("/oauth/token"), "");
    env.cmd()
        .arg("fetch")
        .env("APP_SECRET", "x")
        .env("OAUTHCTL_PROFILE", "")
        .env("OAUTHCTL_CONFIG", "")
        .env("OAUTHCTL_OUTPUT", "")
        .assert()
        .success()
        .stdout("t\n");
    env.cmd()
        .arg("fetch")
        .env("APP_SECRET", "x")
        .env("OAUTHCTL_OUTPUT", "json")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"cached\": true"));
    fails(
        env.cmd()
            .arg("fetch")
            .env("OAUTHCTL_OUTPUT", "yaml")
            .assert(),
        2,
        "OAUTHCTL_OUTPUT",
    );
}
