//! Transport rules (SECURITY 15, 16, 21, 22, 23, 25, 26, 47; DESIGN §6): redirects are reported
//! and never followed, plain http goes to loopback only, bodies are capped with bounded memory,
//! `ca_file` adds trust for a private CA, proxies from the environment are honoured with
//! `NO_PROXY` and never used for loopback, and the tolerated forms of a token response (RFC 6749
//! §5.1).
//!
//! Each test drives the real binary against loopback servers and asserts on what went over the
//! wire, the exit code (DESIGN §5), the one-line message and an empty stdout. Besides the strict
//! stubs of `support/server.rs`, they use the relays of `support/proxy.rs` (a TCP forwarder and a CONNECT proxy),
//! the HTTPS front of `support/tls.rs`, and GNU time for the peak memory of a run.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::app::{APP, SECRET, SECRET_ENV, assert_token_request, fetch, profile};
use crate::support::common::{
    Env, fails_in_one_line, json_of, jwt, now, stderr_of, stdout_of, token_reply, token_server,
};
use crate::support::proxy::{ConnectProxy, bind_ipv6_loopback, forwarder};
use crate::support::server::{Reply, StubServer};
use crate::support::tls::{PROXIED_HOST, Pki, TlsFront};

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

/// Every proxy variable ureq reads, all pointing at `proxy` (with `userinfo`): a request that
/// left oauthctl at all would reach it (as a CONNECT, which it refuses for anything but
/// loopback).
fn all_proxy_vars(cmd: &mut Command, proxy: &ConnectProxy, userinfo: &str) {
    for var in [
        "ALL_PROXY",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "all_proxy",
        "https_proxy",
        "http_proxy",
    ] {
        cmd.env(var, proxy.url(userinfo));
    }
}

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

// ================================================================ SECURITY 23: ca_file

fn tls_backend() -> StubServer {
    StubServer::start(|r| {
        if r.path == "/token" {
            token_reply("tok-over-tls")
        } else {
            Reply::new(404, "text/plain", "no such path")
        }
    })
}

#[test]
fn ca_file_in_the_profile_trusts_a_private_ca() {
    let pki = Pki::new("oauthctl test CA");
    let backend = tls_backend();
    let front = TlsFront::start(&pki, &backend);
    let env = Env::new();
    let ca = pki.write_ca(env.home.path(), "private-ca.pem");
    for host in ["127.0.0.1", "localhost"] {
        let url = front.url(host, "/token");
        profile(&env, &url, &format!("ca_file = \"{}\"\n", ca.display()));
        fetch(env.cmd(), &["--no-cache"])
            .assert()
            .success()
            .stdout("tok-over-tls\n");
    }
    assert_eq!(backend.request_count(), 2);
    for request in backend.requests() {
        assert_token_request(&request, "/token");
    }
    assert_eq!(front.handshakes(), 2);
}

#[test]
fn a_relative_ca_file_is_found_next_to_the_config_file() {
    let pki = Pki::new("oauthctl test CA");
    let backend = tls_backend();
    let front = TlsFront::start(&pki, &backend);
    let env = Env::new();
    let config = profile(
        &env,
        &front.url("127.0.0.1", "/token"),
        "ca_file = \"certs/ca.pem\"\n",
    );
    let dir = config.parent().unwrap().join("certs");
    std::fs::create_dir_all(&dir).unwrap();
    pki.write_ca(&dir, "ca.pem");
    fetch(env.cmd(), &["--no-cache"])
        .assert()
        .success()
        .stdout("tok-over-tls\n");
    assert_token_request(&backend.requests()[0], "/token");
}

#[test]
fn ca_file_flag_alias_and_env_var_trust_a_private_ca() {
    let pki = Pki::new("oauthctl test CA");
    let backend = tls_backend();
    let front = TlsFront::start(&pki, &backend);
    let env = Env::new();
    let ca = pki.write_ca(env.home.path(), "ca.pem");
    let ca = ca.to_str().unwrap();
    profile(&env, &front.url("127.0.0.1", "/token"), "");
    fetch(env.cmd(), &["--no-cache", "--ca-file", ca])
        .assert()
        .success()
        .stdout("tok-over-tls\n");
    fetch(env.cmd(), &["--no-cache", "--cacert", ca])
        .assert()
        .success()
        .stdout("tok-over-tls\n");
    fetch(env.cmd(), &["--no-cache"])
        .env("OAUTHCTL_CA_FILE", ca)
        .assert()
        .success()
        .stdout("tok-over-tls\n");
    assert_eq!(backend.request_count(), 3);
    backend
        .requests()
        .iter()
        .for_each(|r| assert_token_request(r, "/token"));
}

