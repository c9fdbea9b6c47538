//! Unix specifics of `crate::testing`: whose a run directory is, which
//! runs are alive, and what groups the processes of one run.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;
use tempcore::Dir;

/// An open directory can be removed here, its handle (and lock) kept
/// until the removal is known to have worked.
pub(crate) const REMOVES_OPEN_DIRS: bool = true;

/// Whether `dir` is a directory of the effective user that no one else may
/// write to: `fstat` on its descriptor.
pub(crate) fn private_to_me(dir: &Dir) -> io::Result<bool> {
    let stat = rustix::fs::fstat(dir)?;
    Ok(FileType::from_raw_mode(stat.st_mode) == FileType::Directory
        && stat.st_uid == rustix::process::geteuid().as_raw()
        && !Mode::from_raw_mode(stat.st_mode).intersects(Mode::WGRP | Mode::WOTH))
}

/// Marks the run directory `dir` as in use by this process: a shared
/// `flock` on its (readable) descriptor, held until the descriptor
/// closes. false if a pruner holds the exclusive lock: the run is being
/// removed. A file system that cannot lock counts as locked: such a run
/// is never pruned ([`run_unused`] says no), and tests still run.
pub(crate) fn hold_run(dir: &Dir) -> bool {
    lock(dir, FlockOperation::NonBlockingLockShared).unwrap_or(true)
}

/// Whether no process uses the run directory `dir`: takes the exclusive
/// lock without waiting, held until the descriptor closes, so that no
/// process joins the run while it is removed.
pub(crate) fn run_unused(dir: &Dir) -> io::Result<bool> {
    lock(dir, FlockOperation::NonBlockingLockExclusive)
}

/// `flock(dir, op)`; false when another holds a conflicting lock.
fn lock(dir: &Dir, op: FlockOperation) -> io::Result<bool> {
    loop {
        match rustix::fs::flock(dir, op) {
            Ok(()) => return Ok(true),
            Err(Errno::WOULDBLOCK) => return Ok(false),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The directories in `parent` whose names start with `prefix` that this
/// user owns, on `parent`'s device, with when each was last modified:
/// listed through `parent`'s handle, each looked at without following a
/// link (`fstatat(AT_SYMLINK_NOFOLLOW)`).
pub(crate) fn my_runs(parent: &Dir, prefix: &str) -> io::Result<Vec<(SystemTime, OsString)>> {
    let euid = rustix::process::geteuid().as_raw();
    let device = rustix::fs::fstat(parent)?.st_dev;
    let mut runs = Vec::new();
    // `Dir::read_from` would reopen with the handle's own flags, O_PATH on
    // Linux, which cannot be listed.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let listing = rustix::fs::openat(parent, ".", flags, Mode::empty())?;
    for entry in rustix::fs::Dir::new(listing)? {
        let name = entry?.file_name().to_bytes().to_vec();
        if !name.starts_with(prefix.as_bytes()) {
            continue;
        }
        let Ok(stat) = rustix::fs::statat(parent, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW)
        else {
            continue;
        };
        if FileType::from_raw_mode(stat.st_mode) == FileType::Directory
            && stat.st_uid == euid
            && stat.st_dev == device
        {
            let modified = u64::try_from(stat.st_mtime)
                .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
                .unwrap_or(SystemTime::UNIX_EPOCH);
            runs.push((modified, OsString::from_vec(name)));
        }
    }
    Ok(runs)
}

/// What the processes of one test run share: the parent's process id
/// (`getppid`) and, where `/proc/<ppid>/stat` says, when the parent
/// started, so that a recycled id starts a new run.
pub(crate) fn run_key() -> String {
    let parent = std::os::unix::process::parent_id();
    let stat = std::fs::read_to_string(format!("/proc/{parent}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may
    // hold anything; the start time is the 22nd field, the 20th after it.
    match stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
    {
        Some(start) => format!("{parent}-{start}"),
        None => parent.to_string(),
    }
}
