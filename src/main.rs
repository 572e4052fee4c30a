//! oauthctl: get OAuth 2.0 access tokens from the command line and see what is in them.
//!
//! `main` parses the command line, runs one command, writes its rendered output in one piece and
//! maps the outcome to an exit code (DESIGN §5). A broken pipe is success; a panic is exit 1 with
//! no payload printed (it could hold server data).
//!
//! The process starts at the C `main` below rather than through std's runtime: see `start.rs`.

#![no_main]

use oauthctl::{cli, commands, config, error, kube, output, start, untrusted};
use std::io::Write;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, ValueEnum};

use cli::{CacheCommand, Cli, Command, OutputFormat, ProfilesCommand};
use commands::Context;
use error::{Error, Exit};

/// The process entry point, called by the C runtime (see `start.rs`).
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start::init();
    guarded_run() as libc::c_int
}

/// `run`, with a panic reported as exit 1 and no payload printed.
fn guarded_run() -> Exit {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("oauthctl: error: internal error{place}; this is a bug, please report it");
    }));
    std::panic::catch_unwind(run).unwrap_or(Exit::Internal)
}

fn run() -> Exit {
    // A Tab in a shell with our completion script loaded: answer and stop. Otherwise this costs
    // one env lookup; the clap Command is built only when the variable is set.
    if std::env::var_os(cli::COMPLETE_VAR).is_some() {
        match cli::complete_from_env() {
            Ok(true) => return Exit::Success,
            Ok(false) => {}
            Err(e) => {
                let _ = e.print();
                return Exit::Usage;
            }
        }
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let cli = match cli::parse_fetch_fast(&args) {
        Some(cli) => cli,
        None => match parse_with_clap() {
            Ok(cli) => cli,
            Err(exit) => return exit,
        },
    };
    run_cli(cli)
}

/// The command line, read by clap; `Err` is the exit code after clap has spoken (help, version,
/// a usage error).
fn parse_with_clap() -> Result<Cli, Exit> {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            // --help and --version come here too, with exit code 0.
            let code = e.exit_code();
            let _ = e.print();
            return Err(if code == 0 {
                Exit::Success
            } else {
                Exit::Usage
            });
        }
    };
    Cli::from_arg_matches(&matches).map_err(|e| {
        let _ = e.print();
        Exit::Usage
    })
}

fn run_cli(cli: Cli) -> Exit {
    // These three are read here rather than by clap so that an empty variable counts as unset,
    // like every other OAUTHCTL_* variable.
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let format = match cli.output {
        Some(format) => format,
        None => match from_env("OAUTHCTL_OUTPUT").map(|v| OutputFormat::from_str(&v, false)) {
            None => OutputFormat::Text,
            Some(Ok(format)) => format,
            Some(Err(_)) => {
                eprintln!(
                    "oauthctl: error: env var OAUTHCTL_OUTPUT is not one of text, json, header, env, exec-credential"
                );
                return Exit::Usage;
            }
        },
    };
    let config_flag = cli
        .config
        .clone()
        .or_else(|| from_env("OAUTHCTL_CONFIG").map(PathBuf::from));
    let config_path = match config::locate(config_flag.as_deref()) {
        Ok(path) => path,
        Err(e) => return fail(format, &e, None),
    };
    let ctx = Context {
        config_path,
        config_explicit: config_flag.is_some(),
        profile: cli.profile.clone().or_else(|| from_env("OAUTHCTL_PROFILE")),
        profile_on_command_line: cli.profile.is_some(),
        verbose: cli.verbose,
        state: commands::RunState::default(),
    };
    let result = dispatch(&ctx, cli.command, format);
    // A warning about the run (its cache, say) comes before the result's own note; both are
    // escaped whole, as error messages are.
    let warning = ctx
        .take_warning()
        .map(|warning| untrusted::printable(&warning, 2000));
    // Everything a command rendered passes the last output gate before it is written.
    match result.and_then(output::Rendered::screened) {
        Ok(screened) => {
            for note in [warning.as_deref(), screened.note()].into_iter().flatten() {
                eprintln!("oauthctl: {note}");
            }
            write_stdout(&screened)
        }
        Err(e) => fail(format, &e, warning),
    }
}

/// Reports a failure on stderr: the run's warning first (in text only: with `-o json`, stderr
/// is one JSON object), then the error.
fn fail(format: OutputFormat, error: &Error, warning: Option<String>) -> Exit {
    if let Some(warning) = warning.filter(|_| format != OutputFormat::Json) {
        eprintln!("oauthctl: {warning}");
    }
    let _ = std::io::stderr().write_all(output::error(format, error).as_bytes());
    error.exit()
}

