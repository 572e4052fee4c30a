//! The one HTTP client (DESIGN §6): ureq with rustls, a connect timeout and a whole-request
//! deadline, no redirects, a 1 MiB body cap, plain http only to loopback, and a `--verbose` trace
//! with every secret redacted.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ureq::http::Uri;

use crate::error::{Error, Result};
use crate::untrusted::printable;

/// Response bodies larger than this are refused (DESIGN §6).
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Connecting (TCP + TLS + proxy) never takes longer than this, whatever the deadline.
const MAX_CONNECT: Duration = Duration::from_secs(10);
/// Form and query fields whose values are secrets.
pub const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "id_token",
    "client_assertion",
    "assertion",
    "password",
    "device_code",
    "subject_token",
    "actor_token",
];

/// A request on its way out.
#[derive(Debug)]
pub struct FormPost<'a> {
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    /// Empty: the request has no body at all (e.g. grant parameters in the query).
    pub form: &'a [(String, String)],
}

/// What came back, read in full (up to the cap).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// Writes the request/response trace on stderr when `-v` is on, masking secrets.
#[derive(Debug, Default)]
pub struct Trace {
    pub enabled: bool,
    /// Raw secret values to mask wherever they appear, in raw and form-encoded form.
    masks: Vec<String>,
}

impl Trace {
    pub fn new(enabled: bool) -> Trace {
        Trace {
            enabled,
            masks: Vec::new(),
        }
    }

    /// Remembers a secret value so that no trace line can show it.
    pub fn mask(&mut self, secret: &str) {
        if secret.len() >= 4 {
            self.masks.push(secret.to_string());
            let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            if encoded != secret {
                self.masks.push(encoded);
            }
        }
    }

    /// Remembers the credentials of a Basic header (their base64 form is the secret there).
    pub fn mask_authorization(&mut self, value: &str) {
        if let Some((_, credentials)) = value.split_once(' ') {
            self.masks.push(credentials.trim().to_string());
        }
    }

    /// `text` with every remembered secret replaced by `***`. Used on trace lines and on every
    /// error message built from what a server said (a server may echo the request back).
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for mask in &self.masks {
            text = text.replace(mask.as_str(), "***");
        }
        text
    }

    pub fn line(&self, text: &str) {
        if self.enabled {
            eprintln!("oauthctl: {}", self.scrub(&printable(text, 4096)));
        }
    }
}

/// The host part of a URL, for messages.
pub fn host_of(url: &str) -> String {
    url.parse::<Uri>()
        .ok()
        .and_then(|u| u.authority().map(|a| a.to_string()))
        .map(|a| a.rsplit('@').next().unwrap_or_default().to_string())
        .unwrap_or_else(|| url.to_string())
}

/// Checks a token-endpoint URL: https anywhere, plain http only to loopback (SECURITY 15).
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

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The agent, configured once per run.
pub struct Transport {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Transport {
    pub fn new(timeout: Duration, ca_file: Option<&Path>) -> Result<Transport> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(path) = ca_file {
            tls = tls.root_certs(roots_with(path)?);
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(MAX_CONNECT)))
            .http_status_as_error(false)
            // Never follow: a redirected token request would carry the credentials to a host
            // the user did not configure (SECURITY 16); the 3xx comes back and is reported.
            .max_redirects(0)
            .user_agent(concat!("oauthctl/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build()
            .into();
        Ok(Transport { agent, timeout })
    }

    /// POSTs a form (or nothing, when the form is empty) and reads the whole answer.
    pub fn post_form(&self, request: &FormPost<'_>, trace: &Trace) -> Result<Response> {
        trace.line(&format!("> POST {}", redact_url(request.url)));
        let mut builder = self.agent.post(request.url);
        for (name, value) in request.headers {
            trace.line(&format!("> {name}: {}", redact_header(name, value)));
            builder = builder.header(name.as_str(), value.as_str());
        }
        let result = if request.form.is_empty() {
            trace.line("> (no body)");
            builder.send_empty()
        } else {
            trace.line("> Content-Type: application/x-www-form-urlencoded");
            trace.line(&format!("> {}", redact_form(request.form)));
            builder.send_form(request.form.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        };
        self.finish(result, request.url, trace)
    }

    /// GETs a JSON document (discovery).
    pub fn get(&self, url: &str, trace: &Trace) -> Result<Response> {
        trace.line(&format!("> GET {}", redact_url(url)));
        let result = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call();
        self.finish(result, url, trace)
    }

    fn finish(
        &self,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        url: &str,
        trace: &Trace,
    ) -> Result<Response> {
        let host = host_of(url);
        let mut response = result.map_err(|e| self.transport_error(e, &host))?;
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
            .map_err(|e| self.transport_error(e, &host))?;
        trace.line(&format!("< {}", redact_body(&body)));
        Ok(Response {
            status,
            content_type,
            location,
            body,
        })
    }

    fn transport_error(&self, error: ureq::Error, host: &str) -> Error {
        let message = match error {
            ureq::Error::Timeout(phase) => {
                format!(
                    "no answer from {host} within {}s (timed out: {phase})",
                    self.timeout.as_secs()
                )
            }
            ureq::Error::HostNotFound => format!("cannot resolve host {host}"),
            ureq::Error::ConnectionFailed => format!("cannot connect to {host}"),
            ureq::Error::BodyExceedsLimit(_) => {
                format!("the response from {host} is larger than 1 MiB; refusing to read it")
            }
            ureq::Error::Io(e) => format!("connection to {host} failed: {e}"),
            ureq::Error::Tls(e) => format!("TLS error with {host}: {e}"),
            ureq::Error::Rustls(e) => format!("TLS error with {host}: {e}"),
            ureq::Error::Pem(e) => format!("TLS error with {host}: {e}"),
            other => format!("request to {host} failed: {other}"),
        };
        Error::unreachable(message)
    }
}

/// Mozilla's roots plus the ones in `path`: `ca_file` adds trust, it does not replace it.
fn roots_with(path: &Path) -> Result<ureq::tls::RootCerts> {
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
    let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()));
    Ok(bundled.chain(extra).collect::<Vec<_>>().into())
}

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.contains(&name)
}

