//! Platform backends with identical names; nothing outside says `cfg`.

#[cfg(any(unix, target_os = "wasi"))]
mod unix;
#[cfg(any(unix, target_os = "wasi"))]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(any(unix, target_os = "wasi"))]
mod unix_tempdir;
#[cfg(any(unix, target_os = "wasi"))]
pub(crate) use unix_tempdir::*;

#[cfg(windows)]
mod windows_tempdir;
#[cfg(windows)]
pub(crate) use windows_tempdir::*;

#[cfg(any(unix, target_os = "wasi"))]
mod unix_atomic;
#[cfg(any(unix, target_os = "wasi"))]
pub(crate) use unix_atomic::*;

#[cfg(windows)]
mod windows_atomic;
#[cfg(windows)]
pub(crate) use windows_atomic::*;

#[cfg(any(unix, target_os = "wasi"))]
mod unix_testing;
#[cfg(any(unix, target_os = "wasi"))]
pub(crate) use unix_testing::*;

#[cfg(windows)]
mod windows_testing;
#[cfg(windows)]
pub(crate) use windows_testing::*;
