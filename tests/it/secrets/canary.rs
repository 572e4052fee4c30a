//! The canary sweep (SECURITY 35–37).
//!
//! Distinctive secrets are planted wherever a user's secrets live: a client secret that needs
//! escaping, an authorization code, a PKCE verifier, a refresh token and a secret header. Then
//! every command, and every failure we can provoke, runs against a token endpoint that echoes the
//! request back in every way a careless server does. No form in which a secret crosses the wire
//! (raw, form-urlencoded, base64, Basic credentials) may reach stdout, stderr or a file in HOME;
//! the access token reaches stdout only where printing it is the command's purpose, and never
//! stderr. The sweep is tables driven by one loop: a new command is one line.
//!
//! Clients without a shared secret are swept too (SECURITY 39–42): a private key from a file, a
//! variable and a command, and `client_secret_jwt`. The key's private parts are canaries in every
//! form (PEM lines, DER, the private numbers as a JWK has them), and so is every client assertion
//! the token endpoint received, or `keys assertion` printed: after each case none may be in
//! stdout, stderr or a file in HOME. `keys assertion` alone may print one, on stdout.
//!
//! Workload identity is swept too (SECURITY 43): the identity token (a JWT, whole and by segment)
//! and GitHub Actions' request token are canaries, for a token exchange with the identity token
//! from a variable, a file, a command and a stub of GitHub's endpoint, and for `federated_jwt`.
//! `identity-token` alone may print the identity token, on stdout.
//!
//! DPoP is swept too (SECURITY 45): a profile whose `dpop_key_file` is the sweep's key, and one
//! whose key oauthctl makes in its cache directory. That key is a canary as soon as it exists, in
//! every form, and may be in no file but its own (0600). The token endpoint demands a nonce of a
//! proof without one (RFC 9449 §8), then binds its token to the proof's key. Every proof it
//! received is a canary (a proof is a credential for its one request, RFC 9449 §11.1), and so is
//! every proof a command printed: `keys dpop-proof` and `fetch --url` alone print one, on stdout,
//! and never one that was sent.
//!
//! Hostile server text on its way to the terminal is output/hostile.rs.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use Prints::{Assertion, IdentityToken, Nothing, Proof, Token, TokenAndProof, TokenResponse};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::keys::private_parts;
use crate::support::common::form_encode;
use crate::support::common::{Env, stderr_of, stdout_of};
use crate::support::resource_server::thumbprint;
use crate::support::server::{Recorded, Reply, StubServer};
use crate::support::untrusted::{DESCRIPTION_CHARS, LOCATION_CHARS, SUMMARY_CHARS, TRACE_CHARS};

// ---------------------------------------------------------------- the canaries

const CLIENT_ID: &str = "app";

/// Needs escaping in a form, a URL and Basic credentials (RFC 6749 §2.3.1).
const SECRET: &str = "CANARY-secret+/=&:%";

const CODE: &str = "CANARY-code-SplxlOBeZQQYbYS6WxSbIA";

/// 43 unreserved characters (RFC 7636 §4.1).
const VERIFIER: &str = "CANARY-verifier-dBjftJeZ4CVP-mB92K27uhbUJU1";

const REFRESH: &str = "CANARY-refresh-tGzv3JOkF0XG5Qx2TlKWIA";

/// Sent as `X-Api-Key` through `OAUTHCTL_HEADERS`, so that no file holds it.
const HEADER_SECRET: &str = "CANARY-header-hunter2+/=";

/// The access token's signature segment: the token carries a tag of its own.
const ACCESS_SIGNATURE: &str = "CANARY-access-signature-01234567";

/// The env var the profiles name in `client_secret_env`.
const SECRET_VAR: &str = "CANARY_SECRET_VAR";

/// The client secret of the `client_secret_jwt` profile: an HMAC key must be at least as long as
/// its hash (RFC 7518 §3.2), which `SECRET` is not.
const HMAC_SECRET: &str = "CANARY-hmackey-0123456789abcdefghijklmnopqrstuv";

/// The env var the `client_secret_jwt` profile names in `client_secret_env`.
const HMAC_SECRET_VAR: &str = "CANARY_HMAC_SECRET_VAR";

/// The env var that holds the sweep's private key (PEM): `private_key_env`, and what
/// `private_key_command` prints.
const KEY_VAR: &str = "CANARY_PRIVATE_KEY";

/// The identity token's signature segment (see `identity_token`).
const IDENTITY_SIGNATURE: &str = "CANARY-identity-signature-89abcdef";

/// GitHub Actions' request token (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`), a secret of its own.
const REQUEST_TOKEN: &str = "CANARY-ghrequest-ghs_Zq8vB2mXo4Lk";

/// The env var the `identity_token_env` profile names, and what `identity_token_command` prints.
const IDENTITY_VAR: &str = "CANARY_IDENTITY_TOKEN";

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// Tells the sweep's token endpoint how to answer (see `canary_server`).
const MODE_HEADER: &str = "X-Canary-Mode";

/// The nonce the sweep's token endpoint demands of a DPoP proof without one (RFC 9449 §8).
const DPOP_NONCE: &str = "nonce-9449-Vb7qLw";

/// The resource `fetch --url` makes its DPoP proofs for; nothing is sent there.
const RESOURCE: &str = "https://rs.example/x";

/// A JWT (so that `inspect` decodes it) whose signature segment is tagged.
fn access_token() -> String {
    access_token_bound_to(None)
}

/// The access token, bound to the DPoP key whose thumbprint is `jkt` when there is one (`cnf.jkt`,
/// RFC 9449 §6.1): a token of its own, with the same tag.
fn access_token_bound_to(jkt: Option<&str>) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"canary"}"#);
    let mut claims = json!({"iss": "https://idp.example", "sub": "canary-user", "iat": 1_700_000_000, "exp": 4_102_444_800_i64});
    if let Some(jkt) = jkt {
        claims["cnf"] = json!({ "jkt": jkt });
    }
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{claims}.{ACCESS_SIGNATURE}")
}

/// A JWS's header and claims, decoded; `None` when it is not a JWS of JSON objects.
fn jws(text: &str) -> Option<(Value, Value)> {
    let segments: Vec<&str> = text.split('.').collect();
    let [header, claims, _] = segments[..] else {
        return None;
    };
    let json = |segment: &str| -> Option<Value> {
        let value: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()?;
        value.is_object().then_some(value)
    };
    Some((json(header)?, json(claims)?))
}

/// The thumbprint (RFC 7638) of the public key in a DPoP proof's header, which is the `jkt` a
/// token bound to that key names (RFC 9449 §6.1).
fn proof_jkt(proof: &str) -> Option<String> {
    let (header, _) = jws(proof)?;
    thumbprint(header.get("jwk")?.as_object()?)
}

/// What every DPoP proof oauthctl makes begins with (base64url of `{"typ":"dpop+jwt",`, its
/// header's first member, RFC 9449 §4.2): a proof no one recorded is still found by it. The
/// token endpoint checks that every proof it receives begins so, so this cannot go blind.
fn proof_prefix() -> String {
    base64_of(&URL_SAFE_NO_PAD, br#"{"typ":"dpop+jwt","#)
}

/// A workload identity token as a CI platform issues it: a JWT (oauthctl reads its `iss`, `sub`
/// and `aud` for the cache key) whose signature segment is tagged.
fn identity_token() -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"ci"}"#);
    let claims = json!({"iss": "https://token.actions.githubusercontent.com", "sub": "repo:acme/app:ref:refs/heads/main", "aud": "sts.example", "iat": 1_700_000_000, "exp": 4_102_444_800_i64});
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{claims}.{IDENTITY_SIGNATURE}")
}

/// Set on every run: the secret sources, the secret header, and the logging and backtrace switches
/// that could make a program print what it holds (SECURITY 37).
fn common_env() -> Vec<(&'static str, String)> {
    vec![
        (SECRET_VAR, SECRET.to_string()),
        ("CANARY_COMMAND_SECRET", SECRET.to_string()),
        (HMAC_SECRET_VAR, HMAC_SECRET.to_string()),
        ("OAUTHCTL_HEADERS", format!("X-Api-Key: {HEADER_SECRET}")),
        (IDENTITY_VAR, identity_token()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN.to_string()),
        ("RUST_LOG", "trace".to_string()),
        ("RUST_BACKTRACE", "full".to_string()),
    ]
}

/// Base64 of the value's whole 3-byte groups: the last character of an encoding depends on what
/// follows the value, so it is left out of the search.
fn base64_of(engine: &impl Engine, bytes: &[u8]) -> String {
    engine.encode(&bytes[..bytes.len() / 3 * 3])
}

/// One planted secret and every form in which it must not show up.
#[derive(Clone)]
struct Canary {
    what: &'static str,
    forms: Vec<(String, String)>,
    /// Binary forms, looked for in the raw bytes of an output or a file.
    raw: Vec<(String, Vec<u8>)>,
}

impl Canary {
    fn new(what: &'static str, value: &str) -> Canary {
        let mut canary = Canary {
            what,
            forms: Vec::new(),
            raw: Vec::new(),
        };
        canary.add("raw", value.to_string());
        canary.add("form-urlencoded", form_encode(value));
        canary.add_base64("base64", &base64_of(&STANDARD_NO_PAD, value.as_bytes()));
        canary.add_base64("base64url", &base64_of(&URL_SAFE_NO_PAD, value.as_bytes()));
        // `CANARY-secret`, `CANARY-code`, …: survives truncation and any encoding that keeps
        // letters and `-`, so a fragment or an unlisted encoding is caught too.
        let (_, tagged) = value.split_once("CANARY-").expect("every canary is tagged");
        let name: String = tagged
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        canary.add(
            "its tag (a fragment or another encoding)",
            format!("CANARY-{name}"),
        );
        canary
    }

    /// The private parts of the key in `pem_text` (SECURITY 39, 42), in every form they could
    /// leak in: the PEM body's lines, the DER (raw, base64, base64url, hex), and each private
    /// number (the EC scalar, or RSA's exponent, primes and CRT values) raw, as a JWK's base64url,
    /// base64 and hex, whole and as a 12-byte fragment.
    fn private_key(what: &'static str, pem_text: &str) -> Canary {
        let mut canary = Canary {
            what,
            forms: Vec::new(),
            raw: Vec::new(),
        };
        let body: Vec<&str> = pem_text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        for (n, line) in body.iter().enumerate().filter(|(_, l)| l.len() >= 16) {
            canary.add(&format!("PEM body line {}", n + 1), line.to_string());
        }
        let block = pem::parse(pem_text).unwrap();
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let der = block.contents();
        canary.add("DER, base64", base64_of(&STANDARD_NO_PAD, der));
        canary.add("DER, base64url", base64_of(&URL_SAFE_NO_PAD, der));
        canary.add("DER, hex", hex(der));
        canary.raw.push(("DER".into(), der.to_vec()));
        for (n, part) in private_parts(pem_text.as_bytes()).iter().enumerate() {
            for (size, bytes) in [("whole", &part[..]), ("fragment", &part[..12])] {
                let form = |how: &str| format!("private part {n} ({size}), {how}");
                canary.add(
                    &form("base64url, as a JWK"),
                    base64_of(&URL_SAFE_NO_PAD, bytes),
                );
                canary.add(&form("base64"), base64_of(&STANDARD_NO_PAD, bytes));
                canary.add(&form("hex"), hex(bytes));
                canary.add(&form("HEX"), hex(bytes).to_uppercase());
                canary.raw.push((form("raw"), bytes.to_vec()));
            }
        }
        canary
    }

    fn add(&mut self, form: &str, value: String) {
        if !self.forms.iter().any(|(_, v)| *v == value) {
            self.forms.push((form.to_string(), value));
        }
    }

    /// A base64 form, and that form form-urlencoded (as a URL query would carry it).
    fn add_base64(&mut self, form: &str, value: &str) {
        self.add(form, value.to_string());
        self.add(&format!("{form}, form-urlencoded"), form_encode(value));
    }

    /// The forms of this canary found in `text`.
    fn found_in(&self, text: &str) -> Vec<&str> {
        let found = self.forms.iter().filter(|(_, v)| text.contains(v.as_str()));
        found.map(|(form, _)| form.as_str()).collect()
    }

