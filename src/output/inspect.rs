//! `inspect` output: the JWT's header and claims, its times and validity, and with `--verify` what
//! verified it.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Members, OutputFormat, Rendered, aligned, time_text, to_json, value_text};
use crate::commands::inspect::{Inspection, Validity};
use crate::error::ClaimCheck;
use crate::jwt::TimeClaim;
use crate::keys::Alg;
use crate::style::{Style, pad, visible_width};
use crate::timefmt::{local_offset, relative, rfc3339, span};
use crate::untrusted::printable;

/// `-o json`: the header and claims as decoded, the time claims of `inspect::TIME_CLAIMS` read
/// as instants, the validity at `now`, and with `--verify` (which only returns when every check
/// passed) the key that verified the signature and the claim checks.
#[derive(Serialize)]
struct InspectionJson<'a> {
    header: &'a Map<String, Value>,
    claims: &'a Map<String, Value>,
    times: Members<TimeJson>,
    validity: ValidityJson<'a>,
    signature_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<VerificationJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<&'a [ClaimCheck]>,
    /// With `-p`, whether a certificate-bound token is bound to the profile's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_binding: Option<BindingJson<'a>>,
    /// With `-p`, whether a DPoP-bound token is bound to the profile's DPoP key.
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_binding: Option<KeyBindingJson<'a>>,
}

#[derive(Serialize)]
struct KeyBindingJson<'a> {
    matches: bool,
    token_jkt: &'a str,
    /// The profile's key's thumbprint; null when it has none.
    key_jkt: Option<&'a str>,
    /// Where the key is, or why there is none.
    key: &'a str,
}

#[derive(Serialize)]
struct BindingJson<'a> {
    matches: bool,
    token_x5t_s256: &'a str,
    certificate_x5t_s256: &'a str,
    client_certificate_file: String,
}

/// A NumericDate claim: null when absent, why when it is not one.
#[derive(Serialize)]
#[serde(untagged)]
enum TimeJson {
    Absent,
    At {
        unix: i64,
        utc: String,
        relative: String,
    },
    Invalid {
        error: String,
    },
}

/// `commands::inspect::Validity`, tagged by `state`.
#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum ValidityJson<'a> {
    Valid { expires_at: Option<i64> },
    Expired { expired_at: i64 },
    NotYetValid { valid_from: i64 },
    Unknown { reason: &'a str },
}

/// The key that verified the signature, where it came from, and what was noted on the way.
#[derive(Serialize)]
struct VerificationJson<'a> {
    kid: Option<&'a str>,
    alg: Alg,
    key: &'a str,
    keys_from: &'a str,
    notes: &'a [String],
}

impl<'a> InspectionJson<'a> {
    fn new(inspection: &'a Inspection, validity: &'a Validity) -> InspectionJson<'a> {
        let now = inspection.now;
        let times = inspection
            .times()
            .into_iter()
            .map(|(name, claim)| {
                let time = match claim {
                    TimeClaim::Absent => TimeJson::Absent,
                    TimeClaim::At(t) => TimeJson::At {
                        unix: t,
                        utc: rfc3339(t),
                        relative: relative(t, now),
                    },
                    TimeClaim::Invalid(why) => TimeJson::Invalid { error: why },
                };
                (name, time)
            })
            .collect();
        let validity = match validity {
            Validity::Valid { expires_at } => ValidityJson::Valid {
                expires_at: *expires_at,
            },
            Validity::Expired { at } => ValidityJson::Expired { expired_at: *at },
            Validity::NotYetValid { from } => ValidityJson::NotYetValid { valid_from: *from },
            Validity::Unknown { why } => ValidityJson::Unknown { reason: why },
        };
        let verification = inspection.verification.as_ref();
        InspectionJson {
            header: &inspection.jwt.header,
            claims: &inspection.jwt.claims,
            times: Members(times),
            validity,
            signature_verified: verification.is_some(),
            verification: verification.map(|v| VerificationJson {
                kid: v.signature.kid.as_deref(),
                alg: v.signature.alg,
                key: &v.signature.key,
                keys_from: &v.keys_from,
                notes: &v.notes,
            }),
            checks: verification.map(|v| v.checks.as_slice()),
            certificate_binding: inspection.binding.as_ref().map(|b| BindingJson {
                matches: b.matches(),
                token_x5t_s256: &b.token,
                certificate_x5t_s256: &b.certificate,
                client_certificate_file: b.file.display().to_string(),
            }),
            dpop_binding: inspection.dpop_binding.as_ref().map(|b| KeyBindingJson {
                matches: b.matches(),
                token_jkt: &b.token,
                key_jkt: b.key.as_ref().ok().map(|(jkt, _)| jkt.as_str()),
                key: match &b.key {
                    Ok((_, kept)) => kept,
                    Err(why) => why,
                },
            }),
        }
    }
}

