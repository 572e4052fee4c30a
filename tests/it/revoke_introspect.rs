//! `revoke` (RFC 7009) and `introspect` (RFC 7662) against loopback stubs: exactly what is sent
//! (method, path, client authentication, `token`, `token_type_hint`), what the user sees, the exit
//! codes, what happens to the cache, and that the token itself is never shown.

use serde_json::{Value, json};

use crate::support::common::{Env, fails, now, stderr_of, stdout_of};
use crate::support::server::{Recorded, Reply, StubServer};

const SECRET: &str = "web-secret+/=";
/// What `exchange-code` caches for the `web` profile.
const AT: &str = "at-ZQ9x7Lw2";
const RT: &str = "rt-K3pWm8Vd";
/// A token the server has never seen, with characters that need form-encoding.
const OTHER: &str = "other-tok+/=Qm4s";

/// An authorization server: `/token` issues AT and RT for any request; everything else
/// (revocation, introspection, metadata) is answered by `answer`.
fn idp(answer: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> StubServer {
    StubServer::start(move |req| {
        match req.path.as_str() {
        "/token" => Reply::json(
            200,
            &json!({"access_token": AT, "refresh_token": RT, "token_type": "Bearer", "expires_in": 3600})
                .to_string(),
        ),
        _ => answer(req),
    }
    })
}

/// The user profile `web` (the default), with both endpoints on `server`, then `extra`.
fn web_profile(env: &Env, server: &StubServer, extra: &str) {
    env.write_config(&format!(
        "default_profile = \"web\"\n[profiles.web]\ntoken_url = \"{}\"\nclient_id = \"web\"\n\
         client_secret_env = \"WEB_SECRET\"\ngrant = \"authorization_code\"\nretry_max_secs = 0\n{extra}\n",
        server.url("/token")
    ));
}

fn endpoints(server: &StubServer) -> String {
    format!(
        "revocation_url = \"{}\"\nintrospection_url = \"{}\"",
        server.url("/revoke"),
        server.url("/introspect")
    )
}

fn oauthctl(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args(args).env("WEB_SECRET", SECRET);
    cmd
}

/// Signs `web` in: the cache then holds AT and RT.
fn sign_in(env: &Env) {
    oauthctl(env, &["exchange-code", "the-code"])
        .assert()
        .success()
        .stdout(format!("{AT}\n"));
}

fn cached_entries(env: &Env) -> usize {
    let out = stdout_of(
        &oauthctl(env, &["-o", "json", "cache", "list"])
            .assert()
            .success(),
    );
    serde_json::from_str::<Vec<Value>>(&out).unwrap().len()
}

fn to(server: &StubServer, path: &str) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

/// A client-authenticated POST of exactly `form`, with Basic credentials (form-encoded, RFC 6749
/// §2.3.1) and `Accept: application/json`.
fn assert_sent(req: &Recorded, path: &str, form: &[(&str, &str)]) {
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", path));
    assert_eq!(req.query, None);
    assert_eq!(
        req.basic_credentials(),
        Some(("web".to_string(), "web-secret%2B%2F%3D".to_string()))
    );
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.form(), crate::support::common::form(form));
}

/// Neither stream holds `token`, raw or form-encoded.
fn assert_hidden(assert: &assert_cmd::assert::Assert, tokens: &[&str]) {
    let (stdout, stderr) = (stdout_of(assert), stderr_of(assert));
    for token in tokens {
        let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
        for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(
                !text.contains(token) && !text.contains(&encoded),
                "{stream} shows {token}: {text}"
            );
        }
    }
}

// ---------------------------------------------------------------- revoke

