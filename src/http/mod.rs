//! The one HTTP client (DESIGN §6): ureq with rustls, a connect timeout and a whole-request
//! deadline, no redirects, a 1 MiB body cap, plain http only to loopback, and a `--verbose` trace
//! with every secret redacted.

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use ureq::http::Uri;

use crate::error::{Error, Result};
use crate::untrusted::printable;

mod trace;
pub use trace::{
    Trace, redact_body, redact_form, redact_header, redact_url, redact_url_from_server,
};

/// Response bodies larger than this are refused (DESIGN §6).
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Connecting (TCP + TLS + proxy) never takes longer than this, whatever the deadline.
const MAX_CONNECT: Duration = Duration::from_secs(10);
/// A form field on its way out; a secret one's value never reaches the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

/// A request's method: a form POST (token, revocation, …), or a GET (a CI platform's identity
/// token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Get,
}

/// A request on its way out.
#[derive(Debug)]
pub struct FormPost {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Empty: the request has no body at all (e.g. grant parameters in the query).
    pub form: Vec<FormField>,
}

/// What came back, read in full (up to the cap).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
    /// The `Cache-Control` header, as sent (metadata caching).
    pub cache_control: Option<String>,
    /// The `DPoP-Nonce` header, as sent (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
    pub body: Vec<u8>,
    /// How many requests it took (1 unless retried).
    pub attempts: u32,
}

/// The host part of a URL, for messages.
pub fn host_of(url: &str) -> String {
    url.parse::<Uri>()
        .ok()
        .and_then(|u| u.authority().map(|a| a.to_string()))
        .map(|a| a.rsplit('@').next().unwrap_or_default().to_string())
        .unwrap_or_else(|| url.to_string())
}

/// Checks an endpoint URL (token, issuer, revocation, …): https anywhere, plain http only to
/// loopback (SECURITY 15).
pub fn check_url(url: &str, what: &str) -> Result<()> {
    let uri: Uri = url.parse().map_err(|e| {
        Error::Config(format!(
            "{what} `{}` is not a valid URL: {e}",
            printable(url, 200)
        ))
    })?;
    // RFC 6749 §3.2: the token endpoint URI must not include a fragment (and grant parameters
    // appended after one would never be sent).
    if url.contains('#') {
        return Err(Error::Config(format!(
            "{what} `{}` has a #fragment, which a token endpoint URL must not have",
            printable(url, 200)
        )));
    }
    let host = uri
        .host()
        .ok_or_else(|| Error::Config(format!("{what} `{}` has no host", printable(url, 200))))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(Error::Config(format!(
            "{what} `{}` uses plain http to a non-loopback host; use https (http is allowed only for 127.0.0.1, ::1 and localhost)",
            printable(url, 200)
        ))),
        _ => Err(Error::Config(format!(
            "{what} `{}` must be an https URL",
            printable(url, 200)
        ))),
    }
}

/// 127.0.0.0/8, ::1 (also as the IPv4-mapped `::ffff:127.x.y.z`) and `localhost`.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// HTTP statuses after which a token request is sent again: timeouts, rate limits and the
/// transient server errors (RFC 9110 §15.5.9, §15.6; RFC 6585 §4). Any other 4xx is final: an OAuth
/// error (`invalid_client`, `invalid_grant`, …) will not change by asking again (SECURITY 20).
const RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// A status that says "not now" rather than "no": worth asking again, and never a refusal.
pub fn is_transient(status: u16) -> bool {
    RETRY_STATUSES.contains(&status)
}
/// Backoff before retry n (1-based) is drawn from [0, BACKOFF_BASE × 2^(n-1)], capped.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(8);

