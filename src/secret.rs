//! Client secrets: where they come from (DESIGN §3) and a type that never prints them.
//!
//! A `Secret` has no `Display` and a redacted `Debug`, so it cannot reach output, traces or panic
//! messages by accident; `expose()` is the one door, used only to build the request.

use std::fmt;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Env var that overrides any profile's secret for one run.
pub const OVERRIDE_ENV: &str = "OAUTHCTL_CLIENT_SECRET";
/// The most a secret file or command may produce (SECURITY 3).
pub(crate) const MAX_SECRET_BYTES: usize = 64 * 1024;
/// How long `client_secret_command` may run when no deadline is given (`read`); a token command
/// gives it the profile's `timeout_secs` instead (`read_within`, SECURITY 3).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One place a client secret can come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `client_secret = "…"` in the config file.
    Literal(Secret),
    /// `client_secret_env = "VAR"` / `--client-secret-env VAR`.
    Env(String),
    /// `client_secret_file = "path"` / `--client-secret-file` / `OAUTHCTL_CLIENT_SECRET_FILE`.
    File(PathBuf),
    /// `client_secret_command = ["argv", …]`, run without a shell.
    Command(Vec<String>),
    /// `OAUTHCTL_CLIENT_SECRET`, the value itself.
    OverrideEnv(Secret),
    /// `--client-secret-stdin`.
    Stdin,
}

impl SecretSource {
    /// A description safe to show: where the secret comes from, never its value.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Literal(_) => "client_secret in the config file".into(),
            SecretSource::Env(var) => {
                let state = if std::env::var_os(var).is_some() {
                    "set"
                } else {
                    "NOT SET"
                };
                format!("env var {var} ({state})")
            }
            SecretSource::File(path) => format!("file {}", path.display()),
            SecretSource::Command(argv) => {
                format!(
                    "command {}",
                    argv.first().map(String::as_str).unwrap_or("?")
                )
            }
            SecretSource::OverrideEnv(_) => format!("env var {OVERRIDE_ENV}"),
            SecretSource::Stdin => "standard input (--client-secret-stdin)".into(),
        }
    }

    /// Whether reading it changes nothing and asks nobody: a literal, an env var or a file, but
    /// not a command or standard input (DESIGN §7: such a secret is fingerprinted for the cache
    /// key; the others are only described, so that a cache hit runs and reads nothing).
    pub fn is_side_effect_free(&self) -> bool {
        match self {
            SecretSource::Literal(_)
            | SecretSource::Env(_)
            | SecretSource::File(_)
            | SecretSource::OverrideEnv(_) => true,
            SecretSource::Command(_) | SecretSource::Stdin => false,
        }
    }

    /// What stands for the secret in the cache key when it is not read: the source itself, never
    /// a value (`is_side_effect_free` sources are fingerprinted instead).
    pub fn identity(&self) -> String {
        match self {
            SecretSource::Command(argv) => {
                format!("command {}", serde_json::Value::from(argv.clone()))
            }
            SecretSource::Stdin => "standard input".into(),
            SecretSource::Env(var) => format!("env var {var}"),
            SecretSource::File(path) => format!("file {}", path.display()),
            SecretSource::Literal(_) => "client_secret in the config file".into(),
            SecretSource::OverrideEnv(_) => format!("env var {OVERRIDE_ENV}"),
        }
    }

    /// Reads the secret, giving a `client_secret_command` 30 s. Errors name the source, never
    /// its content.
    pub fn read(&self) -> Result<Secret> {
        self.read_within(COMMAND_TIMEOUT)
    }

    /// Reads the secret, giving a `client_secret_command` at most `timeout` (the profile's
    /// `timeout_secs`: a fetch that must end within its deadline cannot wait longer for its secret).
    pub fn read_within(&self, timeout: Duration) -> Result<Secret> {
        let value = match self {
            SecretSource::Literal(s) | SecretSource::OverrideEnv(s) => s.expose().to_owned(),
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(v) => v,
                Err(std::env::VarError::NotPresent) => {
                    return Err(Error::Config(format!(
                        "client secret: env var {var} is not set (it is named by client_secret_env)"
                    )));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Error::Config(format!(
                        "client secret: env var {var} is not valid UTF-8"
                    )));
                }
            },
            SecretSource::File(path) => read_secret_file(path)?,
            SecretSource::Command(argv) => {
                run_secret_command(argv, timeout, "client_secret_command")?
            }
            SecretSource::Stdin => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .take(MAX_SECRET_BYTES as u64 + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| {
                        Error::Config(format!("client secret: cannot read standard input: {e}"))
                    })?;
                bytes_to_secret(buf, "standard input")?
            }
        };
        if value.is_empty() {
            return Err(Error::Config(format!(
                "client secret from {} is empty",
                self.describe()
            )));
        }
        Ok(Secret(value))
    }
}