#[test]
fn without_the_ca_file_a_private_ca_is_a_certificate_error() {
    let pki = Pki::new("oauthctl test CA");
    let backend = tls_backend();
    let front = TlsFront::start(&pki, &backend);
    let env = Env::new();
    profile(&env, &front.url("127.0.0.1", "/token"), "");
    let host = front.addr().to_string();
    let stderr = fails_in_one_line(fetch(env.cmd(), &["--no-cache"]).assert(), 4, &host);
    assert!(stderr.contains("certificate"), "{stderr}");
    assert_eq!(front.connections(), 1, "a certificate error is not retried");

    // Another CA in ca_file does not make this one trusted.
    let other = Pki::new("some other CA");
    let ca = other.write_ca(env.home.path(), "other-ca.pem");
    profile(
        &env,
        &front.url("127.0.0.1", "/token"),
        &format!("ca_file = \"{}\"\n", ca.display()),
    );
    let stderr = fails_in_one_line(fetch(env.cmd(), &["--no-cache"]).assert(), 4, &host);
    assert!(stderr.contains("certificate"), "{stderr}");

    // Nothing was decrypted, so no request reached the server.
    assert_eq!(front.handshakes(), 0);
    assert_eq!(backend.request_count(), 0);
}

#[test]
fn an_untrusted_certificate_is_called_a_tls_error_and_points_at_ca_file() {
    let pki = Pki::new("oauthctl test CA");
    let backend = tls_backend();
    let front = TlsFront::start(&pki, &backend);
    let env = Env::new();
    profile(&env, &front.url("127.0.0.1", "/token"), "");
    let host = front.addr().to_string();
    let stderr = fails_in_one_line(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        &format!("TLS error with {host}"),
    );
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(stderr.contains("ca_file"), "{stderr}");
}

#[test]
fn a_certificate_for_another_name_is_refused_even_from_a_trusted_ca() {
    let pki = Pki::new("oauthctl test CA");
    let backend = tls_backend();
    let front = TlsFront::start(&pki, &backend);
    let env = Env::new();
    let ca = pki.write_ca(env.home.path(), "ca.pem");
    // 127.0.0.2 is loopback, but the certificate names 127.0.0.1 and localhost only.
    let Ok(listener) = TcpListener::bind("127.0.0.2:0") else {
        eprintln!("skipped: cannot bind 127.0.0.2 on this machine");
        return;
    };
    let relay = forwarder(listener, front.addr());
    let url = format!("https://{}/token", relay.addr());
    profile(&env, &url, &format!("ca_file = \"{}\"\n", ca.display()));
    let stderr = fails_in_one_line(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        4,
        &relay.addr().to_string(),
    );
    assert!(
        stderr.contains("certificate not valid for name"),
        "{stderr}"
    );
    assert_eq!(backend.request_count(), 0);
}

#[test]
fn a_ca_file_that_is_missing_or_holds_no_certificate_is_a_config_error_naming_it() {
    let server = token_server("t");
    let env = Env::new();
    let dir = env.home.path();
    let pem_key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBrq0sLsAMxfLOkuVHLvNVZT4oU8b6DBEzNWgqDwfbrk\n-----END PRIVATE KEY-----\n";
    let broken = "-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n-----END CERTIFICATE-----\n";
    let cases: [(&str, Option<&str>, &str); 5] = [
        ("missing.pem", None, "cannot read ca_file"),
        ("empty.pem", Some(""), "holds no certificate"),
        (
            "text.pem",
            Some("this is not PEM at all\n"),
            "holds no certificate",
        ),
        ("key.pem", Some(pem_key), "holds no certificate"),
        ("broken.pem", Some(broken), "is not valid PEM"),
    ];
    for (name, content, message) in cases {
        let path = dir.join(name);
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        profile(
            &env,
            &server.url("/token"),
            &format!("ca_file = \"{}\"\n", path.display()),
        );
        let stderr = fails_in_one_line(fetch(env.cmd(), &["--no-cache"]).assert(), 78, message);
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        // The flag is checked the same way.
        fails_in_one_line(
            fetch(
                env.cmd(),
                &["--no-cache", "--ca-file", path.to_str().unwrap()],
            )
            .assert(),
            78,
            message,
        );
    }
    // A directory is not a file of certificates either.
    let stderr = fails_in_one_line(
        fetch(
            env.cmd(),
            &["--no-cache", "--ca-file", dir.to_str().unwrap()],
        )
        .assert(),
        78,
        "cannot read ca_file",
    );
    assert!(stderr.contains(&dir.display().to_string()), "{stderr}");
    assert_eq!(server.request_count(), 0, "checked before connecting");
}

