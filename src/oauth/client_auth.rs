//! How the client authenticates (RFC 6749 §2.3), at the token endpoint and at every other endpoint
//! of the server, which use the token endpoint's method (RFC 8628 §3.1, RFC 7009 §2.1, RFC 7662
//! §2.1). Each method knows what it adds to a request and which of it is secret. A new method is
//! a variant here, with its arms.

use std::rc::Rc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::assertion::{AssertionSigner, JWT_BEARER_ASSERTION};
use super::credential::Credential;
use super::request::{Header, HeaderValue, Param};
use crate::config::{AuthMethod, BasicEncoding};
use crate::error::{Error, Result};
use crate::resolve::Profile;
use crate::secret::Secret;

/// The client's authentication for one request.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    Basic {
        client_id: String,
        secret: Secret,
        encoding: BasicEncoding,
    },
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    Post { client_id: String, secret: Secret },
    /// A public client: it only names itself (RFC 6749 §3.2.1, §4.1.3).
    Public { client_id: String },
    /// A JWT client assertion (RFC 7523 §2.2; OpenID Connect Core §9 `private_key_jwt` and
    /// `client_secret_jwt`), new for each request; or a workload identity token as the assertion
    /// (`federated_jwt`, DESIGN §11).
    Assertion {
        client_id: String,
        assertion: Assertion,
    },
    /// The client's certificate in the TLS handshake proves it (RFC 8705 §2): the body only
    /// names the client (§2.1.1, §2.2.1).
    Tls { client_id: String },
    /// No client named at all: a token exchange or JWT bearer grant at a server that
    /// authenticates no client (`Profile::client_id_optional`).
    Unnamed,
}

/// Where a request's client assertion comes from.
#[derive(Debug, Clone)]
pub enum Assertion {
    /// Signed when the request is made, for `audience`.
    Signed {
        signer: Rc<AssertionSigner>,
        audience: String,
    },
    /// Given whole: a workload identity token, or `--dry-run`'s stand-in.
    /// (Also a JWT bearer grant's assertion, `Grant::JwtBearer`.)
    Given(Secret),
}

impl Assertion {
    /// The assertion a request carries: signed now, so that every request (a retry included)
    /// has its own (RFC 7523 §3 item 7), or the one given.
    pub fn for_request(&self) -> Result<Secret> {
        match self {
            Assertion::Signed { signer, audience } => {
                let now = u64::try_from(crate::timefmt::now()).unwrap_or(0);
                signer.mint(audience, now)
            }
            Assertion::Given(given) => Ok(given.clone()),
        }
    }
}

impl ClientAuth {
    /// The profile's method with the run's credential. `profile` is the one the request goes
    /// out with (its endpoints discovered), for an assertion's audience.
    pub fn new(profile: &Profile, credential: &Credential) -> Result<ClientAuth> {
        if profile.client_id.is_none() && profile.client_id_optional() {
            return Ok(ClientAuth::Unnamed);
        }
        let client_id = profile.require_client_id()?.to_string();
        let mismatch = || {
            Error::Internal(format!(
                "{} client authentication with {credential:?}",
                profile.auth_method.as_str()
            ))
        };
        let secret = || match credential {
            Credential::Secret(secret) => Ok(secret.clone()),
            _ => Err(mismatch()),
        };
        Ok(match profile.auth_method {
            AuthMethod::Basic => ClientAuth::Basic {
                client_id,
                secret: secret()?,
                encoding: profile.basic_encoding,
            },
            AuthMethod::Post => ClientAuth::Post {
                client_id,
                secret: secret()?,
            },
            AuthMethod::None => ClientAuth::Public { client_id },
            AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt | AuthMethod::FederatedJwt => {
                let assertion = match credential {
                    Credential::Signer(signer) => Assertion::Signed {
                        signer: signer.clone(),
                        audience: assertion_audience(profile)?,
                    },
                    Credential::Assertion(given) => Assertion::Given(given.clone()),
                    _ => return Err(mismatch()),
                };
                ClientAuth::Assertion {
                    client_id,
                    assertion,
                }
            }
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
                ClientAuth::Tls { client_id }
            }
        })
    }

    /// Whether `method` needs the client secret, which the run must then read.
    pub fn needs_secret(method: AuthMethod) -> bool {
        match method {
            AuthMethod::Basic | AuthMethod::Post | AuthMethod::ClientSecretJwt => true,
            AuthMethod::None
            | AuthMethod::PrivateKeyJwt
            | AuthMethod::TlsClientAuth
            | AuthMethod::SelfSignedTlsClientAuth
            | AuthMethod::FederatedJwt => false,
        }
    }

    /// The header it adds, if any.
    pub fn header(&self) -> Option<Header> {
        match self {
            ClientAuth::Basic {
                client_id,
                secret,
                encoding,
            } => Some(Header {
                name: "Authorization".into(),
                value: HeaderValue::Basic {
                    client_id: client_id.clone(),
                    secret: secret.clone(),
                    encoding: *encoding,
                },
            }),
            ClientAuth::Post { .. }
            | ClientAuth::Public { .. }
            | ClientAuth::Assertion { .. }
            | ClientAuth::Tls { .. }
            | ClientAuth::Unnamed => None,
        }
    }

    /// The form parameters it adds, after the request's own: a client assertion is signed here,
    /// so each call makes a new one.
    pub fn params(&self) -> Result<Vec<Param>> {
        Ok(match self {
            ClientAuth::Basic { .. } | ClientAuth::Unnamed => Vec::new(),
            ClientAuth::Post { client_id, secret } => vec![
                Param::public("client_id", client_id),
                Param::secret("client_secret", secret),
            ],
            ClientAuth::Public { client_id } | ClientAuth::Tls { client_id } => {
                vec![Param::public("client_id", client_id)]
            }
            ClientAuth::Assertion {
                client_id,
                assertion,
            } => {
                let assertion = assertion.for_request()?;
                // RFC 7523 §2.2 and RFC 7521 §4.2: client_id is optional beside an assertion;
                // sent, as Microsoft Entra ID requires it and no server refuses it.
                vec![
                    Param::public("client_id", client_id),
                    Param::public("client_assertion_type", JWT_BEARER_ASSERTION),
                    Param::secret("client_assertion", &assertion),
                ]
            }
        })
    }
}

