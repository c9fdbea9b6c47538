//! Unix specifics of `crate::testing`: whose a run directory is, which
//! runs are alive, and what groups the processes of one run.

use std::ffi::OsString;
use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use tempcore::Dir;

/// An open directory can be removed here, its handle (and lock) kept
/// until the removal is known to have worked.
pub(crate) const REMOVES_OPEN_DIRS: bool = true;

/// Whether `dir` is a directory of the effective user that no one else may
/// write to: `fstat` on its descriptor.
pub(crate) fn private_to_me(dir: &Dir) -> io::Result<bool> {
    let stat = rustix::fs::fstat(dir)?;
    Ok(FileType::from_raw_mode(stat.st_mode) == FileType::Directory
        && stat.st_uid == crate::sys::euid()
        && !Mode::from_raw_mode(stat.st_mode).intersects(Mode::WGRP | Mode::WOTH))
}

/// Marks the run directory `dir` as in use by this process: a shared
/// `flock` on its (readable) descriptor, held until the descriptor
/// closes. false if a pruner holds the exclusive lock: the run is being
/// removed. A file system that cannot lock counts as locked: such a run
/// is never pruned ([`run_unused`] says no), and tests still run.
#[cfg(unix)]
pub(crate) fn hold_run(dir: &Dir) -> bool {
    lock(dir, rustix::fs::FlockOperation::NonBlockingLockShared).unwrap_or(true)
}

/// WASI has no `flock` (and a run is one process there): true.
#[cfg(target_os = "wasi")]
pub(crate) fn hold_run(_dir: &Dir) -> bool {
    true
}

/// Whether no process uses the run directory `dir`: takes the exclusive
/// lock without waiting, held until the descriptor closes, so that no
/// process joins the run while it is removed.
#[cfg(unix)]
pub(crate) fn run_unused(dir: &Dir) -> io::Result<bool> {
    lock(dir, rustix::fs::FlockOperation::NonBlockingLockExclusive)
}

/// WASI has no `flock`: every run is taken for unused, as on Windows.
#[cfg(target_os = "wasi")]
pub(crate) fn run_unused(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// `flock(dir, op)`; false when another holds a conflicting lock.
#[cfg(unix)]
fn lock(dir: &Dir, op: rustix::fs::FlockOperation) -> io::Result<bool> {
    use rustix::io::Errno;
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
    let euid = crate::sys::euid();
    let device = rustix::fs::fstat(parent)?.st_dev;
    let mut runs = Vec::new();
    // The handle may be O_PATH (Linux), which cannot be listed: a readable
    // one of the same directory for `list_dir`.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let listing = rustix::fs::openat(parent, ".", flags, Mode::empty())?;
    let mut names = Vec::new();
    crate::sys::list_dir(listing.as_fd(), &mut Vec::new(), false, &mut |name, _| {
        if name.to_bytes().starts_with(prefix.as_bytes()) {
            names.push(name.to_owned());
        }
    })?;
    for name in names {
        let Ok(stat) = rustix::fs::statat(parent, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)
        else {
            continue;
        };
        if FileType::from_raw_mode(stat.st_mode) == FileType::Directory
            && stat.st_uid == euid
            && stat.st_dev == device
        {
            let modified = u64::try_from(mtime_secs(&stat))
                .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
                .unwrap_or(SystemTime::UNIX_EPOCH);
            if let Some(name) = os_name(name.into_bytes()) {
                runs.push((modified, name));
            }
        }
    }
    Ok(runs)
}

/// What the processes of one test run share: the parent's process id
/// (`getppid`) and, where `/proc/<ppid>/stat` says, when the parent
/// started, so that a recycled id starts a new run.
#[cfg(unix)]
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

/// WASI has no process IDs, nor parents to group a run by: each process
/// is a run of its own, named at random.
#[cfg(target_os = "wasi")]
pub(crate) fn run_key() -> String {
    tempcore::random_name("wasi-", "", 12)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "wasi".to_string())
}

/// A name read from a directory, as an `OsString`.
#[cfg(unix)]
fn os_name(bytes: Vec<u8>) -> Option<OsString> {
    use std::os::unix::ffi::OsStringExt;
    Some(OsString::from_vec(bytes))
}

/// A name read from a directory: UTF-8 on WASI (`OsStringExt` is unstable
/// on `wasm32-wasip2`).
#[cfg(target_os = "wasi")]
fn os_name(bytes: Vec<u8>) -> Option<OsString> {
    String::from_utf8(bytes).ok().map(OsString::from)
}

/// When the entry `stat` describes was last modified, in seconds.
#[cfg(unix)]
#[allow(
    clippy::unnecessary_cast,
    reason = "st_mtime is i64 on Linux but narrower on some targets"
)]
fn mtime_secs(stat: &rustix::fs::Stat) -> i64 {
    stat.st_mtime as i64
}

/// When the entry `stat` describes was last modified, in seconds.
#[cfg(target_os = "wasi")]
fn mtime_secs(stat: &rustix::fs::Stat) -> i64 {
    stat.st_mtim.tv_sec
}
