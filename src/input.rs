//! What the user hands a command on stdin or as an argument: an authorization code, a token to
//! revoke or introspect, a PKCE verifier. Each is checked before anything is sent (one line of
//! RFC 6749 VSCHAR, `untrusted::Credential`), and no check ever repeats the value: it is a secret.

use std::io::IsTerminal;

use crate::error::{Error, Result};
use crate::untrusted::Credential;

/// The authorization code on stdin (RFC 6749 App. A.11). A terminal is refused: a code typed
/// there would be echoed, and a waiting prompt looks like a hang.
pub fn code_from_stdin() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Error::Usage(
            "no authorization code: give it as an argument, or pipe it on stdin".into(),
        ));
    }
    let code = Credential::AuthorizationCode;
    Ok(code.check(&code.read(stdin.lock())?)?.to_string())
}

/// An authorization code given as an argument, checked as one from stdin is.
pub fn code_from_argument(code: &str) -> Result<String> {
    Ok(Credential::AuthorizationCode
        .check(code.as_bytes())?
        .to_string())
}

/// The token on stdin (`-`), for `revoke` and `introspect`. A terminal is refused, as for a code.
pub fn token_from_stdin(secret_from_stdin: bool) -> Result<String> {
    if secret_from_stdin {
        return Err(Error::Usage(
            "the token and the client secret cannot both come from stdin; give the secret through OAUTHCTL_CLIENT_SECRET or --client-secret-file".into(),
        ));
    }
    if std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "`-` reads the token from stdin, which is a terminal: pipe it in (`… | oauthctl …`, or `< file`)".into(),
        ));
    }
    checked_token(&Credential::Token.read(std::io::stdin().lock())?)
}

/// A token piped in without `-` (`fetch -p web | oauthctl introspect -p gateway`): `None` when
/// stdin is a terminal, the secret's, or empty (CI runners give every step one).
pub fn piped_token(secret_from_stdin: bool) -> Result<Option<String>> {
    if std::io::stdin().is_terminal() || secret_from_stdin {
        return Ok(None);
    }
    let input = Credential::Token.read(std::io::stdin().lock())?;
    match input.trim_ascii() {
        b"" => Ok(None),
        _ => checked_token(&input).map(Some),
    }
}

/// One token given by the user (`revoke TOKEN`, `introspect TOKEN`, or on stdin):
/// `Credential::check`'s one line of printable ASCII (RFC 6749 App. A.12, A.17), with an
/// `Authorization: Bearer` prefix dropped, so that `fetch -o header | oauthctl introspect` works
/// as it does for `inspect`.
pub fn checked_token(input: &[u8]) -> Result<String> {
    let line = Credential::Token.check(input)?;
    let token = crate::jwt::strip_prefixes(line);
    if token.is_empty() {
        return Err(Error::Usage("the token is empty".into()));
    }
    Ok(token.to_string())
}

/// RFC 7636 §4.1: 43–128 characters from the unreserved set. The message never repeats the
/// value (clap's own validation would echo it).
pub fn check_verifier(verifier: &str) -> Result<()> {
    let unreserved = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if (43..=128).contains(&verifier.len()) && unreserved {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the PKCE code_verifier ({} characters) is not 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)",
        verifier.chars().count()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_rules_and_no_echo() {
        assert!(check_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").is_ok());
        assert!(check_verifier(&"a".repeat(128)).is_ok());
        assert!(check_verifier(&"a".repeat(42)).is_err());
        assert!(check_verifier(&"a".repeat(129)).is_err());
        let err = check_verifier(&format!("{}+SECRET", "a".repeat(43)))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn tokens_are_one_printable_line() {
        assert_eq!(checked_token(b"abc.def\n").unwrap(), "abc.def");
        assert_eq!(
            checked_token(b"Authorization: Bearer abc\n").unwrap(),
            "abc"
        );
        for bad in ["", " \n", "a\nb", "tök", "a\x1bb"] {
            let err = checked_token(bad.as_bytes()).unwrap_err();
            assert_eq!(err.exit() as u8, 2, "{bad:?}");
            assert!(!err.to_string().contains(bad.trim()) || bad.trim().is_empty());
        }
    }
}
