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
