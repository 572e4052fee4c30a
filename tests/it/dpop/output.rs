//! What `fetch` prints for a DPoP token (DESIGN §12): `-o header --url` gives the two lines
//! `curl -H @-` sends, the proof made for that one request (RFC 9449 §7.1: `htm`, `htu`, `ath`,
//! the resource server's nonce), which a strict resource server accepts through real curl and
//! refuses for any other URL or method; `-o json` and `-o env` say what the token is; the usage
//! errors are exit 2 with nothing on stdout; and the `-v` trace never shows a proof.

use super::{
    Issuer, Proof, ath, cnf_jkt, curl, dpop_profile, fetch, nonce_demand, split_header_lines,
};
use crate::support::common::{self, Env, fails, json_of, stderr_of, stdout_of};
use crate::support::resource_server::{ResourceServer, jwt_cnf_jkt, reason};

/// The two lines of a successful `fetch -o header ARGS`: the token and the proof, checked to
/// be a proof of the token's key for the token (`ath`).
fn header_lines(env: &Env, args: &[&str]) -> (String, Proof) {
    let mut all = vec!["-o", "header"];
    all.extend_from_slice(args);
    let assert = fetch(env, &all).assert().success();
    assert_eq!(stderr_of(&assert), "");
    let (token, proof) = split_header_lines(&stdout_of(&assert));
    assert_eq!(proof.jkt(), cnf_jkt(&token), "a proof of the token's key");
    (token, proof)
}

#[test]
fn header_with_url_prints_the_dpop_scheme_and_a_proof_for_that_request() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let (token, proof) = header_lines(
        &env,
        &["--url", "https://rs.example:8443/orders/7?expand=items#top"],
    );
    assert_eq!(proof.claims["htm"], "GET");
    assert_eq!(proof.claims["htu"], "https://rs.example:8443/orders/7");
    assert!(proof.nonce().is_none(), "{}", proof.claims);
    let requested = Proof::of(&issuer.requests()[0]);
    assert_eq!(requested.jkt(), proof.jkt());
    assert_ne!(requested.jti(), proof.jti());

    // From the cache: the same token, a new proof for the new request. The method is as given
    // (RFC 9110 §9.1: methods are case-sensitive, and curl sends `-X` as given), the nonce is the
    // resource server's.
    let (cached, again) = header_lines(
        &env,
        &[
            "--url",
            "http://127.0.0.1:9/v1/items",
            "--method",
            "DELETE",
            "--nonce",
            "rs-nonce_1.~",
        ],
    );
    assert_eq!(cached, token);
    assert_eq!(issuer.requests().len(), 1, "a cache hit");
    assert_eq!(again.claims["htm"], "DELETE");
    assert_eq!(again.claims["htu"], "http://127.0.0.1:9/v1/items");
    assert_eq!(again.nonce(), Some("rs-nonce_1.~"));
    assert_ne!(again.jti(), proof.jti());
}

#[test]
fn json_text_and_env_say_what_the_token_is() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let assert = fetch(&env, &["-o", "json"]).assert().success();
    let plain = json_of(&assert);
    assert_eq!(plain["token_type"], "DPoP", "{plain}");
    assert!(plain.get("dpop_proof").is_none(), "{plain}");
    let token = plain["access_token"].as_str().unwrap().to_owned();

    let url = "https://rs.example/orders?page=2";
    let assert = fetch(&env, &["-o", "json", "--url", url, "--method", "PATCH"])
        .assert()
        .success();
    let with_proof = json_of(&assert);
    assert_eq!(with_proof["access_token"], *token);
    assert_eq!(with_proof["cached"], true);
    let proof = Proof::parse(with_proof["dpop_proof"].as_str().expect("dpop_proof"));
    assert_eq!(proof.claims["htm"], "PATCH");
    assert_eq!(proof.claims["htu"], "https://rs.example/orders");
    assert_eq!(proof.claims["ath"], ath(&token));

    fetch(&env, &[])
        .assert()
        .success()
        .stdout(format!("{token}\n"));
    let assert = fetch(&env, &["-o", "env"]).assert().success();
    let stdout = stdout_of(&assert);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], format!("export OAUTHCTL_ACCESS_TOKEN='{token}'"));
    assert_eq!(lines[1], "export OAUTHCTL_TOKEN_TYPE='DPoP'");
    assert!(
        lines[2].starts_with("export OAUTHCTL_EXPIRES_AT="),
        "{stdout}"
    );
    assert_eq!(issuer.requests().len(), 1);
}

