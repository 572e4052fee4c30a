//! oauthctl: get OAuth 2.0 access tokens from the command line and see what is in them.
//!
//! `main` parses the command line, runs one command (`run::execute`), writes its rendered output
//! in one piece and maps the outcome to an exit code (DESIGN §5). A broken pipe is success; a panic is exit 1 with
//! no payload printed (it could hold server data).
//!
//! The process starts at the C `main` below rather than through std's runtime: see `start.rs`.

#![no_main]

use oauthctl::{cli, error, output, run, start};
use std::io::{IsTerminal, Write};

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, OutputFormat};
use error::{Error, Exit};

/// The process entry point, called by the C runtime (see `start.rs`).
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start::init();
    guarded_run() as libc::c_int
}

/// `run`, with a panic reported as exit 1 and no payload printed.
fn guarded_run() -> Exit {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("oauthctl: error: internal error{place}; this is a bug, please report it");
    }));
    std::panic::catch_unwind(run).unwrap_or(Exit::Internal)
}

fn run() -> Exit {
    // A Tab in a shell with our completion script loaded: answer and stop. Otherwise this costs
    // one env lookup; the clap Command is built only when the variable is set.
    if std::env::var_os(cli::COMPLETE_VAR).is_some() {
        match cli::complete_from_env() {
            Ok(true) => {
                // The last candidate has no newline after it, and with `#![no_main]` (start.rs)
                // nothing flushes stdout's line buffer at exit: do it here, or it is lost.
                return flushed(std::io::stdout().flush());
            }
            Ok(false) => {}
            Err(e) => {
                let _ = e.print();
                return Exit::Usage;
            }
        }
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let cli = match cli::parse_fetch_fast(&args) {
        Some(cli) => cli,
        None => match parse_with_clap() {
            Ok(cli) => cli,
            Err(exit) => return exit,
        },
    };
    run_cli(cli)
}

/// The command line, read by clap; `Err` is the exit code after clap has spoken (help, version,
/// a usage error).
fn parse_with_clap() -> Result<Cli, Exit> {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            // --help and --version come here too, with exit code 0.
            let code = e.exit_code();
            let _ = e.print();
            return Err(if code == 0 {
                Exit::Success
            } else {
                Exit::Usage
            });
        }
    };
    Cli::from_arg_matches(&matches).map_err(|e| {
        let _ = e.print();
        Exit::Usage
    })
}

fn run_cli(cli: Cli) -> Exit {
    let finished = run::execute(cli, std::sync::Arc::new(Stderr::new()));
    match finished.result {
        Ok(screened) => {
            for note in [finished.warning.as_deref(), screened.note()]
                .into_iter()
                .flatten()
            {
                eprintln!("oauthctl: {note}");
            }
            match write_stdout(&screened) {
                Exit::Success if screened.failed() => Exit::HELPER_NOT_FOUND,
                exit => exit,
            }
        }
        Err(e) => fail(finished.format, &e, finished.warning),
    }
}

/// The run's sink: what a command shows while it works (trace lines, login's instructions, the
/// progress note) goes to stderr at once. Lines come escaped already.
struct Stderr {
    /// A terminal that can redraw a line in place (not `TERM=dumb`).
    redraws: bool,
}

impl Stderr {
    fn new() -> Stderr {
        let dumb = oauthctl::style::term_is_dumb(|name| std::env::var_os(name));
        Stderr {
            redraws: !dumb && std::io::stderr().is_terminal(),
        }
    }
}

impl oauthctl::sink::Sink for Stderr {
    fn line(&self, text: &str) {
        eprintln!("{text}");
    }

    fn redraws(&self) -> bool {
        self.redraws
    }

    fn redraw(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        // A terminal that went away is no reason to fail the request.
        let _ = stderr
            .write_all(text.as_bytes())
            .and_then(|()| stderr.flush());
    }
}

/// Reports a failure on stderr: the run's warning first (in text only: with `-o json`, stderr
/// is one JSON object), then the error.
fn fail(format: OutputFormat, error: &Error, warning: Option<String>) -> Exit {
    if let Some(warning) = warning.filter(|_| format != OutputFormat::Json) {
        eprintln!("oauthctl: {warning}");
    }
    let _ = std::io::stderr().write_all(output::error(format, error).as_bytes());
    error.exit()
}

/// Writes all of stdout at once.
fn write_stdout(screened: &output::Screened) -> Exit {
    let mut out = std::io::stdout().lock();
    flushed(
        out.write_all(screened.stdout().as_bytes())
            .and_then(|()| out.flush()),
    )
}

/// The exit code after writing stdout. A reader that went away (`| head`) is not an error
/// (DESIGN §4).
fn flushed(written: std::io::Result<()>) -> Exit {
    match written {
        Ok(()) => Exit::Success,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success,
        Err(e) => {
            eprintln!("oauthctl: error: cannot write to stdout: {e}");
            Exit::Internal
        }
    }
}
