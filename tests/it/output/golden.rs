//! Golden files of what every command prints, so that reshaping the output code (one file per
//! result, JSON from `Serialize` views) can be checked byte for byte.
//!
//! Each case runs the real binary against one loopback stub and compares a stream with
//! `tests/golden/<case>`: stdout for a result, stderr for a note or a failure. Before comparing,
//! `Case::normalise` replaces what differs from run to run and nothing else: the stub's port, the
//! temporary HOME, cache keys, and times that depend on the clock (see its comments). Everything
//! else (field names, order, nesting, types, null against absent, whitespace, the final newline)
//! must match exactly. The inputs are fixed wherever they can be: fixed tokens and claims, times
//! far from now (2001 and 2099), and `TZ=UTC`.
//!
//! `OAUTHCTL_UPDATE_GOLDEN=1 cargo test --test it golden` rewrites the files from today's binary
//! instead of comparing; review the diff before committing it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::common::{Env, jwt, now};
use crate::support::server::{Recorded, Reply, StubServer};

const UPDATE_VAR: &str = "OAUTHCTL_UPDATE_GOLDEN";
const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys");
/// tests/fixtures/keys/jwks_and_tokens.py's test-only HMAC secret.
const HMAC_SECRET: &str = "test-only HMAC secret, 64 bytes long, for oauthctl's unit tests!";

/// Every golden file under tests/golden/, one per case. A case whose name is missing here fails,
/// and so does a file that no case writes (`every_golden_file_belongs_to_a_case`).
const CASES: &[&str] = &[
    // fetch (client_credentials) in every format, fresh and from the cache
    "fetch.json",
    "fetch-cached.json",
    "fetch.txt",
    "fetch-header.txt",
    "fetch-env.txt",
    "fetch-exec-credential.json",
    "fetch-exec-credential-v1beta1.json",
    "fetch-no-expiry.json",
    "fetch-no-expiry-env.txt",
    "fetch-no-expiry-exec-credential.json",
    // exchange-code and login
    "exchange-code.json",
    "exchange-code.txt",
    "login-device.json",
    "login-device-instructions.txt",
    "login-device.txt",
    // --dry-run
    "fetch-dry-run.txt",
    "fetch-dry-run.json",
    "exchange-code-dry-run.txt",
    "exchange-code-dry-run.json",
    // inspect
    "inspect.txt",
    "inspect.json",
    "inspect-local-time.txt",
    "inspect-no-exp.txt",
    "inspect-no-exp.json",
    "inspect-expired.txt",
    "inspect-expired.json",
    "inspect-not-yet-valid.txt",
    "inspect-not-yet-valid.json",
    "inspect-unknown.txt",
    "inspect-unknown.json",
    "inspect-verify-secret.txt",
    "inspect-verify-secret.json",
    "inspect-verify-jwks.txt",
    "inspect-verify-jwks.json",
    "inspect-verify-failed.txt",
    "inspect-verify-failed.json",
    // introspect and revoke
    "introspect.txt",
    "introspect.json",
    "introspect-inactive.txt",
    "introspect-inactive.json",
    "revoke-cached.txt",
    "revoke-cached.json",
    "revoke-nothing.txt",
    "revoke-nothing.json",
    "revoke-token.txt",
    "revoke-token.json",
    // profiles
    "profiles-list.txt",
    "profiles-list.json",
    "profiles-list-empty.txt",
    "profiles-list-empty.json",
    "profiles-show.txt",
    "profiles-show.json",
    "profiles-show-env.txt",
    "profiles-show-env.json",
    "profiles-path.txt",
    "profiles-path.json",
    "profiles-add.txt",
    "profiles-add.json",
    "profiles-remove.txt",
    "profiles-remove.json",
    // cache
    "cache-list.txt",
    "cache-list.json",
    "cache-list-empty.txt",
    "cache-list-empty-note.txt",
    "cache-list-empty.json",
    "cache-clear.txt",
    "cache-clear.json",
    // keys (of the fixture keys: a new key is new every time)
    "keys-public.txt",
    "keys-public.json",
    // one error of each class, in text and as the JSON object on stderr
    "error-usage.txt",
    "error-usage.json",
    "error-refused.txt",
    "error-refused.json",
    "error-unreachable.txt",
    "error-unreachable.json",
    "error-bad-token.txt",
    "error-bad-token.json",
    "error-login-required.txt",
    "error-login-required.json",
    "error-config.txt",
    "error-config.json",
    // errors the output side raises itself
    "error-header-not-bearer.txt",
    "error-exec-credential-dpop.txt",
    "error-env-malformed-token-type.txt",
    "error-view-format.txt",
];

