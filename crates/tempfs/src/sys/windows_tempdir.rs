//! Windows: the primitives `crate::cleanup` removes a `TempDir` with,
//! through directory handles (the policy, and the order of these calls,
//! is in `crate::cleanup`), and the walk that empties the tree.
//!
//! The walk lists each directory through its handle
//! (`GetFileInformationByHandleEx(FileFullDirectoryInfo)`), removes files
//! and links relative to that handle ([`tempcore::remove_file_at`],
//! [`tempcore::remove_dir_at`]: a symbolic link or junction is removed
//! itself, never followed) and enters subdirectories with
//! [`Dir::open_at`], which refuses any reparse point, so it never leaves
//! the tree, not even through a mount point. It is iterative: a tree
//! 10,000 deep costs one handle per level (Windows has no small limit on
//! handles), not stack.
//!
//! Read-only files and directories are removed as they are (tempcore
//! clears the attribute of the entry it removes, through the handle it
//! removes it with). An entry another process holds open is what Windows
//! cannot always remove at once: with POSIX delete semantics (Windows 10 on
//! NTFS) it goes anyway; without them it lingers until closed, or cannot be
//! opened for deletion at all (a sharing violation). Such failures are
//! [`transient`]: cleanup walks the tree again, [`PASSES`] times over about
//! a third of a second, then reports the failure with the path it concerns.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::windows::ffi::OsStringExt;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, RawHandle};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempcore::{Dir, PathError};
use windows_sys::Win32::Foundation::{ERROR_NO_MORE_FILES, HANDLE};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT, FILE_FULL_DIR_INFO, FILE_STANDARD_INFO,
    FileFullDirectoryInfo, FileFullDirectoryRestartInfo, FileStandardInfo,
    GetFileInformationByHandleEx,
};

use crate::dir::TempDir;
use crate::failure::{Report, Transient};
use crate::sys::identity;

/// The `TempDir`'s own directory handle, open since creation: create files
/// in it with the `tempcore` `*_at` functions and they land in this
/// directory even if its path changes.
impl AsHandle for TempDir {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.as_dir().as_handle()
    }
}

impl AsRawHandle for TempDir {
    fn as_raw_handle(&self) -> RawHandle {
        self.as_dir().as_raw_handle()
    }
}

/// How many passes cleanup makes: the first walk, then retries while
/// something in the tree is in use or the tree keeps changing.
pub(crate) const PASSES: u32 = 6;

/// The pause before retry `pass` (1-based): 10, 20, 40, 80, 160 ms.
fn backoff(pass: u32) -> Duration {
    Duration::from_millis(10 << (pass - 1).min(4))
}

/// Waits before pass `pass` (1-based) for what is in use to be released:
/// [`backoff`], about a third of a second over all [`PASSES`].
pub(crate) fn pause(pass: u32) {
    std::thread::sleep(backoff(pass));
}

/// Removes the directory `name` of `parent` if it is empty
/// ([`tempcore::remove_dir_at`]: relative to the handle).
pub(crate) fn remove_dir(parent: &Dir, name: &OsStr) -> io::Result<()> {
    tempcore::remove_dir_at(parent, name)
}

/// The volume serial number and file index of a directory or file.
pub(crate) type Identity = (u32, u64);

/// The identity of the directory `dir` is open on
/// (`GetFileInformationByHandle`).
pub(crate) fn dir_identity(dir: &Dir) -> io::Result<Identity> {
    identity(dir)
}

/// The identity of the directory `name` of `parent`, opened without
/// following a reparse point ([`Dir::open_at`]); `None` if what stands
/// there is a link, a junction, a file or anything but a directory.
pub(crate) fn entry_identity(parent: &Dir, name: &OsStr) -> io::Result<Option<Identity>> {
    match Dir::open_at(parent, name) {
        Ok(found) => identity(&found).map(Some),
        // ERROR_STOPPED_ON_SYMLINK: a link or junction.
        Err(e)
            if PathError::find(&e).is_some_and(|p| p.os_error().raw_os_error() == Some(681))
                || e.kind() == io::ErrorKind::NotADirectory =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Whether the directory `dir` is open on has been removed: see
/// [`delete_pending`].
pub(crate) fn is_removed(dir: &Dir) -> io::Result<bool> {
    delete_pending(dir)
}

/// Never a directory to remove in place of a `TempDir`'s: the held handle
/// lets the directory be deleted while open, but who made what stands at
/// its name now is not checked here (owner SIDs and inherited ACLs), so it
/// is left, and `close` says why.
pub(crate) fn replacement(_parent: &Dir, _name: &OsStr) -> io::Result<Result<Dir, &'static str>> {
    Ok(Err("on Windows a replacement is never removed"))
}

/// Whether no other user can rename or replace this user's entries in
/// `dir`: Windows's temporary directories are per user, and entries carry
/// their own access lists; true.
pub(crate) fn guards_entries(_dir: &Dir) -> io::Result<bool> {
    Ok(true)
}

/// Whether a failure of a cleanup pass may go away by itself: an entry is
/// in use (`ERROR_SHARING_VIOLATION`, `ERROR_LOCK_VIOLATION`), waiting for
/// its last handle to close (`ERROR_ACCESS_DENIED`, which a delete-pending
/// entry also gives), or a directory is not empty yet
/// (`ERROR_DIR_NOT_EMPTY`: its entries linger until closed); or the top
/// directory went away between the check and its removal (not found).
pub(crate) fn transient(err: &io::Error) -> Option<Transient> {
    let os = PathError::find(err).map_or(err, PathError::os_error);
    if matches!(os.raw_os_error(), Some(5 | 32 | 33 | 145)) {
        Some(Transient::InUse)
    } else if err.kind() == io::ErrorKind::NotFound {
        Some(Transient::Changed)
    } else {
        None
    }
}

/// The tree inside a `TempDir`, emptied pass after pass by [`Walker`].
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    /// The `TempDir`'s own handle.
    own: &'a Dir,
    /// Its path, for error messages only.
    path: &'a Path,
}

