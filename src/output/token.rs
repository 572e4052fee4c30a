//! `fetch`, `exchange-code` and `login` output: the token in each of the five formats, the
//! access token or, for `fetch --id-token`, the ID token.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{OutputFormat, Rendered, to_json};
use crate::error::{Error, Result};
use crate::oauth::TokenType;
use crate::tokens::{IdToken, TokenResult};

/// `-o json`: the token response member for member as the server sent it, then `expires_at`
/// (unix seconds, or null when the server gave no lifetime), `cached` and, with `--url`,
/// `dpop_proof`. Where the server sent a member of one of these names, that member keeps its
/// place and holds ours, and the trailing one is left out: the document never names a member
/// twice.
#[derive(Serialize)]
struct TokenJson {
    #[serde(flatten)]
    response: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached: Option<bool>,
    /// A DPoP token's proof for the request `--url` names (DESIGN §12).
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_proof: Option<String>,
}

impl TokenJson {
    fn new(result: &TokenResult) -> TokenJson {
        let expires_at = result.token.expires_at;
        let mut response = result.token.fields.clone();
        // Ours in the server's member of the same name, if there is one; `true` when it took it.
        let mut in_place = |name: &str, value: Value| {
            response
                .get_mut(name)
                .map(|member| *member = value)
                .is_some()
        };
        let expires_at_placed = in_place("expires_at", expires_at.map_or(Value::Null, Value::from));
        let cached_placed = in_place("cached", Value::Bool(result.cached));
        let proof = result
            .dpop_proof
            .as_ref()
            .map(|proof| proof.expose().to_string());
        let proof_placed = proof
            .as_ref()
            .is_some_and(|proof| in_place("dpop_proof", Value::String(proof.clone())));
        TokenJson {
            response,
            expires_at: (!expires_at_placed).then_some(expires_at),
            cached: (!cached_placed).then_some(result.cached),
            dpop_proof: proof.filter(|_| !proof_placed),
        }
    }
}

/// `fetch` / `exchange-code` output. `kube` is the ExecCredential version client-go asked for
/// (`KUBERNETES_EXEC_INFO`), used by `-o exec-credential`.
pub fn token(
    format: OutputFormat,
    result: &TokenResult,
    kube: crate::kube::ApiVersion,
) -> Result<Rendered> {
    if let Some(id_token) = &result.id_token {
        return Ok(Rendered {
            stdout: id_token_text(format, result, id_token, kube)?,
            note: result.note.clone(),
            failed: false,
        });
    }
    let token = &result.token;
    let bearer_only = |what: &str| -> Result<()> {
        if token.is_bearer() {
            return Ok(());
        }
        // RFC 6750 applies to Bearer tokens only; a DPoP or MAC token sent as Bearer fails, or
        // worse, works where it should not.
        let sent = token.token_type.as_ref().map(TokenType::describe);
        Err(Error::unreachable(format!(
            "the token_type is {}, not Bearer; refusing to print it as {what} (use -o json or -o text)",
            sent.unwrap_or_default()
        )))
    };
    // Printed byte for byte, so that a program reads back exactly the token (`verbatim`).
    let access_token = || verbatim("access_token", &token.access_token);
    let text = match format {
        OutputFormat::Text => format!("{}\n", access_token()?),
        OutputFormat::Json => to_json(&TokenJson::new(result)),
        OutputFormat::Header if token.is_dpop() && token.dpop_jkt.is_some() => {
            // RFC 9449 §7.1: the DPoP scheme, and a proof made for this one request.
            let Some(proof) = &result.dpop_proof else {
                return Err(no_url_for_header());
            };
            format!(
                "Authorization: DPoP {}\nDPoP: {}\n",
                access_token()?,
                verbatim("DPoP proof", proof.expose())?
            )
        }
        OutputFormat::Header => {
            bearer_only("an Authorization header")?;
            format!("Authorization: Bearer {}\n", access_token()?)
        }
        OutputFormat::Env => {
            let mut out = format!(
                "export OAUTHCTL_ACCESS_TOKEN={}\n",
                shell_quote(access_token()?)
            );
            let token_type = match &token.token_type {
                // SECURITY 25: any case of Bearer is Bearer.
                None => "Bearer",
                Some(_) if token.is_bearer() => "Bearer",
                Some(_) if token.is_dpop() => "DPoP",
                Some(TokenType::Named(name)) => verbatim("token_type", name)?,
                Some(malformed) => {
                    return Err(Error::unreachable(format!(
                        "the token_type is {}, which is not an RFC 6749 token type (App. A.13: \
                         letters, digits and `-._`, or a URI); refusing to print it in -o env \
                         (use -o json or -o text)",
                        malformed.describe()
                    )));
                }
            };
            out.push_str(&format!(
                "export OAUTHCTL_TOKEN_TYPE={}\n",
                shell_quote(token_type)
            ));
            // A number oauthctl formats itself: digits and a sign, nothing a server chose.
            if let Some(at) = token.expires_at {
                out.push_str(&format!("export OAUTHCTL_EXPIRES_AT={at}\n"));
            }
            out
        }
        OutputFormat::ExecCredential => {
            if token.is_dpop() {
                // DESIGN §12: client-go sends the token as Bearer, with no proof.
                return Err(not_for_kubectl());
            }
            bearer_only("a Kubernetes ExecCredential")?;
            to_json(&crate::kube::exec_credential(
                kube,
                &token.access_token,
                token.expires_at,
            ))
        }
    };
    Ok(Rendered {
        stdout: text,
        note: result.note.clone(),
        failed: false,
    })
}

