//! Secure random names, exclusive creation and anonymous files: the core
//! of temporary files, with no cleanup objects and no dependencies beyond
//! `rustix` (unix, WASI), `windows-sys` (Windows) and `getrandom`, so that
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
//! - Names come from the operating system's CSPRNG ([`DEFAULT_RAND_LEN`]
//!   characters of [`ALPHABET`] by default), and a `fork`ed child never
//!   draws its parent's.
//! - Creation is exclusive and never follows a link: whatever sits at a
//!   candidate name is never opened, and the next name is tried, at most
//!   [`MAX_ATTEMPTS`] times. Files are 0600 and directories 0700 by
//!   default (on Windows, an access list for the current user; WASI has no
//!   modes: the preopened directory must keep them private).
//! - Every error keeps its [`std::io::ErrorKind`] and names its path
//!   ([`PathError`]); only `AlreadyExists` is retried.
//! - Working relative to a [`Dir`] makes every step immune to the
//!   directory's path being swapped after it was opened.
//!
//! [`docs/security.md`](https://github.com/tempkit/tempkit/blob/main/docs/security.md)
//! lists each defence, its limits and the test that proves it.
//!
//! # Platform behaviour
//!
//! - **Linux**: anonymous and linkable files are `O_TMPFILE`, with a
//!   fallback where a kernel or file system refuses it
//!   ([`anonymous_file_at`]).
//! - **macOS, FreeBSD and other unix**: the same `*at` calls, without
//!   `O_TMPFILE`: anonymous files are created and unlinked at once, and a
//!   linkable file is staged under a hidden name until linked.
//! - **Windows**: the same contract through directory handles
//!   (`NtCreateFile` relative to a directory), with an access list in
//!   place of the modes; no `fork`, and [`Dir::sync`] does nothing.
//!   [`FileOptions::delete_on_close`] lets the system remove a file when
//!   its handles close, also after a kill ([`DeleteOnClose`] keeps it).
//! - **WASI** (`wasm32-wasip1`, `wasm32-wasip2`): the unix backend, whose
//!   `*at` calls are WASI's own, relative to preopened directory handles;
//!   no `O_TMPFILE`, no modes, no owners, no `fork`. The default directory
//!   is found by the same rules, among what the runtime preopened: set
//!   `TMPDIR` to a preopened directory, or use the `*_at` and `*_in` forms.
//!
//! [`docs/platforms.md`](https://github.com/tempkit/tempkit/blob/main/docs/platforms.md)
//! says how each platform does it, and what is tested where.

mod create;
mod dir;
mod entropy;
mod error;
mod link;
mod memory;
mod name;
mod on_close;
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
pub use memory::{MemoryKind, Seals, add_seals, memory_file, seals};
pub use name::{
    ALPHABET, BITS_PER_CHAR, DEFAULT_PREFIX, DEFAULT_RAND_LEN, MAX_ATTEMPTS, NameSource, Template,
    random_name,
};
pub use on_close::DeleteOnClose;
pub use tmpdir::{
    TEMP_DIR_VARS, environment_is_trusted, probe_temp_dir, reset_temp_dir, set_temp_dir,
    set_temp_dir_lazily, temp_dir, temp_dir_candidates, temp_dir_handle,
};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
