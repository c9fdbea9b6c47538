//! Unix: removing a `TempDir` through directory descriptors (the policy is
//! in `crate::cleanup`).

mod hooks;
mod ops;
#[cfg(test)]
mod tests;
mod walk;

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use rustix::io::Errno;
use tempcore::{Dir, PathError};

use crate::cleanup;
use crate::dir::TempDir;
use ops::Identity;

/// The `TempDir`'s own directory descriptor, open since creation
/// (`O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC`, and `O_PATH` on Linux, read-only
/// elsewhere): create files in it with `*at` calls and they land in this
/// directory even if its path changes.
impl AsFd for TempDir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_dir().as_fd()
    }
}

/// Removes the temporary directory `name` of `parent` (`own` is open on
/// it, `path` names it): `unlinkat(parent, name, AT_REMOVEDIR)` first, and
/// only if that fails, the identity check, the walk and a checked
/// `unlinkat` again.
pub(crate) fn remove_temp_dir(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    path: &Path,
) -> io::Result<()> {
    match ops::remove_dir(parent, name) {
        Ok(()) => Ok(()),
        Err(_) => remove_slowly(parent, name, own, path, walk::FD_CACHE),
    }
}

/// The way for a directory that is not empty (or not in its place): see
/// `crate::cleanup`. `cache` bounds the descriptors the walk keeps open.
fn remove_slowly(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    path: &Path,
    cache: usize,
) -> io::Result<()> {
    let (ours, _) = ops::identity(own).map_err(|e| checking(e, path))?;
    // `own` may be an `O_PATH` handle, which cannot list: the walk reads
    // the same directory through a descriptor opened from it, once it is
    // known to be ours.
    let mut readable = None;
    for _ in 0..TOP_PASSES {
        if !still_in_place(parent, name, own, ours, path)? {
            return Ok(());
        }
        let root = match &readable {
            Some(fd) => fd,
            None => readable.insert(ops::open_readable(own.as_fd()).map_err(|e| {
                PathError::wrap(
                    e.into(),
                    "opening the temporary directory to empty it",
                    path,
                )
            })?),
        };
        walk::Walker::new(root.as_fd(), path, ours.dev(), cache).run()?;
        if !still_in_place(parent, name, own, ours, path)? {
            return Ok(());
        }
        match ops::remove_dir(parent, name) {
            Ok(()) => return Ok(()),
            // New entries, or the directory went away meanwhile: look again.
            Err(Errno::NOTEMPTY | Errno::EXIST | Errno::NOENT) => {}
            Err(e) => {
                return Err(PathError::wrap(
                    e.into(),
                    "removing the temporary directory",
                    path,
                ));
            }
        }
    }
    Err(cleanup::kept_changing(path))
}

/// Whether the entry `name` of `parent` is still the directory `own` is
/// open on (`true`), or that directory has been removed (`false`). An
/// error if it was moved away or something else stands at `name`: then
/// nothing may be removed.
fn still_in_place(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    ours: Identity,
    path: &Path,
) -> io::Result<bool> {
    match ops::identity_at(parent, name) {
        Ok(found) if found == ours => Ok(true),
        Ok(_) => Err(cleanup::replaced(path)),
        Err(Errno::NOENT) => match ops::identity(own) {
            // Removed (by someone else, or by an earlier attempt).
            Ok((_, 0)) => Ok(false),
            Ok(_) => Err(cleanup::moved_away(path)),
            Err(e) => Err(checking(e, path)),
        },
        Err(e) => Err(checking(e, path)),
    }
}

/// How many times the whole tree is walked again because new entries
/// appeared in it after it was emptied.
const TOP_PASSES: u32 = 8;

/// The error for a mount point inside the tree, which cleanup never
/// crosses.
fn mount_point(path: &Path) -> io::Error {
    PathError::custom(
        io::ErrorKind::ResourceBusy,
        "not crossing the mount point",
        path,
        "cleanup never leaves the temporary directory's file system; it was left in place",
    )
}

fn checking(e: Errno, path: &Path) -> io::Error {
    PathError::wrap(e.into(), "checking the temporary directory", path)
}
