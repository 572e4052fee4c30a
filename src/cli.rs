//! The command line, as clap derive structs. Every field's doc comment is its `--help` text.
//! Nothing outside this file and `main.rs` knows about clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{AuthMethod, BasicEncoding, Grant, GrantParams};
use crate::resolve::{parse_header, parse_param};

#[derive(Debug, Parser)]
#[command(
    name = "oauthctl",
    version,
    about = "Get OAuth 2.0 access tokens and see what is in them",
    after_help = "Examples:\n  oauthctl fetch -p watson\n  curl -H \"Authorization: Bearer $(oauthctl fetch)\" https://api.example/\n  OAUTHCTL_TOKEN_URL=https://idp/token OAUTHCTL_CLIENT_ID=ci OAUTHCTL_CLIENT_SECRET=… oauthctl fetch -o json\n  oauthctl fetch | oauthctl inspect"
)]
pub struct Cli {
    /// Config file [env: OAUTHCTL_CONFIG] [default: ~/.config/oauthctl/config.toml]
    #[arg(short = 'c', long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Profile to use [env: OAUTHCTL_PROFILE] [default: the config's default_profile]
    #[arg(short = 'p', long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Output format: text, json, header, env, exec-credential (the last three: fetch and
    /// exchange-code only) [env: OAUTHCTL_OUTPUT] [default: text]
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Trace requests and responses on stderr (secrets redacted)
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Bare token (fetch/exchange-code) or a readable view
    Text,
    /// One JSON document
    Json,
    /// `Authorization: Bearer <token>`, for `curl -H @-`
    Header,
    /// `export OAUTHCTL_ACCESS_TOKEN=…` lines, for `eval`
    Env,
    /// A Kubernetes client-go ExecCredential
    ExecCredential,
}

#[derive(Debug, Subcommand)]
// Build each subcommand's arguments only when it runs: `fetch` pays for its own flags, not all.
#[command(defer = true)]
pub enum Command {
    /// Get an access token with the client_credentials grant (RFC 6749 §4.4)
    #[command(
        after_help = "Examples:\n  oauthctl fetch -p watson\n  TOKEN=$(oauthctl fetch -p ci)\n  oauthctl fetch -p ci -o header | curl -H @- https://api.example/\n  oauthctl fetch --token-url https://idp/token --client-id app --scope 'read write' -o json"
    )]
    Fetch(FetchArgs),

    /// Exchange an authorization code for tokens (RFC 6749 §4.1.3, PKCE RFC 7636)
    #[command(
        after_help = "Examples:\n  oauthctl exchange-code -p web SplxlOBeZQQYbYS6WxSbIA\n  echo \"$CODE\" | oauthctl exchange-code -p web - -o json\n  OAUTHCTL_CODE_VERIFIER=… oauthctl exchange-code -p app --redirect-uri http://127.0.0.1:8400/cb -"
    )]
    ExchangeCode(ExchangeArgs),

    /// Decode a JWT: header, claims and times (the signature is NOT verified)
    #[command(
        after_help = "Examples:\n  oauthctl inspect eyJhbGciOi…\n  oauthctl fetch -p watson | oauthctl inspect\n  oauthctl inspect -p watson --require-valid\n  oauthctl inspect -o json - < token.txt"
    )]
    Inspect(InspectArgs),

    /// List, show, add and remove profiles in the config file
    #[command(subcommand)]
    Profiles(ProfilesCommand),

    /// Show or forget cached tokens (the tokens themselves are never shown)
    #[command(subcommand)]
    Cache(CacheCommand),

    /// Print a shell completion script (the same files are committed under completions/)
    #[command(
        after_help = "Examples:\n  oauthctl completions bash > ~/.local/share/bash-completion/completions/oauthctl\n  oauthctl completions zsh > \"${fpath[1]}/_oauthctl\"\n  oauthctl completions fish > ~/.config/fish/completions/oauthctl.fish"
    )]
    Completions {
        /// bash, zsh, fish, powershell or elvish
        shell: clap_complete::Shell,
    },
}

