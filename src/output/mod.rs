//! Rendering (DESIGN §4): text, JSON, header, env and exec-credential. Everything is rendered to
//! a string first and written in one go by `main`, so a failure never leaves half an output.
//!
//! One file per result (`token`, `inspect`, `introspect`, `revoke`, `cache`, `profiles`, `keys`,
//! `dry_run`, `error`) holds its renderer and, as `#[derive(Serialize)]` types, the documents it
//! prints with `-o json`: a type's field order is its document's member order, and what a server
//! sent passes through as a `Map`. This file holds what they share: the formats, the last gate
//! before the streams (`Rendered::screened`), the one JSON serializer (`to_json`) and the helpers
//! of the text views.

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::error::{Error, Result};
use crate::jwt::TimeClaim;
use crate::style::{Style, own_sequence_len, pad, visible_width};
use crate::timefmt::{relative, rfc3339, rfc3339_local};
use crate::untrusted::{is_unsafe, printable};

mod cache;
mod credential_helper;
mod dry_run;
mod error;
mod inspect;
mod introspect;
mod keys;
mod profiles;
mod revoke;
mod token;

pub use cache::cache;
pub use credential_helper::{docker_credential, git_credential};
pub use dry_run::dry_run;
pub use error::{error, error_styled};
pub use inspect::{inspection, inspection_styled};
pub use introspect::{introspection, introspection_styled};
pub use keys::{assertion, dpop_proof, identity_token, keys};
pub use profiles::profiles;
pub use revoke::revocation;
pub use token::{check_dpop_format, check_url_format, token};

/// What `-o` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
    Header,
    Env,
    ExecCredential,
}

impl OutputFormat {
    /// Every format, with the line `--help` shows for it.
    pub const ALL: [(OutputFormat, &'static str); 5] = [
        (
            OutputFormat::Text,
            "Bare token (fetch/exchange-code) or a readable view",
        ),
        (OutputFormat::Json, "One JSON document"),
        (
            OutputFormat::Header,
            "`Authorization: Bearer <token>`, for `curl -H @-`",
        ),
        (
            OutputFormat::Env,
            "`export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`",
        ),
        (
            OutputFormat::ExecCredential,
            "A Kubernetes client-go ExecCredential",
        ),
    ];

    /// The name `-o` and `OAUTHCTL_OUTPUT` take.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Json => "json",
            OutputFormat::Header => "header",
            OutputFormat::Env => "env",
            OutputFormat::ExecCredential => "exec-credential",
        }
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<OutputFormat, String> {
        OutputFormat::ALL
            .iter()
            .map(|(format, _)| *format)
            .find(|format| format.name() == name)
            .ok_or_else(|| format!("`{name}` is not an output format"))
    }
}

/// What goes to stdout, and an optional note for stderr.
#[derive(Debug, Default)]
pub struct Rendered {
    pub stdout: String,
    pub note: Option<String>,
    /// The command failed, and what it says is on stdout (a protocol that answers "not found"
    /// there, docker's): exit 1 after writing it.
    pub failed: bool,
}

/// Rendered output that passed the last gate: what `main` writes, and all it writes. Its fields
/// are private, so nothing reaches the streams without `Rendered::screened`.
#[derive(Debug)]
pub struct Screened {
    stdout: String,
    note: Option<String>,
    failed: bool,
}

impl Screened {
    pub fn stdout(&self) -> &str {
        &self.stdout
    }

    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// Whether the run failed though it answered on stdout (`Rendered::failed`).
    pub fn failed(&self) -> bool {
        self.failed
    }
}

