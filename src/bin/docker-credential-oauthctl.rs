//! `docker-credential-oauthctl`: the name docker looks for on PATH when a config names
//! `"credsStore": "oauthctl"` or `"credHelpers": {"REGISTRY": "oauthctl"}`. It is
//! `oauthctl docker-credential`, run from the same directory (where `cargo install` puts both),
//! with stdin, stdout and stderr handed over as they are, and its exit code passed on.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let Some(oauthctl) = std::env::current_exe()
        .ok()
        .and_then(|me| me.parent().map(|dir| dir.join("oauthctl")))
        .filter(|path| path.is_file())
    else {
        eprintln!(
            "docker-credential-oauthctl: error: oauthctl is not installed beside this program; install both with `cargo install --path .`"
        );
        return ExitCode::from(78);
    };
    match Command::new(&oauthctl)
        .arg("docker-credential")
        .args(std::env::args_os().skip(1))
        .status()
    {
        Ok(status) => ExitCode::from(status.code().map_or(1, |code| code as u8)),
        Err(e) => {
            eprintln!(
                "docker-credential-oauthctl: error: cannot run `{}`: {e}",
                oauthctl.display()
            );
            ExitCode::from(78)
        }
    }
}
