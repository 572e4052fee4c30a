//! Redirects are reported and never followed (SECURITY 16), plain http goes to loopback only
//! (SECURITY 15), and bodies are capped with bounded memory (SECURITY 21).

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use serde_json::{Value, json};

use crate::support::app::{APP, SECRET, SECRET_ENV, assert_token_request, fetch, profile};
use crate::support::common::{Env, fails_in_one_line, stderr_of, stdout_of, token_server};
use crate::support::proxy::all_proxy_vars;
use crate::support::proxy::{ConnectProxy, bind_ipv6_loopback, forwarder};
use crate::support::server::{Reply, StubServer};

// ---------------------------------------------------------------- peak memory of one run

/// Runs oauthctl with `args` under GNU time and returns what it did and its peak resident set
/// size in KiB (`%M`).
///
/// Not wait4(2) on a child of the test binary: Linux carries the old image's high-water mark
/// across execve into ru_maxrss, and a child spawned by this many-threaded test process starts
/// out as a copy of it, so oauthctl's own number would be hidden under the test binary's. GNU
/// time forks oauthctl from a small process of its own. It is Debian's `time` package, part of
/// the Rust machine image.
fn run_measuring_memory(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (Assert, u64) {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "measuring peak memory needs GNU time: apt-get install time"
    );
    let report = tempfile::NamedTempFile::new_in(env.home.path()).unwrap();
    let mut cmd = env.hermetic(Command::new(time));
    cmd.args(["--format", "%M", "--output"])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_oauthctl"))
        .args(args)
        .envs(vars.iter().copied());
    let assert = cmd.assert();
    // After a failure, time writes "Command exited with non-zero status N" first.
    let text = std::fs::read_to_string(report.path()).unwrap();
    let last = text.lines().last().unwrap_or_default();
    let kib = last
        .parse()
        .unwrap_or_else(|_| panic!("no peak RSS from time: {text:?}"));
    (assert, kib)
}

// ================================================================ SECURITY 16: redirects

#[test]
fn no_redirect_status_is_followed_and_each_is_reported_with_its_location() {
    for status in [301, 302, 303, 307, 308] {
        let target = token_server("tok-from-the-redirect-target");
        let location = target.url("/elsewhere?code=code-in-the-location&state=s1");
        let redirecting = StubServer::start(move |_| {
            Reply::new(status, "text/plain", "moved").with_header("Location", &location)
        });
        let env = Env::new();
        profile(&env, &redirecting.url("/token"), "");
        let stderr = fails_in_one_line(
            fetch(env.cmd(), &["--no-cache"]).assert(),
            4,
            &format!("HTTP {status}"),
        );
        // The Location is named with only the names of its query: a server may echo anything there.
        let shown = format!(
            "redirecting to {}",
            target.url("/elsewhere?code=***&state=***")
        );
        assert!(stderr.contains(&shown), "{status}: {stderr}");
        assert!(stderr.contains("not followed"), "{status}: {stderr}");
        assert!(
            !stderr.contains("code-in-the-location"),
            "{status}: {stderr}"
        );
        assert_eq!(target.request_count(), 0, "{status} was followed");
        // Asked once, and once only: a redirect is an answer, not a transient failure.
        assert_eq!(redirecting.request_count(), 1, "{status}");
        assert_token_request(&redirecting.requests()[0], "/token");

        // The same under -o json, with the status in the error object.
        let assert = fetch(env.cmd(), &["--no-cache", "-o", "json"])
            .assert()
            .failure()
            .code(4);
        let error: Value = serde_json::from_str(&stderr_of(&assert)).unwrap();
        assert_eq!(error["error"]["status"], status, "{error}");
        assert_eq!(error["error"]["exit_code"], 4, "{error}");
        assert_eq!(stdout_of(&assert), "");
        assert_eq!(target.request_count(), 0, "{status} was followed");
    }
}

#[test]
fn credentials_in_a_redirect_location_are_not_shown() {
    let target = token_server("t");
    let location = format!("http://someone:hunter2-pw@{}/elsewhere", target.addr());
    let redirecting = StubServer::start(move |_| {
        Reply::new(302, "text/plain", "").with_header("Location", &location)
    });
    let env = Env::new();
    profile(&env, &redirecting.url("/token"), "");
    let stderr = fails_in_one_line(fetch(env.cmd(), &["--no-cache"]).assert(), 4, "HTTP 302");
    assert!(!stderr.contains("hunter2-pw"), "{stderr}");
    // Where it points is still said.
    assert!(
        stderr.contains(&format!("{}/elsewhere", target.addr())),
        "{stderr}"
    );
    assert_eq!(target.request_count(), 0);
}

