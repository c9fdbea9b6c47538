//! Unix specifics of tempfs: permission bits, reopening by name relative
//! to the directory handle, and file-descriptor access.

use std::ffi::OsStr;
use std::fs::{File, Permissions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::PermissionsExt;

use rustix::fs::{self as rfs, Mode, OFlags};
use rustix::io::Errno;
use tempcore::Dir;

use crate::file::TempFile;
use crate::named::NamedTempFile;

/// The permission bits of `permissions`.
pub(crate) fn mode_of(permissions: &Permissions) -> u32 {
    permissions.mode() & 0o7777
}

/// Opens `name` in `dir` again for reading and writing and checks that it
/// is `file`: `openat(dirfd, name, O_RDWR|O_NOFOLLOW|O_NOCTTY|O_CLOEXEC)`,
/// then `fstat` on both and a comparison of device and inode.
pub(crate) fn reopen(file: &File, dir: &Dir, name: &OsStr) -> io::Result<File> {
    let flags = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::CLOEXEC;
    let reopened = loop {
        match rfs::openat(dir, name, flags, Mode::empty()) {
            Err(Errno::INTR) => continue,
            other => break other?,
        }
    };
    let (ours, found) = (rfs::fstat(file)?, rfs::fstat(&reopened)?);
    if (ours.st_dev, ours.st_ino) != (found.st_dev, found.st_ino) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the name now belongs to another file (the temporary file was removed and \
             something else created in its place)",
        ));
    }
    Ok(File::from(reopened))
}

impl AsFd for TempFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_file().as_fd()
    }
}

impl AsRawFd for TempFile {
    fn as_raw_fd(&self) -> RawFd {
        self.as_file().as_raw_fd()
    }
}

impl<F: AsFd> AsFd for NamedTempFile<F> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_file().as_fd()
    }
}

impl<F: AsRawFd> AsRawFd for NamedTempFile<F> {
    fn as_raw_fd(&self) -> RawFd {
        self.as_file().as_raw_fd()
    }
}
