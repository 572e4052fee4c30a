//! Shell completion: the scripts under `completions/` call `oauthctl` back with
//! `_OAUTHCTL_COMPLETE=<shell>` set, and clap_complete's engine answers from the `Cli` definition,
//! so profile names can come from the config file (`complete_profile_name`).

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;

use super::Cli;
use crate::config::{self, Config};

/// The env var that turns a run into a completion request. Namespaced, unlike clap_complete's
/// default `COMPLETE`, so that a variable meant for another program never changes what we do.
pub const COMPLETE_VAR: &str = "_OAUTHCTL_COMPLETE";

/// The command the scripts call back: a plain name found on PATH, so that the committed scripts
/// do not depend on where the binary was built or installed.
const COMPLETER: &str = "oauthctl";

/// Answers a completion request when `COMPLETE_VAR` is set (to anything but empty or `0`):
/// `Ok(true)` means clap_complete has written the candidates to stdout (`main` flushes it) and the
/// run is over. Callers check the variable first, so that an ordinary run does not build the clap
/// `Command` twice.
pub fn complete_from_env() -> clap::error::Result<bool> {
    let current_dir = std::env::current_dir().ok();
    let completed = clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .try_complete(std::env::args_os(), current_dir.as_deref())?;
    Ok(completed)
}

/// What `oauthctl completions SHELL` prints: clap_complete's registration script, which sends
/// every Tab back to `oauthctl`. `None` for a shell clap_complete has no such script for.
pub fn completion_script(shell: clap_complete::Shell) -> Option<String> {
    let shells = clap_complete::env::Shells::builtins();
    let registration = shells.completer(&shell.to_string())?;
    let mut script = Vec::new();
    registration
        .write_registration(COMPLETE_VAR, COMPLETER, COMPLETER, COMPLETER, &mut script)
        .ok()?;
    let mut script = String::from_utf8(script).ok()?;
    if shell == clap_complete::Shell::Zsh {
        // Installed as `_oauthctl` in $fpath, this file is the body of an autoloaded function that
        // zsh runs on the first Tab: the script only registers its completer, so without this line
        // that first Tab would offer nothing. Sourced instead, `funcstack[1]` is not `_oauthctl`.
        script.push_str(
            "if [[ \"${funcstack[1]}\" == _oauthctl ]]; then\n    _clap_dynamic_completer_oauthctl \"$@\"\nfi\n",
        );
    }
    Some(script)
}

/// Profile names from the config file, for `-p`, `profiles show` and `profiles remove`.
///
/// The file is found as a run finds it, except that `--config` on the line being completed is not
/// visible here: `OAUTHCTL_CONFIG` if set, else the default path. Only the file is read (no
/// secret source, no network). On any problem (no file, bad TOML) there is nothing to offer and
/// nothing is printed: a message would land in the middle of the user's command line.
pub(super) fn complete_profile_name(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(prefix) = current.to_str() else {
        return Vec::new();
    };
    let explicit = std::env::var_os("OAUTHCTL_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let names = config::locate(explicit.as_deref())
        .and_then(|path| Config::load(&path, explicit.is_some()))
        .map(|config| config.file.profiles.into_keys().collect::<Vec<_>>())
        .unwrap_or_default();
    names
        .into_iter()
        .filter(|name| name.starts_with(prefix))
        .map(CompletionCandidate::new)
        .collect()
}
