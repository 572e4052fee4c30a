//! `oauthctl login` against loopback stubs: the browser flow (the test plays the browser and the
//! authorization server's front end), the device flow's polling rules, and discovery with its
//! cache. The real server's flows are in e2e/users.rs.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::common::{Background, Env, Finished, fails, stderr_of, stdout_of};
use crate::support::server::{Recorded, Reply, StubServer};

impl Finished {
    /// Exit code (-1 for a signal), stdout and stderr, as this suite's tests compare them.
    fn parts(self) -> (i32, String, String) {
        (self.code.unwrap_or(-1), self.stdout, self.stderr)
    }
}

fn query(url: &str) -> HashMap<String, String> {
    let (_, query) = url.split_once('?').expect("a query");
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Plays the browser coming back: GETs `redirect_uri` with `params`; the page's status and body.
fn come_back(redirect_uri: &str, params: &[(&str, &str)]) -> (u16, String) {
    let mut target = redirect_uri.to_string();
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(params);
    target.push('?');
    target.push_str(&q.finish());
    let rest = target.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    let status = page[9..12].parse().unwrap();
    (status, page)
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn tokens(access: &str) -> Reply {
    Reply::json(
        200,
        &json!({"access_token": access, "token_type": "Bearer", "expires_in": 600, "refresh_token": "rt-1", "id_token": "idt"})
            .to_string(),
    )
}

fn web_profile(token: &StubServer, extra: &str) -> String {
    format!(
        "[profiles.web]\ngrant = \"authorization_code\"\nauthorization_url = \"https://idp.example/authorize\"\ntoken_url = \"{}\"\nclient_id = \"cli app\"\nauth_method = \"none\"\nscope = \"openid offline_access\"\n{extra}",
        token.url("/token")
    )
}

// ---------------------------------------------------------------- browser

#[test]
fn login_sends_an_rfc_8252_pkce_request_and_caches_the_tokens() {
    let token = StubServer::start(|_| tokens("at-1"));
    let env = Env::new();
    env.write_config(&web_profile(&token, "resource = \"https://api.example\"\n"));
    let mut login = Background::start(env.cmd().args(["login", "-p", "web", "--no-browser"]));
    let url = login.authorization_url();
    assert!(url.starts_with("https://idp.example/authorize?"), "{url}");
    let q = query(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "cli app");
    assert_eq!(q["scope"], "openid offline_access");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["resource"], "https://api.example");
    // RFC 7636 §4.2: 43 characters of base64url; RFC 6749 §10.12: an unguessable state.
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 43, "{}", q["state"]);
    // RFC 8252 §7.3 and §8.3: the loopback IP literal, a port of the listener's own.
    let redirect_uri = &q["redirect_uri"];
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with("/callback"),
        "{redirect_uri}"
    );
    // A stray request first: ignored, the wait goes on.
    let (status, _) = come_back(&redirect_uri.replace("/callback", "/favicon.ico"), &[]);
    assert_eq!(status, 404);
    let (status, page) = come_back(redirect_uri, &[("code", "c0de"), ("state", &q["state"])]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You can close this tab"), "{page}");

    let (code, stdout, stderr) = login.finish().parts();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout, "",
        "text output is the sign-in itself, not the token"
    );
    assert!(stderr.contains("signed in: profile `web`"), "{stderr}");
    assert!(
        !stderr.contains("at-1") && !stderr.contains("rt-1"),
        "{stderr}"
    );

    let requests = token.requests();
    assert_eq!(requests.len(), 1);
    let form: HashMap<String, String> = requests[0].form().into_iter().collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "c0de");
    assert_eq!(&form["redirect_uri"], redirect_uri);
    assert_eq!(form["client_id"], "cli app");
    assert_eq!(s256(&form["code_verifier"]), q["code_challenge"]);
    assert!((43..=128).contains(&form["code_verifier"].len()));

    // The tokens are cached: fetch serves them, then renews them with the refresh token.
    let fetched = env.cmd().args(["fetch", "-p", "web"]).assert().success();
    assert_eq!(stdout_of(&fetched), "at-1\n");
    assert_eq!(token.request_count(), 1);
    env.cmd()
        .args(["fetch", "-p", "web", "--force"])
        .assert()
        .success();
    let refresh = &token.requests()[1];
    assert_eq!(
        refresh.form_value("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(refresh.form_value("refresh_token").as_deref(), Some("rt-1"));
}

#[test]
fn login_never_uses_a_code_that_comes_with_another_state() {
    let token = StubServer::start(|_| tokens("never"));
    let env = Env::new();
    env.write_config(&web_profile(&token, ""));
    let mut login = Background::start(env.cmd().args(["login", "-p", "web", "--no-browser"]));
    let q = query(&login.authorization_url());
    let (status, page) = come_back(
        &q["redirect_uri"],
        &[("code", "f0rg3d-c0de"), ("state", "not-the-one")],
    );
    assert_eq!(status, 400, "{page}");
    let (code, stdout, stderr) = login.finish().parts();
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("state that is not this login's"),
        "{stderr}"
    );
    assert!(!stderr.contains("f0rg3d-c0de"), "{stderr}");
    assert_eq!(token.request_count(), 0, "the code was used");
}