/// `inspect` output, in colour when stdout takes it (`style::Style::stdout`).
pub fn inspection(format: OutputFormat, inspection: &Inspection) -> Rendered {
    let style = match format {
        OutputFormat::Text => Style::stdout(),
        _ => Style::PLAIN,
    };
    inspection_styled(format, inspection, style)
}

/// Claims the text view shows as times: RFC 7519's three and OpenID Connect Core §2's
/// `auth_time`. (`-o json`'s `times` keeps to `inspect::TIME_CLAIMS`.)
const TEXT_TIME_CLAIMS: [&str; 4] = ["iat", "nbf", "exp", "auth_time"];

/// `inspection` with the colour decided by the caller (tests and fuzz targets: `Style::PLAIN`).
pub fn inspection_styled(format: OutputFormat, inspection: &Inspection, style: Style) -> Rendered {
    let now = inspection.now;
    let validity = inspection.validity();
    if format == OutputFormat::Json {
        return to_json(&InspectionJson::new(inspection, &validity)).into();
    }
    let row = |k: &String, v: &Value| (style.bold(&printable(k, 60)), value_text(v));
    let header: Vec<_> = inspection
        .jwt
        .header
        .iter()
        .map(|(k, v)| row(k, v))
        .collect();
    let instants: Vec<i64> = TEXT_TIME_CLAIMS
        .iter()
        .filter_map(|name| match inspection.jwt.time(name) {
            TimeClaim::At(t) => Some(t),
            _ => None,
        })
        .collect();
    // The local column only where it says something the UTC one does not.
    let local = instants
        .iter()
        .any(|t| local_offset(*t).is_some_and(|offset| offset != 0));
    // Numbers as written (`1.7e9` is a valid NumericDate), padded so the dates line up.
    let number_width = TEXT_TIME_CLAIMS
        .iter()
        .filter_map(|name| inspection.jwt.claims.get(*name))
        .map(|v| visible_width(&value_text(v)))
        .max()
        .unwrap_or(0);
    let claims: Vec<_> = inspection
        .jwt
        .claims
        .iter()
        .map(|(k, v)| {
            let (key, text) = row(k, v);
            if !TEXT_TIME_CLAIMS.contains(&k.as_str()) {
                return (key, text);
            }
            let text = time_text(
                text,
                number_width,
                &inspection.jwt.time(k),
                local,
                now,
                style,
            );
            (key, text)
        })
        .collect();
    let (status, paint): (String, fn(Style, &str) -> String) = match validity {
        Validity::Valid {
            expires_at: Some(at),
        } => (
            format!(
                "valid for {} (until {})",
                span(at.abs_diff(now)),
                rfc3339(at)
            ),
            Style::green_bold,
        ),
        Validity::Valid { expires_at: None } => (
            "valid (no exp claim: it never expires by itself)".to_string(),
            Style::green_bold,
        ),
        // Not `relative`: on the second of `exp` itself that would read "in 0s".
        Validity::Expired { at } => (
            format!(
                "EXPIRED {} ago (at {})",
                span(now.abs_diff(at)),
                rfc3339(at)
            ),
            Style::red_bold,
        ),
        Validity::NotYetValid { from } => (
            format!(
                "NOT YET VALID: valid from {} ({})",
                rfc3339(from),
                relative(from, now)
            ),
            Style::red_bold,
        ),
        Validity::Unknown { why } => (format!("UNKNOWN validity: {why}"), Style::yellow),
    };
    let signature = match &inspection.verification {
        // A key without a kid is described with where it came from already.
        Some(v) if v.signature.kid.is_none() => format!(
            "verified with {}",
            printable(&crate::commands::inspect::describe(&v.signature), 300)
        ),
        Some(v) => format!(
            "verified with {} from {}",
            printable(&crate::commands::inspect::describe(&v.signature), 300),
            printable(&v.keys_from, 200)
        ),
        None if inspection.jwt.signature_len == 0 => {
            "UNVERIFIED: the token is unsigned (empty signature)".to_string()
        }
        None => "UNVERIFIED: decoded only; oauthctl did not check the signature".to_string(),
    };
    let mut out = format!("{}\n", style.bold("Header"));
    out.push_str(&aligned(&header, "  "));
    out.push_str(&format!("{}\n", style.bold("Claims")));
    out.push_str(&aligned(&claims, "  "));
    // The verdict lines are coloured whole, label included, so they stand out from the claims.
    let width = "Signature".len();
    let verdict = |label: &str, text: &str| format!("{}  {text}", pad(label, width));
    out.push_str(&paint(style, &verdict("Status", &status)));
    out.push('\n');
    if let Some(binding) = &inspection.binding {
        let file = printable(&binding.file.display().to_string(), 200);
        let line = if binding.matches() {
            style.green_bold(&verdict(
                "Bound",
                &format!("to the certificate of client_certificate_file `{file}` (cnf x5t#S256)"),
            ))
        } else {
            style.red_bold(&verdict(
                "Bound",
                &format!(
                    "to ANOTHER certificate: cnf x5t#S256 is {}, client_certificate_file `{file}` has {}",
                    printable(&binding.token, 100),
                    binding.certificate
                ),
            ))
        };
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(binding) = &inspection.dpop_binding {
        let token = printable(&binding.token, 100);
        let line = match &binding.key {
            Ok((_, kept)) if binding.matches() => style.green_bold(&verdict(
                "Bound",
                &format!(
                    "to the profile's DPoP key, {} (cnf jkt)",
                    printable(kept, 300)
                ),
            )),
            Ok((jkt, kept)) => style.red_bold(&verdict(
                "Bound",
                &format!(
                    "to ANOTHER DPoP key: cnf jkt is {token}, {} has {jkt}",
                    printable(kept, 300)
                ),
            )),
            Err(why) => style.red_bold(&verdict(
                "Bound",
                &format!(
                    "to a DPoP key (cnf jkt {token}), but {}",
                    printable(why, 300)
                ),
            )),
        };
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(v) = &inspection.verification {
        // Every check passed (a failure is an error): what was checked, and what was not.
        for (i, check) in v.checks.iter().enumerate() {
            let label = if i == 0 { "Checks" } else { "" };
            out.push_str(&verdict(
                label,
                &format!("{:<3}  {}", check.name, printable(&check.detail, 300)),
            ));
            out.push('\n');
        }
        for (i, note) in v.notes.iter().enumerate() {
            let label = if i == 0 { "Notes" } else { "" };
            out.push_str(&verdict(label, &printable(note, 300)));
            out.push('\n');
        }
        out.push_str(&style.green_bold(&verdict("Signature", &signature)));
    } else {
        out.push_str(&style.yellow(&verdict("Signature", &signature)));
    }
    out.push('\n');
    out.into()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn inspected(claims: &str, now: i64) -> Inspection {
        Inspection {
            verification: None,
            binding: None,
            dpop_binding: None,
            jwt: crate::jwt::decode(&crate::jwt::tests::make(
                r#"{"alg":"RS256","kid":"k\u001b[2Jx"}"#,
                claims,
            ))
            .unwrap(),
            now,
        }
    }

    #[test]
    fn inspect_text_colours_only_around_printable_text() {
        let i = inspected(r#"{"sub\u001b[31m":"v\u009b1m","exp":100}"#, 40);
        let plain = inspection_styled(OutputFormat::Text, &i, Style::PLAIN).stdout;
        let colour = inspection_styled(OutputFormat::Text, &i, Style::COLOUR).stdout;
        assert!(!plain.contains('\x1b'), "{plain}");
        // Every ESC in the coloured view starts one of our SGR sequences.
        let ours = colour.match_indices('\x1b').all(|(at, _)| {
            ["\x1b[0m", "\x1b[1m", "\x1b[1;32m", "\x1b[33m"]
                .iter()
                .any(|sgr| colour[at..].starts_with(sgr))
        });
        assert!(ours, "{colour:?}");
        assert!(
            colour.contains("\x1b[1msub\\u{1b}[31m\x1b[0m"),
            "{colour:?}"
        );
        assert!(
            colour.contains(
                "\x1b[1;32mStatus     valid for 1m (until 1970-01-01T00:01:40Z)\x1b[0m\n"
            ),
            "{colour:?}"
        );
        let json = inspection_styled(OutputFormat::Json, &i, Style::COLOUR).stdout;
        assert!(!json.contains('\x1b'), "{json}");
    }

    #[test]
    fn the_status_line_reads_the_validity() {
        let status = |claims: &str, now: i64| {
            let text =
                inspection_styled(OutputFormat::Text, &inspected(claims, now), Style::PLAIN).stdout;
            let lines: Vec<&str> = text.lines().collect();
            assert!(
                lines[lines.len() - 1].starts_with("Signature  UNVERIFIED"),
                "{text}"
            );
            lines[lines.len() - 2].to_string()
        };
        assert_eq!(
            status(r#"{"exp":100}"#, 100),
            "Status     EXPIRED 0s ago (at 1970-01-01T00:01:40Z)"
        );
        assert_eq!(
            status(r#"{"exp":3700}"#, 100),
            "Status     valid for 1h (until 1970-01-01T01:01:40Z)"
        );
        assert_eq!(
            status(r#"{"nbf":200,"exp":300}"#, 100),
            "Status     NOT YET VALID: valid from 1970-01-01T00:03:20Z (in 1m 40s)"
        );
        assert!(
            status(r#"{"exp":true}"#, 100).starts_with("Status     UNKNOWN validity: `exp` is ")
        );
    }
}
