//! `oauthctl fetch`: the profile's access token, cached, renewed or new (`tokens::current`), and
//! for a DPoP token, a proof for the request it goes with (`--url`, DESIGN §12).

use crate::error::{Error, Result};
use crate::output::OutputFormat;
use crate::settings::Settings;
use crate::tokens::{CacheUse, TokenResult};

/// The request a DPoP token is to go with (`--url`, `--method`, `--nonce`).
#[derive(Debug, Clone, Default)]
pub struct UseWith {
    pub url: Option<String>,
    pub method: Option<String>,
    pub nonce: Option<String>,
}

/// The request `--url` names, checked before anything is sent: an absolute http(s) URL, a
/// method (RFC 9110 §9.1: a token; upper-cased, as methods are written), and a nonce as RFC 9449
/// §8.1 defines one.
pub struct Request {
    pub url: String,
    pub method: String,
    pub nonce: Option<String>,
}

impl UseWith {
    /// For `fetch`: `--url` makes a proof only `-o header` and `-o json` print.
    pub fn checked_for(self, format: OutputFormat) -> Result<Option<Request>> {
        if self.url.is_some() && !matches!(format, OutputFormat::Header | OutputFormat::Json) {
            return Err(Error::Usage(format!(
                "--url makes a DPoP proof for the request, which only -o header and -o json print; -o {} does not",
                format.name()
            )));
        }
        self.checked()
    }

    pub fn checked(self) -> Result<Option<Request>> {
        let Some(url) = self.url else {
            return Ok(None);
        };
        let absolute = url.parse::<ureq::http::Uri>().ok().is_some_and(|uri| {
            matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.host().is_some_and(|h| !h.is_empty())
        });
        if !absolute {
            return Err(Error::Usage(format!(
                "--url `{}` is not an absolute http or https URL",
                crate::untrusted::printable(&crate::http::redact_url(&url, &[]), 300)
            )));
        }
        // RFC 9110 §4.2.4: a sender must not put user information in an http(s) URI; in a proof,
        // which is printed and sent, it would be a password handed to the server and its logs.
        if url
            .parse::<ureq::http::Uri>()
            .ok()
            .and_then(|uri| uri.authority().map(|a| a.as_str().contains('@')))
            .unwrap_or(false)
        {
            return Err(Error::Usage(
                "--url must not carry user information (`user:password@`, RFC 9110 §4.2.4): the proof names the URL it is for".into(),
            ));
        }
        let method = self.method.unwrap_or_else(|| "GET".into());
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if method.is_empty() || !method.chars().all(tchar) {
            return Err(Error::Usage(format!(
                "--method `{}` is not an HTTP method (RFC 9110 §9.1)",
                crate::untrusted::printable(&method, 100)
            )));
        }
        if let Some(nonce) = &self.nonce
            && !crate::dpop::is_nonce(nonce)
        {
            return Err(Error::Usage(
                "--nonce is not a DPoP nonce: printable ASCII without spaces, `\"` or `\\` (RFC 9449 §8.1)"
                    .into(),
            ));
        }
        Ok(Some(Request {
            url,
            method: method.to_ascii_uppercase(),
            nonce: self.nonce,
        }))
    }
}

pub fn run(
    settings: &Settings,
    cache_use: CacheUse,
    request: Option<&Request>,
) -> Result<TokenResult> {
    let mut result = crate::tokens::current(settings, cache_use)?;
    let Some(request) = request else {
        return Ok(result);
    };
    // RFC 9449 §7: a DPoP token goes with a proof of the key it is bound to, for this request,
    // with the token's hash (`ath`). A Bearer token needs none.
    if !result.token.is_dpop() {
        return Ok(result);
    }
    let bound_to = result.token.dpop_jkt.as_deref();
    let key = settings.dpop()?.map(|dpop| &dpop.key);
    let Some(key) = key.filter(|key| Some(key.jkt.as_str()) == bound_to) else {
        return Err(Error::Config(format!(
            "the token of {} is a DPoP token, but not bound to its DPoP key: no proof can be made for it",
            settings.profile()?.describe()
        )));
    };
    result.dpop_proof = Some(key.proof(crate::dpop::ProofFor {
        method: &request.method,
        url: &request.url,
        nonce: request.nonce.as_deref(),
        access_token: Some(&result.token.access_token),
    })?);
    Ok(result)
}
