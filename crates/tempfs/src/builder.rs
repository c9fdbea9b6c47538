//! [`Builder`]: every option of every temporary object in one place.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Permissions};
use std::io;
use std::path::Path;

use tempcore::{DEFAULT_PREFIX, DEFAULT_RAND_LEN, Dir, FileOptions, Template};

use crate::sys;

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
#[derive(Debug, Clone)]
pub struct Builder {
    pub(crate) prefix: OsString,
    pub(crate) suffix: OsString,
    pub(crate) rand_bytes: usize,
    pub(crate) permissions: Option<Permissions>,
    pub(crate) append: bool,
    pub(crate) disable_cleanup: bool,
    pub(crate) ignore_cleanup_errors: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Prefix `tmp`, no suffix, 13 random characters (65 bits), files 0600
    /// and directories 0700, cleanup on drop with errors reported where a
    /// method can report them.
    pub fn new() -> Builder {
        Builder {
            prefix: OsString::from(DEFAULT_PREFIX),
            suffix: OsString::new(),
            rand_bytes: DEFAULT_RAND_LEN,
            permissions: None,
            append: false,
            disable_cleanup: false,
            ignore_cleanup_errors: false,
        }
    }

    /// The start of every name (Python's `prefix`). May not hold a path
    /// separator or NUL: building then fails with `InvalidInput`.
    pub fn prefix<S: AsRef<OsStr> + ?Sized>(&mut self, prefix: &S) -> &mut Self {
        self.prefix = prefix.as_ref().to_os_string();
        self
    }

    /// The end of every name (Python's `suffix`), e.g. `.txt`.
    pub fn suffix<S: AsRef<OsStr> + ?Sized>(&mut self, suffix: &S) -> &mut Self {
        self.suffix = suffix.as_ref().to_os_string();
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
    /// 0700 (unix; the umask still applies). Ignored on Windows.
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

    /// Makes directory cleanup best effort: remove all that can be removed
    /// and report nothing (Python's `ignore_cleanup_errors`).
    pub fn ignore_cleanup_errors(&mut self, ignore: bool) -> &mut Self {
        self.ignore_cleanup_errors = ignore;
        self
    }

    /// Creates an anonymous file (Python's `TemporaryFile`) in the default
    /// temporary directory: see [`crate::tempfile`].
    pub fn anonymous(&self) -> io::Result<File> {
        self.anonymous_at(&*tempcore::temp_dir_handle()?)
    }

    /// Creates an anonymous file in `dir`.
    pub fn anonymous_in(&self, dir: impl AsRef<Path>) -> io::Result<File> {
        self.anonymous_at(&Dir::open(dir)?)
    }

    fn anonymous_at(&self, dir: &Dir) -> io::Result<File> {
        tempcore::anonymous_file_at(dir, &mut self.template()?, &self.file_options())
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
        FileOptions::new().mode(mode).append(self.append)
    }
}