// ---------------------------------------------------------------- fixed inputs

/// 2001-01-01T00:00:00Z: `iat` and `nbf`, long past.
const IAT: i64 = 978_307_200;
/// `auth_time`, a minute after `iat`.
const AUTH_TIME: i64 = IAT + 60;
/// 2001-09-09T01:46:40Z: the `exp` of an expired token.
const EXPIRED: i64 = 1_000_000_000;
/// 2099-01-01T00:00:00Z: `exp`, far ahead.
const EXP: i64 = 4_070_908_800;
/// 2099-01-02T00:00:00Z: the `exp` of a token not valid before `EXP`.
const LATER: i64 = EXP + 86_400;
/// Every fixed instant above: only how far each is from now changes between runs.
const INSTANTS: [i64; 5] = [IAT, AUTH_TIME, EXPIRED, EXP, LATER];

/// The tokens' `expires_in` (client_credentials, and the user's): `expires_at` is the clock at
/// the answer plus one of them.
const CC_TTL: i64 = 300;
const USER_TTL: i64 = 3600;
const LIFETIMES: [i64; 2] = [CC_TTL, USER_TTL];
/// The device code's `expires_in`, which no output shows.
const DEVICE_TTL: i64 = 600;

const APP_SECRET: &str = "app-secret";
const WEB_SECRET: &str = "web-secret";
/// A token `introspect` is told is not active.
const INACTIVE: &str = "inactive-token";

/// A provider's answer written by hand, so the number `1e2`, the null and the nested members
/// reach oauthctl as a provider would send them.
const CC_TOKEN: &str = r#"{"access_token":"at-golden-cc","token_type":"Bearer","expires_in":300,"scope":"read write","vendor":{"n":1e2,"list":[1,"two",null,true]},"nothing":null}"#;
const CC_TOKEN_NO_EXPIRY: &str =
    r#"{"access_token":"at-golden-eternal","token_type":"bearer","issued_token_type":"urn:x"}"#;

fn user_tokens() -> String {
    let id_token = jwt(json!({
        "iss": "https://login.example.com", "sub": "alice", "aud": "web", "iat": IAT, "exp": EXP,
    }));
    json!({
        "access_token": "at-golden-user",
        "token_type": "Bearer",
        "expires_in": USER_TTL,
        "refresh_token": "rt-golden-user",
        "id_token": id_token,
        "scope": "openid offline_access",
    })
    .to_string()
}

/// The RFC 7662 answer, members out of the text view's order and of every JSON type.
fn introspection() -> String {
    json!({
        "active": true,
        "jti": "6f1c-golden",
        "exp": EXP,
        "iat": IAT,
        "client_id": "ci-deploy",
        "scope": "orders:read orders:write",
        "sub": "ci-deploy",
        "aud": ["https://api.example.com", "https://other.example"],
        "iss": "https://login.example.com",
        "token_type": "Bearer",
        "username": "ci",
        "nbf": IAT,
        "ext": {"tenant": "acme", "tier": null},
        "ratio": 0.5,
    })
    .to_string()
}

