//! Passes the target triple to the crate, for `oauthctl --version` (bug reports need the
//! platform, and `TARGET` is only set for build scripts). Not named `OAUTHCTL_*`: cargo also sets it
//! in the environment of `cargo run` and `cargo test`, and that prefix is for user settings.

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=BUILD_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
