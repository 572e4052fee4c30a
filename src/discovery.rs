//! Authorization server metadata from a profile's `issuer`: OpenID Connect Discovery 1.0 §4, then
//! RFC 8414 §3. It fills the endpoints a profile does not set itself (explicit URLs always win),
//! and is cached beside the token cache (`<cache dir>/issuers/`) for `Cache-Control: max-age`
//! clamped to [5 min, 24 h], one hour when the server says nothing.
//!
//! The metadata's `issuer` must be the configured one exactly (RFC 8414 §3.3, OIDC Discovery
//! §4.3): anything else is a mix-up (RFC 9700 §4.4) and is refused, cached or not.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::files::Dir;
use crate::http::{Trace, Transport, check_url};
use crate::resolve::Profile;
use crate::untrusted::printable;

/// Where a run keeps issuer metadata, and how it tells of a problem with it: the run's context,
/// which opens the token cache on first use and keeps one warning for the end of the run.
pub trait MetadataCache {
    /// The token cache; `None` when there is none to use.
    fn cache(&self) -> Option<&Cache>;
    /// Keeps a warning for stderr at the end of the run.
    fn warn(&self, text: String);
}

/// An endpoint a command needs, with its config key and its metadata field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Token,
    Authorization,
    DeviceAuthorization,
    Revocation,
    Introspection,
    Jwks,
}

impl Endpoint {
    pub const ALL: [Endpoint; 6] = [
        Endpoint::Token,
        Endpoint::Authorization,
        Endpoint::DeviceAuthorization,
        Endpoint::Revocation,
        Endpoint::Introspection,
        Endpoint::Jwks,
    ];

    /// The profile key (and, with `OAUTHCTL_` and upper case, its env var).
    pub fn config_key(self) -> &'static str {
        match self {
            Endpoint::Token => "token_url",
            Endpoint::Authorization => "authorization_url",
            Endpoint::DeviceAuthorization => "device_authorization_url",
            Endpoint::Revocation => "revocation_url",
            Endpoint::Introspection => "introspection_url",
            Endpoint::Jwks => "jwks_uri",
        }
    }

    /// The metadata member (RFC 8414 §2, RFC 8628 §4, RFC 7009 via RFC 8414 §2, RFC 7662 via §2).
    pub fn metadata_field(self) -> &'static str {
        match self {
            Endpoint::Token => "token_endpoint",
            Endpoint::Authorization => "authorization_endpoint",
            Endpoint::DeviceAuthorization => "device_authorization_endpoint",
            Endpoint::Revocation => "revocation_endpoint",
            Endpoint::Introspection => "introspection_endpoint",
            Endpoint::Jwks => "jwks_uri",
        }
    }

    fn slot(self, profile: &mut Profile) -> &mut Option<String> {
        match self {
            Endpoint::Token => &mut profile.token_url,
            Endpoint::Authorization => &mut profile.authorization_url,
            Endpoint::DeviceAuthorization => &mut profile.device_authorization_url,
            Endpoint::Revocation => &mut profile.revocation_url,
            Endpoint::Introspection => &mut profile.introspection_url,
            Endpoint::Jwks => &mut profile.jwks_uri,
        }
    }

    pub fn of(self, profile: &Profile) -> Option<&str> {
        match self {
            Endpoint::Token => profile.token_url.as_deref(),
            Endpoint::Authorization => profile.authorization_url.as_deref(),
            Endpoint::DeviceAuthorization => profile.device_authorization_url.as_deref(),
            Endpoint::Revocation => profile.revocation_url.as_deref(),
            Endpoint::Introspection => profile.introspection_url.as_deref(),
            Endpoint::Jwks => profile.jwks_uri.as_deref(),
        }
    }
}

/// An issuer's metadata document, as served.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub document: Map<String, Value>,
}

impl Metadata {
    pub fn endpoint(&self, endpoint: Endpoint) -> Option<&str> {
        self.document
            .get(endpoint.metadata_field())
            .and_then(Value::as_str)
    }

    /// The endpoint a client uses; with `mtls` (the client presents a certificate) its alias in
    /// `mtls_endpoint_aliases` when the server gives one (RFC 8705 §5).
    pub fn endpoint_for(&self, endpoint: Endpoint, mtls: bool) -> Option<&str> {
        let alias = self
            .document
            .get("mtls_endpoint_aliases")
            .and_then(Value::as_object)
            .and_then(|aliases| aliases.get(endpoint.metadata_field()))
            .and_then(Value::as_str);
        match alias {
            Some(alias) if mtls => Some(alias),
            _ => self.endpoint(endpoint),
        }
    }

    /// RFC 8414 §2 `code_challenge_methods_supported`; `None` when the server does not say.
    pub fn pkce_methods(&self) -> Option<Vec<&str>> {
        self.document
            .get("code_challenge_methods_supported")?
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
    }
}

