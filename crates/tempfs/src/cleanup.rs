//! Removing a temporary directory and everything in it, without ever
//! touching anything outside it.
//!
//! The policy, written once for every platform over small primitives that
//! each platform's `sys` gives under the same names (`remove_dir`,
//! `dir_identity`, `entry_identity`, `is_removed`, `Tree`, `transient`,
//! `pause`, `PASSES`):
//!
//! 1. **Fast path.** Remove the directory by name through the parent's
//!    handle. An empty directory (the common case) costs one system call
//!    and nothing else.
//! 2. **Is it still ours?** Otherwise, check that the entry at our name in
//!    the parent is the very directory we created (same identity as the
//!    handle we hold). If it was moved away or replaced, by a symlink or
//!    anything else, nothing is removed and the error says so: neither
//!    what now sits at the path nor the moved directory is touched. One
//!    exception: when our directory was removed and a directory of this
//!    user's stands in its place, which only this user (or root) can have
//!    put there (`sys::replacement`: not a symlink, same device, in a
//!    parent no other user can change), that replacement is removed
//!    instead, with the same passes, as the tempfile crate and Python do
//!    (a test that removes and recreates its directory leaves nothing).
//! 3. **Walk.** Empty the tree through the handle held since creation,
//!    iteratively, one directory handle per level opened without following
//!    links and without crossing mount points, with a bounded number of
//!    handles open. Read-only directories are repaired through their own
//!    handles; files never are.
//! 4. **Remove the top**, after checking the identity once more.
//!
//! Steps 2 to 4 are a pass. A pass whose failure may go away by itself
//! (`sys::transient`: something still in use, or new entries in the top)
//! is tried again, after `sys::pause`, at most `sys::PASSES` times in all.
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

use crate::failure::{Transient, kept_changing};
use crate::sys;

/// Removes the temporary directory `name` in `parent`, which `own` is a
/// handle to and `path` names, with everything in it: see the module docs.
pub(crate) fn remove_temp_dir(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    path: &Path,
) -> io::Result<()> {
    match sys::remove_dir(parent, name) {
        Ok(()) => Ok(()),
        Err(_) => remove_slowly(parent, name, own, path, sys::Tree::new(own, path)),
    }
}

/// The way for a directory that is not empty, or not in its place: passes
/// of check, walk (`tree` empties what `own` is open on), check and
/// removal. See the module docs.
pub(crate) fn remove_slowly(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    path: &Path,
    tree: sys::Tree<'_>,
) -> io::Result<()> {
    passes(parent, name, own, path, tree, true)
}

/// Removes the directory `name` in `parent` that [`crate::reap`] found
/// dead, which `own` is a handle to (locked) and `path` names: the passes
/// of [`remove_slowly`] without the fast path, which would remove by name
/// whatever empty directory stands there, and without adopting a
/// replacement, which nothing has checked. Files and directories inside
/// that a live process holds the owner lock of are left, with the
/// directories above them.
pub(crate) fn remove_reaped(parent: &Dir, name: &OsStr, own: &Dir, path: &Path) -> io::Result<()> {
    let tree = sys::Tree::new(own, path).leaving_locked();
    passes(parent, name, own, path, tree, false)
}

/// [`remove_slowly`]; `adopt`: whether a replacement may still be taken
/// on (only once: a replacement replaced in turn is left).
fn passes(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    path: &Path,
    mut tree: sys::Tree<'_>,
    adopt: bool,
) -> io::Result<()> {
    let ours = sys::dir_identity(own).map_err(|e| checking(e, path))?;
    // The last failure of something in use, reported if it lasts.
    let mut in_use = None;
    for pass in 0..sys::PASSES {
        if pass > 0 {
            sys::pause(pass);
        }
        match still_in_place(parent, name, own, ours, path)? {
            Place::Ours => {}
            Place::Removed => return Ok(()),
            Place::Replaced => return replacement(parent, name, own, path, adopt),
        }
        if let Err(e) = tree.empty(ours) {
            if sys::transient(&e) == Some(Transient::InUse) {
                in_use = Some(e);
                continue;
            }
            return Err(e);
        }
        match still_in_place(parent, name, own, ours, path)? {
            Place::Ours => {}
            Place::Removed => return Ok(()),
            Place::Replaced => return replacement(parent, name, own, path, adopt),
        }
        match sys::remove_dir(parent, name) {
            Ok(()) => return Ok(()),
            Err(e) => {
                let e = PathError::wrap(e, "removing the temporary directory", path);
                match sys::transient(&e) {
                    Some(Transient::InUse) => in_use = Some(e),
                    // New entries, or the directory went away meanwhile:
                    // look again.
                    Some(Transient::Changed) => {}
                    None => return Err(e),
                }
            }
        }
    }
    Err(in_use.unwrap_or_else(|| kept_changing(path)))
}

/// Where the temporary directory stands.
enum Place {
    /// At its name, still.
    Ours,
    /// Nowhere: it was removed.
    Removed,
    /// Something else stands at its name.
    Replaced,
}

/// Whether the entry `name` of `parent` is still the directory `own` is
/// open on (`ours` is its identity), that directory has been removed, or
/// something else stands at `name`. An error if it was moved away.
fn still_in_place(
    parent: &Dir,
    name: &OsStr,
    own: &Dir,
    ours: sys::Identity,
    path: &Path,
) -> io::Result<Place> {
    match sys::entry_identity(parent, name) {
        Ok(Some(found)) if found == ours => Ok(Place::Ours),
        Ok(_) => Ok(Place::Replaced),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match sys::is_removed(own) {
            // Removed (by someone else, or by an earlier pass).
            Ok(true) => Ok(Place::Removed),
            Ok(false) => Err(moved_away(path)),
            Err(e) => Err(checking(e, path)),
        },
        Err(e) => Err(checking(e, path)),
    }
}

/// Something else stands at `name`: removed, with the passes of
/// [`remove_slowly`] on a handle to it, if our directory was removed and
/// `sys::replacement` allows (see the module docs); otherwise an error
/// saying why it was left.
fn replacement(parent: &Dir, name: &OsStr, own: &Dir, path: &Path, adopt: bool) -> io::Result<()> {
    if !sys::is_removed(own).map_err(|e| checking(e, path))? {
        return Err(replaced(
            path,
            "it was moved away and something else put here",
        ));
    }
    if !adopt {
        return Err(replaced(
            path,
            "it was replaced, and the replacement replaced in turn",
        ));
    }
    match sys::replacement(parent, name).map_err(|e| checking(e, path))? {
        Ok(new) => passes(parent, name, &new, path, sys::Tree::new(&new, path), false),
        Err(why) => Err(replaced(path, why)),
    }
}

/// The error for a path where something else now stands in place of the
/// temporary directory, left there because of `why`.
fn replaced(path: &Path, why: &str) -> io::Error {
    PathError::custom(
        io::ErrorKind::Other,
        "removing the temporary directory",
        path,
        format!(
            "the entry at this path is no longer the temporary directory ({why}); \
             nothing was removed"
        ),
    )
}

/// The error for a temporary directory that is no longer at its path.
fn moved_away(path: &Path) -> io::Error {
    PathError::custom(
        io::ErrorKind::NotFound,
        "removing the temporary directory",
        path,
        "it was moved away from this path; nothing was removed",
    )
}

/// A failure to tell which directory stands where.
fn checking(e: io::Error, path: &Path) -> io::Error {
    PathError::wrap(e, "checking the temporary directory", path)
}
