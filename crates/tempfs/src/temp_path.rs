//! [`TempPath`]: a temporary file's name, removed on drop, with no open
//! handle (Python's `NamedTemporaryFile(delete_on_close=False)`).

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::mem;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use camino::Utf8Path;
use tempcore::{DeleteOnClose, Dir, PathError};

use crate::persist::persist_error;
use crate::place::{absolute, open_parent, open_target};
use crate::retain::{Cleaning, Retain};
use crate::sys::{self, Registration};

/// The name of a temporary file whose handle is closed: the name lives
/// until the `TempPath` is dropped (Python's
/// `NamedTemporaryFile(delete_on_close=False)`: closing the file keeps it,
/// leaving the scope removes it).
///
/// Made by [`NamedTempFile::into_temp_path`](crate::NamedTempFile::into_temp_path)
/// or [`into_parts`](crate::NamedTempFile::into_parts). It dereferences to
/// the file's absolute [`Path`], so it can be handed to another program.
///
/// A `TempPath` holds no handle to the file (except one made by
/// [`into_parts`](crate::NamedTempFile::into_parts), which keeps the
/// Windows delete-on-close flag's), so nothing removes the file if the
/// process is killed, on Windows either.
///
/// The name is removed relative to the directory handle opened when the
/// file was created (`unlinkat`), never by looking the path up again: if
/// the directory's path is renamed or replaced by a symbolic link
/// meanwhile, nothing outside the original directory is touched.
///
/// ```
/// use std::io::Write;
/// let mut file = tempfs::NamedTempFile::new()?;
/// writeln!(file, "for another process")?;
/// let path = file.into_temp_path(); // the handle is closed here
/// assert_eq!(std::fs::read_to_string(&path)?, "for another process\n");
/// let copy = path.to_path_buf();
/// drop(path);
/// assert!(!copy.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TempPath {
    /// Its entry for [`crate::cleanup_on_signals`]; declared first, so
    /// that it leaves before the directory handle is closed.
    registered: Registration,
    /// `None` only for a path adopted by [`TempPath::from_path`] whose
    /// directory could not be opened then: it is opened at each use.
    dir: Option<Arc<Dir>>,
    path: Box<Path>,
    cleanup: bool,
    retain: Retain,
    /// Windows: the handle through which the delete-on-close flag of a
    /// file made by [`NamedTempFile`](crate::NamedTempFile) is cleared
    /// when it is kept, persisted or handed over as a path.
    on_close: Option<DeleteOnClose>,
    /// The owner lock ([`crate::Builder::owner_lock`]), released after
    /// the name is removed: declared after everything `Drop` uses.
    lock: Option<sys::OwnerLock>,
}

impl TempPath {
    /// `path` is `dir`'s path joined with the name of an entry in `dir`.
    pub(crate) fn new(dir: Arc<Dir>, path: PathBuf, cleanup: bool) -> TempPath {
        let registered = match cleanup && Registration::wanted() {
            true => match sys::name_in(&path, dir.path()) {
                name if name.is_empty() => Registration::NONE,
                name => Registration::file(&dir, name),
            },
            false => Registration::NONE,
        };
        TempPath {
            registered,
            dir: Some(dir),
            path: path.into_boxed_path(),
            cleanup,
            retain: Retain::default(),
            on_close: None,
            lock: None,
        }
    }

    /// With `on_close`, the file's delete-on-close flag (Windows).
    pub(crate) fn deleting_on_close(mut self, on_close: Option<DeleteOnClose>) -> TempPath {
        self.on_close = on_close;
        self
    }

    /// Clears the file's delete-on-close flag, if it has one the system
    /// can clear, and lets go of the handle that held it: the file now
    /// lives until the `TempPath` removes it, and others may open it
    /// without sharing deletion once every other handle is closed. Kept if
    /// clearing fails (the file is then still removed by the system when
    /// the `TempPath` goes, as it would be by the `TempPath`).
    pub(crate) fn release_on_close(mut self) -> TempPath {
        if self.on_close.as_ref().is_some_and(|h| h.keep().is_ok()) {
            self.on_close = None;
        }
        self
    }

    /// Clears the file's delete-on-close flag (if it has one): it is to
    /// stay after its handles close. The error names the path.
    fn keep_on_close(&self) -> io::Result<()> {
        match &self.on_close {
            Some(on_close) => on_close
                .keep()
                .map_err(|e| PathError::wrap(e, "keeping", &*self.path)),
            None => Ok(()),
        }
    }

    /// Holds `lock` (the file's owner lock) while the name lives.
    pub(crate) fn hold(&mut self, lock: Option<sys::OwnerLock>) {
        self.lock = lock;
    }

