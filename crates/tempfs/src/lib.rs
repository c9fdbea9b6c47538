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
//! | to replace a file safely, keeping its mode, owner and group | [`write_atomic`], [`AtomicFile`] | — |
//! | a path to hand to another program, removed on drop | [`NamedTempFile`] | `NamedTemporaryFile()` |
//! | the path to outlive the open handle | [`NamedTempFile::into_temp_path`] → [`TempPath`] | `delete_on_close=False` |
//! | to keep the file after all | [`NamedTempFile::keep`], [`Builder::disable_cleanup`] | `delete=False` |
//! | a file you clean up yourself | [`mkstemp()`] | `mkstemp()` |
//! | a file in memory with a descriptor (a child process, `mmap`), sealable | [`memory_file()`], [`MemoryFile`] | — |
//! | a directory, removed with its contents | [`TempDir`] | `TemporaryDirectory()` |
//! | a directory you clean up yourself | [`mkdtemp()`] | `mkdtemp()` |
//! | named objects removed even after Ctrl-C or `kill` (unix; Windows console events) | [`cleanup_on_signals()`] | — |
//! | to look at what a failure left | [`Builder::retention`], `TEMPKIT_KEEP` ([`Retention`]) | — |
//! | to remove what a killed process left, and nothing live | [`Builder::owner_lock`], then [`reap`] | — |
//! | a scratch directory named after the test | [`testing::tempdir()`] | pytest's `tmp_path` |
//! | a prefix, suffix, mode, directory, ... | [`Builder`] | keyword arguments |
//!
//! Prefer the anonymous forms: a name is something another process can
//! find, and something a killed process leaves behind.
//!
//! Every `*_in` form takes the directory to create in; an empty path (the
//! `parent()` of a bare file name, `Path::new("app.json").parent()`) is
//! the current directory, as in Python (`dir=""`) and the `tempfile`
//! crate. Errors name the path in quotes, so an empty one shows as `""`.
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
//! let target = tempfs::temp_dir()?.join(tempfs::random_name("settings-", ".json", 8)?);
//! let mut draft = tempfs::TempFile::new()?;
//! draft.write_all(br#"{"theme": "dark"}"#)?;
//! draft.persist(&target)?;
//! # std::fs::remove_file(&target)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A [`TempDir`] is removed with everything in it when dropped;
//! [`TempDir::close`] reports what a drop must swallow, and
//! [`TempDir::cleanup`] can be retried. Removal goes through the
//! directory's own descriptor, to any depth, and never follows a symlink
//! or crosses a mount point (see [`TempDir`]).
//!
//! ```
//! let dir = tempfs::TempDir::new()?;
//! std::fs::write(dir.path().join("scratch.txt"), b"work in progress")?;
//! dir.close()?; // or let it drop
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Async code
//!
//! With the `tokio` feature, every constructor has an async form that
//! runs it on tokio's blocking pool (`Builder::tempfile_async`,
//! `NamedTempFile::new_async`, `AsyncTempFile`, `AsyncTempDir`,
//! `tempfile_async`), persisting and the safe save have one too
//! (`persist_async`, `write_atomic_async`), and an `AsyncTempDir` is
//! removed on the blocking pool, by `close().await` or by a drop. A
//! future dropped at any await point leaves nothing behind; a call
//! outside a runtime fails with an error saying so.
//! [`docs/async.md`](https://github.com/tempkit/tempkit/blob/main/docs/async.md)
//! has the rules for cancellation and runtime shutdown.
//!
//! # Keeping what failed
//!
//! An object that cleans up can keep its file or directory instead when
//! the thread dropping it is panicking, or always ([`Retention`]): per
//! object through [`Builder::retention`], for the whole process through
//! `TEMPKIT_KEEP=never|panic|always` ([`KEEP_VAR`]). What is kept this way
//! is reported on standard error, one line per object starting with
//! `kept` and naming the path. [`testing::tempdir()`] gives a test a
//! directory named after it, removed when the test passes and kept when it
//! fails. An anonymous file has no name to keep: once closed, it is gone
//! whatever the policy.
//!
//! # Security
//!
//! - **Names** come from the operating system's CSPRNG, never from the
//!   process id or the time (the "guessable name" of the Python page).
//! - **Creation** is exclusive and never follows a link; files are 0600
//!   and directories 0700 (on Windows, an access list for the current
//!   user; WASI has no modes: the preopened directory must keep them
//!   private).
//! - **Anonymous files** ([`tempfile()`], [`TempFile`]) have no name on
//!   Linux: nothing else can open them, and a `SIGKILL` leaves nothing.
//! - **Cleanup** goes through the directory handle held since creation,
//!   never the path again; [`close`](NamedTempFile::close) reports what
//!   `Drop` must swallow.
//! - **Persisting** is atomic for readers; [`TempFile::persist`] links the
//!   open file itself, while a [`NamedTempFile`] is renamed by name, as in
//!   Python and the `tempfile` crate: privileged programs should publish
//!   with [`TempFile`].
//! - **Errors** keep their [`io::ErrorKind`] and name their path; a failed
//!   call leaves nothing behind.
//!
//! - **After a kill**: objects made with [`Builder::owner_lock`] hold a
//!   lock while their owner lives; [`reap`] removes, in a directory, the
//!   entries with a prefix whose lock is free, that belong to the caller
//!   and are old enough, never following a link or crossing a mount, and
//!   `systemd-tmpfiles` keeps off a locked [`TempDir`].
//!
//! Out of reach of any library: root and the owner can read the files, a
//! named file can be opened by whoever its mode and directory allow while
//! it exists, and a killed process leaves named files behind (until
//! [`reap`] removes them).
//! [`docs/security.md`](https://github.com/tempkit/tempkit/blob/main/docs/security.md)
//! lists each defence, its limits and the test that proves it.
//!
//! # Platform behaviour
//!
//! - **Linux**: anonymous files and [`TempFile`] are `O_TMPFILE` (one
//!   `openat`), with a fallback where it is refused.
//! - **macOS, FreeBSD and other unix**: no `O_TMPFILE`: anonymous files are
//!   created and unlinked at once, and a [`TempFile`] waits under a hidden
//!   name until persisted.
//! - **Windows**: the same contract through directory handles; anonymous
//!   files keep a name while open. The system removes a [`TempFile`]'s
//!   staged name and (Windows 10 1709 and later, NTFS) a [`NamedTempFile`]
//!   that is removed on drop when their handles close, also after a kill;
//!   while such a named file is open, others open it by path only if they
//!   share deletion ([`NamedTempFile::into_temp_path`] lifts that).
//! - **WASI** (`wasm32-wasip1`, `wasm32-wasip2`): the unix contract
//!   relative to preopened directory handles, without `O_TMPFILE`, modes
//!   or owners; a panic aborts there, so `Drop` cleans nothing up after
//!   one. Set `TMPDIR` to a preopened directory, or use the `*_in` forms.
//! - **Everywhere**: persisting onto another file system is
//!   `CrossesDevices`, unless [`PersistOptions::copy_across_devices`] asks
//!   for a copy.
//!
//! [`docs/platforms.md`](https://github.com/tempkit/tempkit/blob/main/docs/platforms.md)
//! says how each platform does it, and what is tested where.