#[test]
fn discovery_does_not_follow_redirects_either() {
    let target = StubServer::start(|_| Reply::json(200, r#"{"issuer":"x"}"#));
    let elsewhere = target.url("/.well-known/openid-configuration");
    let issuer = StubServer::start(move |_| {
        Reply::new(302, "text/plain", "").with_header("Location", &elsewhere)
    });
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.t]\nissuer = \"{}\"\nclient_id = \"{APP}\"\nclient_secret_env = \"{SECRET_ENV}\"\n",
        issuer.url("")
    ));
    fails_in_one_line(
        fetch(env.cmd(), &["--no-cache", "-p", "t"]).assert(),
        4,
        "answered HTTP 302",
    );
    assert_eq!(target.request_count(), 0);
    // Both well-known locations were tried, each once, with GET.
    let paths: Vec<_> = issuer
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            (
                "GET".to_owned(),
                "/.well-known/openid-configuration".to_owned()
            ),
            (
                "GET".to_owned(),
                "/.well-known/oauth-authorization-server".to_owned()
            ),
        ]
    );
}

// ================================================================ SECURITY 15: plain http

#[test]
fn plain_http_to_a_non_loopback_host_is_refused_before_any_connection() {
    let proxy = ConnectProxy::start();
    let env = Env::new();
    for url in [
        "http://example.com/token",
        "http://idp.example/token",
        "http://10.0.0.1/token",
        "http://10.1.2.3/token",
        "http://[2001:db8::1]:8080/token",
        "http://127.0.0.1.example.com/token",
        "http://localhost.example.com/token",
    ] {
        // From the profile …
        profile(&env, url, "");
        let mut cmd = fetch(env.cmd(), &["--no-cache"]);
        all_proxy_vars(&mut cmd, &proxy, "");
        let stderr = fails_in_one_line(cmd.assert(), 78, "plain http to a non-loopback host");
        assert!(stderr.contains(&format!("token_url `{url}`")), "{stderr}");
        // … and from the flag.
        profile(&env, "https://idp.example/token", "");
        let mut cmd = fetch(env.cmd(), &["--no-cache", "--token-url", url]);
        all_proxy_vars(&mut cmd, &proxy, "");
        let stderr = fails_in_one_line(cmd.assert(), 78, url);
        assert!(stderr.contains(&format!("token_url `{url}`")), "{stderr}");
    }
    // A scheme that is neither https nor http is refused as well, from the profile and the flag.
    let url = "ftp://idp.example/t";
    profile(&env, url, "");
    let mut cmd = fetch(env.cmd(), &["--no-cache"]);
    all_proxy_vars(&mut cmd, &proxy, "");
    fails_in_one_line(cmd.assert(), 78, &format!("token_url `{url}`"));
    profile(&env, "https://idp.example/token", "");
    let mut cmd = fetch(env.cmd(), &["--no-cache", "--token-url", url]);
    all_proxy_vars(&mut cmd, &proxy, "");
    fails_in_one_line(cmd.assert(), 78, &format!("token_url `{url}`"));
    assert_eq!(proxy.connections(), 0, "{:?}", proxy.requests());
}

#[test]
fn a_discovered_plain_http_token_endpoint_elsewhere_is_refused_before_connecting() {
    let metadata = Arc::new(Mutex::new(String::new()));
    let body = metadata.clone();
    let issuer = StubServer::start(move |_| Reply::json(200, &body.lock().unwrap()));
    *metadata.lock().unwrap() =
        json!({"issuer": issuer.url(""), "token_endpoint": "http://idp.example/token"}).to_string();
    let proxy = ConnectProxy::start();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.t]\nissuer = \"{}\"\nclient_id = \"{APP}\"\nclient_secret_env = \"{SECRET_ENV}\"\n",
        issuer.url("")
    ));
    let mut cmd = fetch(env.cmd(), &["--no-cache", "-p", "t"]);
    // Discovery on 127.0.0.1 goes direct; anything else would have to pass the proxy.
    cmd.env("HTTPS_PROXY", proxy.url(""));
    fails_in_one_line(cmd.assert(), 78, "http://idp.example/token");
    assert_eq!(issuer.request_count(), 1);
    assert_eq!(proxy.connections(), 0, "{:?}", proxy.requests());
}