/// The `aud` of the profile's client assertions (DESIGN §10): the token endpoint in use (its mTLS
/// alias when there is one), for every request to the server, revocation and introspection
/// included; the issuer identifier; or the literal the profile gives.
pub fn assertion_audience(profile: &Profile) -> Result<String> {
    match profile.assertion_audience.as_deref() {
        None | Some("token_endpoint") => Ok(profile.require_token_url()?.to_string()),
        Some("issuer") => profile.issuer.clone().ok_or_else(|| {
            Error::Config(format!(
                "{} has assertion_audience = \"issuer\" but no issuer: set issuer, or give the audience itself",
                profile.describe()
            ))
        }),
        Some(literal) => Ok(literal.to_string()),
    }
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded (Appendix B) before base64, unless the
/// profile says the server compares them raw.
pub fn basic_authorization(client_id: &str, secret: &str, encoding: BasicEncoding) -> String {
    let pair = match encoding {
        BasicEncoding::Form => format!("{}:{}", form_encode(client_id), form_encode(secret)),
        BasicEncoding::Raw => format!("{client_id}:{secret}"),
    };
    format!("Basic {}", STANDARD.encode(pair))
}

/// `application/x-www-form-urlencoded` (RFC 6749 Appendix B).
pub fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_matches_the_rfc_6749_vector() {
        // The Basic test vector of docs/security.md, SECURITY 24 (AppAuth-Android#337).
        let header = basic_authorization(
            "1PpG/Q 1",
            "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=",
            BasicEncoding::Form,
        );
        assert_eq!(
            header,
            "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA=="
        );
        assert_eq!(
            basic_authorization("app", "secret", BasicEncoding::Raw),
            "Basic YXBwOnNlY3JldA=="
        );
    }

    #[test]
    fn each_method_knows_what_of_it_is_secret() {
        let secret = Secret::new("s".into());
        let post = ClientAuth::Post {
            client_id: "app".into(),
            secret: secret.clone(),
        };
        let params = post.params().unwrap();
        let flags: Vec<(&str, bool)> = params.iter().map(|p| (p.name.as_str(), p.secret)).collect();
        assert_eq!(flags, [("client_id", false), ("client_secret", true)]);
        assert!(post.header().is_none());
        let public = ClientAuth::Public {
            client_id: "app".into(),
        };
        assert!(public.params().unwrap().iter().all(|p| !p.secret));
        let basic = ClientAuth::Basic {
            client_id: "app".into(),
            secret,
            encoding: BasicEncoding::Form,
        };
        assert!(basic.params().unwrap().is_empty());
        assert!(matches!(
            basic.header().map(|h| h.value),
            Some(HeaderValue::Basic { .. })
        ));
        for (method, needs) in [
            (AuthMethod::Basic, true),
            (AuthMethod::Post, true),
            (AuthMethod::ClientSecretJwt, true),
            (AuthMethod::None, false),
            (AuthMethod::PrivateKeyJwt, false),
            (AuthMethod::TlsClientAuth, false),
            (AuthMethod::SelfSignedTlsClientAuth, false),
        ] {
            assert_eq!(ClientAuth::needs_secret(method), needs, "{method:?}");
        }
    }
}