mod atomic;
mod builder;
pub mod env;
mod file;
mod memory;
mod named;
mod persist;
mod place;
mod reap;
mod retain;
mod signals;
mod sys;
mod temp_path;
pub mod testing;
// The async layer, behind the `tokio` feature (the one `cfg` outside `sys`:
// a feature, not a platform).
#[cfg(feature = "tokio")]
mod tokio;
#[cfg(feature = "tokio")]
pub use self::tokio::{
    AsyncNamedTempFile, AsyncTempDir, AsyncTempFile, tempfile_async, tempfile_in_async,
    write_atomic_async,
};

// Directories: TempDir, mkdtemp and their cleanup.
mod cleanup;
mod dir;
mod failure;
pub use dir::{TempDir, mkdtemp, tempdir, tempdir_in};

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tempcore::{FileOptions, Template};

pub use atomic::{AtomicFile, AtomicOptions, Durability, write_atomic};
pub use builder::Builder;
pub use file::{TempFile, TempFilePersistError};
pub use memory::{MemoryFile, memory_file};
pub use named::{NamedTempFile, PersistError};
pub use persist::PersistOptions;
pub use place::AsDir;
pub use reap::{Leftover, ReapOptions, ReapReport, WhyLeft, reap};
pub use retain::{KEEP_VAR, Retention, report_kept};
pub use signals::cleanup_on_signals;
pub use temp_path::{PathPersistError, TempPath};
pub use tempcore::{DEFAULT_PREFIX, Dir, random_name, set_temp_dir, temp_dir};
pub use tempcore::{MemoryKind, Seals};

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
pub fn tempfile_in<P: AsRef<Path>>(dir: P) -> io::Result<File> {
    place::anonymous_in(dir.as_ref(), &mut Template::default(), &FileOptions::new())
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
