//! Permissions, tested as `nobody` in a forked child (the tests run as
//! root, which ignores file modes): files are private to their owner, an
//! unwritable directory is a clear error, `close` reports the removal
//! error that drop swallows, and linking an anonymous file works without
//! root's capabilities.

// Not on WASI: modes, children as `nobody`.
#![cfg(unix)]

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfs::{Builder, NamedTempFile, TempFile};
use testkit::child::{NOBODY, as_nobody};
use testkit::{Scratch, set_mode};

use crate::file_support::{assert_names, read};

/// A directory inside `scratch` owned by `nobody`, mode 0700.
fn nobodys_dir(scratch: &Scratch, name: &str) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
    set_mode(&dir, 0o700);
    dir
}

#[test]
fn other_users_cannot_open_our_files() {
    let scratch = Scratch::new("perm-private");
    let mut named = NamedTempFile::new_in(scratch.path()).unwrap();
    named.write_all(b"secret").unwrap();
    let (file, kept) = Builder::new().mkstemp_in(scratch.path()).unwrap();
    drop(file);
    let persisted = scratch.join("persisted");
    TempFile::new_in(scratch.path())
        .unwrap()
        .persist(&persisted)
        .unwrap();
    let paths = [named.path().to_path_buf(), kept, persisted];
    as_nobody(|| {
        for path in &paths {
            let err = std::fs::File::open(path).unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::PermissionDenied,
                "{}",
                path.display()
            );
        }
    });
    for path in &paths {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

#[test]
fn an_unwritable_directory_is_permission_denied_naming_it() {
    let scratch = Scratch::new("perm-unwritable");
    let dir = scratch.path();
    as_nobody(|| {
        let builder = Builder::new();
        let mut portable = Builder::new();
        portable.o_tmpfile(false);
        for err in [
            tempfs::tempfile_in(dir).unwrap_err(),
            portable.anonymous_in(dir).unwrap_err(),
            TempFile::new_in(dir).unwrap_err(),
            portable.temp_file_in(dir).unwrap_err(),
            NamedTempFile::new_in(dir).unwrap_err(),
            builder.mkstemp_in(dir).unwrap_err(),
            builder
                .make_in(dir, |p| std::fs::File::create_new(p))
                .unwrap_err(),
        ] {
            assert_names(&err, io::ErrorKind::PermissionDenied, dir);
        }
    });
    assert!(scratch.entries().is_empty());
}

#[test]
fn close_reports_the_removal_error_that_drop_swallows() {
    let scratch = Scratch::new("perm-close");
    let dir = nobodys_dir(&scratch, "mine");
    as_nobody(|| {
        let file = NamedTempFile::new_in(&dir).unwrap();
        let dropped = NamedTempFile::new_in(&dir).unwrap();
        let path = NamedTempFile::new_in(&dir).unwrap().into_temp_path();
        set_mode(&dir, 0o500);
        let name = file.path().to_path_buf();
        let err = file.close().unwrap_err();
        assert_names(&err, io::ErrorKind::PermissionDenied, &name);
        let err = path.close().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
        drop(dropped); // swallowed: no panic, and the file stays
        set_mode(&dir, 0o700);
        assert_eq!(testkit::entries(&dir).len(), 3);
    });
}

#[test]
fn persist_into_an_unwritable_directory_names_the_target() {
    let scratch = Scratch::new("perm-persist");
    let dir = nobodys_dir(&scratch, "mine");
    let target = scratch.join("not-mine");
    as_nobody(|| {
        let mut named = NamedTempFile::new_in(&dir).unwrap();
        named.write_all(b"kept").unwrap();
        let err = named.persist(&target).unwrap_err();
        assert_names(&err.error, io::ErrorKind::PermissionDenied, &target);
        assert_eq!(read(err.file.path()), "kept");

        let err = TempFile::new_in(&dir)
            .unwrap()
            .persist(&target)
            .unwrap_err();
        assert_names(&err.error, io::ErrorKind::PermissionDenied, &target);
    });
    assert!(!target.exists());
    assert!(testkit::entries(&dir).is_empty());
}

#[test]
fn an_unprivileged_user_can_persist_an_anonymous_file() {
    // Linking an O_TMPFILE file by descriptor (AT_EMPTY_PATH) needs
    // CAP_DAC_READ_SEARCH, which root has: only a test as another user
    // shows that persisting works for everyone.
    let scratch = Scratch::new("perm-link");
    let dir = nobodys_dir(&scratch, "mine");
    as_nobody(|| {
        for target in ["replaced", "fresh"] {
            let target: &Path = &dir.join(target);
            let mut file = TempFile::new_in(&dir).unwrap();
            file.write_all(b"linked").unwrap();
            file.persist_noclobber(target).unwrap();
            let mut file = TempFile::new_in(&dir).unwrap();
            file.write_all(b"replaced").unwrap();
            file.persist(target).unwrap();
            assert_eq!(read(target), "replaced");
        }
    });
    assert_eq!(testkit::entries(&dir), ["fresh", "replaced"]);
}