/// Whether a failed token request may be sent again (DESIGN §6, SECURITY 18–20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Never: an authorization code is single-use (RFC 6749 §4.1.2), so a second try can only
    /// fail, or worse, make the server revoke what the first one obtained.
    Never,
    /// After a retryable status, or when the request cannot have reached the server (the
    /// connection was never made). Not after a connection broke once the request was out: a
    /// rotating refresh token may already be spent, and presenting it again looks like token
    /// theft to the server, which then revokes the whole grant (RFC 9700 §4.14.2).
    IfUnsent,
    /// Also after the connection broke before a whole response arrived: asking again for a
    /// client_credentials token (RFC 6749 §4.4) changes nothing at the server.
    Always,
}

/// How often, and for how long in total, to try again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub resend: Resend,
    /// Attempts after the first one.
    pub retries: u32,
    /// The most time spent waiting between attempts, `Retry-After` included.
    pub max_wait: Duration,
}

/// How far a failed attempt got, which decides whether it may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// No connection was made: the server saw nothing.
    Unsent,
    /// The connection broke after the request may have gone out, before the whole response came.
    Interrupted,
    /// Repeating cannot help: the deadline is spent, TLS failed, the body is too large, …
    Final,
}

/// A transport failure, and how far the attempt got.
struct Failure {
    error: Error,
    reach: Reach,
}

/// The agents, configured once per run.
pub struct Transport {
    /// Connects directly: every loopback request, and every request when no proxy is set.
    direct: ureq::Agent,
    /// Through the proxy from `ALL_PROXY` / `HTTPS_PROXY` / `HTTP_PROXY`, when one is set.
    proxied: Option<(ureq::Agent, ureq::Proxy)>,
    /// The deadline for a whole token request, retries and waits included (SECURITY 17).
    timeout: Duration,
}

/// A client certificate chain (leaf first, DER) and its private key, presented in every TLS
/// handshake (RFC 8705 §2).
pub struct ClientIdentity {
    pub chain: Vec<Vec<u8>>,
    pub key: ClientKeyDer,
    /// The certificate file, for messages.
    pub shown: String,
}

/// A private key's DER, in the form it was read.
pub enum ClientKeyDer {
    Pkcs8(Vec<u8>),
    Pkcs1(Vec<u8>),
    Sec1(Vec<u8>),
}

impl Transport {
    pub fn new(
        timeout: Duration,
        ca_file: Option<&Path>,
        identity: Option<&ClientIdentity>,
    ) -> Result<Transport> {
        let mut tls = tls_with_roots(ca_file)?;
        if let Some(identity) = identity {
            tls = tls.client_cert(Some(client_cert(identity)?));
        }
        let tls = tls.build();
        let agent = |proxy: Option<ureq::Proxy>| -> ureq::Agent {
            ureq::Agent::config_builder()
                .proxy(proxy)
                .timeout_global(Some(timeout))
                .timeout_connect(Some(connect_budget(timeout)))
                .http_status_as_error(false)
                // Never follow: a redirected token request would carry the credentials to a host
                // the user did not configure (SECURITY 16); the 3xx comes back and is reported.
                .max_redirects(0)
                .user_agent(concat!("oauthctl/", env!("CARGO_PKG_VERSION")))
                .tls_config(tls.clone())
                .build()
                .into()
        };
        // ureq would read the same variables itself (and use the proxy for every request);
        // reading them here lets loopback bypass it and `-v` say which requests take it.
        let proxied = ureq::Proxy::try_from_env().map(|proxy| (agent(Some(proxy.clone())), proxy));
        Ok(Transport {
            direct: agent(None),
            proxied,
            timeout,
        })
    }

    /// The agent for `url`, and the proxy it goes through. A loopback destination is always
    /// connected to directly (DESIGN §6, SECURITY 47): a remote proxy would reach its own
    /// loopback, and the request, credentials and all, would cross the network in clear. So
    /// are the hosts `NO_PROXY` names.
    fn route(&self, url: &str) -> (&ureq::Agent, Option<&ureq::Proxy>) {
        let Some((agent, proxy)) = &self.proxied else {
            return (&self.direct, None);
        };
        let bypass = url.parse::<Uri>().map_or(true, |uri| {
            uri.host().is_none_or(is_loopback) || proxy.is_no_proxy(&uri)
        });
        if bypass {
            (&self.direct, None)
        } else {
            (agent, Some(proxy))
        }
    }

