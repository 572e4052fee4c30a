//! The profile: every field declared once, in `profile_fields!`, and what follows from that table
//! (see docs/design.md §8).
//!
//! A field's entry names its key, its kind (`kinds::Kind`: how it is read from the file and from
//! `OAUTHCTL_<KEY>`, merged, shown and written), the type one layer of it has, its built-in
//! default, its per-run flag and its `profiles add` flag (each with its help text). From the table:
//! - here: the file model (`ProfileEntry`), the known keys (`PROFILE_KEYS`), a layer of values
//!   (`ProfileLayer`: the file's, the environment's and the flags'), the merge into a complete
//!   `Profile` with each value's origin, what `profiles show` prints and what `profiles add` writes;
//! - in `cli/mod.rs`: the override flags (`Overrides`) and `profiles add`'s (`AddArgs`), and their
//!   conversion into a layer.
//!
//! Each of those lists every field of the table, so a field cannot be forgotten in one of them: a
//! struct literal would not compile. The client secret is the one field written by hand in each
//! place: four keys in the file (`client_secret`, `_env`, `_file`, `_command`), exactly one of
//! which may be set, two variables, and flags that differ between `fetch` and `profiles add`.

pub mod kinds;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::{
    AuthMethod, BasicEncoding, Config, DpopAlg, GrantKind, GrantParams, IdentityPlatform,
    SigningAlg,
};
use crate::error::{Error, Result};
use crate::resolve::{Origin, env_var_for};
use crate::secret::{OVERRIDE_ENV, Secret, SecretSource};
use kinds::{FilePath, Headers, Keyword, Kind, Number, Params, Program, Switch, Text, Url};

pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_MIN_TTL_SECS: u64 = 60;
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_MAX_SECS: u64 = 30;
pub const DEFAULT_ASSERTION_LIFETIME_SECS: u64 = 60;
/// The longest a client assertion may live (DESIGN §10): it is made for one request.
pub const MAX_ASSERTION_LIFETIME_SECS: u64 = 300;

