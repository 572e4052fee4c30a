//! Where the client secret comes from (SECURITY 2–6): an env var, a file, a command, stdin, or a
//! prompt on the terminal, and how each fails without echoing what it read.

use std::time::{Duration, Instant};

use crate::support::common::{Env, fails, stdout_of, token_server};

// ---------------------------------------------------------------- secrets

#[test]
fn secret_sources_file_command_and_stdin() {
    let server = token_server("t");
    let env = Env::new();
    std::fs::create_dir_all(env.config_path().parent().unwrap()).unwrap();
    std::fs::write(
        env.config_path().parent().unwrap().join("secret.txt"),
        "from-file\n",
    )
    .unwrap();
    env.write_config(&format!(
        "[profiles.file]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_file = \"secret.txt\"\n\
         [profiles.cmd]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"sh\", \"-c\", \"echo from-command\"]\n\
         [profiles.none]\ntoken_url = \"{url}\"\nclient_id = \"c\"\n",
        url = server.url("/t")
    ));
    let secret_sent = |cmd: &mut assert_cmd::Command| {
        cmd.assert().success();
        server
            .requests()
            .last()
            .unwrap()
            .basic_credentials()
            .unwrap()
            .1
    };
    assert_eq!(
        secret_sent(env.cmd().args(["-p", "file", "fetch", "--no-cache"])),
        "from-file"
    );
    assert_eq!(
        secret_sent(env.cmd().args(["-p", "cmd", "fetch", "--no-cache"])),
        "from-command"
    );
    assert_eq!(
        secret_sent(
            env.cmd()
                .args(["-p", "none", "fetch", "--no-cache", "--client-secret-stdin"])
                .write_stdin("from-stdin\n")
        ),
        "from-stdin"
    );
}

#[test]
fn no_secret_and_no_terminal_fails_at_once_without_a_request() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\n",
        server.url("/t")
    ));
    let start = Instant::now();
    fails(
        env.cmd().args(["-p", "p", "fetch"]).assert(),
        78,
        "no terminal to ask on",
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(server.request_count(), 0);
}

#[test]
fn failing_secret_sources_are_config_errors_that_do_not_echo_output() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.cmd]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"sh\", \"-c\", \"echo half-secret; exit 7\"]\n\
         [profiles.env]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_env = \"UNSET_VAR_FOR_TEST\"\n\
         [profiles.file]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_file = \"/nonexistent/secret\"\n",
        url = server.url("/t")
    ));
    let stderr = fails(
        env.cmd().args(["-p", "cmd", "fetch"]).assert(),
        78,
        "client_secret_command `sh` failed",
    );
    assert!(!stderr.contains("half-secret"));
    fails(
        env.cmd().args(["-p", "env", "fetch"]).assert(),
        78,
        "UNSET_VAR_FOR_TEST is not set",
    );
    fails(
        env.cmd().args(["-p", "file", "fetch"]).assert(),
        78,
        "cannot read client_secret_file `/nonexistent/secret`",
    );
    assert_eq!(server.request_count(), 0);
}

#[test]
fn a_secret_command_is_bounded_in_time_and_output() {
    let server = token_server("t");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.slow]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"sleep\", \"20\"]\ntimeout_secs = 1\n\
         [profiles.chatty]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"head\", \"-c\", \"200000\", \"/dev/zero\"]\n\
         [profiles.shell]\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_command = [\"echo\", \"$HOME;\", \"`id`\"]\n",
        url = server.url("/t")
    ));
    let start = Instant::now();
    fails(
        env.cmd().args(["-p", "slow", "fetch"]).assert(),
        78,
        "client_secret_command `sleep` did not finish within 1s",
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    fails(
        env.cmd().args(["-p", "chatty", "fetch"]).assert(),
        78,
        "client_secret_command `head` printed more than 64 KiB",
    );
    assert_eq!(server.request_count(), 0);
    // No shell: the arguments arrive as written.
    env.cmd().args(["-p", "shell", "fetch"]).assert().success();
    assert_eq!(
        server.requests()[0].basic_credentials().unwrap().1,
        "%24HOME%3B+%60id%60",
        "form-encoded per RFC 6749 §2.3.1, from the literal `$HOME; `id``"
    );
}

// ---------------------------------------------------------------- terminal prompt

/// With a terminal and no secret source, oauthctl asks on the terminal with echo off (SECURITY 5).
/// `script` gives the child a real pseudo-terminal; the answer is typed after the prompt shows.
#[test]
fn prompts_for_the_secret_on_a_terminal_with_echo_off() {
    let server = token_server("prompted");
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\n",
        server.url("/t")
    ));
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let command = format!("{} -p p fetch", bin.display());
    let assert = env
        .hermetic(assert_cmd::Command::new("bash"))
        .args([
            "-c",
            "{ sleep 1; printf 'typed-secret\\n'; sleep 1; } | script -qec \"$CMD\" /dev/null",
        ])
        .env("CMD", &command)
        .assert()
        .success();
    let transcript = stdout_of(&assert);
    assert!(
        transcript.contains("Client secret for profile `p`: "),
        "{transcript:?}"
    );
    assert!(transcript.contains("prompted"), "{transcript:?}");
    assert!(
        !transcript.contains("typed-secret"),
        "the secret was echoed: {transcript:?}"
    );
    assert_eq!(
        server.requests()[0].basic_credentials().unwrap().1,
        "typed-secret"
    );
}

#[test]
fn a_secret_command_sees_no_oauthctl_variables() {
    let server = token_server("t");
    let env = Env::new();
    let dump = env.home.path().join("child-env");
    env.write_config(&format!(
        "[profiles.p]\ntoken_url = \"{}\"\nclient_id = \"c\"\nclient_secret_command = [\"sh\", \"-c\", \"env > '{}'; echo s\"]\n",
        server.url("/t"),
        dump.display()
    ));
    env.cmd()
        .args(["-p", "p", "exchange-code", "code"])
        .env(
            "OAUTHCTL_CODE_VERIFIER",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        )
        .env("OAUTHCTL_SCOPE", "x")
        .assert()
        .success();
    let child_env = std::fs::read_to_string(&dump).unwrap();
    assert!(
        child_env.contains("HOME="),
        "the dump should be a real environment"
    );
    assert!(!child_env.contains("OAUTHCTL_"), "{child_env}");
}
