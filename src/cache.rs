//! The token cache (DESIGN §7, SECURITY 7–14, 48): one 0600 file per key in a 0700 directory,
//! written atomically, guarded by a per-key lock so that parallel runs send one request.
//!
//! The directory is opened once, as a handle, after checking it and every directory above it
//! (`files::Dir`): every entry, lock and temp file is then opened relative to that handle with
//! `O_NOFOLLOW`, and only regular files of the user's that nobody else can write are believed. A
//! directory that fails those checks is not used at all: the run works uncached and says why once.
//!
//! The key is a SHA-256 over what decides which token the server would issue (token URL, client,
//! grant, scope, audience, resource, extra params) and over the client's credential identity: a
//! keyed fingerprint of its secret, never the secret itself, which is never stored.
//!
//! The cache can only ever cost a request, never fail a command that would otherwise work:
//! anything unreadable is a miss, a lock that cannot be had is gone without, and a write that
//! fails is a warning.

use std::cell::OnceCell;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::files::{Dir, Refused, Untrusted, is_temp_of};
use crate::resolve::Profile;
use crate::secret::Secret;
use crate::untrusted::printable;

/// Cache files are small; anything bigger is not ours.
const MAX_ENTRY_BYTES: u64 = 1024 * 1024;
pub const FORMAT_VERSION: u32 = 1;

/// Env var that puts the cache somewhere else (all platforms).
pub const DIR_ENV: &str = "OAUTHCTL_CACHE_DIR";

/// The HMAC key of the credential fingerprints: 32 random bytes, made on first use.
const FINGERPRINT_KEY: &str = "fingerprint.key";
const FINGERPRINT_KEY_BYTES: usize = 32;

/// One cached token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub version: u32,
    /// The profile that stored it, for `cache list` and `cache clear -p` (informational).
    pub profile: Option<String>,
    pub endpoint: String,
    pub client_id: String,
    pub grant: String,
    pub scope: Option<String>,
    pub stored_at: i64,
    /// When the access token expires; `None` for an entry kept only for its refresh token.
    pub expires_at: Option<i64>,
    /// The provider's response as received (plus a carried-over refresh token).
    pub response: Map<String, Value>,
    /// The thumbprint of the DPoP key the token is bound to (DESIGN §12), for a DPoP token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// The file name of that key in the cache directory's `dpop/`, when oauthctl made it: it
    /// goes with the entry (`cache clear`, `revoke`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<String>,
}

impl Entry {
    pub fn access_token(&self) -> Option<&str> {
        self.response.get("access_token").and_then(Value::as_str)
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.response
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
    }

    /// Reusable: more than `min_ttl` seconds of life left (SECURITY 14), and no more than a fresh
    /// answer could have given it (SECURITY 26), so that an entry claiming a century is a miss.
    pub fn is_fresh(&self, now: i64, min_ttl: u64) -> bool {
        match (self.access_token(), self.expires_at) {
            (Some(_), Some(at)) => lives_past(at, now, min_ttl),
            _ => false,
        }
    }
}

/// Whether a cached token expiring `at` can be served `now`: more than `min_ttl` seconds of life
/// left (SECURITY 14), and no more than a fresh answer could have given it (SECURITY 26).
pub fn lives_past(at: i64, now: i64, min_ttl: u64) -> bool {
    let left = at.saturating_sub(now);
    left > min_ttl as i64 && left <= crate::oauth::MAX_EXPIRES_IN as i64
}

/// A cache key: the hex SHA-256 of the request's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(pub String);

impl Key {
    /// What identifies a token: the same inputs get the same token from a server, different ones
    /// never share an entry (SECURITY 12). `credential` is the client's credential identity
    /// (`Credential::of`, as `Cache::key` passes it), so that a changed or wrong secret never gets a token another
    /// secret obtained (DESIGN §7).
    pub fn for_request(profile: &Profile, grant: &str, credential: &str) -> Key {
        let mut params: Vec<&(String, String)> = profile.params.iter().collect();
        params.sort();
        let identity = serde_json::json!([
            FORMAT_VERSION,
            profile.token_url.as_deref().or(profile.issuer.as_deref()),
            profile.client_id,
            grant,
            profile.scope,
            profile.audience,
            profile.resource,
            params,
            credential,
        ]);
        Key(sha256_hex(identity.to_string().as_bytes()))
    }

