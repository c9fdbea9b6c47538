//! Temporary files and directories that clean up after themselves (Python's
//! `TemporaryFile`, `NamedTemporaryFile`, `TemporaryDirectory`, `mkstemp`
//! and `mkdtemp`), built on [`tempcore`].
//!
//! This crate is being built: so far it has anonymous files, the
//! [`Builder`] and the discovery functions.
//!
//! [`TempDir`] (Python's `TemporaryDirectory`) is a directory removed with
//! everything in it when dropped, [`mkdtemp`] one that nothing removes.
//! Removal walks the tree through directory descriptors held since
//! creation, iteratively and with a bounded number of them open: it never
//! follows a symlink, never crosses a mount point, never changes a file's
//! mode, and leaves alone a directory that was moved away from its path.
//!
//! ```
//! let dir = tempfs::TempDir::new()?;
//! std::fs::write(dir.path().join("scratch.txt"), b"work in progress")?;
//! dir.close()?; // or let it drop
//! # Ok::<(), std::io::Error>(())
//! ```

mod builder;
mod sys;

// Directories: TempDir, mkdtemp and their cleanup.
mod cleanup;
mod dir;
pub use dir::{TempDir, mkdtemp, tempdir, tempdir_in};

use std::fs::File;
use std::io;
use std::path::Path;

pub use builder::Builder;
pub use tempcore::{DEFAULT_PREFIX, set_temp_dir, temp_dir};

/// Creates an anonymous file in the default temporary directory (Python's
/// `TemporaryFile`): open for reading and writing, mode 0600, with no name
/// while it is open on Linux, and gone when it is closed, even if the
/// process is killed.
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
    Builder::new().anonymous()
}

/// Creates an anonymous file in `dir`: see [`tempfile`].
pub fn tempfile_in(dir: impl AsRef<Path>) -> io::Result<File> {
    Builder::new().anonymous_in(dir)
}

/// The default prefix of temporary names (Python's `gettempprefix()`).
///
/// ```
/// assert_eq!(tempfs::gettempprefix(), "tmp");
/// ```
pub fn gettempprefix() -> &'static str {
    DEFAULT_PREFIX
}
