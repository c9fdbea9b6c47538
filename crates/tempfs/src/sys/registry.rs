//! The table of live named objects that [`crate::cleanup_on_signals`]
//! removes: a fixed table of slots made of atomics only, which a signal
//! handler can read without allocating or taking a lock.
//!
//! Unix signal handlers (`unix_signals`) and the Windows console control
//! handler (`windows_signals`) read it alike.
//!
//! A slot holds what removal needs and nothing that could dangle: the raw
//! handles (descriptors on unix) of the parent directory and (for a
//! [`crate::TempDir`]) of the directory itself, stored plus one so that an
//! empty slot is all zero bytes and the table takes no room in the binary, the name copied in (NUL-padded, at most
//! [`NAME_MAX`] bytes), and the process id of its owner. Its state word
//! says who may touch it, with a generation in the high bits so that a slot
//! freed and taken again is never mistaken for the one a token names:
//!
//! ```text
//!          enter (CAS)     filled (store, Release)
//!   FREE ─────────────▶ BUSY ─────────────▶ LIVE ─── leave (CAS) ──▶ FREE, gen+1
//!                                             │
//!                                             └─ handler (CAS) ──▶ CLEANING ──▶ FREE, gen+1
//! ```
//!
//! Only the thread that moved a slot to `BUSY` writes its fields, and
//! readers look at them only after winning the `LIVE` → `CLEANING`
//! exchange (Acquire): a handler never reads a slot being filled. An owner
//! leaving while a handler cleans its slot waits for the handler (the
//! handles it holds stay open meanwhile); a handler that finds a slot busy
//! or taken by another handler skips it.
//!
//! Objects enter only while a hook is installed: with none, entering is
//! one relaxed load and leaving a test of the token. On WASI, where there
//! is no hook, `Registration` is an empty type (`no_signals`).

use std::ffi::OsStr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};

#[cfg(unix)]
use std::os::fd::AsRawFd;
#[cfg(windows)]
use std::os::windows::io::AsRawHandle;

use tempcore::Dir;

/// How many objects can be registered at once; the rest are not covered.
pub(crate) const SLOTS: usize = 1024;

/// The longest name a slot holds (a name of `NAME_MAX` bytes on Linux).
pub(crate) const NAME_MAX: usize = 255;

/// Words of a slot's name: `NAME_MAX` bytes and at least one NUL.
const WORDS: usize = (NAME_MAX + 1).div_ceil(8);

const FREE: u64 = 0;
const BUSY: u64 = 1;
const LIVE: u64 = 2;
const CLEANING: u64 = 3;
const TAG: u64 = 3;
/// One generation: the state word's bits above the tag.
const GENERATION: u64 = 4;

/// No handle: the entry of a file has no tree.
pub(crate) const NO_HANDLE: i64 = -1;

/// What a slot stores for the raw handle `raw`: one more, so that
/// [`NO_HANDLE`] is stored as zero and a free slot is all zero bytes
/// (the table is then in `.bss`, not 300 KiB of every binary's `.data`).
const fn stored(raw: i64) -> i64 {
    raw.wrapping_add(1)
}

/// The raw handle a slot stores as `stored`.
const fn raw(stored: i64) -> i64 {
    stored.wrapping_sub(1)
}

/// Set once a hook is installed; objects made before are not registered.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The process id recorded in new entries (updated in a forked child).
static OWNER: AtomicU32 = AtomicU32::new(0);
/// Where the search for a free slot starts.
static NEXT: AtomicUsize = AtomicUsize::new(0);

struct Slot {
    state: AtomicU64,
    pid: AtomicU32,
    parent: AtomicI64,
    tree: AtomicI64,
    len: AtomicUsize,
    name: [AtomicU64; WORDS],
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            state: AtomicU64::new(FREE),
            pid: AtomicU32::new(0),
            parent: AtomicI64::new(stored(NO_HANDLE)),
            tree: AtomicI64::new(stored(NO_HANDLE)),
            len: AtomicUsize::new(0),
            name: [const { AtomicU64::new(0) }; WORDS],
        }
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];

/// The raw handle the table records for `dir`: its descriptor.
#[cfg(unix)]
fn handle(dir: &Dir) -> i64 {
    i64::from(dir.as_raw_fd())
}

/// The raw handle the table records for `dir`: its `HANDLE`, a pointer-sized
/// value.
#[cfg(windows)]
fn handle(dir: &Dir) -> i64 {
    dir.as_raw_handle() as isize as i64
}

/// Starts registering objects made from now on, recording `pid` as their
/// owner.
pub(crate) fn activate(pid: u32) {
    OWNER.store(pid, Ordering::Relaxed);
    ACTIVE.store(true, Ordering::Release);
}

