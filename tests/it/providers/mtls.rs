//! Mutual TLS, RFC 8705 §2.1 `tls_client_auth`: the certificate authenticates the client in the
//! TLS handshake and the body only names the client.
//!
//! Only what oauthctl does before connecting is proven here: the example's profile loads with
//! its certificate and key, and a certificate that does not hold the key is refused (exit 78)
//! before any request. The handshake itself, against a server that requires a client
//! certificate, is the e2e suite's (tests/e2e/, its mTLS listener).

use super::*;
use crate::support::common::Env;
use crate::support::server::{Reply, StubServer};

const MTLS_KEY: &str = "mtls.key.pem";
const MTLS_CERT: &str = "mtls.crt.pem";

fn example_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/providers.toml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

// =============================================================================================
// 008: mutual TLS (tls_client_auth).

#[test]
fn mtls_profile_loads_with_its_certificate_and_key() {
    let env = Env::new();
    env.write_config(&example_text());

    let cmd = env.cmd().args(["-p", "mtls", "profiles", "show"]).assert();
    let stdout = succeeded(cmd);
    let line = |key: &str| {
        let found = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key));
        found
            .unwrap_or_else(|| panic!("{key} in {stdout}"))
            .to_owned()
    };
    assert!(line("auth_method").contains("tls_client_auth"), "{stdout}");
    assert!(
        line("client_certificate_file").contains(MTLS_CERT),
        "{stdout}"
    );
    assert!(line("private_key_file").contains(MTLS_KEY), "{stdout}");
    assert!(line("token_url").contains(MTLS_URL), "{stdout}");
    assert!(line("client_secret").contains("none needed"), "{stdout}");
}

/// The certificate must hold the profile's key: checked before anything is sent.
#[test]
fn mtls_certificate_of_another_key_is_refused_before_any_request() {
    let env = Env::new();
    let other = p256_key(&env, "other.key.pem");
    certificate(&env, &other, MTLS_CERT, "/CN=someone-else");
    p256_key(&env, MTLS_KEY);
    let stub = StubServer::start(|_| Reply::json(500, "{}"));
    use_example(&env, MTLS_URL, 1, &stub.url("/oauth2/token"));

    let cmd = env.cmd().args(["-p", "mtls", "fetch"]).assert();
    failed(
        cmd,
        78,
        &["client_certificate_file", MTLS_CERT, "does not hold"],
    );
    requests(&stub, 0);
}
