//! `oauthctl inspect`: decode a JWT and say when it is valid. Without `--verify` that is decoding
//! only, and the output says the signature was not checked; with it, the signature is checked
//! against keys the user names (never keys the token names: `jku`, `x5u`, `jwk`, `x5c` are not
//! followed) and the claims against the leeway, issuer and audience (src/verify/).

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::discovery::Endpoint;
use crate::error::{ClaimCheck, Error, Result, Unverified};
use crate::http::{Trace, Transport, check_url};
use crate::jwt::{Jwt, TimeClaim, decode};
use crate::resolve::Profile;
use crate::settings::Settings;
use crate::timefmt::{relative, rfc3339};
use crate::verify::{ClaimRules, KeySet, Verified, check_claims, verify_signature};

/// The time claims shown, in this order (RFC 7519 §4.1.6, §4.1.5, §4.1.4).
pub const TIME_CLAIMS: [&str; 3] = ["iat", "nbf", "exp"];

/// Where the token's validity window stands at `now`.
#[derive(Debug, Clone, PartialEq)]
pub enum Validity {
    Valid {
        expires_at: Option<i64>,
    },
    Expired {
        at: i64,
    },
    NotYetValid {
        from: i64,
    },
    /// A time claim is malformed, so validity cannot be established.
    Unknown {
        why: String,
    },
}

#[derive(Debug, Clone)]
pub struct Inspection {
    pub jwt: Jwt,
    pub now: i64,
    /// With `--verify`, and only when it passed (a failure is an error).
    pub verification: Option<Verification>,
    /// With `-p`, a certificate-bound token (RFC 8705 §3.1) and a profile with a certificate:
    /// whether the token is bound to it.
    pub binding: Option<Binding>,
    /// With `-p`, a DPoP-bound token (RFC 9449 §6): whether it is bound to the profile's key.
    pub dpop_binding: Option<KeyBinding>,
}

/// A token's `cnf` `jkt` compared with the thumbprint of the profile's DPoP key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBinding {
    /// The token's `cnf` `jkt`.
    pub token: String,
    /// The profile's DPoP key's thumbprint, and where the key is; `None` when the profile has
    /// no key (it does not use DPoP, or the key it had is gone), and why.
    pub key: std::result::Result<(String, String), String>,
}

impl KeyBinding {
    pub fn matches(&self) -> bool {
        self.key.as_ref().is_ok_and(|(jkt, _)| *jkt == self.token)
    }
}

/// A token's `cnf` `x5t#S256` compared with the profile's `client_certificate_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The token's `cnf` `x5t#S256`.
    pub token: String,
    /// The certificate's, and its file.
    pub certificate: String,
    pub file: PathBuf,
}

impl Binding {
    pub fn matches(&self) -> bool {
        self.token == self.certificate
    }
}

/// Where `--verify` gets its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The profile's `jwks_uri`, set or discovered from its issuer.
    Profile,
    /// `--jwks`: an https (or loopback http) URL, or a file.
    Jwks(String),
    /// `--key`: a PEM public key or certificate, or a JWK.
    Key(PathBuf),
    /// `--secret-env`: an HMAC secret in this env var.
    SecretEnv(String),
    /// `--secret-file`: an HMAC secret in this file.
    SecretFile(PathBuf),
}

/// What `--verify` checks against.
#[derive(Debug, Clone)]
pub struct VerifyInput {
    pub keys: KeySource,
    pub leeway: Option<u64>,
    /// Expected `iss`; else the profile's issuer.
    pub issuer: Option<String>,
    /// Expected `aud`; else the profile's audience, else its resource.
    pub audience: Option<String>,
}

/// A verification that passed: the signature, and every claim check.
#[derive(Debug, Clone)]
pub struct Verification {
    pub signature: Verified,
    /// Where the keys came from (a URL, a file, `$VAR`).
    pub keys_from: String,
    pub checks: Vec<ClaimCheck>,
    /// Keys skipped when the set was read, and headers not followed.
    pub notes: Vec<String>,
}

impl Inspection {
    pub fn times(&self) -> Vec<(&'static str, TimeClaim)> {
        TIME_CLAIMS
            .iter()
            .map(|name| (*name, self.jwt.time(name)))
            .collect()
    }

