//! `config::parse` on any text: as given (when UTF-8), converted lossily, and, for inputs that
//! start with `N`, expanded into deep nesting that libFuzzer's input size would never reach.
//!
//! Nesting layout: `N DEPTH(2 bytes, big-endian) PREFIX \0 OPEN \0 MIDDLE \0 CLOSE`, giving
//! `PREFIX OPEN×depth MIDDLE CLOSE×depth` (depth up to 20 000, each piece at most 16 bytes).
//!
//! Invariants: an error is a `Config` error that names the file, says which line when it says
//! one (a line that exists), and is one line without control characters; an accepted file has only
//! known keys, parses the same every time, and still parses the same after `toml_edit` writes it
//! back out (what `profiles add/remove` do before saving).

#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oauthctl::config::{PROFILE_KEYS, TOP_KEYS, parse};
use oauthctl::error::Error;

use common::{assert_clean_message, assert_rendered_error};

const PATH: &str = "c.toml";

fuzz_target!(|data: &[u8]| {
    if let Some(text) = nested(data) {
        check(&text);
    }
    match std::str::from_utf8(data) {
        Ok(text) => check(text),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});

fn nested(data: &[u8]) -> Option<String> {
    let rest = data.strip_prefix(b"N")?;
    if rest.len() < 2 {
        return None;
    }
    let depth = usize::from(u16::from_be_bytes([rest[0], rest[1]])) % 20_001;
    let mut parts = rest[2..].splitn(4, |&b| b == 0);
    let mut piece = || {
        let p = parts.next().unwrap_or_default();
        String::from_utf8_lossy(&p[..p.len().min(16)]).into_owned()
    };
    let (prefix, open, middle, close) = (piece(), piece(), piece(), piece());
    Some(format!(
        "{prefix}{}{middle}{}",
        open.repeat(depth),
        close.repeat(depth)
    ))
}

fn check(text: &str) {
    let path = Path::new(PATH);
    match parse(text, path) {
        Ok(file) => {
            let doc: toml_edit::DocumentMut = text.parse().expect("accepted TOML parses");
            for (key, item) in doc.iter() {
                assert!(TOP_KEYS.contains(&key), "accepted top-level key {key:?}");
                if key == "profiles" {
                    let profiles = item.as_table_like().expect("profiles is a table");
                    for (name, profile) in profiles.iter() {
                        let profile = profile.as_table_like().expect("a profile is a table");
                        for (k, _) in profile.iter() {
                            assert!(PROFILE_KEYS.contains(&k), "accepted {k:?} in {name:?}");
                        }
                    }
                }
            }
            let shown = format!("{file:?}");
            let again = parse(text, path).expect("parsing is deterministic");
            assert_eq!(format!("{again:?}"), shown);
            let written = doc.to_string();
            let reread = parse(&written, path).expect("toml_edit's output of a valid file loads");
            assert_eq!(
                format!("{reread:?}"),
                shown,
                "changed by writing: {written:?}"
            );
        }
        Err(e) => {
            assert!(matches!(e, Error::Config(_)), "not a Config error: {e:?}");
            let message = e.to_string();
            assert_clean_message("config::parse", &message);
            assert_rendered_error(&e);
            assert!(
                message.starts_with(&format!("config `{PATH}`")),
                "{message}"
            );
            if let Some(line) = message
                .strip_prefix(&format!("config `{PATH}` line "))
                .and_then(|rest| rest.split(':').next())
            {
                let line: usize = line.parse().expect("a line number");
                assert!(
                    line >= 1 && line <= text.split('\n').count(),
                    "line {line} of a {}-line text",
                    text.split('\n').count()
                );
            }
        }
    }
}
