//! One file per subcommand. Each returns data for `output` to render; none prints.
//!
//! This file holds what the token commands share: loading the config, resolving the profile,
//! reading the secret, and making one token request.

pub mod cache;
pub mod dry_run;
pub mod exchange;
pub mod fetch;
pub mod inspect;
pub mod introspect;
pub mod login;
pub mod profiles;
pub mod revoke;

use std::cell::{OnceCell, RefCell};
use std::path::PathBuf;
use std::time::Duration;

use crate::cache::{Cache, Credential};
use crate::config::{AuthMethod, Config};
use crate::discovery::Endpoint;
use crate::error::{Error, Result};
use crate::http::{Resend, RetryPolicy, Trace, Transport, check_url};
use crate::oauth::{Grant, TokenRequest, TokenResponse, build_request, parse_token_response};
use crate::resolve::{Profile, ProfileLayer, resolve};
use crate::secret::{Secret, SecretSource};

/// What every command may need from the global flags, and what one run opens once.
#[derive(Debug)]
pub struct Context {
    pub config_path: PathBuf,
    /// Given by `--config`/`OAUTHCTL_CONFIG`: then a missing file is an error.
    pub config_explicit: bool,
    /// `-p` / `OAUTHCTL_PROFILE`.
    pub profile: Option<String>,
    /// `-p` was typed on this command line (not inherited from the environment).
    pub profile_on_command_line: bool,
    pub verbose: bool,
    pub state: RunState,
}

/// What a run opens at most once and reports at its end.
#[derive(Debug, Default)]
pub struct RunState {
    /// The token cache, once opened; `None` when it cannot be used.
    cache: OnceCell<Option<Cache>>,
    /// A warning for stderr once the command is done; the first one wins, so a run says at
    /// most one thing about, say, its cache (DESIGN §7).
    warning: RefCell<Option<String>>,
}

impl crate::discovery::MetadataCache for Context {
    fn cache(&self) -> Option<&Cache> {
        Context::cache(self)
    }

    fn warn(&self, text: String) {
        self.keep_warning(text);
    }
}

