//! What the parts of a directory cleanup share about failing: the first
//! failure a walk reports ([`Report`]), the error for a tree that kept
//! changing, and what a failed pass means for the next ([`Transient`]).
//!
//! A leaf: `crate::cleanup` (the policy) and the walkers in `sys` (its
//! primitives) both use it, and it uses neither, so that `sys` never calls
//! back into the policy.

use std::io;
use std::path::Path;

use tempcore::PathError;

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

/// What a failure of one pass of cleanup means for the next, as the
/// platform's `sys::transient` tells (`None` there: it will not go away,
/// and is reported at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transient {
    /// Something in the tree is still in use and may be released: the pass
    /// is tried again, and if the passes run out, this failure is the one
    /// reported.
    InUse,
    /// The tree changed under the pass (new entries in the top directory,
    /// or it went away between the check and the removal): the pass is
    /// tried again, and if the passes run out, the error says that it kept
    /// changing. The walk copes with changes below the top itself, so a
    /// walk that fails this way has failed for good.
    Changed,
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
