//! `oauthctl revoke`: token revocation (RFC 7009), authenticated as the profile's client (§2.1).
//!
//! Without a TOKEN it revokes what the profile has cached, the refresh token first (revoking it
//! should take the grant's access tokens with it, §2.1) and then the access token, and forgets the
//! entry; with one it revokes that, and forgets the cache entry holding it, if any. A server that
//! does not know a token still answers 200 (§2.2): revoked is what the server says it is.

use std::time::Duration;

use crate::cache::{Cache, Credential, Entry, Key};
use crate::config::GrantKind;
use crate::discovery::Endpoint;
use crate::error::{Error, Result};
use crate::http::Resend;
use crate::oauth::{Client, Param};
use crate::resolve::Profile;
use crate::secret::{Secret, SecretSource};
use crate::settings::Settings;

pub struct RevokeInput {
    /// As given on the command line; `-` reads stdin; `None` revokes the profile's cached tokens.
    pub token: Option<String>,
    pub hint: Option<&'static str>,
}

/// What was revoked, for `output`. Never holds a token.
#[derive(Debug)]
pub struct Outcome {
    /// "profile `NAME`", or what stands for one.
    pub profile: String,
    /// The revocation endpoint, when a request was sent.
    pub endpoint: Option<String>,
    pub revoked: Vec<Revoked>,
    /// A cache entry holding a revoked token was deleted.
    pub forgotten: bool,
    /// The DPoP key the profile's tokens were bound to was removed (DESIGN §12).
    pub dpop_key_removed: bool,
}

/// One token the server accepted to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The `token_type_hint` sent (RFC 7009 §2.1), if any.
    pub hint: Option<&'static str>,
    /// It was one of the profile's cached tokens.
    pub cached: bool,
}

const REFRESH_TOKEN: &str = "refresh_token";
const ACCESS_TOKEN: &str = "access_token";

pub fn run(settings: &Settings, input: RevokeInput) -> Result<Outcome> {
    let secret_from_stdin = settings.flags().secret == Some(SecretSource::Stdin);
    let token = match input.token {
        Some(token) if token == "-" => Some(crate::input::token_from_stdin(secret_from_stdin)?),
        Some(token) => Some(crate::input::checked_token(token.as_bytes())?),
        None if input.hint.is_some() => {
            return Err(Error::Usage(
                "--token-type-hint describes TOKEN; without one, each cached token is revoked with its own hint".into(),
            ));
        }
        None => None,
    };
    let revocation = Revocation::new(settings, settings.profile()?);
    match token {
        Some(token) => revoke_given(settings, revocation, Secret::new(token), input.hint),
        None => revoke_cached(settings, revocation),
    }
}

/// DESIGN §12: the DPoP key oauthctl made for an entry's tokens goes with them once the server
/// was asked to revoke them, whatever it answered: a token it did not revoke is of no use to
/// anyone without the key. A `dpop_key_file` is the user's and stays. Whether a key was removed.
fn remove_entry_key(cache: &Cache, key: &Key, entry: &Entry) -> std::result::Result<bool, String> {
    let Some(name) = &entry.dpop_key else {
        return Ok(false);
    };
    // A key shared with an entry that stays (another grant of the same client) stays too; an
    // entry being revoked is still listed when its revocation failed, and then keeps it.
    // A cache that cannot be listed may hold such an entry: the key stays.
    match cache.dpop_keys_in_use(Some(key)) {
        Some(in_use) if !in_use.contains(name) => {}
        _ => return Ok(false),
    }
    match crate::dpop::Store::existing(cache)? {
        Some(store) => store.remove_key(name),
        None => Ok(false),
    }
}

/// Whether the server answered the revocation (rather than the request not being made or not
/// arriving).
fn server_answered(error: &Error) -> bool {
    matches!(
        error,
        Error::Refused(_)
            | Error::Unreachable {
                status: Some(_),
                ..
            }
    )
}

