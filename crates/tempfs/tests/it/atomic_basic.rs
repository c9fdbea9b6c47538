//! Safe save on every platform: `write_atomic` and `AtomicFile` replace or
//! create the target, nothing appears before the commit, a dropped save
//! leaves the target and its directory as they were, and bad targets are
//! clear errors that change nothing.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use tempfs::{AtomicFile, Durability, write_atomic};
use testkit::Scratch;

use crate::file_support::{assert_names, read};

#[test]
fn write_atomic_creates_and_replaces() {
    let scratch = Scratch::new("atomic-replace");
    let target = scratch.join("config.toml");
    write_atomic(&target, b"first").unwrap();
    assert_eq!(read(&target), "first");
    write_atomic(&target, "second, longer than the first").unwrap();
    assert_eq!(read(&target), "second, longer than the first");
    write_atomic(&target, b"").unwrap();
    assert_eq!(read(&target), "");
    assert_eq!(scratch.entries(), ["config.toml"]);
}

#[test]
fn nothing_appears_before_the_commit_and_a_drop_leaves_nothing() {
    let scratch = Scratch::new("atomic-drop");
    let target = scratch.join("data");
    std::fs::write(&target, b"old").unwrap();
    let mut file = AtomicFile::new(&target).unwrap();
    file.write_all(b"new contents").unwrap();
    assert_eq!(read(&target), "old");
    drop(file);
    assert_eq!(read(&target), "old");
    assert_eq!(scratch.entries(), ["data"]);

    let fresh = scratch.join("fresh");
    let mut file = AtomicFile::new(&fresh).unwrap();
    file.write_all(b"never committed").unwrap();
    assert!(!fresh.exists());
    drop(file);
    assert_eq!(scratch.entries(), ["data"]);

    let mut file = AtomicFile::new(&fresh).unwrap();
    assert_eq!(file.target(), fresh);
    write!(file, "committed {}", 42).unwrap();
    file.commit().unwrap();
    assert_eq!(read(&fresh), "committed 42");
    assert_eq!(scratch.entries(), ["data", "fresh"]);
}

#[test]
fn every_option_still_saves() {
    let scratch = Scratch::new("atomic-options");
    let target = scratch.join("data");
    std::fs::write(&target, b"old").unwrap();
    for durability in [Durability::None, Durability::Data, Durability::Full] {
        let opts = AtomicFile::options()
            .durability(durability)
            .keep_times(true)
            .follow_symlinks(false)
            .retry_sharing_violations(Duration::from_millis(50));
        opts.write(&target, format!("{durability:?}")).unwrap();
        assert_eq!(read(&target), format!("{durability:?}"));
    }
    assert_eq!(Durability::default(), Durability::Full);
    assert_eq!(scratch.entries(), ["data"]);
}

#[test]
fn a_directory_is_refused_naming_it() {
    let scratch = Scratch::new("atomic-dir");
    let target = scratch.join("sub");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), b"kept").unwrap();
    let err = write_atomic(&target, b"x").unwrap_err();
    assert_names(&err, io::ErrorKind::IsADirectory, &target);
    assert_eq!(read(&target.join("inside")), "kept");
    assert_eq!(scratch.entries(), ["sub"]);
}

#[test]
fn paths_that_name_no_file_are_invalid_input() {
    let scratch = Scratch::new("atomic-names");
    let err = write_atomic("", b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("empty"), "{err}");
    let mut trailing = scratch.join("file").into_os_string();
    trailing.push(std::path::MAIN_SEPARATOR_STR);
    let err = write_atomic(&trailing, b"x").unwrap_err();
    assert_names(&err, io::ErrorKind::InvalidInput, Path::new(&trailing));
    let dot = scratch.join("file").join(".");
    let err = write_atomic(&dot, b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let missing = scratch.join("no-such-dir").join("file");
    let err = write_atomic(&missing, b"x").unwrap_err();
    assert_names(&err, io::ErrorKind::NotFound, &scratch.join("no-such-dir"));
    assert!(scratch.entries().is_empty());
}
