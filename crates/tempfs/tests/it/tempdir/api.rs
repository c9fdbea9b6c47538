//! The TempDir and mkdtemp API, on every platform: creation, names, drop,
//! close, cleanup, keep, errors.

use std::fs;
use std::io;
use std::path::Path;

use tempcore::PathError;
use tempfs::{Builder, TempDir};
use testkit::Scratch;

/// A few files and directories inside `dir`.
fn fill(dir: &Path) {
    fs::write(dir.join("a.txt"), b"a").unwrap();
    fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    fs::write(dir.join("sub/deeper/b.txt"), b"b").unwrap();
}

#[test]
fn new_makes_a_directory_in_the_default_place_with_prefix_tmp() {
    let dir = TempDir::new().unwrap();
    assert!(dir.path().is_dir());
    assert!(dir.path().is_absolute());
    assert_eq!(
        dir.path().parent(),
        Some(tempfs::temp_dir().unwrap().as_path())
    );
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("tmp"), "{name}");
    assert_eq!(name.len(), 3 + tempcore::DEFAULT_RAND_LEN);
    assert_eq!(dir.as_ref(), dir.path());
    assert!(format!("{dir:?}").contains(name));
}

#[test]
fn drop_removes_the_directory_and_its_contents() {
    let dir = TempDir::new().unwrap();
    fill(dir.path());
    let path = dir.path().to_path_buf();
    drop(dir);
    assert!(!path.exists());
}

