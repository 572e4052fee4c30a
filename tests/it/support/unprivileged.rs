//! `oauthctl` as a user file modes bind: permissions do not bind root, so when the suite runs as
//! root (as CI does), the tests that need them to run oauthctl as `nobody`, with the test's HOME
//! given to it, and root plays the other user.

use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::common::Env;

pub const NOBODY: u32 = 65534;

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The binary, where `nobody` can run it: the build directory may be under root's private home
/// (a CI checkout in /root), so as root it is linked (or copied) once per build into a directory
/// of the temp directory that all may enter, named after the build so that runs reuse it.
fn binary() -> PathBuf {
    static SHARED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let built = PathBuf::from(assert_cmd::cargo::cargo_bin!("oauthctl"));
    if !is_root() {
        return built;
    }
    SHARED
        .get_or_init(|| {
            use std::hash::{BuildHasher, Hasher};
            let meta = std::fs::metadata(&built).unwrap();
            let mut hasher =
                std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().build_hasher();
            hasher.write(built.as_os_str().as_encoded_bytes());
            hasher.write_u64(meta.len());
            hasher.write_u128(
                meta.modified()
                    .unwrap()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos(),
            );
            let dir = std::env::temp_dir().join(format!("oauthctl-it-{:016x}", hasher.finish()));
            let shared = dir.join("oauthctl");
            if !shared.exists() {
                std::fs::create_dir_all(&dir).unwrap();
                chmod(&dir, 0o755);
                let partial = dir.join(format!("oauthctl.{}", std::process::id()));
                if std::fs::hard_link(&built, &partial).is_err() {
                    std::fs::copy(&built, &partial).unwrap();
                }
                chmod(&partial, 0o755);
                std::fs::rename(&partial, &shared).unwrap();
            }
            shared
        })
        .clone()
}

/// `oauthctl` under the hermetic environment: as `nobody` when the tests run as root.
pub fn oauthctl(env: &Env) -> assert_cmd::Command {
    let mut cmd = std::process::Command::new(binary());
    if is_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    let mut cmd = env.hermetic(assert_cmd::Command::from_std(cmd));
    cmd.timeout(Duration::from_secs(15));
    cmd
}

/// Gives the whole HOME to the user oauthctl runs as (a no-op unless root).
pub fn hand_over(env: &Env) {
    fn walk(path: &Path) {
        chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        if path.is_dir() && !path.is_symlink() {
            for entry in std::fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path());
            }
        }
    }
    if is_root() {
        walk(env.home.path());
    }
}
