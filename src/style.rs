//! Colour and emphasis for the human views (`inspect`, `profiles list`, the error prefix), and
//! the one policy that decides, per stream, whether to use them (DESIGN §4).
//!
//! Colour is on when the stream is a terminal, unless `NO_COLOR` says otherwise
//! (<https://no-color.org>); `CLICOLOR_FORCE` turns it on even into a pipe (`| less -R`, tests);
//! `TERM=dumb` turns it off. Machine formats (JSON, header, env, exec-credential, the bare token)
//! never ask this module: they carry no escape codes whatever the environment says.
//!
//! Styles are applied only around text we wrote or text already made printable by
//! `untrusted::printable`, which leaves no control character a server could use to end our
//! escape sequence early or start one of its own. The sequences written here are the only ones
//! the last output gate lets through (`own_sequence_len`, `output::Rendered::screened`).

use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// Whether escape codes may be written to one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

const RESET: &str = "\x1b[0m";

/// The SGR parameters (ECMA-48 §8.3.117) the styles below write, and the reset's.
const BOLD: &str = "1";
const RED: &str = "31";
const RED_BOLD: &str = "1;31";
const GREEN_BOLD: &str = "1;32";
const YELLOW: &str = "33";
const OWN_PARAMETERS: [&str; 6] = ["0", BOLD, RED, RED_BOLD, GREEN_BOLD, YELLOW];

/// The length of the escape sequence at the start of `text` when it is one `Style` writes (one of
/// its colours, or the reset), else `None`.
pub fn own_sequence_len(text: &str) -> Option<usize> {
    let rest = text.strip_prefix("\x1b[")?;
    OWN_PARAMETERS
        .iter()
        .find(|params| {
            rest.strip_prefix(**params)
                .is_some_and(|after| after.starts_with('m'))
        })
        .map(|params| "\x1b[".len() + params.len() + "m".len())
}

impl Style {
    /// No escape codes at all.
    pub const PLAIN: Style = Style { colour: false };
    /// Escape codes, whatever the stream is (for tests of the rendering).
    pub const COLOUR: Style = Style { colour: true };

    /// The policy for stdout, decided once per process.
    pub fn stdout() -> Style {
        static STDOUT: OnceLock<Style> = OnceLock::new();
        *STDOUT.get_or_init(|| Style {
            colour: colour_wanted(std::io::stdout().is_terminal(), |name| {
                std::env::var_os(name)
            }),
        })
    }

    /// The policy for stderr, decided once per process.
    pub fn stderr() -> Style {
        static STDERR: OnceLock<Style> = OnceLock::new();
        *STDERR.get_or_init(|| Style {
            colour: colour_wanted(std::io::stderr().is_terminal(), |name| {
                std::env::var_os(name)
            }),
        })
    }

