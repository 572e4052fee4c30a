//! The one integration-test binary: hermetic `oauthctl` commands against loopback stub servers.
//! Helpers are under `support/`; every other module is the suite of one feature.

mod support;

mod cache;
mod cli;
mod client_auth;
mod docker_cli;
mod docs;
mod dpop;
mod e2e;
mod exchange;
mod fetch;
mod helpers;
mod inspect;
mod keys;
mod login;
mod output;
mod profiles;
mod properties;
mod providers;
mod revoke_introspect;
mod secrets;
mod transport;
mod workload;
