//! A progress note while a slow request is in flight: after a second without an answer,
//! `⠋ waiting for idp.example.com… 2s` redrawn in place, and erased when the request ends, before
//! anything else is shown.
//!
//! Only when the run's sink can redraw a line (`main`'s: stderr is a terminal, not `TERM=dumb`)
//! and `-v` is off (the trace already says what is happening): a pipe or a CI log never gets a
//! byte of it. `NO_COLOR` does not turn it off; it is not colour. The note names the host only,
//! never a path or a query, which may carry secrets.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ureq::http::Uri;

use crate::http::Trace;
use crate::sink::Shared;
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
    /// Starts watching a request to `url`; with the trace on, or a sink that cannot redraw,
    /// does nothing at all (no thread either).
    pub fn for_request(url: &str, trace: &Trace) -> Progress {
        if trace.enabled || !trace.sink().redraws() {
            return Progress { running: None };
        }
        let sink = trace.sink().clone();
        let host = url
            .parse::<Uri>()
            .ok()
            .and_then(|uri| uri.host().map(|host| printable(host, 80)))
            .unwrap_or_else(|| "the server".to_string());
        let (events, inbox) = mpsc::channel();
        // Without a thread there is no note, and nothing else changes.
        let running = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || show(&host, &inbox, &sink))
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
fn show(host: &str, inbox: &Receiver<Event>, sink: &Shared) {
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
        sink.redraw(&format!(
            "\r{} waiting for {host}… {}{retrying}\x1b[K",
            SPINNER[frames % SPINNER.len()],
            crate::timefmt::span(started.elapsed().as_secs())
        ));
        frames += 1;
    }
    if frames > 0 {
        sink.redraw(ERASE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A terminal that records what is drawn on it.
    #[derive(Default)]
    struct Screen {
        drawn: Mutex<Vec<String>>,
    }

    impl crate::sink::Sink for Screen {
        fn line(&self, _text: &str) {}
        fn redraws(&self) -> bool {
            true
        }
        fn redraw(&self, text: &str) {
            self.drawn.lock().unwrap().push(text.to_string());
        }
    }

    fn on(screen: &Arc<Screen>, verbose: bool) -> Trace {
        Trace::new(verbose, &[], screen.clone())
    }

    #[test]
    fn verbose_runs_and_sinks_that_cannot_redraw_start_no_thread() {
        let screen = Arc::new(Screen::default());
        let url = "https://idp.example/t";
        assert!(
            Progress::for_request(url, &on(&screen, true))
                .running
                .is_none()
        );
        assert!(
            Progress::for_request(url, &Trace::off(&[]))
                .running
                .is_none()
        );
        assert!(
            Progress::for_request(url, &on(&screen, false))
                .running
                .is_some()
        );
    }

    #[test]
    fn a_quick_request_draws_nothing_and_returns_at_once() {
        let screen = Arc::new(Screen::default());
        let started = Instant::now();
        let progress = Progress::for_request("https://idp.example/t", &on(&screen, false));
        progress.retrying(2, 3);
        drop(progress);
        assert!(started.elapsed() < QUIET_FOR);
        assert!(screen.drawn.lock().unwrap().is_empty());
    }

    #[test]
    fn a_slow_request_shows_its_host_only_and_is_erased_at_the_end() {
        let screen = Arc::new(Screen::default());
        let progress = Progress::for_request(
            "https://user@idp.example:8443/t/secret-path?code=secret-query",
            &on(&screen, false),
        );
        progress.retrying(2, 3);
        std::thread::sleep(QUIET_FOR + 3 * FRAME);
        drop(progress);
        let drawn = screen.drawn.lock().unwrap().clone();
        assert!(drawn.len() >= 3, "{drawn:?}");
        assert!(
            drawn[0].starts_with("\r⠋ waiting for idp.example… 1s, retrying (2/3)"),
            "{drawn:?}"
        );
        assert!(
            drawn.iter().all(|frame| !frame.contains("secret")),
            "{drawn:?}"
        );
        assert_eq!(drawn.last().map(String::as_str), Some(ERASE));
    }
}
