//! Permission errors, as an unprivileged user (tests run as root, which
//! ignores permissions: each test drops to `nobody` in a forked child).

use std::io;

use tempcore::{Dir, FileOptions, Template, create_dir_at, create_file_at};
use testkit::Scratch;

use crate::support::Counting;

#[test]
fn unwritable_directory_is_permission_denied_at_once() {
    let scratch = Scratch::new("eacces");
    // 0755, owned by root: nobody may search but not write.
    testkit::child::as_nobody(|| {
        let dir = Dir::open(scratch.path()).unwrap();
        for make_dir in [false, true] {
            let mut names = Counting {
                inner: Template::default(),
                drawn: 0,
            };
            let err = if make_dir {
                create_dir_at(&dir, &mut names, 0o700).unwrap_err()
            } else {
                create_file_at(&dir, &mut names, &FileOptions::new()).unwrap_err()
            };
            assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
            assert_eq!(names.drawn, 1, "no retry loop on EACCES");
            assert!(
                err.to_string().contains(scratch.path().to_str().unwrap()),
                "{err}"
            );
        }
        let err = tempcore::anonymous_file_at(&dir, &mut Template::default(), &FileOptions::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    });
    assert!(scratch.entries().is_empty());
}

#[test]
fn unsearchable_directory_is_permission_denied_naming_it() {
    let scratch = Scratch::new("no-search");
    let locked = scratch.join("locked");
    std::fs::create_dir(&locked).unwrap();
    testkit::set_mode(&locked, 0o700);
    testkit::child::as_nobody(|| {
        // Linux opens base directories O_PATH, which needs no permission on
        // the directory itself; the creation inside is what fails.
        let err = tempcore::create_file(&locked, &mut Template::default(), &FileOptions::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("locked"), "{err}");
    });
    assert!(testkit::entries(&locked).is_empty());
}

#[test]
fn created_files_are_private_to_their_owner() {
    let scratch = Scratch::new("private");
    testkit::set_mode(scratch.path(), 0o777);
    let made = scratch.join("made-by-root");
    let dir = Dir::open(scratch.path()).unwrap();
    let (_file, name) =
        create_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    std::fs::rename(scratch.join(&name), &made).unwrap();
    let sub = create_dir_at(&dir, &mut Template::default(), tempcore::DIR_MODE).unwrap();
    let sub = scratch.join(sub);
    testkit::child::as_nobody(|| {
        let err = std::fs::File::open(&made).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::PermissionDenied,
            "0600 keeps others out"
        );
        let err = std::fs::read_dir(&sub).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::PermissionDenied,
            "0700 keeps others out"
        );
    });
}
