//! `tempfs::reap` and the owner lock (`Builder::owner_lock`): what a
//! killed process leaves is removed, and nothing else is: not a live
//! owner's objects, not another user's, not a young one, not a name
//! without the prefix, not a link, FIFO or device, and nothing at all on
//! bad input.
#![cfg(unix)]

mod linux;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use tempfs::{Builder, NamedTempFile, ReapOptions, ReapReport, TempDir, TempPath, WhyLeft};
use testkit::Scratch;
use testkit::child::{self, NOBODY, Outcome};

/// What one owner makes, all with the owner lock: a named file, a
/// `TempPath` made from one (its file closed), and a directory with a
/// file and a subdirectory in it. Names start with `prefix`.
pub(crate) struct Objects {
    _file: NamedTempFile,
    _path: TempPath,
    _dir: TempDir,
}

/// Makes [`Objects`] in `dir`, names starting with `prefix`.
pub(crate) fn make_objects(dir: &Path, prefix: &str) -> Objects {
    let mut builder = Builder::new();
    builder.prefix(prefix).owner_lock(true);
    let file = builder.tempfile_in(dir).unwrap();
    let path = builder.tempfile_in(dir).unwrap().into_temp_path();
    let tempdir = builder.tempdir_in(dir).unwrap();
    fs::write(tempdir.path().join("data"), b"work").unwrap();
    fs::create_dir(tempdir.path().join("sub")).unwrap();
    fs::write(tempdir.path().join("sub/more"), b"more work").unwrap();
    Objects {
        _file: file,
        _path: path,
        _dir: tempdir,
    }
}

/// The names in `dir` that start with `start`.
pub(crate) fn names_starting(dir: &Path, start: &str) -> BTreeSet<OsString> {
    testkit::entries(dir)
        .into_iter()
        .filter(|n| n.to_string_lossy().starts_with(start))
        .collect()
}

/// The names `report` removed.
fn removed(report: &ReapReport) -> BTreeSet<OsString> {
    report
        .removed
        .iter()
        .map(|p| p.file_name().unwrap().to_os_string())
        .collect()
}

/// The names `report` left for a reason `matches` accepts.
fn left(report: &ReapReport, matches: impl Fn(&WhyLeft) -> bool) -> BTreeSet<OsString> {
    report
        .left
        .iter()
        .filter(|l| matches(&l.reason))
        .map(|l| l.path.file_name().unwrap().to_os_string())
        .collect()
}

#[test]
fn a_killed_owners_entries_are_reaped_and_live_ones_are_left() {
    let scratch = Scratch::new("reap-killed");
    let dir = scratch.path().to_path_buf();
    let own = make_objects(&dir, "job-own-");
    let live = child::spawn(|| make_objects(&dir, "job-live-"));
    let dead = child::spawn(|| make_objects(&dir, "job-dead-"));
    let (own_names, live_names, dead_names) = (
        names_starting(&dir, "job-own-"),
        names_starting(&dir, "job-live-"),
        names_starting(&dir, "job-dead-"),
    );
    assert_eq!(
        (own_names.len(), live_names.len(), dead_names.len()),
        (3, 3, 3)
    );
    assert_eq!(dead.kill(libc::SIGKILL), Outcome::Signaled(libc::SIGKILL));
    // Killed: its three objects are still there, with their contents.
    assert_eq!(names_starting(&dir, "job-dead-"), dead_names);

    let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(removed(&report), dead_names, "{report:?}");
    let mut alive = own_names.clone();
    alive.extend(live_names.iter().cloned());
    assert_eq!(
        left(&report, |r| matches!(r, WhyLeft::Live)),
        alive,
        "{report:?}"
    );
    assert_eq!(report.left.len(), 6, "{report:?}");
    assert_eq!(report.not_matching, 0);
    // The live ones are whole.
    for name in &alive {
        let path = dir.join(name);
        if path.is_dir() {
            assert_eq!(fs::read(path.join("sub/more")).unwrap(), b"more work");
        }
    }
    assert!(names_starting(&dir, "job-dead-").is_empty());

    // Once the sibling dies too, its objects go; ours stay while we live.
    assert_eq!(live.kill(libc::SIGKILL), Outcome::Signaled(libc::SIGKILL));
    let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(removed(&report), live_names, "{report:?}");
    assert_eq!(left(&report, |r| matches!(r, WhyLeft::Live)), own_names);
    drop(own);
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}