/// One authorization server for every case; anything it does not expect fails the test.
fn idp() -> StubServer {
    StubServer::start(|r: &Recorded| match r.path.as_str() {
        "/token" => match r.form_value("grant_type").as_deref() {
            Some("client_credentials") => Reply::json(200, CC_TOKEN),
            _ => Reply::json(200, &user_tokens()),
        },
        "/token/no-expiry" => Reply::json(200, CC_TOKEN_NO_EXPIRY),
        "/token/dpop" => Reply::json(
            200,
            r#"{"access_token":"at-golden-dpop","token_type":"DPoP","expires_in":300}"#,
        ),
        "/token/malformed-type" => Reply::json(
            200,
            r#"{"access_token":"at-golden-odd","token_type":"Bearer x","expires_in":300}"#,
        ),
        "/token/refused" => Reply::json(
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        ),
        "/token/unavailable" => Reply::new(
            503,
            "text/html",
            "<html><head><title>Down for maintenance</title></head><body>back soon</body></html>",
        ),
        "/device" => Reply::json(
            200,
            &json!({
                "device_code": "DEVICE-CODE-SECRET",
                "user_code": "WDJB-MJHT",
                "verification_uri": "https://idp.example/device",
                "verification_uri_complete": "https://idp.example/device?user_code=WDJB-MJHT",
                "expires_in": DEVICE_TTL,
                "interval": 1,
            })
            .to_string(),
        ),
        "/revoke" => Reply::new(200, "text/plain", ""),
        "/introspect" if r.form_value("token").as_deref() == Some(INACTIVE) => {
            Reply::json(200, r#"{"active":false}"#)
        }
        "/introspect" => Reply::json(200, &introspection()),
        other => panic!("the golden stub was not meant to get {} {other}", r.method),
    })
}

/// `app` (client_credentials, the default), `web` (a user's, with revocation and introspection)
/// and `tv` (device flow), all on `server`.
fn config(server: &StubServer) -> String {
    format!(
        r#"default_profile = "app"

[profiles.app]
token_url = "{token}"
client_id = "app"
client_secret_env = "APP_SECRET"
scope = "read write"
audience = "https://api.example.com"
params = {{ tenant = "acme" }}
headers = {{ "X-Api-Key" = "k-golden", "X-Trace" = "golden" }}
retries = 0
retry_max_secs = 0

[profiles.web]
token_url = "{token}"
client_id = "web"
client_secret_env = "WEB_SECRET"
grant = "authorization_code"
redirect_uri = "https://app.example/callback"
revocation_url = "{revoke}"
introspection_url = "{introspect}"

[profiles.tv]
grant = "device_code"
device_authorization_url = "{device}"
token_url = "{token}"
client_id = "tv-app"
auth_method = "none"
scope = "openid offline_access"
"#,
        token = server.url("/token"),
        revoke = server.url("/revoke"),
        introspect = server.url("/introspect"),
        device = server.url("/device"),
    )
}

/// A token signed here with HS256 under `HMAC_SECRET` (no `kid`).
fn hs256(claims: Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, HMAC_SECRET.as_bytes());
    let mac = URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, input.as_bytes()));
    format!("{input}.{mac}")
}

