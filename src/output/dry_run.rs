//! `--dry-run` output: a planned token request as an equivalent curl command (text), or as one
//! JSON document with that command in it (`-o json`).
//!
//! The command is meant to be run: secrets are shell variables (`"$APP_SECRET"`), everything else
//! is quoted so that a POSIX shell passes it to curl byte for byte, and the form body is encoded
//! exactly as oauthctl encodes it.

use serde::Serialize;

use super::{OutputFormat, Rendered, to_json};
use crate::commands::dry_run::{BasicAuth, Part, PlannedRequest};
use crate::config::BasicEncoding;

/// `-o json`: the request as data, every value with its placeholders written `${NAME}`, and the
/// curl command that the text output is.
#[derive(Serialize)]
struct DryRunJson<'a> {
    /// Always `true`: nothing was sent.
    dry_run: bool,
    method: &'static str,
    url: String,
    /// `[name, value]` pairs, in the order they are sent.
    headers: Vec<(&'a str, String)>,
    /// `[name, value]` pairs of the form body; empty when there is none.
    form: Vec<(&'a str, String)>,
    /// The metadata documents a real run reads first, in order, for the token endpoint.
    discovery: &'a [String],
    /// The TLS client certificate and its private key's file, when one is presented.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_certificate: Option<CertificateJson<'a>>,
    placeholders: Vec<PlaceholderJson<'a>>,
    curl: String,
}

#[derive(Serialize)]
struct CertificateJson<'a> {
    certificate_file: &'a str,
    private_key_file: String,
}

#[derive(Serialize)]
struct PlaceholderJson<'a> {
    name: &'a str,
    stands_for: &'a str,
}

/// `--dry-run` output: the curl command, or with `-o json` the request as a document.
pub fn dry_run(format: OutputFormat, plan: &PlannedRequest) -> Rendered {
    let command = command(plan);
    if format != OutputFormat::Json {
        return command.into();
    }
    let mut headers = pairs(&plan.headers);
    if let Some(basic) = &plan.basic {
        // Where build_request puts it: right after Accept.
        let at = usize::from(!headers.is_empty());
        headers.insert(
            at,
            (
                "Authorization",
                format!("Basic base64({}:${{{}}})", basic.user, basic.secret),
            ),
        );
    }
    to_json(&DryRunJson {
        dry_run: true,
        method: plan.method,
        url: template(&plan.url),
        headers,
        form: pairs(&plan.form),
        discovery: &plan.discovery,
        client_certificate: plan
            .client_certificate
            .as_ref()
            .map(|(cert, key)| CertificateJson {
                certificate_file: cert,
                private_key_file: template(key),
            }),
        placeholders: plan
            .placeholders
            .iter()
            .map(|p| PlaceholderJson {
                name: &p.name,
                stands_for: &p.stands_for,
            })
            .collect(),
        curl: command,
    })
    .into()
}

/// Named values as `[name, value]` pairs, for JSON.
fn pairs(values: &[(String, Vec<Part>)]) -> Vec<(&str, String)> {
    values
        .iter()
        .map(|(name, value)| (name.as_str(), template(value)))
        .collect()
}

/// A value with its placeholders written `${NAME}`, for JSON.
fn template(value: &[Part]) -> String {
    value
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.clone(),
            Part::Placeholder(name) => format!("${{{name}}}"),
        })
        .collect()
}

