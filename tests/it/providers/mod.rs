//! Strict stubs of the providers whose token endpoints are documented in public, each as its own
//! documentation describes it (`examples/providers.toml` names the documents): five that take a
//! client secret, three that take a `private_key_jwt` client assertion (Okta, Microsoft Entra ID
//! with a certificate credential, Auth0) and a mutual-TLS profile.
//!
//! Every test loads `examples/providers.toml`, points one profile at a loopback stub by replacing
//! the real URL literal, and runs `oauthctl` with that profile. Each stub reproduces its provider's
//! documented contract and answers anything else with the provider's own error, so a wrong wire
//! detail makes oauthctl fail; the tests then also assert on the recorded request.
//!
//! The client-assertion stubs verify each assertion's signature with the public half of a key that
//! the test made with the `openssl` command and wrote next to the config (mode 0600), where the
//! example's relative `private_key_file` names it.
//!
//! Layout: here the real URLs and the helpers every provider's tests share, and the example file's
//! own test; in each provider's file its constants and documented bodies, its stub, then its tests.

mod auth0;
mod entra;
mod igni;
mod mtls;
mod okta;
mod server_side;
mod tencent;
mod watson;

use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::support::common::Env;
use crate::support::server::{Recorded, StubServer};

const FORM: &str = "application/x-www-form-urlencoded";

/// A secret with every character that needs encoding somewhere: form syntax (`+ & = %`), base64
/// and URL syntax (`/ :`), a space, and `%41` which a double decode would turn into `A`.
const AWKWARD_SECRET: &str = "a+b/c=d&e%41:f g";

// ---------------------------------------------------------------------------------------------
// The real token URLs, as the example file holds them; each test replaces one with its stub's.
// 000 / 001: IBM Watson Work, app token and user token (one endpoint, both grants).
const WATSON_URL: &str = "https://api.watsonwork.ibm.com/oauth/token";
// 002: Tencent CIAM.
const TENCENT_URL: &str = "https://sample.portal.tencentciam.com/oauth2/token";
// 003: server-side apps (grant_type in the query string).
const SERVER_SIDE_URL: &str = "http://localhost:8381/oauth/token";
// 004: Igni (Laravel Passport).
const IGNI_URL: &str = "https://acme.igni.co/api/v1/oauth2/token";
// 005: Okta, private_key_jwt.
const OKTA_URL: &str = "https://your-org.okta.com/oauth2/default/v1/token";
// 006: Microsoft Entra ID, certificate credential.
const ENTRA_URL: &str = "https://login.microsoftonline.com/TENANT_ID/oauth2/v2.0/token";
// 007: Auth0, private_key_jwt.
const AUTH0_URL: &str = "https://YOUR_TENANT.auth0.com/oauth/token";
// 008: mutual TLS (RFC 8705 tls_client_auth).
const MTLS_URL: &str = "https://mtls.example.com/oauth2/token";

// =============================================================================================
// Shared helpers.

/// The request body decoded as a form; `None` if it is not a well-formed one.
fn form_of(r: &Recorded) -> Option<Vec<(String, String)>> {
    form_pairs(std::str::from_utf8(&r.body).ok()?)
}

/// `application/x-www-form-urlencoded` text as pairs; `None` on a bad escape.
fn form_pairs(body: &str) -> Option<Vec<(String, String)>> {
    let pairs = body.split('&').filter(|pair| !pair.is_empty());
    let pairs = pairs.map(|pair| pair.split_once('=').unwrap_or((pair, "")));
    pairs
        .map(|(k, v)| Some((form_decoded(k)?, form_decoded(v)?)))
        .collect()
}

/// The first value of `key` in a decoded form.
fn field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    let (_, value) = form.iter().find(|(name, _)| name == key)?;
    Some(value)
}

