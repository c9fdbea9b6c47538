//! The `tempfile` crate's `env` module, for code that switches by changing
//! the import: [`temp_dir`] and [`override_temp_dir`] with that crate's
//! signatures, on top of this crate's discovery ([`crate::temp_dir`], which
//! follows Python's search) and override ([`crate::set_temp_dir`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The directory new temporary objects go to by default, as
/// [`crate::temp_dir`] finds it. Where no candidate is usable that
/// function reports the error and creation fails with it; this one, like
/// the `tempfile` crate's, answers the path given to
/// [`override_temp_dir`] if it was called (the absolute form), else
/// [`std::env::temp_dir`].
///
/// ```
/// assert_eq!(tempfs::env::temp_dir(), tempfs::temp_dir()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn temp_dir() -> PathBuf {
    crate::temp_dir().unwrap_or_else(|_| {
        let overridden = OVERRIDDEN.lock().unwrap_or_else(|e| e.into_inner());
        match overridden.as_ref() {
            // Overridden with a directory that cannot be opened (yet): it
            // is still where files go, as with the crate.
            Some((_, absolute)) => absolute.clone(),
            None => std::env::temp_dir(),
        }
    })
}

/// What the first [`override_temp_dir`] was given, and the absolute path
/// it made the default.
static OVERRIDDEN: Mutex<Option<(PathBuf, PathBuf)>> = Mutex::new(None);

/// Makes `path` the default directory for the rest of the process, with
/// the `tempfile` crate's rules: only the first call succeeds; every later
/// one changes nothing and returns `Err` with the path the first was
/// given. The path is not checked: it need not exist yet, and creating in
/// the default directory fails (`NotFound`, naming it) until it does (see
/// [`tempcore::set_temp_dir_lazily`], which opens it at the first creation
/// that succeeds). A relative path is made absolute against the current
/// directory now, where the crate resolves it again at each creation.
/// [`crate::set_temp_dir`], which opens the directory at once and reports
/// an error, may still change the default afterwards.
///
/// ```
/// let dir = tempfs::temp_dir()?;
/// match tempfs::env::override_temp_dir(&dir) {
///     Ok(()) => assert_eq!(tempfs::env::temp_dir(), dir),
///     Err(earlier) => println!("already overridden with {}", earlier.display()),
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn override_temp_dir(path: &Path) -> Result<(), PathBuf> {
    let mut overridden = OVERRIDDEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((earlier, _)) = overridden.as_ref() {
        return Err(earlier.clone());
    }
    let absolute = tempcore::set_temp_dir_lazily(path);
    *overridden = Some((path.to_path_buf(), absolute));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_what_discovery_finds() {
        assert_eq!(temp_dir(), crate::temp_dir().unwrap());
    }

    #[test]
    fn only_the_first_override_counts() {
        // The only test in this binary that overrides, and with the
        // directory already in use, so the others do not notice. A path
        // that is not a directory yet is accepted: see the compat crate's
        // `override_temp_dir` test, which has a process to itself.
        let current = crate::temp_dir().unwrap();
        assert_eq!(override_temp_dir(&current), Ok(()));
        assert_eq!(temp_dir(), current);
        let other = current.join("another-override");
        assert_eq!(override_temp_dir(&other), Err(current.clone()));
        assert_eq!(temp_dir(), current);
    }
}
