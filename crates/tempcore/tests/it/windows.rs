//! Windows: privacy by access list, delete-on-close anonymous files,
//! removal of open and read-only entries, planted names, handles that do
//! not pin their directory, and Python's discovery candidates.
//!
//! Under Wine: access lists are synthesised from the unix mode bits (so
//! SYSTEM is always listed, and inheritance is not shown), symbolic links
//! and junctions cannot be made, and POSIX delete semantics are missing;
//! the tests below hold there and on Windows (see `docs/platforms.md`).

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::path::Path;

use tempcore::{DIR_MODE, Dir, FileOptions, NameSource, Template};
use testkit::Scratch;
use testkit::windows::{allowed_trustees, current_user_sid};

/// Names handed out in order: plants something at the very name a
/// creator tries first.
struct Names(VecDeque<OsString>);

impl NameSource for Names {
    fn next_name(&mut self) -> io::Result<OsString> {
        self.0
            .pop_front()
            .ok_or_else(|| io::Error::other("the names ran out"))
    }

    fn attempts(&self) -> u32 {
        self.0.len() as u32
    }
}

fn names(list: &[&str]) -> Names {
    Names(list.iter().map(OsString::from).collect())
}

/// Asserts that only the current user (and SYSTEM, which Wine lists for
/// every file) may open `path`.
#[track_caller]
fn assert_private(path: &Path) {
    let user = current_user_sid();
    let trustees = allowed_trustees(path);
    assert!(
        trustees.contains(&user),
        "the owner must have access to {}: {trustees:?}",
        path.display()
    );
    let others: Vec<_> = trustees
        .iter()
        .filter(|t| **t != user && *t != "SY")
        .collect();
    assert!(
        others.is_empty(),
        "{} is open to {others:?} too",
        path.display()
    );
}

/// Asserts that someone besides the user may open `path`: the premise of
/// the privacy tests (a private result proves nothing where everything is
/// private anyway).
#[track_caller]
fn assert_shared(path: &Path) {
    let user = current_user_sid();
    let trustees = allowed_trustees(path);
    assert!(
        trustees.iter().any(|t| *t != user && t != "SY"),
        "{} lets only the user in: {trustees:?}",
        path.display()
    );
}

#[test]
fn files_and_directories_are_private_to_the_user() {
    let scratch = Scratch::new("win-private");
    // What the directory gives a new entry by default: others get in.
    std::fs::create_dir(scratch.join("inherited")).unwrap();
    std::fs::write(scratch.join("inherited.txt"), b"x").unwrap();
    assert_shared(&scratch.join("inherited"));
    assert_shared(&scratch.join("inherited.txt"));

    let dir = tempcore::create_dir(scratch.path(), &mut Template::default(), DIR_MODE).unwrap();
    assert_private(&dir);
    let (file, path) = tempcore::create_file(
        scratch.path(),
        &mut Template::default(),
        &FileOptions::new(),
    )
    .unwrap();
    drop(file);
    assert_private(&path);

    // A mode that shares asks for the directory's access list.
    let (file, shared) = tempcore::create_file(
        scratch.path(),
        &mut Template::default(),
        &FileOptions::new().mode(0o644),
    )
    .unwrap();
    drop(file);
    assert_shared(&shared);
    let shared_dir = tempcore::create_dir(scratch.path(), &mut Template::default(), 0o755).unwrap();
    assert_shared(&shared_dir);
}

