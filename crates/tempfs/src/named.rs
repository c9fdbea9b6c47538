//! [`NamedTempFile`]: an open temporary file with a name, removed on drop
//! (Python's `NamedTemporaryFile`).

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use camino::Utf8Path;
use tempcore::{DeleteOnClose, Dir, FileOptions, PathError, Template};

use crate::builder::Builder;
use crate::persist::{PersistOptions, advise, copy_across, persist_error};
use crate::place;
use crate::retain::Retain;
use crate::sys;
use crate::temp_path::TempPath;

/// An open temporary file with a name (Python's `NamedTemporaryFile`):
/// other programs can open it by [`path`](Self::path) while it exists, and
/// it is removed when the `NamedTempFile` is dropped.
///
/// Created 0600 with `O_CREAT|O_EXCL|O_NOFOLLOW` under a random name
/// (prefix `tmp`) in [`temp_dir`](crate::temp_dir) or the
/// directory given. The handle of that directory is kept, and the name is
/// removed relative to it with `unlinkat`, never by resolving the path
/// again. That handle is shared by every object made in the same
/// directory, the default one or one given by path
/// ([`Dir::open_shared`](crate::Dir::open_shared)): a live file costs one descriptor,
/// plus one per directory in use. Creating and dropping one costs
/// `openat` + `close` + `unlinkat`, and in a directory given by path one
/// `stat` more, to check that the path still names the directory whose
/// handle is shared.
///
/// Use [`tempfile`](crate::tempfile) or [`TempFile`](crate::TempFile)
/// when no name is needed: a named file is left behind if the process is
/// killed, an anonymous one never is.
///
/// On Windows (10 1709 and later, on NTFS) a file that is removed on drop
/// is created deleting on close, as Python's `O_TEMPORARY`: the system
/// removes it when its handles close, also after a kill, unless it is
/// kept, persisted or handed over with
/// [`into_temp_path`](Self::into_temp_path), which clear that. While it
/// is open, others can open it by path only if they share deletion
/// (`FILE_SHARE_DELETE`: Rust's `File::open` does, the C runtime's `fopen`
/// does not); [`reopen`](Self::reopen) always can. See "Windows: deleted
/// by the system" in `docs/platforms.md`.
///
/// ```
/// use std::io::{Read, Seek, Write};
/// let mut file = tempfs::NamedTempFile::new()?;
/// write!(file, "Some data")?;
/// let path = file.path().to_path_buf();
/// assert_eq!(std::fs::read_to_string(&path)?, "Some data");
/// drop(file);
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// The type parameter is what is open under the name: a [`File`] unless
/// made by [`Builder::make`] (for instance a Unix socket) or
/// [`from_parts`](Self::from_parts).
pub struct NamedTempFile<F = File> {
    // Declared first so that it is closed before the name is removed (which
    // Windows needs).
    file: F,
    path: TempPath,
}

impl NamedTempFile<File> {
    /// Creates a named temporary file in [`temp_dir`](crate::temp_dir), as
    /// [`Builder::new`]`().tempfile()`.
    pub fn new() -> io::Result<NamedTempFile> {
        NamedTempFile::with_defaults_at(&tempcore::temp_dir_handle()?)
    }

    /// Creates a named temporary file in `dir`.
    pub fn new_in<P: AsRef<Path>>(dir: P) -> io::Result<NamedTempFile> {
        NamedTempFile::with_defaults_at(&place::open_dir(dir.as_ref())?)
    }

    /// What `new` and `new_in` make in `dir`. The defaults need no
    /// `Builder`: nothing to allocate or validate.
    fn with_defaults_at(dir: &Arc<Dir>) -> io::Result<NamedTempFile> {
        let opts = FileOptions::new();
        NamedTempFile::create_at(
            dir,
            &mut Template::default(),
            &opts,
            true,
            Retain::default(),
        )
    }

    /// A named temporary file in `dir`, sharing the handle, removed on drop
    /// if `cleanup` and `retain` does not keep it: what every constructor
    /// of a `NamedTempFile<File>` comes down to. Removed on drop and never
    /// kept, it deletes on close where the system allows that (Windows).
    pub(crate) fn create_at(
        dir: &Arc<Dir>,
        names: &mut Template<'_>,
        opts: &FileOptions,
        cleanup: bool,
        retain: Retain,
    ) -> io::Result<NamedTempFile> {
        let deleting = cleanup && !retain.may_keep();
        let opts = opts.delete_on_close(deleting);
        let (file, name) = tempcore::create_file_at(dir, names, &opts)?;
        let on_close = match deleting.then(|| DeleteOnClose::new(&file)).transpose() {
            Ok(on_close) => on_close.flatten(),
            Err(e) => {
                drop(file);
                let _ = tempcore::remove_file_at(dir, &name);
                return Err(PathError::wrap(e, "creating", dir.join(&name)));
            }
        };
        let path = TempPath::new(Arc::clone(dir), dir.join(&name), cleanup)
            .deleting_on_close(on_close)
            .retain(retain);
        Ok(NamedTempFile { file, path })
    }