/// Called in a forked child whose id is `pid`: records it as the owner of
/// entries made from now on, and gives back the slots a handler on another
/// thread of the parent was cleaning when the process forked. That thread
/// does not exist in the child, so it would never free them, and the
/// child's objects in them would wait forever to leave.
#[cfg(unix)]
pub(crate) fn after_fork(pid: u32) {
    OWNER.store(pid, Ordering::Relaxed);
    for slot in &TABLE {
        let state = slot.state.load(Ordering::Relaxed);
        if state & TAG == CLEANING {
            slot.state.store((state & !TAG) | LIVE, Ordering::Release);
        }
    }
}

/// An object's place in the registry, if it has one: leaving it (or
/// dropping it) takes the entry out. Its owner keeps the handles the entry
/// names open until then.
#[derive(Debug)]
pub(crate) struct Registration {
    /// The slot, or `SLOTS` for none.
    slot: usize,
    /// The slot's state word while it holds this entry.
    live: u64,
}

impl Registration {
    /// Not registered.
    pub(crate) const NONE: Registration = Registration {
        slot: SLOTS,
        live: 0,
    };

    /// Whether objects made now are registered (a hook is installed):
    /// what [`file`](Self::file) needs is worth computing only then.
    #[inline]
    pub(crate) fn wanted() -> bool {
        ACTIVE.load(Ordering::Relaxed)
    }

    /// Registers the file `name` in `parent`, if a hook is installed.
    pub(crate) fn file(parent: &Dir, name: &OsStr) -> Registration {
        if !ACTIVE.load(Ordering::Relaxed) {
            return Registration::NONE;
        }
        enter(handle(parent), NO_HANDLE, name.as_encoded_bytes())
    }

    /// Registers the directory `tree`, entry `name` in `parent`.
    pub(crate) fn tree(parent: &Dir, tree: &Dir, name: &OsStr) -> Registration {
        if !ACTIVE.load(Ordering::Relaxed) {
            return Registration::NONE;
        }
        let handles = (handle(parent), handle(tree));
        enter(handles.0, handles.1, name.as_encoded_bytes())
    }