/// The commented curl command.
fn command(plan: &PlannedRequest) -> String {
    let mut out = String::from("# oauthctl --dry-run: nothing was sent and no secret was read.\n");
    if !plan.placeholders.is_empty() {
        out.push_str("# Placeholders are shell variables; set them to run the command:\n");
        let width = plan
            .placeholders
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0);
        for p in &plan.placeholders {
            out.push_str(&format!(
                "#   {:width$}  {}\n",
                p.name,
                one_line(&p.stands_for)
            ));
        }
    }
    if let Some((first, rest)) = plan.discovery.split_first() {
        out.push_str(
            "# A real run first reads the issuer's metadata for its token_endpoint \
             (OpenID Connect Discovery §4, RFC 8414 §3):\n",
        );
        out.push_str(&format!(
            "#   curl --header 'Accept: application/json' {}\n",
            quote(&[Part::Text(first.clone())])
        ));
        for url in rest {
            out.push_str(&format!(
                "#   and if that is not found, {}\n",
                quote(&[Part::Text(url.clone())])
            ));
        }
    }
    if let Some(BasicAuth {
        encoding: BasicEncoding::Form,
        ..
    }) = &plan.basic
    {
        out.push_str(
            "# oauthctl form-urlencodes the client secret before Basic encoding (RFC 6749 §2.3.1) and\n\
             # curl --user does not: the two differ for a secret with characters other than A-Z a-z 0-9 - . _ *\n",
        );
    }
    // --globoff: curl would otherwise expand `{a,b}` and `[1-3]` in the URL into several
    // requests, each with the credentials.
    let mut args: Vec<String> = vec!["--globoff".into(), format!("--request {}", plan.method)];
    if let Some((cert, key)) = &plan.client_certificate {
        // RFC 8705 §2: the client certificate and its key, in the TLS handshake.
        // curl reads `FILE:PASSWORD`: a colon in the name is escaped.
        let cert = cert.replace('\\', "\\\\").replace(':', "\\:");
        args.push(format!("--cert {}", quote(&[Part::Text(cert)])));
        args.push(format!("--key {}", quote(key)));
    }
    let mut basic_done = plan.basic.is_none();
    for (name, value) in &plan.headers {
        args.push(header(name, value));
        // Basic comes where oauthctl sends its Authorization header: after Accept.
        if !basic_done {
            args.push(user(plan.basic.as_ref().expect("checked")));
            basic_done = true;
        }
    }
    if !basic_done {
        args.push(user(plan.basic.as_ref().expect("checked")));
    }
    if !plan.form.is_empty() {
        args.push(header(
            "Content-Type",
            &[Part::Text("application/x-www-form-urlencoded".into())],
        ));
    }
    for (name, value) in &plan.form {
        let name_encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        match value.as_slice() {
            // Literal fields go as oauthctl encodes them.
            parts if parts.iter().all(|p| matches!(p, Part::Text(_))) => {
                let mut pair = form_urlencoded::Serializer::new(String::new());
                pair.append_pair(name, &template(parts));
                args.push(format!(
                    "--data-raw {}",
                    quote(&[Part::Text(pair.finish())])
                ));
            }
            // curl encodes the value after the first `=`; the name must be encoded already.
            parts => {
                let mut all = vec![Part::Text(format!("{name_encoded}="))];
                all.extend(parts.iter().cloned());
                args.push(format!("--data-urlencode {}", quote(&all)));
            }
        }
    }
    args.push(quote(&plan.url));
    out.push_str("curl ");
    out.push_str(&args.join(" \\\n  "));
    out.push('\n');
    out
}

fn header(name: &str, value: &[Part]) -> String {
    let mut all = vec![Part::Text(format!("{name}: "))];
    all.extend(value.iter().cloned());
    format!("--header {}", quote(&all))
}

fn user(basic: &BasicAuth) -> String {
    format!(
        "--user {}",
        quote(&[
            Part::Text(format!("{}:", basic.user)),
            Part::Placeholder(basic.secret.clone())
        ])
    )
}

/// One shell word: literal text single-quoted (or ANSI-C quoted when it holds characters a
/// terminal would act on), placeholders double-quoted variable expansions, all concatenated.
fn quote(parts: &[Part]) -> String {
    // Adjacent literals are one quoted string: `'Accept: application/json'`.
    let mut merged: Vec<Part> = Vec::new();
    for part in parts {
        match (merged.last_mut(), part) {
            (Some(Part::Text(last)), Part::Text(text)) => last.push_str(text),
            _ => merged.push(part.clone()),
        }
    }
    if merged.is_empty() {
        return "''".into();
    }
    merged
        .iter()
        .map(|part| match part {
            Part::Placeholder(name) => format!("\"${name}\""),
            Part::Text(text) if text.chars().any(crate::untrusted::is_unsafe) => ansi_c(text),
            Part::Text(text) => format!("'{}'", text.replace('\'', r"'\''")),
        })
        .collect()
}

/// Bash's `$'…'`, with every control character escaped.
fn ansi_c(text: &str) -> String {
    let mut out = String::from("$'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if crate::untrusted::is_unsafe(c) && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if crate::untrusted::is_unsafe(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A description on one comment line.
fn one_line(text: &str) -> String {
    crate::untrusted::printable(text, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_bytes_and_expands_only_placeholders() {
        assert_eq!(quote(&[Part::Text("it's".into())]), r"'it'\''s'");
        assert_eq!(
            quote(&[Part::Text("a=".into()), Part::Placeholder("X".into())]),
            "'a='\"$X\""
        );
        assert_eq!(
            quote(&[Part::Text("a\x1b[0m\\'".into())]),
            r"$'a\x1b[0m\\\''"
        );
        assert_eq!(quote(&[Part::Text("\u{202e}".into())]), r"$'\u202e'");
        assert_eq!(quote(&[]), "''");
        assert_eq!(
            quote(&[Part::Text("a: ".into()), Part::Text("b".into())]),
            "'a: b'"
        );
    }
}
