//! The command line itself: usage errors (exit 2), `--help` and `--version` (exit 0), and a closed
//! stdout, which is not an error.

use predicates::prelude::*;
use serde_json::json;

use crate::support::common::{Env, fails, jwt, stderr_of, stdout_of};

#[test]
fn usage_errors_exit_2_and_help_and_version_exit_0() {
    let env = Env::new();
    env.cmd()
        .arg("--frobnicate")
        .assert()
        .failure()
        .code(2)
        .stdout("");
    env.cmd()
        .args(["fetch", "--param", "novalue"])
        .assert()
        .failure()
        .code(2)
        .stdout("");
    env.cmd()
        .args(["fetch", "--header", "Bad Name: x"])
        .assert()
        .failure()
        .code(2);
    env.cmd()
        .args(["-o", "yaml", "fetch"])
        .assert()
        .failure()
        .code(2);
    env.cmd()
        .args(["--version"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("oauthctl "));
    env.cmd()
        .args(["fetch", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
    fails(
        env.cmd()
            .args(["-o", "header", "inspect", "a.b.c"])
            .assert(),
        2,
        "-o header applies to fetch and exchange-code only",
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    let token = jwt(json!({"big": "x".repeat(512 * 1024)}));
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let script = format!(
        "{} inspect -o json - < \"$TOKEN_FILE\" | head -c 1 >/dev/null; echo \"status=${{PIPESTATUS[0]}}\"",
        bin.display()
    );
    let token_file = env.home.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    let assert = env
        .hermetic(assert_cmd::Command::new("bash"))
        .args(["-c", &script])
        .env("TOKEN_FILE", &token_file)
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "status=0\n");
    assert_eq!(stderr_of(&assert), "");
}
