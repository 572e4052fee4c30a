//! The one error type of oauthctl and the one place that maps it to an exit code (DESIGN §5).
//!
//! Every failure a user can meet is a variant here; the variant, not the message, decides the exit
//! code. Messages are single lines that say what was wrong and where.

/// The exit codes of DESIGN §5, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    Internal = 1,
    Usage = 2,
    Refused = 3,
    Unreachable = 4,
    BadToken = 5,
    LoginRequired = 6,
    Config = 78,
}

impl Exit {
    /// A credential helper's "not found" (docker-credential-helpers): exit 1, its message on
    /// stdout, as docker reads it.
    pub const HELPER_NOT_FOUND: Exit = Exit::Internal;
}

/// What the authorization server said when it refused a request (RFC 6749 §5.2), plus the
/// provider-specific fields some servers send instead (`message`, `status`, `path`, `timestamp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status of the response.
    pub status: u16,
    /// RFC 6749 §5.2 `error`, when the body had one.
    pub code: Option<String>,
    /// `error_description`, else the provider's `message`.
    pub description: Option<String>,
    /// The whole line shown to the user.
    pub message: String,
}

/// Why `inspect --verify` failed, with every claim check for the JSON error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    pub message: String,
    pub signature_verified: bool,
    pub checks: Vec<ClaimCheck>,
}

/// One claim check of `inspect --verify` (`verify::check_claims`), as both its result and this
/// error list them. Defined here, beside the error that carries it, as [`Refusal`] is, so that the
/// error type depends on no module that reports through it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClaimCheck {
    /// The claim: `exp`, `nbf`, `iat`, `iss` or `aud`.
    pub name: &'static str,
    pub ok: bool,
    /// What was found and, when it failed, why; "not checked" when there was nothing to check
    /// against.
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command line that parses but makes no sense (clap's own errors exit 2 before this).
    #[error("{0}")]
    Usage(String),
    /// Bad TOML, unknown key, missing profile, no secret, unreadable secret source.
    #[error("{0}")]
    Config(String),
    /// The authorization server answered with an OAuth error or another 4xx.
    #[error("{}", .0.message)]
    Refused(Box<Refusal>),
    /// No usable answer: DNS, connect, TLS, timeout, 5xx, a response that is not a token.
    #[error("{message}")]
    Unreachable {
        message: String,
        status: Option<u16>,
    },
    /// `inspect` was given something that is not a JWT, or `--require-valid` failed.
    #[error("{0}")]
    BadToken(String),
    /// `inspect --verify`: the signature or a claim check failed.
    #[error("{}", .0.message)]
    Unverified(Box<Unverified>),
    /// A user profile has no usable refresh token.
    #[error("{0}")]
    LoginRequired(String),
    /// A bug or an environment failure that fits nowhere else.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn unreachable(message: impl Into<String>) -> Error {
        Error::Unreachable {
            message: message.into(),
            status: None,
        }
    }

    /// The same error with `scrub` applied to every text it carries.
    pub fn scrubbed(self, scrub: impl Fn(&str) -> String) -> Error {
        match self {
            Error::Refused(mut r) => {
                r.message = scrub(&r.message);
                r.description = r.description.as_deref().map(&scrub);
                Error::Refused(r)
            }
            Error::Unreachable { message, status } => Error::Unreachable {
                message: scrub(&message),
                status,
            },
            Error::Usage(m) => Error::Usage(scrub(&m)),
            Error::Config(m) => Error::Config(scrub(&m)),
            Error::BadToken(m) => Error::BadToken(scrub(&m)),
            Error::Unverified(mut u) => {
                u.message = scrub(&u.message);
                Error::Unverified(u)
            }
            Error::LoginRequired(m) => Error::LoginRequired(scrub(&m)),
            Error::Internal(m) => Error::Internal(scrub(&m)),
        }
    }

    /// The same error, its message saying which step failed (`step: …`); a refusal's
    /// `error_description` stays the server's own.
    pub fn in_step(self, step: &str) -> Error {
        let said = |m: &str| format!("{step}: {m}");
        match self {
            Error::Refused(mut r) => {
                r.message = said(&r.message);
                Error::Refused(r)
            }
            Error::Unverified(mut u) => {
                u.message = said(&u.message);
                Error::Unverified(u)
            }
            other => other.scrubbed(said),
        }
    }

    /// The exit code this error ends the program with.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Config(_) => Exit::Config,
            Error::Refused(_) => Exit::Refused,
            Error::Unreachable { .. } => Exit::Unreachable,
            Error::BadToken(_) | Error::Unverified(_) => Exit::BadToken,
            Error::LoginRequired(_) => Exit::LoginRequired,
            Error::Internal(_) => Exit::Internal,
        }
    }

    /// Stable machine-readable name of the error class, used in `-o json` errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::Config(_) => "config",
            Error::Refused(_) => "refused",
            Error::Unreachable { .. } => "unreachable",
            Error::BadToken(_) => "bad_token",
            Error::Unverified(_) => "unverified",
            Error::LoginRequired(_) => "login_required",
            Error::Internal(_) => "internal",
        }
    }

    /// `(code, description, status)` for the JSON error object of DESIGN §4.
    pub fn oauth_fields(&self) -> (Option<&str>, Option<&str>, Option<u16>) {
        match self {
            // A refusal that came with no HTTP error (a sign-in redirect's `error`, an inactive
            // token under --require-active) has no status to report.
            Error::Refused(r) => (
                r.code.as_deref(),
                r.description.as_deref(),
                Some(r.status).filter(|s| *s >= 400),
            ),
            Error::Unreachable { status, .. } => (None, None, *status),
            _ => (None, None, None),
        }
    }
}

/// A text that is not a JWT is a bad token (exit 5), whoever was decoding it.
impl From<crate::jwt::DecodeError> for Error {
    fn from(error: crate::jwt::DecodeError) -> Error {
        Error::BadToken(error.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_without_an_http_error_reports_no_status() {
        let refusal = |status| {
            Error::Refused(Box::new(Refusal {
                status,
                code: Some("access_denied".into()),
                description: None,
                message: "m".into(),
            }))
        };
        assert_eq!(refusal(0).oauth_fields().2, None);
        assert_eq!(refusal(200).oauth_fields().2, None);
        assert_eq!(refusal(401).oauth_fields().2, Some(401));
    }

    #[test]
    fn a_text_that_is_not_a_jwt_is_a_bad_token_with_the_decoders_message() {
        for input in ["", "opaque-token", "a.b", "e30.e30.c2ln="] {
            let decoded = crate::jwt::decode(input).unwrap_err();
            let message = decoded.to_string();
            let error = Error::from(decoded);
            assert!(matches!(error, Error::BadToken(_)), "{error:?}");
            assert_eq!(error.to_string(), message);
            assert_eq!(error.exit(), Exit::BadToken);
        }
    }

    #[test]
    fn every_class_has_its_documented_exit_code() {
        let refused = Error::Refused(Box::new(Refusal {
            status: 401,
            code: Some("invalid_client".into()),
            description: None,
            message: "m".into(),
        }));
        let cases = [
            (Error::Usage("u".into()), 2),
            (Error::Config("c".into()), 78),
            (refused, 3),
            (Error::unreachable("n"), 4),
            (Error::BadToken("b".into()), 5),
            (Error::LoginRequired("l".into()), 6),
            (Error::Internal("i".into()), 1),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit() as u8, code, "{error:?}");
        }
    }
}
