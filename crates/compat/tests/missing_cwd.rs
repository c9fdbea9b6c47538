//! `TempPath::from_path` when the current directory has been removed, in
//! a process of its own (it changes the current directory): the relative
//! path stays as given, as in the crate, and is removed relative to the
//! directory it named at adoption.
// Not on WASI: removing the current directory (WASI's is `/`).
#![cfg(unix)]
#![allow(deprecated, reason = "the crate's deprecated name is what is tested")]

use std::io;
use std::path::Path;

use tempfile::{TempPath, tempdir};

#[test]
fn a_relative_path_stays_relative_without_a_current_directory() -> io::Result<()> {
    let dir = tempdir()?;
    let gone = dir.path().join("gone");
    std::fs::create_dir(&gone)?;
    std::env::set_current_dir(&gone)?;
    std::fs::remove_dir(&gone)?;

    let path = TempPath::from_path("foo");
    assert_eq!(&*path, Path::new("foo"));
    // Differs: nothing there is not an error; the crate says `NotFound`.
    path.close()?;
    let refused = TempPath::try_from_path("foo").unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::NotFound);

    std::env::set_current_dir("/")?;
    dir.close()
}
