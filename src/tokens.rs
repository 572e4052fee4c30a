//! A profile's access token as `fetch` gives it, for every command that needs one (`fetch`,
//! `introspect -p NAME`, `inspect -p NAME`): from the cache while it has more than
//! `min_ttl_secs` left; else renewed with the cached refresh token (RFC 6749 §6); else, for a
//! client_credentials profile, a new one (RFC 6749 §4.4). The per-key lock makes parallel runs
//! send one request between them (DESIGN §7).
//!
//! `fetch --id-token` asks for a user profile's ID token (OpenID Connect Core §2) instead, by
//! the same steps: served from the cache while its own `exp` is more than `min_ttl_secs` away,
//! else renewed with the refresh token, whose answer carries the new one (§12.2).

use std::time::Duration;

use serde_json::{Map, Value};

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
    /// The ID token, when the run asked for it (`Wanted::IdToken`): what the output prints in
    /// place of the access token.
    pub id_token: Option<IdToken>,
}

impl TokenResult {
    /// A token fresh from the server.
    pub fn fresh(token: TokenResponse) -> TokenResult {
        TokenResult {
            token,
            cached: false,
            note: None,
            dpop_proof: None,
            id_token: None,
        }
    }

    /// `token` as the run wants it: with its ID token, when that is what it asked for, or the
    /// error that says why there is none.
    fn wanted(
        token: TokenResponse,
        cached: bool,
        wanted: Wanted,
        profile: &Profile,
    ) -> Result<TokenResult> {
        let id_token = match wanted {
            Wanted::AccessToken => None,
            Wanted::IdToken => Some(match IdToken::of(&token.fields) {
                // A server may hand the sign-in's ID token back with the refreshed tokens; one
                // that has expired is of use to no API server (OpenID Connect Core §3.1.3.7).
                Ok(id_token) if id_token.exp <= now() => {
                    return Err(login_required(
                        profile,
                        "has only an expired ID token: the server sent it back with the refreshed tokens; sign in again for a new one",
                    ));
                }
                Ok(id_token) => id_token,
                Err(NoIdToken::Absent) => return Err(no_id_token(profile)),
                Err(NoIdToken::Unreadable(why)) => {
                    return Err(Error::unreachable(format!(
                        "the ID token the server sent for {} cannot be used: {why}",
                        profile.describe()
                    )));
                }
            }),
        };
        Ok(TokenResult {
            cached,
            id_token,
            ..TokenResult::fresh(token)
        })
    }
}

/// Which of a profile's tokens a run is after: its life decides whether a cached entry is fresh,
/// and the result carries it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Wanted {
    /// The access token, fresh by the entry's `expires_at`.
    #[default]
    AccessToken,
    /// The signed-in user's ID token (OpenID Connect Core §2), fresh by its own `exp`: `fetch
    /// --id-token`, for kubectl's OIDC sign-in.
    IdToken,
}

impl Wanted {
    /// Whether `entry` can be served as it is.
    fn is_fresh_in(self, entry: &Entry, now: i64, min_ttl: u64) -> bool {
        match self {
            Wanted::AccessToken => entry.is_fresh(now, min_ttl),
            Wanted::IdToken => IdToken::of(&entry.response)
                .is_ok_and(|id_token| crate::cache::lives_past(id_token.exp, now, min_ttl)),
        }
    }
}

/// A user's ID token (OpenID Connect Core §2) and its `exp`, read from the JWT's payload without
/// verifying it: oauthctl only passes the token on, to a relying party that verifies it, and uses
/// `exp` only to decide when to renew it and to tell kubectl when to ask again. Nothing else in
/// it is read, let alone trusted.
#[derive(Debug, Clone)]
pub struct IdToken {
    pub token: Secret,
    /// The `exp` claim, Unix seconds.
    pub exp: i64,
}

