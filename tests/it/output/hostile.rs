//! Hostile server text on its way out (SECURITY 38): ESC, BEL, backspace, CR/LF, NUL, C1 controls,
//! bidi overrides and 10,000 characters must reach the terminal escaped, on one line and bounded,
//! and `-o json` must stay lossless.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::common::form_encode;
use crate::support::common::{Env, stderr_of, stdout_of};
use crate::support::server::{Reply, StubServer};
use crate::support::untrusted::{
    DESCRIPTION_CHARS, ERROR_CHARS, LOCATION_CHARS, SUMMARY_CHARS, TRACE_CHARS,
};

/// What a hostile server sends: a colour change (CSI), BEL, backspace, CR, LF, NUL, the C1
/// controls NEL and CSI, the bidi override RLO and isolate RLI, then 10,000 characters.
fn hostile() -> String {
    format!(
        "evil\x1b[31mRED\x07BEL\x08BS\rCR\nLF\0NUL\u{85}NEL\u{9b}2JCSI\u{202e}RLO\u{2067}RLI {}",
        "x".repeat(10_000)
    )
}

/// Everything a terminal acts on instead of showing, but the line ends: C0, DEL, C1, and the bidi
/// controls `printable` escapes.
fn raw_controls(text: &str) -> Vec<char> {
    let bidi =
        |c: &char| ('\u{202a}'..='\u{202e}').contains(c) || ('\u{2066}'..='\u{2069}').contains(c);
    text.chars()
        .filter(|c| (c.is_control() && *c != '\n') || bidi(c))
        .collect()
}

