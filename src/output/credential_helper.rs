//! The credential helpers' answers, in their callers' protocols: git's `key=value` lines and
//! docker's JSON (DESIGN §13). What the command decided is all that is printed.

use super::Rendered;
use crate::commands::{docker_credential, git_credential};

/// `git-credential`: the answer's lines, or nothing.
pub fn git_credential(outcome: &git_credential::Outcome) -> Rendered {
    match outcome {
        git_credential::Outcome::Answer(lines) => Rendered::from(lines.expose().to_string()),
        _ => Rendered::from(String::new()),
    }
}

/// docker-credential-helpers' "not found", which docker reads on stdout.
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// `docker-credential`: docker's JSON, one line, as its helpers write it.
pub fn docker_credential(outcome: &docker_credential::Outcome) -> Rendered {
    use serde_json::json;
    let line = |value: serde_json::Value| Rendered::from(format!("{value}\n"));
    match outcome {
        docker_credential::Outcome::Credentials {
            server_url,
            username,
            secret,
        } => line(json!({
            "ServerURL": server_url,
            "Username": username,
            "Secret": secret.expose(),
        })),
        docker_credential::Outcome::List(listed) => line(json!(listed)),
        // The protocol's "not found": its message on stdout, and exit 1
        // (`Exit::HELPER_NOT_FOUND`).
        docker_credential::Outcome::NotFound => Rendered {
            stdout: format!("{NOT_FOUND}\n"),
            note: None,
            failed: true,
        },
        docker_credential::Outcome::Done => Rendered::from(String::new()),
    }
}
