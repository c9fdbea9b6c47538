//! The Windows half of [`crate::cleanup_on_signals`]: a console control
//! handler (`SetConsoleCtrlHandler`) that removes what the registry holds.
//!
//! Windows delivers a console control event (Ctrl+C, Ctrl+Break, the
//! console closed, shutdown) on a thread it creates in the process for
//! the event, and calls the registered handlers there, the most recently
//! registered first, until one returns `TRUE`; after them all comes the
//! system's own, which ends the process (`ExitProcess` with
//! `STATUS_CONTROL_C_EXIT`). So, unlike a unix signal handler, this one
//! runs on an ordinary thread: it may allocate and wait, and removes each
//! object with the code that drops it (relative to the directory handles
//! the object holds: [`tempcore::remove_file_at`],
//! [`crate::cleanup::remove_temp_dir`]). It then returns `FALSE`, so that
//! the handlers registered before it, and the system's, run as they would
//! have: the process still ends as the event says.

use std::ffi::OsStr;
use std::io;
use std::os::windows::io::{BorrowedHandle, RawHandle};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use tempcore::Dir;
use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, CTRL_SHUTDOWN_EVENT, SetConsoleCtrlHandler,
};
use windows_sys::core::BOOL;

use super::registry::{self, Claimed, NO_HANDLE};

/// Whether the handler is registered; held while registering it.
static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Held while a handler removes: a second event (a thread of its own)
/// waits for the first to finish before the process may end.
static REMOVING: Mutex<()> = Mutex::new(());

/// Registers the handler once (`SetConsoleCtrlHandler`); a second call
/// does nothing.
pub(crate) fn install_signal_hook() -> io::Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if *installed {
        return Ok(());
    }
    // SAFETY: `on_event` has the signature of a `HandlerRoutine` and lives
    // as long as the process.
    if unsafe { SetConsoleCtrlHandler(Some(on_event), TRUE) } == 0 {
        return Err(io::Error::last_os_error());
    }
    registry::activate(std::process::id());
    *installed = true;
    Ok(())
}

/// Whether the system's handler ends the process for `event`, so that the
/// hook removes what it holds first: Ctrl+C, Ctrl+Break, the console
/// closing, the system shutting down. Not `CTRL_LOGOFF_EVENT`, which a
/// service receives whenever any user logs off and outlives.
fn ends_the_process(event: u32) -> bool {
    matches!(
        event,
        CTRL_C_EVENT | CTRL_BREAK_EVENT | CTRL_CLOSE_EVENT | CTRL_SHUTDOWN_EVENT
    )
}

/// The handler: removes every live object of this process, then passes
/// the event on (`FALSE`).
unsafe extern "system" fn on_event(event: u32) -> BOOL {
    if ends_the_process(event) {
        let _removing = REMOVING.lock().unwrap_or_else(PoisonError::into_inner);
        registry::claim_each(std::process::id(), remove);
    }
    FALSE
}

/// Removes one claimed object, relative to the handles its owner holds
/// (open until the slot is freed). A failure leaves the object: the
/// process is ending, with nobody to tell.
fn remove(entry: &Claimed) {
    let len = entry.name.iter().position(|&b| b == 0);
    let bytes = &entry.name[..len.unwrap_or(entry.name.len())];
    // SAFETY: the registry copies a name's `OsStr::as_encoded_bytes`
    // unchanged, in this process, and cuts it nowhere: these are the
    // encoded bytes of a whole `OsStr`.
    let name = unsafe { OsStr::from_encoded_bytes_unchecked(bytes) };
    let Ok(parent) = dir_of(entry.parent, name) else {
        return;
    };
    let _ = if entry.tree == NO_HANDLE {
        tempcore::remove_file_at(&parent, name)
    } else {
        dir_of(entry.tree, name)
            .and_then(|own| crate::cleanup::remove_temp_dir(&parent, name, &own, Path::new(name)))
    };
}

/// A handle of our own to the directory whose raw handle an entry records
/// (`path` names it in errors).
fn dir_of(raw: i64, path: &OsStr) -> io::Result<Dir> {
    // SAFETY: the entry's owner keeps this handle open until the slot it
    // is recorded in is free again, which it is not while claimed.
    let borrowed = unsafe { BorrowedHandle::borrow_raw(raw as isize as RawHandle) };
    Ok(Dir::from_handle(borrowed.try_clone_to_owned()?, path))
}