#[test]
fn a_live_processs_directory_inside_a_dead_one_is_left() {
    // A process killed while a process it started (which outlives it)
    // works in a locked directory and files of its own inside the dead
    // one's directory.
    let scratch = Scratch::new("reap-nested");
    let dir = scratch.path().to_path_buf();
    let dead = child::spawn(|| make_objects(&dir, "job-dead-"));
    let dead_dir = names_starting(&dir, "job-dead-")
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_dir())
        .unwrap();
    let inner = dead_dir.join("sub");
    let live = child::spawn(|| make_objects(&inner, "live-"));
    assert_eq!(dead.kill(libc::SIGKILL), Outcome::Signaled(libc::SIGKILL));

    // In a child of its own: this reaping takes the dead directory's lock
    // and leaves it, and a process another test forks meanwhile from this
    // one would keep the lock (see `a_dry_run_reports_and_removes_nothing`).
    child::check(|| {
        let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
        // The dead one's files go; its directory stays, holding the live
        // one's.
        assert_eq!(report.removed.len(), 2, "{report:?}");
        assert_eq!(report.left.len(), 1, "{report:?}");
        assert_eq!(report.left[0].path, dead_dir);
        let WhyLeft::Failed(e) = &report.left[0].reason else {
            panic!("{report:?}")
        };
        assert!(e.to_string().contains("owner lock"), "{e}");
    });
    let live_dir = names_starting(&inner, "live-")
        .into_iter()
        .map(|n| inner.join(n))
        .find(|p| p.is_dir())
        .unwrap();
    assert_eq!(fs::read(live_dir.join("sub/more")).unwrap(), b"more work");
    // Its named files too (the file, and the one behind a `TempPath`).
    assert_eq!(names_starting(&inner, "live-").len(), 3);
    assert!(!dead_dir.join("data").exists());

    assert_eq!(live.kill(libc::SIGKILL), Outcome::Signaled(libc::SIGKILL));
    let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(report.removed, [dead_dir], "{report:?}");
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}

