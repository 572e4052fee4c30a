//! Workload identity tokens (DESIGN §11): the short-lived token a CI job or a pod already holds,
//! from exactly one source — a CI platform (GitHub Actions, Kubernetes, CircleCI, Buildkite), an
//! env var, a file, or a command — obtained afresh for every exchange, never cached, and masked
//! like every secret.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::IdentityPlatform;
use crate::error::{Error, Result};
use crate::http::{FormPost, Method, Resend, RetryPolicy, Trace, Transport, host_of};
use crate::resolve::{Origin, Profile};
use crate::secret::Secret;
use crate::untrusted::printable;

/// Where GitHub Actions puts the URL and bearer token a job asks for its identity token with.
pub const GITHUB_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub const GITHUB_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// Kubernetes' default projected service-account token.
pub const KUBERNETES_TOKEN_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// CircleCI's identity tokens, the newer first.
const CIRCLECI_VARS: [&str; 2] = ["CIRCLE_OIDC_TOKEN_V2", "CIRCLE_OIDC_TOKEN"];
/// The most an identity token may be.
const MAX_TOKEN_BYTES: u64 = 64 * 1024;

/// Where a profile's identity token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    GithubActions {
        audience: Option<String>,
    },
    /// The projected service-account token file.
    Kubernetes {
        file: PathBuf,
    },
    Circleci,
    Buildkite {
        audience: Option<String>,
    },
    Env(String),
    File(PathBuf),
    Command(Vec<String>),
}

impl IdentitySource {
    /// Where the token comes from, safe to show.
    pub fn describe(&self) -> String {
        match self {
            IdentitySource::GithubActions { .. } => "GitHub Actions".into(),
            IdentitySource::Kubernetes { file } => {
                format!("the Kubernetes service-account token `{}`", file.display())
            }
            IdentitySource::Circleci => "CircleCI".into(),
            IdentitySource::Buildkite { .. } => "Buildkite".into(),
            IdentitySource::Env(var) => format!("identity_token_env `{var}`"),
            IdentitySource::File(path) => format!("identity_token_file `{}`", path.display()),
            IdentitySource::Command(argv) => format!(
                "identity_token_command `{}`",
                argv.first().map(String::as_str).unwrap_or("?")
            ),
        }
    }
}

/// The profile's one identity token source, if any: `identity_token_from`, `_env`, `_file` or
/// `_command`. `kubernetes` with `identity_token_file` is one source (the file replaces the
/// default path); any other two are an error.
pub fn identity_source(profile: &Profile) -> Result<Option<IdentitySource>> {
    // As for the private key (`oauth::credential::key_source`): the highest layer that names a
    // source (flag > env > file) decides, and must name only one.
    let rank = |key: &str| match profile.origins.get(key) {
        Some(Origin::Flag) => 0,
        Some(Origin::Env) => 1,
        _ => 2,
    };
    // With `kubernetes`, a file given in the same layer or a higher one is where its token is.
    let kubernetes = profile.identity_token_from == Some(IdentityPlatform::Kubernetes)
        && rank("identity_token_file") <= rank("identity_token_from");
    let mut named: Vec<(&str, u8)> = Vec::new();
    if profile.identity_token_from.is_some() {
        named.push(("identity_token_from", rank("identity_token_from")));
    }
    if profile.identity_token_env.is_some() {
        named.push(("identity_token_env", rank("identity_token_env")));
    }
    // With `kubernetes`, the file is where its token is, not another source.
    if profile.identity_token_file.is_some() && !kubernetes {
        named.push(("identity_token_file", rank("identity_token_file")));
    }
    if profile.identity_token_command.is_some() {
        named.push(("identity_token_command", rank("identity_token_command")));
    }
    let Some(top) = named.iter().map(|(_, r)| *r).min() else {
        return Ok(None);
    };
    let chosen: Vec<&str> = named
        .iter()
        .filter(|(_, r)| *r == top)
        .map(|(key, _)| *key)
        .collect();
    if chosen.len() > 1 {
        let place = match top {
            0 => "the command line".to_string(),
            1 => "the environment".to_string(),
            _ => profile.describe(),
        };
        return Err(Error::Config(format!(
            "{place} sets {}; keep exactly one identity token source",
            chosen.join(" and ")
        )));
    }
    let audience = profile.identity_token_audience.clone();
    Ok(Some(match chosen[0] {
        "identity_token_from" => match profile.identity_token_from {
            Some(IdentityPlatform::GithubActions) => IdentitySource::GithubActions { audience },
            Some(IdentityPlatform::Kubernetes) => IdentitySource::Kubernetes {
                file: profile
                    .identity_token_file
                    .clone()
                    .filter(|_| kubernetes)
                    .unwrap_or_else(|| PathBuf::from(KUBERNETES_TOKEN_FILE)),
            },
            Some(IdentityPlatform::Circleci) => IdentitySource::Circleci,
            Some(IdentityPlatform::Buildkite) => IdentitySource::Buildkite { audience },
            None => {
                return Err(Error::Internal(
                    "identity_token_from without a value".into(),
                ));
            }
        },
        "identity_token_env" => {
            IdentitySource::Env(profile.identity_token_env.clone().unwrap_or_default())
        }
        "identity_token_file" => {
            IdentitySource::File(profile.identity_token_file.clone().unwrap_or_default())
        }
        _ => IdentitySource::Command(
            profile
                .identity_token_command
                .as_ref()
                .map(|argv| argv.0.clone())
                .unwrap_or_default(),
        ),
    }))
}

