//! DPoP (RFC 9449): sender-constrained tokens. A DPoP profile has a key of its own (its
//! `dpop_key_file`, else one made on first use and kept 0600 in the cache directory), and every
//! request that asks for or uses its token carries a proof: a JWT signed by that key for that one
//! request (`proof`). The authorization server binds the token to the key's thumbprint
//! (`cnf.jkt`, RFC 9449 §6); the latest nonce each server asked for is remembered across runs
//! (RFC 9449 §8), beside the keys.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::files::{Dir, Refused};
use crate::keys::Alg;
use crate::keys::signing::{PrivateKey, SigningKey};
use crate::oauth::assertion::{encoded, random_jti};
use crate::resolve::Profile;
use crate::secret::Secret;

/// RFC 9449 §4.2: the proof's `typ`.
pub const PROOF_TYPE: &str = "dpop+jwt";

/// The cache directory's subdirectory of generated keys and remembered nonces.
const DIR: &str = "dpop";

/// A nonce longer than this is not remembered (nor sent).
const MAX_NONCE_BYTES: usize = 1024;

/// The request a proof goes with.
#[derive(Debug, Clone, Copy)]
pub struct ProofFor<'a> {
    /// `htm`: the HTTP method, as sent (`POST`).
    pub method: &'a str,
    /// The request's URI; `htu` is it without query and fragment.
    pub url: &'a str,
    /// `nonce`: the latest the server gave (RFC 9449 §8), if any.
    pub nonce: Option<&'a str>,
    /// The access token the request presents (to a resource server): its hash is `ath`.
    pub access_token: Option<&'a str>,
}

#[derive(Serialize)]
struct Header<'a> {
    typ: &'static str,
    alg: &'a str,
    jwk: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

/// A new proof for `request`, signed by `key` with `alg`, issued at `now` (seconds since the
/// epoch). RFC 9449 §4.2: the public key goes in the header (and nothing private: the key's
/// public members only), a unique `jti`, `htm`, `htu`, `iat`, and `ath` when an access token goes
/// with the request.
pub fn proof(key: &SigningKey, alg: Alg, request: ProofFor<'_>, now: u64) -> Result<Secret> {
    key.check_alg(alg)
        .map_err(|e| Error::Config(format!("dpop_alg {e}")))?;
    let header = Header {
        typ: PROOF_TYPE,
        alg: alg.name(),
        jwk: key.public_jwk(),
    };
    let claims = Claims {
        jti: random_jti()?,
        htm: request.method,
        htu: &htu(request.url),
        iat: now,
        nonce: request.nonce,
        ath: request.access_token.map(ath),
    };
    let input = format!("{}.{}", encoded(&header)?, encoded(&claims)?);
    let signature = key
        .sign(alg, input.as_bytes())
        .map_err(|e| Error::Config(format!("cannot sign the DPoP proof: {e}")))?;
    Ok(Secret::new(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )))
}

/// RFC 9449 §4.2 `htu`: the target URI without its query and fragment (and without user
/// information, which an http(s) URI must not carry, RFC 9110 §4.2.4).
pub fn htu(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit('@').next().unwrap_or_default();
    // RFC 3986 §6.2.3: an empty path is `/`, which is what the request line carries.
    let path = if path.is_empty() { "/" } else { path };
    format!("{scheme}://{host}{path}")
}

/// RFC 9449 §4.2 `ath`: base64url(SHA-256(ASCII(access token))).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        access_token.as_bytes(),
    ))
}