#[test]
fn a_dry_run_reports_and_removes_nothing() {
    let scratch = Scratch::new("reap-dry");
    let dir = scratch.path();
    fs::write(dir.join("job-file"), b"left by a kill").unwrap();
    fs::create_dir(dir.join("job-dir")).unwrap();
    fs::write(dir.join("job-dir/inside"), b"x").unwrap();
    // In a child of its own: a dry run takes locks and gives them back,
    // and a process another test forks meanwhile from this one would keep
    // them (descriptors are inherited), making them look live to the
    // reaping below.
    child::check(|| {
        let report = ReapOptions::new(Duration::ZERO)
            .dry_run(true)
            .reap(dir, "job-")
            .unwrap();
        assert_eq!(report.removed.len(), 2, "{report:?}");
    });
    assert_eq!(scratch.entries(), ["job-dir", "job-file"]);
    assert!(dir.join("job-dir/inside").exists());
    let report = tempfs::reap(dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(report.removed.len(), 2, "{report:?}");
    assert!(scratch.entries().is_empty());
}

#[test]
fn young_entries_are_left() {
    // Entries with no lock (a kill between creation and locking, or an
    // object made without the lock): only the age protects them.
    let scratch = Scratch::new("reap-young");
    let dir = scratch.path();
    fs::write(dir.join("job-file"), b"just made").unwrap();
    fs::create_dir(dir.join("job-dir")).unwrap();
    let hour = Duration::from_secs(3600);
    let report = tempfs::reap(dir, "job-", hour).unwrap();
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(left(&report, |r| matches!(r, WhyLeft::TooYoung)).len(), 2);
    assert_eq!(scratch.entries(), ["job-dir", "job-file"]);
    // An old modification time is not enough: the status-change time
    // (which setting the times moves to now) is young too.
    let old = fs::FileTimes::new()
        .set_modified(std::time::SystemTime::now() - 2 * hour)
        .set_accessed(std::time::SystemTime::now() - 2 * hour);
    fs::File::options()
        .write(true)
        .open(dir.join("job-file"))
        .unwrap()
        .set_times(old)
        .unwrap();
    let report = tempfs::reap(dir, "job-", hour).unwrap();
    assert!(report.removed.is_empty(), "{report:?}");
    let report = tempfs::reap(dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(report.removed.len(), 2, "{report:?}");
}

#[test]
fn only_names_with_the_prefix_are_touched() {
    let scratch = Scratch::new("reap-prefix");
    let dir = scratch.path();
    for name in ["job-a", "job", "jo", "xjob-", "JOB-b", "other"] {
        fs::write(dir.join(name), b"x").unwrap();
    }
    fs::create_dir(dir.join("job")).unwrap_err();
    fs::create_dir(dir.join("jobs")).unwrap();
    let report = tempfs::reap(dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(report.removed, [dir.join("job-a")], "{report:?}");
    assert!(report.left.is_empty(), "{report:?}");
    assert_eq!(report.not_matching, 6);
    assert_eq!(
        scratch.entries(),
        ["JOB-b", "jo", "job", "jobs", "other", "xjob-"]
    );
}

#[test]
fn another_users_entries_are_left() {
    let scratch = Scratch::new("reap-users");
    let dir = scratch.path().to_path_buf();
    // Like /tmp: anyone may create, only owners remove.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777)).unwrap();
    child::as_nobody(|| {
        let mut builder = Builder::new();
        builder.prefix("job-nobody-").owner_lock(true);
        // Kept, and the child exits: dead, unlocked leftovers of nobody's.
        let _ = builder.tempfile_in(&dir).unwrap().keep().unwrap();
        let _ = builder.tempdir_in(&dir).unwrap().keep();
    });
    let theirs = names_starting(&dir, "job-nobody-");
    assert_eq!(theirs.len(), 2);
    fs::write(dir.join("job-root-file"), b"mine").unwrap();
    fs::create_dir(dir.join("job-root-dir")).unwrap();

    // Root may remove anything here, but leaves what is not its own.
    let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(left(&report, |r| matches!(r, WhyLeft::OtherOwner)), theirs);
    assert_eq!(report.removed.len(), 2, "{report:?}");
    assert_eq!(names_starting(&dir, "job-"), theirs);

    // And nobody reaps its own.
    fs::write(dir.join("job-root-again"), b"mine").unwrap();
    child::as_nobody(|| {
        let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
        assert_eq!(removed(&report), theirs, "{report:?}");
        assert_eq!(
            left(&report, |r| matches!(r, WhyLeft::OtherOwner)),
            BTreeSet::from(["job-root-again".into()])
        );
    });
    assert_eq!(scratch.entries(), ["job-root-again"]);
}

#[test]
fn links_fifos_and_devices_are_left_unopened() {
    let scratch = Scratch::new("reap-kinds");
    let outside = Scratch::new("reap-kinds-outside");
    let dir = scratch.path();
    fs::write(outside.join("target"), b"not ours to remove").unwrap();
    fs::create_dir(outside.join("target-dir")).unwrap();
    fs::write(outside.join("target-dir/inside"), b"nor this").unwrap();
    std::os::unix::fs::symlink(outside.join("target"), dir.join("job-link")).unwrap();
    std::os::unix::fs::symlink(outside.join("target-dir"), dir.join("job-dirlink")).unwrap();
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    let fifo = c(&dir.join("job-fifo"));
    // SAFETY: a valid path string; makes a FIFO that no one writes to, so
    // a blocking open for reading would wait forever.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let null = c(&dir.join("job-null"));
    // SAFETY: a valid path string; a character device like /dev/null (1, 3).
    let rc = unsafe { libc::mknod(null.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 3)) };
    assert_eq!(rc, 0, "mknod: {}", io::Error::last_os_error());
    let report = tempfs::reap(dir, "job-", Duration::ZERO).unwrap();
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(
        left(&report, |r| matches!(r, WhyLeft::NotFileOrDirectory)).len(),
        4,
        "{report:?}"
    );
    assert_eq!(scratch.entries().len(), 4);
    assert_eq!(
        fs::read(outside.join("target")).unwrap(),
        b"not ours to remove"
    );
    assert!(outside.join("target-dir/inside").exists());
}

/// Asserts that `result` is an error of `kind` whose message names
/// `path`.
fn assert_refused(result: io::Result<ReapReport>, kind: io::ErrorKind, path: &Path) {
    let err = result.expect_err("bad input must be refused");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err} does not name {}",
        path.display()
    );
}

/// A directory with entries that reaping with prefix `job-` would
/// remove; returns their names.
fn plant_reapable(dir: &Path) -> Vec<OsString> {
    fs::write(dir.join("job-file"), b"reapable").unwrap();
    fs::create_dir(dir.join("job-dir")).unwrap();
    testkit::entries(dir)
}

#[test]
fn bad_prefixes_are_refused_and_nothing_is_removed() {
    let scratch = Scratch::new("reap-bad-prefix");
    let dir = scratch.path();
    let planted = plant_reapable(dir);
    for prefix in ["", ".", "..", "job-/", "/", "job\0", "tmp", ".tmp"] {
        let result = tempfs::reap(dir, prefix, Duration::ZERO);
        assert_refused(result, io::ErrorKind::InvalidInput, dir);
        assert_eq!(scratch.entries(), planted, "prefix {prefix:?}");
    }
}

#[test]
fn a_symlink_to_the_directory_is_refused_and_nothing_is_removed() {
    let scratch = Scratch::new("reap-bad-link");
    let real = Scratch::new("reap-bad-link-real");
    let planted = plant_reapable(real.path());
    let link = scratch.join("link");
    std::os::unix::fs::symlink(real.path(), &link).unwrap();
    let result = tempfs::reap(&link, "job-", Duration::ZERO);
    let err = result.as_ref().map(drop).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert_refused(result, io::ErrorKind::InvalidInput, &link);
    assert_eq!(real.entries(), planted);
    // A trailing separator or `.` would make the kernel follow the link.
    for spelled in ["link/", "link/.", "link//"] {
        let path = scratch.path().join(spelled);
        let result = tempfs::reap(&path, "job-", Duration::ZERO);
        assert_refused(result, io::ErrorKind::InvalidInput, &link);
        assert_eq!(real.entries(), planted, "{spelled}");
    }
}

