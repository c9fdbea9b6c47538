//! Unix: the primitives `crate::cleanup` removes a `TempDir` with, through
//! directory descriptors (the policy, and the order of these calls, is in
//! `crate::cleanup`). The walk that empties the tree is `walk.rs`, over
//! the system calls of `ops.rs`; the owner lock and the reaper's calls
//! are `owner.rs`.

mod hooks;
mod ops;
#[cfg(unix)]
mod owner;
// Unix only, not WASI: these plant symbolic links (std's `symlink` is
// unix-only, WASI's unstable), count descriptors in a forked child, and
// reopen `..`, which a WASI walk never does.
#[cfg(all(test, unix))]
mod tests;
mod walk;

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags};
use rustix::io::Errno;
use tempcore::{Dir, PathError};

use crate::dir::TempDir;
use crate::failure::Transient;
pub(crate) use ops::Identity;
pub(crate) use ops::list as list_dir;
#[cfg(unix)]
pub(crate) use owner::*;

/// The `TempDir`'s own directory descriptor, open since creation
/// (`O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC`, and `O_PATH` on Linux, read-only
/// elsewhere): create files in it with `*at` calls and they land in this
/// directory even if its path changes.
impl AsFd for TempDir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_dir().as_fd()
    }
}

/// How many passes cleanup makes: new entries can keep appearing in a
/// directory just emptied, and each time the whole tree is walked again.
pub(crate) const PASSES: u32 = 8;

/// Nothing to wait for between passes here: a failed pass means the tree
/// changed, and the next one can start at once.
pub(crate) fn pause(_pass: u32) {}

/// `unlinkat(parent, name, AT_REMOVEDIR)`: removes the directory `name` if
/// it is empty.
pub(crate) fn remove_dir(parent: &Dir, name: &OsStr) -> io::Result<()> {
    Ok(retry(|| rfs::unlinkat(parent, name, AtFlags::REMOVEDIR))?)
}

/// `fstat(dir)`: the device and inode of the directory `dir` is open on.
pub(crate) fn dir_identity(dir: &Dir) -> io::Result<Identity> {
    Ok(ops::identity(dir)?.0)
}

/// `fstatat(parent, name, AT_SYMLINK_NOFOLLOW)`: the device and inode of
/// the entry `name` itself, whatever it is (a symlink is not followed).
/// Always `Some` here.
pub(crate) fn entry_identity(parent: &Dir, name: &OsStr) -> io::Result<Option<Identity>> {
    Ok(Some(ops::identity_at(parent, name)?))
}

/// `fstat(dir)`: whether the directory `dir` is open on has been removed
/// (its link count is 0).
pub(crate) fn is_removed(dir: &Dir) -> io::Result<bool> {
    Ok(ops::identity(dir)?.1 == 0)
}

/// The directory now at `name` in `parent`, where a `TempDir`'s removed
/// directory was, opened without following a symlink, if cleanup may
/// remove it: it belongs to this process's effective user, its group and
/// others cannot write it, it is on the device of `parent`, and `parent`
/// belongs to this user or root and is sticky or writable by its owner
/// alone. Then no other (non-root) user can have put it there: another's
/// directory belongs to them, none can rename one of ours into place, and
/// none can move one of ours they may write (it keeps its owner, and
/// moving a directory needs write permission on it, not ownership).
/// Otherwise why not.
#[cfg(unix)]
pub(crate) fn replacement(parent: &Dir, name: &OsStr) -> io::Result<Result<Dir, &'static str>> {
    let new = match Dir::open_handle_at(parent, name) {
        Ok(new) => new,
        Err(e) => {
            let os = PathError::find(&e).map_or(&e, PathError::os_error);
            return match Errno::from_io_error(os) {
                Some(Errno::NOTDIR | Errno::LOOP) => Ok(Err("it is not a directory")),
                _ => Err(e),
            };
        }
    };
    let euid = crate::sys::euid();
    let (new_owner, new_mode, new_dev) = ops::owner(&new)?;
    let (_, _, dev) = ops::owner(parent)?;
    let guarded = guards_entries(parent)?;
    Ok(if new_owner != euid {
        Err("another user's directory stands in its place")
    } else if new_mode & 0o022 != 0 {
        Err("the directory in its place is writable by other users, who may have moved it there")
    } else if new_dev != dev {
        Err("the directory in its place is on another device")
    } else if !guarded {
        Err("a directory stands in its place, and other users can change the directory it is in")
    } else {
        Ok(new)
    })
}

