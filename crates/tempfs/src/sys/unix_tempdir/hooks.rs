//! Places where tests can step into a cleanup (to move things at the
//! worst moment) and a switch that hides `d_type`; nothing in other
//! builds (nor in WASI's tests, which use none).

#[cfg(all(test, unix))]
pub(crate) use enabled::*;

#[cfg(not(all(test, unix)))]
pub(crate) use disabled::*;

#[cfg(all(test, unix))]
mod enabled {
    use std::cell::{Cell, RefCell};
    use std::ffi::CStr;
    use std::os::fd::BorrowedFd;

    use super::super::ops::Kind;

    /// A moment in the walk.
    pub(crate) enum Event<'a> {
        /// About to open the subdirectory `name` of `dir`.
        OpenChild { dir: BorrowedFd<'a>, name: &'a CStr },
        /// About to reopen a closed ancestor as `..` of its child.
        ReopenParent,
        /// Holding an `O_PATH` handle on a directory whose owner may not
        /// read it, about to give it mode 0700 through that handle.
        #[cfg_attr(
            not(any(target_os = "linux", target_os = "android")),
            allow(dead_code, reason = "only Linux repairs through a handle")
        )]
        Repair,
    }

    type Hook = Box<dyn FnMut(&Event<'_>)>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
        static FORGET_TYPES: Cell<bool> = const { Cell::new(false) };
    }

    /// Calls `hook` at every event of walks on this thread until
    /// [`clear`].
    pub(crate) fn set(hook: impl FnMut(&Event<'_>) + 'static) {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
    }

    /// Makes listings on this thread report every entry as `DT_UNKNOWN`.
    pub(crate) fn forget_types(forget: bool) {
        FORGET_TYPES.with(|f| f.set(forget));
    }

    /// Removes the hook and the switch.
    pub(crate) fn clear() {
        HOOK.with(|h| *h.borrow_mut() = None);
        forget_types(false);
    }

    pub(crate) fn fire(event: Event<'_>) {
        HOOK.with(|h| {
            if let Some(hook) = h.borrow_mut().as_mut() {
                hook(&event);
            }
        });
    }

    pub(crate) fn kind(kind: Kind) -> Kind {
        if FORGET_TYPES.with(Cell::get) {
            Kind::Unknown
        } else {
            kind
        }
    }
}

#[cfg(not(all(test, unix)))]
mod disabled {
    use std::ffi::CStr;
    use std::os::fd::BorrowedFd;

    use super::super::ops::Kind;

    #[allow(dead_code, reason = "the fields are read by tests' hooks only")]
    pub(crate) enum Event<'a> {
        OpenChild { dir: BorrowedFd<'a>, name: &'a CStr },
        ReopenParent,
        Repair,
    }

    #[inline(always)]
    pub(crate) fn fire(_event: Event<'_>) {}

    #[inline(always)]
    pub(crate) fn kind(kind: Kind) -> Kind {
        kind
    }
}