#[test]
fn revoke_without_token_revokes_the_cached_refresh_then_access_token_and_forgets_them() {
    let server = idp(|_| Reply::new(200, "text/plain", ""));
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    sign_in(&env);
    assert_eq!(cached_entries(&env), 1);

    let assert = oauthctl(&env, &["revoke"]).assert().success().stdout("");
    let host = server.addr().to_string();
    assert_eq!(
        stderr_of(&assert),
        format!(
            "oauthctl: revoked the cached refresh token and access token of profile `web` at {host}, and forgot the cache entry\n"
        )
    );
    assert_hidden(&assert, &[AT, RT, SECRET]);
    let sent = to(&server, "/revoke");
    assert_eq!(sent.len(), 2);
    // RFC 7009 §2.1: the refresh token first, which should take the grant's access tokens along.
    assert_sent(
        &sent[0],
        "/revoke",
        &[("token", RT), ("token_type_hint", "refresh_token")],
    );
    assert_sent(
        &sent[1],
        "/revoke",
        &[("token", AT), ("token_type_hint", "access_token")],
    );

    // Forgotten: `fetch` has nothing to renew with, and a second revoke has nothing to send.
    assert_eq!(cached_entries(&env), 0);
    fails(oauthctl(&env, &["fetch"]).assert(), 6, "login required");
    let assert = oauthctl(&env, &["revoke"]).assert().success().stdout("");
    assert_eq!(
        stderr_of(&assert),
        "oauthctl: nothing to revoke: profile `web` has no cached token\n"
    );
    assert_eq!(to(&server, "/revoke").len(), 2);
}

#[test]
fn revoke_json_says_what_was_revoked_and_forgotten() {
    let server = idp(|_| Reply::json(200, "{}"));
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    sign_in(&env);
    let assert = oauthctl(&env, &["-o", "json", "revoke"])
        .assert()
        .success()
        .stderr("");
    let shown: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(
        shown,
        json!({
            "revoked": [
                {"token_type_hint": "refresh_token", "cached": true},
                {"token_type_hint": "access_token", "cached": true},
            ],
            "forgotten": true,
            "dpop_key_removed": false,
            "endpoint": server.url("/revoke"),
        })
    );
    let assert = oauthctl(&env, &["-o", "json", "revoke"]).assert().success();
    let shown: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(
        shown,
        json!({"revoked": [], "forgotten": false, "dpop_key_removed": false, "endpoint": null})
    );
}

#[test]
fn a_token_unknown_to_the_server_is_revoked_with_200_and_the_cache_is_left_alone() {
    // RFC 7009 §2.2: invalid tokens get 200 too. Client credentials in the body this time.
    let server = idp(|_| Reply::new(200, "text/plain", ""));
    let env = Env::new();
    web_profile(
        &env,
        &server,
        &format!("{}\nauth_method = \"post\"", endpoints(&server)),
    );
    sign_in(&env);
    let assert = oauthctl(
        &env,
        &["revoke", "--token-type-hint", "access_token", OTHER],
    )
    .assert()
    .success()
    .stdout("");
    let host = server.addr().to_string();
    assert_eq!(
        stderr_of(&assert),
        format!("oauthctl: revoked the access token at {host}\n")
    );
    // From stdin, without a hint: none is sent.
    let assert = oauthctl(&env, &["-v", "revoke", "-"])
        .write_stdin(format!("{OTHER}\n"))
        .assert()
        .success()
        .stdout("");
    assert!(
        stderr_of(&assert).ends_with(&format!("oauthctl: revoked the token at {host}\n")),
        "{}",
        stderr_of(&assert)
    );
    assert_hidden(&assert, &[OTHER, SECRET]);
    let sent = to(&server, "/revoke");
    let hints = [Some("access_token"), None];
    // zip stops at the shorter side: without this, a missing request would go unchecked.
    assert_eq!(sent.len(), hints.len(), "one request per revoke: {sent:#?}");
    for (req, hint) in sent.iter().zip(hints) {
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/revoke")
        );
        assert_eq!(req.header("authorization"), None);
        let mut form = vec![("token", OTHER)];
        form.extend(hint.map(|h| ("token_type_hint", h)));
        form.extend([("client_id", "web"), ("client_secret", SECRET)]);
        assert_eq!(req.form(), crate::support::common::form(&form));
    }
    assert_eq!(cached_entries(&env), 1, "another token's entry is kept");
}

