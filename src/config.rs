//! The TOML config file (DESIGN §3): where it lives, its strict model, and atomic edits.
//!
//! Loading parses the text once, with `toml_edit`, and walks the document twice: a spanned walk
//! that rejects unknown keys with their line and the nearest valid key, then a typed serde pass
//! (toml_edit's own deserializer, which keeps spans for value errors) in file order. Edits
//! (`profiles add/remove`) go through `toml_edit::DocumentMut` so other profiles' comments and
//! layout survive, and are written atomically (temp file in the same directory, fsync, rename).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Keys allowed at the top level of the file.
pub const TOP_KEYS: &[&str] = &["default_profile", "profiles"];

pub use crate::profile::{PROFILE_KEYS, ProfileEntry};

/// Refuse absurd files before parsing them.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// At most this many `[` and `{` in a file (see `parse`); a profile needs a few.
const MAX_BRACKETS: usize = 1000;

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl crate::profile::kinds::KeywordValue for $name {
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> std::result::Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("`{s}` is not one of: {}", Self::NAMES.join(", "))),
                }
            }
        }
    };
}

keyword_enum! {
    /// How the client authenticates at the token endpoint: a shared secret (RFC 6749 §2.3.1), a
    /// signed client assertion (RFC 7523 §2.2, OpenID Connect Core §9), a TLS client certificate
    /// (RFC 8705 §2), a workload identity token as its assertion (`federated_jwt`), or not at all
    /// (a public client).
    AuthMethod {
        Basic = "basic",
        Post = "post",
        None = "none",
        PrivateKeyJwt = "private_key_jwt",
        ClientSecretJwt = "client_secret_jwt",
        TlsClientAuth = "tls_client_auth",
        SelfSignedTlsClientAuth = "self_signed_tls_client_auth",
        FederatedJwt = "federated_jwt",
    }
}
keyword_enum! {
    /// The JWS algorithm client assertions are signed with (RFC 7518 §3.1; EdDSA: RFC 8037 §3.1).
    SigningAlg {
        RS256 = "RS256",
        RS384 = "RS384",
        RS512 = "RS512",
        PS256 = "PS256",
        PS384 = "PS384",
        PS512 = "PS512",
        ES256 = "ES256",
        ES384 = "ES384",
        EdDSA = "EdDSA",
        HS256 = "HS256",
        HS384 = "HS384",
        HS512 = "HS512",
    }
}

impl SigningAlg {
    /// The algorithm, as the key code knows it.
    pub fn alg(self) -> crate::keys::Alg {
        crate::keys::Alg::from_name(self.as_str()).expect("every SigningAlg is a keys::Alg")
    }
}

keyword_enum! {
    /// The JWS algorithm of DPoP proofs (RFC 9449 §4.2: asymmetric only).
    DpopAlg {
        ES256 = "ES256",
        ES384 = "ES384",
        EdDSA = "EdDSA",
        PS256 = "PS256",
        RS256 = "RS256",
    }
}

impl DpopAlg {
    /// The algorithm, as the key code knows it.
    pub fn alg(self) -> crate::keys::Alg {
        crate::keys::Alg::from_name(self.as_str()).expect("every DpopAlg is a keys::Alg")
    }
}

keyword_enum! {
    /// Whether the Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1) or not.
    BasicEncoding { Form = "form", Raw = "raw" }
}
keyword_enum! {
    /// Where grant parameters (`grant_type`, `scope`, …) go: the form body or the URL query.
    GrantParams { Body = "body", Query = "query" }
}
keyword_enum! {
    /// The profile's `grant`: how its tokens are first obtained, and so what `fetch` does for it
    /// (a client_credentials request, or a refresh of what `login` cached). The request itself is
    /// an `oauth::Grant`.
    GrantKind {
        ClientCredentials = "client_credentials",
        AuthorizationCode = "authorization_code",
        DeviceCode = "device_code",
        TokenExchange = "token_exchange",
        JwtBearer = "jwt_bearer",
    }
}
impl GrantKind {
    /// A grant by which a user signs in (`login`), and so the only kind an ID token is issued
    /// for (OpenID Connect Core §2: it is about the authentication of an end-user); the others
    /// are a client or a workload acting on its own behalf.
    pub fn signs_in_a_user(self) -> bool {
        match self {
            GrantKind::AuthorizationCode | GrantKind::DeviceCode => true,
            GrantKind::ClientCredentials | GrantKind::TokenExchange | GrantKind::JwtBearer => false,
        }
    }
}