    /// Takes the entry out; does nothing if there is none. If a signal
    /// handler is removing the object at this moment, waits until it is
    /// done, so that the handles it uses stay open.
    pub(crate) fn leave(&mut self) {
        let Some(slot) = TABLE.get(self.slot) else {
            return;
        };
        self.slot = SLOTS;
        let cleaning = (self.live & !TAG) | CLEANING;
        loop {
            match slot.state.compare_exchange(
                self.live,
                self.live + GENERATION - LIVE + FREE,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(state) if state == cleaning => std::thread::yield_now(),
                // Cleaned and freed by a handler that returned.
                Err(_) => return,
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Registers the entry `name` in the directory whose raw handle is
/// `parent`; `tree` is the raw handle of the directory itself for a
/// directory, [`NO_HANDLE`] for a file. Nothing is registered for a name
/// too long for a slot or with a NUL in it, nor when every slot is taken.
#[cold]
fn enter(parent: i64, tree: i64, name: &[u8]) -> Registration {
    if name.is_empty() || name.len() > NAME_MAX || name.contains(&0) {
        return Registration::NONE;
    }
    let start = NEXT.load(Ordering::Relaxed);
    for step in 0..SLOTS {
        let index = (start + step) % SLOTS;
        let slot = &TABLE[index];
        let state = slot.state.load(Ordering::Relaxed);
        if state & TAG != FREE
            || slot
                .state
                .compare_exchange(state, state | BUSY, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            continue;
        }
        slot.pid
            .store(OWNER.load(Ordering::Relaxed), Ordering::Relaxed);
        slot.parent.store(stored(parent), Ordering::Relaxed);
        slot.tree.store(stored(tree), Ordering::Relaxed);
        // The words the name and one NUL take, and any the last name took
        // beyond them, which are zeroed.
        let words = name.len() / 8 + 1;
        let stale = slot.len.swap(name.len(), Ordering::Relaxed) / 8 + 1;
        for (i, word) in slot.name.iter().enumerate().take(words.max(stale)) {
            let mut bytes = [0; 8];
            let from = (i * 8).min(name.len());
            let to = (from + 8).min(name.len());
            bytes[..to - from].copy_from_slice(&name[from..to]);
            word.store(u64::from_ne_bytes(bytes), Ordering::Relaxed);
        }
        let live = (state & !TAG) | LIVE;
        slot.state.store(live, Ordering::Release);
        NEXT.store((index + 1) % SLOTS, Ordering::Relaxed);
        return Registration { slot: index, live };
    }
    Registration::NONE
}

/// An entry a handler has claimed: what it needs to remove the object.
#[derive(Debug)]
pub(crate) struct Claimed {
    /// The raw handle of the directory the name is in.
    pub(crate) parent: i64,
    /// The raw handle of the directory itself, or [`NO_HANDLE`] for a file.
    pub(crate) tree: i64,
    /// The name, NUL-terminated (at least one NUL follows it).
    pub(crate) name: [u8; WORDS * 8],
}

/// Claims, one by one, every live entry that `pid` owns and hands it to
/// `remove`, then frees its slot. Allocates nothing and takes no lock:
/// fit for a signal handler. Entries another process (a parent, for a
/// forked child) owns are left alone and stay live.
pub(crate) fn claim_each(pid: u32, mut remove: impl FnMut(&Claimed)) {
    for slot in &TABLE {
        let state = slot.state.load(Ordering::Relaxed);
        if state & TAG != LIVE {
            continue;
        }
        let cleaning = (state & !TAG) | CLEANING;
        if slot
            .state
            .compare_exchange(state, cleaning, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            continue;
        }
        if slot.pid.load(Ordering::Relaxed) != pid {
            slot.state.store(state, Ordering::Release);
            continue;
        }
        let mut claimed = Claimed {
            parent: raw(slot.parent.load(Ordering::Relaxed)),
            tree: raw(slot.tree.load(Ordering::Relaxed)),
            name: [0; WORDS * 8],
        };
        for (i, word) in slot.name.iter().enumerate() {
            let bytes = word.load(Ordering::Relaxed).to_ne_bytes();
            claimed.name[i * 8..i * 8 + 8].copy_from_slice(&bytes);
        }
        remove(&claimed);
        slot.state
            .store((state & !TAG) + GENERATION + FREE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn entries(pid: u32) -> Vec<(i64, i64, Vec<u8>)> {
        let mut found = Vec::new();
        claim_each(pid, |c| {
            let len = c.name.iter().position(|&b| b == 0).unwrap();
            found.push((c.parent, c.tree, c.name[..len].to_vec()));
        });
        found
    }

    /// In a forked child: the table is process-wide, and other tests
    /// register objects.
    #[cfg(unix)]
    #[test]
    fn entries_enter_leave_and_are_claimed_once() {
        testkit::child::check(entries_in_child);
    }

    #[cfg(unix)]
    fn entries_in_child() {
        let pid = 4_000_000_001;
        activate(pid);
        let long = "n".repeat(NAME_MAX);
        let mut a = enter(7, NO_HANDLE, long.as_bytes());
        let short = enter(8, 9, b"short");
        assert!(a.slot < SLOTS && short.slot < SLOTS);
        a.leave();
        assert_eq!(a.slot, SLOTS);
        // The slot `a` had is reused with a shorter name: no stale bytes.
        let b = enter(10, NO_HANDLE, b"b");
        let too_long = enter(1, NO_HANDLE, (long + "x").as_bytes());
        assert_eq!(too_long.slot, SLOTS);
        let mut found = entries(pid);
        found.sort();
        assert_eq!(
            found,
            [(8, 9, b"short".to_vec()), (10, NO_HANDLE, b"b".to_vec())]
        );
        // Claimed entries are gone; leaving after a handler is harmless.
        assert!(entries(pid).is_empty());
        drop((b, short));
        // Another owner's entries are neither claimed nor freed.
        after_fork(pid + 1);
        let other = enter(11, NO_HANDLE, b"other");
        assert!(entries(pid).is_empty());
        assert_eq!(entries(pid + 1).len(), 1);
        drop(other);
    }

    /// In a forked child, as above. A handler on another thread of the
    /// parent held a slot when the process forked: the child's copy of the
    /// object in it can still leave (it would wait forever).
    #[cfg(unix)]
    #[test]
    fn a_slot_being_cleaned_when_the_process_forked_is_given_back() {
        testkit::child::check(slot_being_cleaned_in_child);
    }

    #[cfg(unix)]
    fn slot_being_cleaned_in_child() {
        let pid = 4_000_000_003;
        activate(pid);
        let mut entry = enter(12, NO_HANDLE, b"held");
        let slot = &TABLE[entry.slot];
        // What a handler's claim leaves in the parent's table at the fork.
        let cleaning = (entry.live & !TAG) | CLEANING;
        slot.state.store(cleaning, Ordering::Relaxed);
        after_fork(pid + 1);
        let state = slot.state.load(Ordering::Relaxed);
        if state != entry.live {
            // Leaving would wait forever: fail instead.
            std::mem::forget(entry);
            panic!("the slot is still being cleaned: {state:#x}");
        }
        entry.leave();
        assert_eq!(slot.state.load(Ordering::Relaxed) & TAG, FREE);
    }

    #[test]
    fn a_free_slot_is_all_zero_bytes() {
        let slot = Slot::new();
        assert_eq!(slot.parent.load(Ordering::Relaxed), 0);
        assert_eq!(slot.tree.load(Ordering::Relaxed), 0);
        assert_eq!(raw(stored(NO_HANDLE)), NO_HANDLE);
        assert_eq!(raw(stored(i64::from(i32::MAX))), i64::from(i32::MAX));
    }
}