#[test]
fn login_reports_a_refusal_in_the_servers_words() {
    let token = StubServer::start(|_| tokens("never"));
    let env = Env::new();
    env.write_config(&web_profile(&token, ""));
    let mut login = Background::start(env.cmd().args(["login", "-p", "web", "--no-browser"]));
    let q = query(&login.authorization_url());
    let (status, page) = come_back(
        &q["redirect_uri"],
        &[
            ("error", "access_denied"),
            ("error_description", "The user said no"),
            ("state", &q["state"]),
        ],
    );
    assert_eq!(status, 400);
    assert!(page.contains("access_denied"), "{page}");
    let (code, stdout, stderr) = login.finish().parts();
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("the sign-in was refused: access_denied: The user said no"),
        "{stderr}"
    );
    assert_eq!(token.request_count(), 0);
}

#[test]
fn login_refuses_a_redirect_from_another_issuer() {
    // RFC 9207: the `iss` of the authorization response must be the issuer asked.
    let token = StubServer::start(|_| tokens("never"));
    let env = Env::new();
    env.write_config(&web_profile(&token, "issuer = \"https://idp.example\"\n"));
    let mut login = Background::start(env.cmd().args(["login", "-p", "web", "--no-browser"]));
    let q = query(&login.authorization_url());
    come_back(
        &q["redirect_uri"],
        &[
            ("code", "c"),
            ("state", &q["state"]),
            ("iss", "https://evil.example"),
        ],
    );
    let (code, _, stderr) = login.finish().parts();
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("RFC 9207"), "{stderr}");
    assert_eq!(token.request_count(), 0);
}

