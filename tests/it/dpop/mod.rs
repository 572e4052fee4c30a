//! DPoP (RFC 9449, DESIGN §12) through the real binary, against loopback token endpoints that
//! record exactly what was sent: the proof on every token request and its nonce handling
//! (`requests`), the profile's key, generated or configured (`keys`), what `fetch` prints for a
//! DPoP token and how real curl and a strict resource server take it (`output`), the failures,
//! each with its exit code and nothing on stdout (`failures`), and where a generated key lives
//! and when it goes, with what `revoke`, `cache clear`, `inspect -p` and `keys dpop-proof` do
//! with it (`lifecycle`).
//!
//! Every proof a stub receives is checked here independently of oauthctl's code: its signature
//! with ring and the key in its own header, its thumbprint as RFC 7638 computes it
//! (`support::resource_server`).

mod failures;
mod keys;
mod lifecycle;
mod output;
mod requests;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use crate::support::app::{self, APP};
use crate::support::common::{self, Env};
use crate::support::resource_server::{self, PublicKey};
use crate::support::server::{Recorded, Reply, StubServer};

/// The profile key that turns DPoP on.
pub const DPOP: &str = "dpop = true\n";

/// JWK members that hold private or symmetric key material (RFC 7518 §6, RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// One `DPoP` header as a stub received it, checked as RFC 9449 §4.2 and §4.3 describe every
/// proof: `typ`, an asymmetric `alg`, a public `jwk` whose key verifies the signature, a 128-bit
/// `jti`, `htm`, `htu` and a current `iat`, and no claim beside those, `nonce` and `ath`.
#[derive(Debug, Clone)]
pub struct Proof {
    pub raw: String,
    pub header: Value,
    pub claims: Value,
}

impl Proof {
    /// The one DPoP header of `request`, checked.
    pub fn of(request: &Recorded) -> Proof {
        assert_eq!(
            request.header_count("dpop"),
            1,
            "RFC 9449 §4.3: exactly one DPoP header: {request:?}"
        );
        Proof::parse(request.header("dpop").unwrap())
    }

    /// A proof's text, checked.
    pub fn parse(raw: &str) -> Proof {
        let parts: Vec<&str> = raw.split('.').collect();
        assert_eq!(parts.len(), 3, "a compact JWS: {raw}");
        let json = |part: &str| -> Value {
            let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url, no padding");
            serde_json::from_slice(&bytes).expect("a JSON object")
        };
        let (header, claims) = (json(parts[0]), json(parts[1]));
        assert_eq!(header["typ"], "dpop+jwt", "{header}");
        let alg = header["alg"].as_str().expect("alg");
        let jwk = header["jwk"].as_object().expect("a jwk in the header");
        for member in PRIVATE_MEMBERS {
            assert!(!jwk.contains_key(member), "private {member} in {header}");
        }
        let names: Vec<&str> = header.as_object().unwrap().keys().map(|k| &**k).collect();
        assert_eq!(names.len(), 3, "typ, alg and jwk only: {header}");
        let key = PublicKey::from_jwk(alg, jwk)
            .unwrap_or_else(|| panic!("the jwk is not a public key for {alg}: {header}"));
        let signature = URL_SAFE_NO_PAD
            .decode(parts[2])
            .expect("base64url signature");
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(
            key.verifies(input.as_bytes(), &signature),
            "the signature does not verify with the header's jwk: {raw}"
        );
        let jti = claims["jti"].as_str().expect("jti");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(jti).map(|b| b.len()).ok(),
            Some(16),
            "128 random bits: {jti}"
        );
        assert!(
            claims["htm"].is_string() && claims["htu"].is_string(),
            "{claims}"
        );
        let iat = claims["iat"].as_i64().expect("iat in seconds");
        assert!((iat - common::now()).abs() <= 30, "iat {iat} is not now");
        for name in claims.as_object().unwrap().keys() {
            let known = ["jti", "htm", "htu", "iat", "nonce", "ath"];
            assert!(known.contains(&&**name), "claim {name} in {claims}");
        }
        Proof {
            raw: raw.to_owned(),
            header,
            claims,
        }
    }

    /// A proof for a token request (RFC 9449 §5): POST to `url` with no `ath`, and the nonce
    /// given.
    pub fn of_token_request(request: &Recorded, url: &str, nonce: Option<&str>) -> Proof {
        let proof = Proof::of(request);
        assert_eq!(request.method, "POST");
        assert_eq!(proof.claims["htm"], "POST", "{}", proof.claims);
        assert_eq!(proof.claims["htu"], url, "{}", proof.claims);
        assert!(proof.claims.get("ath").is_none(), "{}", proof.claims);
        assert_eq!(proof.nonce(), nonce, "{}", proof.claims);
        proof
    }

    pub fn alg(&self) -> &str {
        self.header["alg"].as_str().unwrap()
    }

    pub fn jwk(&self) -> &Map<String, Value> {
        self.header["jwk"].as_object().unwrap()
    }

    /// RFC 7638, computed by the resource server's own code.
    pub fn jkt(&self) -> String {
        resource_server::thumbprint(self.jwk()).expect("a thumbprint")
    }

    pub fn jti(&self) -> &str {
        self.claims["jti"].as_str().unwrap()
    }

    pub fn nonce(&self) -> Option<&str> {
        self.claims
            .get("nonce")
            .map(|n| n.as_str().expect("a string nonce"))
    }
}

