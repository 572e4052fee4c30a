//! Terminal manners (DESIGN §4): colour only where it belongs, an `inspect` view that is easy to
//! scan (aligned claims, UTC and local times, one status line), a progress note for slow
//! requests on a terminal's stderr only, and git's credential helper signing a user in there.
//!
//! Pipes are what assert_cmd gives; terminals are real pseudo-terminals from `openpty`, put
//! in raw mode so that the bytes read from the master side are exactly the bytes written.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::app::{fetch, profile};
use crate::support::common::{Env, jwt, now, stderr_of, stdout_of, token_reply};
use crate::support::server::{Reply, StubServer};

const ESC: char = '\x1b';
/// How the progress note is erased: back to column 0, clear to the end of the line.
const ERASE: &str = "\r\x1b[K";
/// Comfortably past the note's one quiet second.
const SLOW: Duration = Duration::from_millis(1600);

/// `env.cmd()` without the colour settings of whoever runs the tests.
fn cmd(env: &Env) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color");
    cmd
}

fn escape_free(what: &str, text: &str) {
    assert!(!text.contains(ESC), "escape codes in {what}: {text:?}");
}

/// `text` without our SGR sequences (`ESC [ … m`).
fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == ESC {
            assert_eq!(chars.next(), Some('['), "not a CSI sequence in {text:?}");
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
                assert!(
                    c.is_ascii_digit() || c == ';',
                    "not an SGR sequence in {text:?}"
                );
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn sample_token() -> String {
    let t = now();
    jwt(json!({
        "iss": "https://idp.example",
        "sub": "ci",
        "a_long_claim_name": true,
        "iat": t - 10,
        "exp": t + 3 * 3600 + 30,
    }))
}

fn inspect_text(env: &Env, token: &str, vars: &[(&str, &str)]) -> String {
    let assert = cmd(env)
        .args(["inspect", token])
        .envs(vars.iter().copied())
        .assert()
        .success();
    assert_eq!(stderr_of(&assert), "");
    stdout_of(&assert)
}

/// A token endpoint that answers each request after `delay`.
fn slow_server(delay: Duration, reply: Reply) -> StubServer {
    StubServer::start(move |_| {
        thread::sleep(delay);
        reply.clone()
    })
}

// ---------------------------------------------------------------- pseudo-terminals

/// A pseudo-terminal pair in raw mode (no `\n` → `\r\n`, no echo).
struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
}

fn pty() -> Pty {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the ints; the name, termios and winsize
    // arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened, and nothing else owns them.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    for fd in [&master, &slave] {
        // openpty does not set close-on-exec: without it, a child spawned by a test running in
        // parallel would keep our slave open, and the master would never see the end.
        // SAFETY: F_SETFD on a descriptor we own.
        assert_ne!(
            unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) },
            -1
        );
    }
    let mut termios = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: tcgetattr fills `termios` on success (checked), cfmakeraw and tcsetattr only
    // read and write that struct and the descriptor we own.
    unsafe {
        assert_eq!(libc::tcgetattr(slave.as_raw_fd(), termios.as_mut_ptr()), 0);
        let mut termios = termios.assume_init();
        libc::cfmakeraw(&mut termios);
        assert_eq!(
            libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &termios),
            0
        );
    }
    Pty { master, slave }
}

/// Everything written to the terminal until the child is gone.
fn read_terminal(master: OwnedFd, child_done: Arc<AtomicBool>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let fd = master.as_raw_fd();
        let mut file = File::from(master);
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let mut poll = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut poll, 1, 50) };
            if ready == 0 {
                // Nothing pending: once the child has exited, all it wrote has been read.
                if child_done.load(Ordering::SeqCst) {
                    break;
                }
                continue;
            }
            match file.read(&mut buf) {
                Ok(0) | Err(_) => break, // EIO: every slave end is closed
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        seen
    })
}

fn read_pipe(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut out).expect("read the child's pipe");
        }
        out
    })
}

