//! The token cache (DESIGN §7, SECURITY 7–14): one 0600 file per key in a 0700 directory,
//! written atomically, guarded by a per-key lock so that parallel runs send one request.
//!
//! The key is a SHA-256 over what decides which token the server would issue (token URL, client,
//! grant, scope, audience, resource, extra params), never the secret, which is never stored.
//! Anything unreadable is a miss: the cache can only ever cost a request, never fail a fetch that
//! would otherwise work.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::files::{Mode, create_private_dir, read_capped, write_atomically};
use crate::resolve::Profile;

/// Cache files are small; anything bigger is not ours.
const MAX_ENTRY_BYTES: u64 = 1024 * 1024;
pub const FORMAT_VERSION: u32 = 1;

/// Env var that puts the cache somewhere else (all platforms).
pub const DIR_ENV: &str = "OAUTHCTL_CACHE_DIR";

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

    /// Reusable: more than `min_ttl` seconds of life left (SECURITY 14).
    pub fn is_fresh(&self, now: i64, min_ttl: u64) -> bool {
        match (self.access_token(), self.expires_at) {
            (Some(_), Some(at)) => at.saturating_sub(now) > min_ttl as i64,
            _ => false,
        }
    }
}

/// A cache key: the hex SHA-256 of the request's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(pub String);

impl Key {
    /// What identifies a token: the same inputs get the same token from a server, different ones
    /// never share an entry (SECURITY 12).
    pub fn for_request(profile: &Profile, grant: &str) -> Key {
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
        ]);
        Key(sha256_hex(identity.to_string().as_bytes()))
    }

    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

/// Lower-case hex SHA-256, the name of a cache file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cache directory, checked.
pub struct Cache {
    dir: PathBuf,
}

/// Held while a key is being read, fetched and written; dropping it releases the lock. The
/// kernel releases it too when the holder dies, so a crashed run never blocks the next.
pub struct KeyLock {
    _file: Option<File>,
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

    /// Opens (creating it 0700 if needed) and checks the directory (SECURITY 7, 13).
    pub fn open(dir: PathBuf) -> Result<Cache> {
        let refuse = |why: String| {
            Error::Config(format!(
                "refusing the token cache directory `{}`: {why} (fix it, or use --no-cache)",
                dir.display()
            ))
        };
        match std::fs::symlink_metadata(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(&dir).map_err(|e| refuse(format!("cannot create it: {e}")))?;
            }
            Err(e) => return Err(refuse(e.to_string())),
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse("it is a symbolic link".into()));
            }
            Ok(meta) if !meta.is_dir() => return Err(refuse("it is not a directory".into())),
            Ok(meta) => check_owner_and_mode(&dir, &meta).map_err(refuse)?,
        }
        Ok(Cache { dir })
    }

    fn path(&self, key: &Key, extension: &str) -> PathBuf {
        self.dir.join(format!("{}.{extension}", key.0))
    }

    /// Takes the key's lock, waiting at most `wait`. Past that the holder is alive but stuck
    /// (a dead one releases at once), so we go on without it rather than block forever.
    pub fn lock(&self, key: &Key, wait: Duration) -> Result<KeyLock> {
        let path = self.path(key, "lock");
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(|e| {
            Error::Config(format!("cannot open cache lock `{}`: {e}", path.display()))
        })?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(KeyLock { _file: Some(file) }),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(KeyLock { _file: None }),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::Config(format!(
                        "cannot lock `{}`: {e}",
                        path.display()
                    )));
                }
            }
        }
    }

    /// The entry for `key`; a missing, corrupt, truncated or foreign file is a miss (SECURITY 11).
    pub fn load(&self, key: &Key) -> Option<Entry> {
        let bytes = read_capped(&self.path(key, "json"), MAX_ENTRY_BYTES).ok()?;
        serde_json::from_slice::<Entry>(&bytes)
            .ok()
            .filter(|e| e.version == FORMAT_VERSION)
    }

    /// Writes the entry atomically with mode 0600, whatever was there before (SECURITY 7, 8).
    pub fn store(&self, key: &Key, entry: &Entry) -> Result<()> {
        let path = self.path(key, "json");
        let bytes = serde_json::to_vec(entry).expect("cache entries serialize");
        write_atomically(&path, &bytes, Mode::Exactly(0o600))
            .map_err(|e| Error::Config(format!("cannot write cache `{}`: {e}", path.display())))
    }

    pub fn remove(&self, key: &Key) {
        let _ = std::fs::remove_file(self.path(key, "json"));
    }

    /// Every readable entry, with its key.
    pub fn entries(&self) -> Result<Vec<(Key, Entry)>> {
        let listing = std::fs::read_dir(&self.dir)
            .map_err(|e| Error::Config(format!("cannot list `{}`: {e}", self.dir.display())))?;
        let mut entries: Vec<(Key, Entry)> = listing
            .filter_map(|item| {
                let name = item.ok()?.file_name().into_string().ok()?;
                let hex = name.strip_suffix(".json")?;
                let key = Key(hex.to_string());
                (hex.len() == 64).then_some(())?;
                self.load(&key).map(|entry| (key, entry))
            })
            .collect();
        entries.sort_by(|a, b| (&a.1.profile, &a.1.endpoint).cmp(&(&b.1.profile, &b.1.endpoint)));
        Ok(entries)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(unix)]