// ================================================================ SECURITY 22, 47: proxies

const PROXY_USER: &str = "proxy-user";
const PROXY_PASSWORD: &str = "pr0xy-pw-Zq81";

fn proxy_basic() -> String {
    STANDARD.encode(format!("{PROXY_USER}:{PROXY_PASSWORD}"))
}

fn proxy_creds() -> String {
    format!("{PROXY_USER}:{PROXY_PASSWORD}")
}

/// A remote-looking authorization server: an HTTPS front named `PROXIED_HOST`, which only the
/// test proxy resolves, relaying to a token stub; profile `t` points at it and trusts its CA.
struct Remote {
    backend: StubServer,
    front: TlsFront,
    env: Env,
}

impl Remote {
    fn start() -> Remote {
        let pki = Pki::new("oauthctl test CA");
        let backend = tls_backend();
        let front = TlsFront::start(&pki, &backend);
        let env = Env::new();
        let ca = pki.write_ca(env.home.path(), "ca.pem");
        profile(
            &env,
            &front.url(PROXIED_HOST, "/token"),
            &format!("ca_file = \"{}\"\n", ca.display()),
        );
        Remote {
            backend,
            front,
            env,
        }
    }

    /// `host:port` as a CONNECT names it.
    fn authority(&self) -> String {
        format!("{PROXIED_HOST}:{}", self.front.addr().port())
    }
}

/// A server for every kind of request oauthctl makes: discovery, token (any grant), device
/// authorization, revocation, introspection and JWKS, all on 127.0.0.1.
fn everything_server() -> StubServer {
    let base = Arc::new(Mutex::new(String::new()));
    let own = base.clone();
    let server = StubServer::start(move |r| {
        let base = own.lock().unwrap().clone();
        match r.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                200,
                &json!({
                    "issuer": base,
                    "token_endpoint": format!("{base}/token"),
                    "device_authorization_endpoint": format!("{base}/device"),
                    "revocation_endpoint": format!("{base}/revoke"),
                    "introspection_endpoint": format!("{base}/introspect"),
                    "jwks_uri": format!("{base}/jwks"),
                })
                .to_string(),
            ),
            "/token" => token_reply("tok-direct"),
            "/device" => Reply::json(
                200,
                &json!({"device_code": "dc", "user_code": "UC", "verification_uri": "https://idp.example/device", "expires_in": 60, "interval": 1})
                    .to_string(),
            ),
            "/revoke" => Reply::json(200, "{}"),
            "/introspect" => Reply::json(200, r#"{"active":true}"#),
            "/jwks" => Reply::json(
                200,
                &std::fs::read_to_string("tests/fixtures/keys/jwks.json").unwrap(),
            ),
            _ => Reply::new(404, "text/plain", "no such path"),
        }
    });
    *base.lock().unwrap() = server.url("");
    server
}