keyword_enum! {
    /// The CI platform or orchestrator a workload identity token comes from (DESIGN §11).
    IdentityPlatform {
        GithubActions = "github-actions",
        Kubernetes = "kubernetes",
        Circleci = "circleci",
        Buildkite = "buildkite",
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileEntry>,
}

/// A config file as loaded: its path, whether it exists, its content, and whether its permissions
/// allow it to hold a literal secret.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub exists: bool,
    pub file: ConfigFile,
    /// Why a literal `client_secret` in this file must be refused (SECURITY 4), if it must.
    pub unsafe_for_secrets: Option<String>,
}

/// `explicit` when given (the caller's choice: `--config`, else a non-empty `OAUTHCTL_CONFIG`),
/// else `<config dir>/oauthctl/config.toml`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    directories::ProjectDirs::from("", "", "oauthctl")
        .map(|dirs| dirs.config_dir().join("config.toml"))
        .ok_or_else(|| {
            Error::Config(
                "cannot find a home directory for the config file; use --config FILE".into(),
            )
        })
}

impl Config {
    /// Loads the file. A missing file is an empty config unless the user named it explicitly.
    pub fn load(path: &Path, explicit: bool) -> Result<Config> {
        let text = match read_text(path)? {
            Some(text) => text,
            None if explicit => {
                return Err(Error::Config(format!(
                    "config file `{}` does not exist",
                    path.display()
                )));
            }
            None => {
                return Ok(Config {
                    path: path.to_path_buf(),
                    exists: false,
                    file: ConfigFile::default(),
                    unsafe_for_secrets: None,
                });
            }
        };
        let file = parse(&text, path)?;
        Ok(Config {
            path: path.to_path_buf(),
            exists: true,
            file,
            unsafe_for_secrets: permission_problem(path),
        })
    }
}

/// Reads the file as UTF-8; `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>> {
    let bytes = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot read config `{}`: {e}",
                path.display()
            )));
        }
        Ok(_) => crate::files::read_capped(path, MAX_CONFIG_BYTES)
            .map_err(|e| Error::Config(format!("cannot read config `{}`: {e}", path.display())))?,
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        Error::Config(format!(
            "config `{}` is not valid UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Parses and validates config text; errors name the file, the line and the problem.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile> {
    let at = |span: Option<std::ops::Range<usize>>| match span {
        Some(span) => format!(
            "config `{}` line {}",
            path.display(),
            line_of(text, span.start)
        ),
        None => format!("config `{}`", path.display()),
    };
    // toml_parser (1.1.5) recurses once per `{`/`[` it opens, and on its error-recovery path its
    // own depth limit loses count: fuzz/config_load found that `={{}` repeated 20 000 times (80 KB)
    // overflows the stack (SIGSEGV). Every level of recursion needs a bracket of its own, so
    // counting them bounds the depth: 1000 levels take about 2 MB of stack in a debug build.
    let brackets = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if brackets > MAX_BRACKETS {
        return Err(Error::Config(format!(
            "{}: {brackets} `[`/`{{` brackets, more than the {MAX_BRACKETS} a config file may have",
            at(None)
        )));
    }
    let doc = toml_edit::Document::parse(text)
        .map_err(|e| Error::Config(format!("{}: {}", at(e.span()), one_line(e.message()))))?;
    check_keys(doc.as_table(), TOP_KEYS, "at the top level", &at)?;
    if let Some(profiles) = doc.get("profiles") {
        let Some(profiles) = profiles.as_table_like() else {
            return Err(Error::Config(format!(
                "{}: `profiles` must be a table",
                at(profiles.span())
            )));
        };
        for (name, item) in profiles.iter() {
            let Some(table) = item.as_table_like() else {
                return Err(Error::Config(format!(
                    "{}: profile `{name}` must be a table",
                    at(item.span())
                )));
            };
            check_keys(table, PROFILE_KEYS, &format!("in profile `{name}`"), &at)?;
        }
    }
    ConfigFile::deserialize(toml_edit::de::Deserializer::from(doc))
        .map_err(|e| Error::Config(format!("{}: {}", at(e.span()), one_line(e.message()))))
}

fn check_keys(
    table: &dyn toml_edit::TableLike,
    allowed: &[&str],
    place: &str,
    at: &dyn Fn(Option<std::ops::Range<usize>>) -> String,
) -> Result<()> {
    for (name, _) in table.iter() {
        if allowed.contains(&name) {
            continue;
        }
        let span = table.get_key_value(name).and_then(|(key, _)| key.span());
        return Err(Error::Config(format!(
            "{}: unknown key `{name}` {place} (did you mean `{}`?)",
            at(span),
            nearest(name, allowed)
        )));
    }
    Ok(())
}

/// The candidate most similar to `word` (Jaro-Winkler, as clap's own suggestions use).
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> &'a str {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
        .unwrap_or("")
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a literal secret in this file would be exposed: group/other access or another owner.
pub(crate) fn permission_problem(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    crate::files::exposure(&meta, path)
}

/// Values for a new profile, in the shape of the file.
pub type NewProfile = Vec<(&'static str, toml_edit::Item)>;

/// Adds (or with `replace`, replaces) a profile, keeping everything else in the file as it was.
pub fn add_profile(
    path: &Path,
    name: &str,
    values: NewProfile,
    make_default: bool,
    replace: bool,
) -> Result<()> {
    let text = read_text(path)?.unwrap_or_default();
    // Validate the existing file first: never rewrite a file we could not load.
    parse(&text, path)?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Error::Config(format!(
            "config `{}`: {}",
            path.display(),
            one_line(e.message())
        ))
    })?;
    if doc.get("profiles").is_none() {
        let mut profiles = toml_edit::Table::new();
        profiles.set_implicit(true);
        doc.insert("profiles", toml_edit::Item::Table(profiles));
    }
    let profiles = doc["profiles"].as_table_like_mut().ok_or_else(|| {
        Error::Config(format!(
            "config `{}`: `profiles` must be a table",
            path.display()
        ))
    })?;
    if profiles.contains_key(name) && !replace {
        return Err(Error::Config(format!(
            "profile `{name}` already exists in `{}` (use --replace to overwrite it)",
            path.display()
        )));
    }
    let mut table = toml_edit::Table::new();
    for (key, item) in values {
        table.insert(key, item);
    }
    profiles.insert(name, toml_edit::Item::Table(table));
    if make_default {
        doc["default_profile"] = toml_edit::value(name);
    }
    let out = doc.to_string();
    // What we write must load again; this also catches keys we would not accept.
    parse(&out, path)?;
    write_config(path, out.as_bytes())
}