/// The profile with every endpoint it leaves unset filled in from its issuer's metadata, when one
/// of `needed` is unset. Fails, naming the key to set, when a needed endpoint is still missing.
/// The metadata is kept in the token cache's `issuers/` directory, which is looked for only when
/// discovery happens.
pub fn complete(
    profile: &Profile,
    needed: &[Endpoint],
    transport: &Transport,
    trace: &Trace,
    store: &dyn MetadataCache,
) -> Result<(Profile, Option<Metadata>)> {
    let mut profile = profile.clone();
    let missing: Vec<Endpoint> = needed
        .iter()
        .copied()
        .filter(|e| e.of(&profile).is_none())
        .collect();
    if missing.is_empty() {
        return Ok((profile, None));
    }
    let Some(issuer) = profile.issuer.clone() else {
        let key = missing[0].config_key();
        return Err(Error::Config(format!(
            "{} has no {key}: set it (or issuer, to discover it) in the profile, or give OAUTHCTL_{}",
            profile.describe(),
            key.to_ascii_uppercase()
        )));
    };
    let metadata = load(&issuer, transport, trace, store)?;
    // RFC 8705 §5: a client that presents a certificate uses the server's mTLS aliases.
    let mtls = profile.client_certificate_file.is_some();
    for endpoint in Endpoint::ALL {
        if endpoint.of(&profile).is_none()
            && let Some(url) = metadata.endpoint_for(endpoint, mtls)
        {
            // RFC 8414 §2: endpoints are https URLs (loopback http for local servers, as ever).
            // A bad one this command needs is an error; one it does not need is left unfilled,
            // so that it cannot stop, say, a fetch.
            let what = format!("the issuer's {}", endpoint.metadata_field());
            match check_url(url, &what) {
                Ok(()) => *endpoint.slot(&mut profile) = Some(url.to_string()),
                Err(e) if needed.contains(&endpoint) => return Err(e),
                Err(e) => trace.line(&format!("note: {e}; not used")),
            }
        }
    }
    if let Some(endpoint) = needed.iter().find(|e| e.of(&profile).is_none()) {
        return Err(Error::Config(format!(
            "{}: the metadata of issuer `{issuer}` has no {}; set {} in the profile",
            profile.describe(),
            endpoint.metadata_field(),
            endpoint.config_key()
        )));
    }
    Ok((profile, Some(metadata)))
}

/// Where an issuer's metadata is looked for, in order: OpenID Connect Discovery 1.0 §4, then
/// RFC 8414 §3.1 (the well-known segment goes between the host and the issuer's path).
pub fn discovery_urls(issuer: &str) -> Vec<String> {
    let base = issuer.trim_end_matches('/');
    let mut candidates = vec![format!("{base}/.well-known/openid-configuration")];
    if let Some((scheme, rest)) = base.split_once("://") {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let suffix = if path.is_empty() {
            String::new()
        } else {
            format!("/{path}")
        };
        candidates.push(format!(
            "{scheme}://{host}/.well-known/oauth-authorization-server{suffix}"
        ));
    }
    candidates
}

/// The issuer's metadata: from the cache while fresh, else from the server (and then cached).
pub fn load(
    issuer: &str,
    transport: &Transport,
    trace: &Trace,
    cache: &dyn MetadataCache,
) -> Result<Metadata> {
    check_url(issuer, "issuer")?;
    let store = MetadataStore::open(cache);
    let now = crate::timefmt::now();
    if let Some(cached) = store.as_ref().and_then(|s| s.load(issuer))
        && cached.expires_at > now
        && cached.issuer == issuer
    {
        trace.line(&format!(
            "note: issuer metadata from the cache ({} left)",
            crate::timefmt::span(cached.expires_at.abs_diff(now))
        ));
        return Ok(Metadata {
            document: cached.document,
        });
    }
    let (document, ttl) = fetch(issuer, transport, trace)?;
    if let (Some(store), Some(ttl)) = (&store, ttl) {
        // A cache that cannot be written costs a request next time, nothing more.
        if let Err(e) = store.store(&Cached {
            version: 1,
            issuer: issuer.to_string(),
            fetched_at: now,
            expires_at: now.saturating_add(ttl as i64),
            document: document.clone(),
        }) {
            trace.line(&format!("note: the issuer metadata was not cached: {e}"));
        }
    }
    Ok(Metadata { document })
}

/// Fetches and checks the metadata; with how long it may be cached (`None`: not at all).
fn fetch(
    issuer: &str,
    transport: &Transport,
    trace: &Trace,
) -> Result<(Map<String, Value>, Option<u64>)> {
    let mut last_error = None;
    for url in discovery_urls(issuer) {
        let response = transport.get(&url, trace)?;
        if response.status != 200 {
            last_error = Some(format!("{url} answered HTTP {}", response.status));
            continue;
        }
        let document = crate::oauth::success_object(
            &response,
            &format!("the issuer metadata at {url}"),
            trace,
        )?;
        let named = document.get("issuer").and_then(Value::as_str).unwrap_or("");
        // RFC 8414 §3.3 / OIDC Discovery §4.3: identical, not merely similar.
        if named != issuer {
            return Err(Error::Config(format!(
                "issuer metadata at {url} names issuer `{}`, not the configured `{issuer}`; refusing it",
                printable(named, 200)
            )));
        }
        return Ok((document, ttl(response.cache_control.as_deref())));
    }
    Err(Error::unreachable(format!(
        "cannot discover the endpoints of issuer `{issuer}`: {}",
        last_error.unwrap_or_default()
    )))
}

