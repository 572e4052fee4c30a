//! `oauthctl login`: signs a user in and caches the tokens, so that `fetch -p NAME` can renew
//! them with the refresh token from then on.
//!
//! - In a browser (RFC 6749 §4.1 with PKCE S256, RFC 7636, for a native app, RFC 8252): a random
//!   `state` and verifier, a one-shot listener on 127.0.0.1, the system browser (or the URL
//!   printed, with `--no-browser`), the `state` checked before the code is used.
//! - With the device flow (RFC 8628): the user code shown, the token endpoint polled at the
//!   server's interval, 5 s more on every `slow_down` (§3.5), until approval, denial or expiry.
//!
//! The instructions for the user go through `Settings::tell` (main's sink shows them on stderr):
//! they must be seen while the command is still waiting.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::cache::Credential;
use crate::config::GrantKind;
use crate::discovery::{Endpoint, Metadata};
use crate::error::{Error, Refusal, Result};
use crate::http::Resend;
use crate::loopback::{Listener, Page};
use crate::oauth::{Client, Grant, TokenResponse, access_params, s256_challenge};
use crate::resolve::Profile;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::tokens::TokenResult;
use crate::untrusted::printable;

/// How long a sign-in may take by default: a browser login, or a device approval.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);

pub struct LoginInput {
    /// The device flow, even for an `authorization_code` profile.
    pub device: bool,
    /// Open a browser (else print the URL only).
    pub open_browser: bool,
    pub wait: Option<Duration>,
}

pub fn run(settings: &Settings, input: LoginInput) -> Result<TokenResult> {
    let profile = settings.profile()?;
    profile.check_endpoints()?;
    let device = match profile.grant {
        GrantKind::ClientCredentials | GrantKind::TokenExchange | GrantKind::JwtBearer => {
            return Err(Error::Config(format!(
                "{} is a {} profile, which `fetch` serves without anyone signing in; \
                 `login` is for user profiles: set grant = \"authorization_code\" (or \"device_code\") in it",
                profile.describe(),
                profile.grant.as_str()
            )));
        }
        GrantKind::AuthorizationCode => input.device,
        GrantKind::DeviceCode => true,
    };
    let client = settings.client()?;
    let needed = if device {
        [Endpoint::DeviceAuthorization, Endpoint::Token]
    } else {
        [Endpoint::Authorization, Endpoint::Token]
    };
    client.discover(&needed)?;
    // Before anyone is sent to a browser: a secret that cannot be had fails now.
    client.secret().get()?;
    let now = Instant::now();
    let deadline = now
        .checked_add(input.wait.unwrap_or(DEFAULT_WAIT))
        .unwrap_or(now + DEFAULT_WAIT);
    let token = if device {
        device_flow(settings, &client, deadline)?
    } else {
        browser_flow(settings, &client, deadline, &input)?
    };
    let name = profile.name.as_deref().unwrap_or("NAME");
    // The cache key is the profile as configured (issuer, not the discovered endpoint), as fetch
    // computes it.
    let grant = profile.grant.as_str();
    let stored = match settings.cache() {
        // The warning says why.
        None => Err(None),
        Some(cache) => Credential::for_run(settings)
            .map_err(|e| e.to_string())
            .and_then(|credential| cache.key(profile, grant, &credential))
            .and_then(|key| {
                let lock = cache.lock(&key, Duration::from_secs(5));
                let stored = cache.store_token(&lock, profile, grant, &token, None);
                // Only the lock: a failed write is the note's to tell.
                if stored.is_ok()
                    && let Some(problem) = lock.problem()
                {
                    settings.warn(format!(
                        "warning: stored without the cache lock ({problem})"
                    ));
                }
                stored
            })
            .map_err(Some),
    };
    let renewal = if token.refresh_token().is_some() {
        format!("`oauthctl fetch -p {name}` renews them")
    } else {
        "no refresh token came with them, so sign in again when the access token expires".into()
    };
    let note = match stored {
        Ok(true) => format!(
            "signed in: {} (the tokens are cached; {renewal})",
            profile.describe()
        ),
        // Cache::store_token keeps nothing that cannot be reused: no expiry and no refresh token.
        Ok(false) => format!(
            "signed in: {}, but the server gave neither an expiry nor a refresh token, so nothing was cached; use -o json to get the token",
            profile.describe()
        ),
        Err(None) => format!(
            "signed in: {}, but the tokens were not cached; use -o json to get them",
            profile.describe()
        ),
        Err(Some(e)) => format!(
            "signed in: {}, but the tokens were not cached: {e}",
            profile.describe()
        ),
    };
    Ok(TokenResult {
        note: Some(note),
        ..TokenResult::fresh(token)
    })
}

