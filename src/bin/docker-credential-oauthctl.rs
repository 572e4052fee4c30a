//! `docker-credential-oauthctl`: the name docker looks for on PATH when a config names
//! `"credsStore": "oauthctl"` or `"credHelpers": {"REGISTRY": "oauthctl"}`. It is
//! `oauthctl docker-credential`, run from the same directory (where `cargo install` puts both),
//! with stdin, stdout and stderr handed over as they are, and its exit code passed on.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let name = format!("oauthctl{}", std::env::consts::EXE_SUFFIX);
    let Some(oauthctl) = std::env::current_exe()
        .ok()
        .and_then(|me| me.parent().map(|dir| dir.join(&name)))
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
        Ok(status) => ExitCode::from(exit_code(&status)),
        Err(e) => {
            eprintln!(
                "docker-credential-oauthctl: error: cannot run `{}`: {e}",
                oauthctl.display()
            );
            ExitCode::from(78)
        }
    }
}

/// oauthctl's exit code; killed by a signal, 128 and the signal's number as a shell says it (never
/// 1, which is docker's "not found").
fn exit_code(status: &std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    255
}
