//! Exclusive creation of files and directories under fresh random names.
//!
//! Every function here creates with "fail if anything exists at this name"
//! semantics (`O_CREAT|O_EXCL|O_NOFOLLOW` for files, `mkdir` for
//! directories): whatever is already at a name, be it a symlink planted by
//! another user, a FIFO, a directory or a hard link to someone's file, is
//! never opened, followed or changed. The next random name is tried instead,
//! at most [`NameSource::attempts`] times; any error other than
//! `AlreadyExists` ends the loop at once and is returned with the directory
//! it concerns.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::Path;

use crate::dir::{Dir, Tmpfile};
use crate::error::PathError;
use crate::name::NameSource;
use crate::sys;

/// The default mode of a new file: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;

/// The default mode of a new directory: everything for the owner only.
pub const DIR_MODE: u32 = 0o700;

/// How to open a new file.
///
/// ```
/// let opts = tempcore::FileOptions::new().mode(0o640).append(true);
/// assert_eq!(opts.get_mode(), 0o640);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    mode: u32,
    append: bool,
    tmpfile: bool,
    delete_on_close: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions::new()
    }
}

impl FileOptions {
    /// Read and write, mode [`FILE_MODE`] (0600), not appending, `O_TMPFILE`
    /// allowed for anonymous files.
    pub const fn new() -> Self {
        FileOptions {
            mode: FILE_MODE,
            append: false,
            tmpfile: true,
            delete_on_close: false,
        }
    }

    /// The permission bits to create the file with (unix; the process umask
    /// still applies, as for any `open`). Windows has no permission bits: a
    /// mode giving nothing to group and others (the default 0600) gets a
    /// DACL granting only the current user, any other mode the directory's
    /// inherited one, and a mode without the owner's write bit makes the
    /// file read-only.
    pub const fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Opens the file in append mode: every write goes to the end.
    pub const fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    /// Whether anonymous files may use Linux's `O_TMPFILE` (the default).
    /// `false` always takes the portable path (create under a random name,
    /// then unlink at once), which tests use to exercise it and which can
    /// sidestep a file system whose `O_TMPFILE` misbehaves.
    pub const fn tmpfile(mut self, allowed: bool) -> Self {
        self.tmpfile = allowed;
        self
    }

    /// Whether the system itself removes the file when it is closed, also
    /// when the process is killed, until told otherwise (Windows; other
    /// systems have no such thing and ignore it). Not the default.
    ///
    /// - [`create_file_at`]: the file is created with
    ///   `FILE_DELETE_ON_CLOSE`, as Python's `O_TEMPORARY`, where the
    ///   system can clear that later (`FileDispositionInformationEx` with
    ///   `FILE_DISPOSITION_ON_CLOSE`, Windows 10 1709 and later on NTFS;
    ///   asked of every new file). [`DeleteOnClose`](crate::DeleteOnClose) keeps such a file.
    ///   Where the flag could not be cleared (older Windows, other file
    ///   systems, Wine), and for a mode without the owner's write bit
    ///   (read-only), the file is created without it. While the flag is
    ///   set, others can open the file by name only if they share deletion
    ///   (`FILE_SHARE_DELETE`, as Rust's `File::open` does).
    /// - [`linkable_file_at`](crate::linkable_file_at): a staged file is
    ///   given a delete disposition at creation (`FileDispositionInformation`,
    ///   every Windows version), which linking clears; nobody can open its
    ///   staged name meanwhile, and it is linked by renaming the open file
    ///   itself.
    pub const fn delete_on_close(mut self, delete: bool) -> Self {
        self.delete_on_close = delete;
        self
    }

    /// Whether [`delete_on_close`](Self::delete_on_close) is set.
    pub const fn get_delete_on_close(&self) -> bool {
        self.delete_on_close
    }

    /// The permission bits set by [`mode`](Self::mode).
    pub const fn get_mode(&self) -> u32 {
        self.mode
    }

    /// Whether [`append`](Self::append) is set.
    pub const fn get_append(&self) -> bool {
        self.append
    }

    /// Whether [`tmpfile`](Self::tmpfile) is allowed.
    pub const fn get_tmpfile(&self) -> bool {
        self.tmpfile
    }
}

/// Tries names from `names` until `attempt` succeeds or fails with anything
/// other than `AlreadyExists`. Errors name `dir`; running out of names is
/// `AlreadyExists`.
pub(crate) fn with_fresh_name<T>(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    action: &'static str,
    mut attempt: impl FnMut(&OsStr) -> io::Result<T>,
) -> io::Result<(T, OsString)> {
    let attempts = names.attempts().max(1);
    for _ in 0..attempts {
        let name = names.next_name()?;
        match attempt(&name) {
            Ok(made) => return Ok((made, name)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(PathError::wrap(e, action, dir.path())),
        }
    }
    Err(PathError::custom(
        io::ErrorKind::AlreadyExists,
        action,
        dir.path(),
        format!("all {attempts} candidate names were taken"),
    ))
}

/// Creates a new file under a fresh name in `dir` and opens it for reading
/// and writing; returns it with its name. Unix: `openat(dirfd, name,
/// O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode)`.
///
/// ```
/// use std::io::Write;
/// let dir = tempcore::Dir::open(tempcore::temp_dir()?)?;
/// let (mut file, name) = tempcore::create_file_at(
///     &dir, &mut tempcore::Template::new("report-", ".txt", 10)?, &tempcore::FileOptions::new())?;
/// file.write_all(b"hello")?;
/// assert!(dir.path().join(&name).exists());
/// tempcore::remove_file_at(&dir, &name)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn create_file_at(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<(File, OsString)> {
    with_fresh_name(dir, names, "creating a temporary file in", |name| {
        sys::create_file_at(dir, name, opts)
    })
}