/// Asks on the terminal when there is one; otherwise fails at once with a hint (SECURITY 5).
pub fn prompt(profile: &str) -> Result<Secret> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Config(format!(
            "no client secret for {profile} and no terminal to ask on: set {OVERRIDE_ENV}, \
             use --client-secret-stdin, or give the profile client_secret_env / client_secret_file / client_secret_command"
        )));
    }
    // rpassword reads the terminal device (/dev/tty) with echo off, never a piped stdin.
    let value = rpassword::prompt_password(format!("Client secret for {profile}: "))
        .map_err(|e| Error::Config(format!("client secret: cannot read from the terminal: {e}")))?;
    if value.is_empty() {
        return Err(Error::Config("client secret: nothing was entered".into()));
    }
    Ok(Secret(value))
}

fn read_secret_file(path: &Path) -> Result<String> {
    // One byte over the cap, so that `bytes_to_secret` reports the size.
    let buf = crate::files::read_capped(path, MAX_SECRET_BYTES as u64 + 1).map_err(|e| {
        Error::Config(format!(
            "cannot read client_secret_file `{}`: {e}",
            path.display()
        ))
    })?;
    bytes_to_secret(buf, &format!("client_secret_file `{}`", path.display()))
}

/// Runs `client_secret_command` with no shell, no inherited `OAUTHCTL_CLIENT_SECRET`, a timeout and
/// an output cap (SECURITY 3, 6). Its output is never echoed, even on failure.
/// `key` is the profile key that names the command (`client_secret_command`,
/// `private_key_command`), for messages.
pub(crate) fn run_secret_command(argv: &[String], timeout: Duration, key: &str) -> Result<String> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::Config(format!("{key} is empty")));
    };
    let what = format!("{key} `{program}`");
    let timed_out = || {
        Error::Config(format!(
            "{what} did not finish within {}s",
            timeout.as_secs()
        ))
    };
    let mut child = secret_command(program, args)
        .spawn()
        .map_err(|e| Error::Config(format!("cannot run {what}: {e}")))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    // The read runs beside the wait: a command that forks a child holding the pipe open must not
    // outlive the deadline either.
    let (sender, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let result = (&mut stdout)
            .take(MAX_SECRET_BYTES as u64 + 1)
            .read_to_end(&mut buf);
        let _ = sender.send(result.map(|_| buf));
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(timed_out());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(Error::Config(format!("cannot wait for {what}: {e}"))),
        }
    };
    let output = output
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .map_err(|_| timed_out())?
        .map_err(|e| Error::Config(format!("cannot read the output of {what}: {e}")))?;
    // Checked before the status: a command cut off at the cap dies of SIGPIPE.
    if output.len() > MAX_SECRET_BYTES {
        return Err(Error::Config(format!("{what} printed more than 64 KiB")));
    }
    if !status.success() {
        return Err(Error::Config(format!(
            "{what} failed ({status}); its output is not shown, as it may hold the secret: run the command yourself to see why"
        )));
    }
    bytes_to_secret(output, &what)
}

