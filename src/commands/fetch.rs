//! `oauthctl fetch`: a token for the selected profile. From the cache while it has more than
//! `min_ttl_secs` left; else renewed with the cached refresh token (RFC 6749 §6); else, for a
//! client_credentials profile, a new one (RFC 6749 §4.4). The per-key lock makes parallel runs
//! send one request between them (DESIGN §7).

use std::time::Duration;

use super::{ClientSecret, Context, TokenResult, request_token};
use crate::cache::{Cache, Entry, Key, KeyLock};
use crate::config::Grant as ProfileGrant;
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::oauth::{Grant, TokenResponse};
use crate::resolve::{Profile, ProfileLayer};
use crate::secret::Secret;
use crate::timefmt::now;

/// The cache controls of `fetch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheUse {
    /// Neither read nor write the cache.
    pub bypass: bool,
    /// Ignore a cached access token (a refresh token may still be used).
    pub force: bool,
}

pub fn run(ctx: &Context, flags: ProfileLayer, cache_use: CacheUse) -> Result<TokenResult> {
    let config = ctx.load_config()?;
    let profile = ctx.resolve_profile(&config, flags)?;
    profile.check_endpoints()?;
    let secret = ClientSecret::new(&profile, &config);
    let uncached = |token| TokenResult {
        token,
        cached: false,
        note: None,
    };
    let cache = match cache_use.bypass {
        true => None,
        false => ctx.cache(),
    };
    let Some(cache) = cache else {
        return fetch_new(ctx, &profile, &secret).map(uncached);
    };
    let key = match cache.key(&profile, profile.grant.as_str(), &secret.credential()?) {
        Ok(key) => key,
        Err(why) => {
            ctx.warn(format!(
                "warning: not using the token cache: {why}; working uncached"
            ));
            return fetch_new(ctx, &profile, &secret).map(uncached);
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
    let refresh_token = entry
        .as_ref()
        .and_then(Entry::refresh_token)
        .filter(|_| profile.grant != ProfileGrant::ClientCredentials);
    let token = match refresh_token {
        Some(refresh_token) => refresh(ctx, &profile, &secret, cache, &key, refresh_token)?,
        None => fetch_new(ctx, &profile, &secret)?,
    };
    let stored = store(
        cache,
        &lock,
        &profile,
        profile.grant.as_str(),
        &token,
        entry.as_ref(),
    );
    if let Some(warning) = cache_warning(&lock, stored.err()) {
        ctx.warn(warning);
    }
    Ok(uncached(token))
}

/// One line about what the cache could not do for a token that came from the server: no lock
/// (parallel runs may each have asked), no write (the next run asks again), or both.
pub(crate) fn cache_warning(lock: &KeyLock, stored: Option<String>) -> Option<String> {
    match (lock.problem(), stored) {
        (None, None) => None,
        (Some(lock), None) => Some(format!(
            "warning: went ahead without the cache lock ({lock}); parallel runs may each have asked for a token"
        )),
        (None, Some(store)) => Some(format!("warning: the token was not cached: {store}")),
        (Some(lock), Some(store)) => Some(format!(
            "warning: the token was not cached: {store} (nor could the cache be locked: {lock})"
        )),
    }
}

/// A new token without a refresh token: client_credentials, or for a user profile, nothing
/// (fetch never opens a browser or prompts in CI).
fn fetch_new(ctx: &Context, profile: &Profile, secret: &ClientSecret<'_>) -> Result<TokenResponse> {
    if profile.grant != ProfileGrant::ClientCredentials {
        return Err(login_required(profile, "has no usable refresh token"));
    }
    let transport = Transport::new(profile.timeout(), profile.ca_file.as_deref())?;
    request_token(
        ctx,
        &transport,
        profile,
        secret.get()?,
        &Grant::ClientCredentials,
    )
}

fn login_required(profile: &Profile, why: &str) -> Error {
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
    ctx: &Context,
    profile: &Profile,
    secret: &ClientSecret<'_>,
    cache: &Cache,
    key: &Key,
    refresh_token: &str,
) -> Result<TokenResponse> {
    let refresh_token = Secret::new(refresh_token.to_string());
    let grant = Grant::RefreshToken {
        refresh_token: &refresh_token,
    };
    let transport = Transport::new(profile.timeout(), profile.ca_file.as_deref())?;
    match request_token(ctx, &transport, profile, secret.get()?, &grant) {
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

/// Caches a token that can be reused: one with a known expiry, or a refresh token. A token with
/// neither is never cached as eternal (SECURITY 14). A refresh response without a new refresh
/// token keeps the old one (RFC 6749 §6, SECURITY 30). Says whether the token was cached; an
/// error says why it could not be.
pub fn store(
    cache: &Cache,
    lock: &KeyLock,
    profile: &Profile,
    grant: &str,
    token: &TokenResponse,
    previous: Option<&Entry>,
) -> std::result::Result<bool, String> {
    let mut response = token.fields.clone();
    if token.refresh_token().is_none()
        && let Some(old) = previous.and_then(Entry::refresh_token)
    {
        response.insert("refresh_token".into(), old.into());
    }
    let has_refresh = response
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .is_some_and(|t| !t.is_empty());
    if token.expires_at.is_none() && !has_refresh {
        cache.remove(lock.key())?;
        return Ok(false);
    }
    let entry = Entry {
        version: crate::cache::FORMAT_VERSION,
        profile: profile.name.clone(),
        endpoint: profile
            .token_url
            .clone()
            .or_else(|| profile.issuer.clone())
            .unwrap_or_default(),
        client_id: profile.client_id.clone().unwrap_or_default(),
        grant: grant.to_string(),
        scope: profile.scope.clone(),
        stored_at: now(),
        expires_at: token.expires_at,
        response,
    };
    cache.store(lock, &entry).map(|()| true)
}
