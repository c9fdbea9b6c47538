//! Helpers shared by the file tests.

use std::io;
use std::path::Path;

/// Asserts that `err` has `kind` and that its message names `path`.
#[track_caller]
pub(crate) fn assert_names(err: &io::Error, kind: io::ErrorKind, path: &Path) {
    assert_eq!(err.kind(), kind, "{err}");
    let shown = path.display().to_string();
    assert!(
        err.to_string().contains(&shown),
        "the error should name {shown}: {err}"
    );
}

/// The contents of the file at `path`, as a string.
#[track_caller]
pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