/// A DPoP token cannot be printed where it would be sent without its proof: `-o header` without
/// `--url` and `-o exec-credential` are usage errors (made before any request, which
/// `lifecycle` shows).
#[test]
fn a_dpop_token_without_its_proof_is_a_usage_error() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    fails(fetch(&env, &["-o", "header"]).assert(), 2, "--url");
    fails(
        fetch(&env, &["-o", "exec-credential"]).assert(),
        2,
        "DPoP token",
    );
}

/// Every request `--url` names is checked before anything is sent.
#[test]
fn url_method_and_nonce_errors_are_exit_2_before_any_request() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let url = "https://rs.example/a";
    for format in ["text", "env", "exec-credential"] {
        fails(
            fetch(&env, &["-o", format, "--url", url]).assert(),
            2,
            "--url",
        );
    }
    // clap: --method and --nonce go with --url.
    fails(fetch(&env, &["--method", "GET"]).assert(), 2, "--url");
    fails(
        fetch(&env, &["-o", "header", "--nonce", "n"]).assert(),
        2,
        "--url",
    );
    for bad in [
        "/orders",
        "ftp://rs.example/a",
        "not a url",
        "https://",
        "rs.example/a",
    ] {
        fails(
            fetch(&env, &["-o", "header", "--url", bad]).assert(),
            2,
            "is not an absolute http or https URL",
        );
    }
    for bad in ["GE T", "", "GET\r\nX: 1", "G\u{e9}T", "GET/"] {
        fails(
            fetch(&env, &["-o", "header", "--url", url, "--method", bad]).assert(),
            2,
            "is not an HTTP method",
        );
    }
    for bad in ["a\"b", "a b", "", "a\\b", "n\u{e9}"] {
        fails(
            fetch(&env, &["-o", "header", "--url", url, "--nonce", bad]).assert(),
            2,
            "--nonce is not a DPoP nonce",
        );
    }
    assert_eq!(issuer.requests().len(), 0, "nothing sent");
}

/// RFC 9110 §4.2.4: a sender must not generate userinfo in an http(s) URI it puts in a field
/// value, and RFC 9449 §4.2's `htu` is the target URI, which has none: a `--url` with a user and
/// password is refused, or its `htu` leaves them out; the password is never printed.
#[test]
fn a_url_with_userinfo_never_puts_it_in_the_proof() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let url = "https://alice:hunter2@rs.example/a?b=1";
    let assert = fetch(&env, &["-o", "header", "--url", url]).assert();
    let output = assert.get_output();
    if output.status.code() == Some(2) {
        assert_eq!(stdout_of(&assert), "");
        assert!(
            stderr_of(&assert).contains("--url"),
            "{}",
            stderr_of(&assert)
        );
        return;
    }
    let stdout = stdout_of(&assert.success());
    assert!(
        !stdout.contains("hunter2"),
        "the password in the output: {stdout}"
    );
    let proof = Proof::parse(
        stdout
            .lines()
            .nth(1)
            .unwrap()
            .strip_prefix("DPoP: ")
            .unwrap(),
    );
    assert_eq!(proof.claims["htu"], "https://rs.example/a");
}