    /// POSTs a form (or nothing, when the form is empty) to `url` and reads the whole answer,
    /// trying again as `retry` allows. `request` makes the request for each attempt (1-based),
    /// given the answer to the one before when there was one: a retry is a new request, so that
    /// what must never be sent twice (a signed client assertion's `jti`, RFC 7523 §3; a DPoP
    /// proof's) is made anew, and may use what that answer said (a DPoP nonce, RFC 9449 §8.2); an
    /// error from it ends the run before that attempt. A
    /// retryable status that outlives the retries is returned as a response (with its attempt
    /// count) for the caller to report.
    pub fn post_form(
        &self,
        url: &str,
        request: &mut dyn FnMut(u32, Option<&Response>) -> Result<FormPost>,
        trace: &Trace,
        retry: RetryPolicy,
    ) -> Result<Response> {
        let deadline = Instant::now() + self.timeout;
        let host = host_of(url);
        // One note across the retries; dropped (and erased) before the outcome is reported.
        let progress = crate::progress::Progress::for_request(url, trace);
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        let mut previous: Option<Response> = None;
        loop {
            let post = request(attempt, previous.as_ref())?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let outcome = self.post_once(&post, trace, remaining, attempt);
            let (why, asked) = match &outcome {
                Ok(response) if is_transient(response.status) => (
                    format!("HTTP {}", response.status),
                    response.retry_after.as_deref().and_then(retry_after),
                ),
                Err(failure) if may_resend(retry.resend, failure.reach) => {
                    let why = match failure.reach {
                        Reach::Unsent => "a failed connection attempt",
                        _ => "a broken connection",
                    };
                    (why.to_string(), None)
                }
                _ => return finished(outcome, attempt),
            };
            if retry.resend == Resend::Never || attempt > retry.retries {
                return finished(outcome, attempt);
            }
            let budget = retry.max_wait.saturating_sub(waited);
            let left = deadline.saturating_duration_since(Instant::now());
            let delay = match asked {
                // RFC 9110 §10.2.3: the server said when; asking sooner is pointless, and waiting
                // beyond what the user allowed is not an option, so stop here and say why.
                Some(asked) if asked > budget || asked >= left => {
                    let limit = if asked > budget {
                        format!("beyond retry_max_secs ({}s)", retry.max_wait.as_secs())
                    } else {
                        format!("beyond the {}s deadline", self.timeout.as_secs())
                    };
                    return Err(Error::unreachable(format!(
                        "{host} answered {why} and asked to retry after {}s, {limit}; giving up after {attempt} attempt{}",
                        asked.as_secs_f64().ceil(),
                        if attempt == 1 { "" } else { "s" }
                    )));
                }
                Some(asked) => asked,
                None => backoff(attempt).min(budget).min(left),
            };
            if left.is_zero() {
                return finished(outcome, attempt);
            }
            trace.line(&format!(
                "retrying in {:.1}s after {why} (attempt {} of {})",
                delay.as_secs_f64(),
                attempt + 1,
                retry.retries + 1
            ));
            progress.retrying(attempt + 1, retry.retries + 1);
            std::thread::sleep(delay);
            waited += delay;
            previous = outcome.ok();
            attempt += 1;
        }
    }