impl Context {
    /// The token cache, opened and checked on first use. `None` when it cannot be trusted or
    /// made: the run works uncached, and the warning says why (DESIGN §7, SECURITY 13, 48).
    pub fn cache(&self) -> Option<&Cache> {
        self.state
            .cache
            .get_or_init(|| {
                let opened = match Cache::locate() {
                    Err(_) => Err(format!(
                        "not using a token cache: there is no home directory to keep it in; working uncached (set {})",
                        crate::cache::DIR_ENV
                    )),
                    Ok(path) => Cache::open(&path).map_err(|untrusted| {
                        format!(
                            "not using the token cache `{}`: {untrusted}; working uncached (fix that, or set {})",
                            crate::untrusted::printable(&path.display().to_string(), 300),
                            crate::cache::DIR_ENV
                        )
                    }),
                };
                match opened {
                    Ok(cache) => Some(cache),
                    Err(why) => {
                        self.keep_warning(format!("warning: {why}"));
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Keeps `text` for stderr at the end of the run, unless a warning is kept already.
    pub fn warn(&self, text: String) {
        self.keep_warning(text);
    }

    fn keep_warning(&self, text: String) {
        self.state.warning.borrow_mut().get_or_insert(text);
    }

    /// The warning kept for the end of the run.
    pub fn take_warning(&self) -> Option<String> {
        self.state.warning.borrow_mut().take()
    }

    pub fn load_config(&self) -> Result<Config> {
        Config::load(&self.config_path, self.config_explicit)
    }

    /// The profile this run uses, with flag and env overrides applied.
    pub fn resolve_profile(&self, config: &Config, flags: ProfileLayer) -> Result<Profile> {
        self.resolve_named(self.profile.as_deref(), config, flags)
    }

    /// Profile `name` (else the default), with flag and env overrides applied.
    pub fn resolve_named(
        &self,
        name: Option<&str>,
        config: &Config,
        flags: ProfileLayer,
    ) -> Result<Profile> {
        resolve(name, config, flags, &|key| std::env::var(key).ok())
    }

    pub fn trace(&self) -> Trace {
        Trace::new(self.verbose, crate::oauth::SECRET_NAMES)
    }
}

/// The client secret for this profile, or `None` for a public client (`auth_method = "none"`).
pub fn client_secret(profile: &Profile, config: &Config) -> Result<Option<Secret>> {
    // Before a secret command runs or a prompt shows: the profile names a client.
    profile.require_client_id()?;
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
        Some(source) => source.read_within(profile.timeout()).map(Some),
        // kubectl says whether anyone may be asked (`KUBERNETES_EXEC_INFO` `spec.interactive`).
        None if crate::kube::ExecInfo::from_env()?.interactive => {
            crate::secret::prompt(&profile.describe()).map(Some)
        }
        None => Err(Error::Config(format!(
            "no client secret for {}, and {} says the session is not interactive, so nobody is asked: \
             set {} in the kubeconfig's exec env, or give the profile client_secret_env / client_secret_file / client_secret_command",
            profile.describe(),
            crate::kube::EXEC_INFO_ENV,
            crate::secret::OVERRIDE_ENV
        ))),
    }
}

/// The client's secret, read at most once per run and only when it is needed.
pub struct ClientSecret<'a> {
    profile: &'a Profile,
    config: &'a Config,
    read: OnceCell<Option<Secret>>,
}

impl<'a> ClientSecret<'a> {
    pub fn new(profile: &'a Profile, config: &'a Config) -> ClientSecret<'a> {
        ClientSecret {
            profile,
            config,
            read: OnceCell::new(),
        }
    }

    /// The secret (`None` for a public client), read on first use.
    pub fn get(&self) -> Result<Option<&Secret>> {
        if let Some(read) = self.read.get() {
            return Ok(read.as_ref());
        }
        let secret = client_secret(self.profile, self.config)?;
        Ok(self.read.get_or_init(|| secret).as_ref())
    }

    /// The client's credential identity for the cache key (DESIGN §7): a secret that can be read
    /// without side effects is read (and an unreadable one is the error it would be on a cache
    /// miss), so that a changed or wrong secret never gets another's token; a command or a
    /// prompt is only described, so that a cache hit runs nothing and asks nobody.
    pub fn credential(&self) -> Result<Credential<'_>> {
        if self.profile.auth_method == AuthMethod::None {
            return Ok(Credential::Described("none (a public client)".into()));
        }
        match &self.profile.secret {
            Some(source) if source.is_side_effect_free() => match self.get()? {
                Some(secret) => Ok(Credential::Secret(secret)),
                None => Err(Error::Internal(
                    "a confidential client without a secret".into(),
                )),
            },
            Some(source) => Ok(Credential::Described(source.identity())),
            None => Ok(Credential::Described("asked for when needed".into())),
        }
    }
}

/// Sends one token request for `grant` and parses the answer. The transport is the caller's, so
/// that a sequence of requests (device polls) shares one agent and its connections.
pub fn request_token(
    ctx: &Context,
    transport: &Transport,
    profile: &Profile,
    secret: Option<&Secret>,
    grant: &Grant<'_>,
) -> Result<TokenResponse> {
    let (profile, _) =
        crate::discovery::complete(profile, &[Endpoint::Token], transport, &ctx.trace(), ctx)?;
    check_url(profile.require_token_url()?, "token_url")?;
    let request = build_request(&profile, secret, grant)?;
    if let Grant::AuthorizationCode {
        code_verifier: Some(v),
        ..
    } = grant
    {
        // The challenge is public (it went through the browser), and comparing it with
        // the one sent to the authorization endpoint is how a PKCE `invalid_grant` is
        // debugged.
        ctx.trace().line(&format!(
            "note: the code_verifier's S256 code_challenge is {} (RFC 7636 §4.2); \
                 it must match the one sent with the authorization request",
            crate::oauth::s256_challenge(v.expose())
        ));
    }
    call_as_client(
        ctx,
        transport,
        &profile,
        ClientCall {
            request: &request,
            sent: &[],
            resend: grant.resend(),
        },
        |response, trace| {
            parse_token_response(response, &request.url, crate::timefmt::now(), trace)
        },
    )
}

/// A client-authenticated request, and what must never come back in an echo besides the
/// request's own secrets.
pub struct ClientCall<'a> {
    pub request: &'a TokenRequest,
    /// Other secrets of this run (the other tokens of a revocation).
    pub sent: &'a [&'a Secret],
    pub resend: Resend,
}

/// Sends a client-authenticated form POST and hands the answer to `parse`. Every secret sent,
/// and every header the trace hides, is masked in the trace and scrubbed from any error built
/// from the server's answer, since a server may echo the request (SECURITY 38).
pub fn call_as_client<T>(
    ctx: &Context,
    transport: &Transport,
    profile: &Profile,
    call: ClientCall<'_>,
    parse: impl FnOnce(&crate::http::Response, &Trace) -> Result<T>,
) -> Result<T> {
    let mut trace = ctx.trace();
    let request = call.request;
    for secret in request.secrets() {
        trace.mask(&secret);
    }
    for secret in call.sent {
        trace.mask(secret.expose());
    }
    let headers = request.wire_headers();
    for (name, value) in &headers {
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
        headers: &headers,
        form: &request.form,
    };
    let retry = RetryPolicy {
        resend: call.resend,
        retries: profile.retries,
        max_wait: Duration::from_secs(profile.retry_max_secs),
    };
    transport
        .post_form(&post, &trace, retry)
        .and_then(|response| parse(&response, &trace))
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
