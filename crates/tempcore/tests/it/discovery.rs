//! Temp-dir discovery, rule by rule (Python's `gettempdir()`).
//!
//! The environment is process-wide and the test harness is threaded, so
//! each test re-runs itself in a fresh process with exactly the
//! environment it needs (`testkit::rerun_self`); the body under
//! `testkit::is_rerun()` is the real test.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use testkit::{Scratch, is_rerun, rerun_self};

const VARS: [&str; 3] = ["TMPDIR", "TEMP", "TMP"];

fn expected() -> PathBuf {
    PathBuf::from(std::env::var_os("EXPECT").expect("EXPECT is set by the parent"))
}

fn rerun(name: &str, set: &[(&str, &Path)], cwd: &Path) {
    let set: Vec<(&str, &OsStr)> = set.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    rerun_self(&format!("discovery::{name}"), &VARS, &set, cwd);
}

#[test]
fn environment_variables_in_python_order() {
    if is_rerun() {
        return assert_eq!(tempcore::temp_dir().unwrap(), expected());
    }
    let scratch = Scratch::new("disc-order");
    let [a, b, c] = ["a", "b", "c"].map(|n| scratch.join(n));
    for d in [&a, &b, &c] {
        std::fs::create_dir(d).unwrap();
    }
    let name = "environment_variables_in_python_order";
    rerun(
        name,
        &[("TMPDIR", &a), ("TEMP", &b), ("TMP", &c), ("EXPECT", &a)],
        scratch.path(),
    );
    rerun(
        name,
        &[("TEMP", &b), ("TMP", &c), ("EXPECT", &b)],
        scratch.path(),
    );
    rerun(name, &[("TMP", &c), ("EXPECT", &c)], scratch.path());
}

#[test]
fn empty_missing_and_non_directory_values_are_skipped() {
    if is_rerun() {
        return assert_eq!(tempcore::temp_dir().unwrap(), expected());
    }
    let scratch = Scratch::new("disc-skip");
    let good = scratch.join("good");
    std::fs::create_dir(&good).unwrap();
    let file = scratch.join("file");
    std::fs::write(&file, b"").unwrap();
    let name = "empty_missing_and_non_directory_values_are_skipped";
    rerun(
        name,
        &[
            ("TMPDIR", Path::new("")),
            ("TEMP", &good),
            ("EXPECT", &good),
        ],
        scratch.path(),
    );
    rerun(
        name,
        &[
            ("TMPDIR", &scratch.join("nope")),
            ("TMP", &good),
            ("EXPECT", &good),
        ],
        scratch.path(),
    );
    rerun(
        name,
        &[("TMPDIR", &file), ("TEMP", &good), ("EXPECT", &good)],
        scratch.path(),
    );
    assert_eq!(
        testkit::entries(&good),
        Vec::<std::ffi::OsString>::new(),
        "the probe cleaned up"
    );
}

#[test]
fn relative_values_become_absolute_and_normalised() {
    if is_rerun() {
        return assert_eq!(tempcore::temp_dir().unwrap(), expected());
    }
    let scratch = Scratch::new("disc-relative");
    std::fs::create_dir_all(scratch.join("sub/x")).unwrap();
    let name = "relative_values_become_absolute_and_normalised";
    let want = scratch.join("sub");
    rerun(
        name,
        &[("TMPDIR", Path::new("sub/./x/..//")), ("EXPECT", &want)],
        scratch.path(),
    );
}

#[test]
fn unwritable_candidates_are_skipped() {
    if is_rerun() {
        let want = expected();
        // Discovery happens in the unprivileged child, where the first
        // candidate (root's 0755 directory) cannot be written.
        return testkit::child::as_nobody(|| assert_eq!(tempcore::temp_dir().unwrap(), want));
    }
    let scratch = Scratch::new("disc-eacces");
    let (locked, open) = (scratch.join("locked"), scratch.join("open"));
    std::fs::create_dir(&locked).unwrap();
    std::fs::create_dir(&open).unwrap();
    testkit::set_mode(&open, 0o777);
    let name = "unwritable_candidates_are_skipped";
    rerun(
        name,
        &[("TMPDIR", &locked), ("TEMP", &open), ("EXPECT", &open)],
        scratch.path(),
    );
}

#[test]
fn platform_directories_come_before_the_current_directory() {
    if is_rerun() {
        return assert_eq!(tempcore::temp_dir().unwrap(), Path::new("/tmp"));
    }
    let scratch = Scratch::new("disc-platform");
    rerun(
        "platform_directories_come_before_the_current_directory",
        &[],
        scratch.path(),
    );
}