#[test]
fn plain_http_to_any_127_address_works() {
    let server = token_server("tok-127");
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    fetch(env.cmd(), &["--no-cache"])
        .assert()
        .success()
        .stdout("tok-127\n");
    assert_token_request(&server.requests()[0], "/token");

    // Another address of 127.0.0.0/8, where Linux answers too.
    let Ok(listener) = TcpListener::bind("127.45.6.7:0") else {
        eprintln!("skipped 127.45.6.7: cannot bind it on this machine");
        return;
    };
    let relay = forwarder(listener, server.addr());
    let url = format!("http://{}/token", relay.addr());
    fetch(env.cmd(), &["--no-cache", "--token-url", &url])
        .assert()
        .success()
        .stdout("tok-127\n");
    let request = &server.requests()[1];
    assert_token_request(request, "/token");
    assert_eq!(request.header("host"), Some(&*relay.addr().to_string()));
}

#[test]
fn plain_http_to_ipv6_loopback_works() {
    let listener = match bind_ipv6_loopback(0) {
        None => {
            eprintln!("skipped: this machine has no IPv6 loopback");
            return;
        }
        Some(bound) => bound.expect("bind [::1]:0"),
    };
    let server = token_server("tok-v6");
    let relay = forwarder(listener, server.addr());
    let port = relay.addr().port();
    let env = Env::new();
    profile(&env, &format!("http://[::1]:{port}/token"), "");
    fetch(env.cmd(), &["--no-cache"])
        .assert()
        .success()
        .stdout("tok-v6\n");
    assert_eq!(server.request_count(), 1);
    let request = &server.requests()[0];
    assert_token_request(request, "/token");
    assert_eq!(request.header("host"), Some(&*format!("[::1]:{port}")));
    assert_eq!(relay.connections(), 1);
}

#[test]
fn plain_http_to_localhost_works() {
    // localhost may resolve to ::1 before 127.0.0.1: the stub's port is held on [::1] too, by a
    // forwarder to the stub, so that whichever address is tried first, it is this test's server.
    let (server, _v6) = (0..10)
        .find_map(|_| {
            let server = token_server("tok-localhost");
            match bind_ipv6_loopback(server.addr().port()) {
                None => Some((server, None)),
                Some(Ok(listener)) => {
                    let relay = forwarder(listener, server.addr());
                    Some((server, Some(relay)))
                }
                Some(Err(_)) => None, // that port is taken on [::1]: try another
            }
        })
        .expect("a port free on both loopback addresses");
    let port = server.addr().port();
    let env = Env::new();
    profile(&env, &format!("http://localhost:{port}/token"), "");
    fetch(env.cmd(), &["--no-cache"])
        .assert()
        .success()
        .stdout("tok-localhost\n");
    assert_eq!(server.request_count(), 1);
    let request = &server.requests()[0];
    assert_token_request(request, "/token");
    assert_eq!(request.header("host"), Some(&*format!("localhost:{port}")));
}

// ================================================================ SECURITY 21: the body cap

/// Peak memory of a run that reads up to the cap may exceed that of a small successful fetch by
/// this much: the 1 MiB read (into a Vec that may have grown to 2 MiB) and the buffers around it.
/// Measured: about 1.3 MiB more.
const MEMORY_BUDGET_KIB: u64 = 4 * 1024;

/// The peak RSS of a successful small fetch from `env`'s profile `t`, the baseline for the cap.
fn baseline_rss(env: &Env) -> u64 {
    let server = token_server("small");
    let url = server.url("/token");
    let (assert, kib) = run_measuring_memory(
        env,
        &["fetch", "--no-cache", "--token-url", &url],
        &[(SECRET_ENV, SECRET)],
    );
    assert.success().stdout("small\n");
    kib
}

#[test]
fn a_body_over_one_mib_is_refused_with_bounded_memory() {
    let big = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
    let server = StubServer::start(move |_| Reply::json(200, &big));
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let baseline = baseline_rss(&env);
    let (assert, peak) =
        run_measuring_memory(&env, &["fetch", "--no-cache"], &[(SECRET_ENV, SECRET)]);
    let stderr = fails_in_one_line(assert, 4, "larger than 1 MiB");
    assert!(stderr.contains(&server.addr().to_string()), "{stderr}");
    assert!(
        peak < baseline + MEMORY_BUDGET_KIB,
        "peak RSS {peak} KiB, a small fetch took {baseline} KiB"
    );
    // A body over the cap is final: it is not asked for again.
    assert_eq!(server.request_count(), 1);
}