    fn entry_name(&self) -> String {
        format!("{}.json", self.0)
    }

    fn lock_name(&self) -> String {
        format!("{}.lock", self.0)
    }

    /// The key of an entry file name (`<64 hex>.json`).
    fn of_entry(name: &str) -> Option<Key> {
        let hex = name.strip_suffix(".json")?;
        let valid = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| Key(hex.to_string()))
    }
}

/// Lower-case hex, for cache file names and fingerprints.
fn hex(bytes: &[u8]) -> String {
    // Not `format!("{b:02x}")` per byte: this runs on every cached fetch, and the formatting
    // machinery cost 38K instructions of it.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    text
}

/// Lower-case hex SHA-256, the name of a cache file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Who the client is, for the cache key (DESIGN §7).
#[derive(Debug)]
pub enum Credential<'a> {
    /// A secret that could be read without side effects (literal, env var, file,
    /// `OAUTHCTL_CLIENT_SECRET`): its keyed fingerprint; with the client certificate's
    /// thumbprint, when it presents one.
    Secret(&'a Secret, Option<String>),
    /// A secret that cannot be read without running a command or asking someone, or a public
    /// client: described, so that a cache hit runs nothing and asks nothing.
    Described(String),
}

impl Credential<'_> {
    /// The client's credential identity (DESIGN §7): a secret that can be read without side
    /// effects is read (and an unreadable one is the error it would be on a cache miss), so that
    /// a changed or wrong secret never gets another's token; a command or a prompt is only
    /// described, so that a cache hit runs nothing and asks nobody.
    pub fn of(secret: &crate::oauth::ClientSecret) -> Result<Credential<'_>> {
        Credential::with_identity(secret, None)
    }

    /// The run's credential identity, with the workload identity token's `iss`, `sub` and `aud`
    /// when the profile has one (DESIGN §7, SECURITY 44: two workloads on one machine never share
    /// a token; a cache hit still costs the identity token, never the exchange).
    pub fn for_run(settings: &crate::settings::Settings) -> Result<Credential<'_>> {
        let identity = settings.identity_token()?;
        let secret = settings.secret()?;
        let credential = Credential::with_identity(secret, identity)?;
        let profile = settings.profile()?;
        // A token exchange asks for a type of token: another type is another token.
        if profile.grant == crate::config::GrantKind::TokenExchange {
            let (subject, requested) = crate::oauth::grant::exchange_token_types(profile);
            return Ok(credential.and(format!("token types {requested:?} for {subject}")));
        }
        // A JWT bearer assertion signed here names whom it asks for (`sub`: one service account
        // may act for many users): that, and the key, are the identity.
        if !crate::oauth::credential::signs_own_grant_assertion(profile)? {
            return Ok(credential);
        }
        let key = key_identity(secret)?.unwrap_or_default();
        Ok(credential.and(format!(
            "self-signed assertion iss {:?} sub {:?} claims {:?} {key}",
            profile.assertion_issuer, profile.assertion_subject, profile.assertion_claims
        )))
    }

    fn with_identity<'s>(
        secret: &'s crate::oauth::ClientSecret,
        identity: Option<&crate::secret::Secret>,
    ) -> Result<Credential<'s>> {
        let credential = Credential::with_certificate(secret)?;
        let Some(identity) = identity else {
            return Ok(credential);
        };
        Ok(credential.and(crate::identity::identity_claims(identity)))
    }

    /// The same credential with more that tells it apart.
    fn and(self, more: String) -> Self {
        match self {
            Credential::Secret(secret, extra) => Credential::Secret(
                secret,
                Some(match extra {
                    Some(extra) => format!("{extra} with {more}"),
                    None => more,
                }),
            ),
            Credential::Described(what) => Credential::Described(format!("{what} with {more}")),
        }
    }

    fn with_certificate(secret: &crate::oauth::ClientSecret) -> Result<Credential<'_>> {
        let profile = secret.profile();
        let identity = Credential::without_certificate(secret)?;
        // A DPoP profile's tokens are another kind of token (DESIGN §12); which key they are
        // bound to is kept in the entry (`Entry::dpop_jkt`).
        let identity = match profile.uses_dpop() {
            true => identity.and("DPoP".into()),
            false => identity,
        };
        // A token may be bound to the certificate the client presents (RFC 8705 §3), whatever
        // its method: another certificate is another credential. Reading the file runs nothing.
        let Some(path) = &profile.client_certificate_file else {
            return Ok(identity);
        };
        crate::oauth::credential::check_certificate_has_key(profile)?;
        let shown = format!("client_certificate_file `{}`", path.display());
        let bytes = crate::files::read_capped(path, crate::http::MAX_BODY_BYTES)
            .map_err(|e| Error::Config(format!("cannot read {shown}: {e}")))?;
        let chain = crate::keys::certificate::CertificateChain::from_pem(&bytes, &shown)
            .map_err(Error::Config)?;
        Ok(identity.and(format!("certificate x5t#S256 {}", chain.x5t_s256())))
    }

    fn without_certificate(secret: &crate::oauth::ClientSecret) -> Result<Credential<'_>> {
        let profile = secret.profile();
        let method = profile.auth_method;
        if crate::oauth::credential::needs_key(method) {
            return Ok(Credential::Described(
                key_identity(secret)?.unwrap_or_else(|| "no private key".into()),
            ));
        }
        if !crate::oauth::ClientAuth::needs_secret(method) {
            return Ok(Credential::Described("none (a public client)".into()));
        }
        match &profile.secret {
            Some(source) if source.is_side_effect_free() => match secret.get()? {
                Some(secret) => Ok(Credential::Secret(secret, None)),
                None => Err(Error::Internal(
                    "a confidential client without a secret".into(),
                )),
            },
            Some(source) => Ok(Credential::Described(source.identity())),
            None => Ok(Credential::Described("asked for when needed".into())),
        }
    }
}

