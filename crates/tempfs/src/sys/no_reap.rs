//! Windows and WASI: no owner lock and no reaper: there is no `flock`,
//! whose lock the kernel drops with the process (see `docs/platforms.md`).
//! [`Builder::owner_lock`](crate::Builder::owner_lock) takes no lock, and
//! [`reap`](crate::reap) fails with `Unsupported`.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::Path;

use tempcore::{Dir, PathError};

use crate::reap::{Facts, Opened};

/// Nothing: no lock is ever taken here.
pub(crate) type OwnerLock = std::convert::Infallible;

/// No lock: `None`.
pub(crate) fn lock_file(
    _file: &File,
    _parent: &Dir,
    _name: &OsStr,
) -> io::Result<Option<OwnerLock>> {
    Ok(None)
}

/// The `TempDir`'s handle, as without the lock.
pub(crate) fn open_locked_dir(parent: &Dir, name: &OsStr) -> io::Result<Dir> {
    Dir::open_handle_at(parent, name)
}

/// `Unsupported`, naming `path`: there is nothing to reap by.
pub(crate) fn open_reap_dir(path: &Path) -> io::Result<Dir> {
    Err(PathError::custom(
        io::ErrorKind::Unsupported,
        "reaping temporary entries in",
        path,
        "Windows has no owner lock to tell a live object from a dead one; nothing was removed",
    ))
}

/// Never called: [`open_reap_dir`] fails first.
pub(crate) fn guarded(_dir: &Dir) -> io::Result<Result<(), String>> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Never called: [`open_reap_dir`] fails first.
pub(crate) fn list_prefixed(_dir: &Dir, _prefix: &OsStr) -> io::Result<(Vec<OsString>, usize)> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Never called: [`open_reap_dir`] fails first.
pub(crate) fn entry_facts(_dir: &Dir, _name: &OsStr) -> io::Result<Facts> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Never called: [`open_reap_dir`] fails first.
pub(crate) fn open_entry(_dir: &Dir, _name: &OsStr, _facts: &Facts) -> io::Result<Option<Opened>> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Never called: [`open_reap_dir`] fails first.
pub(crate) fn lock_exclusive(_opened: &Opened) -> io::Result<bool> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Never called: [`open_reap_dir`] fails first.
pub(crate) fn remove_file_entry(_dir: &Dir, _name: &OsStr, _file: &File) -> io::Result<bool> {
    Err(io::ErrorKind::Unsupported.into())
}
