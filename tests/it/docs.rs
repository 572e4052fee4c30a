//! What the user reads and types: help that ends with examples that run, flags that name the env
//! vars the program really reads, `--version`, and the committed man pages (the completion
//! scripts and dynamic completion are cli/completions.rs). And what a maintainer reads: every rule
//! and section a comment cites exists in docs/security.md and docs/design.md, and every file and
//! test those name exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use clap::CommandFactory;
use clap_mangen::roff::{Roff, roman};
use oauthctl::cli::Cli;
use oauthctl::config::Config;
use oauthctl::resolve::{ProfileLayer, env_var_for, resolve};

use crate::support::common::manifest_dir;
use crate::support::common::{Env, stdout_of};

/// The whole command tree, built (subcommands use `defer = true`, so their arguments exist only
/// after `build`), without clap's own `help` subcommand.
fn built_cli() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Every command with the subcommand names that lead to it (`[]` for the top level).
fn all_commands(cmd: &clap::Command) -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        out.push((path.clone(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            let mut path = path.clone();
            path.push(sub.get_name().to_string());
            walk(sub, path, out);
        }
    }
    let mut out = Vec::new();
    walk(cmd, Vec::new(), &mut out);
    out
}

fn display(path: &[String]) -> String {
    std::iter::once("oauthctl")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `Heading:` blocks of a command's after-help text, in order: (heading, lines without the
/// block's two-space indent).
fn help_blocks(cmd: &clap::Command) -> Vec<(String, Vec<String>)> {
    let text = cmd
        .get_after_help()
        .map(ToString::to_string)
        .unwrap_or_default();
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut lines = block.lines();
            let heading = lines.next().unwrap_or_default();
            let heading = heading.strip_suffix(':').unwrap_or_else(|| {
                panic!("after-help block does not start with `Heading:`: {block:?}")
            });
            let lines = lines.map(|l| l.strip_prefix("  ").unwrap_or(l).to_string());
            (heading.to_string(), lines.collect())
        })
        .collect()
}

// ---------------------------------------------------------------- help and examples

/// The command's examples, each as its physical lines (a long one goes on after ` \`).
fn examples(cmd: &clap::Command) -> Vec<Vec<String>> {
    let lines = help_blocks(cmd)
        .into_iter()
        .find(|(heading, _)| heading == "Examples")
        .map(|(_, lines)| lines)
        .unwrap_or_default();
    let mut examples: Vec<Vec<String>> = Vec::new();
    let mut continued = false;
    for line in lines {
        if continued {
            examples.last_mut().unwrap().push(line.clone());
        } else {
            examples.push(vec![line.clone()]);
        }
        continued = line.ends_with('\\');
    }
    examples
}

