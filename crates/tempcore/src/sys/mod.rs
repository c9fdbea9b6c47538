//! Platform backends. Both expose the same names; nothing outside this
//! module says `cfg`.

#[cfg(any(unix, target_os = "wasi"))]
mod unix;
#[cfg(any(unix, target_os = "wasi"))]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(any(unix, target_os = "wasi"))]
mod unix_memory;
#[cfg(any(unix, target_os = "wasi"))]
pub(crate) use unix_memory::*;

#[cfg(windows)]
mod windows_memory;
#[cfg(windows)]
pub(crate) use windows_memory::*;