#[test]
fn login_gives_up_when_nobody_comes_back() {
    let token = StubServer::start(|_| tokens("never"));
    let env = Env::new();
    env.write_config(&web_profile(&token, ""));
    let started = Instant::now();
    fails(
        env.cmd()
            .args(["login", "-p", "web", "--no-browser", "--wait-secs", "1"])
            .assert(),
        4,
        "nobody signed in before the wait ran out",
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(token.request_count(), 0);
}

#[test]
fn login_opens_the_browser_named_by_browser_and_listens_where_the_profile_says() {
    let token = StubServer::start(|_| tokens("at-b"));
    let env = Env::new();
    // A fixed redirect URI (a server that will not accept any port): listened on as given.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fixed = format!("http://127.0.0.1:{port}/oauth/cb");
    env.write_config(&web_profile(
        &token,
        &format!("redirect_uri = \"{fixed}\"\n"),
    ));
    // The "browser" writes the URL it was asked to open to a file.
    let opened = env.home.path().join("opened.txt");
    let browser = env.home.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nenv > '{}.env'\nprintf '%s' \"$1\" > '{}'\n",
            opened.display(),
            opened.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut login = Background::start(
        env.cmd()
            .args(["login", "-p", "web"])
            .env(
                "BROWSER",
                format!("/nonexistent/browser:{}", browser.display()),
            )
            .env("OAUTHCTL_CLIENT_SECRET", "browser-must-not-see-this"),
    );
    let printed = login.authorization_url();
    let deadline = Instant::now() + Duration::from_secs(10);
    let url = loop {
        if let Ok(url) = std::fs::read_to_string(&opened)
            && !url.is_empty()
        {
            break url;
        }
        assert!(Instant::now() < deadline, "the browser was not run");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(url, printed);
    // The browser outlives the login, its environment readable: none of oauthctl's settings.
    let env_file = format!("{}.env", opened.display());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::metadata(&env_file).map_or(true, |m| m.len() == 0) {
        assert!(Instant::now() < deadline, "no environment written");
        std::thread::sleep(Duration::from_millis(20));
    }
    let browser_env = std::fs::read_to_string(&env_file).unwrap();
    assert!(browser_env.contains("HOME="), "{browser_env}");
    assert!(!browser_env.contains("OAUTHCTL_"), "{browser_env}");
    let q = query(&url);
    assert_eq!(q["redirect_uri"], fixed);
    come_back(&fixed, &[("code", "c"), ("state", &q["state"])]);
    let (code, _, stderr) = login.finish().parts();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("a browser was opened"), "{stderr}");
    assert_eq!(
        token.requests()[0].form_value("redirect_uri").as_deref(),
        Some(fixed.as_str())
    );
}

#[test]
fn login_explains_what_it_cannot_do() {
    let token = StubServer::start(|_| tokens("never"));
    let env = Env::new();
    env.write_config(&format!(
        "{}\n[profiles.cc]\ntoken_url = \"{}\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n\n[profiles.noauth]\ngrant = \"authorization_code\"\ntoken_url = \"{}\"\nclient_id = \"c\"\nauth_method = \"none\"\n",
        web_profile(&token, "redirect_uri = \"https://app.example/callback\"\n"),
        token.url("/token"),
        token.url("/token"),
    ));
    fails(
        env.cmd().args(["login", "-p", "cc"]).assert(),
        78,
        "`login` is for user profiles",
    );
    fails(
        env.cmd()
            .args(["login", "-p", "web", "--no-browser"])
            .assert(),
        78,
        "is not a loopback http URI",
    );
    fails(
        env.cmd()
            .args(["login", "-p", "noauth", "--no-browser"])
            .assert(),
        78,
        "has no authorization_url",
    );
    assert_eq!(token.request_count(), 0);
}

// ---------------------------------------------------------------- device flow

/// A device authorization endpoint and a token endpoint that answers the polls from a script.
struct DeviceServer {
    server: StubServer,
    polls: Arc<Mutex<Vec<Instant>>>,
}

fn device_server(authorization: Value, answers: Vec<Reply>) -> DeviceServer {
    let polls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&polls);
    let answers = Mutex::new(answers.into_iter());
    let server = StubServer::start(move |r: &Recorded| {
        if r.path == "/device" {
            return Reply::json(200, &authorization.to_string());
        }
        seen.lock().unwrap().push(Instant::now());
        answers
            .lock()
            .unwrap()
            .next()
            .unwrap_or_else(|| Reply::json(400, r#"{"error":"authorization_pending"}"#))
    });
    DeviceServer { server, polls }
}

fn pending() -> Reply {
    Reply::json(400, r#"{"error":"authorization_pending"}"#)
}

fn device_profile(server: &StubServer) -> String {
    format!(
        "[profiles.tv]\ngrant = \"device_code\"\ndevice_authorization_url = \"{}\"\ntoken_url = \"{}\"\nclient_id = \"tv-app\"\nauth_method = \"none\"\nscope = \"openid offline_access\"\n",
        server.url("/device"),
        server.url("/token")
    )
}

fn authorization(interval: Option<u64>, expires_in: u64) -> Value {
    let mut body = json!({
        "device_code": "DEVICE-CODE-SECRET",
        "user_code": "WDJB-MJHT",
        "verification_uri": "https://idp.example/device",
        "verification_uri_complete": "https://idp.example/device?user_code=WDJB-MJHT",
        "expires_in": expires_in,
    });
    if let Some(interval) = interval {
        body["interval"] = interval.into();
    }
    body
}

#[test]
fn device_login_shows_the_code_polls_until_approved_and_caches_the_tokens() {
    let device = device_server(
        authorization(Some(0), 600),
        vec![pending(), pending(), tokens("at-tv")],
    );
    let env = Env::new();
    env.write_config(&device_profile(&device.server));
    let assert = env.cmd().args(["login", "-p", "tv"]).assert().success();
    assert_eq!(stdout_of(&assert), "");
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(
            "oauthctl: to sign in, visit https://idp.example/device and enter the code WDJB-MJHT"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("device?user_code=WDJB-MJHT"), "{stderr}");
    assert!(!stderr.contains("DEVICE-CODE-SECRET"), "{stderr}");
    let requests = device.server.requests();
    assert_eq!(requests.len(), 4);
    let authz: HashMap<String, String> = requests[0].form().into_iter().collect();
    assert_eq!(authz["client_id"], "tv-app");
    assert_eq!(authz["scope"], "openid offline_access");
    for poll in &requests[1..] {
        let form: HashMap<String, String> = poll.form().into_iter().collect();
        // RFC 8628 §3.4.
        assert_eq!(
            form["grant_type"],
            "urn:ietf:params:oauth:grant-type:device_code"
        );
        assert_eq!(form["device_code"], "DEVICE-CODE-SECRET");
        assert_eq!(form["client_id"], "tv-app");
    }
    let fetched = env.cmd().args(["fetch", "-p", "tv"]).assert().success();
    assert_eq!(stdout_of(&fetched), "at-tv\n");
}

#[test]
fn device_login_slows_down_by_five_seconds_when_asked() {
    let device = device_server(
        authorization(Some(0), 600),
        vec![
            Reply::json(400, r#"{"error":"slow_down"}"#),
            tokens("at-slow"),
        ],
    );
    let env = Env::new();
    env.write_config(&device_profile(&device.server));
    env.cmd().args(["login", "-p", "tv"]).assert().success();
    let polls = device.polls.lock().unwrap().clone();
    assert_eq!(polls.len(), 2);
    let gap = polls[1] - polls[0];
    // RFC 8628 §3.5: the interval grows by 5 s after slow_down.
    assert!(
        gap >= Duration::from_secs(5) && gap < Duration::from_secs(8),
        "{gap:?}"
    );
}

#[test]
fn device_login_waits_five_seconds_when_the_server_names_no_interval() {
    let device = device_server(authorization(None, 600), vec![tokens("at-default")]);
    let env = Env::new();
    env.write_config(&device_profile(&device.server));
    let started = Instant::now();
    env.cmd().args(["login", "-p", "tv"]).assert().success();
    let first_poll = device.polls.lock().unwrap()[0];
    // RFC 8628 §3.2: "clients MUST use 5 as the default".
    assert!(first_poll - started >= Duration::from_secs(5));
}

#[test]
fn device_login_stops_on_denial_and_on_expiry() {
    for (answer, code, message) in [
        (
            Reply::json(
                400,
                r#"{"error":"access_denied","error_description":"no thanks"}"#,
            ),
            3,
            "the sign-in was refused",
        ),
        (
            Reply::json(400, r#"{"error":"expired_token"}"#),
            3,
            "the device code expired before the sign-in was approved",
        ),
    ] {
        let device = device_server(authorization(Some(0), 600), vec![pending(), answer]);
        let env = Env::new();
        env.write_config(&device_profile(&device.server));
        let stderr = fails(
            env.cmd().args(["login", "-p", "tv"]).assert(),
            code,
            message,
        );
        assert!(!stderr.contains("DEVICE-CODE-SECRET"), "{stderr}");
        assert_eq!(device.polls.lock().unwrap().len(), 2);
    }
    // The device code's own lifetime runs out while nobody approves.
    let device = device_server(authorization(Some(0), 1), vec![]);
    let env = Env::new();
    env.write_config(&device_profile(&device.server));
    fails(
        env.cmd().args(["login", "-p", "tv"]).assert(),
        4,
        "the device code expired before the sign-in was approved",
    );
}

// ---------------------------------------------------------------- discovery

fn metadata_server(issuer_override: Option<&'static str>) -> StubServer {
    StubServer::start(move |r: &Recorded| {
        let base = format!("http://{}", r.header("host").unwrap());
        match r.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                200,
                &json!({
                    "issuer": issuer_override.map(str::to_string).unwrap_or(base.clone()),
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "device_authorization_endpoint": format!("{base}/device"),
                    "code_challenge_methods_supported": ["S256"],
                })
                .to_string(),
            )
            .with_header("Cache-Control", "max-age=600"),
            "/device" => Reply::json(200, &authorization(Some(0), 600).to_string()),
            _ => tokens("at-discovered"),
        }
    })
}

#[test]
fn endpoints_come_from_the_issuers_metadata_which_is_cached() {
    let server = metadata_server(None);
    let env = Env::new();
    let issuer = format!("http://{}", server.addr());
    env.write_config(&format!(
        "[profiles.tv]\nissuer = \"{issuer}\"\ngrant = \"device_code\"\nclient_id = \"tv\"\nauth_method = \"none\"\n"
    ));
    env.cmd().args(["login", "-p", "tv"]).assert().success();
    env.cmd()
        .args(["login", "-p", "tv", "--device"])
        .assert()
        .success();
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/.well-known/openid-configuration",
            "/device",
            "/token",
            "/device",
            "/token"
        ],
        "the metadata was read once, then from the cache"
    );
    // `cache clear` forgets it.
    env.cmd().args(["cache", "clear"]).assert().success();
    env.cmd().args(["login", "-p", "tv"]).assert().success();
    assert_eq!(
        server.requests()[5].path,
        "/.well-known/openid-configuration"
    );
}

#[test]
fn metadata_naming_another_issuer_is_refused() {
    let server = metadata_server(Some("https://other.example"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.tv]\nissuer = \"http://{}\"\ngrant = \"device_code\"\nclient_id = \"tv\"\nauth_method = \"none\"\n",
        server.addr()
    ));
    fails(
        env.cmd().args(["login", "-p", "tv"]).assert(),
        78,
        "names issuer `https://other.example`",
    );
    assert!(server.requests().iter().all(|r| r.method == "GET"));
}