    /// The forms of this canary found in `bytes`, text and binary.
    fn found_in_bytes(&self, bytes: &[u8]) -> Vec<&str> {
        let mut found = self.found_in(&String::from_utf8_lossy(bytes));
        let raw = self.raw.iter().filter(|(_, v)| contains(bytes, v));
        found.extend(raw.map(|(form, _)| form.as_str()));
        found
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The forms of a client assertion that must not show: whole, its claims (with their single-use
/// `jti`: an assertion cut short) and its signature.
fn assertion_forms(assertion: &str) -> Vec<(&'static str, &str)> {
    let mut forms = vec![("whole", assertion)];
    let segments: Vec<&str> = assertion.split('.').collect();
    if let [_, claims, signature] = segments[..] {
        forms.push(("its claims segment", claims));
        forms.push(("its signature segment", signature));
    }
    forms
}

/// The DPoP proof a command printed by purpose, checked against the request it is for; else why
/// stdout holds none. `keys dpop-proof` prints the token request's (POST to the token endpoint);
/// `fetch --url` prints the resource's (GET of `RESOURCE`) beside the token whose hash it carries
/// (`ath`, RFC 9449 §4.2): in `-o header` as exactly the two header lines of RFC 9449 §7.1, in
/// `-o json` as `dpop_proof`. `tokens` are the DPoP-bound tokens the token endpoint issued.
fn printed_proof(stdout: &str, prints: Prints, tokens: &[&str]) -> Result<String, String> {
    let (proof, token) = if prints == Proof {
        (stdout.trim_end_matches('\n').to_string(), None)
    } else if let Some(rest) = stdout.strip_prefix("Authorization: DPoP ") {
        let (token, proof) = rest
            .split_once("\nDPoP: ")
            .ok_or("no DPoP line after the Authorization line")?;
        let proof = proof.strip_suffix('\n').ok_or("no newline at the end")?;
        if proof.contains('\n') {
            return Err("more than the two header lines".into());
        }
        (proof.to_string(), Some(token.to_string()))
    } else {
        let json: Value = serde_json::from_str(stdout).map_err(|e| e.to_string())?;
        let field = |name: &str| json[name].as_str().map(str::to_string);
        let proof = field("dpop_proof").ok_or("no dpop_proof")?;
        (proof, Some(field("access_token").ok_or("no access_token")?))
    };
    let (header, claims) = jws(&proof).ok_or("not a JWS")?;
    if header["typ"] != "dpop+jwt" || header["jwk"].get("d").is_some() {
        return Err(format!("not a proof's header: {header}"));
    }
    let right = match &token {
        None => {
            let htu = claims["htu"].as_str().unwrap_or_default();
            claims["htm"] == "POST" && htu.ends_with("/token") && claims.get("ath").is_none()
        }
        Some(token) => {
            if !tokens.contains(&token.as_str()) {
                return Err(format!("{token} is no token the token endpoint bound"));
            }
            let ath = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes()));
            claims["htm"] == "GET" && claims["htu"] == RESOURCE && claims["ath"] == ath
        }
    };
    if !right {
        return Err(format!("a proof for another request: {claims}"));
    }
    Ok(proof)
}

/// The access token is `canaries()[0]`, the refresh token `[1]`: the only two that may be shown.
/// The identity token is `[IDENTITY]`: `identity-token` alone prints it. The key is the last.
fn canaries(access_token: &str, key_pem: &str) -> Vec<Canary> {
    let mut secret = Canary::new("client secret", SECRET);
    let basic = [
        (
            "Basic credentials (form-encoded, RFC 6749 §2.3.1)",
            format!("{}:{}", form_encode(CLIENT_ID), form_encode(SECRET)),
        ),
        ("Basic credentials (raw)", format!("{CLIENT_ID}:{SECRET}")),
    ];
    for (form, pair) in basic {
        secret.add_base64(form, &base64_of(&STANDARD_NO_PAD, pair.as_bytes()));
    }
    let mut identity = Canary::new("identity token", &identity_token());
    // A cut or a server quoting one part: each segment but the (public, fixed) header.
    for (form, segment) in assertion_forms(&identity_token()).into_iter().skip(1) {
        identity.add(form, segment.to_string());
    }
    vec![
        Canary::new("access token", access_token),
        Canary::new("refresh token", REFRESH),
        secret,
        Canary::new("authorization code", CODE),
        Canary::new("code_verifier", VERIFIER),
        Canary::new("header secret", HEADER_SECRET),
        Canary::new("client_secret_jwt secret", HMAC_SECRET),
        identity,
        Canary::new("GitHub request token", REQUEST_TOKEN),
        Canary::private_key("private key", key_pem),
    ]
}

/// The index of the identity token in `canaries()`.
const IDENTITY: usize = 7;

// ---------------------------------------------------------------- the token endpoint

/// The sweep's token endpoint. Without `X-Canary-Mode` it checks that every canary went out as it
/// should, then issues tokens. With `X-Canary-Mode: KIND:PIECE` it fails as KIND says, echoing
/// the secret PIECE names in each form it crossed the wire in. Headers are not part of the cache
/// key, so a refresh of a cached token can meet any mode.
/// Every client assertion it receives is recorded in `received`, every DPoP proof in `proofs`.
fn canary_server(
    access_token: String,
    received: Arc<Mutex<Vec<String>>>,
    proofs: Arc<Mutex<Vec<String>>>,
) -> StubServer {
    StubServer::start(move |req| {
        // The identity token, as a federated client's assertion, is a canary of its own.
        if let Some(assertion) = param(req, "client_assertion").filter(|a| *a != identity_token()) {
            received.lock().unwrap().push(assertion);
        }
        if let Some(proof) = req.header("dpop") {
            proofs.lock().unwrap().push(proof.to_string());
        }
        respond(req, &access_token)
    })
}

fn respond(req: &Recorded, access_token: &str) -> Reply {
    match req.header(MODE_HEADER) {
        None => issue(req, access_token),
        Some(mode) => {
            let (kind, piece) = mode.split_once(':').expect("KIND:PIECE");
            refuse(kind, &echoed(req, piece))
        }
    }
}

/// A client assertion's claims, checked minimally (RFC 7523 §3): the client as `iss` and `sub`,
/// the token endpoint as `aud`, a `jti`, and a lifetime of at most 300 s (SECURITY 40).
fn check_assertion(req: &Recorded, assertion: &str) {
    let jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    assert_eq!(
        param(req, "client_assertion_type").as_deref(),
        Some(jwt_bearer)
    );
    assert_eq!(req.basic_credentials(), None, "Basic beside an assertion");
    assert_eq!(
        param(req, "client_secret"),
        None,
        "a secret beside an assertion"
    );
    let segments: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = segments[..] else {
        panic!("not a JWS: {assertion}")
    };
    let json = |segment: &str| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    };
    let (header, claims) = (json(header), json(claims));
    assert!(
        ["ES256", "HS256"].contains(&header["alg"].as_str().unwrap()),
        "{header}"
    );
    assert!(!signature.is_empty());
    assert_eq!(claims["iss"], CLIENT_ID, "{claims}");
    assert_eq!(claims["sub"], CLIENT_ID, "{claims}");
    assert!(
        claims["aud"].as_str().unwrap().ends_with("/token"),
        "{claims}"
    );
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(iat < exp && exp - iat <= 300, "{claims}");
}

/// A token request's DPoP proof, checked minimally (RFC 9449 §4.2, §4.3): one `DPoP` header, a
/// `dpop+jwt` whose header carries a public key and nothing private, a `jti`, `htm` and `htu` of
/// this request, a recent `iat`, no `ath`, and the sweep's nonce if any. The thumbprint of its
/// key, or `None` when it has no nonce (which the endpoint then demands).
fn check_proof(req: &Recorded, proof: &str) -> Option<String> {
    assert_eq!(
        req.header_count("dpop"),
        1,
        "RFC 9449 §4.3: one DPoP header"
    );
    assert!(proof.starts_with(&proof_prefix()), "{proof}");
    let (header, claims) = jws(proof).unwrap_or_else(|| panic!("not a JWS: {proof}"));
    assert_eq!(header["typ"], "dpop+jwt", "{header}");
    assert_eq!(header["alg"], "ES256", "{header}");
    let jwk = header["jwk"].as_object().expect("a jwk in the header");
    let private = ["d", "p", "q", "dp", "dq", "qi", "k"];
    assert!(!private.iter().any(|m| jwk.contains_key(*m)), "{header}");
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    assert_eq!(claims["htm"], "POST", "{claims}");
    let host = req.header("host").expect("a Host header");
    assert_eq!(
        claims["htu"],
        format!("http://{host}{}", req.path),
        "{claims}"
    );
    let iat = claims["iat"].as_i64().expect("an iat");
    assert!(
        (iat - crate::support::common::now()).abs() < 300,
        "{claims}"
    );
    assert!(
        claims.get("ath").is_none(),
        "ath on a token request: {claims}"
    );
    match claims.get("nonce") {
        None => None,
        Some(nonce) => {
            assert_eq!(nonce, DPOP_NONCE, "{claims}");
            Some(thumbprint(jwk).expect("a thumbprint of the proof's key"))
        }
    }
}

/// A request parameter, from the body or the query.
fn param(req: &Recorded, name: &str) -> Option<String> {
    let query = req.query_pairs().into_iter();
    let mut pairs = req.form().into_iter().chain(query);
    pairs.find(|(k, _)| k == name).map(|(_, v)| v)
}

fn issue(req: &Recorded, access_token: &str) -> Reply {
    // The sweep proves nothing unless the canaries really went out.
    assert_eq!(req.header("x-api-key"), Some(HEADER_SECRET));
    let assertion = param(req, "client_assertion");
    let exchange = param(req, "grant_type").as_deref() == Some(TOKEN_EXCHANGE);
    match req.basic_credentials() {
        // `auth_method = "federated_jwt"`: the identity token is the client assertion.
        _ if assertion == Some(identity_token()) => {
            let jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
            assert_eq!(
                param(req, "client_assertion_type").as_deref(),
                Some(jwt_bearer)
            );
            assert_eq!(req.basic_credentials(), None, "Basic beside an assertion");
        }
        _ if assertion.is_some() => check_assertion(req, assertion.as_deref().unwrap()),
        // `auth_method = "none"`: a token exchange may name no client (README).
        // `/revoke-public` is the revocation endpoint of such a profile.
        None if (exchange || req.path == "/revoke-public")
            && param(req, "client_secret").is_none() => {}
        Some((id, secret)) => assert!(
            (id.as_str(), secret.as_str()) == (CLIENT_ID, form_encode(SECRET).as_str())
                || (id.as_str(), secret.as_str()) == (CLIENT_ID, SECRET),
            "Basic credentials {id}:{secret}"
        ),
        None => assert_eq!(param(req, "client_secret").as_deref(), Some(SECRET)),
    }
    // RFC 7009 and RFC 7662 authenticate the client as above, and carry a token. RFC 9449
    // defines no DPoP proof for either.
    let token = param(req, "token");
    if req.path != "/token" {
        assert_eq!(
            req.header("dpop"),
            None,
            "a DPoP proof sent to {}",
            req.path
        );
    }
    match req.path.as_str() {
        "/revoke" | "/revoke-public" => {
            let known = [access_token, REFRESH].map(Some);
            let bound = token.as_deref().is_some_and(|t| {
                let jkt = jws(t)
                    .and_then(|(_, claims)| claims["cnf"]["jkt"].as_str().map(str::to_string));
                jkt.is_some_and(|jkt| t == access_token_bound_to(Some(&jkt)))
            });
            assert!(
                known.contains(&token.as_deref()) || bound,
                "revoking {token:?}"
            );
            return Reply::new(200, "text/plain", "");
        }
        "/introspect" => {
            assert_eq!(token.as_deref(), Some(access_token));
            let body = json!({"active": true, "sub": "canary-user", "scope": "read write", "exp": 4_102_444_800_i64});
            return Reply::json(200, &body.to_string());
        }
        _ => {}
    }
    let mut body =
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600});
    if let Some(proof) = req.header("dpop") {
        let Some(jkt) = check_proof(req, proof) else {
            // RFC 9449 §8: the nonce to use, in a `DPoP-Nonce` header of a 400 answer.
            let body = json!({"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof"});
            return Reply::json(400, &body.to_string()).with_header("DPoP-Nonce", DPOP_NONCE);
        };
        // RFC 9449 §5: a token bound to the proof's key, of type DPoP.
        body["access_token"] = access_token_bound_to(Some(&jkt)).into();
        body["token_type"] = "DPoP".into();
    }
    match param(req, "grant_type").as_deref() {
        Some("client_credentials") => {}
        Some("authorization_code") => {
            assert_eq!(param(req, "code").as_deref(), Some(CODE));
            if let Some(verifier) = param(req, "code_verifier") {
                assert_eq!(verifier, VERIFIER);
            }
            body["refresh_token"] = REFRESH.into();
        }
        // No new refresh token: the cached one is kept (RFC 6749 §6).
        Some("refresh_token") => assert_eq!(param(req, "refresh_token").as_deref(), Some(REFRESH)),
        // RFC 8693: the identity token as the subject, and `issued_token_type` in the answer.
        Some(TOKEN_EXCHANGE) => {
            assert_eq!(param(req, "subject_token"), Some(identity_token()));
            body["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token".into();
        }
        other => panic!("unexpected grant_type {other:?}"),
    }
    Reply::json(200, &body.to_string())
}