/// [`create_file_at`] in the directory at `dir`; returns the file and its
/// full path (`dir` joined with the new name).
pub fn create_file(
    dir: impl AsRef<Path>,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<(File, std::path::PathBuf)> {
    let dir = Dir::open(dir)?;
    let (file, name) = create_file_at(&dir, names, opts)?;
    Ok((file, dir.path().join(name)))
}

/// Creates a new directory with permission bits `mode` (normally
/// [`DIR_MODE`], less the umask) under a fresh name in `dir`; returns the
/// name. Unix: `mkdirat(dirfd, name, mode)`.
pub fn create_dir_at(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    mode: u32,
) -> io::Result<OsString> {
    let ((), name) = with_fresh_name(dir, names, "creating a temporary directory in", |name| {
        sys::create_dir_at(dir, name, mode)
    })?;
    Ok(name)
}

/// [`create_dir_at`] in the directory at `dir`; returns the new directory's
/// full path.
pub fn create_dir(
    dir: impl AsRef<Path>,
    names: &mut (impl NameSource + ?Sized),
    mode: u32,
) -> io::Result<std::path::PathBuf> {
    let dir = Dir::open(dir)?;
    let name = create_dir_at(&dir, names, mode)?;
    Ok(dir.path().join(name))
}

/// Creates a file with no name in `dir`: nothing else can open it, and the
/// file system frees it when the last handle closes, even if the process
/// is killed.
///
/// Linux: `openat(dirfd, ".", O_TMPFILE|O_EXCL|O_RDWR|O_CLOEXEC, mode)`.
/// Where the kernel or the file system refuses `O_TMPFILE` (`EOPNOTSUPP`,
/// `EISDIR`, `EINVAL`, `ENOENT`), and on other unix systems: creates the
/// file under a fresh name from `names`, then unlinks that name through the
/// directory handle before returning. A refusal is remembered (per process
/// for the kernel, per [`Dir`] for its file system), so the fallback costs
/// no failed system call twice. Windows: the file is created with
/// `FILE_DELETE_ON_CLOSE`, shared with nobody (no other process can open
/// it), and removed when its handle closes; its name stays listed until
/// then.
pub fn anonymous_file_at(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<File> {
    if let Some(file) = tmpfile_at(dir, opts, false)? {
        return Ok(file);
    }
    sys::anonymous_fallback_at(dir, names, opts)
}

/// [`anonymous_file_at`] in the directory at `dir` (empty: the current
/// directory). On Linux the
/// directory is not opened at all unless `O_TMPFILE` is refused:
/// `open(dir, O_TMPFILE|O_EXCL|O_RDWR|O_CLOEXEC, mode)`, one system call.
/// The fallback works through the directory's shared handle
/// ([`Dir::open_shared`]), which also remembers the refusal: the next
/// anonymous file there, on this thread, goes straight to the fallback.
pub fn anonymous_file(
    dir: impl AsRef<Path>,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<File> {
    let path = crate::dir::or_current(dir.as_ref());
    let refused =
        crate::shared::last_opened(path).is_some_and(|dir| dir.tmpfile() == Tmpfile::Refused);
    if opts.get_tmpfile() && !refused {
        let direct = sys::tmpfile_in(path, opts)
            .map_err(|e| PathError::wrap(e, "creating an anonymous file in", path))?;
        if let Some(file) = direct {
            return Ok(file);
        }
    }
    // Refused (or the portable path was asked for): the fallback, without
    // asking for O_TMPFILE a second time.
    let dir = Dir::open_shared(path)?;
    if opts.get_tmpfile() {
        dir.set_tmpfile(Tmpfile::Refused);
    }
    sys::anonymous_fallback_at(&dir, names, opts)
}

/// `O_TMPFILE` in `dir` if this platform, kernel and file system allow it:
/// `Ok(None)` means "use the fallback".
pub(crate) fn tmpfile_at(
    dir: &Dir,
    opts: &FileOptions,
    linkable: bool,
) -> io::Result<Option<File>> {
    if !opts.get_tmpfile() {
        return Ok(None);
    }
    sys::tmpfile_at(dir, opts, linkable)
        .map_err(|e| PathError::wrap(e, "creating an anonymous file in", dir.path()))
}

/// Removes the file (or symlink) `name` from `dir`, relative to its handle
/// (`unlinkat(dirfd, name, 0)`).
pub fn remove_file_at(dir: &Dir, name: impl AsRef<OsStr>) -> io::Result<()> {
    let name = name.as_ref();
    sys::remove_file_at(dir, name)
        .map_err(|e| PathError::wrap(e, "removing", dir.path().join(name)))
}

/// Removes the empty directory `name` from `dir`, relative to its handle
/// (`unlinkat(dirfd, name, AT_REMOVEDIR)`).
pub fn remove_dir_at(dir: &Dir, name: impl AsRef<OsStr>) -> io::Result<()> {
    let name = name.as_ref();
    sys::remove_dir_at(dir, name)
        .map_err(|e| PathError::wrap(e, "removing the directory", dir.path().join(name)))
}
