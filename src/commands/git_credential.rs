//! `oauthctl git-credential get|store|erase`: git's credential helper (git-credential(1),
//! DESIGN §13). `get` answers with the access token of the profile that covers the URL git asks
//! about, from `fetch`'s logic and cache; `erase` forgets that token when git says the server
//! rejected it; `store` does nothing (the token is oauthctl's to keep). No profile: no answer, so
//! that git asks its next helper.

use std::io::IsTerminal;

use crate::error::{Error, Result};
use crate::helper::{GitRequest, Target, git_line};
use crate::settings::Settings;

/// git's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Get,
    Store,
    Erase,
}

/// What the helper does.
#[derive(Debug)]
pub enum Outcome {
    /// The answer's lines, for stdout.
    Answer(String),
    /// Nothing to say: git goes on without this helper.
    Nothing,
    /// The user must sign in to this profile first, and a terminal is there to do it.
    SignInFirst(String),
}

/// The username given to git when the profile names none.
pub const DEFAULT_USERNAME: &str = "oauth2";

pub fn run(settings: &Settings, action: Action, request: &GitRequest) -> Result<Outcome> {
    if action == Action::Store {
        return Ok(Outcome::Nothing);
    }
    let Some(target) = request.target() else {
        return Ok(Outcome::Nothing);
    };
    if target.is_cleartext_remote() {
        settings.warn(format!(
            "warning: not answering for {}: plain http to another machine, where the token would travel in clear",
            target.url()
        ));
        return Ok(Outcome::Nothing);
    }
    let Some(name) = profile_for(settings, &target)? else {
        return Ok(Outcome::Nothing);
    };
    let chosen = settings.for_profile(&name);
    let outcome = answer(&chosen, action, request, &name);
    if let Some(warning) = chosen.take_warning() {
        settings.warn(warning);
    }
    outcome
}

fn answer(
    settings: &Settings,
    action: Action,
    request: &GitRequest,
    name: &str,
) -> Result<Outcome> {
    if action == Action::Erase {
        // git says the server rejected this credential: forget it if it is the cached one, so
        // that the next `get` gets a new token. Another helper's credential is not ours to touch.
        if let Some(presented) = request.get("password").or(request.get("credential")) {
            crate::tokens::forget(settings, presented)?;
        }
        return Ok(Outcome::Nothing);
    }
    // Before any token request: git sends no proofs, so a DPoP token is of no use to it, and a
    // Bearer answer to a DPoP request is not to be handed out either.
    if settings.profile()?.uses_dpop() {
        return Err(Error::Usage(format!(
            "profile `{name}` uses DPoP, and git cannot send the DPoP proof each request needs (RFC 9449 §7): use a profile without dpop for git"
        )));
    }
    let token = match crate::tokens::current(settings, Default::default()) {
        Ok(result) => result.token,
        // DESIGN §13: a user who is there signs in; a job or a GUI that runs git gets no answer.
        Err(Error::LoginRequired(why)) => {
            if std::io::stderr().is_terminal() {
                return Ok(Outcome::SignInFirst(name.to_string()));
            }
            settings.warn(format!("{why} (no terminal to sign in from)"));
            return Ok(Outcome::Nothing);
        }
        Err(e) => return Err(e),
    };
    let profile = settings.profile()?;
    let mut out = String::new();
    let authtype = profile
        .credential_authtype
        .as_deref()
        .filter(|_| request.capabilities.iter().any(|c| c == "authtype"));
    match authtype {
        // git 2.46+: the scheme and the credential as they go in the Authorization header.
        Some(scheme) => {
            out.push_str(&git_line("capability[]", "authtype")?);
            out.push_str(&git_line("authtype", scheme)?);
            out.push_str(&git_line("credential", &token.access_token)?);
        }
        None => {
            let username = profile
                .credential_username
                .as_deref()
                .unwrap_or(DEFAULT_USERNAME);
            out.push_str(&git_line("username", username)?);
            out.push_str(&git_line("password", &token.access_token)?);
        }
    }
    // git 2.41+: git drops the credential once it expires instead of sending a dead token.
    if let Some(at) = token.expires_at {
        out.push_str(&git_line("password_expiry_utc", &at.to_string())?);
    }
    Ok(Outcome::Answer(out))
}

/// The profile that answers for `target`: `-p NAME` when given on the command line (and it
/// covers the target, when it names a `credential_url`: a token never goes to another server),
/// else the one whose `credential_url` covers it.
fn profile_for(settings: &Settings, target: &Target) -> Result<Option<String>> {
    if settings.profile_on_command_line
        && let Some(name) = &settings.profile_name
    {
        let profile = settings.profile()?;
        let covers = match profile.credential_url.as_deref() {
            None => true,
            Some(url) => Target::parse(url).is_some_and(|own| own.covers(target)),
        };
        return Ok(covers.then(|| name.clone()));
    }
    crate::helper::profile_for(settings.config()?, target)
}
