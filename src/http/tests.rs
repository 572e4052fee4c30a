use std::time::SystemTime;

use super::*;

#[test]
fn a_servers_url_keeps_only_query_names() {
    assert_eq!(
        redact_url_from_server(
            "https://u:p@x.example/cb?echo=grant_type%3Dx%26client_secret%3Ds&state=1#at=t"
        ),
        "https://***@x.example/cb?echo=***&state=***"
    );
}

/// The names a caller (the protocol) says are secret.
const NAMES: &[&str] = &[
    "code",
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
];

#[test]
fn userinfo_is_masked_in_urls() {
    assert_eq!(
        redact_url("https://u:pw@idp.example/t?code=c&x=1", NAMES),
        "https://***@idp.example/t?code=***&x=1"
    );
    assert_eq!(
        redact_url("https://idp.example/a@b?x=1", NAMES),
        "https://idp.example/a@b?x=1",
        "an @ in the path is not userinfo"
    );
    assert_eq!(redact_url("not a url", NAMES), "not a url");
}

#[test]
fn loopback_and_no_proxy_hosts_go_direct_and_the_rest_through_the_proxy() {
    let proxy = ureq::Proxy::builder(ureq::ProxyProtocol::Http)
        .host("proxy.example")
        .port(3128)
        .no_proxy("internal.example")
        .build()
        .unwrap();
    let mut transport = Transport::new(Duration::from_secs(5), None, None).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(Some(proxy.clone()))
        .build()
        .into();
    transport.proxied = Some((agent, proxy));
    for direct in [
        "http://127.0.0.1:8080/token",
        "http://127.9.9.9/t",
        "https://localhost/t",
        "http://LOCALHOST:9/t",
        "http://[::1]:9/t",
        "http://[::ffff:127.0.0.1]:9/t",
        "https://internal.example/t",
    ] {
        assert!(transport.route(direct).1.is_none(), "{direct}");
    }
    for proxied in [
        "https://idp.example/t",
        "https://10.0.0.1/t",
        "https://127.0.0.1.example.com/t",
        "https://localhost.example.com/t",
        "https://[2001:db8::1]/t",
    ] {
        assert!(transport.route(proxied).1.is_some(), "{proxied}");
    }
}

#[test]
fn plain_http_only_to_loopback() {
    for ok in [
        "https://idp.example/token",
        "http://127.0.0.1:8080/token",
        "http://127.1.2.3/t",
        "http://[::1]:9/t",
        "http://localhost/t",
        "http://LOCALHOST:1/t",
    ] {
        assert!(check_url(ok, "token_url").is_ok(), "{ok}");
    }
    for bad in [
        "https://idp.example/token#frag",
        "http://idp.example/token",
        "http://10.0.0.1/t",
        "http://127.0.0.1.evil.com/t",
        "ftp://x/y",
        "token",
    ] {
        let err = check_url(bad, "token_url").unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{bad}");
    }
}

#[test]
fn traces_never_show_secret_fields() {
    let field = |name: &str, value: &str, secret: bool| FormField {
        name: name.into(),
        value: value.into(),
        secret,
    };
    let form = vec![
        field("grant_type", "authorization_code", false),
        field("code", "the-code", true),
        field("client_secret", "s3", true),
    ];
    assert_eq!(
        redact_form(&form),
        "grant_type=authorization_code&code=***&client_secret=***"
    );
    assert_eq!(
        redact_url("https://x/t?grant_type=a&code=zz", NAMES),
        "https://x/t?grant_type=a&code=***"
    );
    assert_eq!(redact_header("Authorization", "Basic YWJj"), "Basic ***");
    assert_eq!(redact_header("X-Api-Key", "k"), "***");
    assert_eq!(
        redact_header("Accept", "application/json"),
        "application/json"
    );
    let body = redact_body(
        br#"{"access_token":"at","refresh_token":"rt","expires_in":3}"#,
        NAMES,
    );
    assert_eq!(
        body,
        r#"{"access_token":"***","refresh_token":"***","expires_in":3}"#
    );
    assert_eq!(
        redact_body(b"<html>at</html>", NAMES),
        "(15 bytes, not a JSON object)"
    );
    let nested = redact_body(
        br#"{"data":{"Access_Token":"n1","list":[{"id_token":"n2"}]},"ok":1}"#,
        NAMES,
    );
    assert_eq!(
        nested,
        r#"{"data":{"Access_Token":"***","list":[{"id_token":"***"}]},"ok":1}"#
    );
}

#[test]
fn masks_cover_raw_and_form_encoded_values() {
    let trace = Trace::off(NAMES);
    trace.mask("a+b/c=");
    assert_eq!(
        *trace.masks.borrow(),
        vec!["a+b/c=".to_string(), "a%2Bb%2Fc%3D".to_string()]
    );
}

#[test]
fn host_of_strips_credentials() {
    assert_eq!(
        host_of("https://u:p@idp.example:8443/t?x"),
        "idp.example:8443"
    );
}