/// A token signed here with RS256 under the fixture key `rs-1` of tests/fixtures/keys/jwks.json.
/// PKCS#1 v1.5 signatures are deterministic, so the token is the same on every run.
fn rs256(claims: Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"rs-1"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let pem = std::fs::read_to_string(format!("{KEYS}/rsa-2048.key.pem")).unwrap();
    let der = pem::parse(pem).unwrap();
    let key = ring::signature::RsaKeyPair::from_der(der.contents()).unwrap();
    let mut signature = vec![0; key.public().modulus_len()];
    let rng = ring::rand::SystemRandom::new();
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &rng,
        input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn claims() -> Value {
    json!({
        "iss": "https://login.example.com",
        "sub": "alice",
        "aud": ["api", "https://other.example"],
        "iat": IAT,
        "nbf": IAT,
        "auth_time": AUTH_TIME,
        "exp": EXP,
        "scope": "read write",
        "nested": {"a": [1, 2, {"b": null}]},
        "ratio": 0.5,
        "admin": false,
    })
}

// ---------------------------------------------------------------- a case and its golden files

/// One hermetic HOME with the `idp` stub and its config, the golden files it checks, and what its
/// normaliser needs to know.
struct Case {
    env: Env,
    server: StubServer,
    /// Before the first command: the clock of every command run here is at or after it.
    started: i64,
    /// The cache keys (entry file names) seen after any command so far.
    keys: BTreeSet<String>,
    mismatches: Vec<String>,
}

/// How a command ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Case {
    fn new() -> Case {
        let started = now();
        let server = idp();
        let env = Env::new();
        env.write_config(&config(&server));
        Case {
            env,
            server,
            started,
            keys: BTreeSet::new(),
            mismatches: Vec::new(),
        }
    }

    /// `oauthctl ARGS` with the profiles' secrets and a fixed time zone.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.env.cmd();
        cmd.args(args)
            .env("TZ", "UTC")
            .env("APP_SECRET", APP_SECRET)
            .env("WEB_SECRET", WEB_SECRET)
            .env("HMAC_KEY", HMAC_SECRET);
        cmd
    }

    fn run(&mut self, mut cmd: Command) -> Run {
        let output = cmd.output().expect("run oauthctl");
        let run = Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        };
        let dir = self.env.home.path().join(".cache/oauthctl");
        for entry in std::fs::read_dir(dir).into_iter().flatten() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(key) = name.strip_suffix(".json")
                && key.len() == 64
                && key.bytes().all(|b| b.is_ascii_hexdigit())
            {
                self.keys.insert(key.to_owned());
            }
        }
        run
    }

    /// Runs a command that must succeed quietly, for preparing a case.
    fn prepare(&mut self, args: &[&str]) {
        let run = self.run(self.cmd(args));
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
    }

    /// A success: `name` is its stdout, and stderr is empty.
    fn ok(&mut self, name: &str, cmd: Command) {
        let run = self.run(cmd);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{name}: stderr");
        self.compare(name, &run.stdout);
    }

    /// A success that prints its result on stdout (`name`) and a note on stderr (`note`).
    fn ok_noted(&mut self, name: &str, note: &str, cmd: Command) {
        let run = self.run(cmd);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        self.compare(name, &run.stdout);
        self.compare(note, &run.stderr);
    }

    /// A success whose only output is a note on stderr (`name`); stdout is empty.
    fn note(&mut self, name: &str, cmd: Command) {
        let run = self.run(cmd);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{name}: stdout");
        self.compare(name, &run.stderr);
    }

    /// A failure with exit `code`: `name` is its stderr, and stdout is empty (DESIGN §4).
    fn fails(&mut self, name: &str, code: i32, cmd: Command) {
        let run = self.run(cmd);
        assert_eq!(run.code, Some(code), "{name}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{name}: stdout");
        self.compare(name, &run.stderr);
    }

    fn compare(&mut self, name: &str, output: &str) {
        claim(name);
        let actual = self.normalise(output);
        let path = golden_dir().join(name);
        if updating() {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &actual).unwrap();
            // The comparison is then of the file with itself: say so, so that a run with the
            // variable left set is not mistaken for a check.
            eprintln!(
                "{UPDATE_VAR} is set: wrote {} (not compared)",
                path.display()
            );
            return;
        }
        match std::fs::read_to_string(&path) {
            Ok(golden) if golden == actual => {}
            Ok(golden) => self.mismatches.push(difference(name, &golden, &actual)),
            Err(e) => self.mismatches.push(format!(
                "cannot read {}: {e}; write it with `{UPDATE_VAR}=1 cargo test --test it golden`",
                path.display()
            )),
        }
    }

    /// Replaces what differs between runs, and only that, with fixed placeholders.
    fn normalise(&self, text: &str) -> String {
        let end = now();
        // The temporary HOME (config path, cache directory) differs on every run.
        let home = self.env.home.path().to_str().expect("HOME is UTF-8");
        let mut text = text.replace(home, "HOME");
        // The stub listens on a free port: in URLs, hosts and messages.
        let addr = self.server.addr().to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{addr}");
        text = text.replace(&addr, "127.0.0.1:PORT");
        // A cache key hashes the token URL (with its port) and an HMAC of the secret under a
        // random key made per cache: the full key in JSON, its first 12 characters in text (a
        // placeholder of the same width, so the columns stay as they are).
        for key in &self.keys {
            text = text.replace(key.as_str(), "KEY");
        }
        for key in &self.keys {
            text = text.replace(&key[..12], "KEY_________");
        }
        // `expires_at` is the clock at the token response plus `expires_in`: as a number (JSON,
        // `-o env`) and as RFC 3339 (`expirationTimestamp`).
        for lifetime in LIFETIMES {
            for at in self.started + lifetime..=end + lifetime {
                text = text.replace(&at.to_string(), "EXPIRES_AT");
                text = text.replace(&rfc3339(at), "EXPIRES_AT_UTC");
            }
        }
        // How far an instant is from now ("in 73y 12d", "24y 51d ago", "valid for 4m 59s"):
        // every span the clock may have given for the fixed instants and for the `expires_at`
        // above, longest first so that none is replaced in part.
        let mut spans = BTreeSet::new();
        for now in self.started..=end {
            for at in INSTANTS {
                spans.insert(span(at.abs_diff(now)));
            }
            for lifetime in LIFETIMES {
                for issued in self.started..=now {
                    spans.insert(span((issued + lifetime).abs_diff(now)));
                }
            }
        }
        let mut spans: Vec<String> = spans.into_iter().collect();
        spans.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in &spans {
            // `cache list` pads its EXPIRES column to 24 characters.
            text = text.replace(
                &format!("{:<24}", format!("in {s}")),
                &format!("{:<24}", "in SPAN"),
            );
            text = text.replace(&format!("in {s}"), "in SPAN");
            text = text.replace(&format!("{s} ago"), "SPAN ago");
            text = text.replace(&format!("for {s} "), "for SPAN ");
        }
        text
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        if !self.mismatches.is_empty() && !std::thread::panicking() {
            panic!(
                "{} golden file(s) differ:\n\n{}\n\nIf the change is intended, rewrite them with \
                 `{UPDATE_VAR}=1 cargo test --test it golden` and review the diff.",
                self.mismatches.len(),
                self.mismatches.join("\n\n")
            );
        }
    }
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn updating() -> bool {
    std::env::var_os(UPDATE_VAR).is_some()
}

