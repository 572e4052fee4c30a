use super::*;
use crate::config;
use clap::CommandFactory;

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

/// Every profile key (but the secret's own four) is either a flag of each command that takes
/// overrides, whose help names its variable, or listed in that command's help as a variable
/// without a flag: the help follows the field table.
#[test]
fn every_profile_field_is_a_flag_or_listed_in_the_help() {
    let secret_keys = [
        "client_secret",
        "client_secret_env",
        "client_secret_file",
        "client_secret_command",
    ];
    let mut root = Cli::command();
    root.build();
    let mut checked = 0;
    for name in [
        "fetch",
        "exchange-code",
        "inspect",
        "login",
        "revoke",
        "introspect",
    ] {
        let sub = root
            .find_subcommand(name)
            .unwrap_or_else(|| panic!("no {name}"));
        let after = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        for key in config::PROFILE_KEYS
            .iter()
            .filter(|k| !secret_keys.contains(k))
        {
            let var = crate::resolve::env_var_for(key);
            let flag = sub.get_arguments().find(|arg| {
                arg.get_help()
                    .is_some_and(|h| h.to_string().contains(&format!("[env: {var}")))
            });
            assert!(
                flag.is_some() || after.contains(&var),
                "{name}: {key} has no flag naming {var} and the help does not list it"
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        6 * (config::PROFILE_KEYS.len() - secret_keys.len())
    );
    // `profiles add` takes every key, the secret's as `--client-secret-*`.
    let add = root
        .find_subcommand("profiles")
        .and_then(|p| p.find_subcommand("add"))
        .expect("profiles add");
    for key in config::PROFILE_KEYS {
        let long = match *key {
            "client_secret" => "client-secret-stdin".to_string(),
            "params" => "param".to_string(),
            "headers" => "header".to_string(),
            "assertion_claims" => "assertion-claim".to_string(),
            other => other.replace('_', "-"),
        };
        assert!(
            add.get_arguments()
                .any(|arg| arg.get_long() == Some(long.as_str())),
            "profiles add has no --{long} for {key}"
        );
    }
}

/// What clap makes of `words`, as the fast path would have to: the same `Cli`, or an error.
fn clap_reads(words: &[&str]) -> Option<String> {
    Cli::try_parse_from(std::iter::once("oauthctl").chain(words.iter().copied()))
        .ok()
        .map(|cli| format!("{cli:?}"))
}

fn fast_reads(words: &[&str]) -> Option<String> {
    let args: Vec<std::ffi::OsString> = words.iter().map(Into::into).collect();
    parse_fetch_fast(&args).map(|cli| format!("{cli:?}"))
}

#[test]
fn the_fast_path_reads_the_common_fetch_lines_as_clap_does() {
    for words in [
        &["fetch"][..],
        &["fetch", "-p", "watson"],
        &["-p", "watson", "fetch"],
        &["--profile", "w", "fetch", "-o", "exec-credential"],
        &["-o", "json", "fetch", "--profile", "fetch"],
        &["fetch", "-c", "/etc/oauthctl.toml", "-v", "-o", "header"],
        &[
            "--verbose",
            "--config",
            "c.toml",
            "fetch",
            "--output",
            "env",
        ],
        &["-p", "k8s", "fetch", "--id-token", "-o", "exec-credential"],
        &["fetch", "--id-token"],
    ] {
        let fast = fast_reads(words);
        assert!(fast.is_some(), "{words:?} should take the fast path");
        assert_eq!(fast, clap_reads(words), "{words:?}");
    }
    // Lines it leaves to clap, whatever clap makes of them.
    for words in [
        &[][..],
        &["fetch", "--no-cache"],
        &["fetch", "--profile=w"],
        &["fetch", "-pw"],
        &["fetch", "-p"],
        &["fetch", "-p", "a", "-p", "b"],
        &["fetch", "-p", "-v"],
        &["fetch", "-o", "JSON"],
        &["fetch", "-o", "yaml"],
        &["fetch", "fetch"],
        &["inspect"],
        &["fetch", "--"],
        &["fetch", "-p", ""],
        &["--help"],
        &["fetch", "--dry-run"],
        &["--id-token", "fetch"],
        &["fetch", "--id-token", "--id-token"],
        &["fetch", "--id-token=true"],
    ] {
        assert_eq!(fast_reads(words), None, "{words:?}");
    }
}

proptest::proptest! {
    /// Whatever line of these words the fast path takes, clap reads it the same way.
    #[test]
    fn whatever_the_fast_path_takes_clap_reads_the_same(
        words in proptest::collection::vec(
            proptest::sample::select(vec![
                "fetch", "-p", "--profile", "w", "fetch", "-o", "--output", "json", "text",
                "exec-credential", "-c", "--config", "c.toml", "-v", "--verbose", "--force",
                "-x", "--", "-pw", "--profile=w", "", "--id-token",
            ]),
            0..8,
        )
    ) {
        if let Some(fast) = fast_reads(&words) {
            proptest::prop_assert_eq!(Some(fast), clap_reads(&words), "{:?}", words);
        }
    }
}

#[test]
fn every_shell_gets_a_script_that_calls_back_the_plain_name() {
    for shell in <clap_complete::Shell as ValueEnum>::value_variants() {
        let script = completion_script(*shell).expect("a registration script");
        assert!(script.contains(COMPLETE_VAR), "{shell}: {script}");
        assert!(
            script.replace('"', "").contains("oauthctl -- "),
            "{shell} does not call `oauthctl --`: {script}"
        );
        assert!(
            !script.contains("/oauthctl"),
            "{shell} names a path: {script}"
        );
    }
    let zsh = completion_script(clap_complete::Shell::Zsh).unwrap();
    assert!(zsh.starts_with("#compdef oauthctl\n"), "{zsh}");
    assert!(
        zsh.contains("_clap_dynamic_completer_oauthctl \"$@\""),
        "{zsh}"
    );
}

#[test]
fn keyword_flags_accept_exactly_the_config_keywords() {
    let parsed = Cli::try_parse_from(["oauthctl", "fetch", "--auth-method", "post"]).unwrap();
    let Command::Fetch(args) = parsed.command else {
        panic!("not fetch");
    };
    assert_eq!(args.overrides.auth_method, Some(AuthMethod::Post));
    let err = Cli::try_parse_from(["oauthctl", "fetch", "--grant-params", "header"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    let mut cmd = Cli::command();
    cmd.build();
    let fetch = cmd.find_subcommand("fetch").unwrap();
    for (id, names) in [
        ("auth_method", AuthMethod::NAMES),
        ("basic_encoding", BasicEncoding::NAMES),
        ("grant_params", GrantParams::NAMES),
    ] {
        let arg = fetch.get_arguments().find(|a| a.get_id() == id).unwrap();
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(values, names, "{id}");
    }
}

#[test]
fn an_output_format_that_is_not_utf8_is_an_invalid_value_with_the_possible_ones() {
    use std::os::unix::ffi::OsStrExt;
    let value = std::ffi::OsStr::from_bytes(b"js\xffon");
    let args = [
        OsStr::new("oauthctl"),
        OsStr::new("-o"),
        value,
        OsStr::new("fetch"),
    ];
    let err = Cli::try_parse_from(args).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    let text = err.to_string();
    assert!(
        text.contains("possible values: text, json, header, env, exec-credential")
            && text.contains("a similar value exists: 'json'"),
        "{text}"
    );
}
