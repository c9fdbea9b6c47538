//! The `tempfile` crate's `env` module, for code that switches by changing
//! the import: [`temp_dir`] and [`override_temp_dir`] with that crate's
//! signatures, on top of this crate's discovery ([`crate::temp_dir`], which
//! follows Python's search) and override ([`crate::set_temp_dir`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The directory new temporary objects go to by default, as
/// [`crate::temp_dir`] finds it. Where no candidate is usable that
/// function reports the error and creation fails with it; this one, like
/// the `tempfile` crate's, answers [`std::env::temp_dir`] instead.
///
/// ```
/// assert_eq!(tempfs::env::temp_dir(), tempfs::temp_dir()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn temp_dir() -> PathBuf {
    crate::temp_dir().unwrap_or_else(|_| std::env::temp_dir())
}

/// What the first successful [`override_temp_dir`] set.
static OVERRIDDEN: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Makes `path` the default directory for the rest of the process, once:
/// a later call changes nothing and returns the path the first one set,
/// as the `tempfile` crate's does. Unlike that crate's, it also refuses,
/// returning `path` itself, a path that cannot be opened as a directory
/// (the crate would accept it and fail at every creation); use
/// [`crate::set_temp_dir`] for the error. [`crate::set_temp_dir`] may
/// still change the default afterwards.
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
    if let Some(earlier) = overridden.as_ref() {
        return Err(earlier.clone());
    }
    crate::set_temp_dir(path).map_err(|_| path.to_path_buf())?;
    *overridden = Some(path.to_path_buf());
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
    fn only_the_first_usable_override_counts() {
        // The only test in this binary that overrides, and with the
        // directory already in use, so the others do not notice.
        let current = crate::temp_dir().unwrap();
        let missing = current.join("no-such-directory-for-override");
        assert_eq!(override_temp_dir(&missing), Err(missing.clone()));
        assert_eq!(
            crate::temp_dir().unwrap(),
            current,
            "a refused path changes nothing"
        );
        assert_eq!(override_temp_dir(&current), Ok(()));
        assert_eq!(temp_dir(), current);
        let other = std::env::temp_dir().join("another-override");
        assert_eq!(override_temp_dir(&other), Err(current.clone()));
        assert_eq!(temp_dir(), current);
    }
}
