//! `oauthctl docker-credential get|store|erase|list` (also installed as
//! `docker-credential-oauthctl`): docker's credential helper protocol (docker-credential-helpers,
//! DESIGN §13). `get` reads a registry's URL on stdin and answers `{"ServerURL", "Username",
//! "Secret"}` with the access token of the profile that covers it; an unknown registry is the
//! protocol's "not found" (exit 1, its message on stdout). `list` names each profile's
//! `credential_url` and username; `store` does nothing (the token is oauthctl's to keep);
//! `erase` forgets the cached token.

use std::collections::BTreeMap;

use crate::credential_helper::Target;
use crate::error::Result;
use crate::settings::Settings;

/// docker's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Get,
    Store,
    Erase,
    List,
}

/// The username given to docker when the profile names none: what Google's registries take
/// with an access token as the password.
pub const DEFAULT_USERNAME: &str = "oauth2accesstoken";

/// What the helper answers.
#[derive(Debug)]
pub enum Outcome {
    /// `get`: the credentials for the registry.
    Credentials {
        server_url: String,
        username: String,
        secret: crate::secret::Secret,
    },
    /// `get` of a registry no profile covers: the protocol's "not found".
    NotFound,
    /// `list`: each `credential_url` and its username.
    List(BTreeMap<String, String>),
    /// `store` and `erase`: nothing to print.
    Done,
}

/// Runs `action` with `input` (what docker wrote on stdin).
pub fn run(settings: &Settings, action: Action, input: &str) -> Result<Outcome> {
    match action {
        Action::Store => Ok(Outcome::Done),
        Action::List => list(settings),
        Action::Get | Action::Erase => {
            let server_url = input.trim();
            let answered = match Target::from_docker(server_url) {
                Some(target) if !target.is_cleartext_remote() => {
                    crate::credential_helper::answer_as_profile(
                        settings,
                        &target,
                        |chosen, name| answer(chosen, action, server_url, name),
                    )?
                }
                _ => None,
            };
            Ok(answered.unwrap_or(match action {
                Action::Get => Outcome::NotFound,
                _ => Outcome::Done,
            }))
        }
    }
}

fn answer(settings: &Settings, action: Action, server_url: &str, name: &str) -> Result<Outcome> {
    if action == Action::Erase {
        // docker logs out: the cached token goes, whatever it is.
        crate::tokens::forget(settings, None)?;
        return Ok(Outcome::Done);
    }
    crate::credential_helper::refuse_dpop(settings, name, "docker")?;
    let token = crate::tokens::current(settings, Default::default())?.token;
    let profile = settings.profile()?;
    Ok(Outcome::Credentials {
        server_url: server_url.to_string(),
        username: profile
            .credential_username
            .clone()
            .unwrap_or_else(|| DEFAULT_USERNAME.to_string()),
        secret: crate::secret::Secret::new(token.access_token),
    })
}

fn list(settings: &Settings) -> Result<Outcome> {
    let config = settings.config()?;
    let listed = config
        .file
        .profiles
        .values()
        .filter_map(|entry| {
            let url = entry.credential_url.clone()?;
            let username = entry
                .credential_username
                .clone()
                .unwrap_or_else(|| DEFAULT_USERNAME.to_string());
            Some((url, username))
        })
        .collect();
    Ok(Outcome::List(listed))
}
