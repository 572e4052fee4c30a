//! Fault injection (SECURITY 17–21): a loopback token endpoint that fails in the ways
//! servers fail, request by request from a script, and what oauthctl makes of each — exit code,
//! message, number of requests, and an empty stdout. Retry waits are shortened through the
//! profile (`retry_max_secs = 0` caps the backoff at nothing), never by skipping the logic.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use crate::support::app::{SECRET, fetch, profile};
use crate::support::common::{Env, fails, stderr_of, stdout_of};
use crate::support::server::{Recorded, Reply, StubServer};

/// One way for one request to go.
#[derive(Clone, Debug)]
enum Fault {
    /// A whole HTTP answer.
    Answer(Reply),
    /// Read the request, then close the connection without a byte of answer.
    Drop,
    /// Headers announcing 200 bytes of body, 20 of them, then close.
    Truncated,
    /// Headers, then a byte of body every 100 ms.
    SlowBody,
    /// Read the request and answer nothing (for up to 10 s).
    Silence,
}

const TOKEN: &str = "tok-after-faults";

/// Plays `script` one fault per request, then answers with a token; remembers when each request
/// came.
struct FaultServer {
    server: StubServer,
    times: Arc<Mutex<Vec<Instant>>>,
}

impl FaultServer {
    fn start(script: Vec<Fault>) -> FaultServer {
        let times = Arc::new(Mutex::new(Vec::new()));
        let log = times.clone();
        let server = StubServer::start_raw(move |_req: &Recorded, stream: &mut TcpStream| {
            let n = {
                let mut times = log.lock().unwrap();
                times.push(Instant::now());
                times.len() - 1
            };
            let fault = script.get(n).cloned().unwrap_or_else(|| {
                Fault::Answer(Reply::json(
                    200,
                    &json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})
                        .to_string(),
                ))
            });
            play(&fault, stream);
        });
        FaultServer { server, times }
    }

    fn always(fault: Fault) -> FaultServer {
        FaultServer::start(vec![fault; 20])
    }

    fn requests(&self) -> usize {
        self.server.request_count()
    }

    fn gap(&self, from: usize, to: usize) -> Duration {
        let times = self.times.lock().unwrap();
        times[to] - times[from]
    }
}

fn play(fault: &Fault, stream: &mut TcpStream) {
    match fault {
        Fault::Answer(reply) => drop(reply.write_to(stream)),
        Fault::Drop => drop(stream.shutdown(Shutdown::Both)),
        Fault::Truncated => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(br#"{"access_token":"tr"#);
            let _ = stream.flush();
            let _ = stream.shutdown(Shutdown::Both);
        }
        Fault::SlowBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            for _ in 0..100 {
                if stream
                    .write_all(b" ")
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Fault::Silence => {
            // Until the client gives up (EOF), so that stopping the stub does not wait 10 s.
            use std::io::Read;
            let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
            let started = Instant::now();
            let mut byte = [0u8; 1];
            while started.elapsed() < Duration::from_secs(10) {
                match stream.read(&mut byte) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => return,
                }
            }
        }
    }
}

fn status(code: u16) -> Fault {
    Fault::Answer(Reply::json(
        code,
        r#"{"error":"temporarily_unavailable","error_description":"try later"}"#,
    ))
}

fn prints_the_token(assert: assert_cmd::assert::Assert) {
    assert_eq!(stdout_of(&assert.success()), format!("{TOKEN}\n"));
}

const IMMEDIATE: &str = "retries = 2\nretry_max_secs = 0";

#[test]
fn transient_statuses_are_retried_until_the_token_comes() {
    for script in [
        vec![status(500), status(500)],
        vec![status(408), status(504)],
        vec![status(502), status(429)],
        vec![status(503)],
    ] {
        let server = FaultServer::start(script.clone());
        let env = Env::new();
        profile(&env, &server.server.url("/token"), IMMEDIATE);
        prints_the_token(fetch(env.cmd(), &["--no-cache"]).assert());
        assert_eq!(server.requests(), script.len() + 1, "{script:?}");
    }
}