#[test]
fn a_body_of_exactly_one_mib_is_read() {
    let prefix = r#"{"access_token":"tok","token_type":"Bearer","padding":""#;
    let padding = 1024 * 1024 - prefix.len() - r#""}"#.len();
    let body = format!(r#"{prefix}{}"}}"#, "p".repeat(padding));
    assert_eq!(body.len(), 1024 * 1024);
    let over = format!(r#"{prefix}{}"}}"#, "p".repeat(padding + 1));
    let server = StubServer::start(move |r| {
        Reply::json(200, if r.path == "/exact" { &body } else { &over })
    });
    let env = Env::new();
    profile(&env, &server.url("/exact"), "");
    fetch(env.cmd(), &["--no-cache"])
        .assert()
        .success()
        .stdout("tok\n");
    fails_in_one_line(
        fetch(
            env.cmd(),
            &["--no-cache", "--token-url", &server.url("/over")],
        )
        .assert(),
        4,
        "larger than 1 MiB",
    );
}

#[test]
fn an_endless_chunked_body_is_cut_off_with_bounded_memory() {
    // At most 64 MiB, so that even a client without a cap ends (and fails the memory check).
    const LIMIT: usize = 64 * 1024 * 1024;
    let written = Arc::new(AtomicUsize::new(0));
    let count = written.clone();
    let server = StubServer::start_raw(move |_, stream| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        let chunk_data = "a".repeat(64 * 1024);
        let chunk = format!("{:x}\r\n{chunk_data}\r\n", chunk_data.len());
        let mut sent = 0;
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(b"5\r\n{\"a\":\r\n");
        // Until the client hangs up.
        while sent < LIMIT && stream.write_all(chunk.as_bytes()).is_ok() {
            sent += chunk_data.len();
        }
        count.store(sent, SeqCst);
    });
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let baseline = baseline_rss(&env);
    let started = Instant::now();
    let (assert, peak) =
        run_measuring_memory(&env, &["fetch", "--no-cache"], &[(SECRET_ENV, SECRET)]);
    fails_in_one_line(assert, 4, "larger than 1 MiB");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        peak < baseline + MEMORY_BUDGET_KIB,
        "peak RSS {peak} KiB, a small fetch took {baseline} KiB"
    );
    drop(server); // waits for the handler, which ends when the client has gone
    let sent = written.load(SeqCst);
    assert!(sent < LIMIT, "the client read all {sent} bytes");
}

#[test]
fn an_endless_gzip_body_is_cut_off_after_one_mib_decoded_with_bounded_memory() {
    use flate2::{Compression, write::GzEncoder};
    // One gzip member is a MiB of zeros in about a KiB; ureq's decoder reads concatenated members
    // (RFC 1952 §2.2), so sending it again and again is an endless body. At most 256 MiB decoded.
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&vec![0; 1024 * 1024]).unwrap();
    let member = encoder.finish().unwrap();
    assert!(member.len() < 8 * 1024, "{}", member.len());
    let server = StubServer::start_raw(move |request, stream| {
        // ureq asks for gzip by itself.
        let accepted = request.header("accept-encoding").unwrap_or_default();
        assert!(accepted.contains("gzip"), "{accepted}");
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        let mut chunk = format!("{:x}\r\n", member.len()).into_bytes();
        chunk.extend_from_slice(&member);
        chunk.extend_from_slice(b"\r\n");
        // A few hundred KiB on the wire fit in the socket buffers, so this loop may well finish
        // before the client gives up: what counts is how much the client decodes and keeps.
        for _ in 0..256 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let baseline = baseline_rss(&env);
    let (assert, peak) =
        run_measuring_memory(&env, &["fetch", "--no-cache"], &[(SECRET_ENV, SECRET)]);
    fails_in_one_line(assert, 4, "larger than 1 MiB");
    assert!(
        peak < baseline + MEMORY_BUDGET_KIB,
        "peak RSS {peak} KiB, a small fetch took {baseline} KiB"
    );
}
