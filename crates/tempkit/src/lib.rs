//! The `tempfile` crate's public surface over this workspace's layers: a
//! codebase written for `tempfile` switches with one line in `Cargo.toml`,
//! and no `use` changes:
//!
//! ```toml
//! [dependencies]
//! tempfile = { package = "tempkit", version = "0.1" }
//! ```
//!
//! At the root are the `tempfile` crate's names: [`tempfile()`],
//! [`tempfile_in`], [`tempdir`], [`tempdir_in`], [`NamedTempFile`],
//! [`TempPath`], [`TempDir`], [`Builder`], [`PersistError`],
//! [`PathPersistError`], [`SpooledTempFile`], [`SpooledData`],
//! [`spooled_tempfile`], [`spooled_tempfile_in`] and the [`env`](mod@env) module.
//! The layers are modules: [`core`] (names, exclusive creation, the
//! default directory), [`fs`] (the objects that clean up after
//! themselves, with more than the `tempfile` crate has: [`fs::TempFile`],
//! [`fs::mkstemp`], [`fs::mkdtemp`], [`fs::PersistOptions`]) and
//! [`spool`] ([`spool::SpoolBudget`]). Every item is a re-export: this
//! crate holds no code of its own, and each layer can be used alone.
//!
//! The `tokio` feature turns on both layers' async forms (`fs::AsyncTempDir`,
//! `fs::NamedTempFile::new_async`, `spool::AsyncSpooledTempFile`, ...):
//! see `docs/async.md`.
//!
//! ```
//! use std::io::{Read, Seek, Write};
//! use tempkit::{Builder, NamedTempFile, TempDir, tempfile};
//!
//! let mut scratch = tempfile()?;
//! scratch.write_all(b"no name at all")?;
//! scratch.rewind()?;
//! let mut back = String::new();
//! scratch.read_to_string(&mut back)?;
//! assert_eq!(back, "no name at all");
//!
//! let named = Builder::new().prefix("report-").suffix(".csv").tempfile()?;
//! assert!(named.path().to_string_lossy().ends_with(".csv"));
//!
//! let dir = TempDir::new()?;
//! let inside = NamedTempFile::new_in(dir.path())?;
//! assert!(inside.path().starts_with(dir.path()));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Differences from the `tempfile` crate
//!
//! The names, generic parameters and signatures users call are the
//! crate's; the compatibility suite (`crates/compat`) compiles a program
//! written the crate's way against this crate. Behaviour follows Python's
//! `tempfile` module and this workspace's security rules where the crate
//! differs: names have prefix `tmp` (the crate's is `.tmp`) and 65 random
//! bits from the OS CSPRNG, the default directory follows Python's search,
//! cleanup is relative to directory handles held since creation, and a
//! spool with `max_size` 0 never rolls over by size. Two signatures
//! differ, both in [`SpooledTempFile`]: `into_inner` and `into_file`
//! return a `Result` whose error gives the spool back (writing out a
//! buffer can fail). `docs/guide.md` lists every difference and why.
//!
//! # Security
//!
//! Exclusive creation under names from the OS CSPRNG, never following a
//! symbolic link, files 0600 and directories 0700 (an access list private
//! to the user on Windows; on WASI, which has no modes, as the preopened
//! directory allows), removal relative to the directory handle held
//! since creation: see [`fs`] and `docs/security.md`.

pub use tempfs::env;
pub use tempfs::{NamedTempFile, PathPersistError, PersistError, TempDir, TempPath};
pub use tempfs::{tempdir, tempdir_in, tempfile, tempfile_in};
pub use tempspool::{SpooledData, SpooledTempFile, spooled_tempfile, spooled_tempfile_in};

/// Creates temporary files and directories with options: [`fs::Builder`]
/// under the `tempfile` crate's spelling, whose `Builder<'a, 'b>` borrows
/// its prefix and suffix for `'a` and `'b`. Ours copies them, so the two
/// lifetime parameters constrain nothing; they are here so that code
/// naming `Builder<'static, 'static>` or `Builder<'_, '_>` compiles.
/// `tempkit::Builder` and `tempkit::fs::Builder` are the same type.
///
/// ```
/// fn for_reports() -> tempkit::Builder<'static, 'static> {
///     let mut builder = tempkit::Builder::new();
///     builder.prefix("report-").suffix(".csv");
///     builder
/// }
/// let report = for_reports().tempfile()?;
/// assert!(report.path().to_string_lossy().ends_with(".csv"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub type Builder<'a, 'b> = tempfs::Builder;

/// Names, exclusive creation, anonymous and linkable files, and the default
/// temporary directory: the bottom layer, the crate `tempcore`.
pub use tempcore as core;

/// Temporary files and directories that clean up after themselves: the
/// crate `tempfs`.
pub use tempfs as fs;

/// Spooled temporary files and shared memory budgets: the crate
/// `tempspool`.
pub use tempspool as spool;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
