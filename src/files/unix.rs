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
fn open_dir_at(dir: &File, name: &CStr, flags: libc::c_int, path: &Path) -> Result<File, String> {
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
                    let (Some(up), Some(name)) = (existing.parent(), existing.file_name()) else {
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
                let made = retry(|| unsafe { libc::mkdirat(fd.as_raw_fd(), c.as_ptr(), 0o700) });
                match made {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => {
                        return Err(untrusted(&current, &format!("cannot be created: {e}")));
                    }
                }
            }
            let flags = if index == last { DIRECTORY } else { ANCESTOR };
            fd = open_dir_at(&fd, &c, flags, &current).map_err(|why| untrusted(&current, &why))?;
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
                        [libc::EPERM, libc::ENOTSUP, libc::EOPNOTSUPP, libc::EMLINK].contains(&code)
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
        let dup = retry(|| unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
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
