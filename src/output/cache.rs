//! `cache list` and `cache clear` output: what is cached, never a token.

use std::borrow::Cow;

use serde::Serialize;

use super::{OutputFormat, Rendered, aligned, shown_path, to_json};
use crate::commands::cache::{EntryView, Outcome};
use crate::timefmt::relative;
use crate::untrusted::printable;

/// `cache list -o json`: one per entry, what it was stored for and when it expires; of the
/// tokens, only whether a refresh token is there.
#[derive(Serialize)]
struct CacheEntryJson<'a> {
    key: &'a str,
    profile: Option<&'a str>,
    endpoint: &'a str,
    client_id: &'a str,
    grant: &'a str,
    scope: Option<&'a str>,
    expires_at: Option<i64>,
    has_refresh_token: bool,
    /// The thumbprint of the DPoP key a DPoP token is bound to (public, as the key's `jwk` is).
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_jkt: Option<&'a str>,
}

impl<'a> CacheEntryJson<'a> {
    fn new(view: &'a EntryView) -> CacheEntryJson<'a> {
        let entry = &view.entry;
        CacheEntryJson {
            key: &view.key.0,
            profile: entry.profile.as_deref(),
            endpoint: &entry.endpoint,
            client_id: &entry.client_id,
            grant: &entry.grant,
            scope: entry.scope.as_deref(),
            expires_at: entry.expires_at,
            has_refresh_token: entry.refresh_token().is_some(),
            dpop_jkt: entry.dpop_jkt.as_deref(),
        }
    }
}

/// `cache clear -o json`: what was removed, and from where.
#[derive(Serialize)]
struct ClearedJson<'a> {
    removed: usize,
    unreadable_removed: usize,
    temp_files_removed: usize,
    dpop_keys_removed: usize,
    dir: Cow<'a, str>,
}

/// `cache …` output.
pub fn cache(format: OutputFormat, outcome: &Outcome) -> Rendered {
    let json_out = format == OutputFormat::Json;
    let now = crate::timefmt::now();
    match outcome {
        Outcome::List { dir, entries } => {
            if json_out {
                let list: Vec<CacheEntryJson> = entries.iter().map(CacheEntryJson::new).collect();
                return to_json(&list).into();
            }
            let mut rows = vec![(
                "PROFILE".to_string(),
                "KEY           EXPIRES                   REFRESH  ENDPOINT".to_string(),
            )];
            for v in entries {
                let expires = match v.entry.expires_at {
                    Some(at) if at > now => {
                        format!("in {}", crate::timefmt::span(at.abs_diff(now)))
                    }
                    Some(at) => format!("expired {}", relative(at, now)),
                    None => "unknown".to_string(),
                };
                let refresh = if v.entry.refresh_token().is_some() {
                    "yes"
                } else {
                    "no"
                };
                // The key is the file's name: 64 characters, which are hex for any file oauthctl
                // wrote.
                let key: String = v.key.0.chars().take(12).collect();
                rows.push((
                    printable(v.entry.profile.as_deref().unwrap_or("-"), 40),
                    format!(
                        "{:<12}  {expires:<24}  {refresh:<7}  {}",
                        printable(&key, 12),
                        printable(&v.entry.endpoint, 200)
                    ),
                ));
            }
            let note = entries
                .is_empty()
                .then(|| format!("no cached tokens in `{}`", shown_path(dir)));
            Rendered {
                stdout: aligned(&rows, ""),
                note,
                failed: false,
            }
        }
        Outcome::Cleared {
            dir,
            removed,
            unreadable,
            temp_files,
            dpop_keys,
        } => {
            if json_out {
                return to_json(&ClearedJson {
                    removed: *removed,
                    unreadable_removed: *unreadable,
                    temp_files_removed: *temp_files,
                    dpop_keys_removed: *dpop_keys,
                    dir: dir.to_string_lossy(),
                })
                .into();
            }
            let count = |n: usize, what: &str| {
                let plural = if n == 1 { "" } else { "s" };
                format!("{n} {what}{plural}")
            };
            let mut also = Vec::new();
            if *unreadable > 0 {
                also.push(count(*unreadable, "unreadable entry file"));
            }
            if *temp_files > 0 {
                also.push(format!(
                    "{} left by interrupted writers",
                    count(*temp_files, "temp file")
                ));
            }
            if *dpop_keys > 0 {
                also.push(count(*dpop_keys, "DPoP key"));
            }
            let also = match also.is_empty() {
                true => String::new(),
                false => format!(" (and {})", also.join(" and ")),
            };
            format!(
                "removed {}{also} from {}\n",
                count(*removed, "cached token"),
                shown_path(dir)
            )
            .into()
        }
    }
}