    /// With a shared lock on the file, held by its name
    /// ([`Builder::owner_lock`]); on failure the file is removed.
    pub(crate) fn owner_locked(mut self) -> io::Result<NamedTempFile> {
        let lock = self
            .path
            .dir()
            .and_then(|dir| sys::lock_file(&self.file, &dir, self.path.name()))
            .map_err(|e| PathError::wrap(e, "locking the temporary file", self.path()))?;
        self.path.hold(lock);
        Ok(self)
    }

    /// Creates a named temporary file whose name starts with `prefix`
    /// instead of `tmp`.
    pub fn with_prefix<S: AsRef<OsStr>>(prefix: S) -> io::Result<NamedTempFile> {
        Builder::new().prefix(&prefix).tempfile()
    }

    /// [`with_prefix`](Self::with_prefix) in `dir`.
    pub fn with_prefix_in<S: AsRef<OsStr>, P: AsRef<Path>>(
        prefix: S,
        dir: P,
    ) -> io::Result<NamedTempFile> {
        Builder::new().prefix(&prefix).tempfile_in(dir)
    }

    /// Creates a named temporary file whose name ends with `suffix`
    /// (e.g. `.txt`).
    pub fn with_suffix<S: AsRef<OsStr>>(suffix: S) -> io::Result<NamedTempFile> {
        Builder::new().suffix(&suffix).tempfile()
    }

    /// [`with_suffix`](Self::with_suffix) in `dir`.
    pub fn with_suffix_in<S: AsRef<OsStr>, P: AsRef<Path>>(
        suffix: S,
        dir: P,
    ) -> io::Result<NamedTempFile> {
        Builder::new().suffix(&suffix).tempfile_in(dir)
    }

    /// Opens the file again, as a second, independent handle (its own
    /// position), for reading and writing.
    ///
    /// The name is opened relative to the directory handle, without
    /// following a symbolic link (`openat(O_NOFOLLOW)`), and the result is
    /// checked to be the very file this object holds (same device and
    /// inode). If a temporary-file cleaner removed the file and something
    /// else now has its name, this fails (`NotFound`, naming the path)
    /// instead of handing out someone else's file.
    ///
    /// It never waits on what it finds there: on unix the open is
    /// non-blocking (`O_NONBLOCK`), so neither a FIFO nor a file on which
    /// another user holds a lease (`F_SETLEASE`, Linux) can hold it up, and
    /// the file handed out is an ordinary blocking one. Should a lease be
    /// on our own file (possible only if no handle to it is open for
    /// writing), this fails with `WouldBlock` instead of waiting for the
    /// lease to be given up; the caller may retry.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let mut file = tempfs::NamedTempFile::new()?;
    /// let mut again = file.reopen()?;
    /// file.write_all(b"shared")?;
    /// let mut back = String::new();
    /// again.read_to_string(&mut back)?;
    /// assert_eq!(back, "shared");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reopen(&self) -> io::Result<File> {
        sys::reopen(&self.file, &*self.path.dir()?, self.path.name())
            .map_err(|e| PathError::wrap(e, "reopening the temporary file", self.path()))
    }

    /// [`persist`](Self::persist), then flushes the file's data and the
    /// target directory to stable storage (`fsync` before the rename, and
    /// on the directory after), so that after a power cut the target holds
    /// the old file or the complete new one.
    pub fn persist_durable(self, new_path: impl AsRef<Path>) -> Result<File, PersistError> {
        self.persist_with(new_path, &PersistOptions::replace().durable(true))
    }

    /// Gives the file the name `new_path` as `opts` say: replacing or not,
    /// durably or not, copying across file systems or not.
    ///
    /// If everything but the final directory sync of a durable persist
    /// worked, the file already has its new name: the error then gives
    /// back a `NamedTempFile` at the new path with cleanup disabled.
    pub fn persist_with(
        self,
        new_path: impl AsRef<Path>,
        opts: &PersistOptions,
    ) -> Result<File, PersistError> {
        let target = new_path.as_ref();
        if opts.is_durable() {
            if let Err(e) = self.file.sync_all() {
                let error = PathError::wrap(e, "syncing the data of a file for", target);
                return Err(PersistError { error, file: self });
            }
        }
        match self.path.rename(target, opts.replaces()) {
            Ok(to) => {
                let NamedTempFile { file, path } = self;
                path.forget();
                if opts.is_durable() {
                    if let Err(error) = to.sync() {
                        let at = to.path().join(target.file_name().unwrap_or_default());
                        let path = TempPath::new(to, at, false);
                        let file = NamedTempFile { file, path };
                        return Err(PersistError { error, file });
                    }
                }
                Ok(file)
            }
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices && opts.copies_across_devices() => {
                match copy_across(&self.file, target, opts) {
                    // Our own name goes when `self` drops.
                    Ok(copy) => Ok(copy),
                    Err(error) => Err(PersistError { error, file: self }),
                }
            }
            Err(error) => Err(PersistError {
                error: advise(error, opts),
                file: self,
            }),
        }
    }
}

