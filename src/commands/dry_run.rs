//! `fetch --dry-run` / `exchange-code --dry-run`: the token request a run would send, built by the
//! same code as the real one (`oauth::build_request`), with every secret replaced by a named
//! placeholder. Nothing is sent, no secret is read, the cache is not touched.
//!
//! Secrets are never read: the request is built with sentinel strings in their place, and the
//! sentinels are then cut out of every URL, header and form value into `Part::Placeholder`s.

use crate::config::{AuthMethod, BasicEncoding, GrantKind};
use crate::error::Result;
use crate::http::redact_header;
use crate::oauth::client_auth::Assertion;
use crate::oauth::credential::{Credential, KeySource};
use crate::oauth::{Grant, HeaderValue, SECRET_NAMES, TokenRequest, build_request};
use crate::resolve::Profile;
use crate::secret::{OVERRIDE_ENV, Secret, SecretSource};
use crate::settings::Settings;

/// A piece of a value: literal text, or a secret left out and named by a shell variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Placeholder(String),
}

/// A value as a sequence of parts.
pub type Value = Vec<Part>;

/// A secret left out of the request, and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// A shell variable name (`OAUTHCTL_CLIENT_SECRET`, or the profile's client_secret_env).
    pub name: String,
    pub stands_for: String,
}

/// HTTP Basic client authentication (RFC 6749 §2.3.1), kept apart from the headers because its
/// value is an encoding of a secret, not the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The client_id as it goes into the credentials: form-urlencoded unless `basic_encoding = raw`.
    pub user: String,
    /// The placeholder for the client secret.
    pub secret: String,
    pub encoding: BasicEncoding,
}

/// The request a run would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRequest {
    pub method: &'static str,
    pub url: Value,
    pub headers: Vec<(String, Value)>,
    pub basic: Option<BasicAuth>,
    /// The form body; empty means no body (grant parameters in the query).
    pub form: Vec<(String, Value)>,
    /// With `issuer` and no `token_url`: the metadata documents a run reads first, in order, to
    /// learn the token endpoint (which then stands in the URL as a placeholder).
    pub discovery: Vec<String>,
    /// The TLS client certificate presented (RFC 8705 §2): its file, and the private key's
    /// (a file, or a placeholder for one when the key comes from a variable or a command).
    pub client_certificate: Option<(String, Value)>,
    pub placeholders: Vec<Placeholder>,
}

/// `fetch --dry-run`: the request `fetch` sends when no cached token can be used.
pub fn fetch(settings: &Settings) -> Result<PlannedRequest> {
    let profile = settings.profile()?;
    profile.check_endpoints()?;
    let mut plan = Planner::new(profile);
    let refresh_token;
    let identity;
    let grant_assertion;
    let subject_token_type;
    let requested_token_type;
    let grant = match profile.grant {
        GrantKind::ClientCredentials => Grant::ClientCredentials,
        // DESIGN §11: the platform is not contacted; a variable stands for its token.
        GrantKind::TokenExchange => {
            identity = plan.identity_token();
            (subject_token_type, requested_token_type) =
                crate::oauth::grant::exchange_token_types(profile);
            Grant::TokenExchange {
                subject_token: &identity,
                subject_token_type: &subject_token_type,
                requested_token_type: requested_token_type.as_deref(),
            }
        }
        GrantKind::JwtBearer => {
            grant_assertion = Assertion::Given(
                if crate::oauth::credential::signs_own_grant_assertion(profile)? {
                    plan.grant_assertion()
                } else {
                    plan.identity_token()
                },
            );
            Grant::JwtBearer {
                assertion: &grant_assertion,
            }
        }
        // A user profile is only ever renewed by fetch (RFC 6749 §6), never signed in.
        GrantKind::AuthorizationCode | GrantKind::DeviceCode => {
            refresh_token = plan.secret(
                "OAUTHCTL_REFRESH_TOKEN",
                "the cached refresh token (fetch never shows it)",
            );
            Grant::RefreshToken {
                refresh_token: &refresh_token,
            }
        }
    };
    plan.build(&grant)
}

