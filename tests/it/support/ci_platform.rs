//! A loopback CI platform for workload identity (docs/design.md §11): an OpenID Connect issuer
//! that mints RS256 identity tokens, as GitHub Actions, a Kubernetes API server, GitLab, CircleCI
//! and Buildkite do, and GitHub Actions' request endpoint for them. ONE per test process
//! ([`ci_platform`]), because the e2e authorization server (support/idp.rs) must know its issuer
//! when it starts: the harness starts this first and passes its URL in `E2E_CI_ISSUER`.
//!
//! - `GET /.well-known/openid-configuration` → `{"issuer", "jwks_uri", …}`;
//! - `GET /jwks` → the public half of `tests/fixtures/keys/rsa-2048.key.pem` under kid
//!   [`KID`];
//! - `GET /github/token?api-version=2.0&audience=AUD` with `Authorization: Bearer <request
//!   token>` → `{"value": "<identity token with aud=AUD>"}` (without `audience`, GitHub's default
//!   `https://github.com/octo-org`); 401 without a known request token.
//!
//! Identity tokens: `iss` = [`CiPlatform::issuer`], `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`
//! (unique), and from the GitHub endpoint GitHub's own claims (`repository`, `ref`, `sha`,
//! `repository_owner`, `workflow`, `job_workflow_ref`, `run_id`, `actor`, `event_name`,
//! `runner_environment`). [`CiPlatform::mint`] mints one directly (a negative TTL gives an
//! expired one), [`CiPlatform::mint_claims`] with any claims, [`CiPlatform::mint_foreign`] one
//! signed by ANOTHER key under the same kid (a bad signature).
//!
//! GitHub jobs: every test takes a job of its own ([`CiPlatform::github_job`]), with its own
//! request token, subject, failure knobs and record of requests, so that tests running at once
//! on the one shared platform do not see each other's requests or failures. The job's
//! [`GithubJob::env`] is what a GitHub runner sets: `ACTIONS_ID_TOKEN_REQUEST_URL` (which already
//! has a query, `?api-version=2.0`, so a client appends `&audience=`) and
//! `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Map, Value, json};

use crate::support::server::{Recorded, Reply, StubServer};

/// The key that signs identity tokens, and the one [`CiPlatform::mint_foreign`] signs with.
const KEY_PEM: &str = include_str!("../../fixtures/keys/rsa-2048.key.pem");
const FOREIGN_KEY_PEM: &str = include_str!("../../fixtures/keys/rsa-3072.key.pem");
/// The `kid` of the signing key, in the JWKS and every token's header.
pub(crate) const KID: &str = "ci-platform-rs256";
/// The audience the e2e authorization server wants in an identity token it exchanges
/// (token exchange, jwt-bearer): tests/e2e/idp/README.md, "Workload identity".
pub(crate) const E2E_AUDIENCE: &str = "oauthctl-e2e";
/// The audience of the federated credential of `wi-federated`, as Microsoft Entra ID wants it.
pub(crate) const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The subject of `wi-federated`'s federated credential, and of a default GitHub job: GitHub's
/// `sub` for a workflow on the main branch.
pub(crate) const GITHUB_SUBJECT: &str = "repo:octo-org/octo-repo:ref:refs/heads/main";
/// GitHub's `aud` when the request names no audience.
pub(crate) const GITHUB_DEFAULT_AUDIENCE: &str = "https://github.com/octo-org";
/// The names a GitHub runner gives the request URL and token.
pub(crate) const REQUEST_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub(crate) const REQUEST_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// How long a token from the GitHub endpoint is valid.
pub(crate) const GITHUB_TOKEN_TTL: i64 = 300;

/// What a job's next requests get instead of a token, in order.
#[derive(Clone, Debug)]
enum Failure {
    /// This status and a JSON error body (500, 503, 403, …).
    Status(u16),
    /// Sleep this long, then answer normally.
    Slow(Duration),
}

#[derive(Default)]
struct Job {
    subject: String,
    failures: VecDeque<Failure>,
}

struct Signer {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    fn new(pem_text: &str) -> Signer {
        let block = pem::parse(pem_text).expect("fixture key PEM");
        // ring reads PKCS#8 with from_pkcs8 and PKCS#1 (the fixture's form) with from_der.
        let key = RsaKeyPair::from_pkcs8(block.contents())
            .or_else(|_| RsaKeyPair::from_der(block.contents()))
            .expect("fixture RSA key");
        Signer {
            key,
            rng: SystemRandom::new(),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                input.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signature");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn jwk(&self) -> Value {
        let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(self.key.public());
        // Big-endian without leading zeros, as RFC 7518 §6.3.1 wants.
        let b64 = |n: &[u8]| {
            let start = n.iter().position(|&b| b != 0).unwrap_or(n.len());
            URL_SAFE_NO_PAD.encode(&n[start..])
        };
        json!({
            "kty": "RSA",
            "n": b64(&public.n),
            "e": b64(&public.e),
            "alg": "RS256",
            "use": "sig",
            "kid": KID,
        })
    }
}

struct State {
    issuer: OnceLock<String>,
    signer: Signer,
    foreign: Signer,
    jobs: Mutex<HashMap<String, Job>>,
    counter: AtomicU64,
}

impl State {
    fn issuer(&self) -> &str {
        self.issuer.get().expect("issuer set at start")
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, SeqCst)
    }