/// GitHub Actions' token request endpoint: the request token as a bearer token, `&audience=` on
/// the URL, `{"value": …}`. `mode=` in the URL (ACTIONS_ID_TOKEN_REQUEST_URL) says how it answers:
/// `ok`, or a failure echoing the request token and the identity token as a careless server does.
fn github_server() -> StubServer {
    StubServer::start(|req| {
        let authorization = req.header("authorization").unwrap_or("").to_string();
        let mode = req.query_pairs().into_iter().find(|(k, _)| k == "mode");
        let mode = mode.map(|(_, v)| v).unwrap_or_default();
        // An identity token it never handed out is not one oauthctl can know to mask: the failures
        // echo the request token, and the identity token only as the `value` of an error body.
        let echo = format!("{authorization} {REQUEST_TOKEN}");
        match mode.as_str() {
            "ok" => {
                assert_eq!(authorization, format!("Bearer {REQUEST_TOKEN}"));
                assert_eq!(
                    param(req, "audience").as_deref(),
                    Some("sts.example"),
                    "{}",
                    req.target
                );
                Reply::json(200, &json!({"value": identity_token()}).to_string())
            }
            "401" => {
                let body = json!({"message": format!("Bad credentials: {authorization}"), "token": REQUEST_TOKEN, "value": identity_token()});
                Reply::json(401, &body.to_string())
            }
            "500" => Reply::new(
                500,
                "text/html",
                &format!("<html><title>{echo}</title><body><pre>{echo}</pre></body></html>"),
            ),
            "text503" => Reply::new(503, "text/plain", &format!("upstream: {echo}\n")),
            // A 200 without `value`: the request token under other names.
            "novalue200" => {
                let body = json!({"token": REQUEST_TOKEN, "request": authorization});
                Reply::json(200, &body.to_string())
            }
            "badjson200" => Reply::new(200, "text/plain", &format!("value={echo}")),
            other => panic!("unknown GitHub mode {other}"),
        }
    })
}

/// `text` form-decoded, unless it is not form-encoded at all (raw Basic credentials).
fn decode(text: &str) -> String {
    if text.contains(['&', '=']) {
        return text.to_string();
    }
    let pairs = form_urlencoded::parse(format!("x={text}").into_bytes().as_slice())
        .map(|(_, v)| v.into_owned())
        .collect::<Vec<_>>();
    pairs.into_iter().next().unwrap_or_default()
}

/// `name=…` as it went over the wire, still encoded, from the body or the query.
fn sent(req: &Recorded, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    let body = req.body_str().split('&');
    let query = req.query.as_deref().unwrap_or("").split('&');
    let mut fields = body.chain(query);
    fields.find(|f| f.starts_with(&prefix)).map(str::to_string)
}

/// What a careless server repeats of the request: for `piece`, each form in which that secret
/// crossed the wire, as `(name, value)`, the decoded value last.
fn echoed(req: &Recorded, piece: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let wanted = |name: &str| piece == name;
    if wanted("secret")
        && let Some(authorization) = req.header("authorization")
    {
        out.push(("authorization".into(), authorization.into()));
        if let Some((id, secret)) = req.basic_credentials() {
            out.push(("basic".into(), format!("{id}:{secret}")));
            out.push(("client_secret".into(), decode(&secret)));
        }
    }
    for name in [
        "client_secret",
        "client_assertion",
        "subject_token",
        "code",
        "code_verifier",
        "refresh_token",
    ] {
        let asked = wanted(name) || (name == "client_secret" && wanted("secret"));
        if asked && let Some(field) = sent(req, name) {
            let value = decode(field.split_once('=').unwrap().1);
            out.push(("sent".into(), field));
            out.push((name.into(), value));
        }
    }
    // What a server that names the bad part quotes: the signature segment alone.
    if wanted("assertion_signature")
        && let Some(assertion) = param(req, "client_assertion")
    {
        let signature = assertion.rsplit('.').next().unwrap();
        out.push(("signature".into(), signature.into()));
    }
    if wanted("header")
        && let Some(value) = req.header("x-api-key")
    {
        out.push(("x-api-key".into(), value.into()));
    }
    assert!(!out.is_empty(), "nothing to echo for {piece}");
    out
}

/// How much of a secret the `cut…` kinds leave before the cut: enough for its tag.
const BEFORE_CUT: usize = 16;

/// The failure named `kind`, carrying `echo`.
fn refuse(kind: &str, echo: &[(String, String)]) -> Reply {
    // The decoded secret, padded so that the cut falls inside it.
    let cut = |limit: usize| {
        let (_, value) = echo.last().unwrap();
        format!("{}{value}", ".".repeat(limit - BEFORE_CUT))
    };
    match kind {
        "cut400" => {
            let body =
                json!({"error": "invalid_request", "error_description": cut(DESCRIPTION_CHARS)});
            return Reply::json(400, &body.to_string());
        }
        "cut500" => {
            let title = cut(SUMMARY_CHARS);
            return Reply::new(500, "text/html", &format!("<title>{title}</title>"));
        }
        // The `-v` line that shows a JSON body, `< {…}`, is cut at TRACE_CHARS.
        "cut-trace" => {
            let shown_before = r#"< {"error":"invalid_request","error_description":""#;
            let description = cut(TRACE_CHARS - shown_before.len());
            let body = json!({"error": "invalid_request", "error_description": description});
            return Reply::json(400, &body.to_string());
        }
        "cut302" => {
            let base = "https://elsewhere.example/cut?m=";
            let location = format!("{base}{}", form_encode(&cut(LOCATION_CHARS - base.len())));
            return Reply::new(302, "text/plain", "").with_header("Location", &location);
        }
        _ => {}
    }
    let text = echo.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    let text = text.join(" ");
    // An assertion is longer than any quoting limit: what a cut leaves of it is one of its forms
    // (see `assertion_forms`), and must not show either.
    let long = echo
        .iter()
        .any(|(name, _)| name == "client_assertion" || name == "subject_token");
    assert!(
        long || text.chars().count() < SUMMARY_CHARS,
        "echo too long: {text}"
    );
    let oauth = |status: u16, code: &str| {
        let body = json!({"error": code, "error_description": text});
        Reply::json(status, &body.to_string())
    };
    let redirect = |location: String| {
        assert!(
            long || location.chars().count() < LOCATION_CHARS,
            "{location}"
        );
        Reply::new(302, "text/plain", "").with_header("Location", &location)
    };
    match kind {
        "oauth400" => oauth(400, "invalid_request"),
        "grant400" => oauth(400, "invalid_grant"),
        "oauth401" => {
            let uri = format!("https://idp.example/errors?{text}");
            let body =
                json!({"error": "invalid_client", "error_description": text, "error_uri": uri});
            Reply::json(401, &body.to_string())
        }
        "provider403" => {
            let body = json!({"status": 403, "message": text, "path": "/token"});
            Reply::json(403, &body.to_string())
        }
        "json503" => oauth(503, "temporarily_unavailable"),
        "html500" => Reply::new(
            500,
            "text/html",
            &format!(
                "<html><head><title>{text}</title></head><body><pre>{text}</pre></body></html>"
            ),
        ),
        "text502" => Reply::new(
            502,
            "text/plain",
            &format!("\n\n  {text}\nupstream: {text}\n"),
        ),
        // The request's own parameters and headers, by name.
        "redirect" => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in echo.iter().filter(|(n, _)| n != "basic" && n != "sent") {
                query.append_pair(name, value);
            }
            redirect(format!("https://elsewhere.example/cb?{}", query.finish()))
        }
        // The echo as one query parameter, properly encoded.
        "redirect-echo" => redirect(format!(
            "https://elsewhere.example/e?echo={}",
            form_encode(&text)
        )),
        "fields400" => Reply::json(400, &json!({"request": text, "auth": text}).to_string()),
        "badjson200" => Reply::new(200, "text/plain", &format!("access_token={text}")),
        "array200" => Reply::json(200, &json!([text]).to_string()),
        "notoken200" => {
            let body = json!({"token_type": "Bearer", "debug": text});
            Reply::json(200, &body.to_string())
        }
        other => panic!("unknown failure kind {other}"),
    }
}

// ---------------------------------------------------------------- cases and the one loop

/// What a successful run may print on stdout besides what is always allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Prints {
    Nothing,
    /// The access token: `fetch`/`exchange-code` in text, header, env and exec-credential form.
    Token,
    /// The provider's whole response (`-o json` of a token command): the access token and, for a
    /// user profile, the refresh token (README: "The JSON output includes `refresh_token`").
    TokenResponse,
    /// A client assertion: `keys assertion`, the one command that prints one. Its stdout is left
    /// out of the assertion check; the assertion it printed is checked for everywhere else.
    Assertion,
    /// The identity token: `identity-token`, the one command that prints it.
    IdentityToken,
    /// A DPoP proof for the token request: `keys dpop-proof`. Like `Assertion`, the proof it
    /// printed is checked for everywhere else.
    Proof,
    /// A DPoP-bound access token and a proof for the resource `fetch --url` names (`-o header`,
    /// `-o json`).
    TokenAndProof,
}

impl Prints {
    /// Whether stdout holds the access token by purpose.
    fn token(self) -> bool {
        matches!(self, Token | TokenResponse | TokenAndProof)
    }
}

/// One oauthctl run. Arguments, env values and stdin may hold `{url}` (the token endpoint),
/// `{at}` (the access token) and `{outside}` (a directory outside HOME).
#[derive(Clone, Debug)]
struct Case {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    /// `None` for success; else the exit code and a part of stderr that proves which failure ran.
    failure: Option<(i32, String)>,
    prints: Prints,
    /// A text stdout must hold (a key source `profiles show` names).
    shows: Option<String>,
    /// Texts stderr must hold (a masked trace line, a refusal's reason).
    traces: Vec<String>,
}

fn ok(name: &str, args: &[&str], prints: Prints) -> Case {
    Case {
        name: name.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        stdin: None,
        failure: None,
        prints,
        shows: None,
        traces: Vec::new(),
    }
}

fn fail(name: &str, args: &[&str], code: i32, message: &str) -> Case {
    Case {
        failure: Some((code, message.to_string())),
        ..ok(name, args, Prints::Nothing)
    }
}