/// Per-run overrides of profile fields; each also has an `OAUTHCTL_*` env var (flag > env > profile).
#[derive(Debug, Clone, Default, Args)]
pub struct Overrides {
    /// Token endpoint URL [env: OAUTHCTL_TOKEN_URL]
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,

    /// Client identifier [env: OAUTHCTL_CLIENT_ID]
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from this env var
    #[arg(long, value_name = "VAR", group = "secret_source")]
    pub client_secret_env: Option<String>,

    /// Read the client secret from this file [env: OAUTHCTL_CLIENT_SECRET_FILE]
    #[arg(long, value_name = "PATH", group = "secret_source")]
    pub client_secret_file: Option<PathBuf>,

    /// Read the client secret from standard input (the secret itself: OAUTHCTL_CLIENT_SECRET)
    #[arg(long, group = "secret_source")]
    pub client_secret_stdin: bool,

    /// Client authentication: basic, post or none [env: OAUTHCTL_AUTH_METHOD] [default: basic]
    #[arg(long, value_name = "METHOD", value_parser = keyword::<AuthMethod>)]
    pub auth_method: Option<AuthMethod>,

    /// Basic credentials: form-urlencoded first (form) or raw [env: OAUTHCTL_BASIC_ENCODING] [default: form]
    #[arg(long, value_name = "ENCODING", value_parser = keyword::<BasicEncoding>)]
    pub basic_encoding: Option<BasicEncoding>,

    /// Where grant parameters go: body or query [env: OAUTHCTL_GRANT_PARAMS] [default: body]
    #[arg(long, value_name = "WHERE", value_parser = keyword::<GrantParams>)]
    pub grant_params: Option<GrantParams>,

    /// Space-separated scopes [env: OAUTHCTL_SCOPE]
    #[arg(long)]
    pub scope: Option<String>,

    /// `audience` parameter [env: OAUTHCTL_AUDIENCE]
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,

    /// `resource` parameter, RFC 8707 [env: OAUTHCTL_RESOURCE]
    #[arg(long, value_name = "URI")]
    pub resource: Option<String>,

    /// Extra form parameter, repeatable [env: OAUTHCTL_PARAMS as k=v&k2=v2]
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,

    /// Extra request header, repeatable [env: OAUTHCTL_HEADERS, one per line]
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,

    /// Whole-request deadline in seconds [env: OAUTHCTL_TIMEOUT_SECS] [default: 30]
    #[arg(long = "timeout-secs", visible_alias = "timeout", value_name = "SECS")]
    pub timeout_secs: Option<u64>,

    /// Extra trusted root certificates (PEM) [env: OAUTHCTL_CA_FILE]
    #[arg(long = "ca-file", visible_alias = "cacert", value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Neither read nor write the token cache
    #[arg(long)]
    pub no_cache: bool,

    /// Ignore a cached access token and get a new one (a cached refresh token is still used)
    #[arg(long, conflicts_with = "no_cache")]
    pub force: bool,

    /// Reuse a cached token only with more than this many seconds left [env: OAUTHCTL_MIN_TTL_SECS] [default: 60]
    #[arg(long = "min-ttl", value_name = "SECS")]
    pub min_ttl: Option<u64>,

    /// Print the token request as an equivalent curl command, secrets replaced by placeholders,
    /// and send nothing (the cache is neither read nor written)
    #[arg(long)]
    pub dry_run: bool,

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
    /// The JWT, or `-` for stdin [default: stdin, or the profile's token with -p]
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,

    /// Exit 5 unless the token is within its exp/nbf window
    #[arg(long)]
    pub require_valid: bool,

    #[command(flatten)]
    pub overrides: Overrides,
}