const DEFAULT_TTL: u64 = 3600;
const MIN_TTL: u64 = 300;
const MAX_TTL: u64 = 24 * 3600;

/// How long metadata may be kept, from `Cache-Control` (RFC 9111 §5.2.2): `no-store` is not at
/// all; `max-age` within [5 min, 24 h]; otherwise an hour. (`no-cache` only asks for
/// revalidation, which a CLI would do on every run; it gets the minimum.)
fn ttl(cache_control: Option<&str>) -> Option<u64> {
    let Some(header) = cache_control else {
        return Some(DEFAULT_TTL);
    };
    let directives: Vec<String> = header
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives.iter().any(|d| d == "no-store") {
        return None;
    }
    if directives.iter().any(|d| d == "no-cache") {
        return Some(MIN_TTL);
    }
    let max_age = directives.iter().find_map(|d| {
        d.strip_prefix("max-age=")
            .and_then(|v| v.trim_matches('"').parse::<u64>().ok())
    });
    Some(max_age.map_or(DEFAULT_TTL, |age| age.clamp(MIN_TTL, MAX_TTL)))
}

#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    version: u32,
    issuer: String,
    fetched_at: i64,
    expires_at: i64,
    document: Map<String, Value>,
}

/// `<cache dir>/issuers/<sha256 of the issuer>.json`, 0600 in a 0700 directory, under the
/// token cache's rules (`files::Dir`): a planted document would send the client secret to the
/// endpoints it names.
struct MetadataStore {
    dir: Dir,
}

/// The metadata cache's directory in the token cache.
const ISSUERS: &str = "issuers";

impl MetadataStore {
    /// The directory, made if missing; `None` (and a warning) when it cannot be trusted.
    fn open(run: &dyn MetadataCache) -> Option<MetadataStore> {
        match run.cache()?.handle().subdir(ISSUERS) {
            Ok(dir) => Some(MetadataStore { dir }),
            Err(untrusted) => {
                run.warn(format!(
                    "warning: not using the issuer metadata cache: {untrusted}; asking the issuer every time"
                ));
                None
            }
        }
    }

    fn name(issuer: &str) -> String {
        format!("{}.json", crate::cache::sha256_hex(issuer.as_bytes()))
    }

    fn load(&self, issuer: &str) -> Option<Cached> {
        let bytes = self.dir.read(&Self::name(issuer), 1024 * 1024).ok()?;
        serde_json::from_slice::<Cached>(&bytes)
            .ok()
            .filter(|c| c.version == 1)
    }

    fn store(&self, cached: &Cached) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(cached).map_err(std::io::Error::other)?;
        self.dir
            .write_atomically(&Self::name(&cached.issuer), &bytes)
    }
}

/// Forgets every cached issuer metadata document, and any temp file a killed writer left (for
/// `cache clear`): how many documents there were, and each file that could not be removed.
pub fn clear_cache(cache: &Cache) -> (usize, Vec<(PathBuf, String)>) {
    let mut failures = Vec::new();
    let dir = match cache.handle().existing_subdir(ISSUERS) {
        Ok(Some(dir)) => dir,
        Ok(None) => return (0, failures),
        // A planted link or someone else's directory: say so rather than look inside.
        Err(untrusted) => {
            failures.push((untrusted.dir, untrusted.why));
            return (0, failures);
        }
    };
    let mut removed = 0;
    for name in dir.names().unwrap_or_default() {
        let document = name.ends_with(".json");
        if !(document || name.starts_with('.') && name.ends_with(".tmp")) {
            continue;
        }
        match dir.remove(&name) {
            Ok(true) if document => removed += 1,
            Ok(_) => {}
            Err(e) => failures.push((dir.path().join(&name), e.to_string())),
        }
    }
    (removed, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_locations() {
        assert_eq!(
            discovery_urls("https://idp.example/realms/x/"),
            [
                "https://idp.example/realms/x/.well-known/openid-configuration",
                "https://idp.example/.well-known/oauth-authorization-server/realms/x"
            ]
        );
        assert_eq!(
            discovery_urls("https://idp.example")[1],
            "https://idp.example/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn cache_lifetimes_follow_cache_control_within_bounds() {
        assert_eq!(ttl(None), Some(DEFAULT_TTL));
        assert_eq!(ttl(Some("public, max-age=7200")), Some(7200));
        assert_eq!(ttl(Some("max-age=10")), Some(MIN_TTL));
        assert_eq!(ttl(Some("max-age=999999")), Some(MAX_TTL));
        assert_eq!(ttl(Some("No-Store")), None);
        assert_eq!(ttl(Some("no-cache")), Some(MIN_TTL));
        assert_eq!(ttl(Some("max-age=soon")), Some(DEFAULT_TTL));
    }
}