#[test]
fn loopback_is_never_proxied_whatever_the_proxy_variables_say() {
    let server = token_server("tok-direct");
    let proxy = ConnectProxy::start();
    let env = Env::new();
    // The same server under other loopback names: localhost, another 127/8 address, and ::1
    // when the machine has it.
    let other = TcpListener::bind("127.0.0.2:0").unwrap();
    let other_url = format!("http://{}/token", other.local_addr().unwrap());
    let _relay = forwarder(other, server.addr());
    let mut urls = vec![
        server.url("/token"),
        format!("http://localhost:{}/token", server.addr().port()),
        other_url,
    ];
    let ipv6 = bind_ipv6_loopback(0).map(|l| l.unwrap());
    let _relay6 = ipv6.map(|listener| {
        urls.push(format!("http://{}/token", listener.local_addr().unwrap()));
        forwarder(listener, server.addr())
    });
    let creds = proxy_creds();
    for url in &urls {
        profile(&env, url, "");
        // Every variable set, and no NO_PROXY.
        let mut cmd = fetch(env.cmd(), &["--no-cache"]);
        all_proxy_vars(&mut cmd, &proxy, &creds);
        cmd.assert().success().stdout("tok-direct\n");
        // A NO_PROXY that names other hosts changes nothing.
        fetch(env.cmd(), &["--no-cache"])
            .env("HTTPS_PROXY", proxy.url(&creds))
            .env("NO_PROXY", "example.com,.internal")
            .assert()
            .success()
            .stdout("tok-direct\n");
    }
    assert_eq!(proxy.connections(), 0, "{:?}", proxy.requests());
    assert_eq!(server.request_count(), 2 * urls.len());
    for request in server.requests() {
        assert_token_request(&request, "/token");
        assert_eq!(request.header_count("proxy-authorization"), 0);
    }
}

#[test]
fn every_kind_of_request_to_a_loopback_server_goes_direct() {
    let server = everything_server();
    let proxy = ConnectProxy::start();
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.t]\nissuer = \"{0}\"\nclient_id = \"{APP}\"\nclient_secret_env = \"{SECRET_ENV}\"\n\n\
         [profiles.tv]\nissuer = \"{0}\"\ngrant = \"device_code\"\nclient_id = \"tv-app\"\nauth_method = \"none\"\n",
        server.url("")
    ));
    let run = |args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.args(args)
            .env(SECRET_ENV, SECRET)
            .env("HTTPS_PROXY", proxy.url(""))
            .env("HTTP_PROXY", proxy.url(""))
            .env("ALL_PROXY", proxy.url(""));
        cmd.assert()
    };
    run(&["fetch", "-p", "t"]).success().stdout("tok-direct\n");
    run(&["revoke", "-p", "t"]).success();
    run(&["introspect", "-p", "t", "some-token"]).success();
    // No key in the set signed it (the signature is junk), but the keys were asked for.
    run(&["inspect", "-p", "t", "--verify", &jwt(json!({"sub": "x"}))])
        .failure()
        .code(5);
    run(&["login", "-p", "tv", "--device"]).success();
    let mut paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        [
            "/.well-known/openid-configuration",
            "/device",
            "/introspect",
            "/jwks",
            "/revoke",
            "/token"
        ]
    );
    assert_eq!(proxy.connections(), 0, "{:?}", proxy.requests());
}

#[test]
fn a_remote_server_is_reached_through_the_proxy_with_its_credentials() {
    let remote = Remote::start();
    let proxy = ConnectProxy::start();
    fetch(remote.env.cmd(), &["--no-cache"])
        .env("HTTPS_PROXY", proxy.url(&proxy_creds()))
        .assert()
        .success()
        .stdout("tok-over-tls\n");
    let tunnels = proxy.requests();
    assert_eq!(tunnels.len(), 1, "{tunnels:?}");
    let tunnel = &tunnels[0];
    assert_eq!(tunnel.method, "CONNECT");
    // The proxy is given the name and resolves it; TLS is end to end through the tunnel.
    assert_eq!(tunnel.target, remote.authority());
    let expected = format!("Basic {}", proxy_basic());
    assert_eq!(tunnel.header("proxy-authorization"), Some(&*expected));
    // The client's own credentials are for the token endpoint, never for the proxy.
    assert_eq!(tunnel.header("authorization"), None);
    assert_eq!(remote.front.handshakes(), 1);
    assert_eq!(remote.backend.request_count(), 1);
    let request = &remote.backend.requests()[0];
    assert_token_request(request, "/token");
    assert_eq!(request.header_count("proxy-authorization"), 0);

    // Without credentials in the URL, none are sent.
    fetch(remote.env.cmd(), &["--no-cache"])
        .env("HTTPS_PROXY", proxy.url(""))
        .assert()
        .success();
    assert_eq!(proxy.requests()[1].header("proxy-authorization"), None);

    // Without the proxy, or with NO_PROXY naming the host, the name resolves nowhere: it was
    // the proxy that reached the server.
    fails_in_one_line(
        fetch(remote.env.cmd(), &["--no-cache"]).assert(),
        4,
        PROXIED_HOST,
    );
    fails_in_one_line(
        fetch(remote.env.cmd(), &["--no-cache"])
            .env("HTTPS_PROXY", proxy.url(""))
            .env("NO_PROXY", ".proxied.test")
            .assert(),
        4,
        PROXIED_HOST,
    );
    assert_eq!(proxy.connections(), 2);
    assert_eq!(remote.backend.request_count(), 2);
}