// ---------------------------------------------------------------- review findings

#[test]
fn login_requires_iss_when_the_metadata_promises_it_and_refuses_repeated_parameters() {
    let server = StubServer::start(|r: &Recorded| {
        let base = format!("http://{}", r.header("host").unwrap());
        match r.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                200,
                &json!({
                    "issuer": base,
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    // RFC 9207 §3.
                    "authorization_response_iss_parameter_supported": true,
                })
                .to_string(),
            ),
            _ => tokens("never"),
        }
    });
    let env = Env::new();
    let issuer = format!("http://{}", server.addr());
    env.write_config(&format!(
        "[profiles.web]\nissuer = \"{issuer}\"\ngrant = \"authorization_code\"\nclient_id = \"c\"\nauth_method = \"none\"\n"
    ));
    for (params, expected) in [
        // No iss, though the server says it always sends one.
        (
            vec![("code", "c"), ("state", "STATE")],
            "the sign-in redirect has no `iss`, which the issuer's metadata says it always sends (RFC 9207)",
        ),
        // The right state, and a second one.
        (
            vec![
                ("code", "c"),
                ("state", "STATE"),
                ("iss", &issuer),
                ("state", "other"),
            ],
            "the sign-in redirect carried `state` more than once (RFC 6749 §3.1)",
        ),
    ] {
        let mut login = Background::start(env.cmd().args(["login", "-p", "web", "--no-browser"]));
        let q = query(&login.authorization_url());
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *v == "STATE" {
                        q["state"].as_str()
                    } else {
                        *v
                    },
                )
            })
            .collect();
        let (status, _) = come_back(&q["redirect_uri"], &params);
        assert_eq!(status, 400);
        let (code, _, stderr) = login.finish().parts();
        assert_eq!(code, 4, "{stderr}");
        assert!(
            stderr.contains(expected),
            "stderr should contain {expected:?}, was {stderr:?}"
        );
    }
    assert!(server.requests().iter().all(|r| r.path != "/token"));
}