/// One example as the shell reads it: continuation lines joined.
fn joined(example: &[String]) -> String {
    example
        .iter()
        .map(|l| l.trim().trim_end_matches('\\').trim_end())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every command's help, short and long, ends with an Examples block of 2 to 4 lines.
#[test]
fn every_command_help_ends_with_two_to_four_examples() {
    let commands = all_commands(&built_cli());
    assert!(
        commands.len() >= 12,
        "the walk found only {} commands",
        commands.len()
    );
    // Each command says what it does in its own words (a flattened struct's doc comment once
    // replaced the description of fetch, exchange-code and inspect alike).
    let abouts: BTreeSet<String> = commands
        .iter()
        .map(|(path, cmd)| {
            cmd.get_about()
                .map(ToString::to_string)
                .unwrap_or_else(|| panic!("`{}` has no description", display(path)))
        })
        .collect();
    assert_eq!(
        abouts.len(),
        commands.len(),
        "commands share a description: {abouts:#?}"
    );
    for (path, mut cmd) in commands {
        let name = display(&path);
        let blocks = help_blocks(&cmd);
        let Some((heading, lines)) = blocks.last() else {
            panic!("`{name} --help` has no examples");
        };
        assert_eq!(
            heading, "Examples",
            "`{name} --help` must end with its examples"
        );
        let examples = examples(&cmd);
        assert!(
            (2..=4).contains(&examples.len()),
            "`{name} --help` has {} examples, want 2 to 4: {examples:?}",
            examples.len()
        );
        // clap re-wraps longer lines without their indentation, which breaks copy and paste.
        for (_, lines) in &blocks {
            for line in lines {
                assert!(
                    line.chars().count() + 2 <= 80,
                    "`{name} --help` line wider than 80 columns: {line}"
                );
            }
        }
        let last = lines.last().unwrap();
        for help in [
            cmd.render_help().to_string(),
            cmd.render_long_help().to_string(),
        ] {
            assert!(
                help.trim_end().ends_with(last.as_str()),
                "`{name}` help does not end with its examples:\n{help}"
            );
        }
    }
}

/// The examples run as written: every line holds an `oauthctl` invocation, each one parses with
/// the real clap definition, each command's examples use that command, and none puts a secret
/// (a token or an authorization code) in argv.
#[test]
fn every_example_parses_and_keeps_secrets_out_of_argv() {
    for (path, cmd) in all_commands(&built_cli()) {
        let name = display(&path);
        let examples: Vec<String> = examples(&cmd).iter().map(|e| joined(e)).collect();
        let mut uses_this_command = false;
        for line in &examples {
            let invocations = oauthctl_invocations(line);
            assert!(
                !invocations.is_empty(),
                "`{name}` example runs no oauthctl: {line}"
            );
            for argv in invocations {
                let matches = Cli::command()
                    .try_get_matches_from(&argv)
                    .unwrap_or_else(|e| panic!("`{name}` example does not parse: {line}\n{e}"));
                let mut invoked = Vec::new();
                let mut at = &matches;
                while let Some((sub, sub_matches)) = at.subcommand() {
                    invoked.push(sub.to_string());
                    at = sub_matches;
                }
                uses_this_command |= invoked.starts_with(&path);
                for word in &argv {
                    assert!(
                        !word.starts_with("eyJ"),
                        "`{name}` example puts a token in argv: {line}"
                    );
                }
                if invoked == ["exchange-code"] {
                    let code = at.get_one::<String>("code").map(String::as_str);
                    assert!(
                        matches!(code, None | Some("-")),
                        "`{name}` example puts an authorization code in argv: {line}"
                    );
                }
            }
        }
        assert!(
            uses_this_command,
            "no example of `{name}` runs `{name}`: {examples:?}"
        );
    }
}

/// The argv of every `oauthctl` command in a line of shell: pipeline stages that start with
/// `oauthctl` (after `VAR=value` assignments), including those inside `$(…)` and `<(…)`.
/// Enough shell for the examples: quotes, substitutions, pipes and redirections.
fn oauthctl_invocations(line: &str) -> Vec<Vec<String>> {
    let mut nested = Vec::new();
    let mut stages: Vec<Vec<String>> = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut skip_next_word = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let end_word = |word: &mut Option<String>, stages: &mut Vec<Vec<String>>, skip: &mut bool| {
        if let Some(w) = word.take() {
            if *skip {
                *skip = false;
            } else {
                stages.last_mut().unwrap().push(w);
            }
        }
    };
    // The text inside `(…)` starting at `open`, and the index after the closing parenthesis.
    let substitution = |open: usize| -> (String, usize) {
        let mut depth = 0;
        let mut quote = None;
        for (j, &c) in chars.iter().enumerate().skip(open) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        return (chars[open + 1..j].iter().collect(), j + 1);
                    }
                }
                _ => {}
            }
        }
        panic!("unbalanced parentheses in example: {line}");
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                end_word(&mut word, &mut stages, &mut skip_next_word);
                i += 1;
            }
            '\'' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .unwrap_or_else(|| panic!("unbalanced ' in example: {line}"));
                let w = word.get_or_insert_with(String::new);
                w.extend(&chars[i + 1..i + 1 + close]);
                i += close + 2;
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                i += 1;
                while chars[i] != '"' {
                    if chars[i] == '\\' {
                        w.push(chars[i + 1]);
                        i += 2;
                    } else if chars[i] == '$' && chars.get(i + 1) == Some(&'(') {
                        let (inner, next) = substitution(i + 1);
                        nested.push(inner);
                        w.push_str("SUBSTITUTED");
                        i = next;
                    } else {
                        w.push(chars[i]);
                        i += 1;
                    }
                }
                i += 1;
            }
            '$' | '<' if chars.get(i + 1) == Some(&'(') => {
                let (inner, next) = substitution(i + 1);
                nested.push(inner);
                word.get_or_insert_with(String::new).push_str("SUBSTITUTED");
                i = next;
            }
            '|' | ';' | '&' => {
                end_word(&mut word, &mut stages, &mut skip_next_word);
                stages.push(Vec::new());
                i += 1;
            }
            '<' | '>' => {
                end_word(&mut word, &mut stages, &mut skip_next_word);
                skip_next_word = true;
                i += 1;
            }
            '\\' => {
                word.get_or_insert_with(String::new).push(chars[i + 1]);
                i += 2;
            }
            c => {
                word.get_or_insert_with(String::new).push(c);
                i += 1;
            }
        }
    }
    end_word(&mut word, &mut stages, &mut skip_next_word);
    let is_assignment = |w: &String| {
        w.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    let mut found: Vec<Vec<String>> = stages
        .into_iter()
        .map(|stage| {
            stage
                .into_iter()
                .skip_while(is_assignment)
                .collect::<Vec<_>>()
        })
        .filter(|stage| stage.first().is_some_and(|w| w == "oauthctl"))
        .collect();
    for inner in nested {
        found.extend(oauthctl_invocations(&inner));
    }
    found
}

#[test]
fn the_example_reader_finds_invocations_in_pipes_substitutions_and_quotes() {
    assert_eq!(
        oauthctl_invocations(
            r#"curl -H "Authorization: Bearer $(oauthctl fetch -p 'a b')" https://x | A=1 oauthctl inspect - < t.jwt"#
        ),
        vec![
            vec!["oauthctl", "inspect", "-"],
            vec!["oauthctl", "fetch", "-p", "a b"],
        ]
    );
    assert!(oauthctl_invocations("curl https://x > out").is_empty());
}

// ---------------------------------------------------------------- env vars and defaults