#[test]
fn each_proxy_variable_is_honoured() {
    // ureq takes one proxy for every request, the first of ALL_PROXY, HTTPS_PROXY, HTTP_PROXY
    // (upper case before lower case), whatever the endpoint's scheme: unlike curl, HTTP_PROXY
    // also carries https:// requests.
    let remote = Remote::start();
    for var in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        let proxy = ConnectProxy::start();
        fetch(remote.env.cmd(), &["--no-cache"])
            .env(var, proxy.url(""))
            .assert()
            .success()
            .stdout("tok-over-tls\n");
        let tunnels = proxy.requests();
        assert_eq!(tunnels.len(), 1, "{var}: {tunnels:?}");
        assert_eq!(tunnels[0].target, remote.authority(), "{var}");
    }
    // ALL_PROXY wins over HTTPS_PROXY.
    let (all, https) = (ConnectProxy::start(), ConnectProxy::start());
    fetch(remote.env.cmd(), &["--no-cache"])
        .env("ALL_PROXY", all.url(""))
        .env("HTTPS_PROXY", https.url(""))
        .assert()
        .success();
    assert_eq!((all.connections(), https.connections()), (1, 0));
    assert_eq!(remote.backend.request_count(), 7);
}

#[test]
fn verbose_output_never_shows_the_proxy_password() {
    let remote = Remote::start();
    let proxy = ConnectProxy::start();
    let assert = fetch(remote.env.cmd(), &["--no-cache", "-v"])
        .env("HTTPS_PROXY", proxy.url(&proxy_creds()))
        .assert()
        .success()
        .stdout("tok-over-tls\n");
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("> POST "), "{stderr}");
    assert_eq!(proxy.connections(), 1);
    for leak in [PROXY_PASSWORD, &proxy_basic(), SECRET] {
        assert!(!stderr.contains(leak), "{leak:?} leaked into {stderr}");
    }

    // Nor does a failure through a proxy that refuses the tunnel.
    let refusing = StubServer::start_raw(|_, stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n",
        );
    });
    let url = format!("http://{}@{}", proxy_creds(), refusing.addr());
    let assert = fetch(remote.env.cmd(), &["--no-cache", "-v"])
        .env("HTTPS_PROXY", &url)
        .assert();
    let stderr = stderr_of(&assert);
    assert.failure().code(4).stdout("");
    assert!(stderr.contains("refused the tunnel"), "{stderr}");
    for leak in [PROXY_PASSWORD, &proxy_basic()] {
        assert!(!stderr.contains(leak), "{leak:?} leaked into {stderr}");
    }
}

