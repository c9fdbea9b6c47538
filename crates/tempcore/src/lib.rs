//! Secure random names, exclusive creation and anonymous files: the core
//! of temporary files, with no cleanup objects and no dependencies beyond
//! `rustix` (unix), `windows-sys` (Windows) and `getrandom`, so that
//! databases, build tools and package managers can embed it. The `tempfs` crate builds self-cleaning
//! `TempFile`, `NamedTempFile` and `TempDir` on top of it.
//!
//! # Which function to use when
//!
//! | you need | use |
//! |---|---|
//! | a fresh name only | [`random_name`], [`Template`] |
//! | a new file under a fresh name | [`create_file`], [`create_file_at`] |
//! | a new directory under a fresh name | [`create_dir`], [`create_dir_at`] |
//! | a file with no name at all | [`anonymous_file`], [`anonymous_file_at`] |
//! | a nameless file to publish atomically later | [`linkable_file_at`], then [`LinkableFile::link_at`] |
//! | a rename that never replaces | [`rename_at`] with `replace = false` |
//! | the default directory (Python's `gettempdir()`) | [`temp_dir`], [`temp_dir_handle`], [`set_temp_dir`] |
//! | one handle per directory given by path, shared | [`Dir::open_shared`], [`linkable_file_shared_at`] |
//!
//! Every `*_at` function works relative to an open [`Dir`]; the forms
//! without `_at` open the directory by path first.
//!
//! ```
//! use std::io::{Read, Seek, Write};
//!
//! // A nameless scratch file in the default temporary directory.
//! let dir = tempcore::temp_dir_handle()?;
//! let mut scratch = tempcore::anonymous_file_at(
//!     &dir, &mut tempcore::Template::default(), &tempcore::FileOptions::new())?;
//! scratch.write_all(b"Some data")?;
//! scratch.rewind()?;
//! let mut back = String::new();
//! scratch.read_to_string(&mut back)?;
//! assert_eq!(back, "Some data");
//!
//! // An atomic write: the name appears with all of its data, or not at all.
//! let mut draft = tempcore::linkable_file_at(
//!     &dir, &mut tempcore::Template::new(".tmp", "", 13)?, &tempcore::FileOptions::new())?;
//! draft.as_file_mut().write_all(b"complete")?;
//! let target = tempcore::random_name("report-", ".txt", 8)?;
//! let file = draft.link_at(&dir, &target, &tempcore::LinkOptions::no_replace())?;
//! # drop(file);
//! assert_eq!(std::fs::read(dir.path().join(&target))?, b"complete");
//! tempcore::remove_file_at(&dir, &target)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Security
//!
//! - Names come from the operating system's CSPRNG (`getrandom`), 65 bits
//!   by default, in an alphabet with no upper case (unique on
//!   case-insensitive file systems) and no modulo bias. Random bytes are
//!   drawn in batches kept in memory that a `fork`ed child sees wiped, so
//!   parent and child never share names.
//! - Files are created with `O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`, mode
//!   0600; directories with mode 0700 (both less the umask); on Windows
//!   both with an access list that lets in only the current user. Whatever sits
//!   at a candidate name (a planted symlink, a FIFO, a hard link to a
//!   victim's file) is never opened; the next name is tried, at most
//!   [`MAX_ATTEMPTS`] times.
//! - Errors other than `AlreadyExists` stop at once and name the directory;
//!   every error keeps its [`std::io::ErrorKind`] and carries a
//!   [`PathError`].
//! - Working relative to a [`Dir`] makes every step immune to the
//!   directory's path being swapped after it was opened.
//!
//! # Platform behaviour
//!
//! - **Linux**: anonymous files use `O_TMPFILE`; a kernel or file system
//!   that refuses it (`EISDIR`, `EOPNOTSUPP`, `EINVAL`, `ENOENT`) gets the
//!   fallback (create under a fresh name, `unlinkat` at once), and the
//!   refusal is remembered. Linking uses `/proc/thread-self/fd`, then
//!   `AT_EMPTY_PATH`, for staged linkable files too (so a substitute at
//!   the staged name is never published); no-replace renames use
//!   `renameat2(RENAME_NOREPLACE)` with a `linkat` + `unlinkat` fallback. Base directories open `O_PATH`.
//! - **macOS, FreeBSD and other unix**: the same `*at` calls; anonymous
//!   files always take the fallback; a linkable file is staged under a
//!   hidden name until linked, and that name is checked to be the open file
//!   just before it is renamed. macOS renames without replacing via
//!   `renameatx_np(RENAME_EXCL)`; elsewhere `linkat` + `unlinkat`.
//! - **Windows**: every `*_at` operation is relative to the directory's
//!   handle (`NtCreateFile` with a root directory) and never follows a
//!   symbolic link or junction; `FILE_CREATE` for exclusive creation. New
//!   files and directories get a DACL granting only the current user (the
//!   Windows form of 0600 and 0700; CPython's CVE-2024-4030 was the lack
//!   of it), unless a mode gives group or others access. Anonymous files
//!   are `FILE_DELETE_ON_CLOSE` and shared with nobody; their name stays
//!   listed while they are open. Removal frees the name at once, as
//!   `unlink` does: POSIX delete semantics where the system has them
//!   (Windows 10 on NTFS), else the classic kind through an exclusive
//!   handle, or, when another handle is open, after a rename to a hidden
//!   random name that goes when the last handle closes; read-only entries
//!   are removed as on unix. Renames go through a handle to the
//!   source: without replacing they are atomic and refuse an existing
//!   target; replacing uses POSIX rename semantics where available, so an
//!   open target is replaced too. Names may not hold `:` (a data stream)
//!   nor end in a dot or space. Windows has no `fork` and no directory
//!   sync ([`Dir::sync`] does nothing).

mod create;
mod dir;
mod entropy;
mod error;
mod link;
mod name;
mod shared;
mod sys;
mod tmpdir;

pub use create::{
    DIR_MODE, FILE_MODE, FileOptions, anonymous_file, anonymous_file_at, create_dir, create_dir_at,
    create_file, create_file_at, remove_dir_at, remove_file_at,
};
pub use dir::Dir;
pub use error::PathError;
pub use link::{
    IntoFileError, LinkError, LinkOptions, LinkableFile, linkable_file_at, linkable_file_shared_at,
    rename_at,
};
pub use name::{
    ALPHABET, BITS_PER_CHAR, DEFAULT_PREFIX, DEFAULT_RAND_LEN, MAX_ATTEMPTS, NameSource, Template,
    random_name,
};
pub use tmpdir::{
    TEMP_DIR_VARS, probe_temp_dir, reset_temp_dir, set_temp_dir, temp_dir, temp_dir_candidates,
    temp_dir_handle,
};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
