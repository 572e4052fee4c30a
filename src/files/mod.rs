//! Files oauthctl reads and writes: capped reads that never block, atomic writes, and `Dir`, a
//! private directory held open as a handle so that every later operation in it is relative to
//! that handle and cannot be redirected (the token and metadata caches, DESIGN §7).
//!
//! A write goes to a temp file in the same directory (created exclusively, mode 0600 from the
//! start), is fsynced and renamed over the target, and the directory is fsynced: readers see the
//! old content or the new, never a mix (SECURITY 8).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The mode a written file ends up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keep an existing file's mode (a user's `chmod`), else use this one.
    KeepOr(u32),
    /// Always this mode, on every write (SECURITY 7: a 0644 file becomes 0600).
    Exactly(u32),
}

/// Reads at most `cap` bytes of a regular file. The open never blocks (a FIFO or a device at
/// the path would otherwise hang the run, or stream forever): anything but a regular file is an
/// error saying what it is. Symbolic links are followed, as a user's own files may be links.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    read_all_capped(file, cap)
}

fn read_all_capped(file: std::fs::File, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB",
            cap / 1024
        )));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// "it is a FIFO, not a regular file", and the like.
fn not_regular(meta: &std::fs::Metadata) -> std::io::Error {
    let kind = file_kind(meta);
    std::io::Error::other(format!("it is {kind}, not a regular file"))
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else if meta.file_type().is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Reads at most `cap` bytes of a file that holds a secret (a private key), refusing it unread
/// when it is another user's or group or others may access it, as ssh refuses such keys
/// (SECURITY 39). The check is on the opened file, so the file read is the file checked.
pub fn read_private(path: &Path, cap: u64) -> Result<Vec<u8>, Refused> {
    let file = open_nonblocking(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Refused::Missing,
        _ => Refused::Io(e),
    })?;
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::Io(not_regular(&meta)));
    }
    if let Some(problem) = exposure(&meta, path) {
        return Err(Refused::Unsafe(problem));
    }
    read_all_capped(file, cap).map_err(Refused::Io)
}

/// Why a file is no place for a secret: another user owns it, or group or others may access
/// it. The advice names `path`.
#[cfg(unix)]
pub fn exposure(meta: &std::fs::Metadata, path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let mode = meta.mode() & 0o777;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Some(format!(
            "it is owned by uid {}, not by you (uid {me})",
            meta.uid()
        ));
    }
    if mode & 0o077 != 0 {
        return Some(format!(
            "it is accessible by group or others (mode {mode:04o}); run `chmod 600 {}`",
            crate::untrusted::printable(&path.display().to_string(), 300)
        ));
    }
    None
}

#[cfg(not(unix))]
pub fn exposure(_meta: &std::fs::Metadata, _path: &Path) -> Option<String> {
    None
}

/// Creates `path` holding `bytes` with `mode` from the start, never replacing a file already
/// there (`AlreadyExists`), and never showing a part-written file: a temp file beside it is
/// written and fsynced, then hard-linked to `path`, which fails when `path` exists. On a file
/// system without hard links, `path` itself is created exclusively and written. Its directory
/// is created (0700) when missing.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let tmp = dir.join(temp_name(
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
    ));
    let written = (|| {
        let mut file = open_new(&tmp, mode)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
        Err(e) if no_hard_links(&e) => {
            let result = (|| {
                let mut file = create_exclusive(path, mode)?;
                file.write_all(bytes)?;
                file.sync_all()
            })();
            if let Err(e) = result {
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        }
        Err(e) => return Err(e),
    }
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A file system that has no hard links (some FUSE, SMB, exFAT) says so with one of these.
#[cfg(unix)]
fn no_hard_links(e: &std::io::Error) -> bool {
    e.raw_os_error().is_some_and(|code| {
        // ENOTSUP and EOPNOTSUPP are one code on Linux, two elsewhere.
        [libc::EPERM, libc::ENOTSUP, libc::EOPNOTSUPP, libc::EMLINK].contains(&code)
    })
}

#[cfg(not(unix))]
fn no_hard_links(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported
}

/// Writes `bytes` to `path` atomically, creating its directory (0700) if needed. For the config
/// file; the caches write through `Dir`.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: Mode) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let mode = match mode {
        Mode::KeepOr(default) => existing_mode(path).unwrap_or(default),
        Mode::Exactly(mode) => mode,
    };
    let tmp = dir.join(temp_name(
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
    ));
    let result = (|| {
        let mut file = open_new(&tmp, mode)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temp file a writer of `name` uses: `.NAME.PID.tmp`.
fn temp_name(name: &str) -> String {
    format!(".{name}.{}.tmp", std::process::id())
}

/// Whether `file` is a temp file a writer of `name` left (`.NAME.<anything>.tmp`), whatever
/// its process.
pub fn is_temp_of(file: &str, name: &str) -> bool {
    file.strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|rest| rest.ends_with(".tmp"))
}

/// Creates `dir` (and its parents) with mode 0700 for the last component.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn existing_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn existing_mode(_path: &Path) -> Option<u32> {
    None
}

/// A temp file of ours, created anew: one left by a killed writer with our pid is ours to
/// replace.
fn open_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    let _ = std::fs::remove_file(path);
    create_exclusive(path, mode)
}

/// Creates `path` (never following a link there, never replacing a file) with exactly `mode`.
#[cfg(unix)]
fn create_exclusive(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    // The umask may have masked bits off (or, at umask 000, nothing): set the mode exactly.
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(file)
}

#[cfg(not(unix))]
fn create_exclusive(path: &Path, _mode: u32) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Why a directory cannot be trusted with tokens: it names the directory and says what is
/// wrong, for one warning line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// The directory at fault: the cache directory itself or one of its ancestors.
    pub dir: PathBuf,
    pub why: String,
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` {}",
            crate::untrusted::printable(&self.dir.display().to_string(), 300),
            self.why
        )
    }
}

/// What a file found in a `Dir` is, when it is not a usable private file.
#[derive(Debug)]
pub enum Refused {
    /// Nothing by that name.
    Missing,
    /// A FIFO, a device, a symbolic link, another user's file, a file others may write…
    Unsafe(String),
    /// An I/O error reading it.
    Io(std::io::Error),
}

#[cfg(unix)]
pub use unix::Dir;

#[cfg(unix)]
mod unix;

#[cfg(not(unix))]
pub use portable::Dir;

#[cfg(not(unix))]
mod portable;

#[cfg(all(test, unix))]
mod tests;
