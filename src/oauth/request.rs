//! The typed token request: what a grant, the profile and the client's authentication put in it,
//! each value marked secret or not. The sender renders it on the wire (`wire_headers`,
//! `wire_form`) and masks its secrets in the trace (`secrets`); `--dry-run` renders the same
//! request as a curl command with every secret left to a shell variable.

use super::client_auth::{ClientAuth, basic_authorization};
use super::credential::Credential;
use super::grant::Grant;
use crate::config::{BasicEncoding, GrantParams};
use crate::error::Result;
use crate::resolve::Profile;
use crate::secret::Secret;

/// One form or query parameter. A secret one is masked in the trace, never put in a URL, and left
/// to a placeholder by `--dry-run`. (The transport's own form field, so that what it sends is
/// this request's form as it is.)
pub type Param = crate::http::FormField;

impl Param {
    pub fn public(name: &str, value: &str) -> Param {
        Param {
            name: name.to_string(),
            value: value.to_string(),
            secret: false,
        }
    }

    pub fn secret(name: &str, value: &Secret) -> Param {
        Param {
            name: name.to_string(),
            value: value.expose().to_string(),
            secret: true,
        }
    }
}

/// A request header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub name: String,
    pub value: HeaderValue,
}

/// A header's value: text, or HTTP Basic credentials made from the client's secret.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    Text(String),
    Basic {
        client_id: String,
        secret: Secret,
        encoding: BasicEncoding,
    },
}

impl HeaderValue {
    /// As sent.
    pub fn wire(&self) -> String {
        match self {
            HeaderValue::Text(text) => text.clone(),
            HeaderValue::Basic {
                client_id,
                secret,
                encoding,
            } => basic_authorization(client_id, secret.expose(), *encoding),
        }
    }
}

/// A request ready for the transport: a form POST to `url`.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRequest {
    pub url: String,
    pub headers: Vec<Header>,
    /// Empty: the request has no body at all (grant parameters in the query).
    pub form: Vec<Param>,
}

impl TokenRequest {
    /// The headers as sent, in order.
    pub fn wire_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|h| (h.name.clone(), h.value.wire()))
            .collect()
    }

    /// The form as sent, in order.
    pub fn wire_form(&self) -> Vec<(String, String)> {
        self.form
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect()
    }

    /// Every secret value it carries, for the trace to mask (and to scrub from a server's echo):
    /// secret parameters (a JWT's signature segment on its own too), and the client secret behind
    /// a Basic header with the header's own encoding of it.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        for param in self.form.iter().filter(|p| p.secret) {
            secrets.push(param.value.clone());
            // A server that names what it rejects may quote a JWT's signature alone (a client
            // assertion's, a subject token's).
            if param.value.matches('.').count() == 2
                && let Some((_, signature)) = param.value.rsplit_once('.')
                && signature.len() >= 16
            {
                secrets.push(signature.to_string());
            }
        }
        for header in &self.headers {
            if let HeaderValue::Basic { secret, .. } = &header.value {
                secrets.push(secret.expose().to_string());
                let wire = header.value.wire();
                if let Some((_, credentials)) = wire.split_once(' ') {
                    secrets.push(credentials.to_string());
                }
            }
        }
        secrets
    }
}

/// What the client asks access to: the profile's `scope` (RFC 6749 §3.3: one space-separated
/// string) and `audience` when `scope_and_audience` (a grant that asks anew, or the device
/// authorization request), and its `resource` always (RFC 8707 §2).
pub fn access_params(profile: &Profile, scope_and_audience: bool) -> Vec<Param> {
    let mut params = Vec::new();
    if scope_and_audience {
        if let Some(scope) = &profile.scope {
            params.push(Param::public("scope", scope));
        }
        if let Some(audience) = &profile.audience {
            params.push(Param::public("audience", audience));
        }
    }
    if let Some(resource) = &profile.resource {
        params.push(Param::public("resource", resource));
    }
    params
}