/// `fstat(dir)`: whether no other (non-root) user can rename or replace
/// the entries of `dir` that this user owns: `dir` belongs to this user or
/// root and is sticky, or only its owner may write it.
#[cfg(unix)]
pub(crate) fn guards_entries(dir: &Dir) -> io::Result<bool> {
    let (owner, mode, _) = ops::owner(dir)?;
    let euid = rustix::process::geteuid().as_raw();
    Ok((owner == euid || owner == 0) && (mode & 0o1000 != 0 || mode & 0o022 == 0))
}

/// WASI has no other users to rename anything, and the runtime confines
/// every handle to its directory: true.
#[cfg(target_os = "wasi")]
pub(crate) fn guards_entries(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// On WASI every file reads as owned by user 0 and no mode bits are known:
/// who put a directory in place of a removed `TempDir` cannot be told, so
/// it is left, as on Windows, and `close` says why.
#[cfg(target_os = "wasi")]
pub(crate) fn replacement(_parent: &Dir, _name: &OsStr) -> io::Result<Result<Dir, &'static str>> {
    Ok(Err(
        "WASI does not tell who owns a directory, so the one in its place is left",
    ))
}

/// Whether a failure of a cleanup pass may go away by itself: removing
/// the top directory found new entries in it (`ENOTEMPTY`, or `EEXIST`,
/// which POSIX allows instead) or found it gone (`ENOENT`); the tree
/// changed. Nothing here stays in use the way it can on Windows.
pub(crate) fn transient(err: &io::Error) -> Option<Transient> {
    let os = PathError::find(err).map_or(err, PathError::os_error);
    match Errno::from_io_error(os) {
        Some(Errno::NOTEMPTY | Errno::EXIST | Errno::NOENT) => Some(Transient::Changed),
        _ => None,
    }
}

/// The tree inside a `TempDir`, emptied pass after pass by the walker
/// (`walk.rs`).
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    /// The `TempDir`'s own handle.
    own: &'a Dir,
    /// Its path, for error messages only.
    path: &'a Path,
    /// How many descriptors the walk keeps open below the top.
    cache: usize,
    /// A descriptor that lists the top directory: `own` may be an `O_PATH`
    /// handle, which cannot. Opened by the first pass, once the directory
    /// is known to be ours.
    readable: Option<OwnedFd>,
    /// Leave every subdirectory a live process holds the owner lock of
    /// (the reaper's walk).
    leave_locked: bool,
}

impl<'a> Tree<'a> {
    /// The tree of the directory `own` is open on and `path` names.
    pub(crate) fn new(own: &'a Dir, path: &'a Path) -> Tree<'a> {
        Tree {
            own,
            path,
            cache: walk::FD_CACHE,
            readable: None,
            leave_locked: false,
        }
    }

    /// The same, leaving (with what is above them) the files and
    /// subdirectories whose owner lock someone holds:
    /// `flock(LOCK_EX|LOCK_NB)` on each directory entered and each
    /// regular file before it is unlinked.
    pub(crate) fn leaving_locked(self) -> Tree<'a> {
        Tree {
            leave_locked: true,
            ..self
        }
    }

    /// The same, keeping at most `cache` descriptors open below the top.
    #[cfg(all(test, unix))]
    pub(crate) fn with_cache(self, cache: usize) -> Tree<'a> {
        Tree { cache, ..self }
    }

    /// Removes everything inside the directory, whose identity is `ours`
    /// (the walk never leaves its device); the first failure, naming its
    /// path.
    pub(crate) fn empty(&mut self, ours: Identity) -> io::Result<()> {
        let root = match &self.readable {
            Some(fd) => fd,
            None => self
                .readable
                .insert(ops::open_readable(self.own.as_fd()).map_err(|e| {
                    PathError::wrap(
                        e.into(),
                        "opening the temporary directory to empty it",
                        self.path,
                    )
                })?),
        };
        walk::Walker::new(root.as_fd(), self.path, ours.dev(), self.cache)
            .leaving_locked(self.leave_locked)
            .run()
    }
}

/// Runs a system call again while a signal interrupts it (`EINTR`).
fn retry<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}
