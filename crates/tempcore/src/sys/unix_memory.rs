//! Unix: `memfd_create`, the seals (`fcntl(F_ADD_SEALS/F_GET_SEALS)`) and
//! the tmpfs check of `/dev/shm` (`fstatfs`). Linux and FreeBSD have
//! memfds and seals; other unix answer "none" and the caller falls back.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
use std::sync::atomic::{AtomicBool, Ordering};

use crate::dir::Dir;

/// Set once `memfd_create` was refused as missing or forbidden.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
static MEMFD_REFUSED: AtomicBool = AtomicBool::new(false);

/// `memfd_create(name, MFD_CLOEXEC [| MFD_ALLOW_SEALING])`; `Ok(None)` if
/// the kernel has none or refuses it (`ENOSYS`, `EPERM`, `EACCES`,
/// `EINVAL`), which is remembered for the process.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) fn memfd(name: &OsStr, sealing: bool) -> io::Result<Option<File>> {
    use std::os::unix::ffi::OsStrExt;

    use rustix::fs::{MemfdFlags, memfd_create};
    use rustix::io::Errno;

    if MEMFD_REFUSED.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let bytes = name.as_bytes();
    // The kernel takes at most 249 bytes (NAME_MAX minus "memfd:").
    let bytes = &bytes[..bytes.len().min(249)];
    let name = std::ffi::CString::new(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a memory file's name may not hold a NUL byte",
        )
    })?;
    let mut flags = MemfdFlags::CLOEXEC;
    if sealing {
        flags |= MemfdFlags::ALLOW_SEALING;
    }
    match memfd_create(name.as_c_str(), flags) {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(Errno::NOSYS | Errno::PERM | Errno::ACCESS | Errno::INVAL) => {
            MEMFD_REFUSED.store(true, Ordering::Relaxed);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// No `memfd_create` on this platform.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
pub(crate) fn memfd(_name: &OsStr, _sealing: bool) -> io::Result<Option<File>> {
    Ok(None)
}

/// `/dev/shm`, opened, if `fstatfs` on the handle says it is a tmpfs
/// (`TMPFS_MAGIC`); `None` otherwise, or if it cannot be opened.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn shm_dir() -> Option<Dir> {
    const TMPFS_MAGIC: u64 = 0x0102_1994;
    let dir = Dir::open("/dev/shm").ok()?;
    let stat = rustix::fs::fstatfs(&dir).ok()?;
    // f_type is signed on some architectures; the magic fits in 32 bits.
    #[allow(
        clippy::unnecessary_cast,
        reason = "f_type's type differs between architectures"
    )]
    let kind = stat.f_type as u64;
    (kind == TMPFS_MAGIC).then_some(dir)
}

/// Only Linux is known to mount a tmpfs at `/dev/shm`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn shm_dir() -> Option<Dir> {
    None
}

/// `fcntl(fd, F_ADD_SEALS, seals)`.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) fn add_seals(file: &File, seals: u32) -> io::Result<()> {
    use rustix::fs::{SealFlags, fcntl_add_seals};
    Ok(fcntl_add_seals(file, SealFlags::from_bits_retain(seals))?)
}

/// `fcntl(fd, F_GET_SEALS)`.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) fn get_seals(file: &File) -> io::Result<u32> {
    Ok(rustix::fs::fcntl_get_seals(file)?.bits())
}

/// No seals on this platform: `Unsupported`.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
pub(crate) fn add_seals(_file: &File, _seals: u32) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "this platform has no file seals",
    ))
}

/// No seals on this platform: `Unsupported`.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
pub(crate) fn get_seals(_file: &File) -> io::Result<u32> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "this platform has no file seals",
    ))
}
