//! The grants a token request can carry (RFC 6749 §4.1.3, §4.4.2, §6; RFC 8628 §3.4): each knows
//! its parameters, which of them are secret, whether it asks for what to grant, and whether a
//! request that failed may be sent again. A new grant is a variant here, with its arms.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::client_auth::Assertion;
use super::request::Param;
use crate::http::Resend;
use crate::secret::Secret;

/// The grant being requested, with its grant-specific parameters.
#[derive(Debug)]
pub enum Grant<'a> {
    /// RFC 6749 §4.4.2.
    ClientCredentials,
    /// RFC 6749 §4.1.3, with the RFC 7636 §4.5 verifier when PKCE was used.
    AuthorizationCode {
        code: &'a Secret,
        redirect_uri: Option<&'a str>,
        code_verifier: Option<&'a Secret>,
    },
    /// RFC 6749 §6.
    RefreshToken { refresh_token: &'a Secret },
    /// RFC 8628 §3.4: polling with the device code.
    DeviceCode { device_code: &'a Secret },
    /// RFC 8693 §2.1: a token exchanged for another (a workload identity token, DESIGN §11).
    TokenExchange {
        subject_token: &'a Secret,
        /// A token type URI (§3).
        subject_token_type: &'a str,
        requested_token_type: Option<&'a str>,
    },
    /// RFC 7523 §2.1: a JWT as the authorization grant: a workload identity token, or one signed
    /// here for each request.
    JwtBearer { assertion: &'a Assertion },
}

/// RFC 8693 §2.1's grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 7523 §2.1's grant type.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A token exchange's `subject_token_type` (default `jwt`) and `requested_token_type` from the
/// profile, as URIs.
pub fn exchange_token_types(profile: &crate::resolve::Profile) -> (String, Option<String>) {
    (
        token_type_uri(profile.subject_token_type.as_deref().unwrap_or("jwt")),
        profile.requested_token_type.as_deref().map(token_type_uri),
    )
}

/// A token type (RFC 8693 §3) from a profile: a shorthand (`jwt`, `id_token`, `access_token`,
/// `refresh_token`, `saml1`, `saml2`) or the URI itself.
pub fn token_type_uri(text: &str) -> String {
    match text {
        "jwt" | "id_token" | "access_token" | "refresh_token" | "saml1" | "saml2" => {
            format!("urn:ietf:params:oauth:token-type:{text}")
        }
        uri => uri.to_string(),
    }
}

/// RFC 8628 §3.4's grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

impl Grant<'_> {
    /// The `grant_type` value.
    pub fn grant_type(&self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::RefreshToken { .. } => "refresh_token",
            Grant::DeviceCode { .. } => DEVICE_CODE_GRANT,
            Grant::TokenExchange { .. } => TOKEN_EXCHANGE_GRANT,
            Grant::JwtBearer { .. } => JWT_BEARER_GRANT,
        }
    }

    /// Its parameters, `grant_type` first, each marked secret or not. An assertion signed here
    /// is signed at each call, so each request has its own.
    pub fn params(&self) -> crate::error::Result<Vec<Param>> {
        let mut params = vec![Param::public("grant_type", self.grant_type())];
        match self {
            Grant::ClientCredentials => {}
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                params.push(Param::secret("code", code));
                if let Some(uri) = redirect_uri {
                    params.push(Param::public("redirect_uri", uri));
                }
                if let Some(verifier) = code_verifier {
                    params.push(Param::secret("code_verifier", verifier));
                }
            }
            Grant::RefreshToken { refresh_token } => {
                params.push(Param::secret("refresh_token", refresh_token));
            }
            Grant::DeviceCode { device_code } => {
                params.push(Param::secret("device_code", device_code));
            }
            Grant::TokenExchange {
                subject_token,
                subject_token_type,
                requested_token_type,
            } => {
                if let Some(requested) = requested_token_type {
                    params.push(Param::public("requested_token_type", requested));
                }
                params.push(Param::secret("subject_token", subject_token));
                params.push(Param::public("subject_token_type", subject_token_type));
            }
            Grant::JwtBearer { assertion } => {
                params.push(Param::secret("assertion", &assertion.for_request()?));
            }
        }
        Ok(params)
    }

    /// Whether the request asks for what to grant (`scope`, RFC 6749 §3.3, and `audience`): only
    /// a client_credentials request decides that at the token endpoint. A code carries its grant
    /// (§4.1.3), a refresh without a scope keeps the original one (§6), and a device code carries
    /// what its authorization request asked for (RFC 8628 §3.1).
    pub fn asks_for_scope(&self) -> bool {
        // A token exchange names what it wants (RFC 8693 §2.1: audience, resource, scope), and so
        // does a JWT bearer grant (RFC 7523 §2.1: scope).
        matches!(
            self,
            Grant::ClientCredentials | Grant::TokenExchange { .. } | Grant::JwtBearer { .. }
        )
    }

    /// What an answer to this grant must hold beyond a token (RFC 6749 §5.1): a token exchange's
    /// `issued_token_type` is REQUIRED (RFC 8693 §2.2.1); without it the answer is no exchange.
    pub fn check_answer(&self, token: &super::TokenResponse) -> crate::error::Result<()> {
        match self {
            Grant::TokenExchange { .. }
                if !token
                    .fields
                    .get("issued_token_type")
                    .is_some_and(serde_json::Value::is_string) =>
            {
                Err(crate::error::Error::unreachable(
                    "the answer has no issued_token_type (RFC 8693 §2.2.1), so it is not a token exchange response",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether a failed request may be sent again (DESIGN §6).
    pub fn resend(&self) -> Resend {
        match self {
            // Asking again for a client_credentials token changes nothing at the server, nor does
            // presenting the same identity token or assertion again within its lifetime.
            Grant::ClientCredentials | Grant::TokenExchange { .. } | Grant::JwtBearer { .. } => {
                Resend::Always
            }
            // A rotating refresh token may be spent once the request is out (RFC 9700 §4.14.2);
            // a lost poll is simply the next poll (RFC 8628 §3.5).
            Grant::RefreshToken { .. } | Grant::DeviceCode { .. } => Resend::IfUnsent,
            // A code is single-use (RFC 6749 §4.1.2).
            Grant::AuthorizationCode { .. } => Resend::Never,
        }
    }

    /// Whether a demand for a DPoP nonce is answered at once by the same request with the nonce
    /// (RFC 9449 §8). A device poll is not: the next poll carries the nonce, at the interval
    /// (RFC 8628 §3.5), as the server counts every request as a poll and answers one too soon
    /// with `slow_down`.
    pub fn answers_nonce_at_once(&self) -> bool {
        !matches!(self, Grant::DeviceCode { .. })
    }
}

/// RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier))), unpadded.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn each_grant_knows_its_secrets_and_whether_it_may_be_resent() {
        let (code, verifier, rt, dc) = (
            Secret::new("c".into()),
            Secret::new("v".into()),
            Secret::new("r".into()),
            Secret::new("d".into()),
        );
        let grants = [
            (Grant::ClientCredentials, vec![], Resend::Always, true),
            (
                Grant::AuthorizationCode {
                    code: &code,
                    redirect_uri: Some("http://127.0.0.1/cb"),
                    code_verifier: Some(&verifier),
                },
                vec!["code", "code_verifier"],
                Resend::Never,
                false,
            ),
            (
                Grant::RefreshToken { refresh_token: &rt },
                vec!["refresh_token"],
                Resend::IfUnsent,
                false,
            ),
            (
                Grant::DeviceCode { device_code: &dc },
                vec!["device_code"],
                Resend::IfUnsent,
                false,
            ),
        ];
        for (grant, secret, resend, scope) in grants {
            let params = grant.params().unwrap();
            assert_eq!(params[0].name, "grant_type");
            assert_eq!(params[0].value, grant.grant_type());
            let secrets: Vec<&str> = params
                .iter()
                .filter(|p| p.secret)
                .map(|p| p.name.as_str())
                .collect();
            assert_eq!(secrets, secret, "{grant:?}");
            assert_eq!(grant.resend(), resend, "{grant:?}");
            assert_eq!(grant.asks_for_scope(), scope, "{grant:?}");
        }
    }
}
