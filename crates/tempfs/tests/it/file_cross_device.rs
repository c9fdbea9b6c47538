//! Persisting onto another file system: a clear `CrossesDevices` error
//! that names the target and says what to do, the file given back, and
//! the opt-in copy that stays atomic for readers.
//!
//! Linux: /dev/shm is a tmpfs, a different file system from the scratch
//! directory (or, when the scratch directory is itself on a tmpfs, a
//! different mount: rename and link refuse both with `EXDEV`).

#![cfg(target_os = "linux")]

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tempfs::{Builder, NamedTempFile, PersistOptions, TempFile};
use testkit::Scratch;

use crate::file_support::{assert_names, read};

/// A fresh directory on another file system than `near`, removed on drop.
struct Foreign {
    path: PathBuf,
}

impl Foreign {
    fn new(near: &Path) -> Foreign {
        let device = std::fs::metadata(near).unwrap().dev();
        let base = ["/dev/shm", "/run", "/var/tmp", "/tmp"]
            .into_iter()
            .map(Path::new)
            .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_dir() && m.dev() != device))
            .expect("a writable directory on another file system (/dev/shm is a tmpfs on Linux)");
        let path = tempcore::create_dir(base, &mut tempcore::Template::default(), 0o700).unwrap();
        Foreign { path }
    }

    fn entries(&self) -> Vec<std::ffi::OsString> {
        testkit::entries(&self.path)
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[track_caller]
fn assert_explains(err: &io::Error, target: &Path) {
    assert_names(err, io::ErrorKind::CrossesDevices, target);
    let message = err.to_string();
    assert!(
        message.contains("another file system") && message.contains("target's directory"),
        "the error should say what to do: {message}"
    );
}

#[test]
fn persist_across_file_systems_explains_and_gives_the_file_back() {
    let scratch = Scratch::new("xdev");
    let foreign = Foreign::new(scratch.path());
    let target = foreign.path.join("target");

    let mut file = TempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"anonymous").unwrap();
    let err = file.persist(&target).unwrap_err();
    assert_explains(&err.error, &target);
    let mut back = String::new();
    let mut file = err.file;
    file.rewind().unwrap();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "anonymous");

    let mut portable = Builder::new();
    portable.o_tmpfile(false);
    let err = portable
        .temp_file_in(scratch.path())
        .unwrap()
        .persist_noclobber(&target)
        .unwrap_err();
    assert_explains(&err.error, &target);
    drop(err);

    let mut named = NamedTempFile::new_in(scratch.path()).unwrap();
    named.write_all(b"named").unwrap();
    let err = named.persist(&target).unwrap_err();
    assert_explains(&err.error, &target);
    assert_eq!(read(err.file.path()), "named");
    let err = err.file.persist_noclobber(&target).unwrap_err();
    assert_explains(&err.error, &target);
    let err = err.file.into_temp_path().persist(&target).unwrap_err();
    assert_explains(&err.error, &target);
    drop(err);

    assert!(foreign.entries().is_empty());
    assert!(scratch.entries().is_empty());
}

#[test]
fn cross_device_errors_name_the_option_that_copies() {
    const OPTION: &str = "PersistOptions::replace().copy_across_devices(true)";
    let scratch = Scratch::new("xdev-hint");
    let foreign = Foreign::new(scratch.path());
    let target = foreign.path.join("target");

    let file = TempFile::new_in(scratch.path()).unwrap();
    let err = file.persist(&target).unwrap_err();
    assert!(err.to_string().contains(OPTION), "{err}");
    let err = err
        .file
        .persist_with(&target, &PersistOptions::no_replace().durable(true))
        .unwrap_err();
    assert!(err.to_string().contains(OPTION), "{err}");
    drop(err);

    let named = NamedTempFile::new_in(scratch.path()).unwrap();
    let err = named.persist_noclobber(&target).unwrap_err();
    assert!(err.to_string().contains(OPTION), "{err}");
    let err = err
        .file
        .persist_with(&target, &PersistOptions::replace())
        .unwrap_err();
    assert!(err.to_string().contains(OPTION), "{err}");
    // A path has no file to copy: no option to name.
    let err = err.file.into_temp_path().persist(&target).unwrap_err();
    assert!(!err.to_string().contains(OPTION), "{err}");
    drop(err);
    assert!(scratch.entries().is_empty());
}

#[test]
fn copy_across_file_systems_when_asked() {
    let scratch = Scratch::new("xdev-copy");
    let foreign = Foreign::new(scratch.path());
    let target = foreign.path.join("target");
    std::fs::write(&target, "old").unwrap();
    let copy = PersistOptions::replace().copy_across_devices(true);

    // A TempFile with unusual permissions and its position mid-file.
    let mut builder = Builder::new();
    builder.permissions(std::fs::Permissions::from_mode(0o640));
    let mut file = builder.temp_file_in(scratch.path()).unwrap();
    file.write_all(b"copied across").unwrap();
    file.seek(SeekFrom::Start(7)).unwrap();
    let mut persisted = file.persist_with(&target, &copy).unwrap();
    let mut rest = String::new();
    persisted.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "across", "the position is kept");
    assert_eq!(read(&target), "copied across");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640 & !current_umask());

    // A NamedTempFile: its own name goes, the copy takes the target.
    let mut named = NamedTempFile::new_in(scratch.path()).unwrap();
    named.write_all(b"named copy").unwrap();
    named.persist_with(&target, &copy.durable(true)).unwrap();
    assert_eq!(read(&target), "named copy");

    // Without replacing, an existing target still wins.
    let named = NamedTempFile::new_in(scratch.path()).unwrap();
    let err = named
        .persist_with(
            &target,
            &PersistOptions::no_replace().copy_across_devices(true),
        )
        .unwrap_err();
    assert_names(&err.error, io::ErrorKind::AlreadyExists, &target);
    drop(err);

    assert_eq!(read(&target), "named copy");
    assert_eq!(foreign.entries(), ["target"], "no staging copy left");
    assert!(scratch.entries().is_empty());
}

/// The umask, read without changing it for longer than a moment.
fn current_umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .expect("Umask in /proc/self/status");
    u32::from_str_radix(line.trim(), 8).unwrap()
}
