//! Safe save on Windows: the access list a save gives the file (the
//! replaced file's, or what `File::create` gives a new one, or private
//! when asked), and the bounded retry while another process holds the
//! target open without sharing delete.

#![cfg(windows)]

use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::fs::OpenOptionsExt;
use std::time::Duration;

use tempfs::{AtomicFile, write_atomic};
use testkit::Scratch;
use testkit::windows::{allowed_trustees, current_user_sid};

use crate::file_support::read;

/// `FILE_SHARE_READ`: other opens may read, not write or delete.
const SHARE_READ: u32 = 1;

#[test]
fn a_save_gets_the_access_list_file_create_gives_not_a_private_one() {
    let scratch = Scratch::new("win-atomic-acl");
    let created = scratch.join("created");
    File::create(&created).unwrap();
    let saved = scratch.join("saved");
    write_atomic(&saved, b"new").unwrap();
    assert_eq!(allowed_trustees(&saved), allowed_trustees(&created));
    // A replacing save keeps the replaced file's list.
    write_atomic(&created, b"replaced").unwrap();
    assert_eq!(allowed_trustees(&created), allowed_trustees(&saved));
    assert_eq!(read(&created), "replaced");
    // Asked to, a save is private to the current user.
    AtomicFile::options()
        .private()
        .write(&saved, b"private")
        .unwrap();
    let user = current_user_sid();
    let trustees = allowed_trustees(&saved);
    assert!(
        trustees.iter().all(|t| *t == user || t == "SY"),
        "{trustees:?}"
    );
    assert_eq!(scratch.entries(), ["created", "saved"]);
}

#[test]
fn a_target_held_open_is_retried_when_asked_and_each_attempt_is_reported() {
    let scratch = Scratch::new("win-atomic-retry");
    let target = scratch.join("target");
    std::fs::write(&target, b"old").unwrap();
    let holder = OpenOptions::new()
        .read(true)
        .share_mode(SHARE_READ)
        .open(&target)
        .unwrap();

    let err = write_atomic(&target, b"new").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    assert!(
        !err.to_string().contains("attempts"),
        "no retry unasked: {err}"
    );
    assert_eq!(read(&target), "old");

    let err = AtomicFile::options()
        .retry_sharing_violations(Duration::from_millis(30))
        .write(&target, b"new")
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    let message = err.to_string();
    assert!(message.contains("attempt 1 at 0 ms"), "{message}");
    assert!(message.contains("attempt 2 at"), "{message}");
    assert!(message.contains(&*target.to_string_lossy()), "{message}");
    assert_eq!(read(&target), "old");
    assert_eq!(scratch.entries(), ["target"]);

    std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(holder);
        });
        AtomicFile::options()
            .retry_sharing_violations(Duration::from_secs(60))
            .write(&target, b"new")
            .unwrap();
    });
    assert_eq!(read(&target), "new");
    assert_eq!(scratch.entries(), ["target"]);
}
