//! Where a run shows what happens while it works: the `-v` trace, the progress note of a slow
//! request, `login`'s instructions. `main` makes the one sink that writes to stderr and hands it
//! down through `Settings`; nothing below it writes to the streams itself, so a library caller
//! or a test can collect these lines or drop them.

use std::sync::{Arc, Mutex};

/// A destination for the lines shown during a run.
pub trait Sink: Send + Sync {
    /// Shows one line at once. `text` has no newline; the sink ends the line.
    fn line(&self, text: &str);

    /// Whether the in-place progress note may be drawn: a terminal that can redraw a line.
    fn redraws(&self) -> bool {
        false
    }

    /// Draws (or erases) the progress note in place: `text` holds the carriage return and the
    /// erase sequence already. Only called when `redraws` is true.
    fn redraw(&self, _text: &str) {}
}

/// A sink shared by the run, its traces and a progress thread.
pub type Shared = Arc<dyn Sink>;

/// A sink that shows nothing.
pub fn silent() -> Shared {
    Arc::new(Silent)
}

struct Silent;

impl Sink for Silent {
    fn line(&self, _text: &str) {}
}

/// A sink that keeps the lines it is given, for tests and for callers that show them later.
#[derive(Default)]
pub struct Collected {
    lines: Mutex<Vec<String>>,
}

impl Collected {
    /// The lines shown so far.
    pub fn lines(&self) -> Vec<String> {
        match self.lines.lock() {
            Ok(lines) => lines.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Sink for Collected {
    fn line(&self, text: &str) {
        match self.lines.lock() {
            Ok(mut lines) => lines.push(text.to_string()),
            Err(poisoned) => poisoned.into_inner().push(text.to_string()),
        }
    }
}
