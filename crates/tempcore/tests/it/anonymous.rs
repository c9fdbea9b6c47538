//! Anonymous files: no name while open, on every path to one.

use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use tempcore::{Dir, FileOptions, Template, anonymous_file_at};
use testkit::Scratch;

fn round_trip(file: &mut std::fs::File) {
    file.write_all(b"Some data").unwrap();
    file.rewind().unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "Some data");
}

#[test]
fn o_tmpfile_leaves_no_entry() {
    let scratch = Scratch::new("anon");
    let dir = Dir::open(scratch.path()).unwrap();
    let mut file = anonymous_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    assert!(scratch.entries().is_empty());
    round_trip(&mut file);
    assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(file.metadata().unwrap().nlink(), 0, "no name at all");
}

#[test]
fn forced_fallback_leaves_no_entry() {
    let scratch = Scratch::new("anon-fallback");
    let dir = Dir::open(scratch.path()).unwrap();
    let opts = FileOptions::new().tmpfile(false);
    let mut names = crate::support::Counting {
        inner: Template::default(),
        drawn: 0,
    };
    let mut file = anonymous_file_at(&dir, &mut names, &opts).unwrap();
    assert_eq!(names.drawn, 1, "the fallback went through a named file");
    assert!(scratch.entries().is_empty());
    assert_eq!(file.metadata().unwrap().nlink(), 0);
    round_trip(&mut file);
}

#[test]
fn killed_process_leaves_nothing() {
    let scratch = Scratch::new("anon-kill");
    let outcome = testkit::child::run(|| {
        let dir = Dir::open(scratch.path()).unwrap();
        let mut file =
            anonymous_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
        file.write_all(&[7; 4096]).unwrap();
        // SAFETY: the child kills itself mid-use of the file.
        unsafe { libc::raise(libc::SIGKILL) };
    });
    assert_eq!(outcome, testkit::child::Outcome::Signaled(libc::SIGKILL));
    assert!(scratch.entries().is_empty());
}

#[test]
fn missing_directory_is_not_found_naming_it() {
    let scratch = Scratch::new("anon-missing");
    let missing = scratch.join("gone");
    let err = tempcore::anonymous_file(&missing, &mut Template::default(), &FileOptions::new())
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("gone"), "{err}");
}

#[test]
fn removed_directory_reports_instead_of_retrying() {
    let scratch = Scratch::new("anon-removed");
    let sub = scratch.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let dir = Dir::open(&sub).unwrap();
    std::fs::remove_dir(&sub).unwrap();
    let mut names = crate::support::Counting {
        inner: Template::default(),
        drawn: 0,
    };
    let err = anonymous_file_at(&dir, &mut names, &FileOptions::new()).unwrap_err();
    // The kernel's own answer passes through (ext4 says EPERM to O_TMPFILE
    // and ENOENT to a create in a removed directory); it is never turned
    // into a retry loop or an AlreadyExists.
    assert_ne!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(names.drawn <= 1, "drew {} names", names.drawn);
    assert_eq!(
        tempcore::PathError::find(&err).unwrap().path(),
        sub.as_path()
    );
}