fn dispatch(
    ctx: &Context,
    command: Command,
    format: OutputFormat,
) -> Result<output::Rendered, Error> {
    match command {
        Command::Fetch(args) => {
            let mut layer = args.overrides.to_layer();
            // `fetch` names this override `--min-ttl`.
            layer.min_ttl_secs = args.min_ttl;
            if args.dry_run {
                let plan = commands::dry_run::fetch(ctx, layer)?;
                return Ok(oauthctl::curl::render(format, &plan));
            }
            let kube = kube_api(format)?;
            let cache_use = commands::fetch::CacheUse {
                bypass: args.no_cache,
                force: args.force,
            };
            output::token(format, &commands::fetch::run(ctx, layer, cache_use)?, kube)
        }
        Command::ExchangeCode(args) => {
            let input = commands::exchange::ExchangeInput {
                code: args.code,
                redirect_uri: args.redirect_uri,
                code_verifier: args.code_verifier,
                no_cache: args.no_cache,
            };
            if args.dry_run {
                let plan = commands::dry_run::exchange(ctx, args.overrides.to_layer(), input)?;
                return Ok(oauthctl::curl::render(format, &plan));
            }
            let kube = kube_api(format)?;
            output::token(
                format,
                &commands::exchange::run(ctx, args.overrides.to_layer(), input)?,
                kube,
            )
        }
        Command::Login(args) => {
            let kube = kube_api(format)?;
            let input = commands::login::LoginInput {
                device: args.device,
                open_browser: !args.no_browser,
                wait: args.wait_secs.map(std::time::Duration::from_secs),
                redirect_uri: args.redirect_uri,
                // Lines that may carry what the config or a server said: escaped.
                tell: &|line| eprintln!("{}", untrusted::printable(line, 64 * 1024)),
            };
            let result = commands::login::run(ctx, args.overrides.to_layer(), input)?;
            if format == OutputFormat::Text {
                // Signing in is the result; the token is for `fetch` (and stays off the terminal).
                return Ok(output::Rendered {
                    stdout: String::new(),
                    note: result.note,
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
            let outcome = commands::revoke::run(ctx, args.overrides.to_layer(), input)?;
            Ok(output::revocation(format, &outcome))
        }
        Command::Introspect(args) => {
            output::require_view_format(format, "introspect")?;
            let input = commands::introspect::IntrospectInput {
                token: args.token,
                hint: args.token_type_hint.map(hint_name),
                require_active: args.require_active,
            };
            let introspection = commands::introspect::run(ctx, args.overrides.to_layer(), input)?;
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
            let inspection = commands::inspect::run(
                ctx,
                args.overrides.to_layer(),
                args.token,
                args.require_valid,
                verify,
            )?;
            Ok(output::inspection(format, &inspection))
        }
        Command::Cache(sub) => {
            output::require_view_format(format, "cache")?;
            let outcome = match sub {
                CacheCommand::List => commands::cache::list()?,
                CacheCommand::Clear => commands::cache::clear(ctx)?,
            };
            Ok(output::cache(format, &outcome))
        }
        Command::Completions { shell } => cli::completion_script(shell)
            .map(output::Rendered::from)
            .ok_or_else(|| Error::Internal(format!("no completion script for {shell}"))),
        Command::Profiles(sub) => {
            output::require_view_format(format, "profiles")?;
            let outcome = match sub {
                ProfilesCommand::List => commands::profiles::list(ctx)?,
                ProfilesCommand::Show { name } => commands::profiles::show(ctx, name)?,
                ProfilesCommand::Path => commands::profiles::path(ctx),
                ProfilesCommand::Remove { name } => commands::profiles::remove(ctx, &name)?,
                ProfilesCommand::Add(args) => commands::profiles::add(ctx, args.into_spec())?,
            };
            Ok(output::profiles(format, &outcome))
        }
    }
}

/// The ExecCredential version kubectl asked for, read (and checked, before any request) only
/// for `-o exec-credential`.
fn kube_api(format: OutputFormat) -> Result<kube::ApiVersion, Error> {
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

/// Writes all of stdout at once. A reader that went away (`| head`) is not an error (DESIGN §4).
fn write_stdout(screened: &output::Screened) -> Exit {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(screened.stdout().as_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => Exit::Success,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success,
        Err(e) => {
            eprintln!("oauthctl: error: cannot write to stdout: {e}");
            Exit::Internal
        }
    }
}
