//! Text from outside (servers, tokens, the cache, config files, paths) on its way to the user
//! (SECURITY 38), and the one rule every output follows.
//!
//! An error description or a claim can carry ANSI escapes that recolour or rewrite the user's
//! terminal, a CR/LF that makes a second line of one value, or be megabytes long. So every value
//! oauthctl did not write itself, in every text-like output (`-o text`, `header`, `env`, the
//! human views, notes and errors on stderr), is one of two things:
//!
//! - **shown** for a person to read: it goes through `printable`, which escapes what a terminal
//!   would act on and bounds the length;
//! - **printed byte for byte** for a program to read back (the token of `-o text` and `-o header`,
//!   the values of `-o env`): it must pass `verbatim`, which refuses anything but printable ASCII
//!   rather than alter a value a program depends on.
//!
//! JSON is escaped by `output::to_json`. And whatever a command renders passes one last gate
//! before it is written (`output::Rendered::screened`), which refuses (exit 1) a control character
//! that is not a line break or one of `style`'s own sequences, so a format that forgets the rule
//! fails loudly instead of printing raw.
//!
//! The other way in, a credential the user hands oauthctl (an authorization code, a token to
//! revoke or introspect) is checked here too, by `Credential`, before it is sent anywhere.

use std::io::Read;

use crate::error::{Error, Result};
use crate::oauth::is_vschar;

/// What a terminal acts on or reads out of order: C0 and C1 controls and DEL, the bidi overrides
/// and isolates, and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text shown to a person: every `is_unsafe` character becomes a visible escape (`\n`,
/// `\u{1b}`, …) and text longer than `max_chars` is cut with an ellipsis.
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 8));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// A value printed byte for byte, for a program to read back: printable ASCII only (%x20-7E, the
/// VSCHAR of RFC 6749 App. A), else an error that names the field and where, never the value (a
/// token is a secret). A value that reaches here has been checked already (`TokenResponse`); this
/// is the output side's own guarantee.
pub fn verbatim<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    match value.chars().position(|c| !(' '..='~').contains(&c)) {
        None => Ok(value),
        Some(at) => Err(Error::unreachable(format!(
            "refusing to print the {field} as it is: character {} is outside printable ASCII",
            at + 1
        ))),
    }
}

/// A credential the user gives oauthctl, on the command line or on stdin: one line of RFC 6749
/// VSCHAR (printable ASCII), whatever the command. The checks never repeat the value (it is a
/// secret); they say what is wrong and where, as usage errors (exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `exchange-code`'s code (RFC 6749 App. A.11).
    AuthorizationCode,
    /// A token to revoke or introspect (RFC 6749 App. A.12, A.17).
    Token,
}

/// The most a credential may be: far more than any server issues (tokens travel in 8 KiB header
/// lines), and little enough to read from `/dev/zero` in no time.
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

impl Credential {
    fn name(self) -> &'static str {
        match self {
            Credential::AuthorizationCode => "authorization code",
            Credential::Token => "token",
        }
    }

    fn grammar(self) -> &'static str {
        match self {
            Credential::AuthorizationCode => "RFC 6749 App. A.11",
            Credential::Token => "RFC 6749 App. A.12, A.17",
        }
    }

    /// Reads what can be one credential from `input` (stdin): at most the cap and a CRLF, and one
    /// byte more to tell a longer one, so an endless input ends at once.
    pub fn read(self, input: impl Read) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        input
            .take(MAX_CREDENTIAL_BYTES as u64 + 3)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                Error::Usage(format!("cannot read the {} from stdin: {e}", self.name()))
            })?;
        Ok(bytes)
    }

    /// The credential in `input`: exactly one line (a final LF or CRLF is dropped) of VSCHAR, not
    /// empty, at most `MAX_CREDENTIAL_BYTES`. Nothing else is dropped: a space is a VSCHAR, and a
    /// credential altered here would be sent as another (a revocation of a token that does not
    /// exist is answered 200, RFC 7009 §2.2).
    pub fn check(self, input: &[u8]) -> Result<&str> {
        let line = input
            .strip_suffix(b"\r\n")
            .or_else(|| input.strip_suffix(b"\n"))
            .unwrap_or(input);
        let what = self.name();
        if let Some(at) = line.iter().position(|&b| !is_vschar(b)) {
            let problem = match line[at] {
                b'\r' if line.get(at + 1) == Some(&b'\n') => {
                    return Err(Error::Usage(format!(
                        "the {what} has a second line (a line break at position {}); give exactly one line",
                        at + 1
                    )));
                }
                b'\n' => {
                    return Err(Error::Usage(format!(
                        "the {what} has a second line (a line break at position {}); give exactly one line",
                        at + 1
                    )));
                }
                0 => "a NUL character".to_string(),
                b if b < 0x80 => format!("a control character (U+{b:04X})"),
                _ => "a character outside printable ASCII".to_string(),
            };
            return Err(Error::Usage(format!(
                "the {what} has {problem} at position {}; it must be one line of printable ASCII ({})",
                at + 1,
                self.grammar()
            )));
        }
        if line.len() > MAX_CREDENTIAL_BYTES {
            return Err(Error::Usage(format!(
                "the {what} is longer than {MAX_CREDENTIAL_BYTES} bytes"
            )));
        }
        // All VSCHAR, so ASCII: one byte per character.
        let text = std::str::from_utf8(line).expect("VSCHAR is ASCII");
        // Spaces alone are no credential, but a slip of the keyboard.
        if text.bytes().all(|b| b == b' ') {
            return Err(Error::Usage(format!("the {what} is empty")));
        }
        Ok(text)
    }
}