/// RFC 9449 §8.1: `nonce = 1*NQCHAR` (printable ASCII but `"` and `\\`), and not absurdly long.
pub fn is_nonce(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NONCE_BYTES
        && text
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The request a DPoP proof is to go with, as given (`--url`, `--method`, `--nonce`).
#[derive(Debug, Clone, Default)]
pub struct RequestArgs {
    pub url: Option<String>,
    pub method: Option<String>,
    pub nonce: Option<String>,
}

/// The request `--url` names, checked before anything is sent: an absolute http(s) URL without
/// user information, a method (RFC 9110 §9.1: a token, case-sensitive, so kept as given), and a
/// nonce as RFC 9449 §8.1 defines one.
pub struct Request {
    pub url: String,
    pub method: String,
    pub nonce: Option<String>,
}

impl RequestArgs {
    /// The request, checked (`None` without a URL).
    pub fn checked(self) -> Result<Option<Request>> {
        let Some(url) = self.url else {
            return Ok(None);
        };
        let absolute = url.parse::<ureq::http::Uri>().ok().is_some_and(|uri| {
            matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.host().is_some_and(|h| !h.is_empty())
        });
        if !absolute {
            return Err(Error::Usage(format!(
                "--url `{}` is not an absolute http or https URL",
                crate::untrusted::printable(&crate::http::redact_url(&url, &[]), 300)
            )));
        }
        // RFC 9110 §4.2.4: a sender must not put user information in an http(s) URI; in a proof,
        // which is printed and sent, it would be a password handed to the server and its logs.
        if url
            .parse::<ureq::http::Uri>()
            .ok()
            .and_then(|uri| uri.authority().map(|a| a.as_str().contains('@')))
            .unwrap_or(false)
        {
            return Err(Error::Usage(
                "--url must not carry user information (`user:password@`, RFC 9110 §4.2.4): the proof names the URL it is for".into(),
            ));
        }
        let method = self.method.unwrap_or_else(|| "GET".into());
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if method.is_empty() || !method.chars().all(tchar) {
            return Err(Error::Usage(format!(
                "--method `{}` is not an HTTP method (RFC 9110 §9.1)",
                crate::untrusted::printable(&method, 100)
            )));
        }
        if let Some(nonce) = &self.nonce
            && !crate::dpop::is_nonce(nonce)
        {
            return Err(Error::Usage(
                "--nonce is not a DPoP nonce: printable ASCII without spaces, `\"` or `\\` (RFC 9449 §8.1)"
                    .into(),
            ));
        }
        Ok(Some(Request {
            url,
            method,
            nonce: self.nonce,
        }))
    }
}

/// Where a profile's DPoP key is kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    /// The profile's `dpop_key_file`.
    File(PathBuf),
    /// Made by oauthctl, in the cache directory's `dpop/` under this name.
    Cache(String),
    /// Made for this run only (`--no-cache`, or no cache directory to keep it in): a token
    /// bound to it is not cached, as no later run could use it.
    Run,
}

/// A profile's DPoP key, the algorithm its proofs are signed with, and its RFC 7638 thumbprint
/// (the `jkt` a bound token names).
#[derive(Debug)]
pub struct DpopKey {
    key: SigningKey,
    pub alg: Alg,
    pub jkt: String,
    pub kept: Kept,
    /// Why a key that should have been kept could not be (a run-only key serves), for a warning.
    pub not_kept: Option<String>,
}

impl DpopKey {
    fn new(key: SigningKey, alg: Alg, kept: Kept) -> DpopKey {
        DpopKey {
            jkt: key.thumbprint(),
            key,
            alg,
            kept,
            not_kept: None,
        }
    }

    /// A new proof for `request`, issued now.
    pub fn proof(&self, request: ProofFor<'_>) -> Result<Secret> {
        let now = u64::try_from(crate::timefmt::now()).unwrap_or_default();
        proof(&self.key, self.alg, request, now)
    }

    /// Where the key is, for messages: a file's path, never the key.
    pub fn describe(&self) -> String {
        match &self.kept {
            Kept::File(path) => format!("dpop_key_file `{}`", path.display()),
            Kept::Cache(name) => format!("the DPoP key {DIR}/{name} in the cache directory"),
            Kept::Run => "a DPoP key made for this run".into(),
        }
    }
}

/// What stands for the grant in the cache key a DPoP key is named by: every grant of a client
/// proves the same key (a refresh must prove the key its refresh token is bound to, RFC 9449 §5).
pub const KEY_GRANT: &str = "dpop-key";

/// The name of the key oauthctl makes for the client a cache key names (`Cache::key` with
/// [`KEY_GRANT`]): one per client, credential, scope and algorithm, whichever profile names
/// them, as the tokens bound to it are shared the same way.
pub fn key_name(client: &crate::cache::Key, alg: Alg) -> String {
    let identity = format!("dpop-key-1 {} {}", client.0, alg.name());
    format!("{}.key.pem", crate::cache::sha256_hex(identity.as_bytes()))
}

/// The names of every key oauthctl may have made for a client, one per algorithm.
pub fn key_names(client: &crate::cache::Key) -> Vec<String> {
    crate::config::DpopAlg::NAMES
        .iter()
        .filter_map(|name| Alg::from_name(name))
        .map(|alg| key_name(client, alg))
        .collect()
}