#[test]
fn revoking_the_cached_access_token_by_value_forgets_its_entry() {
    let server = idp(|_| Reply::new(200, "text/plain", ""));
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    sign_in(&env);
    let assert = oauthctl(&env, &["-o", "json", "revoke", "-"])
        .write_stdin(format!("{AT}\n"))
        .assert()
        .success();
    let shown: Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(
        (&shown["revoked"], &shown["forgotten"]),
        (
            &json!([{"token_type_hint": "access_token", "cached": true}]),
            &json!(true)
        )
    );
    // The cache knew what it was, so the hint is sent without being asked for.
    let sent = to(&server, "/revoke");
    assert_eq!(sent.len(), 1);
    assert_sent(
        &sent[0],
        "/revoke",
        &[("token", AT), ("token_type_hint", "access_token")],
    );
    assert_eq!(cached_entries(&env), 0);
}

#[test]
fn an_oauth_error_is_exit_3_in_the_servers_words_and_a_partial_revocation_is_remembered() {
    // This server revokes refresh tokens only (RFC 7009 §2.2.1).
    let server = idp(|req| match req.form_value("token_type_hint").as_deref() {
        Some("refresh_token") => Reply::new(200, "text/plain", ""),
        _ => Reply::json(
            400,
            r#"{"error":"unsupported_token_type","error_description":"only refresh tokens are revocable here"}"#,
        ),
    });
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    let host = server.addr().to_string();
    let refusal = format!(
        "oauthctl: error: the revocation endpoint {host} refused the request (HTTP 400): unsupported_token_type: only refresh tokens are revocable here"
    );

    fails(oauthctl(&env, &["revoke", OTHER]).assert(), 3, &refusal);
    let stderr = fails(
        oauthctl(&env, &["-o", "json", "revoke", OTHER]).assert(),
        3,
        "unsupported_token_type",
    );
    let error: Value = serde_json::from_str(&stderr).unwrap();
    assert_eq!(
        (
            &error["error"]["code"],
            &error["error"]["description"],
            &error["error"]["status"]
        ),
        (
            &json!("unsupported_token_type"),
            &json!("only refresh tokens are revocable here"),
            &json!(400)
        )
    );

    // Cached tokens: the refresh token goes, the access token is refused. The error says so, and
    // the cache keeps only what is still alive.
    sign_in(&env);
    let before = to(&server, "/revoke").len();
    let stderr = fails(oauthctl(&env, &["revoke"]).assert(), 3, &refusal);
    assert!(
        stderr.ends_with("; revoked before this, and no longer cached: the refresh token\n"),
        "{stderr}"
    );
    let out = stdout_of(
        &oauthctl(&env, &["-o", "json", "cache", "list"])
            .assert()
            .success(),
    );
    let list: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["has_refresh_token"], false);
    // A second try sends only the access token.
    fails(oauthctl(&env, &["revoke"]).assert(), 3, &refusal);
    let sent = to(&server, "/revoke");
    let tokens: Vec<String> = sent[before..]
        .iter()
        .map(|r| r.form_value("token").unwrap())
        .collect();
    assert_eq!(tokens, [RT, AT, AT]);
}

#[test]
fn a_503_is_retried_as_the_profile_allows_then_exit_4() {
    // RFC 7009 §2.2.1: 503 means try again later.
    let failing = std::sync::atomic::AtomicUsize::new(0);
    let server = idp(move |req| {
        let n = failing.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match req.form_value("token").as_deref() {
            Some(OTHER) if n == 0 => Reply::new(503, "text/plain", "busy"),
            Some(OTHER) => Reply::new(200, "text/plain", ""),
            _ => Reply::new(503, "text/plain", "busy"),
        }
    });
    let env = Env::new();
    web_profile(
        &env,
        &server,
        &format!("{}\nretries = 2", endpoints(&server)),
    );
    oauthctl(&env, &["revoke", OTHER])
        .assert()
        .success()
        .stdout("");
    let sent = to(&server, "/revoke");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body, "the same request, again");

    let host = server.addr().to_string();
    fails(
        oauthctl(&env, &["revoke", "never-revoked"]).assert(),
        4,
        &format!(
            "the revocation endpoint {host} failed (HTTP 503): busy (text/plain) (gave up after 3 attempts)"
        ),
    );
    assert_eq!(to(&server, "/revoke").len(), 5);
}

