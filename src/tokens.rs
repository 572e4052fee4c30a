//! A profile's access token as `fetch` gives it, for every command that needs one (`fetch`,
//! `introspect -p NAME`, `inspect -p NAME`): from the cache while it has more than
//! `min_ttl_secs` left; else renewed with the cached refresh token (RFC 6749 §6); else, for a
//! client_credentials profile, a new one (RFC 6749 §4.4). The per-key lock makes parallel runs
//! send one request between them (DESIGN §7).

use std::time::Duration;

use crate::cache::{Cache, Credential, Entry, Key};
use crate::config::GrantKind;
use crate::error::{Error, Result};
use crate::oauth::client_auth::Assertion;
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
    /// A DPoP proof for the request the token goes with (`fetch --url`).
    pub dpop_proof: Option<Secret>,
}

impl TokenResult {
    /// A token fresh from the server.
    pub fn fresh(token: TokenResponse) -> TokenResult {
        TokenResult {
            token,
            cached: false,
            note: None,
            dpop_proof: None,
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
        if cache_use.bypass {
            settings.bypass_cache();
        }
        return fetch_new(settings, profile).map(TokenResult::fresh);
    };
    let credential = Credential::for_run(settings)?;
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
        && let Some(binding) = binding_with_the_profiles_key(settings, entry)?
        && let Some(token) =
            TokenResponse::from_cache(entry.response.clone(), entry.expires_at, binding)
    {
        return Ok(TokenResult {
            token,
            cached: true,
            note: None,
            dpop_proof: None,
        });
    }
    // A client_credentials client can always ask again, so it does (RFC 6749 §4.4.3: its
    // refresh tokens are not to be relied on); only user profiles renew with the refresh token.
    let renews = match profile.grant {
        // A workload's identity token is always at hand, and asking anew is how its grants renew.
        GrantKind::ClientCredentials | GrantKind::TokenExchange | GrantKind::JwtBearer => false,
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

/// A cached token's DPoP binding, when it can be used with the profile's key: `Some(None)` for a
/// token bound to no key (a Bearer answer), `Some(Some(…))` for one bound to the profile's key,
/// `None` for one bound to another (DESIGN §12: a generated key that has gone missing is a miss,
/// and the new key gets a new token).
#[allow(clippy::option_option)]
fn binding_with_the_profiles_key(
    settings: &Settings,
    entry: &Entry,
) -> Result<Option<Option<(String, crate::dpop::Kept)>>> {
    let Some(jkt) = &entry.dpop_jkt else {
        return Ok(Some(None));
    };
    Ok(settings
        .dpop()?
        .filter(|dpop| dpop.key.jkt == *jkt)
        .map(|dpop| Some((jkt.clone(), dpop.key.kept.clone()))))
}

/// The profile's cached access token, if there is one (fresh or not).
pub fn cached_access_token(settings: &Settings) -> Result<Option<String>> {
    let profile = settings.profile()?;
    let Some(cache) = settings.cache() else {
        return Ok(None);
    };
    let credential = Credential::for_run(settings)?;
    let Ok(key) = cache.key(profile, profile.grant.as_str(), &credential) else {
        return Ok(None);
    };
    Ok(cache
        .load(&key)
        .and_then(|entry| entry.access_token().map(str::to_string)))
}

/// Forgets the profile's cached access token when it is `presented` (a credential helper's
/// caller saw it rejected), so that the next run gets a new one; a refresh token in the entry is
/// kept, to renew with. Whether it was forgotten. Another token (not ours, or already renewed by
/// a parallel run) is left alone.
pub fn forget(settings: &Settings, presented: &str) -> Result<bool> {
    let profile = settings.profile()?;
    let Some(cache) = settings.cache() else {
        return Ok(false);
    };
    let credential = Credential::for_run(settings)?;
    let Ok(key) = cache.key(profile, profile.grant.as_str(), &credential) else {
        return Ok(false);
    };
    let lock = cache.lock(&key, profile.timeout() + Duration::from_secs(5));
    let Some(mut entry) = cache.load(&key) else {
        return Ok(false);
    };
    if entry.access_token() != Some(presented) {
        return Ok(false);
    }
    let forgotten = match entry.refresh_token() {
        // Kept for its refresh token alone, as an entry without an expiry is.
        Some(_) => {
            entry.response.remove("access_token");
            entry.expires_at = None;
            cache.store(&lock, &entry)
        }
        None => cache.remove(&key).map(|_| ()),
    };
    forgotten.map_err(|why| {
        Error::Config(format!(
            "cannot forget the rejected token of {}: {why}",
            profile.describe()
        ))
    })?;
    Ok(true)
}

/// A new token without a refresh token: client_credentials, or for a user profile, nothing
/// (fetch never opens a browser or prompts in CI).
fn fetch_new(settings: &Settings, profile: &Profile) -> Result<TokenResponse> {
    let identity;
    let grant_assertion;
    let subject_token_type;
    let requested_token_type;
    let grant = match profile.grant {
        GrantKind::ClientCredentials => Grant::ClientCredentials,
        GrantKind::AuthorizationCode | GrantKind::DeviceCode => {
            return Err(login_required(profile, "has no usable refresh token"));
        }
        GrantKind::TokenExchange => {
            identity = identity_token(settings, profile)?;
            (subject_token_type, requested_token_type) =
                crate::oauth::grant::exchange_token_types(profile);
            Grant::TokenExchange {
                subject_token: &identity,
                subject_token_type: &subject_token_type,
                requested_token_type: requested_token_type.as_deref(),
            }
        }
        GrantKind::JwtBearer => {
            grant_assertion = if crate::oauth::credential::signs_own_grant_assertion(profile)? {
                self_signed_grant(settings, profile)?
            } else {
                Assertion::Given(identity_token(settings, profile)?)
            };
            Grant::JwtBearer {
                assertion: &grant_assertion,
            }
        }
    };
    let client = settings.client()?;
    let federated = profile.auth_method == crate::config::AuthMethod::FederatedJwt;
    if !matches!(
        profile.grant,
        GrantKind::TokenExchange | GrantKind::JwtBearer
    ) && !federated
    {
        return client.token(&grant);
    }
    if federated {
        // Obtained here, so that a failure to get it is not taken for the exchange's.
        client.credential()?;
    }
    // DESIGN §11: a failure names its step, getting the identity token (`identity::obtain`) or
    // exchanging it; finding the token endpoint is neither.
    let at = client.endpoint(crate::discovery::Endpoint::Token)?;
    let exchanging = |e: Error| e.in_step(&format!("exchanging the identity token at {at}"));
    // A token exchange's answer is checked with the rest of it (`Grant::check_answer`).
    client.token(&grant).map_err(exchanging)
}

/// The identity token a token_exchange or jwt_bearer profile presents.
fn identity_token(settings: &Settings, profile: &Profile) -> Result<Secret> {
    settings
        .identity_token()?
        .cloned()
        .ok_or_else(|| no_identity(profile))
}

fn no_identity(profile: &Profile) -> Error {
    let or_key = match profile.grant {
        GrantKind::JwtBearer => {
            " (or a private key, to sign the assertion: private_key_file / _env / _command)"
        }
        _ => "",
    };
    Error::Config(format!(
        "{} has grant = \"{}\", which presents a workload identity token: set identity_token_from (github-actions, kubernetes, circleci, buildkite) or identity_token_env / _file / _command{or_key}",
        profile.describe(),
        profile.grant.as_str()
    ))
}

/// A JWT bearer grant's assertion to be signed with the profile's private key for each request,
/// for the audience its client assertions would have (the token endpoint unless
/// `assertion_audience` says otherwise).
pub fn self_signed_grant(settings: &Settings, profile: &Profile) -> Result<Assertion> {
    let secret = settings.secret()?;
    let key = secret.key()?.ok_or_else(|| no_identity(profile))?;
    let signer = crate::oauth::credential::grant_signer(profile, key)?;
    let client = settings.client()?;
    let completed = client.discover(&[crate::discovery::Endpoint::Token])?;
    Ok(Assertion::Signed {
        signer: std::rc::Rc::new(signer),
        audience: crate::oauth::client_auth::assertion_audience(&completed.profile)?,
    })
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
