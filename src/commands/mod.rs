//! One file per subcommand. Each takes the run's `Settings` and its own input, and returns data
//! for `output` to render; none prints, and none calls another: what several share lives below
//! them (`tokens`, `input`, `oauth::Client`).

pub mod cache;
pub mod docker_credential;
pub mod dry_run;
pub mod exchange;
pub mod fetch;
pub mod git_credential;
pub mod inspect;
pub mod introspect;
pub mod keys;
pub mod login;
pub mod profiles;
pub mod revoke;
