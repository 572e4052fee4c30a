//! `oauthctl keys generate | public` (DESIGN §10): make a client key pair, and show the public
//! half of a private key file as the JWK a server's client registration takes. Neither reads the
//! config nor talks to a server; the key's private half never leaves the file.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::files::{self, Refused};
use crate::keys::Alg;
use crate::keys::signing::{self, PrivateKey, SigningKey};
use crate::untrusted::printable;

/// The most a private key file may hold: a Google service-account key is about 2.4 KiB, an RSA
/// 4096 JWK about 3.3 KiB.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// The public half of a key, ready to register: what `keys public` and `keys generate` show.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    /// The public members only (`kty`, `n`, `e` / `crv`, `x`, `y`).
    pub members: Map<String, Value>,
    /// The JWK's own `kid` (or a service-account key's `private_key_id`), else the RFC 7638
    /// thumbprint.
    pub kid: String,
    pub alg: Alg,
}

impl PublicKey {
    fn of(key: &SigningKey, kid: Option<String>, alg: Alg) -> PublicKey {
        PublicKey {
            members: key.public_jwk(),
            kid: kid.unwrap_or_else(|| key.thumbprint()),
            alg,
        }
    }
}

#[derive(Debug)]
pub enum Outcome {
    /// `keys generate`: a new private key written to `path`, and its public half.
    Generated { path: PathBuf, key: PublicKey },
    /// `keys public`: the public half of the key in a file.
    Public(PublicKey),
}

/// `keys generate --alg ALG --out FILE`: a new key written as PKCS#8 PEM, 0600 from its
/// creation, never over an existing file (SECURITY 42).
pub fn generate(alg: Alg, out: &Path) -> Result<Outcome> {
    let shown = shown(out);
    // The usual refusal, before any work; `create_new` makes it certain.
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(exists(&shown));
    }
    let (key, pem) = signing::generate(alg).map_err(|e| {
        if signing::GENERATED_ALGS.contains(&alg) {
            Error::Internal(e)
        } else {
            Error::Usage(e)
        }
    })?;
    files::create_new(out, pem.as_bytes(), 0o600).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => exists(&shown),
        _ => Error::Config(format!("cannot write the private key to {shown}: {e}")),
    })?;
    Ok(Outcome::Generated {
        path: out.to_path_buf(),
        key: PublicKey::of(&key, None, alg),
    })
}

fn exists(shown: &str) -> Error {
    Error::Config(format!(
        "{shown} exists; refusing to overwrite it (remove it, or choose another --out)"
    ))
}

/// `keys public FILE [--alg ALG]`: the public JWK of a private key file, which must be private
/// itself (SECURITY 39). `alg` is `--alg`, else the JWK's own `alg`, else the key's default.
pub fn public(file: &Path, alg: Option<Alg>) -> Result<Outcome> {
    let shown = shown(file);
    let bytes = files::read_private(file, MAX_KEY_BYTES).map_err(|e| match e {
        Refused::Missing => Error::Config(format!("private key {shown} does not exist")),
        Refused::Unsafe(why) => Error::Config(format!("refusing private key {shown}: {why}")),
        Refused::Io(e) => Error::Config(format!("cannot read private key {shown}: {e}")),
    })?;
    let private =
        PrivateKey::parse(&bytes, &format!("private key {shown}")).map_err(Error::Config)?;
    let alg = match alg {
        Some(alg) => {
            private.key.check_alg(alg).map_err(|e| {
                Error::Config(format!(
                    "the key in {shown} cannot sign with --alg {alg}: {e}"
                ))
            })?;
            alg
        }
        None => private.alg.unwrap_or_else(|| private.key.default_alg()),
    };
    Ok(Outcome::Public(PublicKey::of(
        &private.key,
        private.kid,
        alg,
    )))
}

fn shown(path: &Path) -> String {
    format!("`{}`", printable(&path.display().to_string(), 300))
}

/// `keys assertion -p NAME`: a new client assertion of the profile, for the audience its
/// requests use (DESIGN §10), for a command `--dry-run` printed.
pub fn assertion(
    settings: &crate::settings::Settings,
    grant: bool,
) -> Result<crate::secret::Secret> {
    use crate::config::AuthMethod;
    use crate::oauth::client_auth::{Assertion, ClientAuth};
    let profile = settings.profile()?;
    if grant {
        // DESIGN §11: the assertion a jwt_bearer profile signs itself.
        if !crate::oauth::credential::signs_own_grant_assertion(profile)? {
            return Err(Error::Config(format!(
                "{} signs no grant assertion: that is a jwt_bearer profile with a private key (private_key_file / _env / _command) and no identity token source",
                profile.describe()
            )));
        }
        return crate::tokens::self_signed_grant(settings, profile)?.for_request();
    }
    if !matches!(
        profile.auth_method,
        AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt
    ) {
        return Err(Error::Config(format!(
            "{} uses auth_method = \"{}\", which sends no client assertion (private_key_jwt and client_secret_jwt do)",
            profile.describe(),
            profile.auth_method.as_str()
        )));
    }
    let client = settings.client()?;
    let credential = client.secret().credential()?;
    let completed = client.discover(&[crate::discovery::Endpoint::Token])?;
    match ClientAuth::new(&completed.profile, credential)? {
        ClientAuth::Assertion {
            assertion: Assertion::Signed { signer, audience },
            ..
        } => signer.mint(&audience, u64::try_from(crate::timefmt::now()).unwrap_or(0)),
        other => Err(Error::Internal(format!(
            "no signed assertion from {other:?}"
        ))),
    }
}

/// `keys dpop-proof`: a new proof of the profile's DPoP key for one request (DESIGN §12), by
/// default the token request: POST to the token endpoint with the server's latest nonce.
pub fn dpop_proof(
    settings: &crate::settings::Settings,
    request: crate::dpop::RequestArgs,
) -> Result<crate::secret::Secret> {
    let profile = settings.profile()?;
    let Some(dpop) = settings.dpop()? else {
        return Err(Error::Config(format!(
            "{} does not use DPoP: set dpop = true (or give --dpop)",
            profile.describe()
        )));
    };
    let to_token_endpoint = request.url.is_none();
    let url = match request.url {
        Some(url) => url,
        None => settings
            .client()?
            .endpoint(crate::discovery::Endpoint::Token)?,
    };
    let method = request
        .method
        .or_else(|| to_token_endpoint.then(|| "POST".into()));
    let checked = crate::dpop::RequestArgs {
        url: Some(url),
        method,
        nonce: request.nonce,
    }
    .checked()?
    .ok_or_else(|| Error::Internal("a checked request without its URL".into()))?;
    let nonce = match (&checked.nonce, to_token_endpoint) {
        (Some(nonce), _) => Some(nonce.clone()),
        (None, true) => dpop.nonce(&checked.url),
        (None, false) => None,
    };
    dpop.key.proof(crate::dpop::ProofFor {
        method: &checked.method,
        url: &checked.url,
        nonce: nonce.as_deref(),
        access_token: None,
    })
}
