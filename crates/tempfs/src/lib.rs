//! Temporary files and directories that clean up after themselves (Python's
//! `TemporaryFile`, `NamedTemporaryFile`, `TemporaryDirectory`, `mkstemp`
//! and `mkdtemp`), built on [`tempcore`]: created exclusively under names
//! from the operating system's CSPRNG, private to their owner, removed
//! relative to the directory handle they were created in, and as cheap as
//! the system calls underneath. Users of the `tempfile` crate can switch by
//! changing the import: the names and signatures they use are here.
//!
//! # Which type to use when
//!
//! | you need | use | Python |
//! |---|---|---|
//! | scratch space nobody else can see | [`tempfile()`] → [`File`] | `TemporaryFile()` |
//! | to write a file that appears complete or not at all | [`TempFile`], then [`TempFile::persist`] | — |
//! | a path to hand to another program, removed on drop | [`NamedTempFile`] | `NamedTemporaryFile()` |
//! | the path to outlive the open handle | [`NamedTempFile::into_temp_path`] → [`TempPath`] | `delete_on_close=False` |
//! | to keep the file after all | [`NamedTempFile::keep`], [`Builder::disable_cleanup`] | `delete=False` |
//! | a file you clean up yourself | [`mkstemp()`] | `mkstemp()` |
//! | a directory, removed with its contents | [`TempDir`] | `TemporaryDirectory()` |
//! | a directory you clean up yourself | [`mkdtemp()`] | `mkdtemp()` |
//! | a prefix, suffix, mode, directory, ... | [`Builder`] | keyword arguments |
//!
//! Prefer the anonymous forms: a name is something another process can
//! find, and something a killed process leaves behind.
//!
//! ```
//! use std::io::{BufRead, BufReader, Seek, Write};
//!
//! // Python's TemporaryFile: no name at all.
//! let mut scratch = tempfs::tempfile()?;
//! writeln!(scratch, "first")?;
//! writeln!(scratch, "second")?;
//! scratch.rewind()?;
//! let lines: Vec<String> = BufReader::new(scratch).lines().collect::<Result<_, _>>()?;
//! assert_eq!(lines, ["first", "second"]);
//!
//! // Python's NamedTemporaryFile: a path while it lives.
//! let named = tempfs::NamedTempFile::with_suffix(".txt")?;
//! let path = named.path().to_path_buf();
//! assert!(path.exists());
//! named.close()?; // or drop it; close reports a failure to remove
//! assert!(!path.exists());
//!
//! // An atomic write: readers of the target never see half a file.
//! let target = tempfs::temp_dir()?.join(tempcore::random_name("settings-", ".json", 8)?);
//! let mut draft = tempfs::TempFile::new()?;
//! draft.write_all(br#"{"theme": "dark"}"#)?;
//! draft.persist(&target)?;
//! # std::fs::remove_file(&target)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A [`TempDir`] is removed with everything in it when dropped;
//! [`TempDir::close`] reports what a drop must swallow, and
//! [`TempDir::cleanup`] can be retried. Removal costs one `unlinkat` for an
//! empty directory; otherwise it walks the tree through directory
//! descriptors held since creation, iteratively (any depth, a bounded
//! number of descriptors), and never follows a symlink, never crosses a
//! mount point, never changes a file's mode, and never touches a directory
//! that was moved away from its path or what was put in its place.
//!
//! ```
//! let dir = tempfs::TempDir::new()?;
//! std::fs::write(dir.path().join("scratch.txt"), b"work in progress")?;
//! dir.close()?; // or let it drop
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Security
//!
//! - **Names** come from the operating system's CSPRNG: 13 characters of
//!   a 32-letter lowercase alphabet (65 bits) after the prefix `tmp`;
//!   parent and child after `fork` never share them. Nothing is derived
//!   from the process id or the time (the "guessable name" of the Python
//!   page is exactly what this avoids).
//! - **Creation** is exclusive and never follows a link:
//!   `O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`, mode 0600 (less the umask),
//!   so a symlink, FIFO or hard link planted at the chosen name is never
//!   opened; another random name is tried instead. On Windows,
//!   `FILE_CREATE` relative to the directory's handle, with an access list
//!   that lets in only the current user (directories too: CPython's
//!   CVE-2024-4030 was a `mkdtemp` readable by others on Windows).
//! - **Anonymous files** ([`tempfile()`], [`TempFile`]) have no name on
//!   Linux: no other process can open them, and a crash or `SIGKILL`
//!   leaves nothing on disk.
//! - **Cleanup** of a [`NamedTempFile`] or [`TempPath`] removes the name
//!   with `unlinkat` relative to the directory handle opened at creation,
//!   never by resolving the path again: renaming the directory or
//!   replacing it with a symbolic link cannot redirect the removal.
//!   [`NamedTempFile::close`] reports the error that `Drop` must swallow.
//! - **Reopening** ([`NamedTempFile::reopen`]) opens the name without
//!   following links and checks it is still the same file (device and
//!   inode); a file substituted after a cleaner removed ours is refused.
//! - **Persisting** replaces atomically: a reader of the target sees the
//!   old file or the complete new one. [`TempFile::persist`] links the
//!   open file itself, so there is no temporary name to swap; a
//!   [`NamedTempFile`] is renamed by name, as in Python and the `tempfile`
//!   crate, so an attacker able to delete entries in its directory could
//!   substitute it before that rename. `persist_durable` adds `fsync` of
//!   the data before and of the directory after.
//! - **Errors** keep their [`io::ErrorKind`] and name the path concerned;
//!   bad input (a separator or NUL in a prefix or suffix) is
//!   `InvalidInput`, and a failed call leaves nothing behind.
//!
//! What is out of reach of any library: root and the file's owner can
//! read it; a named file can be opened by whoever the directory and the
//! file's mode allow while it exists; a killed process leaves named files
//! behind (use the anonymous forms where that matters).
//!
//! # Platform behaviour
//!
//! - **Linux**: anonymous files and [`TempFile`] use `O_TMPFILE` (one
//!   `openat`); where a kernel or file system refuses it, a file is
//!   created under a random name and unlinked at once (anonymous), or kept
//!   under a hidden random name (`.tmp` and 13 characters) until persisted
//!   or dropped ([`TempFile`]); the refusal is remembered. Persisting a
//!   [`TempFile`] links the open file through `/proc/thread-self/fd` (then
//!   `AT_EMPTY_PATH`), also one kept under a hidden name, so whatever else
//!   took that name is never published; `persist_noclobber` uses
//!   `renameat2(RENAME_NOREPLACE)` for named files.
//! - **macOS, FreeBSD and other unix**: no `O_TMPFILE`: anonymous files
//!   are created and unlinked at once (a crash between the two system
//!   calls can leave an empty file); a [`TempFile`] lives under a hidden
//!   random name until persisted, then is renamed, after a check that the
//!   name is still the open file (see `docs/security.md` for the moment
//!   that remains). macOS refuses to replace with
//!   `renameatx_np(RENAME_EXCL)`; elsewhere `linkat` + `unlinkat`.
//! - **Windows**: files and directories are created, reopened and removed
//!   relative to their directory's handle, never following a link, and
//!   are private to the current user (an access list instead of 0600 and
//!   0700). Anonymous files use `FILE_DELETE_ON_CLOSE`, are shared with
//!   nobody, and keep a name while open. A removed name is free at once:
//!   POSIX delete semantics where the system has them (Windows 10 on
//!   NTFS); otherwise a file someone holds open is first renamed to a
//!   hidden random name, which stays listed until it closes. Without
//!   POSIX rename semantics, a persist over a file another process holds
//!   open fails with `PermissionDenied`. [`NamedTempFile::reopen`] checks
//!   identity by volume serial number and file index. See
//!   `docs/platforms.md`.
//! - **Everywhere**: a file cannot be persisted onto another file system
//!   (`CrossesDevices`, with a message saying what to do), unless
//!   [`PersistOptions::copy_across_devices`] asks for a copy.

