//! What a failure prints on stderr: one line of text, or with `-o json` one JSON object
//! (DESIGN §4).

use serde::Serialize;

use super::{OutputFormat, to_json_line};
use crate::error::ClaimCheck;
use crate::error::Error;
use crate::style::Style;
use crate::untrusted::printable;

/// `-o json`: `{"error": {…}}` on one line.
#[derive(Serialize)]
struct ErrorJson<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    /// `Error::kind`.
    kind: &'static str,
    /// The OAuth `error` code, for a refusal that came with one.
    code: Option<&'a str>,
    /// DESIGN §4: a refusal's description is the server's own words (or null); any other error is
    /// described by our message.
    description: Option<&'a str>,
    /// The HTTP status of a refusal or an unreachable server, when there was one.
    status: Option<u16>,
    exit_code: u8,
    message: &'a str,
    /// `inspect --verify`: what failed, check by check.
    #[serde(skip_serializing_if = "Option::is_none")]
    signature_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<&'a [ClaimCheck]>,
}

/// The error line(s) for stderr: `oauthctl: error: …` (its prefix in colour when stderr takes
/// it), or one JSON object with `-o json`.
pub fn error(format: OutputFormat, error: &Error) -> String {
    let style = match format {
        OutputFormat::Text => Style::stderr(),
        _ => Style::PLAIN,
    };
    error_styled(format, error, style)
}

/// `error` with the colour decided by the caller.
pub fn error_styled(format: OutputFormat, error: &Error, style: Style) -> String {
    let message = printable(&error.to_string(), 2000);
    if format == OutputFormat::Json {
        let (code, description, status) = error.oauth_fields();
        let unverified = match error {
            Error::Unverified(u) => Some(u),
            _ => None,
        };
        let body = ErrorJson {
            error: ErrorBody {
                kind: error.kind(),
                code,
                description: match error {
                    Error::Refused(_) => description,
                    _ => Some(description.unwrap_or(&message)),
                },
                status,
                exit_code: error.exit() as u8,
                message: &message,
                signature_verified: unverified.map(|u| u.signature_verified),
                checks: unverified.map(|u| u.checks.as_slice()),
            },
        };
        return to_json_line(&body);
    }
    format!("{} {message}\n", style.red_bold("oauthctl: error:"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::untrusted::is_unsafe;
    use serde_json::Value;

    #[test]
    fn json_error_lines_are_terminal_safe() {
        // A sign-in redirect's `error` reaches the Refusal as sent (commands/login.rs).
        let err = Error::Refused(Box::new(crate::error::Refusal {
            status: 0,
            code: Some("access_denied\u{9b}2J\u{202e}".into()),
            description: Some("a\u{2028}b".into()),
            message: "refused".into(),
        }));
        let line = error(OutputFormat::Json, &err);
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(!line.trim_end().chars().any(is_unsafe), "{line:?}");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["error"]["code"], "access_denied\u{9b}2J\u{202e}");
        assert_eq!(v["error"]["description"], "a\u{2028}b");
    }

    #[test]
    fn json_errors_carry_the_oauth_fields() {
        let err = Error::Refused(Box::new(crate::error::Refusal {
            status: 401,
            code: Some("invalid_client".into()),
            description: Some("Client authentication failed".into()),
            message: "refused".into(),
        }));
        let v: Value = serde_json::from_str(&error(OutputFormat::Json, &err)).unwrap();
        assert_eq!(v["error"]["kind"], "refused");
        assert_eq!(v["error"]["code"], "invalid_client");
        assert_eq!(v["error"]["description"], "Client authentication failed");
        assert_eq!(v["error"]["status"], 401);
        assert_eq!(v["error"]["exit_code"], 3);
        let hostile = Error::Config("bad\x1b[0m".into());
        assert_eq!(
            error_styled(OutputFormat::Text, &hostile, Style::PLAIN),
            "oauthctl: error: bad\\u{1b}[0m\n"
        );
        assert_eq!(
            error_styled(OutputFormat::Text, &hostile, Style::COLOUR),
            "\x1b[1;31moauthctl: error:\x1b[0m bad\\u{1b}[0m\n",
            "the colour is ours; the message's escape stays escaped"
        );
    }
}
