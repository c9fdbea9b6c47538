//! Removing a temporary directory and everything in it, without ever
//! touching anything outside it.
//!
//! The policy, shared by every platform (the system calls live in
//! `sys`):
//!
//! 1. **Fast path.** Remove the directory by name through the parent's
//!    handle. An empty directory (the common case) costs one system call
//!    and nothing else.
//! 2. **Is it still ours?** Otherwise, check that the entry at our name in
//!    the parent is the very directory we created (same device and inode
//!    as the handle we hold). If it was moved away or replaced, by a
//!    symlink or anything else, nothing is removed and the error says so:
//!    neither what now sits at the path nor the moved directory is touched.
//! 3. **Walk.** Empty the tree through the handle held since creation,
//!    iteratively, one directory handle per level opened without following
//!    links and without crossing mount points, with a bounded number of
//!    handles open. Read-only directories are repaired through their own
//!    handles; files never are.
//! 4. **Remove the top**, after checking the identity once more.
//!
//! Every failure is recorded, the walk goes on with what it can still
//! remove, and the first failure is reported with the path it concerns.
//!
//! What is inside is removed whoever owns it, as `rm -rf` does: a rule
//! about owners cannot tell a directory a less privileged writer moved in
//! from a tree the program made with other owners (see
//! `docs/security.md`, "Directories moved in by a less privileged
//! writer").

use std::ffi::OsStr;
use std::io;
use std::path::Path;

use tempcore::{Dir, PathError};

use crate::sys;

/// Removes the temporary directory `name` in `parent`, which `own` is a
/// handle to and `path` names, with everything in it: see the module docs.
pub(crate) fn remove_temp_dir(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    path: &Path,
) -> io::Result<()> {
    sys::remove_temp_dir(parent, name, own, path)
}

/// The first failure of a cleanup; later ones are usually consequences of
/// it (a directory that cannot be removed because something in it could
/// not be).
#[derive(Debug, Default)]
pub(crate) struct Report {
    first: Option<io::Error>,
}

impl Report {
    /// Records a failure.
    pub(crate) fn fail(&mut self, err: io::Error) {
        if self.first.is_none() {
            self.first = Some(err);
        }
    }

    /// `Ok` if everything went, else the first failure.
    pub(crate) fn into_result(self) -> io::Result<()> {
        self.first.map_or(Ok(()), Err)
    }
}

/// The error for a path where something else now stands in place of the
/// temporary directory.
pub(crate) fn replaced(path: &Path) -> io::Error {
    PathError::custom(
        io::ErrorKind::Other,
        "removing the temporary directory",
        path,
        "the entry at this path is no longer the temporary directory (it was moved or replaced); \
         nothing was removed",
    )
}

/// The error for a temporary directory that is no longer at its path.
pub(crate) fn moved_away(path: &Path) -> io::Error {
    PathError::custom(
        io::ErrorKind::NotFound,
        "removing the temporary directory",
        path,
        "it was moved away from this path; nothing was removed",
    )
}

/// The error for a directory that kept getting new entries, or kept being
/// swapped, while it was being emptied.
pub(crate) fn kept_changing(path: &Path) -> io::Error {
    PathError::custom(
        io::ErrorKind::DirectoryNotEmpty,
        "removing",
        path,
        "it kept changing while it was being removed",
    )
}