/// The algorithm a profile's proofs use: `dpop_alg`, else what the key file says (a JWK's own
/// `alg`, else the key's kind), else ES256.
fn alg_for(profile: &Profile, key: Option<&PrivateKey>) -> Result<Alg> {
    if let Some(alg) = profile.dpop_alg {
        return Ok(alg.alg());
    }
    let Some(key) = key else {
        return Ok(Alg::ES256);
    };
    let alg = key.alg.unwrap_or_else(|| key.key.default_alg());
    let allowed = crate::config::DpopAlg::NAMES;
    if !allowed.contains(&alg.name()) {
        return Err(Error::Config(format!(
            "the dpop_key_file of {} is for {alg}, which DPoP proofs are not signed with here: set dpop_alg to one of {}",
            profile.describe(),
            allowed.join(", ")
        )));
    }
    Ok(alg)
}

/// Where oauthctl keeps the key it makes for a profile: the store, and the cache key of the
/// client (`Cache::key` with [`KEY_GRANT`]).
pub struct KeyPlace<'a> {
    pub store: &'a Store,
    pub client: &'a crate::cache::Key,
}

/// The profile's key (`None` when the profile does not use DPoP). A `dpop_key_file` must be
/// there, private and of a kind that signs with `dpop_alg` (exit 78 otherwise). Else the key
/// oauthctl keeps at `place`: read, or when `make`, made if missing or not a key of ours (a key
/// that cannot be written serves this run alone, saying why in `not_kept`). Without a place, a
/// new key serves the run alone when `make`; nothing otherwise.
pub fn profile_key(
    profile: &Profile,
    place: Option<KeyPlace<'_>>,
    make: bool,
) -> Result<Option<DpopKey>> {
    if !profile.uses_dpop() {
        return Ok(None);
    }
    if let Some(path) = &profile.dpop_key_file {
        let shown = format!("dpop_key_file `{}`", path.display());
        let text = crate::oauth::credential::read_key_file(path, &shown)?;
        let read = PrivateKey::parse(text.expose().as_bytes(), &shown).map_err(Error::Config)?;
        let alg = alg_for(profile, Some(&read))?;
        read.key
            .check_alg(alg)
            .map_err(|e| Error::Config(format!("{shown}: dpop_alg {e}")))?;
        return Ok(Some(DpopKey::new(read.key, alg, Kept::File(path.clone()))));
    }
    let alg = alg_for(profile, None)?;
    let new_key = || -> Result<(SigningKey, String)> {
        crate::keys::signing::generate(alg)
            .map_err(|e| Error::Internal(format!("cannot make a DPoP key: {e}")))
    };
    let Some(place) = place else {
        return match make {
            true => Ok(Some(DpopKey::new(new_key()?.0, alg, Kept::Run))),
            false => Ok(None),
        };
    };
    let name = key_name(place.client, alg);
    let store = place.store;
    let run_only = |why: String| -> Result<Option<DpopKey>> {
        let mut key = DpopKey::new(new_key()?.0, alg, Kept::Run);
        key.not_kept = Some(why);
        Ok(Some(key))
    };
    match store.read_key(&name, alg) {
        Ok(Some(key)) => return Ok(Some(key)),
        Ok(None) | Err(_) if !make => return Ok(None),
        Ok(None) => {}
        Err(Unusable::Io(why)) => {
            return run_only(format!("the DPoP key {}: {why}", store.shown(&name)));
        }
        Err(Unusable::NotOurs(why)) => {
            // A file there that is not a private key of ours (corrupt, a link, another user's):
            // replaced, as a missing one is.
            if let Err(e) = store.dir.remove(&name) {
                return run_only(format!(
                    "the DPoP key {}: {why}, and cannot be replaced: {e}",
                    store.shown(&name)
                ));
            }
        }
    }
    let (key, pem) = new_key()?;
    match store.dir.create_new(&name, pem.as_bytes()) {
        Ok(true) => Ok(Some(DpopKey::new(key, alg, Kept::Cache(name)))),
        // Another run made it first: its key is the profile's.
        Ok(false) => match store.read_key(&name, alg) {
            Ok(Some(key)) => Ok(Some(key)),
            _ => run_only(format!(
                "the DPoP key {} made by another run cannot be read",
                store.shown(&name)
            )),
        },
        Err(e) => run_only(format!(
            "cannot keep the new DPoP key {}: {e}",
            store.shown(&name)
        )),
    }
}

/// Why a key file in the store cannot be used.
enum Unusable {
    /// Not a private key of ours for the algorithm: to be replaced.
    NotOurs(String),
    /// It could not be read: left alone.
    Io(String),
}

/// The cache directory's `dpop/`: the keys oauthctl made, and the latest nonce of each server.
#[derive(Debug)]
pub struct Store {
    dir: Dir,
}