/// Each case name is listed in `CASES` and used once in this run, so two cases never write the
/// same file.
fn claim(name: &str) {
    static USED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    assert!(CASES.contains(&name), "add {name} to CASES");
    let fresh = USED.lock().unwrap().insert(name.to_owned());
    assert!(fresh, "two cases write {name}");
}

/// The first line that differs, then both versions whole. Lines keep their `\n`, so a missing
/// or extra final newline shows.
fn difference(name: &str, golden: &str, actual: &str) -> String {
    let golden_lines: Vec<&str> = golden.split_inclusive('\n').collect();
    let actual_lines: Vec<&str> = actual.split_inclusive('\n').collect();
    let at = (0..)
        .find(|&i| golden_lines.get(i) != actual_lines.get(i))
        .expect("the texts differ");
    format!(
        "tests/golden/{name} differs from the output at line {}:\n  golden: {:?}\n  output: {:?}\n\
         --- golden\n{golden}\n--- output (normalised)\n{actual}\n---",
        at + 1,
        golden_lines.get(at).copied().unwrap_or("(end of file)"),
        actual_lines.get(at).copied().unwrap_or("(end of output)"),
    )
}

// ---------------------------------------------------------------- the normaliser's own clock
// Written here rather than taken from oauthctl::timefmt: were the program's rendering of a time
// to change, the normaliser must not change with it and hide the difference.

/// `2021-12-27T07:12:08Z` (years 0 to 9999; Howard Hinnant's days-to-civil algorithm).
fn rfc3339(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A duration in its two largest units, as oauthctl writes it: `4m 59s`, `3h`, `73y 12d`.
fn span(secs: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (365 * 86_400, "y"),
        (86_400, "d"),
        (3600, "h"),
        (60, "m"),
        (1, "s"),
    ];
    let Some(first) = UNITS.iter().position(|(size, _)| secs >= *size) else {
        return "0s".to_string();
    };
    let (size, unit) = UNITS[first];
    let mut text = format!("{}{unit}", secs / size);
    if let Some((next, unit)) = UNITS.get(first + 1)
        && secs % size / next > 0
    {
        text.push_str(&format!(" {}{unit}", secs % size / next));
    }
    text
}

#[test]
fn the_normalisers_clock_reads_as_oauthctl_writes() {
    assert_eq!(rfc3339(IAT), "2001-01-01T00:00:00Z");
    assert_eq!(rfc3339(EXP), "2099-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_640_589_128), "2021-12-27T07:12:08Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(span(299), "4m 59s");
    assert_eq!(span(300), "5m");
    assert_eq!(span(3 * 3600 + 59), "3h");
    assert_eq!(span(2 * 86_400 + 5 * 3600 + 7), "2d 5h");
    assert_eq!(span(0), "0s");
}

/// Every file under tests/golden/ is a case's: a renamed or dropped case leaves none behind.
#[test]
fn every_golden_file_belongs_to_a_case() {
    let cases: BTreeSet<&str> = CASES.iter().copied().collect();
    assert_eq!(cases.len(), CASES.len(), "CASES names a file twice");
    let files: BTreeSet<String> = std::fs::read_dir(golden_dir())
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let stale: Vec<&String> = files
        .iter()
        .filter(|f| !cases.contains(f.as_str()))
        .collect();
    if updating() {
        for file in &stale {
            std::fs::remove_file(golden_dir().join(file)).unwrap();
        }
        return;
    }
    assert!(
        stale.is_empty(),
        "tests/golden/ holds files no case writes: {stale:?}"
    );
    let missing: Vec<&&str> = CASES.iter().filter(|c| !files.contains(**c)).collect();
    assert!(
        missing.is_empty(),
        "no golden file for {missing:?}: write them with `{UPDATE_VAR}=1 cargo test --test it golden`"
    );
}

// ---------------------------------------------------------------- the cases

#[test]
fn fetch_in_every_format() {
    let mut case = Case::new();
    case.ok("fetch.json", case.cmd(&["fetch", "-o", "json"]));
    case.ok("fetch-cached.json", case.cmd(&["fetch", "-o", "json"]));
    case.ok("fetch.txt", case.cmd(&["fetch"]));
    case.ok("fetch-header.txt", case.cmd(&["fetch", "-o", "header"]));
    case.ok("fetch-env.txt", case.cmd(&["fetch", "-o", "env"]));
    case.ok(
        "fetch-exec-credential.json",
        case.cmd(&["fetch", "-o", "exec-credential"]),
    );
    let mut v1beta1 = case.cmd(&["fetch", "-o", "exec-credential"]);
    v1beta1.env(
        "KUBERNETES_EXEC_INFO",
        r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}"#,
    );
    case.ok("fetch-exec-credential-v1beta1.json", v1beta1);
    assert_eq!(
        case.server.request_count(),
        1,
        "one token request, then the cache"
    );
}

