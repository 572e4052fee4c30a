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
//!   the values of `-o env`): it must pass `verbatim` (src/output/token.rs), which refuses anything but
//!   printable ASCII rather than alter a value a program depends on.
//!
//! This module depends on nothing else in the crate, so that every module may use it.
//!
//! JSON is escaped by `output::to_json`. And whatever a command renders passes one last gate
//! before it is written (`output::Rendered::screened`), which refuses (exit 1) a control character
//! that is not a line break or one of `style`'s own sequences, so a format that forgets the rule
//! fails loudly instead of printing raw.

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