/// The command with none of oauthctl's own `OAUTHCTL_*` variables.
fn secret_command(program: &str, args: &[String]) -> Command {
    let mut command = child_command(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // Not inherited either: a failing command may well print what it read (SECURITY 3), and
        // only the user running it by hand should see that.
        .stderr(Stdio::null());
    command
}

/// Any program oauthctl starts (a secret command, a browser), with none of oauthctl's own
/// `OAUTHCTL_*` variables: they can hold the client secret or a PKCE verifier (SECURITY 6), and
/// a browser lives on, with its environment readable in /proc and passed to all it starts.
pub fn child_command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env_remove(OVERRIDE_ENV);
    for (name, _) in std::env::vars_os() {
        if name.as_encoded_bytes().starts_with(b"OAUTHCTL_") {
            command.env_remove(name);
        }
    }
    command
}

/// One trailing line ending is not part of the secret (files and commands end lines with one).
fn bytes_to_secret(mut buf: Vec<u8>, what: &str) -> Result<String> {
    if buf.len() > MAX_SECRET_BYTES {
        return Err(Error::Config(format!(
            "client secret from {what} is larger than 64 KiB"
        )));
    }
    if buf.ends_with(b"\n") {
        buf.pop();
        if buf.ends_with(b"\r") {
            buf.pop();
        }
    }
    String::from_utf8(buf)
        .map_err(|_| Error::Config(format!("client secret from {what} is not valid UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let src = SecretSource::Literal(s);
        assert!(!format!("{src:?}").contains("hunter2"));
        assert!(!src.describe().contains("hunter2"));
    }

    #[test]
    fn one_trailing_newline_is_stripped() {
        assert_eq!(bytes_to_secret(b"abc\n".to_vec(), "t").unwrap(), "abc");
        assert_eq!(bytes_to_secret(b"abc\r\n".to_vec(), "t").unwrap(), "abc");
        assert_eq!(bytes_to_secret(b"abc\n\n".to_vec(), "t").unwrap(), "abc\n");
        assert_eq!(bytes_to_secret(b" a b ".to_vec(), "t").unwrap(), " a b ");
        assert!(bytes_to_secret(vec![0xff], "t").is_err());
        assert!(bytes_to_secret(vec![b'a'; MAX_SECRET_BYTES + 1], "t").is_err());
    }

    #[test]
    fn command_output_is_the_secret_and_failures_do_not_echo() {
        let argv = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let ok = SecretSource::Command(argv(&["printf", "s3cr3t\\n"]))
            .read()
            .unwrap();
        assert_eq!(ok.expose(), "s3cr3t");
        let err = SecretSource::Command(argv(&["sh", "-c", "echo leaked-value; exit 3"]))
            .read()
            .unwrap_err()
            .to_string();
        assert!(err.contains("failed"), "{err}");
        assert!(!err.contains("leaked-value"), "{err}");
        let big =
            SecretSource::Command(argv(&["sh", "-c", "head -c 70000 /dev/zero | tr '\\0' a"]))
                .read()
                .unwrap_err()
                .to_string();
        assert!(big.contains("more than 64 KiB"), "{big}");
        let started = Instant::now();
        let missing = SecretSource::Command(argv(&["/nonexistent/oauthctl-test"]))
            .read()
            .unwrap_err();
        assert!(matches!(missing, Error::Config(_)));
        assert!(started.elapsed() < COMMAND_TIMEOUT);
    }

    #[test]
    fn command_does_not_inherit_the_override_variable() {
        let command = secret_command("pass", &["show".into()]);
        let removed = command
            .get_envs()
            .any(|(k, v)| k == OVERRIDE_ENV && v.is_none());
        assert!(removed, "the child must not inherit {OVERRIDE_ENV}");
    }
}