#[test]
fn verbose_output_names_the_proxy_in_use_but_not_its_credentials() {
    let remote = Remote::start();
    let proxy = ConnectProxy::start();
    let creds = proxy_creds();
    let assert = fetch(remote.env.cmd(), &["--no-cache", "-v"])
        .env("HTTPS_PROXY", proxy.url(&creds))
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    let line = stderr
        .lines()
        .find(|line| line.contains("proxy"))
        .unwrap_or_else(|| panic!("no line names the proxy: {stderr}"));
    assert!(line.contains(&proxy.addr().to_string()), "{line}");
    assert!(line.contains("credentials"), "{line}");
    for leak in [PROXY_USER, PROXY_PASSWORD, &proxy_basic()] {
        assert!(!stderr.contains(leak), "{leak:?} leaked into {stderr}");
    }

    // A loopback server is not said to go through it: it does not.
    let server = token_server("tok-v");
    let env = Env::new();
    profile(&env, &server.url("/token"), "");
    let assert = fetch(env.cmd(), &["--no-cache", "-v"])
        .env("HTTPS_PROXY", proxy.url(&creds))
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(!stderr.contains("through the proxy"), "{stderr}");
    assert!(!stderr.contains(PROXY_PASSWORD), "{stderr}");
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn an_unreachable_proxy_is_named_in_the_error() {
    let remote = Remote::start();
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let url = format!("http://{}@{dead_addr}", proxy_creds());
    let stderr = fails_in_one_line(
        fetch(remote.env.cmd(), &["--no-cache", "--timeout-secs", "5"])
            .env("HTTPS_PROXY", &url)
            .assert(),
        4,
        &format!("proxy {dead_addr}"),
    );
    assert!(!stderr.contains(PROXY_PASSWORD), "{stderr}");
    assert_eq!(remote.backend.request_count(), 0);
}

// ================================================================ SECURITY 25: token_type

fn answering(body: Value) -> StubServer {
    let body = body.to_string();
    StubServer::start(move |_| Reply::json(200, &body))
}

#[test]
fn any_case_of_bearer_makes_a_bearer_header() {
    let env = Env::new();
    for token_type in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let server = answering(json!({"access_token": "tok", "token_type": token_type}));
        profile(&env, &server.url("/token"), "");
        fetch(env.cmd(), &["--no-cache", "-o", "header"])
            .assert()
            .success()
            .stdout("Authorization: Bearer tok\n");
        let exec = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "exec-credential"])
                .assert()
                .success(),
        );
        assert_eq!(exec["status"]["token"], "tok", "{token_type}");
    }
    // RFC 6749 §5.1 makes token_type required; several providers omit it, and mean Bearer.
    let server = answering(json!({"access_token": "tok"}));
    profile(&env, &server.url("/token"), "");
    fetch(env.cmd(), &["--no-cache", "-o", "header"])
        .assert()
        .success()
        .stdout("Authorization: Bearer tok\n");
}

#[test]
fn an_unknown_token_type_is_never_printed_as_bearer_but_text_and_json_work() {
    // DPoP itself is in cli.rs; these are the others a server may send.
    let env = Env::new();
    for token_type in ["MAC", "N_A", "", "Bearer2", " Bearer", "bearer "] {
        let server = answering(json!({"access_token": "tok", "token_type": token_type}));
        profile(&env, &server.url("/token"), "");
        for format in ["header", "exec-credential"] {
            let stderr = fails_in_one_line(
                fetch(env.cmd(), &["--no-cache", "-o", format]).assert(),
                4,
                "not Bearer; refusing to print it",
            );
            assert!(
                stderr.contains(&format!("`{token_type}`")),
                "{token_type:?}: {stderr}"
            );
        }
        fetch(env.cmd(), &["--no-cache"])
            .assert()
            .success()
            .stdout("tok\n");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        assert_eq!(v["token_type"], token_type);
        // -o env prints a type name (RFC 6749 App. A.13) as it is, and refuses anything else.
        let named = !token_type.is_empty() && !token_type.contains(' ');
        if named {
            let env_lines = stdout_of(
                &fetch(env.cmd(), &["--no-cache", "-o", "env"])
                    .assert()
                    .success(),
            );
            assert!(
                env_lines.contains(&format!("export OAUTHCTL_TOKEN_TYPE='{token_type}'\n")),
                "{env_lines}"
            );
        } else {
            let stderr = fails_in_one_line(
                fetch(env.cmd(), &["--no-cache", "-o", "env"]).assert(),
                4,
                "which is not an RFC 6749 token type",
            );
            assert!(
                stderr.contains(&format!("the token_type is `{token_type}`")),
                "{token_type:?}: {stderr}"
            );
        }
    }
}

// ================================================================ SECURITY 26: expires_in

