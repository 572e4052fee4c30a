//! What the user hands a command on stdin or as an argument: an authorization code, a token to
//! revoke, introspect or inspect, a PKCE verifier. Each is checked before anything is sent (one line of
//! RFC 6749 VSCHAR, `Credential`), and no check ever repeats the value: it is a secret.

use std::io::{IsTerminal, Read};

use crate::error::{Error, Result};
use crate::oauth::is_vschar;

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

/// The token `inspect` decodes, from stdin: up to 1 MiB, as it is (`jwt::decode` reads past
/// whitespace and an `Authorization: Bearer` prefix, and says what is wrong with the rest).
pub fn jwt_from_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(1024 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| Error::BadToken(format!("cannot read the token from stdin: {e}")))?;
    Ok(text)
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

/// A credential the user gives oauthctl, on the command line or on stdin: one line of RFC 6749
/// VSCHAR (printable ASCII), whatever the command. The checks never repeat the value (it is a
/// secret); they say what is wrong and where, as usage errors (exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `exchange-code`'s code (RFC 6749 App. A.11).
    AuthorizationCode,
    /// A token to revoke or introspect (RFC 6749 App. A.12, A.17).
    Token,
}

/// The most a credential may be: far more than any server issues (tokens travel in 8 KiB header
/// lines), and little enough to read from `/dev/zero` in no time.
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

impl Credential {
    fn name(self) -> &'static str {
        match self {
            Credential::AuthorizationCode => "authorization code",
            Credential::Token => "token",
        }
    }

    fn grammar(self) -> &'static str {
        match self {
            Credential::AuthorizationCode => "RFC 6749 App. A.11",
            Credential::Token => "RFC 6749 App. A.12, A.17",
        }
    }

    /// Reads what can be one credential from `input` (stdin): at most the cap and a CRLF, and one
    /// byte more to tell a longer one, so an endless input ends at once.
    pub fn read(self, input: impl Read) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        input
            .take(MAX_CREDENTIAL_BYTES as u64 + 3)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                Error::Usage(format!("cannot read the {} from stdin: {e}", self.name()))
            })?;
        Ok(bytes)
    }

    /// The credential in `input`: exactly one line (a final LF or CRLF is dropped) of VSCHAR, not
    /// empty, at most `MAX_CREDENTIAL_BYTES`. Nothing else is dropped: a space is a VSCHAR, and a
    /// credential altered here would be sent as another (a revocation of a token that does not
    /// exist is answered 200, RFC 7009 §2.2).
    pub fn check(self, input: &[u8]) -> Result<&str> {
        let line = input
            .strip_suffix(b"\r\n")
            .or_else(|| input.strip_suffix(b"\n"))
            .unwrap_or(input);
        let what = self.name();
        if let Some(at) = line.iter().position(|&b| !is_vschar(b)) {
            let problem = match line[at] {
                b'\r' if line.get(at + 1) == Some(&b'\n') => {
                    return Err(Error::Usage(format!(
                        "the {what} has a second line (a line break at position {}); give exactly one line",
                        at + 1
                    )));
                }
                b'\n' => {
                    return Err(Error::Usage(format!(
                        "the {what} has a second line (a line break at position {}); give exactly one line",
                        at + 1
                    )));
                }
                0 => "a NUL character".to_string(),
                b if b < 0x80 => format!("a control character (U+{b:04X})"),
                _ => "a character outside printable ASCII".to_string(),
            };
            return Err(Error::Usage(format!(
                "the {what} has {problem} at position {}; it must be one line of printable ASCII ({})",
                at + 1,
                self.grammar()
            )));
        }
        if line.len() > MAX_CREDENTIAL_BYTES {
            return Err(Error::Usage(format!(
                "the {what} is longer than {MAX_CREDENTIAL_BYTES} bytes"
            )));
        }
        // All VSCHAR, so ASCII: one byte per character.
        let text = std::str::from_utf8(line).expect("VSCHAR is ASCII");
        // Spaces alone are no credential, but a slip of the keyboard.
        if text.bytes().all(|b| b == b' ') {
            return Err(Error::Usage(format!("the {what} is empty")));
        }
        Ok(text)
    }
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

    #[test]
    fn a_credential_is_one_line_of_printable_ascii() {
        let code = Credential::AuthorizationCode;
        for (input, text) in [
            (&b"c0de"[..], "c0de"),
            (b"c0de\n", "c0de"),
            (b"c0de\r\n", "c0de"),
            (b"  c0de \n", "  c0de "),
            (b"a b~!", "a b~!"),
        ] {
            assert_eq!(code.check(input).unwrap(), text, "{input:?}");
        }
        let long = vec![b'a'; MAX_CREDENTIAL_BYTES];
        assert_eq!(code.check(&long).unwrap().len(), MAX_CREDENTIAL_BYTES);
        for (input, message) in [
            (&b""[..], "the authorization code is empty"),
            (b"\n", "the authorization code is empty"),
            (b" \r\n", "the authorization code is empty"),
            (
                b"SECRET\nx",
                "the authorization code has a second line (a line break at position 7); give exactly one line",
            ),
            (
                b"SECRET\n\n",
                "the authorization code has a second line (a line break at position 7)",
            ),
            (
                b"\r\n\r\n",
                "the authorization code has a second line (a line break at position 1)",
            ),
            (
                b"SECRET\rx",
                "the authorization code has a control character (U+000D) at position 7",
            ),
            (
                b"SECRET\0",
                "the authorization code has a NUL character at position 7; it must be one line of printable ASCII (RFC 6749 App. A.11)",
            ),
            (
                b"SECRET\t",
                "the authorization code has a control character (U+0009) at position 7",
            ),
            (
                b"SECRET\x7f",
                "the authorization code has a control character (U+007F) at position 7",
            ),
            (
                "SECRETé".as_bytes(),
                "the authorization code has a character outside printable ASCII at position 7",
            ),
            (
                b"SECRET\xff",
                "the authorization code has a character outside printable ASCII at position 7",
            ),
        ] {
            let err = code.check(input).unwrap_err();
            assert_eq!(err.exit() as u8, 2, "{input:?}");
            let text = err.to_string();
            assert!(text.starts_with(message), "{input:?}: {text}");
            assert!(!text.contains("SECRET"), "{text}");
        }
        let longer = vec![b'a'; MAX_CREDENTIAL_BYTES + 1];
        assert_eq!(
            code.check(&longer).unwrap_err().to_string(),
            "the authorization code is longer than 65536 bytes"
        );
        assert!(
            Credential::Token
                .check(b"a\x1b")
                .unwrap_err()
                .to_string()
                .ends_with("(RFC 6749 App. A.12, A.17)")
        );
    }

    #[test]
    fn reading_a_credential_stops_after_the_cap() {
        let zeros = std::io::repeat(0);
        let read = Credential::Token.read(zeros).unwrap();
        assert_eq!(read.len(), MAX_CREDENTIAL_BYTES + 3);
        assert!(
            Credential::Token
                .check(&read)
                .unwrap_err()
                .to_string()
                .starts_with("the token has a NUL character at position 1;")
        );
        let line = format!("{}\r\n", "a".repeat(MAX_CREDENTIAL_BYTES));
        let read = Credential::Token.read(line.as_bytes()).unwrap();
        assert!(Credential::Token.check(&read).is_ok());
    }
}