#[test]
fn close_removes_and_reports_success() {
    let scratch = Scratch::new("close");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    fill(dir.path());
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn cleanup_can_be_called_many_times() {
    // Python's test_multiple_close.
    let scratch = Scratch::new("multiple-close");
    let mut dir = TempDir::new_in(scratch.path()).unwrap();
    fill(dir.path());
    dir.cleanup().unwrap();
    assert!(!dir.path().exists());
    dir.cleanup().unwrap();
    dir.cleanup().unwrap();
    dir.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn keep_leaves_the_directory_and_returns_its_path() {
    let scratch = Scratch::new("keep");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    fill(dir.path());
    let path = dir.keep();
    assert!(path.join("sub/deeper/b.txt").is_file());

    #[allow(deprecated, reason = "the old name must keep working")]
    let old = TempDir::new_in(scratch.path()).unwrap().into_path();
    assert!(old.is_dir());
}

#[test]
fn disable_cleanup_keeps_on_drop_but_close_still_removes() {
    let scratch = Scratch::new("disable-cleanup");
    let kept = Builder::new()
        .disable_cleanup(true)
        .tempdir_in(scratch.path())
        .unwrap();
    let kept_path = kept.path().to_path_buf();
    drop(kept);
    assert!(
        kept_path.is_dir(),
        "Builder::disable_cleanup keeps it on drop"
    );

    let mut toggled = TempDir::new_in(scratch.path()).unwrap();
    toggled.disable_cleanup(true);
    let toggled_path = toggled.path().to_path_buf();
    drop(toggled);
    assert!(
        toggled_path.is_dir(),
        "TempDir::disable_cleanup keeps it on drop"
    );

    let closed = Builder::new()
        .disable_cleanup(true)
        .tempdir_in(scratch.path())
        .unwrap();
    let closed_path = closed.path().to_path_buf();
    closed.close().unwrap();
    assert!(!closed_path.exists(), "close removes it regardless");
}

#[test]
fn names_follow_prefix_suffix_and_random_length() {
    let scratch = Scratch::new("names");
    let dir = TempDir::with_prefix_in("pre-", scratch.path()).unwrap();
    assert!(file_name(dir.path()).starts_with("pre-"));
    let dir = TempDir::with_suffix_in(".d", scratch.path()).unwrap();
    assert!(file_name(dir.path()).ends_with(".d"));
    let dir = TempDir::with_prefix("pre-").unwrap();
    assert!(file_name(dir.path()).starts_with("pre-"));
    let dir = TempDir::with_suffix(".d").unwrap();
    assert!(file_name(dir.path()).ends_with(".d"));
    let dir = Builder::new()
        .prefix("x")
        .suffix("y")
        .rand_bytes(20)
        .tempdir_in(scratch.path())
        .unwrap();
    let name = file_name(dir.path());
    assert_eq!(name.len(), 22);
    assert!(
        name[1..21].bytes().all(|b| tempcore::ALPHABET.contains(&b)),
        "{name}"
    );
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_string()
}

#[test]
fn a_separator_in_the_prefix_is_refused_and_nothing_is_made() {
    let scratch = Scratch::new("bad-prefix");
    let err = TempDir::with_prefix_in("a/b", scratch.path()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("prefix"), "{err}");
    let err = Builder::new()
        .suffix("x/")
        .mkdtemp_in(scratch.path())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_missing_parent_is_not_found_naming_it() {
    let scratch = Scratch::new("missing");
    let missing = scratch.join("no-such-dir");
    let err = TempDir::new_in(&missing).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(PathError::find(&err).unwrap().path(), missing);
    let err = Builder::new().mkdtemp_in(&missing).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

#[test]
fn mkdtemp_makes_an_absolute_directory_that_nothing_removes() {
    let path = tempfs::mkdtemp().unwrap();
    assert!(path.is_absolute() && path.is_dir());
    assert!(file_name(&path).starts_with("tmp"));
    fs::remove_dir(&path).unwrap();

    let scratch = Scratch::new("mkdtemp-in");
    let path = Builder::new()
        .prefix("run-")
        .mkdtemp_in(scratch.path())
        .unwrap();
    assert_eq!(path.parent(), Some(scratch.path()));
    assert!(file_name(&path).starts_with("run-"));
    let path = Builder::new().suffix(".x").mkdtemp().unwrap();
    assert!(file_name(&path).ends_with(".x"));
    fs::remove_dir(&path).unwrap();
}

#[test]
fn tempfile_crate_spellings_work() {
    let dir = tempfs::tempdir().unwrap();
    let inner = tempfs::tempdir_in(dir.path()).unwrap();
    assert_eq!(inner.path().parent(), Some(dir.path()));
}

#[test]
fn utf8_path_is_the_same_path() {
    let dir = TempDir::new().unwrap();
    let utf8 = dir
        .utf8_path()
        .expect("the default temporary directory is UTF-8 here");
    assert_eq!(Some(utf8.as_str()), dir.path().to_str());
}

#[test]
fn as_dir_creates_entries_inside() {
    let dir = TempDir::new().unwrap();
    let (file, name) = tempcore::create_file_at(
        dir.as_dir(),
        &mut tempcore::Template::default(),
        &tempcore::FileOptions::new(),
    )
    .unwrap();
    drop(file);
    assert!(dir.path().join(name).is_file());
}

#[test]
fn a_directory_someone_else_removed_closes_fine() {
    // Concurrent deleters are tolerated: the goal, no directory, is met.
    let dir = TempDir::new().unwrap();
    fill(dir.path());
    fs::remove_dir_all(dir.path()).unwrap();
    dir.close().unwrap();

    let mut dir = TempDir::new().unwrap();
    fs::remove_dir(dir.path()).unwrap();
    dir.cleanup().unwrap();
}

/// Makes and removes 200 directories in `dir` every way there is: dropped
/// empty and full, closed, and `mkdtemp` then removed by hand.
pub(super) fn make_and_drop_many(dir: &Path) {
    for i in 0..200 {
        let made = TempDir::new_in(dir).unwrap();
        if i % 2 == 0 {
            fill(made.path());
        }
        if i % 3 == 0 {
            made.close().unwrap();
        }
        let made = Builder::new().mkdtemp_in(dir).unwrap();
        fs::remove_dir(made).unwrap();
    }
}

#[test]
fn creating_and_dropping_many_leaves_no_entries() {
    // The descriptor count is checked, exactly, in a child process on
    // unix (`unix_api.rs`).
    let scratch = Scratch::new("many");
    make_and_drop_many(scratch.path());
    assert!(scratch.entries().is_empty());
}

// Not on WASI: it has no threads, and no processes to re-run a test in
#[cfg(not(target_os = "wasi"))]
mod threads_and_processes {
    use super::*;

    #[test]
    fn relative_parents_give_absolute_paths() {
        // The current directory is process-wide: change it in a fresh process.
        if !testkit::is_rerun() {
            let scratch = Scratch::new("relative");
            fs::create_dir(scratch.join("sub")).unwrap();
            testkit::rerun_self(
                "tempdir::api::threads_and_processes::relative_parents_give_absolute_paths",
                &[],
                &[],
                scratch.path(),
            );
            return;
        }
        let cwd = std::env::current_dir().unwrap();
        let dir = TempDir::new_in("sub").unwrap();
        assert!(dir.path().is_absolute());
        assert_eq!(dir.path().parent(), Some(cwd.join("sub").as_path()));
        let made = Builder::new().mkdtemp_in("sub").unwrap();
        assert!(made.is_absolute() && made.is_dir());
        let here = TempDir::new_in(".").unwrap();
        assert_eq!(here.path().parent(), Some(cwd.as_path()));
    }

    #[test]
    fn tempdir_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<TempDir>();
        let dir = TempDir::new().unwrap();
        let path = dir.path().to_path_buf();
        std::thread::spawn(move || dir.close().unwrap())
            .join()
            .unwrap();
        assert!(!path.exists());
    }
}
