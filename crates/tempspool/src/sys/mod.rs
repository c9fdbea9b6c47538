//! Platform backends with identical names; nothing outside says `cfg`.

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