/// The OAUTHCTL_* variables resolve reads (recorded by running it, so the list cannot drift
/// from the code), and the profile it builds from no input at all: the built-in defaults.
fn resolve_reads() -> (BTreeSet<String>, oauthctl::resolve::Profile) {
    let read = std::cell::RefCell::new(BTreeSet::new());
    let config = Config {
        path: PathBuf::from("/nonexistent/config.toml"),
        exists: false,
        file: Default::default(),
        unsafe_for_secrets: None,
    };
    let profile = resolve(None, &config, ProfileLayer::default(), &|name| {
        read.borrow_mut().insert(name.to_string());
        None
    })
    .expect("a profile resolves from nothing, with defaults");
    let read = read.into_inner();
    assert!(
        read.contains("OAUTHCTL_TOKEN_URL") && read.len() >= 15,
        "resolve should read the OAUTHCTL_* overrides: {read:?}"
    );
    (read, profile)
}

/// Read by main.rs itself, for the global flags.
const GLOBAL_ENV: [(&str, &str); 3] = [
    ("config", "OAUTHCTL_CONFIG"),
    ("profile", "OAUTHCTL_PROFILE"),
    ("output", "OAUTHCTL_OUTPUT"),
];

/// Written by `-o env`, never read: they may appear in help but are not settings.
const OUTPUT_ENV: [&str; 3] = [
    "OAUTHCTL_ACCESS_TOKEN",
    "OAUTHCTL_TOKEN_TYPE",
    "OAUTHCTL_EXPIRES_AT",
];

fn env_names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("OAUTHCTL_") {
        let tail = &rest[at..];
        let len = tail
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_'))
            .map_or(tail.len(), |(n, _)| n);
        if len > "OAUTHCTL_".len() {
            names.insert(tail[..len].to_string());
        }
        rest = &tail[len.max(1)..];
    }
    names
}

/// Each flag's help names exactly the env var the program reads for it (`[env: OAUTHCTL_X]`), and
/// a flag that reads none names none.
#[test]
fn every_flag_names_the_env_var_it_reads_and_no_other() {
    let (read, _) = resolve_reads();
    for (path, cmd) in all_commands(&built_cli()) {
        let name = display(&path);
        // `profiles add` writes config keys; its flags read no environment.
        let writes_config = path == ["profiles", "add"];
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(ToString::to_string)
                .unwrap_or_default();
            let expected = if let Some((_, var)) = GLOBAL_ENV.iter().find(|(g, _)| *g == id) {
                Some(var.to_string())
            } else if let Some(var) = arg.get_env() {
                // Read by clap itself, which prints `[env: …]` on its own.
                Some(var.to_string_lossy().into_owned())
            } else if writes_config {
                None
            } else {
                let var = match id {
                    "client_secret_stdin" => oauthctl::secret::OVERRIDE_ENV.to_string(),
                    "min_ttl" => env_var_for("min_ttl_secs"),
                    id => env_var_for(id),
                };
                read.contains(&var).then_some(var)
            };
            let documented: BTreeSet<String> = help
                .match_indices("[env: ")
                .map(|(at, _)| {
                    env_names_in(&help[at..])
                        .into_iter()
                        .next()
                        .unwrap_or_default()
                })
                .collect();
            match expected {
                Some(var) if arg.get_env().is_some() => {
                    let rendered = cmd.clone().render_long_help().to_string();
                    assert!(
                        rendered.contains(&format!("[env: {var}")),
                        "`{name} --{id}` should show [env: {var}]"
                    );
                }
                Some(var) => assert_eq!(
                    documented,
                    BTreeSet::from([var.clone()]),
                    "`{name}` flag `{id}` reads {var}; its help says: {help:?}"
                ),
                None => assert!(
                    documented.is_empty(),
                    "`{name}` flag `{id}` reads no env var but its help names {documented:?}"
                ),
            }
        }
    }
}

/// Every variable resolve reads is named in the help of each command that resolves a profile,
/// and no help names a variable the program does not read.
#[test]
fn help_names_every_env_var_resolve_reads_and_no_invented_one() {
    let (read, _) = resolve_reads();
    let mut known = read.clone();
    known.extend(GLOBAL_ENV.iter().map(|(_, var)| var.to_string()));
    known.insert(oauthctl::cache::DIR_ENV.to_string());
    known.insert("OAUTHCTL_CODE_VERIFIER".to_string());
    for (path, mut cmd) in all_commands(&built_cli()) {
        let name = display(&path);
        let help = cmd.render_long_help().to_string();
        let mut named = env_names_in(&help);
        for var in OUTPUT_ENV {
            named.remove(var);
        }
        let invented: Vec<_> = named.difference(&known).collect();
        assert!(
            invented.is_empty(),
            "`{name} --help` names {invented:?}, which nothing reads"
        );
        if [
            "fetch",
            "exchange-code",
            "inspect",
            "login",
            "revoke",
            "introspect",
        ]
        .contains(&name.trim_start_matches("oauthctl "))
        {
            let missing: Vec<_> = read.difference(&named).collect();
            assert!(
                missing.is_empty(),
                "`{name} --help` does not mention {missing:?}, which resolve reads"
            );
        }
    }
}