mod builder;
pub mod env;
mod file;
mod named;
mod persist;
mod sys;
mod temp_path;

// Directories: TempDir, mkdtemp and their cleanup.
mod cleanup;
mod dir;
mod failure;
pub use dir::{TempDir, mkdtemp, tempdir, tempdir_in};

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tempcore::{FileOptions, Template};

pub use builder::Builder;
pub use file::TempFile;
pub use named::NamedTempFile;
pub use persist::{PathPersistError, PersistError, PersistOptions, TempFilePersistError};
pub use temp_path::TempPath;
pub use tempcore::{DEFAULT_PREFIX, Dir, set_temp_dir, temp_dir};

/// Creates an anonymous file in the default temporary directory (Python's
/// `TemporaryFile`): open for reading and writing, mode 0600, with no name
/// while it is open on Linux, and gone when it is closed, even if the
/// process is killed. On Linux this is one system call,
/// `openat(O_TMPFILE|O_EXCL)`.
///
/// ```
/// use std::io::{Read, Seek, Write};
/// let mut file = tempfs::tempfile()?;
/// file.write_all(b"Some data")?;
/// file.rewind()?;
/// let mut back = String::new();
/// file.read_to_string(&mut back)?;
/// assert_eq!(back, "Some data");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn tempfile() -> io::Result<File> {
    // The defaults need no `Builder`: nothing to allocate or validate.
    let dir = tempcore::temp_dir_handle()?;
    tempcore::anonymous_file_at(&dir, &mut Template::default(), &FileOptions::new())
}

/// Creates an anonymous file in `dir`: see [`tempfile`]. On Linux the
/// directory is not opened first: one `open(dir, O_TMPFILE|O_EXCL)`.
pub fn tempfile_in(dir: impl AsRef<Path>) -> io::Result<File> {
    builder::anonymous_in(dir.as_ref(), &mut Template::default(), &FileOptions::new())
}

/// Creates a file under a fresh name in the default temporary directory
/// and returns it with its absolute path (Python's `mkstemp`): 0600,
/// opened for reading and writing, and never removed by this crate.
/// [`Builder::mkstemp_in`] takes a directory, prefix and suffix.
///
/// ```
/// let (file, path) = tempfs::mkstemp()?;
/// assert!(path.is_absolute() && path.exists());
/// # drop(file); std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn mkstemp() -> io::Result<(File, PathBuf)> {
    Builder::new().mkstemp()
}

/// The default prefix of temporary names (Python's `gettempprefix()`).
///
/// ```
/// assert_eq!(tempfs::gettempprefix(), "tmp");
/// ```
pub fn gettempprefix() -> &'static str {
    DEFAULT_PREFIX
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