struct Run {
    status: ExitStatus,
    /// What the child wrote to the terminal.
    terminal: String,
    /// The piped streams (empty when on the terminal).
    stdout: String,
    stderr: String,
}

#[derive(Clone, Copy, PartialEq)]
enum OnTerminal {
    Stdout,
    Stderr,
}

/// Runs `cmd` (its program, arguments and environment) with one stream on a pseudo-terminal and
/// the other piped, stdin empty.
fn run_on_terminal(cmd: &assert_cmd::Command, on: OnTerminal) -> Run {
    run_on_terminal_with_input(cmd, on, Stdio::null())
}

/// `run_on_terminal` with `stdin` as the child's input.
fn run_on_terminal_with_input(cmd: &assert_cmd::Command, on: OnTerminal, stdin: Stdio) -> Run {
    let mut command = std::process::Command::new(cmd.get_program());
    command.args(cmd.get_args());
    for (name, value) in cmd.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let pty = pty();
    let terminal = || Stdio::from(pty.slave.try_clone().expect("dup the pty slave"));
    command.stdin(stdin);
    if on == OnTerminal::Stdout {
        command.stdout(terminal()).stderr(Stdio::piped());
    } else {
        command.stdout(Stdio::piped()).stderr(terminal());
    }
    let mut child = command.spawn().expect("spawn oauthctl");
    // The child holds the only slave ends now.
    drop(command);
    drop(pty.slave);
    let done = Arc::new(AtomicBool::new(false));
    let seen = read_terminal(pty.master, done.clone());
    let stdout = read_pipe(child.stdout.take());
    let stderr = read_pipe(child.stderr.take());
    let status = wait(&mut child, Duration::from_secs(30));
    done.store(true, Ordering::SeqCst);
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    Run {
        status,
        terminal: text(seen.join().unwrap()),
        stdout: text(stdout.join().unwrap()),
        stderr: text(stderr.join().unwrap()),
    }
}

