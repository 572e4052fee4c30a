//! The claim checks of `inspect --verify`: `exp` and `nbf` against the clock and a leeway, `iat`
//! for its type, `iss` and `aud` against what the user or the profile expects (RFC 7519 §4.1).
//! One [`ClaimCheck`] per claim, passed or not, so that the user sees what was and was not
//! checked. Pure: the clock is [`ClaimRules::now`].

use serde_json::{Map, Value};

use super::{SHOWN, list};
use crate::error::ClaimCheck;
use crate::jwt::{TimeClaim, json_kind, time_claim};
use crate::timefmt;
use crate::untrusted::printable;

/// Clock skew allowed on `exp` and `nbf`, in seconds, unless the user says otherwise.
pub const DEFAULT_LEEWAY: u64 = 60;

/// What the claims must satisfy. [`ClaimRules::new`] gives the default leeway and no expected
/// issuer or audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// Unix seconds.
    pub now: i64,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway: u64,
    /// When set, `iss` must be exactly this (RFC 7519 §4.1.1; no normalisation).
    pub issuer: Option<String>,
    /// When set, `aud` must contain exactly this (RFC 7519 §4.1.3).
    pub audience: Option<String>,
}

impl ClaimRules {
    pub fn new(now: i64) -> ClaimRules {
        ClaimRules {
            now,
            leeway: DEFAULT_LEEWAY,
            issuer: None,
            audience: None,
        }
    }
}

/// Checks `exp`, `nbf`, `iat`, `iss` and `aud`, in that order, one [`ClaimCheck`] each. A claim
/// of the wrong type is a failure, never taken as absent (SECURITY 33).
pub fn check_claims(claims: &Map<String, Value>, rules: &ClaimRules) -> Vec<ClaimCheck> {
    vec![
        check_exp(claims, rules),
        check_nbf(claims, rules),
        check_iat(claims, rules),
        check_iss(claims, rules),
        check_aud(claims, rules),
    ]
}

fn passed(name: &'static str, detail: String) -> ClaimCheck {
    ClaimCheck {
        name,
        ok: true,
        detail,
    }
}

fn failed(name: &'static str, detail: String) -> ClaimCheck {
    ClaimCheck {
        name,
        ok: false,
        detail,
    }
}

fn when(at: i64, now: i64) -> String {
    if at == now {
        return format!("{} (now)", timefmt::rfc3339(at));
    }
    format!("{} ({})", timefmt::rfc3339(at), timefmt::relative(at, now))
}

fn check_exp(claims: &Map<String, Value>, rules: &ClaimRules) -> ClaimCheck {
    let exp = match time_claim(claims, "exp") {
        TimeClaim::Absent => return passed("exp", "no exp: never expires by itself".into()),
        TimeClaim::Invalid(why) => return failed("exp", why),
        TimeClaim::At(exp) => exp,
    };
    let now = rules.now;
    let leeway = timefmt::span(rules.leeway);
    // RFC 7519 §4.1.4: the current time must be before `exp`; i128 so no sum can overflow.
    if (now as i128) < exp as i128 + rules.leeway as i128 {
        if now < exp {
            passed("exp", format!("expires {}", when(exp, now)))
        } else {
            passed(
                "exp",
                format!("expired {}, within the {leeway} leeway", when(exp, now)),
            )
        }
    } else {
        failed(
            "exp",
            format!("expired {}, beyond the {leeway} leeway", when(exp, now)),
        )
    }
}

fn check_nbf(claims: &Map<String, Value>, rules: &ClaimRules) -> ClaimCheck {
    let nbf = match time_claim(claims, "nbf") {
        TimeClaim::Absent => return passed("nbf", "no nbf".into()),
        TimeClaim::Invalid(why) => return failed("nbf", why),
        TimeClaim::At(nbf) => nbf,
    };
    let now = rules.now;
    let leeway = timefmt::span(rules.leeway);
    // RFC 7519 §4.1.5: the current time must be after or equal to `nbf`.
    if now as i128 + rules.leeway as i128 >= nbf as i128 {
        if now >= nbf {
            passed("nbf", format!("valid since {}", when(nbf, now)))
        } else {
            passed(
                "nbf",
                format!(
                    "not valid until {}, within the {leeway} leeway",
                    when(nbf, now)
                ),
            )
        }
    } else {
        failed(
            "nbf",
            format!(
                "not valid until {}, beyond the {leeway} leeway",
                when(nbf, now)
            ),
        )
    }
}