/// `error`, saying what became of the DPoP key of the entry whose revocation it ended.
fn with_key_note(error: Error, removed: std::result::Result<bool, String>) -> Error {
    let note = match removed {
        Ok(true) => "; the DPoP key the tokens are bound to is removed".to_string(),
        Ok(false) => return error,
        Err(why) => format!("; the DPoP key the tokens are bound to could not be removed: {why}"),
    };
    match error {
        Error::Refused(mut refusal) => {
            refusal.message.push_str(&note);
            Error::Refused(refusal)
        }
        Error::Unreachable { message, status } => Error::Unreachable {
            message: message + &note,
            status,
        },
        other => other,
    }
}

/// Where the profile's tokens are cached: the entries its requests would use now (under its own
/// grant, and under `authorization_code` for what `exchange-code` stored), and every entry it
/// stored for the same client and endpoint under a secret it has since changed, found by its name
/// as `cache clear -p` finds them. So a token is found even when the cache's keys cannot be
/// computed (a fingerprint key that cannot be read), or were replaced: a revocation that says
/// "nothing to revoke" while a live token stays cached would be a lie. Reads the client's
/// credential identity (`Credential::of`): a secret that cannot be read is the error
/// it would be anyway.
fn cached_keys(settings: &Settings, cache: &Cache, profile: &Profile) -> Result<Vec<Key>> {
    let credential = Credential::for_run(settings)?;
    let mut keys: Vec<Key> = Vec::new();
    for grant in [profile.grant, GrantKind::AuthorizationCode] {
        match cache.key(profile, grant.as_str(), &credential) {
            Ok(key) if !keys.contains(&key) => keys.push(key),
            Ok(_) => {}
            Err(why) => {
                settings.warn(format!(
                    "warning: the token cache cannot compute its keys: {why}; looking for the profile's tokens by its name"
                ));
                break;
            }
        }
    }
    // A workload's tokens are found by its identity alone: by the profile's name, a job would
    // revoke another job's live token on a shared runner (SECURITY 44).
    // So are those of a jwt_bearer profile that signs its own assertion: one key may act for
    // many subjects.
    let by_name = crate::identity::identity_source(profile)?.is_none()
        && !crate::oauth::credential::signs_own_grant_assertion(profile)?;
    if let Some(name) = profile.name.as_ref().filter(|_| by_name) {
        let endpoint = profile
            .token_url
            .as_deref()
            .or(profile.issuer.as_deref())
            .unwrap_or_default();
        let client_id = profile.client_id.as_deref().unwrap_or_default();
        for (key, entry) in cache.listing()?.entries {
            let ours = entry.profile.as_deref() == Some(name.as_str())
                && entry.client_id == client_id
                && entry.endpoint == endpoint;
            if ours && !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}

/// The cached refresh and access tokens of one entry, in the order they are revoked.
fn tokens_of(entry: &Entry) -> Vec<(&'static str, Secret)> {
    let refresh = entry.refresh_token().map(|t| (REFRESH_TOKEN, t));
    let access = entry
        .access_token()
        .filter(|t| !t.is_empty())
        .map(|t| (ACCESS_TOKEN, t));
    refresh
        .into_iter()
        .chain(access)
        .map(|(hint, t)| (hint, Secret::new(t.to_string())))
        .collect()
}

fn revoke_cached(settings: &Settings, mut revocation: Revocation<'_>) -> Result<Outcome> {
    let profile = revocation.profile;
    let mut outcome = revocation.outcome();
    // A cache that cannot be used holds nothing to revoke (the warning says why).
    let keys = match settings.cache() {
        Some(cache) => cached_keys(settings, cache, profile)?,
        None => Vec::new(),
    };
    for key in keys {
        let Some(cache) = settings.cache() else { break };
        // Held while revoking, so that a parallel `fetch` does not renew (and cache) a token from
        // the grant being revoked.
        let lock = cache.lock(&key, profile.timeout() + Duration::from_secs(5));
        let Some(mut entry) = cache.load(&key) else {
            continue;
        };
        let tokens = tokens_of(&entry);
        let all: Vec<&Secret> = tokens.iter().map(|(_, t)| t).collect();
        for (index, (hint, token)) in tokens.iter().enumerate() {
            if let Err(e) = revocation.revoke(token, Some(*hint), &all) {
                let mut left = Ok(());
                if index > 0 {
                    // The refresh token went first and is dead: `fetch` must not present it
                    // again, and a second `revoke` need only send what is left.
                    entry.response.remove(REFRESH_TOKEN);
                    left = cache.store(&lock, &entry);
                }
                let e = match index > 0 || server_answered(&e) {
                    true => with_key_note(e, remove_entry_key(cache, &key, &entry)),
                    false => e,
                };
                return Err(after_partial(e, &outcome.revoked, left.err()));
            }
            outcome.revoked.push(Revoked {
                hint: Some(*hint),
                cached: true,
            });
            outcome.endpoint = revocation.url.clone();
        }
        cache
            .remove(&key)
            .map_err(|why| not_forgotten(&outcome, &why))?;
        outcome.forgotten = true;
        outcome.dpop_key_removed |= remove_entry_key(cache, &key, &entry)
            .map_err(|why| not_forgotten(&outcome, &format!("its DPoP key: {why}")))?;
    }
    if outcome.revoked.is_empty() {
        // Nothing to send, but a profile that could never revoke is still misconfigured. Without
        // an issuer this checks the configuration alone: no request is made.
        if profile.issuer.is_none() {
            revocation.endpoint()?;
        }
        outcome.endpoint = None;
    }
    Ok(outcome)
}

fn revoke_given(
    settings: &Settings,
    mut revocation: Revocation<'_>,
    token: Secret,
    hint: Option<&'static str>,
) -> Result<Outcome> {
    let profile = revocation.profile;
    // A cache problem must not stop a revocation: the cache is only looked at to forget.
    let cache = settings.cache();
    let keys = match cache {
        Some(cache) => cached_keys(settings, cache, profile).unwrap_or_default(),
        None => Vec::new(),
    };
    let cached = cache.and_then(|cache| {
        keys.into_iter().find_map(|key| {
            let entry = cache.load(&key)?;
            let kind = tokens_of(&entry)
                .into_iter()
                .find(|(_, t)| t.expose() == token.expose())?
                .0;
            Some((key, kind, entry))
        })
    });
    // The user's hint, else what the cache knows the token to be.
    let hint = hint.or(cached.as_ref().map(|(_, kind, _)| *kind));
    if let Err(e) = revocation.revoke(&token, hint, &[&token]) {
        return Err(match (cache, &cached) {
            (Some(cache), Some((key, _, entry))) if server_answered(&e) => {
                with_key_note(e, remove_entry_key(cache, key, entry))
            }
            _ => e,
        });
    }
    let mut outcome = revocation.outcome();
    outcome.revoked.push(Revoked {
        hint,
        cached: cached.is_some(),
    });
    if let (Some(cache), Some((key, _, entry))) = (cache, &cached) {
        outcome.dpop_key_removed = remove_entry_key(cache, key, entry)
            .map_err(|why| not_forgotten(&outcome, &format!("its DPoP key: {why}")))?;
        // The token is revoked already: a lock that cannot be had must not turn that into a
        // failure.
        let _lock = cache.lock(key, profile.timeout() + Duration::from_secs(5));
        // Only if it still holds the token: a parallel run may have renewed it meanwhile.
        if cache.load(key).is_some_and(|entry| {
            tokens_of(&entry)
                .iter()
                .any(|(_, t)| t.expose() == token.expose())
        }) {
            cache
                .remove(key)
                .map_err(|why| not_forgotten(&outcome, &why))?;
            outcome.forgotten = true;
        }
    }
    Ok(outcome)
}

/// Tokens were revoked but the cache entry holding them could not be removed: `fetch` would go
/// on printing a dead token, so this is an error that says both what happened and what did not.
fn not_forgotten(outcome: &Outcome, why: &str) -> Error {
    let what = match outcome.revoked.len() {
        1 => "the token",
        _ => "the tokens",
    };
    Error::Config(format!(
        "revoked {what} of {} but could not forget the cache entry: {why}; until it is removed, `oauthctl fetch` may print a revoked token",
        outcome.profile
    ))
}

/// A failure after some cached tokens were revoked: says which, and whether the cache could be
/// told (`not_stored`: why it could not).
fn after_partial(error: Error, revoked: &[Revoked], not_stored: Option<String>) -> Error {
    if revoked.is_empty() {
        return error;
    }
    let done: Vec<&str> = revoked
        .iter()
        .map(|r| match r.hint {
            Some(REFRESH_TOKEN) => "the refresh token",
            _ => "the access token",
        })
        .collect();
    let note = match not_stored {
        None => format!(
            "; revoked before this, and no longer cached: {}",
            done.join(", ")
        ),
        Some(why) => format!(
            "; revoked before this: {} (but it is still cached: {why})",
            done.join(", ")
        ),
    };
    match error {
        Error::Refused(mut refusal) => {
            refusal.message.push_str(&note);
            Error::Refused(refusal)
        }
        Error::Unreachable { message, status } => Error::Unreachable {
            message: message + &note,
            status,
        },
        other => other,
    }
}

/// The revocation endpoint and the client, found on first use: nothing is looked up, run or
/// prompted for when there is nothing to revoke (only a secret that can be read without side
/// effects is read, for the cache key).
struct Revocation<'a> {
    settings: &'a Settings,
    profile: &'a Profile,
    client: Option<Client<'a>>,
    url: Option<String>,
}

impl<'a> Revocation<'a> {
    fn new(settings: &'a Settings, profile: &'a Profile) -> Revocation<'a> {
        Revocation {
            settings,
            profile,
            client: None,
            url: None,
        }
    }

    fn outcome(&self) -> Outcome {
        Outcome {
            profile: self.profile.describe(),
            endpoint: self.url.clone(),
            revoked: Vec::new(),
            forgotten: false,
            dpop_key_removed: false,
        }
    }

    /// The revocation endpoint: configured, or from the issuer's metadata.
    fn endpoint(&mut self) -> Result<String> {
        if let Some(url) = &self.url {
            return Ok(url.clone());
        }
        let client = self.settings.client()?;
        let url = client.endpoint(Endpoint::Revocation)?;
        self.client = Some(client);
        self.url = Some(url.clone());
        Ok(url)
    }

    /// RFC 7009 §2.1: `token` and an optional `token_type_hint`, with client authentication.
    /// `sent` lists every token of this run, masked wherever the server might echo one.
    fn revoke(&mut self, token: &Secret, hint: Option<&str>, sent: &[&Secret]) -> Result<()> {
        self.endpoint()?;
        let Some(client) = &self.client else {
            return Err(Error::Internal("revocation endpoint not resolved".into()));
        };
        let mut params = vec![Param::secret("token", token)];
        if let Some(hint) = hint {
            params.push(Param::public("token_type_hint", hint));
        }
        client.post(
            Endpoint::Revocation,
            params,
            sent,
            // Revoking twice is revoking once (§2.2: an invalid token is answered 200 too).
            Resend::Always,
            |response, trace, host| {
                // §2.2 says 200 and that the body is to be ignored; any 2xx is taken as success
                // (several servers answer 204).
                if (200..300).contains(&response.status) {
                    return Ok(());
                }
                // §2.2.1: `unsupported_token_type` and RFC 6749 §5.2 errors; a 503 has been
                // retried by then as the profile allows.
                let endpoint = format!("the revocation endpoint {host}");
                Err(crate::oauth::failure(response, &endpoint, trace))
            },
        )
    }
}