impl Rendered {
    /// The last gate before the streams (the rule itself is in `untrusted`): stdout may hold no
    /// control character but `\n` and the colour sequences `style` writes. Anything else means a
    /// value skipped the rule, and it is refused as the bug it is (exit 1), never printed. The note
    /// for stderr is escaped whole, as an error message is.
    pub fn screened(self) -> Result<Screened> {
        if let Some((at, c)) = first_unscreened(&self.stdout) {
            return Err(Error::Internal(format!(
                "refusing to print output holding U+{:04X} at byte {at}: text from outside \
                 reached stdout without being escaped or checked; this is a bug, please report it",
                c as u32
            )));
        }
        Ok(Screened {
            stdout: self.stdout,
            note: self.note.map(|note| printable(&note, 2000)),
            failed: self.failed,
        })
    }
}

/// The first character of `text` that the gate refuses, and its byte offset.
fn first_unscreened(text: &str) -> Option<(usize, char)> {
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        if let Some(len) = own_sequence_len(&text[at..]) {
            at += len;
            continue;
        }
        if c != '\n' && is_unsafe(c) {
            return Some((at, c));
        }
        at += c.len_utf8();
    }
    None
}

impl From<String> for Rendered {
    fn from(stdout: String) -> Rendered {
        Rendered {
            stdout,
            note: None,
            failed: false,
        }
    }
}

/// Every JSON document oauthctl prints: pretty, and terminal-safe (`TerminalSafe`).
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serialize(value, PrettyFormatter::new());
    text.push('\n');
    text
}

/// One line of JSON (the error object on stderr), terminal-safe like `to_json`.
fn to_json_line<T: Serialize>(value: &T) -> String {
    let mut text = serialize(value, CompactFormatter);
    text.push('\n');
    text
}

fn serialize<T: Serialize, F: Formatter>(value: &T, formatter: F) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, TerminalSafe(formatter));
    // Serializing our own Values and structs into memory cannot fail.
    value
        .serialize(&mut serializer)
        .expect("JSON values serialize");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// serde_json's output, with every character `untrusted::is_unsafe` names escaped as `\uXXXX`:
/// serde_json escapes only C0 controls, but server-supplied strings may hold DEL, C1 controls (U+009B
/// is CSI to a terminal that honours 8-bit controls), bidi overrides and line separators
/// (SECURITY 38). The escapes are valid JSON (RFC 8259 §7), so the values stay lossless.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            // serde_json has escaped C0 before a fragment gets here.
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Refuses token-only formats for commands that do not produce a token.
pub fn require_view_format(format: OutputFormat, command: &str) -> Result<()> {
    match format {
        OutputFormat::Text | OutputFormat::Json => Ok(()),
        other => Err(Error::Usage(format!(
            "-o {} applies to fetch and exchange-code only; {command} supports -o text and -o json",
            other.name()
        ))),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => printable(s, 300),
        other => printable(&other.to_string(), 300),
    }
}

/// Two columns, the first padded to its widest cell. Widths are visible columns, so a styled key
/// lines up with a plain one.
fn aligned(rows: &[(String, String)], indent: &str) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| visible_width(k))
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{indent}{}  {v}\n", pad(k, width)))
        .collect()
}

/// A JSON object whose members are named at run time (the time claims, a profile's fields), in
/// the order given: what a `Map` of the same members prints, without making `Value`s of them.
struct Members<V>(Vec<(&'static str, V)>);

impl<V: Serialize> Serialize for Members<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
    }
}

/// A NumericDate as the text views show it: the number as sent (`text`, padded to `width` so the
/// dates line up), the instant in UTC, on the local clock where `local`, and relative to `now`.
fn time_text(
    text: String,
    width: usize,
    claim: &TimeClaim,
    local: bool,
    now: i64,
    style: Style,
) -> String {
    match claim {
        TimeClaim::At(t) => {
            let mut shown = format!("{}  {}", pad(&text, width), rfc3339(*t));
            if local {
                shown.push_str("  ");
                shown.push_str(&rfc3339_local(*t));
            }
            shown.push_str(&format!("  ({})", relative(*t, now)));
            shown
        }
        TimeClaim::Invalid(why) => format!("{text}  ({}: {why})", style.red("INVALID")),
        TimeClaim::Absent => text,
    }
}

