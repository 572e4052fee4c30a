//! A profile's access token as `fetch` gives it, for every command that needs one (`fetch`,
//! `introspect -p NAME`, `inspect -p NAME`): from the cache while it has more than
//! `min_ttl_secs` left; else renewed with the cached refresh token (RFC 6749 §6); else, for a
//! client_credentials profile, a new one (RFC 6749 §4.4). The per-key lock makes parallel runs
//! send one request between them (DESIGN §7).

use std::time::Duration;

use crate::cache::{Cache, Credential, Entry, Key};
use crate::config::GrantKind;
use crate::error::{Error, Result};
use crate::oauth::{Grant, TokenResponse};
use crate::resolve::Profile;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::timefmt::now;

/// A token and how it was obtained, for `output`.
#[derive(Debug, Clone)]
pub struct TokenResult {
    pub token: TokenResponse,
    /// Served from the cache.
    pub cached: bool,
    /// A note for stderr (`login`'s "signed in").
    pub note: Option<String>,
}

impl TokenResult {
    /// A token fresh from the server.
    pub fn fresh(token: TokenResponse) -> TokenResult {
        TokenResult {
            token,
            cached: false,
            note: None,
        }
    }
}

/// The cache controls of `fetch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheUse {
    /// Neither read nor write the cache.
    pub bypass: bool,
    /// Ignore a cached access token (a refresh token may still be used).
    pub force: bool,
}

/// The profile's access token.
pub fn current(settings: &Settings, cache_use: CacheUse) -> Result<TokenResult> {
    let profile = settings.profile()?;
    profile.check_endpoints()?;
    let cache = match cache_use.bypass {
        true => None,
        false => settings.cache(),
    };
    let Some(cache) = cache else {
        return fetch_new(settings, profile).map(TokenResult::fresh);
    };
    let credential = Credential::of(settings.secret()?)?;
    let key = match cache.key(profile, profile.grant.as_str(), &credential) {
        Ok(key) => key,
        Err(why) => {
            settings.warn(format!(
                "warning: not using the token cache: {why}; working uncached"
            ));
            return fetch_new(settings, profile).map(TokenResult::fresh);
        }
    };
    // Wait for a holder at most as long as its own request may take.
    let lock = cache.lock(&key, profile.timeout() + Duration::from_secs(5));
    let entry = cache.load(&key);
    if let Some(entry) = &entry
        && !cache_use.force
        && entry.is_fresh(now(), profile.min_ttl_secs)
        && let Some(token) = TokenResponse::from_cache(entry.response.clone(), entry.expires_at)
    {
        return Ok(TokenResult {
            token,
            cached: true,
            note: None,
        });
    }
    // A client_credentials client can always ask again, so it does (RFC 6749 §4.4.3: its
    // refresh tokens are not to be relied on); only user profiles renew with the refresh token.
    let renews = match profile.grant {
        GrantKind::ClientCredentials => false,
        GrantKind::AuthorizationCode | GrantKind::DeviceCode => true,
    };
    let refresh_token = entry
        .as_ref()
        .and_then(Entry::refresh_token)
        .filter(|_| renews);
    let token = match refresh_token {
        Some(refresh_token) => refresh(settings, profile, cache, &key, refresh_token)?,
        None => fetch_new(settings, profile)?,
    };
    let stored = cache.store_token(
        &lock,
        profile,
        profile.grant.as_str(),
        &token,
        entry.as_ref(),
    );
    if let Some(warning) = lock.warning(stored.err()) {
        settings.warn(warning);
    }
    Ok(TokenResult::fresh(token))
}

/// A new token without a refresh token: client_credentials, or for a user profile, nothing
/// (fetch never opens a browser or prompts in CI).
fn fetch_new(settings: &Settings, profile: &Profile) -> Result<TokenResponse> {
    let grant = match profile.grant {
        GrantKind::ClientCredentials => Grant::ClientCredentials,
        GrantKind::AuthorizationCode | GrantKind::DeviceCode => {
            return Err(login_required(profile, "has no usable refresh token"));
        }
    };
    settings.client()?.token(&grant)
}

/// The error that sends a user to `oauthctl login` (exit 6).
pub fn login_required(profile: &Profile, why: &str) -> Error {
    let name = profile.name.as_deref().unwrap_or("NAME");
    Error::LoginRequired(format!(
        "login required: {} (grant = {}) {why}: run `oauthctl login -p {name}`",
        profile.describe(),
        profile.grant.as_str(),
    ))
}

/// Renews a user profile's token with its refresh token (RFC 6749 §6). A refused refresh token
/// (`invalid_grant`) drops the entry: the user must sign in again.
fn refresh(
    settings: &Settings,
    profile: &Profile,
    cache: &Cache,
    key: &Key,
    refresh_token: &str,
) -> Result<TokenResponse> {
    let refresh_token = Secret::new(refresh_token.to_string());
    let grant = Grant::RefreshToken {
        refresh_token: &refresh_token,
    };
    match settings.client()?.token(&grant) {
        Err(Error::Refused(refusal)) if refusal.code.as_deref() == Some("invalid_grant") => {
            let dropped = match cache.remove(key) {
                Ok(_) => "the cached entry was dropped".to_string(),
                Err(e) => format!("the cached entry could not be dropped: {e}"),
            };
            Err(login_required(
                profile,
                &format!(
                    "had its refresh token refused ({}); {dropped}",
                    refusal.message
                ),
            ))
        }
        other => other,
    }
}