    /// `text` between the SGR parameters `sgr` and a reset; `text` must be printable already.
    fn paint(self, sgr: &str, text: &str) -> String {
        debug_assert!(
            !text.contains('\x1b'),
            "styles go around printable text only"
        );
        if self.colour && !text.is_empty() {
            format!("\x1b[{sgr}m{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint(BOLD, text)
    }

    pub fn red(self, text: &str) -> String {
        self.paint(RED, text)
    }

    pub fn red_bold(self, text: &str) -> String {
        self.paint(RED_BOLD, text)
    }

    pub fn green_bold(self, text: &str) -> String {
        self.paint(GREEN_BOLD, text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint(YELLOW, text)
    }
}

/// The colour policy, from whether the stream is a terminal and the environment (`var` reads a
/// variable). A variable set to the empty string counts as unset, as no-color.org asks.
pub fn colour_wanted(is_terminal: bool, var: impl Fn(&str) -> Option<OsString>) -> bool {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    // An explicit request beats what the stream looks like, TERM=dumb included: Emacs'
    // shell-mode sets TERM=dumb and renders colour when asked for it.
    if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if term_is_dumb(&var) {
        return false;
    }
    is_terminal
}

/// `TERM=dumb`: a terminal that cannot move the cursor or show colour.
pub fn term_is_dumb(var: impl Fn(&str) -> Option<OsString>) -> bool {
    var("TERM").is_some_and(|t| t == "dumb")
}

/// How many columns `text` takes on a terminal: characters, not counting our escape sequences
/// (CSI … final byte). Text reaching here is printable, so every ESC in it is one of ours.
pub fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                // Parameters and intermediates until the final byte (ECMA-48 §5.4).
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

/// `text` followed by spaces up to `width` visible columns.
pub fn pad(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(visible_width(text)),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(is_terminal: bool, vars: &[(&str, &str)]) -> bool {
        colour_wanted(is_terminal, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn terminals_get_colour_pipes_do_not() {
        assert!(wanted(true, &[]));
        assert!(wanted(true, &[("TERM", "xterm-256color")]));
        assert!(!wanted(false, &[]));
        assert!(!wanted(false, &[("TERM", "xterm-256color")]));
    }

    #[test]
    fn no_color_wins_over_everything() {
        assert!(!wanted(true, &[("NO_COLOR", "1")]));
        assert!(!wanted(true, &[("NO_COLOR", "0")]), "any non-empty value");
        assert!(!wanted(true, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]));
        assert!(wanted(true, &[("NO_COLOR", "")]), "empty counts as unset");
    }

    #[test]
    fn clicolor_force_colours_pipes_and_dumb_terminals() {
        assert!(wanted(false, &[("CLICOLOR_FORCE", "1")]));
        assert!(wanted(false, &[("CLICOLOR_FORCE", "yes")]));
        assert!(wanted(true, &[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")]));
        assert!(!wanted(false, &[("CLICOLOR_FORCE", "0")]));
        assert!(!wanted(false, &[("CLICOLOR_FORCE", "")]));
    }

    #[test]
    fn dumb_terminals_get_none() {
        assert!(!wanted(true, &[("TERM", "dumb")]));
        assert!(!wanted(true, &[("TERM", "dumb"), ("CLICOLOR_FORCE", "0")]));
    }

    #[test]
    fn styles_wrap_and_plain_is_untouched() {
        assert_eq!(Style::COLOUR.red("x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Style::COLOUR.bold(""), "", "nothing to style, no escapes");
        assert_eq!(Style::PLAIN.red_bold("x"), "x");
    }

    #[test]
    fn every_sequence_a_style_writes_is_one_of_its_own() {
        let painted = [
            Style::COLOUR.bold("x"),
            Style::COLOUR.red("x"),
            Style::COLOUR.red_bold("x"),
            Style::COLOUR.green_bold("x"),
            Style::COLOUR.yellow("x"),
        ];
        for text in &painted {
            for (at, _) in text.match_indices('\x1b') {
                assert!(own_sequence_len(&text[at..]).is_some(), "{text:?}");
            }
        }
        assert_eq!(own_sequence_len("\x1b[1;31mred"), Some(7));
        assert_eq!(own_sequence_len("\x1b[0m"), Some(4));
        for other in [
            "\x1b[2J",
            "\x1b[1",
            "\x1b[5m",
            "\x1b[31;1m",
            "\x1b]0;t\x07",
            "\x1b",
        ] {
            assert_eq!(own_sequence_len(other), None, "{other:?}");
        }
    }

    #[test]
    fn width_counts_what_shows() {
        assert_eq!(visible_width("abc"), 3);
        assert_eq!(visible_width(&Style::COLOUR.red_bold("héllo")), 5);
        assert_eq!(visible_width("✓ ok"), 4);
        assert_eq!(pad(&Style::COLOUR.bold("ab"), 4), "\x1b[1mab\x1b[0m  ");
        assert_eq!(pad("abcdef", 4), "abcdef");
    }
}