/// `exchange-code --dry-run`: the code exchange, without reading the code.
/// `code_verifier` is only checked: its value stays out of the plan, as the code's does.
pub fn exchange(settings: &Settings, code_verifier: Option<&str>) -> Result<PlannedRequest> {
    let profile = settings.profile()?;
    profile.check_endpoints()?;
    if let Some(verifier) = code_verifier {
        crate::input::check_verifier(verifier)?;
    }
    let mut plan = Planner::new(profile);
    let code = plan.secret("OAUTHCTL_CODE", "the authorization code");
    let verifier = code_verifier.map(|_| {
        plan.secret(
            "OAUTHCTL_CODE_VERIFIER",
            "the PKCE code_verifier (RFC 7636 §4.5)",
        )
    });
    let grant = Grant::AuthorizationCode {
        code: &code,
        redirect_uri: profile.redirect_uri.as_deref(),
        code_verifier: verifier.as_ref(),
    };
    plan.build(&grant)
}

/// Builds a request with sentinels for secrets, then turns the sentinels into placeholders.
struct Planner<'p> {
    profile: &'p Profile,
    /// Sentinel text → placeholder, in the order they were made.
    sentinels: Vec<(String, Placeholder)>,
}

impl<'p> Planner<'p> {
    fn new(profile: &'p Profile) -> Planner<'p> {
        Planner {
            profile,
            sentinels: Vec::new(),
        }
    }

    /// A stand-in for the assertion a jwt_bearer profile signs with its key, with the command
    /// that signs one.
    fn grant_assertion(&mut self) -> Secret {
        let profile = self.profile_flag();
        self.secret(
            "OAUTHCTL_ASSERTION",
            &format!(
                "a JWT bearer assertion signed with the profile's private key, anew for each request: OAUTHCTL_ASSERTION=\"$(oauthctl keys assertion --grant-assertion{profile})\""
            ),
        )
    }

    /// A stand-in for the workload identity token, with the command that prints one.
    fn identity_token(&mut self) -> Secret {
        let profile = self.profile_flag();
        // A source given by flag for this run must be given to that command too.
        let flags = [
            "identity_token_from",
            "identity_token_audience",
            "identity_token_env",
            "identity_token_file",
            "identity_token_command",
        ]
        .iter()
        .any(|key| self.profile.origins.get(key) == Some(&crate::resolve::Origin::Flag));
        self.secret(
            "OAUTHCTL_IDENTITY_TOKEN",
            &format!(
                "the workload identity token (a dry run asks no platform): OAUTHCTL_IDENTITY_TOKEN=\"$(oauthctl identity-token{profile})\"{}",
                if flags { ", with this run's --identity-token-* flags" } else { "" }
            ),
        )
    }

    /// ` -p NAME` for a command shown beside the plan (nothing for a profile of flags alone).
    fn profile_flag(&self) -> String {
        self.profile
            .name
            .as_deref()
            .map(|name| format!(" -p {}", shell_word(name)))
            .unwrap_or_default()
    }

    /// A stand-in for a secret, which the planner will find wherever build_request put it.
    /// U+0001 cannot be in a value that reached here from TOML, argv or env as a real secret.
    fn secret(&mut self, name: &str, stands_for: &str) -> Secret {
        let sentinel = format!("\u{1}{}\u{1}", self.sentinels.len());
        self.sentinels.push((
            sentinel.clone(),
            Placeholder {
                name: name.to_string(),
                stands_for: stands_for.to_string(),
            },
        ));
        Secret::new(sentinel)
    }

    fn build(mut self, grant: &Grant<'_>) -> Result<PlannedRequest> {
        let profile = self.profile;
        let credential = match profile.auth_method {
            AuthMethod::Basic | AuthMethod::Post => {
                let (name, stands_for) = secret_placeholder(profile.secret.as_ref());
                Credential::Secret(self.secret(&name, &stands_for))
            }
            AuthMethod::None | AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
                Credential::Nothing
            }
            AuthMethod::FederatedJwt => Credential::Assertion(self.identity_token()),
            // DESIGN §10: never a usable assertion, but the command that mints one.
            AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt => {
                Credential::Assertion(self.secret(
                    "OAUTHCTL_CLIENT_ASSERTION",
                    &format!(
                        "a client assertion, signed anew for each request: OAUTHCTL_CLIENT_ASSERTION=\"$(oauthctl keys assertion{})\"",
                        self.profile_flag()
                    ),
                ))
            }
        };
        // RFC 8705 §2: the certificate goes in the TLS handshake, with its key.
        let client_certificate = match &profile.client_certificate_file {
            Some(path) => {
                crate::oauth::credential::check_certificate_has_key(profile)?;
                let key = match crate::oauth::credential::key_source(profile)? {
                    // curl reads PEM keys; a JWK or a service-account JSON key is not one.
                    Some(KeySource::File(key))
                        if !key.extension().is_some_and(|e| {
                            ["json", "jwk", "jwks"]
                                .iter()
                                .any(|json| e.eq_ignore_ascii_case(json))
                        }) =>
                    {
                        vec![Part::Text(key.display().to_string())]
                    }
                    Some(other) => {
                        let placeholder = self.secret(
                            "OAUTHCTL_PRIVATE_KEY_FILE",
                            &format!(
                                "a file holding the private key (PEM) of {}",
                                other.describe()
                            ),
                        );
                        vec![Part::Text(placeholder.expose().to_string())]
                    }
                    None => Vec::new(),
                };
                Some((path.display().to_string(), key))
            }
            None => None,
        };
        let mut discovery = Vec::new();
        let token_url = match (&profile.token_url, &profile.issuer) {
            (Some(url), _) => url.clone(),
            (None, Some(issuer)) => {
                discovery = crate::discovery::discovery_urls(issuer);
                self.secret(
                    "OAUTHCTL_TOKEN_URL",
                    if client_certificate.is_some() {
                        "the token_endpoint of mtls_endpoint_aliases in the issuer's metadata, else its token_endpoint (not looked up: a dry run sends nothing)"
                    } else {
                        "the token_endpoint in the issuer's metadata (not looked up: a dry run sends nothing)"
                    },
                )
                .expose()
                .to_string()
            }
            (None, None) => profile.require_token_url()?.to_string(),
        };
        let profile = Profile {
            token_url: Some(token_url),
            ..profile.clone()
        };
        let mut request = build_request(&profile, &credential, grant)?;
        if profile.uses_dpop() {
            // DESIGN §12: a proof is made for each request, with the server's latest nonce; the
            // dry run makes none (and reads no key), but names the command that does.
            // `keys dpop-proof` takes no --dpop: this run's flag goes to it as its variable.
            let env = match profile.origins.get("dpop") {
                Some(crate::resolve::Origin::Flag) => "OAUTHCTL_DPOP=true ",
                _ => "",
            };
            let proof = self.secret(
                "OAUTHCTL_DPOP_PROOF",
                &format!(
                    "a DPoP proof for this request, made anew for each one: OAUTHCTL_DPOP_PROOF=\"$({env}oauthctl keys dpop-proof{})\"",
                    self.profile_flag()
                ),
            );
            request.headers.push(crate::oauth::Header {
                name: "DPoP".into(),
                value: HeaderValue::Text(proof.expose().to_string()),
            });
        }
        Ok(self.plan(request, discovery, client_certificate))
    }

