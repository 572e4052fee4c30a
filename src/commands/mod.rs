//! One file per subcommand. Each returns data for `output` to render; none prints.
//!
//! This file holds what the token commands share: loading the config, resolving the profile,
//! reading the secret, and making one token request.

pub mod cache;
pub mod dry_run;
pub mod exchange;
pub mod fetch;
pub mod inspect;
pub mod profiles;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{AuthMethod, Config};
use crate::error::{Error, Result};
use crate::http::{Resend, RetryPolicy, Trace, Transport, check_url};
use crate::oauth::{Grant, TokenResponse, build_request, parse_token_response};
use crate::resolve::{Profile, ProfileLayer, resolve};
use crate::secret::{Secret, SecretSource};

/// What every command may need from the global flags.
#[derive(Debug, Clone)]
pub struct Context {
    pub config_path: PathBuf,
    /// Given by `--config`/`OAUTHCTL_CONFIG`: then a missing file is an error.
    pub config_explicit: bool,
    /// `-p` / `OAUTHCTL_PROFILE`.
    pub profile: Option<String>,
    /// `-p` was typed on this command line (not inherited from the environment).
    pub profile_on_command_line: bool,
    pub verbose: bool,
    /// Someone may be asked for a secret on the terminal. False when kubectl says the session is
    /// not interactive (`KUBERNETES_EXEC_INFO` `spec.interactive`).
    pub interactive: bool,
}

impl Context {
    pub fn load_config(&self) -> Result<Config> {
        Config::load(&self.config_path, self.config_explicit)
    }

    /// The profile this run uses, with flag and env overrides applied.
    pub fn resolve_profile(&self, config: &Config, flags: ProfileLayer) -> Result<Profile> {
        resolve(self.profile.as_deref(), config, flags, &|key| {
            std::env::var(key).ok()
        })
    }

    pub fn trace(&self) -> Trace {
        Trace::new(self.verbose)
    }
}

/// The client secret for this profile, or `None` for a public client (`auth_method = "none"`).
pub fn client_secret(ctx: &Context, profile: &Profile, config: &Config) -> Result<Option<Secret>> {
    profile.check_endpoints()?;
    if profile.auth_method == AuthMethod::None {
        return Ok(None);
    }
    // Only the config file can hold a literal. SECURITY 4: refused, as ssh refuses a private key
    // others can read, when the file is not private.
    if let (Some(SecretSource::Literal(_)), Some(problem)) =
        (&profile.secret, &config.unsafe_for_secrets)
    {
        return Err(Error::Config(format!(
            "refusing the literal client_secret of {} in `{}`: {problem}; or move the secret out with client_secret_env / client_secret_file",
            profile.describe(),
            config.path.display()
        )));
    }
    match &profile.secret {
        Some(source) => source.read_within(profile.timeout).map(Some),
        None if ctx.interactive => crate::secret::prompt(&profile.describe()).map(Some),
        None => Err(Error::Config(format!(
            "no client secret for {}, and {} says the session is not interactive, so nobody is asked: \
             set {} in the kubeconfig's exec env, or give the profile client_secret_env / client_secret_file / client_secret_command",
            profile.describe(),
            crate::kube::EXEC_INFO_ENV,
            crate::secret::OVERRIDE_ENV
        ))),
    }
}

/// Sends one token request for `grant` and parses the answer.
pub fn request_token(
    ctx: &Context,
    profile: &Profile,
    secret: Option<&Secret>,
    grant: &Grant<'_>,
) -> Result<TokenResponse> {
    let mut trace = ctx.trace();
    let transport = Transport::new(profile.timeout, profile.ca_file.as_deref())?;
    let token_url = match (&profile.token_url, &profile.issuer) {
        (Some(url), _) => url.clone(),
        (None, Some(issuer)) => crate::oauth::discover_token_url(&transport, issuer, &trace)?,
        (None, None) => profile.require_token_url()?.to_string(),
    };
    check_url(&token_url, "token_url")?;
    let profile = Profile {
        token_url: Some(token_url),
        ..profile.clone()
    };
    if let Some(secret) = secret {
        trace.mask(secret.expose());
    }
    if let Grant::AuthorizationCode {
        code,
        code_verifier,
        ..
    } = grant
    {
        trace.mask(code.expose());
        if let Some(v) = code_verifier {
            trace.mask(v.expose());
            // The challenge is public (it went through the browser), and comparing it with the
            // one sent to the authorization endpoint is how a PKCE `invalid_grant` is debugged.
            trace.line(&format!(
                "note: the code_verifier's S256 code_challenge is {} (RFC 7636 §4.2); \
                 it must match the one sent with the authorization request",
                crate::oauth::s256_challenge(v.expose())
            ));
        }
    }
    if let Grant::RefreshToken { refresh_token } = grant {
        trace.mask(refresh_token.expose());
    }
    let request = build_request(&profile, secret, grant)?;
    for (name, value) in &request.headers {
        if name.eq_ignore_ascii_case("authorization") {
            trace.mask_authorization(value);
        }
        // A header the trace hides (an API key, a cookie) must not come back in a server's echo.
        if crate::http::redact_header(name, value) != *value {
            trace.mask(value);
        }
    }
    let post = crate::http::FormPost {
        url: &request.url,
        headers: &request.headers,
        form: &request.form,
    };
    // A server may echo the request (credentials, code, verifier) in an error or a Location: every
    // message built from its answer is scrubbed of what we sent (SECURITY 38).
    let retry = RetryPolicy {
        resend: match grant {
            Grant::ClientCredentials => Resend::Always,
            Grant::RefreshToken { .. } => Resend::IfUnsent,
            Grant::AuthorizationCode { .. } => Resend::Never,
        },
        retries: profile.retries,
        max_wait: Duration::from_secs(profile.retry_max_secs),
    };
    transport
        .post_form(&post, &trace, retry)
        .and_then(|response| {
            parse_token_response(&response, &request.url, crate::timefmt::now(), &trace)
        })
        .map_err(|e| e.scrubbed(|text| trace.scrub(text)))
}

/// A token and how it was obtained, for `output`.
#[derive(Debug, Clone)]
pub struct TokenResult {
    pub token: TokenResponse,
    /// Served from the cache.
    pub cached: bool,
    /// A warning for stderr (e.g. the token could not be cached).
    pub note: Option<String>,
}
