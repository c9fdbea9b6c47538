//! Windows specifics of `crate::testing`.

use std::io;

use tempcore::Dir;

/// Whether `dir` is private to the current user. Run directories live in
/// the user's own temporary directory (`AppData\Local\Temp`), which no
/// other user can write to, and are created with an access list for the
/// current user only: true.
pub(crate) fn private_to_me(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// Marks a run directory as in use: a run is one process on Windows
/// ([`run_key`]), and its open handle keeps the directory itself; true.
pub(crate) fn hold_run(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// Whether no process uses a run directory: Windows has no lock on a
/// directory handle, so a live run's directory may be pruned like an old
/// one (as `crate::testing`'s docs say); true.
pub(crate) fn run_unused(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// What the processes of one test run share: without a cheap way to learn
/// the parent process, the process itself.
pub(crate) fn run_key() -> String {
    format!("pid-{}", std::process::id())
}