#[test]
fn a_mode_without_the_owner_write_bit_is_a_read_only_file_that_still_goes() {
    let scratch = Scratch::new("win-readonly-mode");
    let dir = Dir::open(scratch.path()).unwrap();
    let opts = FileOptions::new().mode(0o400);
    let (mut file, name) = tempcore::create_file_at(&dir, &mut Template::default(), &opts).unwrap();
    // The handle that created it may write; the file is read-only after.
    file.write_all(b"sealed").unwrap();
    drop(file);
    let path = scratch.join(&name);
    // (Windows then refuses to open it for writing; Wine run as root, as
    // here, leaves that to the unix permissions, which root ignores.)
    assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
    tempcore::remove_file_at(&dir, &name).unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn read_only_files_and_directories_are_removed_as_unlink_would() {
    let scratch = Scratch::new("win-readonly");
    let dir = Dir::open(scratch.path()).unwrap();
    std::fs::write(scratch.join("file"), b"x").unwrap();
    std::fs::create_dir(scratch.join("dir")).unwrap();
    for name in ["file", "dir"] {
        let mut permissions = std::fs::metadata(scratch.join(name)).unwrap().permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(scratch.join(name), permissions).unwrap();
    }
    // What plain Win32 deletion says about a read-only file.
    assert!(std::fs::remove_file(scratch.join("file")).is_err());
    tempcore::remove_file_at(&dir, "file").unwrap();
    tempcore::remove_dir_at(&dir, "dir").unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn anonymous_files_are_shared_with_nobody_and_go_when_closed() {
    let scratch = Scratch::new("win-anonymous");
    let mut file = tempcore::anonymous_file(
        scratch.path(),
        &mut Template::default(),
        &FileOptions::new(),
    )
    .unwrap();
    file.write_all(b"secret").unwrap();
    // Delete-on-close keeps the name listed while the file is open...
    let listed = scratch.entries();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let path = scratch.join(&listed[0]);
    // ...but nobody can open it, whatever sharing they offer.
    for share in [0, 7] {
        let err = OpenOptions::new()
            .read(true)
            .share_mode(share)
            .open(&path)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(32), "sharing violation: {err}");
    }
    drop(file);
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_process_killed_with_an_anonymous_file_open_leaves_nothing() {
    const DIR: &str = "TEMPKIT_ANONYMOUS_KILLED_DIR";
    if let Some(dir) = std::env::var_os(DIR) {
        // The child: makes an anonymous file, says so, and dies with it
        // open, running no destructor.
        let file =
            tempcore::anonymous_file(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
        println!("created");
        io::stdout().flush().unwrap();
        std::mem::forget(file);
        std::process::abort();
    }
    let scratch = Scratch::new("win-anonymous-killed");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "windows::a_process_killed_with_an_anonymous_file_open_leaves_nothing",
            "--exact",
            "--nocapture",
        ])
        .env(DIR, scratch.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the child was to abort");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("created"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}

#[test]
fn removal_frees_the_name_at_once_even_while_the_file_is_open() {
    let scratch = Scratch::new("win-remove-open");
    let dir = Dir::open(scratch.path()).unwrap();
    std::fs::write(scratch.join("busy"), b"old").unwrap();
    let reader = std::fs::File::open(scratch.join("busy")).unwrap();
    tempcore::remove_file_at(&dir, "busy").unwrap();
    // The name is free: a new file can take it at once.
    assert!(!scratch.join("busy").exists());
    std::fs::write(scratch.join("busy"), b"new").unwrap();
    drop(reader);
    // Whatever the removed file became while open, it is gone now.
    assert_eq!(scratch.entries(), ["busy"]);
    assert_eq!(std::fs::read(scratch.join("busy")).unwrap(), b"new");
}

#[test]
fn planted_files_and_directories_are_skipped_never_opened() {
    let scratch = Scratch::new("win-planted");
    std::fs::write(scratch.join("planted-file"), b"victim").unwrap();
    std::fs::create_dir(scratch.join("planted-dir")).unwrap();
    let dir = Dir::open(scratch.path()).unwrap();
    let mut source = names(&["planted-file", "planted-dir", "fresh"]);
    let (mut file, name) =
        tempcore::create_file_at(&dir, &mut source, &FileOptions::new()).unwrap();
    assert_eq!(name, "fresh");
    file.write_all(b"ours").unwrap();
    assert_eq!(
        std::fs::read(scratch.join("planted-file")).unwrap(),
        b"victim"
    );
    let mut source = names(&["planted-file", "planted-dir", "fresh-dir"]);
    let made = tempcore::create_dir_at(&dir, &mut source, DIR_MODE).unwrap();
    assert_eq!(made, "fresh-dir");
}

#[test]
fn names_windows_would_read_differently_are_refused() {
    // A colon would name an alternate data stream of another file.
    let err = Template::new("a:b", "", 8).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("stream"), "{err}");
    // A trailing dot or space is dropped from Win32 paths.
    let scratch = Scratch::new("win-names");
    for suffix in [".", " "] {
        let err = tempcore::create_file(
            scratch.path(),
            &mut Template::new("tmp", suffix, 8).unwrap(),
            &FileOptions::new(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains(&*scratch.path().to_string_lossy()));
    }
    // Characters the file system refuses end the attempts at once.
    let mut counting = names(&["a*b", "never-tried"]);
    let dir = Dir::open(scratch.path()).unwrap();
    let err = tempcore::create_file_at(&dir, &mut counting, &FileOptions::new()).unwrap_err();
    assert_ne!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    assert_eq!(counting.0.len(), 1, "no second name was tried");
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_directory_handle_does_not_pin_its_directory() {
    let scratch = Scratch::new("win-dir-handle");
    std::fs::create_dir(scratch.join("a")).unwrap();
    let dir = Dir::open(scratch.join("a")).unwrap();
    // Shared for deletion, like a unix descriptor: it can be renamed...
    std::fs::rename(scratch.join("a"), scratch.join("b")).unwrap();
    // ...and entries made through the handle land where it now is.
    let (file, name) =
        tempcore::create_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    drop(file);
    assert!(scratch.join("b").join(&name).is_file());
    drop(dir);
    // (Removing through the handle too would be the unix test; Wine
    // removes by the path it remembers, which the rename made stale.)
    std::fs::remove_file(scratch.join("b").join(&name)).unwrap();
    // And removed while open.
    let dir = Dir::open(scratch.join("b")).unwrap();
    std::fs::remove_dir(scratch.join("b")).unwrap();
    drop(dir);
    assert!(scratch.entries().is_empty());
}

#[test]
fn renaming_without_replacing_refuses_a_directory_too() {
    let scratch = Scratch::new("win-rename-dir");
    std::fs::write(scratch.join("file"), b"x").unwrap();
    std::fs::create_dir(scratch.join("taken")).unwrap();
    let dir = Dir::open(scratch.path()).unwrap();
    let err = tempcore::rename_at(&dir, "file", &dir, "taken", false).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("taken"), "{err}");
    assert_eq!(scratch.entries(), ["file", "taken"]);
}

#[test]
fn discovery_tries_the_users_temp_after_the_environment() {
    // Run again in a fresh process whose environment names no temporary
    // directory but has a profile with an AppData\Local\Temp.
    if !testkit::is_rerun() {
        let scratch = Scratch::new("win-discovery");
        let temp = scratch.join(r"profile\AppData\Local\Temp");
        std::fs::create_dir_all(&temp).unwrap();
        testkit::rerun_self(
            "windows::discovery_tries_the_users_temp_after_the_environment",
            &["TMPDIR", "TEMP", "TMP"],
            &[("USERPROFILE", scratch.join("profile").as_os_str())],
            scratch.path(),
        );
        return;
    }
    let profile = std::env::var_os("USERPROFILE").unwrap();
    let want = Path::new(&profile).join(r"AppData\Local\Temp");
    assert_eq!(tempcore::temp_dir().unwrap(), want);
    // Then %SYSTEMROOT%\Temp, c:\temp, c:\tmp, \temp, \tmp (on the current
    // drive), and the current directory last.
    let root = std::env::var_os("SYSTEMROOT").unwrap();
    let cwd = Path::new(r"D:\work");
    let list: Vec<String> = tempcore::temp_dir_candidates(&|v| std::env::var_os(v), Some(cwd))
        .iter()
        .map(|p| p.to_string_lossy().to_lowercase())
        .collect();
    let expected: Vec<String> = [
        want.as_os_str(),
        Path::new(&root).join("Temp").as_os_str(),
        OsStr::new(r"c:\temp"),
        OsStr::new(r"c:\tmp"),
        OsStr::new(r"d:\temp"),
        OsStr::new(r"d:\tmp"),
        OsStr::new(r"d:\work"),
    ]
    .iter()
    .map(|p| p.to_string_lossy().to_lowercase())
    .collect();
    assert_eq!(list, expected);
}
