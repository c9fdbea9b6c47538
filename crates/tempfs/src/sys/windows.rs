//! Windows specifics of tempfs: permission bits, reopening by name
//! relative to the directory handle, and handle access.

use std::ffi::OsStr;
use std::fs::{File, Permissions};
use std::io;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, RawHandle};
use std::path::Path;

use tempcore::Dir;
use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, GetFileInformationByHandle,
};

use crate::file::TempFile;
use crate::named::NamedTempFile;

/// The entry name `path` ends in: `path.file_name()`, empty for none (the
/// unix backend finds it where `dir` ends; here the parse is kept).
pub(crate) fn name_in<'p>(path: &'p Path, _dir: &Path) -> &'p OsStr {
    path.file_name().unwrap_or_default()
}

/// Windows has no permission bits: a read-only `permissions` is a
/// read-only file, anything else the private default (0600: a DACL for the
/// current user only).
pub(crate) fn mode_of(permissions: &Permissions) -> u32 {
    if permissions.readonly() {
        0o400
    } else {
        tempcore::FILE_MODE
    }
}

/// Opens `name` in `dir` again, relative to the directory handle and
/// without following a link ([`Dir::open_file`]), and checks that it is
/// `file`: same volume serial number and file index
/// (`GetFileInformationByHandle` on both).
pub(crate) fn reopen(file: &File, dir: &Dir, name: &OsStr) -> io::Result<File> {
    let reopened = dir.open_file(name)?;
    if identity(file)? != identity(&reopened)? {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the name now belongs to another file (the temporary file was removed and \
             something else created in its place)",
        ));
    }
    Ok(reopened)
}

/// The volume serial number and file index of an open file or directory:
/// what tells two files apart on Windows (device and inode on unix).
pub(crate) fn identity(file: &impl AsRawHandle) -> io::Result<(u32, u64)> {
    // SAFETY: an all-zero BY_HANDLE_FILE_INFORMATION is valid.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: `file` is an open handle; `info` is writable.
    let ok = unsafe { GetFileInformationByHandle(file.as_raw_handle() as HANDLE, &mut info) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Ok((info.dwVolumeSerialNumber, index))
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

impl AsHandle for crate::memory::MemoryFile {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.as_file().as_handle()
    }
}

impl AsRawHandle for crate::memory::MemoryFile {
    fn as_raw_handle(&self) -> RawHandle {
        self.as_file().as_raw_handle()
    }
}

/// This process's id.
pub(crate) fn process_id() -> u32 {
    std::process::id()
}