/// `[default: …]` in help is what resolve really falls back to.
#[test]
fn documented_defaults_are_the_built_in_ones() {
    let (_, defaults) = resolve_reads();
    let expected = [
        ("timeout_secs", defaults.timeout_secs.to_string()),
        ("min_ttl", defaults.min_ttl_secs.to_string()),
        ("min_ttl_secs", defaults.min_ttl_secs.to_string()),
        ("retries", defaults.retries.to_string()),
        ("retry_max_secs", defaults.retry_max_secs.to_string()),
        ("auth_method", defaults.auth_method.as_str().to_string()),
        (
            "basic_encoding",
            defaults.basic_encoding.as_str().to_string(),
        ),
        ("grant_params", defaults.grant_params.as_str().to_string()),
        ("grant", defaults.grant.as_str().to_string()),
        ("output", "text".to_string()),
    ];
    let mut checked = 0;
    for (path, cmd) in all_commands(&built_cli()) {
        for arg in cmd.get_arguments() {
            let Some((id, value)) = expected.iter().find(|(id, _)| arg.get_id() == *id) else {
                continue;
            };
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            assert!(
                help.contains(&format!("[default: {value}]")),
                "`{} --{id}` should document [default: {value}]: {help:?}",
                display(&path)
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} flags with defaults were found"
    );
}

// ---------------------------------------------------------------- --version

/// `oauthctl --version` names the version and the target triple the binary was built for.
#[test]
fn version_names_the_target_triple() {
    let env = Env::new();
    for flag in ["--version", "-V"] {
        let out = stdout_of(&env.cmd().arg(flag).assert().success());
        let rest = out
            .strip_prefix(&format!("oauthctl {} (", env!("CARGO_PKG_VERSION")))
            .unwrap_or_else(|| panic!("{out:?}"));
        let triple = rest
            .strip_suffix(")\n")
            .unwrap_or_else(|| panic!("{out:?}"));
        let parts: Vec<&str> = triple.split('-').collect();
        assert!(parts.len() >= 3, "not a target triple: {triple:?}");
        assert_eq!(parts[0], std::env::consts::ARCH, "{triple:?}");
        assert!(triple.contains(std::env::consts::OS), "{triple:?}");
    }
}

// ---------------------------------------------------------------- man pages

/// One page per command (`oauthctl.1`, `oauthctl-fetch.1`, `oauthctl-profiles-add.1`, …): clap's
/// sections, then ENVIRONMENT and EXAMPLES from the help text, kept verbatim (clap_mangen would
/// put them in one filled EXTRA paragraph, running the examples together). Nothing in them
/// depends on the date or the machine: no date, and the version without the target triple.
fn man_pages() -> Vec<(String, String)> {
    let source = format!("oauthctl {}", env!("CARGO_PKG_VERSION"));
    all_commands(&built_cli())
        .into_iter()
        .map(|(path, cmd)| {
            let blocks = help_blocks(&cmd);
            let bare = cmd.clone().after_help(None::<&str>).version(None::<&str>);
            let man = clap_mangen::Man::new(bare).source(&source);
            let mut page = Vec::new();
            man.render(&mut page).expect("render to memory");
            let mut extra = Roff::new();
            for (heading, lines) in blocks {
                extra.control("SH", [heading.to_uppercase().as_str()]);
                if heading == "Examples" {
                    for example in examples(&cmd) {
                        extra.control("PP", []).control("nf", []);
                        for line in example {
                            extra.text([roman(line)]);
                        }
                        extra.control("fi", []);
                    }
                } else {
                    // As in --help: broken for 80 columns already, and names like
                    // OAUTHCTL_RETRY_MAX_SECS must not be hyphenated.
                    extra.control("PP", []).control("nf", []);
                    for line in lines {
                        extra.text([roman(line)]);
                    }
                    extra.control("fi", []);
                }
            }
            if !path.is_empty() {
                extra
                    .control("SH", ["SEE ALSO"])
                    .text([roman("oauthctl(1)")]);
            }
            // Each render starts with the same string definition; the page has it already.
            let extra = extra.render();
            let preamble_end = extra.find(".SH").expect("extra sections");
            let mut page = String::from_utf8(page).expect("UTF-8 page");
            page.push_str(&extra[preamble_end..]);
            (man.get_filename(), page)
        })
        .collect()
}

/// The committed pages under man/ are what the clap definition gives now. Regenerate with
/// `OAUTHCTL_UPDATE_MAN=1 cargo test --test it man_pages`.
#[test]
fn committed_man_pages_are_up_to_date() {
    let dir = manifest_dir().join("man");
    let update = std::env::var_os("OAUTHCTL_UPDATE_MAN").is_some();
    let pages = man_pages();
    let names: BTreeSet<String> = pages.iter().map(|(name, _)| name.clone()).collect();
    for expected in [
        "oauthctl.1",
        "oauthctl-fetch.1",
        "oauthctl-exchange-code.1",
        "oauthctl-profiles-add.1",
        "oauthctl-cache-clear.1",
        "oauthctl-completions.1",
    ] {
        assert!(names.contains(expected), "no {expected} in {names:?}");
    }
    if update {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "1") {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (name, page) in &pages {
            std::fs::write(dir.join(name), page).unwrap();
        }
        // With the pages just rewritten the comparisons below cannot fail: say so, so that a run
        // with the variable left set is not mistaken for a check.
        eprintln!(
            "OAUTHCTL_UPDATE_MAN is set: regenerated {} pages under {} (not checked for staleness)",
            pages.len(),
            dir.display()
        );
    }
    let hint = "run `OAUTHCTL_UPDATE_MAN=1 cargo test --test it man_pages` and commit man/";
    let committed: BTreeSet<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".1"))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        committed, names,
        "man/ has other pages than the commands: {hint}"
    );
    for (name, page) in &pages {
        let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(on_disk == *page, "man/{name} is stale: {hint}");
    }
}