impl<F> NamedTempFile<F> {
    /// The file's absolute path.
    ///
    /// Another program can open it by this path; remember that whoever
    /// can write to the directory (root, a temporary-file cleaner) can
    /// replace what is there. [`reopen`](NamedTempFile::reopen) checks.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as UTF-8, or `None` if it is not valid UTF-8.
    pub fn utf8_path(&self) -> Option<&Utf8Path> {
        self.path.utf8_path()
    }

    /// Closes the file and removes it, reporting the error that dropping
    /// would swallow (naming the path). A file already removed by someone
    /// else is not an error.
    pub fn close(self) -> io::Result<()> {
        let NamedTempFile { file, path } = self;
        drop(file);
        path.close()
    }

    /// Gives the file the name `new_path`, atomically replacing any file
    /// there (`renameat` from the directory handle): a reader of
    /// `new_path` sees the old file or this one, never a mix. Returns the
    /// open file, no longer temporary. The file keeps its mode: 0600
    /// unless [`Builder::permissions`] said otherwise.
    ///
    /// On failure the error names the target and gives this
    /// `NamedTempFile` back. A target on another file system fails with
    /// [`io::ErrorKind::CrossesDevices`] and says what to do (create the
    /// file in the target's directory, or use
    /// [`PersistOptions::copy_across_devices`]). Neither data nor
    /// directory is flushed to disk: see
    /// [`persist_durable`](NamedTempFile::persist_durable).
    ///
    /// ```
    /// use std::io::Write;
    /// let dir = tempfs::temp_dir()?;
    /// let target = dir.join(tempfs::random_name("report-", ".txt", 8)?);
    /// let mut file = tempfs::NamedTempFile::new()?;
    /// file.write_all(b"complete")?;
    /// file.persist(&target)?;
    /// assert_eq!(std::fs::read(&target)?, b"complete");
    /// # std::fs::remove_file(&target)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn persist<P: AsRef<Path>>(self, new_path: P) -> Result<F, PersistError<F>> {
        self.rename(new_path.as_ref(), true)
    }

    /// [`persist`](Self::persist), but fails with `AlreadyExists` if
    /// anything is at `new_path`, leaving both files as they were
    /// (`renameat2(RENAME_NOREPLACE)` where available).
    /// The error's message names `persist`, which replaces.
    pub fn persist_noclobber<P: AsRef<Path>>(self, new_path: P) -> Result<F, PersistError<F>> {
        self.rename(new_path.as_ref(), false)
    }

    fn rename(self, target: &Path, replace: bool) -> Result<F, PersistError<F>> {
        match self.path.rename(target, replace) {
            Ok(_) => {
                let NamedTempFile { file, path } = self;
                path.forget();
                Ok(file)
            }
            Err(error) => {
                let opts = if replace {
                    PersistOptions::replace()
                } else {
                    PersistOptions::no_replace()
                };
                let error = advise(error, &opts);
                Err(PersistError { error, file: self })
            }
        }
    }

    /// Keeps the file where it is for good (Python's `delete=False`,
    /// decided late): returns the open file and its path. Never fails on
    /// unix; on Windows it fails, giving the file back, if its
    /// delete-on-close flag cannot be cleared. The `Result` matches the
    /// `tempfile` crate.
    pub fn keep(self) -> Result<(F, PathBuf), PersistError<F>> {
        let NamedTempFile { file, path } = self;
        match path.keep() {
            Ok(path) => Ok((file, path)),
            Err(err) => Err(PersistError {
                error: err.error,
                file: NamedTempFile {
                    file,
                    path: err.path,
                },
            }),
        }
    }

    /// Turns removal on drop off (`true`) or back on (`false`).
    pub fn disable_cleanup(&mut self, disable: bool) {
        self.path.disable_cleanup(disable);
    }

    /// The open file.
    pub fn as_file(&self) -> &F {
        &self.file
    }

    /// The open file, mutably.
    pub fn as_file_mut(&mut self) -> &mut F {
        &mut self.file
    }

    /// Removes the name and returns the open file, which then lives on
    /// with no name, like one from [`tempfile`](crate::tempfile). (A
    /// failure to remove the name is swallowed, as on drop.)
    pub fn into_file(self) -> F {
        self.file
    }

    /// Closes the file and keeps only the name, which is removed when the
    /// [`TempPath`] is dropped (Python's `delete_on_close=False`): for
    /// handing the path to another program. On Windows this clears the
    /// file's delete-on-close flag: others may then open it without
    /// sharing deletion, and a killed process leaves it.
    pub fn into_temp_path(self) -> TempPath {
        self.path.release_on_close()
    }

    /// Splits into the open file and the name. Dropping the [`TempPath`]
    /// removes the name; the file stays usable.
    pub fn into_parts(self) -> (F, TempPath) {
        (self.file, self.path)
    }

    /// Joins a file and a name made by [`into_parts`](Self::into_parts).
    pub fn from_parts(file: F, path: TempPath) -> NamedTempFile<F> {
        NamedTempFile { file, path }
    }
}

