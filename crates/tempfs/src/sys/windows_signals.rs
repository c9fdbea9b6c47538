//! The Windows half of [`crate::cleanup_on_signals`]: not implemented, so
//! the registry stays inactive and nothing is registered.

use std::io;
use std::os::windows::io::AsRawHandle;

use tempcore::Dir;

/// The raw handle the registry would record for `dir`.
pub(crate) fn registry_handle(dir: &Dir) -> i64 {
    dir.as_raw_handle() as i64
}

/// Fails with `Unsupported`: removing objects from a console control
/// handler (`SetConsoleCtrlHandler`) is not implemented.
pub(crate) fn install_signal_hook() -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "removing temporary objects after a console control event is not implemented on Windows",
    ))
}
