//! The one integration-test binary: hermetic `oauthctl` commands against loopback stub servers.

mod common;
mod proxy;
mod server;
mod tls;

mod cache;
mod canary;
mod cli;
mod docs;
mod e2e;
mod faults;
mod harness;
mod integrations;
mod properties;
mod providers;
mod terminal;
mod transport;
