//! Unix specifics of tempfs: permission bits, reopening by name relative
//! to the directory handle, and file-descriptor access.

use std::ffi::OsStr;
use std::fs::{File, Permissions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
use rustix::io::Errno;
use tempcore::Dir;

use crate::file::TempFile;
use crate::named::NamedTempFile;

/// The permission bits of `permissions`.
#[cfg(unix)]
pub(crate) fn mode_of(permissions: &Permissions) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    permissions.mode() & 0o7777
}

/// WASI has no permission bits, only "read-only": 0o444 or 0o666, which
/// creation ignores there anyway.
#[cfg(target_os = "wasi")]
pub(crate) fn mode_of(permissions: &Permissions) -> u32 {
    if permissions.readonly() { 0o444 } else { 0o666 }
}

/// The entry name `path` ends in, where `path` is normally `dir` joined
/// with one name: what `path.file_name()` returns (empty for none), at a
/// tenth of its cost, since the name is where `dir` ends rather than found
/// by parsing the whole path. (A plain loop: `contains` goes through
/// `memchr`, 100 instructions for a 16-byte name.) Checked, so any `path` gets the right
/// answer: the bytes after `dir` and a `/` must be one name, not `.` or
/// `..`, else the path is parsed after all.
#[cfg(unix)]
#[allow(
    clippy::manual_contains,
    reason = "measured: `contains` is a `memchr` call, 100 instructions for a 16-byte name"
)]
pub(crate) fn name_in<'p>(path: &'p Path, dir: &Path) -> &'p OsStr {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let slash = dir.as_os_str().len();
    match (bytes.get(slash), bytes.get(slash + 1..)) {
        (Some(b'/'), Some(name))
            if !name.is_empty()
                && name != b"."
                && name != b".."
                && !name.iter().any(|&b| b == b'/') =>
        {
            OsStr::from_bytes(name)
        }
        _ => path.file_name().unwrap_or_default(),
    }
}

/// WASI: `path.file_name()`, empty for none (`OsStrExt` is unstable on
/// `wasm32-wasip2`).
#[cfg(target_os = "wasi")]
pub(crate) fn name_in<'p>(path: &'p Path, _dir: &Path) -> &'p OsStr {
    path.file_name().unwrap_or_default()
}

/// This process's id.
#[cfg(unix)]
pub(crate) fn process_id() -> u32 {
    std::process::id()
}

/// WASI has no processes to tell apart (`std::process::id` panics there):
/// one process, id 0.
#[cfg(target_os = "wasi")]
pub(crate) fn process_id() -> u32 {
    0
}

/// The effective user ID (`geteuid`).
#[cfg(unix)]
pub(crate) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// WASI has no users: the program, like every file it sees (`st_uid` is
/// always 0 there), counts as user 0.
#[cfg(target_os = "wasi")]
pub(crate) fn euid() -> u32 {
    0
}

/// Opens `name` in `dir` again for reading and writing and checks that it
/// is `file`: `openat(dirfd, name, O_RDWR|O_NOFOLLOW|O_NOCTTY|O_NONBLOCK|
/// O_CLOEXEC)`, then `fstat` on both and a comparison of device and inode,
/// then `fcntl(F_SETFL)` to clear `O_NONBLOCK` on the file handed out.
///
/// `O_NONBLOCK` keeps the open from waiting on whatever sits at the name
/// once it is no longer ours: a FIFO, or a file on which another user holds
/// a lease (`F_SETLEASE`), where a blocking open waits up to
/// `/proc/sys/fs/lease-break-time` (45 s by default). A lease makes the
/// open fail with `EWOULDBLOCK` before there is a descriptor to compare, so
/// the name is compared with `fstatat(AT_SYMLINK_NOFOLLOW)` instead: another
/// file is refused as always (`NotFound`). If it is still our file, the
/// `EWOULDBLOCK` is returned rather than waited out: on Linux no one can
/// take a lease on a file we hold open for writing, so this needs a handle
/// joined by `from_parts` that is not writable and a lease held by our own
/// user or root, and the caller can retry.
pub(crate) fn reopen(file: &File, dir: &Dir, name: &OsStr) -> io::Result<File> {
    let flags =
        OFlags::RDWR | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let ours = rfs::fstat(file)?;
    let reopened = loop {
        match rfs::openat(dir, name, flags, Mode::empty()) {
            Err(Errno::INTR) => continue,
            Err(Errno::WOULDBLOCK) => {
                let found = rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
                same_file(&ours, &found)?;
                return Err(Errno::WOULDBLOCK.into());
            }
            other => break other?,
        }
    };
    same_file(&ours, &rfs::fstat(&reopened)?)?;
    let status = rfs::fcntl_getfl(&reopened)?;
    rfs::fcntl_setfl(&reopened, status.difference(OFlags::NONBLOCK))?;
    Ok(File::from(reopened))
}

/// `Ok` if `found` is the file `ours` describes (same device and inode).
fn same_file(ours: &rfs::Stat, found: &rfs::Stat) -> io::Result<()> {
    if (ours.st_dev, ours.st_ino) != (found.st_dev, found.st_ino) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the name now belongs to another file (the temporary file was removed and \
             something else created in its place)",
        ));
    }
    Ok(())
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

impl AsFd for crate::memory::MemoryFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_file().as_fd()
    }
}

impl AsRawFd for crate::memory::MemoryFile {
    fn as_raw_fd(&self) -> RawFd {
        self.as_file().as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_in_is_file_name_whatever_the_path() {
        let cases = [
            ("/tmp/x/tmpABC", "/tmp/x"),
            ("/tmpABC", "/"),
            ("/tmp/x/tmpABC", "/tmp"),
            ("/tmp/x/tmpABC/", "/tmp/x"),
            ("/tmp/x/.", "/tmp/x"),
            ("/tmp/x/..", "/tmp/x"),
            ("/tmp/x//tmpABC", "/tmp/x"),
            ("/tmp/x", "/tmp/x/longer/than/the/path"),
            ("relative/name", "relative"),
            ("/", "/"),
        ];
        for (path, dir) in cases {
            let path = Path::new(path);
            assert_eq!(
                name_in(path, Path::new(dir)),
                path.file_name().unwrap_or_default(),
                "{path:?} in {dir:?}"
            );
        }
    }
}