/// Why a token response has no ID token to give.
enum NoIdToken {
    /// The server sent none.
    Absent,
    /// It sent something that is not a JWT with an `exp`; why, without quoting it.
    Unreadable(&'static str),
}

impl IdToken {
    /// The `id_token` member of a token response (OpenID Connect Core §3.1.3.3), as a compact
    /// JWS with a NumericDate `exp` (§2 requires one; RFC 7519 §2).
    fn of(response: &Map<String, Value>) -> std::result::Result<IdToken, NoIdToken> {
        let token = match response.get("id_token") {
            None | Some(Value::Null) => return Err(NoIdToken::Absent),
            Some(Value::String(token)) if token.is_empty() => return Err(NoIdToken::Absent),
            Some(Value::String(token)) => token,
            Some(_) => return Err(NoIdToken::Unreadable("it is not a string")),
        };
        // Only the characters of a compact JWS (base64url and dots, RFC 7515 §7.1), so that
        // what is printed is the token byte for byte and nothing else: the decoder would take
        // a `Bearer ` prefix or surrounding spaces too.
        let compact = token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        let jwt =
            crate::jwt::decode(token)
                .ok()
                .filter(|_| compact)
                .ok_or(NoIdToken::Unreadable(
                    "it is not a signed JWT (OpenID Connect Core §2)",
                ))?;
        match jwt.time("exp") {
            crate::jwt::TimeClaim::At(exp) => Ok(IdToken {
                token: Secret::new(token.clone()),
                exp,
            }),
            _ => Err(NoIdToken::Unreadable(
                "its `exp` is missing or not a NumericDate (OpenID Connect Core §2 requires one)",
            )),
        }
    }
}

/// `fetch --id-token` is for user profiles: an ID token is about a signed-in user (OpenID
/// Connect Core §2), and a client or workload acting on its own behalf never gets one. Asking
/// for it there is a mistake in the command line, refused before anything is sent (exit 2).
pub fn check_id_token_profile(profile: &Profile) -> Result<()> {
    if profile.grant.signs_in_a_user() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--id-token: {} has grant = \"{}\", and an ID token is only ever issued to a user's \
         sign-in (OpenID Connect Core §2), never to a client acting on its own: use a user profile \
         (grant = \"authorization_code\" or \"device_code\", signed in with `oauthctl login`)",
        profile.describe(),
        profile.grant.as_str()
    )))
}

/// The error of a user profile with no ID token to give (exit 6): what to change, then sign in.
fn no_id_token(profile: &Profile) -> Error {
    let asks_openid = profile
        .scope
        .as_deref()
        .is_some_and(|scope| scope.split(' ').any(|s| s == "openid"));
    let why = if asks_openid {
        "has no ID token: the server sent none, neither at sign-in nor with the refreshed tokens \
         (OpenID Connect Core §12.2 lets a refresh leave it out); sign in again for a new one"
    } else {
        "has no ID token: a server issues one only to a sign-in that asks for the `openid` scope \
         (OpenID Connect Core §3.1.2.1); add openid to the profile's scope and sign in again"
    };
    login_required(profile, why)
}

/// The cache controls of `fetch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheUse {
    /// Neither read nor write the cache.
    pub bypass: bool,
    /// Ignore a cached access token (a refresh token may still be used).
    pub force: bool,
    /// Which token the run is after, and so whose life decides freshness.
    pub wanted: Wanted,
}

