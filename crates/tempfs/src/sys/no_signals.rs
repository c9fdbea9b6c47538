//! WASI's half of [`crate::cleanup_on_signals`]: WASI has neither signals
//! nor console events, so nothing is registered and the hook is
//! `Unsupported`.

use std::ffi::OsStr;
use std::io;

use tempcore::Dir;

/// An object's place in the table of live objects: none on WASI.
#[derive(Debug)]
pub(crate) struct Registration;

impl Registration {
    /// Not registered.
    pub(crate) const NONE: Registration = Registration;

    /// Never: nothing is registered.
    pub(crate) fn wanted() -> bool {
        false
    }

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

/// Fails with `Unsupported`: nothing on WASI ends a process that a
/// handler could catch.
pub(crate) fn install_signal_hook() -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "WASI has no signals or console events to remove temporary objects after",
    ))
}
