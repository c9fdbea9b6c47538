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

#[cfg(any(windows, target_os = "wasi"))]
mod no_reap;
#[cfg(any(windows, target_os = "wasi"))]
pub(crate) use no_reap::*;

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

#[cfg(any(unix, windows))]
mod registry;
#[cfg(any(unix, windows))]
pub(crate) use registry::Registration;

#[cfg(unix)]
mod unix_signals;
#[cfg(unix)]
pub(crate) use unix_signals::*;

#[cfg(windows)]
mod windows_signals;
#[cfg(windows)]
pub(crate) use windows_signals::*;

// WASI has no signals and no console events.
#[cfg(target_os = "wasi")]
mod no_signals;
#[cfg(target_os = "wasi")]
pub(crate) use no_signals::*;
