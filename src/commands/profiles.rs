//! `oauthctl profiles list | show | add | remove | path`.

use std::path::PathBuf;

use crate::config::{self, Config, NewProfile};
use crate::error::{Error, Result};
use crate::oauth::ClientAuth;
use crate::resolve::{Origin, Profile, ProfileLayer};
use crate::secret::SecretSource;
use crate::settings::Settings;

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

pub fn list(settings: &Settings) -> Result<Outcome> {
    let config = settings.config()?;
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
        path: config.path.clone(),
        profiles,
    })
}

pub fn show(settings: &Settings, name: Option<String>) -> Result<Outcome> {
    let config = settings.config()?;
    let requested = name.or_else(|| settings.profile_name.clone());
    let profile = settings.resolve_named(requested.as_deref(), ProfileLayer::default())?;
    let from_file = match &profile.name {
        Some(name) => config.file.profiles[name].to_layer(name, config)?.secret,
        None => None,
    };
    let needs_secret = ClientAuth::needs_secret(profile.auth_method);
    let origin = match needs_secret {
        false => None,
        true => profile.origins.get("client_secret").copied(),
    };
    let source = match (&profile.secret, needs_secret) {
        (_, false) => format!(
            "none needed (auth_method = {})",
            profile.auth_method.as_str()
        ),
        (Some(source), true) => source.describe(),
        (None, true) => {
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

pub fn path(settings: &Settings) -> Outcome {
    Outcome::Path(settings.config_path.clone())
}

pub fn remove(settings: &Settings, name: &str) -> Result<Outcome> {
    let was_default = config::remove_profile(&settings.config_path, name)?;
    Ok(Outcome::Removed {
        name: name.to_string(),
        path: settings.config_path.clone(),
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

pub fn add(settings: &Settings, spec: NewProfileSpec) -> Result<Outcome> {
    if spec.name.is_empty() || spec.name.chars().any(|c| c.is_control()) {
        return Err(Error::Usage(
            "a profile name must be non-empty printable text".into(),
        ));
    }
    spec.layer.check_added()?;
    let existing = Config::load(&settings.config_path, false)?;
    let mut secret: NewProfile = Vec::new();
    if spec.secret_from_stdin {
        if let Some(problem) = &existing.unsafe_for_secrets {
            return Err(Error::Config(format!(
                "refusing to store a literal client_secret in `{}`: {problem}",
                settings.config_path.display()
            )));
        }
        let value = SecretSource::Stdin.read()?;
        secret.push(("client_secret", toml_edit::value(value.expose())));
    }
    match &spec.layer.secret {
        Some(SecretSource::Env(var)) => {
            secret.push(("client_secret_env", toml_edit::value(var.as_str())))
        }
        Some(SecretSource::File(path)) => secret.push((
            "client_secret_file",
            toml_edit::value(path.to_string_lossy().as_ref()),
        )),
        Some(SecretSource::Command(argv)) => secret.push((
            "client_secret_command",
            toml_edit::value(
                argv.iter()
                    .map(String::as_str)
                    .collect::<toml_edit::Array>(),
            ),
        )),
        // Stdin was read above into the literal; the others are never set by `add`'s flags.
        None
        | Some(SecretSource::Stdin | SecretSource::Literal(_) | SecretSource::OverrideEnv(_)) => {}
    }
    let values = spec.layer.toml_items(secret);
    config::add_profile(
        &settings.config_path,
        &spec.name,
        values,
        spec.make_default,
        spec.replace,
    )?;
    Ok(Outcome::Added {
        name: spec.name,
        path: settings.config_path.clone(),
        made_default: spec.make_default,
    })
}