/// `application/x-www-form-urlencoded` decoding of one component; `None` on a bad escape.
fn form_decoded(text: &str) -> Option<String> {
    let hex = |b: Option<&u8>| char::from(*b?).to_digit(16);
    let (mut out, bytes) = (Vec::new(), text.as_bytes());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push((hex(bytes.get(i + 1))? * 16 + hex(bytes.get(i + 2))?) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `application/x-www-form-urlencoded` encoding of one component (space as `+`).
fn form_encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `Authorization: Basic` split at the first ':', not decoded further; `None` when absent or not
/// well-formed (a stub must answer, never panic, on a malformed header).
fn basic(r: &Recorded) -> Option<(String, String)> {
    if r.header_count("authorization") != 1 {
        return None;
    }
    let (scheme, token) = r.header("authorization")?.split_once(' ')?;
    let bytes = STANDARD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, secret) = text.split_once(':')?;
    scheme
        .eq_ignore_ascii_case("basic")
        .then(|| (id.to_owned(), secret.to_owned()))
}

/// A JWT with base64url JSON segments and a dummy signature, like a provider's access token.
fn jwt(claims: &Value) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": "stub-key-1" });
    let segment = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let signature = URL_SAFE_NO_PAD.encode(b"not a real RS256 signature");
    format!("{}.{}.{signature}", segment(&header), segment(claims))
}

fn now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.expect("clock after 1970").as_secs() as i64
}

/// `examples/providers.toml` with every `real_url` literal (exactly `count` of them) replaced by
/// the stub's URL, written as the test's config.
fn use_example(env: &Env, real_url: &str, count: usize, stub_url: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/providers.toml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let literal = format!("token_url = \"{real_url}\"");
    assert_eq!(text.matches(&literal).count(), count, "{literal} in {path}");
    let config = text.replace(&literal, &format!("token_url = \"{stub_url}\""));
    assert!(!config.contains(real_url), "{real_url} still in the config");
    env.write_config(&config);
}

/// A successful run: exit 0, nothing on stderr. Returns stdout.
fn succeeded(assert: Assert) -> String {
    let output = assert.get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "", "a successful run prints nothing on stderr");
    stdout
}

/// A failed run in text mode: exit `code`, empty stdout, exactly one `oauthctl: error:` line on
/// stderr containing every one of `words`. Returns that line.
fn failed(assert: Assert, code: i32, words: &[&str]) -> String {
    let output = assert.get_output().clone();
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(output.stdout, b"", "stdout must be empty on failure");
    assert!(stderr.starts_with("oauthctl: error: "), "{stderr}");
    assert!(
        stderr.ends_with('\n') && stderr.lines().count() == 1,
        "{stderr:?}"
    );
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in {stderr:?}");
    }
    stderr
}

/// What `-o json` must put on stderr for a failure.
struct JsonError<'a> {
    kind: &'a str,
    code: Option<&'a str>,
    /// `None` when the server sent no description of its own.
    description: Option<&'a str>,
    status: u16,
    exit_code: i32,
    /// Words the `message` must contain.
    words: &'a [&'a str],
}

/// A failed run with `-o json`: empty stdout, stderr exactly one JSON object whose `error` fields
/// match `expected`.
fn failed_json(assert: Assert, expected: &JsonError<'_>) -> Value {
    let output = assert.get_output().clone();
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    assert_eq!(output.status.code(), Some(expected.exit_code), "{stderr}");
    assert_eq!(output.stdout, b"", "stdout must be empty on failure");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one JSON object: {stderr}"
    );
    let value: Value = serde_json::from_str(&stderr).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let error = &value["error"];
    assert_eq!(value.as_object().map(Map::len), Some(1), "{value}");
    assert_eq!(error["kind"], expected.kind, "{value}");
    assert_eq!(error["code"], json!(expected.code), "{value}");
    match expected.description {
        Some(description) => assert_eq!(error["description"], description, "{value}"),
        // The server sent no description: a refusal's stays null (DESIGN §4: the server's words
        // only); any other error is described by oauthctl's own message.
        None if expected.kind == "refused" => assert!(error["description"].is_null(), "{value}"),
        None => assert_eq!(error["description"], error["message"], "{value}"),
    }
    assert_eq!(error["status"], expected.status, "{value}");
    assert_eq!(error["exit_code"], expected.exit_code, "{value}");
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{value}"));
    for word in expected.words {
        assert!(message.contains(word), "{word:?} not in {value}");
    }
    value
}