/// The profile's access token, or with `Wanted::IdToken` its ID token.
pub fn current(settings: &Settings, cache_use: CacheUse) -> Result<TokenResult> {
    let profile = settings.profile()?;
    profile.check_endpoints()?;
    let wanted = cache_use.wanted;
    if wanted == Wanted::IdToken {
        check_id_token_profile(profile)?;
    }
    let cache = match cache_use.bypass {
        true => None,
        false => settings.cache(),
    };
    let Some(cache) = cache else {
        if cache_use.bypass {
            settings.bypass_cache();
        }
        return TokenResult::wanted(fetch_new(settings, profile)?, false, wanted, profile);
    };
    let credential = Credential::for_run(settings)?;
    let key = match cache.key(profile, profile.grant.as_str(), &credential) {
        Ok(key) => key,
        Err(why) => {
            settings.warn(format!(
                "warning: not using the token cache: {why}; working uncached"
            ));
            return TokenResult::wanted(fetch_new(settings, profile)?, false, wanted, profile);
        }
    };
    // Wait for a holder at most as long as its own request may take.
    let lock = cache.lock(&key, profile.timeout() + Duration::from_secs(5));
    let entry = cache.load(&key);
    if let Some(entry) = &entry
        && !cache_use.force
        && wanted.is_fresh_in(entry, now(), profile.min_ttl_secs)
        && let Some(binding) = binding_with_the_profiles_key(settings, entry)?
        && let Some(token) =
            TokenResponse::from_cache(entry.response.clone(), entry.expires_at, binding)
    {
        return TokenResult::wanted(token, true, wanted, profile);
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
    // Stored first, whatever it lacks: a rotated refresh token must not be lost (SECURITY 30).
    TokenResult::wanted(token, false, wanted, profile)
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

/// Forgets the profile's cached access token (a credential helper's caller saw it rejected, or
/// logged out), so that the next run gets a new one; a refresh token in the entry is kept, to
/// renew with. With `presented`, only if it is that token: another (not ours, or already renewed
/// by a parallel run) is left alone. Whether a token was forgotten.
pub fn forget(settings: &Settings, presented: Option<&str>) -> Result<bool> {
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
    match (entry.access_token(), presented) {
        (None, _) => return Ok(false),
        (Some(cached), Some(presented)) if cached != presented => return Ok(false),
        _ => {}
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
            "cannot forget the cached token of {}: {why}",
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(claims: Value) -> String {
        use base64::Engine;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", b64(&json!({"alg": "RS256"})), b64(&claims))
    }

    fn id_token_of(id_token: Value) -> std::result::Result<IdToken, NoIdToken> {
        let mut response = Map::new();
        response.insert("access_token".into(), "at".into());
        response.insert("id_token".into(), id_token);
        IdToken::of(&response)
    }

    #[test]
    fn an_id_token_is_a_compact_jws_with_a_numeric_exp() {
        let token = jwt(json!({"sub": "alice", "exp": 1_700_000_000}));
        let id_token = id_token_of(token.clone().into()).ok().unwrap();
        assert_eq!(
            (id_token.token.expose(), id_token.exp),
            (token.as_str(), 1_700_000_000)
        );
        for absent in [Value::Null, "".into()] {
            assert!(matches!(id_token_of(absent), Err(NoIdToken::Absent)));
        }
        assert!(matches!(IdToken::of(&Map::new()), Err(NoIdToken::Absent)));
        for unreadable in [
            json!(7),
            "opaque".into(),
            format!("Bearer {token}").into(),
            format!(" {token}").into(),
            jwt(json!({"sub": "alice"})).into(),
            jwt(json!({"exp": "1700000000"})).into(),
        ] {
            assert!(
                matches!(
                    id_token_of(unreadable.clone()),
                    Err(NoIdToken::Unreadable(_))
                ),
                "{unreadable}"
            );
        }
    }

    #[test]
    fn an_entry_is_fresh_by_the_wanted_tokens_own_expiry() {
        let now = 1_000_000;
        let mut response = Map::new();
        response.insert("access_token".into(), "at".into());
        response.insert("id_token".into(), jwt(json!({"exp": now + 100})).into());
        let entry = Entry {
            version: crate::cache::FORMAT_VERSION,
            profile: None,
            endpoint: String::new(),
            client_id: String::new(),
            grant: "device_code".into(),
            scope: None,
            stored_at: now,
            expires_at: Some(now + 3600),
            response,
            dpop_jkt: None,
            dpop_key: None,
        };
        assert!(Wanted::AccessToken.is_fresh_in(&entry, now, 600));
        assert!(!Wanted::IdToken.is_fresh_in(&entry, now, 600));
        assert!(Wanted::IdToken.is_fresh_in(&entry, now, 60));
        assert!(
            !Wanted::IdToken.is_fresh_in(&entry, now + 100, 0),
            "expired"
        );
    }
}
