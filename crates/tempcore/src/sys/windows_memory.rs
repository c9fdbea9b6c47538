//! Windows: no memfd, no tmpfs, no seals. A memory-backed file is the
//! anonymous file of the temporary directory, which is already created with
//! `FILE_ATTRIBUTE_TEMPORARY` and `FILE_DELETE_ON_CLOSE`.

use std::ffi::OsStr;
use std::fs::File;
use std::io;

use crate::dir::Dir;

/// Windows has no `memfd_create`.
pub(crate) fn memfd(_name: &OsStr, _sealing: bool) -> io::Result<Option<File>> {
    Ok(None)
}

/// Windows has no `/dev/shm`.
pub(crate) fn shm_dir() -> Option<Dir> {
    None
}

/// Windows has no seals: `Unsupported`.
pub(crate) fn add_seals(_file: &File, _seals: u32) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "Windows has no file seals",
    ))
}

/// Windows has no seals: `Unsupported`.
pub(crate) fn get_seals(_file: &File) -> io::Result<u32> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "Windows has no file seals",
    ))
}
