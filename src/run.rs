//! One run of a command, between `main`'s parsing and its writing: the settings step
//! (`Settings`), the command, and the rendering of its result. Nothing here writes to stdout or
//! stderr; what the user must see while a command works (the `-v` trace, a progress note,
//! `login`'s instructions) goes to the sink `main` hands down.

use crate::cli::{self, CacheCommand, Cli, Command, KeysCommand, OutputFormat, ProfilesCommand};
use crate::commands;
use crate::error::{Error, Result};
use crate::kube;
use crate::output::{self, Rendered, Screened};
use crate::settings::{GlobalFlags, Settings, output_format};
use crate::sink::Shared;
use crate::tokens::{self, CacheUse, Wanted};
use crate::untrusted::printable;

/// What a run leaves for `main` to write.
pub struct Finished {
    /// The format errors are reported in.
    pub format: OutputFormat,
    /// A warning about the run (its cache, say), escaped whole, as error messages are; it comes
    /// before the result's own note.
    pub warning: Option<String>,
    /// The rendered output, past its last gate, or the error.
    pub result: Result<Screened>,
}

/// Runs `cli`'s command, showing what happens meanwhile through `sink`.
pub fn execute(cli: Cli, sink: Shared) -> Finished {
    let format = match output_format(cli.output) {
        Ok(format) => format,
        Err(e) => return failed(OutputFormat::Text, e),
    };
    let global = GlobalFlags {
        config: cli.config,
        profile: cli.profile,
        verbose: cli.verbose,
    };
    let settings = match Settings::new(format, global, cli.command.overrides(), sink) {
        Ok(settings) => settings,
        Err(e) => return failed(format, e),
    };
    let result = dispatch(&settings, cli.command);
    Finished {
        format,
        warning: settings
            .take_warning()
            .map(|warning| printable(&warning, 2000)),
        // Everything a command rendered passes the last output gate before it is written.
        result: result.and_then(Rendered::screened),
    }
}

fn failed(format: OutputFormat, error: Error) -> Finished {
    Finished {
        format,
        warning: None,
        result: Err(error),
    }
}