/// Removes a profile; returns whether it was the default (whose `default_profile` line goes too).
pub fn remove_profile(path: &Path, name: &str) -> Result<bool> {
    let Some(text) = read_text(path)? else {
        return Err(Error::Config(format!(
            "config file `{}` does not exist",
            path.display()
        )));
    };
    let file = parse(&text, path)?;
    if !file.profiles.contains_key(name) {
        return Err(missing_profile(name, &file, path));
    }
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Error::Config(format!(
            "config `{}`: {}",
            path.display(),
            one_line(e.message())
        ))
    })?;
    if let Some(profiles) = doc.get_mut("profiles").and_then(|p| p.as_table_like_mut()) {
        profiles.remove(name);
    }
    let was_default = file.default_profile.as_deref() == Some(name);
    if was_default {
        remove_keeping_comments(&mut doc, "default_profile");
    }
    write_config(path, doc.to_string().as_bytes())?;
    Ok(was_default)
}

/// Removes a top-level key, but hands the comments above it (often the file's own header) to
/// whatever now comes first, instead of deleting them with the key.
fn remove_keeping_comments(doc: &mut toml_edit::DocumentMut, key: &str) {
    let comments = doc
        .as_table_mut()
        .key_mut(key)
        .and_then(|k| {
            k.leaf_decor()
                .prefix()
                .and_then(|p| p.as_str())
                .map(str::to_string)
        })
        .filter(|p| p.contains('#'));
    doc.remove(key);
    let Some(comments) = comments else { return };
    let prepend = |decor: &mut toml_edit::Decor| {
        let existing = decor
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string();
        decor.set_prefix(format!("{comments}{existing}"));
    };
    // The schema has no other top-level value, so what comes first now is the `[profiles]` table
    // itself when written out, else the profile table written first.
    let Some(profiles) = doc
        .get_mut("profiles")
        .and_then(toml_edit::Item::as_table_mut)
    else {
        return;
    };
    if !profiles.is_implicit() {
        prepend(profiles.decor_mut());
        return;
    }
    let first = profiles
        .iter()
        .filter_map(|(name, item)| Some((item.as_table()?.position()?, name.to_string())))
        .min();
    if let Some(table) = first.and_then(|(_, name)| profiles.get_mut(&name)?.as_table_mut()) {
        prepend(table.decor_mut());
    }
}

/// Config edits keep the file's mode; a new file is 0600 in a 0700 directory.
fn write_config(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::files::write_atomically(path, bytes, crate::files::Mode::KeepOr(0o600))
        .map_err(|e| Error::Config(format!("cannot write `{}`: {e}", path.display())))
}

