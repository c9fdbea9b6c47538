//! What cleanup removes and what it leaves alone: Python's
//! TemporaryDirectory tests about links, and every kind of entry.
// Not on WASI: symbolic links, sockets, owners, forked children.
#![cfg(unix)]

use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::net::UnixListener;
use std::path::Path;

use tempfs::TempDir;
use testkit::Scratch;
use testkit::child::{self, NOBODY};

use super::fixtures::{assert_canaries, build_tree, c_path, link, nobody_scratch, plant_canaries};

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

/// A uid with no account: a third user, neither root nor `nobody`.
const THIRD_USER: u32 = 65533;

/// Makes the directory `path`, mode 0755, owned by `uid`, with a file of
/// that user's in it.
fn owned_dir_with_a_file(path: &Path, uid: u32) {
    fs::create_dir(path).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(path.join("file"), b"not yours").unwrap();
    chown(path.join("file"), Some(uid), Some(uid)).unwrap();
    chown(path, Some(uid), Some(uid)).unwrap();
}

#[test]
fn directories_moved_in_by_a_less_privileged_writer_are_removed_whoever_owns_them() {
    // The documented limit (docs/security.md, "Directories moved in by a
    // less privileged writer"): root hands `nobody` a subdirectory of its
    // TempDir; `nobody` moves in a directory of its own holding a
    // directory of a third user, whose file `nobody` cannot remove, and
    // root's cleanup removes it with the rest, as rm -rf and std do.
    let scratch = Scratch::new("moved-in");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let step = dir.path().join("step");
    fs::create_dir(&step).unwrap();
    chown(&step, Some(NOBODY), Some(NOBODY)).unwrap();
    let elsewhere = nobody_scratch("moved-in-from");
    let own = elsewhere.join("own");
    owned_dir_with_a_file(&own, NOBODY);
    owned_dir_with_a_file(&own.join("third"), THIRD_USER);
    let moved = step.join("own");
    child::as_nobody(|| {
        let err = fs::remove_file(own.join("third/file")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        fs::rename(&own, &moved).unwrap();
    });
    assert!(moved.join("third/file").exists());
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
    assert!(elsewhere.entries().is_empty());
}

#[test]
fn a_tree_with_other_owners_made_by_the_program_is_removed() {
    // What a root program makes when it unpacks an archive keeping its
    // owners (tar -x, cp -a, a container layer): a root directory holding
    // a user's directory holding another user's. Its owners are those of
    // the directories above; no rule about owners could refuse those and
    // still remove this.
    let scratch = Scratch::new("other-owners");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    let home = dir.path().join("home");
    owned_dir_with_a_file(&home, 0);
    owned_dir_with_a_file(&home.join("user"), THIRD_USER);
    owned_dir_with_a_file(&home.join("user/shared"), NOBODY);
    owned_dir_with_a_file(&home.join("user/shared/deeper"), NOBODY);
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}