#[test]
fn fetch_of_a_token_without_expiry() {
    // Not cached (nothing says when it expires), so `expires_at` is null and each run asks.
    let mut case = Case::new();
    let token_url = case.server.url("/token/no-expiry");
    let fetch = |format: &str| case.cmd(&["fetch", "--token-url", &token_url, "-o", format]);
    let (json, env, exec) = (fetch("json"), fetch("env"), fetch("exec-credential"));
    case.ok("fetch-no-expiry.json", json);
    case.ok("fetch-no-expiry-env.txt", env);
    case.ok("fetch-no-expiry-exec-credential.json", exec);
}

#[test]
fn exchange_code() {
    let mut case = Case::new();
    case.ok(
        "exchange-code.json",
        case.cmd(&["-p", "web", "exchange-code", "-o", "json", "the-code"]),
    );
    case.ok(
        "exchange-code.txt",
        case.cmd(&["-p", "web", "exchange-code", "--no-cache", "the-code"]),
    );
}

/// The device flow (RFC 8628): the stub approves at the first poll, a second after the
/// authorization (the least interval oauthctl waits).
#[test]
fn login_with_the_device_flow_json() {
    let mut case = Case::new();
    case.ok_noted(
        "login-device.json",
        "login-device-instructions.txt",
        case.cmd(&["-p", "tv", "-o", "json", "login", "--device"]),
    );
}

#[test]
fn login_with_the_device_flow_text() {
    let mut case = Case::new();
    case.note(
        "login-device.txt",
        case.cmd(&["-p", "tv", "login", "--device"]),
    );
}

#[test]
fn dry_run() {
    let mut case = Case::new();
    case.ok("fetch-dry-run.txt", case.cmd(&["fetch", "--dry-run"]));
    case.ok(
        "fetch-dry-run.json",
        case.cmd(&["fetch", "--dry-run", "-o", "json"]),
    );
    let exchange = |format: &str| {
        let mut cmd = case.cmd(&[
            "-p",
            "web",
            "-o",
            format,
            "exchange-code",
            "--dry-run",
            "the-code",
        ]);
        cmd.env(
            "OAUTHCTL_CODE_VERIFIER",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        );
        cmd
    };
    let (text, json) = (exchange("text"), exchange("json"));
    case.ok("exchange-code-dry-run.txt", text);
    case.ok("exchange-code-dry-run.json", json);
}

#[test]
fn inspect_unverified() {
    let mut case = Case::new();
    let token = jwt(claims());
    case.ok("inspect.txt", case.cmd(&["inspect", &token]));
    case.ok("inspect.json", case.cmd(&["inspect", "-o", "json", &token]));
    // A fixed offset without daylight saving (POSIX TZ: one hour east of UTC), so no tz database
    // is needed: the text view adds the local time.
    let mut local = case.cmd(&["inspect", &token]);
    local.env("TZ", "CET-1");
    case.ok("inspect-local-time.txt", local);
    let tokens = [
        ("no-exp", json!({"sub": "alice", "iat": IAT})),
        (
            "expired",
            json!({"sub": "alice", "iat": IAT, "exp": EXPIRED}),
        ),
        (
            "not-yet-valid",
            json!({"sub": "alice", "nbf": EXP, "exp": LATER}),
        ),
        (
            "unknown",
            json!({"sub": "alice", "iat": IAT, "exp": "soon"}),
        ),
    ];
    for (name, claims) in tokens {
        let token = jwt(claims);
        case.ok(
            &format!("inspect-{name}.txt"),
            case.cmd(&["inspect", &token]),
        );
        case.ok(
            &format!("inspect-{name}.json"),
            case.cmd(&["inspect", "-o", "json", &token]),
        );
    }
}

