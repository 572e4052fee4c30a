//! Shell completions: the committed scripts are current, and dynamic completion offers profile
//! names from the config file, driven through a real bash.

use crate::support::common::manifest_dir;
use crate::support::common::{Env, stderr_of, stdout_of};

// ---------------------------------------------------------------- completions

const SHELL_FILES: [(&str, &str); 5] = [
    ("bash", "oauthctl.bash"),
    ("zsh", "_oauthctl"),
    ("fish", "oauthctl.fish"),
    ("powershell", "_oauthctl.ps1"),
    ("elvish", "oauthctl.elv"),
];

/// The committed scripts under completions/ must be what the binary generates now. Regenerate with
/// `OAUTHCTL_UPDATE_COMPLETIONS=1 cargo test --test it completions`.
#[test]
fn committed_completions_are_up_to_date() {
    let env = Env::new();
    let dir = manifest_dir().join("completions");
    let update = std::env::var_os("OAUTHCTL_UPDATE_COMPLETIONS").is_some();
    for (shell, file) in SHELL_FILES {
        let generated = stdout_of(&env.cmd().args(["completions", shell]).assert().success());
        // The scripts call back the plain name on PATH, with our own variable set.
        assert!(
            generated.contains("_OAUTHCTL_COMPLETE") && generated.contains("oauthctl"),
            "{shell}: {generated}"
        );
        assert!(
            !generated.contains(env!("CARGO_MANIFEST_DIR")) && !generated.contains("/target/"),
            "{shell} script names the build directory: {generated}"
        );
        let path = dir.join(file);
        if update {
            std::fs::write(&path, &generated).unwrap();
            // The comparison below is then of the file with itself: say so, so that a run with
            // the variable left set is not mistaken for a check.
            eprintln!(
                "OAUTHCTL_UPDATE_COMPLETIONS is set: regenerated {} (not checked for staleness)",
                path.display()
            );
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "completions/{file} is stale: run `OAUTHCTL_UPDATE_COMPLETIONS=1 cargo test --test it completions` and commit it"
        );
    }
}

const PROFILES: &str = "default_profile = \"watson\"\n\n\
    [profiles.watson]\ntoken_url = \"https://api.watsonwork.ibm.com/oauth/token\"\nclient_id = \"app\"\n\n\
    [profiles.web]\ntoken_url = \"https://login.example.com/oauth2/token\"\nclient_id = \"web\"\n\n\
    [profiles.ci-deploy]\ntoken_url = \"https://login.example.com/oauth2/token\"\nclient_id = \"ci\"\n";

