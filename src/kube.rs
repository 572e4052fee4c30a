//! Kubernetes client-go credential plugins: the `KUBERNETES_EXEC_INFO` request and the
//! `ExecCredential` answer of `-o exec-credential`.
//!
//! kubectl (client-go) runs a kubeconfig `exec` plugin with `KUBERNETES_EXEC_INFO` set to an
//! `ExecCredential` naming the apiVersion it expects back and whether the user can be asked
//! anything (`spec.interactive`). The answer must carry that same apiVersion, or client-go refuses
//! it. See the client-go credential plugin documentation
//! (kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::untrusted::printable;

/// The env var client-go sets for an exec plugin.
pub const EXEC_INFO_ENV: &str = "KUBERNETES_EXEC_INFO";

/// The ExecCredential API versions client-go speaks today (v1alpha1 was removed in 1.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    #[default]
    V1,
    V1Beta1,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "client.authentication.k8s.io/v1",
            ApiVersion::V1Beta1 => "client.authentication.k8s.io/v1beta1",
        }
    }
}

/// What client-go asked for. Without `KUBERNETES_EXEC_INFO` (run by hand, or by an old client),
/// the answer is v1 and the session counts as interactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecInfo {
    pub api_version: ApiVersion,
    /// `spec.interactive`: false means stdin is not the user's and nobody may be prompted.
    pub interactive: bool,
}

impl Default for ExecInfo {
    fn default() -> ExecInfo {
        ExecInfo {
            api_version: ApiVersion::V1,
            interactive: true,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredentialRequest {
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    spec: Spec,
}

#[derive(Deserialize, Default)]
struct Spec {
    interactive: Option<bool>,
}

impl ExecInfo {
    /// Reads `KUBERNETES_EXEC_INFO` (unset or empty: the defaults).
    pub fn from_env() -> Result<ExecInfo> {
        match std::env::var(EXEC_INFO_ENV) {
            Ok(text) if !text.trim().is_empty() => ExecInfo::parse(&text),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(ExecInfo::default()),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::Config(format!(
                "env var {EXEC_INFO_ENV} is not UTF-8"
            ))),
        }
    }

    pub fn parse(text: &str) -> Result<ExecInfo> {
        let request: ExecCredentialRequest = serde_json::from_str(text).map_err(|e| {
            Error::Config(format!(
                "env var {EXEC_INFO_ENV} is not an ExecCredential JSON object: {e}"
            ))
        })?;
        if let Some(kind) = request.kind.as_deref()
            && kind != "ExecCredential"
        {
            return Err(Error::Config(format!(
                "env var {EXEC_INFO_ENV} has kind `{}`, expected ExecCredential",
                printable(kind, 60)
            )));
        }
        let api_version = match request.api_version.as_deref() {
            None => ApiVersion::V1,
            Some(v) if v == ApiVersion::V1.as_str() => ApiVersion::V1,
            Some(v) if v == ApiVersion::V1Beta1.as_str() => ApiVersion::V1Beta1,
            Some(other) => {
                return Err(Error::Config(format!(
                    "env var {EXEC_INFO_ENV} asks for apiVersion `{}`; oauthctl answers {} and {} \
                     (set `apiVersion` in the kubeconfig's exec block to one of them)",
                    printable(other, 80),
                    ApiVersion::V1.as_str(),
                    ApiVersion::V1Beta1.as_str()
                )));
            }
        };
        Ok(ExecInfo {
            api_version,
            // client-go always sets it; a request without it is taken at its most careful.
            interactive: request.spec.interactive.unwrap_or(false),
        })
    }
}

/// The latest instant RFC 3339 can write (9999-12-31T23:59:59Z).
const LAST_RFC3339: i64 = 253_402_300_799;

/// The `ExecCredential` for a bearer token. `expirationTimestamp` tells client-go when to run the
/// plugin again; without it, client-go keeps the token until a request is answered 401.
pub fn exec_credential(api: ApiVersion, token: &str, expires_at: Option<i64>) -> Value {
    let mut status = json!({ "token": token });
    if let Some(at) = expires_at {
        // metav1.Time is RFC 3339: an expiry beyond year 9999 is written as the last instant
        // that can be (the token outlives any client anyway).
        status["expirationTimestamp"] =
            Value::String(crate::timefmt::rfc3339(at.clamp(0, LAST_RFC3339)));
    }
    json!({
        "apiVersion": api.as_str(),
        "kind": "ExecCredential",
        "status": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_client_go_sends() {
        let v1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://k8s.example:6443","config":null},"interactive":true}}"#;
        assert_eq!(
            ExecInfo::parse(v1).unwrap(),
            ExecInfo {
                api_version: ApiVersion::V1,
                interactive: true
            }
        );
        let beta = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#;
        assert_eq!(
            ExecInfo::parse(beta).unwrap(),
            ExecInfo {
                api_version: ApiVersion::V1Beta1,
                interactive: false
            }
        );
        assert!(!ExecInfo::parse("{}").unwrap().interactive);
    }

    #[test]
    fn refuses_what_it_cannot_answer() {
        let alpha = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","spec":{}}"#;
        let err = ExecInfo::parse(alpha).unwrap_err().to_string();
        assert!(
            err.contains("v1alpha1") && err.contains(EXEC_INFO_ENV),
            "{err}"
        );
        assert!(ExecInfo::parse("not json").is_err());
        assert!(ExecInfo::parse(r#"{"kind":"Pod"}"#).is_err());
        assert!(ExecInfo::parse(r#"{"spec":{"interactive":"yes"}}"#).is_err());
    }

    #[test]
    fn the_answer_has_the_asked_version_and_an_rfc3339_expiry() {
        let v = exec_credential(ApiVersion::V1Beta1, "t", Some(1_640_589_128));
        assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1beta1");
        assert_eq!(v["status"]["expirationTimestamp"], "2021-12-27T07:12:08Z");
        let far = exec_credential(ApiVersion::V1, "t", Some(i64::MAX / 2));
        assert_eq!(far["status"]["expirationTimestamp"], "9999-12-31T23:59:59Z");
        let none = exec_credential(ApiVersion::V1, "t", None);
        assert!(none["status"].get("expirationTimestamp").is_none());
    }
}