    pub fn validity(&self) -> Validity {
        let (nbf, exp) = (self.jwt.time("nbf"), self.jwt.time("exp"));
        for claim in [&nbf, &exp] {
            if let TimeClaim::Invalid(why) = claim {
                return Validity::Unknown { why: why.clone() };
            }
        }
        match (nbf, exp) {
            // RFC 7519 §4.1.4: must not be accepted on or after exp.
            (_, TimeClaim::At(exp)) if self.now >= exp => Validity::Expired { at: exp },
            // RFC 7519 §4.1.5: must not be accepted before nbf.
            (TimeClaim::At(nbf), _) if self.now < nbf => Validity::NotYetValid { from: nbf },
            (_, TimeClaim::At(exp)) => Validity::Valid {
                expires_at: Some(exp),
            },
            _ => Validity::Valid { expires_at: None },
        }
    }
}

pub fn run(
    settings: &Settings,
    token: Option<String>,
    require_valid: bool,
    verify: Option<VerifyInput>,
) -> Result<Inspection> {
    let text = match token.as_deref() {
        Some("-") => crate::input::jwt_from_stdin()?,
        Some(token) => token.to_string(),
        None if settings.profile_on_command_line => {
            crate::tokens::current(settings, Default::default())?
                .token
                .access_token
        }
        None if !std::io::stdin().is_terminal() => crate::input::jwt_from_stdin()?,
        None => {
            return Err(Error::Usage(
                "no token to inspect: give it as an argument, pipe it on stdin, or name a profile with -p".into(),
            ));
        }
    };
    let jwt = decode(&text)?;
    let (binding, dpop_binding) = if settings.profile_on_command_line {
        (
            certificate_binding(&jwt, settings.profile()?)?,
            key_binding(&jwt, settings)?,
        )
    } else {
        (None, None)
    };
    let mut inspection = Inspection {
        jwt,
        now: crate::timefmt::now(),
        verification: None,
        binding,
        dpop_binding,
    };
    if let Some(verify) = verify {
        inspection.verification = Some(verified(settings, &text, &inspection, verify)?);
    }
    if require_valid {
        let now = inspection.now;
        match inspection.validity() {
            Validity::Valid { .. } => {}
            Validity::Expired { at } => {
                return Err(Error::BadToken(format!(
                    "the token expired at {} ({})",
                    rfc3339(at),
                    relative(at, now)
                )));
            }
            Validity::NotYetValid { from } => {
                return Err(Error::BadToken(format!(
                    "the token is not valid before {} ({})",
                    rfc3339(from),
                    relative(from, now)
                )));
            }
            Validity::Unknown { why } => {
                return Err(Error::BadToken(format!(
                    "cannot tell whether the token is valid: {why}"
                )));
            }
        }
    }
    Ok(inspection)
}

/// RFC 8705 §3.1: a token bound to a certificate carries its SHA-256 thumbprint in
/// `cnf.x5t#S256`; with a profile that presents a certificate, whether it is that one.
fn certificate_binding(jwt: &Jwt, profile: &Profile) -> Result<Option<Binding>> {
    let Some(token) = jwt
        .claims
        .get("cnf")
        .and_then(|cnf| cnf.get("x5t#S256"))
        .and_then(serde_json::Value::as_str)
    else {
        return Ok(None);
    };
    let Some(file) = &profile.client_certificate_file else {
        return Ok(None);
    };
    let shown = format!("client_certificate_file `{}`", file.display());
    let bytes = crate::files::read_capped(file, crate::http::MAX_BODY_BYTES)
        .map_err(|e| Error::Config(format!("cannot read {shown}: {e}")))?;
    let chain = crate::keys::certificate::CertificateChain::from_pem(&bytes, &shown)
        .map_err(Error::Config)?;
    Ok(Some(Binding {
        token: token.to_string(),
        certificate: chain.x5t_s256(),
        file: file.clone(),
    }))
}

/// RFC 9449 §6.1: a token bound to a DPoP key carries the key's thumbprint in `cnf.jkt`;
/// whether it is the profile's key. The key is looked at, never made: a profile whose key is
/// gone has none.
fn key_binding(jwt: &Jwt, settings: &Settings) -> Result<Option<KeyBinding>> {
    let Some(token) = jwt
        .claims
        .get("cnf")
        .and_then(|cnf| cnf.get("jkt"))
        .and_then(serde_json::Value::as_str)
    else {
        return Ok(None);
    };
    let profile = settings.profile()?;
    let kept = |key: &crate::dpop::DpopKey| match key.kept {
        crate::dpop::Kept::Run => Err(format!("{} has no DPoP key kept", profile.describe())),
        _ => Ok((key.jkt.clone(), key.describe())),
    };
    let key = if !profile.uses_dpop() {
        Err(format!("{} does not use DPoP", profile.describe()))
    } else if let Some(dpop) = settings.dpop_if_opened() {
        kept(&dpop.key)
    } else {
        // Looked at, never made: inspecting a token changes nothing.
        let place = settings.dpop_place()?;
        let place = place
            .as_ref()
            .map(|(store, client)| crate::dpop::KeyPlace { store, client });
        match crate::dpop::profile_key(profile, place, false)? {
            Some(key) => kept(&key),
            None => Err(format!("{} has no DPoP key kept", profile.describe())),
        }
    };
    Ok(Some(KeyBinding {
        token: token.to_string(),
        key,
    }))
}