/// Runs `make()` twice, in text and in JSON mode, and checks both renderings of one failure.
fn fails_both_ways(make: impl Fn() -> Command, expected: &JsonError<'_>) {
    failed(make().assert(), expected.exit_code, expected.words);
    failed_json(make().args(["-o", "json"]).assert(), expected);
}

/// The provider's documented success, rendered in each of the five output formats: `run(format)`
/// makes one request with `-o format`. `expected` is the response body as JSON.
fn assert_every_format(expected: &Value, mut run: impl FnMut(&str) -> Assert) {
    let fields = expected.as_object().expect("a JSON object");
    let token = fields["access_token"].as_str().expect("access_token");
    let token_type = fields["token_type"].as_str().expect("token_type");
    let expires_in = fields["expires_in"].as_i64().expect("expires_in");
    let timed = |run: &mut dyn FnMut(&str) -> Assert, format: &str| {
        let before = now();
        let stdout = succeeded(run(format));
        (stdout, before + expires_in..=now() + expires_in)
    };

    assert_eq!(succeeded(run("text")), format!("{token}\n"), "-o text");

    let (stdout, window) = timed(&mut run, "json");
    let mut json: Map<String, Value> = serde_json::from_str(&stdout).expect("-o json is JSON");
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.extend(["expires_at", "cached"]);
    assert!(
        json.keys().map(String::as_str).eq(keys),
        "key order: {stdout}"
    );
    let expires_at = json.remove("expires_at").and_then(|v| v.as_i64());
    assert!(window.contains(&expires_at.unwrap_or(0)), "{stdout}");
    assert_eq!(json.remove("cached"), Some(Value::Bool(false)), "{stdout}");
    assert_eq!(
        &json, fields,
        "-o json keeps every field as the provider sent it"
    );

    let header = succeeded(run("header"));
    assert_eq!(
        header,
        format!("Authorization: Bearer {token}\n"),
        "-o header"
    );

    let (stdout, window) = timed(&mut run, "env");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        stdout.ends_with('\n') && lines.len() == 3,
        "-o env: {stdout}"
    );
    assert_eq!(lines[0], format!("export OAUTHCTL_ACCESS_TOKEN='{token}'"));
    // SECURITY 25: any case of Bearer is printed as Bearer.
    let shown = if token_type.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else {
        token_type
    };
    assert_eq!(lines[1], format!("export OAUTHCTL_TOKEN_TYPE='{shown}'"));
    let at = lines[2].strip_prefix("export OAUTHCTL_EXPIRES_AT=");
    let at = at.and_then(|n| n.parse::<i64>().ok());
    assert!(window.contains(&at.unwrap_or(0)), "-o env: {stdout}");

    let (stdout, window) = timed(&mut run, "exec-credential");
    let credential: Value = serde_json::from_str(&stdout).expect("-o exec-credential is JSON");
    let expiry = credential["status"]["expirationTimestamp"].as_str();
    let expiry = expiry.and_then(unix_from_rfc3339);
    assert!(window.contains(&expiry.unwrap_or(0)), "{stdout}");
    let expected = json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {
            "token": token,
            "expirationTimestamp": credential["status"]["expirationTimestamp"],
        },
    });
    assert_eq!(credential, expected, "-o exec-credential");
}

/// `2024-02-29T12:00:00Z` as Unix seconds (Howard Hinnant's days-from-civil).
fn unix_from_rfc3339(text: &str) -> Option<i64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let num = |s: &str| s.parse::<i64>().ok();
    let date: Vec<i64> = date.split('-').map(num).collect::<Option<_>>()?;
    let time: Vec<i64> = time.split(':').map(num).collect::<Option<_>>()?;
    let [y, m, d] = <[i64; 3]>::try_from(date).ok()?;
    let [hh, mm, ss] = <[i64; 3]>::try_from(time).ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The recorded requests, asserting there were exactly `n`.
