//! Invariants shared by the fuzz targets.

#![allow(dead_code)]

use serde_json::Value;

/// Instants to evaluate tokens at: the clock can be anywhere, including before 1970 (which
/// `timefmt::now` explicitly supports) and at the extremes of i64.
pub const NOWS: [i64; 6] = [i64::MIN, -1, 0, 1_700_000_000, 4_102_444_800, i64::MAX];

/// error.rs: "Messages are single lines that say what was wrong and where." A message may hold
/// text from a token, a server or a config file, so it must not carry control characters either
/// (a terminal would act on them).
pub fn assert_clean_message(what: &str, message: &str) {
    assert!(!message.is_empty(), "{what}: empty error message");
    if let Some(c) = message.chars().find(|c| c.is_control()) {
        panic!("{what}: error message has control character {c:?}: {message:?}");
    }
}

/// What `untrusted::printable` promises for everything printed: no control characters but the
/// line breaks we put there ourselves, and no bidi override/isolate that reorders a terminal line.
pub fn assert_terminal_safe(what: &str, text: &str) {
    for c in text.chars() {
        let bidi = ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c);
        assert!(
            c == '\n' || !(c.is_control() || bidi),
            "{what}: unescaped {c:?} in {text:?}"
        );
    }
}

/// The rendered error line (without colour, which a terminal on stderr would turn on): it must keep any message to one terminal-safe line.
pub fn assert_rendered_error(error: &oauthctl::error::Error) {
    use oauthctl::cli::OutputFormat;
    let text =
        oauthctl::output::error_styled(OutputFormat::Text, error, oauthctl::style::Style::PLAIN);
    assert!(text.starts_with("oauthctl: error: ") && text.ends_with('\n'));
    assert_eq!(
        text.matches('\n').count(),
        1,
        "error is not one line: {text:?}"
    );
    assert_terminal_safe("rendered error", &text);
    let json =
        oauthctl::output::error_styled(OutputFormat::Json, error, oauthctl::style::Style::PLAIN);
    assert_eq!(json.matches('\n').count(), 1, "JSON error is not one line");
    let value: Value = serde_json::from_str(&json).expect("the JSON error parses");
    assert_eq!(value["error"]["kind"], error.kind());
    assert_eq!(value["error"]["exit_code"], error.exit() as u8);
}

/// JSON equality where floats may differ in the last bits: serde_json's default float parser is
/// not correctly rounded (that is its `float_roundtrip` feature), so a number written and read
/// back can move by an ulp. That is serde_json's documented trade-off, not a bug of ours.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x == y {
                return true;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y || (x - y).abs() <= x.abs().max(y.abs()) * 1e-15,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && json_eq(vx, vy))
        }
        _ => a == b,
    }
}