/// RFC 9449 §4.2 `ath` of `token`, with sha2 (not ring, which oauthctl uses).
pub fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes()))
}

// ---------------------------------------------------------------- the authorization server

/// A token endpoint that binds what it issues as RFC 9449 §5 asks: answers `script` in order,
/// then to every request a DPoP token bound to its proof's key (`bound`).
pub struct Issuer {
    pub server: StubServer,
}

impl Issuer {
    pub fn start(script: Vec<Reply>) -> Issuer {
        let script = Mutex::new(script.into_iter());
        let n = AtomicUsize::new(0);
        let server = StubServer::start(move |request| {
            let n = n.fetch_add(1, Ordering::SeqCst);
            match script.lock().unwrap().next() {
                Some(reply) => reply,
                None => bound(request, n),
            }
        });
        Issuer { server }
    }

    /// `/token`: where `profile` points the app.
    pub fn token_url(&self) -> String {
        self.server.url("/token")
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }
}

/// A DPoP token for `request`: a JWT (junk signature) whose `cnf.jkt` is the thumbprint of the
/// request's proof key (RFC 9449 §6.1), different for each `n`; a request without a proof gets
/// a Bearer token.
pub fn bound(request: &Recorded, n: usize) -> Reply {
    let Some(raw) = request.header("dpop") else {
        return common::token_reply(&format!("bearer-{n}"));
    };
    let proof = Proof::parse(raw);
    let token = common::jwt(json!({"sub": APP, "n": n, "cnf": {"jkt": proof.jkt()}}));
    let body = json!({"access_token": token, "token_type": "DPoP", "expires_in": 300});
    Reply::json(200, &body.to_string())
}

/// RFC 9449 §8: the token endpoint's demand for a nonce, with one (`Some`) or without.
pub fn nonce_demand(nonce: Option<&str>) -> Reply {
    let body = r#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#;
    let reply = Reply::json(400, body);
    match nonce {
        Some(nonce) => reply.with_header("DPoP-Nonce", nonce),
        None => reply,
    }
}

/// The `cnf.jkt` of a token `bound` issued.
pub fn cnf_jkt(token: &str) -> String {
    resource_server::jwt_cnf_jkt(token).unwrap_or_else(|| panic!("no cnf.jkt in {token}"))
}

// ---------------------------------------------------------------- using the token