/// The pages are valid roff: groff formats each one without a warning, and the top page shows
/// its examples as written. Needs groff (Debian: `groff-base`, which .ci/run installs): without
/// it the test fails rather than pass without checking anything.
#[test]
fn man_pages_render_without_warnings() {
    match std::process::Command::new("groff")
        .arg("--version")
        .output()
    {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`groff --version` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "cannot run groff ({e}), so the man pages cannot be checked: install it \
             (Debian/Ubuntu: `apt-get install groff-base`; .ci/run does this)"
        ),
    }
    for (name, page) in man_pages() {
        let mut child = std::process::Command::new("groff")
            // -k: read UTF-8 (§, …) through preconv, as man(1) does.
            .args(["-k", "-man", "-Tutf8", "-ww", "-rLL=100n"])
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run groff");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{name}: {stderr}"
        );
        // groff may draw - as ‐ (U+2010) and ' as ’; compare on what a reader would copy.
        let text = String::from_utf8_lossy(&out.stdout)
            .replace(['\u{2010}', '\u{2212}'], "-")
            .replace('\u{2019}', "'");
        let text = strip_overstrike(&text);
        assert!(text.contains("EXAMPLES"), "{name}:\n{text}");
        if name == "oauthctl-fetch.1" {
            assert!(
                text.contains(
                    "oauthctl fetch -p watson -o header | curl -H @- https://api.example.com/orders"
                ),
                "{name}:\n{text}"
            );
            assert!(text.contains("OAUTHCTL_TOKEN_URL"), "{name}:\n{text}");
        }
    }
}

/// groff -Tutf8 marks bold and italic with backspace overstrikes (`x\bx`, `_\bx`).
fn strip_overstrike(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{8}' {
            out.pop();
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------- references to docs/

/// The word that cites a rule of docs/security.md, and the one that cites a section of
/// docs/design.md. Spelled in two pieces so that this file does not cite anything itself.
const RULE_WORD: &str = concat!("SECUR", "ITY");

const SECTION_WORD: &str = concat!("DES", "IGN");

/// Where comments may cite docs/: the trees the code and its tests live in, and the READMEs.
const CITING: &[&str] = &[
    "src",
    "tests",
    "fuzz/fuzz_targets",
    "bench",
    "README.md",
    "fuzz/README.md",
];

/// Every text file at or under `path`, as (path, text), skipping dependencies, build output and
/// hidden directories (`bench/.tools`, `tests/e2e/idp/node_modules`).
fn text_files(path: &Path, out: &mut Vec<(PathBuf, String)>) {
    if path.is_dir() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with('.') || name == "node_modules" || name == "target" {
            return;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            text_files(&entry, out);
        }
    } else if let Ok(text) = std::fs::read_to_string(path) {
        out.push((path.to_path_buf(), text));
    }
}

/// The lines of `text` outside fenced code blocks.
fn prose_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// The leading number of `text` and what follows it.
fn leading_number(text: &str) -> Option<(u32, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    Some((text[..end].parse().ok()?, &text[end..]))
}

/// The rule numbers of docs/security.md: list items `N. …` at the start of a line, under a
/// heading.
fn security_rules(text: &str) -> BTreeSet<u32> {
    let mut headed = false;
    let mut rules = BTreeSet::new();
    for line in prose_lines(text) {
        if line.starts_with('#') {
            headed = true;
        } else if let Some((n, rest)) = leading_number(line).filter(|_| headed)
            && rest.starts_with(". ")
        {
            rules.insert(n);
        }
    }
    rules
}

