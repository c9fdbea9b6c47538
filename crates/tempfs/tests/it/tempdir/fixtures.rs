//! Trees, canaries and privileges for the TempDir tests.
// Not on WASI: what the unix-only modules share (modes, children).
#![cfg(unix)]

use std::ffi::CString;
use std::fs;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, Mode, OFlags};
use testkit::Scratch;
use testkit::child::NOBODY;

/// Python's `do_create(recurse, dirs, files)`: `files` files in `dir`,
/// and `dirs` subdirectories, each built the same way `depth - 1` levels
/// down.
pub(crate) fn build_tree(dir: &Path, depth: usize, dirs: usize, files: usize) {
    for f in 0..files {
        fs::write(dir.join(format!("f{f}")), b"data").unwrap();
    }
    if depth > 0 {
        for d in 0..dirs {
            let sub = dir.join(format!("d{d}"));
            fs::create_dir(&sub).unwrap();
            build_tree(&sub, depth - 1, dirs, files);
        }
    }
}

/// Sets the mode of every file and directory under `root`, and of `root`,
/// deepest first (as Python's `test_modes` does); never follows a symlink.
pub(crate) fn chmod_tree(root: &Path, mode: u32) {
    let meta = fs::symlink_metadata(root).unwrap();
    if meta.file_type().is_symlink() {
        return;
    }
    if meta.is_dir() {
        for entry in fs::read_dir(root).unwrap() {
            chmod_tree(&entry.unwrap().path(), mode);
        }
    }
    fs::set_permissions(root, fs::Permissions::from_mode(mode)).unwrap();
}

/// A scratch directory on a tmpfs (`/dev/shm`) where there is one, for
/// tests that make tens of thousands of entries: the ext4 under this
/// machine's /tmp takes up to a millisecond per new inode, tmpfs a few
/// microseconds. Elsewhere, the default scratch directory.
pub(crate) fn fast_scratch(label: &str) -> Scratch {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        Scratch::new_in(shm, label)
    } else {
        Scratch::new(label)
    }
}

/// A scratch directory that `nobody` owns, for tests that drop privileges.
pub(crate) fn nobody_scratch(label: &str) -> Scratch {
    let scratch = Scratch::new(label);
    std::os::unix::fs::chown(scratch.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    scratch
}

/// Files and a subdirectory (with a file) that must survive: the
/// canaries of a test. Returns every path planted.
pub(crate) fn plant_canaries(dir: &Path) -> Vec<PathBuf> {
    let mut planted = Vec::new();
    for i in 0..5 {
        let path = dir.join(format!("canary{i}"));
        fs::write(&path, format!("canary {i}")).unwrap();
        planted.push(path);
    }
    let nested = dir.join("nested");
    fs::create_dir(&nested).unwrap();
    fs::write(nested.join("canary"), b"nested canary").unwrap();
    planted.push(nested.join("canary"));
    planted.push(nested);
    planted
}

/// Panics unless every canary is still there.
pub(crate) fn assert_canaries(planted: &[PathBuf]) {
    for path in planted {
        assert!(
            fs::symlink_metadata(path).is_ok(),
            "canary {} was removed",
            path.display()
        );
    }
}

/// A symlink at `link` pointing to `target`.
pub(crate) fn link(target: &Path, link: &Path) {
    symlink(target, link).unwrap();
}

/// The permission bits of `path` itself.
pub(crate) fn mode(path: &Path) -> u32 {
    testkit::mode_of(path)
}

/// Makes a chain of `depth` directories named `d` under `top` (with a file
/// in every hundredth), through descriptors: a path that long would be
/// past `PATH_MAX`.
pub(crate) fn deep_chain(top: &Path, depth: usize) {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir: OwnedFd = rfs::open(top, flags, Mode::empty()).unwrap();
    for level in 0..depth {
        rfs::mkdirat(&dir, "d", Mode::RWXU).unwrap();
        if level % 100 == 0 {
            let file = rfs::openat(
                &dir,
                "file",
                OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
                Mode::RUSR | Mode::WUSR,
            )
            .unwrap();
            drop(file);
        }
        dir = rfs::openat(&dir, "d", flags, Mode::empty()).unwrap();
    }
}

/// `path` as a C string, for `libc` calls.
pub(crate) fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}
