//! Turns the config file, `OAUTHCTL_*` env vars and command-line flags into one complete `Profile`.
//!
//! Precedence, per field: flag > env var > profile > built-in default (DESIGN §2). Each source is a
//! `ProfileLayer` of optional values, so the rule is one merge function, unit-tested here with plain
//! maps standing in for the environment.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::config::{
    AuthMethod, BasicEncoding, Config, Grant, GrantParams, ProfileEntry, missing_profile,
};
use crate::error::{Error, Result};
use crate::secret::{OVERRIDE_ENV, SecretSource};

pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_MIN_TTL_SECS: u64 = 60;
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_MAX_SECS: u64 = 30;

/// Optional values from one source. `params`/`headers` merge per key; everything else is whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileLayer {
    pub token_url: Option<String>,
    pub issuer: Option<String>,
    pub authorization_url: Option<String>,
    pub device_authorization_url: Option<String>,
    pub revocation_url: Option<String>,
    pub introspection_url: Option<String>,
    pub jwks_uri: Option<String>,
    pub grant: Option<Grant>,
    pub client_id: Option<String>,
    pub secret: Option<SecretSource>,
    pub auth_method: Option<AuthMethod>,
    pub basic_encoding: Option<BasicEncoding>,
    pub grant_params: Option<GrantParams>,
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub redirect_uri: Option<String>,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub timeout_secs: Option<u64>,
    pub ca_file: Option<PathBuf>,
    pub min_ttl_secs: Option<u64>,
    pub retries: Option<u32>,
    pub retry_max_secs: Option<u64>,
}

/// Where a resolved value came from, for `profiles show` and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    Profile,
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "flag",
            Origin::Env => "env",
            Origin::Profile => "profile",
            Origin::Default => "default",
        })
    }
}

/// A complete, checked profile: everything a token request needs except the secret's value.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name, or `None` when flags and env vars alone define it.
    pub name: Option<String>,
    pub token_url: Option<String>,
    pub issuer: Option<String>,
    pub authorization_url: Option<String>,
    pub device_authorization_url: Option<String>,
    pub revocation_url: Option<String>,
    pub introspection_url: Option<String>,
    pub jwks_uri: Option<String>,
    pub grant: Grant,
    pub client_id: Option<String>,
    pub secret: Option<SecretSource>,
    pub auth_method: AuthMethod,
    pub basic_encoding: BasicEncoding,
    pub grant_params: GrantParams,
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub redirect_uri: Option<String>,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub min_ttl_secs: u64,
    pub retries: u32,
    pub retry_max_secs: u64,
    /// Where each field that has a value came from, keyed by config key name.
    pub origins: BTreeMap<&'static str, Origin>,
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
        self.require_client_id().map(|_| ())
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
        self.client_id.as_deref().ok_or_else(|| {
            Error::Config(format!(
                "{} has no client_id: set it in the profile, or give --client-id / OAUTHCTL_CLIENT_ID",
                self.describe()
            ))
        })
    }
}

impl ProfileEntry {
    /// The file's view as a layer. `path` and `name` only serve error messages.
    pub fn to_layer(&self, name: &str, config: &Config) -> Result<ProfileLayer> {
        let mut sources = Vec::new();
        if let Some(value) = &self.client_secret {
            sources.push((
                "client_secret",
                SecretSource::Literal(crate::secret::Secret::new(value.clone())),
            ));
        }
        if let Some(var) = &self.client_secret_env {
            sources.push(("client_secret_env", SecretSource::Env(var.clone())));
        }
        if let Some(path) = &self.client_secret_file {
            sources.push((
                "client_secret_file",
                SecretSource::File(relative_to(path, &config.path)),
            ));
        }
        if let Some(argv) = &self.client_secret_command {
            if argv.is_empty() {
                return Err(Error::Config(format!(
                    "profile `{name}` in `{}`: client_secret_command is an empty list; give the program and its arguments",
                    config.path.display()
                )));
            }
            sources.push(("client_secret_command", SecretSource::Command(argv.clone())));
        }
        if sources.len() > 1 {
            let keys: Vec<&str> = sources.iter().map(|(k, _)| *k).collect();
            return Err(Error::Config(format!(
                "profile `{name}` in `{}` sets {}; keep exactly one secret source",
                config.path.display(),
                keys.join(" and ")
            )));
        }
        Ok(ProfileLayer {
            token_url: self.token_url.clone(),
            issuer: self.issuer.clone(),
            authorization_url: self.authorization_url.clone(),
            device_authorization_url: self.device_authorization_url.clone(),
            revocation_url: self.revocation_url.clone(),
            introspection_url: self.introspection_url.clone(),
            jwks_uri: self.jwks_uri.clone(),
            grant: self.grant,
            client_id: self.client_id.clone(),
            secret: sources.pop().map(|(_, s)| s),
            auth_method: self.auth_method,
            basic_encoding: self.basic_encoding,
            grant_params: self.grant_params,
            scope: self.scope.clone(),
            audience: self.audience.clone(),
            resource: self.resource.clone(),
            redirect_uri: self.redirect_uri.clone(),
            params: self
                .params
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            headers: self
                .headers
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            timeout_secs: self.timeout_secs,
            ca_file: self.ca_file.as_ref().map(|p| relative_to(p, &config.path)),
            min_ttl_secs: self.min_ttl_secs,
            retries: self.retries,
            retry_max_secs: self.retry_max_secs,
        })
    }
}

