//! What the client proves itself with (DESIGN §10): its secret, a private key that signs client
//! assertions, a certificate for mutual TLS — read once per run, checked before any request.
//!
//! The private key comes from exactly one of `private_key_file`, `private_key_env` and
//! `private_key_command`, read as the client secret's sources are, and a key file that group or
//! others can read is refused (SECURITY 39). The certificate of `client_certificate_file` must
//! hold the same key and be in date.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use super::assertion::{AssertionKey, AssertionSigner};
use crate::config::AuthMethod;
use crate::error::{Error, Result};
use crate::keys::certificate::CertificateChain;
use crate::keys::signing::{PrivateKey, SigningKey, TlsKeyDer};
use crate::keys::{Alg, VerifyingKey};
use crate::resolve::{Origin, Profile};
use crate::secret::Secret;

/// How the client authenticates, ready to go into requests.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A public client, or one whose certificate authenticates it in TLS: nothing secret in the
    /// request.
    Nothing,
    /// The client secret (Basic, or in the body).
    Secret(Secret),
    /// What signs a new client assertion for every request.
    Signer(Rc<AssertionSigner>),
    /// An assertion given whole: a workload identity token (`federated_jwt`), or `--dry-run`'s
    /// stand-in.
    Assertion(Secret),
}

/// Where the private key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Env(String),
    Command(Vec<String>),
}

impl KeySource {
    /// The profile key that names it.
    pub fn key(&self) -> &'static str {
        match self {
            KeySource::File(_) => "private_key_file",
            KeySource::Env(_) => "private_key_env",
            KeySource::Command(_) => "private_key_command",
        }
    }

    /// Where the key comes from, safe to show (never the key).
    pub fn describe(&self) -> String {
        match self {
            KeySource::File(path) => format!("private_key_file `{}`", path.display()),
            KeySource::Env(var) => format!("private_key_env `{var}`"),
            KeySource::Command(argv) => format!(
                "the output of private_key_command `{}`",
                argv.first().map(String::as_str).unwrap_or("?")
            ),
        }
    }

    /// Whether reading it runs nothing (DESIGN §7: such a key is identified by its thumbprint
    /// in the cache key; a command is only described, so that a cache hit runs nothing).
    pub fn is_side_effect_free(&self) -> bool {
        !matches!(self, KeySource::Command(_))
    }

    /// The source itself, for the cache key when the key is not read.
    pub fn identity(&self) -> String {
        match self {
            KeySource::Command(argv) => {
                format!(
                    "private_key_command {}",
                    serde_json::Value::from(argv.clone())
                )
            }
            other => other.describe(),
        }
    }

    /// The key's text. A file must be private to its owner, as ssh requires of its keys.
    fn read(&self, timeout: Duration) -> Result<Secret> {
        let text = match self {
            KeySource::File(path) => {
                read_key_file(path, &format!("private_key_file `{}`", path.display()))?
                    .expose()
                    .to_string()
            }
            KeySource::Env(var) => match std::env::var(var) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => {
                    return Err(Error::Config(format!(
                        "private key: env var {var} is not set (it is named by private_key_env)"
                    )));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Error::Config(format!(
                        "private key: env var {var} is not valid UTF-8"
                    )));
                }
            },
            KeySource::Command(argv) => {
                crate::secret::run_secret_command(argv, timeout, "private_key_command")?
            }
        };
        if text.trim().is_empty() {
            return Err(Error::Config(format!("{} is empty", self.describe())));
        }
        Ok(Secret::new(text))
    }
}

/// A private key file's text, `shown` naming it in messages (`private_key_file `/x/k.pem``).
pub(crate) fn read_key_file(path: &Path, shown: &str) -> Result<Secret> {
    use crate::files::Refused;
    // SECURITY 39: as ssh refuses a private key that others can read; checked on the file read.
    let bytes = crate::files::read_private(path, crate::secret::MAX_SECRET_BYTES as u64 + 1)
        .map_err(|refused| match refused {
            Refused::Unsafe(problem) => Error::Config(format!(
                "refusing {shown}: {problem}, and a private key must be readable by you alone"
            )),
            Refused::Missing => Error::Config(format!("cannot read {shown}: it does not exist")),
            Refused::Io(e) => Error::Config(format!("cannot read {shown}: {e}")),
        })?;
    if bytes.len() > crate::secret::MAX_SECRET_BYTES {
        return Err(Error::Config(format!("{shown} is larger than 64 KiB")));
    }
    String::from_utf8(bytes)
        .map(Secret::new)
        .map_err(|_| Error::Config(format!("{shown} is not UTF-8 text")))
}

