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

#[cfg(unix)]
fn open_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    // A temp file left by a killed writer with our pid is ours to replace.
    let _ = std::fs::remove_file(path);
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
fn open_new(path: &Path, _mode: u32) -> std::io::Result<std::fs::File> {
    let _ = std::fs::remove_file(path);
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
pub use handle::Dir;

#[cfg(unix)]
mod handle {
    //! `Dir` on Unix: an `O_DIRECTORY` descriptor, and the `*at` system calls relative to it.
    //! Every name is one path component oauthctl made itself (a hex key and a suffix), opened
    //! with `O_NOFOLLOW`, and files are opened `O_NONBLOCK` and checked with `fstat` on the
    //! descriptor actually opened, so nothing swapped in between is believed.

    use std::ffi::{CStr, CString, OsStr};
    use std::fs::File;
    use std::io::{self, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::{Component, Path, PathBuf};

    use super::{Refused, Untrusted, not_regular, read_all_capped, temp_name};

    /// A private directory, opened once and checked.
    #[derive(Debug)]
    pub struct Dir {
        fd: File,
        path: PathBuf,
    }

    /// The user oauthctl runs as.
    fn me() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }

    fn c_name(name: &str) -> io::Result<CString> {
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && !name.bytes().any(|b| b == b'/' || b == 0);
        if !plain {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a plain file name",
            ));
        }
        CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    }

    fn retry<T: PartialOrd + From<i8>>(mut call: impl FnMut() -> T) -> io::Result<T> {
        loop {
            let result = call();
            if result >= T::from(0) {
                return Ok(result);
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }

    fn openat(dir: RawFd, name: &CStr, flags: libc::c_int, mode: libc::mode_t) -> io::Result<File> {
        // SAFETY: `name` is a NUL-terminated string that outlives the call; the descriptor
        // returned is owned by nobody else and is wrapped at once.
        let fd = retry(|| unsafe {
            libc::openat(
                dir,
                name.as_ptr(),
                flags | libc::O_CLOEXEC,
                libc::c_uint::from(mode),
            )
        })?;
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    const DIRECTORY: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;

    /// A directory above the cache is only walked through and examined, never listed: where the
    /// system has it, `O_PATH` needs only the right to enter it (a `0711` `/home` of a shared
    /// host), not to read it.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const ANCESTOR: libc::c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const ANCESTOR: libc::c_int = DIRECTORY;

    /// S_ISVTX, the sticky bit: in such a directory only a file's owner may rename or remove it.
    const STICKY: u32 = 0o1000;

    /// Opens directory `name` in `dir` (`DIRECTORY` or `ANCESTOR`), never through a link; `path`
    /// names it in the message.
    fn open_dir_at(
        dir: &File,
        name: &CStr,
        flags: libc::c_int,
        path: &Path,
    ) -> Result<File, String> {
        openat(dir.as_raw_fd(), name, flags, 0).map_err(|e| {
            // With O_DIRECTORY, Linux reports a link as ENOTDIR: look, for the message.
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            match e.raw_os_error() {
                Some(libc::ELOOP | libc::ENOTDIR) if link => "is a symbolic link".into(),
                Some(libc::ENOTDIR) => "is not a directory".into(),
                _ => format!("cannot be opened: {e}"),
            }
        })
    }

    /// An ancestor may be the user's or root's, and writable by others only with the sticky bit
    /// (as /tmp is), so that nobody else can rename what is in it: OpenSSH's rule for the path
    /// to authorized_keys, with /tmp's exception.
    fn check_ancestor(meta: &std::fs::Metadata) -> Result<(), String> {
        let owner = meta.uid();
        if owner != me() && owner != 0 {
            return Err(format!(
                "is owned by uid {owner}, who could replace what is below it"
            ));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 && mode & STICKY == 0 {
            return Err(format!(
                "is writable by group or others without the sticky bit (mode {mode:04o}), so they could replace what is below it"
            ));
        }
        Ok(())
    }

    /// The directory itself must be the user's and writable by nobody else; readable by others
    /// it is made private again.
    fn check_own(dir: &File, meta: &std::fs::Metadata) -> Result<(), String> {
        if meta.uid() != me() {
            return Err(format!(
                "is owned by uid {}, not by you (uid {})",
                meta.uid(),
                me()
            ));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(format!("is writable by group or others (mode {mode:04o})"));
        }
        if mode & 0o077 != 0 {
            // Only reading is open to others (entries are 0600 anyway): make it private if the
            // file system lets us; a read-only one still serves what it holds.
            let _ = dir.set_permissions(std::fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }

    impl Dir {
        /// Opens `path` as a private directory, creating what is missing of it (mode 0700).
        /// Every ancestor, from `/` down, is opened by its handle and checked (owned by the user
        /// or root, not writable by others unless sticky), then the directory itself (the
        /// user's, writable by nobody else, and not a symbolic link: SECURITY 13). Its parent is
        /// first resolved to its real location, so a link above it (`~/.cache` on another disk)
        /// is followed once, here, and the real path is what is checked.
        pub fn open_private(path: &Path) -> Result<Dir, Untrusted> {
            let untrusted = |dir: &Path, why: &str| Untrusted {
                dir: dir.to_path_buf(),
                why: why.to_string(),
            };
            let absolute = std::path::absolute(path)
                .map_err(|e| untrusted(path, &format!("cannot be located: {e}")))?;
            let (Some(parent), Some(last)) = (absolute.parent(), absolute.file_name()) else {
                return Err(untrusted(&absolute, "is not a directory of its own"));
            };
            // The deepest part of the parent that exists, resolved; the rest is created below it.
            let mut missing: Vec<&OsStr> = vec![last];
            let mut existing = parent;
            let real = loop {
                match std::fs::canonicalize(existing) {
                    Ok(real) => break real,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        let (Some(up), Some(name)) = (existing.parent(), existing.file_name())
                        else {
                            return Err(untrusted(existing, &format!("cannot be opened: {e}")));
                        };
                        missing.push(name);
                        existing = up;
                    }
                    Err(e) => return Err(untrusted(existing, &format!("cannot be opened: {e}"))),
                }
            };
            let mut names: Vec<&OsStr> = real
                .components()
                .filter_map(|c| match c {
                    Component::Normal(name) => Some(name),
                    _ => None,
                })
                .collect();
            let existing_count = names.len();
            names.extend(missing.iter().rev());
            let mut current = PathBuf::from("/");
            let mut fd = openat(libc::AT_FDCWD, c"/", ANCESTOR, 0)
                .map_err(|e| untrusted(&current, &format!("cannot be opened: {e}")))?;
            let last = names.len() - 1;
            for (index, name) in names.iter().enumerate() {
                let meta = fd
                    .metadata()
                    .map_err(|e| untrusted(&current, &format!("cannot be examined: {e}")))?;
                check_ancestor(&meta).map_err(|why| untrusted(&current, &why))?;
                let c = CString::new(name.as_bytes())
                    .map_err(|_| untrusted(&current, "has a NUL in its name"))?;
                current.push(name);
                if index >= existing_count {
                    if name.as_bytes() == b".." || name.as_bytes() == b"." {
                        return Err(untrusted(
                            &current,
                            "cannot be created: it has `.` or `..` where nothing exists yet",
                        ));
                    }
                    // SAFETY: `c` is NUL-terminated and outlives the call.
                    let made =
                        retry(|| unsafe { libc::mkdirat(fd.as_raw_fd(), c.as_ptr(), 0o700) });
                    match made {
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(e) => {
                            return Err(untrusted(&current, &format!("cannot be created: {e}")));
                        }
                    }
                }
                let flags = if index == last { DIRECTORY } else { ANCESTOR };
                fd = open_dir_at(&fd, &c, flags, &current)
                    .map_err(|why| untrusted(&current, &why))?;
            }
            let dir = Dir { fd, path: current };
            dir.check_self()?;
            Ok(dir)
        }

        /// A private subdirectory, created 0700 if missing, with the same checks.
        pub fn subdir(&self, name: &str) -> Result<Dir, Untrusted> {
            self.open_subdir(name, true)?.ok_or_else(|| Untrusted {
                dir: self.path.join(name),
                why: "vanished as it was made".into(),
            })
        }

        /// A private subdirectory if there is one (`None` when there is not), with the same
        /// checks.
        pub fn existing_subdir(&self, name: &str) -> Result<Option<Dir>, Untrusted> {
            self.open_subdir(name, false)
        }

        fn open_subdir(&self, name: &str, create: bool) -> Result<Option<Dir>, Untrusted> {
            let path = self.path.join(name);
            let untrusted = |why: String| Untrusted {
                dir: path.clone(),
                why,
            };
            let c = c_name(name).map_err(|e| untrusted(e.to_string()))?;
            if create {
                // SAFETY: `c` is NUL-terminated and outlives the call.
                match retry(|| unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), 0o700) }) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(untrusted(format!("cannot be created: {e}"))),
                }
            }
            let fd = match open_dir_at(&self.fd, &c, DIRECTORY, &path) {
                Ok(fd) => fd,
                Err(_) if !create && std::fs::symlink_metadata(&path).is_err() => return Ok(None),
                Err(why) => return Err(untrusted(why)),
            };
            let dir = Dir { fd, path };
            dir.check_self()?;
            Ok(Some(dir))
        }

        fn check_self(&self) -> Result<(), Untrusted> {
            let meta = self.fd.metadata().map_err(|e| Untrusted {
                dir: self.path.clone(),
                why: format!("cannot be examined: {e}"),
            })?;
            check_own(&self.fd, &meta).map_err(|why| Untrusted {
                dir: self.path.clone(),
                why,
            })
        }

        pub fn path(&self) -> &Path {
            &self.path
        }

        /// Opens `name` without following a link or blocking, and accepts only a regular file
        /// of the user's that nobody else may write. One readable by others is made private.
        fn open_private_file(&self, name: &str, flags: libc::c_int) -> Result<File, Refused> {
            let c = c_name(name).map_err(Refused::Io)?;
            let file = match openat(
                self.fd.as_raw_fd(),
                &c,
                flags | libc::O_NOFOLLOW | libc::O_NONBLOCK,
                0o600,
            ) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Refused::Missing),
                Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                    return Err(Refused::Unsafe("it is a symbolic link".into()));
                }
                Err(e) => return Err(Refused::Io(e)),
            };
            let meta = file.metadata().map_err(Refused::Io)?;
            if !meta.is_file() {
                return Err(Refused::Unsafe(not_regular(&meta).to_string()));
            }
            if meta.uid() != me() {
                return Err(Refused::Unsafe(format!(
                    "it is owned by uid {}, not by you",
                    meta.uid()
                )));
            }
            let mode = meta.mode() & 0o7777;
            if mode & 0o022 != 0 {
                return Err(Refused::Unsafe(format!(
                    "it is writable by group or others (mode {mode:04o})"
                )));
            }
            if mode & 0o077 != 0 {
                // SECURITY 7: ours, and private from now on.
                let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
            }
            Ok(file)
        }

        /// The content of `name`, at most `cap` bytes.
        pub fn read(&self, name: &str, cap: u64) -> Result<Vec<u8>, Refused> {
            let file = self.open_private_file(name, libc::O_RDONLY)?;
            read_all_capped(file, cap).map_err(Refused::Io)
        }

        /// `name` opened for `flock`: created 0600 when missing and the directory is writable,
        /// else opened as it is (a lock works on a read-only descriptor too).
        pub fn open_lock(&self, name: &str) -> Result<File, Refused> {
            match self.open_private_file(name, libc::O_RDWR | libc::O_CREAT) {
                Err(Refused::Io(e))
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EACCES | libc::EROFS | libc::EPERM)
                    ) =>
                {
                    match self.open_private_file(name, libc::O_RDONLY) {
                        // Nothing to open read-only either: why it could not be made is the news.
                        Err(Refused::Missing) => Err(Refused::Io(e)),
                        other => other,
                    }
                }
                other => other,
            }
        }

        /// Writes `name` atomically with mode 0600: a temp file created 0600 and exclusively,
        /// fsynced, renamed over `name`, then the directory fsynced. The temp file is removed on
        /// every error.
        pub fn write_atomically(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
            let tmp = self.new_temp(name)?;
            let result = (|| {
                (&tmp.file).write_all(bytes)?;
                tmp.file.sync_all()?;
                self.rename(&tmp.name, name)?;
                let _ = self.fd.sync_all();
                Ok(())
            })();
            if result.is_err() {
                let _ = self.remove(&tmp.name);
            }
            result
        }

        /// Writes `name` only if it does not exist yet: whoever links first wins. `Ok(false)`
        /// when it was there already.
        pub fn create_new(&self, name: &str, bytes: &[u8]) -> io::Result<bool> {
            let tmp = self.new_temp(name)?;
            let result = (|| {
                (&tmp.file).write_all(bytes)?;
                tmp.file.sync_all()?;
                let (from, to) = (c_name(&tmp.name)?, c_name(name)?);
                let dir = self.fd.as_raw_fd();
                // SAFETY: both names are NUL-terminated and outlive the call.
                match retry(|| unsafe { libc::linkat(dir, from.as_ptr(), dir, to.as_ptr(), 0) }) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
                    // A file system without hard links (some FUSE, SMB, exFAT): a rename, which
                    // may replace a file another run made a moment ago, a race that costs that
                    // run its cached entry, nothing more.
                    Err(e)
                        if e.raw_os_error().is_some_and(|code| {
                            // ENOTSUP and EOPNOTSUPP are one code on Linux, two elsewhere.
                            [libc::EPERM, libc::ENOTSUP, libc::EOPNOTSUPP, libc::EMLINK]
                                .contains(&code)
                        }) =>
                    {
                        self.rename(&tmp.name, name)?;
                    }
                    Err(e) => return Err(e),
                }
                let _ = self.fd.sync_all();
                Ok(true)
            })();
            let _ = self.remove(&tmp.name);
            result
        }

        fn new_temp(&self, name: &str) -> io::Result<Temp> {
            let tmp = temp_name(name);
            let c = c_name(&tmp)?;
            // A temp file left by a killed writer that had our pid is stale: ours to replace.
            let _ = self.remove(&tmp);
            let file = openat(
                self.fd.as_raw_fd(),
                &c,
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
                0o600,
            )?;
            // The umask can only have taken bits away; make it exactly 0600 all the same.
            if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o600)) {
                let _ = self.remove(&tmp);
                return Err(e);
            }
            Ok(Temp { file, name: tmp })
        }

        fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            let (from, to) = (c_name(from)?, c_name(to)?);
            let dir = self.fd.as_raw_fd();
            // SAFETY: both names are NUL-terminated and outlive the call.
            retry(|| unsafe { libc::renameat(dir, from.as_ptr(), dir, to.as_ptr()) }).map(|_| ())
        }

        /// Removes `name` (never a directory). `Ok(false)` when there was nothing to remove.
        pub fn remove(&self, name: &str) -> io::Result<bool> {
            let c = c_name(name)?;
            // SAFETY: `c` is NUL-terminated and outlives the call.
            match retry(|| unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) }) {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            }
        }

        /// The names in the directory (not `.` and `..`), read through the handle.
        pub fn names(&self) -> io::Result<Vec<String>> {
            // fdopendir takes ownership of its descriptor: give it a duplicate, positioned at
            // the start.
            // SAFETY: dup of a descriptor we own; the result is checked.
            let dup =
                retry(|| unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
            // SAFETY: `dup` is a fresh directory descriptor that fdopendir now owns.
            let stream = unsafe { libc::fdopendir(dup) };
            if stream.is_null() {
                let error = io::Error::last_os_error();
                // SAFETY: fdopendir failed, so `dup` is still ours to close.
                unsafe { libc::close(dup) };
                return Err(error);
            }
            // SAFETY: `stream` is a valid DIR*; rewinddir resets a shared offset.
            unsafe { libc::rewinddir(stream) };
            let mut names = Vec::new();
            loop {
                // readdir reports an error only through errno, so clear it first.
                clear_errno();
                // SAFETY: `stream` is valid until closedir below.
                let entry = unsafe { libc::readdir(stream) };
                if entry.is_null() {
                    let error = io::Error::last_os_error();
                    // SAFETY: closes the stream and its descriptor, once.
                    unsafe { libc::closedir(stream) };
                    return match error.raw_os_error() {
                        Some(code) if ERRNO_CLEARED && code != 0 => Err(error),
                        _ => Ok(names),
                    };
                }
                // SAFETY: d_name is a NUL-terminated array inside the entry, valid until the
                // next readdir on this stream.
                let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
                let name = name.to_bytes();
                if name != b"." && name != b".." {
                    names.push(String::from_utf8_lossy(name).into_owned());
                }
            }
        }
    }

    /// Whether `clear_errno` works here, so that a NULL from readdir with errno set is an error
    /// rather than the end of the directory (each system names its errno location differently).
    const ERRNO_CLEARED: bool = cfg!(any(
        target_os = "linux",
        target_os = "emscripten",
        target_os = "hurd",
        target_os = "redox",
        target_os = "dragonfly",
        target_os = "android",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "cygwin",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "solaris",
        target_os = "illumos"
    ));

    fn clear_errno() {
        #[cfg(any(
            target_os = "linux",
            target_os = "emscripten",
            target_os = "hurd",
            target_os = "redox",
            target_os = "dragonfly"
        ))]
        // SAFETY: the calling thread's errno location.
        unsafe {
            *libc::__errno_location() = 0
        };
        #[cfg(any(
            target_os = "android",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "cygwin"
        ))]
        // SAFETY: the calling thread's errno location.
        unsafe {
            *libc::__errno() = 0
        };
        #[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
        // SAFETY: the calling thread's errno location.
        unsafe {
            *libc::__error() = 0
        };
        #[cfg(any(target_os = "solaris", target_os = "illumos"))]
        // SAFETY: the calling thread's errno location.
        unsafe {
            *libc::___errno() = 0
        };
    }

    /// A temp file being written, and its name in the directory.
    struct Temp {
        file: File,
        name: String,
    }
}

