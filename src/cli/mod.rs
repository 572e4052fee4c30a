//! The command line, as clap derive structs. Every field's doc comment is its `--help` text, and
//! every command's help ends with examples (tests/it/docs.rs holds both to that).
//! Nothing outside this module and `main.rs` knows about clap. The help text blocks are in
//! `help.rs`, shell completion in `complete.rs`.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use crate::commands::profiles::NewProfileSpec;
use crate::config::{
    AuthMethod, BasicEncoding, DpopAlg, GrantKind, GrantParams, IdentityPlatform, SigningAlg,
};
use crate::keys::Alg;
use crate::keys::signing::GENERATED_ALGS;
pub use crate::output::OutputFormat;
use crate::profile::kinds::parse_switch;
use crate::resolve::{ProfileLayer, parse_header, parse_param};
use crate::secret::SecretSource;

/// `oauthctl 0.1.0 (x86_64-unknown-linux-gnu)`: bug reports need the platform (build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("BUILD_TARGET"), ")");

mod complete;
mod help;

use complete::complete_profile_name;
pub use complete::{COMPLETE_VAR, complete_from_env, completion_script};
use help::*;

#[derive(Debug, Parser)]
#[command(
    name = "oauthctl",
    version = VERSION,
    about = "Get OAuth 2.0 access tokens and see what is in them",
    after_help = TOP_HELP
)]
pub struct Cli {
    /// Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml, or under
    /// $XDG_CONFIG_HOME]
    #[arg(short = 'c', long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Profile to use [env: OAUTHCTL_PROFILE] [default: the config's default_profile]
    #[arg(
        short = 'p',
        long,
        global = true,
        value_name = "NAME",
        add = ArgValueCompleter::new(complete_profile_name)
    )]
    pub profile: Option<String>,

    /// Output format (header, env and exec-credential: fetch and exchange-code only)
    /// [env: OAUTHCTL_OUTPUT] [default: text]
    #[arg(short = 'o', long, global = true, value_name = "FORMAT", value_parser = OutputFormatParser)]
    pub output: Option<OutputFormat>,

    /// Trace requests and responses on stderr (secrets redacted)
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The command lines a cached `fetch` is run with most (kubectl's exec plugin, `$(oauthctl fetch
/// -p NAME)` in scripts), read without clap: building clap's command tree is the largest part of
/// a cached fetch's time (BENCHMARKS.md). It takes `fetch` with `-p`/`--profile NAME`,
/// `-o`/`--output FORMAT`, `-c`/`--config FILE` and `-v`/`--verbose`, each at most once, before
/// or after `fetch`, and `--id-token` (kubectl's OIDC sign-in) once after it, as separate words;
/// anything else, even a spelling clap would take (`--profile=NAME`, `-pNAME`, `--`), is `None`,
/// for clap to read. A test holds clap's reading of every line this takes to be the same.
pub fn parse_fetch_fast(args: &[std::ffi::OsString]) -> Option<Cli> {
    let mut words = args.iter().map(|a| a.to_str());
    let (mut config, mut profile, mut output) = (None, None, None);
    let (mut verbose, mut fetch, mut id_token) = (false, false, false);
    // A value: a word of its own, not empty, not one clap could take for an option.
    let value = |word: Option<Option<&str>>| match word {
        Some(Some(v)) if !v.is_empty() && !v.starts_with('-') => Some(v.to_string()),
        _ => None,
    };
    while let Some(word) = words.next() {
        match word? {
            "fetch" if !fetch => fetch = true,
            "-p" | "--profile" if profile.is_none() => profile = Some(value(words.next())?),
            "-c" | "--config" if config.is_none() => {
                config = Some(PathBuf::from(value(words.next())?));
            }
            "-o" | "--output" if output.is_none() => {
                output = Some(value(words.next())?.parse().ok()?);
            }
            "-v" | "--verbose" if !verbose => verbose = true,
            // A flag of `fetch`'s own, which clap takes only after the subcommand.
            "--id-token" if fetch && !id_token => id_token = true,
            _ => return None,
        }
    }
    fetch.then(|| Cli {
        config,
        profile,
        output,
        verbose,
        command: Command::Fetch(FetchArgs {
            no_cache: false,
            force: false,
            min_ttl: None,
            dry_run: false,
            url: None,
            method: None,
            nonce: None,
            id_token,
            overrides: Overrides::default(),
        }),
    })
}

/// `-o`'s parser: the values of `OutputFormat::ALL`, with their help. Zero-sized, and the
/// values made only when asked for, as clap's own enum parser does: `-o` is a global argument,
/// copied into every subcommand each run, and a list carried in the parser would be copied too.
#[derive(Clone)]
struct OutputFormatParser;

impl TypedValueParser for OutputFormatParser {
    type Value = OutputFormat;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<OutputFormat, clap::Error> {
        let names = OutputFormat::ALL.iter().map(|(format, _)| format.name());
        // Not UTF-8 is an invalid value like any other, shown lossily with the possible values, as
        // clap's enum parser says it (PossibleValuesParser would say only "invalid UTF-8").
        let value = value.to_string_lossy();
        let name = PossibleValuesParser::new(names).parse_ref(cmd, arg, OsStr::new(&*value))?;
        name.parse()
            .map_err(|e: String| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(OutputFormat::ALL.iter().map(|(format, help)| {
            PossibleValue::new(format.name()).help(*help)
        })))
    }
}

/// `identity-token`: the profile, with the same per-run overrides as `fetch` (an identity source
/// given for one run is the one a fetch of that run presents).
#[derive(Debug, Args)]
pub struct IdentityTokenArgs {
    #[command(flatten)]
    pub overrides: Overrides,
}

#[derive(Debug, Subcommand)]
// Build each subcommand's arguments only when it runs: `fetch` pays for its own flags, not all.
#[command(defer = true)]
pub enum Command {
    /// Get an access token with the client_credentials grant (RFC 6749 §4.4)
    #[command(after_help = FETCH_HELP)]
    Fetch(FetchArgs),

    /// Exchange an authorization code for tokens (RFC 6749 §4.1.3, PKCE RFC 7636)
    #[command(after_help = EXCHANGE_HELP)]
    ExchangeCode(ExchangeArgs),

    /// Decode a JWT (header, claims, times); --verify checks its signature and claims
    ///
    /// Without --verify the signature is not checked, and the output says so.
    #[command(after_help = INSPECT_HELP)]
    Inspect(InspectArgs),

    /// Sign a user in (browser + PKCE, or device flow) and cache the tokens for `fetch`
    ///
    /// A browser with PKCE and a loopback redirect (RFC 8252), or the device flow (RFC 8628);
    /// the tokens go to the cache, and `fetch` renews them with the refresh token from then on.
    /// For user profiles (grant = "authorization_code" or "device_code"). The browser flow
    /// listens on 127.0.0.1 (a free port, or the port of the profile's loopback redirect_uri),
    /// opens $BROWSER or the system browser (or only prints the URL, with --no-browser), and
    /// takes the code only from a redirect that carries this login's random state. The device
    /// flow shows a code to enter on the server's verification page and polls at the server's
    /// interval (5 s by default, 5 s more after each slow_down). Endpoints not set in the
    /// profile come from the issuer's metadata. Text output is a note on stderr; -o json and the
    /// other token formats print the tokens. Exit 3 when the server or the user refuses, 4 when
    /// nobody signs in in time or the redirect is not this login's.
    #[command(after_help = LOGIN_HELP)]
    Login(LoginArgs),

    /// Revoke tokens (RFC 7009): the profile's cached ones, or TOKEN, and forget them
    #[command(after_help = REVOKE_HELP)]
    Revoke(RevokeArgs),

    /// Ask the server whether a token is active and what it stands for (RFC 7662)
    #[command(after_help = INTROSPECT_HELP)]
    Introspect(IntrospectArgs),

    /// List, show, add and remove profiles in the config file
    #[command(subcommand, after_help = PROFILES_HELP)]
    Profiles(ProfilesCommand),

    /// Show or forget cached tokens (the tokens themselves are never shown)
    #[command(subcommand, after_help = CACHE_HELP)]
    Cache(CacheCommand),

    /// Make a client key pair, or print a private key's public JWK to register with a server
    ///
    /// For clients that authenticate with a key instead of a secret (private_key_jwt, RFC 7523).
    /// Both print the public key as a JWK with its kid, use "sig" and alg: the bare JWK in text,
    /// pretty-printed, as a registration form that takes one key wants it; with -o json a JWK Set,
    /// {"keys": [...]}, as a client's `jwks` metadata or a jwks_uri file holds it. Private
    /// members are never printed.
    #[command(subcommand, after_help = KEYS_HELP)]
    Keys(KeysCommand),

    /// Print the profile's workload identity token (-p), as its CI platform or source gives it
    ///
    /// The token a token_exchange, jwt_bearer or federated_jwt profile presents, obtained now from
    /// identity_token_from (github-actions, kubernetes, circleci, buildkite), identity_token_env,
    /// identity_token_file or identity_token_command. Pipe it into `oauthctl inspect` to see the
    /// claims (iss, sub, aud) a trust policy must match; `--dry-run` leaves it to a variable set
    /// with this command. It is never cached.
    #[command(after_help = IDENTITY_TOKEN_HELP)]
    IdentityToken(IdentityTokenArgs),

    /// Answer git as its credential helper, with the token of the profile for the URL
    ///
    /// git-credential(1): `get` answers username and password (the access token from `fetch`'s
    /// logic and cache) for the profile whose credential_url covers the URL git asks about (or
    /// -p NAME), with password_expiry_utc; with git 2.46+ and credential_authtype, authtype and
    /// credential instead. No profile: no answer, so git asks its next helper. `erase` (git saw
    /// the token rejected) forgets the cached token; `store` does nothing. A user profile with
    /// no usable refresh token signs in first when a terminal is attached. Set it up with
    /// `git config --global credential.https://HOST.helper '!oauthctl git-credential'`.
    #[command(after_help = GIT_CREDENTIAL_HELP)]
    GitCredential {
        /// What git asks: get, store or erase (git-credential(1): any other is ignored)
        #[arg(value_name = "ACTION")]
        action: String,
        /// What else git may pass, ignored
        #[arg(hide = true, trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },

    /// Answer docker as its credential helper (also installed as docker-credential-oauthctl)
    ///
    /// The docker-credential-helpers protocol: `get` reads a registry's URL on stdin and answers
    /// {"ServerURL","Username","Secret"} with the token of the profile whose credential_url covers
    /// it (a bare host means https://HOST); an unknown registry is exit 1 with "credentials not
    /// found in native keychain" on stdout. `list` names each credential_url and its username;
    /// `store` does nothing; `erase` forgets the cached token.
    #[command(after_help = DOCKER_CREDENTIAL_HELP)]
    DockerCredential {
        /// What docker asks
        #[arg(value_enum)]
        action: DockerAction,
    },

    /// Print a shell completion script (the same files are committed under completions/)
    ///
    /// The script asks `oauthctl` (found on PATH) for candidates as you type, so subcommands,
    /// flags and their values complete, and so do profile names (for -p, `profiles show` and
    /// `profiles remove`), read from the config file (OAUTHCTL_CONFIG, else the default path).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to print the script for
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// The profile fields this command's flags set, the top of flag > env > profile > default.
    pub fn overrides(&self) -> ProfileLayer {
        match self {
            Command::Fetch(args) => ProfileLayer {
                // `fetch` names this override `--min-ttl`.
                min_ttl_secs: args.min_ttl,
                ..args.overrides.to_layer()
            },
            Command::ExchangeCode(args) => with_redirect(&args.overrides, &args.redirect_uri),
            Command::Login(args) => with_redirect(&args.overrides, &args.redirect_uri),
            Command::Inspect(args) => args.overrides.to_layer(),
            Command::Revoke(args) => args.overrides.to_layer(),
            Command::Introspect(args) => args.overrides.to_layer(),
            Command::IdentityToken(args) => args.overrides.to_layer(),
            Command::Profiles(_)
            | Command::Cache(_)
            | Command::Keys(_)
            | Command::GitCredential { .. }
            | Command::DockerCredential { .. }
            | Command::Completions { .. } => ProfileLayer::default(),
        }
    }
}

/// `overrides` with the `--redirect-uri` of `exchange-code` and `login`, where given.
fn with_redirect(overrides: &Overrides, redirect_uri: &Option<String>) -> ProfileLayer {
    let mut layer = overrides.to_layer();
    if redirect_uri.is_some() {
        layer.redirect_uri = redirect_uri.clone();
    }
    layer
}

/// The flags that set profile fields, from the field table (`profile::profile_fields!`): the
/// per-run overrides every token command takes, and `profiles add`'s, with their conversion into
/// a layer. Only the client secret's flags are written here, between the table's two halves.
macro_rules! define_profile_args {
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
        // Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env >
        // profile). Not a `///` doc comment: clap would make it the description of every command
        // that flattens this struct, in place of the command's own.
        #[derive(Debug, Clone, Default, Args)]
        pub struct Overrides {
            $($(#[$bf])* pub $b: $bl,)*

            /// Read the client secret from this env var (give its name, never the secret)
            #[arg(long, value_name = "VAR", group = "secret_source")]
            pub client_secret_env: Option<String>,

            /// Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]
            #[arg(long, value_name = "PATH", group = "secret_source")]
            pub client_secret_file: Option<PathBuf>,

            /// Read the client secret from standard input [env: OAUTHCTL_CLIENT_SECRET holds the secret
            /// itself]
            #[arg(long, group = "secret_source")]
            pub client_secret_stdin: bool,

            $($(#[$af])* pub $a: $al,)*
        }

        impl Overrides {
            /// The flags as a resolution layer (the top of flag > env > profile > default).
            pub fn to_layer(&self) -> ProfileLayer {
                let secret = if self.client_secret_stdin {
                    Some(SecretSource::Stdin)
                } else {
                    self.client_secret_env
                        .clone()
                        .map(SecretSource::Env)
                        .or(self.client_secret_file.clone().map(SecretSource::File))
                };
                ProfileLayer {
                    $($b: self.$b.clone(),)*
                    secret,
                    $($a: self.$a.clone(),)*
                }
            }
        }

        #[derive(Debug, Args)]
        pub struct AddArgs {
            /// Profile name
            pub name: String,
            $($(#[$ba])* pub $b: $bl,)*
            /// Secret source: this env var (its name, never the secret)
            #[arg(long, value_name = "VAR", group = "add_secret")]
            pub client_secret_env: Option<String>,
            /// Secret source: this file
            #[arg(long, value_name = "PATH", group = "add_secret")]
            pub client_secret_file: Option<PathBuf>,
            /// Secret source: this command, as a JSON array of argv (run without a shell)
            #[arg(long, value_name = "JSON_ARRAY", value_parser = parse_argv, group = "add_secret")]
            pub client_secret_command: Option<Argv>,
            /// Store a literal client_secret read from stdin (the file must be private: mode 0600)
            #[arg(long, group = "add_secret")]
            pub client_secret_stdin: bool,
            $($(#[$aa])* pub $a: $al,)*
            /// Make this the default_profile
            #[arg(long)]
            pub default: bool,
            /// Overwrite a profile of the same name
            #[arg(long)]
            pub replace: bool,
        }

        impl AddArgs {
            /// The profile to add, in config-key terms. `--client-secret-stdin` stores a literal,
            /// which the command reads itself.
            pub fn into_spec(self) -> NewProfileSpec {
                let secret = self
                    .client_secret_env
                    .map(SecretSource::Env)
                    .or(self.client_secret_file.map(SecretSource::File))
                    .or(self.client_secret_command.map(|argv| SecretSource::Command(argv.0)));
                NewProfileSpec {
                    name: self.name,
                    layer: ProfileLayer {
                        $($b: self.$b,)*
                        secret,
                        $($a: self.$a,)*
                    },
                    secret_from_stdin: self.client_secret_stdin,
                    make_default: self.default,
                    replace: self.replace,
                }
            }
        }
    };
}

crate::profile::profile_fields!(define_profile_args);

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Neither read nor write the token cache
    #[arg(long)]
    pub no_cache: bool,

    /// Ignore a cached access token and get a new one (a cached refresh token is still used)
    #[arg(long, conflicts_with = "no_cache")]
    pub force: bool,

    /// Reuse a cached token only with more than this many seconds left [env: OAUTHCTL_MIN_TTL_SECS]
    /// [default: 60]
    #[arg(long = "min-ttl", value_name = "SECS")]
    pub min_ttl: Option<u64>,

    /// Print the token request as an equivalent curl command, secrets replaced by placeholders,
    /// and send nothing (the cache is neither read nor written)
    #[arg(long)]
    pub dry_run: bool,

    /// With a DPoP token: the URL of the request it goes with, for `-o header` (and `-o json`)
    /// to add a DPoP proof for that request (RFC 9449 §7)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// The HTTP method of the request the DPoP proof goes with [default: GET]
    #[arg(long, value_name = "METHOD", requires = "url")]
    pub method: Option<String>,

    /// The resource server's DPoP nonce, for the proof (RFC 9449 §9)
    #[arg(long, value_name = "NONCE", requires = "url")]
    pub nonce: Option<String>,

    /// Print the signed-in user's ID token (OpenID Connect), not the access token: what kubectl
    /// takes for OIDC sign-in. Renewed with the refresh token when its own exp is within the
    /// min TTL. User profiles only
    #[arg(long, conflicts_with = "url")]
    pub id_token: bool,

    #[command(flatten)]
    pub overrides: Overrides,
}

#[derive(Debug, Args)]
pub struct ExchangeArgs {
    /// The authorization code, or `-` (or nothing) to read it from stdin, which keeps it out of
    /// the process list
    #[arg(value_name = "CODE")]
    pub code: Option<String>,

    /// Do not store the tokens in the cache (by default they are, so that `fetch` can refresh)
    #[arg(long)]
    pub no_cache: bool,

    /// redirect_uri used in the authorization request [env: OAUTHCTL_REDIRECT_URI]
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,

    /// PKCE code_verifier (RFC 7636); prefer the env var, which stays out of the process list
    #[arg(
        long,
        env = "OAUTHCTL_CODE_VERIFIER",
        hide_env_values = true,
        value_name = "VERIFIER"
    )]
    pub code_verifier: Option<String>,

    /// Print the token request as an equivalent curl command, secrets (the code too) replaced by
    /// placeholders, and send nothing
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub overrides: Overrides,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The JWT, or `-` for stdin; prefer stdin, which keeps the token out of the process list
    /// [default: stdin, or the profile's token with -p]
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,

    /// Exit 5 unless the token is within its exp/nbf window
    #[arg(long)]
    pub require_valid: bool,

    /// Check the signature and the exp, nbf, iss and aud claims; exit 5 unless all pass. The keys
    /// come from --jwks, --key, --secret-env or --secret-file (each implies --verify), else from
    /// the profile's jwks_uri or its issuer's metadata
    #[arg(long)]
    pub verify: bool,

    /// JWK Set to verify with: an https URL (http only to loopback) or a file
    #[arg(long, value_name = "URL|FILE", group = "verify_keys")]
    pub jwks: Option<String>,

    /// Public key to verify with: a PEM public key or certificate, or a JWK (JSON) file
    #[arg(long, value_name = "FILE", group = "verify_keys")]
    pub key: Option<PathBuf>,

    /// HMAC secret to verify with, read from this env var (give its name, never the secret)
    #[arg(long, value_name = "VAR", group = "verify_keys")]
    pub secret_env: Option<String>,

    /// HMAC secret to verify with, read from this file (one trailing newline dropped)
    #[arg(long, value_name = "FILE", group = "verify_keys")]
    pub secret_file: Option<PathBuf>,

    /// Clock skew allowed on exp and nbf, in seconds (implies --verify) [default: 60]
    #[arg(long, value_name = "SECS")]
    pub leeway: Option<u64>,

    /// The iss the token must have (implies --verify) [default: the profile's issuer, if any]
    #[arg(long = "iss", value_name = "ISSUER")]
    pub expect_issuer: Option<String>,

    /// An aud the token must have (implies --verify) [default: the profile's audience, else its
    /// resource, if any]
    #[arg(long = "aud", value_name = "AUDIENCE")]
    pub expect_audience: Option<String>,

    #[command(flatten)]
    pub overrides: Overrides,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Use the device flow (RFC 8628): show a code to enter on another device, and wait for it
    /// [default: the browser, unless the profile's grant is device_code]
    #[arg(long)]
    pub device: bool,

    /// Print the authorization URL instead of opening a browser (for SSH sessions)
    #[arg(long, conflicts_with = "device")]
    pub no_browser: bool,

    /// Give up after this many seconds without the browser's redirect or the device approval
    /// (1 to 86400) [default: 300]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub wait_secs: Option<u64>,

    /// Redirect URI registered for the client; a loopback http URI with a port makes oauthctl
    /// listen on that port, else it takes a free one (RFC 8252 §7.3) [env: OAUTHCTL_REDIRECT_URI]
    /// [default: http://127.0.0.1:<free port>/callback]
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,

    #[command(flatten)]
    pub overrides: Overrides,
}

/// Which kind of token a revocation or introspection is about (RFC 7009 §2.1, RFC 7662 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The token, or `-` for stdin (which keeps it out of the process list; a token that starts
    /// with `-` goes after `--`) [default: the profile's cached refresh and access tokens]
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,

    /// Tell the server what kind of token TOKEN is
    #[arg(long, value_enum, value_name = "HINT")]
    pub token_type_hint: Option<TokenTypeHint>,

    #[command(flatten)]
    pub overrides: Overrides,
}

#[derive(Debug, Args)]
pub struct IntrospectArgs {
    /// The token, or `-` for stdin (which keeps it out of the process list; a token that starts
    /// with `-` goes after `--`) [default: stdin, or the profile's cached access token]
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,

    /// Tell the server what kind of token TOKEN is
    #[arg(long, value_enum, value_name = "HINT")]
    pub token_type_hint: Option<TokenTypeHint>,

    /// Exit 3 when the server says the token is not active
    #[arg(long)]
    pub require_active: bool,

    #[command(flatten)]
    pub overrides: Overrides,
}

#[derive(Debug, Subcommand)]
// Build each subcommand's arguments only when it runs: `fetch` pays for its own flags, not all.
#[command(defer = true)]
pub enum ProfilesCommand {
    /// List profiles (the default is marked)
    #[command(after_help = PROFILES_LIST_HELP)]
    List,
    /// Show one profile as it resolves now, with where each value comes from (never the secret)
    #[command(after_help = PROFILES_SHOW_HELP)]
    Show {
        /// Profile name [default: -p / OAUTHCTL_PROFILE / default_profile]
        #[arg(add = ArgValueCompleter::new(complete_profile_name))]
        name: Option<String>,
    },
    /// Add a profile (flags are named like the config keys; they read no env vars)
    #[command(after_help = PROFILES_ADD_HELP)]
    Add(Box<AddArgs>),
    /// Remove a profile
    #[command(after_help = PROFILES_REMOVE_HELP)]
    Remove {
        /// Profile name
        #[arg(add = ArgValueCompleter::new(complete_profile_name))]
        name: String,
    },
    /// Print the config file's path
    #[command(after_help = PROFILES_PATH_HELP)]
    Path,
}

#[derive(Debug, Subcommand)]
// Build each subcommand's arguments only when it runs: `fetch` pays for its own flags, not all.
#[command(defer = true)]
pub enum CacheCommand {
    /// List cached entries: profile, key, expiry, whether a refresh token is held
    #[command(after_help = CACHE_LIST_HELP)]
    List,
    /// Forget cached tokens: all of them, or with -p those of one profile
    #[command(after_help = CACHE_CLEAR_HELP)]
    Clear,
}

/// docker's credential helper actions (docker-credential-helpers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DockerAction {
    Get,
    Store,
    Erase,
    List,
}

#[derive(Debug, Subcommand)]
// Build each subcommand's arguments only when it runs: `fetch` pays for its own flags, not all.
#[command(defer = true)]
pub enum KeysCommand {
    /// Write a new private key (PKCS#8 PEM, mode 0600) and print its public JWK
    ///
    /// The key is made from the system's random source: P-256 for ES256, P-384 for ES384,
    /// Ed25519 for EdDSA, RSA 3072 for RS256/384/512 and PS256/384/512 (which takes a second or
    /// two). The file is created with mode 0600 and never replaces an existing one (exit 78). The
    /// public JWK's kid is its RFC 7638 thumbprint.
    #[command(after_help = KEYS_GENERATE_HELP)]
    Generate {
        /// The algorithm the key will sign with [default: ES256]
        #[arg(long, value_name = "ALG", value_parser = generated_alg())]
        alg: Option<Alg>,
        /// The file to write the private key to (it must not exist)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public JWK of a private key file
    ///
    /// Reads PEM (PKCS#8, PKCS#1 RSA, SEC1 EC), a private JWK or a JWK Set of one, or a Google
    /// service-account JSON key; RSA of 2048 to 4096 bits, EC P-256 and P-384, Ed25519. Like
    /// `ssh-keygen -y`, it refuses a key file that group or others can read, and an encrypted
    /// key (exit 78). The kid is the JWK's own (a service-account key's private_key_id), else
    /// the RFC 7638 thumbprint.
    #[command(after_help = KEYS_PUBLIC_HELP)]
    Public {
        /// The private key file
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The alg to register the key for; exit 78 if the key cannot sign with it [default:
        /// the JWK's own alg, else RS256 for RSA, ES256 for P-256, ES384 for P-384, EdDSA for
        /// Ed25519]
        #[arg(long, value_name = "ALG", value_parser = signing_alg())]
        alg: Option<Alg>,
    },
    /// Print a new client assertion of the profile (-p), as a request would carry it
    ///
    /// What `--dry-run` leaves to a shell variable: a JWT signed now with the
    /// profile's private key (private_key_jwt) or client secret (client_secret_jwt), for the
    /// profile's assertion_audience (by default its token endpoint, looked up from its issuer when
    /// not set). It is valid for assertion_lifetime_secs and good for one request: make a new one
    /// for each.
    #[command(after_help = KEYS_ASSERTION_HELP)]
    Assertion {
        /// The assertion of a jwt_bearer profile's grant (RFC 7523 §2.1), signed with its
        /// private key, instead of a client assertion
        #[arg(long)]
        grant_assertion: bool,
    },
    /// Print a new DPoP proof of the profile (-p) for one request
    ///
    /// What `--dry-run` leaves to a shell variable for a DPoP profile: a proof (RFC 9449 §4)
    /// signed now with the profile's DPoP key (made first if it has none), for a POST to its
    /// token endpoint with the server's latest nonce, or for the request --url names. Good for
    /// one request: make a new one for each. To call an API with a token, use
    /// `fetch -o header --url`, whose proof carries the token's hash.
    #[command(after_help = KEYS_DPOP_PROOF_HELP)]
    DpopProof {
        /// The request's URL [default: the profile's token endpoint]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The request's method [default: POST to the token endpoint, else GET]
        #[arg(long, value_name = "METHOD")]
        method: Option<String>,
        /// The server's DPoP nonce [default: the latest the token endpoint gave]
        #[arg(long, value_name = "NONCE")]
        nonce: Option<String>,
    },
}

/// The algorithms a key pair signs with, as `--alg` takes them (the HMAC ones sign with a shared
/// secret: no key pair has them): those `keys generate` makes keys for.
const SIGNING_ALGS: [Alg; 9] = GENERATED_ALGS;

fn signing_alg() -> impl TypedValueParser<Value = Alg> {
    PossibleValuesParser::new(SIGNING_ALGS.map(Alg::name))
        .try_map(|name| Alg::from_name(&name).ok_or_else(|| format!("`{name}` is not an alg")))
}

/// `keys generate --alg`'s parser: the algorithms it makes keys for.
fn generated_alg() -> impl TypedValueParser<Value = Alg> {
    PossibleValuesParser::new(GENERATED_ALGS.map(Alg::name))
        .try_map(|name| Alg::from_name(&name).ok_or_else(|| format!("`{name}` is not an alg")))
}

/// A config keyword (`basic`, `query`, …) whose possible values clap knows, so that `--help`
/// lists them and the shell completes them.
fn keyword<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names.iter().copied()).try_map(|name| name.parse::<T>())
}

/// A program and its arguments, given as one JSON array (clap would read a bare `Vec` as many values).
pub use crate::profile::kinds::Argv;

fn parse_argv(s: &str) -> Result<Argv, String> {
    s.parse()
}

#[cfg(test)]
mod tests;