/// `iat` only has to be a NumericDate (RFC 7519 §4.1.6): a token issued "in the future" is the
/// issuer's clock, which `nbf` is for.
fn check_iat(claims: &Map<String, Value>, rules: &ClaimRules) -> ClaimCheck {
    match time_claim(claims, "iat") {
        TimeClaim::Absent => passed("iat", "no iat".into()),
        TimeClaim::Invalid(why) => failed("iat", why),
        TimeClaim::At(iat) => passed("iat", format!("issued {}", when(iat, rules.now))),
    }
}

fn check_iss(claims: &Map<String, Value>, rules: &ClaimRules) -> ClaimCheck {
    let iss = match claims.get("iss") {
        None => None,
        Some(Value::String(iss)) => Some(iss.as_str()),
        Some(other) => {
            return failed(
                "iss",
                format!("`iss` is {}, not a string", json_kind(other)),
            );
        }
    };
    let shown = iss.map(|iss| format!("`{}`", printable(iss, SHOWN)));
    match (&rules.issuer, iss) {
        (None, _) => passed(
            "iss",
            match shown {
                Some(shown) => format!("not checked (no issuer expected): {shown}"),
                None => "not checked (no issuer expected); the token has no iss".into(),
            },
        ),
        (Some(expected), None) => failed(
            "iss",
            format!("no iss; expected `{}`", printable(expected, SHOWN)),
        ),
        (Some(expected), Some(iss)) if iss == expected => {
            passed("iss", format!("{}, as expected", shown.unwrap_or_default()))
        }
        (Some(expected), Some(_)) => failed(
            "iss",
            format!(
                "{} is not the expected `{}`",
                shown.unwrap_or_default(),
                printable(expected, SHOWN)
            ),
        ),
    }
}

fn check_aud(claims: &Map<String, Value>, rules: &ClaimRules) -> ClaimCheck {
    // RFC 7519 §4.1.3: one string, or an array of strings.
    let audiences: Option<Vec<&str>> = match claims.get("aud") {
        None => None,
        Some(Value::String(aud)) => Some(vec![aud]),
        Some(Value::Array(items)) => {
            let mut audiences = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match item {
                    Value::String(aud) => audiences.push(aud.as_str()),
                    other => {
                        return failed(
                            "aud",
                            format!(
                                "`aud` element {} is {}, not a string",
                                index + 1,
                                json_kind(other)
                            ),
                        );
                    }
                }
            }
            Some(audiences)
        }
        Some(other) => {
            return failed(
                "aud",
                format!(
                    "`aud` is {}, not a string or an array of strings",
                    json_kind(other)
                ),
            );
        }
    };
    let shown = audiences.as_ref().map(|auds| {
        let each: Vec<String> = auds
            .iter()
            .map(|aud| format!("`{}`", printable(aud, SHOWN)))
            .collect();
        if each.is_empty() {
            "`aud` (an empty array)".to_string()
        } else {
            list(&each, 10)
        }
    });
    match (&rules.audience, &audiences) {
        (None, _) => passed(
            "aud",
            match shown {
                Some(shown) => format!("not checked (no audience expected): {shown}"),
                None => "not checked (no audience expected); the token has no aud".into(),
            },
        ),
        (Some(expected), None) => failed(
            "aud",
            format!("no aud; expected `{}`", printable(expected, SHOWN)),
        ),
        (Some(expected), Some(auds)) if auds.contains(&expected.as_str()) => {
            passed("aud", format!("includes `{}`", printable(expected, SHOWN)))
        }
        (Some(expected), Some(_)) => failed(
            "aud",
            format!(
                "{} does not include the expected `{}`",
                shown.unwrap_or_default(),
                printable(expected, SHOWN)
            ),
        ),
    }
}

#[cfg(test)]
mod tests;