fn wait(child: &mut Child, limit: Duration) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for oauthctl") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("oauthctl did not finish within {limit:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------- colour

#[test]
fn colour_is_off_in_a_pipe_by_default() {
    let env = Env::new();
    escape_free("inspect", &inspect_text(&env, &sample_token(), &[]));
    let error = cmd(&env).args(["inspect", "opaque"]).assert().code(5);
    escape_free("an error", &stderr_of(&error));
    assert!(stderr_of(&error).starts_with("oauthctl: error: "));
}

#[test]
fn clicolor_force_turns_colour_on_in_a_pipe() {
    let env = Env::new();
    let forced = [("CLICOLOR_FORCE", "1")];
    let text = inspect_text(&env, &sample_token(), &forced);
    assert!(text.starts_with("\x1b[1mHeader\x1b[0m\n"), "{text}");
    assert!(text.contains("  \x1b[1msub\x1b[0m"), "claim names: {text}");
    assert!(
        text.contains("\x1b[1;32mStatus     valid for 3h (until "),
        "{text}"
    );
    assert!(
        text.contains("\x1b[33mSignature  UNVERIFIED: decoded only;"),
        "{text}"
    );
    let expired = inspect_text(&env, &jwt(json!({"exp": now() - 60})), &forced);
    assert!(
        expired.contains("\x1b[1;31mStatus     EXPIRED 1m ago"),
        "{expired}"
    );

    let error = cmd(&env)
        .args(["inspect", "opaque"])
        .envs(forced)
        .assert()
        .code(5);
    assert!(
        stderr_of(&error).starts_with("\x1b[1;31moauthctl: error:\x1b[0m not a JWT"),
        "{:?}",
        stderr_of(&error)
    );

    env.write_config(
        "default_profile = \"b\"\n[profiles.a]\ntoken_url = \"https://a.example/t\"\n[profiles.b]\ntoken_url = \"https://b.example/t\"\n",
    );
    let list = stdout_of(
        &cmd(&env)
            .args(["profiles", "list"])
            .envs(forced)
            .assert()
            .success(),
    );
    assert_eq!(
        list, "  a  https://a.example/t\n\x1b[1;32m*\x1b[0m \x1b[1mb\x1b[0m  https://b.example/t\n",
        "the default marker is coloured, and the columns still line up"
    );
}

#[test]
fn no_color_and_dumb_terminals_win_over_what_the_stream_is() {
    let env = Env::new();
    let token = sample_token();
    for vars in [
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")][..],
        &[("CLICOLOR_FORCE", "0")],
        &[("CLICOLOR_FORCE", "")],
    ] {
        escape_free(
            &format!("inspect with {vars:?}"),
            &inspect_text(&env, &token, vars),
        );
        let error = cmd(&env)
            .args(["inspect", "opaque"])
            .envs(vars.iter().copied())
            .assert()
            .code(5);
        escape_free(&format!("an error with {vars:?}"), &stderr_of(&error));
    }
    // On a real terminal: colour by default, none with NO_COLOR or TERM=dumb.
    let on_terminal = |vars: &[(&str, &str)]| {
        let mut inspect = cmd(&env);
        inspect.args(["inspect", &token]).envs(vars.iter().copied());
        let run = run_on_terminal(&inspect, OnTerminal::Stdout);
        assert!(run.status.success(), "{}", run.stderr);
        run.terminal
    };
    assert!(on_terminal(&[]).contains(ESC));
    escape_free("NO_COLOR on a terminal", &on_terminal(&[("NO_COLOR", "1")]));
    escape_free("TERM=dumb", &on_terminal(&[("TERM", "dumb")]));
}

#[test]
fn inspect_on_a_terminal_is_in_colour_without_being_forced() {
    let env = Env::new();
    let token = sample_token();
    let mut inspect = cmd(&env);
    inspect.args(["inspect", &token]);
    // The views say "10s ago": one taken before and one after the terminal's, so that a second
    // passing between two runs cannot fail the comparison.
    let before = inspect_text(&env, &token, &[]);
    let run = run_on_terminal(&inspect, OnTerminal::Stdout);
    let after = inspect_text(&env, &token, &[]);
    assert!(run.status.success());
    assert!(
        run.terminal.starts_with("\x1b[1mHeader\x1b[0m\n"),
        "{:?}",
        run.terminal
    );
    assert!(run.terminal.contains("\x1b[1;32mStatus     valid for 3h"));
    // The same view as in a pipe, once the colour is taken away.
    let plain = strip_sgr(&run.terminal);
    assert!(
        plain == before || plain == after,
        "{plain:?} is neither {before:?} nor {after:?}"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn machine_outputs_never_carry_escapes_even_when_forced() {
    let token = sample_token();
    let server = StubServer::start({
        let reply = token_reply(&token);
        move |_| reply.clone()
    });
    let env = Env::new();
    profile(&env, &server.url("/oauth/token?tenant=t1"), "");
    let forced = [("CLICOLOR_FORCE", "1"), ("TERM", "xterm-256color")];
    for format in ["text", "json", "header", "env", "exec-credential"] {
        let assert = fetch(cmd(&env), &["--no-cache"])
            .args(["-o", format])
            .envs(forced)
            .assert()
            .success();
        escape_free(&format!("fetch -o {format}"), &stdout_of(&assert));
        escape_free(&format!("fetch -o {format} (stderr)"), &stderr_of(&assert));
    }
    let plain = fetch(cmd(&env), &["--no-cache"])
        .envs(forced)
        .assert()
        .success();
    assert_eq!(stdout_of(&plain), format!("{token}\n"));
    for args in [
        &["-o", "json", "inspect", &token][..],
        &["-o", "json", "profiles", "list"],
        &["-o", "json", "profiles", "show", "app"],
    ] {
        let assert = cmd(&env).args(args).envs(forced).assert().success();
        escape_free(&format!("{args:?}"), &stdout_of(&assert));
    }
    let error = cmd(&env)
        .args(["-o", "json", "inspect", "opaque"])
        .envs(forced)
        .assert()
        .code(5);
    escape_free("a JSON error", &stderr_of(&error));
    // And on a terminal, unforced.
    let mut on_terminal = fetch(cmd(&env), &["--no-cache"]);
    on_terminal.args(["-o", "json"]);
    let run = run_on_terminal(&on_terminal, OnTerminal::Stdout);
    assert!(run.status.success());
    escape_free("fetch -o json on a terminal", &run.terminal);
}

#[test]
fn columns_align_by_visible_width() {
    let env = Env::new();
    let token = sample_token();
    let plain = inspect_text(&env, &token, &[]);
    let coloured = inspect_text(&env, &token, &[("CLICOLOR_FORCE", "1")]);
    assert_ne!(plain, coloured);
    assert_eq!(strip_sgr(&coloured), plain, "colour must not move anything");
    // Every claim's value starts in the same column: after the longest name and two spaces.
    let claims: Vec<&str> = plain
        .lines()
        .skip_while(|l| *l != "Claims")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(claims.len(), 5, "{plain}");
    let column = "  a_long_claim_name  ".len();
    for line in &claims {
        let (name, value) = line.split_at(column);
        assert!(name.ends_with("  ") && !value.starts_with(' '), "{line:?}");
    }
    assert!(plain.contains("  sub                ci\n"), "{plain}");
}

// ---------------------------------------------------------------- times

/// 2100-01-01T00:00:00Z, far enough ahead that "in 73y …" stays put while the test runs.
const Y2100: i64 = 4_102_444_800;

#[test]
fn times_show_local_time_with_its_offset_when_the_zone_is_not_utc() {
    let env = Env::new();
    let token = jwt(json!({"sub": "u", "auth_time": Y2100 - 60, "exp": Y2100}));
    let text = inspect_text(&env, &token, &[("TZ", "XST-2")]);
    assert!(
        text.contains(
            "  exp        4102444800  2100-01-01T00:00:00Z  2100-01-01T02:00:00+02:00  (in "
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  auth_time  4102444740  2099-12-31T23:59:00Z  2100-01-01T01:59:00+02:00  (in "
        ),
        "auth_time is a time too: {text}"
    );
    let west = inspect_text(&env, &token, &[("TZ", "XST+9:30")]);
    assert!(west.contains("2099-12-31T14:30:00-09:30  (in "), "{west}");
}

#[test]
fn utc_shows_no_duplicate_local_column() {
    let env = Env::new();
    let token = jwt(json!({"iat": Y2100 - 3600, "exp": Y2100}));
    let text = inspect_text(&env, &token, &[("TZ", "UTC0")]);
    assert!(
        text.contains("  exp  4102444800  2100-01-01T00:00:00Z  (in "),
        "{text}"
    );
    assert!(
        text.contains("  iat  4102441200  2099-12-31T23:00:00Z  (in "),
        "{text}"
    );
    assert!(!text.contains("+00:00"), "{text}");
}

#[test]
fn the_status_line_says_how_long_the_token_is_valid_or_since_when_not() {
    let env = Env::new();
    let t = now();
    let until = oauthctl::timefmt::rfc3339;
    let cases = [
        (
            json!({"exp": t + 3 * 3600 + 30}),
            format!(
                "Status     valid for 3h (until {})",
                until(t + 3 * 3600 + 30)
            ),
        ),
        (
            json!({"exp": t - 3 * 3600 - 30}),
            format!(
                "Status     EXPIRED 3h ago (at {})",
                until(t - 3 * 3600 - 30)
            ),
        ),
        (
            json!({"nbf": t + 3 * 3600 + 30, "exp": t + 5 * 3600}),
            format!(
                "Status     NOT YET VALID: valid from {} (in 3h)",
                until(t + 3 * 3600 + 30)
            ),
        ),
        (
            json!({"sub": "forever"}),
            "Status     valid (no exp claim: it never expires by itself)".to_string(),
        ),
        (
            json!({"exp": "soon"}),
            "Status     UNKNOWN validity: ".to_string(),
        ),
    ];
    for (claims, status) in cases {
        let text = inspect_text(&env, &jwt(claims.clone()), &[]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[lines.len() - 2].starts_with(&status),
            "{claims}: expected {status:?} in\n{text}"
        );
        assert!(lines[lines.len() - 1].starts_with("Signature  UNVERIFIED"));
    }
}

// ---------------------------------------------------------------- progress note

#[test]
fn a_slow_request_shows_a_note_on_a_terminal_and_erases_it() {
    let server = slow_server(SLOW, token_reply("tok-slow"));
    let env = Env::new();
    profile(&env, &server.url("/oauth/token?tenant=t1"), "");
    let run = run_on_terminal(&fetch(cmd(&env), &["--no-cache"]), OnTerminal::Stderr);
    assert!(run.status.success(), "{:?}", run.terminal);
    assert_eq!(run.stdout, "tok-slow\n", "stdout holds just the token");
    let note = &run.terminal;
    let host = server.addr().ip().to_string();
    assert!(
        note.starts_with(&format!("\r⠋ waiting for {host}… 1s\x1b[K")),
        "{note:?}"
    );
    assert!(note.contains('⠙'), "redrawn: {note:?}");
    assert!(note.ends_with(ERASE), "erased at the end: {note:?}");
    for private in ["/oauth/token", "tenant", "the-client-secret", "app"] {
        assert!(!note.contains(private), "{private} in {note:?}");
    }
}

#[test]
fn a_slow_request_shows_nothing_in_a_pipe() {
    let server = slow_server(SLOW, token_reply("tok-slow"));
    let env = Env::new();
    profile(&env, &server.url("/oauth/token?tenant=t1"), "");
    let started = Instant::now();
    let assert = fetch(cmd(&env), &["--no-cache"]).assert().success();
    assert!(started.elapsed() >= SLOW, "the reply was not slow");
    assert_eq!(stdout_of(&assert), "tok-slow\n");
    assert_eq!(stderr_of(&assert), "", "a CI log stays clean");
}

#[test]
fn a_fast_request_shows_no_note() {
    let reply = token_reply("tok-fast");
    let server = StubServer::start(move |_| reply.clone());
    let env = Env::new();
    profile(&env, &server.url("/oauth/token?tenant=t1"), "");
    let run = run_on_terminal(&fetch(cmd(&env), &["--no-cache"]), OnTerminal::Stderr);
    assert!(run.status.success());
    assert_eq!(run.stdout, "tok-fast\n");
    assert_eq!(run.terminal, "");
}

#[test]
fn verbose_runs_trace_instead() {
    let server = slow_server(SLOW, token_reply("tok-slow"));
    let env = Env::new();
    profile(&env, &server.url("/oauth/token?tenant=t1"), "");
    let mut verbose = fetch(cmd(&env), &["--no-cache"]);
    verbose.arg("-v");
    let run = run_on_terminal(&verbose, OnTerminal::Stderr);
    assert!(run.status.success());
    assert!(
        run.terminal.contains("oauthctl: > POST"),
        "{:?}",
        run.terminal
    );
    assert!(!run.terminal.contains("waiting for"), "{:?}", run.terminal);
    assert!(!run.terminal.contains(ERASE), "{:?}", run.terminal);
}

#[test]
fn an_error_after_a_slow_request_starts_on_a_clean_line() {
    let refusal = Reply::json(
        401,
        r#"{"error":"invalid_client","error_description":"unknown client"}"#,
    );
    let server = slow_server(SLOW, refusal);
    let env = Env::new();
    profile(&env, &server.url("/oauth/token?tenant=t1"), "");
    let run = run_on_terminal(&fetch(cmd(&env), &["--no-cache"]), OnTerminal::Stderr);
    assert_eq!(run.status.code(), Some(3));
    assert_eq!(run.stdout, "");
    let (note, rest) = run
        .terminal
        .rsplit_once(ERASE)
        .unwrap_or_else(|| panic!("the note was never erased: {:?}", run.terminal));
    assert!(note.contains("waiting for"), "{:?}", run.terminal);
    assert!(
        rest.starts_with("\x1b[1;31moauthctl: error:\x1b[0m ") && rest.ends_with('\n'),
        "the error comes right after the erase: {rest:?}"
    );
    assert!(rest.contains("invalid_client"), "{rest:?}");
    assert!(
        !rest.contains('\r') && !rest.contains("waiting"),
        "{rest:?}"
    );
}

#[test]
fn one_note_lasts_across_retries_and_says_so() {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = StubServer::start({
        let count = count.clone();
        move |_| {
            thread::sleep(Duration::from_millis(1200));
            if count.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::json(503, r#"{"error":"temporarily_unavailable"}"#)
            } else {
                token_reply("tok-retried")
            }
        }
    });
    let env = Env::new();
    profile(
        &env,
        &server.url("/oauth/token?tenant=t1"),
        "retries = 1\nretry_max_secs = 0",
    );
    let run = run_on_terminal(&fetch(cmd(&env), &["--no-cache"]), OnTerminal::Stderr);
    assert!(run.status.success(), "{:?}", run.terminal);
    assert_eq!(run.stdout, "tok-retried\n");
    assert!(
        run.terminal.contains("s, retrying (2/2)\x1b[K"),
        "{:?}",
        run.terminal
    );
    assert_eq!(
        run.terminal.matches(ERASE).count(),
        1,
        "one note, erased once: {:?}",
        run.terminal
    );
    assert!(run.terminal.ends_with(ERASE));
}

// ---------------------------------------------------------------- credential helpers

/// DESIGN §13: git's helper for a user profile with no usable refresh token signs the user in
/// first when a terminal is there (here the device flow, on stderr, which is git's user's
/// terminal), then answers git on stdout, which holds nothing but the answer.
#[test]
fn git_credential_signs_a_user_in_on_the_terminal_then_answers_git() {
    let server = StubServer::start(|r| match r.path.as_str() {
        "/device" => Reply::json(
            200,
            &json!({
                "device_code": "DEVICE-CODE-SECRET",
                "user_code": "WDJB-MJHT",
                "verification_uri": "https://idp.example/device",
                "expires_in": 600,
                "interval": 0,
            })
            .to_string(),
        ),
        _ => Reply::json(
            200,
            r#"{"access_token":"at-git","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-git"}"#,
        ),
    });
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.forge]\ngrant = \"device_code\"\ndevice_authorization_url = \"{}\"\ntoken_url = \"{}\"\nclient_id = \"git-app\"\nauth_method = \"none\"\ncredential_url = \"https://git.example.com\"\n",
        server.url("/device"),
        server.url("/token")
    ));
    let request = env.home.path().join("git-request");
    std::fs::write(&request, "protocol=https\nhost=git.example.com\n\n").unwrap();
    let mut git = cmd(&env);
    git.args(["git-credential", "get"]);
    let run = run_on_terminal_with_input(
        &git,
        OnTerminal::Stderr,
        Stdio::from(File::open(&request).unwrap()),
    );
    assert!(run.status.success(), "{}", run.terminal);
    assert!(run.terminal.contains("WDJB-MJHT"), "{}", run.terminal);
    assert!(!run.terminal.contains("at-git"), "{}", run.terminal);
    let expiry = run
        .stdout
        .strip_prefix("username=oauth2\npassword=at-git\npassword_expiry_utc=")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("not git's answer: {:?}", run.stdout));
    let expiry: i64 = expiry.parse().expect("password_expiry_utc in Unix seconds");
    assert!((expiry - now() - 3600).abs() < 60, "{expiry}");
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/device", "/token"]);
}
