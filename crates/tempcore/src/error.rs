//! Errors that remember which path they concern.

use std::error::Error;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The error inside every [`io::Error`] this workspace returns about a path:
/// what was being done, to which path, and the operating system's error.
/// Its message quotes the path (`opening the directory "/x": ...`), so that
/// an empty or odd path is visible as such.
///
/// It travels inside an `io::Error` of the same [`io::ErrorKind`] as the
/// original, so `?` and `match err.kind()` work unchanged; callers that want
/// the path or the original `raw_os_error` reach it by downcasting.
///
/// ```
/// use std::io;
/// use tempcore::PathError;
///
/// let err = tempcore::create_file("/no/such/dir", &mut tempcore::Template::default(),
///                                 &tempcore::FileOptions::new()).unwrap_err();
/// assert_eq!(err.kind(), io::ErrorKind::NotFound);
/// let detail = PathError::find(&err).expect("errors name their path");
/// assert_eq!(detail.path(), std::path::Path::new("/no/such/dir"));
/// assert!(err.to_string().contains("/no/such/dir"));
/// ```
#[derive(Debug)]
pub struct PathError {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
    hint: Option<&'static str>,
}

impl PathError {
    /// Wraps `source` so that its message says `action` and `path`, keeping
    /// its kind. An error that already names a path is returned unchanged,
    /// so layered callers never stack the same context twice.
    pub fn wrap(source: io::Error, action: &'static str, path: impl Into<PathBuf>) -> io::Error {
        if Self::find(&source).is_some() {
            return source;
        }
        let kind = source.kind();
        io::Error::new(
            kind,
            PathError {
                action,
                path: path.into(),
                source,
                hint: None,
            },
        )
    }

    /// Builds an error of `kind` with a message of our own (no OS error
    /// behind it) about `path`.
    pub fn custom(
        kind: io::ErrorKind,
        action: &'static str,
        path: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> io::Error {
        let source = io::Error::new(kind, message.into());
        io::Error::new(
            kind,
            PathError {
                action,
                path: path.into(),
                source,
                hint: None,
            },
        )
    }

    /// `err` with `hint` (what would have avoided it: an option, another
    /// call) added to its message, keeping its kind, path and OS error. An
    /// error that carries no `PathError` is returned unchanged.
    ///
    /// ```
    /// use std::io;
    /// use tempcore::PathError;
    ///
    /// let err = PathError::wrap(io::ErrorKind::AlreadyExists.into(), "renaming to", "/x");
    /// let err = PathError::with_hint(err, "`replace` replaces it");
    /// assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    /// assert!(err.to_string().ends_with("; `replace` replaces it"), "{err}");
    /// ```
    pub fn with_hint(err: io::Error, hint: &'static str) -> io::Error {
        if Self::find(&err).is_none() {
            return err;
        }
        let kind = err.kind();
        match err.into_inner().map(|inner| inner.downcast::<PathError>()) {
            Some(Ok(mut detail)) => {
                detail.hint = Some(hint);
                io::Error::new(kind, *detail)
            }
            Some(Err(inner)) => io::Error::new(kind, inner),
            None => io::Error::from(kind),
        }
    }

    /// The `PathError` inside `err`, if it carries one.
    pub fn find(err: &io::Error) -> Option<&PathError> {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<PathError>())
    }

    /// The path the error concerns.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What was being done, as a lowercase fragment ("creating a temporary
    /// file in").
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// What would have avoided the error, if [`with_hint`](Self::with_hint)
    /// said.
    pub fn hint(&self) -> Option<&'static str> {
        self.hint
    }

    /// The underlying error, with its `raw_os_error` when the OS gave one.
    pub fn os_error(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} \"{}\": {}",
            self.action,
            self.path.display(),
            self.source
        )?;
        match self.hint {
            Some(hint) => write!(f, "; {hint}"),
            None => Ok(()),
        }
    }
}

impl Error for PathError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_kind_and_os_error() {
        let os = io::Error::from_raw_os_error(13);
        let kind = os.kind();
        let err = PathError::wrap(os, "creating a temporary file in", "/x");
        assert_eq!(err.kind(), kind);
        let detail = PathError::find(&err).unwrap();
        assert_eq!(detail.os_error().raw_os_error(), Some(13));
        assert!(
            err.to_string()
                .starts_with("creating a temporary file in \"/x\": ")
        );
    }

    #[test]
    fn a_hint_keeps_kind_path_and_os_error() {
        let err = PathError::wrap(io::Error::from_raw_os_error(17), "renaming to", "/x");
        let kind = err.kind();
        let err = PathError::with_hint(err, "try this");
        assert_eq!(err.kind(), kind);
        let detail = PathError::find(&err).unwrap();
        assert_eq!(detail.os_error().raw_os_error(), Some(17));
        assert_eq!(detail.path(), Path::new("/x"));
        assert_eq!(detail.hint(), Some("try this"));
        assert!(err.to_string().ends_with("; try this"), "{err}");
        let plain = PathError::with_hint(io::ErrorKind::Other.into(), "ignored");
        assert!(!plain.to_string().contains("ignored"));
    }

    #[test]
    fn wrap_does_not_stack() {
        let first = PathError::wrap(io::ErrorKind::NotFound.into(), "opening", "/a");
        let second = PathError::wrap(first, "creating in", "/b");
        assert_eq!(PathError::find(&second).unwrap().path(), Path::new("/a"));
    }
}