/// Builds the token request for `grant` as the profile describes it, authenticated with the
/// client's `credential`. Each call signs a new client assertion, when the client uses one.
pub fn build_request(
    profile: &Profile,
    credential: &Credential,
    grant: &Grant<'_>,
) -> Result<TokenRequest> {
    let token_url = profile.require_token_url()?;
    let auth = ClientAuth::new(profile, credential)?;
    let mut params = grant.params()?;
    params.extend(access_params(profile, grant.asks_for_scope()));
    for (k, v) in &profile.params {
        params.push(Param {
            name: k.clone(),
            value: v.clone(),
            // A secret given as a parameter (`client_assertion`, `password`) is one.
            secret: super::SECRET_NAMES.contains(&k.as_str()),
        });
    }
    let (url, form) = match profile.grant_params {
        GrantParams::Body => (token_url.to_string(), params),
        GrantParams::Query => {
            // Credentials never go in the URI (RFC 6749 §2.3.1), and neither does any other secret
            // (code, verifier, refresh token): URIs end up in server and proxy logs.
            let (secret, public): (Vec<Param>, Vec<Param>) =
                params.into_iter().partition(|p| p.secret);
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(public.iter().map(|p| (&p.name, &p.value)));
            let separator = if token_url.contains('?') { '&' } else { '?' };
            (format!("{token_url}{separator}{}", query.finish()), secret)
        }
    };
    with_client(&auth, profile, url, form)
}

/// A client-authenticated form POST to `url` (not the token endpoint: `grant_params` does not
/// apply), for the device authorization, revocation and introspection endpoints.
pub fn client_request(
    profile: &Profile,
    credential: &Credential,
    url: &str,
    params: Vec<Param>,
) -> Result<TokenRequest> {
    let auth = ClientAuth::new(profile, credential)?;
    with_client(&auth, profile, url.to_string(), params)
}