#[test]
fn device_login_backs_off_after_a_poll_times_out_and_goes_on() {
    let polls = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&polls);
    let server = StubServer::start_raw(move |r: &Recorded, stream| {
        if r.path == "/device" {
            let _ = Reply::json(200, &authorization(Some(0), 600).to_string()).write_to(stream);
            return;
        }
        let n = {
            let mut n = seen.lock().unwrap();
            *n += 1;
            *n
        };
        if n == 1 {
            // Silence past the profile's 1 s deadline: a timed-out poll.
            std::thread::sleep(Duration::from_secs(2));
            return;
        }
        let _ = tokens("at-after-timeout").write_to(stream);
    });
    let env = Env::new();
    env.write_config(&format!(
        "{}timeout_secs = 1\nretries = 0\n",
        device_profile(&server)
    ));
    let assert = env
        .cmd()
        .args(["-v", "login", "-p", "tv"])
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("RFC 8628 §3.5"), "{stderr}");
    assert_eq!(*polls.lock().unwrap(), 2);
}

// ---------------------------------------------------------------- the -v trace

/// Asserts that no stderr line but `except` (the one line that must show it) holds any of
/// `secrets`, and that each of `masked` (a trace line's text with `***` where a secret was) is
/// there: the trace ran, and masked rather than dropped what it hid.
fn assert_masked(stderr: &str, except: Option<&str>, secrets: &[(&str, &str)], masked: &[&str]) {
    for line in stderr.lines().filter(|line| Some(*line) != except) {
        for (what, secret) in secrets {
            assert!(
                !line.contains(secret),
                "the {what} ({secret:?}) is on stderr: {line:?}\n{stderr}"
            );
        }
    }
    for trace in masked {
        assert!(
            stderr
                .lines()
                .any(|line| line.starts_with("oauthctl: ") && line.contains(trace)),
            "no trace line with {trace:?}: {stderr}"
        );
    }
}