#[cfg(target_os = "linux")]
#[test]
fn current_directory_is_last_and_nothing_usable_is_not_found() {
    use std::path::Path;
    if is_rerun() {
        return testkit::child::check(|| {
            // In a private mount namespace: a writable tmpfs on /tmp with a
            // directory for the current one, then /tmp remounted read-only
            // and a writable tmpfs mounted on that directory. /var/tmp is
            // read-only too: only the current directory is usable.
            testkit::child::private_mount_namespace();
            let cwd = Path::new("/tmp/cwd");
            testkit::child::mount("none", Path::new("/tmp"), "tmpfs", "size=64k");
            std::fs::create_dir(cwd).unwrap();
            testkit::child::remount_read_only(Path::new("/tmp"));
            testkit::child::mount("none", Path::new("/var/tmp"), "tmpfs", "ro,size=16k");
            testkit::child::mount("none", cwd, "tmpfs", "size=64k");
            std::env::set_current_dir(cwd).unwrap();
            assert_eq!(tempcore::temp_dir().unwrap(), cwd);
            // With the current directory read-only too, nothing is usable:
            // NotFound, listing every candidate.
            testkit::child::remount_read_only(cwd);
            tempcore::reset_temp_dir();
            let err = tempcore::temp_dir().unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
            let message = err.to_string();
            for dir in ["\"/tmp\"", "\"/var/tmp\"", "\"/usr/tmp\"", "\"/tmp/cwd\""] {
                assert!(message.contains(dir), "{dir} missing from: {message}");
            }
        });
    }
    let scratch = Scratch::new("disc-cwd");
    rerun(
        "current_directory_is_last_and_nothing_usable_is_not_found",
        &[],
        scratch.path(),
    );
}

#[test]
fn answer_is_cached_until_reset() {
    if is_rerun() {
        let first = expected();
        assert_eq!(tempcore::temp_dir().unwrap(), first);
        let other = first.parent().unwrap().join("other");
        // SAFETY: the re-run process runs this single test on one thread
        // (--test-threads=1); no other thread reads the environment.
        unsafe { std::env::set_var("TMPDIR", &other) };
        assert_eq!(
            tempcore::temp_dir().unwrap(),
            first,
            "cached for the process"
        );
        tempcore::reset_temp_dir();
        assert_eq!(
            tempcore::temp_dir().unwrap(),
            other,
            "rediscovered after reset"
        );
        return;
    }
    let scratch = Scratch::new("disc-cache");
    let (first, other) = (scratch.join("first"), scratch.join("other"));
    std::fs::create_dir(&first).unwrap();
    std::fs::create_dir(&other).unwrap();
    rerun(
        "answer_is_cached_until_reset",
        &[("TMPDIR", &first), ("EXPECT", &first)],
        scratch.path(),
    );
}

#[test]
fn set_temp_dir_overrides_without_probing() {
    if is_rerun() {
        let target = expected();
        // Relative to the current directory, made absolute at once.
        tempcore::set_temp_dir("readonly/.").unwrap();
        assert_eq!(tempcore::temp_dir().unwrap(), target);
        // Not a directory: refused, nothing changed.
        let err = tempcore::set_temp_dir("no-such-dir").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains("no-such-dir"));
        assert_eq!(tempcore::temp_dir().unwrap(), target);
        return;
    }
    let scratch = Scratch::new("disc-override");
    let readonly = scratch.join("readonly");
    std::fs::create_dir(&readonly).unwrap();
    testkit::set_mode(&readonly, 0o555);
    rerun(
        "set_temp_dir_overrides_without_probing",
        &[("EXPECT", &readonly)],
        scratch.path(),
    );
}

#[test]
fn out_of_descriptors_discovery_keeps_the_kind_and_names_every_candidate() {
    if is_rerun() {
        // The first discovery of this process, at the descriptor limit:
        // every candidate fails with EMFILE, which is what the caller must
        // hear (not NotFound), still with the list of what was tried.
        return testkit::child::check(|| {
            let cwd = std::env::current_dir().unwrap();
            let candidates =
                tempcore::temp_dir_candidates(&|var| std::env::var_os(var), Some(&cwd));
            testkit::child::set_rlimit(libc::RLIMIT_NOFILE, 16);
            let mut hold = Vec::new();
            let full = loop {
                match std::fs::File::open("/dev/null") {
                    Ok(file) => hold.push(file),
                    Err(e) => break e,
                }
            };
            assert_eq!(full.raw_os_error(), Some(libc::EMFILE));
            let err = tempcore::temp_dir().unwrap_err();
            assert_eq!(err.kind(), full.kind(), "{err}");
            let os = std::error::Error::source(&err)
                .and_then(|source| source.downcast_ref::<std::io::Error>())
                .map(|os| tempcore::PathError::find(os).map_or(os, |p| p.os_error()));
            assert_eq!(
                os.and_then(std::io::Error::raw_os_error),
                Some(libc::EMFILE),
                "{err}"
            );
            let message = err.to_string();
            for dir in &candidates {
                let dir = dir.to_str().unwrap();
                assert!(message.contains(dir), "{dir} missing from: {message}");
            }
        });
    }
    let scratch = Scratch::new("disc-emfile");
    let first = scratch.join("first");
    std::fs::create_dir(&first).unwrap();
    rerun(
        "out_of_descriptors_discovery_keeps_the_kind_and_names_every_candidate",
        &[("TMPDIR", &first)],
        scratch.path(),
    );
}