    fn plan(
        self,
        request: TokenRequest,
        discovery: Vec<String>,
        client_certificate: Option<(String, Value)>,
    ) -> PlannedRequest {
        let mut placeholders: Vec<Placeholder> = Vec::new();
        let mut note = |p: &Placeholder| {
            if !placeholders.iter().any(|q| q.name == p.name) {
                placeholders.push(p.clone());
            }
        };
        let mut basic = None;
        let mut headers = Vec::new();
        for header in &request.headers {
            let (name, value) = match &header.value {
                // The Basic header made from the sentinel secret.
                HeaderValue::Basic {
                    client_id,
                    secret,
                    encoding,
                } => {
                    let placeholder = self.placeholder_for(secret.expose());
                    note(&placeholder);
                    basic = Some(BasicAuth {
                        user: match encoding {
                            BasicEncoding::Form => {
                                form_urlencoded::byte_serialize(client_id.as_bytes()).collect()
                            }
                            BasicEncoding::Raw => client_id.clone(),
                        },
                        secret: placeholder.name,
                        encoding: *encoding,
                    });
                    continue;
                }
                HeaderValue::Text(value) => (&header.name, value),
            };
            // What the -v trace hides (an API key, a cookie, another Authorization) is a secret.
            let parts = if redact_header(name, value) != *value {
                let placeholder = Placeholder {
                    name: format!("OAUTHCTL_HEADER_{}", shell_name(name)),
                    stands_for: format!("the value of the {name} header (from the profile)"),
                };
                note(&placeholder);
                vec![Part::Placeholder(placeholder.name)]
            } else {
                self.parts(value, &mut note)
            };
            headers.push((name.clone(), parts));
        }
        let form = request
            .form
            .iter()
            .map(|param| {
                let parts = self.parts(&param.value, &mut note);
                // A secret given as text (`client_assertion`, `password` in params): the
                // request's own secrets are sentinels, placeholders already.
                let hidden = param.secret && parts.iter().any(|p| matches!(p, Part::Text(_)));
                if hidden {
                    let placeholder = Placeholder {
                        name: format!("OAUTHCTL_PARAM_{}", shell_name(&param.name)),
                        stands_for: format!("the {} parameter (from the profile)", param.name),
                    };
                    note(&placeholder);
                    (
                        param.name.clone(),
                        vec![Part::Placeholder(placeholder.name)],
                    )
                } else {
                    (param.name.clone(), parts)
                }
            })
            .collect();
        let url = self.url_parts(&request.url, &mut note);
        let client_certificate = client_certificate.map(|(cert, key)| {
            let key = key
                .iter()
                .flat_map(|part| match part {
                    Part::Text(text) => self.parts(text, &mut note),
                    Part::Placeholder(_) => vec![part.clone()],
                })
                .collect();
            (cert, key)
        });
        PlannedRequest {
            method: "POST",
            url,
            headers,
            basic,
            form,
            discovery,
            client_certificate,
            placeholders,
        }
    }