/// `-v` traces the browser sign-in's requests with its secrets masked: the authorization code, the
/// PKCE code_verifier (RFC 7636 §4.1), the state (RFC 6749 §10.12), and the tokens. The state is
/// shown only where it must be, in the authorization URL the user is asked to open.
#[test]
fn verbose_browser_login_masks_the_code_the_verifier_and_the_state() {
    let token = StubServer::start(|_| tokens("at-verbose-browser"));
    let env = Env::new();
    env.write_config(&web_profile(&token, ""));
    let mut login = Background::start(env.cmd().args(["-v", "login", "-p", "web", "--no-browser"]));
    let url = login.authorization_url();
    let q = query(&url);
    let state = q["state"].clone();
    const CODE: &str = "authorization-code-c0de-4b2e";
    let (status, page) = come_back(&q["redirect_uri"], &[("code", CODE), ("state", &state)]);
    assert_eq!(status, 200, "{page}");
    let (code, _, stderr) = login.finish().parts();
    assert_eq!(code, 0, "{stderr}");

    let requests = token.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].form_value("code").as_deref(), Some(CODE));
    let verifier = requests[0]
        .form_value("code_verifier")
        .expect("a code_verifier in the token request");
    let url_line = format!("  {url}");
    assert_eq!(
        stderr.lines().filter(|line| *line == url_line).count(),
        1,
        "the authorization URL is shown once: {stderr}"
    );
    assert_masked(
        &stderr,
        Some(&url_line),
        &[
            ("authorization code", CODE),
            ("code_verifier", &verifier),
            ("state", &state),
            ("access token", "at-verbose-browser"),
            ("refresh token", "rt-1"),
        ],
        &[
            "> POST ",
            "> grant_type=authorization_code&code=***&",
            "&code_verifier=***",
            r#"< {"access_token":"***","#,
            r#""refresh_token":"***""#,
        ],
    );
}

/// `-v` traces the device flow's requests with the device_code (RFC 8628 §3.2, a secret the user
/// never needs) masked, in the authorization response and in every poll.
#[test]
fn verbose_device_login_masks_the_device_code() {
    let device = device_server(
        authorization(Some(0), 600),
        vec![pending(), tokens("at-verbose-device")],
    );
    let env = Env::new();
    env.write_config(&device_profile(&device.server));
    let mut login = Background::start(env.cmd().args(["-v", "login", "-p", "tv"]));
    let (_, user_code) = login.device_instructions();
    assert_eq!(user_code, "WDJB-MJHT");
    let (code, _, stderr) = login.finish().parts();
    assert_eq!(code, 0, "{stderr}");
    let requests = device.server.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    for poll in &requests[1..] {
        assert_eq!(
            poll.form_value("device_code").as_deref(),
            Some("DEVICE-CODE-SECRET")
        );
    }
    assert_masked(
        &stderr,
        None,
        &[
            ("device_code", "DEVICE-CODE-SECRET"),
            ("access token", "at-verbose-device"),
            ("refresh token", "rt-1"),
        ],
        &[
            r#"< {"device_code":"***","user_code":"WDJB-MJHT""#,
            "&device_code=***&",
            r#"< {"access_token":"***","#,
        ],
    );
    assert_eq!(
        stderr.matches("&device_code=***&").count(),
        2,
        "both polls traced: {stderr}"
    );
}

#[test]
fn login_says_so_when_there_was_nothing_to_cache() {
    // No expires_in, no refresh token, an opaque token: nothing fetch could ever reuse.
    let device = device_server(
        authorization(Some(1), 600),
        vec![Reply::json(
            200,
            r#"{"access_token":"opaque","token_type":"Bearer"}"#,
        )],
    );
    let env = Env::new();
    env.write_config(&device_profile(&device.server));
    let stderr = stderr_of(&env.cmd().args(["login", "-p", "tv"]).assert().success());
    assert!(stderr.contains("nothing was cached"), "{stderr}");
    assert!(!stderr.contains("the tokens are cached"), "{stderr}");
    fails(
        env.cmd().args(["fetch", "-p", "tv"]).assert(),
        6,
        "login required",
    );
}
