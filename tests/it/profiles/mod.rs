//! Profiles and the config file: `profiles add | show | list | remove` (`commands`), where each
//! setting comes from (`config`), and where the client secret comes from (`secret_sources`).

mod commands;
mod config;
mod secret_sources;