/// The profile's one key source: from the highest layer (flag > env > file) that names one,
/// which must name only one (DESIGN §10: exactly one, as for the client secret).
pub fn key_source(profile: &Profile) -> Result<Option<KeySource>> {
    let mut set: Vec<(KeySource, Option<Origin>)> = Vec::new();
    let origin = |key: &str| profile.origins.get(key).copied();
    if let Some(path) = &profile.private_key_file {
        set.push((KeySource::File(path.clone()), origin("private_key_file")));
    }
    if let Some(var) = &profile.private_key_env {
        set.push((KeySource::Env(var.clone()), origin("private_key_env")));
    }
    if let Some(argv) = &profile.private_key_command {
        set.push((
            KeySource::Command(argv.0.clone()),
            origin("private_key_command"),
        ));
    }
    let rank = |o: Option<Origin>| match o {
        Some(Origin::Flag) => 0,
        Some(Origin::Env) => 1,
        _ => 2,
    };
    let Some(top) = set.iter().map(|(_, o)| rank(*o)).min() else {
        return Ok(None);
    };
    let mut chosen: Vec<KeySource> = set
        .into_iter()
        .filter(|(_, o)| rank(*o) == top)
        .map(|(source, _)| source)
        .collect();
    if chosen.len() > 1 {
        let keys: Vec<&str> = chosen.iter().map(KeySource::key).collect();
        let place = match top {
            0 => "the command line".to_string(),
            1 => "the environment".to_string(),
            _ => profile.describe(),
        };
        return Err(Error::Config(format!(
            "{place} sets {}; keep exactly one private key source",
            keys.join(" and ")
        )));
    }
    Ok(chosen.pop())
}

/// The client's key pair, read and checked.
pub struct ClientKey {
    pub key: Rc<SigningKey>,
    /// What the key's file said of it: a JWK's `kid`, a service account's `private_key_id`.
    pub kid: Option<String>,
    /// A JWK's own `alg`.
    pub alg: Option<Alg>,
    /// A Google service-account key's `client_email`.
    pub client_email: Option<String>,
    /// The key as TLS takes it (`None`: it came as a JWK).
    pub tls_der: Option<TlsKeyDer>,
    pub source: KeySource,
    /// `client_certificate_file`'s chain, when set: the leaf holds this key and is in date.
    pub certificate: Option<CertificateChain>,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ClientKey({:?} from {})",
            self.key,
            self.source.describe()
        )
    }
}

impl ClientKey {
    /// The certificate and key as TLS presents them.
    pub fn tls_identity(&self, profile: &Profile) -> Result<crate::http::ClientIdentity> {
        let (Some(chain), Some(path)) = (&self.certificate, &profile.client_certificate_file)
        else {
            return Err(Error::Internal(
                "a TLS identity without a certificate".into(),
            ));
        };
        let key = match &self.tls_der {
            Some(TlsKeyDer::Pkcs8(der)) => crate::http::ClientKeyDer::Pkcs8(der.clone()),
            Some(TlsKeyDer::Pkcs1(der)) => crate::http::ClientKeyDer::Pkcs1(der.clone()),
            Some(TlsKeyDer::Sec1(der)) => crate::http::ClientKeyDer::Sec1(der.clone()),
            None => {
                return Err(Error::Config(format!(
                    "{}: mutual TLS with client_certificate_file needs the private key as PEM (PKCS#8, PKCS#1 or SEC1), not as a JWK",
                    self.source.describe()
                )));
            }
        };
        Ok(crate::http::ClientIdentity {
            chain: chain.der.clone(),
            key,
            shown: format!("client_certificate_file `{}`", path.display()),
        })
    }
}