/// Checks the signature and the claims; an error (exit 5) saying exactly what failed unless all
/// passed.
fn verified(
    settings: &Settings,
    text: &str,
    inspection: &Inspection,
    input: VerifyInput,
) -> Result<Verification> {
    // The profile gives the keys when no other source is named, and the expected iss and aud
    // when the flags do not; with another key source, a profile that cannot be resolved only
    // means no defaults.
    let profile = settings.profile();
    // A profile that was named (-p, OAUTHCTL_PROFILE) must resolve: a typo would otherwise
    // drop its expected iss and aud without a word.
    let profile = match (&input.keys, profile) {
        (KeySource::Profile, profile) => Some(profile?),
        (_, profile) if settings.profile_name.is_some() => Some(profile?),
        (_, profile) => profile.ok(),
    };
    let (keys, keys_from) = load_keys(settings, &input.keys, profile)?;
    let mut notes = keys.notes();
    let rules = ClaimRules {
        now: inspection.now,
        leeway: input.leeway.unwrap_or(crate::verify::DEFAULT_LEEWAY),
        issuer: input
            .issuer
            .or_else(|| profile.as_ref().and_then(|p| p.issuer.clone())),
        audience: input.audience.or_else(|| {
            profile
                .as_ref()
                .and_then(|p| p.audience.clone().or_else(|| p.resource.clone()))
        }),
    };
    let checks = check_claims(&inspection.jwt.claims, &rules);
    let signature = verify_signature(text, &keys);
    let ignored = crate::verify::ignored_headers(&inspection.jwt.header);
    let ignored_note = (!ignored.is_empty()).then(|| {
        format!(
            "the token's {} header{} named keys elsewhere; never followed",
            ignored.join(", "),
            if ignored.len() == 1 { "" } else { "s" }
        )
    });
    notes.extend(ignored_note.clone());
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    // A `jku` the token tried is worth knowing most when it does not verify.
    let noted = ignored_note
        .map(|n| format!(" (note: {n})"))
        .unwrap_or_default();
    match signature {
        Ok(signature) if failed.is_empty() => Ok(Verification {
            signature,
            keys_from,
            checks,
            notes,
        }),
        Ok(signature) => Err(Error::Unverified(Box::new(Unverified {
            message: format!(
                "the signature is good ({}), but the claims are not: {}{noted}",
                describe(&signature),
                failed.join("; ")
            ),
            signature_verified: true,
            checks,
        }))),
        Err(refused) => {
            let claims = if failed.is_empty() {
                String::new()
            } else {
                format!("; the claims fail too: {}", failed.join("; "))
            };
            Err(Error::Unverified(Box::new(Unverified {
                message: format!(
                    "the signature is NOT verified with the keys from {keys_from}: {refused}{claims}{noted}"
                ),
                signature_verified: false,
                checks,
            })))
        }
    }
}

/// "key rs256-1 (RS256)", as the output names a verified signature.
pub fn describe(verified: &Verified) -> String {
    match &verified.kid {
        Some(kid) => format!(
            "key {} ({})",
            crate::untrusted::printable(kid, 80),
            verified.alg
        ),
        None => format!("{} ({})", verified.key, verified.alg),
    }
}