    fn placeholder_for(&self, sentinel: &str) -> Placeholder {
        self.sentinels
            .iter()
            .find(|(s, _)| s == sentinel)
            .map(|(_, p)| p.clone())
            .expect("a sentinel made by this planner")
    }

    /// `text` split at every sentinel.
    fn parts(&self, text: &str, note: &mut impl FnMut(&Placeholder)) -> Value {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some((at, sentinel, placeholder)) = self
            .sentinels
            .iter()
            .filter_map(|(s, p)| rest.find(s.as_str()).map(|at| (at, s, p)))
            .min_by_key(|(at, _, _)| *at)
        {
            if at > 0 {
                parts.push(Part::Text(rest[..at].to_string()));
            }
            note(placeholder);
            parts.push(Part::Placeholder(placeholder.name.clone()));
            rest = &rest[at + sentinel.len()..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        parts
    }

    /// The URL's parts, with a `user:password@` and secret query values (a token_url someone gave
    /// an `api_key=` to) left out, byte for byte otherwise.
    fn url_parts(&self, url: &str, note: &mut impl FnMut(&Placeholder)) -> Value {
        let mut text = url.to_string();
        let mut hidden: Vec<(String, Placeholder)> = Vec::new();
        if let Some((scheme, rest)) = url.split_once("://") {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            if let Some(at) = rest[..end].rfind('@') {
                let sentinel = "\u{1}userinfo\u{1}".to_string();
                text = format!("{scheme}://{sentinel}{}", &rest[at..]);
                hidden.push((
                    sentinel,
                    Placeholder {
                        name: "OAUTHCTL_URL_USERINFO".into(),
                        stands_for: "the user:password in the token URL".into(),
                    },
                ));
            }
        }
        if let Some((base, query)) = text.clone().split_once('?') {
            let pieces: Vec<String> = query
                .split('&')
                .map(|piece| {
                    let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
                    let name: String = form_urlencoded::parse(key.as_bytes())
                        .next()
                        .map(|(k, _)| k.into_owned())
                        .unwrap_or_default();
                    if SECRET_NAMES.contains(&name.as_str()) && !value.contains('\u{1}') {
                        let sentinel = format!("\u{1}query{}\u{1}", hidden.len());
                        hidden.push((
                            sentinel.clone(),
                            Placeholder {
                                name: format!("OAUTHCTL_PARAM_{}", shell_name(&name)),
                                stands_for: format!("the {name} query parameter of the token URL"),
                            },
                        ));
                        format!("{key}={sentinel}")
                    } else {
                        piece.to_string()
                    }
                })
                .collect();
            text = format!("{base}?{}", pieces.join("&"));
        }
        let mut planner = Planner {
            profile: self.profile,
            sentinels: self.sentinels.clone(),
        };
        planner.sentinels.extend(hidden);
        planner.parts(&text, note)
    }
}

/// How the client secret is named in the dry run: the profile's own env var when it has one, so
/// that the printed command runs as it is where the real run would.
fn secret_placeholder(source: Option<&SecretSource>) -> (String, String) {
    match source {
        Some(SecretSource::Env(var)) if is_shell_name(var) => (
            var.clone(),
            format!("the client secret (client_secret_env {var})"),
        ),
        Some(source) => (
            OVERRIDE_ENV.to_string(),
            format!("the client secret (read from {})", source.describe()),
        ),
        None => (OVERRIDE_ENV.to_string(), "the client secret".to_string()),
    }
}

fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A profile name as one shell word in a command line shown to the user.
fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `X-Api-Key` → `X_API_KEY`.
fn shell_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

impl PlannedRequest {
    /// Every text part, for checks that no secret got through.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let values = std::iter::once(&self.url)
            .chain(self.headers.iter().map(|(_, v)| v))
            .chain(self.form.iter().map(|(_, v)| v));
        values.flatten().filter_map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            Part::Placeholder(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GrantParams;
    use crate::resolve::{ProfileLayer, merge};

    fn profile(edit: impl FnOnce(&mut ProfileLayer)) -> Profile {
        let mut layer = ProfileLayer {
            token_url: Some("https://idp.example/token".into()),
            client_id: Some("my app".into()),
            secret: Some(SecretSource::Env("APP_SECRET".into())),
            scope: Some("read write".into()),
            headers: vec![("X-Api-Key".into(), "k3y".into())],
            params: vec![("client_assertion".into(), "eyJ.x.y".into())],
            ..Default::default()
        };
        edit(&mut layer);
        merge(
            Some("p".into()),
            layer,
            ProfileLayer::default(),
            ProfileLayer::default(),
        )
    }

    #[test]
    fn secrets_become_placeholders_and_nothing_else_changes() {
        let plan = Planner::new(&profile(|_| {}))
            .build(&Grant::ClientCredentials)
            .unwrap();
        assert_eq!(
            plan.url,
            vec![Part::Text("https://idp.example/token".into())]
        );
        let basic = plan.basic.as_ref().unwrap();
        assert_eq!(basic.user, "my+app");
        assert_eq!(basic.secret, "APP_SECRET");
        assert!(
            plan.headers
                .iter()
                .all(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        );
        let api_key = plan.headers.iter().find(|(n, _)| n == "X-Api-Key").unwrap();
        assert_eq!(
            api_key.1,
            vec![Part::Placeholder("OAUTHCTL_HEADER_X_API_KEY".into())]
        );
        let assertion = plan
            .form
            .iter()
            .find(|(n, _)| n == "client_assertion")
            .unwrap();
        assert_eq!(
            assertion.1,
            vec![Part::Placeholder("OAUTHCTL_PARAM_CLIENT_ASSERTION".into())]
        );
        assert!(
            plan.texts()
                .all(|t| !t.contains("k3y") && !t.contains("eyJ") && !t.contains('\u{1}'))
        );
        let names: Vec<_> = plan.placeholders.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "APP_SECRET",
                "OAUTHCTL_HEADER_X_API_KEY",
                "OAUTHCTL_PARAM_CLIENT_ASSERTION"
            ]
        );
    }

    #[test]
    fn post_auth_query_params_and_discovery() {
        let p = profile(|l| {
            l.token_url = None;
            l.issuer = Some("https://idp.example/tenant".into());
            l.auth_method = Some(crate::config::AuthMethod::Post);
            l.grant_params = Some(GrantParams::Query);
            l.secret = Some(SecretSource::File("/run/secret".into()));
            l.headers = vec![];
            l.params = vec![];
        });
        let plan = Planner::new(&p).build(&Grant::ClientCredentials).unwrap();
        assert_eq!(plan.discovery.len(), 2);
        assert_eq!(
            plan.url,
            vec![
                Part::Placeholder("OAUTHCTL_TOKEN_URL".into()),
                Part::Text("?grant_type=client_credentials&scope=read+write".into())
            ]
        );
        assert_eq!(
            plan.form,
            vec![
                ("client_id".into(), vec![Part::Text("my app".into())]),
                (
                    "client_secret".into(),
                    vec![Part::Placeholder("OAUTHCTL_CLIENT_SECRET".into())]
                ),
            ]
        );
    }

    #[test]
    fn url_userinfo_and_secret_query_values_are_left_out() {
        let p = profile(|l| {
            l.token_url = Some("https://u:pw@idp.example/token?api=1&access_token=abc".into());
            l.auth_method = Some(crate::config::AuthMethod::None);
        });
        let plan = Planner::new(&p).build(&Grant::ClientCredentials).unwrap();
        assert_eq!(
            plan.url,
            vec![
                Part::Text("https://".into()),
                Part::Placeholder("OAUTHCTL_URL_USERINFO".into()),
                Part::Text("@idp.example/token?api=1&access_token=".into()),
                Part::Placeholder("OAUTHCTL_PARAM_ACCESS_TOKEN".into()),
            ]
        );
    }
}
