//! `oauthctl inspect`: decode a JWT and say when it is valid. Decoding only: the signature is not
//! checked, and the output says so.

use std::io::{IsTerminal, Read};

use super::Context;
use crate::error::{Error, Result};
use crate::jwt::{Jwt, TimeClaim, decode};
use crate::resolve::ProfileLayer;
use crate::timefmt::{relative, rfc3339};

/// The time claims shown, in this order (RFC 7519 §4.1.6, §4.1.5, §4.1.4).
pub const TIME_CLAIMS: [&str; 3] = ["iat", "nbf", "exp"];

/// Where the token's validity window stands at `now`.
#[derive(Debug, Clone, PartialEq)]
pub enum Validity {
    Valid {
        expires_at: Option<i64>,
    },
    Expired {
        at: i64,
    },
    NotYetValid {
        from: i64,
    },
    /// A time claim is malformed, so validity cannot be established.
    Unknown {
        why: String,
    },
}

#[derive(Debug, Clone)]
pub struct Inspection {
    pub jwt: Jwt,
    pub now: i64,
}

impl Inspection {
    pub fn times(&self) -> Vec<(&'static str, TimeClaim)> {
        TIME_CLAIMS
            .iter()
            .map(|name| (*name, self.jwt.time(name)))
            .collect()
    }

    pub fn validity(&self) -> Validity {
        let (nbf, exp) = (self.jwt.time("nbf"), self.jwt.time("exp"));
        for claim in [&nbf, &exp] {
            if let TimeClaim::Invalid(why) = claim {
                return Validity::Unknown { why: why.clone() };
            }
        }
        match (nbf, exp) {
            // RFC 7519 §4.1.4: must not be accepted on or after exp.
            (_, TimeClaim::At(exp)) if self.now >= exp => Validity::Expired { at: exp },
            // RFC 7519 §4.1.5: must not be accepted before nbf.
            (TimeClaim::At(nbf), _) if self.now < nbf => Validity::NotYetValid { from: nbf },
            (_, TimeClaim::At(exp)) => Validity::Valid {
                expires_at: Some(exp),
            },
            _ => Validity::Valid { expires_at: None },
        }
    }
}

pub fn run(
    ctx: &Context,
    flags: ProfileLayer,
    token: Option<String>,
    require_valid: bool,
) -> Result<Inspection> {
    let text = match token.as_deref() {
        Some("-") => read_stdin()?,
        Some(token) => token.to_string(),
        None if ctx.profile_on_command_line => {
            super::fetch::run(ctx, flags, Default::default())?
                .token
                .access_token
        }
        None if !std::io::stdin().is_terminal() => read_stdin()?,
        None => {
            return Err(Error::Usage(
                "no token to inspect: give it as an argument, pipe it on stdin, or name a profile with -p".into(),
            ));
        }
    };
    let inspection = Inspection {
        jwt: decode(&text)?,
        now: crate::timefmt::now(),
    };
    if require_valid {
        let now = inspection.now;
        match inspection.validity() {
            Validity::Valid { .. } => {}
            Validity::Expired { at } => {
                return Err(Error::BadToken(format!(
                    "the token expired at {} ({})",
                    rfc3339(at),
                    relative(at, now)
                )));
            }
            Validity::NotYetValid { from } => {
                return Err(Error::BadToken(format!(
                    "the token is not valid before {} ({})",
                    rfc3339(from),
                    relative(from, now)
                )));
            }
            Validity::Unknown { why } => {
                return Err(Error::BadToken(format!(
                    "cannot tell whether the token is valid: {why}"
                )));
            }
        }
    }
    Ok(inspection)
}

fn read_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(1024 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| Error::BadToken(format!("cannot read the token from stdin: {e}")))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::make;

    fn at(claims: &str, now: i64) -> Validity {
        Inspection {
            jwt: decode(&make(r#"{"alg":"none"}"#, claims)).unwrap(),
            now,
        }
        .validity()
    }

    #[test]
    fn validity_window() {
        assert_eq!(
            at(r#"{"exp":100}"#, 99),
            Validity::Valid {
                expires_at: Some(100)
            }
        );
        assert_eq!(at(r#"{"exp":100}"#, 100), Validity::Expired { at: 100 });
        assert_eq!(
            at(r#"{"nbf":50,"exp":100}"#, 49),
            Validity::NotYetValid { from: 50 }
        );
        assert_eq!(
            at(r#"{"nbf":50}"#, 50),
            Validity::Valid { expires_at: None }
        );
        assert_eq!(at(r#"{}"#, 0), Validity::Valid { expires_at: None });
        assert!(matches!(
            at(r#"{"exp":"100"}"#, 0),
            Validity::Unknown { .. }
        ));
        assert!(matches!(
            at(r#"{"nbf":true,"exp":100}"#, 0),
            Validity::Unknown { .. }
        ));
    }
}