impl<F> fmt::Debug for NamedTempFile<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NamedTempFile({:?})", self.path)
    }
}

impl<F> AsRef<Path> for NamedTempFile<F> {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

/// A failed persist, [`keep`](NamedTempFile::keep) or
/// [`persist_noclobber`](NamedTempFile::persist_noclobber) of a
/// [`NamedTempFile`]: the error, and the temporary file back, unchanged and
/// still cleaned up on drop.
///
/// Converts into [`io::Error`] (so `?` works in functions returning
/// `io::Result`) and into the `NamedTempFile`.
///
/// ```
/// let first = tempfs::NamedTempFile::new()?;
/// let second = tempfs::NamedTempFile::new()?;
/// let err = second.persist_noclobber(first.path()).unwrap_err();
/// assert_eq!(err.error.kind(), std::io::ErrorKind::AlreadyExists);
/// let second = err.file; // still ours, removed when dropped
/// # drop(second);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct PersistError<F = File> {
    /// What went wrong; names the target path.
    pub error: io::Error,
    /// The temporary file, given back.
    pub file: NamedTempFile<F>,
}

impl<F> fmt::Debug for PersistError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersistError")
            .field("error", &self.error)
            .field("file", &self.file)
            .finish()
    }
}

persist_error!(PersistError<F>, file, NamedTempFile<F>, F);

/// Adds the path to an I/O error, keeping its kind.
fn named(e: io::Error, action: &'static str, path: &Path) -> io::Error {
    PathError::wrap(e, action, path)
}

impl<F: Read> Read for NamedTempFile<F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file
            .read(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.file
            .read_vectored(bufs)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.file
            .read_to_end(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        self.file
            .read_to_string(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.file
            .read_exact(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }
}

impl Read for &NamedTempFile<File> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.file)
            .read(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.file)
            .read_vectored(bufs)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        (&self.file)
            .read_to_end(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        (&self.file)
            .read_to_string(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        (&self.file)
            .read_exact(buf)
            .map_err(|e| named(e, "reading", &self.path))
    }
}

impl<F: Write> Write for NamedTempFile<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file
            .write(buf)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.file
            .write_vectored(bufs)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file
            .write_all(buf)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> io::Result<()> {
        self.file
            .write_fmt(args)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file
            .flush()
            .map_err(|e| named(e, "flushing", &self.path))
    }
}

impl Write for &NamedTempFile<File> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.file)
            .write(buf)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&self.file)
            .write_vectored(bufs)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        (&self.file)
            .write_all(buf)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> io::Result<()> {
        (&self.file)
            .write_fmt(args)
            .map_err(|e| named(e, "writing to", &self.path))
    }

    fn flush(&mut self) -> io::Result<()> {
        (&self.file)
            .flush()
            .map_err(|e| named(e, "flushing", &self.path))
    }
}

impl<F: Seek> Seek for NamedTempFile<F> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file
            .seek(pos)
            .map_err(|e| named(e, "seeking in", &self.path))
    }
}

impl Seek for &NamedTempFile<File> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        (&self.file)
            .seek(pos)
            .map_err(|e| named(e, "seeking in", &self.path))
    }
}