/// Relative paths in the config file are relative to the file, not to the working directory.
fn relative_to(path: &Path, config_path: &Path) -> PathBuf {
    match config_path.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
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

/// Reads `OAUTHCTL_*` overrides through `lookup` (the real environment, or a map in tests).
/// Empty values count as unset, as CI systems often define variables they leave empty.
pub fn env_layer(lookup: &dyn Fn(&str) -> Option<String>) -> Result<ProfileLayer> {
    let get = |key: &str| lookup(&env_var_for(key)).filter(|v| !v.is_empty());
    fn parsed<T: FromStr>(key: &str, value: Option<String>) -> Result<Option<T>>
    where
        T::Err: fmt::Display,
    {
        value
            .map(|v| {
                v.parse::<T>().map_err(|e| {
                    Error::Config(format!(
                        "env var {}: `{v}` is not valid: {e}",
                        env_var_for(key)
                    ))
                })
            })
            .transpose()
    }
    let secret = match (
        lookup(OVERRIDE_ENV).filter(|v| !v.is_empty()),
        get("client_secret_file"),
    ) {
        (Some(_), Some(_)) => {
            return Err(Error::Config(format!(
                "both {OVERRIDE_ENV} and OAUTHCTL_CLIENT_SECRET_FILE are set; keep one"
            )));
        }
        (Some(value), None) => Some(SecretSource::OverrideEnv(crate::secret::Secret::new(value))),
        (None, Some(path)) => Some(SecretSource::File(PathBuf::from(path))),
        (None, None) => None,
    };
    let params = match get("params") {
        Some(v) => form_urlencoded::parse(v.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        None => Vec::new(),
    };
    let headers = match get("headers") {
        Some(v) => v
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                parse_header(l).map_err(|e| {
                    Error::Config(format!("env var OAUTHCTL_HEADERS line {}: {e}", n + 1))
                })
            })
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    Ok(ProfileLayer {
        token_url: get("token_url"),
        issuer: get("issuer"),
        authorization_url: get("authorization_url"),
        device_authorization_url: get("device_authorization_url"),
        revocation_url: get("revocation_url"),
        introspection_url: get("introspection_url"),
        jwks_uri: get("jwks_uri"),
        grant: parsed("grant", get("grant"))?,
        client_id: get("client_id"),
        secret,
        auth_method: parsed("auth_method", get("auth_method"))?,
        basic_encoding: parsed("basic_encoding", get("basic_encoding"))?,
        grant_params: parsed("grant_params", get("grant_params"))?,
        scope: get("scope"),
        audience: get("audience"),
        resource: get("resource"),
        redirect_uri: get("redirect_uri"),
        params,
        headers,
        timeout_secs: parsed("timeout_secs", get("timeout_secs"))?,
        ca_file: get("ca_file").map(PathBuf::from),
        min_ttl_secs: parsed("min_ttl_secs", get("min_ttl_secs"))?,
        retries: parsed("retries", get("retries"))?,
        retry_max_secs: parsed("retry_max_secs", get("retry_max_secs"))?,
    })
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

/// Merges the layers: flag > env > profile > default.
pub fn merge(
    name: Option<String>,
    flags: ProfileLayer,
    env: ProfileLayer,
    file: ProfileLayer,
) -> Profile {
    let mut origins = BTreeMap::new();
    macro_rules! pick {
        ($field:ident, $key:literal) => {{
            let picked = [
                (flags.$field, Origin::Flag),
                (env.$field, Origin::Env),
                (file.$field, Origin::Profile),
            ]
            .into_iter()
            .find_map(|(v, o)| v.map(|v| (v, o)));
            picked.map(|(v, o)| {
                origins.insert($key, o);
                v
            })
        }};
    }
    macro_rules! or_default {
        ($value:expr, $key:literal, $default:expr) => {
            $value.unwrap_or_else(|| {
                origins.insert($key, Origin::Default);
                $default
            })
        };
    }
    let mut merge_map = |key: &'static str,
                         layers: [(Vec<(String, String)>, Origin); 3],
                         case_insensitive: bool| {
        let mut out: Vec<(String, String)> = Vec::new();
        // Lowest precedence first, so later layers replace earlier entries with the same name.
        for (entries, origin) in layers.into_iter().rev() {
            if !entries.is_empty() {
                origins.insert(key, origin);
            }
            for (k, v) in entries {
                let same = |e: &(String, String)| {
                    if case_insensitive {
                        e.0.eq_ignore_ascii_case(&k)
                    } else {
                        e.0 == k
                    }
                };
                match out.iter_mut().find(|e| same(e)) {
                    Some(existing) => *existing = (k, v),
                    None => out.push((k, v)),
                }
            }
        }
        out
    };
    let params = merge_map(
        "params",
        [
            (flags.params, Origin::Flag),
            (env.params, Origin::Env),
            (file.params, Origin::Profile),
        ],
        false,
    );
    let headers = merge_map(
        "headers",
        [
            (flags.headers, Origin::Flag),
            (env.headers, Origin::Env),
            (file.headers, Origin::Profile),
        ],
        true,
    );
    let token_url = pick!(token_url, "token_url");
    let issuer = pick!(issuer, "issuer");
    let authorization_url = pick!(authorization_url, "authorization_url");
    let device_authorization_url = pick!(device_authorization_url, "device_authorization_url");
    let revocation_url = pick!(revocation_url, "revocation_url");
    let introspection_url = pick!(introspection_url, "introspection_url");
    let jwks_uri = pick!(jwks_uri, "jwks_uri");
    let grant = pick!(grant, "grant");
    let client_id = pick!(client_id, "client_id");
    let secret = pick!(secret, "client_secret");
    let auth_method = pick!(auth_method, "auth_method");
    let basic_encoding = pick!(basic_encoding, "basic_encoding");
    let grant_params = pick!(grant_params, "grant_params");
    let scope = pick!(scope, "scope");
    let audience = pick!(audience, "audience");
    let resource = pick!(resource, "resource");
    let redirect_uri = pick!(redirect_uri, "redirect_uri");
    let timeout_secs = pick!(timeout_secs, "timeout_secs");
    let ca_file = pick!(ca_file, "ca_file");
    let min_ttl_secs = pick!(min_ttl_secs, "min_ttl_secs");
    let retries = pick!(retries, "retries");
    let retry_max_secs = pick!(retry_max_secs, "retry_max_secs");
    Profile {
        name,
        token_url,
        issuer,
        authorization_url,
        device_authorization_url,
        revocation_url,
        introspection_url,
        jwks_uri,
        grant: or_default!(grant, "grant", Grant::ClientCredentials),
        client_id,
        secret,
        auth_method: or_default!(auth_method, "auth_method", AuthMethod::Basic),
        basic_encoding: or_default!(basic_encoding, "basic_encoding", BasicEncoding::Form),
        grant_params: or_default!(grant_params, "grant_params", GrantParams::Body),
        scope,
        audience,
        resource,
        redirect_uri,
        params,
        headers,
        timeout: Duration::from_secs(or_default!(
            timeout_secs,
            "timeout_secs",
            DEFAULT_TIMEOUT_SECS
        )),
        ca_file,
        min_ttl_secs: or_default!(min_ttl_secs, "min_ttl_secs", DEFAULT_MIN_TTL_SECS),
        retries: or_default!(retries, "retries", DEFAULT_RETRIES),
        retry_max_secs: or_default!(retry_max_secs, "retry_max_secs", DEFAULT_RETRY_MAX_SECS),
        origins,
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
    let profile = merge(name, flags, env, file);
    if profile.timeout.is_zero() {
        return Err(Error::Config(format!(
            "{}: timeout_secs must be at least 1",
            profile.describe()
        )));
    }
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
        assert_eq!(p.timeout, Duration::from_secs(30));
        assert_eq!(p.basic_encoding, BasicEncoding::Form);
        assert_eq!(p.grant_params, GrantParams::Body);
        assert_eq!(p.grant, Grant::ClientCredentials);
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