#[test]
fn sane_expires_in_values_set_expires_at() {
    let env = Env::new();
    for (expires_in, secs) in [
        (json!(3600), 3600),
        (json!("3599"), 3599),
        (json!(0), 0),
        (json!(1), 1),
        (json!(315_360_000), 315_360_000), // ten years, the most taken at face value
    ] {
        let server = answering(
            json!({"access_token": "opaque", "token_type": "Bearer", "expires_in": expires_in}),
        );
        profile(&env, &server.url("/token"), "");
        let before = now();
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        let expires_at = v["expires_at"].as_i64().unwrap_or_else(|| panic!("{v}"));
        assert!(
            (before + secs..=now() + secs).contains(&expires_at),
            "{expires_in}: {expires_at}"
        );
        // The provider's own field is kept as it was sent.
        assert_eq!(v["expires_in"], expires_in);
    }
}

#[test]
fn absent_or_insane_expires_in_is_treated_as_absent() {
    let env = Env::new();
    let exp = now() + 1234;
    let jwt_token = jwt(json!({"sub": "s", "exp": exp}));
    let insane: Vec<Value> = vec![
        json!(-1),
        json!(-3600),
        json!(3600.5),
        json!(0.5),
        json!(1e30),
        serde_json::from_str("18446744073709551616").unwrap(),
        json!(315_360_001),
        json!("abc"),
        json!(""),
        json!("-5"),
        json!("3599.0"),
        json!(" 3599"),
        json!("1e3"),
        json!(true),
        json!(null),
        json!([3600]),
        json!({"secs": 3600}),
    ];
    let cases = insane.into_iter().map(Some).chain([None]);
    for expires_in in cases {
        let mut body = json!({"access_token": "opaque", "token_type": "Bearer"});
        if let Some(value) = &expires_in {
            body["expires_in"] = value.clone();
        }
        let server = answering(body.clone());
        profile(&env, &server.url("/token"), "");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        assert_eq!(v["expires_at"], Value::Null, "{expires_in:?}");
        assert_eq!(v["access_token"], "opaque");
        fetch(env.cmd(), &["--no-cache"])
            .assert()
            .success()
            .stdout("opaque\n");
        let env_lines = stdout_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "env"])
                .assert()
                .success(),
        );
        assert!(!env_lines.contains("OAUTHCTL_EXPIRES_AT"), "{env_lines}");

        // Absent, so a JWT's own exp is used instead.
        body["access_token"] = json!(jwt_token);
        let server = answering(body);
        profile(&env, &server.url("/token"), "");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        assert_eq!(v["expires_at"], exp, "{expires_in:?}");
    }
}

#[test]
fn a_number_no_float_can_hold_is_an_absent_member_not_a_broken_answer() {
    // `1e400` is valid JSON (RFC 8259 §6 sets no range) but overflows a 64-bit float: the member
    // holding it is treated as absent (SECURITY 26 for expires_in), and the rest is read.
    let env = Env::new();
    let exp = now() + 1234;
    for (access_token, expires_at) in [
        ("opaque".to_string(), Value::Null),
        (jwt(json!({"exp": exp})), json!(exp)),
    ] {
        let body = format!(
            r#"{{"access_token":"{access_token}","token_type":"Bearer","expires_in":1e400,"vendor":{{"n":[-1E+999]}},"kept":1e300}}"#
        );
        let reply = Reply::json(200, &body);
        let server = StubServer::start(move |_| reply.clone());
        profile(&env, &server.url("/token"), "");
        let assert = fetch(env.cmd(), &["--no-cache", "-v", "-o", "json"])
            .assert()
            .success();
        let v = json_of(&assert);
        assert_eq!(v["access_token"], access_token.as_str());
        assert_eq!(v["expires_at"], expires_at);
        // -o json leaves out what it cannot write as the number sent, and -v says so.
        assert!(
            v.get("expires_in").is_none() && v.get("vendor").is_none(),
            "{v}"
        );
        assert_eq!(v["kept"], 1e300);
        let stderr = stderr_of(&assert);
        assert!(
            stderr.contains("note: the response's `expires_in` holds a number beyond a 64-bit float; it is treated as absent")
                && stderr.contains("`vendor`"),
            "{stderr}"
        );
        fetch(env.cmd(), &["--no-cache"])
            .assert()
            .success()
            .stdout(format!("{access_token}\n"));
    }
}