#[test]
fn usage_errors() {
    let server = idp(|_| Reply::new(200, "text/plain", ""));
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    fails(
        oauthctl(&env, &["revoke", "--token-type-hint", "access_token"]).assert(),
        2,
        "--token-type-hint describes TOKEN",
    );
    fails(
        oauthctl(&env, &["revoke", "--client-secret-stdin", "-"])
            .write_stdin("x\n")
            .assert(),
        2,
        "cannot both come from stdin",
    );
    fails(
        oauthctl(&env, &["revoke", "-"])
            .write_stdin("a\nb\n")
            .assert(),
        2,
        "the token has a second line (a line break at position 2)",
    );
    // The same checker as exchange-code's: /dev/zero is refused at its first byte.
    let bin = assert_cmd::cargo::cargo_bin!("oauthctl");
    for command in ["revoke", "introspect"] {
        let assert = env
            .hermetic(assert_cmd::Command::new("sh"))
            .args(["-c", &format!("exec \"$BIN\" {command} - < /dev/zero")])
            .env("BIN", bin)
            .env("WEB_SECRET", SECRET)
            .assert();
        fails(
            assert,
            2,
            "the token has a NUL character at position 1; it must be one line of printable ASCII",
        );
    }
    fails(
        oauthctl(&env, &["introspect"]).assert(),
        2,
        "no token to introspect",
    );
    assert_eq!(server.request_count(), 0);
}

// ---------------------------------------------------------------- endpoints

#[test]
fn endpoints_are_discovered_from_the_issuer_and_explicit_ones_win() {
    let server = idp(|req| {
        let base = format!("http://{}", req.header("host").unwrap());
        match req.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                200,
                &json!({
                    "issuer": base,
                    "token_endpoint": format!("{base}/token"),
                    "revocation_endpoint": format!("{base}/oauth/revoke"),
                    "introspection_endpoint": format!("{base}/oauth/introspect"),
                })
                .to_string(),
            ),
            "/oauth/introspect" | "/explicit" => Reply::json(200, r#"{"active":true}"#),
            _ => Reply::new(200, "text/plain", ""),
        }
    });
    let env = Env::new();
    env.write_config(&format!(
        "default_profile = \"web\"\n[profiles.web]\nissuer = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\n",
        server.url("")
    ));
    oauthctl(&env, &["revoke", OTHER]).assert().success();
    oauthctl(&env, &["introspect", OTHER]).assert().success();
    let revoke = to(&server, "/oauth/revoke");
    assert_eq!(revoke.len(), 1);
    assert_sent(&revoke[0], "/oauth/revoke", &[("token", OTHER)]);
    let introspect = to(&server, "/oauth/introspect");
    assert_eq!(introspect.len(), 1);
    assert_sent(&introspect[0], "/oauth/introspect", &[("token", OTHER)]);

    oauthctl(&env, &["introspect", OTHER])
        .env("OAUTHCTL_INTROSPECTION_URL", server.url("/explicit"))
        .assert()
        .success();
    assert_eq!(to(&server, "/explicit").len(), 1);
    assert_eq!(to(&server, "/oauth/introspect").len(), 1);
}

/// One run may look its issuer up twice: `introspect -p NAME` finds the token endpoint to get the
/// profile's token, then the introspection endpoint. When the metadata changed in between (it may
/// not be cached: `no-store`), the later lookup is the one used.
#[test]
fn a_later_lookup_of_the_issuer_in_the_same_run_is_the_one_used() {
    let lookups = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = lookups.clone();
    let server = idp(move |req| match req.path.as_str() {
        "/.well-known/openid-configuration" => {
            let base = format!("http://{}", req.header("host").unwrap());
            let mut metadata = json!({"issuer": base, "token_endpoint": format!("{base}/token")});
            if counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                metadata["introspection_endpoint"] = json!(format!("{base}/oauth/introspect"));
            }
            Reply::json(200, &metadata.to_string()).with_header("Cache-Control", "no-store")
        }
        "/oauth/introspect" => Reply::json(200, r#"{"active":true}"#),
        _ => Reply::new(404, "text/plain", ""),
    });
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.svc]\nissuer = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\nretry_max_secs = 0\n",
        server.url("")
    ));
    oauthctl(&env, &["-p", "svc", "introspect"])
        .assert()
        .success();
    assert_eq!(lookups.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_sent(
        &to(&server, "/token")[0],
        "/token",
        &[("grant_type", "client_credentials")],
    );
    assert_sent(
        &to(&server, "/oauth/introspect")[0],
        "/oauth/introspect",
        &[("token", AT)],
    );
}

