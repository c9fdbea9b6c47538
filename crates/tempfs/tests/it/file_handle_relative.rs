//! Cleanup relative to the directory handle, proven by renaming the
//! directory while a file in it is open and planting a stranger's file at
//! the old path. POSIX only: Windows refuses to rename a directory while a
//! file in it is open (and Wine, which allows it, cannot delete a file
//! whose directory has moved).

#![cfg(unix)]

use tempfs::NamedTempFile;
use testkit::Scratch;

use crate::file_support::read;

#[test]
fn cleanup_goes_through_the_directory_handle_not_the_path() {
    // The file's directory is renamed and a new directory with an entry of
    // the same name takes its path. Removal by path would delete the
    // stranger's file; removal relative to the handle removes ours.
    let scratch = Scratch::new("life-handle");
    let original = scratch.join("original");
    std::fs::create_dir(&original).unwrap();
    let file = NamedTempFile::new_in(&original).unwrap();
    let name = file.path().file_name().unwrap().to_owned();
    let moved = scratch.join("moved");
    std::fs::rename(&original, &moved).unwrap();
    std::fs::create_dir(&original).unwrap();
    std::fs::write(original.join(&name), "a stranger's file").unwrap();

    drop(file);
    assert_eq!(read(&original.join(&name)), "a stranger's file");
    assert!(testkit::entries(&moved).is_empty(), "ours was removed");

    // The same for an explicit close and for a TempPath.
    let file = NamedTempFile::new_in(&moved).unwrap();
    let path = NamedTempFile::new_in(&moved).unwrap().into_temp_path();
    let (file_name, path_name) = (
        file.path().file_name().unwrap().to_owned(),
        path.file_name().unwrap().to_owned(),
    );
    let elsewhere = scratch.join("elsewhere");
    std::fs::rename(&moved, &elsewhere).unwrap();
    std::fs::create_dir(&moved).unwrap();
    std::fs::write(moved.join(&file_name), "stranger 1").unwrap();
    std::fs::write(moved.join(&path_name), "stranger 2").unwrap();
    file.close().unwrap();
    path.close().unwrap();
    assert_eq!(testkit::entries(&moved).len(), 2);
    assert!(testkit::entries(&elsewhere).is_empty());
}
