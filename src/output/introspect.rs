//! `introspect` output: the server's answer about a token (RFC 7662 §2.2).

use serde::Serialize;
use serde_json::{Map, Value};

use super::{OutputFormat, Rendered, aligned, time_text, to_json, value_text};
use crate::commands::introspect::Introspection;
use crate::jwt::TimeClaim;
use crate::style::{Style, visible_width};
use crate::timefmt::local_offset;
use crate::untrusted::printable;

/// `-o json`: the server's introspection response as it sent it, member for member.
#[derive(Serialize)]
#[serde(transparent)]
struct IntrospectionJson<'a> {
    response: &'a Map<String, Value>,
}

/// The members `introspect` shows first, in this order (RFC 7662 §2.2); the rest follow as sent.
const INTROSPECTION_FIRST: [&str; 11] = [
    "active",
    "scope",
    "client_id",
    "username",
    "token_type",
    "sub",
    "aud",
    "iss",
    "exp",
    "iat",
    "nbf",
];
/// RFC 7662 §2.2's NumericDates.
const INTROSPECTION_TIMES: [&str; 3] = ["exp", "iat", "nbf"];

/// `introspect` output: the server's object as-is with `-o json`; aligned rows in text.
pub fn introspection(format: OutputFormat, introspection: &Introspection) -> Rendered {
    let style = match format {
        OutputFormat::Text => Style::stdout(),
        _ => Style::PLAIN,
    };
    introspection_styled(format, introspection, style)
}

/// `introspection` with the colour decided by the caller.
pub fn introspection_styled(
    format: OutputFormat,
    introspection: &Introspection,
    style: Style,
) -> Rendered {
    let response = &introspection.response;
    if format == OutputFormat::Json {
        return to_json(&IntrospectionJson { response }).into();
    }
    let now = introspection.now;
    let instants: Vec<i64> = INTROSPECTION_TIMES
        .iter()
        .filter_map(|name| match introspection.time(name) {
            TimeClaim::At(t) => Some(t),
            _ => None,
        })
        .collect();
    let local = instants
        .iter()
        .any(|t| local_offset(*t).is_some_and(|offset| offset != 0));
    let number_width = INTROSPECTION_TIMES
        .iter()
        .filter_map(|name| response.get(*name))
        .map(|v| visible_width(&value_text(v)))
        .max()
        .unwrap_or(0);
    let first = INTROSPECTION_FIRST
        .iter()
        .filter_map(|name| response.get_key_value(*name));
    let rest = response
        .iter()
        .filter(|(k, _)| !INTROSPECTION_FIRST.contains(&k.as_str()));
    let rows: Vec<(String, String)> = first
        .chain(rest)
        .map(|(k, v)| {
            let key = style.bold(&printable(k, 60));
            let text = match k.as_str() {
                "active" if introspection.active() => style.green_bold("true"),
                "active" => format!(
                    "{}  (the token is not active: expired, revoked, or unknown to this server)",
                    style.red_bold("false")
                ),
                name if INTROSPECTION_TIMES.contains(&name) => time_text(
                    value_text(v),
                    number_width,
                    &introspection.time(name),
                    local,
                    now,
                    style,
                ),
                _ => value_text(v),
            };
            (key, text)
        })
        .collect();
    aligned(&rows, "").into()
}