/// The intended use, end to end on loopback: `oauthctl fetch -o header --url URL | curl -H @-
/// URL` against a resource server that checks everything RFC 9449 §4.3 and §7.1 ask, including
/// its own nonce (§9).
#[test]
fn curl_with_the_printed_lines_is_accepted_by_a_strict_resource_server() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let rs = ResourceServer::start(jwt_cnf_jkt);
    let url = rs.url("/orders?page=2");
    let printed = |args: &[&str]| {
        let mut all = vec!["-o", "header", "--url", &url];
        all.extend_from_slice(args);
        stdout_of(&fetch(&env, &all).assert().success())
    };
    let (status, body) = curl(&url, "GET", &printed(&[]));
    assert_eq!(status, "200", "{body} {:?}", rs.verdicts());

    let (status, body) = curl(&url, "POST", &printed(&["--method", "POST"]));
    assert_eq!(status, "200", "{body} {:?}", rs.verdicts());

    let rs = rs.with_nonce("rs-nonce-7");
    let (status, _) = curl(&url, "GET", &printed(&[]));
    assert_eq!(status, "401");
    let (status, body) = curl(&url, "GET", &printed(&["--nonce", "rs-nonce-7"]));
    assert_eq!(status, "200", "{body} {:?}", rs.verdicts());
    let reasons: Vec<(bool, String)> = rs
        .verdicts()
        .into_iter()
        .map(|v| (v.accepted, v.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            (true, reason::ACCEPTED.to_owned()),
            (true, reason::ACCEPTED.to_owned()),
            (false, reason::NONCE_MISSING.to_owned()),
            (true, reason::ACCEPTED.to_owned()),
        ]
    );
    assert_eq!(issuer.requests().len(), 1, "one token for all of them");
}

/// SECURITY 45: a proof made for one URL or method is never good for another. The resource server
/// refuses the printed lines sent elsewhere, or with another method.
#[test]
fn a_proof_for_one_url_or_method_is_refused_for_another() {
    let issuer = Issuer::start(vec![]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let rs = ResourceServer::start(jwt_cnf_jkt);
    let printed = |url: &str, method: &str| {
        let args = ["-o", "header", "--url", url, "--method", method];
        stdout_of(&fetch(&env, &args).assert().success())
    };
    let (a, b) = (rs.url("/a"), rs.url("/b"));
    assert_eq!(curl(&b, "GET", &printed(&a, "GET")).0, "401");
    assert_eq!(curl(&a, "GET", &printed(&a, "POST")).0, "401");
    assert_eq!(curl(&a, "POST", &printed(&a, "GET")).0, "401");
    let reasons: Vec<String> = rs.verdicts().into_iter().map(|v| v.reason).collect();
    assert_eq!(reasons, [reason::HTU, reason::HTM, reason::HTM]);
}

/// DESIGN §12: proofs are masked in `-v` like assertions: neither those of the token requests
/// (the nonce retry's included) nor the printed one show in the trace, whole or in part.
#[test]
fn the_verbose_trace_never_shows_a_proof() {
    let issuer = Issuer::start(vec![nonce_demand(Some("n-1"))]);
    let env = Env::new();
    dpop_profile(&env, &issuer, "");
    let assert = fetch(
        &env,
        &["-v", "-o", "header", "--url", "https://rs.example/x"],
    )
    .assert()
    .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("use_dpop_nonce"), "a trace: {stderr}");
    let stdout = stdout_of(&assert);
    let printed = stdout
        .lines()
        .nth(1)
        .unwrap()
        .strip_prefix("DPoP: ")
        .unwrap();
    let mut proofs: Vec<String> = issuer.requests().iter().map(|r| Proof::of(r).raw).collect();
    assert_eq!(proofs.len(), 2);
    proofs.push(printed.to_owned());
    for proof in &proofs {
        // The claims and the signature are each the proof's own; the header (the public key) is
        // shared by every proof and is not secret.
        let parts: Vec<&str> = proof.split('.').collect();
        for part in [proof.as_str(), parts[1], parts[2]] {
            assert!(!stderr.contains(part), "{part} in the trace: {stderr}");
        }
    }
    let token = stdout
        .lines()
        .next()
        .unwrap()
        .strip_prefix("Authorization: DPoP ")
        .unwrap();
    common::assert_inert("stderr", &stderr);
    assert!(!stderr.contains(token), "the token in the trace: {stderr}");
}
