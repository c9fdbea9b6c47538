//! What cleanup removes and what it leaves alone: Python's
//! TemporaryDirectory tests about links, and every kind of entry.
#![cfg(unix)]

use std::fs;
use std::os::unix::net::UnixListener;

use tempfs::TempDir;
use testkit::Scratch;

use super::fixtures::{assert_canaries, build_tree, c_path, link, plant_canaries};

#[test]
fn a_symlink_to_a_directory_outside_is_removed_not_followed() {
    // Python's test_cleanup_with_symlink_to_a_directory.
    let scratch = Scratch::new("symlink-dir");
    let outside = scratch.join("outside");
    fs::create_dir(&outside).unwrap();
    let canaries = plant_canaries(&outside);
    let dir = TempDir::new_in(scratch.path()).unwrap();
    fs::create_dir_all(dir.path().join("a/b")).unwrap();
    link(&outside, &dir.path().join("top-link"));
    link(&outside, &dir.path().join("a/b/deep-link"));
    link(&outside.join("canary0"), &dir.path().join("a/file-link"));
    link(&scratch.join("nowhere"), &dir.path().join("a/dangling"));
    dir.close().unwrap();
    assert_canaries(&canaries);
    assert_eq!(scratch.entries(), ["outside"]);
}

#[test]
fn fifos_and_sockets_are_removed_without_blocking() {
    let scratch = Scratch::new("special");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    for fifo in ["fifo", "sub/fifo"] {
        let path = c_path(&dir.path().join(fifo));
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    }
    let listener = UnixListener::bind(dir.path().join("sub/socket")).unwrap();
    dir.close().unwrap();
    drop(listener);
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_wide_and_nested_tree_is_removed() {
    let scratch = Scratch::new("wide");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    // 4 levels of 4 subdirectories with 3 files each: 341 directories.
    build_tree(dir.path(), 4, 4, 3);
    for i in 0..500 {
        fs::create_dir(dir.path().join(format!("empty{i}"))).unwrap();
    }
    let long = "n".repeat(255);
    fs::create_dir(dir.path().join(&long)).unwrap();
    fs::write(dir.path().join(&long).join(&long), b"longest name").unwrap();
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn dropping_removes_a_tree_too() {
    let scratch = Scratch::new("drop-tree");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    build_tree(dir.path(), 3, 3, 3);
    drop(dir);
    assert!(scratch.entries().is_empty());
}
