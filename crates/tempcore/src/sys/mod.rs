//! Platform backends. Both expose the same names; nothing outside this
//! module says `cfg`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(unix)]
mod unix_memory;
#[cfg(unix)]
pub(crate) use unix_memory::*;

#[cfg(windows)]
mod windows_memory;
#[cfg(windows)]
pub(crate) use windows_memory::*;
