//! Platform backends with identical names; nothing outside says `cfg`.

use std::fs::File;
use std::io;

#[cfg(any(unix, target_os = "wasi"))]
mod unix;
#[cfg(any(unix, target_os = "wasi"))]
pub use unix::Fileno;
#[cfg(any(unix, target_os = "wasi"))]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::Fileno;
#[cfg(windows)]
pub(crate) use windows::*;

/// [`write_at`] until all of `buf` is at `offset` (each platform's
/// `write_at` retries what it must: `EINTR` on unix).
pub(crate) fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match write_at(file, buf, offset)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                buf = &buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}