/// A one-line summary of a body that is not what we expected: the HTML `<title>` when there is
/// one, else the first non-empty line.
pub fn summarize_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        let title = text[start + "<title>".len()..end.max(start + "<title>".len())].trim();
        if !title.is_empty() {
            return printable(title, 120);
        }
    }
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => printable(line, 120),
        None => "(empty body)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_truncates() {
        assert_eq!(printable("a\x1b[31mred\n", 100), "a\\u{1b}[31mred\\n");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("x\u{202e}y", 10), "x\\u{202e}y");
        assert_eq!(printable("héllo", 10), "héllo");
    }

    #[test]
    fn line_and_paragraph_separators_are_escaped_too() {
        assert_eq!(printable("a\u{2028}b\u{2029}", 10), "a\\u{2028}b\\u{2029}");
        assert_eq!(printable("a\u{85}b\u{7f}", 10), "a\\u{85}b\\u{7f}");
    }

    #[test]
    fn verbatim_takes_printable_ascii_only_and_never_quotes_the_value() {
        assert_eq!(verbatim("access_token", "a b~!").unwrap(), "a b~!");
        assert_eq!(verbatim("access_token", "").unwrap(), "");
        for (value, at) in [
            ("SECRET\r\nX: 1", 7),
            ("SECRET\u{1b}[2J", 7),
            ("SECRETé", 7),
            ("\u{7f}SECRET", 1),
        ] {
            let err = verbatim("access_token", value).unwrap_err();
            assert_eq!(err.exit() as u8, 4);
            let message = err.to_string();
            assert_eq!(
                message,
                format!(
                    "refusing to print the access_token as it is: character {at} is outside printable ASCII"
                )
            );
        }
    }

    #[test]
    fn a_credential_is_one_line_of_printable_ascii() {
        let code = Credential::AuthorizationCode;
        for (input, text) in [
            (&b"c0de"[..], "c0de"),
            (b"c0de\n", "c0de"),
            (b"c0de\r\n", "c0de"),
            (b"  c0de \n", "  c0de "),
            (b"a b~!", "a b~!"),
        ] {
            assert_eq!(code.check(input).unwrap(), text, "{input:?}");
        }
        let long = vec![b'a'; MAX_CREDENTIAL_BYTES];
        assert_eq!(code.check(&long).unwrap().len(), MAX_CREDENTIAL_BYTES);
        for (input, message) in [
            (&b""[..], "the authorization code is empty"),
            (b"\n", "the authorization code is empty"),
            (b" \r\n", "the authorization code is empty"),
            (
                b"SECRET\nx",
                "the authorization code has a second line (a line break at position 7); give exactly one line",
            ),
            (
                b"SECRET\n\n",
                "the authorization code has a second line (a line break at position 7)",
            ),
            (
                b"\r\n\r\n",
                "the authorization code has a second line (a line break at position 1)",
            ),
            (
                b"SECRET\rx",
                "the authorization code has a control character (U+000D) at position 7",
            ),
            (
                b"SECRET\0",
                "the authorization code has a NUL character at position 7; it must be one line of printable ASCII (RFC 6749 App. A.11)",
            ),
            (
                b"SECRET\t",
                "the authorization code has a control character (U+0009) at position 7",
            ),
            (
                b"SECRET\x7f",
                "the authorization code has a control character (U+007F) at position 7",
            ),
            (
                "SECRETé".as_bytes(),
                "the authorization code has a character outside printable ASCII at position 7",
            ),
            (
                b"SECRET\xff",
                "the authorization code has a character outside printable ASCII at position 7",
            ),
        ] {
            let err = code.check(input).unwrap_err();
            assert_eq!(err.exit() as u8, 2, "{input:?}");
            let text = err.to_string();
            assert!(text.starts_with(message), "{input:?}: {text}");
            assert!(!text.contains("SECRET"), "{text}");
        }
        let longer = vec![b'a'; MAX_CREDENTIAL_BYTES + 1];
        assert_eq!(
            code.check(&longer).unwrap_err().to_string(),
            "the authorization code is longer than 65536 bytes"
        );
        assert!(
            Credential::Token
                .check(b"a\x1b")
                .unwrap_err()
                .to_string()
                .ends_with("(RFC 6749 App. A.12, A.17)")
        );
    }

    #[test]
    fn reading_a_credential_stops_after_the_cap() {
        let zeros = std::io::repeat(0);
        let read = Credential::Token.read(zeros).unwrap();
        assert_eq!(read.len(), MAX_CREDENTIAL_BYTES + 3);
        assert!(
            Credential::Token
                .check(&read)
                .unwrap_err()
                .to_string()
                .starts_with("the token has a NUL character at position 1;")
        );
        let line = format!("{}\r\n", "a".repeat(MAX_CREDENTIAL_BYTES));
        let read = Credential::Token.read(line.as_bytes()).unwrap();
        assert!(Credential::Token.check(&read).is_ok());
    }

    #[test]
    fn summaries_prefer_the_html_title() {
        assert_eq!(
            summarize_body(b"<html><head><title> 502 Bad Gateway </title></head>"),
            "502 Bad Gateway"
        );
        assert_eq!(
            summarize_body(b"\n\n  upstream connect error\nmore"),
            "upstream connect error"
        );
        assert_eq!(summarize_body(b""), "(empty body)");
        assert_eq!(summarize_body(b"</title><title>"), "</title><title>");
    }
}
