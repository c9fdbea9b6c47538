//! Windows: the system removes temporary files itself when their handles
//! close, also when the process is killed ("Windows: deleted by the
//! system" in `docs/platforms.md`).
//!
//! A `TempFile`'s staged name has a delete disposition from its creation
//! (every Windows, and Wine). A `NamedTempFile` is created deleting on
//! close only where the system can clear that flag again
//! (`FileDispositionInformationEx(FILE_DISPOSITION_ON_CLOSE)`, Windows 10
//! 1709 and later; not Wine 8, where the fallback runs: no flag, so that
//! kept and persisted files survive). The tests ask `testkit` which one
//! this is and assert what each promises.

#![cfg(windows)]

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tempfs::{Builder, NamedTempFile, Retention, TempFile};
use testkit::Scratch;
use testkit::windows::{delete_on_close_can_be_cleared, pending_deletion_refuses_opens};

use crate::file_support::read;

/// Where the killed child makes its files.
const CHILD_DIR: &str = "TEMPKIT_ON_CLOSE_CHILD_DIR";

/// `FILE_SHARE_READ | FILE_SHARE_WRITE`: what many programs offer, not
/// deletion.
const SHARE_READ_WRITE: u32 = 3;

/// The names in `dir` that start with `prefix`.
fn starting_with(entries: &[OsString], prefix: &str) -> usize {
    entries
        .iter()
        .filter(|e| e.to_string_lossy().starts_with(prefix))
        .count()
}

/// The child of [`a_killed_process_leaves_only_what_was_kept`]: makes
/// every kind of file in `dir`, says so, and waits to be killed (at most
/// a minute, so that a parent that failed first leaves no process
/// behind).
fn child(dir: &Path) -> ! {
    let mut held: Vec<Box<dyn std::any::Any>> = Vec::new();
    for _ in 0..3 {
        let mut file = NamedTempFile::with_prefix_in("named-", dir).unwrap();
        file.write_all(b"named").unwrap();
        held.push(Box::new(file));
    }
    let reopened = NamedTempFile::with_prefix_in("reopened-", dir).unwrap();
    held.push(Box::new(reopened.reopen().unwrap()));
    held.push(Box::new(reopened));
    let mut draft = TempFile::new_in(dir).unwrap();
    draft.write_all(b"draft").unwrap();
    held.push(Box::new(draft));

    let mut kept = NamedTempFile::with_prefix_in("kept-", dir).unwrap();
    kept.write_all(b"kept").unwrap();
    held.push(Box::new(kept.keep().unwrap().0));
    let mut persisted = NamedTempFile::new_in(dir).unwrap();
    persisted.write_all(b"persisted").unwrap();
    held.push(Box::new(persisted.persist(dir.join("persisted")).unwrap()));
    let mut linked = TempFile::new_in(dir).unwrap();
    linked.write_all(b"linked").unwrap();
    held.push(Box::new(linked.persist(dir.join("linked")).unwrap()));
    // A failed persist sets the delete disposition again.
    let refused = TempFile::new_in(dir).unwrap();
    let refused = refused.persist_noclobber(dir.join("linked")).unwrap_err();
    held.push(Box::new(refused.file));
    let mut disabled = Builder::new()
        .prefix("disabled-")
        .disable_cleanup(true)
        .tempfile_in(dir)
        .unwrap();
    disabled.write_all(b"disabled").unwrap();
    held.push(Box::new(disabled));
    let mut late = NamedTempFile::with_prefix_in("late-", dir).unwrap();
    late.write_all(b"late").unwrap();
    late.disable_cleanup(true);
    held.push(Box::new(late));
    // A policy that may keep it: a kill is a failure too.
    let retained = Builder::new()
        .prefix("retained-")
        .retention(Retention::Panic)
        .tempfile_in(dir)
        .unwrap();
    held.push(Box::new(retained));
    held.push(Box::new(
        NamedTempFile::with_prefix_in("path-", dir)
            .unwrap()
            .into_temp_path(),
    ));

    println!("ready");
    io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(60));
    std::process::exit(3);
}

