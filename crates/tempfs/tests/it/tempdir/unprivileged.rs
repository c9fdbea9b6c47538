//! Read-only and unreadable trees, removed as an ordinary user would need
//! them removed. Root ignores permissions, so every test here runs its
//! body in a forked child that has become `nobody`.
// Not on WASI: forked children as `nobody`.
#![cfg(unix)]

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;

use tempcore::PathError;
use tempfs::TempDir;
use testkit::child;

use super::fixtures::{build_tree, chmod_tree, link, mode, nobody_scratch, plant_canaries};

#[test]
fn read_only_owner_modes_are_removed() {
    // Python's test_modes for the modes that leave the owner able to read
    // and search: every file and directory, the top included, gets them.
    // (All eight, down to 0000, are in the Linux module: only Linux can
    // repair a directory its owner cannot read without naming it.)
    let scratch = nobody_scratch("read-only-modes");
    child::as_nobody(|| {
        for mode in [0o400, 0o500, 0o600, 0o700] {
            let dir = TempDir::new_in(scratch.path()).unwrap();
            build_tree(dir.path(), 3, 2, 2);
            chmod_tree(dir.path(), mode);
            dir.close()
                .unwrap_or_else(|e| panic!("mode {mode:03o}: {e}"));
        }
        assert!(scratch.entries().is_empty());
    });
}

#[test]
fn read_only_nested_directories_and_mode_000_files_are_removed() {
    let scratch = nobody_scratch("read-only");
    child::as_nobody(|| {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        let deep = dir.path().join("a/b/c");
        fs::create_dir_all(&deep).unwrap();
        for (i, parent) in ["a", "a/b", "a/b/c"].iter().enumerate() {
            let file = dir.path().join(parent).join(format!("locked{i}"));
            fs::write(&file, b"secret").unwrap();
            fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
        }
        for (parent, mode) in [("a/b/c", 0o500), ("a/b", 0o400), ("a", 0o500)] {
            let path = dir.path().join(parent);
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        }
        dir.close().unwrap();
        assert!(scratch.entries().is_empty());
    });
}

#[test]
fn symlink_targets_keep_their_modes() {
    // CVE-2023-6597: CPython's cleanup, meeting a permission error, reset
    // modes with chmod on paths that were symlinks and so changed their
    // targets outside the tree. Here every directory of the tree is
    // read-only, so the permission repair runs next to every link.
    let scratch = nobody_scratch("symlink-modes");
    child::as_nobody(|| {
        let outside = scratch.join("outside");
        fs::create_dir(&outside).unwrap();
        let dir = TempDir::new_in(scratch.path()).unwrap();
        let mut targets = Vec::new();
        for bits in 0..8 {
            let mode = bits << 6;
            let file = outside.join(format!("file{mode:03o}"));
            fs::write(&file, b"target").unwrap();
            let sub = outside.join(format!("dir{mode:03o}"));
            fs::create_dir(&sub).unwrap();
            let inside = dir.path().join(format!("links{mode:03o}"));
            fs::create_dir(&inside).unwrap();
            link(&file, &inside.join("to-file"));
            link(&sub, &inside.join("to-dir"));
            link(&file, &dir.path().join(format!("to-file{mode:03o}")));
            link(&sub, &dir.path().join(format!("to-dir{mode:03o}")));
            fs::set_permissions(&file, fs::Permissions::from_mode(mode)).unwrap();
            fs::set_permissions(&sub, fs::Permissions::from_mode(mode)).unwrap();
            fs::set_permissions(&inside, fs::Permissions::from_mode(0o500)).unwrap();
            targets.push((file, mode));
            targets.push((sub, mode));
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o500)).unwrap();
        dir.close().unwrap();
        for (target, expected) in targets {
            assert_eq!(
                mode(&target),
                expected,
                "the mode of {} changed",
                target.display()
            );
        }
    });
}

#[test]
fn a_hard_link_keeps_the_outside_file_mode() {
    // Repairing permissions on a file in the tree would change the mode of
    // every other name of it: files are never repaired.
    let scratch = nobody_scratch("hard-link");
    child::as_nobody(|| {
        let outside = scratch.join("precious");
        fs::write(&outside, b"keep me").unwrap();
        fs::set_permissions(&outside, fs::Permissions::from_mode(0o400)).unwrap();
        let dir = TempDir::new_in(scratch.path()).unwrap();
        let ro = dir.path().join("ro");
        fs::create_dir(&ro).unwrap();
        fs::hard_link(&outside, ro.join("link")).unwrap();
        fs::hard_link(&outside, dir.path().join("link")).unwrap();
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o500)).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o500)).unwrap();
        dir.close().unwrap();
        assert_eq!(mode(&outside), 0o400);
        assert_eq!(fs::read(&outside).unwrap(), b"keep me");
        assert_eq!(scratch.entries(), ["precious"]);
    });
}

