//! Temporary files and directories that clean up after themselves (Python's
//! `TemporaryFile`, `NamedTemporaryFile`, `TemporaryDirectory`, `mkstemp`
//! and `mkdtemp`), built on [`tempcore`].
//!
//! This crate is being built: so far it re-exports the discovery functions.

pub use tempcore::{DEFAULT_PREFIX, set_temp_dir, temp_dir};

/// The default prefix of temporary names (Python's `gettempprefix()`).
///
/// ```
/// assert_eq!(tempfs::gettempprefix(), "tmp");
/// ```
pub fn gettempprefix() -> &'static str {
    DEFAULT_PREFIX
}
