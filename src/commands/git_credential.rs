//! `oauthctl git-credential get|store|erase`: git's credential helper (git-credential(1),
//! DESIGN §13). `get` answers with the access token of the profile that covers the URL git asks
//! about, from `fetch`'s logic and cache; `erase` forgets that token when git says the server
//! rejected it; `store` does nothing (the token is oauthctl's to keep). No profile: no answer, so
//! that git asks its next helper.

use std::io::IsTerminal;

use crate::credential_helper::{GitRequest, git_line};
use crate::error::{Error, Result};
use crate::settings::Settings;

/// git's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Get,
    Store,
    Erase,
    /// One this helper does not know: git-credential(1) asks a helper to ignore it silently.
    Other,
}

/// What the helper does.
#[derive(Debug)]
pub enum Outcome {
    /// The answer's lines, for stdout (they hold the token).
    Answer(crate::secret::Secret),
    /// Nothing to say: git goes on without this helper.
    Nothing,
    /// The user must sign in to this profile first, and a terminal is there to do it.
    SignInFirst(String),
}

/// The username given to git when the profile names none.
pub const DEFAULT_USERNAME: &str = "oauth2";

pub fn run(settings: &Settings, action: Action, request: &GitRequest) -> Result<Outcome> {
    if matches!(action, Action::Store | Action::Other) {
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
    let answered =
        crate::credential_helper::answer_as_profile(settings, &target, |chosen, name| {
            answer(chosen, action, request, name)
        })?;
    Ok(answered.unwrap_or(Outcome::Nothing))
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
            crate::tokens::forget(settings, Some(presented))?;
        }
        return Ok(Outcome::Nothing);
    }
    crate::credential_helper::refuse_dpop(settings, name, "git")?;
    let token = match crate::tokens::current(settings, Default::default()) {
        Ok(result) => result.token,
        // DESIGN §13: a user who is there signs in; a job or a GUI that runs git gets no answer.
        Err(Error::LoginRequired(why)) => {
            // git's own rule for asking anyone: a terminal, and GIT_TERMINAL_PROMPT not false
            // (git reads it as a boolean: 0, false, no, off, or empty).
            let prompt = std::env::var("GIT_TERMINAL_PROMPT").ok();
            let forbidden = prompt.as_deref().is_some_and(|v| {
                matches!(
                    v.to_ascii_lowercase().as_str(),
                    "0" | "false" | "no" | "off" | ""
                )
            });
            if !forbidden && std::io::stderr().is_terminal() {
                return Ok(Outcome::SignInFirst(name.to_string()));
            }
            let because = if forbidden {
                "GIT_TERMINAL_PROMPT says nobody may be asked"
            } else {
                "no terminal to sign in from"
            };
            settings.warn(format!("{why} ({because})"));
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
    Ok(Outcome::Answer(crate::secret::Secret::new(out)))
}