#[test]
fn the_parent_directory_mode_is_untouched() {
    let scratch = nobody_scratch("parent-mode");
    child::as_nobody(|| {
        let parent = scratch.join("parent");
        fs::create_dir(&parent).unwrap();
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o751)).unwrap();
        let dir = TempDir::new_in(&parent).unwrap();
        build_tree(dir.path(), 2, 2, 2);
        chmod_tree(dir.path(), 0o500);
        dir.close().unwrap();
        assert_eq!(mode(&parent), 0o751);
    });
}

#[test]
fn a_read_only_parent_is_reported_not_repaired_and_close_can_be_retried() {
    // Python's cleanup resets the permissions of the parent of whatever it
    // fails to remove. The TempDir's own parent is not ours to change: the
    // contents go, the top stays, the error names it, and a later attempt
    // succeeds once the caller has made the parent writable again.
    let scratch = nobody_scratch("read-only-parent");
    child::as_nobody(|| {
        let parent = scratch.join("parent");
        fs::create_dir(&parent).unwrap();
        let mut dir = TempDir::new_in(&parent).unwrap();
        let outside = scratch.join("outside");
        fs::create_dir(&outside).unwrap();
        let canaries = plant_canaries(&outside);
        build_tree(dir.path(), 2, 2, 2);
        link(&outside, &dir.path().join("to-outside"));
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();

        let err = dir.cleanup().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
        assert_eq!(PathError::find(&err).unwrap().path(), dir.path());
        assert_eq!(mode(&parent), 0o555, "the parent's mode changed");
        assert!(dir.path().is_dir());
        assert!(
            fs::read_dir(dir.path()).unwrap().next().is_none(),
            "the contents should be gone"
        );
        super::fixtures::assert_canaries(&canaries);

        fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
        dir.cleanup().unwrap();
        assert!(!dir.path().exists());
    });
}

#[test]
fn a_directory_another_user_put_in_its_place_is_left() {
    // In a sticky directory such as /tmp: root's TempDir is removed, and
    // `nobody` makes a directory of its own at the path.
    let scratch = testkit::Scratch::new("theirs");
    testkit::set_mode(scratch.path(), 0o1777);
    let dir = TempDir::new_in(scratch.path()).unwrap();
    let path = dir.path().to_path_buf();
    fs::remove_dir(&path).unwrap();
    child::as_nobody(|| {
        fs::create_dir(&path).unwrap();
        fs::write(path.join("theirs"), b"not yours").unwrap();
    });
    let err = dir.close().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    assert!(err.to_string().contains("another user"), "{err}");
    assert_eq!(PathError::find(&err).unwrap().path(), path);
    assert_eq!(fs::read(path.join("theirs")).unwrap(), b"not yours");
}

#[test]
fn a_root_owned_directory_another_user_moved_into_its_place_is_left() {
    // Moving a directory needs write permission on it, not ownership, and
    // it keeps its owner: `nobody` moves a root-owned 0777 directory, out
    // of a directory of its own, into the freed name in a root-owned
    // sticky parent. Root's cleanup must not delete what is inside, which
    // `nobody` could not delete itself.
    let scratch = testkit::Scratch::new("moved-in");
    let parent = scratch.join("sticky");
    fs::create_dir(&parent).unwrap();
    testkit::set_mode(&parent, 0o1777);
    let theirs = scratch.join("nobodys");
    fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(child::NOBODY), Some(child::NOBODY)).unwrap();
    let moved = theirs.join("moved");
    fs::create_dir(&moved).unwrap();
    testkit::set_mode(&moved, 0o777);
    fs::create_dir(moved.join("precious")).unwrap();
    testkit::set_mode(&moved.join("precious"), 0o755);
    fs::write(moved.join("precious/data"), b"root's").unwrap();
    let dir = TempDir::new_in(&parent).unwrap();
    let path = dir.path().to_path_buf();
    fs::remove_dir(&path).unwrap();
    child::as_nobody(|| fs::rename(&moved, &path).unwrap());
    assert_eq!(testkit::mode_of(&path), 0o777);
    let err = dir.close().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    assert!(err.to_string().contains("writable by other users"), "{err}");
    assert_eq!(PathError::find(&err).unwrap().path(), path);
    assert_eq!(fs::read(path.join("precious/data")).unwrap(), b"root's");
}
