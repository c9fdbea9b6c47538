//! `reopen`: a second handle to the very same file, or an error naming the
//! path when the name no longer leads to it.

#![cfg(unix)]

use std::io::{self, Read, Seek, Write};

use tempfs::NamedTempFile;
use testkit::Scratch;
use testkit::child::{self, Outcome};

use crate::file_support::{assert_names, read};

#[test]
fn reopen_gives_an_independent_handle_to_the_same_file() {
    let mut file = NamedTempFile::new().unwrap();
    let mut again = file.reopen().unwrap();
    file.write_all(b"written through one").unwrap();
    let mut back = String::new();
    again.read_to_string(&mut back).unwrap();
    assert_eq!(back, "written through one");
    again.write_all(b", read through both").unwrap();
    file.rewind().unwrap();
    back.clear();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "written through one, read through both");
}

#[test]
fn reopen_refuses_a_file_that_took_the_name() {
    // As if a temporary-file cleaner removed ours and someone else created
    // a file under the same name.
    let scratch = Scratch::new("reopen-replaced");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    std::fs::remove_file(file.path()).unwrap();
    std::fs::write(file.path(), "someone else's").unwrap();
    let err = file.reopen().unwrap_err();
    assert_names(&err, io::ErrorKind::NotFound, file.path());
    assert!(err.to_string().contains("another file"), "{err}");
    assert_eq!(read(file.path()), "someone else's");

    // And a name that is simply gone.
    std::fs::remove_file(file.path()).unwrap();
    let err = file.reopen().unwrap_err();
    assert_names(&err, io::ErrorKind::NotFound, file.path());
}

#[test]
fn reopen_never_follows_a_symlink_even_to_our_own_file() {
    // Our file moved away and a link to it planted at its name: following
    // the link would reach the same inode and pass the identity check, so
    // only O_NOFOLLOW refuses it.
    let scratch = Scratch::new("reopen-link");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    let moved = scratch.join("moved");
    std::fs::rename(file.path(), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, file.path()).unwrap();
    let err = file.reopen().unwrap_err();
    let detail = tempcore::PathError::find(&err).expect("the error names the path");
    assert_eq!(detail.path(), file.path());
    assert_eq!(detail.os_error().raw_os_error(), Some(libc::ELOOP), "{err}");
}

#[test]
fn reopen_of_a_planted_fifo_neither_blocks_nor_succeeds() {
    let scratch = Scratch::new("reopen-fifo");
    let dir = scratch.path();
    let outcome = child::run(|| {
        // A hang would be killed by the alarm and reported as a signal.
        // SAFETY: arming an alarm in this forked child.
        unsafe { libc::alarm(30) };
        let file = NamedTempFile::new_in(dir).unwrap();
        std::fs::remove_file(file.path()).unwrap();
        let name = std::ffi::CString::new(file.path().as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `name` is a valid C string for the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let err = file.reopen().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    });
    assert_eq!(outcome, Outcome::Passed);
}