#[test]
fn a_killed_process_leaves_only_what_was_kept() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        child(Path::new(&dir));
    }
    let scratch = Scratch::new("win-on-close-killed");
    let mut running = Command::new(std::env::current_exe().unwrap())
        .args([
            "windows_on_close::a_killed_process_leaves_only_what_was_kept",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, scratch.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(running.stdout.take().unwrap());
    let mut said = Vec::new();
    for line in out.lines() {
        let line = line.unwrap();
        // After libtest's "test ... " on the same line.
        let ready = line.ends_with("ready");
        said.push(line);
        if ready {
            break;
        }
    }
    // TerminateProcess: no destructor runs.
    running.kill().unwrap();
    running.wait().unwrap();
    assert!(
        said.last().is_some_and(|l| l.ends_with("ready")),
        "{said:?}"
    );

    let entries = scratch.entries();
    // What was kept, persisted, or handed over as a path (a `TempPath`
    // holds no handle, so the system cannot remove it) stays.
    for name in ["persisted", "linked"] {
        assert_eq!(read(&scratch.join(name)), name, "{entries:?}");
    }
    for prefix in ["kept-", "disabled-", "late-", "retained-", "path-"] {
        assert_eq!(starting_with(&entries, prefix), 1, "{prefix}: {entries:?}");
    }
    // The staged `TempFile`s went with their handles, everywhere.
    assert_eq!(starting_with(&entries, ".tmp"), 0, "{entries:?}");
    // Named files went too where the system can delete them on close;
    // elsewhere (Wine) they are left, as on unix.
    let left = if delete_on_close_can_be_cleared() {
        0
    } else {
        3
    };
    assert_eq!(starting_with(&entries, "named-"), left, "{entries:?}");
    assert_eq!(
        starting_with(&entries, "reopened-"),
        left / 3,
        "{entries:?}"
    );
    assert_eq!(entries.len(), 7 + left + left / 3, "{entries:?}");
}

#[test]
fn kept_persisted_and_disabled_named_files_outlive_their_handles() {
    let scratch = Scratch::new("win-on-close-kept");
    let mut kept = NamedTempFile::with_prefix_in("kept-", scratch.path()).unwrap();
    kept.write_all(b"kept").unwrap();
    let (file, kept) = kept.keep().unwrap();
    drop(file);
    assert_eq!(read(&kept), "kept");

    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"persisted").unwrap();
    drop(file.persist(scratch.join("persisted")).unwrap());
    assert_eq!(read(&scratch.join("persisted")), "persisted");

    let mut file = NamedTempFile::with_prefix_in("disabled-", scratch.path()).unwrap();
    file.write_all(b"disabled").unwrap();
    file.disable_cleanup(true);
    let disabled = file.path().to_path_buf();
    drop(file);
    assert_eq!(read(&disabled), "disabled");

    // Kept by its retention policy (Builder::report_kept(false): no line).
    let retained = Builder::new()
        .prefix("retained-")
        .retention(Retention::Always)
        .report_kept(false)
        .tempfile_in(scratch.path())
        .unwrap();
    let path = retained.path().to_path_buf();
    drop(retained);
    assert!(path.exists());

    // A failed persist leaves the file as it was: removed with its handle.
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    let err = file.persist_noclobber(&kept).unwrap_err();
    assert_eq!(err.error.kind(), io::ErrorKind::AlreadyExists);
    let path = err.file.path().to_path_buf();
    drop(err);
    assert!(!path.exists());

    // Handed over as a path: the file lives until the `TempPath` goes,
    // and others may open it without sharing deletion.
    let mut file = NamedTempFile::with_prefix_in("path-", scratch.path()).unwrap();
    file.write_all(b"path").unwrap();
    let path = file.into_temp_path();
    let opened = OpenOptions::new()
        .read(true)
        .share_mode(SHARE_READ_WRITE)
        .open(&path)
        .unwrap();
    drop(opened);
    assert_eq!(read(&path), "path");
    let shown = path.to_path_buf();
    drop(path);
    assert!(!shown.exists());

    let mut left = scratch.entries();
    left.sort();
    assert_eq!(left.len(), 4, "{left:?}");
}

#[test]
fn reopening_works_while_the_file_deletes_on_close() {
    let scratch = Scratch::new("win-on-close-reopen");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"written once").unwrap();
    let mut again = file.reopen().unwrap();
    let mut back = String::new();
    again.read_to_string(&mut back).unwrap();
    assert_eq!(back, "written once");
    // std shares deletion: others opening it that way get in.
    assert_eq!(read(file.path()), "written once");
    // An opener that does not share deletion is refused while the file
    // deletes on close (Python's `O_TEMPORARY` files are the same).
    let strict = OpenOptions::new()
        .read(true)
        .share_mode(SHARE_READ_WRITE)
        .open(file.path());
    if delete_on_close_can_be_cleared() {
        assert_eq!(strict.unwrap_err().raw_os_error(), Some(32));
    } else {
        drop(strict.unwrap());
    }
    // The reopened handle outlives the `NamedTempFile`; the file goes
    // when it closes.
    drop(file);
    again.rewind().unwrap();
    again.write_all(b"still open").unwrap();
    drop(again);
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}

#[test]
fn a_staged_temp_file_cannot_be_opened_and_goes_with_its_handle() {
    let scratch = Scratch::new("win-on-close-staged");
    let mut draft = TempFile::new_in(scratch.path()).unwrap();
    draft.write_all(b"private").unwrap();
    let listed = scratch.entries();
    assert_eq!(listed.len(), 1, "{listed:?}");
    // Pending deletion: nobody opens it, even sharing everything (Wine 8
    // lets them).
    let opened = File::open(scratch.join(&listed[0]));
    if pending_deletion_refuses_opens() {
        let err = opened.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    } else {
        drop(opened.unwrap());
    }
    // Still the writer's: it reads and writes as before.
    draft.rewind().unwrap();
    let mut back = String::new();
    draft.read_to_string(&mut back).unwrap();
    assert_eq!(back, "private");
    drop(draft);
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());

    // Given up as an anonymous file: the same.
    let mut file = TempFile::new_in(scratch.path()).unwrap().into_file();
    file.write_all(b"anonymous").unwrap();
    drop(file);
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}

#[test]
fn a_failed_persist_of_a_temp_file_leaves_it_pending_deletion() {
    let scratch = Scratch::new("win-on-close-persist");
    let target = scratch.join("target");
    std::fs::write(&target, b"old").unwrap();
    let mut draft = TempFile::new_in(scratch.path()).unwrap();
    draft.write_all(b"new").unwrap();
    let err = draft.persist_noclobber(&target).unwrap_err();
    assert_eq!(err.error.kind(), io::ErrorKind::AlreadyExists);
    let draft = err.file;
    let staged: Vec<_> = scratch
        .entries()
        .into_iter()
        .filter(|e| e != "target")
        .collect();
    assert_eq!(staged.len(), 1);
    // The disposition is set again (what Wine cannot show, the killed
    // child does).
    let reopened = File::open(scratch.join(&staged[0]));
    if pending_deletion_refuses_opens() {
        let err = reopened.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    } else {
        drop(reopened.unwrap());
    }
    // It persists once the way is free, and stays.
    std::fs::remove_file(&target).unwrap();
    let file = draft.persist(&target).unwrap();
    drop(file);
    assert_eq!(read(&target), "new");
    assert_eq!(scratch.entries(), ["target"]);
}
