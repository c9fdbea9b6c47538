//! Unix and WASI: positional I/O with `pread`/`pwrite` (through rustix:
//! std's `FileExt` is unstable on WASI), the raw descriptor, and the
//! file-size limit (`RLIMIT_FSIZE`; none on WASI).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// What [`crate::SpooledTempFile::fileno`] returns: the file descriptor.
pub type Fileno = RawFd;

/// The descriptor of `file`.
pub(crate) fn fileno(file: &File) -> Fileno {
    file.as_raw_fd()
}

/// `pread(fd, buf, offset)`, retried on `EINTR`; 0 at or past the end.
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    retry(|| rustix::io::pread(file, &mut *buf, offset))
}

/// `pread(fd, buf, offset)` into the spare capacity of `out` (no
/// zero-filling first), retried on `EINTR`; appends what it read and
/// answers how much: 0 at or past the end, or if `out` has no spare
/// capacity.
pub(crate) fn read_append_at(file: &File, out: &mut Vec<u8>, offset: u64) -> io::Result<usize> {
    if out.capacity() == out.len() {
        return Ok(0);
    }
    retry(|| rustix::io::pread(file, rustix::buffer::spare_capacity(&mut *out), offset))
}

/// `pwrite(fd, buf, offset)`, retried on `EINTR`; may write less than all.
pub(crate) fn write_at(file: &File, buf: &[u8], offset: u64) -> io::Result<usize> {
    retry(|| rustix::io::pwrite(file, buf, offset))
}

/// Runs a system call again while a signal interrupts it (`EINTR`).
fn retry<T>(mut call: impl FnMut() -> rustix::io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(rustix::io::Errno::INTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

/// The soft `RLIMIT_FSIZE` (`getrlimit`): no write may end past it, or the
/// kernel sends `SIGXFSZ`, which kills a process that has not ignored it.
/// `u64::MAX` when there is no limit (`RLIM_INFINITY`).
#[cfg(unix)]
pub(crate) fn file_size_limit() -> u64 {
    use rustix::process::{Resource, getrlimit};
    getrlimit(Resource::Fsize).current.unwrap_or(u64::MAX)
}

/// WASI has no resource limits: `u64::MAX`.
#[cfg(target_os = "wasi")]
pub(crate) fn file_size_limit() -> u64 {
    u64::MAX
}

/// `EFBIG`, the error of a write the kernel refuses for passing the
/// file-size limit (and sends `SIGXFSZ` for).
pub(crate) fn file_too_large() -> io::Error {
    rustix::io::Errno::FBIG.into()
}
