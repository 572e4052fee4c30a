//! `oauthctl cache list | clear [-p NAME]`: what is cached (never the tokens), and forgetting it.
//! Both are about the cache itself, so a cache directory that cannot be trusted is their error
//! (exit 78), where the token commands would work uncached.

use crate::cache::{Cache, Credential, Entry, Key, Selection};
use crate::config::GrantKind;
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::untrusted::printable;

/// One cached entry as shown: where it is from and when it expires, no token.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub key: Key,
    pub entry: Entry,
}

#[derive(Debug)]
pub enum Outcome {
    List {
        dir: std::path::PathBuf,
        entries: Vec<EntryView>,
    },
    Cleared {
        dir: std::path::PathBuf,
        /// Cached tokens removed.
        removed: usize,
        /// Entry files that could not be read (corrupt, truncated, not a regular file) removed.
        unreadable: usize,
        /// Temp files of interrupted writers removed: they hold whole entries, tokens included.
        temp_files: usize,
        /// DPoP keys oauthctl made, removed with the tokens bound to them (DESIGN §12).
        dpop_keys: usize,
    },
}

pub fn list() -> Result<Outcome> {
    let cache = Cache::open_for_inspection()?;
    let entries = cache
        .listing()?
        .entries
        .into_iter()
        .map(|(key, entry)| EntryView { key, entry })
        .collect();
    Ok(Outcome::List {
        dir: cache.dir().to_path_buf(),
        entries,
    })
}

/// Without a profile, everything (issuer metadata included); with one (`-p`), the entries its
/// requests would use, and any entry it stored under settings it has since changed. Counts only
/// what was removed; a file that could not be removed makes it fail (exit 78), naming the file.
pub fn clear(settings: &Settings) -> Result<Outcome> {
    let cache = Cache::open_for_inspection()?;
    let profile = match &settings.profile_name {
        None => None,
        Some(_) => Some(settings.profile()?),
    };
    let keys: Vec<Key> = match profile {
        None => Vec::new(),
        Some(profile) => {
            // Entries stored under the secret the profile has now. A secret that cannot be read
            // (its env var unset, say) finds none by key; the profile's name still finds them.
            match settings.secret().and_then(Credential::of) {
                Ok(credential) => [profile.grant, GrantKind::AuthorizationCode]
                    .iter()
                    .filter_map(|grant| cache.key(profile, grant.as_str(), &credential).ok())
                    .collect(),
                Err(_) => Vec::new(),
            }
        }
    };
    let selection = match profile {
        None => Selection::All,
        Some(profile) => Selection::Profile {
            name: profile.name.as_deref(),
            keys: &keys,
        },
    };
    let listing = cache.listing()?;
    let mut cleared = cache.clear(&listing, &selection);
    // Issuer metadata belongs to no profile: only a full clear forgets it.
    if matches!(selection, Selection::All) {
        let (_, failures) = crate::discovery::clear_cache(&cache);
        cleared.failures.extend(failures);
    }
    // The DPoP keys go with the tokens bound to them: all of them, or those of the entries
    // removed and the one the profile's client has now.
    let dpop_keys = match profile {
        None => clear_dpop_keys(&cache, &mut cleared.failures, None),
        Some(profile) => {
            let mut names = std::mem::take(&mut cleared.dpop_keys);
            if let Ok(credential) = settings.secret().and_then(Credential::of)
                && let Ok(client) = cache.key(profile, crate::dpop::KEY_GRANT, &credential)
            {
                names.extend(crate::dpop::key_names(&client));
            }
            clear_dpop_keys(&cache, &mut cleared.failures, Some(&names))
        }
    };
    if let Some((path, why)) = cleared.failures.first() {
        let more = match cleared.failures.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let plural = if cleared.entries == 1 { "" } else { "s" };
        return Err(Error::Config(format!(
            "cannot remove `{}` from the token cache: {why}{more}; removed {} cached token{plural}",
            printable(&path.display().to_string(), 300),
            cleared.entries
        )));
    }
    Ok(Outcome::Cleared {
        dir: cache.dir().to_path_buf(),
        removed: cleared.entries,
        unreadable: cleared.unreadable,
        temp_files: cleared.temp_files,
        dpop_keys,
    })
}

/// Removes the DPoP keys oauthctl made: every one (and with them the servers' nonces), or
/// those `names`. A `dpop_key_file` is the user's, never removed. Returns how many keys were
/// removed.
fn clear_dpop_keys(
    cache: &Cache,
    failures: &mut Vec<(std::path::PathBuf, String)>,
    names: Option<&[String]>,
) -> usize {
    let store = match crate::dpop::Store::existing(cache) {
        Ok(Some(store)) => store,
        Ok(None) => return 0,
        Err(why) => {
            failures.push((cache.dir().join("dpop"), why));
            return 0;
        }
    };
    let Some(names) = names else {
        let (removed, failed) = store.clear();
        failures.extend(failed);
        return removed;
    };
    // A key shared with an entry that stays (another grant of the same client) stays too.
    let Some(in_use) = cache.dpop_keys_in_use(None) else {
        return 0;
    };
    let mut removed = 0;
    for name in names.iter().filter(|name| !in_use.contains(*name)) {
        match store.remove_key(name) {
            Ok(true) => removed += 1,
            Ok(false) => {}
            Err(why) => failures.push((cache.dir().join("dpop").join(name), why)),
        }
    }
    removed
}