impl<'a> Tree<'a> {
    /// The tree of the directory `own` is open on and `path` names.
    pub(crate) fn new(own: &'a Dir, path: &'a Path) -> Tree<'a> {
        Tree { own, path }
    }

    /// Removes everything inside the directory (`_ours` is its identity:
    /// nothing here needs it, reparse points are never entered); the first
    /// failure, naming its path.
    pub(crate) fn empty(&mut self, _ours: Identity) -> io::Result<()> {
        Walker::new(self.path).run(self.own)
    }
}

/// Whether the directory open as `dir` has been deleted (or is about to
/// be, when its last handle closes): `FileStandardInfo.DeletePending`.
fn delete_pending(dir: &Dir) -> io::Result<bool> {
    // SAFETY: an all-zero FILE_STANDARD_INFO is valid.
    let mut info: FILE_STANDARD_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: `dir` is an open handle and `info` is writable for its size.
    let ok = unsafe {
        GetFileInformationByHandleEx(
            dir.as_raw_handle() as HANDLE,
            FileStandardInfo,
            (&raw mut info).cast(),
            std::mem::size_of_val(&info) as u32,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info.DeletePending)
}

/// One directory of the tree being emptied.
struct Frame {
    /// Its handle; the root's is a duplicate of the `TempDir`'s.
    dir: Dir,
    /// Its name in the parent frame (empty for the root).
    name: OsString,
    /// Subdirectories listed but not yet entered.
    pending: Vec<OsString>,
    /// Whether something in it could not be removed: then neither can it.
    kept: bool,
}

/// Empties a tree, depth first, with an explicit stack.
struct Walker<'a> {
    root: &'a Path,
    report: Report,
}

/// What an entry is, from its listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A directory to enter.
    Dir,
    /// A symbolic link to a directory, a junction or another directory
    /// reparse point: removed as a directory entry, never entered.
    DirLink,
    /// Anything else: removed as a file (a file symlink is removed itself).
    File,
}

