//! oauthctl as a library: every module of the command-line tool, so that `src/main.rs` stays
//! parse → run → exit code, and the fuzz targets (`fuzz/`) and property tests can reach the
//! parsers directly. Not a published API: it changes whenever the tool needs it to.

pub mod browser;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod credential_helper;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod files;
pub mod http;
pub mod identity;
pub mod input;
pub mod jwt;
pub mod keys;
pub mod kube;
pub mod loopback;
pub mod oauth;
pub mod output;
pub mod profile;
pub mod progress;
pub mod resolve;
pub mod run;
pub mod secret;
pub mod settings;
pub mod sink;
pub mod start;
pub mod style;
pub mod timefmt;
pub mod tokens;
pub mod untrusted;
pub mod verify;
