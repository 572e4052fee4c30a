//! A progress note on stderr while a slow request is in flight: after a second without an
//! answer, `⠋ waiting for idp.example.com… 2s` redrawn in place, and erased when the request
//! ends, before anything else is written to stderr.
//!
//! Only when stderr is a terminal that can redraw a line (not `TERM=dumb`) and `-v` is off (the
//! trace already says what is happening): a pipe or a CI log never gets a byte of it. `NO_COLOR`
//! does not turn it off; it is not colour. The note names the host only, never a path or a query,
//! which may carry secrets.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ureq::http::Uri;

use crate::untrusted::printable;

/// Requests answered sooner than this show nothing.
const QUIET_FOR: Duration = Duration::from_secs(1);
/// About ten redraws a second.
const FRAME: Duration = Duration::from_millis(100);
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/// Back to the start of the line, and clear it (ECMA-48 EL).
const ERASE: &str = "\r\x1b[K";

enum Event {
    Retrying { attempt: u32, of: u32 },
}

/// While alive, a request is in flight. Dropping it erases the note (if one was shown) and
/// returns only once the line is clean.
pub struct Progress {
    running: Option<(Sender<Event>, JoinHandle<()>)>,
}

impl Progress {
    /// Starts watching a request to `url`; with `verbose` on, or stderr not a terminal, does
    /// nothing at all (no thread either).
    pub fn for_request(url: &str, verbose: bool) -> Progress {
        let dumb = crate::style::term_is_dumb(|name| std::env::var_os(name));
        if verbose || dumb || !std::io::stderr().is_terminal() {
            return Progress { running: None };
        }
        let host = url
            .parse::<Uri>()
            .ok()
            .and_then(|uri| uri.host().map(|host| printable(host, 80)))
            .unwrap_or_else(|| "the server".to_string());
        let (events, inbox) = mpsc::channel();
        // Without a thread there is no note, and nothing else changes.
        let running = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || show(&host, &inbox))
            .ok()
            .map(|thread| (events, thread));
        Progress { running }
    }

    /// The request is being sent again: attempt `attempt` of `of`.
    pub fn retrying(&self, attempt: u32, of: u32) {
        if let Some((events, _)) = &self.running {
            let _ = events.send(Event::Retrying { attempt, of });
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((events, thread)) = self.running.take() {
            // Hanging up is the stop signal; joining waits for the erase.
            drop(events);
            let _ = thread.join();
        }
    }
}

/// The thread: quiet for `QUIET_FOR`, then a frame every `FRAME` until the sender hangs up.
fn show(host: &str, inbox: &Receiver<Event>) {
    let started = Instant::now();
    let mut retry = None;
    let mut frames = 0usize;
    loop {
        let wait = if frames == 0 {
            QUIET_FOR.saturating_sub(started.elapsed())
        } else {
            FRAME
        };
        match inbox.recv_timeout(wait) {
            Ok(Event::Retrying { attempt, of }) => retry = Some((attempt, of)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if started.elapsed() < QUIET_FOR {
            continue;
        }
        let retrying = retry
            .map(|(attempt, of)| format!(", retrying ({attempt}/{of})"))
            .unwrap_or_default();
        write(&format!(
            "\r{} waiting for {host}… {}{retrying}\x1b[K",
            SPINNER[frames % SPINNER.len()],
            crate::timefmt::span(started.elapsed().as_secs())
        ));
        frames += 1;
    }
    if frames > 0 {
        write(ERASE);
    }
}

fn write(text: &str) {
    let mut stderr = std::io::stderr().lock();
    // A terminal that went away is no reason to fail the request.
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_runs_start_no_thread() {
        assert!(
            Progress::for_request("https://idp.example/t", true)
                .running
                .is_none()
        );
    }

    #[test]
    fn a_stopped_note_returns_at_once() {
        // Whatever stderr is here, dropping must not wait for the quiet second to pass.
        let started = Instant::now();
        let progress = Progress::for_request("https://idp.example/t?secret=x", false);
        progress.retrying(2, 3);
        drop(progress);
        assert!(started.elapsed() < QUIET_FOR);
    }
}