#[test]
fn a_jwt_exp_is_held_to_the_bounds_of_expires_in() {
    // Without expires_in, the JWT's exp stands in for it, and is taken only where an expires_in
    // would be: from now to ten years ahead. Otherwise the expiry is unknown, and the token is
    // not cached (SECURITY 14, 26).
    let env = Env::new();
    let ten_years = 315_360_000;
    for (offset, taken) in [
        (3600, true),
        (ten_years - 60, true),
        (100 * ten_years, false),
        (ten_years + 3600, false),
        (-3600, false),
    ] {
        let exp = now() + offset;
        let body = json!({"access_token": jwt(json!({"exp": exp})), "token_type": "Bearer"});
        let server = answering(body);
        profile(&env, &server.url("/token"), "");
        let v = json_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "json"])
                .assert()
                .success(),
        );
        let expected = if taken { json!(exp) } else { Value::Null };
        assert_eq!(v["expires_at"], expected, "exp = now + {offset}");
        let env_lines = stdout_of(
            &fetch(env.cmd(), &["--no-cache", "-o", "env"])
                .assert()
                .success(),
        );
        assert_eq!(
            env_lines.contains("OAUTHCTL_EXPIRES_AT"),
            taken,
            "{env_lines}"
        );
    }
    // A century ahead is not cached as good for a century: the next fetch asks again.
    let body = json!({"access_token": jwt(json!({"exp": now() + 100 * ten_years}))});
    let server = answering(body);
    profile(&env, &server.url("/token"), "");
    for _ in 0..2 {
        env.cmd()
            .arg("fetch")
            .env(SECRET_ENV, SECRET)
            .assert()
            .success();
    }
    assert_eq!(server.request_count(), 2);
}

// ================================================================ not a token

#[test]
fn an_answer_with_a_member_twice_is_not_read() {
    // Two parsers that keep a different one of the two would disagree on what the token is, as on
    // a JWT's claims (SECURITY 33); a token answer is refused as inspect refuses such a claim.
    let env = Env::new();
    for (body, member) in [
        (
            r#"{"access_token":"first","token_type":"Bearer","access_token":"second"}"#,
            "access_token",
        ),
        (
            r#"{"access_token":"tok","expires_in":60,"expires_in":"31536000"}"#,
            "expires_in",
        ),
        (
            "{\"access_token\":\"tok\",\"token_type\":\"DPoP\",\"token_type\":\"Bearer\",}",
            "token_type",
        ),
    ] {
        let reply = Reply::json(200, body);
        let server = StubServer::start(move |_| reply.clone());
        profile(&env, &server.url("/token"), "");
        let stderr = fails_in_one_line(
            fetch(env.cmd(), &["--no-cache"]).assert(),
            4,
            &format!("answered HTTP 200 but its body has the member `{member}` twice"),
        );
        assert!(
            !stderr.contains("first") && !stderr.contains("second"),
            "{stderr}"
        );
    }
    // An error answer with two `error` codes is summarised, not read as either.
    let server = StubServer::start(|_| {
        Reply::json(400, r#"{"error":"invalid_scope","error":"invalid_client"}"#)
    });
    profile(&env, &server.url("/token"), "");
    let stderr = fails_in_one_line(
        fetch(env.cmd(), &["--no-cache"]).assert(),
        3,
        "refused the request (HTTP 400): its body has the member `error` twice",
    );
    assert!(!stderr.contains("invalid_"), "{stderr}");
}

#[test]
fn a_missing_empty_or_non_string_access_token_is_exit_4() {
    let env = Env::new();
    for (body, message) in [
        (json!({"token_type": "Bearer"}), "has no access_token"),
        (
            json!({"access_token": "", "token_type": "Bearer"}),
            "access_token is empty",
        ),
        (
            json!({"access_token": null}),
            "access_token is not a string",
        ),
        (json!({"access_token": 42}), "access_token is not a string"),
        (
            json!({"access_token": ["t"]}),
            "access_token is not a string",
        ),
    ] {
        let server = answering(body.clone());
        profile(&env, &server.url("/token"), "");
        let stderr = fails_in_one_line(fetch(env.cmd(), &["--no-cache"]).assert(), 4, message);
        assert!(stderr.contains("HTTP 200"), "{body}: {stderr}");
        assert!(stderr.contains(&server.addr().to_string()), "{stderr}");
        // Not a transient failure: asked once.
        assert_eq!(server.request_count(), 1, "{body}");
    }
}
