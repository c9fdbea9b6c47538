//! Windows specifics of tempfs, written with `std` only for now: reopening
//! by path and handle access.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, RawHandle};

use tempcore::Dir;

use crate::file::TempFile;
use crate::named::NamedTempFile;

/// Opens a symbolic link or other reparse point itself, not its target.
const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;

/// Windows has no permission bits: the defaults stand.
pub(crate) fn mode_of(permissions: &Permissions) -> u32 {
    if permissions.readonly() {
        0o400
    } else {
        tempcore::FILE_MODE
    }
}

/// Opens the path of `name` in `dir` again (`CreateFileW` with
/// `FILE_FLAG_OPEN_REPARSE_POINT`, so a link planted there is not
/// followed) and checks that it is `file` by creation time, the identity
/// `std` exposes on Windows. (Comparing volume serial and file index needs
/// `GetFileInformationByHandle`: the Windows issue adds it.)
pub(crate) fn reopen(file: &File, dir: &Dir, name: &OsStr) -> io::Result<File> {
    let reopened = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(dir.path().join(name))?;
    let (ours, found) = (file.metadata()?, reopened.metadata()?);
    if ours.creation_time() != found.creation_time() || found.is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the name now belongs to another file (the temporary file was removed and \
             something else created in its place)",
        ));
    }
    Ok(reopened)
}

impl AsHandle for TempFile {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.as_file().as_handle()
    }
}

impl AsRawHandle for TempFile {
    fn as_raw_handle(&self) -> RawHandle {
        self.as_file().as_raw_handle()
    }
}

impl<F: AsHandle> AsHandle for NamedTempFile<F> {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.as_file().as_handle()
    }
}

impl<F: AsRawHandle> AsRawHandle for NamedTempFile<F> {
    fn as_raw_handle(&self) -> RawHandle {
        self.as_file().as_raw_handle()
    }
}
