//! docker's credential helper protocol (docker-credential-helpers: `get`, `store`, `erase`,
//! `list`, the server URL or docker's JSON on stdin) through both ways docker may run it:
//! `oauthctl docker-credential ACTION` and the `docker-credential-oauthctl ACTION` binary that
//! docker finds on PATH. Every test runs both, and they must answer alike.

use assert_cmd::Command;
use serde_json::{Value, json};

use super::{numbering_server, profile_toml};
use crate::support::app::{SECRET, SECRET_ENV};
use crate::support::common::{Env, cache_files, stderr_of, stdout_of};

/// docker-credential-helpers' "not found" answer, which docker reads on stdout.
const NOT_FOUND: &str = "credentials not found in native keychain\n";

/// The two programs that speak docker's protocol.
#[derive(Clone, Copy, Debug)]
enum Program {
    /// `oauthctl docker-credential`.
    Subcommand,
    /// `docker-credential-oauthctl`, as docker runs it.
    Binary,
}

const PROGRAMS: [Program; 2] = [Program::Subcommand, Program::Binary];

/// `program ACTION` with `input` on stdin and the profiles' secret in the environment.
fn docker(env: &Env, program: Program, action: &str, input: &str) -> Command {
    let mut cmd = match program {
        Program::Subcommand => {
            let mut cmd = env.cmd();
            cmd.arg("docker-credential");
            cmd
        }
        Program::Binary => env.hermetic(assert_cmd::cargo::cargo_bin_cmd!(
            "docker-credential-oauthctl"
        )),
    };
    cmd.arg(action)
        .env(SECRET_ENV, SECRET)
        .write_stdin(input.to_owned());
    cmd
}

/// A config with `reg` for `https://registry.example.com` and `robot` (credential_username
/// `robot`) for `https://other.example.com/team`.
fn registries(env: &Env, server: &crate::support::server::StubServer) {
    let token_url = server.url("/token");
    let mut toml = profile_toml(
        "reg",
        &token_url,
        "credential_url = \"https://registry.example.com\"",
    );
    toml.push_str(&profile_toml(
        "robot",
        &token_url,
        "credential_url = \"https://other.example.com/team\"\ncredential_username = \"robot\"",
    ));
    env.write_config(&toml);
}

#[test]
fn docker_get_answers_one_line_of_json_for_the_covering_profile() {
    let server = numbering_server();
    for program in PROGRAMS {
        let env = Env::new();
        registries(&env, &server);
        let before = server.request_count();
        let cases = [
            (
                "https://registry.example.com",
                r#"{"ServerURL":"https://registry.example.com","Username":"oauth2accesstoken","Secret":"tok-reg-N"}"#,
            ),
            // A bare host, as docker names most registries, means https://HOST.
            (
                "registry.example.com",
                r#"{"ServerURL":"registry.example.com","Username":"oauth2accesstoken","Secret":"tok-reg-N"}"#,
            ),
            (
                "https://other.example.com/team/app",
                r#"{"ServerURL":"https://other.example.com/team/app","Username":"robot","Secret":"tok-robot-N"}"#,
            ),
        ];
        let mut secrets = Vec::new();
        for (input, expected) in cases {
            let assert = docker(&env, program, "get", &format!("{input}\n"))
                .assert()
                .success();
            assert_eq!(stderr_of(&assert), "", "{program:?} {input}");
            let stdout = stdout_of(&assert);
            let secret = serde_json::from_str::<Value>(&stdout).unwrap()["Secret"]
                .as_str()
                .unwrap()
                .to_owned();
            let n = secret.rsplit('-').next().unwrap();
            assert_eq!(
                stdout,
                format!("{}\n", expected.replace("-N\"", &format!("-{n}\""))),
                "{program:?} {input}"
            );
            secrets.push(secret);
        }
        // The bare host was served the cached token of the first get.
        assert_eq!(secrets[0], secrets[1], "{program:?}");
        assert_eq!(server.request_count() - before, 2, "{program:?}");
    }
}

#[test]
fn docker_get_of_an_unknown_registry_is_not_found_on_stdout_exit_1() {
    let server = numbering_server();
    let env = Env::new();
    registries(&env, &server);
    for program in PROGRAMS {
        for input in [
            "https://registry.example.com.evil.net\n",
            "registry.example.net",
            "http://registry.example.com",
            "https://other.example.com/team-b",
            "other.example.com",
            "",
            "not a url",
        ] {
            let assert = docker(&env, program, "get", input)
                .assert()
                .failure()
                .code(1)
                .stdout(NOT_FOUND);
            assert_eq!(stderr_of(&assert), "", "{program:?} {input:?}");
        }
    }
    assert_eq!(server.request_count(), 0);
}