/// The client's private key as the cache key names it (`None` without one): its public thumbprint
/// when it can be read without running anything (a changed key is another credential), else its
/// source.
fn key_identity(secret: &crate::oauth::ClientSecret) -> Result<Option<String>> {
    let Some(source) = crate::oauth::credential::key_source(secret.profile())? else {
        return Ok(None);
    };
    if !source.is_side_effect_free() {
        return Ok(Some(source.identity()));
    }
    match secret.key()? {
        Some(key) => Ok(Some(format!("private key {}", key.key.thumbprint()))),
        None => Err(Error::Internal("a key source without a key".into())),
    }
}

/// The cache directory, open and checked.
#[derive(Debug)]
pub struct Cache {
    dir: Dir,
    /// The fingerprint key, read (or made) on first use.
    fingerprint_key: OnceCell<std::result::Result<ring::hmac::Key, String>>,
}

/// Held while a key is being read, fetched and written; dropping it releases the lock. The
/// kernel releases it too when the holder dies, so a crashed run never blocks the next.
pub struct KeyLock {
    key: Key,
    file: Option<File>,
    /// Why the lock is not held, when it is not.
    problem: Option<String>,
    /// Not held because another run holds it (as opposed to: it cannot be opened at all).
    busy: bool,
}

impl KeyLock {
    /// Why this run goes on without the lock, if it does.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// One line about what the cache could not do for a token that came from the server: no
    /// lock (parallel runs may each have asked), no write (`not_stored`: the next run asks
    /// again), or both.
    pub fn warning(&self, not_stored: Option<String>) -> Option<String> {
        match (self.problem(), not_stored) {
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

    pub fn key(&self) -> &Key {
        &self.key
    }
}

/// What is in the cache directory, for `cache list` and `cache clear`.
#[derive(Debug, Default)]
pub struct Listing {
    /// Readable entries, with their keys, by profile and endpoint.
    pub entries: Vec<(Key, Entry)>,
    /// Entry files that cannot be read as entries (corrupt, truncated, a FIFO, foreign…).
    pub unreadable: Vec<Key>,
    /// Temp files of writers, by the entry name they were for (`None`: not an entry's).
    pub temp_files: Vec<(String, Option<Key>)>,
}

/// What `clear` removed, and what it could not.
#[derive(Debug, Default)]
pub struct Cleared {
    pub entries: usize,
    pub unreadable: usize,
    pub temp_files: usize,
    /// The DPoP keys of the entries removed (`Entry::dpop_key`), for the caller to remove.
    pub dpop_keys: Vec<String>,
    /// Each file that could not be removed, and why.
    pub failures: Vec<(PathBuf, String)>,
}

impl Cache {
    /// `OAUTHCTL_CACHE_DIR`, else `<cache dir>/oauthctl` from the `directories` crate.
    pub fn locate() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        directories::ProjectDirs::from("", "", "oauthctl")
            .map(|dirs| dirs.cache_dir().to_path_buf())
            .ok_or_else(|| {
                Error::Config(format!(
                    "cannot find a home directory for the token cache; set {DIR_ENV} or use --no-cache"
                ))
            })
    }

    /// Opens the directory (creating it 0700 if needed) once, checking it and its ancestors
    /// (SECURITY 7, 13, 48).
    pub fn open(path: &Path) -> std::result::Result<Cache, Untrusted> {
        Ok(Cache {
            dir: Dir::open_private(path)?,
            fingerprint_key: OnceCell::new(),
        })
    }

    /// `open` for the commands whose whole job is the cache (`cache list`, `cache clear`): an
    /// untrusted directory is their error.
    pub fn open_for_inspection() -> Result<Cache> {
        let path = Cache::locate()?;
        Cache::open(&path).map_err(|untrusted| {
            Error::Config(format!(
                "refusing the token cache: {untrusted} (fix it, or point {DIR_ENV} elsewhere)"
            ))
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The directory itself, for a private subdirectory under the same rules (the issuer
    /// metadata's).
    pub fn handle(&self) -> &Dir {
        &self.dir
    }

    /// "`<dir>/<name>`", for messages.
    fn display(&self, name: &str) -> String {
        format!(
            "`{}`",
            printable(&self.dir.path().join(name).display().to_string(), 300)
        )
    }

    /// The key for a token request, with the client's credential identity: a keyed fingerprint
    /// of a secret (HMAC-SHA256 with this cache's own random key, so that the key file never
    /// lets anyone test guesses elsewhere), or the source's description. Fails, saying why, when
    /// the fingerprint key can neither be read nor made.
    pub fn key(
        &self,
        profile: &Profile,
        grant: &str,
        credential: &Credential<'_>,
    ) -> std::result::Result<Key, String> {
        let credential = match credential {
            Credential::Secret(secret, certificate) => {
                let key = self.fingerprint_key()?;
                let tag = ring::hmac::sign(key, secret.expose().as_bytes());
                match certificate {
                    Some(certificate) => {
                        format!("fingerprint {} with {certificate}", hex(tag.as_ref()))
                    }
                    None => format!("fingerprint {}", hex(tag.as_ref())),
                }
            }
            Credential::Described(what) => format!("source {what}"),
        };
        Ok(Key::for_request(profile, grant, &credential))
    }

    fn fingerprint_key(&self) -> std::result::Result<&ring::hmac::Key, String> {
        self.fingerprint_key
            .get_or_init(|| self.read_or_make_fingerprint_key())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn read_or_make_fingerprint_key(&self) -> std::result::Result<ring::hmac::Key, String> {
        let problem = |why: String| format!("{}: {why}", self.display(FINGERPRINT_KEY));
        // Three rounds: a key that is not a private file of the right size is replaced once, a
        // race with another run making it is settled by whoever linked first, and the winner's
        // key is read.
        for _ in 0..3 {
            match self.dir.read(FINGERPRINT_KEY, 1024) {
                Ok(bytes) if bytes.len() == FINGERPRINT_KEY_BYTES => {
                    return Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes));
                }
                Ok(_) => {
                    self.dir
                        .remove(FINGERPRINT_KEY)
                        .map_err(|e| problem(format!("cannot replace it: {e}")))?;
                }
                Err(Refused::Missing) => {
                    let mut fresh = [0u8; FINGERPRINT_KEY_BYTES];
                    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut fresh)
                        .map_err(|_| problem("no random numbers from the OS".into()))?;
                    if self
                        .dir
                        .create_new(FINGERPRINT_KEY, &fresh)
                        .map_err(|e| problem(format!("cannot create it: {e}")))?
                    {
                        return Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &fresh));
                    }
                }
                // A link, a FIFO, a file others may write: in a directory nobody else can write,
                // it is a mistake of our own, replaced like a key of the wrong size.
                Err(Refused::Unsafe(why)) => {
                    self.dir
                        .remove(FINGERPRINT_KEY)
                        .map_err(|e| problem(format!("{why}, and cannot be replaced: {e}")))?;
                }
                Err(Refused::Io(e)) => return Err(problem(e.to_string())),
            }
        }
        Err(problem("it keeps changing".into()))
    }

    /// Takes the key's lock, waiting at most `wait`. Never fails: past the wait the holder is
    /// alive but stuck (a dead one releases at once), and a lock file that cannot be opened
    /// (a read-only directory, another user's file, a FIFO) cannot be waited for, so the run
    /// goes on without it and the lock says why.
    pub fn lock(&self, key: &Key, wait: Duration) -> KeyLock {
        let name = key.lock_name();
        let without = |why: String, busy: bool| KeyLock {
            key: key.clone(),
            file: None,
            problem: Some(format!("cannot lock {}: {why}", self.display(&name))),
            busy,
        };
        let file = match self.dir.open_lock(&name) {
            Ok(file) => file,
            Err(Refused::Missing) => return without("it cannot be created".into(), false),
            Err(Refused::Unsafe(why)) => return without(why, false),
            Err(Refused::Io(e)) => return without(e.to_string(), false),
        };
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return KeyLock {
                        key: key.clone(),
                        file: Some(file),
                        problem: None,
                        busy: false,
                    };
                }
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return without(
                        format!("another run held it for {}s", wait.as_secs_f64().round()),
                        true,
                    );
                }
                Err(std::fs::TryLockError::Error(e)) => return without(e.to_string(), false),
            }
        }
    }

    /// The entry for `key`; a missing, corrupt, truncated or foreign file is a miss (SECURITY 11).
    pub fn load(&self, key: &Key) -> Option<Entry> {
        let bytes = self.dir.read(&key.entry_name(), MAX_ENTRY_BYTES).ok()?;
        serde_json::from_slice::<Entry>(&bytes)
            .ok()
            .filter(|e| e.version == FORMAT_VERSION)
    }

    /// Writes the entry atomically with mode 0600, whatever was there before (SECURITY 7, 8).
    /// Holding the key's lock, it first sweeps the temp files that killed writers of this key
    /// left (every writer holds the lock, so any other is stale).
    pub fn store(&self, lock: &KeyLock, entry: &Entry) -> std::result::Result<(), String> {
        let name = lock.key.entry_name();
        if lock.file.is_some()
            && let Ok(names) = self.dir.names()
        {
            for stale in names.iter().filter(|n| is_temp_of(n, &name)) {
                let _ = self.dir.remove(stale);
            }
        }
        let bytes = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
        self.dir
            .write_atomically(&name, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", self.display(&name)))
    }

    /// Caches a token that can be reused: one with a known expiry, or a refresh token. A token
    /// with neither is never cached as eternal (SECURITY 14). A refresh response without a new
    /// refresh token keeps the old one (RFC 6749 §6, SECURITY 30). Says whether the token was
    /// cached; an error says why it could not be.
    pub fn store_token(
        &self,
        lock: &KeyLock,
        profile: &Profile,
        grant: &str,
        token: &crate::oauth::TokenResponse,
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
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty());
        if token.expires_at.is_none() && !has_refresh {
            self.remove(lock.key())?;
            return Ok(false);
        }
        // A token bound to a key no later run will have is of no use to one (DESIGN §12); its
        // refresh token is, and a rotated one must not be lost (SECURITY 30): it alone is kept.
        let run_only = matches!(token.dpop_key, Some(crate::dpop::Kept::Run));
        if run_only {
            if !has_refresh {
                return Err(
                    "it is bound to a DPoP key made for this run alone, which was not kept".into(),
                );
            }
            response.retain(|name, _| name == "refresh_token");
        }
        let dpop_key = match &token.dpop_key {
            Some(crate::dpop::Kept::Cache(name)) => Some(name.clone()),
            _ => None,
        };
        let entry = Entry {
            version: FORMAT_VERSION,
            profile: profile.name.clone(),
            endpoint: profile
                .token_url
                .clone()
                .or_else(|| profile.issuer.clone())
                .unwrap_or_default(),
            client_id: profile.client_id.clone().unwrap_or_default(),
            grant: grant.to_string(),
            scope: profile.scope.clone(),
            stored_at: crate::timefmt::now(),
            expires_at: token.expires_at.filter(|_| !run_only),
            response,
            dpop_jkt: token.dpop_jkt.clone().filter(|_| !run_only),
            dpop_key,
        };
        self.store(lock, &entry)?;
        match run_only {
            true => Err("it is bound to a DPoP key made for this run alone, which was not kept (its refresh token was)".into()),
            false => Ok(true),
        }
    }

    /// The DPoP key files the cache's entries but `except` are bound to (`Entry::dpop_key`): a
    /// key one of them needs is not removed with another's tokens. `None` when the cache cannot
    /// be listed: then no key is known to be free.
    pub fn dpop_keys_in_use(
        &self,
        except: Option<&Key>,
    ) -> Option<std::collections::HashSet<String>> {
        let listing = self.listing().ok()?;
        Some(
            listing
                .entries
                .into_iter()
                .filter(|(key, _)| Some(key) != except)
                .filter_map(|(_, entry)| entry.dpop_key)
                .collect(),
        )
    }

    /// Forgets the entry for `key`. `Ok(false)` when there was none; an error names the file.
    pub fn remove(&self, key: &Key) -> std::result::Result<bool, String> {
        let name = key.entry_name();
        self.dir
            .remove(&name)
            .map_err(|e| format!("cannot remove {}: {e}", self.display(&name)))
    }

    /// What the directory holds: entries, unreadable entry files and writers' temp files.
    pub fn listing(&self) -> Result<Listing> {
        let names = self.dir.names().map_err(|e| {
            Error::Config(format!(
                "cannot list the token cache `{}`: {e}",
                printable(&self.dir().display().to_string(), 300)
            ))
        })?;
        let mut listing = Listing::default();
        for name in names {
            if let Some(key) = Key::of_entry(&name) {
                match self.load(&key) {
                    Some(entry) => listing.entries.push((key, entry)),
                    None => listing.unreadable.push(key),
                }
            } else if name.starts_with('.') && name.ends_with(".tmp") {
                let key = name
                    .strip_prefix('.')
                    .and_then(|rest| rest.split_once(".json."))
                    .and_then(|(hex, _)| Key::of_entry(&format!("{hex}.json")));
                listing.temp_files.push((name, key));
            }
        }
        listing
            .entries
            .sort_by(|a, b| (&a.1.profile, &a.1.endpoint).cmp(&(&b.1.profile, &b.1.endpoint)));
        Ok(listing)
    }

    /// Removes what `selection` selects of the listing: the entries (readable or not), and
    /// the temp files that killed writers left. A temp file of a key whose lock another run
    /// holds is a write in progress, and is left alone. Counts only what was really removed.
    pub fn clear(&self, listing: &Listing, selection: &Selection<'_>) -> Cleared {
        let mut cleared = Cleared::default();
        for (key, entry) in &listing.entries {
            if selection.selects(key, Some(entry))
                && self.remove_file(&key.entry_name(), &mut cleared)
            {
                cleared.entries += 1;
                cleared.dpop_keys.extend(entry.dpop_key.clone());
            }
        }
        for key in &listing.unreadable {
            if selection.selects(key, None) && self.remove_file(&key.entry_name(), &mut cleared) {
                cleared.unreadable += 1;
            }
        }
        for (name, key) in &listing.temp_files {
            // Held until the file is gone, so that no writer of the key starts in between.
            let lock = match key {
                Some(key) if selection.selects(key, None) => Some(self.lock(key, Duration::ZERO)),
                Some(_) => continue,
                // Not an entry's (the fingerprint key's, say): only a full clear sweeps it.
                None if matches!(selection, Selection::All) => None,
                None => continue,
            };
            // Only a lock another run holds means a write in progress; one that cannot be
            // opened at all is held by nobody of ours.
            if lock.as_ref().is_some_and(|lock| lock.busy) {
                continue;
            }
            if self.remove_file(name, &mut cleared) {
                cleared.temp_files += 1;
            }
        }
        cleared
    }

    /// Removes `name`, noting a failure; whether it was there and is gone.
    fn remove_file(&self, name: &str, cleared: &mut Cleared) -> bool {
        match self.dir.remove(name) {
            Ok(removed) => removed,
            Err(e) => {
                cleared
                    .failures
                    .push((self.dir().join(name), e.to_string()));
                false
            }
        }
    }
}