/// The request with the client's authentication and the profile's headers: `Accept`, the
/// authentication's header, then the profile's, which replace one of the same name (compared
/// without case, RFC 9110 §5.1) where it stands.
fn with_client(
    auth: &ClientAuth,
    profile: &Profile,
    url: String,
    form: Vec<Param>,
) -> Result<TokenRequest> {
    let mut headers = vec![Header {
        name: "Accept".into(),
        value: HeaderValue::Text("application/json".into()),
    }];
    headers.extend(auth.header());
    for (name, value) in &profile.headers {
        let header = Header {
            name: name.clone(),
            value: HeaderValue::Text(value.clone()),
        };
        match headers
            .iter_mut()
            .find(|h| h.name.eq_ignore_ascii_case(name))
        {
            Some(existing) => *existing = header,
            None => headers.push(header),
        }
    }
    let mut form = form;
    form.extend(auth.params()?);
    Ok(TokenRequest { url, headers, form })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthMethod;
    use crate::resolve::{ProfileLayer, merge};

    fn profile(edit: impl FnOnce(&mut ProfileLayer)) -> Profile {
        let mut layer = ProfileLayer {
            token_url: Some("https://idp.example/token".into()),
            client_id: Some("app".into()),
            ..Default::default()
        };
        edit(&mut layer);
        merge(
            Some("t".into()),
            layer,
            ProfileLayer::default(),
            ProfileLayer::default(),
        )
    }

    fn names(form: &[(String, String)]) -> Vec<&str> {
        form.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn client_credentials_with_basic_auth_keeps_the_secret_out_of_the_body() {
        let secret = Secret::new("s+/=".into());
        let p = profile(|l| l.scope = Some("read write".into()));
        let req = build_request(
            &p,
            &Credential::Secret(secret.clone()),
            &Grant::ClientCredentials,
        )
        .unwrap();
        assert_eq!(req.url, "https://idp.example/token");
        assert_eq!(
            req.wire_form(),
            vec![
                ("grant_type".into(), "client_credentials".into()),
                ("scope".into(), "read write".into())
            ]
        );
        assert!(
            req.wire_headers()
                .iter()
                .any(|(n, v)| n == "Authorization" && v.starts_with("Basic "))
        );
        let secrets = req.secrets();
        assert!(secrets.contains(&"s+/=".to_string()), "{secrets:?}");
        assert_eq!(secrets.len(), 2, "the secret and its Basic encoding");
    }

    #[test]
    fn post_auth_puts_credentials_in_the_body_and_query_mode_moves_only_grant_params() {
        let secret = Secret::new("s".into());
        let p = profile(|l| {
            l.auth_method = Some(AuthMethod::Post);
            l.grant_params = Some(GrantParams::Query);
            l.params = vec![("tenant".into(), "a b".into())];
        });
        let req = build_request(
            &p,
            &Credential::Secret(secret.clone()),
            &Grant::ClientCredentials,
        )
        .unwrap();
        assert_eq!(
            req.url,
            "https://idp.example/token?grant_type=client_credentials&tenant=a+b"
        );
        assert_eq!(
            req.wire_form(),
            vec![
                ("client_id".into(), "app".into()),
                ("client_secret".into(), "s".into())
            ]
        );
        assert!(!req.wire_headers().iter().any(|(n, _)| n == "Authorization"));
        assert_eq!(req.secrets(), ["s"]);
    }

    #[test]
    fn query_mode_never_puts_a_secret_in_the_uri() {
        let code = Secret::new("c0de".into());
        let verifier = Secret::new("v".repeat(43));
        let p = profile(|l| {
            l.auth_method = Some(AuthMethod::None);
            l.grant_params = Some(GrantParams::Query);
            l.params = vec![("client_assertion".into(), "eyJ.x.y".into())];
        });
        let grant = Grant::AuthorizationCode {
            code: &code,
            redirect_uri: Some("http://127.0.0.1/cb"),
            code_verifier: Some(&verifier),
        };
        let req = build_request(&p, &Credential::Nothing, &grant).unwrap();
        assert_eq!(
            req.url,
            "https://idp.example/token?grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
        );
        assert_eq!(
            names(&req.wire_form()),
            ["code", "code_verifier", "client_assertion", "client_id"]
        );
        let rt = Secret::new("rt".into());
        let req = build_request(
            &p,
            &Credential::Nothing,
            &Grant::RefreshToken { refresh_token: &rt },
        )
        .unwrap();
        assert_eq!(
            req.url,
            "https://idp.example/token?grant_type=refresh_token"
        );
        assert_eq!(
            req.wire_form()[0],
            ("refresh_token".to_string(), "rt".to_string())
        );
    }

    #[test]
    fn code_exchange_with_pkce_for_a_public_client() {
        let code = Secret::new("c0de".into());
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let p = profile(|l| l.auth_method = Some(AuthMethod::None));
        let grant = Grant::AuthorizationCode {
            code: &code,
            redirect_uri: Some("http://127.0.0.1/cb"),
            code_verifier: Some(&verifier),
        };
        let req = build_request(&p, &Credential::Nothing, &grant).unwrap();
        assert_eq!(
            names(&req.wire_form()),
            [
                "grant_type",
                "code",
                "redirect_uri",
                "code_verifier",
                "client_id"
            ]
        );
        assert_eq!(req.secrets(), ["c0de", verifier.expose()]);
    }

    #[test]
    fn profile_headers_override_defaults_case_insensitively() {
        let p = profile(|l| {
            l.auth_method = Some(AuthMethod::None);
            l.headers = vec![
                ("accept".into(), "application/vnd+json".into()),
                ("X-Tenant".into(), "t".into()),
            ];
        });
        let req = build_request(&p, &Credential::Nothing, &Grant::ClientCredentials).unwrap();
        assert_eq!(
            req.wire_headers(),
            vec![
                ("accept".into(), "application/vnd+json".into()),
                ("X-Tenant".into(), "t".into())
            ]
        );
        // A profile's own Authorization replaces the Basic one where it stands.
        let secret = Secret::new("s".into());
        let p = profile(|l| l.headers = vec![("authorization".into(), "Bearer x".into())]);
        let req = build_request(
            &p,
            &Credential::Secret(secret.clone()),
            &Grant::ClientCredentials,
        )
        .unwrap();
        assert_eq!(
            req.wire_headers(),
            vec![
                ("Accept".into(), "application/json".into()),
                ("authorization".into(), "Bearer x".into())
            ]
        );
    }
}