#[test]
fn a_missing_endpoint_is_a_config_error_naming_the_key() {
    let server = idp(|req| match req.path.as_str() {
        "/.well-known/openid-configuration" => {
            let base = format!("http://{}", req.header("host").unwrap());
            Reply::json(
                200,
                &json!({"issuer": base, "token_endpoint": format!("{base}/token")}).to_string(),
            )
        }
        _ => Reply::new(200, "text/plain", ""),
    });
    let env = Env::new();
    web_profile(&env, &server, "");
    fails(
        oauthctl(&env, &["revoke", OTHER]).assert(),
        78,
        "profile `web` has no revocation_url: set it (or issuer, to discover it) in the profile, or give OAUTHCTL_REVOCATION_URL",
    );
    // Even with nothing to revoke: the profile could never revoke anything.
    fails(
        oauthctl(&env, &["revoke"]).assert(),
        78,
        "no revocation_url",
    );
    fails(
        oauthctl(&env, &["introspect", OTHER]).assert(),
        78,
        "has no introspection_url",
    );
    assert_eq!(server.request_count(), 0);

    env.write_config(&format!(
        "[profiles.web]\nissuer = \"{}\"\nclient_id = \"web\"\nclient_secret_env = \"WEB_SECRET\"\n",
        server.url("")
    ));
    fails(
        oauthctl(&env, &["-p", "web", "revoke", OTHER]).assert(),
        78,
        "has no revocation_endpoint; set revocation_url in the profile",
    );
    fails(
        oauthctl(&env, &["-p", "web", "introspect", OTHER]).assert(),
        78,
        "has no introspection_endpoint; set introspection_url in the profile",
    );
    assert!(to(&server, "/revoke").is_empty());
}

// ---------------------------------------------------------------- introspect

fn active_answer() -> Value {
    json!({
        "active": true,
        "jti": "j-1",
        "iat": now() - 60,
        "exp": now() + 290,
        "iss": "https://idp.example",
        "aud": ["https://api.example", "b"],
        "sub": "u-42",
        "token_type": "Bearer",
        "username": "jdoe",
        "client_id": "web",
        "scope": "read write",
        "ext": {"tenant": "acme"},
    })
}

#[test]
fn introspect_shows_an_active_token_in_rows_and_json_as_sent() {
    let answer = active_answer().to_string();
    let server = idp(move |_| Reply::json(200, &answer));
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));

    let assert = oauthctl(
        &env,
        &["introspect", "--token-type-hint", "access_token", OTHER],
    )
    .env("TZ", "UTC")
    .assert()
    .success()
    .stderr("");
    let stdout = stdout_of(&assert);
    assert!(
        !stdout.contains('\x1b'),
        "no colour into a pipe: {stdout:?}"
    );
    let keys: Vec<&str> = stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "active",
            "scope",
            "client_id",
            "username",
            "token_type",
            "sub",
            "aud",
            "iss",
            "exp",
            "iat",
            "jti",
            "ext"
        ],
        "{stdout}"
    );
    let row = |key: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap()
            .to_string()
    };
    assert_eq!(row("active"), "active      true");
    assert_eq!(row("scope"), "scope       read write");
    assert_eq!(row("aud"), r#"aud         ["https://api.example","b"]"#);
    // inspect's time format: the number, UTC, and how far from now.
    let exp = row("exp");
    let cells: Vec<&str> = exp.split("  ").filter(|c| !c.is_empty()).collect();
    let number: i64 = cells[1].trim().parse().unwrap();
    assert!((now() + 280..=now() + 290).contains(&number), "{exp}");
    assert!(
        cells[2].starts_with("20") && cells[2].ends_with('Z'),
        "{exp}"
    );
    assert!(
        cells[3].starts_with("(in 4m ") && cells[3].ends_with("s)"),
        "{exp}"
    );
    assert_eq!(cells.len(), 4, "no local column in UTC: {exp}");
    assert!(row("iat").ends_with(" ago)"), "{}", row("iat"));
    assert_sent(
        &to(&server, "/introspect")[0],
        "/introspect",
        &[("token", OTHER), ("token_type_hint", "access_token")],
    );

    let assert = oauthctl(&env, &["-o", "json", "introspect", "-"])
        .write_stdin(format!("{OTHER}\n"))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let shown: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(to(&server, "/introspect").len(), 2);
    // As sent: same members, same order.
    let answer = active_answer();
    let order = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(order(&shown), order(&answer));
    assert_eq!(shown["ext"], answer["ext"]);
    assert_eq!(shown["aud"], answer["aud"]);
    assert_sent(
        &to(&server, "/introspect")[1],
        "/introspect",
        &[("token", OTHER)],
    );
}

