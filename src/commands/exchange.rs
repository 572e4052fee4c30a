//! `oauthctl exchange-code`: the authorization_code grant (RFC 6749 §4.1.3) with an optional PKCE
//! verifier (RFC 7636 §4.5). Never retried: a code is single-use (RFC 6749 §4.1.2).

use crate::cache::Credential;
use crate::config::GrantKind;
use crate::error::{Error, Result};
use crate::oauth::Grant;
use crate::secret::{Secret, SecretSource};
use crate::settings::Settings;
use crate::tokens::TokenResult;

pub struct ExchangeInput {
    /// The code as given on the command line; `None` or `-` reads stdin.
    pub code: Option<String>,
    pub code_verifier: Option<String>,
    /// Do not store the tokens in the cache.
    pub no_cache: bool,
}

pub fn run(settings: &Settings, input: ExchangeInput) -> Result<TokenResult> {
    let code_from_stdin = matches!(input.code.as_deref(), None | Some("-"));
    if code_from_stdin && settings.flags().secret == Some(SecretSource::Stdin) {
        return Err(Error::Usage(
            "the code and the client secret cannot both come from stdin; give the secret through OAUTHCTL_CLIENT_SECRET or --client-secret-file".into(),
        ));
    }
    let profile = settings.profile()?;
    // RFC 6749 App. A.11, checked before anything is sent, wherever the code comes from.
    let code = Secret::new(match input.code {
        Some(code) if code != "-" => crate::input::code_from_argument(&code)?,
        _ => crate::input::code_from_stdin()?,
    });
    let verifier = input.code_verifier.map(Secret::new);
    if let Some(v) = &verifier {
        crate::input::check_verifier(v.expose())?;
    }
    profile.check_endpoints()?;
    if input.no_cache {
        settings.bypass_cache();
    }
    let grant = Grant::AuthorizationCode {
        code: &code,
        redirect_uri: profile.redirect_uri.as_deref(),
        code_verifier: verifier.as_ref(),
    };
    let token = settings.client()?.token(&grant)?;
    // The code is spent now: a cache problem must not lose the tokens, so it is only a warning.
    if !input.no_cache
        && let Some(cache) = settings.cache()
    {
        let grant = GrantKind::AuthorizationCode.as_str();
        let stored = Credential::for_run(settings)
            .map_err(|e| e.to_string())
            .and_then(|credential| cache.key(profile, grant, &credential))
            .map(|key| {
                let lock = cache.lock(&key, LOCK_WAIT);
                let stored = cache.store_token(&lock, profile, grant, &token, None);
                lock.warning(stored.err())
            });
        match stored {
            Ok(warning) => warning.into_iter().for_each(|w| settings.warn(w)),
            Err(why) => settings.warn(format!("warning: the tokens were not cached: {why}")),
        }
    }
    Ok(TokenResult::fresh(token))
}

/// How long storing a spent code's tokens waits for a parallel writer of the same entry.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
