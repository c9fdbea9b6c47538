//! Platform backends with identical names; nothing outside says `cfg`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(unix)]
mod unix_tempdir;
#[cfg(unix)]
pub(crate) use unix_tempdir::*;

#[cfg(windows)]
mod windows_tempdir;
#[cfg(windows)]
pub(crate) use windows_tempdir::*;

#[cfg(windows)]
mod windows_reap;
#[cfg(windows)]
pub(crate) use windows_reap::*;

#[cfg(unix)]
mod unix_atomic;
#[cfg(unix)]
pub(crate) use unix_atomic::*;

#[cfg(windows)]
mod windows_atomic;
#[cfg(windows)]
pub(crate) use windows_atomic::*;

#[cfg(unix)]
mod unix_testing;
#[cfg(unix)]
pub(crate) use unix_testing::*;

#[cfg(windows)]
mod windows_testing;
#[cfg(windows)]
pub(crate) use windows_testing::*;

#[cfg(unix)]
mod unix_registry;
#[cfg(unix)]
pub(crate) use unix_registry::Registration;

#[cfg(unix)]
mod unix_signals;
#[cfg(unix)]
pub(crate) use unix_signals::*;

#[cfg(windows)]
mod windows_signals;
#[cfg(windows)]
pub(crate) use windows_signals::*;