/// The identity token, obtained now. Every error says it was getting the identity token that
/// failed (DESIGN §11), with the platform's own words when it refused.
pub fn obtain(
    profile: &Profile,
    source: &IdentitySource,
    transport: &Transport,
    trace: &Trace,
) -> Result<Secret> {
    let step = |e: Error| {
        e.in_step(&format!(
            "getting the identity token from {}",
            source.describe()
        ))
    };
    let text = match source {
        IdentitySource::GithubActions { audience } => {
            github_actions(profile, audience.as_deref(), transport, trace).map_err(step)?
        }
        IdentitySource::Kubernetes { file } | IdentitySource::File(file) => {
            read_token_file(file).map_err(step)?
        }
        IdentitySource::Circleci => CIRCLECI_VARS
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
            .ok_or_else(|| {
                step(Error::Config(format!(
                    "neither {} nor {} is set: the job needs an OIDC token (CircleCI sets them in jobs of a project with OIDC enabled)",
                    CIRCLECI_VARS[0], CIRCLECI_VARS[1]
                )))
            })?,
        IdentitySource::Buildkite { audience } => {
            let mut argv: Vec<String> = ["buildkite-agent", "oidc", "request-token"]
                .map(String::from)
                .to_vec();
            if let Some(audience) = audience {
                argv.extend(["--audience".to_string(), audience.clone()]);
            }
            crate::secret::run_secret_command(&argv, profile.timeout(), "identity_token_from = \"buildkite\"")
                .map_err(step)?
        }
        IdentitySource::Env(var) => match std::env::var(var) {
            Ok(value) => value,
            Err(_) => {
                return Err(step(Error::Config(format!(
                    "env var {var} is not set (it is named by identity_token_env)"
                ))));
            }
        },
        IdentitySource::Command(argv) => {
            crate::secret::run_secret_command(argv, profile.timeout(), "identity_token_command")
                .map_err(step)?
        }
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(step(Error::Config("it is empty".into())));
    }
    trace.mask(token);
    Ok(Secret::new(token.to_string()))
}

