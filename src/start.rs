//! Process start-up, done here instead of by std's runtime (`#![no_main]` in `main.rs`).
//!
//! std's start-up for `fn main` was a fifth of a cached `fetch`'s run time (BENCHMARKS.md): to
//! report stack overflows by name it reads `/proc/self/maps` through `pthread_getattr_np` (parsed
//! with `sscanf`) and maps an alternate signal stack. oauthctl keeps the two parts of that
//! start-up that change what the program does, and does them with four system calls:
//!
//! - standard descriptors 0–2 must be open, so that a file opened later (a cache entry, its lock)
//!   can never become stdout and receive the token;
//! - SIGPIPE is ignored, so that writing to a closed pipe is an `EPIPE` error, which `main` treats
//!   as success, not a silent death by signal.
//!
//! What is given up: a stack overflow ends in SIGSEGV rather than std's "has overflowed its stack"
//! message followed by SIGABRT. Both are crashes; the kernel's guard gap below the main thread's
//! stack is there either way. Arguments still work: std reads them from glibc's `.init_array`.

/// Runs before anything else in `main`.
pub fn init() {
    for fd in 0..=2 {
        // SAFETY: F_GETFD on any integer is defined; it only reports whether `fd` is open.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
        if closed {
            // The lowest free descriptor is `fd` itself, since the ones below it are open.
            // SAFETY: the path is a NUL-terminated literal.
            let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if opened != fd {
                // Without /dev/null there is no safe way on; std aborts here too.
                std::process::abort();
            }
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn init_leaves_open_descriptors_alone() {
        super::init();
        for fd in 0..=2 {
            // SAFETY: F_GETFD only queries.
            assert_ne!(unsafe { libc::fcntl(fd, libc::F_GETFD) }, -1);
        }
    }
}
