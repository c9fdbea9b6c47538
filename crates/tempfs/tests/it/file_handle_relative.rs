//! Cleanup relative to the directory handle, proven by renaming the
//! directory while a file in it is open and planting a stranger's file at
//! the old path. POSIX only: Windows refuses to rename a directory while a
//! file in it is open (and Wine, which allows it, cannot delete a file
//! whose directory has moved).

#![cfg(any(unix, target_os = "wasi"))]

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

#[test]
fn a_directory_replaced_at_its_path_gets_the_next_file() {
    // Files made by path share their directory's handle, but only while
    // the path still names that directory: after a rename and a new
    // directory at the path, the next file goes into the new one, and the
    // first is still removed from the old one.
    let scratch = Scratch::new("life-replaced");
    let original = scratch.join("original");
    std::fs::create_dir(&original).unwrap();
    let first = NamedTempFile::new_in(&original).unwrap();
    let moved = scratch.join("moved");
    std::fs::rename(&original, &moved).unwrap();
    std::fs::create_dir(&original).unwrap();
    let second = NamedTempFile::new_in(&original).unwrap();
    let second_name = second.path().file_name().unwrap().to_owned();
    assert_eq!(testkit::entries(&original), [second_name]);
    assert_eq!(testkit::entries(&moved).len(), 1, "the first stays");
    drop((first, second));
    assert!(testkit::entries(&original).is_empty());
    assert!(testkit::entries(&moved).is_empty());

    // Removed and made again, with nothing of ours alive in it (the
    // thread still holds its handle): the same.
    std::fs::remove_dir(&original).unwrap();
    std::fs::create_dir(&original).unwrap();
    let third = NamedTempFile::new_in(&original).unwrap();
    assert_eq!(testkit::entries(&original).len(), 1);
    third.close().unwrap();
    assert!(testkit::entries(&original).is_empty());
    // Removed for good: the error names it, whatever was open before.
    std::fs::remove_dir(&original).unwrap();
    let err = NamedTempFile::new_in(&original).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(
        err.to_string().contains(&*original.to_string_lossy()),
        "{err}"
    );
}