/// The section numbers of docs/design.md: headings `## §N …` or `## N. …`.
fn design_sections(text: &str) -> BTreeSet<u32> {
    prose_lines(text)
        .filter_map(|line| {
            let title = line.trim_start_matches('#');
            if title.len() == line.len() {
                return None;
            }
            let title = title.trim_start();
            let (n, rest) = leading_number(title.strip_prefix('§').unwrap_or(title))?;
            (rest.is_empty() || rest.starts_with(['.', ' ', ':'])).then_some(n)
        })
        .collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// After a separator in a list of numbers: the gap before the next one, which may cross a line
/// break into the next line of the same comment (`//!`, `///`, `#`, ` * `).
fn skip_gap(text: &str) -> &str {
    let text = text.trim_start_matches([' ', '\t']);
    match text
        .strip_prefix('\n')
        .or_else(|| text.strip_prefix("\r\n"))
    {
        Some(next_line) => next_line.trim_start_matches([' ', '\t', '/', '!', '#', '*']),
        None => text,
    }
}

/// The numbers a citation lists after its word: ` 7`, ` 7–14, 48`, ` 15, 16 and 21`; for a
/// section ` §4`, ` §4, §7`, ` §10–§13` (the first number needs its `§`).
fn cited_numbers(after_word: &str, section: bool) -> Vec<u32> {
    let mut numbers = Vec::new();
    let Some(mut rest) = after_word.strip_prefix(' ') else {
        return numbers;
    };
    if section && !rest.starts_with('§') {
        return numbers;
    }
    let mut range_from = None;
    loop {
        let Some((n, after)) = leading_number(rest.strip_prefix('§').unwrap_or(rest)) else {
            // A separator with no number after it ends the list (`SECURITY 26-style`).
            numbers.extend(range_from);
            break;
        };
        match range_from.take() {
            Some(from) if from <= n => numbers.extend(from..=n),
            Some(from) => numbers.extend([from, n]),
            None => numbers.push(n),
        }
        rest = after;
        if let Some(after) = rest.strip_prefix(['–', '-']) {
            range_from = numbers.pop();
            rest = after;
        } else if let Some(after) = rest.strip_prefix(',') {
            rest = skip_gap(after);
        } else if let Some(after) = rest.strip_prefix(" and ") {
            rest = after;
        } else {
            break;
        }
    }
    numbers
}

/// Every citation of a rule or a section in `text`: (line, the word, the numbers it cites), with
/// no numbers when the word is not followed by any.
fn citations(text: &str) -> Vec<(usize, &'static str, Vec<u32>)> {
    let mut found = Vec::new();
    for word in [RULE_WORD, SECTION_WORD] {
        for (at, _) in text.match_indices(word) {
            let after = &text[at + word.len()..];
            if text[..at].chars().next_back().is_some_and(is_word_char)
                || after.chars().next().is_some_and(is_word_char)
                // The name of a document outside the repository: `outside_documents` says so.
                || after.starts_with(".md")
            {
                continue;
            }
            let line = text[..at].matches('\n').count() + 1;
            found.push((line, word, cited_numbers(after, word == SECTION_WORD)));
        }
    }
    found.sort();
    found
}

/// The comment in `line` of a file like `path`, as far as that kind of file has comments (all of
/// a Markdown file is prose, read as one).
fn comment_in<'a>(path: &Path, line: &'a str) -> Option<&'a str> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("md") => Some(line),
        Some("rs" | "mjs" | "js") => line.find("//").map(|at| &line[at..]),
        Some("sh" | "py" | "toml" | "txt") | None => line.find('#').map(|at| &line[at..]),
        _ => None,
    }
}

/// Whether `comment` points at a tracker entry or a document the repository does not have: an
/// issue by number, or one of the provider documents the stubs were once written from by number.
fn cites_what_is_not_here(comment: &str) -> Option<&'static str> {
    let lower = comment.to_ascii_lowercase();
    let numbered = |word: &str, digits: usize| {
        lower.match_indices(word).any(|(at, _)| {
            let after = &lower[at + word.len()..];
            !lower[..at].chars().next_back().is_some_and(is_word_char)
                && after
                    .as_bytes()
                    .get(..digits)
                    .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
        })
    };
    if numbered("issue ", 1) {
        Some("an issue number: say what the code does instead")
    } else if numbered("seed ", 3) || numbered("seeds ", 3) {
        Some("a numbered seed document: name the provider's documentation instead")
    } else {
        None
    }
}

/// Names of documents that live outside the repository, each in two pieces (see `RULE_WORD`).
const OUTSIDE_DOCUMENTS: &[[&str; 2]] = &[
    ["../", "shared"],
    [concat!("SECUR", "ITY"), ".md"],
    [concat!("DES", "IGN"), ".md"],
    ["STY", "LE.md"],
    ["API-", "NOTES"],
];

/// What is wrong with the references in one file: `path:line: …` each.
fn reference_problems(
    path: &Path,
    text: &str,
    rules: &BTreeSet<u32>,
    sections: &BTreeSet<u32>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (line, word, numbers) in citations(text) {
        let (known, what, doc) = if word == RULE_WORD {
            (rules, "rule ", "docs/security.md")
        } else {
            (sections, "section §", "docs/design.md")
        };
        if numbers.is_empty() {
            problems.push(format!(
                "{}:{line}: `{word}` without a {what}number after it (write `{word} {}7`)",
                path.display(),
                if word == RULE_WORD { "" } else { "§" }
            ));
        }
        for n in numbers.iter().filter(|n| !known.contains(n)) {
            problems.push(format!(
                "{}:{line}: cites {what}{n}, which {doc} does not have",
                path.display()
            ));
        }
    }
    for (index, line) in text.lines().enumerate() {
        for [a, b] in OUTSIDE_DOCUMENTS {
            let name = format!("{a}{b}");
            if line.contains(&name) {
                problems.push(format!(
                    "{}:{}: names `{name}`, which is not in the repository (cite docs/ instead)",
                    path.display(),
                    index + 1
                ));
            }
        }
        if let Some(why) = comment_in(path, line).and_then(cites_what_is_not_here) {
            problems.push(format!("{}:{}: cites {why}", path.display(), index + 1));
        }
    }
    problems
}

