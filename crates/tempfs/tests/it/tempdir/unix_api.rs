//! Unix specifics of TempDir and mkdtemp: modes, the descriptor, non-UTF-8
//! names, and what a creation failure leaves behind.
// Not on WASI: modes, non-UTF-8 names, forked children.
#![cfg(unix)]

use std::ffi::OsStr;
use std::fs::Permissions;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use rustix::fs::{self as rfs, Mode, OFlags};
use tempfs::{Builder, TempDir};
use testkit::Scratch;
use testkit::child;

use super::fixtures::{mode, nobody_scratch};

#[test]
fn directories_are_0700_even_with_umask_0() {
    child::check(|| {
        rustix::process::umask(Mode::empty());
        let dir = TempDir::new().unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        let made = tempfs::mkdtemp().unwrap();
        assert_eq!(mode(&made), 0o700);
        std::fs::remove_dir(made).unwrap();
    });
    let dir = TempDir::new().unwrap();
    assert_eq!(mode(dir.path()), 0o700);
}

#[test]
fn builder_permissions_apply_to_directories() {
    let scratch = Scratch::new("dir-permissions");
    child::check(|| {
        rustix::process::umask(Mode::empty());
        let dir = Builder::new()
            .permissions(Permissions::from_mode(0o750))
            .tempdir_in(scratch.path())
            .unwrap();
        assert_eq!(mode(dir.path()), 0o750);
        let made = Builder::new()
            .permissions(Permissions::from_mode(0o711))
            .mkdtemp_in(scratch.path())
            .unwrap();
        assert_eq!(mode(&made), 0o711);
    });
}

#[test]
fn a_mode_that_denies_the_owner_reading_works_or_is_refused_leaving_nothing() {
    // Root may read anything: the difference only shows for a plain user.
    let scratch = nobody_scratch("unreadable-mode");
    child::as_nobody(|| {
        let made = Builder::new()
            .permissions(Permissions::from_mode(0o300))
            .tempdir_in(scratch.path());
        if cfg!(any(target_os = "linux", target_os = "android")) {
            // An O_PATH handle needs no read permission: the directory is
            // usable through it, and cleanup, which must list it, first
            // repairs its mode through that handle.
            let dir = made.unwrap();
            assert_eq!(mode(dir.path()), 0o300);
            let (file, _) = tempcore::create_file_at(
                dir.as_dir(),
                &mut tempcore::Template::default(),
                &tempcore::FileOptions::new(),
            )
            .unwrap();
            drop(file);
            dir.close().unwrap();
            // Even a mode that denies the owner everything.
            let dir = Builder::new()
                .permissions(Permissions::from_mode(0o000))
                .tempdir_in(scratch.path())
                .unwrap();
            assert_eq!(mode(dir.path()), 0o000);
            dir.close().unwrap();
        } else {
            // A read-only handle cannot be opened on it.
            assert_eq!(made.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        }
        assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
    });
}

#[test]
fn the_descriptor_is_the_directory() {
    let dir = TempDir::new().unwrap();
    let file = rfs::openat(
        dir.as_fd(),
        "made-through-fd",
        OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::RUSR | Mode::WUSR,
    )
    .unwrap();
    drop(file);
    assert!(dir.path().join("made-through-fd").is_file());
}

#[test]
fn the_descriptor_is_close_on_exec() {
    let dir = TempDir::new().unwrap();
    let flags = rustix::io::fcntl_getfd(dir.as_fd()).unwrap();
    assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
}

#[test]
fn a_non_utf8_name_has_no_utf8_path() {
    let scratch = Scratch::new("non-utf8");
    let dir = TempDir::with_prefix_in(OsStr::from_bytes(b"bad\xff-"), scratch.path()).unwrap();
    assert!(dir.utf8_path().is_none());
    assert!(dir.path().is_dir());
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn creating_and_dropping_leaks_no_descriptors() {
    // Counted in a child process, where no other test opens descriptors,
    // so the count must come back exactly.
    let scratch = Scratch::new("fd-leak");
    child::check(|| {
        // Warm up the name generator.
        drop(TempDir::new_in(scratch.path()).unwrap());
        let before = testkit::open_fds().expect("/proc/self/fd or /dev/fd");
        super::api::make_and_drop_many(scratch.path());
        assert_eq!(testkit::open_fds(), Some(before), "descriptors leaked");
    });
    assert!(scratch.entries().is_empty());
}
