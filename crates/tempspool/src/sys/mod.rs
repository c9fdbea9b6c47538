//! Platform backends with identical names; nothing outside says `cfg`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::Fileno;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::Fileno;
#[cfg(windows)]
pub(crate) use windows::*;
