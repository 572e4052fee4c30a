//! `oauthctl profiles list | show | add | remove | path`.

use std::path::PathBuf;

use super::Context;
use crate::config::{self, Config, NewProfile};
use crate::error::{Error, Result};
use crate::http::check_url;
use crate::resolve::{Origin, Profile, ProfileLayer};
use crate::secret::SecretSource;

#[derive(Debug, Clone)]
pub struct ProfileSummary {
    pub name: String,
    pub is_default: bool,
    pub endpoint: Option<String>,
}

/// Where the secret of a shown profile comes from. Never the value.
#[derive(Debug, Clone)]
pub struct SecretView {
    /// e.g. "env var WATSON_APP_SECRET (set)".
    pub source: String,
    pub origin: Option<Origin>,
    /// A profile source that a flag or env var overrides this run.
    pub shadowed: Option<String>,
}

#[derive(Debug)]
pub enum Outcome {
    List {
        path: PathBuf,
        profiles: Vec<ProfileSummary>,
    },
    Show {
        profile: Box<Profile>,
        secret: SecretView,
    },
    Added {
        name: String,
        path: PathBuf,
        made_default: bool,
    },
    Removed {
        name: String,
        path: PathBuf,
        was_default: bool,
    },
    Path(PathBuf),
}

pub fn list(ctx: &Context) -> Result<Outcome> {
    let config = ctx.load_config()?;
    let default = config.file.default_profile.as_deref();
    let profiles = config
        .file
        .profiles
        .iter()
        .map(|(name, entry)| ProfileSummary {
            name: name.clone(),
            is_default: default == Some(name.as_str()),
            endpoint: entry.token_url.clone().or_else(|| entry.issuer.clone()),
        })
        .collect();
    Ok(Outcome::List {
        path: config.path,
        profiles,
    })
}

pub fn show(ctx: &Context, name: Option<String>) -> Result<Outcome> {
    let config = ctx.load_config()?;
    let requested = name.or_else(|| ctx.profile.clone());
    let profile = ctx.resolve_named(requested.as_deref(), &config, ProfileLayer::default())?;
    let from_file = match &profile.name {
        Some(name) => config.file.profiles[name].to_layer(name, &config)?.secret,
        None => None,
    };
    let origin = match profile.auth_method {
        config::AuthMethod::None => None,
        _ => profile.origins.get("client_secret").copied(),
    };
    let source = match (&profile.secret, profile.auth_method) {
        (_, config::AuthMethod::None) => "none needed (auth_method = none)".to_string(),
        (Some(source), _) => source.describe(),
        (None, _) => {
            "none configured: oauthctl will ask on the terminal, or fail without one".to_string()
        }
    };
    let shadowed = match (&from_file, origin) {
        (Some(file_source), Some(Origin::Flag | Origin::Env)) => Some(file_source.describe()),
        _ => None,
    };
    Ok(Outcome::Show {
        profile: Box::new(profile),
        secret: SecretView {
            source,
            origin,
            shadowed,
        },
    })
}

pub fn path(ctx: &Context) -> Outcome {
    Outcome::Path(ctx.config_path.clone())
}

pub fn remove(ctx: &Context, name: &str) -> Result<Outcome> {
    let was_default = config::remove_profile(&ctx.config_path, name)?;
    Ok(Outcome::Removed {
        name: name.to_string(),
        path: ctx.config_path.clone(),
        was_default,
    })
}

/// A profile to add, in config-key terms (`main` fills it from the flags).
#[derive(Debug, Default)]
pub struct NewProfileSpec {
    pub name: String,
    pub layer: ProfileLayer,
    /// Store a literal secret read from stdin.
    pub secret_from_stdin: bool,
    pub make_default: bool,
    pub replace: bool,
}