/// The `client_email` of a Google service-account key that a file or a variable holds (never
/// running a command for it): the client_id of a profile that names none. `None` for any other
/// key or source; a key that cannot be read is the error it would be when used.
pub fn service_account_email(profile: &Profile) -> Result<Option<String>> {
    let text = match key_source(profile)? {
        Some(source @ (KeySource::File(_) | KeySource::Env(_))) => {
            source.read(profile.timeout())?
        }
        _ => return Ok(None),
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text.expose()) else {
        return Ok(None);
    };
    if json.get("type").and_then(serde_json::Value::as_str) != Some("service_account") {
        return Ok(None);
    }
    Ok(json
        .get("client_email")
        .and_then(serde_json::Value::as_str)
        .filter(|email| !email.is_empty())
        .map(str::to_string))
}

/// Whether the profile's JWT bearer grant carries an assertion signed here with its private key
/// (DESIGN §11): `grant = "jwt_bearer"`, a private key, and no identity token source (which would
/// be the assertion instead).
pub fn signs_own_grant_assertion(profile: &Profile) -> Result<bool> {
    Ok(profile.grant == crate::config::GrantKind::JwtBearer
        && crate::identity::identity_source(profile)?.is_none()
        && key_source(profile)?.is_some())
}

/// A `client_certificate_file` needs the private key that goes with it.
pub fn check_certificate_has_key(profile: &Profile) -> Result<()> {
    match &profile.client_certificate_file {
        Some(path) if key_source(profile)?.is_none() => Err(Error::Config(format!(
            "{} sets client_certificate_file `{}` but no private key for it: set private_key_file (or private_key_env / private_key_command)",
            profile.describe(),
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Reads the profile's private key and certificate (`None` when it names no key). `now` is the
/// time the certificate must be valid at.
pub fn read_client_key(profile: &Profile, now: i64) -> Result<Option<ClientKey>> {
    let Some(source) = key_source(profile)? else {
        check_certificate_has_key(profile)?;
        return Ok(None);
    };
    let text = source.read(profile.timeout())?;
    let shown = source.describe();
    let PrivateKey {
        key,
        kid,
        alg,
        client_email,
        tls_der,
    } = PrivateKey::parse(text.expose().as_bytes(), &shown).map_err(Error::Config)?;
    let certificate = match &profile.client_certificate_file {
        Some(path) => Some(read_certificate(path, &key.verifying_key(), &shown, now)?),
        None => None,
    };
    Ok(Some(ClientKey {
        key: Rc::new(key),
        kid,
        alg,
        client_email,
        tls_der,
        source,
        certificate,
    }))
}

/// A `client_certificate_file`, checked: readable PEM, its leaf holding the key `key_shown`
/// names, and valid at `now`.
pub fn read_certificate(
    path: &Path,
    key: &VerifyingKey,
    key_shown: &str,
    now: i64,
) -> Result<CertificateChain> {
    let shown = format!("client_certificate_file `{}`", path.display());
    let bytes = crate::files::read_capped(path, crate::http::MAX_BODY_BYTES)
        .map_err(|e| Error::Config(format!("cannot read {shown}: {e}")))?;
    let chain = CertificateChain::from_pem(&bytes, &shown).map_err(Error::Config)?;
    let public = chain
        .public_key()
        .map_err(|e| Error::Config(format!("{shown}: {e}")))?;
    if !same_key(&public, key) {
        return Err(Error::Config(format!(
            "{shown} does not hold the public key of {key_shown} (its {} key is another one): give the certificate issued for this key",
            public.family()
        )));
    }
    let (not_before, not_after) = chain
        .validity()
        .map_err(|e| Error::Config(format!("{shown}: {e}")))?;
    let now = u64::try_from(now).unwrap_or(0);
    if now > not_after {
        return Err(Error::Config(format!(
            "{shown} expired at {}; renew the certificate",
            crate::timefmt::rfc3339(not_after as i64)
        )));
    }
    if now < not_before {
        return Err(Error::Config(format!(
            "{shown} is not valid before {}",
            crate::timefmt::rfc3339(not_before as i64)
        )));
    }
    Ok(chain)
}

/// Whether two public keys are the same key.
fn same_key(a: &VerifyingKey, b: &VerifyingKey) -> bool {
    match (a, b) {
        (VerifyingKey::Rsa { n, e }, VerifyingKey::Rsa { n: n2, e: e2 }) => n == n2 && e == e2,
        (VerifyingKey::EcP256(a), VerifyingKey::EcP256(b))
        | (VerifyingKey::EcP384(a), VerifyingKey::EcP384(b))
        | (VerifyingKey::Ed25519(a), VerifyingKey::Ed25519(b)) => a == b,
        _ => false,
    }
}

/// The signer of a `private_key_jwt` client: the profile's `signing_alg` (else a JWK's own `alg`,
/// else the key's default), which must fit the key; `key_id`, else the key file's kid, else the RFC 7638
/// thumbprint; the certificate's thumbprints in the header when one is configured.
pub fn key_signer(profile: &Profile, client_id: &str, key: &ClientKey) -> Result<AssertionSigner> {
    let alg = match (profile.signing_alg, key.alg) {
        (Some(alg), _) => alg.alg(),
        (None, Some(alg)) => alg,
        (None, None) => key.key.default_alg(),
    };
    if alg.hmac_min_bytes().is_some() {
        return Err(Error::Config(format!(
            "{}: signing_alg {alg} is for client_secret_jwt; private_key_jwt signs with the private key ({})",
            profile.describe(),
            algs(&key.key)
        )));
    }
    key.key
        .check_alg(alg)
        .map_err(|e| Error::Config(format!("{}: signing_alg {e}", profile.describe())))?;
    Ok(AssertionSigner {
        key: AssertionKey::Private(key.key.clone()),
        alg,
        kid: Some(
            profile
                .key_id
                .clone()
                .or_else(|| key.kid.clone())
                .unwrap_or_else(|| key.key.thumbprint()),
        ),
        x5t: key
            .certificate
            .as_ref()
            .map(|chain| (chain.x5t_s256(), chain.x5t_sha1())),
        issuer: client_id.to_string(),
        subject: client_id.to_string(),
        extra: Vec::new(),
        lifetime: profile.assertion_lifetime(),
    })
}

/// The signer of a JWT bearer grant's own assertion (RFC 7523 §2.1, DESIGN §11), made with the
/// profile's private key: `iss` = `assertion_issuer`, else a service-account key's
/// `client_email`, else the client_id; `sub` = `assertion_subject`, else the issuer; the
/// `assertion_claims` beside them (Google's service accounts take `scope` there).
pub fn grant_signer(profile: &Profile, key: &ClientKey) -> Result<AssertionSigner> {
    let issuer = profile
        .assertion_issuer
        .clone()
        .or_else(|| key.client_email.clone())
        .or_else(|| profile.client_id.clone())
        .ok_or_else(|| {
            Error::Config(format!(
                "{} signs its jwt_bearer assertion with its private key but names no issuer: set assertion_issuer (or client_id)",
                profile.describe()
            ))
        })?;
    let mut signer = key_signer(profile, &issuer, key)?;
    signer.subject = profile.assertion_subject.clone().unwrap_or(issuer);
    signer.extra = profile.assertion_claims.clone();
    Ok(signer)
}

fn algs(key: &SigningKey) -> String {
    key.family()
        .algs()
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The signer of a `client_secret_jwt` client: HMAC with the client secret, HS256 unless
/// `signing_alg` says otherwise. RFC 7518 §3.2: the key must be at least as long as the hash.
pub fn secret_signer(
    profile: &Profile,
    client_id: &str,
    secret: &Secret,
) -> Result<AssertionSigner> {
    let alg = profile.signing_alg.map_or(Alg::HS256, |a| a.alg());
    let Some(min) = alg.hmac_min_bytes() else {
        return Err(Error::Config(format!(
            "{}: signing_alg {alg} does not fit client_secret_jwt, which signs with the client secret: HS256, HS384 or HS512",
            profile.describe()
        )));
    };
    let len = secret.expose().len();
    if len < min {
        return Err(Error::Config(format!(
            "{}: client_secret_jwt with {alg} needs a client secret of at least {min} bytes (RFC 7518 §3.2), and this one has {len}",
            profile.describe()
        )));
    }
    Ok(AssertionSigner {
        key: AssertionKey::Hmac(secret.clone()),
        alg,
        kid: profile.key_id.clone(),
        x5t: None,
        issuer: client_id.to_string(),
        subject: client_id.to_string(),
        extra: Vec::new(),
        lifetime: profile.assertion_lifetime(),
    })
}

/// Whether `method` signs with a private key or presents a certificate, and so needs one.
pub fn needs_key(method: AuthMethod) -> bool {
    matches!(
        method,
        AuthMethod::PrivateKeyJwt | AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
    )
}
