//! The `-v` trace of every exchange with a server, and the redaction it and every message built
//! from a server's answer rely on: secret form fields, query parameters, JSON members, headers and
//! credentials in URLs are masked, and so is every secret value a request carried, wherever a
//! server echoes it (SECURITY 38).

use super::FormField;
use crate::untrusted::printable;

/// The request/response trace of `-v`, shown through the run's sink with secrets masked.
pub struct Trace {
    pub enabled: bool,
    /// Where trace lines (and the progress note of a slow request) go.
    sink: crate::sink::Shared,
    /// Raw secret values to mask wherever they appear, in raw and form-encoded form. Added to as
    /// requests are made, retries included (each may carry a new client assertion).
    pub(super) masks: std::cell::RefCell<Vec<String>>,
    /// The protocol's names of secret query parameters and JSON members, whose values are masked
    /// in URLs and answers (`oauth::SECRET_NAMES`).
    pub(super) secret_names: &'static [&'static str],
}

impl Trace {
    pub fn new(
        enabled: bool,
        secret_names: &'static [&'static str],
        sink: crate::sink::Shared,
    ) -> Trace {
        Trace {
            enabled,
            sink,
            masks: Default::default(),
            secret_names,
        }
    }

    /// A trace that shows nothing, not even a progress note: for parsing a server's answer
    /// outside a run.
    pub fn off(secret_names: &'static [&'static str]) -> Trace {
        Trace::new(false, secret_names, crate::sink::silent())
    }

    /// The sink this trace shows its lines through.
    pub fn sink(&self) -> &crate::sink::Shared {
        &self.sink
    }

    /// Remembers a secret value so that no trace line can show it.
    pub fn mask(&self, secret: &str) {
        if secret.len() >= 4 {
            let mut masks = self.masks.borrow_mut();
            masks.push(secret.to_string());
            let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            if encoded != secret {
                masks.push(encoded);
            }
        }
    }

    /// Remembers the credentials of a Basic header (their base64 form is the secret there).
    pub fn mask_authorization(&self, value: &str) {
        if let Some((_, credentials)) = value.split_once(' ') {
            self.masks.borrow_mut().push(credentials.trim().to_string());
        }
    }

    /// `text` with every remembered secret replaced by `***`. Used on trace lines and on every
    /// error message built from what a server said (a server may echo the request back).
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for mask in self.masks.borrow().iter() {
            text = text.replace(mask.as_str(), "***");
        }
        text
    }

    /// Shows one trace line (with `-v`), every remembered secret masked and the rest escaped.
    pub fn line(&self, text: &str) {
        if self.enabled {
            self.sink
                .line(&format!("oauthctl: {}", printable(&self.scrub(text), 4096)));
        }
    }
}

/// A form with the values of secret fields masked.
pub fn redact_form(form: &[FormField]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for field in form {
        out.append_pair(&field.name, if field.secret { "***" } else { &field.value });
    }
    out.finish()
}

/// `url` with the values of query fields named in `secret_names` masked, and any
/// `user:password@` too.
pub fn redact_url(url: &str, secret_names: &[&str]) -> String {
    let url = redact_userinfo(url);
    match url.split_once('?') {
        Some((base, query)) => {
            let mut out = form_urlencoded::Serializer::new(String::new());
            for (k, v) in form_urlencoded::parse(query.as_bytes()) {
                let secret = secret_names.contains(&k.as_ref());
                out.append_pair(&k, if secret { "***" } else { &v });
            }
            format!("{base}?{}", out.finish())
        }
        None => url,
    }
}

/// A URL a server sent (a redirect's Location): its query keeps only the names, since a server may
/// echo what it received there in any encoding, past every mask; any fragment is dropped.
pub fn redact_url_from_server(url: &str) -> String {
    let url = redact_userinfo(url);
    let url = url.split('#').next().unwrap_or_default();
    match url.split_once('?') {
        Some((base, query)) => {
            let names: Vec<String> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, _)| {
                    format!(
                        "{}=***",
                        form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()
                    )
                })
                .collect();
            format!("{base}?{}", names.join("&"))
        }
        None => url.to_string(),
    }
}

/// RFC 3986 §3.2.1: userinfo in a URI is deprecated precisely because it exposes a password.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
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

/// A response body for the trace: JSON with the members named in `secret_names` (in any case)
/// masked at any depth, or only the size of anything else.
pub fn redact_body(body: &[u8], secret_names: &[&str]) -> String {
    fn redact(value: &mut serde_json::Value, secret_names: &[&str]) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if secret_names.contains(&key.to_ascii_lowercase().as_str()) {
                        *v = serde_json::Value::String("***".into());
                    } else {
                        redact(v, secret_names);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|v| redact(v, secret_names))
            }
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value @ serde_json::Value::Object(_)) => {
            redact(&mut value, secret_names);
            value.to_string()
        }
        _ if body.is_empty() => "(empty body)".to_string(),
        // Not JSON: no field to find the token in, so show only its size.
        _ => format!("({} bytes, not a JSON object)", body.len()),
    }
}
