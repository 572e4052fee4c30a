//! Proxies from the environment (SECURITY 22, 47): honoured with `NO_PROXY`, never used for
//! loopback, and their credentials never shown.

use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::tls_backend;
use crate::support::app::{APP, SECRET, SECRET_ENV, assert_token_request, fetch, profile};
use crate::support::common::{Env, fails_in_one_line, jwt, stderr_of, token_reply, token_server};
use crate::support::proxy::all_proxy_vars;
use crate::support::proxy::{ConnectProxy, bind_ipv6_loopback, forwarder};
use crate::support::server::{Reply, StubServer};
use crate::support::tls::{PROXIED_HOST, Pki, TlsFront};

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
