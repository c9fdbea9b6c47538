//! Windows: positional I/O with `ReadFile`/`WriteFile` and an `OVERLAPPED`
//! offset (std's `seek_read`/`seek_write`), the raw handle, and the lack
//! of a file-size limit.
//!
//! Both calls also move the handle's file pointer; the spool never relies on
//! it and sets it explicitly before it hands the file out.

use std::fs::File;
use std::io;
use std::os::windows::fs::FileExt;
use std::os::windows::io::{AsRawHandle, RawHandle};

/// What [`crate::SpooledTempFile::fileno`] returns: the file handle.
pub type Fileno = RawHandle;

/// The handle of `file`.
pub(crate) fn fileno(file: &File) -> Fileno {
    file.as_raw_handle()
}

/// The largest offset a file can have. Past it, an `OVERLAPPED` offset
/// has special meanings (all ones: "at the end of the file"), so it is
/// never passed on.
const MAX_OFFSET: u64 = i64::MAX as u64;

/// `ReadFile` at `offset`, retried on interruption; 0 at or past the end
/// (always past [`MAX_OFFSET`]).
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    if offset > MAX_OFFSET {
        return Ok(0);
    }
    loop {
        match file.seek_read(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// [`read_at`] into the spare capacity of `out`, zero-filled first;
/// appends what it read and answers how much: 0 at or past the end, or if
/// `out` has no spare capacity.
pub(crate) fn read_append_at(file: &File, out: &mut Vec<u8>, offset: u64) -> io::Result<usize> {
    let start = out.len();
    out.resize(out.capacity(), 0);
    let result = read_at(file, &mut out[start..], offset);
    out.truncate(start + *result.as_ref().unwrap_or(&0));
    result
}

/// `WriteFile` at `offset`, retried on interruption; may write less than
/// all. An offset past [`MAX_OFFSET`] is `InvalidInput`, as `pwrite`'s
/// `EINVAL` on unix: `WriteFile` would read all ones as "append".
pub(crate) fn write_at(file: &File, buf: &[u8], offset: u64) -> io::Result<usize> {
    if offset > MAX_OFFSET {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "writing past the largest offset a file can have",
        ));
    }
    loop {
        match file.seek_write(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Windows has no per-process file-size limit (no `RLIMIT_FSIZE`, no
/// `SIGXFSZ`): always `u64::MAX`, no system call.
pub(crate) fn file_size_limit() -> u64 {
    u64::MAX
}

/// `FileTooLarge`, for symmetry with unix's `EFBIG`; never returned, as
/// [`file_size_limit`] is never passed.
pub(crate) fn file_too_large() -> io::Error {
    io::ErrorKind::FileTooLarge.into()
}
