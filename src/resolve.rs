//! Turns the config file, `OAUTHCTL_*` env vars and command-line flags into one complete `Profile`.
//!
//! Precedence, per field: flag > env var > profile > built-in default (DESIGN §2). Each source is a
//! `ProfileLayer` of optional values, so the rule is one merge function, unit-tested here with plain
//! maps standing in for the environment.

use std::fmt;

use crate::config::{Config, ProfileEntry, missing_profile};
use crate::error::{Error, Result};

pub use crate::profile::{
    DEFAULT_MIN_TTL_SECS, DEFAULT_RETRIES, DEFAULT_RETRY_MAX_SECS, DEFAULT_TIMEOUT_SECS, Profile,
    ProfileLayer, env_layer, merge,
};

/// Where a resolved value came from, for `profiles show` and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    Profile,
    Default,
    /// Read from the client's key: a Google service account's `client_email` as its client_id.
    Key,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "flag",
            Origin::Env => "env",
            Origin::Profile => "profile",
            Origin::Default => "default",
            Origin::Key => "service-account key",
        })
    }
}

impl Profile {
    /// How to name this profile in messages.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("(flags and environment)")
    }

    /// "profile `NAME`", or what stands for one when flags and env vars alone define it.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("profile `{name}`"),
            None => "the profile given by flags and environment".to_string(),
        }
    }

    /// Checks what can be checked before any secret is read or request is sent: an endpoint and a
    /// client_id are there, and the URLs are https (or loopback http).
    pub fn check_endpoints(&self) -> Result<()> {
        match (&self.token_url, &self.issuer) {
            (Some(url), _) => crate::http::check_url(url, "token_url")?,
            (None, Some(issuer)) => crate::http::check_url(issuer, "issuer")?,
            (None, None) => {
                self.require_token_url()?;
            }
        }
        if self.client_id_optional() {
            return Ok(());
        }
        self.require_client_id().map(|_| ())
    }

    /// Whether the profile may name no client at all: a token exchange or JWT bearer grant
    /// with no client authentication (RFC 8693 §2.1, RFC 7523 §2.1: a server such as Google's STS
    /// authenticates no client).
    pub fn client_id_optional(&self) -> bool {
        self.auth_method == crate::config::AuthMethod::None
            && matches!(
                self.grant,
                crate::config::GrantKind::TokenExchange | crate::config::GrantKind::JwtBearer
            )
    }

    /// The token endpoint, or a config error saying how to give one.
    pub fn require_token_url(&self) -> Result<&str> {
        if self.name.is_none() && self.token_url.is_none() {
            return Err(Error::Config(
                "no profile selected and no token URL: name a profile with -p NAME (or default_profile in the config), \
                 or give --token-url / OAUTHCTL_TOKEN_URL"
                    .into(),
            ));
        }
        self.token_url.as_deref().ok_or_else(|| {
            Error::Config(format!(
                "{} has no token_url: set it (or issuer) in the profile, or give --token-url / OAUTHCTL_TOKEN_URL",
                self.describe()
            ))
        })
    }

    pub fn require_client_id(&self) -> Result<&str> {
        if let Some(client_id) = &self.client_id {
            return Ok(client_id);
        }
        // A key that could have named the client (a service account's) but cannot be read: that
        // is the problem to report.
        if self.auth_method == crate::config::AuthMethod::PrivateKeyJwt {
            crate::oauth::credential::service_account_email(self)?;
        }
        Err(Error::Config(format!(
            "{} has no client_id: set it in the profile, or give --client-id / OAUTHCTL_CLIENT_ID",
            self.describe()
        )))
    }
}

/// The env var that overrides a config key for one run.
pub fn env_var_for(key: &str) -> String {
    // Built by hand rather than with `format!`: a cached fetch looks up two dozen of these.
    let mut name = String::with_capacity("OAUTHCTL_".len() + key.len());
    name.push_str("OAUTHCTL_");
    name.extend(key.chars().map(|c| c.to_ascii_uppercase()));
    name
}

/// `Name: value` → `("Name", "value")`, refusing what would corrupt a request.
pub fn parse_header(line: &str) -> std::result::Result<(String, String), String> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| "a header must be `Name: value` (no `:` found)".to_string())?;
    let name = name.trim();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid_name {
        return Err("the header name is empty or has characters a header name cannot have".into());
    }
    let value = value.trim();
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(format!(
            "the value of header `{name}` contains a line break"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// `key=value` → `("key", "value")`.
pub fn parse_param(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not `key=value`")),
    }
}

/// Which named profile applies: `-p`/`OAUTHCTL_PROFILE`, else the file's `default_profile`.
/// `None` means no profile: flags and env vars alone must say everything.
pub fn select_profile<'a>(
    requested: Option<&'a str>,
    config: &'a Config,
) -> Result<Option<(&'a str, &'a ProfileEntry)>> {
    let Some(name) = requested.or(config.file.default_profile.as_deref()) else {
        return Ok(None);
    };
    match config.file.profiles.get(name) {
        Some(entry) => Ok(Some((name, entry))),
        None if !config.exists => Err(Error::Config(format!(
            "profile `{name}` not found: config file `{}` does not exist (create it with `oauthctl profiles add {name} --token-url …`)",
            config.path.display()
        ))),
        None => Err(missing_profile(name, &config.file, &config.path)),
    }
}