    /// The standard claims for `sub`/`aud`, valid `ttl` seconds from now (expired when negative).
    fn claims(&self, sub: &str, aud: &str, ttl: i64) -> Map<String, Value> {
        let now = unix_now();
        // An expired token was also issued in the past, a lifetime before its expiry.
        let iat = if ttl > 0 { now } else { now + ttl - 300 };
        let jti = format!("ci-{}-{}", std::process::id(), self.next());
        let claims = json!({
            "iss": self.issuer(), "sub": sub, "aud": aud,
            "iat": iat, "nbf": iat, "exp": now + ttl, "jti": jti,
        });
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        claims
    }
}

/// The running platform.
pub(crate) struct CiPlatform {
    server: StubServer,
    state: Arc<State>,
}

static PLATFORM: OnceLock<CiPlatform> = OnceLock::new();

/// The shared platform, started on first use.
pub(crate) fn ci_platform() -> &'static CiPlatform {
    PLATFORM.get_or_init(CiPlatform::start)
}

fn unix_now() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH);
    i64::try_from(now.expect("clock after 1970").as_secs()).expect("time fits i64")
}

fn error(status: u16, error: &str, description: &str) -> Reply {
    let body = json!({"error": error, "error_description": description});
    Reply::json(status, &body.to_string())
}

fn bearer(request: &Recorded) -> Option<&str> {
    let (scheme, token) = request.header("authorization")?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn handle(state: &State, request: &Recorded) -> (Reply, Option<Duration>) {
    let issuer = state.issuer();
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/.well-known/openid-configuration") => {
            let body = json!({
                "issuer": issuer,
                "jwks_uri": format!("{issuer}/jwks"),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf",
                    "repository", "ref", "sha", "repository_owner", "workflow", "run_id", "actor"],
            });
            (Reply::json(200, &body.to_string()), None)
        }
        ("GET", "/jwks") => {
            let body = json!({"keys": [state.signer.jwk()]});
            (Reply::json(200, &body.to_string()), None)
        }
        ("GET", "/github/token") => github_token(state, request),
        _ => (error(404, "not_found", "no such route"), None),
    }
}

/// GitHub's request endpoint.
fn github_token(state: &State, request: &Recorded) -> (Reply, Option<Duration>) {
    let Some(token) = bearer(request) else {
        let reply = error(
            401,
            "unauthorized",
            "no Authorization: Bearer request token",
        );
        return (reply, None);
    };
    let (subject, failure) = {
        let mut jobs = state.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(job) = jobs.get_mut(token) else {
            return (error(401, "unauthorized", "unknown request token"), None);
        };
        (job.subject.clone(), job.failures.pop_front())
    };
    let mut delay = None;
    match failure {
        Some(Failure::Status(403)) => {
            let words = "Forbidden: the workflow lacks permissions: id-token: write";
            return (error(403, "forbidden", words), None);
        }
        Some(Failure::Status(status)) => {
            let words = format!("injected failure {status}");
            return (error(status, "server_error", &words), None);
        }
        Some(Failure::Slow(sleep)) => delay = Some(sleep),
        None => {}
    }
    let query = request.query_pairs();
    let audience = query.iter().rev().find(|(k, _)| k == "audience");
    let audience = audience.map_or(GITHUB_DEFAULT_AUDIENCE, |(_, v)| v.as_str());
    let mut claims = state.claims(&subject, audience, GITHUB_TOKEN_TTL);
    let run_id = state.next().to_string();
    let github = json!({
        "repository": "octo-org/octo-repo",
        "repository_owner": "octo-org",
        "ref": "refs/heads/main",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "workflow": "CI",
        "job_workflow_ref": "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
        "run_id": run_id,
        "actor": "octocat",
        "event_name": "push",
        "runner_environment": "github-hosted",
    });
    if let Value::Object(github) = github {
        claims.extend(github);
    }
    let value = state.signer.sign(&Value::Object(claims));
    let body = json!({"value": value});
    (Reply::json(200, &body.to_string()), delay)
}

impl CiPlatform {
    fn start() -> CiPlatform {
        let state = Arc::new(State {
            issuer: OnceLock::new(),
            signer: Signer::new(KEY_PEM),
            foreign: Signer::new(FOREIGN_KEY_PEM),
            jobs: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(1),
        });
        let shared = Arc::clone(&state);
        let server = StubServer::start_raw(move |request, stream| {
            let (reply, delay) = handle(&shared, request);
            if let Some(delay) = delay {
                thread::sleep(delay);
            }
            // A client that gave up (a timeout test) is not the platform's failure.
            let _ = reply.write_to(stream);
        });
        let _ = state.issuer.set(server.url(""));
        println!("ci platform: issuer {}", server.url(""));
        CiPlatform { server, state }
    }

