//! The settings step (docs/design.md §8): from the parsed command line and the environment to
//! what a command runs with, decided in one place before it runs. The output format, the config
//! file's path, the profile's name and the command's own overrides are read at once; the config
//! file, the resolved profile, the transport and the token cache are made on first use, once, so
//! that a command that needs none of them (`inspect TOKEN`, `cache list`) reads nothing it does
//! not need, and no command resolves anything again.

use std::cell::{OnceCell, RefCell};
use std::path::PathBuf;
use std::str::FromStr;

use crate::cache::Cache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{Trace, Transport};
use crate::oauth::{Client, ClientSecret, Discovered};
use crate::output::OutputFormat;
use crate::resolve::{Profile, ProfileLayer, resolve};
use crate::sink::Shared;

/// What a run is given, and what it opens at most once.
pub struct Settings {
    pub format: OutputFormat,
    pub config_path: PathBuf,
    /// Given by `--config`/`OAUTHCTL_CONFIG`: then a missing file is an error.
    pub config_explicit: bool,
    /// `-p` / `OAUTHCTL_PROFILE`.
    pub profile_name: Option<String>,
    /// `-p` was typed on this command line (not inherited from the environment).
    pub profile_on_command_line: bool,
    pub verbose: bool,
    /// Where the run shows what happens while it works (`main`'s writes to stderr).
    sink: Shared,
    /// The command's overrides of profile fields (its flags), the top of flag > env > profile.
    flags: ProfileLayer,
    config: OnceCell<Config>,
    profile: OnceCell<Profile>,
    secret: OnceCell<ClientSecret>,
    /// The workload identity token, obtained once per run (DESIGN §11).
    identity: OnceCell<Option<crate::secret::Secret>>,
    transport: OnceCell<Transport>,
    /// The profile completed from its issuer's metadata, once a client looked it up.
    discovered: Discovered,
    /// The token cache, once opened; `None` when it cannot be used.
    cache: OnceCell<Option<Cache>>,
    /// The profile's DPoP key and the servers' nonces (DESIGN §12), once needed.
    dpop: OnceCell<Option<crate::dpop::Dpop>>,
    /// The command neither reads nor writes the cache (`--no-cache`): nor the DPoP key store.
    cache_bypassed: std::cell::Cell<bool>,
    /// The profile is the config file's alone, no `OAUTHCTL_*` variable applied: a credential
    /// helper's (`for_profile`), whose caller's environment was set for something else.
    file_only: bool,
    /// A warning for stderr once the command is done; the first one wins, so a run says at most
    /// one thing about, say, its cache (DESIGN §7).
    warning: RefCell<Option<String>>,
}

/// An `OAUTHCTL_*` variable; an empty one counts as unset.
fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The output format: `-o`, else `OAUTHCTL_OUTPUT`, else text.
pub fn output_format(flag: Option<OutputFormat>) -> Result<OutputFormat> {
    match flag {
        Some(format) => Ok(format),
        None => match from_env("OAUTHCTL_OUTPUT") {
            None => Ok(OutputFormat::Text),
            Some(value) => OutputFormat::from_str(&value).map_err(|_| {
                Error::Usage(
                    "env var OAUTHCTL_OUTPUT is not one of text, json, header, env, exec-credential"
                        .into(),
                )
            }),
        },
    }
}

/// The global flags, as parsed.
#[derive(Debug, Default)]
pub struct GlobalFlags {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub verbose: bool,
}

impl Settings {
    /// The settings of a run: the global flags over their `OAUTHCTL_*` variables (an empty
    /// variable counts as unset, like every other), and the command's overrides. `format` is
    /// `output_format`'s, decided first so that even an error here is reported in it.
    pub fn new(
        format: OutputFormat,
        global: GlobalFlags,
        flags: ProfileLayer,
        sink: Shared,
    ) -> Result<Settings> {
        let config_flag = global
            .config
            .or_else(|| from_env("OAUTHCTL_CONFIG").map(PathBuf::from));
        Ok(Settings {
            format,
            config_path: crate::config::locate(config_flag.as_deref())?,
            config_explicit: config_flag.is_some(),
            profile_on_command_line: global.profile.is_some(),
            profile_name: global.profile.or_else(|| from_env("OAUTHCTL_PROFILE")),
            verbose: global.verbose,
            sink,
            flags,
            config: OnceCell::new(),
            profile: OnceCell::new(),
            secret: OnceCell::new(),
            identity: OnceCell::new(),
            transport: OnceCell::new(),
            discovered: Discovered::default(),
            cache: OnceCell::new(),
            dpop: OnceCell::new(),
            cache_bypassed: std::cell::Cell::new(false),
            file_only: false,
            warning: RefCell::new(None),
        })
    }