/// The key set, and where it came from.
fn load_keys(
    settings: &Settings,
    source: &KeySource,
    profile: Option<&Profile>,
) -> Result<(KeySet, String)> {
    let config_error = |what: &str, why: String| Error::Config(format!("{what}: {why}"));
    let read_file = |path: &PathBuf, what: &str| {
        crate::files::read_capped(path, 1024 * 1024).map_err(|e| {
            config_error(
                &format!("cannot read {what} `{}`", path.display()),
                e.to_string(),
            )
        })
    };
    match source {
        KeySource::Profile => {
            let profile = profile.ok_or_else(|| {
                Error::Internal("--verify with the profile's keys but no profile".into())
            })?;
            if profile.jwks_uri.is_none() && profile.issuer.is_none() {
                return Err(Error::Usage(format!(
                    "--verify needs keys: {} has no issuer or jwks_uri; give --jwks URL|FILE, --key FILE, --secret-env VAR or --secret-file FILE",
                    profile.describe()
                )));
            }
            let client = settings.client()?;
            let url = client.endpoint(Endpoint::Jwks)?;
            fetch_jwks(client.transport(), &url, &settings.trace())
        }
        KeySource::Jwks(location) if location.contains("://") => {
            // The profile's deadline and trusted roots, never its client certificate: a JWKS
            // named on the command line may be anyone's, and needs no key read to fetch.
            let transport = match profile {
                Some(profile) => {
                    Transport::new(profile.timeout(), profile.ca_file.as_deref(), None)?
                }
                None => Transport::new(
                    std::time::Duration::from_secs(crate::resolve::DEFAULT_TIMEOUT_SECS),
                    None,
                    None,
                )?,
            };
            fetch_jwks(&transport, location, &settings.trace())
        }
        KeySource::Jwks(file) => {
            let path = PathBuf::from(file);
            let bytes = read_file(&path, "--jwks file")?;
            let keys = KeySet::from_jwks_json(&bytes, file)
                .map_err(|why| config_error(&format!("--jwks file `{file}`"), why))?;
            Ok((keys, format!("`{file}`")))
        }
        KeySource::Key(path) => {
            let bytes = read_file(path, "--key file")?;
            let name = path.display().to_string();
            let keys = KeySet::from_key_file(&bytes, &name)
                .map_err(|why| config_error(&format!("--key `{name}`"), why))?;
            Ok((keys, format!("`{name}`")))
        }
        KeySource::SecretEnv(var) => {
            let value = std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Error::Config(format!("--secret-env: env var {var} is not set (or empty)"))
                })?;
            let source = format!("${var}");
            let keys = KeySet::hmac(value.as_encoded_bytes(), &source)
                .map_err(|why| config_error("--secret-env", why))?;
            Ok((keys, source))
        }
        KeySource::SecretFile(path) => {
            let mut bytes = read_file(path, "--secret-file")?;
            // One trailing newline is the editor's, not the secret's (as client_secret_file).
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
            }
            let name = path.display().to_string();
            let keys = KeySet::hmac(&bytes, &name)
                .map_err(|why| config_error(&format!("--secret-file `{name}`"), why))?;
            Ok((keys, format!("`{name}`")))
        }
    }
}

/// GETs a JWK Set (RFC 7517 §5) from the issuer or `--jwks`.
fn fetch_jwks(transport: &Transport, url: &str, trace: &Trace) -> Result<(KeySet, String)> {
    check_url(url, "jwks_uri")?;
    let response = transport.get(url, trace)?;
    if response.status != 200 {
        return Err(Error::Unreachable {
            message: format!(
                "the JWK Set at {} answered HTTP {}",
                crate::http::redact_url(url, crate::oauth::SECRET_NAMES),
                response.status
            ),
            status: Some(response.status),
        });
    }
    let keys = KeySet::from_jwks_json(&response.body, url).map_err(|why| {
        Error::unreachable(format!(
            "the JWK Set at {} is not usable: {why}",
            crate::http::redact_url(url, crate::oauth::SECRET_NAMES)
        ))
    })?;
    Ok((
        keys,
        crate::http::redact_url(url, crate::oauth::SECRET_NAMES),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::make;

    fn at(claims: &str, now: i64) -> Validity {
        Inspection {
            jwt: decode(&make(r#"{"alg":"none"}"#, claims)).unwrap(),
            now,
            verification: None,
            binding: None,
            dpop_binding: None,
        }
        .validity()
    }

    #[test]
    fn validity_window() {
        assert_eq!(
            at(r#"{"exp":100}"#, 99),
            Validity::Valid {
                expires_at: Some(100)
            }
        );
        assert_eq!(at(r#"{"exp":100}"#, 100), Validity::Expired { at: 100 });
        assert_eq!(
            at(r#"{"nbf":50,"exp":100}"#, 49),
            Validity::NotYetValid { from: 50 }
        );
        assert_eq!(
            at(r#"{"nbf":50}"#, 50),
            Validity::Valid { expires_at: None }
        );
        assert_eq!(at(r#"{}"#, 0), Validity::Valid { expires_at: None });
        assert!(matches!(
            at(r#"{"exp":"100"}"#, 0),
            Validity::Unknown { .. }
        ));
        assert!(matches!(
            at(r#"{"nbf":true,"exp":100}"#, 0),
            Validity::Unknown { .. }
        ));
    }
}
