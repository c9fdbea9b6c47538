//! Unix specifics of `crate::testing`: whose a run directory is, and what
//! groups the processes of one run.

use std::io;

use rustix::fs::{FileType, Mode};
use tempcore::Dir;

/// Whether `dir` is a directory of the effective user that no one else may
/// write to: `fstat` on its descriptor.
pub(crate) fn private_to_me(dir: &Dir) -> io::Result<bool> {
    let stat = rustix::fs::fstat(dir)?;
    Ok(FileType::from_raw_mode(stat.st_mode) == FileType::Directory
        && stat.st_uid == crate::sys::euid()
        && !Mode::from_raw_mode(stat.st_mode).intersects(Mode::WGRP | Mode::WOTH))
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
