//! Windows specifics of `crate::testing`.

use std::ffi::OsString;
use std::io;
use std::time::SystemTime;

use tempcore::Dir;

/// An open directory cannot be removed everywhere (Wine cannot): the
/// handle is closed first.
pub(crate) const REMOVES_OPEN_DIRS: bool = false;

/// Whether `dir` is private to the current user. Run directories live in
/// the user's own temporary directory (`AppData\Local\Temp`), which no
/// other user can write to, and are created with an access list for the
/// current user only: true.
pub(crate) fn private_to_me(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// Marks a run directory as in use: a run is one process on Windows
/// ([`run_key`]), and its open handle keeps the directory itself; true.
pub(crate) fn hold_run(_dir: &Dir) -> bool {
    true
}

/// Whether no process uses a run directory: Windows has no lock on a
/// directory handle, so a live run's directory may be pruned like an old
/// one (as `crate::testing`'s docs say); true.
pub(crate) fn run_unused(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// The directories in `parent` whose names start with `prefix`, with
/// when each was last modified: the user's own temporary directory holds
/// only the user's (owners are not compared here).
pub(crate) fn my_runs(parent: &Dir, prefix: &str) -> io::Result<Vec<(SystemTime, OsString)>> {
    let mut runs = Vec::new();
    for entry in std::fs::read_dir(parent.path())? {
        let entry = entry?;
        let name = entry.file_name();
        if !name.as_encoded_bytes().starts_with(prefix.as_bytes()) {
            continue;
        }
        // The entry itself, not what a link points to.
        match entry.metadata() {
            Ok(meta) if meta.is_dir() => {
                runs.push((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), name));
            }
            _ => {}
        }
    }
    Ok(runs)
}

/// What the processes of one test run share: without a cheap way to learn
/// the parent process, the process itself.
pub(crate) fn run_key() -> String {
    format!("pid-{}", std::process::id())
}