    /// Adopts an existing path (whether or not a file exists there) as a
    /// temporary one, removed on drop. A relative path is made absolute
    /// against the current directory, and its directory is opened now, so
    /// that removal later is relative to that handle.
    ///
    /// Fails with `InvalidInput` if `path` does not end in a file name, or
    /// with the error of opening its directory (`NotFound`, ...), naming it.
    pub fn try_from_path(path: impl Into<PathBuf>) -> io::Result<TempPath> {
        let path = absolute(&path.into())?;
        let (dir, name) = open_parent(&path, "adopting as a temporary path")?;
        let path = dir.path().join(name);
        Ok(TempPath::new(dir, path, true))
    }

    /// With the retention settings `retain` ([`crate::Builder::retention`]).
    pub(crate) fn retain(mut self, retain: Retain) -> TempPath {
        self.retain = retain;
        self
    }

    /// The directory the file was created in (for a path adopted by
    /// [`TempPath::from_path`] without one, its directory opened now).
    pub(crate) fn dir(&self) -> io::Result<Arc<Dir>> {
        match &self.dir {
            Some(dir) => Ok(Arc::clone(dir)),
            None => Ok(open_parent(&self.path, FROM_PATH)?.0),
        }
    }

    /// The name in the directory.
    pub(crate) fn name(&self) -> &OsStr {
        match &self.dir {
            Some(dir) => sys::name_in(&self.path, dir.path()),
            None => self.path.file_name().unwrap_or_default(),
        }
    }

    /// The path, as UTF-8, or `None` if it is not valid UTF-8.
    pub fn utf8_path(&self) -> Option<&Utf8Path> {
        Utf8Path::from_path(&self.path)
    }

    /// Removes the file now and reports the error that dropping would
    /// swallow, naming the path. A file that is already gone (removed by
    /// hand, or by a temporary-file cleaner) is not an error: the name is
    /// gone, which is what was asked. Removes the file even when cleanup
    /// was disabled: closing explicitly is asking for it.
    pub fn close(mut self) -> io::Result<()> {
        self.cleanup = false;
        self.remove()
    }

    /// Gives the file the name `new_path`, atomically replacing any file
    /// there; the temporary name disappears in the same step
    /// (`renameat`). On failure the error names the target and gives the
    /// `TempPath` back.
    ///
    /// The rename works on whatever is at the temporary name now: if a
    /// temporary-file cleaner removed the file and someone else created
    /// one under the same name, that one is moved. A [`TempFile`] has no
    /// name to swap and links the file it holds.
    ///
    /// [`TempFile`]: crate::TempFile
    pub fn persist<P: AsRef<Path>>(self, new_path: P) -> Result<(), PathPersistError> {
        self.persist_inner(new_path.as_ref(), true)
    }

    /// [`persist`](Self::persist), but fails with `AlreadyExists` if
    /// anything is at `new_path`, changing nothing
    /// (`renameat2(RENAME_NOREPLACE)`; see [`tempcore::rename_at`] for the
    /// fallback where that is unsupported).
    pub fn persist_noclobber<P: AsRef<Path>>(self, new_path: P) -> Result<(), PathPersistError> {
        self.persist_inner(new_path.as_ref(), false)
    }

    fn persist_inner(self, target: &Path, replace: bool) -> Result<(), PathPersistError> {
        match self.rename(target, replace) {
            Ok(_) => {
                self.forget();
                Ok(())
            }
            // A path has no file to copy across file systems; only
            // replacing is an option.
            Err(error) if !replace && error.kind() == io::ErrorKind::AlreadyExists => {
                Err(PathPersistError {
                    error: PathError::with_hint(error, PATH_REPLACE_HINT),
                    path: self,
                })
            }
            Err(error) => Err(PathPersistError { error, path: self }),
        }
    }

    /// Renames the file to `target`; returns the target's directory.
    ///
    /// A delete-on-close flag is cleared first, and set again if the
    /// rename fails while cleanup is on.
    pub(crate) fn rename(&self, target: &Path, replace: bool) -> io::Result<Arc<Dir>> {
        let (to, name) = open_target(target)?;
        let dir = self.dir()?;
        self.keep_on_close()?;
        let renamed = tempcore::rename_at(&dir, self.name(), &to, name, replace);
        if let (Err(_), Some(on_close), true) = (&renamed, &self.on_close, self.cleanup) {
            let _ = on_close.delete();
        }
        renamed.map(|()| to)
    }

    /// Leaves the file where it is for good and returns its path (Python's
    /// `delete=False`, decided late). Never fails on unix; on Windows it
    /// fails, giving the path back, if the file's delete-on-close flag
    /// cannot be cleared. The `Result` matches the `tempfile` crate.
    pub fn keep(mut self) -> Result<PathBuf, PathPersistError> {
        if let Err(error) = self.keep_on_close() {
            return Err(PathPersistError { error, path: self });
        }
        self.cleanup = false;
        Ok(mem::replace(&mut self.path, PathBuf::new().into_boxed_path()).into_path_buf())
    }

