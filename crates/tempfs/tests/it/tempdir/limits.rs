//! Trees past every limit: 10,000 levels deep under a 64-descriptor limit
//! and on a 256 KiB stack (std's `remove_dir_all` fails with EMFILE at
//! depth 2,000 under the common 1,024 limit, the `tempfile` crate leaves
//! such a tree on disk, Python hits its recursion limit), and 100,000
//! entries in one directory.
// Not on WASI: forked children with lowered rlimits.
#![cfg(unix)]

use std::fs;

use rustix::fs::{self as rfs, Mode, OFlags};
use tempfs::TempDir;
use testkit::child;

use super::fixtures::{deep_chain, fast_scratch};

const DEPTH: usize = 10_000;

#[test]
fn depth_10000_with_rlimit_nofile_64() {
    let scratch = fast_scratch("deep-nofile");
    child::check(|| {
        child::set_rlimit(libc::RLIMIT_NOFILE, 64);
        let dir = TempDir::new_in(scratch.path()).unwrap();
        deep_chain(dir.path(), DEPTH);
        dir.close().unwrap();
        assert!(scratch.entries().is_empty());
    });
}

#[test]
fn depth_10000_on_a_256_kib_stack() {
    let scratch = fast_scratch("deep-stack");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    deep_chain(dir.path(), DEPTH);
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || dir.close())
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_descriptor_limit_just_above_what_is_open_still_works() {
    // Below the walk's own cache: it must shed cached descriptors when
    // the kernel says EMFILE, and go on.
    let scratch = fast_scratch("emfile");
    child::check(|| {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        deep_chain(dir.path(), 300);
        let open = testkit::open_fds().unwrap() as u64;
        child::set_rlimit(libc::RLIMIT_NOFILE, open + 4);
        dir.close().unwrap();
        assert!(scratch.entries().is_empty());
    });
}

#[test]
fn a_100000_entry_directory() {
    let scratch = fast_scratch("flat");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    let fd = dir.as_dir();
    let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC;
    for i in 0..100_000 {
        drop(rfs::openat(fd, format!("f{i}"), flags, Mode::RUSR).unwrap());
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 100_000);
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}