    /// `http://127.0.0.1:PORT`: every identity token's `iss`.
    pub(crate) fn issuer(&self) -> String {
        self.state.issuer().to_owned()
    }

    pub(crate) fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.issuer())
    }

    /// An identity token for `sub` and `aud`, valid `ttl_secs` from now; with a negative TTL it
    /// expired that long ago (and was issued 300 s before that).
    pub(crate) fn mint(&self, sub: &str, aud: &str, ttl_secs: i64) -> String {
        let claims = self.state.claims(sub, aud, ttl_secs);
        self.state.signer.sign(&Value::Object(claims))
    }

    /// [`mint`](Self::mint) with `extra` merged over the claims (a `null` removes one), e.g.
    /// `json!({"repository": "octo-org/other", "aud": ["a", "b"]})`.
    pub(crate) fn mint_claims(&self, sub: &str, aud: &str, ttl_secs: i64, extra: Value) -> String {
        let mut claims = self.state.claims(sub, aud, ttl_secs);
        if let Value::Object(extra) = extra {
            for (name, value) in extra {
                match value {
                    Value::Null => claims.remove(&name),
                    value => claims.insert(name, value),
                };
            }
        }
        self.state.signer.sign(&Value::Object(claims))
    }

    /// Like [`mint`](Self::mint), but signed by another RSA key (tests/fixtures/keys/
    /// rsa-3072.key.pem) under the platform's kid: its signature does not verify with the JWKS.
    pub(crate) fn mint_foreign(&self, sub: &str, aud: &str, ttl_secs: i64) -> String {
        let claims = self.state.claims(sub, aud, ttl_secs);
        self.state.foreign.sign(&Value::Object(claims))
    }

    /// A GitHub Actions job of the test's own, whose tokens have `sub` = [`GITHUB_SUBJECT`].
    pub(crate) fn github_job(&self) -> GithubJob<'_> {
        self.github_job_for(GITHUB_SUBJECT)
    }

    /// A GitHub Actions job whose tokens have this `sub`.
    pub(crate) fn github_job_for(&self, subject: &str) -> GithubJob<'_> {
        let n = self.state.next();
        let token = format!("ghs-request-{}-{n}-{}", std::process::id(), unix_now());
        let job = Job {
            subject: subject.to_owned(),
            failures: VecDeque::new(),
        };
        let mut jobs = self.state.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.insert(token.clone(), job);
        GithubJob {
            platform: self,
            request_token: token,
        }
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_URL`, the same for every job: `…/github/token?api-version=2.0`.
    pub(crate) fn request_url(&self) -> String {
        self.server.url("/github/token?api-version=2.0")
    }

    /// Every request the platform received, every job's and the JWKS fetches included.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }
}

/// A GitHub Actions job: its request token and what its requests get.
pub(crate) struct GithubJob<'a> {
    platform: &'a CiPlatform,
    request_token: String,
}

impl GithubJob<'_> {
    pub(crate) fn request_url(&self) -> String {
        self.platform.request_url()
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: the job's own, a secret to mask.
    pub(crate) fn request_token(&self) -> &str {
        &self.request_token
    }

    /// The two variables a GitHub runner sets for a job with `permissions: id-token: write`.
    pub(crate) fn env(&self) -> [(&'static str, String); 2] {
        [
            (REQUEST_URL_VAR, self.request_url()),
            (REQUEST_TOKEN_VAR, self.request_token.clone()),
        ]
    }

    fn push(&self, failure: Failure, count: u32) {
        let mut jobs = self
            .platform
            .state
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let job = jobs.get_mut(&self.request_token).expect("job registered");
        job.failures.extend((0..count).map(|_| failure.clone()));
    }

    /// The next `count` requests are answered `status` (500, 503, …; 403 gets GitHub's
    /// "permissions: id-token: write" words) with a JSON error body, in place of a token.
    /// Failures queue up in the order armed.
    pub(crate) fn fail_next(&self, status: u16, count: u32) {
        self.push(Failure::Status(status), count);
    }

    /// The next `count` requests are answered 403, as GitHub refuses a job without the
    /// permission.
    pub(crate) fn forbid_next(&self, count: u32) {
        self.fail_next(403, count);
    }

    /// The next `count` requests are answered normally, after `delay`.
    pub(crate) fn delay_next(&self, delay: Duration, count: u32) {
        self.push(Failure::Slow(delay), count);
    }

    /// Every request to the GitHub endpoint that carried this job's request token, in order.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        let requests = self.platform.requests().into_iter();
        requests
            .filter(|r| r.path == "/github/token" && bearer(r) == Some(self.request_token.as_str()))
            .collect()
    }
}