/// The profile fields, in the order the file, `profiles show` and `profiles add` list them:
/// `$callback!` is given the table. Each entry is
/// `key: Kind as LayerType { default: [expr?], flag: [attributes], add: [attributes] }`, where
/// `flag` is the per-run override flag (`fetch`, `exchange-code`, `login`, `revoke`,
/// `introspect`, `inspect`) and `add` the `profiles add` one, each `#[arg(skip)]` when there is
/// none. The client secret sits between the two halves.
macro_rules! profile_fields {
    ($callback:ident) => {
        $callback! {
            before_secret {
                token_url: Url as Option<String> {
                    default: [],
                    flag: [
                        /// Token endpoint URL [env: OAUTHCTL_TOKEN_URL]
                        #[arg(long, value_name = "URL")]
                    ],
                    add: [
                        /// Token endpoint URL
                        #[arg(long, value_name = "URL", required_unless_present = "issuer")]
                    ],
                },
                issuer: Url as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Issuer URL (for discovery instead of token_url)
                        #[arg(long, value_name = "URL")]
                    ],
                },
                authorization_url: Url as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Authorization endpoint, for `login` (else from the issuer's metadata)
                        #[arg(long, value_name = "URL")]
                    ],
                },
                device_authorization_url: Url as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Device authorization endpoint (RFC 8628), for `login --device` (else from the issuer's metadata)
                        #[arg(long, value_name = "URL")]
                    ],
                },
                revocation_url: Url as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Revocation endpoint (RFC 7009), for `revoke` (else from the issuer's metadata)
                        #[arg(long, value_name = "URL")]
                    ],
                },
                introspection_url: Url as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Introspection endpoint (RFC 7662), for `introspect` (else from the issuer's metadata)
                        #[arg(long, value_name = "URL")]
                    ],
                },
                jwks_uri: Url as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// The issuer's JSON Web Key Set (else from the issuer's metadata)
                        #[arg(long, value_name = "URL")]
                    ],
                },
                grant: Keyword<GrantKind> as Option<GrantKind> {
                    default: [GrantKind::ClientCredentials],
                    flag: [#[arg(skip)]],
                    add: [
                        /// What `fetch` does [default: client_credentials]
                        #[arg(long, value_name = "GRANT", value_parser = keyword::<GrantKind>(GrantKind::NAMES))]
                    ],
                },
                client_id: Text as Option<String> {
                    default: [],
                    flag: [
                        /// Client identifier [env: OAUTHCTL_CLIENT_ID]
                        #[arg(long, value_name = "ID")]
                    ],
                    add: [
                        /// Client identifier
                        #[arg(long, value_name = "ID")]
                    ],
                },
            }
            after_secret {
                auth_method: Keyword<AuthMethod> as Option<AuthMethod> {
                    default: [AuthMethod::Basic],
                    flag: [
                        /// Client authentication (RFC 6749 §2.3.1) [env: OAUTHCTL_AUTH_METHOD] [default: basic]
                        #[arg(long, value_name = "METHOD", value_parser = keyword::<AuthMethod>(AuthMethod::NAMES))]
                    ],
                    add: [
                        /// Client authentication (RFC 6749 §2.3.1) [default: basic]
                        #[arg(long, value_name = "METHOD", value_parser = keyword::<AuthMethod>(AuthMethod::NAMES))]
                    ],
                },
                basic_encoding: Keyword<BasicEncoding> as Option<BasicEncoding> {
                    default: [BasicEncoding::Form],
                    flag: [
                        /// Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING]
                        /// [default: form]
                        #[arg(long, value_name = "ENCODING", value_parser = keyword::<BasicEncoding>(BasicEncoding::NAMES))]
                    ],
                    add: [
                        /// Basic credentials: form-urlencoded first (form) or raw [default: form]
                        #[arg(long, value_name = "ENCODING", value_parser = keyword::<BasicEncoding>(BasicEncoding::NAMES))]
                    ],
                },
                private_key_file: FilePath as Option<std::path::PathBuf> {
                    default: [],
                    flag: [
                        /// The client's private key (PEM, JWK or service-account JSON), for private_key_jwt and mTLS
                        /// [env: OAUTHCTL_PRIVATE_KEY_FILE]
                        #[arg(long, value_name = "PATH")]
                    ],
                    add: [
                        /// The client's private key file (PEM, JWK or service-account JSON), for private_key_jwt and mTLS
                        #[arg(long, value_name = "PATH", group = "add_key")]
                    ],
                },
                private_key_env: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Read the private key from this env var (give its name, never the key)
                        #[arg(long, value_name = "VAR", group = "add_key")]
                    ],
                },
                private_key_command: Program as Option<crate::profile::kinds::Argv> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Command that prints the private key, as a JSON array (run without a shell)
                        #[arg(long, value_name = "JSON_ARRAY", value_parser = parse_argv, group = "add_key")]
                    ],
                },
                signing_alg: Keyword<SigningAlg> as Option<SigningAlg> {
                    default: [],
                    flag: [
                        /// JWS algorithm of client assertions [env: OAUTHCTL_SIGNING_ALG] [default: from the key; HS256]
                        #[arg(long, value_name = "ALG", value_parser = keyword::<SigningAlg>(SigningAlg::NAMES))]
                    ],
                    add: [
                        /// JWS algorithm of client assertions [default: from the key; HS256 for client_secret_jwt]
                        #[arg(long, value_name = "ALG", value_parser = keyword::<SigningAlg>(SigningAlg::NAMES))]
                    ],
                },
                key_id: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// The `kid` of client assertions [default: the JWK's kid, else its RFC 7638 thumbprint]
                        #[arg(long, value_name = "KID")]
                    ],
                },
                client_certificate_file: FilePath as Option<std::path::PathBuf> {
                    default: [],
                    flag: [
                        /// Client certificate (PEM, chain allowed) for mutual TLS, RFC 8705 [env: OAUTHCTL_CLIENT_CERTIFICATE_FILE]
                        #[arg(long, visible_alias = "cert", value_name = "PATH")]
                    ],
                    add: [
                        /// Client certificate (PEM, chain allowed) for mutual TLS (RFC 8705) and assertions' x5t
                        #[arg(long, value_name = "PATH")]
                    ],
                },
                assertion_audience: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// `aud` of client assertions: token_endpoint, issuer, or a URL [default: token_endpoint]
                        #[arg(long, value_name = "AUD")]
                    ],
                },
                assertion_lifetime_secs: Number<u64> as Option<u64> {
                    // `Profile::assertion_lifetime`: shown only where set, as only clients that
                    // sign assertions have one.
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Lifetime of each client assertion in seconds, at most 300 [default: 60]
                        #[arg(long, value_name = "SECS")]
                    ],
                },
                assertion_issuer: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// jwt_bearer signed with the private key: `iss` [default: a service account's client_email, else client_id]
                        #[arg(long, value_name = "ISS")]
                    ],
                },
                assertion_subject: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// jwt_bearer signed with the private key: `sub` [default: the issuer]
                        #[arg(long, value_name = "SUB")]
                    ],
                },
                assertion_claims: Params as Vec<(String, String)> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// jwt_bearer signed with the private key: another claim, repeatable (scope=… for Google)
                        #[arg(long = "assertion-claim", value_name = "NAME=VALUE", value_parser = parse_param)]
                    ],
                },
                identity_token_from: Keyword<IdentityPlatform> as Option<IdentityPlatform> {
                    default: [],
                    flag: [
                        /// The CI platform whose workload identity token is exchanged [env: OAUTHCTL_IDENTITY_TOKEN_FROM]
                        #[arg(long, value_name = "PLATFORM", value_parser = keyword::<IdentityPlatform>(IdentityPlatform::NAMES))]
                    ],
                    add: [
                        /// Workload identity token from this CI platform (github-actions, kubernetes, circleci, buildkite)
                        #[arg(long, value_name = "PLATFORM", value_parser = keyword::<IdentityPlatform>(IdentityPlatform::NAMES), group = "add_identity")]
                    ],
                },
                identity_token_audience: Text as Option<String> {
                    default: [],
                    flag: [
                        /// The `aud` to ask the CI platform's identity token for [env: OAUTHCTL_IDENTITY_TOKEN_AUDIENCE]
                        #[arg(long, value_name = "AUD")]
                    ],
                    add: [
                        /// The `aud` to ask the CI platform's identity token for
                        #[arg(long, value_name = "AUD")]
                    ],
                },
                identity_token_env: Text as Option<String> {
                    default: [],
                    flag: [
                        /// Workload identity token from this env var (its name, never the token) [env: OAUTHCTL_IDENTITY_TOKEN_ENV]
                        #[arg(long, value_name = "VAR")]
                    ],
                    add: [
                        /// Workload identity token from this env var (give its name, never the token)
                        #[arg(long, value_name = "VAR", group = "add_identity")]
                    ],
                },
                identity_token_file: FilePath as Option<std::path::PathBuf> {
                    default: [],
                    flag: [
                        /// Workload identity token from this file, read anew on every use [env: OAUTHCTL_IDENTITY_TOKEN_FILE]
                        #[arg(long, value_name = "PATH")]
                    ],
                    add: [
                        /// Workload identity token from this file, read anew on every use
                        #[arg(long, value_name = "PATH")]
                    ],
                },
                identity_token_command: Program as Option<crate::profile::kinds::Argv> {
                    default: [],
                    flag: [
                        /// Command printing the workload identity token, a JSON array [env: OAUTHCTL_IDENTITY_TOKEN_COMMAND]
                        #[arg(long, value_name = "JSON_ARRAY", value_parser = parse_argv)]
                    ],
                    add: [
                        /// Command that prints the workload identity token, as a JSON array (run without a shell)
                        #[arg(long, value_name = "JSON_ARRAY", value_parser = parse_argv, group = "add_identity")]
                    ],
                },
                subject_token_type: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// token_exchange: the identity token's type, a shorthand (jwt, id_token, access_token) or URN [default: jwt]
                        #[arg(long, value_name = "TYPE")]
                    ],
                },
                requested_token_type: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// token_exchange: the type of token to ask for, a shorthand or URN
                        #[arg(long, value_name = "TYPE")]
                    ],
                },
                dpop: Switch as Option<bool> {
                    // `Profile::uses_dpop`: shown only where set.
                    default: [],
                    flag: [
                        /// Sender-constrained tokens: DPoP proofs, RFC 9449 [env: OAUTHCTL_DPOP]
                        #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_switch)]
                    ],
                    add: [
                        /// Ask for sender-constrained tokens with DPoP proofs (RFC 9449)
                        #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_switch)]
                    ],
                },
                dpop_alg: Keyword<DpopAlg> as Option<DpopAlg> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// DPoP proofs' algorithm: ES256, ES384, EdDSA, PS256, RS256 [default: ES256; from dpop_key_file]
                        #[arg(long, value_name = "ALG", value_parser = keyword::<DpopAlg>(DpopAlg::NAMES))]
                    ],
                },
                dpop_key_file: FilePath as Option<std::path::PathBuf> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// DPoP key (PEM or JWK) [default: one made on first use, kept in the cache directory]
                        #[arg(long, value_name = "PATH")]
                    ],
                },
                credential_url: Url as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// The URL this profile answers git and docker for (scheme, host, path prefix)
                        #[arg(long, value_name = "URL")]
                    ],
                },
                credential_username: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// The username given to git and docker [default: oauth2; docker: oauth2accesstoken]
                        #[arg(long, value_name = "NAME")]
                    ],
                },
                credential_authtype: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// git's authtype (Bearer) where git and the server take it, instead of Basic
                        #[arg(long, value_name = "SCHEME")]
                    ],
                },
                grant_params: Keyword<GrantParams> as Option<GrantParams> {
                    default: [GrantParams::Body],
                    flag: [
                        /// Where grant parameters go: the form body or the URL query [env: OAUTHCTL_GRANT_PARAMS]
                        /// [default: body]
                        #[arg(long, value_name = "WHERE", value_parser = keyword::<GrantParams>(GrantParams::NAMES))]
                    ],
                    add: [
                        /// Where grant parameters go: the form body or the URL query [default: body]
                        #[arg(long, value_name = "WHERE", value_parser = keyword::<GrantParams>(GrantParams::NAMES))]
                    ],
                },
                scope: Text as Option<String> {
                    default: [],
                    flag: [
                        /// Space-separated scopes [env: OAUTHCTL_SCOPE]
                        #[arg(long, value_name = "SCOPES")]
                    ],
                    add: [
                        /// Space-separated scopes
                        #[arg(long, value_name = "SCOPES")]
                    ],
                },
                audience: Text as Option<String> {
                    default: [],
                    flag: [
                        /// `audience` parameter [env: OAUTHCTL_AUDIENCE]
                        #[arg(long, value_name = "AUDIENCE")]
                    ],
                    add: [
                        /// `audience` parameter
                        #[arg(long, value_name = "AUDIENCE")]
                    ],
                },
                resource: Text as Option<String> {
                    default: [],
                    flag: [
                        /// `resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]
                        #[arg(long, value_name = "URI")]
                    ],
                    add: [
                        /// `resource` parameter (RFC 8707)
                        #[arg(long, value_name = "URI")]
                    ],
                },
                redirect_uri: Text as Option<String> {
                    default: [],
                    flag: [#[arg(skip)]],
                    add: [
                        /// redirect_uri for exchange-code
                        #[arg(long, value_name = "URI")]
                    ],
                },
                params: Params as Vec<(String, String)> {
                    default: [],
                    flag: [
                        /// Extra form parameter, repeatable [env: OAUTHCTL_PARAMS, as k=v&k2=v2]
                        #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
                    ],
                    add: [
                        /// Extra form parameter, repeatable
                        #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
                    ],
                },
                headers: Headers as Vec<(String, String)> {
                    default: [],
                    flag: [
                        /// Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]
                        #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
                    ],
                    add: [
                        /// Extra request header, repeatable
                        #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
                    ],
                },
                timeout_secs: Number<u64> as Option<u64> {
                    default: [DEFAULT_TIMEOUT_SECS],
                    flag: [
                        /// Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]
                        #[arg(long = "timeout-secs", visible_alias = "timeout", value_name = "SECS")]
                    ],
                    add: [
                        /// Whole-request deadline in seconds [default: 30]
                        #[arg(long, value_name = "SECS")]
                    ],
                },
                ca_file: FilePath as Option<std::path::PathBuf> {
                    default: [],
                    flag: [
                        /// Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]
                        #[arg(long = "ca-file", visible_alias = "cacert", value_name = "PATH")]
                    ],
                    add: [
                        /// Extra trusted root certificates (PEM)
                        #[arg(long, value_name = "PATH")]
                    ],
                },
                min_ttl_secs: Number<u64> as Option<u64> {
                    default: [DEFAULT_MIN_TTL_SECS],
                    // `fetch` has its own `--min-ttl`.
                    flag: [#[arg(skip)]],
                    add: [
                        /// Reuse a cached token only with at least this many seconds left [default: 60]
                        #[arg(long, value_name = "SECS")]
                    ],
                },
                retries: Number<u32> as Option<u32> {
                    default: [DEFAULT_RETRIES],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Retries for client_credentials / refresh requests (never a code exchange) [default: 3]
                        #[arg(long, value_name = "N")]
                    ],
                },
                retry_max_secs: Number<u64> as Option<u64> {
                    default: [DEFAULT_RETRY_MAX_SECS],
                    flag: [#[arg(skip)]],
                    add: [
                        /// Give up rather than wait longer than this many seconds in total, Retry-After included
                        /// [default: 30]
                        #[arg(long, value_name = "SECS")]
                    ],
                },
            }
        }
    };
}
pub(crate) use profile_fields;