pub fn add(ctx: &Context, spec: NewProfileSpec) -> Result<Outcome> {
    if spec.name.is_empty() || spec.name.chars().any(|c| c.is_control()) {
        return Err(Error::Usage(
            "a profile name must be non-empty printable text".into(),
        ));
    }
    let l = &spec.layer;
    if let Some(url) = &l.token_url {
        check_url(url, "--token-url")?;
    }
    if let Some(url) = &l.issuer {
        check_url(url, "--issuer")?;
    }
    if let Some(url) = &l.authorization_url {
        check_url(url, "--authorization-url")?;
    }
    if let Some(url) = &l.device_authorization_url {
        check_url(url, "--device-authorization-url")?;
    }
    if let Some(url) = &l.revocation_url {
        check_url(url, "--revocation-url")?;
    }
    if let Some(url) = &l.introspection_url {
        check_url(url, "--introspection-url")?;
    }
    if let Some(url) = &l.jwks_uri {
        check_url(url, "--jwks-uri")?;
    }
    let existing = Config::load(&ctx.config_path, false)?;
    let mut values: NewProfile = Vec::new();
    let mut put = |key: &'static str, item: Option<toml_edit::Item>| {
        if let Some(item) = item {
            values.push((key, item));
        }
    };
    let text = |v: &Option<String>| v.as_deref().map(toml_edit::value);
    let int = |v: Option<u64>| v.map(|n| toml_edit::value(n.min(i64::MAX as u64) as i64));
    let table = |pairs: &[(String, String)]| {
        (!pairs.is_empty()).then(|| {
            let mut t = toml_edit::InlineTable::new();
            for (k, v) in pairs {
                t.insert(k, v.as_str().into());
            }
            toml_edit::value(t)
        })
    };
    put("token_url", text(&l.token_url));
    put("issuer", text(&l.issuer));
    put("authorization_url", text(&l.authorization_url));
    put(
        "device_authorization_url",
        text(&l.device_authorization_url),
    );
    put("revocation_url", text(&l.revocation_url));
    put("introspection_url", text(&l.introspection_url));
    put("jwks_uri", text(&l.jwks_uri));
    put("grant", l.grant.map(|g| toml_edit::value(g.as_str())));
    put("client_id", text(&l.client_id));
    if spec.secret_from_stdin {
        if let Some(problem) = &existing.unsafe_for_secrets {
            return Err(Error::Config(format!(
                "refusing to store a literal client_secret in `{}`: {problem}",
                ctx.config_path.display()
            )));
        }
        let secret = SecretSource::Stdin.read()?;
        put("client_secret", Some(toml_edit::value(secret.expose())));
    }
    match &l.secret {
        Some(SecretSource::Env(var)) => {
            put("client_secret_env", Some(toml_edit::value(var.as_str())))
        }
        Some(SecretSource::File(path)) => put(
            "client_secret_file",
            Some(toml_edit::value(path.to_string_lossy().as_ref())),
        ),
        Some(SecretSource::Command(argv)) => put(
            "client_secret_command",
            Some(toml_edit::value(
                argv.iter()
                    .map(String::as_str)
                    .collect::<toml_edit::Array>(),
            )),
        ),
        _ => {}
    }
    put(
        "auth_method",
        l.auth_method.map(|v| toml_edit::value(v.as_str())),
    );
    put(
        "basic_encoding",
        l.basic_encoding.map(|v| toml_edit::value(v.as_str())),
    );
    put(
        "grant_params",
        l.grant_params.map(|v| toml_edit::value(v.as_str())),
    );
    put("scope", text(&l.scope));
    put("audience", text(&l.audience));
    put("resource", text(&l.resource));
    put("redirect_uri", text(&l.redirect_uri));
    put("params", table(&l.params));
    put("headers", table(&l.headers));
    put("timeout_secs", int(l.timeout_secs));
    put(
        "ca_file",
        l.ca_file
            .as_ref()
            .map(|p| toml_edit::value(p.to_string_lossy().as_ref())),
    );
    put("min_ttl_secs", int(l.min_ttl_secs));
    put("retries", int(l.retries.map(u64::from)));
    put("retry_max_secs", int(l.retry_max_secs));
    config::add_profile(
        &ctx.config_path,
        &spec.name,
        values,
        spec.make_default,
        spec.replace,
    )?;
    Ok(Outcome::Added {
        name: spec.name,
        path: ctx.config_path.clone(),
        made_default: spec.make_default,
    })
}