    fn post_once(
        &self,
        request: &FormPost,
        trace: &Trace,
        remaining: Duration,
        attempt: u32,
    ) -> std::result::Result<Response, Failure> {
        let url = request.url.as_str();
        let verb = match request.method {
            Method::Post => "POST",
            Method::Get => "GET",
        };
        trace.line(&format!("> {verb} {}", redact_url(url, trace.secret_names)));
        self.trace_proxy(url, trace);
        let agent = self.route(url).0;
        // The attempt's own deadline, then the request's headers, whatever the method.
        fn prepared<B>(
            builder: ureq::RequestBuilder<B>,
            request: &FormPost,
            remaining: Duration,
            trace: &Trace,
        ) -> ureq::RequestBuilder<B> {
            let mut builder = builder
                .config()
                .timeout_global(Some(remaining))
                .timeout_connect(Some(connect_budget(remaining)))
                .build();
            for (name, value) in &request.headers {
                trace.line(&format!("> {name}: {}", redact_header(name, value)));
                builder = builder.header(name.as_str(), value.as_str());
            }
            builder
        }
        let result = match request.method {
            Method::Get => prepared(agent.get(url), request, remaining, trace).call(),
            Method::Post => {
                let builder = prepared(agent.post(url), request, remaining, trace);
                if request.form.is_empty() {
                    trace.line("> (no body)");
                    builder.send_empty()
                } else {
                    trace.line("> Content-Type: application/x-www-form-urlencoded");
                    trace.line(&format!("> {}", redact_form(&request.form)));
                    builder.send_form(
                        request
                            .form
                            .iter()
                            .map(|f| (f.name.as_str(), f.value.as_str())),
                    )
                }
            }
        };
        self.finish(result, url, trace, attempt)
    }

    /// GETs a JSON document (discovery).
    pub fn get(&self, url: &str, trace: &Trace) -> Result<Response> {
        let _progress = crate::progress::Progress::for_request(url, trace);
        trace.line(&format!("> GET {}", redact_url(url, trace.secret_names)));
        self.trace_proxy(url, trace);
        let result = self
            .route(url)
            .0
            .get(url)
            .header("Accept", "application/json")
            .call();
        self.finish(result, url, trace, 1).map_err(|f| f.error)
    }

    /// Names the proxy a request goes through, never its credentials (SECURITY 22).
    fn trace_proxy(&self, url: &str, trace: &Trace) {
        let Some(proxy) = self.route(url).1 else {
            return;
        };
        trace.line(&format!(
            "> (through the proxy {}:{}{})",
            proxy.host(),
            proxy.port(),
            if proxy.username().is_some() {
                ", with credentials (not shown)"
            } else {
                ""
            }
        ));
    }

