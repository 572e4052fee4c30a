//! Text from outside (servers, tokens) made safe to put on a terminal (SECURITY 38).
//!
//! An error description or a claim can carry ANSI escapes that recolour or rewrite the user's
//! terminal, or be megabytes long. Everything printed that we did not write ourselves goes
//! through `printable` first.

/// Control characters become visible escapes (`\n`, `\u{1b}`, …) and text longer than `max_chars`
/// is cut with an ellipsis.
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
            // C0, DEL, C1 and the bidi overrides/isolates that reorder what a terminal shows.
            c if c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c) =>
            {
                out.push_str(&c.escape_unicode().to_string())
            }
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