fn redact_pairs(pairs: impl Iterator<Item = (String, String)>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(&k, if is_secret_field(&k) { "***" } else { &v });
    }
    out.finish()
}

pub fn redact_form(form: &[(String, String)]) -> String {
    redact_pairs(form.iter().cloned())
}

pub fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => {
            let pairs = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()));
            format!("{base}?{}", redact_pairs(pairs))
        }
        None => url.to_string(),
    }
}

pub fn redact_header(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "authorization" || lower == "proxy-authorization" {
        let scheme = value.split_whitespace().next().unwrap_or("");
        return format!("{scheme} ***");
    }
    let sensitive = ["cookie", "token", "secret", "key", "auth", "password"];
    if sensitive.iter().any(|s| lower.contains(s)) {
        "***".to_string()
    } else {
        value.to_string()
    }
}

/// A response body for the trace: JSON with token fields masked at any depth, or only the size of
/// anything else.
pub fn redact_body(body: &[u8]) -> String {
    fn redact(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if is_secret_field(&key.to_ascii_lowercase()) {
                        *v = serde_json::Value::String("***".into());
                    } else {
                        redact(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value @ serde_json::Value::Object(_)) => {
            redact(&mut value);
            value.to_string()
        }
        _ if body.is_empty() => "(empty body)".to_string(),
        // Not JSON: no field to find the token in, so show only its size.
        _ => format!("({} bytes, not a JSON object)", body.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let form = vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".to_string(), "the-code".to_string()),
            ("client_secret".to_string(), "s3".to_string()),
        ];
        assert_eq!(
            redact_form(&form),
            "grant_type=authorization_code&code=***&client_secret=***"
        );
        assert_eq!(
            redact_url("https://x/t?grant_type=a&code=zz"),
            "https://x/t?grant_type=a&code=***"
        );
        assert_eq!(redact_header("Authorization", "Basic YWJj"), "Basic ***");
        assert_eq!(redact_header("X-Api-Key", "k"), "***");
        assert_eq!(
            redact_header("Accept", "application/json"),
            "application/json"
        );
        let body = redact_body(br#"{"access_token":"at","refresh_token":"rt","expires_in":3}"#);
        assert_eq!(
            body,
            r#"{"access_token":"***","refresh_token":"***","expires_in":3}"#
        );
        assert_eq!(
            redact_body(b"<html>at</html>"),
            "(15 bytes, not a JSON object)"
        );
        let nested =
            redact_body(br#"{"data":{"Access_Token":"n1","list":[{"id_token":"n2"}]},"ok":1}"#);
        assert_eq!(
            nested,
            r#"{"data":{"Access_Token":"***","list":[{"id_token":"***"}]},"ok":1}"#
        );
    }

    #[test]
    fn masks_cover_raw_and_form_encoded_values() {
        let mut trace = Trace::new(false);
        trace.mask("a+b/c=");
        assert_eq!(
            trace.masks,
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
}