impl<'a> Walker<'a> {
    fn new(root: &'a Path) -> Walker<'a> {
        Walker {
            root,
            report: Report::default(),
        }
    }

    /// The path of the frame at the top of `stack`, joined with `name`.
    fn path_of(&self, stack: &[Frame], name: &OsStr) -> PathBuf {
        let mut path = self.root.to_path_buf();
        for frame in &stack[1..] {
            path.push(&frame.name);
        }
        path.push(name);
        path
    }

    /// Empties `own`'s tree; the first failure, naming its path.
    fn run(mut self, own: &Dir) -> io::Result<()> {
        let root = own.try_clone().map_err(|e| checking(e, self.root))?;
        let mut stack = vec![Frame {
            dir: root,
            name: OsString::new(),
            pending: Vec::new(),
            kept: false,
        }];
        self.list_top(&mut stack);
        while let Some(top) = stack.last_mut() {
            if let Some(child) = top.pending.pop() {
                match Dir::open_at(&top.dir, &child) {
                    Ok(dir) => {
                        stack.push(Frame {
                            dir,
                            name: child,
                            pending: Vec::new(),
                            kept: false,
                        });
                        self.list_top(&mut stack);
                    }
                    Err(e) => self.not_entered(&mut stack, &child, e),
                }
                continue;
            }
            let done = stack.pop().expect("the stack is not empty");
            let Some(parent) = stack.last_mut() else {
                break;
            };
            let kept = done.kept;
            let name = done.name;
            // Our handle must be closed before the directory can go.
            drop(done.dir);
            if kept {
                parent.kept = true;
            } else if let Err(e) = tempcore::remove_dir_at(&parent.dir, &name) {
                parent.kept = true;
                self.fail_gone_ok(e);
            }
        }
        self.report.into_result()
    }

    /// Lists the directory at the top of `stack`, removing files and links
    /// at once and queueing subdirectories.
    fn list_top(&mut self, stack: &mut [Frame]) {
        let entries = match list(&stack[stack.len() - 1].dir) {
            Ok(entries) => entries,
            Err(e) => {
                let path = self.path_of(stack, OsStr::new(""));
                self.report
                    .fail(PathError::wrap(e, "listing the directory", path));
                stack[stack.len() - 1].kept = true;
                return;
            }
        };
        for (name, kind) in entries {
            let top = stack.len() - 1;
            let removed = match kind {
                Kind::Dir => {
                    stack[top].pending.push(name);
                    continue;
                }
                Kind::DirLink => tempcore::remove_dir_at(&stack[top].dir, &name),
                Kind::File => tempcore::remove_file_at(&stack[top].dir, &name),
            };
            if let Err(e) = removed {
                if e.kind() != io::ErrorKind::NotFound {
                    stack[top].kept = true;
                }
                self.fail_gone_ok(e);
            }
        }
    }

    /// A listed subdirectory `name` that could not be entered: gone (fine),
    /// now a link or a file (removed as one, never entered), or a failure.
    fn not_entered(&mut self, stack: &mut [Frame], name: &OsStr, e: io::Error) {
        let top = stack.len() - 1;
        let os = PathError::find(&e).and_then(|p| p.os_error().raw_os_error());
        let removed = if e.kind() == io::ErrorKind::NotFound {
            return;
        } else if os == Some(681) {
            // ERROR_STOPPED_ON_SYMLINK: it became a link or junction.
            tempcore::remove_dir_at(&stack[top].dir, name)
                .or_else(|_| tempcore::remove_file_at(&stack[top].dir, name))
        } else if e.kind() == io::ErrorKind::NotADirectory {
            tempcore::remove_file_at(&stack[top].dir, name)
        } else {
            Err(e)
        };
        if let Err(e) = removed {
            stack[top].kept = true;
            self.fail_gone_ok(e);
        }
    }

    /// Records a failure, unless the entry is simply gone already (another
    /// deleter was faster).
    fn fail_gone_ok(&mut self, e: io::Error) {
        if e.kind() != io::ErrorKind::NotFound {
            self.report.fail(e);
        }
    }
}

/// The entries of `dir` (not `.` and `..`) with what each is, read through
/// its handle.
fn list(dir: &Dir) -> io::Result<Vec<(OsString, Kind)>> {
    let mut entries = Vec::new();
    // u64 units: the records are 8-aligned.
    let mut buffer = vec![0u64; 8 * 1024];
    let mut class = FileFullDirectoryRestartInfo;
    loop {
        // SAFETY: `dir` is an open directory handle; the buffer is
        // writable for the size given.
        let ok = unsafe {
            GetFileInformationByHandleEx(
                dir.as_raw_handle() as HANDLE,
                class,
                buffer.as_mut_ptr().cast(),
                std::mem::size_of_val(buffer.as_slice()) as u32,
            )
        };
        if ok == 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(ERROR_NO_MORE_FILES as i32) {
                return Ok(entries);
            }
            return Err(e);
        }
        class = FileFullDirectoryInfo;
        let base = buffer.as_ptr().cast::<u8>();
        let mut offset = 0usize;
        loop {
            // SAFETY: the system wrote a chain of FILE_FULL_DIR_INFO
            // records into the buffer; `offset` follows NextEntryOffset,
            // which stays inside it, and records are 8-aligned.
            let record = unsafe { &*base.add(offset).cast::<FILE_FULL_DIR_INFO>() };
            let units = record.FileNameLength as usize / 2;
            // SAFETY: the name follows the record's header inside the
            // buffer, `FileNameLength` bytes long.
            let name = unsafe {
                std::slice::from_raw_parts((&raw const record.FileName).cast::<u16>(), units)
            };
            if name != [0x2e] && name != [0x2e, 0x2e] {
                entries.push((OsString::from_wide(name), kind_of(record.FileAttributes)));
            }
            if record.NextEntryOffset == 0 {
                break;
            }
            offset += record.NextEntryOffset as usize;
        }
    }
}

/// What an entry with `attributes` is.
fn kind_of(attributes: u32) -> Kind {
    let dir = attributes & FILE_ATTRIBUTE_DIRECTORY != 0;
    let reparse = attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0;
    match (dir, reparse) {
        (true, false) => Kind::Dir,
        (true, true) => Kind::DirLink,
        (false, _) => Kind::File,
    }
}

fn checking(e: io::Error, path: &Path) -> io::Error {
    PathError::wrap(e, "checking the temporary directory", path)
}

impl<'a> Tree<'a> {
    /// The same tree: no directory is locked here.
    pub(crate) fn leaving_locked(self) -> Tree<'a> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_never_entered() {
        assert_eq!(kind_of(FILE_ATTRIBUTE_DIRECTORY), Kind::Dir);
        assert_eq!(
            kind_of(FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT),
            Kind::DirLink
        );
        assert_eq!(kind_of(FILE_ATTRIBUTE_REPARSE_POINT), Kind::File);
        assert_eq!(kind_of(0x20), Kind::File);
    }

    #[test]
    fn retries_are_bounded_to_about_a_third_of_a_second() {
        let total: Duration = (1..PASSES).map(backoff).sum();
        assert_eq!(total, Duration::from_millis(310));
    }
}