#[cfg(not(unix))]
pub use portable::Dir;

#[cfg(not(unix))]
mod portable {
    //! `Dir` where there are no `*at` calls: the same interface over paths, with the checks the
    //! platform allows (regular files only). The token cache's guarantees against other local
    //! users are Unix ones.

    use std::fs::File;
    use std::io;
    use std::path::{Path, PathBuf};

    use super::{Refused, Untrusted, not_regular, read_all_capped};

    #[derive(Debug)]
    pub struct Dir {
        path: PathBuf,
    }

    impl Dir {
        pub fn open_private(path: &Path) -> Result<Dir, Untrusted> {
            super::create_private_dir(path).map_err(|e| Untrusted {
                dir: path.to_path_buf(),
                why: format!("cannot be created: {e}"),
            })?;
            Ok(Dir {
                path: path.to_path_buf(),
            })
        }

        pub fn subdir(&self, name: &str) -> Result<Dir, Untrusted> {
            Dir::open_private(&self.path.join(name))
        }

        pub fn existing_subdir(&self, name: &str) -> Result<Option<Dir>, Untrusted> {
            let path = self.path.join(name);
            match std::fs::symlink_metadata(&path) {
                Err(_) => Ok(None),
                Ok(_) => Dir::open_private(&path).map(Some),
            }
        }