fn check_owner_and_mode(dir: &Path, meta: &std::fs::Metadata) -> std::result::Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "it is owned by uid {}, not by you (uid {me})",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "it is writable by group or others (mode {mode:04o})"
        ));
    }
    if mode & 0o077 != 0 {
        // Readable by others but ours and not writable by them: make it private again.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot make it private: {e}"))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_and_mode(_dir: &Path, _meta: &std::fs::Metadata) -> std::result::Result<(), String> {
    Ok(())
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
        }
    }

    #[test]
    fn keys_differ_in_everything_that_changes_the_token_and_nothing_else() {
        let base = Key::for_request(&profile(|_| {}), "client_credentials");
        let variants = [
            Key::for_request(
                &profile(|l| l.scope = Some("b".into())),
                "client_credentials",
            ),
            Key::for_request(
                &profile(|l| l.audience = Some("x".into())),
                "client_credentials",
            ),
            Key::for_request(
                &profile(|l| l.resource = Some("x".into())),
                "client_credentials",
            ),
            Key::for_request(
                &profile(|l| l.client_id = Some("other".into())),
                "client_credentials",
            ),
            Key::for_request(
                &profile(|l| l.token_url = Some("https://idp/t2".into())),
                "client_credentials",
            ),
            Key::for_request(
                &profile(|l| l.params = vec![("k".into(), "v".into())]),
                "client_credentials",
            ),
            Key::for_request(&profile(|_| {}), "authorization_code"),
        ];
        for v in &variants {
            assert_ne!(v, &base);
        }
        // The secret and the timeout are not part of the identity; param order is not either.
        let same = Key::for_request(
            &profile(|l| {
                l.secret = Some(crate::secret::SecretSource::Env("X".into()));
                l.timeout_secs = Some(5);
            }),
            "client_credentials",
        );
        assert_eq!(same, base);
        let ab = profile(|l| l.params = vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        let ba = profile(|l| l.params = vec![("b".into(), "2".into()), ("a".into(), "1".into())]);
        assert_eq!(Key::for_request(&ab, "g"), Key::for_request(&ba, "g"));
        assert_eq!(base.0.len(), 64);
    }

    #[test]
    fn freshness_honours_the_margin() {
        assert!(entry(Some(1000)).is_fresh(900, 60));
        assert!(!entry(Some(1000)).is_fresh(940, 60));
        assert!(!entry(Some(1000)).is_fresh(1001, 0));
        assert!(!entry(None).is_fresh(0, 0));
    }

    #[test]
    fn store_load_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("oauthctl")).unwrap();
        let key = Key::for_request(&profile(|_| {}), "client_credentials");
        assert!(cache.load(&key).is_none());
        cache.store(&key, &entry(Some(5))).unwrap();
        assert_eq!(cache.load(&key).unwrap().expires_at, Some(5));
        let path = cache.path(&key, "json");
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..full.len() / 2]).unwrap();
        assert!(cache.load(&key).is_none(), "a truncated file is a miss");
        std::fs::write(&path, b"\xff\x00garbage").unwrap();
        assert!(cache.load(&key).is_none(), "a corrupt file is a miss");
        assert_eq!(cache.entries().unwrap().len(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn unsafe_directories_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = Cache::open(link).err().unwrap().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = Cache::open(real.clone()).err().unwrap().to_string();
        assert!(err.contains("writable by group or others"), "{err}");
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
        Cache::open(real.clone()).unwrap();
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "a readable cache directory is made private");
    }

    #[test]
    fn a_held_lock_is_waited_for_then_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("c")).unwrap();
        let key = Key::for_request(&profile(|_| {}), "g");
        let held = cache.lock(&key, Duration::from_secs(1)).unwrap();
        assert!(held._file.is_some());
        let started = Instant::now();
        let second = cache.lock(&key, Duration::from_millis(200)).unwrap();
        assert!(second._file.is_none(), "gave up waiting");
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(
            cache
                .lock(&key, Duration::from_millis(200))
                .unwrap()
                ._file
                .is_some()
        );
    }
}
