//! Where things go: the directory-relative helpers every type uses, to
//! open the directory a temporary object lives in, or the directory of the
//! name it is given, and [`AsDir`], the directory every `_at` constructor
//! takes. A leaf: it uses only `tempcore`.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempcore::{Dir, FileOptions, PathError, Template};

/// The directory `dir` (empty: the current directory), by its absolute path (so that paths built from it
/// stay valid if the current directory changes), through the handle every
/// object made in it shares ([`Dir::open_shared`]): one `stat` when it is
/// already open, never a second descriptor.
pub(crate) fn open_dir(dir: &Path) -> io::Result<Arc<Dir>> {
    Dir::open_shared(dir)
}

/// An open directory that every `_at` constructor of [`Builder`](crate::Builder)
/// takes, in one parameter form: `&Dir`, `&Arc<Dir>` or `&TempDir`.
///
/// What a constructor keeps decides what the form costs. An anonymous
/// file keeps nothing, so every form is free. A [`NamedTempFile`](crate::NamedTempFile),
/// a [`TempDir`](crate::TempDir) and a staged [`TempFile`](crate::TempFile)
/// keep a handle to the directory, to be removed through it: given an
/// `&Arc<Dir>` they share it (no descriptor of their own); given a `&Dir` or a
/// `&TempDir` they keep a duplicate of its descriptor (one `fcntl`, one
/// descriptor per object). To make many objects in one open directory,
/// put it in an `Arc` once, or open it with [`Dir::open_shared`].
///
/// ```
/// use std::sync::Arc;
/// use tempfs::{Builder, Dir, TempDir};
/// let scratch = TempDir::new()?;
/// let shared: Arc<Dir> = Dir::open_shared(scratch.path())?;
/// let named = Builder::new().tempfile_at(&shared)?; // shares `shared`
/// let anonymous = Builder::new().anonymous_at(&scratch)?; // keeps nothing
/// let linkable = Builder::new().temp_file_at(&*shared)?;
/// # drop((named, anonymous, linkable));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Sealed: implemented for [`Dir`], `Arc<Dir>` and [`TempDir`](crate::TempDir) only.
pub trait AsDir: sealed::Sealed {
    /// The open directory.
    fn as_dir(&self) -> &Dir;

    /// A handle to the directory that an object can keep: the same one
    /// for an `Arc<Dir>`, a duplicate otherwise.
    fn to_shared(&self) -> io::Result<Arc<Dir>> {
        match self.shared() {
            Some(shared) => Ok(Arc::clone(shared)),
            None => self.as_dir().try_clone().map(Arc::new),
        }
    }

    /// The shared handle, if this is one.
    fn shared(&self) -> Option<&Arc<Dir>> {
        None
    }
}

impl AsDir for Dir {
    fn as_dir(&self) -> &Dir {
        self
    }
}

impl AsDir for Arc<Dir> {
    fn as_dir(&self) -> &Dir {
        self
    }

    fn shared(&self) -> Option<&Arc<Dir>> {
        Some(self)
    }
}

pub(crate) mod sealed {
    /// Keeps [`AsDir`](super::AsDir) to the types this crate knows
    /// ([`TempDir`](crate::TempDir)'s impl is with it).
    pub trait Sealed {}
    impl Sealed for tempcore::Dir {}
    impl Sealed for std::sync::Arc<tempcore::Dir> {}
}

/// `dir` made absolute against the current directory (no system call when
/// it already is).
pub(crate) fn absolute(path: &Path) -> io::Result<PathBuf> {
    std::path::absolute(path).map_err(|e| PathError::wrap(e, "making absolute", path))
}

/// An anonymous file in the directory at `dir` (empty: the current
/// directory). The file keeps no path, so `dir` is made absolute (for
/// error messages) only when it is not already: `std::path::absolute`
/// costs more than the `open` itself.
pub(crate) fn anonymous_in(
    dir: &Path,
    names: &mut Template<'_>,
    opts: &FileOptions,
) -> io::Result<File> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if dir.is_absolute() {
        tempcore::anonymous_file(dir, names, opts)
    } else {
        tempcore::anonymous_file(absolute(dir)?, names, opts)
    }
}

/// The directory and final component of a persist target, the directory
/// opened (shared, as [`open_dir`]). A target with no final file name
/// (`/`, `..`, `x/`, `x/.`) is `InvalidInput` naming it.
pub(crate) fn open_target(target: &Path) -> io::Result<(Arc<Dir>, &OsStr)> {
    open_parent(target, "persisting a temporary file as")
}

/// The directory of the file `target` (opened, shared, as [`open_dir`])
/// and its name; `action` says what was being done if `target` names no
/// file.
pub(crate) fn open_parent<'a>(
    target: &'a Path,
    action: &'static str,
) -> io::Result<(Arc<Dir>, &'a OsStr)> {
    let name = target
        .file_name()
        .filter(|name| {
            // `Path::file_name` forgets a trailing `/` or `/.`, which make
            // the target a directory: rename(2) would refuse it too.
            target
                .as_os_str()
                .as_encoded_bytes()
                .ends_with(name.as_encoded_bytes())
        })
        .ok_or_else(|| {
            PathError::custom(
                io::ErrorKind::InvalidInput,
                action,
                target,
                "the path does not end in a file name",
            )
        })?;
    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Ok((open_dir(parent)?, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_directories_are_named_absolutely_in_errors() {
        let relative = Path::new("no-such-relative-dir");
        let err =
            anonymous_in(relative, &mut Template::default(), &FileOptions::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let absolute = std::env::current_dir().unwrap().join(relative);
        assert!(
            err.to_string().contains(&*absolute.to_string_lossy()),
            "{err}"
        );
    }
}