impl Store {
    /// The store in `cache`, made if missing; an error says why it cannot be trusted.
    pub fn open(cache: &Cache) -> std::result::Result<Store, String> {
        cache
            .handle()
            .subdir(DIR)
            .map(|dir| Store { dir })
            .map_err(|untrusted| untrusted.to_string())
    }

    /// The store in `cache` when there is one, without making it.
    pub fn existing(cache: &Cache) -> std::result::Result<Option<Store>, String> {
        match cache.handle().existing_subdir(DIR) {
            Ok(dir) => Ok(dir.map(|dir| Store { dir })),
            Err(untrusted) => Err(untrusted.to_string()),
        }
    }

    fn shown(&self, name: &str) -> String {
        format!("`{}`", self.dir.path().join(name).display())
    }

    /// The key called `name`: `Ok(None)` when there is none; why not, when the file is not a
    /// private key for `alg` of the user's own.
    fn read_key(&self, name: &str, alg: Alg) -> std::result::Result<Option<DpopKey>, Unusable> {
        let bytes = match self.dir.read(name, 64 * 1024) {
            Ok(bytes) => bytes,
            Err(Refused::Missing) => return Ok(None),
            Err(Refused::Unsafe(why)) => return Err(Unusable::NotOurs(why)),
            Err(Refused::Io(e)) => return Err(Unusable::Io(format!("it cannot be read ({e})"))),
        };
        let read = PrivateKey::parse(&bytes, name)
            .map_err(|_| Unusable::NotOurs("it is not a private key".into()))?;
        read.key
            .check_alg(alg)
            .map_err(|_| Unusable::NotOurs(format!("it is not a key for {alg}")))?;
        Ok(Some(DpopKey::new(
            read.key,
            alg,
            Kept::Cache(name.to_string()),
        )))
    }

    /// Removes the key called `name`: whether it was there; an error names the file.
    pub fn remove_key(&self, name: &str) -> std::result::Result<bool, String> {
        self.dir
            .remove(name)
            .map_err(|e| format!("cannot remove {}: {e}", self.shown(name)))
    }

    /// Removes every key and nonce: how many keys there were, and each file that could not be
    /// removed.
    pub fn clear(&self) -> (usize, Vec<(PathBuf, String)>) {
        let mut failures = Vec::new();
        let mut keys = 0;
        for name in self.dir.names().unwrap_or_default() {
            let ours = name.ends_with(".key.pem")
                || name.ends_with(".nonce")
                || name.starts_with('.') && name.ends_with(".tmp");
            if !ours {
                continue;
            }
            match self.dir.remove(&name) {
                Ok(true) if name.ends_with(".key.pem") => keys += 1,
                Ok(_) => {}
                Err(e) => failures.push((self.dir.path().join(&name), e.to_string())),
            }
        }
        (keys, failures)
    }

    fn nonce_name(origin: &str) -> String {
        format!(
            "{}.nonce",
            crate::cache::sha256_hex(format!("dpop-nonce-1 {origin}").as_bytes())
        )
    }

    fn nonce(&self, origin: &str) -> Option<String> {
        let bytes = self
            .dir
            .read(&Store::nonce_name(origin), MAX_NONCE_BYTES as u64 + 1)
            .ok()?;
        String::from_utf8(bytes).ok().filter(|n| is_nonce(n))
    }

    fn keep_nonce(&self, origin: &str, nonce: &str) -> std::io::Result<()> {
        self.dir
            .write_atomically(&Store::nonce_name(origin), nonce.as_bytes())
    }
}

/// The server a nonce belongs to (RFC 9449 §8: a nonce is the server's): the URL's scheme, host
/// and port.
pub fn origin(url: &str) -> String {
    match url.parse::<ureq::http::Uri>() {
        Ok(uri) => format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default().to_ascii_lowercase(),
            uri.authority()
                .map(|a| a
                    .as_str()
                    .rsplit('@')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase())
                .unwrap_or_default()
        ),
        Err(_) => url.to_string(),
    }
}

/// A run's DPoP: the profile's key, and the latest nonce of each server, read from the store
/// on first use and kept there when a server gives a new one.
#[derive(Debug)]
pub struct Dpop {
    pub key: DpopKey,
    store: Option<Store>,
    nonces: RefCell<HashMap<String, Option<String>>>,
}

impl Dpop {
    pub fn new(key: DpopKey, store: Option<Store>) -> Dpop {
        Dpop {
            key,
            store,
            nonces: RefCell::new(HashMap::new()),
        }
    }