/// Which entries `clear` removes.
#[derive(Debug)]
pub enum Selection<'a> {
    /// Everything.
    All,
    /// One profile's: the entries its requests would use (`keys`), and any entry it stored
    /// under settings it has since changed (by its name).
    Profile {
        name: Option<&'a str>,
        keys: &'a [Key],
    },
}

impl Selection<'_> {
    fn selects(&self, key: &Key, entry: Option<&Entry>) -> bool {
        match self {
            Selection::All => true,
            Selection::Profile { name, keys } => {
                keys.contains(key)
                    || name.is_some_and(|name| {
                        entry.is_some_and(|e| e.profile.as_deref() == Some(name))
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{ProfileLayer, merge};

    fn profile(edit: impl FnOnce(&mut ProfileLayer)) -> Profile {
        let mut layer = ProfileLayer {
            token_url: Some("https://idp/t".into()),
            client_id: Some("app".into()),
            scope: Some("a".into()),
            ..Default::default()
        };
        edit(&mut layer);
        merge(
            None,
            layer,
            ProfileLayer::default(),
            ProfileLayer::default(),
        )
    }

    fn entry(expires_at: Option<i64>) -> Entry {
        let mut response = Map::new();
        response.insert("access_token".into(), "at".into());
        Entry {
            version: FORMAT_VERSION,
            profile: Some("p".into()),
            endpoint: "https://idp/t".into(),
            client_id: "app".into(),
            grant: "client_credentials".into(),
            scope: None,
            stored_at: 0,
            expires_at,
            response,
            dpop_jkt: None,
            dpop_key: None,
        }
    }

    fn key(edit: impl FnOnce(&mut ProfileLayer), grant: &str) -> Key {
        Key::for_request(&profile(edit), grant, "c")
    }

    #[test]
    fn keys_differ_in_everything_that_changes_the_token_and_nothing_else() {
        let cc = "client_credentials";
        let base = key(|_| {}, cc);
        let variants = [
            key(|l| l.scope = Some("b".into()), cc),
            key(|l| l.audience = Some("x".into()), cc),
            key(|l| l.resource = Some("x".into()), cc),
            key(|l| l.client_id = Some("other".into()), cc),
            key(|l| l.token_url = Some("https://idp/t2".into()), cc),
            key(|l| l.params = vec![("k".into(), "v".into())], cc),
            key(|_| {}, "authorization_code"),
            Key::for_request(&profile(|_| {}), cc, "another credential"),
        ];
        for v in &variants {
            assert_ne!(v, &base);
        }
        // The secret's source and the timeout are not part of the identity; param order is not
        // either.
        let same = key(
            |l| {
                l.secret = Some(crate::secret::SecretSource::Env("X".into()));
                l.timeout_secs = Some(5);
            },
            cc,
        );
        assert_eq!(same, base);
        let ab = key(
            |l| l.params = vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            "g",
        );
        let ba = key(
            |l| l.params = vec![("b".into(), "2".into()), ("a".into(), "1".into())],
            "g",
        );
        assert_eq!(ab, ba);
        assert_eq!(base.0.len(), 64);
    }

    #[test]
    fn credentials_are_fingerprinted_with_the_caches_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("c")).unwrap();
        let p = profile(|_| {});
        let (one, two) = (Secret::new("one".into()), Secret::new("two".into()));
        let k1 = cache.key(&p, "g", &Credential::Secret(&one, None)).unwrap();
        assert_eq!(
            k1,
            cache.key(&p, "g", &Credential::Secret(&one, None)).unwrap()
        );
        assert_ne!(
            k1,
            cache.key(&p, "g", &Credential::Secret(&two, None)).unwrap()
        );
        let described = cache
            .key(&p, "g", &Credential::Described("stdin".into()))
            .unwrap();
        assert_ne!(k1, described);
        // The key file is made once and reused by the next run; another cache has its own.
        let again = Cache::open(&dir.path().join("c")).unwrap();
        assert_eq!(
            k1,
            again.key(&p, "g", &Credential::Secret(&one, None)).unwrap()
        );
        let other = Cache::open(&dir.path().join("d")).unwrap();
        assert_ne!(
            k1,
            other.key(&p, "g", &Credential::Secret(&one, None)).unwrap()
        );
        // Not a hash of the secret alone: nothing on disk or in a name lets a guess be tested.
        let key_file = std::fs::read(dir.path().join("c").join(FINGERPRINT_KEY)).unwrap();
        assert_eq!(key_file.len(), FINGERPRINT_KEY_BYTES);
        assert_ne!(
            k1,
            Key::for_request(&p, "g", &format!("fingerprint {}", sha256_hex(b"one")))
        );
    }

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn freshness_honours_the_margin() {
        assert!(entry(Some(1000)).is_fresh(900, 60));
        assert!(!entry(Some(1000)).is_fresh(940, 60));
        assert!(!entry(Some(1000)).is_fresh(1001, 0));
        assert!(!entry(None).is_fresh(0, 0));
        let decade = crate::oauth::MAX_EXPIRES_IN as i64;
        assert!(entry(Some(decade)).is_fresh(0, 60));
        assert!(
            !entry(Some(decade + 1)).is_fresh(0, 60),
            "longer than any answer gives"
        );
    }

    #[test]
    fn store_load_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("oauthctl")).unwrap();
        let key = key(|_| {}, "client_credentials");
        assert!(cache.load(&key).is_none());
        let lock = cache.lock(&key, Duration::from_secs(1));
        cache.store(&lock, &entry(Some(5))).unwrap();
        assert_eq!(cache.load(&key).unwrap().expires_at, Some(5));
        let path = cache.dir().join(key.entry_name());
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..full.len() / 2]).unwrap();
        assert!(cache.load(&key).is_none(), "a truncated file is a miss");
        std::fs::write(&path, b"\xff\x00garbage").unwrap();
        assert!(cache.load(&key).is_none(), "a corrupt file is a miss");
        let listing = cache.listing().unwrap();
        assert_eq!(listing.entries.len(), 0);
        assert_eq!(listing.unreadable, [key]);
    }

    #[test]
    fn a_held_lock_is_waited_for_then_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("c")).unwrap();
        let key = key(|_| {}, "g");
        let held = cache.lock(&key, Duration::from_secs(1));
        assert!(held.file.is_some() && held.problem().is_none());
        let started = Instant::now();
        let second = cache.lock(&key, Duration::from_millis(200));
        assert!(second.file.is_none(), "gave up waiting");
        assert!(
            second.problem().unwrap().contains("another run held it"),
            "{:?}",
            second.problem()
        );
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(cache.lock(&key, Duration::from_millis(200)).file.is_some());
    }

    #[test]
    fn a_store_sweeps_the_temp_files_of_killed_writers_of_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("c")).unwrap();
        let (mine, other) = (key(|_| {}, "g"), key(|_| {}, "h"));
        let stale = format!(".{}.json.4242.tmp", mine.0);
        let others = format!(".{}.json.4242.tmp", other.0);
        for name in [&stale, &others] {
            std::fs::write(cache.dir().join(name), b"{\"a token\":1}").unwrap();
        }
        let lock = cache.lock(&mine, Duration::from_secs(1));
        cache.store(&lock, &entry(Some(5))).unwrap();
        assert!(!cache.dir().join(&stale).exists());
        assert!(cache.dir().join(&others).exists());
        let listing = cache.listing().unwrap();
        assert_eq!(listing.temp_files, [(others, Some(other))]);
    }
}
