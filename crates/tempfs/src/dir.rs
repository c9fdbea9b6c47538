//! [`TempDir`] (Python's `TemporaryDirectory`) and [`mkdtemp`]. The
//! [`Builder`] methods that make them are in `builder.rs`, with the rest.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use camino::Utf8Path;
use tempcore::Dir;

use crate::builder::Builder;
use crate::cleanup;
use crate::retain::{Cleaning, Retain};
use crate::sys::{self, Registration};
use crate::testing::RunGuard;

/// A directory that is removed, with everything in it, when the `TempDir`
/// is dropped (Python's `TemporaryDirectory`).
///
/// It is created 0700 under a fresh random name from the operating
/// system's CSPRNG with `mkdir`, which never reuses anything already
/// there, and opened at once: the `TempDir` keeps the directory's own
/// descriptor, and its parent's, for its whole life.
///
/// ```
/// use std::io::Write;
///
/// let dir = tempfs::TempDir::new()?;
/// let mut file = std::fs::File::create(dir.path().join("notes.txt"))?;
/// writeln!(file, "scratch work")?;
/// let path = dir.path().to_path_buf();
/// drop(file);
/// drop(dir);
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Removal
///
/// Dropping it removes the directory and its contents, ignoring errors;
/// [`close`](Self::close) does the same and reports the first error (with
/// the path it concerns), and [`cleanup`](Self::cleanup) does it in place
/// and can be called again after a failure. [`keep`](Self::keep) (Python's
/// `delete=False`) and [`Builder::disable_cleanup`] leave it on disk;
/// [`Builder::ignore_cleanup_errors`] makes removal best effort (remove
/// all that can be removed, report nothing), as Python's
/// `ignore_cleanup_errors=True`. [`Builder::retention`] (or `TEMPKIT_KEEP`)
/// keeps it on drop when the thread is panicking, or always, and says
/// where on standard error.
///
/// An empty directory costs one system call to remove. Otherwise the
/// contents are removed through the descriptor held since creation,
/// walking the tree iteratively (any depth, on any stack) with a bounded
/// number of descriptors. Read-only contents are removed as Python removes
/// them: directories, and only directories, are given back owner
/// permissions, through descriptors opened without following links.
///
/// # Security
///
/// Removal never follows a symbolic link, never crosses into another
/// mount, never changes the mode of a file, and removes nothing if the
/// directory was moved away from its path (renaming it into its final
/// place keeps it) or replaced there.
/// [`docs/security.md`](https://github.com/tempkit/tempkit/blob/main/docs/security.md)
/// lists each defence and the test that proves it.
///
/// # Platform behaviour
///
/// The same walk everywhere, through descriptors on unix and handles on
/// Windows; only Linux can repair a directory its owner cannot read.
/// [`docs/platforms.md`](https://github.com/tempkit/tempkit/blob/main/docs/platforms.md)
/// has the details.
pub struct TempDir {
    /// Its entry for [`crate::cleanup_on_signals`]; declared first, so
    /// that it leaves before the handles are closed.
    registered: Registration,
    /// The directory it was made in.
    parent: Arc<Dir>,
    /// Its name in `parent`.
    name: OsString,
    /// The directory itself, open since creation.
    dir: Dir,
    /// Nothing left to remove: removed, kept, or closed.
    done: bool,
    /// Leave it in place on drop ([`Builder::disable_cleanup`]).
    keep_on_drop: bool,
    /// Removal is best effort ([`Builder::ignore_cleanup_errors`]).
    ignore_errors: bool,
    /// Kept on drop after all? ([`Builder::retention`]).
    retain: Retain,
    /// The run directory of [`crate::testing`] it was made in, if any.
    /// Declared last: dropped after the handles above are closed.
    pub(crate) run: Option<RunGuard>,
}

impl crate::place::sealed::Sealed for TempDir {}

/// A `TempDir` is a directory the `_at` constructors can work in: objects
/// made in it keep a duplicate of its handle.
impl crate::AsDir for TempDir {
    fn as_dir(&self) -> &Dir {
        &self.dir
    }
}

