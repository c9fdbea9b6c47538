//! Retention (`Retention`, `TEMPKIT_KEEP`, the `kept` line) and the
//! per-test scratch directories of `tempfs::testing`.
//!
//! Whatever panics, reads the environment or has to be seen on standard
//! error runs in a child: this test binary started again for one `child_*`
//! test (which does nothing in the parent), with `TMPDIR` at a scratch
//! directory of its own that the parent inspects and then removes.

// Not on WASI: catching panics (a panic aborts there), forked children.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use tempfs::testing::RUN_PREFIX;
use tempfs::{Builder, NamedTempFile, Retention, TempDir};
use testkit::Scratch;

/// What a child said and how it ended.
struct Child {
    passed: bool,
    stderr: String,
}

impl Child {
    /// The lines of standard error that start with `kept`.
    fn kept(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| line.starts_with("kept"))
            .collect()
    }
}

/// Runs `retain::{test}` in a new process of this binary, with `TMPDIR` at
/// `tmpdir`, none of the variables the code under test reads, and `env`.
fn run_child(test: &str, tmpdir: &Path, env: &[(&str, &str)]) -> Child {
    let name = format!("retain::{test}");
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([&name, "--exact", "--nocapture", "--test-threads=1"])
        .env("TMPDIR", tmpdir)
        .env(testkit::CHILD_ENV, &name);
    for var in [
        tempfs::KEEP_VAR,
        tempfs::testing::RUNS_VAR,
        "NEXTEST_RUN_ID",
        "CHILD_FAILS",
    ] {
        command.env_remove(var);
    }
    for (var, value) in env {
        command.env(var, value);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    Child {
        passed: out.status.success() && stdout.contains("1 passed"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The names in `dir` that start with `prefix`, sorted.
fn starting_with(dir: &Path, prefix: &str) -> Vec<String> {
    testkit::entries(dir)
        .into_iter()
        .map(|name| name.into_string().unwrap())
        .filter(|name| name.starts_with(prefix))
        .collect()
}

#[test]
fn a_normal_drop_removes_whatever_the_policy_but_always() {
    let scratch = Scratch::new("retain-normal");
    let mut builder = Builder::new();
    builder.report_kept(false);
    for policy in [Retention::Never, Retention::Panic] {
        builder.retention(policy);
        let file = builder.tempfile_in(scratch.path()).unwrap();
        let path = builder
            .tempfile_in(scratch.path())
            .unwrap()
            .into_temp_path();
        let dir = builder.tempdir_in(scratch.path()).unwrap();
        std::fs::write(dir.path().join("inside"), b"x").unwrap();
        let unnamed = builder.temp_file_in(scratch.path()).unwrap();
        let staged = builder
            .clone()
            .o_tmpfile(false)
            .temp_file_in(scratch.path())
            .unwrap();
        drop((file, path, dir, unnamed, staged));
        assert!(scratch.entries().is_empty(), "{policy:?}");
    }
    builder.retention(Retention::Always);
    let file = builder.tempfile_in(scratch.path()).unwrap();
    let dir = builder.tempdir_in(scratch.path()).unwrap();
    let (file_path, dir_path) = (file.path().to_path_buf(), dir.path().to_path_buf());
    drop((file, dir));
    assert!(file_path.is_file() && dir_path.is_dir());
}

#[test]
fn close_and_keep_are_not_reported() {
    let scratch = Scratch::new("retain-explicit");
    let mut builder = Builder::new();
    builder.retention(Retention::Always);
    // close removes even what the policy would keep.
    builder.tempdir_in(scratch.path()).unwrap().close().unwrap();
    builder
        .tempfile_in(scratch.path())
        .unwrap()
        .close()
        .unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn child_panics_holding_objects() {
    if !testkit::is_rerun() {
        return;
    }
    let mut panic = Builder::new();
    panic.retention(Retention::Panic);
    let file = panic.prefix("file-").tempfile().unwrap();
    let path = panic.prefix("path-").tempfile().unwrap().into_temp_path();
    let dir = panic.prefix("dir-").tempdir().unwrap();
    std::fs::write(dir.path().join("evidence"), b"x").unwrap();
    let quiet = panic
        .prefix("quiet-")
        .report_kept(false)
        .tempfile()
        .unwrap();
    let plain = Builder::new().prefix("plain-").tempdir().unwrap();
    let _all = (file, path, dir, quiet, plain);
    panic!("the test fails");
}

#[test]
fn a_drop_during_a_panic_keeps_and_reports() {
    let scratch = Scratch::new("retain-panic");
    let child = run_child("child_panics_holding_objects", scratch.path(), &[]);
    assert!(!child.passed, "{}", child.stderr);
    let names = starting_with(scratch.path(), "");
    assert_eq!(names.len(), 4, "{names:?}");
    for (name, prefix) in names.iter().zip(["dir-", "file-", "path-", "quiet-"]) {
        assert!(name.starts_with(prefix), "{names:?}");
    }
    assert!(scratch.join(&names[0]).join("evidence").is_file());
    let mut kept = child.kept();
    kept.sort();
    let expected: Vec<String> = names[..3]
        .iter()
        .map(|name| format!("kept after a panic: {}", scratch.join(name).display()))
        .collect();
    assert_eq!(kept, expected, "{}", child.stderr);
}

#[test]
fn child_panics_holding_temp_files() {
    if !testkit::is_rerun() {
        return;
    }
    use std::io::Write;
    let mut panic = Builder::new();
    panic.retention(Retention::Panic);
    let mut unnamed = panic.temp_file().unwrap();
    unnamed.write_all(b"evidence 1").unwrap();
    let mut staged = panic.clone().o_tmpfile(false).temp_file().unwrap();
    staged.write_all(b"evidence 2").unwrap();
    let mut lost = Builder::new().temp_file().unwrap();
    lost.write_all(b"never kept").unwrap();
    let _all = (unnamed, staged, lost);
    panic!("the test fails");
}

/// A `TempFile` has no name to keep: a policy that keeps it gives it one,
/// a fresh visible name in its directory, and the `kept` line says which.
#[test]
fn a_temp_file_kept_after_a_panic_is_linked_under_a_fresh_name() {
    let scratch = Scratch::new("retain-temp-file");
    let child = run_child("child_panics_holding_temp_files", scratch.path(), &[]);
    assert!(!child.passed, "{}", child.stderr);
    let names = starting_with(scratch.path(), "");
    assert_eq!(names.len(), 2, "{names:?}: no staged name left");
    let mut contents: Vec<_> = names
        .iter()
        .map(|name| {
            assert!(name.starts_with(tempfs::DEFAULT_PREFIX), "{name}");
            std::fs::read_to_string(scratch.join(name)).unwrap()
        })
        .collect();
    contents.sort();
    assert_eq!(contents, ["evidence 1", "evidence 2"]);
    let mut kept = child.kept();
    kept.sort();
    let expected: Vec<String> = names
        .iter()
        .map(|name| format!("kept after a panic: {}", scratch.join(name).display()))
        .collect();
    assert_eq!(kept, expected, "{}", child.stderr);
}

#[test]
fn child_follows_the_environment() {
    if !testkit::is_rerun() {
        return;
    }
    drop(NamedTempFile::with_prefix("normal-").unwrap());
    drop(TempDir::with_prefix("normal-").unwrap());
    let caught = std::panic::catch_unwind(|| {
        let _file = NamedTempFile::with_prefix("panic-").unwrap();
        let _dir = TempDir::with_prefix("panic-").unwrap();
        panic!("caught");
    });
    assert!(caught.is_err());
    // A policy set on the object wins.
    let mut never = Builder::new();
    never.prefix("never-").retention(Retention::Never);
    drop(never.tempfile().unwrap());
    drop(never.tempdir().unwrap());
}

#[test]
fn the_environment_sets_the_default_policy() {
    for (value, kept, why) in [
        ("never", &[][..], ""),
        ("panic", &["panic-", "panic-"][..], "kept after a panic: "),
        (
            "always",
            &["normal-", "normal-", "panic-", "panic-"][..],
            "kept (TEMPKIT_KEEP=always): ",
        ),
        (
            "ALWAYS",
            &["normal-", "normal-", "panic-", "panic-"],
            "kept",
        ),
        ("", &[], ""),
    ] {
        let scratch = Scratch::new("retain-env");
        let child = run_child(
            "child_follows_the_environment",
            scratch.path(),
            &[(tempfs::KEEP_VAR, value)],
        );
        assert!(child.passed, "{value}: {}", child.stderr);
        let names = starting_with(scratch.path(), "");
        assert_eq!(names.len(), kept.len(), "{value}: {names:?}");
        for (name, prefix) in names.iter().zip(kept) {
            assert!(name.starts_with(prefix), "{value}: {names:?}");
        }
        let lines = child.kept();
        assert_eq!(lines.len(), kept.len(), "{value}: {}", child.stderr);
        for line in lines {
            assert!(line.starts_with(why), "{value}: {line}");
            let path = PathBuf::from(line.rsplit_once(": ").unwrap().1);
            assert_eq!(path.parent(), Some(scratch.path()), "{line}");
        }
    }
}

#[test]
fn an_unknown_value_is_reported_once_and_ignored() {
    let scratch = Scratch::new("retain-bad-env");
    let child = run_child(
        "child_follows_the_environment",
        scratch.path(),
        &[(tempfs::KEEP_VAR, "sometimes")],
    );
    assert!(child.passed, "{}", child.stderr);
    assert!(scratch.entries().is_empty());
    assert!(child.kept().is_empty(), "{}", child.stderr);
    let complaints: Vec<_> = child
        .stderr
        .lines()
        .filter(|line| line.contains("TEMPKIT_KEEP=sometimes"))
        .collect();
    assert_eq!(complaints.len(), 1, "{}", child.stderr);
}

#[test]
fn child_with_different_ids() {
    if !testkit::is_rerun() {
        return;
    }
    let dir = PathBuf::from(std::env::var_os("RETAIN_DIR").unwrap());
    // As a set-user-ID program runs: real user nobody, effective root.
    // SAFETY: a plain system call in a process of our own.
    let changed = unsafe { libc::setreuid(testkit::child::NOBODY, 0) };
    assert_eq!(changed, 0);
    assert!(!tempcore::environment_is_trusted());
    drop(NamedTempFile::new_in(&dir).unwrap());
    drop(TempDir::new_in(&dir).unwrap());
}

#[test]
fn a_privileged_process_ignores_the_variable() {
    let scratch = Scratch::new("retain-setuid");
    let child = run_child(
        "child_with_different_ids",
        scratch.path(),
        &[
            (tempfs::KEEP_VAR, "always"),
            ("RETAIN_DIR", scratch.path().to_str().unwrap()),
        ],
    );
    assert!(child.passed, "{}", child.stderr);
    assert!(scratch.entries().is_empty());
    assert!(child.kept().is_empty(), "{}", child.stderr);
}

#[test]
fn child_makes_test_directories() {
    if !testkit::is_rerun() {
        return;
    }
    let dir = tempfs::testing::tempdir().unwrap();
    std::fs::write(dir.path().join("out.txt"), b"result").unwrap();
    let _second = tempfs::testing::tempdir().unwrap();
    if std::env::var_os("CHILD_FAILS").is_some() {
        panic!("the test fails");
    }
}

/// The name every test directory of `child_makes_test_directories` starts
/// with.
const CHILD_DIR: &str = "retain.child_makes_test_directories-";

#[test]
fn a_test_that_passes_leaves_nothing() {
    let scratch = Scratch::new("retain-pass");
    let child = run_child("child_makes_test_directories", scratch.path(), &[]);
    assert!(child.passed, "{}", child.stderr);
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
    assert!(child.kept().is_empty());
}

#[test]
fn a_test_that_fails_keeps_its_directories_and_says_where() {
    let scratch = Scratch::new("retain-fail");
    let child = run_child(
        "child_makes_test_directories",
        scratch.path(),
        &[("CHILD_FAILS", "1")],
    );
    assert!(!child.passed);
    let runs = starting_with(scratch.path(), RUN_PREFIX);
    assert_eq!(runs.len(), 1, "{:?}", scratch.entries());
    let run = scratch.join(&runs[0]);
    let dirs = starting_with(&run, CHILD_DIR);
    assert_eq!(dirs.len(), 2, "{:?}", testkit::entries(&run));
    assert_eq!(testkit::entries(&run).len(), 2);
    let mut kept = child.kept();
    kept.sort();
    let mut expected: Vec<String> = dirs
        .iter()
        .map(|name| format!("kept after a panic: {}", run.join(name).display()))
        .collect();
    expected.sort();
    assert_eq!(kept, expected, "{}", child.stderr);
    assert!(
        dirs.iter()
            .any(|name| run.join(name).join("out.txt").is_file())
    );
}

#[test]
fn the_processes_of_one_nextest_run_share_its_directory() {
    let scratch = Scratch::new("retain-nextest");
    let run_1 = [("NEXTEST_RUN_ID", "run-1")];
    let failing = run_child(
        "child_makes_test_directories",
        scratch.path(),
        &[run_1[0], ("CHILD_FAILS", "1")],
    );
    assert!(!failing.passed);
    let passing = run_child("child_makes_test_directories", scratch.path(), &run_1);
    assert!(passing.passed, "{}", passing.stderr);
    let run = scratch.join(format!("{RUN_PREFIX}run-1"));
    assert_eq!(
        starting_with(scratch.path(), ""),
        [format!("{RUN_PREFIX}run-1")]
    );
    assert_eq!(starting_with(&run, CHILD_DIR).len(), 2, "the failure's");
    // The next run, keeping one run's directory (its own), removes it and,
    // passing, leaves nothing.
    let next = run_child(
        "child_makes_test_directories",
        scratch.path(),
        &[
            ("NEXTEST_RUN_ID", "run-2"),
            (tempfs::testing::RUNS_VAR, "1"),
        ],
    );
    assert!(next.passed, "{}", next.stderr);
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}

/// Makes the directory `name` in `dir`, dated `age` ago.
fn old_run(dir: &Path, name: &str, age: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(path.join("kept.txt"), b"an old failure").unwrap();
    let when = SystemTime::now() - Duration::from_secs(age);
    std::fs::File::open(&path)
        .unwrap()
        .set_modified(when)
        .unwrap();
    path
}

#[test]
fn only_the_last_runs_are_kept() {
    let scratch = Scratch::new("retain-runs");
    let outside = Scratch::new("retain-runs-outside");
    std::fs::write(outside.join("precious"), b"x").unwrap();
    for (name, age) in [("a", 400), ("b", 100), ("c", 300), ("d", 200)] {
        old_run(scratch.path(), &format!("{RUN_PREFIX}{name}"), age);
    }
    // Not ours to remove: another user's run, a link, a file.
    let theirs = old_run(scratch.path(), &format!("{RUN_PREFIX}theirs"), 1000);
    std::os::unix::fs::chown(&theirs, Some(testkit::child::NOBODY), None).unwrap();
    std::os::unix::fs::symlink(outside.path(), scratch.join(format!("{RUN_PREFIX}link"))).unwrap();
    std::fs::write(scratch.join(format!("{RUN_PREFIX}file")), b"x").unwrap();
    let child = run_child(
        "child_makes_test_directories",
        scratch.path(),
        &[(tempfs::testing::RUNS_VAR, "3")],
    );
    assert!(child.passed, "{}", child.stderr);
    // The current run and the two newest before it; the current one,
    // passing, is gone too.
    let left: Vec<String> = ["b", "d", "file", "link", "theirs"]
        .iter()
        .map(|name| format!("{RUN_PREFIX}{name}"))
        .collect();
    assert_eq!(starting_with(scratch.path(), ""), left);
    assert_eq!(testkit::entries(&theirs).len(), 1);
    assert_eq!(outside.entries().len(), 1);
}

/// A run's name is predictable (the parent process, or nextest's run
/// id), so another user can take it first: the run then makes a
/// directory of its own under a random name, and leaves theirs alone.
#[test]
fn a_run_directory_others_control_is_left_and_the_run_gets_its_own() {
    for (id, mode, owner) in [
        ("theirs", 0o700, testkit::child::NOBODY),
        ("open", 0o777, 0),
    ] {
        let scratch = Scratch::new("retain-refuse");
        let run = scratch.join(format!("{RUN_PREFIX}{id}"));
        std::fs::create_dir(&run).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(&run, Some(owner), None).unwrap();
        let env = [("NEXTEST_RUN_ID", id)];
        let failing = run_child(
            "child_makes_test_directories",
            scratch.path(),
            &[env[0], ("CHILD_FAILS", "1")],
        );
        assert!(!failing.passed);
        assert!(testkit::entries(&run).is_empty(), "{id}");
        let own = starting_with(scratch.path(), &format!("{RUN_PREFIX}{id}-"));
        assert_eq!(own.len(), 1, "{id}: {:?}", scratch.entries());
        assert_eq!(starting_with(&scratch.join(&own[0]), CHILD_DIR).len(), 2);
        std::fs::remove_dir_all(scratch.join(&own[0])).unwrap();
        let passing = run_child("child_makes_test_directories", scratch.path(), &env);
        assert!(passing.passed, "{id}: {}", passing.stderr);
        assert_eq!(testkit::entries(scratch.path()), [run.file_name().unwrap()]);
    }
}

/// A run still going (its processes hold a lock on its directory) is
/// never pruned, however many runs came after it; one whose directory
/// others could have renamed into place (a world-writable, not sticky
/// temporary directory) is not pruned at all.
#[test]
fn live_runs_and_unguarded_directories_are_not_pruned() {
    use std::os::fd::AsFd;
    let scratch = Scratch::new("retain-live");
    let live = old_run(scratch.path(), &format!("{RUN_PREFIX}live"), 1000);
    let dead = old_run(scratch.path(), &format!("{RUN_PREFIX}dead"), 500);
    let holder = std::fs::File::open(&live).unwrap();
    rustix::fs::flock(holder.as_fd(), rustix::fs::FlockOperation::LockShared).unwrap();
    let keep_one = [(tempfs::testing::RUNS_VAR, "1")];
    let child = run_child("child_makes_test_directories", scratch.path(), &keep_one);
    assert!(child.passed, "{}", child.stderr);
    assert_eq!(
        testkit::entries(&live).len(),
        1,
        "the live run keeps its files"
    );
    assert!(!dead.exists());
    drop(holder);

    let open = Scratch::new("retain-unguarded");
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let old = old_run(open.path(), &format!("{RUN_PREFIX}old"), 500);
    let child = run_child("child_makes_test_directories", open.path(), &keep_one);
    assert!(child.passed, "{}", child.stderr);
    assert_eq!(testkit::entries(&old).len(), 1);
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let child = run_child("child_makes_test_directories", open.path(), &keep_one);
    assert!(child.passed, "{}", child.stderr);
    assert!(!old.exists(), "sticky: pruned");
}

#[test]
fn child_keeps_a_failure_then_passes() {
    if !testkit::is_rerun() {
        return;
    }
    use std::os::fd::AsFd;
    let failed = std::panic::catch_unwind(|| {
        let _dir = tempfs::testing::tempdir().unwrap();
        panic!("a test fails");
    });
    assert!(failed.is_err());
    drop(tempfs::testing::tempdir().unwrap());
    // Every test directory of the run is done with: the run keeps its
    // lock all the same, since a failure is kept in it.
    let id = std::env::var("NEXTEST_RUN_ID").unwrap();
    let run = std::env::temp_dir().join(format!("{RUN_PREFIX}{id}"));
    let probe = std::fs::File::open(&run).unwrap();
    assert_eq!(
        rustix::fs::flock(
            probe.as_fd(),
            rustix::fs::FlockOperation::NonBlockingLockExclusive
        ),
        Err(rustix::io::Errno::WOULDBLOCK),
        "the run's lock was let go"
    );
}

/// A run whose tests are all done but kept a failure is still going:
/// it keeps its lock (and its directory), so no other run prunes it.
#[test]
fn a_run_with_kept_failures_stays_locked_between_tests() {
    let scratch = Scratch::new("retain-locked");
    let child = run_child(
        "child_keeps_a_failure_then_passes",
        scratch.path(),
        &[("NEXTEST_RUN_ID", "held")],
    );
    assert!(child.passed, "{}", child.stderr);
    let run = scratch.join(format!("{RUN_PREFIX}held"));
    assert_eq!(testkit::entries(&run).len(), 1, "the kept failure");
}

/// Another user's directories with the prefix (dated in the future, to
/// look newest) neither count toward the runs kept nor get removed.
#[test]
fn other_users_runs_do_not_count_against_runs_kept() {
    let scratch = Scratch::new("retain-squat-count");
    let mine = [
        old_run(scratch.path(), &format!("{RUN_PREFIX}mine1"), 100),
        old_run(scratch.path(), &format!("{RUN_PREFIX}mine2"), 50),
    ];
    let future = SystemTime::now() + Duration::from_secs(10 * 365 * 86400);
    for name in ["zz1", "zz2"] {
        let theirs = scratch.join(format!("{RUN_PREFIX}{name}"));
        std::fs::create_dir(&theirs).unwrap();
        std::fs::File::open(&theirs)
            .unwrap()
            .set_modified(future)
            .unwrap();
        std::os::unix::fs::chown(&theirs, Some(testkit::child::NOBODY), None).unwrap();
    }
    let child = run_child("child_makes_test_directories", scratch.path(), &[]);
    assert!(child.passed, "{}", child.stderr);
    for run in mine {
        assert_eq!(testkit::entries(&run).len(), 1, "{}", run.display());
    }
    assert_eq!(starting_with(scratch.path(), RUN_PREFIX).len(), 4);
}

/// With the run's name taken by another user, each process of the run
/// makes a directory of its own, and none prunes another's.
#[test]
fn a_squatted_run_keeps_every_process_failures() {
    let scratch = Scratch::new("retain-squat-run");
    let squatted = scratch.join(format!("{RUN_PREFIX}F"));
    std::fs::create_dir(&squatted).unwrap();
    std::os::unix::fs::chown(&squatted, Some(testkit::child::NOBODY), None).unwrap();
    for _ in 0..4 {
        let child = run_child(
            "child_makes_test_directories",
            scratch.path(),
            &[("NEXTEST_RUN_ID", "F"), ("CHILD_FAILS", "1")],
        );
        assert!(!child.passed);
    }
    assert_eq!(
        starting_with(scratch.path(), &format!("{RUN_PREFIX}F-")).len(),
        4,
        "{:?}",
        scratch.entries()
    );
}

/// A child forked without exec shares a kept `TempFile`'s open file: when
/// it drops its copy, it must not give the parent's live file a name.
#[test]
fn a_forked_child_never_links_its_parents_temp_file() {
    let scratch = Scratch::new("retain-fork");
    let mut builder = Builder::new();
    builder.retention(Retention::Always).report_kept(false);
    let file = builder.temp_file_in(scratch.path()).unwrap();
    let dir = scratch.path().to_owned();
    testkit::child::check(move || {
        drop(file); // the child's copy
        assert!(testkit::entries(&dir).is_empty());
    });
    // The parent's copy went with the closure, in the parent: kept once.
    assert_eq!(scratch.entries().len(), 1);
}