/// Everything together: pick the profile, build its layer, merge with env and flags.
pub fn resolve(
    requested: Option<&str>,
    config: &Config,
    flags: ProfileLayer,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Profile> {
    let (name, file) = match select_profile(requested, config)? {
        Some((name, entry)) => (Some(name.to_string()), entry.to_layer(name, config)?),
        None => (None, ProfileLayer::default()),
    };
    let env = env_layer(lookup)?;
    let mut profile = merge(name, flags, env, file);
    if profile.timeout_secs == 0 {
        return Err(Error::Config(format!(
            "{}: timeout_secs must be at least 1",
            profile.describe()
        )));
    }
    // DESIGN §10: an assertion is made for one request, and lives as briefly.
    let lifetime = profile.assertion_lifetime();
    if !(1..=crate::profile::MAX_ASSERTION_LIFETIME_SECS).contains(&lifetime) {
        return Err(Error::Config(format!(
            "{}: assertion_lifetime_secs is {lifetime}; it must be from 1 to {}",
            profile.describe(),
            crate::profile::MAX_ASSERTION_LIFETIME_SECS
        )));
    }
    crate::oauth::credential::key_source(&profile)?;
    // DESIGN §10: a service account's key names its client. A key that cannot be read is not an
    // error here, where a command may not need it (`profiles show`, `cache clear`, `inspect`):
    // the request that needs the client_id reports it (`require_client_id`).
    if profile.client_id.is_none()
        && profile.auth_method == crate::config::AuthMethod::PrivateKeyJwt
        && let Ok(Some(email)) = crate::oauth::credential::service_account_email(&profile)
    {
        profile.client_id = Some(email);
        profile.origins.insert("client_id", Origin::Key);
    }
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthMethod, BasicEncoding, GrantKind, GrantParams};
    use crate::secret::SecretSource;
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::time::Duration;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn layer(scope: Option<&str>) -> ProfileLayer {
        ProfileLayer {
            scope: scope.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn precedence_is_flag_then_env_then_profile_then_default() {
        let p = merge(
            None,
            layer(Some("flag")),
            layer(Some("env")),
            layer(Some("file")),
        );
        assert_eq!(
            (p.scope.as_deref(), p.origins["scope"]),
            (Some("flag"), Origin::Flag)
        );
        let p = merge(None, layer(None), layer(Some("env")), layer(Some("file")));
        assert_eq!(
            (p.scope.as_deref(), p.origins["scope"]),
            (Some("env"), Origin::Env)
        );
        let p = merge(None, layer(None), layer(None), layer(Some("file")));
        assert_eq!(
            (p.scope.as_deref(), p.origins["scope"]),
            (Some("file"), Origin::Profile)
        );
        let p = merge(None, layer(None), layer(None), layer(None));
        assert_eq!(p.scope, None);
        assert!(!p.origins.contains_key("scope"));
        assert_eq!(
            (p.auth_method, p.origins["auth_method"]),
            (AuthMethod::Basic, Origin::Default)
        );
        assert_eq!(p.timeout(), Duration::from_secs(30));
        assert_eq!(p.basic_encoding, BasicEncoding::Form);
        assert_eq!(p.grant_params, GrantParams::Body);
        assert_eq!(p.grant, GrantKind::ClientCredentials);
    }

    #[test]
    fn env_layer_reads_every_key_and_names_bad_values() {
        let lookup = env(&[
            ("OAUTHCTL_TOKEN_URL", "https://idp/token"),
            ("OAUTHCTL_CLIENT_ID", "cid"),
            ("OAUTHCTL_CLIENT_SECRET", "s3"),
            ("OAUTHCTL_AUTH_METHOD", "post"),
            ("OAUTHCTL_GRANT_PARAMS", "query"),
            ("OAUTHCTL_BASIC_ENCODING", "raw"),
            ("OAUTHCTL_SCOPE", "a b"),
            ("OAUTHCTL_PARAMS", "tenant=acme&x=a%26b"),
            ("OAUTHCTL_HEADERS", "Accept: application/json\nX-Req: 1"),
            ("OAUTHCTL_TIMEOUT_SECS", "5"),
            ("OAUTHCTL_AUDIENCE", ""),
        ]);
        let l = env_layer(&lookup).unwrap();
        assert_eq!(l.token_url.as_deref(), Some("https://idp/token"));
        assert_eq!(l.auth_method, Some(AuthMethod::Post));
        assert_eq!(l.grant_params, Some(GrantParams::Query));
        assert_eq!(l.basic_encoding, Some(BasicEncoding::Raw));
        assert_eq!(
            l.params,
            vec![("tenant".into(), "acme".into()), ("x".into(), "a&b".into())]
        );
        assert_eq!(l.headers[1], ("X-Req".into(), "1".into()));
        assert_eq!(l.timeout_secs, Some(5));
        assert_eq!(l.audience, None, "an empty variable counts as unset");
        assert!(matches!(l.secret, Some(SecretSource::OverrideEnv(_))));

        let err = env_layer(&env(&[("OAUTHCTL_TIMEOUT_SECS", "soon")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("OAUTHCTL_TIMEOUT_SECS") && err.contains("soon"),
            "{err}"
        );
        let err = env_layer(&env(&[(
            "OAUTHCTL_HEADERS",
            "Accept: x\nAuthorization Bearer SECRET",
        )]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("OAUTHCTL_HEADERS line 2") && !err.contains("SECRET"),
            "{err}"
        );
        let err = env_layer(&env(&[("OAUTHCTL_AUTH_METHOD", "header")])).unwrap_err();
        assert!(matches!(err, Error::Config(_)));
    }

    #[test]
    fn of_several_bad_variables_the_secrets_then_the_headers_then_the_others_are_reported() {
        let first = |vars: &[(&str, &str)]| env_layer(&env(vars)).unwrap_err().to_string();
        let secrets = [
            ("OAUTHCTL_CLIENT_SECRET", "s3"),
            ("OAUTHCTL_CLIENT_SECRET_FILE", "/s"),
        ];
        let headers = ("OAUTHCTL_HEADERS", "bad header");
        let others = [
            ("OAUTHCTL_GRANT", "bad"),
            ("OAUTHCTL_AUTH_METHOD", "zzz"),
            ("OAUTHCTL_TIMEOUT_SECS", "soon"),
        ];
        let all: Vec<_> = others
            .iter()
            .chain([&headers])
            .chain(&secrets)
            .copied()
            .collect();
        assert!(first(&all).contains("keep one"), "{}", first(&all));
        let no_secret: Vec<_> = others.iter().chain([&headers]).copied().collect();
        assert!(
            first(&no_secret).contains("OAUTHCTL_HEADERS"),
            "{}",
            first(&no_secret)
        );
        assert!(
            first(&others).contains("OAUTHCTL_GRANT"),
            "{}",
            first(&others)
        );
        assert!(first(&others[1..]).contains("OAUTHCTL_AUTH_METHOD"));
    }

    #[test]
    fn maps_merge_per_key_with_the_same_precedence() {
        let file = ProfileLayer {
            params: vec![
                ("tenant".into(), "file".into()),
                ("keep".into(), "1".into()),
            ],
            headers: vec![("Accept".into(), "text/plain".into())],
            ..Default::default()
        };
        let env = ProfileLayer {
            params: vec![("tenant".into(), "env".into())],
            ..Default::default()
        };
        let flags = ProfileLayer {
            headers: vec![("accept".into(), "application/json".into())],
            ..Default::default()
        };
        let p = merge(None, flags, env, file);
        assert_eq!(
            p.params,
            vec![("tenant".into(), "env".into()), ("keep".into(), "1".into())]
        );
        assert_eq!(
            p.headers,
            vec![("accept".into(), "application/json".into())]
        );
    }

    #[test]
    fn header_and_param_syntax() {
        assert_eq!(
            parse_header("Accept:  application/json ").unwrap(),
            ("Accept".into(), "application/json".into())
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("Bad Name: x").is_err());
        assert_eq!(parse_param("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_param("=x").is_err());
        assert!(parse_param("novalue").is_err());
    }

    #[test]
    fn a_profile_with_two_secret_sources_is_refused() {
        let config = Config {
            path: PathBuf::from("/etc/o/config.toml"),
            exists: true,
            file: Default::default(),
            unsafe_for_secrets: None,
        };
        let entry = ProfileEntry {
            client_secret_env: Some("A".into()),
            client_secret_file: Some("s.txt".into()),
            ..Default::default()
        };
        let err = entry.to_layer("x", &config).unwrap_err().to_string();
        assert!(
            err.contains("client_secret_env and client_secret_file"),
            "{err}"
        );
        let entry = ProfileEntry {
            client_secret_file: Some("s.txt".into()),
            ..Default::default()
        };
        let layer = entry.to_layer("x", &config).unwrap();
        assert_eq!(
            layer.secret,
            Some(SecretSource::File("/etc/o/s.txt".into()))
        );
    }
}
