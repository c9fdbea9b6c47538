//! Windows: removing a `TempDir` with `std`, by path, for now (the Windows
//! issue moves it onto handles). Iterative, never follows a symbolic link
//! or junction (the link itself is removed), clears the read-only
//! attribute of what it cannot otherwise remove.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::windows::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use tempcore::{Dir, PathError};

use crate::cleanup::{self, Report};

/// Removes the temporary directory at `path` and everything in it.
pub(crate) fn remove_temp_dir(
    _parent: &Dir,
    _name: &OsStr,
    _own: &Dir,
    path: &Path,
) -> io::Result<()> {
    match fs::remove_dir(path) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(_) => {}
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => {}
        Ok(_) => return Err(cleanup::replaced(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(PathError::wrap(e, "checking the temporary directory", path));
        }
    }
    let mut report = Report::default();
    // (directory, listed already)
    let mut stack: Vec<(PathBuf, bool)> = vec![(path.to_path_buf(), false)];
    while let Some((dir, listed)) = stack.pop() {
        if listed {
            remove(&dir, true, &mut report);
            continue;
        }
        stack.push((dir.clone(), true));
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                report.fail(PathError::wrap(e, "listing the directory", &dir));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    report.fail(PathError::wrap(e, "listing the directory", &dir));
                    break;
                }
            };
            let entry_path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_symlink() => {
                    remove(&entry_path, kind.is_symlink_dir(), &mut report)
                }
                Ok(kind) if kind.is_dir() => stack.push((entry_path, false)),
                Ok(_) => remove(&entry_path, false, &mut report),
                Err(e) => report.fail(PathError::wrap(e, "inspecting", &entry_path)),
            }
        }
    }
    report.into_result()
}

/// Removes one entry (a directory or directory link with `RemoveDirectoryW`,
/// anything else with `DeleteFileW`), clearing its read-only attribute if
/// that is what stops it.
fn remove(path: &Path, is_dir: bool, report: &mut Report) {
    let attempt = || {
        if is_dir {
            fs::remove_dir(path)
        } else {
            fs::remove_file(path)
        }
    };
    let result = match attempt() {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && clear_read_only(path) => attempt(),
        other => other,
    };
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => report.fail(PathError::wrap(e, "removing", path)),
    }
}

/// Clears the read-only attribute of `path` (not following a link);
/// whether it was set.
#[allow(
    clippy::permissions_set_readonly_false,
    reason = "on Windows this clears the read-only attribute and nothing else"
)]
fn clear_read_only(path: &Path) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    let mut permissions = meta.permissions();
    if !permissions.readonly() {
        return false;
    }
    permissions.set_readonly(false);
    fs::set_permissions(path, permissions).is_ok()
}
