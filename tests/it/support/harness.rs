//! Proof that the test infrastructure itself works, with a raw std client as the peer.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::support::common::Env;
use crate::support::server::{Recorded, Reply, StubServer};

const OK_JSON: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\n\
    Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}";

/// Sends `request` on a fresh connection and returns everything the server wrote.
fn exchange(server: &StubServer, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr()).expect("connect to stub");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request).expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    response
}

fn ok_server() -> StubServer {
    StubServer::start(|_| Reply::json(200, "{\"ok\":true}"))
}

fn panic_message<R: std::fmt::Debug>(f: impl FnOnce() -> R) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    let text = payload.downcast_ref::<&str>().map(|s| s.to_string());
    text.or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn recorded(headers: &[(&str, &str)], query: Option<&str>, body: &str) -> Recorded {
    Recorded {
        method: "POST".into(),
        target: "/".into(),
        path: "/".into(),
        query: query.map(String::from),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn form_post_is_recorded_and_answered() {
    let server = ok_server();
    let body = "grant_type=client_credentials&a%2Bb=c+d%26e&scope=read+write&empty=&flag";
    let auth = STANDARD.encode("my%20id:se:cret");
    let request = format!(
        "POST /oauth2/token?x=1&y=a%20b HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Basic {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Dup: 1\r\nx-dup:  2 \r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );

    assert_eq!(exchange(&server, request.as_bytes()), OK_JSON);

    assert_eq!(server.request_count(), 1);
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/oauth2/token?x=1&y=a%20b");
    assert_eq!(r.path, "/oauth2/token");
    assert_eq!(r.query.as_deref(), Some("x=1&y=a%20b"));
    assert_eq!(r.query_pairs(), pairs(&[("x", "1"), ("y", "a b")]));
    let names: Vec<_> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    let expected = [
        "host",
        "authorization",
        "content-type",
        "x-dup",
        "x-dup",
        "content-length",
    ];
    assert_eq!(names, expected);
    assert_eq!(
        r.header("CONTENT-TYPE"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("X-Dup"), Some("1"));
    assert_eq!(r.headers[4].1, "2", "surrounding whitespace is trimmed");
    assert_eq!(r.header_count("x-DUP"), 2);
    assert_eq!(r.header("missing"), None);
    assert_eq!(r.body_str(), body);
    let form = [
        ("grant_type", "client_credentials"),
        ("a+b", "c d&e"),
        ("scope", "read write"),
        ("empty", ""),
        ("flag", ""),
    ];
    assert_eq!(r.form(), pairs(&form));
    assert_eq!(r.form_value("a+b").as_deref(), Some("c d&e"));
    assert_eq!(r.form_value("a%2Bb"), None);
    let credentials = ("my%20id".to_owned(), "se:cret".to_owned());
    assert_eq!(r.basic_credentials(), Some(credentials));
}

#[test]
fn chunked_post_is_decoded() {
    let server = StubServer::start(|_| {
        Reply::new(201, "text/plain", "made").with_header("Cache-Control", "no-store")
    });
    let request = b"POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n\
        5\r\nhello\r\n7;ext=1\r\n world!\r\n0\r\nX-Trailer: t\r\n\r\n";

    let response = exchange(&server, request);

    let expected = "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n\
        Cache-Control: no-store\r\nContent-Length: 4\r\nConnection: close\r\n\r\nmade";
    assert_eq!(String::from_utf8(response).unwrap(), expected);
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/token"));
    assert_eq!(r.body, b"hello world!");
    assert_eq!(r.query, None);
    assert_eq!(r.basic_credentials(), None);
}

#[test]
fn sequential_requests_are_all_served_in_order() {
    let server = ok_server();
    for i in 0..20 {
        let request = format!("GET /n/{i}? HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(exchange(&server, request.as_bytes()), OK_JSON);
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 20);
    for (i, r) in requests.iter().enumerate() {
        assert_eq!(r.path, format!("/n/{i}"));
        assert_eq!(r.query.as_deref(), Some(""));
        assert!(r.body.is_empty() && r.query_pairs().is_empty());
    }
    assert_eq!(
        server.url("/t?a=1"),
        format!("http://{}/t?a=1", server.addr())
    );
    assert!(server.url("").starts_with("http://127.0.0.1:"));
}

#[test]
fn malformed_requests_get_400_and_are_not_recorded() {
    let server = StubServer::start(|r| panic!("handler reached with {r:?}"));
    let big = "a".repeat(70 * 1024);
    let cases = [
        "GET / HTTP/1.0\r\nHost: x\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\nHost: x\n\n".to_owned(),
        "GET /  HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n".to_owned(),
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\
         Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            .to_owned(),
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc".to_owned(),
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n".to_owned(),
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n".to_owned(),
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n".to_owned(),
        format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"),
    ];
    for case in &cases {
        let response = exchange(&server, case.as_bytes());
        let text = String::from_utf8_lossy(&response);
        assert!(
            text.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{case:.80?} got {text:?}"
        );
    }
    assert_eq!(server.request_count(), 0);
}

#[test]
fn handler_panic_becomes_500_and_is_reraised_on_drop() {
    let server = StubServer::start(|r| {
        assert_eq!(r.path, "/expected");
        Reply::json(200, "{}")
    });

    let response = exchange(&server, b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n");

    let text = String::from_utf8(response).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\nstub handler panicked"), "{text}");
    assert_eq!(
        server.requests()[0].path,
        "/other",
        "recorded before the handler ran"
    );
    let panics = server.handler_panics();
    assert!(
        panics.len() == 1 && panics[0].contains("/expected"),
        "{panics:?}"
    );
    let message = panic_message(move || drop(server));
    assert!(message.contains("stub handler panicked") && message.contains("/expected"));
}

#[test]
fn raw_handler_owns_the_socket() {
    let server = StubServer::start_raw(|r, stream| match r.path.as_str() {
        "/garbage" => stream.write_all(b"not http at all").unwrap(),
        "/silent" => {}
        _ => {
            std::thread::sleep(Duration::from_millis(50));
            Reply::json(503, "{}")
                .with_header("Retry-After", "1")
                .write_to(stream)
                .unwrap();
        }
    });
    let get = |path: &str| {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        String::from_utf8(exchange(&server, request.as_bytes())).unwrap()
    };

    assert_eq!(get("/garbage"), "not http at all");
    assert_eq!(get("/silent"), "");
    let expected = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json;\
        charset=UTF-8\r\nRetry-After: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    assert_eq!(get("/late"), expected);
    assert_eq!(server.request_count(), 3);
}

#[test]
fn reply_framing() {
    let mut out = Vec::new();
    let no_content = Reply {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
    };
    no_content.write_to(&mut out).unwrap();
    let expected = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    let message = panic_message(|| Reply::json(200, "{}").with_header("content-length", "9"));
    assert!(message.contains("see start_raw"), "{message}");
}

#[test]
fn drop_stops_the_server_promptly() {
    let server = ok_server();
    assert_eq!(
        exchange(&server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        OK_JSON
    );
    let addr = server.addr();

    let started = Instant::now();
    drop(server);

    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let connected = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
    assert!(connected.is_err(), "{addr} still accepts connections");
}

#[test]
fn form_decoding() {
    let form = |body: &str| recorded(&[], None, body).form();
    assert_eq!(form(""), pairs(&[]));
    assert_eq!(form("a"), pairs(&[("a", "")]));
    assert_eq!(form("=v&&k="), pairs(&[("", "v"), ("k", "")]));
    assert_eq!(form("a=b=c"), pairs(&[("a", "b=c")]));
    assert_eq!(form("%41%62=%e2%82%AC+%2B%25"), pairs(&[("Ab", "€ +%")]));
    for bad in ["%", "%4", "a=%zz", "%FF"] {
        let message = panic_message(|| form(bad));
        let why = ["malformed percent-escape", "does not decode to UTF-8"];
        assert!(why.iter().any(|w| message.contains(w)), "{bad}: {message}");
    }
    let r = recorded(&[], Some("k=1&k=2&x=%20y"), "k=first&k=second");
    assert_eq!(r.form_value("k").as_deref(), Some("first"));
    assert_eq!(
        r.query_pairs(),
        pairs(&[("k", "1"), ("k", "2"), ("x", " y")])
    );
    assert_eq!(recorded(&[], None, "").query_pairs(), pairs(&[]));
}

#[test]
fn basic_credentials_decoding() {
    let with_auth = |value: &str| recorded(&[("authorization", value)], None, "");
    let basic = |raw: &str| with_auth(&format!("Basic {}", STANDARD.encode(raw)));
    let pair = |u: &str, p: &str| Some((u.to_owned(), p.to_owned()));
    assert_eq!(recorded(&[], None, "").basic_credentials(), None);
    assert_eq!(with_auth("Bearer abc").basic_credentials(), None);
    assert_eq!(basic("a%3Ab:c:d").basic_credentials(), pair("a%3Ab", "c:d"));
    assert_eq!(basic("id:").basic_credentials(), pair("id", ""));
    let lower = with_auth(&format!("basic {}", STANDARD.encode("u:p")));
    assert_eq!(lower.basic_credentials(), pair("u", "p"));
    assert!(panic_message(|| with_auth("Basic %%%").basic_credentials()).contains("base64"));
    assert!(panic_message(|| basic("no-colon").basic_credentials()).contains("':'"));
}

#[test]
fn cmd_runs_oauthctl_with_the_hermetic_environment() {
    let env = Env::new();
    let cmd = env.cmd();
    assert!(Path::new(cmd.get_program()).ends_with("oauthctl"));
    let envs: HashMap<_, _> = cmd.get_envs().collect();
    assert_eq!(envs[OsStr::new("HOME")], Some(env.home.path().as_os_str()));
    assert_eq!(envs[OsStr::new("https_proxy")], None, "removed");
    assert_eq!(envs[OsStr::new("NO_COLOR")], None, "removed");
}

/// Runs a shell through the same environment to see what a child really gets, stdin included.
#[test]
fn hermetic_child_sees_temp_home_no_leaks_and_empty_stdin() {
    let env = Env::new();
    let script = r#"[ -t 0 ] && echo stdin-is-a-tty; printf 'stdin=[%s]\n' "$(cat)"; env"#;
    let mut cmd = env.hermetic(assert_cmd::Command::new("sh"));
    let output = cmd
        .args(["-c", script])
        .assert()
        .success()
        .get_output()
        .clone();

    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let home = env.home.path().display();
    assert!(lines.contains(&"stdin=[]"), "{stdout}");
    assert!(!lines.contains(&"stdin-is-a-tty"), "{stdout}");
    assert!(lines.contains(&format!("HOME={home}").as_str()), "{stdout}");
    assert!(lines.contains(&format!("XDG_CONFIG_HOME={home}/.config").as_str()));
    assert!(lines.contains(&format!("XDG_CACHE_HOME={home}/.cache").as_str()));
    for line in lines {
        let name = line.split('=').next().unwrap_or_default();
        let leak = name.starts_with("OAUTHCTL_")
            || name == "NO_COLOR"
            || name.to_ascii_lowercase().ends_with("_proxy");
        assert!(!leak, "{line} leaked into the child");
    }
}

#[test]
fn write_config_is_private_and_where_oauthctl_looks() {
    let env = Env::new();
    let path = env.write_config("[profiles.a]\n");
    assert_eq!(path, env.config_path());
    assert_eq!(path, env.home.path().join(".config/oauthctl/config.toml"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "[profiles.a]\n");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