/// Full jitter: retry n waits a uniform draw from [0, 0.5 s × 2^(n-1)], the ceiling capped at
/// 8 s. 400 draws per retry: the chance that one of the spread checks fails by luck is
/// under 10^-17 (16 checks, each 0.9^400).
#[test]
fn backoff_is_a_full_jitter_draw_under_a_doubling_capped_ceiling() {
    const DRAWS: usize = 400;
    for (attempt, ceiling) in [
        (1, Duration::from_millis(500)),
        (2, Duration::from_secs(1)),
        (3, Duration::from_secs(2)),
        (4, Duration::from_secs(4)),
        (5, Duration::from_secs(8)),
        (6, Duration::from_secs(8)),
        (40, Duration::from_secs(8)),
        (u32::MAX, Duration::from_secs(8)),
    ] {
        let draws: Vec<Duration> = (0..DRAWS).map(|_| backoff(attempt)).collect();
        for draw in &draws {
            assert!(
                *draw <= ceiling,
                "retry {attempt}: {draw:?} is above {ceiling:?}"
            );
        }
        let first = draws[0];
        assert!(
            draws.iter().any(|d| *d != first),
            "retry {attempt}: {DRAWS} draws all {first:?}, so no jitter"
        );
        // Full jitter, not "equal jitter" (ceiling/2 plus a draw) nor a fixed wait with noise:
        // the draws reach both the bottom and the top tenth of [0, ceiling].
        let low = ceiling / 10;
        let high = ceiling - ceiling / 10;
        assert!(
            draws.iter().any(|d| *d < low),
            "retry {attempt}: no draw below {low:?}: {draws:?}"
        );
        assert!(
            draws.iter().any(|d| *d > high),
            "retry {attempt}: no draw above {high:?}, so the ceiling is not {ceiling:?}: {draws:?}"
        );
    }
}

/// RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`.
#[test]
fn retry_after_reads_delay_seconds_and_http_dates_and_ignores_junk() {
    assert_eq!(retry_after("120"), Some(Duration::from_secs(120)));
    assert_eq!(retry_after("0"), Some(Duration::ZERO));
    assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
    // Too large for a u64: a very long wait, which the caller then refuses to sit out.
    assert_eq!(
        retry_after("99999999999999999999999"),
        Some(Duration::from_secs(u64::MAX))
    );

    // An HTTP-date a minute ahead: about a minute (the format drops sub-second precision,
    // and the clock moves between formatting and parsing).
    let ahead = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
    let wait = retry_after(&ahead).unwrap_or_else(|| panic!("{ahead:?} not read"));
    assert!(
        wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
        "{ahead:?} gave {wait:?}"
    );
    // A date in the past: retry now.
    for past in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        // The obsolete forms recipients must still accept (RFC 9110 §5.6.7).
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ] {
        assert_eq!(retry_after(past), Some(Duration::ZERO), "{past:?}");
    }

    for junk in [
        "",
        "   ",
        "soon",
        "-5",
        "+5",
        "1.5",
        "5s",
        "0x10",
        "Sun, 06 Nov 1994",
        "2030-01-01T00:00:00Z",
    ] {
        assert_eq!(retry_after(junk), None, "{junk:?}");
    }
}

/// The DER of the roots a transport trusts.
fn roots(ca_file: Option<&Path>) -> Vec<Vec<u8>> {
    let tls = tls_with_roots(ca_file).unwrap().build();
    assert!(tls.unversioned_rustls_crypto_provider().is_some());
    match tls.root_certs() {
        ureq::tls::RootCerts::Specific(certs) => certs.iter().map(|c| c.der().to_vec()).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mozillas_roots_are_trusted_and_a_ca_file_adds_to_them() {
    let bundled = roots(None);
    assert_eq!(
        bundled.len(),
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.len()
    );
    let cert = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/rsa-2048.crt.pem"
    );
    let with_file = roots(Some(Path::new(cert)));
    assert_eq!(with_file[..bundled.len()], bundled[..]);
    let extra = &with_file[bundled.len()..];
    assert_eq!(extra.len(), 1);
    let pem = std::fs::read(cert).unwrap();
    assert!(matches!(
        ureq::tls::parse_pem(&pem).next(),
        Some(Ok(ureq::tls::PemItem::Certificate(c))) if c.der() == extra[0]
    ));
}

#[test]
fn every_bundled_root_is_a_usable_trust_anchor() {
    // ureq passes the roots to rustls, which skips one it cannot parse without a word.
    let mut store = rustls::RootCertStore::empty();
    let (added, ignored) =
        store.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    assert_eq!(
        (added, ignored),
        (webpki_root_certs::TLS_SERVER_ROOT_CERTS.len(), 0)
    );
}

#[test]
fn trace_lines_reach_the_sink_only_with_v_masked_and_escaped() {
    let sink = std::sync::Arc::new(crate::sink::Collected::default());
    let trace = Trace::new(true, &[], sink.clone());
    trace.mask("s3 cr3t");
    trace.line("sent s3 cr3t, form-encoded s3+cr3t, then \x1b[31mred");
    Trace::new(false, &[], sink.clone()).line("never shown");
    assert_eq!(
        sink.lines(),
        ["oauthctl: sent ***, form-encoded ***, then \\u{1b}[31mred"]
    );
}
