//! `oauthctl profiles add | show | list | remove`: a private config file that keeps the user's
//! layout, secrets never shown, and what the file says escaped on the way out.

use std::os::unix::fs::PermissionsExt;

use predicates::prelude::*;
use serde_json::{Value, json};

use crate::support::common::assert_inert;
use crate::support::common::{Env, fails, stdout_of};

// ---------------------------------------------------------------- profiles

#[test]
fn profiles_add_creates_a_private_file_and_keeps_others_layout() {
    let env = Env::new();
    let path = env.config_path();
    env.cmd()
        .args([
            "profiles",
            "add",
            "first",
            "--token-url",
            "https://idp.example/token",
            "--client-id",
            "one",
        ])
        .args([
            "--client-secret-env",
            "FIRST_SECRET",
            "--scope",
            "a b",
            "--header",
            "Accept: application/json",
        ])
        .args([
            "--param",
            "tenant=acme",
            "--auth-method",
            "post",
            "--default",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "added profile `first` as the default profile",
        ));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);

    // A hand-written comment survives the next edit.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "# my notes\n{}",
            text.replace("[profiles.first]", "# the first one\n[profiles.first]")
        ),
    )
    .unwrap();
    env.cmd()
        .args([
            "profiles",
            "add",
            "second",
            "--token-url",
            "https://idp.example/t2",
            "--client-id",
            "two",
        ])
        .args(["--client-secret-command", r#"["pass","show","idp"]"#])
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# my notes\n"), "{text}");
    assert!(text.contains("# the first one\n[profiles.first]"), "{text}");
    assert!(
        text.contains("client_secret_command = [\"pass\", \"show\", \"idp\"]"),
        "{text}"
    );
    assert!(text.contains("params = { tenant = \"acme\" }"), "{text}");

    fails(
        env.cmd()
            .args(["profiles", "add", "second", "--token-url", "https://x/t"])
            .assert(),
        78,
        "profile `second` already exists",
    );
    env.cmd()
        .args([
            "profiles",
            "add",
            "second",
            "--token-url",
            "https://x/t",
            "--replace",
        ])
        .assert()
        .success();
    fails(
        env.cmd()
            .args(["profiles", "add", "bad", "--token-url", "http://remote/t"])
            .assert(),
        78,
        "plain http",
    );

    let list = stdout_of(&env.cmd().args(["profiles", "list"]).assert().success());
    assert_eq!(
        list,
        "* first   https://idp.example/token\n  second  https://x/t\n"
    );
    let json: Value = serde_json::from_str(&stdout_of(
        &env.cmd()
            .args(["profiles", "list", "-o", "json"])
            .assert()
            .success(),
    ))
    .unwrap();
    assert_eq!(
        json[0],
        json!({"name": "first", "default": true, "endpoint": "https://idp.example/token"})
    );

    env.cmd()
        .args(["profiles", "remove", "first"])
        .assert()
        .success()
        .stdout(predicate::str::contains("default_profile removed too"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("first")
            && !text.contains("default_profile")
            && text.starts_with("# my notes\n"),
        "{text}"
    );
    fails(
        env.cmd().args(["profiles", "remove", "first"]).assert(),
        78,
        "profile `first` not found",
    );
    env.cmd()
        .args(["profiles", "path"])
        .assert()
        .success()
        .stdout(format!("{}\n", path.display()));
}

#[test]
fn profiles_add_stores_a_literal_secret_from_stdin_only() {
    let env = Env::new();
    env.cmd()
        .args([
            "profiles",
            "add",
            "lit",
            "--token-url",
            "https://x/t",
            "--client-id",
            "c",
            "--client-secret-stdin",
        ])
        .write_stdin("from-stdin\n")
        .assert()
        .success();
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(text.contains("client_secret = \"from-stdin\""), "{text}");
    std::fs::set_permissions(env.config_path(), std::fs::Permissions::from_mode(0o640)).unwrap();
    fails(
        env.cmd()
            .args([
                "profiles",
                "add",
                "lit2",
                "--token-url",
                "https://x/t",
                "--client-secret-stdin",
            ])
            .write_stdin("s\n")
            .assert(),
        78,
        "refusing to store a literal client_secret",
    );
}

#[test]
fn profiles_show_says_where_each_value_and_the_secret_come_from_never_the_secret() {
    let env = Env::new();
    env.write_config(
        "[profiles.p]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\nclient_secret = \"literal-value\"\nscope = \"file\"\n",
    );
    let assert = env
        .cmd()
        .args(["profiles", "show", "p"])
        .env("OAUTHCTL_SCOPE", "env-scope")
        .assert()
        .success();
    let out = stdout_of(&assert);
    assert!(out.contains("scope           env-scope  (env)"), "{out}");
    assert!(
        out.contains("token_url       https://idp.example/t  (profile)"),
        "{out}"
    );
    assert!(out.contains("auth_method     basic  (default)"), "{out}");
    assert!(
        out.contains("client_secret   *** from client_secret in the config file  (profile)"),
        "{out}"
    );
    assert!(!out.contains("literal-value"));

    let assert = env
        .cmd()
        .args(["profiles", "show", "p", "-o", "json"])
        .env("OAUTHCTL_CLIENT_SECRET", "override-value")
        .assert()
        .success();
    let out = stdout_of(&assert);
    assert!(
        !out.contains("override-value") && !out.contains("literal-value"),
        "{out}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["client_secret"]["value"], "***");
    assert_eq!(
        v["client_secret"]["source"],
        "env var OAUTHCTL_CLIENT_SECRET"
    );
    assert_eq!(v["client_secret"]["from"], "env");
    assert_eq!(
        v["client_secret"]["overrides"],
        "client_secret in the config file"
    );
    assert_eq!(v["origins"]["scope"], "profile");
}

#[test]
fn profiles_show_redacts_secret_looking_headers_and_params() {
    let env = Env::new();
    env.write_config(
        "[profiles.p]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\nauth_method = \"none\"\n\
         headers = { X-Api-Key = \"KEY-CANARY\", Accept = \"application/json\" }\nparams = { client_assertion = \"ASSERT-CANARY\", tenant = \"acme\" }\n",
    );
    let out = stdout_of(&env.cmd().args(["profiles", "show", "p"]).assert().success());
    assert!(!out.contains("CANARY"), "{out}");
    assert!(
        out.contains("X-Api-Key = ***") && out.contains("Accept = application/json"),
        "{out}"
    );
    assert!(
        out.contains("tenant = acme") && out.contains("client_assertion = ***"),
        "{out}"
    );
    assert!(
        out.contains("client_secret   none needed (auth_method = none)"),
        "{out}"
    );
}

#[test]
fn profiles_show_list_and_remove_escape_what_the_config_file_says() {
    let env = Env::new();
    let path = env.write_config(
        "default_profile = \"evil\\u001b[2Jname\"\n\
         [profiles.\"evil\\u001b[2Jname\"]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\n\
         client_secret_env = \"VAR\\u001b[31m\"\nheaders = { \"X-\\u001b[1mKey\" = \"v\" }\n\
         [profiles.other]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\nclient_secret_env = \"V\"\n",
    );
    let name = "evil\u{1b}[2Jname";
    let escaped = "evil\\u{1b}[2Jname";
    for args in [
        vec!["profiles", "show"],
        vec!["profiles", "show", name],
        vec!["profiles", "list"],
    ] {
        let out = stdout_of(&env.cmd().args(&args).assert().success());
        assert_inert("stdout", &out);
        assert!(out.contains(escaped), "{args:?}: {out}");
    }
    let out = stdout_of(&env.cmd().args(["profiles", "show"]).assert().success());
    assert!(out.contains("X-\\u{1b}[1mKey = ***"), "{out}");
    assert!(out.contains("env var VAR\\u{1b}[31m (NOT SET)"), "{out}");

    let out = stdout_of(
        &env.cmd()
            .args(["profiles", "remove", name])
            .assert()
            .success(),
    );
    assert_inert("stdout", &out);
    assert!(
        out.starts_with(&format!("removed profile `{escaped}` from ")),
        "{out}"
    );

    // A config path is the user's, but a file name can hold anything too.
    let odd = env.home.path().join("odd\u{1b}[5mdir");
    std::fs::create_dir(&odd).unwrap();
    let odd_config = odd.join("config.toml");
    std::fs::copy(&path, &odd_config).unwrap();
    let out = stdout_of(
        &env.cmd()
            .args(["profiles", "path"])
            .arg("-c")
            .arg(&odd_config)
            .assert()
            .success(),
    );
    assert_inert("stdout", &out);
    assert!(out.contains("odd\\u{1b}[5mdir/config.toml"), "{out}");
}