    fn finish(
        &self,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        url: &str,
        trace: &Trace,
        attempts: u32,
    ) -> std::result::Result<Response, Failure> {
        let mut response = result.map_err(|e| self.transport_error(e, url, Phase::Response))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type");
        let location = header("location");
        let retry_after = header("retry-after");
        let cache_control = header("cache-control");
        let dpop_nonce = header("dpop-nonce");
        trace.line(&format!(
            "< HTTP {status}{}",
            content_type
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ));
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| self.transport_error(e, url, Phase::Body))?;
        trace.line(&format!("< {}", redact_body(&body, trace.secret_names)));
        Ok(Response {
            status,
            content_type,
            location,
            retry_after,
            cache_control,
            dpop_nonce,
            body,
            attempts,
        })
    }

    fn transport_error(&self, error: ureq::Error, url: &str, phase: Phase) -> Failure {
        use std::io::ErrorKind;
        let host = &host_of(url);
        // Connecting means connecting to the proxy when there is one: name it (never its URI,
        // which carries the credentials).
        let proxy = self
            .route(url)
            .1
            .map(|p| format!("the proxy {}:{}", p.host(), p.port()));
        let peer = match &proxy {
            Some(proxy) => format!("{proxy} (for {host})"),
            None => host.clone(),
        };
        // ureq hands rustls' verdicts over as I/O errors.
        let tls = match &error {
            ureq::Error::Io(e) => e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned(),
            _ => None,
        };
        if let Some(tls) = tls {
            let hint = match tls {
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
                    "; if the server uses a private CA, trust it with ca_file (--ca-file)"
                }
                _ => "",
            };
            return Failure {
                error: Error::unreachable(format!("TLS error with {host}: {tls}{hint}")),
                reach: Reach::Final,
            };
        }
        let (reach, message) = match error {
            ureq::Error::Timeout(timeout) => {
                let doing = match (timeout, phase) {
                    (ureq::Timeout::Resolve | ureq::Timeout::Connect, _) => {
                        format!("connecting to {peer}")
                    }
                    (ureq::Timeout::SendRequest | ureq::Timeout::SendBody, _) => {
                        format!("sending to {host}")
                    }
                    (ureq::Timeout::RecvBody, _) | (_, Phase::Body) => {
                        format!("reading the response body from {host}")
                    }
                    // The global deadline firing before the response: connecting has its own,
                    // shorter, budget (`connect_budget`), so it was the wait for the response.
                    _ => format!("waiting for the response from {host}"),
                };
                (
                    Reach::Final,
                    format!(
                        "timed out {doing}: no complete answer within the {}s deadline (timeout_secs, --timeout)",
                        self.timeout.as_secs()
                    ),
                )
            }
            ureq::Error::HostNotFound => (Reach::Final, format!("cannot resolve host {host}")),
            ureq::Error::ConnectionFailed => (Reach::Unsent, format!("cannot connect to {peer}")),
            ureq::Error::ConnectProxyFailed(why) => (
                Reach::Final,
                format!(
                    "{} refused the tunnel to {host}: {}",
                    proxy.as_deref().unwrap_or("the proxy"),
                    printable(&why, 200)
                ),
            ),
            ureq::Error::BodyExceedsLimit(_) => (
                Reach::Final,
                format!("the response from {host} is larger than 1 MiB; refusing to read it"),
            ),
            ureq::Error::Io(e) if e.kind() == ErrorKind::ConnectionRefused => (
                Reach::Unsent,
                format!("cannot connect to {peer}: connection refused"),
            ),
            ureq::Error::Io(e) => {
                let reach = match e.kind() {
                    ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::BrokenPipe => Reach::Interrupted,
                    _ => Reach::Final,
                };
                (reach, format!("connection to {host} failed: {e}"))
            }
            ureq::Error::Tls(e) => (Reach::Final, format!("TLS error with {host}: {e}")),
            ureq::Error::Rustls(e) => (Reach::Final, format!("TLS error with {host}: {e}")),
            ureq::Error::Pem(e) => (Reach::Final, format!("TLS error with {host}: {e}")),
            other => (Reach::Final, format!("request to {host} failed: {other}")),
        };
        Failure {
            error: Error::unreachable(message),
            reach,
        }
    }
}

/// Where a transport error happened, for its message.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Response,
    Body,
}

/// Connecting (TCP, proxy, TLS) gets at most `MAX_CONNECT`, and always less than the whole
/// deadline, so that a timeout can say which phase was too slow.
fn connect_budget(deadline: Duration) -> Duration {
    MAX_CONNECT.min(deadline.mul_f64(0.9))
}

fn may_resend(resend: Resend, reach: Reach) -> bool {
    match (resend, reach) {
        (_, Reach::Final) | (Resend::Never, _) => false,
        (Resend::IfUnsent, Reach::Interrupted) => false,
        (Resend::IfUnsent, Reach::Unsent) | (Resend::Always, _) => true,
    }
}

/// The last outcome, with the number of attempts in its message when there was more than one.
fn finished(outcome: std::result::Result<Response, Failure>, attempts: u32) -> Result<Response> {
    outcome.map_err(|failure| match failure.error {
        Error::Unreachable { message, status } if attempts > 1 => Error::Unreachable {
            message: format!("{message} (gave up after {attempts} attempts)"),
            status,
        },
        other => other,
    })
}

