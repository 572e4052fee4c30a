//! `profiles list | show | add | remove | path` output.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::{Members, OutputFormat, Rendered, aligned, shown_path, to_json, value_text};
use crate::commands::profiles::Outcome;
use crate::config::AuthMethod;
use crate::style::Style;
use crate::untrusted::printable;

/// `profiles path -o json`: the config file.
#[derive(Serialize)]
struct PathJson<'a> {
    path: Cow<'a, str>,
}

/// `profiles list -o json`: one per profile.
#[derive(Serialize)]
struct ProfileJson<'a> {
    name: &'a str,
    default: bool,
    endpoint: Option<&'a str>,
}

/// `profiles show -o json`: every field that is set, the origin of each that came from a source
/// (flag, env, profile, default), and where the client secret comes from: never the secret.
#[derive(Serialize)]
struct ShowJson<'a> {
    name: Option<&'a str>,
    values: Members<&'a Value>,
    origins: Members<String>,
    client_secret: SecretJson<'a>,
}

#[derive(Serialize)]
struct SecretJson<'a> {
    /// Always `***`.
    value: &'static str,
    source: &'a str,
    from: Option<String>,
    overrides: Option<&'a str>,
}

/// `profiles add` / `profiles remove -o json`: the profile's name under what was done, and the
/// config file.
#[derive(Serialize)]
#[serde(untagged)]
enum ChangeJson<'a> {
    Added {
        added: &'a str,
        path: Cow<'a, str>,
    },
    Removed {
        removed: &'a str,
        path: Cow<'a, str>,
    },
}

/// `profiles …` output.
pub fn profiles(format: OutputFormat, outcome: &Outcome) -> Rendered {
    let style = match format {
        OutputFormat::Text => Style::stdout(),
        _ => Style::PLAIN,
    };
    profiles_styled(format, outcome, style)
}

fn profiles_styled(format: OutputFormat, outcome: &Outcome, style: Style) -> Rendered {
    let json_out = format == OutputFormat::Json;
    match outcome {
        Outcome::Path(path) => {
            if json_out {
                to_json(&PathJson {
                    path: path.to_string_lossy(),
                })
                .into()
            } else {
                format!("{}\n", shown_path(path)).into()
            }
        }
        Outcome::List { path, profiles } => {
            if json_out {
                let list: Vec<ProfileJson> = profiles
                    .iter()
                    .map(|p| ProfileJson {
                        name: &p.name,
                        default: p.is_default,
                        endpoint: p.endpoint.as_deref(),
                    })
                    .collect();
                return to_json(&list).into();
            }
            let rows: Vec<(String, String)> = profiles
                .iter()
                .map(|p| {
                    let name = printable(&p.name, 60);
                    let first = if p.is_default {
                        format!("{} {}", style.green_bold("*"), style.bold(&name))
                    } else {
                        format!("  {name}")
                    };
                    (
                        first,
                        p.endpoint
                            .as_deref()
                            .map(|e| printable(e, 200))
                            .unwrap_or_default(),
                    )
                })
                .collect();
            let note = profiles
                .is_empty()
                .then(|| format!("no profiles in `{}`", shown_path(path)));
            Rendered {
                stdout: aligned(&rows, ""),
                note,
                failed: false,
            }
        }
        Outcome::Show { profile, secret } => {
            let p = profile;
            // Each field as its kind shows it: a static API key in `headers` or a secret in
            // `params` is masked as the -v trace masks it.
            let mut fields = p.shown();
            fields.retain(|(_, v)| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()));
            let origin = |key: &str| p.origins.get(key).map(|o| o.to_string());
            if json_out {
                return to_json(&ShowJson {
                    name: p.name.as_deref(),
                    values: Members(fields.iter().map(|(k, v)| (*k, v)).collect()),
                    origins: Members(
                        fields
                            .iter()
                            .filter_map(|(k, _)| origin(k).map(|o| (*k, o)))
                            .collect(),
                    ),
                    client_secret: SecretJson {
                        value: "***",
                        source: &secret.source,
                        from: secret.origin.map(|o| o.to_string()),
                        overrides: secret.shadowed.as_deref(),
                    },
                })
                .into();
            }
            let mut rows = vec![("profile".to_string(), printable(p.label(), 60))];
            for (key, value) in &fields {
                let shown = match value {
                    Value::Object(map) => map
                        .iter()
                        .map(|(k, v)| format!("{} = {}", printable(k, 60), value_text(v)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => value_text(other),
                };
                let from = origin(key).map(|o| format!("  ({o})")).unwrap_or_default();
                rows.push((key.to_string(), format!("{shown}{from}")));
                // The algorithm a signing client uses when the profile names none.
                if *key == "auth_method" && p.signing_alg.is_none() {
                    let default = match p.auth_method {
                        AuthMethod::PrivateKeyJwt => Some(
                            "from the key (RS256 for RSA, ES256 for P-256, ES384 for P-384, EdDSA for Ed25519; a JWK's own alg first)",
                        ),
                        AuthMethod::ClientSecretJwt => Some("HS256"),
                        _ => None,
                    };
                    if let Some(default) = default {
                        rows.push(("signing_alg".into(), format!("{default}  (default)")));
                    }
                }
            }
            // `origin` is set only when a source supplies a value. The source names what the
            // config file says (a variable, a file, a command), so it is shown escaped.
            let source = printable(&secret.source, 300);
            let mut secret_row = match secret.origin {
                Some(_) => format!("*** from {source}"),
                None => source,
            };
            if let Some(origin) = secret.origin {
                secret_row.push_str(&format!("  ({origin})"));
            }
            if let Some(shadowed) = &secret.shadowed {
                secret_row.push_str(&format!(
                    "; overrides the profile's {}",
                    printable(shadowed, 300)
                ));
            }
            // Right after client_id, wherever that is.
            let at = rows
                .iter()
                .position(|(k, _)| k == "client_id")
                .map_or(rows.len(), |i| i + 1);
            rows.insert(at, ("client_secret".to_string(), secret_row));
            aligned(&rows, "").into()
        }
        Outcome::Added {
            name,
            path,
            made_default,
        } => {
            let default = if *made_default {
                " as the default profile"
            } else {
                ""
            };
            message(
                json_out,
                ChangeJson::Added {
                    added: name,
                    path: path.to_string_lossy(),
                },
                &format!(
                    "added profile `{}`{default} to {}",
                    printable(name, 60),
                    shown_path(path)
                ),
            )
        }
        Outcome::Removed {
            name,
            path,
            was_default,
        } => {
            let default = if *was_default {
                " (it was the default; default_profile removed too)"
            } else {
                ""
            };
            message(
                json_out,
                ChangeJson::Removed {
                    removed: name,
                    path: path.to_string_lossy(),
                },
                &format!(
                    "removed profile `{}` from {}{default}",
                    printable(name, 60),
                    shown_path(path)
                ),
            )
        }
    }
}

fn message(json_out: bool, change: ChangeJson, text: &str) -> Rendered {
    if json_out {
        to_json(&change).into()
    } else {
        format!("{text}\n").into()
    }
}