#[test]
fn inspect_verified() {
    let mut case = Case::new();
    let token = hs256(claims());
    let by_secret = |format: &str| {
        case.cmd(&[
            "inspect",
            "-o",
            format,
            "--secret-env",
            "HMAC_KEY",
            "--iss",
            "https://login.example.com",
            "--aud",
            "api",
            &token,
        ])
    };
    let (text, json) = (by_secret("text"), by_secret("json"));
    case.ok("inspect-verify-secret.txt", text);
    case.ok("inspect-verify-secret.json", json);

    // Relative to the fixtures, so the key source shows the same on every checkout.
    let token = rs256(claims());
    let by_jwks = |format: &str| {
        let mut cmd = case.cmd(&[
            "inspect",
            "-o",
            format,
            "--jwks",
            "jwks.json",
            "--aud",
            "api",
            &token,
        ]);
        cmd.current_dir(KEYS);
        cmd
    };
    let (text, json) = (by_jwks("text"), by_jwks("json"));
    case.ok("inspect-verify-jwks.txt", text);
    case.ok("inspect-verify-jwks.json", json);

    // A good signature, a wrong issuer and (the default profile `app` expects its audience) a
    // wrong audience: exit 5, and each check on stderr.
    let token = hs256(claims());
    let wrong_issuer = |format: &str| {
        case.cmd(&[
            "inspect",
            "-o",
            format,
            "--secret-env",
            "HMAC_KEY",
            "--iss",
            "https://other.example",
            &token,
        ])
    };
    let (text, json) = (wrong_issuer("text"), wrong_issuer("json"));
    case.fails("inspect-verify-failed.txt", 5, text);
    case.fails("inspect-verify-failed.json", 5, json);
}

#[test]
fn introspect() {
    let mut case = Case::new();
    case.ok(
        "introspect.txt",
        case.cmd(&["-p", "web", "introspect", "some-token"]),
    );
    case.ok(
        "introspect.json",
        case.cmd(&["-p", "web", "-o", "json", "introspect", "some-token"]),
    );
    case.ok(
        "introspect-inactive.txt",
        case.cmd(&["-p", "web", "introspect", INACTIVE]),
    );
    case.ok(
        "introspect-inactive.json",
        case.cmd(&["-p", "web", "-o", "json", "introspect", INACTIVE]),
    );
}

#[test]
fn revoke() {
    let mut case = Case::new();
    case.prepare(&["-p", "web", "exchange-code", "the-code"]);
    case.note("revoke-cached.txt", case.cmd(&["-p", "web", "revoke"]));
    case.prepare(&["-p", "web", "exchange-code", "the-code"]);
    case.ok(
        "revoke-cached.json",
        case.cmd(&["-p", "web", "-o", "json", "revoke"]),
    );
    case.note("revoke-nothing.txt", case.cmd(&["-p", "web", "revoke"]));
    case.ok(
        "revoke-nothing.json",
        case.cmd(&["-p", "web", "-o", "json", "revoke"]),
    );
    let hinted = ["--token-type-hint", "access_token", "other-token"];
    let mut text = case.cmd(&["-p", "web", "revoke"]);
    text.args(hinted);
    case.note("revoke-token.txt", text);
    let mut json = case.cmd(&["-p", "web", "-o", "json", "revoke"]);
    json.args(hinted);
    case.ok("revoke-token.json", json);
}

#[test]
fn profiles() {
    let mut case = Case::new();
    case.ok("profiles-list.txt", case.cmd(&["profiles", "list"]));
    case.ok(
        "profiles-list.json",
        case.cmd(&["-o", "json", "profiles", "list"]),
    );
    case.ok("profiles-show.txt", case.cmd(&["profiles", "show", "app"]));
    case.ok(
        "profiles-show.json",
        case.cmd(&["-o", "json", "profiles", "show", "app"]),
    );
    // Values from the environment, and a secret that overrides the profile's source.
    let from_env = |args: &[&str]| {
        let mut cmd = case.cmd(args);
        cmd.env("OAUTHCTL_SCOPE", "openid email")
            .env("OAUTHCTL_TIMEOUT_SECS", "5")
            .env("OAUTHCTL_CLIENT_SECRET", "from-the-env");
        cmd
    };
    let (text, json) = (
        from_env(&["profiles", "show", "web"]),
        from_env(&["-o", "json", "profiles", "show", "web"]),
    );
    case.ok("profiles-show-env.txt", text);
    case.ok("profiles-show-env.json", json);
    case.ok("profiles-path.txt", case.cmd(&["profiles", "path"]));
    case.ok(
        "profiles-path.json",
        case.cmd(&["-o", "json", "profiles", "path"]),
    );
    let add = |format: &str, name: &str, extra: &[&str]| {
        let mut cmd = case.cmd(&["-o", format, "profiles", "add", name]);
        cmd.args([
            "--token-url",
            "https://idp.example/token",
            "--client-id",
            name,
            "--client-secret-env",
            "NEW_SECRET",
        ])
        .args(extra);
        cmd
    };
    let (text, json) = (
        add("text", "new-default", &["--default", "--scope", "read"]),
        add("json", "new-other", &[]),
    );
    case.ok("profiles-add.txt", text);
    case.ok("profiles-add.json", json);
    case.ok(
        "profiles-remove.txt",
        case.cmd(&["profiles", "remove", "new-default"]),
    );
    case.ok(
        "profiles-remove.json",
        case.cmd(&["-o", "json", "profiles", "remove", "new-other"]),
    );

    let mut empty = Case::new();
    std::fs::remove_file(empty.env.config_path()).unwrap();
    empty.note("profiles-list-empty.txt", empty.cmd(&["profiles", "list"]));
    empty.ok(
        "profiles-list-empty.json",
        empty.cmd(&["-o", "json", "profiles", "list"]),
    );
}