#[test]
fn an_inactive_token_is_exit_0_unless_required_active() {
    let server = idp(|_| Reply::json(200, r#"{"active":false}"#));
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    oauthctl(&env, &["introspect", OTHER])
        .assert()
        .success()
        .stderr("")
        .stdout("active  false  (the token is not active: expired, revoked, or unknown to this server)\n");
    let host = server.addr().to_string();
    fails(
        oauthctl(&env, &["introspect", "--require-active", OTHER]).assert(),
        3,
        &format!(
            "oauthctl: error: the introspection endpoint {host} says the token is not active (expired, revoked, or unknown to it)"
        ),
    );
    oauthctl(&env, &["-o", "json", "introspect", OTHER])
        .assert()
        .success()
        .stdout("{\n  \"active\": false\n}\n");
}

#[test]
fn an_answer_that_is_not_an_introspection_is_exit_4_and_errors_are_exit_3() {
    let server = idp(|req| match req.form_value("token").as_deref() {
        Some("tok-html") => Reply::new(200, "text/html", "<html>login</html>"),
        Some("tok-no-active") => Reply::json(200, r#"{"scope":"read"}"#),
        Some("tok-string-active") => Reply::json(200, r#"{"active":"true"}"#),
        Some("tok-array") => Reply::json(200, r#"[{"active":true}]"#),
        Some("tok-active-twice") => Reply::json(200, r#"{"active":false,"active":true}"#),
        Some("tok-bad-client") => Reply::json(401, r#"{"error":"invalid_client"}"#),
        _ => Reply::new(502, "text/html", "<title>Bad Gateway</title>"),
    });
    let env = Env::new();
    web_profile(
        &env,
        &server,
        &format!("{}\nretries = 0", endpoints(&server)),
    );
    let host = server.addr().to_string();
    let endpoint = format!("the introspection endpoint {host}");
    for (token, code, message) in [
        (
            "tok-html",
            4,
            "answered HTTP 200 but its body is not valid JSON (18 bytes, text/html)",
        ),
        (
            "tok-no-active",
            4,
            "answered HTTP 200 but its answer has no `active` member (RFC 7662 §2.2)",
        ),
        (
            "tok-string-active",
            4,
            "answered HTTP 200 but its `active` is a string, not a boolean",
        ),
        (
            "tok-array",
            4,
            "answered HTTP 200 but its body is an array in JSON, not an object",
        ),
        (
            "tok-active-twice",
            4,
            "answered HTTP 200 but its body has the member `active` twice",
        ),
        (
            "tok-bad-client",
            3,
            "refused the request (HTTP 401): invalid_client",
        ),
        ("tok-5xx", 4, "failed (HTTP 502): Bad Gateway (text/html)"),
    ] {
        fails(
            oauthctl(&env, &["introspect", token]).assert(),
            code,
            &format!("{endpoint} {message}"),
        );
    }
}

#[test]
fn introspect_with_a_profile_and_no_token_asks_about_the_profiles_own() {
    let server = idp(|_| Reply::json(200, r#"{"active":true}"#));
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    sign_in(&env);
    // stdin is an empty pipe here, as in CI: that is no token, so -p's own is used.
    oauthctl(&env, &["-p", "web", "introspect"])
        .assert()
        .success();
    let sent = to(&server, "/introspect");
    assert_sent(&sent[0], "/introspect", &[("token", AT)]);
    // A piped token beats the profile's: the profile is the client asking.
    oauthctl(&env, &["-p", "web", "introspect"])
        .write_stdin(format!("{OTHER}\n"))
        .assert()
        .success();
    assert_eq!(
        to(&server, "/introspect")[1].form_value("token").as_deref(),
        Some(OTHER)
    );
}

/// `introspect -p NAME` without a token first gets the profile's own (here a client_credentials
/// one, not cached yet), then asks about it, as the same client: the secret is read once for both.
/// So a secret command runs once, and a secret on stdin, which can be read only once, serves both
/// requests.
#[test]
fn introspect_with_a_profile_reads_its_secret_once_for_the_token_and_the_question() {
    let server = idp(|_| Reply::json(200, r#"{"active":true}"#));
    let env = Env::new();
    let runs = env.home.path().join("runs");
    let profile = |source: &str| {
        format!(
            "[profiles.svc]\ntoken_url = \"{}\"\nclient_id = \"web\"\nretry_max_secs = 0\n{source}\n{}\n",
            server.url("/token"),
            endpoints(&server)
        )
    };
    env.write_config(&profile(&format!(
        "client_secret_command = [\"sh\", \"-c\", \"echo run >> '{}'; printf %s '{SECRET}'\"]",
        runs.display()
    )));
    oauthctl(&env, &["-p", "svc", "introspect"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "run\n");
    assert_sent(
        &to(&server, "/token")[0],
        "/token",
        &[("grant_type", "client_credentials")],
    );
    assert_sent(
        &to(&server, "/introspect")[0],
        "/introspect",
        &[("token", AT)],
    );

    let env = Env::new();
    env.write_config(&profile(""));
    oauthctl(&env, &["-p", "svc", "introspect", "--client-secret-stdin"])
        .write_stdin(SECRET)
        .assert()
        .success();
    assert_sent(
        &to(&server, "/token")[1],
        "/token",
        &[("grant_type", "client_credentials")],
    );
    assert_sent(
        &to(&server, "/introspect")[1],
        "/introspect",
        &[("token", AT)],
    );
}

// ---------------------------------------------------------------- the token stays hidden

#[test]
fn the_token_never_shows_not_with_v_nor_when_the_server_echoes_it() {
    // A careless server repeats the token in every answer: in errors, and in the introspection.
    let server = idp(|req| {
        let token = req.form_value("token").unwrap();
        match req.path.as_str() {
            "/introspect" if token == OTHER => {
                let mut answer = json!({"active": true, "sub": format!("for {token}"), "nested": [{"t": token}]});
                answer[token.as_str()] = "as a member name".into();
                Reply::json(200, &answer.to_string())
            }
            _ => Reply::json(
                400,
                &json!({"error": "invalid_request", "error_description": format!("bad token {token} / {}", req.body_str())})
                    .to_string(),
            ),
        }
    });
    let env = Env::new();
    web_profile(&env, &server, &endpoints(&server));
    sign_in(&env);
    let secrets = [AT, RT, OTHER, SECRET];
    for args in [
        &["-v", "revoke"][..],
        &["-v", "revoke", OTHER],
        &["-v", "-o", "json", "revoke", OTHER],
        &["-v", "introspect", "refused-one"],
    ] {
        let assert = oauthctl(&env, args).assert().failure().code(3).stdout("");
        let stderr = stderr_of(&assert);
        assert!(stderr.contains("bad token ***"), "{args:?}: {stderr}");
        assert_hidden(&assert, &secrets);
    }
    for args in [
        &["-v", "introspect", OTHER][..],
        &["-v", "-o", "json", "introspect", OTHER],
    ] {
        let assert = oauthctl(&env, args).assert().success();
        assert!(
            stdout_of(&assert).contains("for ***"),
            "{}",
            stdout_of(&assert)
        );
        assert_hidden(&assert, &secrets);
    }
    // The refused revocation left the cache alone: nothing was revoked.
    assert_eq!(cached_entries(&env), 1);
}