/// The two lines `fetch -o header --url` printed, split into the token and the proof (checked),
/// the proof shown to be for the token (`ath`).
pub fn split_header_lines(stdout: &str) -> (String, Proof) {
    let lines: Vec<&str> = stdout.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 2, "exactly two lines: {stdout:?}");
    let token = lines[0]
        .strip_prefix("Authorization: DPoP ")
        .and_then(|t| t.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{stdout:?}"));
    let proof = lines[1]
        .strip_prefix("DPoP: ")
        .and_then(|p| p.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{stdout:?}"));
    let proof = Proof::parse(proof);
    assert_eq!(proof.claims["ath"], ath(token), "{}", proof.claims);
    (token.to_owned(), proof)
}

/// `curl -sS -H @- URL` with `lines` on its stdin: (HTTP status, body).
pub fn curl(url: &str, method: &str, lines: &str) -> (String, String) {
    common::curl_available();
    // -q first: no ~/.curlrc; no proxy, whatever the environment says.
    let mut child = Command::new("curl")
        .args(["-q", "-sS", "--noproxy", "*", "-X", method, "-H", "@-"])
        .args(["-w", "\n%{http_code}", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run curl");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(lines.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8(out.stdout).unwrap();
    let (body, status) = out.rsplit_once('\n').unwrap();
    (status.to_owned(), body.to_owned())
}

// ---------------------------------------------------------------- profiles and the cache

/// Profile `app` (client_credentials, Basic) for `issuer` with DPoP on, then `extra`.
pub fn dpop_profile(env: &Env, issuer: &Issuer, extra: &str) {
    app::profile(env, &issuer.token_url(), &format!("{DPOP}{extra}"));
}

/// `oauthctl fetch ARGS` for profile `app`.
pub fn fetch(env: &Env, args: &[&str]) -> assert_cmd::Command {
    app::fetch(env.cmd(), args)
}

/// The cache directory's `dpop/`.
pub fn dpop_dir(env: &Env) -> PathBuf {
    common::cache_dir(env).join("dpop")
}

/// The files in `dpop/` whose names end with `suffix`, sorted.
pub fn dpop_files(env: &Env, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dpop_dir(env))
        .map(|dir| {
            dir.map(|e| e.unwrap().path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The one generated key, checked to be kept as DESIGN §12 says: `<64 hex>.key.pem`, mode 0600.
pub fn generated_key(env: &Env) -> PathBuf {
    let keys = dpop_files(env, ".key.pem");
    assert_eq!(keys.len(), 1, "{keys:?}");
    let name = keys[0].file_name().unwrap().to_string_lossy().into_owned();
    let hash = name.strip_suffix(".key.pem").unwrap();
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
    assert_eq!(mode(&keys[0]), 0o600, "{name}");
    keys[0].clone()
}

/// The one cache entry.
pub fn cache_entry(env: &Env) -> Value {
    let files = common::cache_files(env);
    assert_eq!(files.len(), 1, "{files:?}");
    serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).expect("a JSON entry")
}

pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------- key files made by openssl

/// `openssl ARGS` in `dir`, which must succeed: its stdout.
pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("these tests need the openssl command (.ci/run installs it)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Writes `text` to `name` in the test's HOME with `mode`.
pub fn write_file(env: &Env, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = env.home.path().join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// `openssl genpkey` of `algorithm` (with `-pkeyopt` options) into `name` in HOME, mode 0600.
pub fn genpkey(env: &Env, name: &str, algorithm: &str, options: &[&str]) -> PathBuf {
    let mut args = vec!["genpkey", "-algorithm", algorithm, "-out", name];
    for option in options {
        args.extend(["-pkeyopt", option]);
    }
    openssl(env.home.path(), &args);
    let path = env.home.path().join(name);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The public JWK of the private key in `path`, as openssl reads the file (RFC 7518 §6, RFC 8037
/// §2): what a proof signed with that key must carry.
pub fn public_jwk_by_openssl(env: &Env, path: &Path) -> Value {
    let dir = env.home.path();
    let path = path.to_str().unwrap();
    let text = openssl(dir, &["pkey", "-in", path, "-text", "-noout"]);
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    if text.starts_with("ED25519") {
        let x = hex_block(&text, "pub:");
        return json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&x)});
    }
    if text.contains("ASN1 OID: prime256v1") || text.contains("ASN1 OID: secp384r1") {
        let point = hex_block(&text, "pub:");
        assert_eq!(point[0], 4, "an uncompressed point");
        let half = (point.len() - 1) / 2;
        let crv = if half == 32 { "P-256" } else { "P-384" };
        let (x, y) = point[1..].split_at(half);
        return json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)});
    }
    assert!(text.contains("Private-Key: (2048 bit"), "{text}");
    let mut n = hex_block(&text, "modulus:");
    // The DER integer's sign byte is not part of the JWK's `n` (RFC 7518 §6.3.1.1).
    if n[0] == 0 {
        n.remove(0);
    }
    assert!(text.contains("publicExponent: 65537"), "{text}");
    json!({"kty": "RSA", "n": b64(&n), "e": "AQAB"})
}

/// The bytes of the `aa:bb:…` block after the line `label` in `openssl -text` output.
pub fn hex_block(text: &str, label: &str) -> Vec<u8> {
    let mut lines = text.lines().skip_while(|l| l.trim() != label).skip(1);
    let mut hex = String::new();
    for line in lines.by_ref() {
        let line = line.trim();
        if !line.chars().all(|c| c.is_ascii_hexdigit() || c == ':') || line.is_empty() {
            break;
        }
        hex.extend(line.chars().filter(|c| *c != ':'));
    }
    assert!(!hex.is_empty(), "no {label} in {text}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}
