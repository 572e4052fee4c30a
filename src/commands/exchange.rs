//! `oauthctl exchange-code`: the authorization_code grant (RFC 6749 §4.1.3) with an optional PKCE
//! verifier (RFC 7636 §4.5). Never retried: a code is single-use (RFC 6749 §4.1.2).

use std::io::IsTerminal;

use super::{ClientSecret, Context, TokenResult, request_token};
use crate::config::Grant as ProfileGrant;
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::oauth::Grant;
use crate::resolve::ProfileLayer;
use crate::secret::{Secret, SecretSource};
use crate::untrusted::Credential;

pub struct ExchangeInput {
    /// The code as given on the command line; `None` or `-` reads stdin.
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    /// Do not store the tokens in the cache.
    pub no_cache: bool,
}

pub fn run(ctx: &Context, mut flags: ProfileLayer, input: ExchangeInput) -> Result<TokenResult> {
    let code_from_stdin = matches!(input.code.as_deref(), None | Some("-"));
    if code_from_stdin && flags.secret == Some(SecretSource::Stdin) {
        return Err(Error::Usage(
            "the code and the client secret cannot both come from stdin; give the secret through OAUTHCTL_CLIENT_SECRET or --client-secret-file".into(),
        ));
    }
    if input.redirect_uri.is_some() {
        flags.redirect_uri = input.redirect_uri;
    }
    let config = ctx.load_config()?;
    let profile = ctx.resolve_profile(&config, flags)?;
    // RFC 6749 App. A.11, checked before anything is sent, wherever the code comes from.
    let code = Secret::new(match input.code {
        Some(code) if code != "-" => Credential::AuthorizationCode
            .check(code.as_bytes())?
            .to_string(),
        _ => read_code_from_stdin()?,
    });
    let verifier = input.code_verifier.map(Secret::new);
    if let Some(v) = &verifier {
        check_verifier(v.expose())?;
    }
    profile.check_endpoints()?;
    let secret = ClientSecret::new(&profile, &config);
    let grant = Grant::AuthorizationCode {
        code: &code,
        redirect_uri: profile.redirect_uri.as_deref(),
        code_verifier: verifier.as_ref(),
    };
    let transport = Transport::new(profile.timeout(), profile.ca_file.as_deref())?;
    let token = request_token(ctx, &transport, &profile, secret.get()?, &grant)?;
    // The code is spent now: a cache problem must not lose the tokens, so it is only a warning.
    if !input.no_cache
        && let Some(cache) = ctx.cache()
    {
        let grant = ProfileGrant::AuthorizationCode.as_str();
        let stored = secret
            .credential()
            .map_err(|e| e.to_string())
            .and_then(|credential| cache.key(&profile, grant, &credential))
            .map(|key| {
                let lock = cache.lock(&key, LOCK_WAIT);
                let stored = super::fetch::store(cache, &lock, &profile, grant, &token, None);
                super::fetch::cache_warning(&lock, stored.err())
            });
        match stored {
            Ok(warning) => warning.into_iter().for_each(|w| ctx.warn(w)),
            Err(why) => ctx.warn(format!("warning: the tokens were not cached: {why}")),
        }
    }
    Ok(TokenResult {
        token,
        cached: false,
        note: None,
    })
}

/// How long storing a spent code's tokens waits for a parallel writer of the same entry.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// RFC 7636 §4.1: 43–128 characters from the unreserved set. The message never repeats the
/// value (clap's own validation would echo it).
pub(crate) fn check_verifier(verifier: &str) -> Result<()> {
    let unreserved = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if (43..=128).contains(&verifier.len()) && unreserved {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the PKCE code_verifier ({} characters) is not 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)",
        verifier.chars().count()
    )))
}

fn read_code_from_stdin() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Error::Usage(
            "no authorization code: give it as an argument, or pipe it on stdin".into(),
        ));
    }
    let code = Credential::AuthorizationCode;
    Ok(code.check(&code.read(stdin.lock())?)?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_rules_and_no_echo() {
        assert!(check_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").is_ok());
        assert!(check_verifier(&"a".repeat(128)).is_ok());
        assert!(check_verifier(&"a".repeat(42)).is_err());
        assert!(check_verifier(&"a".repeat(129)).is_err());
        let err = check_verifier(&format!("{}+SECRET", "a".repeat(43)))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET"), "{err}");
    }
}