fn longest_run(text: &str, c: char) -> usize {
    text.split(|other| other != c)
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// No raw control, and the 10,000 characters cut to at most `limit`, visibly.
fn assert_neutralised(what: &str, text: &str, limit: usize) {
    let controls = raw_controls(text);
    assert!(controls.is_empty(), "{what}: raw {controls:?} in {text:?}");
    let shown = longest_run(text, 'x');
    assert!(
        shown <= limit,
        "{what}: {shown} of the 10,000 characters shown (limit {limit})"
    );
    // Shorter runs are words (`x-www-form-urlencoded`), not the 10,000.
    if shown >= 20 {
        assert!(
            text.contains('…'),
            "{what}: the cut is not marked: {text:?}"
        );
    }
}

/// A text-mode error: one line, ours, neutralised, within `limit` for the server's part.
fn assert_one_error_line(what: &str, stderr: &str, limit: usize) {
    assert!(
        stderr.starts_with("oauthctl: error: ")
            && stderr.ends_with('\n')
            && stderr.lines().count() == 1,
        "{what}: not one error line: {stderr:?}"
    );
    assert!(
        stderr.chars().count() <= ERROR_CHARS + 20,
        "{what}: {} characters",
        stderr.len()
    );
    assert_neutralised(what, stderr, limit);
}

/// `-v`: every line is one of ours (a CR or LF from the server starts none), none is unbounded.
fn assert_trace_lines(what: &str, stderr: &str) {
    for line in stderr.lines() {
        assert!(
            line.starts_with("oauthctl: "),
            "{what}: a line not ours: {line:?}"
        );
    }
    assert_neutralised(what, stderr, TRACE_CHARS);
}

fn fetch_from(env: &Env, server: &StubServer, extra: &[&str]) -> assert_cmd::assert::Assert {
    env.cmd()
        .args([
            "fetch",
            "--no-cache",
            "--client-id",
            "app",
            "--token-url",
            &server.url("/token"),
        ])
        .args(extra)
        .env("OAUTHCTL_CLIENT_SECRET", "s3cr3t")
        .env("OAUTHCTL_RETRIES", "0")
        .assert()
}

#[test]
fn hostile_error_descriptions_reach_the_terminal_escaped_on_one_line_and_bounded() {
    let body = json!({"error": "invalid_request\x1b[2J", "error_description": hostile(), "message": hostile()});
    let server = StubServer::start(move |_| Reply::json(400, &body.to_string()));
    let env = Env::new();

    let stderr = stderr_of(&fetch_from(&env, &server, &[]).failure().code(3).stdout(""));
    assert_one_error_line("error line", &stderr, DESCRIPTION_CHARS);
    assert!(
        stderr.contains("RED") && stderr.contains("RLO"),
        "the text itself is kept: {stderr}"
    );
    assert!(
        longest_run(&stderr, 'x') > 100,
        "the description is shown: {stderr}"
    );

    let stderr = stderr_of(
        &fetch_from(&env, &server, &["-v"])
            .failure()
            .code(3)
            .stdout(""),
    );
    assert_trace_lines("-v", &stderr);
    let last = stderr.lines().last().unwrap();
    assert_one_error_line("-v error line", &format!("{last}\n"), DESCRIPTION_CHARS);

    let stderr = stderr_of(
        &fetch_from(&env, &server, &["-o", "json"])
            .failure()
            .code(3)
            .stdout(""),
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(raw_controls(&stderr).is_empty(), "{stderr:?}");
    let error: Value = serde_json::from_str(&stderr).unwrap();
    for field in ["code", "description", "message"] {
        let text = error["error"][field].as_str().unwrap();
        assert_neutralised(&format!("-o json {field}"), text, DESCRIPTION_CHARS);
    }
}

#[test]
fn hostile_html_and_text_error_pages_are_summarised_escaped_and_bounded() {
    let hostile = hostile();
    let server = StubServer::start(move |req| match req.path.as_str() {
        "/html" => Reply::new(
            500,
            "text/html",
            &format!("<html><head><title>{hostile}</title></head><body>{hostile}</body></html>"),
        ),
        _ => Reply::new(502, "text/plain", &format!("\n  {hostile}\n{hostile}")),
    });
    let env = Env::new();
    for path in ["/html", "/text"] {
        let url = server.url(path);
        let run = |extra: &[&str]| {
            let assert = env
                .cmd()
                .args([
                    "fetch",
                    "--no-cache",
                    "--client-id",
                    "app",
                    "--token-url",
                    &url,
                ])
                .args(extra)
                .env("OAUTHCTL_CLIENT_SECRET", "s3cr3t")
                .env("OAUTHCTL_RETRIES", "0")
                .assert();
            stderr_of(&assert.failure().code(4).stdout(""))
        };
        let stderr = run(&[]);
        assert_one_error_line(path, &stderr, SUMMARY_CHARS);
        assert!(stderr.contains("RED"), "summarised, not dropped: {stderr}");
        let stderr = run(&["-v"]);
        assert_trace_lines(path, &stderr);
        let last = stderr.lines().last().unwrap();
        assert_one_error_line(path, &format!("{last}\n"), SUMMARY_CHARS);
    }
}

/// Raw bytes after `Location: `, so that the stub can send what a `Reply` would not.
fn hostile_locations(path: &str) -> Vec<u8> {
    let many = "x".repeat(10_000);
    match path {
        // Percent-encoded controls, which a decoder turns back into raw ones.
        "/encoded" => {
            format!("https://evil.example/cb?msg={}", form_encode(&hostile())).into_bytes()
        }
        "/long" => format!("https://evil.example/{many}").into_bytes(),
        // C1 controls and bidi overrides as raw UTF-8 (obs-text to HTTP).
        "/c1" => format!("https://evil.example/\u{85}\u{9b}2J\u{202e}RLO{many}").into_bytes(),
        // C0 controls, which HTTP does not allow in a field value at all.
        _ => format!("https://evil.example/\x1b[31mRED\x07\x08\0{many}").into_bytes(),
    }
}

#[test]
fn hostile_location_headers_are_escaped_and_bounded() {
    let server = StubServer::start_raw(|req, stream| {
        let mut head = b"HTTP/1.1 302 Found\r\nLocation: ".to_vec();
        head.extend(hostile_locations(&req.path));
        head.extend(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = stream.write_all(&head);
    });
    let env = Env::new();
    // What each shows: the Location escaped and cut, or nothing of it when it cannot be text.
    let shows = [
        ("/encoded", "redirecting to https://evil.example/cb"),
        ("/long", "redirecting to https://evil.example/xxx"),
        ("/c1", "redirecting to (no Location)"),
        ("/c0", "invalid header value"),
    ];
    for (path, shown) in shows {
        let run = |extra: &[&str]| {
            let assert = env
                .cmd()
                .args([
                    "fetch",
                    "--no-cache",
                    "--client-id",
                    "app",
                    "--token-url",
                    &server.url(path),
                ])
                .args(extra)
                .env("OAUTHCTL_CLIENT_SECRET", "s3cr3t")
                .assert();
            stderr_of(&assert.failure().code(4).stdout(""))
        };
        let stderr = run(&[]);
        assert_one_error_line(path, &stderr, LOCATION_CHARS);
        assert!(stderr.contains(shown), "{path}: {stderr}");
        let stderr = run(&["-v"]);
        assert_trace_lines(path, &stderr);
    }
}

#[test]
fn hostile_claims_are_escaped_in_inspect_text_and_lossless_in_json() {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": hostile()});
    let claims = json!({
        "sub": hostile(),
        "k\x1b[2J\u{202e}ey\n": "v",
        "nested": {"deep": hostile()},
        "list": [hostile(), 1],
        "exp": 4_102_444_800_i64,
    });
    let token = format!(
        "{}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let env = Env::new();

    let stdout = stdout_of(
        &env.cmd()
            .args(["inspect", "-"])
            .write_stdin(token.clone())
            .assert()
            .success(),
    );
    assert_neutralised("inspect", &stdout, DESCRIPTION_CHARS);
    // Header, 3 header rows, Claims, 5 claim rows, Status, Signature: no claim made a line of its own.
    assert_eq!(stdout.lines().count(), 12, "{stdout}");
    for line in stdout.lines() {
        let ours = ["Header", "Claims", "Status ", "Signature "]
            .iter()
            .any(|l| line.starts_with(l));
        assert!(ours || line.starts_with("  "), "a line not ours: {line:?}");
    }

    let stdout = stdout_of(
        &env.cmd()
            .args(["-o", "json", "inspect", "-"])
            .write_stdin(token)
            .assert()
            .success(),
    );
    let shown: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        shown["claims"], claims,
        "claims are not lossless in -o json"
    );
    assert_eq!(
        shown["header"], header,
        "the header is not lossless in -o json"
    );
    let c0: Vec<char> = stdout
        .chars()
        .filter(|c| c.is_ascii_control() && *c != '\n')
        .collect();
    assert!(c0.is_empty(), "raw C0 controls in JSON output: {c0:?}");
}

#[test]
fn hostile_provider_fields_are_lossless_in_json_and_neutralised_in_the_trace() {
    let body = json!({"access_token": "tok", "token_type": "Bearer", "expires_in": 60, "note": hostile(), "nested": {"n": hostile()}});
    let reply = body.to_string();
    let server = StubServer::start(move |_| Reply::json(200, &reply));
    let env = Env::new();
    let assert = fetch_from(&env, &server, &["-v", "-o", "json"]).success();
    let shown: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(shown["note"], body["note"]);
    assert_eq!(shown["nested"], body["nested"]);
    assert_trace_lines("-v", &stderr_of(&assert));
    let assert = fetch_from(&env, &server, &[]).success();
    assert_eq!(stdout_of(&assert), "tok\n");
}