    /// The same run's settings for profile `name` (a credential helper's, chosen by URL), as if
    /// `-p NAME` had been given: its own profile, secret, cache and DPoP key; the config file
    /// read once between them. The profile is the file's alone: `OAUTHCTL_*` variables exported
    /// for a `fetch` in the same shell must not send git's request to another server, client or
    /// scope (SECURITY 46).
    pub fn for_profile(&self, name: &str) -> Settings {
        Settings {
            format: self.format,
            config_path: self.config_path.clone(),
            config_explicit: self.config_explicit,
            profile_on_command_line: true,
            profile_name: Some(name.to_string()),
            verbose: self.verbose,
            sink: self.sink.clone(),
            flags: self.flags.clone(),
            config: self.config.clone(),
            profile: OnceCell::new(),
            secret: OnceCell::new(),
            identity: OnceCell::new(),
            transport: OnceCell::new(),
            discovered: Discovered::default(),
            cache: OnceCell::new(),
            dpop: OnceCell::new(),
            cache_bypassed: std::cell::Cell::new(false),
            file_only: true,
            warning: RefCell::new(None),
        }
    }

    /// The config file, loaded on first use.
    pub fn config(&self) -> Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let config = Config::load(&self.config_path, self.config_explicit)?;
        Ok(self.config.get_or_init(|| config))
    }

    /// The profile this run uses, with the command's flags and the env overrides applied,
    /// resolved on first use.
    pub fn profile(&self) -> Result<&Profile> {
        if let Some(profile) = self.profile.get() {
            return Ok(profile);
        }
        let profile = self.resolve_named(self.profile_name.as_deref(), self.flags.clone())?;
        Ok(self.profile.get_or_init(|| profile))
    }

    /// Profile `name` (else the default), with `flags` and the env overrides applied: for
    /// `profiles show NAME`, which looks at another profile than the run's.
    pub fn resolve_named(&self, name: Option<&str>, flags: ProfileLayer) -> Result<Profile> {
        if self.file_only {
            return resolve(name, self.config()?, flags, &|_| None);
        }
        resolve(name, self.config()?, flags, &|key| std::env::var(key).ok())
    }

    /// The command's overrides of profile fields.
    pub fn flags(&self) -> &ProfileLayer {
        &self.flags
    }

    /// The profile's client secret, read when first needed (never for a cache hit that needs no
    /// secret).
    pub fn secret(&self) -> Result<&ClientSecret> {
        if let Some(secret) = self.secret.get() {
            return Ok(secret);
        }
        let secret = ClientSecret::new(self.profile()?, self.config()?);
        Ok(self.secret.get_or_init(|| secret))
    }

    /// Says that this command neither reads nor writes the cache (`--no-cache`): a DPoP key is
    /// then made for the run alone, and nonces are not kept.
    pub fn bypass_cache(&self) {
        self.cache_bypassed.set(true);
    }

    /// The profile's DPoP key and the servers' latest nonces (`None` when the profile does not
    /// use DPoP), on first use: the `dpop_key_file`, else the key oauthctl keeps for the
    /// profile's client in the cache directory, made when missing, else a key for this run alone
    /// (DESIGN §12).
    pub fn dpop(&self) -> Result<Option<&crate::dpop::Dpop>> {
        if let Some(dpop) = self.dpop.get() {
            return Ok(dpop.as_ref());
        }
        let profile = self.profile()?;
        if !profile.uses_dpop() {
            return Ok(self.dpop.get_or_init(|| None).as_ref());
        }
        let place = self.dpop_place()?;
        let key = crate::dpop::profile_key(
            profile,
            place
                .as_ref()
                .map(|(store, client)| crate::dpop::KeyPlace { store, client }),
            true,
        )?
        .ok_or_else(|| Error::Internal("a DPoP profile without a key".into()))?;
        if let Some(why) = &key.not_kept {
            self.warn(format!(
                "warning: {why}; a DPoP key made for this run signs its proofs, and its token is not cached"
            ));
        }
        let dpop = crate::dpop::Dpop::new(key, place.map(|(store, _)| store));
        Ok(self.dpop.get_or_init(|| Some(dpop)).as_ref())
    }

    /// The run's DPoP, if it was opened already.
    pub fn dpop_if_opened(&self) -> Option<&crate::dpop::Dpop> {
        self.dpop.get().and_then(Option::as_ref)
    }

    /// Where the profile's DPoP key is kept when oauthctl makes it: the store, and the cache key
    /// of the profile's client that names it (`dpop::key_name`). `None` for `--no-cache` and when
    /// there is no cache to keep it in (the warning says why).
    pub fn dpop_place(&self) -> Result<Option<(crate::dpop::Store, crate::cache::Key)>> {
        if self.cache_bypassed.get() {
            return Ok(None);
        }
        let Some(cache) = self.cache() else {
            return Ok(None);
        };
        let profile = self.profile()?;
        let credential = crate::cache::Credential::for_run(self)?;
        let client = match cache.key(profile, crate::dpop::KEY_GRANT, &credential) {
            Ok(client) => client,
            Err(why) => {
                self.warn(format!(
                    "warning: not keeping the DPoP key: {why}; a key made for this run signs its proofs, and its access token is not cached"
                ));
                return Ok(None);
            }
        };
        match crate::dpop::Store::open(cache) {
            Ok(store) => Ok(Some((store, client))),
            Err(why) => {
                self.warn(format!(
                    "warning: not keeping the DPoP key: {why}; a key made for this run signs its proofs, and its access token is not cached"
                ));
                Ok(None)
            }
        }
    }

    /// The profile's client: its endpoints, the run's transport and its secret, and what the
    /// run's clients have learnt from the issuer's metadata.
    pub fn client(&self) -> Result<Client<'_>> {
        Ok(Client::new(
            self,
            self.profile()?,
            self.secret()?,
            self.transport()?,
            &self.discovered,
        ))
    }

    /// The one transport of the run, for the profile's deadline and trusted roots.
    /// The profile's workload identity token (`None` without a source), obtained on first use:
    /// once per run, never cached across runs (DESIGN §11).
    pub fn identity_token(&self) -> Result<Option<&crate::secret::Secret>> {
        if let Some(token) = self.identity.get() {
            return Ok(token.as_ref());
        }
        let profile = self.profile()?;
        let token = match crate::identity::identity_source(profile)? {
            Some(source) => Some(crate::identity::obtain(
                profile,
                &source,
                self.transport()?,
                &self.trace(),
            )?),
            None => None,
        };
        Ok(self.identity.get_or_init(|| token).as_ref())
    }

    pub fn transport(&self) -> Result<&Transport> {
        if let Some(transport) = self.transport.get() {
            return Ok(transport);
        }
        let profile = self.profile()?;
        // DESIGN §10: with a client certificate, every request to the server presents it.
        let identity = match &profile.client_certificate_file {
            Some(_) => match self.secret()?.key()? {
                Some(key) => Some(key.tls_identity(profile)?),
                None => None,
            },
            None => None,
        };
        let transport = Transport::new(
            profile.timeout(),
            profile.ca_file.as_deref(),
            identity.as_ref(),
        )?;
        Ok(self.transport.get_or_init(|| transport))
    }

    /// The token cache, opened and checked on first use. `None` when it cannot be trusted or
    /// made: the run works uncached, and the warning says why (DESIGN §7, SECURITY 13, 48).
    pub fn cache(&self) -> Option<&Cache> {
        self.cache
            .get_or_init(|| {
                let opened = match Cache::locate() {
                    Err(_) => Err(format!(
                        "not using a token cache: there is no home directory to keep it in; working uncached (set {})",
                        crate::cache::DIR_ENV
                    )),
                    Ok(path) => Cache::open(&path).map_err(|untrusted| {
                        format!(
                            "not using the token cache `{}`: {untrusted}; working uncached (fix that, or set {})",
                            crate::untrusted::printable(&path.display().to_string(), 300),
                            crate::cache::DIR_ENV
                        )
                    }),
                };
                match opened {
                    Ok(cache) => Some(cache),
                    Err(why) => {
                        self.warn(format!("warning: {why}"));
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Keeps `text` for stderr at the end of the run, unless a warning is kept already.
    pub fn warn(&self, text: String) {
        self.warning.borrow_mut().get_or_insert(text);
    }

    /// The warning kept for the end of the run.
    pub fn take_warning(&self) -> Option<String> {
        self.warning.borrow_mut().take()
    }

    /// A trace for one exchange with a server (`-v`), masking the protocol's secrets.
    pub fn trace(&self) -> Trace {
        Trace::new(self.verbose, crate::oauth::SECRET_NAMES, self.sink.clone())
    }

    /// Shows one line to the user at once (`login`'s instructions), escaped.
    pub fn tell(&self, line: &str) {
        self.sink
            .line(&crate::untrusted::printable(line, 64 * 1024));
    }
}

impl crate::oauth::Run for Settings {
    fn trace(&self) -> Trace {
        Settings::trace(self)
    }

    fn identity_token(&self) -> Result<Option<crate::secret::Secret>> {
        Settings::identity_token(self).map(Option::<&crate::secret::Secret>::cloned)
    }

    fn dpop(&self) -> Result<Option<&crate::dpop::Dpop>> {
        Settings::dpop(self)
    }
}

impl crate::discovery::MetadataCache for Settings {
    fn cache(&self) -> Option<&Cache> {
        Settings::cache(self)
    }

    fn warn(&self, text: String) {
        Settings::warn(self, text);
    }
}