/// `fetch --id-token` output: the ID token where the other formats put the access token, with its
/// own `exp` as the expiry. Whoever takes it (kubectl, for the Kubernetes API server's OIDC
/// authenticator) sends it as a bearer token, whatever the access token's type. `-o json` is the
/// token response as without the flag: it holds the ID token as `id_token` already.
fn id_token_text(
    format: OutputFormat,
    result: &TokenResult,
    id_token: &IdToken,
    kube: crate::kube::ApiVersion,
) -> Result<String> {
    let token = || verbatim("id_token", id_token.token.expose());
    Ok(match format {
        OutputFormat::Text => format!("{}\n", token()?),
        OutputFormat::Json => to_json(&TokenJson::new(result)),
        OutputFormat::Header => format!("Authorization: Bearer {}\n", token()?),
        // A number oauthctl formats itself, as for the access token.
        OutputFormat::Env => format!(
            "export OAUTHCTL_ID_TOKEN={}\nexport OAUTHCTL_EXPIRES_AT={}\n",
            shell_quote(token()?),
            id_token.exp
        ),
        OutputFormat::ExecCredential => to_json(&crate::kube::exec_credential(
            kube,
            token()?,
            Some(id_token.exp),
        )),
    })
}

/// `--url` makes a DPoP proof only `-o header` and `-o json` print.
pub fn check_url_format(format: OutputFormat, has_url: bool) -> Result<()> {
    if has_url && !matches!(format, OutputFormat::Header | OutputFormat::Json) {
        return Err(Error::Usage(format!(
            "--url makes a DPoP proof for the request, which only -o header and -o json print; -o {} does not",
            format.name()
        )));
    }
    Ok(())
}

/// DESIGN §12: a DPoP token goes in a header only with the proof of the request it goes with
/// (`has_url`), and never to kubectl, which sends it as Bearer without one.
pub fn check_dpop_format(format: OutputFormat, has_url: bool) -> Result<()> {
    match format {
        OutputFormat::Header if !has_url => Err(no_url_for_header()),
        OutputFormat::ExecCredential => Err(not_for_kubectl()),
        _ => Ok(()),
    }
}

fn no_url_for_header() -> Error {
    Error::Usage(
        "the token is a DPoP token: -o header needs the request it goes with, to make its DPoP proof: `oauthctl fetch -o header --url URL [--method METHOD]`".into(),
    )
}

fn not_for_kubectl() -> Error {
    Error::Usage(
        "the token is a DPoP token, and kubectl cannot send the DPoP proof each request needs (RFC 9449 §7): use a profile without dpop for -o exec-credential".into(),
    )
}

