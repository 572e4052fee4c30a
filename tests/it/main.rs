//! The one integration-test binary: hermetic `oauthctl` commands against loopback stub servers.

mod support;

mod cache;
mod cache_hardening;
mod canary;
mod cli;
mod docs;
mod e2e;
mod e2e_users;
mod e2e_verify;
mod faults;
mod golden;
mod harness;
mod integrations;
mod login;
mod properties;
mod providers;
mod revoke_introspect;
mod terminal;
mod transport;
mod verify;