/// Every `SECURITY 7`-style citation in the code, tests, fuzz targets, benchmarks and READMEs is
/// a rule of docs/security.md, every `DESIGN §7` a section of docs/design.md, and nothing points
/// at a document or an issue tracker a maintainer will not have.
#[test]
fn every_reference_in_a_comment_resolves_inside_the_repository() {
    let read = |doc: &str| std::fs::read_to_string(manifest_dir().join(doc)).unwrap();
    let rules = security_rules(&read("docs/security.md"));
    let sections = design_sections(&read("docs/design.md"));
    // The documents' own numbering, so that a parse that finds nothing fails here, not in a
    // list of every citation in the code.
    let last_rule = rules.last().copied().unwrap_or(0);
    assert!(
        last_rule >= 48 && rules == (1..=last_rule).collect(),
        "docs/security.md: rules 1 to at least 48, each once, as lines `N. …`; found {rules:?}"
    );
    let last_section = sections.last().copied().unwrap_or(0);
    assert!(
        last_section >= 13 && sections == (1..=last_section).collect(),
        "docs/design.md: sections §1 to at least §13 as headings `## §N. …`; found {sections:?}"
    );
    let mut files = Vec::new();
    for tree in CITING {
        text_files(&manifest_dir().join(tree), &mut files);
    }
    assert!(
        files.len() > 50,
        "the scan found only {} files",
        files.len()
    );
    let problems: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            let path = path.strip_prefix(manifest_dir()).unwrap_or(path);
            reference_problems(path, text, &rules, &sections)
        })
        .collect();
    assert!(
        problems.is_empty(),
        "references that do not resolve inside the repository:\n{}",
        problems.join("\n")
    );
}

/// The reader of citations, on the forms the code uses and the mistakes the scan must catch.
#[test]
fn the_reference_reader_finds_lists_ranges_and_what_does_not_resolve() {
    let numbers = |text: &str| -> Vec<(usize, Vec<u32>)> {
        citations(text)
            .into_iter()
            .map(|(line, _, numbers)| (line, numbers))
            .collect()
    };
    let rule = |text: &str| text.replace("§R", RULE_WORD).replace("§D", SECTION_WORD);
    assert_eq!(numbers(&rule("// (§R 26).")), [(1, vec![26])]);
    assert_eq!(
        numbers(&rule("//! (§R 7–14, 48)")),
        [(1, vec![7, 8, 9, 10, 11, 12, 13, 14, 48])]
    );
    assert_eq!(
        numbers(&rule("x\n//! (§R 11,\n//! 13, 48): more")),
        [(2, vec![11, 13, 48])]
    );
    assert_eq!(
        numbers(&rule("// §D §4, §7 and §10–§12; §R 3 and 6")),
        [(1, vec![4, 7, 10, 11, 12]), (1, vec![3, 6])]
    );
    assert_eq!(numbers(&rule("// §R 26-style")), [(1, vec![26])]);
    assert_eq!(
        numbers(&rule("// §D 4, or §R.")),
        [(1, vec![]), (1, vec![])]
    );
    assert!(numbers(&rule("MY_§R_X §R§D §R.md")).is_empty());

    let rules: BTreeSet<u32> = (1..=48).collect();
    let sections: BTreeSet<u32> = (1..=13).collect();
    let problems = |name: &str, text: &str| {
        reference_problems(Path::new(name), &rule(text), &rules, &sections)
    };
    assert_eq!(
        problems("a.rs", "// §R 48, §D §13\nfn f() {}"),
        [] as [String; 0]
    );
    assert_eq!(
        problems("a.rs", "x\n/// §R 47–49 and §D §14"),
        [
            "a.rs:2: cites section §14, which docs/design.md does not have",
            "a.rs:2: cites rule 49, which docs/security.md does not have",
        ]
    );
    let outside = format!("// see {}{} and {}{}", "../", "shared", RULE_WORD, ".md");
    assert_eq!(problems("a.rs", &outside).len(), 2);
    assert_eq!(problems("a.rs", &format!("// from {} 5", "issue")).len(), 1);
    assert_eq!(problems("a.sh", &format!("# {} 14: x", "Issue")).len(), 1);
    assert_eq!(
        problems("a.md", &format!("When {} 14 was filed", "issue")).len(),
        1
    );
    assert_eq!(
        problems("a.rs", &format!("// (Tencent, {} 002)", "seed")).len(),
        1
    );
    // Not a comment; an issue of another project; a word that ends in "issue".
    assert_eq!(
        problems("a.rs", &format!("let s = \"{} 5\";", "issue")),
        [] as [String; 0]
    );
    assert_eq!(
        problems("a.rs", "// ureq#123, AppAuth-Android#337"),
        [] as [String; 0]
    );
    assert_eq!(
        problems("a.rs", &format!("// re{} 5", "issue")),
        [] as [String; 0]
    );
}