/// POSIX single quotes: the only character needing care inside them is `'` itself.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A value printed byte for byte, for a program to read back: printable ASCII only (%x20-7E, the
/// VSCHAR of RFC 6749 App. A), else an error that names the field and where, never the value (a
/// token is a secret). A value that reaches here has been checked already (`TokenResponse`); this
/// is the output side's own guarantee (SECURITY 38).
fn verbatim<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    match value.chars().position(|c| !(' '..='~').contains(&c)) {
        None => Ok(value),
        Some(at) => Err(Error::unreachable(format!(
            "refusing to print the {field} as it is: character {} is outside printable ASCII",
            at + 1
        ))),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::oauth::TokenResponse;

    pub(crate) fn result(token_type: Option<&str>, expires_at: Option<i64>) -> TokenResult {
        let mut fields = Map::new();
        fields.insert("access_token".into(), "tok'en".into());
        fields.insert("custom".into(), 1.into());
        TokenResult {
            token: TokenResponse {
                fields,
                access_token: "tok'en".into(),
                token_type: token_type.map(|t| TokenType::Named(t.into())),
                expires_at,
                dpop_jkt: None,
                dpop_key: None,
            },
            cached: false,
            note: None,
            dpop_proof: None,
            id_token: None,
        }
    }

    #[test]
    fn token_formats() {
        let r = result(Some("bearer"), Some(1_640_589_128));
        assert_eq!(
            token(OutputFormat::Text, &r, Default::default())
                .unwrap()
                .stdout,
            "tok'en\n"
        );
        assert_eq!(
            token(OutputFormat::Header, &r, Default::default())
                .unwrap()
                .stdout,
            "Authorization: Bearer tok'en\n"
        );
        let env = token(OutputFormat::Env, &r, Default::default())
            .unwrap()
            .stdout;
        assert_eq!(
            env,
            "export OAUTHCTL_ACCESS_TOKEN='tok'\\''en'\nexport OAUTHCTL_TOKEN_TYPE='Bearer'\nexport OAUTHCTL_EXPIRES_AT=1640589128\n"
        );
        let json: Value = serde_json::from_str(
            &token(OutputFormat::Json, &r, Default::default())
                .unwrap()
                .stdout,
        )
        .unwrap();
        assert_eq!(json["custom"], 1);
        assert_eq!(json["expires_at"], 1_640_589_128);
        assert_eq!(json["cached"], false);
        let exec: Value = serde_json::from_str(
            &token(OutputFormat::ExecCredential, &r, Default::default())
                .unwrap()
                .stdout,
        )
        .unwrap();
        assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1");
        assert_eq!(exec["kind"], "ExecCredential");
        assert_eq!(exec["status"]["token"], "tok'en");
        assert_eq!(
            exec["status"]["expirationTimestamp"],
            "2021-12-27T07:12:08Z"
        );
    }

    #[test]
    fn id_token_formats_print_the_id_token_and_its_exp() {
        // Even beside a DPoP access token: the ID token is a bearer JWT of its own.
        let mut r = result(Some("DPoP"), Some(1));
        r.id_token = Some(IdToken {
            token: crate::secret::Secret::new("h.p.s".into()),
            exp: 1_640_589_128,
        });
        let out = |format| token(format, &r, Default::default()).unwrap().stdout;
        assert_eq!(out(OutputFormat::Text), "h.p.s\n");
        assert_eq!(out(OutputFormat::Header), "Authorization: Bearer h.p.s\n");
        assert_eq!(
            out(OutputFormat::Env),
            "export OAUTHCTL_ID_TOKEN='h.p.s'\nexport OAUTHCTL_EXPIRES_AT=1640589128\n"
        );
        let exec: Value = serde_json::from_str(&out(OutputFormat::ExecCredential)).unwrap();
        assert_eq!(exec["status"]["token"], "h.p.s");
        assert_eq!(
            exec["status"]["expirationTimestamp"],
            "2021-12-27T07:12:08Z"
        );
        // -o json is the response, as without --id-token.
        let json: Value = serde_json::from_str(&out(OutputFormat::Json)).unwrap();
        assert_eq!(json["access_token"], "tok'en");
        assert_eq!(json["expires_at"], 1);
    }

    #[test]
    fn non_bearer_tokens_are_never_printed_as_bearer() {
        let r = result(Some("DPoP"), None);
        assert!(token(OutputFormat::Header, &r, Default::default()).is_err());
        assert!(token(OutputFormat::ExecCredential, &r, Default::default()).is_err());
        assert_eq!(
            token(OutputFormat::Text, &r, Default::default())
                .unwrap()
                .stdout,
            "tok'en\n"
        );
        for ok in ["Bearer", "BEARER", "bearer"] {
            assert!(
                token(
                    OutputFormat::Header,
                    &result(Some(ok), None),
                    Default::default()
                )
                .is_ok()
            );
        }
    }

    #[test]
    fn a_malformed_token_type_is_never_printed_as_one() {
        let mut r = result(None, None);
        r.token.token_type = Some(TokenType::Malformed("Bearer\r\nexport X=1".into()));
        for format in [
            OutputFormat::Env,
            OutputFormat::Header,
            OutputFormat::ExecCredential,
        ] {
            let err = token(format, &r, Default::default()).unwrap_err();
            assert_eq!(err.exit() as u8, 4);
            assert!(
                err.to_string()
                    .contains("the token_type is `Bearer\\r\\nexport X=1`"),
                "{err}"
            );
        }
        assert_eq!(
            token(OutputFormat::Text, &r, Default::default())
                .unwrap()
                .stdout,
            "tok'en\n"
        );
    }

    #[test]
    fn a_token_made_without_the_checks_still_cannot_print_raw() {
        // TokenResponse::checked would refuse it; the output side refuses it again on its own.
        let mut r = result(Some("Bearer"), None);
        r.token.access_token = "tok\r\nX-Injected: 1".into();
        for format in [OutputFormat::Text, OutputFormat::Header, OutputFormat::Env] {
            let err = token(format, &r, Default::default()).unwrap_err();
            assert_eq!(
                err.to_string(),
                "refusing to print the access_token as it is: character 4 is outside printable ASCII"
            );
        }
        let mut r = result(Some("Bearer"), None);
        r.token.token_type = Some(TokenType::Named("Bearer\u{1b}[2J".into()));
        let err = token(OutputFormat::Env, &r, Default::default()).unwrap_err();
        assert!(err.to_string().contains("the token_type as it is"), "{err}");
    }

    #[test]
    fn json_is_the_response_then_ours_and_names_no_member_twice() {
        let json = |r: &TokenResult| {
            token(OutputFormat::Json, r, Default::default())
                .unwrap()
                .stdout
        };
        assert_eq!(
            json(&result(Some("Bearer"), None)),
            "{\n  \"access_token\": \"tok'en\",\n  \"custom\": 1,\n  \"expires_at\": null,\n  \"cached\": false\n}\n"
        );
        // A server member of the same name keeps its place and holds ours.
        let mut r = result(Some("Bearer"), Some(7));
        let mut fields = Map::new();
        fields.insert("expires_at".into(), "server".into());
        fields.extend(r.token.fields);
        fields.insert("cached".into(), "server".into());
        r.token.fields = fields;
        assert_eq!(
            json(&r),
            "{\n  \"expires_at\": 7,\n  \"access_token\": \"tok'en\",\n  \"custom\": 1,\n  \"cached\": false\n}\n"
        );
    }

    #[test]
    fn verbatim_takes_printable_ascii_only_and_never_quotes_the_value() {
        assert_eq!(verbatim("access_token", "a b~!").unwrap(), "a b~!");
        assert_eq!(verbatim("access_token", "").unwrap(), "");
        for (value, at) in [
            ("SECRET\r\nX: 1", 7),
            ("SECRET\u{1b}[2J", 7),
            ("SECRETé", 7),
            ("\u{7f}SECRET", 1),
        ] {
            let err = verbatim("access_token", value).unwrap_err();
            assert_eq!(err.exit() as u8, 4);
            let message = err.to_string();
            assert_eq!(
                message,
                format!(
                    "refusing to print the access_token as it is: character {at} is outside printable ASCII"
                )
            );
        }
    }
}