fn dispatch(settings: &Settings, command: Command) -> Result<Rendered> {
    let format = settings.format;
    match command {
        Command::Fetch(args) => {
            let request = crate::dpop::RequestArgs {
                url: args.url,
                method: args.method,
                nonce: args.nonce,
            }
            .checked()?;
            output::check_url_format(format, request.is_some())?;
            let wanted = if args.id_token {
                // An ID token is never sender-constrained (RFC 9449 binds access tokens): any
                // format can carry it, but only a user profile has one.
                tokens::check_id_token_profile(settings.profile()?)?;
                Wanted::IdToken
            } else {
                dpop_formats(settings, format, request.is_some())?;
                Wanted::AccessToken
            };
            if args.dry_run {
                let plan = commands::dry_run::fetch(settings)?;
                return Ok(output::dry_run(format, &plan));
            }
            let kube = kube_api(format)?;
            let cache_use = CacheUse {
                bypass: args.no_cache,
                force: args.force,
                wanted,
            };
            let result = commands::fetch::run(settings, cache_use, request.as_ref())?;
            output::token(format, &result, kube)
        }
        Command::ExchangeCode(args) => {
            if !args.dry_run {
                dpop_formats(settings, format, false)?;
            }
            if args.dry_run {
                let plan = commands::dry_run::exchange(settings, args.code_verifier.as_deref())?;
                return Ok(output::dry_run(format, &plan));
            }
            let kube = kube_api(format)?;
            let input = commands::exchange::ExchangeInput {
                code: args.code,
                code_verifier: args.code_verifier,
                no_cache: args.no_cache,
            };
            output::token(format, &commands::exchange::run(settings, input)?, kube)
        }
        Command::Login(args) => {
            dpop_formats(settings, format, false)?;
            let kube = kube_api(format)?;
            let input = commands::login::LoginInput {
                device: args.device,
                open_browser: !args.no_browser,
                wait: args.wait_secs.map(std::time::Duration::from_secs),
            };
            let result = commands::login::run(settings, input)?;
            if format == OutputFormat::Text {
                // Signing in is the result; the token is for `fetch` (and stays off the terminal).
                return Ok(Rendered {
                    stdout: String::new(),
                    note: result.note,
                    failed: false,
                });
            }
            output::token(format, &result, kube)
        }
        Command::Revoke(args) => {
            output::require_view_format(format, "revoke")?;
            let input = commands::revoke::RevokeInput {
                token: args.token,
                hint: args.token_type_hint.map(hint_name),
            };
            let outcome = commands::revoke::run(settings, input)?;
            Ok(output::revocation(format, &outcome))
        }
        Command::Introspect(args) => {
            output::require_view_format(format, "introspect")?;
            let input = commands::introspect::IntrospectInput {
                token: args.token,
                hint: args.token_type_hint.map(hint_name),
                require_active: args.require_active,
            };
            let introspection = commands::introspect::run(settings, input)?;
            Ok(output::introspection(format, &introspection))
        }
        Command::Inspect(args) => {
            output::require_view_format(format, "inspect")?;
            use commands::inspect::{KeySource, VerifyInput};
            let keys = if let Some(jwks) = args.jwks {
                Some(KeySource::Jwks(jwks))
            } else if let Some(key) = args.key {
                Some(KeySource::Key(key))
            } else if let Some(var) = args.secret_env {
                Some(KeySource::SecretEnv(var))
            } else if let Some(file) = args.secret_file {
                Some(KeySource::SecretFile(file))
            } else {
                // A claim expectation asks for verification too: never silently unchecked.
                let expects = args.leeway.is_some()
                    || args.expect_issuer.is_some()
                    || args.expect_audience.is_some();
                (args.verify || expects).then_some(KeySource::Profile)
            };
            let verify = keys.map(|keys| VerifyInput {
                keys,
                leeway: args.leeway,
                issuer: args.expect_issuer,
                audience: args.expect_audience,
            });
            let inspection =
                commands::inspect::run(settings, args.token, args.require_valid, verify)?;
            Ok(output::inspection(format, &inspection))
        }
        Command::Cache(sub) => {
            output::require_view_format(format, "cache")?;
            let outcome = match sub {
                CacheCommand::List => commands::cache::list()?,
                CacheCommand::Clear => commands::cache::clear(settings)?,
            };
            Ok(output::cache(format, &outcome))
        }
        Command::IdentityToken(_) => {
            output::require_view_format(format, "identity-token")?;
            let profile = settings.profile()?;
            let token = settings.identity_token()?.ok_or_else(|| {
                Error::Config(format!(
                    "{} has no workload identity token source: set identity_token_from (github-actions, kubernetes, circleci, buildkite) or identity_token_env / _file / _command",
                    profile.describe()
                ))
            })?;
            Ok(output::identity_token(format, token))
        }
        Command::Keys(KeysCommand::Assertion { grant_assertion }) => {
            output::require_view_format(format, "keys assertion")?;
            let assertion = commands::keys::assertion(settings, grant_assertion)?;
            Ok(output::assertion(format, &assertion))
        }
        Command::Keys(KeysCommand::DpopProof { url, method, nonce }) => {
            output::require_view_format(format, "keys dpop-proof")?;
            let request = crate::dpop::RequestArgs { url, method, nonce };
            let proof = commands::keys::dpop_proof(settings, request)?;
            Ok(output::dpop_proof(format, &proof))
        }
        Command::Keys(sub) => {
            output::require_view_format(format, "keys")?;
            let outcome = match sub {
                KeysCommand::Generate { alg, out } => {
                    commands::keys::generate(alg.unwrap_or(crate::keys::Alg::ES256), &out)?
                }
                KeysCommand::Public { file, alg } => commands::keys::public(&file, alg)?,
                KeysCommand::Assertion { .. } | KeysCommand::DpopProof { .. } => {
                    return Err(Error::Internal("handled above".into()));
                }
            };
            Ok(output::keys(format, &outcome))
        }
        Command::GitCredential { action, .. } => {
            use commands::git_credential::{Action, Outcome, run};
            let action = match action.as_str() {
                "get" => Action::Get,
                "store" => Action::Store,
                "erase" => Action::Erase,
                // git-credential(1): ignored, whatever comes on stdin.
                _ => return Ok(output::git_credential(&Outcome::Nothing)),
            };
            let request = crate::credential_helper::GitRequest::parse(
                &crate::credential_helper::read_git_request(std::io::stdin().lock())?,
            )?;
            let outcome = match run(settings, action, &request)? {
                // A user who is at the terminal signs in, then gets the answer.
                Outcome::SignInFirst(name) => {
                    let chosen = settings.for_profile(&name);
                    let input = commands::login::LoginInput {
                        device: false,
                        open_browser: true,
                        wait: None,
                    };
                    let signed_in = commands::login::run(&chosen, input);
                    if let Some(warning) = chosen.take_warning() {
                        settings.warn(warning);
                    }
                    if let Some(note) = signed_in?.note {
                        settings.tell(&format!("oauthctl: {note}"));
                    }
                    match run(settings, action, &request)? {
                        Outcome::SignInFirst(_) => Outcome::Nothing,
                        answered => answered,
                    }
                }
                outcome => outcome,
            };
            Ok(output::git_credential(&outcome))
        }
        Command::DockerCredential { action } => {
            use commands::docker_credential::{Action, run};
            let action = match action {
                cli::DockerAction::Get => Action::Get,
                cli::DockerAction::Store => Action::Store,
                cli::DockerAction::Erase => Action::Erase,
                cli::DockerAction::List => Action::List,
            };
            let input = match action {
                Action::List => String::new(),
                _ => crate::credential_helper::read_docker_input(std::io::stdin().lock())?,
            };
            Ok(output::docker_credential(&run(settings, action, &input)?))
        }
        Command::Completions { shell } => cli::completion_script(shell)
            .map(Rendered::from)
            .ok_or_else(|| Error::Internal(format!("no completion script for {shell}"))),
        Command::Profiles(sub) => {
            output::require_view_format(format, "profiles")?;
            let outcome = match sub {
                ProfilesCommand::List => commands::profiles::list(settings)?,
                ProfilesCommand::Show { name } => commands::profiles::show(settings, name)?,
                ProfilesCommand::Path => commands::profiles::path(settings),
                ProfilesCommand::Remove { name } => commands::profiles::remove(settings, &name)?,
                ProfilesCommand::Add(args) => commands::profiles::add(settings, args.into_spec())?,
            };
            Ok(output::profiles(format, &outcome))
        }
    }
}

/// For a DPoP profile, before anything is sent (a code is spent by its exchange): the formats
/// that cannot carry its token (DESIGN §12).
fn dpop_formats(settings: &Settings, format: OutputFormat, has_url: bool) -> Result<()> {
    if settings.profile()?.uses_dpop() {
        output::check_dpop_format(format, has_url)?;
    }
    Ok(())
}

/// The ExecCredential version kubectl asked for, read (and checked, before any request) only
/// for `-o exec-credential`.
fn kube_api(format: OutputFormat) -> Result<kube::ApiVersion> {
    if format == OutputFormat::ExecCredential {
        Ok(kube::ExecInfo::from_env()?.api_version)
    } else {
        Ok(kube::ApiVersion::default())
    }
}

/// RFC 7009 §2.1 / RFC 7662 §2.1 `token_type_hint` values.
fn hint_name(hint: cli::TokenTypeHint) -> &'static str {
    match hint {
        cli::TokenTypeHint::AccessToken => "access_token",
        cli::TokenTypeHint::RefreshToken => "refresh_token",
    }
}