        pub fn path(&self) -> &Path {
            &self.path
        }

        fn open(&self, name: &str, write: bool) -> Result<File, Refused> {
            let path = self.path.join(name);
            match std::fs::symlink_metadata(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && !write => {
                    return Err(Refused::Missing);
                }
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(Refused::Io(e)),
                Ok(meta) if !meta.is_file() => {
                    return Err(Refused::Unsafe(not_regular(&meta).to_string()));
                }
                _ => {}
            }
            let mut options = std::fs::OpenOptions::new();
            options.read(true);
            if write {
                options.write(true).create(true).truncate(false);
            }
            options.open(path).map_err(Refused::Io)
        }

        pub fn read(&self, name: &str, cap: u64) -> Result<Vec<u8>, Refused> {
            read_all_capped(self.open(name, false)?, cap).map_err(Refused::Io)
        }

        pub fn open_lock(&self, name: &str) -> Result<File, Refused> {
            self.open(name, true)
        }

        pub fn write_atomically(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
            super::write_atomically(&self.path.join(name), bytes, super::Mode::Exactly(0o600))
        }

        pub fn create_new(&self, name: &str, bytes: &[u8]) -> io::Result<bool> {
            use std::io::Write;
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))
            {
                Ok(mut file) => file.write_all(bytes).map(|()| true),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e),
            }
        }

        pub fn remove(&self, name: &str) -> io::Result<bool> {
            match std::fs::remove_file(self.path.join(name)) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            }
        }

        pub fn names(&self) -> io::Result<Vec<String>> {
            std::fs::read_dir(&self.path)?
                .map(|item| item.map(|i| i.file_name().to_string_lossy().into_owned()))
                .collect()
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn modes_are_kept_or_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/f");
        write_atomically(&path, b"one", Mode::KeepOr(0o600)).unwrap();
        assert_eq!((mode(&path), mode(path.parent().unwrap())), (0o600, 0o700));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"two", Mode::KeepOr(0o600)).unwrap();
        assert_eq!(mode(&path), 0o640);
        write_atomically(&path, b"three", Mode::Exactly(0o600)).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file is left behind");
    }

    #[test]
    fn capped_reads_of_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'a'; 2048]).unwrap();
        assert_eq!(read_capped(&path, 2048).unwrap().len(), 2048);
        assert!(read_capped(&path, 2047).is_err());
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer: a blocking open would wait forever.
        let err = read_capped(&fifo, 10).unwrap_err().to_string();
        assert_eq!(err, "it is a FIFO, not a regular file");
        let err = read_capped(Path::new("/dev/zero"), 10)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "it is a device, not a regular file");
        let err = read_capped(dir.path(), 10).unwrap_err().to_string();
        assert!(err.contains("directory"), "{err}");
    }

    #[test]
    fn temp_names_are_recognised_whatever_the_writer() {
        assert!(is_temp_of(".k.json.123.tmp", "k.json"));
        assert!(is_temp_of(&temp_name("k.json"), "k.json"));
        assert!(!is_temp_of(".k.json.123.tmp", "j.json"));
        assert!(!is_temp_of("k.json", "k.json"));
        assert!(!is_temp_of(".k.jsonx.tmp", "k.json"));
    }

    fn private(path: &Path) -> Dir {
        Dir::open_private(path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_private_dir_is_created_0700_with_its_parents_and_its_files_0600() {
        let base = tempfile::tempdir().unwrap();
        let path = base.path().join("a/b/cache");
        let dir = private(&path);
        dir.write_atomically("f", b"x").unwrap();
        assert_eq!(mode(&path), 0o700);
        assert_eq!(mode(&base.path().join("a")), 0o700);
        assert_eq!(mode(&path.join("f")), 0o600);
        assert_eq!(dir.read("f", 10).unwrap(), b"x");
        assert_eq!(dir.names().unwrap(), ["f"]);
        assert_eq!(dir.path(), std::fs::canonicalize(&path).unwrap());
    }

    #[test]
    fn ancestors_writable_by_others_are_untrusted_unless_sticky() {
        let base = tempfile::tempdir().unwrap();
        let open = base.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = Dir::open_private(&open.join("cache")).unwrap_err();
        assert_eq!(err.dir, open);
        assert!(err.why.contains("without the sticky bit"), "{err}");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        private(&open.join("cache"));
        // Group-writable is as bad.
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(Dir::open_private(&open.join("cache")).is_err());
    }

    #[test]
    fn the_dir_itself_must_be_private_and_no_link_while_links_above_it_are_resolved() {
        let base = tempfile::tempdir().unwrap();
        let real = base.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o757)).unwrap();
        let err = Dir::open_private(&real).unwrap_err();
        assert!(err.why.contains("writable by group or others"), "{err}");
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = Dir::open_private(&link).unwrap_err();
        assert_eq!(
            (err.dir.as_path(), err.why.as_str()),
            (link.as_path(), "is a symbolic link")
        );
        // A link above the directory is followed, and what it leads to is checked.
        let dir = private(&link.join("cache"));
        assert_eq!(
            dir.path(),
            std::fs::canonicalize(&real).unwrap().join("cache")
        );
        private(&real);
        assert_eq!(mode(&real), 0o700, "a readable directory is made private");
    }

    #[test]
    fn the_handle_survives_a_swap_of_its_path() {
        let base = tempfile::tempdir().unwrap();
        let path = base.path().join("cache");
        let dir = private(&path);
        dir.write_atomically("entry", b"mine").unwrap();
        // Someone renames the directory away and plants another in its place.
        std::fs::rename(&path, base.path().join("moved")).unwrap();
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("entry"), b"planted").unwrap();
        assert_eq!(dir.read("entry", 100).unwrap(), b"mine");
        dir.write_atomically("second", b"2").unwrap();
        assert!(!path.join("second").exists());
        assert!(base.path().join("moved/second").exists());
    }

    #[test]
    fn links_fifos_and_files_others_may_write_are_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = private(&base.path().join("c"));
        let path = dir.path().to_path_buf();
        std::fs::write(base.path().join("elsewhere"), b"planted").unwrap();
        std::os::unix::fs::symlink(base.path().join("elsewhere"), path.join("link")).unwrap();
        assert!(
            matches!(dir.read("link", 100), Err(Refused::Unsafe(w)) if w.contains("symbolic link"))
        );
        let c = std::ffi::CString::new(path.join("fifo").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(dir.read("fifo", 100), Err(Refused::Unsafe(w)) if w.contains("FIFO")));
        assert!(matches!(dir.open_lock("fifo"), Err(Refused::Unsafe(_))));
        std::fs::write(path.join("open"), b"x").unwrap();
        std::fs::set_permissions(path.join("open"), std::fs::Permissions::from_mode(0o666))
            .unwrap();
        assert!(matches!(dir.read("open", 100), Err(Refused::Unsafe(w)) if w.contains("writable")));
        std::fs::write(path.join("readable"), b"x").unwrap();
        std::fs::set_permissions(
            path.join("readable"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        assert_eq!(dir.read("readable", 100).unwrap(), b"x");
        assert_eq!(mode(&path.join("readable")), 0o600);
        assert!(matches!(dir.read("missing", 100), Err(Refused::Missing)));
    }

    #[test]
    fn create_new_never_replaces_and_leaves_no_temp_file() {
        let base = tempfile::tempdir().unwrap();
        let dir = private(&base.path().join("c"));
        assert!(dir.create_new("key", b"first").unwrap());
        assert!(!dir.create_new("key", b"second").unwrap());
        assert_eq!(dir.read("key", 100).unwrap(), b"first");
        assert_eq!(dir.names().unwrap(), ["key"]);
        assert!(dir.remove("key").unwrap());
        assert!(!dir.remove("key").unwrap());
    }
}