#[test]
fn docker_list_maps_each_credential_url_to_its_username() {
    let server = numbering_server();
    let env = Env::new();
    registries(&env, &server);
    for program in PROGRAMS {
        let assert = docker(&env, program, "list", "").assert().success();
        let stdout = stdout_of(&assert);
        assert_eq!(stdout.lines().count(), 1, "{stdout:?}");
        assert_eq!(
            serde_json::from_str::<Value>(&stdout).unwrap(),
            json!({
                "https://registry.example.com": "oauth2accesstoken",
                "https://other.example.com/team": "robot",
            }),
            "{program:?}"
        );
        assert_eq!(stderr_of(&assert), "");
    }
    assert_eq!(server.request_count(), 0);
}

/// `docker login` stores what it was given; the token is oauthctl's to keep, so `store` takes
/// docker's JSON and does nothing.
#[test]
fn docker_store_does_nothing() {
    let server = numbering_server();
    let env = Env::new();
    registries(&env, &server);
    let input =
        json!({"ServerURL": "https://registry.example.com", "Username": "u", "Secret": "s3cret"});
    for program in PROGRAMS {
        docker(&env, program, "store", &input.to_string())
            .assert()
            .success()
            .stdout("")
            .stderr("");
    }
    assert_eq!(server.request_count(), 0);
    assert!(cache_files(&env).is_empty());
}

/// `docker logout` erases: the cached token goes, and the next `get` asks for a new one.
#[test]
fn docker_erase_makes_the_next_get_fetch_a_new_token() {
    let server = numbering_server();
    for program in PROGRAMS {
        let env = Env::new();
        registries(&env, &server);
        let secret = || {
            let assert = docker(&env, program, "get", "registry.example.com")
                .assert()
                .success();
            serde_json::from_str::<Value>(&stdout_of(&assert)).unwrap()["Secret"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let first = secret();
        assert_eq!(secret(), first, "{program:?}: cached");
        docker(&env, program, "erase", "https://registry.example.com\n")
            .assert()
            .success()
            .stdout("")
            .stderr("");
        let second = secret();
        assert_ne!(second, first, "{program:?}");
        assert!(second.starts_with("tok-reg-"), "{second}");
        // Erasing a registry no profile covers touches nothing.
        docker(&env, program, "erase", "registry.example.net")
            .assert()
            .success()
            .stdout("");
        assert_eq!(secret(), second, "{program:?}");
    }
    assert_eq!(server.request_count(), 4);
}

/// SECURITY 46: the token only in the answer on stdout, also under `-v`'s trace.
#[test]
fn docker_get_never_writes_the_token_on_stderr_even_with_verbose() {
    let server = numbering_server();
    let env = Env::new();
    registries(&env, &server);
    let assert = env
        .cmd()
        .args(["-v", "docker-credential", "get"])
        .env(SECRET_ENV, SECRET)
        .write_stdin("registry.example.com")
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("/token"), "a trace is shown: {stderr}");
    assert!(stdout_of(&assert).contains("\"Secret\":\"tok-reg-1\""));
    assert!(!stderr.contains("tok-reg-1"), "{stderr}");
}

/// docker sends no DPoP proofs (RFC 9449 §7): a DPoP profile's token is refused, exit 2, with
/// nothing on stdout for docker to take as credentials.
#[test]
fn docker_get_for_a_dpop_profile_is_exit_2() {
    let server = crate::support::server::StubServer::start(|_| {
        crate::support::server::Reply::json(
            200,
            &json!({"access_token": "tok-dpop-1", "token_type": "DPoP", "expires_in": 300})
                .to_string(),
        )
    });
    let env = Env::new();
    env.write_config(&profile_toml(
        "reg",
        &server.url("/token"),
        "credential_url = \"https://registry.example.com\"\ndpop = true",
    ));
    for program in PROGRAMS {
        let assert = docker(&env, program, "get", "registry.example.com")
            .assert()
            .failure()
            .code(2)
            .stdout("");
        let stderr = stderr_of(&assert);
        assert!(stderr.contains("DPoP"), "{program:?}: {stderr}");
        assert!(!stderr.contains("tok-dpop-1"), "{stderr}");
    }
}

/// The binary is only a door to `oauthctl`: alone in its directory it says so (exit 78).
#[test]
fn docker_credential_oauthctl_without_oauthctl_beside_it_is_exit_78() {
    let env = Env::new();
    let alone = env.home.path().join("bin/docker-credential-oauthctl");
    std::fs::create_dir_all(alone.parent().unwrap()).unwrap();
    // Copied by `cp`, not by this process: a file this process holds open for writing would be
    // inherited by any child another test forks meanwhile, and exec would fail with ETXTBSY.
    let copied = std::process::Command::new("cp")
        .arg(assert_cmd::cargo::cargo_bin!("docker-credential-oauthctl"))
        .arg(&alone)
        .status();
    assert!(
        matches!(copied, Ok(s) if s.success()),
        "cp failed: {copied:?}"
    );
    let assert = env
        .hermetic(Command::new(&alone))
        .arg("get")
        .write_stdin("registry.example.com")
        .assert()
        .failure()
        .code(78)
        .stdout("");
    let stderr = stderr_of(&assert);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.contains("oauthctl is not installed beside"),
        "{stderr}"
    );
}
