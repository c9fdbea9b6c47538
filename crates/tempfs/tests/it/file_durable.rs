//! Durable persists really flush: in a forked child a seccomp filter makes
//! `fsync`/`fdatasync` fail with `EDOM`, an errno no real sync returns. A
//! durable persist must then fail with exactly that errno (so it made the
//! call), while a plain persist under the same filter succeeds (so it
//! made none). A second filter spares the file's own descriptor, so only
//! the directory sync fails: that proves the directory is synced too.

#![cfg(target_os = "linux")]

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use tempcore::PathError;
use tempfs::{NamedTempFile, TempFile};
use testkit::Scratch;
use testkit::child;
use testkit::seccomp::fail_syscalls;

const SYNCS: [libc::c_long; 2] = [libc::SYS_fsync, libc::SYS_fdatasync];

/// Asserts that `err` is the injected `EDOM`, about `path`, while `doing`.
#[track_caller]
fn assert_injected(err: &io::Error, doing: &str, path: &Path) {
    let detail = PathError::find(err).unwrap_or_else(|| panic!("no path in {err}"));
    assert_eq!(detail.os_error().raw_os_error(), Some(libc::EDOM), "{err}");
    assert!(detail.action().contains(doing), "{err}");
    assert_eq!(detail.path(), path, "{err}");
}

#[test]
fn durable_persist_syncs_the_data_and_plain_persist_does_not() {
    let scratch = Scratch::new("durable-data");
    let dir = scratch.path();
    child::check(|| {
        let target = dir.join("target");
        let mut file = TempFile::new_in(dir).unwrap();
        file.write_all(b"data").unwrap();
        let mut named = NamedTempFile::new_in(dir).unwrap();
        named.write_all(b"named").unwrap();

        fail_syscalls(&SYNCS, libc::EDOM, None);

        let err = file.persist_durable(&target).unwrap_err();
        assert_injected(&err.error, "syncing the data", &target);
        assert!(!target.exists(), "nothing is named before the data is safe");
        err.file
            .persist(&target)
            .expect("a plain persist makes no sync");
        assert_eq!(std::fs::read(&target).unwrap(), b"data");

        let err = named.persist_durable(&target).unwrap_err();
        assert_injected(&err.error, "syncing the data", &target);
        assert_eq!(std::fs::read(&target).unwrap(), b"data", "unchanged");
        err.file
            .persist(&target)
            .expect("a plain persist makes no sync");
        assert_eq!(std::fs::read(&target).unwrap(), b"named");
    });
    assert_eq!(scratch.entries(), ["target"]);
}

#[test]
fn durable_persist_syncs_the_target_directory() {
    let scratch = Scratch::new("durable-dir");
    let dir = scratch.path();
    child::check(|| {
        let target = dir.join("target");
        let mut file = TempFile::new_in(dir).unwrap();
        file.write_all(b"data").unwrap();
        fail_syscalls(&SYNCS, libc::EDOM, Some(file.as_raw_fd() as u32));
        let err = file.persist_durable(&target).unwrap_err();
        assert_injected(&err.error, "syncing the directory", dir);
        // The name was given before the directory sync failed.
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
    });
    child::check(|| {
        let target = dir.join("target");
        let mut named = NamedTempFile::new_in(dir).unwrap();
        named.write_all(b"named").unwrap();
        fail_syscalls(&SYNCS, libc::EDOM, Some(named.as_raw_fd() as u32));
        let err = named.persist_durable(&target).unwrap_err();
        assert_injected(&err.error, "syncing the directory", dir);
        // The file has its new name; what comes back is at that name and
        // no longer cleaned up.
        assert_eq!(err.file.path(), target);
        drop(err);
        assert_eq!(std::fs::read(&target).unwrap(), b"named");
        assert_eq!(testkit::entries(dir), ["target"]);
    });
}