#[derive(Debug, Subcommand)]
// Build each subcommand's arguments only when it runs: `fetch` pays for its own flags, not all.
#[command(defer = true)]
pub enum ProfilesCommand {
    /// List profiles (the default is marked)
    List,
    /// Show one profile as it resolves now, with where each value comes from (never the secret)
    Show {
        /// Profile name [default: -p / OAUTHCTL_PROFILE / default_profile]
        name: Option<String>,
    },
    /// Add a profile (flags are named like the config keys)
    #[command(
        after_help = "Examples:\n  oauthctl profiles add watson --token-url https://api.watsonwork.ibm.com/oauth/token --client-id my-app --client-secret-env WATSON_APP_SECRET --default\n  oauthctl profiles add igni --token-url https://acme.igni.co/api/v1/oauth2/token --client-id k --auth-method post --header 'Accept: application/json' --client-secret-command '[\"pass\",\"show\",\"igni\"]'"
    )]
    Add(Box<AddArgs>),
    /// Remove a profile
    Remove {
        /// Profile name
        name: String,
    },
    /// Print the config file's path
    Path,
}

#[derive(Debug, Subcommand)]
// Build each subcommand's arguments only when it runs: `fetch` pays for its own flags, not all.
#[command(defer = true)]
pub enum CacheCommand {
    /// List cached entries: profile, key, expiry, whether a refresh token is held
    List,
    /// Forget cached tokens: all of them, or with -p those of one profile
    #[command(after_help = "Examples:\n  oauthctl cache clear\n  oauthctl cache clear -p watson")]
    Clear,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Profile name
    pub name: String,
    /// Token endpoint URL
    #[arg(long, value_name = "URL", required_unless_present = "issuer")]
    pub token_url: Option<String>,
    /// Issuer URL (for discovery instead of token_url)
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// What `fetch` does: client_credentials, authorization_code, device_code
    #[arg(long, value_name = "GRANT", value_parser = keyword::<Grant>)]
    pub grant: Option<Grant>,
    /// Client identifier
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Secret source: this env var
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
    /// basic, post or none
    #[arg(long, value_name = "METHOD", value_parser = keyword::<AuthMethod>)]
    pub auth_method: Option<AuthMethod>,
    /// form or raw
    #[arg(long, value_name = "ENCODING", value_parser = keyword::<BasicEncoding>)]
    pub basic_encoding: Option<BasicEncoding>,
    /// body or query
    #[arg(long, value_name = "WHERE", value_parser = keyword::<GrantParams>)]
    pub grant_params: Option<GrantParams>,
    /// Space-separated scopes
    #[arg(long)]
    pub scope: Option<String>,
    /// `audience` parameter
    #[arg(long)]
    pub audience: Option<String>,
    /// `resource` parameter (RFC 8707)
    #[arg(long)]
    pub resource: Option<String>,
    /// redirect_uri for exchange-code
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Extra form parameter, repeatable
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Extra request header, repeatable
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Whole-request deadline in seconds
    #[arg(long, value_name = "SECS")]
    pub timeout_secs: Option<u64>,
    /// Extra trusted root certificates (PEM)
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Reuse a cached token only with at least this much life left
    #[arg(long, value_name = "SECS")]
    pub min_ttl_secs: Option<u64>,
    /// Retries for client_credentials / refresh requests
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Give up rather than wait longer than this in total
    #[arg(long, value_name = "SECS")]
    pub retry_max_secs: Option<u64>,
    /// Make this the default_profile
    #[arg(long)]
    pub default: bool,
    /// Overwrite a profile of the same name
    #[arg(long)]
    pub replace: bool,
}

fn keyword<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

/// A program and its arguments, given as one JSON array (clap would read a bare `Vec` as many values).
#[derive(Debug, Clone)]
pub struct Argv(pub Vec<String>);

fn parse_argv(s: &str) -> Result<Argv, String> {
    match serde_json::from_str::<Vec<String>>(s) {
        Ok(argv) if !argv.is_empty() => Ok(Argv(argv)),
        _ => Err(
            "expected a non-empty JSON array of strings, e.g. '[\"pass\",\"show\",\"idp\"]'".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