/// Every file and test that docs/security.md and docs/design.md name (`src/cache.rs`,
/// `tests/it/cache/store.rs::twenty_parallel_cold_fetches_send_one_request`) exists, so that the
/// documents cannot point at code that has moved.
#[test]
fn docs_name_files_and_tests_that_exist() {
    let mut problems = Vec::new();
    for doc in ["docs/security.md", "docs/design.md"] {
        let text = std::fs::read_to_string(manifest_dir().join(doc)).unwrap();
        for (index, line) in text.lines().enumerate() {
            for span in line.split('`').skip(1).step_by(2) {
                if !["src/", "tests/", "fuzz/", "bench/", "examples/"]
                    .iter()
                    .any(|tree| span.starts_with(tree))
                {
                    continue;
                }
                let (file, function) = match span.split_once("::") {
                    Some((file, function)) => (file, Some(function)),
                    None => (span, None),
                };
                let path = manifest_dir().join(file);
                let Ok(code) = std::fs::read_to_string(&path) else {
                    if function.is_some() || !path.is_dir() {
                        problems.push(format!("{doc}:{}: no file `{file}`", index + 1));
                    }
                    continue;
                };
                if let Some(function) = function
                    && ![format!("fn {function}("), format!("fn {function}<")]
                        .iter()
                        .any(|f| code.contains(f.as_str()))
                {
                    problems.push(format!(
                        "{doc}:{}: `{file}` has no `fn {function}`",
                        index + 1
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The code a file path is cited for: in "`src/tokens.rs` (`current`, `Cache::key`)", every name
/// in the parentheses after a path is defined in that file (or, for a folder, in one of its
/// files), each `::` part of it. So a rule does not point at a function that has moved away while
/// its old file stays, or that only a comment still mentions.
#[test]
fn docs_name_code_where_it_is() {
    fn code_of(path: &Path) -> Option<String> {
        if path.is_file() {
            return std::fs::read_to_string(path).ok();
        }
        let mut code = String::new();
        for entry in std::fs::read_dir(path).ok()? {
            let entry = entry.ok()?.path();
            code.push_str(&code_of(&entry).unwrap_or_default());
        }
        Some(code)
    }
    // Where `name` is defined in `code`: an item (`fn name`, `struct name`, …), a field or an
    // enum variant (`name:`, `name,`, `name {`, `name(` at the start of a line), or, when the doc
    // writes a call (`max_redirects(0)`), a call. A word in a comment or a string is not enough.
    let defines = |code: &str, name: &str, call: bool| {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        code.match_indices(name).any(|(at, _)| {
            let before = &code[..at];
            let after = &code[at + name.len()..];
            if before.chars().next_back().is_some_and(ident)
                || after.chars().next().is_some_and(ident)
            {
                return false;
            }
            let keyword = before.trim_end_matches(' ');
            let item = [
                "fn",
                "struct",
                "enum",
                "trait",
                "type",
                "const",
                "static",
                "mod",
                "macro_rules!",
            ]
            .iter()
            .any(|k| {
                keyword.ends_with(k)
                    && keyword[..keyword.len() - k.len()]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !ident(c))
                    && keyword.len() < before.len()
            });
            let line_start = before
                .rsplit('\n')
                .next()
                .is_some_and(|indent| indent.trim_start_matches("pub ").trim().is_empty());
            let member = line_start
                && [":", ",", " {", "(", " ="]
                    .iter()
                    .any(|end| after.starts_with(end));
            item || member || (call && after.starts_with('('))
        })
    };
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in ["docs/security.md", "docs/design.md"] {
        let text = std::fs::read_to_string(manifest_dir().join(doc)).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut rest = text.as_str();
        while let Some(start) = rest.find("`src/") {
            let span = &rest[start + 1..];
            let Some(end) = span.find('`') else { break };
            let file = &span[..end];
            rest = &span[end + 1..];
            // The parenthesis right after the path, read up to its own `)` (one inside backticks,
            // as in `max_redirects(0)`, does not close it).
            let Some(inner) = rest.strip_prefix(" (") else {
                continue;
            };
            let mut quoted = false;
            let Some(close) = inner.char_indices().find_map(|(i, c)| match c {
                '`' => {
                    quoted = !quoted;
                    None
                }
                ')' if !quoted => Some(i),
                _ => None,
            }) else {
                continue;
            };
            let Some(code) = code_of(&manifest_dir().join(file)) else {
                continue; // docs_name_files_and_tests_that_exist reports it
            };
            for quoted in inner[..close].split('`').skip(1).step_by(2) {
                let name = quoted.split('(').next().unwrap_or(quoted);
                let call = name.len() < quoted.len();
                if !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                    || name.is_empty()
                {
                    continue;
                }
                checked += 1;
                let parts: Vec<&str> = name.split("::").filter(|p| !p.is_empty()).collect();
                for (i, part) in parts.iter().enumerate() {
                    if !defines(&code, part, call && i + 1 == parts.len()) {
                        problems.push(format!(
                            "{doc}: `{file}` does not define `{part}` (of `{name}`)"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} names checked: is the pattern still right?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