impl Case {
    fn env(mut self, name: &str, value: &str) -> Case {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    fn stdin(mut self, input: &str) -> Case {
        self.stdin = Some(input.to_string());
        self
    }

    fn shows(mut self, text: &str) -> Case {
        self.shows = Some(text.to_string());
        self
    }

    fn traces(mut self, text: &str) -> Case {
        self.traces.push(text.to_string());
        self
    }
}

/// A HOME, a token endpoint, a server that never answers, a port that refuses, and a directory
/// outside HOME for the files that must hold a secret (a secret file, broken configs).
struct Sweep {
    env: Env,
    outside: tempfile::TempDir,
    server: StubServer,
    /// GitHub Actions' token request endpoint (see `github_server`).
    github: StubServer,
    _silent: StubServer,
    access_token: String,
    canaries: Vec<Canary>,
    /// The sweep's private key (P-256, PKCS#8 PEM), also in `{outside}/client-auth.key.pem`.
    key_pem: String,
    /// Every client assertion the token endpoint received.
    received: Arc<Mutex<Vec<String>>>,
    /// Every client assertion `keys assertion` printed.
    printed: Mutex<Vec<String>>,
    /// Every DPoP proof the token endpoint received.
    proofs: Arc<Mutex<Vec<String>>>,
    /// Every DPoP proof a command printed.
    printed_proofs: Mutex<Vec<String>>,
    /// The canaries learnt as the sweep runs (see `learn`).
    learnt: Mutex<Vec<Learnt>>,
}

/// A canary the sweep learns as it runs (SECURITY 45): a DPoP-bound access token the token
/// endpoint issued, shown where the access token may be, or a DPoP key oauthctl made, which may
/// be in its own file alone.
#[derive(Clone)]
struct Learnt {
    /// The token, or the key's PEM text.
    value: String,
    canary: Canary,
    /// Where the key is; `None` for a token.
    key_file: Option<PathBuf>,
}

impl Learnt {
    /// Whether the file at `path`, holding `bytes`, may hold this canary: the key's own file, or
    /// for a token, the token cache (DESIGN §7: it stores the provider's response).
    fn allowed_in(&self, path: &Path, bytes: &[u8], cache: &Path) -> bool {
        match &self.key_file {
            Some(file) => path == file && bytes == self.value.as_bytes(),
            None => path.starts_with(cache),
        }
    }
}

impl Sweep {
    fn new() -> Sweep {
        let access_token = access_token();
        let received = Arc::new(Mutex::new(Vec::new()));
        let proofs = Arc::new(Mutex::new(Vec::new()));
        let server = canary_server(
            access_token.clone(),
            Arc::clone(&received),
            Arc::clone(&proofs),
        );
        // Holds the request unanswered until the client hangs up.
        let silent = StubServer::start_raw(|_, stream| drop(stream.read(&mut [0; 1])));
        let refused = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let github = github_server();
        let env = Env::new();
        let outside = tempfile::Builder::new()
            .prefix("oauthctl-outside-")
            .tempdir()
            .unwrap();
        let (key_pem, key_file) = client_keys(&env, outside.path());
        let client = format!("client_id = \"{CLIENT_ID}\"\nretry_max_secs = 0");
        let secret = format!("client_secret_env = \"{SECRET_VAR}\"");
        let command =
            |script: &str| format!("client_secret_command = [\"sh\", \"-c\", \"{script}\"]");
        let print = "printf %s \\\"$CANARY_COMMAND_SECRET\\\"";
        let jwt = "auth_method = \"private_key_jwt\"";
        let key_command =
            |script: &str| format!("{jwt}\nprivate_key_command = [\"sh\", \"-c\", \"{script}\"]");
        let print_key = format!("printf %s \\\"${KEY_VAR}\\\"");
        let exchange = "grant = \"token_exchange\"";
        let key_at = |file: &str| {
            let path = outside.path().join(file);
            format!("{jwt}\nprivate_key_file = \"{}\"", path.display())
        };
        let dpop_key_at = |file: &str| {
            let path = outside.path().join(file);
            format!("dpop = true\ndpop_key_file = \"{}\"", path.display())
        };
        let profiles = [
            (
                "app",
                server.url("/token"),
                format!("{secret}\nscope = \"read write\""),
            ),
            (
                "user",
                server.url("/token"),
                format!(
                    "{secret}\ngrant = \"authorization_code\"\nredirect_uri = \"http://127.0.0.1:9/cb\""
                ),
            ),
            (
                "user-never-signed-in",
                server.url("/token"),
                format!("{secret}\ngrant = \"authorization_code\"\nscope = \"other\""),
            ),
            (
                "probe",
                server.url("/token"),
                format!("{secret}\nscope = \"probe\""),
            ),
            ("silent", silent.url("/token"), secret.clone()),
            ("refused", format!("{refused}/token"), secret.clone()),
            (
                "command-fails-printing-to-stdout",
                server.url("/token"),
                command(&format!("{print}; exit 3")),
            ),
            (
                "command-fails-printing-to-stderr",
                server.url("/token"),
                command(&format!("{print} >&2; exit 3")),
            ),
            (
                "command-also-prints-to-stderr",
                server.url("/token"),
                command(&format!("{print} >&2; {print}")),
            ),
            ("key-file", server.url("/token"), key_at(key_file)),
            (
                "key-env",
                server.url("/token"),
                format!("{jwt}\nprivate_key_env = \"{KEY_VAR}\""),
            ),
            ("key-command", server.url("/token"), key_command(&print_key)),
            (
                "hmac-jwt",
                server.url("/token"),
                format!(
                    "auth_method = \"client_secret_jwt\"\nclient_secret_env = \"{HMAC_SECRET_VAR}\""
                ),
            ),
            (
                "key-readable",
                server.url("/token"),
                key_at("readable.key.pem"),
            ),
            (
                "key-encrypted",
                server.url("/token"),
                key_at("encrypted.key.pem"),
            ),
            (
                "key-command-fails-printing-to-stdout",
                server.url("/token"),
                key_command(&format!("{print_key}; exit 3")),
            ),
            (
                "key-command-fails-printing-to-stderr",
                server.url("/token"),
                key_command(&format!("{print_key} >&2; exit 3")),
            ),
            (
                "id-env",
                server.url("/token"),
                format!("{secret}\n{exchange}\nidentity_token_env = \"{IDENTITY_VAR}\""),
            ),
            (
                "id-file",
                server.url("/token"),
                format!(
                    "{secret}\n{exchange}\nidentity_token_file = \"{}\"",
                    outside.path().join("identity.jwt").display()
                ),
            ),
            (
                "id-command",
                server.url("/token"),
                format!(
                    "{secret}\n{exchange}\nidentity_token_command = [\"sh\", \"-c\", \"printf %s \\\"${IDENTITY_VAR}\\\"\"]"
                ),
            ),
            (
                "id-github",
                server.url("/token"),
                format!(
                    "{exchange}\nauth_method = \"none\"\nidentity_token_from = \"github-actions\"\nidentity_token_audience = \"sts.example\""
                ),
            ),
            (
                "id-federated",
                server.url("/token"),
                format!("auth_method = \"federated_jwt\"\nidentity_token_env = \"{IDENTITY_VAR}\""),
            ),
            (
                "dpop-file",
                server.url("/token"),
                format!("{}\n{}", key_at(key_file), dpop_key_at(key_file)),
            ),
            (
                "dpop-made",
                server.url("/token"),
                format!("{secret}\ndpop = true"),
            ),
            (
                "dpop-readable",
                server.url("/token"),
                format!("{secret}\n{}", dpop_key_at("readable.key.pem")),
            ),
            (
                "dpop-garbage-pem",
                server.url("/token"),
                format!("{secret}\n{}", dpop_key_at("dpop-garbage.pem")),
            ),
            (
                "dpop-garbage-jwk",
                server.url("/token"),
                format!("{secret}\n{}", dpop_key_at("dpop-garbage.jwk")),
            ),
        ];
        let mut config = String::from("default_profile = \"app\"\n");
        for (name, url, rest) in profiles {
            config.push_str(&format!(
                "\n[profiles.{name}]\ntoken_url = \"{url}\"\n{client}\n{rest}\n"
            ));
        }
        env.write_config(&config);

        let write = |name: &str, text: &str, mode: u32| {
            let path = outside.path().join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        write("secret", &format!("{SECRET}\n"), 0o600);
        write("identity.jwt", &format!("{}\n", identity_token()), 0o600);
        // DPoP keys that are no keys, holding canaries: the client secret before a PEM block of
        // the sweep's key cut short (DER that ends inside its private scalar), and a JWK whose
        // `d` is that key's private scalar beside a public point that is no point of the curve.
        let body: Vec<&str> = key_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        write(
            "dpop-garbage.pem",
            &format!(
                "{SECRET}\n-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                body[..2].join("\n")
            ),
            0o600,
        );
        let scalar = URL_SAFE_NO_PAD.encode(&private_parts(key_pem.as_bytes())[0]);
        let zero = URL_SAFE_NO_PAD.encode([0; 32]);
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": zero, "y": zero, "d": scalar});
        write("dpop-garbage.jwk", &jwk.to_string(), 0o600);
        let literal = |rest: &str| {
            format!(
                "default_profile = \"app\"\n[profiles.app]\ntoken_url = \"{}\"\nclient_id = \"app\"\n{rest}\n",
                server.url("/token")
            )
        };
        write(
            "syntax.toml",
            &literal(&format!("client_secret = \"{SECRET}\" trailing")),
            0o600,
        );
        write(
            "escape.toml",
            &literal(&format!("client_secret = \"{SECRET}\\q\"")),
            0o600,
        );
        write(
            "unknown-key.toml",
            &literal(&format!(
                "client_secret = \"{SECRET}\"\nclient_secrett = \"{SECRET}\""
            )),
            0o600,
        );
        write(
            "wrong-type.toml",
            &literal(&format!("client_secret = [\"{SECRET}\"]")),
            0o600,
        );
        write(
            "two-sources.toml",
            &literal(&format!(
                "client_secret = \"{SECRET}\"\nclient_secret_env = \"{SECRET_VAR}\""
            )),
            0o600,
        );
        write(
            "group-readable.toml",
            &literal(&format!("client_secret = \"{SECRET}\"")),
            0o644,
        );

        Sweep {
            canaries: canaries(&access_token, &key_pem),
            key_pem,
            received,
            printed: Mutex::new(Vec::new()),
            proofs,
            printed_proofs: Mutex::new(Vec::new()),
            learnt: Mutex::new(Vec::new()),
            env,
            outside,
            server,
            github,
            _silent: silent,
            access_token,
        }
    }

    fn fill(&self, text: &str) -> String {
        text.replace("{url}", &self.server.url(""))
            .replace("{at}", &self.access_token)
            .replace("{outside}", &self.outside.path().display().to_string())
            .replace("{gh}", &self.github.url(""))
    }

    /// Runs one case; returns its violations, each naming the case and the leaked form.
    fn run(&self, case: &Case) -> Vec<String> {
        let mut cmd = self.env.cmd();
        cmd.args(case.args.iter().map(|a| self.fill(a)));
        for (name, value) in common_env() {
            cmd.env(name, value);
        }
        cmd.env(KEY_VAR, &self.key_pem);
        let github = self.fill("{gh}/_apis/token?api-version=2.0&mode=ok");
        cmd.env("ACTIONS_ID_TOKEN_REQUEST_URL", github);
        for (name, value) in &case.env {
            cmd.env(name, self.fill(value));
        }
        if let Some(input) = &case.stdin {
            cmd.write_stdin(self.fill(input));
        }
        let assert = cmd.assert();
        let (stdout, stderr) = (stdout_of(&assert), stderr_of(&assert));
        let output = assert.get_output();
        let code = output.status.code();
        let mut violations = Vec::new();
        let mut violation = |what: String| violations.push(format!("[{}] {what}", case.name));
        match &case.failure {
            None if code != Some(0) => {
                violation(format!("exit {code:?}, expected success; stderr: {stderr}"))
            }
            Some((expected, message)) => {
                if code != Some(*expected) || !stderr.contains(message.as_str()) {
                    violation(format!(
                        "exit {code:?}, expected {expected} with {message:?}; stderr: {stderr}"
                    ));
                }
                if !stdout.is_empty() {
                    violation(format!("stdout is not empty on failure: {stdout:?}"));
                }
            }
            None => {}
        }
        for problem in self.learn() {
            violation(problem);
        }
        let home = self.home_files();
        let fixed = self.canaries.iter().enumerate().map(|(index, canary)| {
            let shown = match index {
                0 => case.prints.token(),
                1 => case.prints == TokenResponse,
                IDENTITY => case.prints == IdentityToken,
                _ => false,
            };
            (canary, shown)
        });
        // A copy: the sweep of server failures runs cases in parallel.
        let learnt: Vec<Learnt> = self.learnt.lock().unwrap().clone();
        let tokens: Vec<&str> = learnt
            .iter()
            .filter(|l| l.key_file.is_none())
            .map(|l| l.value.as_str())
            .collect();
        let learnt_canaries = learnt.iter().map(|l| {
            let shown = l.key_file.is_none() && case.prints.token();
            (&l.canary, shown)
        });
        for (canary, shown) in fixed.chain(learnt_canaries) {
            for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
                if shown && stream == "stdout" {
                    continue;
                }
                let forms = canary.found_in_bytes(bytes);
                if !forms.is_empty() {
                    violation(format!(
                        "the {} leaked on {stream} as {}",
                        canary.what,
                        forms.join(", ")
                    ));
                }
            }
        }
        if let Some(text) = &case.shows
            && !stdout.contains(&self.fill(text))
        {
            violation(format!("stdout should show {text:?}: {stdout:?}"));
        }
        for text in &case.traces {
            if !stderr.contains(&self.fill(text)) {
                violation(format!("stderr should show {text:?}: {stderr:?}"));
            }
        }
        if case.prints == Prints::Assertion && case.failure.is_none() {
            let printed = stdout.trim();
            if printed.split('.').count() != 3 || !printed.starts_with("eyJ") {
                violation(format!("stdout should hold an assertion: {stdout:?}"));
            }
            self.printed.lock().unwrap().push(printed.to_string());
        }
        let printed_proof = match case.prints {
            Proof | TokenAndProof if case.failure.is_none() => {
                match printed_proof(&stdout, case.prints, &tokens) {
                    Ok(proof) => Some(proof),
                    Err(why) => {
                        violation(format!(
                            "stdout should hold a DPoP proof: {why}: {stdout:?}"
                        ));
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some(proof) = &printed_proof {
            // A proof is for one request (RFC 9449 §11.1): the one printed is new.
            if self.proofs.lock().unwrap().contains(proof) {
                violation("printed a DPoP proof the token endpoint had received".into());
            }
            self.printed_proofs.lock().unwrap().push(proof.clone());
        }
        let outputs = [("stdout", stdout.as_str()), ("stderr", stderr.as_str())];
        let places = outputs.iter().map(|(s, t)| (s.to_string(), t.to_string()));
        let places = places.chain(home.iter().map(|(p, bytes)| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            (p.display().to_string(), text)
        }));
        let places: Vec<(String, String)> = places.collect();
        for assertion in self.assertions() {
            for (form, value) in assertion_forms(&assertion) {
                let leaks = places.iter().filter(|(place, text)| {
                    (case.prints != Assertion || place != "stdout") && text.contains(value)
                });
                for (place, _) in leaks {
                    violation(format!("a client assertion ({form}) leaked in {place}"));
                }
            }
        }
        for proof in self.proofs() {
            let by_purpose = printed_proof.as_ref() == Some(&proof);
            for (form, value) in assertion_forms(&proof) {
                let leaks = places.iter().filter(|(place, text)| {
                    !(by_purpose && place == "stdout") && text.contains(value)
                });
                for (place, _) in leaks {
                    violation(format!("a DPoP proof ({form}) leaked in {place}"));
                }
            }
        }
        // A proof no one recorded (made, neither sent nor meant to be printed) is found by its
        // beginning: one on the stdout of a command that prints one, none anywhere else.
        let prefix = proof_prefix();
        for (place, text) in &places {
            let expected = usize::from(printed_proof.is_some() && place == "stdout");
            let found = text.matches(prefix.as_str()).count();
            if found != expected {
                violation(format!(
                    "{found} DPoP proof(s) in {place}, expected {expected}"
                ));
            }
        }
        let cache = self.cache_dir();
        for (path, bytes) in &home {
            for learnt in learnt.iter().filter(|l| l.key_file.is_some()) {
                let forms = learnt.canary.found_in_bytes(bytes);
                if !forms.is_empty() && !learnt.allowed_in(path, bytes, &cache) {
                    violation(format!(
                        "{} holds the {} as {}",
                        path.display(),
                        learnt.canary.what,
                        forms.join(", ")
                    ));
                }
            }
        }
        if case.prints == Prints::IdentityToken
            && case.failure.is_none()
            && stdout.trim() != identity_token()
        {
            violation(format!("stdout should be the identity token: {stdout:?}"));
        }
        if case.prints.token() && case.failure.is_none() {
            // The allowance is not a blind spot: the token is there when it should be.
            let mut known = tokens.iter().copied().chain([self.access_token.as_str()]);
            if !known.any(|token| stdout.contains(token)) {
                violation(format!("stdout should hold the access token: {stdout:?}"));
            }
        }
        violations
    }

    /// Every client assertion so far: received by the token endpoint or printed.
    fn assertions(&self) -> Vec<String> {
        let mut all = self.received.lock().unwrap().clone();
        all.extend(self.printed.lock().unwrap().iter().cloned());
        all
    }

    /// Every DPoP proof so far: received by the token endpoint or printed.
    fn proofs(&self) -> Vec<String> {
        let mut all = self.proofs.lock().unwrap().clone();
        all.extend(self.printed_proofs.lock().unwrap().iter().cloned());
        all
    }

    /// Every file in HOME (the cache included), when there is a one-time credential or a learnt
    /// canary to look for in them. A file that goes away while it is read (a lock, a temp file of
    /// a concurrent run) is skipped.
    fn home_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let nothing = self.assertions().is_empty()
            && self.proofs.lock().unwrap().is_empty()
            && self.learnt.lock().unwrap().is_empty();
        if nothing {
            return Vec::new();
        }
        let files = files_under(self.env.home.path()).into_iter();
        files
            .filter_map(|path| Some((path.clone(), std::fs::read(&path).ok()?)))
            .collect()
    }

    /// Where oauthctl keeps its cache: `$XDG_CACHE_HOME/oauthctl`, as the sweep sets no
    /// `OAUTHCTL_CACHE_DIR`.
    fn cache_dir(&self) -> PathBuf {
        self.env.home.path().join(".cache/oauthctl")
    }

    /// Learns the new canaries since the last run: each DPoP-bound token the token endpoint
    /// issued (one per key it received a proof of), and each key oauthctl made in its cache
    /// directory's `dpop/`, which must be 0600 (SECURITY 45).
    fn learn(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut learnt = self.learnt.lock().unwrap();
        let known = |learnt: &[Learnt], value: &str| learnt.iter().any(|l| l.value == value);
        let received = self.proofs.lock().unwrap().clone();
        for jkt in received.iter().filter_map(|proof| proof_jkt(proof)) {
            let token = access_token_bound_to(Some(&jkt));
            if !known(&learnt, &token) {
                learnt.push(Learnt {
                    canary: Canary::new("DPoP-bound access token", &token),
                    value: token,
                    key_file: None,
                });
            }
        }
        for path in files_under(&self.cache_dir().join("dpop")) {
            if !path.to_string_lossy().ends_with(".key.pem") {
                continue;
            }
            let Ok(pem_text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if known(&learnt, &pem_text) {
                continue;
            }
            let mode = std::fs::metadata(&path).map_or(0, |m| m.permissions().mode() & 0o777);
            if mode != 0o600 {
                let shown = path.display();
                problems.push(format!("the DPoP key {shown} has mode {mode:o}, not 600"));
            }
            learnt.push(Learnt {
                canary: Canary::private_key("DPoP key oauthctl made", &pem_text),
                value: pem_text,
                key_file: Some(path),
            });
        }
        problems
    }

    fn run_all(&self, cases: &[Case]) -> Vec<String> {
        cases.iter().flat_map(|case| self.run(case)).collect()
    }

    /// After everything: no file in HOME (config, cache, lock and temp files) holds the client
    /// secret, code, verifier or header secret in any form. The cache holds the access and refresh
    /// tokens by design (DESIGN §7: it stores the provider's response; "the client secret is
    /// neither part of the key nor stored"); no other file may. A learnt canary may be where
    /// `Learnt::allowed_in` says.
    fn home_holds_no_secrets(&self, expect_cached_refresh_token: bool) -> Vec<String> {
        let home = self.env.home.path();
        let cache = self.cache_dir();
        let learnt: Vec<Learnt> = self.learnt.lock().unwrap().clone();
        let mut violations = Vec::new();
        let mut cached_refresh_token = false;
        for path in files_under(home) {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            for learnt in &learnt {
                let forms = learnt.canary.found_in_bytes(&bytes);
                if !forms.is_empty() && !learnt.allowed_in(&path, &bytes, &cache) {
                    violations.push(format!(
                        "[HOME walk] {} holds the {} as {}",
                        path.display(),
                        learnt.canary.what,
                        forms.join(", ")
                    ));
                }
            }
            for (index, canary) in self.canaries.iter().enumerate() {
                let forms = canary.found_in_bytes(&bytes);
                let cached_token = index < 2 && path.starts_with(&cache);
                if index == 1 && cached_token && !forms.is_empty() {
                    cached_refresh_token = true;
                }
                if !forms.is_empty() && !cached_token {
                    violations.push(format!(
                        "[HOME walk] {} holds the {} as {}",
                        path.display(),
                        canary.what,
                        forms.join(", ")
                    ));
                }
            }
        }
        if expect_cached_refresh_token && !cached_refresh_token {
            violations.push(format!(
                "[HOME walk] no cached refresh token under {}: is the walk looking at the cache?",
                cache.display()
            ));
        }
        violations
    }
}

/// The client key the sweep's key profiles sign with, made by `keys generate` in `outside` (PKCS#8
/// PEM, 0600), beside a copy others can read and an encrypted copy: its PEM text and file name.
fn client_keys(env: &Env, outside: &Path) -> (String, &'static str) {
    let file = "client-auth.key.pem";
    let path = outside.join(file);
    env.cmd()
        .args(["keys", "generate", "--out"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let pem_text = std::fs::read_to_string(&path).unwrap();
    assert!(
        pem_text.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{pem_text}"
    );
    let readable = outside.join("readable.key.pem");
    std::fs::write(&readable, &pem_text).unwrap();
    std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let encrypted = outside.join("encrypted.key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:canary",
            "-in",
        ])
        .arg(&path)
        .arg("-out")
        .arg(&encrypted)
        .status()
        .unwrap();
    assert!(status.success(), "openssl pkcs8 -topk8");
    std::fs::set_permissions(&encrypted, std::fs::Permissions::from_mode(0o600)).unwrap();
    (pem_text, file)
}

/// Every regular file under `dir`, symlinks not followed; one that goes away meanwhile (a lock or
/// temp file of a concurrent run) is left out.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            files.extend(files_under(&path));
        } else if meta.is_file() {
            files.push(path);
        }
    }
    files
}

fn assert_none(violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "{} violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

/// Every command, in an order that builds the state the next ones need (a cached client token, a
/// signed-in user, an added profile).
#[rustfmt::skip] // one case per line
fn command_cases() -> Vec<Case> {
    vec![
        ok("fetch (cold)", &["fetch"], Token),
        ok("fetch -v (cached)", &["-v", "fetch"], Token),
        ok("fetch -v --force", &["-v", "fetch", "--force"], Token),
        ok("fetch -o text", &["-o", "text", "fetch"], Token),
        ok("fetch -o header", &["-o", "header", "fetch"], Token),
        ok("fetch -o env", &["-o", "env", "fetch"], Token),
        ok("fetch -o json", &["-o", "json", "fetch"], TokenResponse),
        ok("fetch -o exec-credential", &["-o", "exec-credential", "fetch"], Token),
        ok("fetch -v -o json --no-cache --auth-method post", &["-v", "-o", "json", "fetch", "--no-cache", "--auth-method", "post"], TokenResponse),
        ok("fetch -v --no-cache --grant-params query", &["-v", "fetch", "--no-cache", "--grant-params", "query"], Token),
        ok("fetch -v --no-cache --basic-encoding raw, OAUTHCTL_CLIENT_SECRET", &["-v", "fetch", "--no-cache", "--basic-encoding", "raw"], Token).env("OAUTHCTL_CLIENT_SECRET", SECRET),
        ok("fetch -v --no-cache --client-secret-stdin", &["-v", "fetch", "--no-cache", "--client-secret-stdin"], Token).stdin(SECRET),
        ok("fetch -v --no-cache --client-secret-file", &["-v", "fetch", "--no-cache", "--client-secret-file", "{outside}/secret"], Token),
        ok("exchange-code -v CODE", &["-v", "-p", "user", "exchange-code", CODE], Token),
        ok("exchange-code -v -o json --code-verifier", &["-v", "-o", "json", "-p", "user", "exchange-code", "--code-verifier", VERIFIER, CODE], TokenResponse),
        ok("exchange-code -v - with OAUTHCTL_CODE_VERIFIER", &["-v", "-p", "user", "exchange-code", "-"], Token).stdin(CODE).env("OAUTHCTL_CODE_VERIFIER", VERIFIER),
        ok("exchange-code -v --auth-method post, code piped", &["-v", "-p", "user", "exchange-code", "--auth-method", "post"], Token).stdin(&format!("{CODE}\n")),
        ok("exchange-code -o header", &["-o", "header", "-p", "user", "exchange-code", CODE], Token),
        ok("exchange-code -o env --no-cache", &["-o", "env", "-p", "user", "exchange-code", "--no-cache", CODE], Token),
        ok("exchange-code -o exec-credential", &["-o", "exec-credential", "-p", "user", "exchange-code", CODE], Token),
        ok("fetch -v -p user (cached)", &["-v", "-p", "user", "fetch"], Token),
        ok("fetch -o json -p user (cached, with its refresh token)", &["-o", "json", "-p", "user", "fetch"], TokenResponse),
        ok("fetch -v -p user --force (refresh)", &["-v", "-p", "user", "fetch", "--force"], Token),
        ok("fetch -v -o json -p user --min-ttl (refresh)", &["-v", "-o", "json", "-p", "user", "fetch", "--min-ttl", "999999"], TokenResponse),
        ok("inspect TOKEN", &["inspect", "{at}"], Nothing),
        ok("inspect - (stdin)", &["inspect", "-"], Nothing).stdin("{at}\n"),
        ok("inspect -o json (piped header)", &["-o", "json", "inspect"], Nothing).stdin("Authorization: Bearer {at}\n"),
        ok("inspect -v -p app", &["-v", "-p", "app", "inspect"], Nothing),
        ok("inspect -v -p user --require-valid", &["-v", "-p", "user", "inspect", "--require-valid"], Nothing),
        ok("profiles list", &["profiles", "list"], Nothing),
        ok("profiles list -o json", &["-o", "json", "profiles", "list"], Nothing),
        ok("profiles show -v", &["-v", "profiles", "show"], Nothing),
        ok("profiles show user -o json", &["-o", "json", "profiles", "show", "user"], Nothing),
        ok("profiles show (OAUTHCTL_CLIENT_SECRET overrides)", &["profiles", "show", "app"], Nothing).env("OAUTHCTL_CLIENT_SECRET", SECRET),
        ok("profiles show a command source", &["profiles", "show", "command-also-prints-to-stderr"], Nothing),
        ok("profiles path", &["profiles", "path"], Nothing),
        ok("profiles add", &["profiles", "add", "added", "--token-url", "{url}/token", "--client-id", CLIENT_ID, "--client-secret-env", SECRET_VAR, "--header", "Accept: application/json"], Nothing),
        ok("fetch -v -p added", &["-v", "-p", "added", "fetch"], Token),
        ok("profiles remove", &["profiles", "remove", "added"], Nothing),
        ok("cache list", &["cache", "list"], Nothing),
        ok("cache list -o json", &["-o", "json", "cache", "list"], Nothing),
        ok("introspect -v - (stdin)", &["-v", "introspect", "-"], Nothing).stdin("{at}\n").env("OAUTHCTL_INTROSPECTION_URL", "{url}/introspect"),
        ok("introspect -v -o json -p user --require-active (its own token)", &["-v", "-o", "json", "-p", "user", "introspect", "--require-active"], Nothing).env("OAUTHCTL_INTROSPECTION_URL", "{url}/introspect"),
        ok("revoke -v - (stdin, the cached access token)", &["-v", "revoke", "-"], Nothing).stdin("{at}\n").env("OAUTHCTL_REVOCATION_URL", "{url}/revoke"),
        ok("revoke -v -o json -p user (its cached tokens)", &["-v", "-o", "json", "-p", "user", "revoke"], Nothing).env("OAUTHCTL_REVOCATION_URL", "{url}/revoke"),
        ok("revoke -v -p user (nothing left)", &["-v", "-p", "user", "revoke"], Nothing).env("OAUTHCTL_REVOCATION_URL", "{url}/revoke"),
        ok("cache clear -p app", &["-p", "app", "cache", "clear"], Nothing),
        ok("cache clear", &["cache", "clear"], Nothing),
        ok("fetch (after clear)", &["fetch"], Token),
        ok("exchange-code (after clear)", &["-p", "user", "exchange-code", "--code-verifier", VERIFIER, CODE], Token),
        ok("fetch -v -p user --force (refresh after clear)", &["-v", "-p", "user", "fetch", "--force"], Token),
        ok("cache list -v (after clear)", &["-v", "cache", "list"], Nothing),
        ok("completions bash", &["completions", "bash"], Nothing),
        ok("keys generate -v", &["-v", "keys", "generate", "--out", "{outside}/client.key.pem"], Nothing),
        ok("keys public -v -o json", &["-v", "-o", "json", "keys", "public", "{outside}/client.key.pem"], Nothing),
        ok("fetch --dry-run", &["-v", "fetch", "--dry-run"], Nothing),
        ok("fetch --dry-run -o json, OAUTHCTL_CLIENT_SECRET", &["-o", "json", "fetch", "--dry-run"], Nothing).env("OAUTHCTL_CLIENT_SECRET", SECRET),
        ok("fetch --dry-run --client-secret-stdin", &["fetch", "--dry-run", "--client-secret-stdin"], Nothing).stdin(SECRET),
        ok("fetch --dry-run -p user (a refresh)", &["-v", "-p", "user", "fetch", "--dry-run"], Nothing),
        ok("exchange-code --dry-run with code and verifier", &["-v", "-p", "user", "exchange-code", "--dry-run", "--code-verifier", VERIFIER, CODE], Nothing),
        ok("exchange-code --dry-run -o json --auth-method post", &["-o", "json", "-p", "user", "exchange-code", "--dry-run", "--auth-method", "post", CODE], Nothing).env("OAUTHCTL_CODE_VERIFIER", VERIFIER),
        ok("fetch -o exec-credential for kubectl v1beta1", &["-o", "exec-credential", "fetch"], Token).env("KUBERNETES_EXEC_INFO", r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#),
    ]
}

/// Failures that need no misbehaving server (and one secret command that succeeds while writing
/// its secret to stderr): deadlines, refused connections, secret commands,
/// missing profiles, broken configs (outside HOME: they hold a literal secret), usage errors. All
/// with `-v` where it applies.
#[rustfmt::skip] // one case per line
fn local_failure_cases() -> Vec<Case> {
    vec![
        fail("fetch --timeout 1 against a silent server", &["-v", "-p", "silent", "fetch", "--no-cache", "--timeout", "1"], 4, "timed out"),
        fail("exchange-code --timeout 1 against a silent server", &["-v", "-p", "silent", "exchange-code", "--timeout", "1", "--code-verifier", VERIFIER, CODE], 4, "timed out"),
        fail("fetch: connection refused", &["-v", "-p", "refused", "fetch", "--no-cache"], 4, "cannot connect"),
        fail("exchange-code: connection refused", &["-v", "-p", "refused", "exchange-code", CODE], 4, "cannot connect").env("OAUTHCTL_CODE_VERIFIER", VERIFIER),
        fail("client_secret_command fails, printing the secret on its stdout", &["-v", "-p", "command-fails-printing-to-stdout", "fetch", "--no-cache"], 78, "failed"),
        fail("client_secret_command fails, printing the secret on its stderr", &["-v", "-p", "command-fails-printing-to-stderr", "fetch", "--no-cache"], 78, "failed"),
        ok("client_secret_command also writes the secret to its stderr", &["-v", "-p", "command-also-prints-to-stderr", "fetch", "--no-cache"], Token),
        fail("missing profile", &["-v", "-p", "nosuch", "fetch"], 78, "profile `nosuch` not found"),
        fail("exchange-code with a missing profile", &["-v", "-p", "nosuch", "exchange-code", CODE], 78, "not found").env("OAUTHCTL_CODE_VERIFIER", VERIFIER),
        fail("user profile never signed in", &["-v", "-p", "user-never-signed-in", "fetch"], 6, "login required"),
        fail("bad config: syntax error on the secret's line", &["-v", "-c", "{outside}/syntax.toml", "fetch"], 78, "line 5"),
        fail("bad config: bad escape in the secret", &["-v", "-c", "{outside}/escape.toml", "fetch"], 78, "line 5"),
        fail("bad config: unknown key beside a literal secret", &["-v", "-c", "{outside}/unknown-key.toml", "fetch"], 78, "unknown key"),
        fail("bad config: the secret in a list", &["-v", "-c", "{outside}/wrong-type.toml", "fetch"], 78, "line 5"),
        fail("bad config: two secret sources", &["-v", "-c", "{outside}/two-sources.toml", "fetch"], 78, "keep exactly one secret source"),
        fail("literal secret in a group-readable config", &["-v", "-c", "{outside}/group-readable.toml", "fetch", "--no-cache"], 78, "refusing the literal client_secret"),
        fail("usage error beside the code and verifier", &["-v", "-p", "user", "exchange-code", "--code-verifier", VERIFIER, "--bogus", CODE], 2, "--bogus"),
        fail("code and secret both on stdin", &["-v", "-p", "user", "exchange-code", "--client-secret-stdin"], 2, "cannot both come from stdin").stdin(CODE),
        fail("inspect an opaque refresh token", &["-v", "inspect", "-"], 5, "not a JWT").stdin(REFRESH),
        fail("inspect --secret-env with a secret too short for HMAC", &["-v", "inspect", "--secret-env", SECRET_VAR, "{at}"], 78, "--secret-env"),
        fail("inspect --secret-env with a long secret", &["-v", "inspect", "--secret-env", "CANARY_LONG_SECRET", "{at}"], 5, "NOT verified").env("CANARY_LONG_SECRET", &SECRET.repeat(4)),
        fail("inspect a code shaped like a JWT", &["-v", "inspect", &format!("{CODE}.{VERIFIER}.x")], 5, "segment"),
        fail("revoke without a revocation endpoint", &["-v", "-p", "user", "revoke"], 78, "has no revocation_url"),
        fail("introspect TOKEN without an introspection endpoint", &["-v", "introspect", "{at}"], 78, "has no introspection_url"),
        fail("revoke: the token and the secret both on stdin", &["-v", "revoke", "--client-secret-stdin", "-"], 2, "cannot both come from stdin").stdin("{at}\n"),
        fail("keys public of the secret file", &["-v", "keys", "public", "{outside}/secret"], 78, "holds no private key"),
        fail("keys public -o json of a config holding the secret", &["-v", "-o", "json", "keys", "public", "{outside}/syntax.toml"], 78, "holds no private key"),
        fail("keys generate over the secret file", &["-v", "keys", "generate", "--out", "{outside}/secret"], 78, "refusing to overwrite"),
        fail("profiles add over an existing profile", &["-v", "profiles", "add", "app", "--token-url", "{url}/token", "--client-id", CLIENT_ID], 78, "exists"),
    ]
}

/// Clients without a shared secret (README "Without a client secret"): a private key from a file,
/// a variable and a command, and `client_secret_jwt`. Their keys are canaries, and so is every
/// client assertion: only `keys assertion` prints one, on stdout.
#[rustfmt::skip] // one case per line
fn key_cases() -> Vec<Case> {
    let introspect = ("OAUTHCTL_INTROSPECTION_URL", "{url}/introspect");
    let revoke = ("OAUTHCTL_REVOCATION_URL", "{url}/revoke");
    let exec_info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#;
    let sources = [
        ("key-file", "{outside}/client-auth.key.pem"),
        ("key-env", KEY_VAR),
        ("key-command", "private_key_command"),
        ("hmac-jwt", HMAC_SECRET_VAR),
    ];
    let mut cases = Vec::new();
    for (p, source) in sources {
        let name = |what: &str| format!("{what} -p {p}");
        cases.extend([
            ok(&name("fetch (cold)"), &["-p", p, "fetch"], Token),
            ok(&name("fetch -v (cached)"), &["-v", "-p", p, "fetch"], Token),
            ok(&name("fetch -v --force"), &["-v", "-p", p, "fetch", "--force"], Token),
            ok(&name("fetch -v -o json --no-cache"), &["-v", "-o", "json", "-p", p, "fetch", "--no-cache"], TokenResponse),
            ok(&name("fetch -v --dry-run"), &["-v", "-p", p, "fetch", "--dry-run"], Nothing).shows("OAUTHCTL_CLIENT_ASSERTION"),
            ok(&name("fetch --dry-run -o json"), &["-o", "json", "-p", p, "fetch", "--dry-run"], Nothing).shows("OAUTHCTL_CLIENT_ASSERTION"),
            ok(&name("profiles show"), &["profiles", "show", p], Nothing).shows(source),
            ok(&name("profiles show -v -o json"), &["-v", "-o", "json", "profiles", "show", p], Nothing).shows(source),
            ok(&name("keys assertion -v"), &["-v", "keys", "assertion", "-p", p], Assertion),
        ]);
    }
    cases.extend([
        ok("fetch -o header -p key-file", &["-o", "header", "-p", "key-file", "fetch"], Token),
        ok("fetch -o env -p key-file", &["-o", "env", "-p", "key-file", "fetch"], Token),
        ok("fetch -o exec-credential -p key-file", &["-o", "exec-credential", "-p", "key-file", "fetch"], Token).env("KUBERNETES_EXEC_INFO", exec_info),
        ok("fetch -o json -p key-command (cached)", &["-o", "json", "-p", "key-command", "fetch"], TokenResponse),
        ok("inspect -v -p key-file", &["-v", "-p", "key-file", "inspect"], Nothing),
        ok("inspect -v -p hmac-jwt", &["-v", "-p", "hmac-jwt", "inspect"], Nothing),
        ok("introspect -v -o json -p key-file --require-active", &["-v", "-o", "json", "-p", "key-file", "introspect", "--require-active"], Nothing).env(introspect.0, introspect.1),
        ok("introspect -v -p hmac-jwt", &["-v", "-p", "hmac-jwt", "introspect"], Nothing).env(introspect.0, introspect.1),
        ok("revoke -v -p key-env", &["-v", "-p", "key-env", "revoke"], Nothing).env(revoke.0, revoke.1),
        ok("revoke -v -o json -p key-file", &["-v", "-o", "json", "-p", "key-file", "revoke"], Nothing).env(revoke.0, revoke.1),
        ok("revoke -v - -p hmac-jwt (stdin)", &["-v", "-p", "hmac-jwt", "revoke", "-"], Nothing).stdin("{at}\n").env(revoke.0, revoke.1),
        ok("keys public -v -o json of the key", &["-v", "-o", "json", "keys", "public", "{outside}/client-auth.key.pem"], Nothing),
        ok("cache list -v", &["-v", "cache", "list"], Nothing),
        fail("a key file others can read", &["-v", "-p", "key-readable", "fetch", "--no-cache"], 78, "readable by you alone"),
        fail("keys assertion with a key file others can read", &["-v", "keys", "assertion", "-p", "key-readable"], 78, "readable by you alone"),
        fail("an encrypted PEM key", &["-v", "-p", "key-encrypted", "fetch", "--no-cache"], 78, "encrypted"),
        fail("keys assertion with an encrypted PEM key", &["-v", "keys", "assertion", "-p", "key-encrypted"], 78, "encrypted"),
        fail("private_key_command fails, printing the key on its stdout", &["-v", "-p", "key-command-fails-printing-to-stdout", "fetch", "--no-cache"], 78, "failed"),
        fail("private_key_command fails, printing the key on its stderr", &["-v", "-p", "key-command-fails-printing-to-stderr", "fetch", "--no-cache"], 78, "failed"),
        fail("keys assertion: private_key_command fails", &["-v", "keys", "assertion", "-p", "key-command-fails-printing-to-stdout"], 78, "failed"),
    ]);
    cases
}

/// Workload identity (README "In CI without a stored secret"): a token exchange with the identity
/// token from a variable, a file, a command and GitHub Actions, and a federated client. The
/// identity token and GitHub's request token are canaries: only `identity-token` prints the first,
/// on stdout (SECURITY 43).
#[rustfmt::skip] // one case per line
fn identity_cases() -> Vec<Case> {
    let revoke = ("OAUTHCTL_REVOCATION_URL", "{url}/revoke");
    let gh = |mode: &str| format!("{{gh}}/_apis/token?api-version=2.0&mode={mode}");
    let sources = [
        ("id-env", IDENTITY_VAR),
        ("id-file", "identity.jwt"),
        ("id-command", "identity_token_command"),
        ("id-github", "github-actions"),
        ("id-federated", IDENTITY_VAR),
    ];
    let mut cases = Vec::new();
    for (p, source) in sources {
        let name = |what: &str| format!("{what} -p {p}");
        cases.extend([
            ok(&name("fetch (cold)"), &["-p", p, "fetch"], Token),
            ok(&name("fetch -v (cached)"), &["-v", "-p", p, "fetch"], Token),
            ok(&name("fetch -v --force"), &["-v", "-p", p, "fetch", "--force"], Token),
            ok(&name("fetch -v -o json --no-cache"), &["-v", "-o", "json", "-p", p, "fetch", "--no-cache"], TokenResponse),
            ok(&name("fetch -o header"), &["-o", "header", "-p", p, "fetch"], Token),
            ok(&name("fetch -o env"), &["-o", "env", "-p", p, "fetch"], Token),
            ok(&name("fetch -v --dry-run"), &["-v", "-p", p, "fetch", "--dry-run"], Nothing).shows("OAUTHCTL_IDENTITY_TOKEN"),
            ok(&name("fetch --dry-run -o json"), &["-o", "json", "-p", p, "fetch", "--dry-run"], Nothing).shows("OAUTHCTL_IDENTITY_TOKEN"),
            ok(&name("profiles show"), &["profiles", "show", p], Nothing).shows(source),
            ok(&name("profiles show -v -o json"), &["-v", "-o", "json", "profiles", "show", p], Nothing).shows(source),
            ok(&name("identity-token"), &["identity-token", "-p", p], IdentityToken),
            ok(&name("identity-token -v"), &["-v", "identity-token", "-p", p], IdentityToken),
            ok(&name("inspect -v"), &["-v", "-p", p, "inspect"], Nothing),
            ok(&name("revoke -v"), &["-v", "-p", p, "revoke"], Nothing).env(revoke.0, if p == "id-github" { "{url}/revoke-public" } else { revoke.1 }),
            ok(&name("fetch -v (after revoke)"), &["-v", "-p", p, "fetch"], Token),
        ]);
    }
    cases.extend([
        ok("revoke -v -o json -p id-env", &["-v", "-o", "json", "-p", "id-env", "revoke"], Nothing).env(revoke.0, revoke.1),
        ok("identity-token -v --identity-token-env", &["-v", "identity-token", "-p", "id-file", "--identity-token-env", IDENTITY_VAR], IdentityToken),
        ok("fetch -v --identity-token-file --no-cache", &["-v", "-p", "id-env", "fetch", "--no-cache", "--identity-token-file", "{outside}/identity.jwt"], Token),
        ok("cache list -v", &["-v", "cache", "list"], Nothing),
        ok("cache list -o json", &["-o", "json", "cache", "list"], Nothing),
    ]);
    for (mode, code, message) in [
        ("401", 3, "getting the identity token from GitHub Actions"),
        ("500", 4, "getting the identity token from GitHub Actions"),
        ("text503", 4, "getting the identity token from GitHub Actions"),
        ("novalue200", 4, "`value`"),
        ("badjson200", 4, "getting the identity token from GitHub Actions"),
    ] {
        let github = ("ACTIONS_ID_TOKEN_REQUEST_URL", gh(mode));
        cases.extend([
            fail(&format!("GitHub {mode}: fetch -v --no-cache"), &["-v", "-p", "id-github", "fetch", "--no-cache"], code, message).env(github.0, &github.1),
            fail(&format!("GitHub {mode}: fetch -o json (cached)"), &["-o", "json", "-p", "id-github", "fetch"], code, message).env(github.0, &github.1),
            fail(&format!("GitHub {mode}: identity-token -v"), &["-v", "identity-token", "-p", "id-github"], code, message).env(github.0, &github.1),
        ]);
    }
    cases.extend([
        fail("identity_token_env not set", &["-v", "-p", "id-env", "fetch", "--no-cache"], 78, "is not set").env("OAUTHCTL_IDENTITY_TOKEN_ENV", "CANARY_UNSET"),
        fail("identity_token_file missing", &["-v", "-p", "id-env", "fetch", "--no-cache", "--identity-token-file", "{outside}/nosuch.jwt"], 78, "getting the identity token"),
    ]);
    cases
}

/// DPoP (README "Sender-constrained tokens (DPoP)"): a profile whose `dpop_key_file` is the
/// sweep's key, which also signs its `private_key_jwt` assertions, and one whose key oauthctl
/// makes in its cache directory, with `client_secret_env`. Every `-v` run that asks for a token
/// shows its proofs masked. The cases up to `cache clear`, and those after it.
#[rustfmt::skip] // one case per line
fn dpop_cases() -> (Vec<Case>, Vec<Case>) {
    let revoke = ("OAUTHCTL_REVOCATION_URL", "{url}/revoke");
    let masked = "> DPoP: ***";
    let retried = "retrying with the server's DPoP nonce";
    // What `profiles show` says of the key: the file, or nothing of a key oauthctl makes.
    let sources = [
        ("dpop-file", Some("{outside}/client-auth.key.pem")),
        ("dpop-made", None),
    ];
    let mut cases = Vec::new();
    for (p, source) in sources {
        let name = |what: &str| format!("{what} -p {p}");
        let cold = ok(&name("fetch -v (cold)"), &["-v", "-p", p, "fetch"], Token).traces(masked);
        // The first proof of all has no nonce, which the token endpoint demands (RFC 9449 §8);
        // oauthctl keeps it, so that the next runs' first proofs carry it.
        cases.push(if cases.is_empty() { cold.traces(retried) } else { cold });
        cases.extend([
            ok(&name("fetch -o json (cached)"), &["-o", "json", "-p", p, "fetch"], TokenResponse),
            ok(&name("fetch -v -o header --url"), &["-v", "-o", "header", "-p", p, "fetch", "--url", RESOURCE], TokenAndProof),
            ok(&name("fetch -o json --url"), &["-o", "json", "-p", p, "fetch", "--url", RESOURCE], TokenAndProof),
            ok(&name("fetch -o env"), &["-o", "env", "-p", p, "fetch"], Token).shows("OAUTHCTL_TOKEN_TYPE='DPoP'"),
            ok(&name("fetch -v --dry-run"), &["-v", "-p", p, "fetch", "--dry-run"], Nothing).shows("$OAUTHCTL_DPOP_PROOF"),
            ok(&name("keys dpop-proof -v"), &["-v", "keys", "dpop-proof", "-p", p], Proof),
            ok(&name("inspect -v"), &["-v", "-p", p, "inspect"], Nothing).shows("to the profile's DPoP key"),
            ok(&name("revoke -v"), &["-v", "-p", p, "revoke"], Nothing).env(revoke.0, revoke.1),
            ok(&name("fetch -v (after revoke)"), &["-v", "-p", p, "fetch"], Token).traces(masked),
        ]);
        let show = ok(&name("profiles show"), &["profiles", "show", p], Nothing);
        cases.push(match source {
            Some(file) => show.shows(file),
            None => show,
        });
    }
    cases.extend([
        ok("cache list -o json", &["-o", "json", "cache", "list"], Nothing).shows("dpop_jkt"),
        ok("cache clear", &["cache", "clear"], Nothing).shows("DPoP key"),
    ]);
    let after_clear = vec![
        // A new key, and no nonce kept: the token endpoint demands one again.
        ok("fetch -v -p dpop-made (after clear)", &["-v", "-p", "dpop-made", "fetch"], Token).traces(masked).traces(retried),
        ok("profiles show -v -o json -p dpop-file", &["-v", "-o", "json", "profiles", "show", "dpop-file"], Nothing).shows("{outside}/client-auth.key.pem"),
        fail("a dpop_key_file others can read", &["-v", "-p", "dpop-readable", "fetch", "--no-cache"], 78, "dpop_key_file").traces("readable by you alone"),
        fail("keys dpop-proof with a dpop_key_file others can read", &["-v", "keys", "dpop-proof", "-p", "dpop-readable"], 78, "dpop_key_file").traces("readable by you alone"),
        fail("a dpop_key_file of PEM garbage holding canaries", &["-v", "-p", "dpop-garbage-pem", "fetch", "--no-cache"], 78, "dpop_key_file"),
        fail("a dpop_key_file of a JWK with the key's private scalar", &["-v", "-p", "dpop-garbage-jwk", "fetch", "--no-cache"], 78, "dpop_key_file"),
        fail("keys dpop-proof with a dpop_key_file of garbage", &["-v", "-o", "json", "keys", "dpop-proof", "-p", "dpop-garbage-pem"], 78, "dpop_key_file"),
    ];
    (cases, after_clear)
}

#[test]
fn canary_sweep_workload_identity_leaks_no_identity_or_request_token() {
    let sweep = Sweep::new();
    assert_eq!(sweep.canaries[IDENTITY].what, "identity token");
    let mut violations = sweep.run_all(&identity_cases());
    violations.extend(sweep.home_holds_no_secrets(false));
    let exchanges = sweep.server.requests().into_iter();
    let exchanges = exchanges
        .filter(|r| param(r, "subject_token").is_some())
        .count();
    assert!(
        exchanges >= 12,
        "the token endpoint saw only {exchanges} token exchanges"
    );
    assert!(
        sweep.github.request_count() >= 8,
        "GitHub was asked too little"
    );
    assert_none(violations);
}

#[test]
fn canary_sweep_key_clients_leak_no_key_or_assertion() {
    let sweep = Sweep::new();
    let key = sweep.canaries.last().unwrap();
    // The key canary is not blind: its PEM text shows it.
    assert!(key.found_in_bytes(sweep.key_pem.as_bytes()).len() > 2);
    let mut violations = sweep.run_all(&key_cases());
    violations.extend(sweep.home_holds_no_secrets(false));
    let received = sweep.received.lock().unwrap().len();
    // 4 profiles x 3 fetches, the header/env/exec-credential misses, 2 introspections, 3 revokes.
    assert!(
        received >= 12,
        "the token endpoint saw only {received} assertions"
    );
    assert_none(violations);
}

#[test]
fn canary_sweep_dpop_leaks_no_key_or_proof() {
    let sweep = Sweep::new();
    let (until_clear, after_clear) = dpop_cases();
    let mut violations = sweep.run_all(&until_clear);
    // DESIGN §12: `cache clear` takes the keys oauthctl made with the tokens bound to them.
    let dpop_dir = sweep.cache_dir().join("dpop");
    let keys = files_under(&dpop_dir).into_iter();
    let keys: Vec<PathBuf> = keys
        .filter(|p| p.to_string_lossy().ends_with(".key.pem"))
        .collect();
    if !keys.is_empty() {
        violations.push(format!("[cache clear] left the DPoP keys {keys:?}"));
    }
    violations.extend(sweep.run_all(&after_clear));
    violations.extend(sweep.home_holds_no_secrets(false));
    // The sweep is not blind: proofs went out, a nonce was demanded (at first, and after
    // `cache clear`), and a key oauthctl made was there to learn (at first, after `revoke` and
    // after `cache clear`).
    let claims: Vec<Value> = sweep.proofs().iter().map(|p| jws(p).unwrap().1).collect();
    let received = sweep.proofs.lock().unwrap().len();
    assert!(
        received >= 7,
        "the token endpoint saw only {received} proofs"
    );
    let demanded = claims.iter().filter(|c| c.get("nonce").is_none()).count();
    assert!(demanded >= 2, "a nonce was demanded {demanded} times");
    let learnt = sweep.learnt.lock().unwrap().clone();
    let made = learnt.iter().filter(|l| l.key_file.is_some()).count();
    assert!(made >= 3, "only {made} DPoP keys oauthctl made were learnt");
    assert!(sweep.printed_proofs.lock().unwrap().len() >= 6);
    // SECURITY 45: every proof, sent or printed, has a `jti` of its own.
    let mut jtis: Vec<&str> = claims.iter().map(|c| c["jti"].as_str().unwrap()).collect();
    jtis.sort_unstable();
    jtis.dedup();
    assert_eq!(jtis.len(), claims.len(), "a jti was used twice");
    assert_none(violations);
}

#[test]
fn canary_sweep_every_command_leaks_no_secret() {
    assert!((43..=128).contains(&VERIFIER.len()));
    let sweep = Sweep::new();
    let mut violations = sweep.run_all(&command_cases());
    violations.extend(sweep.home_holds_no_secrets(true));
    assert_none(violations);
}

#[test]
fn canary_sweep_local_failures_leak_no_secret() {
    let sweep = Sweep::new();
    let mut violations = sweep.run_all(&local_failure_cases());
    violations.extend(sweep.home_holds_no_secrets(false));
    assert_none(violations);
}

// ---------------------------------------------------------------- sweep 2: every server failure

/// A command that sends a token request, with the secrets it carries.
struct Flow {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    stdin: Option<&'static str>,
    /// Each echoed on its own: `"secret"`, `"header"`, `"code"`, `"code_verifier"`,
    /// `"refresh_token"`, `"client_assertion"`.
    pieces: &'static [&'static str],
    /// Run (answered with tokens) before the first case and after one that dropped the cache entry.
    prepare: Option<&'static [&'static str]>,
}

#[rustfmt::skip] // one flow per line
const FLOWS: &[Flow] = &[
    Flow { name: "fetch -v (basic)", args: &["-v", "fetch", "--no-cache"], env: &[], stdin: None, pieces: &["secret", "header"], prepare: None },
    Flow { name: "fetch -v -o json (post, query)", args: &["-v", "-o", "json", "fetch", "--no-cache", "--auth-method", "post", "--grant-params", "query"], env: &[], stdin: None, pieces: &["secret", "header"], prepare: None },
    Flow { name: "fetch -v --force (raw basic, OAUTHCTL_CLIENT_SECRET)", args: &["-v", "fetch", "--force", "--basic-encoding", "raw"], env: &[("OAUTHCTL_CLIENT_SECRET", SECRET)], stdin: None, pieces: &["secret"], prepare: None },
    Flow { name: "exchange-code -v --code-verifier", args: &["-v", "-p", "user", "exchange-code", "--code-verifier", VERIFIER, CODE], env: &[], stdin: None, pieces: &["secret", "header", "code", "code_verifier"], prepare: None },
    Flow { name: "exchange-code -v - (post, OAUTHCTL_CODE_VERIFIER)", args: &["-v", "-p", "user", "exchange-code", "--auth-method", "post", "-"], env: &[("OAUTHCTL_CODE_VERIFIER", VERIFIER)], stdin: Some(CODE), pieces: &["secret", "code", "code_verifier"], prepare: None },
    Flow { name: "fetch -v -p user --force (refresh)", args: &["-v", "-p", "user", "fetch", "--force"], env: &[], stdin: None, pieces: &["secret", "header", "refresh_token"], prepare: Some(&["-p", "user", "exchange-code", "--code-verifier", VERIFIER, CODE]) },
    Flow { name: "inspect -v -p", args: &["-v", "-p", "probe", "inspect"], env: &[], stdin: None, pieces: &["secret"], prepare: None },
    Flow { name: "fetch -v -p key-file (private_key_jwt)", args: &["-v", "-p", "key-file", "fetch", "--no-cache"], env: &[], stdin: None, pieces: &["client_assertion", "assertion_signature", "header"], prepare: None },
    Flow { name: "fetch -v -o json -p key-command --force", args: &["-v", "-o", "json", "-p", "key-command", "fetch", "--force"], env: &[], stdin: None, pieces: &["client_assertion"], prepare: None },
    Flow { name: "fetch -v -p hmac-jwt (client_secret_jwt)", args: &["-v", "-p", "hmac-jwt", "fetch", "--no-cache"], env: &[], stdin: None, pieces: &["client_assertion"], prepare: None },
    Flow { name: "fetch -v -p id-env (token exchange)", args: &["-v", "-p", "id-env", "fetch", "--no-cache"], env: &[], stdin: None, pieces: &["subject_token", "secret"], prepare: None },
    Flow { name: "fetch -v -o json -p id-github --force (token exchange, GitHub)", args: &["-v", "-o", "json", "-p", "id-github", "fetch", "--force"], env: &[], stdin: None, pieces: &["subject_token", "header"], prepare: None },
    Flow { name: "fetch -v -p id-federated (federated_jwt)", args: &["-v", "-p", "id-federated", "fetch", "--no-cache"], env: &[], stdin: None, pieces: &["client_assertion"], prepare: None },
];

/// How the token endpoint fails (see `refuse`); each meets every piece of every flow.
#[rustfmt::skip]
const KINDS: &[&str] = &[
    "oauth400", "grant400", "oauth401", "provider403", "fields400", "html500", "text502", "json503",
    "redirect", "redirect-echo", "badjson200", "array200", "notoken200",
];

/// Kinds that pad the echoed secret so that the cut of a quoted text falls inside it: the masks
/// must run before the cut, or its first part shows (caught, as its tag).
const CUTS: &[&str] = &["cut400", "cut500", "cut302", "cut-trace"];

/// The exit code and the part of the message that show `kind` was met.
fn expected(kind: &str, refresh: bool) -> (i32, &'static str) {
    match kind {
        "grant400" if refresh => (6, "login required"),
        "oauth400" | "grant400" | "cut400" | "cut-trace" => (3, "(HTTP 400)"),
        "oauth401" => (3, "(HTTP 401)"),
        "provider403" => (3, "(HTTP 403)"),
        "fields400" => (3, "no OAuth error in the body"),
        "html500" | "cut500" => (4, "(HTTP 500)"),
        "text502" => (4, "(HTTP 502)"),
        "json503" => (4, "(HTTP 503)"),
        "redirect" | "redirect-echo" | "cut302" => (4, "HTTP 302"),
        "badjson200" => (4, "not valid JSON"),
        "array200" => (4, "not an object"),
        "notoken200" => (4, "no access_token"),
        other => panic!("unknown failure kind {other}"),
    }
}

/// Every kind with every piece of `flow`, as cases, `prepare` steps included.
fn server_failure_cases(flow: &Flow) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut needs_prepare = true;
    for kind in KINDS.iter().chain(CUTS) {
        for piece in flow.pieces {
            if let Some(prepare) = flow.prepare.filter(|_| needs_prepare) {
                cases.push(ok(&format!("{} / prepare", flow.name), prepare, Token));
            }
            let (code, message) = expected(kind, flow.prepare.is_some());
            needs_prepare = code == 6;
            let name = format!("{} / {kind}:{piece}", flow.name);
            let mut case = fail(&name, flow.args, code, message);
            let mode = format!("{MODE_HEADER}: {kind}:{piece}");
            case.args.extend(["--header".to_string(), mode]);
            for (name, value) in flow.env {
                case = case.env(name, value);
            }
            if let Some(input) = flow.stdin {
                case = case.stdin(input);
            }
            cases.push(case);
        }
    }
    cases
}

#[test]
fn canary_sweep_server_failures_leak_no_secret() {
    let sweep = Sweep::new();
    // One thread per flow: no two flows share a cache entry.
    let mut violations: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = FLOWS
            .iter()
            .map(|flow| scope.spawn(|| sweep.run_all(&server_failure_cases(flow))))
            .collect();
        runs.into_iter()
            .flat_map(|run| run.join().unwrap())
            .collect()
    });
    violations.extend(sweep.home_holds_no_secrets(false));
    assert_none(violations);
}
