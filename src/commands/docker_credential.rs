//! `oauthctl docker-credential get|store|erase|list` (also installed as
//! `docker-credential-oauthctl`): docker's credential helper protocol (docker-credential-helpers,
//! DESIGN §13). `get` reads a registry's URL on stdin and answers `{"ServerURL", "Username",
//! "Secret"}` with the access token of the profile that covers it; an unknown registry is the
//! protocol's "not found" (exit 1, its message on stdout). `list` names each profile's
//! `credential_url` and username; `store` does nothing (the token is oauthctl's to keep);
//! `erase` forgets the cached token.

use std::collections::BTreeMap;

use crate::credential_helper::Target;
use crate::error::{Error, Result};
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
            let Some(target) = Target::from_docker(server_url) else {
                return Ok(match action {
                    Action::Get => Outcome::NotFound,
                    _ => Outcome::Done,
                });
            };
            let name = match crate::credential_helper::choose_profile(settings, &target)? {
                Some(name) if !target.is_cleartext_remote() => name,
                _ => {
                    return Ok(match action {
                        Action::Get => Outcome::NotFound,
                        _ => Outcome::Done,
                    });
                }
            };
            let chosen = settings.for_profile(&name);
            let outcome = answer(&chosen, action, server_url, &name);
            if let Some(warning) = chosen.take_warning() {
                settings.warn(warning);
            }
            outcome
        }
    }
}

fn answer(settings: &Settings, action: Action, server_url: &str, name: &str) -> Result<Outcome> {
    if action == Action::Erase {
        // docker logs out: the cached token goes, whatever it is.
        if let Some(token) = crate::tokens::cached_access_token(settings)? {
            crate::tokens::forget(settings, &token)?;
        }
        return Ok(Outcome::Done);
    }
    // Before any token request: docker sends no proofs (RFC 9449 §7).
    if settings.profile()?.uses_dpop() {
        return Err(Error::Usage(format!(
            "profile `{name}` uses DPoP, and docker cannot send the DPoP proof each request needs (RFC 9449 §7): use a profile without dpop for docker"
        )));
    }
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
