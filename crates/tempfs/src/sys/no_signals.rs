//! The Windows half of [`crate::cleanup_on_signals`]: not implemented, so
//! nothing is registered.

use std::ffi::OsStr;
use std::io;

use tempcore::Dir;

/// An object's place in the table of live objects: none on Windows.
#[derive(Debug)]
pub(crate) struct Registration;

impl Registration {
    /// Not registered.
    pub(crate) const NONE: Registration = Registration;

    /// Registers nothing.
    pub(crate) fn file(_parent: &Dir, _name: &OsStr) -> Registration {
        Registration
    }

    /// Registers nothing.
    pub(crate) fn tree(_parent: &Dir, _tree: &Dir, _name: &OsStr) -> Registration {
        Registration
    }

    /// Does nothing.
    pub(crate) fn leave(&mut self) {}
}

/// Fails with `Unsupported`: removing objects from a console control
/// handler (`SetConsoleCtrlHandler`) is not implemented.
pub(crate) fn install_signal_hook() -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "removing temporary objects after a console control event is not implemented on Windows",
    ))
}