/// What the binary answers to the bash script's call for `words`, completing word `index`
/// (newline-separated here; the script itself uses \v), as stdout and stderr.
fn complete(env: &Env, words: &[&str], index: usize) -> (Vec<String>, String) {
    let assert = env
        .cmd()
        .env("_OAUTHCTL_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", index.to_string())
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let candidates = stdout.lines().map(str::to_string).collect();
    (candidates, stderr_of(&assert))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn completion_offers_profile_names_from_the_config_file() {
    let env = Env::new();
    env.write_config(PROFILES);
    // BTreeMap order: the config's profiles, sorted, nothing marked.
    let all = strings(&["ci-deploy", "watson", "web"]);
    assert_eq!(complete(&env, &["oauthctl", "-p", ""], 2).0, all);
    assert_eq!(
        complete(&env, &["oauthctl", "--profile", "w"], 2).0,
        strings(&["watson", "web"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "fetch", "-p", "wa"], 3).0,
        strings(&["watson"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "--profile=c"], 1).0,
        strings(&["--profile=ci-deploy"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "profiles", "show", "we"], 3).0,
        strings(&["web"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "profiles", "remove", "c"], 3).0,
        strings(&["ci-deploy"])
    );
    // An empty word after `profiles show` offers the names first, then the flags.
    let (after_show, stderr) = complete(&env, &["oauthctl", "profiles", "show", ""], 3);
    assert_eq!(after_show[..3], all[..], "{after_show:?}");
    assert!(
        after_show.contains(&"--profile".to_string()),
        "{after_show:?}"
    );
    assert_eq!(stderr, "");
    // `profiles add` names a new profile: nothing to offer from the file.
    assert!(
        complete(&env, &["oauthctl", "profiles", "add", "w"], 3)
            .0
            .is_empty()
    );

    // OAUTHCTL_CONFIG is honoured, as in a real run.
    let other = env.home.path().join("other.toml");
    std::fs::write(
        &other,
        "[profiles.staging]\ntoken_url = \"https://idp.example/t\"\n",
    )
    .unwrap();
    let assert = env
        .cmd()
        .env("OAUTHCTL_CONFIG", &other)
        .env("_OAUTHCTL_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .args(["--", "oauthctl", "-p", ""])
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "staging");
}

#[test]
fn completion_still_offers_subcommands_flags_and_values() {
    let env = Env::new();
    let (top, _) = complete(&env, &["oauthctl", ""], 1);
    for expected in [
        "fetch",
        "exchange-code",
        "inspect",
        "profiles",
        "cache",
        "completions",
    ] {
        assert!(
            top.contains(&expected.to_string()),
            "{expected} not in {top:?}"
        );
    }
    assert!(top.contains(&"--profile".to_string()), "{top:?}");
    assert_eq!(
        complete(&env, &["oauthctl", "profiles", "s"], 2).0,
        strings(&["show"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "fetch", "--tok"], 2).0,
        strings(&["--token-url"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "-o", "j"], 2).0,
        strings(&["json"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "fetch", "--auth-method", ""], 3).0,
        strings(&[
            "basic",
            "post",
            "none",
            "private_key_jwt",
            "client_secret_jwt",
            "tls_client_auth",
            "self_signed_tls_client_auth",
            "federated_jwt"
        ])
    );
    assert_eq!(
        complete(
            &env,
            &["oauthctl", "exchange-code", "--grant-params", "q"],
            3
        )
        .0,
        strings(&["query"])
    );
    assert_eq!(
        complete(&env, &["oauthctl", "completions", "f"], 2).0,
        strings(&["fish"])
    );
    // Paths still complete where a path is expected.
    std::fs::write(env.home.path().join("ca-bundle.pem"), "").unwrap();
    let assert = env
        .cmd()
        .current_dir(env.home.path())
        .env("_OAUTHCTL_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "3")
        .args(["--", "oauthctl", "fetch", "--ca-file", "ca-"])
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "ca-bundle.pem");
}

/// With no config file, or one that does not parse, there is nothing to offer: no output, no
/// message in the middle of the user's command line, success. Flags still complete.
#[test]
fn completion_with_a_missing_or_broken_config_offers_nothing_quietly() {
    let env = Env::new();
    assert_eq!(
        complete(&env, &["oauthctl", "-p", ""], 2),
        (vec![], String::new())
    );
    env.write_config("[profiles.watson\ntoken_url = ");
    assert_eq!(
        complete(&env, &["oauthctl", "-p", ""], 2),
        (vec![], String::new())
    );
    assert_eq!(
        complete(&env, &["oauthctl", "profiles", "show", "w"], 3),
        (vec![], String::new())
    );
    env.write_config("[profiles.watson]\ntoken_ur = \"https://x\"\n");
    assert_eq!(
        complete(&env, &["oauthctl", "-p", ""], 2),
        (vec![], String::new())
    );
    let assert = env
        .cmd()
        .env("OAUTHCTL_CONFIG", env.home.path().join("missing.toml"))
        .env("_OAUTHCTL_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .args(["--", "oauthctl", "-p", ""])
        .assert()
        .success()
        .stdout("")
        .stderr("");
    drop(assert);
    assert_eq!(
        complete(&env, &["oauthctl", "fetch", "--no-c"], 2),
        (strings(&["--no-cache"]), String::new())
    );
}

/// An empty or `0` variable is an ordinary run, as clap_complete documents.
#[test]
fn an_empty_or_zero_complete_variable_is_an_ordinary_run() {
    let env = Env::new();
    for value in ["", "0"] {
        let out = stdout_of(
            &env.cmd()
                .env("_OAUTHCTL_COMPLETE", value)
                .arg("--version")
                .assert()
                .success(),
        );
        assert!(out.starts_with("oauthctl "), "{out:?}");
    }
}

/// The committed bash script, sourced in a real bash, with the built binary first on PATH as
/// `oauthctl`: it registers for `oauthctl`, and its function fills COMPREPLY with the profile
/// names from the config file, and with flag values.
#[test]
fn committed_bash_script_completes_profile_names_in_bash() {
    let env = Env::new();
    env.write_config(PROFILES);
    let script = manifest_dir().join("completions/oauthctl.bash");
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // $WORDS: the line typed so far; its last word (maybe empty) is completed. `set -u`, as some
    // users have in their interactive shell, must not break the script.
    let driver = r#"
        set -u
        source "$SCRIPT"
        complete -p oauthctl
        read -r -a COMP_WORDS <<< "$WORDS"
        if [[ "$WORDS" == *" " ]]; then COMP_WORDS+=(""); fi
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMP_LINE="$WORDS"
        COMP_POINT=${#COMP_LINE}
        COMP_TYPE=9  # what bash sets for a plain Tab
        prev=""; (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
        _clap_complete_oauthctl oauthctl "${COMP_WORDS[COMP_CWORD]}" "$prev"
        printf 'reply:%s\n' "${COMPREPLY[@]}"
    "#;
    let run = |words: &str| -> Vec<String> {
        let assert = env
            .hermetic(assert_cmd::Command::new("bash"))
            .args(["--noprofile", "--norc", "-c", driver])
            .env("PATH", &path)
            .env("SCRIPT", &script)
            .env("WORDS", words)
            .assert()
            .success()
            .stderr("");
        let out = stdout_of(&assert);
        assert!(
            out.starts_with("complete ") && out.lines().next().unwrap().ends_with(" oauthctl"),
            "the script did not register for oauthctl: {out}"
        );
        out.lines()
            .filter_map(|l| l.strip_prefix("reply:"))
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()
    };
    assert_eq!(
        run("oauthctl -p "),
        strings(&["ci-deploy", "watson", "web"])
    );
    assert_eq!(
        run("oauthctl fetch --profile w"),
        strings(&["watson", "web"])
    );
    assert_eq!(run("oauthctl profiles show wat"), strings(&["watson"]));
    assert_eq!(run("oauthctl profiles remove ci"), strings(&["ci-deploy"]));
    assert_eq!(
        run("oauthctl fetch --auth-method p"),
        strings(&["post", "private_key_jwt"])
    );
    assert_eq!(run("oauthctl exch"), strings(&["exchange-code"]));
    let flags = run("oauthctl fetch --");
    assert!(
        flags.contains(&"--no-cache".to_string()) && flags.contains(&"--dry-run".to_string()),
        "{flags:?}"
    );
}
