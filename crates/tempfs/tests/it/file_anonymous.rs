//! Anonymous files (`tempfile()`, `TempFile`): no entry while open, gone
//! with the process even under SIGKILL, private, and ordinary files
//! otherwise.

// Not on WASI: modes, children killed by `SIGKILL`.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::PermissionsExt;

use tempfs::{Builder, NamedTempFile, TempFile};
use testkit::Scratch;
use testkit::child::{self, Outcome};

/// Both ways to an anonymous file: `O_TMPFILE` and the portable path every
/// other platform takes.
fn builders() -> [Builder; 2] {
    let mut portable = Builder::new();
    portable.o_tmpfile(false);
    [Builder::new(), portable]
}

#[test]
fn directory_is_empty_while_the_file_is_open() {
    let scratch = Scratch::new("anon-empty");
    let mut open = Vec::new();
    for builder in builders() {
        open.push(builder.anonymous_in(scratch.path()).unwrap());
    }
    open.push(tempfs::tempfile_in(scratch.path()).unwrap());
    let linkable = TempFile::new_in(scratch.path()).unwrap();
    for file in &mut open {
        file.write_all(b"invisible").unwrap();
    }
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
    drop(linkable);
}

#[test]
fn parent_directory_can_be_removed_while_the_file_is_open() {
    // Python's test_has_no_name.
    let scratch = Scratch::new("anon-rmdir");
    for builder in builders() {
        let dir = scratch.join("parent");
        std::fs::create_dir(&dir).unwrap();
        let mut file = builder.anonymous_in(&dir).unwrap();
        let mut linkable = TempFile::new_in(&dir).unwrap();
        std::fs::remove_dir(&dir).expect("the directory holds no entry");
        file.write_all(b"still here").unwrap();
        file.rewind().unwrap();
        let mut back = String::new();
        file.read_to_string(&mut back).unwrap();
        assert_eq!(back, "still here");
        linkable.write_all(b"also").unwrap();
    }
}

#[test]
fn sigkill_leaves_nothing_behind() {
    let scratch = Scratch::new("anon-kill");
    let dir = scratch.path().to_path_buf();
    let outcome = child::run(|| {
        let mut held = Vec::new();
        for builder in builders() {
            let mut file = builder.anonymous_in(&dir).unwrap();
            file.write_all(&[7; 4096]).unwrap();
            held.push(file);
        }
        let mut linkable = TempFile::new_in(&dir).unwrap();
        linkable.write_all(&[7; 4096]).unwrap();
        // SAFETY: killing this (forked, single-threaded) child.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        unreachable!("SIGKILL cannot be caught");
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGKILL));
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());

    // The check can see litter: a named file in the same situation stays.
    let outcome = child::run(|| {
        let file = NamedTempFile::new_in(&dir).unwrap();
        // SAFETY: as above.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        drop(file);
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGKILL));
    assert_eq!(scratch.entries().len(), 1);
}

#[test]
fn files_are_0600() {
    let scratch = Scratch::new("anon-mode");
    let mut files = vec![
        tempfs::tempfile_in(scratch.path()).unwrap(),
        TempFile::new_in(scratch.path()).unwrap().into_file(),
        NamedTempFile::new_in(scratch.path()).unwrap().into_file(),
        tempfs::mkstemp()
            .map(|(f, p)| {
                std::fs::remove_file(p).unwrap();
                f
            })
            .unwrap(),
    ];
    for builder in builders() {
        files.push(builder.anonymous_in(scratch.path()).unwrap());
        files.push(builder.temp_file_in(scratch.path()).unwrap().into_file());
    }
    for file in &files {
        let mode = file.metadata().unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600, "{file:?}");
    }
}

#[test]
fn umask_zero_still_gives_0600_and_permissions_are_honoured() {
    let scratch = Scratch::new("anon-umask");
    let dir = scratch.path().to_path_buf();
    child::check(move || {
        // SAFETY: setting this forked child's umask.
        unsafe { libc::umask(0) };
        let mode = |f: &std::fs::File| f.metadata().unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&tempfs::tempfile_in(&dir).unwrap()), 0o600);
        assert_eq!(mode(TempFile::new_in(&dir).unwrap().as_file()), 0o600);
        assert_eq!(mode(NamedTempFile::new_in(&dir).unwrap().as_file()), 0o600);
        let mut custom = Builder::new();
        custom.permissions(std::fs::Permissions::from_mode(0o640));
        assert_eq!(mode(custom.tempfile_in(&dir).unwrap().as_file()), 0o640);
        assert_eq!(mode(custom.temp_file_in(&dir).unwrap().as_file()), 0o640);
        assert_eq!(mode(&custom.anonymous_in(&dir).unwrap()), 0o640);
    });
}

#[test]
fn temp_file_reads_writes_and_seeks_through_shared_references() {
    let mut file = TempFile::new().unwrap();
    file.write_all(b"Some data").unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"Some data");

    let shared = &file;
    let mut writer = shared;
    writer.write_all(b"\nfirst\nsecond\n").unwrap();
    let mut reader = shared;
    reader.rewind().unwrap();
    let lines: Vec<String> = BufReader::new(reader).lines().map(Result::unwrap).collect();
    assert_eq!(lines, ["Some data", "first", "second"]);

    assert_eq!(file.as_fd().as_raw_fd(), file.as_raw_fd());
    assert_eq!(file.as_raw_fd(), file.as_file().as_raw_fd());
}

#[test]
fn into_file_removes_a_staged_name_and_keeps_the_data() {
    let scratch = Scratch::new("anon-into-file");
    for builder in builders() {
        let mut file = builder.temp_file_in(scratch.path()).unwrap();
        file.write_all(b"data").unwrap();
        let mut open = file.into_file();
        assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
        open.rewind().unwrap();
        let mut back = String::new();
        open.read_to_string(&mut back).unwrap();
        assert_eq!(back, "data");
    }
}

#[test]
fn portable_temp_file_is_hidden_until_persisted_and_removed_on_drop() {
    // Where O_TMPFILE is unavailable a TempFile has a random name until it
    // is persisted or dropped; both must leave no trace of it.
    let scratch = Scratch::new("anon-staged");
    let mut portable = Builder::new();
    portable.o_tmpfile(false);
    let file = portable.temp_file_in(scratch.path()).unwrap();
    assert_eq!(scratch.entries().len(), 1, "staged under a name");
    drop(file);
    assert!(scratch.entries().is_empty());
}