fn requests(stub: &StubServer, n: usize) -> Vec<Recorded> {
    let requests = stub.requests();
    assert_eq!(requests.len(), n, "{requests:#?}");
    requests
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let owned = list.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    owned.collect()
}

/// What every request oauthctl sends must carry, whatever the provider.
fn assert_common_headers(r: &Recorded) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.header_count("accept"), 1, "{r:?}");
    assert_eq!(r.header("accept"), Some("application/json"), "{r:?}");
}

/// A request sent with the credentials in the form body: no Authorization header at all.
fn assert_body_credentials(r: &Recorded, id: &str, secret: &str) {
    assert_eq!(r.header_count("authorization"), 0, "{r:?}");
    assert_eq!(r.form_value("client_id").as_deref(), Some(id));
    assert_eq!(r.form_value("client_secret").as_deref(), Some(secret));
}

// =============================================================================================
// Client keys and assertions, for the providers that take a private_key_jwt client assertion.

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The public half of a client key, as ring verifies with it.
#[derive(Clone, Debug)]
enum PublicKey {
    /// PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
    /// The uncompressed point, `04 || x || y`.
    P256(Vec<u8>),
}

/// A client key made by `openssl`, in the config's directory.
struct ClientKey {
    /// The file name next to the config, as the example's `private_key_file` has it.
    path: std::path::PathBuf,
    public: PublicKey,
}

/// Runs `openssl ARGS` in `dir`; its stdout.
fn openssl(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl (the tests need the openssl command): {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "openssl {args:?}: {stderr}");
    output.stdout
}

/// The directory of the test's config, where the example's relative key paths point.
fn config_dir(env: &Env) -> std::path::PathBuf {
    let dir = env.config_path().parent().expect("a parent").to_path_buf();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// Mode 0600: oauthctl refuses a private key that group or others can read.
fn make_private(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let private = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(path, private).unwrap_or_else(|e| panic!("chmod {path:?}: {e}"));
}

/// A new RSA 2048 key, `name` next to the config (PKCS#8 PEM, 0600).
fn rsa_key(env: &Env, name: &str) -> ClientKey {
    let dir = config_dir(env);
    let bits = "rsa_keygen_bits:2048";
    openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            bits,
            "-out",
            name,
        ],
    );
    make_private(&dir.join(name));
    let der = openssl(
        &dir,
        &["rsa", "-in", name, "-RSAPublicKey_out", "-outform", "DER"],
    );
    ClientKey {
        path: dir.join(name),
        public: PublicKey::Rsa(der),
    }
}

/// A new EC P-256 key, `name` next to the config (PKCS#8 PEM, 0600).
fn p256_key(env: &Env, name: &str) -> ClientKey {
    let dir = config_dir(env);
    let curve = "ec_paramgen_curve:P-256";
    openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            curve,
            "-out",
            name,
        ],
    );
    make_private(&dir.join(name));
    let spki = openssl(&dir, &["pkey", "-in", name, "-pubout", "-outform", "DER"]);
    // A P-256 SubjectPublicKeyInfo ends with the 65-byte uncompressed point.
    assert_eq!(spki.len(), 91, "a P-256 SPKI");
    ClientKey {
        path: dir.join(name),
        public: PublicKey::P256(spki[26..].to_vec()),
    }
}

/// A self-signed certificate of `key`, `name` next to the config; its DER.
fn certificate(env: &Env, key: &ClientKey, name: &str, subject: &str) -> Vec<u8> {
    let dir = config_dir(env);
    let key = key.path.to_str().expect("UTF-8 path");
    let args = [
        "req", "-x509", "-new", "-key", key, "-subj", subject, "-days", "30",
    ];
    openssl(&dir, &[&args[..], &["-out", name]].concat());
    let text = std::fs::read(dir.join(name)).expect("the certificate");
    pem::parse(text).expect("PEM").into_contents()
}