/// Full jitter (a uniform draw from [0, base × 2^(n-1)], capped): parallel CI jobs that failed
/// together do not all come back at the same moment.
fn backoff(attempt: u32) -> Duration {
    use std::hash::BuildHasher;
    let ceiling = BACKOFF_BASE
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    // Jitter needs no cryptographic randomness; std's randomly keyed hasher is enough.
    let draw = std::collections::hash_map::RandomState::new().hash_one(attempt);
    ceiling.mul_f64((draw >> 11) as f64 / (1u64 << 53) as f64)
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as a wait from now. A value
/// too large to represent is taken as a very long wait; one that is neither form is ignored.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// TLS through ring (rustls' provider, which `verify/signature.rs` also uses) trusting Mozilla's roots, plus
/// the ones in `ca_file`: it adds trust, it does not replace it. Both cases use the same list, the
/// certificates of webpki-root-certs, so the binary carries one copy of Mozilla's roots: ureq's
/// default (its `rustls` feature) would add webpki-roots, the same list in another form.
fn tls_with_roots(ca_file: Option<&Path>) -> Result<ureq::tls::TlsConfigBuilder> {
    let extra = match ca_file {
        Some(path) => roots_in(path)?,
        None => Vec::new(),
    };
    let roots = bundled_roots().chain(extra).collect::<Vec<_>>();
    Ok(ureq::tls::TlsConfig::builder()
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .root_certs(roots.into()))
}

/// ureq's client certificate, checked first as rustls will take it when ureq connects: ureq
/// `expect`s a pair rustls refuses, so a key it cannot use, or one that is not the certificate's,
/// would be a panic there and is a config error here.
fn client_cert(identity: &ClientIdentity) -> Result<ureq::tls::ClientCert> {
    use rustls::pki_types::{
        CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
    };
    // ureq takes a key as DER only with a kind it does not export: as PEM, its label says it.
    let (label, der) = match &identity.key {
        ClientKeyDer::Pkcs8(der) => ("PRIVATE KEY", der),
        ClientKeyDer::Pkcs1(der) => ("RSA PRIVATE KEY", der),
        ClientKeyDer::Sec1(der) => ("EC PRIVATE KEY", der),
    };
    let pem = key_pem(label, der);
    let key_der: PrivateKeyDer<'_> = match &identity.key {
        ClientKeyDer::Pkcs8(der) => PrivatePkcs8KeyDer::from(der.as_slice()).into(),
        ClientKeyDer::Pkcs1(der) => PrivatePkcs1KeyDer::from(der.as_slice()).into(),
        ClientKeyDer::Sec1(der) => PrivateSec1KeyDer::from(der.as_slice()).into(),
    };
    let chain: Vec<CertificateDer<'static>> = identity
        .chain
        .iter()
        .map(|der| CertificateDer::from(der.clone()))
        .collect();
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Internal(format!("TLS versions: {e}")))?
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_client_auth_cert(chain, key_der.clone_key())
    .map_err(|e| {
        Error::Config(format!(
            "{} cannot be used for mutual TLS with its private key: {e}",
            identity.shown
        ))
    })?;
    let certs: Vec<ureq::tls::Certificate<'static>> = identity
        .chain
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
        .collect();
    let key = ureq::tls::PrivateKey::from_pem(pem.as_bytes())
        .map_err(|e| Error::Config(format!("{}: its private key: {e}", identity.shown)))?;
    Ok(ureq::tls::ClientCert::new_with_certs(&certs, key))
}

/// A PEM block of a private key's DER.
fn key_pem(label: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, der.to_vec()))
}

fn bundled_roots() -> impl Iterator<Item = ureq::tls::Certificate<'static>> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()))
}

/// The certificates in a `ca_file`; at least one.
fn roots_in(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>> {
    let pem = crate::files::read_capped(path, MAX_BODY_BYTES)
        .map_err(|e| Error::Config(format!("cannot read ca_file `{}`: {e}", path.display())))?;
    let mut extra = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => extra.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::Config(format!(
                    "ca_file `{}` is not valid PEM: {e}",
                    path.display()
                )));
            }
        }
    }
    if extra.is_empty() {
        return Err(Error::Config(format!(
            "ca_file `{}` holds no certificate",
            path.display()
        )));
    }
    Ok(extra)
}

#[cfg(test)]
mod tests;