#[test]
fn a_directory_others_control_is_refused_and_nothing_is_removed() {
    let scratch = Scratch::new("reap-bad-owner");
    let dir = scratch.path();
    let planted = plant_reapable(dir);
    // Another user's directory: they may rename anything in it.
    std::os::unix::fs::chown(dir, Some(NOBODY), None).unwrap();
    assert_refused(
        tempfs::reap(dir, "job-", Duration::ZERO),
        io::ErrorKind::PermissionDenied,
        dir,
    );
    assert_eq!(scratch.entries(), planted);
    // Ours, but anyone may rename entries in it (not sticky).
    std::os::unix::fs::chown(dir, Some(0), None).unwrap();
    for mode in [0o777, 0o775, 0o757] {
        fs::set_permissions(dir, fs::Permissions::from_mode(mode)).unwrap();
        assert_refused(
            tempfs::reap(dir, "job-", Duration::ZERO),
            io::ErrorKind::PermissionDenied,
            dir,
        );
        assert_eq!(scratch.entries(), planted, "mode {mode:o}");
    }
    // Sticky, as /tmp is: allowed.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o1777)).unwrap();
    let report = tempfs::reap(dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(report.removed.len(), 2, "{report:?}");
}

#[test]
fn a_missing_directory_or_a_file_is_refused() {
    let scratch = Scratch::new("reap-bad-kind");
    let missing = scratch.join("missing");
    assert_refused(
        tempfs::reap(&missing, "job-", Duration::ZERO),
        io::ErrorKind::NotFound,
        &missing,
    );
    let file = scratch.join("file");
    fs::write(&file, b"x").unwrap();
    assert_refused(
        tempfs::reap(&file, "job-", Duration::ZERO),
        io::ErrorKind::NotADirectory,
        &file,
    );
}

#[test]
fn the_lock_is_held_from_creation_until_removal() {
    let scratch = Scratch::new("reap-lock");
    let dir = scratch.path();
    let objects = make_objects(dir, "job-");
    for name in scratch.entries() {
        let path = dir.join(&name);
        let other = fs::File::open(&path).unwrap();
        // SAFETY: a valid descriptor we own.
        let rc = unsafe {
            libc::flock(
                std::os::fd::AsRawFd::as_raw_fd(&other),
                libc::LOCK_EX | libc::LOCK_NB,
            )
        };
        assert_eq!(rc, -1, "{} is not locked", path.display());
    }
    drop(objects);
    assert!(scratch.entries().is_empty());
    // Without the option, nothing is locked (and reap takes them once old).
    let plain = Builder::new().prefix("job-").tempdir_in(dir).unwrap();
    let other = fs::File::open(plain.path()).unwrap();
    // SAFETY: a valid descriptor we own.
    let rc = unsafe {
        libc::flock(
            std::os::fd::AsRawFd::as_raw_fd(&other),
            libc::LOCK_EX | libc::LOCK_NB,
        )
    };
    assert_eq!(rc, 0);
}

#[test]
fn a_locked_directory_its_owner_cannot_read_is_refused() {
    let scratch = Scratch::new("reap-unreadable");
    fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o777)).unwrap();
    child::as_nobody(|| {
        let err = Builder::new()
            .permissions(fs::Permissions::from_mode(0o300))
            .owner_lock(true)
            .tempdir_in(scratch.path())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    });
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}

/// The owner lock is on an open file description of its own: an `unlock`
/// of the file through the `NamedTempFile`'s `File` (std's `File::unlock`,
/// `flock(LOCK_UN)`, which the program may do for its own reasons) does
/// not release it, and `reap` leaves the live file.
#[test]
fn unlocking_the_file_does_not_release_the_owner_lock() {
    use std::os::fd::AsFd;
    let scratch = Scratch::new("reap-unlock");
    let file = tempfs::Builder::new()
        .prefix("job-")
        .owner_lock(true)
        .tempfile_in(scratch.path())
        .unwrap();
    let flock = |op| rustix::fs::flock(file.as_file().as_fd(), op);
    flock(rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap_err();
    flock(rustix::fs::FlockOperation::NonBlockingLockShared).unwrap();
    flock(rustix::fs::FlockOperation::Unlock).unwrap();
    let report = tempfs::reap(scratch.path(), "job-", Duration::ZERO).unwrap();
    assert!(report.removed.is_empty(), "{report:?}");
    assert!(file.path().exists());
}
