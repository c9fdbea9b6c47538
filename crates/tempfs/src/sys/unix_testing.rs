//! Unix specifics of `crate::testing`: whose a run directory is, which
//! runs are alive, and what groups the processes of one run.

use std::io;

use rustix::fs::{FileType, FlockOperation, Mode};
use rustix::io::Errno;
use tempcore::Dir;

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
/// removed.
pub(crate) fn hold_run(dir: &Dir) -> io::Result<bool> {
    lock(dir, FlockOperation::NonBlockingLockShared)
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
