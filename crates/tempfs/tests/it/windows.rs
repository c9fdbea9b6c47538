//! Windows: delete-on-close, reopening, persisting over an existing or
//! open file, privacy, and `TempDir` cleanup of read-only entries, entries
//! held open elsewhere, long paths and a moved directory.
//!
//! The tests hold under Wine and on Windows alike; where the two differ
//! (POSIX delete and rename semantics, which Wine lacks) they assert what
//! each system promises, asking `testkit` which one this is.

#![cfg(windows)]

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::path::Path;

use tempfs::{Builder, NamedTempFile, TempDir, TempFile};
use testkit::Scratch;
use testkit::windows::{allowed_trustees, current_user_sid};

use crate::file_support::read;

/// `FILE_SHARE_READ`: other opens may read, not write or delete.
const SHARE_READ: u32 = 1;

/// Asserts that only the current user (and SYSTEM, which Wine lists for
/// every file) may open `path`.
#[track_caller]
fn assert_private(path: &Path) {
    let user = current_user_sid();
    let trustees = allowed_trustees(path);
    assert!(trustees.contains(&user), "{}: {trustees:?}", path.display());
    assert!(
        trustees.iter().all(|t| *t == user || t == "SY"),
        "{} is open to others: {trustees:?}",
        path.display()
    );
}

#[test]
fn named_files_and_temporary_directories_are_private() {
    let scratch = Scratch::new("win-fs-private");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    assert_private(file.path());
    let dir = TempDir::new_in(scratch.path()).unwrap();
    assert_private(dir.path());
    let (kept, path) = tempfs::mkstemp().unwrap();
    drop(kept);
    assert_private(&path);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn an_anonymous_file_cannot_be_opened_and_goes_when_closed() {
    let scratch = Scratch::new("win-fs-anonymous");
    let mut file = tempfs::tempfile_in(scratch.path()).unwrap();
    file.write_all(b"scratch").unwrap();
    let listed = scratch.entries();
    assert_eq!(listed.len(), 1, "delete-on-close keeps a name while open");
    let err = File::open(scratch.join(&listed[0])).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(32), "a sharing violation: {err}");
    file.rewind().unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "scratch");
    drop(file);
    assert!(scratch.entries().is_empty());
}

#[test]
fn reopen_is_an_independent_handle_and_refuses_a_substitute() {
    let scratch = Scratch::new("win-fs-reopen");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"shared data").unwrap();
    let mut again = file.reopen().unwrap();
    let mut back = String::new();
    again.read_to_string(&mut back).unwrap();
    assert_eq!(back, "shared data", "its own position, at the start");
    assert_eq!(file.as_file_mut().stream_position().unwrap(), 11);
    drop(again);

    // Ours moved away, another file took the name: never handed out.
    let path = file.path().to_path_buf();
    std::fs::rename(&path, scratch.join("moved")).unwrap();
    std::fs::write(&path, b"a stranger's file").unwrap();
    let err = file.reopen().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    assert_eq!(read(&path), "a stranger's file");
}

#[test]
fn persist_replaces_an_existing_file_and_noclobber_refuses_it() {
    let scratch = Scratch::new("win-fs-persist");
    let target = scratch.join("target.txt");
    std::fs::write(&target, b"old").unwrap();
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"new").unwrap();
    let err = file.persist_noclobber(&target).unwrap_err();
    assert_eq!(err.error.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(read(&target), "old");
    // The open handle survives the rename and writes to the new name.
    let mut kept = err.file.persist(&target).unwrap();
    kept.write_all(b"er").unwrap();
    assert_eq!(read(&target), "newer");
    drop(kept);
    let mut draft = TempFile::new_in(scratch.path()).unwrap();
    draft.write_all(b"newest").unwrap();
    draft.persist(&target).unwrap();
    assert_eq!(read(&target), "newest");
    assert_eq!(scratch.entries(), ["target.txt"]);
}

#[test]
fn persisting_over_a_file_someone_has_open() {
    let scratch = Scratch::new("win-fs-persist-open");
    let target = scratch.join("target");
    std::fs::write(&target, b"old").unwrap();
    let mut reader = File::open(&target).unwrap();
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"new").unwrap();
    match file.persist(&target) {
        Ok(_) => {
            // POSIX rename semantics: replaced while open, as on unix; the
            // reader keeps the old file.
            assert!(testkit::replacing_open_files_works());
            let mut old = String::new();
            reader.read_to_string(&mut old).unwrap();
            assert_eq!(old, "old");
            assert_eq!(read(&target), "new");
        }
        Err(err) => {
            // Without them (Wine, older Windows): refused, nothing changed,
            // the file given back, and it persists once the reader lets go.
            assert!(!testkit::replacing_open_files_works(), "{}", err.error);
            assert_eq!(err.error.kind(), io::ErrorKind::PermissionDenied);
            assert_eq!(read(&target), "old");
            drop(reader);
            err.file.persist(&target).unwrap();
            assert_eq!(read(&target), "new");
        }
    }
    assert_eq!(scratch.entries(), ["target"]);
}

