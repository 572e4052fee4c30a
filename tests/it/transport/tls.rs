//! `ca_file` adds trust for a private CA (SECURITY 23), from the profile, a flag or an env var;
//! without it, or for another name, the certificate is refused.

use std::net::TcpListener;

use super::tls_backend;
use crate::support::app::{assert_token_request, fetch, profile};
use crate::support::common::{Env, fails_in_one_line, token_server};
use crate::support::proxy::forwarder;
use crate::support::tls::{Pki, TlsFront};

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
