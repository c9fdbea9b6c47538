//! An open directory: the anchor every `*_at` function works relative to.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};

use crate::error::PathError;
use crate::sys;

/// `path`, or `.` when it is empty: a directory given as `""` (the
/// `parent()` of a bare file name) is the current directory, as in
/// Python's `tempfile` and the `tempfile` crate.
pub(crate) fn or_current(path: &Path) -> &Path {
    if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    }
}

/// What this directory's file system said about `O_TMPFILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tmpfile {
    /// Not tried yet.
    Unknown = 0,
    /// Worked once: keep using it.
    Works = 1,
    /// Refused: go straight to the fallback from now on.
    Refused = 2,
}

/// An open directory handle, remembered together with the path it was
/// opened by (for error messages and for building paths of new entries).
///
/// Creating and removing entries relative to a `Dir` is immune to the path
/// being renamed or replaced by a symlink after the directory was opened:
/// on unix every operation is an `*at` system call on the directory's file
/// descriptor, on Windows an `NtCreateFile` relative to the directory's
/// handle.
///
/// [`Dir::open`] opens a handle of its own every time;
/// [`Dir::open_shared`] hands out one handle per directory to everything
/// made there by path, as `tempfs` does, checking with one `stat` that the
/// path still names that directory.
///
/// ```
/// let dir = tempcore::Dir::open(tempcore::temp_dir()?)?;
/// let (file, name) = tempcore::create_file_at(&dir, &mut tempcore::Template::default(),
///                                             &tempcore::FileOptions::new())?;
/// # drop(file);
/// tempcore::remove_file_at(&dir, &name)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Dir {
    pub(crate) handle: sys::DirHandle,
    path: PathBuf,
    tmpfile: AtomicU8,
}

impl Dir {
    /// Opens the directory at `path`. Symbolic links in `path` are followed
    /// (the base directory is the caller's choice); entries created inside
    /// are never followed.
    ///
    /// An empty `path` is the current directory (as `.`).
    ///
    /// Fails with the OS error (`NotFound`, `NotADirectory`,
    /// `PermissionDenied`, ...) naming `path`.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Dir> {
        let path = or_current(path.as_ref());
        let handle =
            sys::open_dir(path).map_err(|e| PathError::wrap(e, "opening the directory", path))?;
        Ok(Dir::from_parts(handle, path.to_path_buf()))
    }

    /// Opens the subdirectory `name` of `parent` without following a
    /// symbolic link at `name` (on unix `openat(O_DIRECTORY|O_NOFOLLOW)`),
    /// readable, so that its entries can be listed.
    pub fn open_at(parent: &Dir, name: impl AsRef<OsStr>) -> io::Result<Dir> {
        let name = name.as_ref();
        let path = parent.join(name);
        let handle = sys::open_dir_at(parent, name)
            .map_err(|e| PathError::wrap(e, "opening the directory", &path))?;
        Ok(Dir::from_parts(handle, path))
    }

    /// Opens the subdirectory `name` of `parent` as a base for creating,
    /// opening and removing entries relative to it, without following a
    /// symbolic link at `name`. Cheaper than [`open_at`](Self::open_at)
    /// where the platform allows: on Linux an `O_PATH` handle
    /// (`openat(O_PATH|O_DIRECTORY|O_NOFOLLOW)`), which needs no
    /// permission on the directory itself and cannot list its entries;
    /// elsewhere the same as `open_at`. [`sync`](Self::sync) works on
    /// either.
    ///
    /// ```
    /// let parent = tempcore::temp_dir_handle()?;
    /// let mut template = tempcore::Template::default();
    /// let name = tempcore::create_dir_at(&parent, &mut template, 0o700)?;
    /// let dir = tempcore::Dir::open_handle_at(&parent, &name)?;
    /// let mut template = tempcore::Template::default();
    /// let (file, file_name) =
    ///     tempcore::create_file_at(&dir, &mut template, &tempcore::FileOptions::new())?;
    /// # drop(file);
    /// assert!(dir.join(&file_name).is_file());
    /// # tempcore::remove_file_at(&dir, &file_name)?;
    /// # drop(dir);
    /// # tempcore::remove_dir_at(&parent, &name)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open_handle_at(parent: &Dir, name: impl AsRef<OsStr>) -> io::Result<Dir> {
        let name = name.as_ref();
        let path = parent.join(name);
        let handle = sys::open_handle_at(parent, name)
            .map_err(|e| PathError::wrap(e, "opening the directory", &path))?;
        Ok(Dir::from_parts(handle, path))
    }

    pub(crate) fn from_parts(handle: sys::DirHandle, path: PathBuf) -> Dir {
        Dir {
            handle,
            path,
            tmpfile: AtomicU8::new(Tmpfile::Unknown as u8),
        }
    }

    /// The path this directory was opened by. If the directory has since
    /// been moved, the path is stale; the handle is not.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of the entry `name` in this directory: [`path`](Self::path)
    /// joined with `name`, allocated once at its final size (`Path::join`
    /// grows its buffer as it goes).
    ///
    /// ```
    /// let dir = tempcore::Dir::open(tempcore::temp_dir()?)?;
    /// assert_eq!(dir.join("x.txt"), dir.path().join("x.txt"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join(&self, name: impl AsRef<OsStr>) -> PathBuf {
        let name = name.as_ref();
        let mut path = PathBuf::with_capacity(self.path.as_os_str().len() + 1 + name.len());
        path.push(&self.path);
        path.push(name);
        path
    }

    /// A second handle to the same directory.
    pub fn try_clone(&self) -> io::Result<Dir> {
        let handle = sys::clone_dir(self)
            .map_err(|e| PathError::wrap(e, "duplicating the handle of", &self.path))?;
        let copy = Dir::from_parts(handle, self.path.clone());
        copy.set_tmpfile(self.tmpfile());
        Ok(copy)
    }

    /// Flushes the directory's entries to stable storage (`fsync` on the
    /// directory), so that a name just created, renamed or linked in it
    /// survives a power cut. A no-op on Windows, which has no such call.
    pub fn sync(&self) -> io::Result<()> {
        sys::sync_dir(self).map_err(|e| PathError::wrap(e, "syncing the directory", &self.path))
    }

    pub(crate) fn tmpfile(&self) -> Tmpfile {
        match self.tmpfile.load(Ordering::Relaxed) {
            1 => Tmpfile::Works,
            2 => Tmpfile::Refused,
            _ => Tmpfile::Unknown,
        }
    }

    pub(crate) fn set_tmpfile(&self, state: Tmpfile) {
        self.tmpfile.store(state as u8, Ordering::Relaxed);
    }
}

impl fmt::Debug for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dir")
            .field("path", &self.path)
            .field("handle", &self.handle)
            .finish()
    }
}

// Not on WASI: its current directory is `/`, which a runtime does not make
// reachable unless asked to.
#[cfg(all(test, not(target_os = "wasi")))]
mod tests {
    use super::*;

    #[test]
    fn an_empty_path_is_the_current_directory() {
        let dir = Dir::open("").unwrap();
        assert_eq!(dir.path(), Path::new("."));
        let shared = Dir::open_shared("").unwrap();
        assert_eq!(shared.path(), std::env::current_dir().unwrap());
    }
}