    /// The latest nonce the server of `url` gave, in this run or an earlier one.
    pub fn nonce(&self, url: &str) -> Option<String> {
        let origin = origin(url);
        self.nonces
            .borrow_mut()
            .entry(origin.clone())
            .or_insert_with(|| self.store.as_ref().and_then(|s| s.nonce(&origin)))
            .clone()
    }

    /// Remembers the nonce the server of `url` gave (RFC 9449 §8.2: a server may give a new one
    /// with any answer); one that is not a nonce is ignored. Whether it is new.
    pub fn remember_nonce(&self, url: &str, nonce: &str) -> bool {
        if !is_nonce(nonce) {
            return false;
        }
        if self.nonce(url).as_deref() == Some(nonce) {
            return false;
        }
        let origin = origin(url);
        if let Some(store) = &self.store {
            // Only an optimisation across runs: a nonce that cannot be kept is asked for again.
            let _ = store.keep_nonce(&origin, nonce);
        }
        self.nonces
            .borrow_mut()
            .insert(origin, Some(nonce.to_string()));
        true
    }

    /// A proof for a token request: `POST` to `url`, with the server's latest nonce.
    pub fn token_request_proof(&self, url: &str) -> Result<Secret> {
        let nonce = self.nonce(url);
        self.key.proof(ProofFor {
            method: "POST",
            url,
            nonce: nonce.as_deref(),
            access_token: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::signing::generate;

    fn part(token: &str, n: usize) -> serde_json::Value {
        let text = token.split('.').nth(n).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
    }

    #[test]
    fn ath_matches_the_rfc_9449_example() {
        // RFC 9449 §7.1.
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn htu_drops_the_query_and_the_fragment_only() {
        assert_eq!(
            htu("https://rs.example/a/b?x=1#f"),
            "https://rs.example/a/b"
        );
        assert_eq!(htu("https://rs.example/a#f?x"), "https://rs.example/a");
        assert_eq!(
            htu("https://alice:hunter2@rs.example/a/b@c?x"),
            "https://rs.example/a/b@c"
        );
        assert_eq!(
            htu("https://rs.example:8443/t"),
            "https://rs.example:8443/t"
        );
        assert_eq!(htu("https://rs.example?x=1"), "https://rs.example/");
    }

    #[test]
    fn a_proof_has_the_rfc_9449_header_and_claims_and_verifies_with_its_own_jwk() {
        for alg in [Alg::ES256, Alg::EdDSA] {
            let (key, _) = generate(alg).unwrap();
            let request = ProofFor {
                method: "POST",
                url: "https://as.example/token?x=1",
                nonce: Some("n-1"),
                access_token: None,
            };
            let a = proof(&key, alg, request, 1_700_000_000).unwrap();
            let b = proof(&key, alg, request, 1_700_000_000).unwrap();
            let header = part(a.expose(), 0);
            assert_eq!(header["typ"], "dpop+jwt");
            assert_eq!(header["alg"], alg.name());
            assert_eq!(
                serde_json::Value::Object(key.public_jwk()),
                header["jwk"],
                "the public key, and nothing private"
            );
            assert!(header["jwk"].get("d").is_none());
            let claims = part(a.expose(), 1);
            assert_eq!(claims["htm"], "POST");
            assert_eq!(claims["htu"], "https://as.example/token");
            assert_eq!(claims["iat"], 1_700_000_000);
            assert_eq!(claims["nonce"], "n-1");
            assert!(claims.get("ath").is_none());
            assert_eq!(
                URL_SAFE_NO_PAD
                    .decode(claims["jti"].as_str().unwrap())
                    .unwrap()
                    .len(),
                16
            );
            assert_ne!(part(b.expose(), 1)["jti"], claims["jti"]);
            // The signature, checked by the verifier `inspect --verify` uses, with the key the
            // header carries.
            let jwk = header["jwk"].as_object().unwrap();
            let verifying = crate::keys::VerifyingKey::from_jwk(jwk).unwrap();
            let (input, signature) = a.expose().rsplit_once('.').unwrap();
            assert!(crate::verify::verifies(
                &verifying,
                alg,
                input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap()
            ));
        }
    }

    #[test]
    fn a_proof_for_a_resource_carries_the_access_tokens_hash_and_a_wrong_alg_is_refused() {
        let (key, _) = generate(Alg::ES256).unwrap();
        let request = ProofFor {
            method: "GET",
            url: "https://rs.example/orders",
            nonce: None,
            access_token: Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        };
        let token = proof(&key, Alg::ES256, request, 1).unwrap();
        let claims = part(token.expose(), 1);
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert!(claims.get("nonce").is_none());
        assert!(proof(&key, Alg::RS256, request, 1).is_err());
    }
}