/// `n` random bytes from the OS, base64url without padding.
fn random_text(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut buf)
        .map_err(|_| Error::Internal("no random numbers from the OS".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

fn browser_flow(
    settings: &Settings,
    client: &Client<'_>,
    deadline: Instant,
    input: &LoginInput,
) -> Result<TokenResponse> {
    let completed = client.discover(&[Endpoint::Authorization, Endpoint::Token])?;
    let (profile, metadata) = (&completed.profile, completed.metadata.as_ref());
    // RFC 7636 §4.1 and §7.1: 32 random octets make a 43-character verifier with 256 bits of
    // entropy. `state` (RFC 6749 §10.12) is as unguessable.
    let verifier = Secret::new(random_text(32)?);
    let state = random_text(32)?;
    if let Some(methods) = metadata.and_then(Metadata::pkce_methods)
        && !methods.contains(&"S256")
    {
        settings.trace().line(
            "note: the issuer's metadata does not list S256 in code_challenge_methods_supported; sending it anyway (RFC 9700 §2.1.1)",
        );
    }
    let listener = crate::loopback::Listener::bind(profile.redirect_uri.as_deref())?;
    // RFC 9449 §10: the code is bound to the DPoP key, so that only its holder redeems it.
    let dpop_jkt = settings.dpop()?.map(|dpop| dpop.key.jkt.as_str());
    let url = authorization_url(profile, &listener, &state, &verifier, dpop_jkt)?;
    let opened = if input.open_browser {
        crate::browser::open(&url)
    } else {
        None
    };
    match &opened {
        Some(_) => settings.tell(
            "oauthctl: a browser was opened to sign you in; if none shows up, open this URL:",
        ),
        None => settings.tell("oauthctl: to sign in, open this URL in a browser:"),
    }
    // The endpoint may come from the server's metadata: shown escaped, like any server text.
    settings.tell(&format!("  {}", printable(&url, 8000)));
    settings.tell(&format!(
        "oauthctl: waiting up to {} for the browser to come back to {}",
        crate::timefmt::span(input.wait.unwrap_or(DEFAULT_WAIT).as_secs()),
        listener.redirect_uri
    ));
    // RFC 9207 §2.4: a server that says it sends `iss` must have sent it.
    let iss_required = metadata.is_some_and(|m| {
        m.document
            .get("authorization_response_iss_parameter_supported")
            .and_then(serde_json::Value::as_bool)
            == Some(true)
    });
    let redirect = wait_for_code(&listener, profile, &state, iss_required, deadline)?;
    drop(opened);
    let code = Secret::new(redirect);
    let grant = Grant::AuthorizationCode {
        code: &code,
        redirect_uri: Some(&listener.redirect_uri),
        code_verifier: Some(&verifier),
    };
    client.token(&grant)
}

/// The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2, RFC 9449 §10).
fn authorization_url(
    profile: &Profile,
    listener: &Listener,
    state: &str,
    verifier: &Secret,
    dpop_jkt: Option<&str>,
) -> Result<String> {
    let endpoint = Endpoint::Authorization
        .of(profile)
        .ok_or_else(|| Error::Internal("no authorization endpoint after discovery".into()))?;
    crate::http::check_url(endpoint, "authorization_url")?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", profile.require_client_id()?)
        .append_pair("redirect_uri", &listener.redirect_uri);
    if let Some(scope) = &profile.scope {
        query.append_pair("scope", scope);
    }
    query
        .append_pair("state", state)
        .append_pair("code_challenge", &s256_challenge(verifier.expose()))
        .append_pair("code_challenge_method", "S256");
    if let Some(resource) = &profile.resource {
        query.append_pair("resource", resource);
    }
    if let Some(audience) = &profile.audience {
        query.append_pair("audience", audience);
    }
    if let Some(jkt) = dpop_jkt {
        query.append_pair("dpop_jkt", jkt);
    }
    let separator = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{endpoint}{separator}{}", query.finish()))
}

/// The code from the redirect, once its `state` (and `iss`, RFC 9207) check out.
fn wait_for_code(
    listener: &Listener,
    profile: &Profile,
    state: &str,
    iss_required: bool,
    deadline: Instant,
) -> Result<String> {
    let verdict = |redirect: &crate::loopback::Redirect| -> Result<String> {
        // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
        for name in ["state", "code", "iss", "error"] {
            if redirect.params.iter().filter(|(k, _)| k == name).count() > 1 {
                return Err(Error::unreachable(format!(
                    "the sign-in redirect carried `{name}` more than once (RFC 6749 §3.1); its code was not used"
                )));
            }
        }
        // RFC 6749 §10.12: a redirect without our state is not an answer to our request (a
        // stale tab, or a forged one); its code is never used.
        let given = redirect.get("state").unwrap_or("");
        if !constant_time_eq(given.as_bytes(), state.as_bytes()) {
            return Err(Error::unreachable(
                "the sign-in redirect carried a state that is not this login's (a stale tab, or a forged request); its code was not used — run `oauthctl login` again",
            ));
        }
        // RFC 9207 §2.4: a server that names itself must name the issuer we asked, and one that
        // says it always does must have.
        if iss_required && redirect.get("iss").is_none() {
            return Err(Error::unreachable(
                "the sign-in redirect has no `iss`, which the issuer's metadata says it always sends (RFC 9207); its code was not used",
            ));
        }
        if let (Some(iss), Some(issuer)) = (redirect.get("iss"), profile.issuer.as_deref())
            && iss != issuer
        {
            return Err(Error::unreachable(format!(
                "the sign-in redirect came from issuer `{}`, not `{issuer}` (RFC 9207); its code was not used",
                printable(iss, 200)
            )));
        }
        if let Some(error) = redirect.get("error") {
            // RFC 6749 §4.1.2.1.
            let description = redirect.get("error_description");
            return Err(Error::Refused(Box::new(Refusal {
                status: 0,
                code: Some(error.to_string()),
                description: description.map(str::to_string),
                message: format!(
                    "the sign-in was refused: {}{}",
                    printable(error, 100),
                    description
                        .map(|d| format!(": {}", printable(d, 300)))
                        .unwrap_or_default()
                ),
            })));
        }
        match redirect.get("code") {
            Some(code) if !code.is_empty() => Ok(code.to_string()),
            _ => Err(Error::unreachable(
                "the sign-in redirect carried neither a code nor an error",
            )),
        }
    };
    let redirect = listener.wait(deadline, |redirect| match verdict(redirect) {
        Ok(_) => Page {
            status: 200,
            title: "Signed in",
            message: "oauthctl has the authorization. You can close this tab and go back to the terminal.".into(),
        },
        Err(e) => Page {
            status: 400,
            title: "Sign-in failed",
            message: format!("{e}. You can close this tab."),
        },
    })?;
    match redirect {
        Some(redirect) => verdict(&redirect),
        None => Err(Error::unreachable(
            "nobody signed in before the wait ran out (--wait-secs); run `oauthctl login` again",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 8628 §3.2's answer, read leniently where providers differ.
struct DeviceAuthorization {
    device_code: Secret,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: u64,
}

fn device_flow(
    settings: &Settings,
    client: &Client<'_>,
    deadline: Instant,
) -> Result<TokenResponse> {
    let authorization = request_device_code(client)?;
    let verification = &authorization.verification_uri;
    settings.tell(&format!(
        "oauthctl: to sign in, visit {} and enter the code {}",
        printable(verification, 300),
        printable(&authorization.user_code, 40)
    ));
    if let Some(complete) = &authorization.verification_uri_complete {
        settings.tell(&format!(
            "  (or open {}, which has the code in it)",
            printable(complete, 400)
        ));
    }
    // The device code's own lifetime bounds the wait too (RFC 8628 §3.2 expires_in).
    let expires = authorization
        .expires_in
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    let until = expires.map_or(deadline, |e| e.min(deadline));
    settings.tell(&format!(
        "oauthctl: waiting up to {} for the approval",
        crate::timefmt::span(
            until
                .saturating_duration_since(Instant::now())
                .as_secs_f64()
                .round() as u64
        )
    ));
    let mut interval = Duration::from_secs(authorization.interval);
    let grant = Grant::DeviceCode {
        device_code: &authorization.device_code,
    };
    let mut last_failure: Option<String> = None;
    // The server asked for a DPoP nonce on the last poll (RFC 9449 §8); the next one carries it.
    let mut nonce_asked = false;
    loop {
        if Instant::now() + interval >= until {
            let why = if expires.is_some_and(|e| e <= deadline) {
                "the device code expired before the sign-in was approved"
            } else {
                "nobody approved the sign-in before the wait ran out (--wait-secs)"
            };
            let failure = last_failure
                .map(|f| format!(" (the last poll failed: {f})"))
                .unwrap_or_default();
            return Err(Error::unreachable(format!(
                "{why}{failure}; run `oauthctl login --device` again"
            )));
        }
        std::thread::sleep(interval);
        match client.token(&grant) {
            Ok(token) => return Ok(token),
            Err(Error::Refused(refusal)) => match refusal.code.as_deref() {
                // RFC 9449 §8: the client remembered the nonce, which the next poll carries; a
                // second demand in a row is the server refusing it.
                Some("use_dpop_nonce") if !nonce_asked => nonce_asked = true,
                // RFC 8628 §3.5: keep polling.
                Some("authorization_pending") => nonce_asked = false,
                // RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all
                // subsequent requests".
                Some("slow_down") => {
                    nonce_asked = false;
                    interval += Duration::from_secs(5);
                    settings.trace().line(&format!(
                        "note: slow_down: polling every {}s from now on (RFC 8628 §3.5)",
                        interval.as_secs()
                    ));
                }
                Some("access_denied") => {
                    return Err(Error::Refused(Box::new(Refusal {
                        message: format!("the sign-in was refused: {}", refusal.message),
                        ..*refusal
                    })));
                }
                Some("expired_token") => {
                    return Err(Error::Refused(Box::new(Refusal {
                        message: format!(
                            "the device code expired before the sign-in was approved ({}); run `oauthctl login --device` again",
                            refusal.message
                        ),
                        ..*refusal
                    })));
                }
                _ => return Err(Error::Refused(refusal)),
            },
            // RFC 8628 §3.5: after a connection timeout, poll less often (doubling the interval
            // is the RFC's suggestion) and go on while the device code lives.
            Err(Error::Unreachable { message, .. }) => {
                interval *= 2;
                settings.trace().line(&format!(
                    "note: the poll failed ({message}); polling every {}s from now on (RFC 8628 §3.5)",
                    interval.as_secs()
                ));
                last_failure = Some(message);
            }
            Err(other) => return Err(other),
        }
    }
}

/// RFC 8628 §3.1: the device authorization request, authenticated like a token request.
fn request_device_code(client: &Client<'_>) -> Result<DeviceAuthorization> {
    client.post(
        Endpoint::DeviceAuthorization,
        access_params(client.profile(), true),
        &[],
        Resend::Always,
        |response, trace, host| {
            let endpoint = format!("the device authorization endpoint {host}");
            let body = crate::oauth::success_object(response, &endpoint, trace)?;
            parse_device_authorization(&body, host)
        },
    )
}

fn parse_device_authorization(
    body: &Map<String, Value>,
    host: &str,
) -> Result<DeviceAuthorization> {
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let missing = |name: &str| {
        Error::unreachable(format!(
            "the device authorization endpoint {host} answered without `{name}` (RFC 8628 §3.2)"
        ))
    };
    let device_code = text("device_code").ok_or_else(|| missing("device_code"))?;
    let user_code = text("user_code").ok_or_else(|| missing("user_code"))?;
    // Google sends `verification_url`, from a draft of RFC 8628.
    let verification_uri = text("verification_uri")
        .or_else(|| text("verification_url"))
        .ok_or_else(|| missing("verification_uri"))?;
    let seconds = |name: &str| crate::oauth::expires_in(body.get(name));
    Ok(DeviceAuthorization {
        device_code: Secret::new(device_code.to_string()),
        user_code: user_code.to_string(),
        verification_uri: verification_uri.to_string(),
        verification_uri_complete: text("verification_uri_complete").map(str::to_string),
        expires_in: seconds("expires_in"),
        // RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." An
        // interval of 0 is taken as 1 s: never a tight loop against the server.
        interval: seconds("interval").map_or(5, |s| s.max(1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verifiers_and_states_are_long_random_and_url_safe() {
        let a = random_text(32).unwrap();
        let b = random_text(32).unwrap();
        assert_eq!(a.len(), 43, "RFC 7636 §4.1 minimum, 256 bits");
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn device_authorization_answers_are_read_leniently_where_providers_differ() {
        let google = json!({"device_code": "d", "user_code": "ABCD-EFGH", "verification_url": "https://g.co/device", "expires_in": "1800"});
        let parsed = parse_device_authorization(google.as_object().unwrap(), "h").unwrap();
        assert_eq!(parsed.verification_uri, "https://g.co/device");
        assert_eq!(parsed.interval, 5, "RFC 8628 §3.2 default");
        let zero = json!({"device_code": "d", "user_code": "u", "verification_uri": "https://v", "interval": 0});
        assert_eq!(
            parse_device_authorization(zero.as_object().unwrap(), "h")
                .unwrap()
                .interval,
            1
        );
        assert_eq!(parsed.expires_in, Some(1800));
        let err = parse_device_authorization(json!({"device_code": "d"}).as_object().unwrap(), "h")
            .err()
            .unwrap();
        assert!(err.to_string().contains("user_code"), "{err}");
    }

    #[test]
    fn state_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
