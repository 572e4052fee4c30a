//! `revoke` output (RFC 7009): what was revoked, never the token.

use serde::Serialize;

use super::{OutputFormat, Rendered, to_json};
use crate::commands::revoke::Outcome;
use crate::untrusted::printable;

/// `-o json`: each token revoked, whether the cache entry was forgotten, and the revocation
/// endpoint (its secrets masked; null when nothing was sent).
#[derive(Serialize)]
struct RevocationJson {
    revoked: Vec<RevokedJson>,
    forgotten: bool,
    dpop_key_removed: bool,
    endpoint: Option<String>,
}

#[derive(Serialize)]
struct RevokedJson {
    /// The `token_type_hint` sent (RFC 7009 §2.1), if any.
    token_type_hint: Option<&'static str>,
    cached: bool,
}

impl RevocationJson {
    fn new(outcome: &Outcome) -> RevocationJson {
        RevocationJson {
            revoked: outcome
                .revoked
                .iter()
                .map(|r| RevokedJson {
                    token_type_hint: r.hint,
                    cached: r.cached,
                })
                .collect(),
            forgotten: outcome.forgotten,
            dpop_key_removed: outcome.dpop_key_removed,
            endpoint: outcome
                .endpoint
                .as_deref()
                .map(|url| crate::http::redact_url(url, crate::oauth::SECRET_NAMES)),
        }
    }
}

/// `revoke` output: in text, nothing on stdout and one note on stderr saying what was revoked
/// (never the token); `-o json`, the same as a document.
pub fn revocation(format: OutputFormat, outcome: &Outcome) -> Rendered {
    let endpoint = outcome.endpoint.as_deref();
    if format == OutputFormat::Json {
        return to_json(&RevocationJson::new(outcome)).into();
    }
    let profile = printable(&outcome.profile, 200);
    let note = match (outcome.revoked.as_slice(), endpoint) {
        ([], _) if outcome.forgotten => format!(
            "nothing to revoke: {profile} had a cached entry without tokens; it is forgotten"
        ),
        ([], _) | (_, None) => format!("nothing to revoke: {profile} has no cached token"),
        (revoked, Some(url)) => {
            let kinds: Vec<&str> = revoked
                .iter()
                .map(|r| match r.hint {
                    Some("refresh_token") => "refresh token",
                    Some("access_token") => "access token",
                    _ => "token",
                })
                .collect();
            let kinds = kinds.join(" and ");
            let host = printable(&crate::http::host_of(url), 200);
            let what = if revoked.iter().all(|r| r.cached) {
                format!("the cached {kinds} of {profile}")
            } else {
                format!("the {kinds}")
            };
            let forgotten = if outcome.forgotten {
                ", and forgot the cache entry"
            } else {
                ""
            };
            format!("revoked {what} at {host}{forgotten}")
        }
    };
    let note = match outcome.dpop_key_removed {
        true => format!("{note}; its DPoP key is removed"),
        false => note,
    };
    Rendered {
        stdout: String::new(),
        note: Some(note),
        failed: false,
    }
}