#[test]
fn a_read_only_named_file_is_still_removed() {
    let scratch = Scratch::new("win-fs-readonly-file");
    let mut readonly = std::fs::metadata(scratch.path()).unwrap().permissions();
    readonly.set_readonly(true);
    let mut file = Builder::new()
        .permissions(readonly)
        .tempfile_in(scratch.path())
        .unwrap();
    file.write_all(b"written by the creating handle").unwrap();
    let path = file.path().to_path_buf();
    assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
    file.close().unwrap();
    assert!(scratch.entries().is_empty());
}

/// Makes `dir` read-only (the attribute), as a checkout or an archive
/// extraction leaves files.
fn set_read_only(path: &Path) {
    let mut permissions = std::fs::metadata(path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(path, permissions).unwrap();
}

#[test]
fn a_tree_of_read_only_files_and_directories_is_removed() {
    let scratch = Scratch::new("win-fs-readonly-tree");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    for sub in ["a", r"a\b", "c"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        for n in 0..3 {
            let file = dir.path().join(sub).join(format!("f{n}"));
            std::fs::write(&file, b"x").unwrap();
            set_read_only(&file);
        }
    }
    set_read_only(&dir.path().join(r"a\b"));
    set_read_only(&dir.path().join("c"));
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_file_held_open_elsewhere_is_retried_then_reported_and_removed_once_closed() {
    let scratch = Scratch::new("win-fs-held");
    let mut dir = TempDir::new_in(scratch.path()).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("free"), b"x").unwrap();
    let held = dir.path().join(r"sub\held");
    std::fs::write(&held, b"x").unwrap();
    // Opened without FILE_SHARE_DELETE: no one may delete it while open,
    // whatever the semantics.
    let holder = OpenOptions::new()
        .read(true)
        .share_mode(SHARE_READ)
        .open(&held)
        .unwrap();
    let err = dir.cleanup().unwrap_err();
    assert!(err.to_string().contains(&*held.to_string_lossy()), "{err}");
    // Everything else went.
    assert!(!dir.path().join("free").exists());
    assert!(dir.path().exists());
    drop(holder);
    dir.cleanup().unwrap();
    assert!(!dir.path().exists());
    drop(dir);
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_file_open_but_shared_for_deletion_does_not_keep_the_tree() {
    let scratch = Scratch::new("win-fs-shared");
    let mut dir = TempDir::new_in(scratch.path()).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let open = dir.path().join(r"sub\open");
    std::fs::write(&open, b"x").unwrap();
    // std opens with FILE_SHARE_DELETE: deletion is allowed.
    let reader = File::open(&open).unwrap();
    let first = dir.cleanup();
    if testkit::removal_is_immediate() {
        // POSIX semantics: the whole tree goes now.
        first.unwrap();
        assert!(!dir.path().exists());
    } else {
        // Without them the file only goes when closed, so its directory
        // cannot: retried, then reported, naming it.
        let err = first.unwrap_err();
        assert!(err.to_string().contains("sub"), "{err}");
    }
    drop(reader);
    dir.cleanup().unwrap();
    assert!(!dir.path().exists());
    drop(dir);
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_tree_deeper_than_max_path_is_removed_through_handles() {
    let scratch = Scratch::new("win-fs-deep");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    // 120 levels of 20 characters: 2,500 characters of path, far past
    // MAX_PATH (260), built and removed relative to handles only.
    let name = "level-with-long-name";
    let mut level = tempcore::Dir::open(dir.path()).unwrap();
    for _ in 0..120 {
        let mut names = tempcore::Template::new(name, "", 0).unwrap();
        tempcore::create_dir_at(&level, &mut names, tempcore::DIR_MODE).unwrap();
        level = tempcore::Dir::open_at(&level, name).unwrap();
    }
    let (file, _) = tempcore::create_file_at(
        &level,
        &mut tempcore::Template::default(),
        &tempcore::FileOptions::new(),
    )
    .unwrap();
    drop(file);
    drop(level);
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_moved_temporary_directory_is_left_alone() {
    let scratch = Scratch::new("win-fs-moved");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    std::fs::write(dir.path().join("ours"), b"x").unwrap();
    let path = dir.path().to_path_buf();
    std::fs::rename(&path, scratch.join("moved")).unwrap();
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("canary"), b"theirs").unwrap();
    let err = dir.close().unwrap_err();
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    assert_eq!(read(&path.join("canary")), "theirs");
    assert_eq!(read(&scratch.join(r"moved\ours")), "x");
}