#[test]
fn cache() {
    let mut case = Case::new();
    case.ok_noted(
        "cache-list-empty.txt",
        "cache-list-empty-note.txt",
        case.cmd(&["cache", "list"]),
    );
    case.ok(
        "cache-list-empty.json",
        case.cmd(&["-o", "json", "cache", "list"]),
    );
    let fill = |case: &mut Case| {
        case.prepare(&["fetch"]);
        case.prepare(&["-p", "web", "exchange-code", "the-code"]);
    };
    fill(&mut case);
    case.ok("cache-list.txt", case.cmd(&["cache", "list"]));
    case.ok(
        "cache-list.json",
        case.cmd(&["-o", "json", "cache", "list"]),
    );
    case.ok("cache-clear.txt", case.cmd(&["cache", "clear"]));
    fill(&mut case);
    case.ok(
        "cache-clear.json",
        case.cmd(&["-o", "json", "cache", "clear"]),
    );
}

#[test]
fn keys_public() {
    let mut case = Case::new();
    let copy = |name: &str| {
        let path = case.env.home.path().join(name);
        std::fs::copy(Path::new(KEYS).join(name), &path).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        path.display().to_string()
    };
    let (ec, rsa) = (copy("ec-p256.key.pem"), copy("rsa-2048.key.pem"));
    case.ok("keys-public.txt", case.cmd(&["keys", "public", &ec]));
    case.ok(
        "keys-public.json",
        case.cmd(&["-o", "json", "keys", "public", "--alg", "PS256", &rsa]),
    );
}

/// One error of each class, in text and as the `-o json` object on stderr. The usage error is
/// one oauthctl reports itself: clap's own parse errors stay plain text (DESIGN §4).
#[test]
fn errors_of_every_class() {
    let mut case = Case::new();
    let refused = case.server.url("/token/refused");
    let unavailable = case.server.url("/token/unavailable");
    let errors: [(&str, i32, Vec<&str>); 6] = [
        // Nothing to introspect: no token, an empty stdin, no -p.
        ("usage", 2, vec!["introspect"]),
        ("refused", 3, vec!["fetch", "--token-url", &refused]),
        ("unreachable", 4, vec!["fetch", "--token-url", &unavailable]),
        ("bad-token", 5, vec!["inspect", "not-a-jwt"]),
        ("login-required", 6, vec!["-p", "web", "fetch"]),
        ("config", 78, vec!["-p", "missing", "fetch"]),
    ];
    for (class, code, args) in errors {
        case.fails(&format!("error-{class}.txt"), code, case.cmd(&args));
        let mut json = case.cmd(&["-o", "json"]);
        json.args(&args);
        case.fails(&format!("error-{class}.json"), code, json);
    }
}

/// The errors the output code raises itself: the formats that print a token byte for byte refuse
/// one they cannot carry. Their error is text, as the format is not `json` (which prints any
/// token, so has no such error).
#[test]
fn errors_of_the_token_formats() {
    let mut case = Case::new();
    let dpop = case.server.url("/token/dpop");
    let malformed = case.server.url("/token/malformed-type");
    let fetch = |url: &str, format: &str| {
        case.cmd(&["fetch", "--no-cache", "--token-url", url, "-o", format])
    };
    let to_kubectl = fetch(&dpop, "exec-credential");
    let cases = [
        ("error-header-not-bearer.txt", fetch(&dpop, "header")),
        (
            "error-env-malformed-token-type.txt",
            fetch(&malformed, "env"),
        ),
    ];
    for (name, cmd) in cases {
        case.fails(name, 4, cmd);
    }
    // A DPoP token cannot go to kubectl at all, which sends it as Bearer without a proof: a
    // usage error (DESIGN §12).
    case.fails("error-exec-credential-dpop.txt", 2, to_kubectl);
    // And the commands that print no token refuse those formats (a usage error, in text too).
    case.fails(
        "error-view-format.txt",
        2,
        case.cmd(&["-o", "header", "inspect", "x.y.z"]),
    );
}
