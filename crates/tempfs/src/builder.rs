//! [`Builder`]: every option of every temporary object, and every
//! constructor, in one place.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs::{File, Permissions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempcore::{
    DEFAULT_PREFIX, DEFAULT_RAND_LEN, Dir, FileOptions, NameSource, PathError, Template,
};

use crate::dir::TempDir;
use crate::file::TempFile;
use crate::named::NamedTempFile;
use crate::place::{AsDir, anonymous_in, open_dir};
use crate::retain::{Retain, Retention};
use crate::sys;
use crate::temp_path::TempPath;

/// Options for temporary files and directories: prefix, suffix, length of
/// the random part, permissions, append mode, and what happens on drop.
///
/// Setters take and return `&mut Builder`, so a builder can be configured
/// in one expression and reused:
///
/// ```
/// use std::io::Write;
/// let mut file = tempfs::Builder::new().prefix("upload-").append(true).anonymous()?;
/// file.write_all(b"appended")?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builder {
    // Borrowed while they are the defaults: `Builder::new` allocates
    // nothing, and every `NamedTempFile::new` makes one.
    pub(crate) prefix: Cow<'static, OsStr>,
    pub(crate) suffix: Cow<'static, OsStr>,
    pub(crate) rand_bytes: usize,
    pub(crate) permissions: Option<Permissions>,
    pub(crate) append: bool,
    pub(crate) disable_cleanup: bool,
    pub(crate) ignore_cleanup_errors: bool,
    pub(crate) o_tmpfile: bool,
    pub(crate) retain: Retain,
    pub(crate) owner_lock: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Prefix `tmp`, no suffix, [`DEFAULT_RAND_LEN`] random characters, files 0600
    /// and directories 0700, cleanup on drop with errors reported where a
    /// method can report them.
    pub fn new() -> Builder {
        Builder {
            prefix: Cow::Borrowed(OsStr::new(DEFAULT_PREFIX)),
            suffix: Cow::Borrowed(OsStr::new("")),
            rand_bytes: DEFAULT_RAND_LEN,
            permissions: None,
            append: false,
            disable_cleanup: false,
            ignore_cleanup_errors: false,
            o_tmpfile: true,
            retain: Retain::default(),
            owner_lock: false,
        }
    }

    /// The start of every name (Python's `prefix`). May not hold a path
    /// separator or NUL: building then fails with `InvalidInput`.
    pub fn prefix<S: AsRef<OsStr> + ?Sized>(&mut self, prefix: &S) -> &mut Self {
        self.prefix = Cow::Owned(prefix.as_ref().to_os_string());
        self
    }

    /// The end of every name (Python's `suffix`), e.g. `.txt`.
    pub fn suffix<S: AsRef<OsStr> + ?Sized>(&mut self, suffix: &S) -> &mut Self {
        self.suffix = Cow::Owned(suffix.as_ref().to_os_string());
        self
    }

    /// How many random characters go between prefix and suffix (the
    /// `tempfile` crate's name for it). Each carries 5 bits; the default 13
    /// carries 65. Zero means the name is exactly prefix + suffix, tried
    /// once.
    pub fn rand_bytes(&mut self, rand: usize) -> &mut Self {
        self.rand_bytes = rand;
        self
    }

    /// The permissions of new files and directories, instead of 0600 and
    /// 0700 (unix; the umask still applies). On Windows, whose
    /// `Permissions` hold only a read-only flag, a read-only value makes
    /// read-only files; anything else keeps the private default.
    pub fn permissions(&mut self, permissions: Permissions) -> &mut Self {
        self.permissions = Some(permissions);
        self
    }

    /// Opens files in append mode.
    pub fn append(&mut self, append: bool) -> &mut Self {
        self.append = append;
        self
    }

    /// Leaves the file or directory in place when its object is dropped
    /// (Python's `delete=False`).
    pub fn disable_cleanup(&mut self, disable: bool) -> &mut Self {
        self.disable_cleanup = disable;
        self
    }

    /// The `tempfile` crate's old name for
    /// [`disable_cleanup`](Self::disable_cleanup), deprecated there too.
    #[deprecated(note = "use `Builder::disable_cleanup`")]
    pub fn keep(&mut self, keep: bool) -> &mut Self {
        self.disable_cleanup(keep)
    }

    /// What dropping a [`NamedTempFile`], its [`TempPath`] or a [`TempDir`]
    /// does when cleanup is on: remove it ([`Retention::Never`]), keep it
    /// if the thread is panicking ([`Retention::Panic`]), or keep it
    /// ([`Retention::Always`]), saying where on standard error. Without
    /// this the process-wide policy applies ([`Retention::from_env`]).
    pub fn retention(&mut self, policy: Retention) -> &mut Self {
        self.retain.policy = Some(policy);
        self
    }

    /// Whether an object kept by its [`retention`](Self::retention)
    /// writes the `kept` line to standard error (the default) or keeps
    /// quiet.
    pub fn report_kept(&mut self, report: bool) -> &mut Self {
        self.retain.quiet = !report;
        self
    }

    /// Makes directory cleanup best effort: remove all that can be removed
    /// and report nothing (Python's `ignore_cleanup_errors`).
    pub fn ignore_cleanup_errors(&mut self, ignore: bool) -> &mut Self {
        self.ignore_cleanup_errors = ignore;
        self
    }

    /// Whether [`NamedTempFile`]s (and the [`TempPath`]s made from them)
    /// and [`TempDir`]s hold a lock that says their owner is alive: a
    /// shared `flock` on a descriptor the object holds, taken before it
    /// is returned and released only when the object is dropped (after
    /// its removal) or when the process dies, however it dies. Off by
    /// default: it costs a few system calls per object (see
    /// `docs/performance.md`).
    ///
    /// [`reap`](crate::reap) removes what a killed process left and
    /// leaves every object whose lock is held; `systemd-tmpfiles --clean`
    /// leaves a locked directory, with everything in it, alone (it does
    /// not look at locks on files: put named files that must survive it
    /// in a locked [`TempDir`]).
    ///
    /// A named file's lock is on its own descriptor, plus a second one
    /// (`fcntl(F_DUPFD_CLOEXEC)`) that its [`TempPath`] keeps, so that
    /// [`NamedTempFile::into_temp_path`] keeps the lock. A directory is
    /// held by a readable descriptor instead of an `O_PATH` one on Linux
    /// (`flock` refuses `O_PATH`), so a [`permissions`](Self::permissions)
    /// mode that denies its owner reading it is refused
    /// (`PermissionDenied`), leaving nothing. A forked child inherits the
    /// descriptors, and with them the lock, until it exits or execs.
    /// Objects made by [`make`](Self::make) hold no lock. On Windows no
    /// lock is taken.
    ///
    /// ```
    /// let mut jobs = tempfs::Builder::new();
    /// jobs.prefix("job-").owner_lock(true);
    /// let dir = jobs.tempdir()?;
    /// let input = jobs.tempfile_in(dir.path())?.into_temp_path(); // still locked
    /// # drop(input);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn owner_lock(&mut self, lock: bool) -> &mut Self {
        self.owner_lock = lock;
        self
    }

    /// Whether anonymous files and [`TempFile`]s may use Linux's
    /// `O_TMPFILE` (the default). `false` takes the portable path that
    /// every other platform takes: create under a fresh name, then unlink
    /// it at once (anonymous files) or keep it hidden until persisted
    /// ([`TempFile`]). For a file system whose `O_TMPFILE` misbehaves, and
    /// for testing the portable path on Linux. (A file system that refuses
    /// `O_TMPFILE` outright gets the portable path without asking.)
    pub fn o_tmpfile(&mut self, allowed: bool) -> &mut Self {
        self.o_tmpfile = allowed;
        self
    }

    /// Creates an anonymous file (Python's `TemporaryFile`) in the default
    /// temporary directory: see [`crate::tempfile`].
    pub fn anonymous(&self) -> io::Result<File> {
        self.anonymous_at(&*tempcore::temp_dir_handle()?)
    }

    /// Creates an anonymous file in `dir`. On Linux the directory is not
    /// opened first: `open(dir, O_TMPFILE|O_EXCL)`, one system call.
    pub fn anonymous_in(&self, dir: impl AsRef<Path>) -> io::Result<File> {
        anonymous_in(dir.as_ref(), &mut self.template()?, &self.file_options())
    }

    /// Creates an anonymous file in the open directory `dir` (any
    /// [`AsDir`] form; the file keeps no handle to it).
    pub fn anonymous_at(&self, dir: &impl AsDir) -> io::Result<File> {
        tempcore::anonymous_file_at(dir.as_dir(), &mut self.template()?, &self.file_options())
    }

    /// Creates a [`NamedTempFile`] (Python's `NamedTemporaryFile`) in the
    /// default temporary directory: one `openat`, through the directory
    /// handle the whole process shares.
    ///
    /// ```
    /// let file = tempfs::Builder::new().prefix("report-").suffix(".csv").tempfile()?;
    /// let name = file.path().file_name().unwrap().to_str().unwrap();
    /// assert!(name.starts_with("report-") && name.ends_with(".csv"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tempfile(&self) -> io::Result<NamedTempFile> {
        self.tempfile_at(&tempcore::temp_dir_handle()?)
    }

    /// Creates a [`NamedTempFile`] in `dir` (made absolute first). The
    /// file keeps a handle to the directory, to be removed through it; the
    /// handle is shared by every object made in `dir` while it lives
    /// ([`Dir::open_shared`](crate::Dir::open_shared)): a live file costs its own
    /// descriptor, plus one per directory in use, and creating costs one
    /// `stat` of `dir` more than [`tempfile`](Self::tempfile).
    ///
    /// Fails, leaving nothing behind, if `dir` does not exist (`NotFound`)
    /// or is not a directory (`NotADirectory`), naming it.
    pub fn tempfile_in<P: AsRef<Path>>(&self, dir: P) -> io::Result<NamedTempFile> {
        self.tempfile_at(&open_dir(dir.as_ref())?)
    }

    /// Creates a [`NamedTempFile`] in the open directory `dir`, which it
    /// keeps to be removed through: shared if `dir` is an `Arc<Dir>`,
    /// duplicated otherwise ([`AsDir`]). Its path is `dir.path()` joined
    /// with the new name.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let dir = Arc::new(tempfs::Dir::open(tempfs::temp_dir()?)?);
    /// let files: Vec<_> = (0..3)
    ///     .map(|_| tempfs::Builder::new().tempfile_at(&dir))
    ///     .collect::<Result<_, _>>()?;
    /// assert!(files.iter().all(|f| f.path().parent() == Some(dir.path())));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tempfile_at(&self, dir: &impl AsDir) -> io::Result<NamedTempFile> {
        NamedTempFile::create_at(
            &dir.to_shared()?,
            &mut self.template()?,
            &self.file_options(),
            !self.disable_cleanup,
            self.retain,
        )
        .and_then(|file| {
            if self.owner_lock {
                file.owner_locked()
            } else {
                Ok(file)
            }
        })
    }

    /// Creates a [`TempFile`]: anonymous, and able to be persisted under a
    /// name atomically, in the default temporary directory
    /// ([`TempFile::new`]).
    pub fn temp_file(&self) -> io::Result<TempFile> {
        self.temp_file_shared(&tempcore::temp_dir_handle()?)
    }

    /// Creates a [`TempFile`] in `dir` ([`TempFile::new_in`]): use the
    /// directory it will be persisted into.
    pub fn temp_file_in(&self, dir: impl AsRef<Path>) -> io::Result<TempFile> {
        self.temp_file_shared(&open_dir(dir.as_ref())?)
    }

    /// Creates a [`TempFile`] in the open directory `dir`. The prefix,
    /// suffix and length are checked as for every constructor, but a
    /// [`TempFile`] that has to be staged under a name (no `O_TMPFILE`)
    /// gets a hidden one, `.tmp` and 13 random characters, as its
    /// documentation promises, whatever the builder's name pattern. Only
    /// a staged file keeps a handle to `dir` ([`AsDir`]).
    pub fn temp_file_at(&self, dir: &impl AsDir) -> io::Result<TempFile> {
        if self.retain.may_keep() || dir.shared().is_some() {
            // Kept on drop, it is linked into `dir`: held, shared.
            return self.temp_file_shared(&dir.to_shared()?);
        }
        self.template()?;
        let mut hidden = Template::new(".tmp", "", DEFAULT_RAND_LEN)?;
        // Windows: marked for deletion by the system until persisted.
        let opts = self.file_options().delete_on_close(true);
        tempcore::linkable_file_at(dir.as_dir(), &mut hidden, &opts)
            .map(|file| TempFile::with_keeper(file, None))
    }

    /// The old name of [`temp_file`](Self::temp_file).
    #[deprecated(since = "0.1.0", note = "renamed `temp_file`, after the type it makes")]
    #[doc(hidden)]
    pub fn linkable(&self) -> io::Result<TempFile> {
        self.temp_file()
    }

    /// The old name of [`temp_file_in`](Self::temp_file_in).
    #[deprecated(
        since = "0.1.0",
        note = "renamed `temp_file_in`, after the type it makes"
    )]
    #[doc(hidden)]
    pub fn linkable_in(&self, dir: impl AsRef<Path>) -> io::Result<TempFile> {
        self.temp_file_in(dir)
    }

    /// The old name of [`temp_file_at`](Self::temp_file_at).
    #[deprecated(
        since = "0.1.0",
        note = "renamed `temp_file_at`, after the type it makes"
    )]
    #[doc(hidden)]
    pub fn linkable_at(&self, dir: &impl AsDir) -> io::Result<TempFile> {
        self.temp_file_at(dir)
    }

    /// [`temp_file_at`](Self::temp_file_at) in a shared directory: a
    /// staged file keeps a reference to `dir`, not a descriptor of its own.
    fn temp_file_shared(&self, dir: &Arc<Dir>) -> io::Result<TempFile> {
        self.template()?;
        let mut hidden = Template::new(".tmp", "", DEFAULT_RAND_LEN)?;
        // Windows: marked for deletion by the system until persisted,
        // unless a policy may keep it (a kill is a failure too).
        let opts = self.file_options().delete_on_close(!self.retain.may_keep());
        tempcore::linkable_file_shared_at(dir, &mut hidden, &opts)
            .map(|file| TempFile::from_linkable(file, dir, self.retain))
    }

    /// Creates a file under a fresh name in the default temporary
    /// directory and returns it with its absolute path, with no cleanup at
    /// all (Python's `mkstemp`): see [`crate::mkstemp`].
    pub fn mkstemp(&self) -> io::Result<(File, PathBuf)> {
        self.mkstemp_at(&*tempcore::temp_dir_handle()?)
    }

    /// [`mkstemp`](Self::mkstemp) in `dir`; the path returned is absolute.
    pub fn mkstemp_in(&self, dir: impl AsRef<Path>) -> io::Result<(File, PathBuf)> {
        self.mkstemp_at(&*open_dir(dir.as_ref())?)
    }

    fn mkstemp_at(&self, dir: &Dir) -> io::Result<(File, PathBuf)> {
        let (file, name) =
            tempcore::create_file_at(dir, &mut self.template()?, &self.file_options())?;
        Ok((file, dir.join(&name)))
    }

    /// Lets `create` make the object under each candidate path in the
    /// default temporary directory until it succeeds, and returns it as a
    /// [`NamedTempFile`] whose name is removed on drop (the `tempfile`
    /// crate's `make`): for things only a path can create, such as a Unix
    /// socket.
    ///
    /// `create` must fail with `AlreadyExists` (or `AddrInUse`) when
    /// something is at the path, without touching it (`bind` does; a plain
    /// `File::create` does not, and would truncate another file). The
    /// next candidate is tried then; any other error is returned, naming
    /// the directory. [`append`](Self::append) and
    /// [`permissions`](Self::permissions) are up to `create`.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let made = tempfs::Builder::new().make(|path| {
    ///     std::fs::File::create_new(path)
    /// })?;
    /// assert!(made.path().exists());
    /// # Ok(()) }
    /// ```
    pub fn make<F, R>(&self, create: F) -> io::Result<NamedTempFile<R>>
    where
        F: FnMut(&Path) -> io::Result<R>,
    {
        self.make_at(&tempcore::temp_dir_handle()?, create)
    }

    /// [`make`](Self::make) in `dir`.
    pub fn make_in<F, R, P>(&self, dir: P, create: F) -> io::Result<NamedTempFile<R>>
    where
        F: FnMut(&Path) -> io::Result<R>,
        P: AsRef<Path>,
    {
        self.make_at(&open_dir(dir.as_ref())?, create)
    }

    fn make_at<R>(
        &self,
        dir: &Arc<Dir>,
        mut create: impl FnMut(&Path) -> io::Result<R>,
    ) -> io::Result<NamedTempFile<R>> {
        const ACTION: &str = "creating a temporary file in";
        let template = self.template()?;
        let attempts = template.attempts();
        for _ in 0..attempts {
            let path = dir.path().join(template.generate()?);
            match create(&path) {
                Ok(made) => {
                    let path = TempPath::new(Arc::clone(dir), path, !self.disable_cleanup)
                        .retain(self.retain);
                    return Ok(NamedTempFile::from_parts(made, path));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::AlreadyExists | io::ErrorKind::AddrInUse
                    ) => {}
                Err(e) => return Err(PathError::wrap(e, ACTION, dir.path())),
            }
        }
        Err(PathError::custom(
            io::ErrorKind::AlreadyExists,
            ACTION,
            dir.path(),
            format!("all {attempts} candidate names were taken"),
        ))
    }

    /// Creates a [`TempDir`] in the default temporary directory, with this
    /// builder's prefix, suffix, random length, permissions (0700 unless
    /// set) and cleanup options. On Linux any mode works: the directory's
    /// handle needs no permission on it, and cleanup gives the owner its
    /// rights back through that handle before emptying it. Elsewhere the
    /// handle is read-only, so a mode that denies the owner reading the
    /// directory is refused with `PermissionDenied`, leaving nothing.
    ///
    /// ```
    /// let dir = tempfs::Builder::new().prefix("job-").suffix(".d").tempdir()?;
    /// let name = dir.path().file_name().unwrap().to_str().unwrap();
    /// assert!(name.starts_with("job-") && name.ends_with(".d"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tempdir(&self) -> io::Result<TempDir> {
        TempDir::create(self, tempcore::temp_dir_handle()?)
    }

    /// [`tempdir`](Self::tempdir) in `dir` (made absolute if relative).
    /// The handle of `dir` is kept for the `TempDir`'s life, shared with
    /// every object made in `dir` ([`Dir::open_shared`](crate::Dir::open_shared)): `N`
    /// `TempDir`s in one directory hold `N + 1` descriptors.
    ///
    /// Fails, leaving nothing behind, if `dir` does not exist (`NotFound`)
    /// or is not a directory (`NotADirectory`), naming it.
    pub fn tempdir_in<P: AsRef<Path>>(&self, dir: P) -> io::Result<TempDir> {
        TempDir::create(self, open_dir(dir.as_ref())?)
    }

    /// [`tempdir`](Self::tempdir) in the open directory `dir`, which the
    /// new directory keeps as its parent: shared if `dir` is an `Arc<Dir>`,
    /// duplicated otherwise ([`AsDir`]). The new directory's path is `dir.path()` joined with its
    /// name.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let base = tempfs::TempDir::new()?;
    /// let parent = Arc::new(tempfs::Dir::open(base.path())?);
    /// let jobs: Vec<_> = (0..3)
    ///     .map(|_| tempfs::Builder::new().prefix("job-").tempdir_at(&parent))
    ///     .collect::<Result<_, _>>()?;
    /// assert!(jobs.iter().all(|job| job.path().parent() == Some(base.path())));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tempdir_at(&self, dir: &impl AsDir) -> io::Result<TempDir> {
        TempDir::create(self, dir.to_shared()?)
    }

    /// Creates a directory like [`mkdtemp`](crate::mkdtemp) with this
    /// builder's prefix, suffix, random length and permissions, in the
    /// default temporary directory.
    pub fn mkdtemp(&self) -> io::Result<PathBuf> {
        self.mkdtemp_at(&*tempcore::temp_dir_handle()?)
    }

    /// Creates a directory like [`mkdtemp`](crate::mkdtemp) in `dir`
    /// (Python's `mkdtemp(suffix, prefix, dir)`), and returns its absolute
    /// path.
    ///
    /// ```
    /// let base = tempfs::TempDir::new()?;
    /// let path = tempfs::Builder::new().prefix("run-").mkdtemp_in(base.path())?;
    /// assert_eq!(path.parent(), Some(base.path()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn mkdtemp_in<P: AsRef<Path>>(&self, dir: P) -> io::Result<PathBuf> {
        self.mkdtemp_at(&*open_dir(dir.as_ref())?)
    }

    /// `mkdtemp` in an open directory.
    fn mkdtemp_at(&self, parent: &Dir) -> io::Result<PathBuf> {
        let name = tempcore::create_dir_at(parent, &mut self.template()?, self.dir_mode())?;
        Ok(parent.path().join(name))
    }

    /// The name pattern, validated.
    pub(crate) fn template(&self) -> io::Result<Template<'_>> {
        Template::new(&self.prefix, &self.suffix, self.rand_bytes)
    }

    /// The mode new directories are made with: [`Builder::permissions`]
    /// or 0700.
    pub(crate) fn dir_mode(&self) -> u32 {
        self.permissions
            .as_ref()
            .map_or(tempcore::DIR_MODE, sys::mode_of)
    }

    /// How files are opened.
    pub(crate) fn file_options(&self) -> FileOptions {
        let mode = self
            .permissions
            .as_ref()
            .map_or(tempcore::FILE_MODE, sys::mode_of);
        FileOptions::new()
            .mode(mode)
            .append(self.append)
            .tmpfile(self.o_tmpfile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(
        deprecated,
        reason = "the tempfile crate's old name, kept for switchers"
    )]
    fn keep_is_disable_cleanup_by_its_old_name() {
        let mut kept = Builder::new();
        kept.keep(true);
        let mut disabled = Builder::new();
        disabled.disable_cleanup(true);
        assert_eq!(kept, disabled);
        assert_ne!(kept, Builder::new());
    }

    #[test]
    fn entry_paths_are_joined_and_allocated_once() {
        // A path with no trailing separator, as directories are opened.
        let dir = Dir::open(crate::temp_dir().unwrap()).unwrap();
        let name = OsStr::new("tmpabcdefghijklm");
        let path = dir.join(name);
        assert_eq!(path, dir.path().join(name));
        // Exactly the final size: boxing it (as TempPath does) reallocates
        // nothing.
        assert_eq!(path.capacity(), path.as_os_str().len());
    }
}