/// A path in a text view: it is the user's, but a file name can hold any character but `/` and
/// NUL, so it is shown like any other text from outside.
fn shown_path(path: &std::path::Path) -> String {
    printable(&path.display().to_string(), 4096)
}

#[cfg(test)]
mod tests {
    use super::inspect::tests::inspected;
    use super::token::tests::result;
    use super::*;
    use serde_json::json;

    #[test]
    fn json_escapes_what_a_terminal_would_act_on_and_stays_lossless() {
        let value = json!({"name": "a\u{9b}31mb\u{202e}c\u{7f}d\u{2028}é✓", "n": [1, {"k": null}]});
        let text = to_json(&value);
        for escape in ["\\u009b", "\\u202e", "\\u007f", "\\u2028"] {
            assert!(text.contains(escape), "{escape} in {text}");
        }
        assert!(!text.chars().any(|c| c != '\n' && is_unsafe(c)), "{text}");
        assert!(text.contains("é✓"), "other characters are kept as they are");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        let plain = json!({"a": [1, 2], "b": {"c": "d"}, "e": []});
        assert_eq!(
            to_json(&plain),
            serde_json::to_string_pretty(&plain).unwrap() + "\n"
        );
    }

    #[test]
    fn the_last_gate_refuses_any_control_character_it_did_not_write() {
        for (stdout, at, code) in [
            ("tok\r\nX-Injected: 1\n", 3, "000D"),
            ("a\u{1b}[2Jb\n", 1, "001B"),
            ("\u{1b}]0;title\u{7}", 0, "001B"),
            ("a\tb\n", 1, "0009"),
            ("é\u{9b}31m", 2, "009B"),
            ("\u{1b}[1mx\u{1b}[0m\u{202e}", 9, "202E"),
            ("x\u{2028}", 1, "2028"),
        ] {
            let err = Rendered::from(stdout.to_string()).screened().unwrap_err();
            assert_eq!(err.exit() as u8, 1, "{stdout:?}");
            assert!(
                err.to_string().starts_with(&format!(
                    "refusing to print output holding U+{code} at byte {at}:"
                )),
                "{stdout:?}: {err}"
            );
        }
        let ours = format!(
            "{}\n{}  {}\n",
            Style::COLOUR.bold("Header"),
            Style::COLOUR.red_bold("EXPIRED"),
            Style::COLOUR.yellow("é✓")
        );
        assert_eq!(
            Rendered::from(ours.clone()).screened().unwrap().stdout(),
            ours
        );
        let noted = Rendered {
            stdout: String::new(),
            note: Some("no cached tokens in `a\u{1b}[31m`\nb".into()),
            failed: false,
        }
        .screened()
        .unwrap();
        assert_eq!(noted.note(), Some("no cached tokens in `a\\u{1b}[31m`\\nb"));
    }

    #[test]
    fn every_view_of_hostile_text_passes_the_last_gate() {
        let i = inspected(
            r#"{"sub\u001b[31m":"v\u009b1m\r\n\u2028","exp":100,"x":{"\u202e":"\u0007"}}"#,
            40,
        );
        for format in [OutputFormat::Text, OutputFormat::Json] {
            for style in [Style::PLAIN, Style::COLOUR] {
                inspection_styled(format, &i, style).screened().unwrap();
            }
        }
        let mut r = result(Some("Bearer"), Some(1));
        r.token
            .fields
            .insert("vendor".into(), "\u{1b}[2J\r\n\u{85}".into());
        for format in [
            OutputFormat::Text,
            OutputFormat::Json,
            OutputFormat::Header,
            OutputFormat::Env,
            OutputFormat::ExecCredential,
        ] {
            token(format, &r, Default::default())
                .unwrap()
                .screened()
                .unwrap();
        }
    }
}