/// The error for a profile name that is not in the file, with the nearest name when there is one.
pub fn missing_profile(name: &str, file: &ConfigFile, path: &Path) -> Error {
    let names: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
    let hint = if names.is_empty() {
        " (it has no profiles; add one with `oauthctl profiles add NAME --token-url …`)".to_string()
    } else {
        format!(
            " (did you mean `{}`? profiles: {})",
            nearest(name, &names),
            names.join(", ")
        )
    };
    Error::Config(format!(
        "profile `{name}` not found in `{}`{hint}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        parse(text, Path::new("c.toml")).unwrap_err().to_string()
    }

    #[test]
    fn full_example_parses() {
        let text = r#"
default_profile = "watson"
[profiles.watson]
token_url = "https://api.watsonwork.ibm.com/oauth/token"
grant = "client_credentials"
client_id = "my-app-id"
client_secret_env = "WATSON_APP_SECRET"
auth_method = "basic"
basic_encoding = "raw"
grant_params = "query"
scope = "read write"
audience = "https://api.example"
resource = "https://api.example"
redirect_uri = "https://app.example/callback"
params = { tenant = "acme" }
headers = { Accept = "application/json" }
timeout_secs = 30
ca_file = "/etc/ssl/private-ca.pem"
min_ttl_secs = 60
retries = 3
retry_max_secs = 30
"#;
        let file = parse(text, Path::new("c.toml")).unwrap();
        let p = &file.profiles["watson"];
        assert_eq!(file.default_profile.as_deref(), Some("watson"));
        assert_eq!(p.basic_encoding, Some(BasicEncoding::Raw));
        assert_eq!(p.grant_params, Some(GrantParams::Query));
        assert_eq!(p.params.as_ref().unwrap()["tenant"], "acme");
        assert_eq!(p.timeout_secs, Some(30));
    }

    #[test]
    fn unknown_keys_name_the_key_the_line_and_the_nearest_key() {
        let err = parse_err("[profiles.a]\ntoken_url = \"https://x\"\ntokn_url = \"y\"\n");
        assert_eq!(
            err,
            "config `c.toml` line 3: unknown key `tokn_url` in profile `a` (did you mean `token_url`?)"
        );
        let err = parse_err("default_profil = \"a\"\n");
        assert_eq!(
            err,
            "config `c.toml` line 1: unknown key `default_profil` at the top level (did you mean `default_profile`?)"
        );
        let err = parse_err("[profiles.a]\nclient-id = \"x\"\n");
        assert!(err.contains("did you mean `client_id`?"), "{err}");
    }

    #[test]
    fn bad_values_name_the_line() {
        let err = parse_err("[profiles.a]\n\ntimeout_secs = \"ten\"\n");
        assert!(err.starts_with("config `c.toml` line 3: "), "{err}");
        let err = parse_err("[profiles.a]\nauth_method = \"header\"\n");
        assert!(err.contains("line 2") && err.contains("header"), "{err}");
        assert!(!err.contains('\n'));
        let err = parse_err("profiles = 3\n");
        assert!(err.contains("`profiles` must be a table"), "{err}");
    }

    #[test]
    fn of_several_bad_values_the_first_in_the_file_is_reported() {
        let err = parse_err("[profiles.a]\ntimeout_secs = \"ten\"\nauth_method = \"header\"\n");
        assert_eq!(
            err,
            "config `c.toml` line 2: invalid type: string \"ten\", expected u64"
        );
        let err = parse_err("[profiles.a]\nparams.b = 1\nheaders.c.d = \"e\"\n");
        assert_eq!(
            err,
            "config `c.toml` line 2: invalid type: integer `1`, expected a string"
        );
    }

    #[test]
    fn hostile_toml_is_a_clean_error() {
        let deep = format!("x = {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse_err(&deep);
        assert!(err.starts_with("config `c.toml`"), "{err}");
        let err = parse_err("[profiles.a\n");
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn keyword_enums_round_trip() {
        for name in AuthMethod::NAMES {
            assert_eq!(AuthMethod::from_str(name).unwrap().as_str(), *name);
        }
        assert!(
            GrantKind::from_str("password")
                .unwrap_err()
                .contains("client_credentials")
        );
    }

    #[test]
    fn nearest_picks_the_closest() {
        assert_eq!(nearest("scopes", PROFILE_KEYS), "scope");
        assert_eq!(
            nearest("client_secret_cmd", PROFILE_KEYS),
            "client_secret_command"
        );
        assert_eq!(nearest("tokenurl", PROFILE_KEYS), "token_url");
    }
}