/// The RFC 7638 thumbprint of a public key: the kid oauthctl gives a PEM key, and the one
/// `oauthctl keys public` prints in the JWK to register.
fn thumbprint(public: &PublicKey) -> String {
    use der::Decode as _;
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let members = match public {
        PublicKey::Rsa(der) => {
            let key = pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(der).expect("PKCS#1");
            let (n, e) = (key.modulus.as_bytes(), key.public_exponent.as_bytes());
            format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n))
        }
        PublicKey::P256(point) => format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            b64(&point[1..33]),
            b64(&point[33..])
        ),
    };
    b64(ring::digest::digest(&ring::digest::SHA256, members.as_bytes()).as_ref())
}

/// base64url(SHA-1(DER)) and base64url(SHA-256(DER)): RFC 7515 §4.1.7 `x5t`, §4.1.8 `x5t#S256`.
fn x5t(der: &[u8]) -> (String, String) {
    let digest = |algorithm| URL_SAFE_NO_PAD.encode(ring::digest::digest(algorithm, der));
    let sha1 = digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    (sha1, digest(&ring::digest::SHA256))
}

/// A compact JWS taken apart; `None` if it is not one.
struct Jws {
    header: Value,
    claims: Value,
    input: String,
    signature: Vec<u8>,
}

fn jws(text: &str) -> Option<Jws> {
    let mut parts = text.split('.');
    let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let jws = Jws {
        header: json(header)?,
        claims: json(claims)?,
        input: format!("{header}.{claims}"),
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    };
    (parts.next().is_none()).then_some(jws)
}

/// Whether `signature` over `input` verifies with `public` under the JWS `alg`.
fn signature_verifies(public: &PublicKey, alg: &str, input: &str, signature: &[u8]) -> bool {
    use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
    let (algorithm, key): (&'static dyn VerificationAlgorithm, &[u8]) = match (public, alg) {
        (PublicKey::Rsa(der), "RS256") => (&sig::RSA_PKCS1_2048_8192_SHA256, der),
        (PublicKey::Rsa(der), "RS384") => (&sig::RSA_PKCS1_2048_8192_SHA384, der),
        (PublicKey::Rsa(der), "PS256") => (&sig::RSA_PSS_2048_8192_SHA256, der),
        (PublicKey::P256(point), "ES256") => (&sig::ECDSA_P256_SHA256_FIXED, point),
        _ => return false,
    };
    let key = UnparsedPublicKey::new(algorithm, key);
    key.verify(input.as_bytes(), signature).is_ok()
}

/// What a provider requires of a client assertion (RFC 7523 §3), as its documentation says.
struct AssertionRules<'a> {
    client_id: &'a str,
    /// The exact `aud`.
    audience: &'a str,
    /// The `alg` values it accepts.
    algs: &'a [&'a str],
    /// The registered key.
    public: &'a PublicKey,
    /// The kid the key is registered under, when the provider looks keys up by kid.
    kid: Option<&'a str>,
    /// The registered certificate's (`x5t`, `x5t#S256`), when it wants the certificate named.
    x5t: Option<(&'a str, &'a str)>,
    /// `jti`s already used: a replay is refused.
    seen: &'a std::sync::Mutex<Vec<String>>,
}

/// The client assertion of a request, checked against `rules`: `Err` says what is wrong, in the
/// words a provider's error description might use. A stub answers `Err` with its own error.
fn checked_assertion(assertion: &str, rules: &AssertionRules<'_>) -> Result<Jws, &'static str> {
    let jws = jws(assertion).ok_or("client_assertion is not a compact JWS")?;
    let (header, claims) = (&jws.header, &jws.claims);
    let alg = header["alg"].as_str().unwrap_or("");
    if !rules.algs.contains(&alg) {
        return Err("the client_assertion alg is not supported");
    }
    if let Some(kid) = rules.kid
        && header["kid"].as_str() != Some(kid)
    {
        return Err("no key is registered under the client_assertion kid");
    }
    if let Some((sha1, sha256)) = rules.x5t
        && (header["x5t"].as_str() != Some(sha1) || header["x5t#S256"].as_str() != Some(sha256))
    {
        return Err("the client_assertion does not name the registered certificate");
    }
    if !signature_verifies(rules.public, alg, &jws.input, &jws.signature) {
        return Err("the client_assertion signature is invalid");
    }
    let client_id = Some(rules.client_id);
    if claims["iss"].as_str() != client_id || claims["sub"].as_str() != client_id {
        return Err("the client_assertion iss and sub must be the client_id");
    }
    if claims["aud"].as_str() != Some(rules.audience) {
        return Err("the client_assertion aud is not this server's");
    }
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err("the client_assertion needs iat and exp");
    };
    if exp <= now() || !(1..=300).contains(&(exp - iat)) || (iat - now()).abs() > 60 {
        return Err("the client_assertion is expired or lives too long");
    }
    let Some(jti) = claims["jti"].as_str().filter(|jti| !jti.is_empty()) else {
        return Err("the client_assertion needs a jti");
    };
    let mut seen = rules.seen.lock().expect("the jti list");
    if seen.iter().any(|old| old == jti) {
        return Err("the client_assertion jti has already been used");
    }
    seen.push(jti.to_owned());
    Ok(jws)
}

