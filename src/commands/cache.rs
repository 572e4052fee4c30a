//! `oauthctl cache list | clear [-p NAME]`: what is cached (never the tokens), and forgetting it.

use super::Context;
use crate::cache::{Cache, Entry, Key};
use crate::config::Grant;
use crate::error::Result;
use crate::resolve::ProfileLayer;

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
        removed: usize,
    },
}

pub fn list() -> Result<Outcome> {
    let cache = Cache::open(Cache::locate()?)?;
    let entries = cache
        .entries()?
        .into_iter()
        .map(|(key, entry)| EntryView { key, entry })
        .collect();
    Ok(Outcome::List {
        dir: cache.dir().to_path_buf(),
        entries,
    })
}

/// Without a profile, everything; with one (`-p`), the entries its requests would use, and any
/// entry it stored under settings it has since changed.
pub fn clear(ctx: &Context) -> Result<Outcome> {
    let cache = Cache::open(Cache::locate()?)?;
    let wanted: Option<(Option<String>, Vec<Key>)> = match &ctx.profile {
        None => None,
        Some(_) => {
            let config = ctx.load_config()?;
            let profile = ctx.resolve_profile(&config, ProfileLayer::default())?;
            let keys = [profile.grant, Grant::AuthorizationCode]
                .iter()
                .map(|g| Key::for_request(&profile, g.as_str()))
                .collect();
            Some((profile.name, keys))
        }
    };
    let mut removed = 0;
    for (key, entry) in cache.entries()? {
        let matches = match &wanted {
            None => true,
            Some((name, keys)) => keys.contains(&key) || (name.is_some() && &entry.profile == name),
        };
        if matches {
            cache.remove(&key);
            removed += 1;
        }
    }
    // Issuer metadata belongs to no profile: only a full clear forgets it.
    if wanted.is_none() {
        crate::discovery::clear_cache(cache.dir());
    }
    Ok(Outcome::Cleared {
        dir: cache.dir().to_path_buf(),
        removed,
    })
}
