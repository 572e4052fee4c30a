//! The one integration-test binary: hermetic `oauthctl` commands against loopback stub servers.

mod common;
mod server;

mod cli;
mod harness;
mod providers;
