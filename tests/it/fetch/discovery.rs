//! Finding the token endpoint from the issuer's metadata (RFC 8414, OpenID Connect Discovery), and
//! refusing metadata that speaks for another issuer.

use serde_json::json;

use crate::support::common::{Env, fails, jwt, stderr_of, stdout_of, token_reply};
use crate::support::server::{Recorded, Reply, StubServer};

// ---------------------------------------------------------------- discovery

/// An issuer at `/tenant` that publishes only RFC 8414 metadata, naming `claimed` as its issuer.
fn discovery_server(claimed: Option<&str>) -> StubServer {
    let claimed = claimed.map(str::to_string);
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let server_base = base.clone();
    let server = StubServer::start(move |req: &Recorded| {
        let base = server_base.get().unwrap();
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/.well-known/oauth-authorization-server/tenant") => {
                let issuer = claimed.clone().unwrap_or_else(|| format!("{base}/tenant"));
                Reply::json(
                    200,
                    &json!({"issuer": issuer, "token_endpoint": format!("{base}/tenant/token")})
                        .to_string(),
                )
            }
            ("POST", "/tenant/token") => token_reply("discovered"),
            _ => Reply::json(404, r#"{"error":"not_found"}"#),
        }
    });
    base.set(server.url("")).unwrap();
    server
}

#[test]
fn issuer_discovery_finds_the_token_endpoint() {
    let server = discovery_server(None);
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.d]\nissuer = \"{}\"\nclient_id = \"c\"\nauth_method = \"none\"\n",
        server.url("/tenant")
    ));
    env.cmd()
        .args(["-p", "d", "fetch"])
        .assert()
        .success()
        .stdout("discovered\n");
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /tenant/.well-known/openid-configuration",
            "GET /.well-known/oauth-authorization-server/tenant",
            "POST /tenant/token"
        ]
    );
}

#[test]
fn discovery_metadata_for_another_issuer_is_refused() {
    let server = discovery_server(Some("https://evil.example"));
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.d]\nissuer = \"{}\"\nclient_id = \"c\"\nauth_method = \"none\"\n",
        server.url("/tenant")
    ));
    fails(
        env.cmd().args(["-p", "d", "fetch"]).assert(),
        78,
        "names issuer `https://evil.example`",
    );
    assert!(server.requests().iter().all(|r| r.method == "GET"));
}

/// An endpoint the command does not use may be bad in the metadata without stopping it: a fetch
/// needs only the token endpoint.
#[test]
fn a_bad_endpoint_the_command_does_not_need_is_left_unused() {
    let server = StubServer::start(|r: &Recorded| {
        let base = format!("http://{}", r.header("host").unwrap());
        match r.path.as_str() {
            "/.well-known/openid-configuration" => Reply::json(
                200,
                &json!({
                    "issuer": base,
                    "token_endpoint": format!("{base}/token"),
                    "jwks_uri": "http://keys.example/jwks",
                })
                .to_string(),
            ),
            _ => token_reply("t"),
        }
    });
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.d]\nissuer = \"http://{}\"\nclient_id = \"c\"\nauth_method = \"none\"\n",
        server.addr()
    ));
    let assert = env
        .cmd()
        .args(["-v", "-p", "d", "fetch"])
        .assert()
        .success();
    assert_eq!(stdout_of(&assert), "t\n");
    assert!(
        stderr_of(&assert).contains("jwks_uri `http://keys.example/jwks` uses plain http"),
        "{}",
        stderr_of(&assert)
    );
    // The command that needs it refuses it.
    fails(
        env.cmd()
            .args(["-p", "d", "inspect", "--verify", &jwt(json!({"sub": "x"}))])
            .assert(),
        78,
        "plain http",
    );
}