/// A request that authenticated with a client assertion: no Authorization header, no
/// client_secret, the assertion's type and the client_id beside it. Returns the assertion.
fn assert_assertion_request(r: &Recorded, client_id: &str) -> Jws {
    assert_common_headers(r);
    assert_eq!(r.header("content-type"), Some(FORM));
    assert_eq!(r.header_count("authorization"), 0, "{r:?}");
    assert_eq!(r.form_value("client_secret"), None, "{r:?}");
    assert_eq!(r.form_value("client_id").as_deref(), Some(client_id));
    let kind = r.form_value("client_assertion_type");
    assert_eq!(kind.as_deref(), Some(JWT_BEARER), "{r:?}");
    let assertion = r
        .form_value("client_assertion")
        .expect("a client_assertion");
    jws(&assertion).expect("a compact JWS")
}

/// RFC 7523 §3 claims, as oauthctl sends them: `iss` = `sub` = the client, `aud`, a 128-bit
/// `jti`, `iat` now and `exp` 60 s later (the default lifetime).
fn assert_assertion_claims(jws: &Jws, client_id: &str, audience: &str) {
    let claims = &jws.claims;
    let names: Vec<&str> = claims
        .as_object()
        .expect("claims")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        ["iss", "sub", "aud", "jti", "iat", "exp"],
        "{claims}"
    );
    assert_eq!(claims["iss"], client_id);
    assert_eq!(claims["sub"], client_id);
    assert_eq!(claims["aud"], audience);
    let jti = claims["jti"].as_str().expect("jti");
    assert_eq!(
        URL_SAFE_NO_PAD.decode(jti).map(|b| b.len()),
        Ok(16),
        "{jti}"
    );
    let iat = claims["iat"].as_i64().expect("iat");
    assert!((iat - now()).abs() < 30, "{iat}");
    assert_eq!(claims["exp"].as_i64().expect("exp") - iat, 60);
}

// =============================================================================================
// The example file itself.

#[test]
fn example_file_loads_with_a_profile_per_provider_at_its_real_url() {
    let env = Env::new();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/providers.toml");
    let cmd = env
        .cmd()
        .args(["-c", path, "-o", "json", "profiles", "list"])
        .assert();
    let list: Value = serde_json::from_str(&succeeded(cmd)).expect("JSON list");
    let expected = json!([
        { "name": "auth0", "default": false, "endpoint": AUTH0_URL },
        { "name": "entra", "default": false, "endpoint": ENTRA_URL },
        { "name": "igni", "default": false, "endpoint": IGNI_URL },
        { "name": "mtls", "default": false, "endpoint": MTLS_URL },
        { "name": "okta", "default": false, "endpoint": OKTA_URL },
        { "name": "server-side", "default": false, "endpoint": SERVER_SIDE_URL },
        { "name": "tencent", "default": false, "endpoint": TENCENT_URL },
        { "name": "watson-app", "default": false, "endpoint": WATSON_URL },
        { "name": "watson-user", "default": false, "endpoint": WATSON_URL },
    ]);
    assert_eq!(list, expected);
}
