//! [`IntoInnerError`]: a failed conversion that gives the spool back.

use std::error::Error;
use std::fmt;
use std::io;

use crate::SpooledTempFile;

/// The error of [`SpooledTempFile::into_file`] and
/// [`SpooledTempFile::into_inner`]: what went wrong, and the spool itself,
/// unchanged, so that no byte is lost (std's `BufWriter::into_inner` and the
/// `tempfile` crate's `PersistError` work the same way).
///
/// It converts into [`io::Error`], so `?` works in functions returning
/// `io::Result`:
///
/// ```
/// use std::io::Write;
/// fn archive(mut spool: tempspool::SpooledTempFile) -> std::io::Result<std::fs::File> {
///     spool.write_all(b"done")?;
///     Ok(spool.into_file()?)
/// }
/// # archive(tempspool::SpooledTempFile::new(0))?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct IntoInnerError {
    error: io::Error,
    spool: Box<SpooledTempFile>,
}

impl IntoInnerError {
    pub(crate) fn new(error: io::Error, spool: SpooledTempFile) -> IntoInnerError {
        IntoInnerError {
            error,
            spool: Box::new(spool),
        }
    }

    /// The error.
    pub fn error(&self) -> &io::Error {
        &self.error
    }

    /// The error's kind.
    pub fn kind(&self) -> io::ErrorKind {
        self.error.kind()
    }

    /// The spool, with every byte and its position as they were.
    pub fn into_spool(self) -> SpooledTempFile {
        *self.spool
    }

    /// The error and the spool.
    pub fn into_parts(self) -> (io::Error, SpooledTempFile) {
        (self.error, *self.spool)
    }
}

impl From<IntoInnerError> for io::Error {
    fn from(err: IntoInnerError) -> io::Error {
        err.error
    }
}

impl fmt::Debug for IntoInnerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoInnerError")
            .field("error", &self.error)
            .field("spool", &self.spool)
            .finish()
    }
}

impl fmt::Display for IntoInnerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl Error for IntoInnerError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error.source()
    }
}
