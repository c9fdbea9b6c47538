//! `env::override_temp_dir` with the `tempfile` crate's rules, in a process
//! of its own (the override is once per process): the first call wins
//! whatever the path, later calls get the first path back, and nothing is
//! checked, so a directory that does not exist yet is accepted and used
//! once it does.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempDir, env};

#[test]
fn the_first_override_wins_even_before_its_directory_exists() -> io::Result<()> {
    // Made in the discovered default, before the override.
    let scratch = TempDir::new()?;
    let later: PathBuf = scratch.path().join("made-later");

    assert_eq!(env::override_temp_dir(&later), Ok(()));
    assert_eq!(env::temp_dir(), later);
    let again = scratch.path().join("again");
    assert_eq!(env::override_temp_dir(&again), Err(later.clone()));
    assert_eq!(env::override_temp_dir(Path::new("/")), Err(later.clone()));

    // Nothing can be made there yet; the error names the directory.
    let refused = NamedTempFile::new().unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::NotFound);
    assert!(refused.to_string().contains("made-later"), "{refused}");
    assert_eq!(env::temp_dir(), later);

    // Once it exists, it is where everything goes.
    std::fs::create_dir(&later)?;
    let mut file = NamedTempFile::new()?;
    file.write_all(b"in the override")?;
    assert_eq!(file.path().parent(), Some(later.as_path()));
    let dir = TempDir::new()?;
    assert_eq!(dir.path().parent(), Some(later.as_path()));
    assert_eq!(env::temp_dir(), later);
    file.close()?;
    dir.close()?;
    // The default directory's handle is held by the process (Windows
    // cannot remove a directory someone holds open): let go of it, through
    // the layer underneath, before removing the scratch directory.
    tempfile::core::reset_temp_dir();
    drop(tempfile::core::temp_dir_handle()?);
    scratch.close()
}