/// A token file, re-read on every use and followed through symlinks (projected tokens are
/// symlinks that the kubelet swaps); not mode-checked: the platform owns it.
fn read_token_file(path: &std::path::Path) -> Result<String> {
    let bytes = crate::files::read_capped(path, MAX_TOKEN_BYTES + 1)
        .map_err(|e| Error::Config(format!("cannot read `{}`: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_TOKEN_BYTES {
        return Err(Error::Config(format!(
            "`{}` is larger than 64 KiB",
            path.display()
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::Config(format!("`{}` is not UTF-8 text", path.display())))
}

/// GitHub Actions: GET the request URL (which has a query already) with `&audience=`, the
/// request token as a bearer token; the answer is `{"value": "<jwt>"}`. Retried as a token
/// request is.
fn github_actions(
    profile: &Profile,
    audience: Option<&str>,
    transport: &Transport,
    trace: &Trace,
) -> Result<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(url), Some(request_token)) = (var(GITHUB_REQUEST_URL), var(GITHUB_REQUEST_TOKEN))
    else {
        return Err(Error::Config(format!(
            "{GITHUB_REQUEST_URL} and {GITHUB_REQUEST_TOKEN} are not set: the workflow (or job) needs `permissions: id-token: write`"
        )));
    };
    // The answer's `value` is the identity token: masked in the trace as a token member is.
    let trace = &Trace::new(trace.enabled, &["value"], trace.sink().clone());
    trace.mask(&request_token);
    let mut url = url;
    if let Some(audience) = audience {
        let separator = if url.contains('?') { '&' } else { '?' };
        let encoded: String = form_urlencoded::byte_serialize(audience.as_bytes()).collect();
        url = format!("{url}{separator}audience={encoded}");
    }
    crate::http::check_url(&url, GITHUB_REQUEST_URL)?;
    let headers = vec![
        ("Accept".to_string(), "application/json".to_string()),
        (
            "Authorization".to_string(),
            format!("Bearer {request_token}"),
        ),
    ];
    trace.mask_authorization(&headers[1].1);
    let mut request = |_attempt: u32, _previous: Option<&crate::http::Response>| {
        Ok(FormPost {
            method: Method::Get,
            url: url.clone(),
            headers: headers.clone(),
            form: Vec::new(),
        })
    };
    let retry = RetryPolicy {
        resend: Resend::Always,
        retries: profile.retries,
        max_wait: Duration::from_secs(profile.retry_max_secs),
    };
    let response = transport.post_form(&url, &mut request, trace, retry)?;
    let host = host_of(&url);
    let body = String::from_utf8_lossy(&response.body);
    // An error body is shown as the trace shows it: an identity token in it masked.
    let said = || {
        let shown = match serde_json::from_slice::<serde_json::Value>(&response.body) {
            Ok(_) => crate::http::redact_body(&response.body, &["value"]),
            Err(_) => body.trim().to_string(),
        };
        printable(&trace.scrub(&shown), 300)
    };
    match response.status {
        200 => {}
        401 | 403 => {
            return Err(Error::Refused(Box::new(crate::error::Refusal {
                status: response.status,
                code: None,
                description: Some(said()),
                message: format!("{host} answered HTTP {}: {}", response.status, said()),
            })));
        }
        status => {
            return Err(Error::Unreachable {
                message: format!("{host} answered HTTP {status}: {}", said()),
                status: Some(status),
            });
        }
    }
    let value: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|_| Error::unreachable(format!("{host} answered something that is not JSON")))?;
    value
        .get("value")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::unreachable(format!(
                "{host} answered JSON without a `value` string (the identity token)"
            ))
        })
}

/// The claims that tell one workload from another (`iss`, `sub`, `aud`), for the cache key
/// (DESIGN §7, SECURITY 44): read, not verified — the server verifies the token; the cache only
/// must not mix two identities.
pub fn identity_claims(token: &Secret) -> String {
    let Ok(jwt) = crate::jwt::decode(token.expose()) else {
        // Not a JWT: nothing in it says whose it is, so the token itself is the identity (its
        // digest: the key is a file name, never the token), and a renewed token is a miss.
        return format!(
            "an opaque identity token {}",
            crate::cache::sha256_hex(token.expose().as_bytes())
        );
    };
    // Without a subject, nothing says whose it is: the token itself is the identity.
    if !jwt
        .claims
        .get("sub")
        .is_some_and(serde_json::Value::is_string)
    {
        return format!(
            "an identity token without a subject {}",
            crate::cache::sha256_hex(token.expose().as_bytes())
        );
    }
    let claim = |name: &str| {
        jwt.claims
            .get(name)
            .map(serde_json::Value::to_string)
            .unwrap_or_else(|| "null".into())
    };
    format!(
        "identity iss {} sub {} aud {}",
        claim("iss"),
        claim("sub"),
        claim("aud")
    )
}