/// The resolved type of a field: its value when it has a default, else its layer's type.
macro_rules! resolved_type {
    ($layer:ty, $kind:ty;) => {
        $layer
    };
    ($layer:ty, $kind:ty; $default:expr) => {
        <$kind as Kind>::Value
    };
}

/// A merged layer, with the field's default (and the `Default` origin) when nothing set it.
macro_rules! with_default {
    ($merged:expr, $origins:ident, $key:expr;) => {
        $merged
    };
    ($merged:expr, $origins:ident, $key:expr; $default:expr) => {
        match $merged {
            Some(value) => value,
            None => {
                $origins.insert($key, Origin::Default);
                $default
            }
        }
    };
}

/// A resolved value as `profiles show` prints it.
macro_rules! shown {
    ($kind:ty, $value:expr;) => {
        <$kind as Kind>::show($value)
    };
    ($kind:ty, $value:expr; $default:expr) => {
        <$kind as Kind>::show(&Some($value.clone()))
    };
}

macro_rules! define_model {
    (
        before_secret { $(
            $b:ident : $bk:ty as $bl:ty {
                default: [$($bd:expr)?],
                flag: [$(#[$bf:meta])*],
                add: [$(#[$ba:meta])*],
            },
        )* }
        after_secret { $(
            $a:ident : $ak:ty as $al:ty {
                default: [$($ad:expr)?],
                flag: [$(#[$af:meta])*],
                add: [$(#[$aa:meta])*],
            },
        )* }
    ) => {
        /// Keys allowed in a `[profiles.NAME]` table, in the order `profiles add` writes them.
        pub const PROFILE_KEYS: &[&str] = &[
            $(stringify!($b),)*
            "client_secret",
            "client_secret_env",
            "client_secret_file",
            "client_secret_command",
            $(stringify!($a),)*
        ];

        /// One `[profiles.NAME]` table as written in the file.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ProfileEntry {
            $(pub $b: Option<<$bk as Kind>::File>,)*
            pub client_secret: Option<String>,
            pub client_secret_env: Option<String>,
            pub client_secret_file: Option<std::path::PathBuf>,
            pub client_secret_command: Option<Vec<String>>,
            $(pub $a: Option<<$ak as Kind>::File>,)*
        }

        /// Optional values from one source: the file's profile, the environment, or the flags.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct ProfileLayer {
            $(pub $b: $bl,)*
            pub secret: Option<SecretSource>,
            $(pub $a: $al,)*
        }

        /// A complete, checked profile: everything a request needs except the secret's value.
        #[derive(Debug, Clone)]
        pub struct Profile {
            /// The profile's name, or `None` when flags and env vars alone define it.
            pub name: Option<String>,
            $(pub $b: resolved_type!($bl, $bk; $($bd)?),)*
            pub secret: Option<SecretSource>,
            $(pub $a: resolved_type!($al, $ak; $($ad)?),)*
            /// Where each field that has a value came from, keyed by config key name.
            pub origins: BTreeMap<&'static str, Origin>,
        }

        impl ProfileEntry {
            /// The file's view as a layer. `name` and the config's path serve error messages and
            /// relative paths.
            pub fn to_layer(&self, name: &str, config: &Config) -> Result<ProfileLayer> {
                Ok(ProfileLayer {
                    $($b: <$bk as Kind>::from_file(&self.$b, &config.path),)*
                    secret: self.secret_source(name, config)?,
                    $($a: <$ak as Kind>::from_file(&self.$a, &config.path),)*
                })
            }
        }

        /// Reads `OAUTHCTL_*` overrides through `lookup` (the real environment, or a map in
        /// tests). Empty values count as unset, as CI systems often define variables they leave
        /// empty.
        pub fn env_layer(lookup: &dyn Fn(&str) -> Option<String>) -> Result<ProfileLayer> {
            fn read<K: Kind>(
                key: &str,
                lookup: &dyn Fn(&str) -> Option<String>,
            ) -> Result<K::Layer> {
                let var = env_var_for(key);
                match lookup(&var).filter(|v| !v.is_empty()) {
                    Some(value) => K::from_env(&var, &value),
                    None => Ok(Default::default()),
                }
            }
            // When several variables are wrong, the first reported is the secret's conflict, then
            // OAUTHCTL_HEADERS, then the others in the table's order, as it always was.
            let secret = env_secret(lookup)?;
            read::<Headers>("headers", lookup)?;
            Ok(ProfileLayer {
                $($b: read::<$bk>(stringify!($b), lookup)?,)*
                secret,
                $($a: read::<$ak>(stringify!($a), lookup)?,)*
            })
        }

        /// Merges the layers: flag > env > profile > default, per field.
        pub fn merge(
            name: Option<String>,
            flags: ProfileLayer,
            env: ProfileLayer,
            file: ProfileLayer,
        ) -> Profile {
            let mut origins = BTreeMap::new();
            let mut origin = |key: &'static str, from: Option<Origin>| {
                if let Some(from) = from {
                    origins.insert(key, from);
                }
            };
            $(
                let (merged, from) = <$bk as Kind>::merge([
                    (flags.$b, Origin::Flag),
                    (env.$b, Origin::Env),
                    (file.$b, Origin::Profile),
                ]);
                origin(stringify!($b), from);
                let $b = merged;
            )*
            let secret = [
                (flags.secret, Origin::Flag),
                (env.secret, Origin::Env),
                (file.secret, Origin::Profile),
            ]
            .into_iter()
            .find_map(|(value, from)| value.map(|v| (v, from)));
            origin("client_secret", secret.as_ref().map(|(_, from)| *from));
            let secret = secret.map(|(v, _)| v);
            $(
                let (merged, from) = <$ak as Kind>::merge([
                    (flags.$a, Origin::Flag),
                    (env.$a, Origin::Env),
                    (file.$a, Origin::Profile),
                ]);
                origin(stringify!($a), from);
                let $a = merged;
            )*
            Profile {
                name,
                $($b: with_default!($b, origins, stringify!($b); $($bd)?),)*
                secret,
                $($a: with_default!($a, origins, stringify!($a); $($ad)?),)*
                origins,
            }
        }

        impl Profile {
            /// Every field but the secret, as `profiles show` prints it (`Null` when unset).
            pub fn shown(&self) -> Vec<(&'static str, Value)> {
                vec![
                    $((stringify!($b), shown!($bk, &self.$b; $($bd)?)),)*
                    $((stringify!($a), shown!($ak, &self.$a; $($ad)?)),)*
                ]
            }
        }

        impl ProfileLayer {
            /// What `profiles add` writes, in file order, `secret` (the secret source's items) in
            /// its place.
            pub fn toml_items(
                &self,
                secret: Vec<(&'static str, toml_edit::Item)>,
            ) -> Vec<(&'static str, toml_edit::Item)> {
                let mut items = Vec::new();
                $(
                    if let Some(item) = <$bk as Kind>::to_toml(&self.$b) {
                        items.push((stringify!($b), item));
                    }
                )*
                items.extend(secret);
                $(
                    if let Some(item) = <$ak as Kind>::to_toml(&self.$a) {
                        items.push((stringify!($a), item));
                    }
                )*
                items
            }

            /// What `profiles add` checks before writing anything (URLs are https or loopback).
            pub fn check_added(&self) -> Result<()> {
                $(<$bk as Kind>::check_added(&self.$b, &add_flag(stringify!($b)))?;)*
                $(<$ak as Kind>::check_added(&self.$a, &add_flag(stringify!($a)))?;)*
                Ok(())
            }
        }
    };
}

profile_fields!(define_model);

/// `profiles add`'s flag for a key: `--token-url` for `token_url`.
fn add_flag(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

impl ProfileEntry {
    /// The one secret source the file's profile names (SECURITY 4 and DESIGN §3: exactly one).
    fn secret_source(&self, name: &str, config: &Config) -> Result<Option<SecretSource>> {
        let mut sources = Vec::new();
        if let Some(value) = &self.client_secret {
            sources.push((
                "client_secret",
                SecretSource::Literal(Secret::new(value.clone())),
            ));
        }
        if let Some(var) = &self.client_secret_env {
            sources.push(("client_secret_env", SecretSource::Env(var.clone())));
        }
        if let Some(path) = &self.client_secret_file {
            sources.push((
                "client_secret_file",
                SecretSource::File(kinds::relative_to(path, &config.path)),
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
        Ok(sources.pop().map(|(_, source)| source))
    }
}

/// `OAUTHCTL_CLIENT_SECRET` (the secret itself) or `OAUTHCTL_CLIENT_SECRET_FILE`, not both.
fn env_secret(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<SecretSource>> {
    match (
        lookup(OVERRIDE_ENV).filter(|v| !v.is_empty()),
        lookup(&env_var_for("client_secret_file")).filter(|v| !v.is_empty()),
    ) {
        (Some(_), Some(_)) => Err(Error::Config(format!(
            "both {OVERRIDE_ENV} and OAUTHCTL_CLIENT_SECRET_FILE are set; keep one"
        ))),
        (Some(value), None) => Ok(Some(SecretSource::OverrideEnv(Secret::new(value)))),
        (None, Some(path)) => Ok(Some(SecretSource::File(std::path::PathBuf::from(path)))),
        (None, None) => Ok(None),
    }
}

impl Profile {
    /// Whether the profile asks for sender-constrained tokens (DESIGN §12).
    pub fn uses_dpop(&self) -> bool {
        self.dpop == Some(true)
    }

    /// `exp - iat` of each client assertion, in seconds.
    pub fn assertion_lifetime(&self) -> u64 {
        self.assertion_lifetime_secs
            .unwrap_or(DEFAULT_ASSERTION_LIFETIME_SECS)
    }

    /// The whole-request deadline.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A value for every field (but the secret) as its variable would give it. Adding a field to
    /// the table without one here fails `every_field_goes_through_every_layer`.
    const SAMPLES: &[(&str, &str)] = &[
        ("token_url", "https://idp.example/token"),
        ("issuer", "https://idp.example"),
        ("authorization_url", "https://idp.example/authorize"),
        ("device_authorization_url", "https://idp.example/device"),
        ("revocation_url", "https://idp.example/revoke"),
        ("introspection_url", "https://idp.example/introspect"),
        ("jwks_uri", "https://idp.example/jwks"),
        ("grant", "device_code"),
        ("client_id", "app"),
        ("auth_method", "post"),
        ("basic_encoding", "raw"),
        ("private_key_file", "/etc/oauthctl/ci.key.pem"),
        ("private_key_env", "CI_KEY"),
        ("private_key_command", "[\"vault\",\"read\"]"),
        ("signing_alg", "PS256"),
        ("key_id", "2024-rotation"),
        ("client_certificate_file", "/etc/oauthctl/ci.crt.pem"),
        ("assertion_audience", "issuer"),
        ("assertion_lifetime_secs", "120"),
        ("assertion_issuer", "ci@project.iam.gserviceaccount.com"),
        ("assertion_subject", "admin@example.com"),
        (
            "assertion_claims",
            "scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform",
        ),
        ("identity_token_from", "github-actions"),
        ("identity_token_audience", "api://AzureADTokenExchange"),
        ("identity_token_env", "GITLAB_OIDC_TOKEN"),
        ("identity_token_file", "/var/run/secrets/tokens/oidc"),
        ("identity_token_command", "[\"my-ci\",\"oidc-token\"]"),
        ("subject_token_type", "jwt"),
        ("requested_token_type", "access_token"),
        ("dpop", "true"),
        ("dpop_alg", "EdDSA"),
        ("dpop_key_file", "/etc/oauthctl/dpop.key.pem"),
        ("credential_url", "https://git.example.com/team"),
        ("credential_username", "ci-bot"),
        ("credential_authtype", "Bearer"),
        ("grant_params", "query"),
        ("scope", "a b"),
        ("audience", "https://api.example"),
        ("resource", "https://api.example/r"),
        ("redirect_uri", "http://127.0.0.1/cb"),
        ("params", "tenant=acme&x=1"),
        ("headers", "Accept: application/json\nX-Tenant: acme"),
        ("timeout_secs", "7"),
        ("ca_file", "/etc/ssl/ca.pem"),
        ("min_ttl_secs", "90"),
        ("retries", "5"),
        ("retry_max_secs", "40"),
    ];

    const SECRET_KEYS: [&str; 4] = [
        "client_secret",
        "client_secret_env",
        "client_secret_file",
        "client_secret_command",
    ];

    /// From the environment, through `profiles add`'s writing, back through the file: every field
    /// of the table survives each layer, and is shown with its origin.
    #[test]
    fn every_field_goes_through_every_layer() {
        let keys: Vec<&str> = PROFILE_KEYS
            .iter()
            .copied()
            .filter(|k| !SECRET_KEYS.contains(k))
            .collect();
        let sampled: Vec<&str> = SAMPLES.iter().map(|(k, _)| *k).collect();
        assert_eq!(sampled, keys, "one sample per field, in table order");

        let lookup = |var: &str| {
            SAMPLES
                .iter()
                .find(|(k, _)| env_var_for(k) == var)
                .map(|(_, v)| v.to_string())
        };
        let env = env_layer(&lookup).unwrap();
        assert_ne!(env, ProfileLayer::default());

        let items = env.toml_items(vec![("client_secret_env", toml_edit::value("S"))]);
        let written: Vec<&str> = items.iter().map(|(k, _)| *k).collect();
        let mut expected = keys.clone();
        let at = expected.iter().position(|k| *k == "client_id").unwrap() + 1;
        expected.insert(at, "client_secret_env");
        assert_eq!(
            written, expected,
            "every field written, the secret after client_id"
        );

        let mut table = toml_edit::Table::new();
        for (key, item) in items {
            table.insert(key, item);
        }
        let mut doc = toml_edit::DocumentMut::new();
        let mut profiles = toml_edit::Table::new();
        profiles.insert("t", toml_edit::Item::Table(table));
        doc.insert("profiles", toml_edit::Item::Table(profiles));
        let path = Path::new("/etc/oauthctl/config.toml");
        let file = crate::config::parse(&doc.to_string(), path).unwrap();
        let config = Config {
            path: path.to_path_buf(),
            exists: true,
            file: file.clone(),
            unsafe_for_secrets: None,
        };
        let read_back = file.profiles["t"].to_layer("t", &config).unwrap();
        assert_eq!(
            read_back,
            ProfileLayer {
                secret: Some(SecretSource::Env("S".into())),
                ..env.clone()
            }
        );

        let profile = merge(None, ProfileLayer::default(), env, ProfileLayer::default());
        let shown: Vec<&str> = profile.shown().iter().map(|(k, _)| *k).collect();
        assert_eq!(shown, keys);
        for (key, value) in profile.shown() {
            assert!(!value.is_null(), "{key} is not shown");
            assert_eq!(profile.origins.get(key), Some(&Origin::Env), "{key}");
        }
        assert_eq!(profile.timeout(), Duration::from_secs(7));
    }

    #[test]
    fn defaults_fill_what_no_layer_sets_and_say_so() {
        let p = merge(
            None,
            ProfileLayer::default(),
            ProfileLayer::default(),
            ProfileLayer::default(),
        );
        assert_eq!(p.grant, GrantKind::ClientCredentials);
        assert_eq!(p.auth_method, AuthMethod::Basic);
        assert_eq!(p.timeout_secs, DEFAULT_TIMEOUT_SECS);
        assert_eq!(p.retries, DEFAULT_RETRIES);
        let defaulted: Vec<&str> = p
            .origins
            .iter()
            .filter(|(_, o)| **o == Origin::Default)
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(
            defaulted,
            [
                "auth_method",
                "basic_encoding",
                "grant",
                "grant_params",
                "min_ttl_secs",
                "retries",
                "retry_max_secs",
                "timeout_secs"
            ]
        );
    }
}