impl TempDir {
    /// Creates a new directory in the default temporary directory
    /// ([`crate::temp_dir`]), with prefix `tmp`.
    ///
    /// ```
    /// let dir = tempfs::TempDir::new()?;
    /// assert!(dir.path().starts_with(tempfs::temp_dir()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<TempDir> {
        Builder::new().tempdir()
    }

    /// Creates a new directory in `dir` (made absolute if it is relative).
    ///
    /// Fails with the OS error naming `dir` if it does not exist or is not
    /// a directory one may create entries in.
    pub fn new_in<P: AsRef<Path>>(dir: P) -> io::Result<TempDir> {
        Builder::new().tempdir_in(dir)
    }

    /// Creates a new directory in the default temporary directory, its
    /// name starting with `prefix` instead of `tmp`.
    ///
    /// ```
    /// let dir = tempfs::TempDir::with_prefix("build-")?;
    /// let name = dir.path().file_name().unwrap().to_str().unwrap();
    /// assert!(name.starts_with("build-"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_prefix<S: AsRef<OsStr>>(prefix: S) -> io::Result<TempDir> {
        Builder::new().prefix(&prefix).tempdir()
    }

    /// [`with_prefix`](Self::with_prefix) in `dir`.
    pub fn with_prefix_in<S: AsRef<OsStr>, P: AsRef<Path>>(
        prefix: S,
        dir: P,
    ) -> io::Result<TempDir> {
        Builder::new().prefix(&prefix).tempdir_in(dir)
    }

    /// Creates a new directory in the default temporary directory, its
    /// name ending with `suffix`.
    pub fn with_suffix<S: AsRef<OsStr>>(suffix: S) -> io::Result<TempDir> {
        Builder::new().suffix(&suffix).tempdir()
    }

    /// [`with_suffix`](Self::with_suffix) in `dir`.
    pub fn with_suffix_in<S: AsRef<OsStr>, P: AsRef<Path>>(
        suffix: S,
        dir: P,
    ) -> io::Result<TempDir> {
        Builder::new().suffix(&suffix).tempdir_in(dir)
    }

    /// The directory's absolute path (Python's `name`).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The path as UTF-8 (`camino`), or `None` if it is not valid UTF-8.
    ///
    /// ```
    /// let dir = tempfs::TempDir::new()?;
    /// if let Some(path) = dir.utf8_path() {
    ///     assert_eq!(Some(path.as_str()), dir.path().to_str());
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn utf8_path(&self) -> Option<&Utf8Path> {
        Utf8Path::from_path(self.path())
    }

    /// The directory's handle, open since creation: the `tempcore`
    /// `*_at` functions create entries relative to it, immune to the path
    /// being renamed or replaced meanwhile. On Linux it is an `O_PATH`
    /// handle (see [`Dir::open_handle_at`]): a base for `*at` calls, not
    /// for listing the directory; with [`Builder::owner_lock`] a readable
    /// one, which holds the lock.
    ///
    /// ```
    /// let dir = tempfs::TempDir::new()?;
    /// let file = tempfs::Builder::new().temp_file_at(&dir)?;
    /// file.persist(dir.path().join("made"))?;
    /// assert!(dir.path().join("made").is_file());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_dir(&self) -> &Dir {
        &self.dir
    }

    /// Removes the directory and everything in it now (Python's
    /// `cleanup()`), and reports the first failure with the path it
    /// concerns. Removal happens even if cleanup on drop was disabled.
    ///
    /// Calling it again is harmless: after a success it does nothing;
    /// after a failure it tries again (so does the drop). With
    /// [`Builder::ignore_cleanup_errors`] it removes what it can and
    /// returns `Ok`.
    ///
    /// ```
    /// let mut dir = tempfs::TempDir::new()?;
    /// std::fs::write(dir.path().join("data"), b"x")?;
    /// dir.cleanup()?;
    /// assert!(!dir.path().exists());
    /// dir.cleanup()?; // nothing left to do
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cleanup(&mut self) -> io::Result<()> {
        if self.done {
            return Ok(());
        }
        match cleanup::remove_temp_dir(&self.parent, &self.name, &self.dir, self.dir.path()) {
            Ok(()) => {
                self.registered.leave();
                self.done = true;
                Ok(())
            }
            Err(_) if self.ignore_errors => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Removes the directory and everything in it, consuming the
    /// `TempDir`, and reports the first failure (which a drop has to
    /// swallow) with the path it concerns. What could not be removed stays
    /// on disk; to try again, use [`cleanup`](Self::cleanup) instead.
    ///
    /// ```
    /// let dir = tempfs::TempDir::new()?;
    /// let path = dir.path().to_path_buf();
    /// dir.close()?;
    /// assert!(!path.exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(mut self) -> io::Result<()> {
        let result = self.cleanup();
        self.done = true;
        result
    }

    /// Leaves the directory on disk and returns its path (Python's
    /// `delete=False`).
    ///
    /// ```
    /// let path = tempfs::TempDir::new()?.keep();
    /// assert!(path.is_dir());
    /// std::fs::remove_dir(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn keep(mut self) -> PathBuf {
        self.done = true;
        self.path().to_path_buf()
    }

    /// The old name of [`keep`](Self::keep), kept for code moving from the
    /// `tempfile` crate.
    #[deprecated = "use TempDir::keep()"]
    pub fn into_path(self) -> PathBuf {
        self.keep()
    }

    /// Whether dropping the `TempDir` leaves the directory in place
    /// (`true`) or removes it (the default). [`close`](Self::close) and
    /// [`cleanup`](Self::cleanup) remove it either way.
    pub fn disable_cleanup(&mut self, disable: bool) {
        self.keep_on_drop = disable;
        self.registered.leave();
        if !disable && !self.done {
            self.registered = Registration::tree(&self.parent, &self.dir, &self.name);
        }
    }

    /// Makes a directory in `parent` as `builder` says.
    pub(crate) fn create(builder: &Builder, parent: Arc<Dir>) -> io::Result<TempDir> {
        let mut template = builder.template()?;
        let name = tempcore::create_dir_at(&parent, &mut template, builder.dir_mode())?;
        // A handle for `*at` calls only (`O_PATH` on Linux): the cheapest
        // open, and all that cleanup needs until the directory turns out
        // not to be empty. A locked one is readable ([`Builder::owner_lock`]).
        let opened = if builder.owner_lock {
            sys::open_locked_dir(&parent, &name)
        } else {
            Dir::open_handle_at(&parent, &name)
        };
        let dir = match opened {
            Ok(dir) => dir,
            Err(e) => {
                // Something swapped in at the name (a race), or no
                // descriptor left: leave nothing behind.
                let _ = tempcore::remove_dir_at(&parent, &name);
                return Err(e);
            }
        };
        let registered = match builder.disable_cleanup {
            false => Registration::tree(&parent, &dir, &name),
            true => Registration::NONE,
        };
        Ok(TempDir {
            registered,
            parent,
            name,
            dir,
            done: false,
            keep_on_drop: builder.disable_cleanup,
            ignore_errors: builder.ignore_cleanup_errors,
            retain: builder.retain,
            run: None,
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Kept or not is decided before anything is removed.
        let kept = self.keep_on_drop || (!self.done && self.retain.keeps(self.path()));
        if !kept {
            let cleaning = Cleaning::start();
            let _ = self.cleanup();
            cleaning.done();
        }
        if let Some(run) = &mut self.run {
            run.removed = self.done;
        }
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

impl fmt::Debug for TempDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempDir")
            .field("path", &self.path())
            .finish()
    }
}

/// Creates a [`TempDir`] in the default temporary directory: the
/// `tempfile` crate's spelling of [`TempDir::new`].
pub fn tempdir() -> io::Result<TempDir> {
    TempDir::new()
}

/// Creates a [`TempDir`] in `dir`: [`TempDir::new_in`].
pub fn tempdir_in<P: AsRef<Path>>(dir: P) -> io::Result<TempDir> {
    TempDir::new_in(dir)
}

/// Creates a new directory, mode 0700, in the default temporary directory
/// and returns its absolute path (Python's `mkdtemp()`). Nothing removes
/// it: that is the caller's job. [`Builder::mkdtemp_in`] takes a prefix,
/// suffix and directory.
///
/// ```
/// let path = tempfs::mkdtemp()?;
/// assert!(path.is_absolute() && path.is_dir());
/// std::fs::remove_dir(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn mkdtemp() -> io::Result<PathBuf> {
    Builder::new().mkdtemp()
}