    /// Turns removal on drop off (`true`) or back on (`false`), as
    /// [`Builder::disable_cleanup`](crate::Builder::disable_cleanup) does
    /// at creation.
    ///
    /// On Windows this also clears or sets again the file's
    /// delete-on-close flag, where it has one; a failure to do so is
    /// swallowed: use [`keep`](Self::keep) to see it.
    pub fn disable_cleanup(&mut self, disable: bool) {
        self.cleanup = !disable;
        self.registered.leave();
        if let (false, Some(dir)) = (disable, &self.dir) {
            self.registered = Registration::file(dir, self.name());
        }
        if let Some(on_close) = &self.on_close {
            let _ = if disable {
                on_close.keep()
            } else {
                on_close.delete()
            };
        }
    }

    /// Drops without removing anything: the file has a new name now.
    pub(crate) fn forget(mut self) {
        self.cleanup = false;
    }
}

/// What the message of a refused [`TempPath::persist_noclobber`] adds.
const PATH_REPLACE_HINT: &str = "`TempPath::persist` replaces what is there";

/// A failed persist or keep of a [`TempPath`]: the error, and the path
/// back, still removed on drop.
#[derive(Debug)]
pub struct PathPersistError {
    /// What went wrong; names the target path.
    pub error: io::Error,
    /// The temporary path, given back.
    pub path: TempPath,
}

persist_error!(PathPersistError, path, TempPath);

/// What [`TempPath::from_path`] names in its errors.
const FROM_PATH: &str = "opening the directory of";

/// `unlinkat(dir, name)`, with a missing entry counted as removed.
fn remove(dir: &Dir, name: &OsStr) -> io::Result<()> {
    match tempcore::remove_file_at(dir, name) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        // Kept or not is decided before anything is removed.
        if !self.cleanup {
            return;
        }
        if self.retain.keeps(&self.path) {
            // The system is not to remove it either.
            let _ = self.keep_on_close();
            return;
        }
        let cleaning = Cleaning::start();
        // Nothing to report to; `close` is the way to see this error.
        let _ = self.remove();
        cleaning.done();
    }
}

impl fmt::Debug for TempPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.path.fmt(f)
    }
}

impl Deref for TempPath {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for TempPath {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

impl TempPath {
    /// Adopts `path` (whether or not a file exists there) as a temporary
    /// one, removed on drop, and never fails: the `tempfile` crate's
    /// deprecated form of [`try_from_path`](Self::try_from_path).
    ///
    /// A relative path is made absolute against the current directory
    /// (kept as given when there is none) and its directory is opened now,
    /// as `try_from_path` does: removal and persisting are relative to
    /// that handle, so renaming the directory or replacing its path by a
    /// symbolic link afterwards cannot redirect them. The directory as it
    /// is when the caller adopts the path is the one the caller means, and
    /// every other `TempPath` holds the handle of its directory from the
    /// start.
    ///
    /// Where `try_from_path` would fail (the directory does not exist yet,
    /// the path ends in no file name, no descriptor is left) this returns
    /// a `TempPath` that opens the directory again at each use (drop,
    /// [`close`](Self::close), [`persist`](Self::persist),
    /// [`NamedTempFile::reopen`](crate::NamedTempFile::reopen)), resolving
    /// the path at that moment, as the crate does at every use: a file
    /// created at the path after adoption, in a directory created after
    /// adoption, is still removed. The name itself is never followed, in
    /// either case. Drop and `close` count a directory that is still
    /// missing as nothing to remove.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// let dir = tempfs::TempDir::new()?;
    /// let report = dir.path().join("report.txt");
    /// std::fs::write(&report, b"made by another program")?;
    /// let adopted = tempfs::TempPath::from_path(&report);
    /// drop(adopted);
    /// assert!(!report.exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[deprecated = "use TempPath::try_from_path"]
    pub fn from_path(path: impl Into<PathBuf>) -> TempPath {
        let path = path.into();
        let path = absolute(&path).unwrap_or(path);
        match open_parent(&path, FROM_PATH) {
            // The path as given (made absolute where it could be): a
            // relative path stays relative when there is no current
            // directory, as in the crate.
            Ok((dir, _)) => TempPath::new(dir, path, true),
            Err(_) => TempPath {
                registered: Registration::NONE,
                dir: None,
                path: path.into_boxed_path(),
                cleanup: true,
                retain: Retain::default(),
                on_close: None,
                lock: None,
            },
        }
    }

    /// Removes the name, relative to the directory handle; for a path
    /// adopted without one, relative to its directory opened now, a
    /// missing directory counting as nothing to remove.
    fn remove(&self) -> io::Result<()> {
        match &self.dir {
            Some(dir) => remove(dir, self.name()),
            None => match open_parent(&self.path, FROM_PATH) {
                Ok((dir, name)) => remove(&dir, name),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            },
        }
    }
}