#[test]
fn a_502_with_an_html_page_exhausts_the_retries() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>\u{1b}[31m</body></html>";
    let server = FaultServer::always(Fault::Answer(Reply::new(502, "text/html", page)));
    let env = Env::new();
    profile(&env, &server.server.url("/token"), IMMEDIATE);
    let stderr = fails(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        "failed (HTTP 502): 502 Bad Gateway (text/html) (gave up after 3 attempts)",
    );
    assert!(
        !stderr.contains("<html>") && !stderr.contains('\u{1b}'),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(server.requests(), 3);
}

#[test]
fn a_plain_500_after_the_retries_is_exit_4_with_the_attempt_count() {
    let server = FaultServer::always(status(500));
    let env = Env::new();
    profile(
        &env,
        &server.server.url("/token"),
        "retries = 4\nretry_max_secs = 0",
    );
    fails(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        "failed (HTTP 500): temporarily_unavailable: try later (gave up after 5 attempts)",
    );
    assert_eq!(server.requests(), 5);
}

#[test]
fn retries_zero_means_one_request() {
    let server = FaultServer::always(status(503));
    let env = Env::new();
    profile(&env, &server.server.url("/token"), "retries = 0");
    let stderr = fails(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        "failed (HTTP 503)",
    );
    assert!(!stderr.contains("gave up after"), "{stderr}");
    assert_eq!(server.requests(), 1);
}

#[test]
fn retry_after_in_seconds_is_waited_for() {
    let server = FaultServer::start(vec![Fault::Answer(
        Reply::json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("Retry-After", "1"),
    )]);
    let env = Env::new();
    profile(
        &env,
        &server.server.url("/token"),
        "retries = 2\nretry_max_secs = 5",
    );
    prints_the_token(fetch(env.cmd(), &["--no-cache"]).assert());
    assert_eq!(server.requests(), 2);
    assert!(
        server.gap(0, 1) >= Duration::from_secs(1),
        "{:?}",
        server.gap(0, 1)
    );
}

#[test]
fn retry_after_as_an_http_date_is_waited_for() {
    // HTTP-dates have whole seconds: two seconds ahead is at least one second of waiting.
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let server = FaultServer::start(vec![Fault::Answer(
        Reply::json(429, r#"{"error":"slow_down"}"#).with_header("Retry-After", &when),
    )]);
    let env = Env::new();
    profile(
        &env,
        &server.server.url("/token"),
        "retries = 1\nretry_max_secs = 5",
    );
    prints_the_token(fetch(env.cmd(), &["--no-cache"]).assert());
    assert_eq!(server.requests(), 2);
    assert!(
        server.gap(0, 1) >= Duration::from_secs(1),
        "{:?}",
        server.gap(0, 1)
    );
}

#[test]
fn a_retry_after_beyond_the_cap_fails_at_once_saying_so() {
    let server = FaultServer::always(Fault::Answer(
        Reply::json(503, r#"{"error":"temporarily_unavailable"}"#)
            .with_header("Retry-After", "120"),
    ));
    let env = Env::new();
    profile(
        &env,
        &server.server.url("/token"),
        "retries = 3\nretry_max_secs = 30",
    );
    let started = Instant::now();
    fails(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        "answered HTTP 503 and asked to retry after 120s, beyond retry_max_secs (30s); giving up after 1 attempt",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.requests(), 1);

    // The same, when the wait would outlast the whole-request deadline instead.
    let server = FaultServer::always(Fault::Answer(
        Reply::json(503, "{}").with_header("Retry-After", "20"),
    ));
    let env = Env::new();
    profile(
        &env,
        &server.server.url("/token"),
        "retries = 3\nretry_max_secs = 60\ntimeout_secs = 10",
    );
    fails(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        "asked to retry after 20s, beyond the 10s deadline",
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn oauth_errors_are_never_retried() {
    for (code, body, exit) in [
        (400, r#"{"error":"invalid_grant"}"#, 3),
        (401, r#"{"error":"invalid_client"}"#, 3),
        (400, r#"{"error":"invalid_scope"}"#, 3),
        (403, "forbidden", 3),
    ] {
        let server = FaultServer::always(Fault::Answer(Reply::json(code, body)));
        let env = Env::new();
        profile(&env, &server.server.url("/token"), IMMEDIATE);
        fails(
            fetch(env.cmd(), &["--no-cache"]).assert(),
            exit,
            &format!("HTTP {code}"),
        );
        assert_eq!(server.requests(), 1, "{body}");
    }
}

#[test]
fn a_dropped_connection_or_truncated_body_is_retried_for_client_credentials() {
    for fault in [Fault::Drop, Fault::Truncated] {
        let server = FaultServer::start(vec![fault.clone()]);
        let env = Env::new();
        profile(&env, &server.server.url("/token"), IMMEDIATE);
        prints_the_token(fetch(env.cmd(), &["--no-cache"]).assert());
        assert_eq!(server.requests(), 2, "{fault:?}");

        let server = FaultServer::always(fault.clone());
        let env = Env::new();
        profile(&env, &server.server.url("/token"), IMMEDIATE);
        let stderr = fails(
            fetch(env.cmd(), &["--no-cache"]).assert(),
            4,
            "(gave up after 3 attempts)",
        );
        assert!(stderr.starts_with("oauthctl: error: "), "{stderr}");
        assert_eq!(server.requests(), 3, "{fault:?}");
    }
}

#[test]
fn a_refused_connection_is_retried_then_reported() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let env = Env::new();
    let token_url = format!("http://127.0.0.1:{port}/token");
    profile(&env, &token_url, IMMEDIATE);
    fails(
        fetch(env.cmd(), &["--no-cache", "-p", "app"]).assert(),
        4,
        &format!(
            "cannot connect to 127.0.0.1:{port}: connection refused (gave up after 3 attempts)"
        ),
    );
    fails(
        fetch(env.cmd(), &["--no-cache", "-p", "app", "-v"]).assert(),
        4,
        "retrying in 0.0s after a failed connection attempt (attempt 3 of 3)",
    );
}

#[test]
fn a_code_exchange_is_never_retried() {
    for fault in [Fault::Drop, status(503), status(500)] {
        let server = FaultServer::always(fault.clone());
        let env = Env::new();
        env.write_config(&format!(
            "[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\ngrant = \"authorization_code\"\nredirect_uri = \"http://127.0.0.1:9/cb\"\n{IMMEDIATE}\n",
            server.server.url("/token")
        ));
        let assert = env
            .cmd()
            .args(["exchange-code", "-p", "web", "the-code"])
            .env("WEB_SECRET", "ws")
            .assert();
        let stderr = fails(assert, 4, "");
        assert!(!stderr.contains("gave up after"), "{stderr}");
        assert_eq!(server.requests(), 1, "{fault:?}");
    }
}

/// A user profile whose cached access token is stale, so `fetch` refreshes; the refresh meets
/// `fault`.
fn refresh_meets(fault: Fault) -> (FaultServer, assert_cmd::assert::Assert) {
    let script = vec![
        Fault::Answer(Reply::json(
            200,
            r#"{"access_token":"at-0","refresh_token":"rt-0","expires_in":1}"#,
        )),
        fault,
    ];
    let server = FaultServer::start(script);
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\ngrant = \"authorization_code\"\nredirect_uri = \"http://127.0.0.1:9/cb\"\n{IMMEDIATE}\n",
        server.server.url("/token")
    ));
    env.cmd()
        .args(["exchange-code", "-p", "web", "the-code"])
        .env("WEB_SECRET", "ws")
        .assert()
        .success();
    let assert = env
        .cmd()
        .args(["fetch", "-p", "web"])
        .env("WEB_SECRET", "ws")
        .assert();
    (server, assert)
}

#[test]
fn a_refresh_is_not_sent_again_once_the_connection_broke_after_sending() {
    // The server may have rotated the refresh token before the connection broke; presenting the
    // old one again would look like a replay (RFC 9700 §4.14.2).
    let (server, assert) = refresh_meets(Fault::Drop);
    let stderr = fails(assert, 4, "connection to");
    assert!(!stderr.contains("gave up after"), "{stderr}");
    assert_eq!(server.requests(), 2, "one exchange, one refresh");
}

#[test]
fn a_refresh_is_retried_after_a_transient_status() {
    let (server, assert) = refresh_meets(status(503));
    assert_eq!(stdout_of(&assert.success()), format!("{TOKEN}\n"));
    assert_eq!(server.requests(), 3, "one exchange, two refreshes");
    let refreshes: Vec<_> = server.server.requests()[1..]
        .iter()
        .map(|r| r.form_value("refresh_token"))
        .collect();
    assert_eq!(refreshes, [Some("rt-0".into()), Some("rt-0".into())]);
}

#[test]
fn a_server_that_never_answers_ends_within_the_deadline() {
    let server = FaultServer::always(Fault::Silence);
    let env = Env::new();
    profile(&env, &server.server.url("/token"), IMMEDIATE);
    let started = Instant::now();
    let host = server.server.addr().to_string();
    fails(
        fetch(env.cmd(), &["--no-cache", "--timeout", "1"]).assert(),
        4,
        &format!(
            "timed out waiting for the response from {host}: no complete answer within the 1s deadline"
        ),
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(server.requests(), 1, "the deadline covers the retries too");

    // The same with the profile's default retries, and the flag's other name.
    profile(&env, &server.server.url("/token"), "");
    let started = Instant::now();
    fails(
        fetch(env.cmd(), &["--no-cache", "--timeout-secs", "1"]).assert(),
        4,
        &format!(
            "timed out waiting for the response from {host}: no complete answer within the 1s deadline"
        ),
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_trickling_body_ends_within_the_deadline() {
    let server = FaultServer::always(Fault::SlowBody);
    let env = Env::new();
    profile(&env, &server.server.url("/token"), IMMEDIATE);
    let started = Instant::now();
    let host = server.server.addr().to_string();
    fails(
        fetch(env.cmd(), &["--no-cache", "--timeout", "1"]).assert(),
        4,
        &format!("timed out reading the response body from {host}"),
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.requests(), 1);
}

#[test]
fn invalid_json_and_huge_bodies_are_not_retried() {
    let huge = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
    for (fault, message) in [
        (
            Fault::Answer(Reply::json(200, r#"{"access_token": "x","#)),
            "answered HTTP 200 but",
        ),
        (
            Fault::Answer(Reply::json(200, &huge)),
            "is larger than 1 MiB; refusing to read it",
        ),
    ] {
        let server = FaultServer::always(fault);
        let env = Env::new();
        profile(&env, &server.server.url("/token"), IMMEDIATE);
        fails(fetch(env.cmd(), &["--no-cache"]).assert(), 4, message);
        assert_eq!(server.requests(), 1, "{message}");
    }
}

#[test]
fn verbose_shows_each_retry_and_its_reason() {
    let server = FaultServer::start(vec![status(503), Fault::Drop]);
    let env = Env::new();
    profile(&env, &server.server.url("/token"), IMMEDIATE);
    let assert = fetch(env.cmd(), &["--no-cache", "-v"]).assert().success();
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("retrying in 0.0s after HTTP 503 (attempt 2 of 3)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("retrying in 0.0s after a broken connection (attempt 3 of 3)"),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET));
    assert_eq!(server.requests(), 3);
}

#[test]
fn the_deadline_covers_waits_and_retries_together() {
    let server = FaultServer::start(vec![
        Fault::Answer(Reply::json(503, "{}").with_header("Retry-After", "1")),
        Fault::Silence,
    ]);
    let env = Env::new();
    profile(
        &env,
        &server.server.url("/token"),
        "retries = 3\nretry_max_secs = 5\ntimeout_secs = 2",
    );
    let started = Instant::now();
    fails(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        "no complete answer within the 2s deadline",
    );
    let took = started.elapsed();
    // One second of Retry-After, then the second attempt gets what is left of the two.
    assert!(took < Duration::from_millis(2700), "{took:?}");
    assert_eq!(server.requests(), 2);
}
