//! The unix half of [`crate::cleanup_on_signals`]: `sigaction` handlers for
//! `SIGINT`, `SIGTERM` and `SIGHUP` that remove what the registry holds with
//! async-signal-safe calls only, then die of the signal.
//!
//! Everything the handler calls is on POSIX's list of async-signal-safe
//! functions (`getpid`, `unlinkat`, `openat`, `fstat`, `fstatat`, `lseek`,
//! `close`, `sigaction`, `raise`), plus `getdents64` on Linux, a plain
//! system call. It allocates nothing, takes no lock and keeps its buffers
//! on the stack (about 9 KiB).

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::registry::{self, Claimed, NO_HANDLE};
use libc::{c_int, c_void, siginfo_t};

/// The signals the hook handles.
const SIGNALS: [c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The dispositions found at installation, one per signal of [`SIGNALS`],
/// written before the handler for that signal is installed and only read
/// afterwards.
struct Previous([std::cell::UnsafeCell<std::mem::MaybeUninit<libc::sigaction>>; 3]);

// SAFETY: each cell is written once, under `INSTALLED`'s lock, before the
// handler that reads it is installed (`sigaction` orders the two), and is
// never written again.
unsafe impl Sync for Previous {}

static PREVIOUS: Previous =
    Previous([const { std::cell::UnsafeCell::new(std::mem::MaybeUninit::uninit()) }; 3]);

/// Whether the hook is installed; held while installing.
static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Set once installed: a call after that is one load.
static DONE: AtomicBool = AtomicBool::new(false);

/// `getpid`, as a raw system call on Linux: a C library that caches the
/// process id (glibc before 2.25) answers wrongly in a child made by a raw
/// `clone`.
fn getpid() -> u32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    let pid = unsafe { raw_getpid() };
    u32::try_from(pid).unwrap_or(0)
}

#[cfg(target_os = "linux")]
unsafe fn raw_getpid() -> i64 {
    // SAFETY: SYS_getpid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) }
}

#[cfg(not(target_os = "linux"))]
unsafe fn raw_getpid() -> i64 {
    // SAFETY: getpid has no preconditions and cannot fail.
    i64::from(unsafe { libc::getpid() })
}

/// In a forked child (`pthread_atfork`): objects it makes from now on are
/// its own, and slots a handler was cleaning at the fork are given back
/// ([`registry::after_fork`]).
extern "C" fn after_fork_in_child() {
    registry::after_fork(getpid());
}

/// Installs the handlers once (`sigaction` for each signal whose
/// disposition is not "ignore"), after `pthread_atfork` for forked
/// children. A second call does nothing.
pub(crate) fn install_signal_hook() -> io::Result<()> {
    if DONE.load(Ordering::Acquire) {
        return Ok(());
    }
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        return Ok(());
    }
    // SAFETY: registers a function that only stores a process id and
    // atomics of the registry; no other argument.
    let err = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err));
    }
    registry::activate(getpid());
    for (index, &signal) in SIGNALS.iter().enumerate() {
        // SAFETY: an all-zero sigaction is a valid value to fill in.
        let mut found: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a null new action only reads the current one.
        if unsafe { libc::sigaction(signal, std::ptr::null(), &mut found) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if found.sa_sigaction == on_signal_address() {
            // Installed by an earlier call that failed on a later signal:
            // its saved disposition stands (chaining to ourselves would
            // recurse), and the handler reading it is live.
            continue;
        }
        let cell = PREVIOUS.0[index].get();
        // SAFETY: the handler for this signal is not installed (checked
        // above), so nothing reads the cell while it is written.
        let previous = unsafe { (*cell).write(found) };
        if previous.sa_sigaction == libc::SIG_IGN {
            // Ignored (`nohup`): it kills nothing, so there is nothing to
            // clean; leave it ignored.
            continue;
        }
        // SAFETY: an all-zero sigaction is a valid value to fill in.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal_address();
        action.sa_flags = libc::SA_SIGINFO | (previous.sa_flags & libc::SA_RESTART);
        if previous.sa_sigaction == libc::SIG_DFL {
            // Never `SA_ONSTACK` here: the walk needs about 12 KiB of
            // stack, more than std's alternate signal stacks have.
            // Cleaning up, block the other two: the first signal decides.
            // SAFETY: `sa_mask` is a valid sigset_t to fill.
            unsafe { libc::sigemptyset(&mut action.sa_mask) };
            for other in SIGNALS {
                // SAFETY: as above, with a valid signal number.
                unsafe { libc::sigaddset(&mut action.sa_mask, other) };
            }
        } else {
            // Chaining: the application's handler runs with its own mask,
            // and on its alternate stack if it asked for one (it may be
            // handling a stack overflow).
            action.sa_mask = previous.sa_mask;
            action.sa_flags |= previous.sa_flags & libc::SA_ONSTACK;
        }
        // SAFETY: `action` is fully initialised, and `on_signal` only reads
        // `PREVIOUS[index]`, written above.
        if unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    *installed = true;
    DONE.store(true, Ordering::Release);
    Ok(())
}

/// The handler. If the application had a handler for the signal, calls it
/// and does nothing else: the application decides what the signal means.
/// Otherwise removes what the registry holds for this process, restores
/// the default disposition and raises the signal again, to die of it once
/// the handler returns (the signal is blocked until then).
extern "C" fn on_signal(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
    let Some(index) = SIGNALS.iter().position(|&s| s == signal) else {
        return;
    };
    // SAFETY: written before this handler was installed (see `Previous`).
    let previous = unsafe { (*PREVIOUS.0[index].get()).assume_init_ref() };
    let handler = previous.sa_sigaction;
    // A one-shot handler (`SA_RESETHAND`): the kernel would have reset the
    // disposition to the default when it ran, so the second signal finds
    // the default, and the hook acts as for one.
    let chains = handler != libc::SIG_DFL
        && handler != libc::SIG_IGN
        && !(previous.sa_flags & libc::SA_RESETHAND != 0
            && RESET[index].swap(true, Ordering::AcqRel));
    if chains {
        if previous.sa_flags & libc::SA_SIGINFO != 0 {
            // SAFETY: the application installed this address as a
            // three-argument handler; it gets what the kernel gave us.
            let chained: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) =
                unsafe { std::mem::transmute(handler) };
            chained(signal, info, context);
        } else {
            // SAFETY: the application installed this address as a
            // one-argument handler.
            let chained: extern "C" fn(c_int) = unsafe { std::mem::transmute(handler) };
            chained(signal);
        }
        return;
    }
    // SAFETY: a zeroed sigaction is valid to fill.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one
    // (async-signal-safe).
    let read = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
    if read != 0 || current.sa_sigaction != on_signal_address() {
        // A handler installed after ours (signal-hook, so tokio's
        // `ctrl_c`) took the signal over and calls us as the handler it
        // found: to it the signal means what it decides (a graceful
        // shutdown, say), not death; removing and dying would pre-empt it.
        return;
    }
    if getpid() == 1 {
        // The init of a PID namespace (a container's entrypoint): the
        // kernel ignores a fatal signal with the default disposition
        // there, so without the hook nothing would happen. Nothing does.
        return;
    }
    if DYING.swap(true, Ordering::AcqRel) {
        // Another thread is already removing and will die of its signal;
        // this one must not end the process half-way through.
        return;
    }
    registry::claim_each(getpid(), remove);
    // SAFETY: a zeroed sigaction is the default disposition, empty mask.
    let default: libc::sigaction = unsafe { std::mem::zeroed() };
    let restored = if handler == libc::SIG_DFL {
        previous
    } else {
        &default
    };
    // SAFETY: restoring the disposition found at installation (or the
    // default a one-shot handler left), then raising the signal, both
    // async-signal-safe.
    unsafe {
        libc::sigaction(signal, restored, std::ptr::null_mut());
        libc::raise(signal);
    }
}

/// Per signal of [`SIGNALS`]: set once a one-shot (`SA_RESETHAND`)
/// application handler has been called.
static RESET: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];

/// Set by the first handler that removes and dies: a second signal on
/// another thread leaves it to finish.
static DYING: AtomicBool = AtomicBool::new(false);

/// The handler's address, as `sigaction` stores it.
fn on_signal_address() -> libc::sighandler_t {
    on_signal as extern "C" fn(c_int, *mut siginfo_t, *mut c_void) as libc::sighandler_t
}

/// Removes a claimed entry: a file with `unlinkat`; a directory if it is
/// still the entry at its name, with its contents (Linux) or only if empty.
fn remove(entry: &Claimed) {
    let Ok(parent) = c_int::try_from(entry.parent) else {
        return;
    };
    let name = entry.name.as_ptr().cast();
    if entry.tree == NO_HANDLE {
        // SAFETY: `name` is NUL-terminated (see `Claimed`).
        unsafe { libc::unlinkat(parent, name, 0) };
        return;
    }
    let Ok(tree) = c_int::try_from(entry.tree) else {
        return;
    };
    // SAFETY: a zeroed stat buffer is valid to fill.
    let mut held: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the descriptors are held by the entry's owner, which waits
    // for us before closing them; `name` is NUL-terminated.
    let same = unsafe { libc::fstat(tree, &mut held) } == 0 && is_held(parent, name, &held);
    if !same {
        // Moved away or replaced: not ours to remove any more.
        return;
    }
    // SAFETY: as above.
    if unsafe { libc::unlinkat(parent, name, libc::AT_REMOVEDIR) } == 0 {
        return;
    }
    remove_tree(parent, name, tree, &held);
}

/// Whether `name` in `parent` is the directory `held` describes.
fn is_held(parent: c_int, name: *const libc::c_char, held: &libc::stat) -> bool {
    // SAFETY: a zeroed stat is valid to fill.
    let mut found: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is NUL-terminated; `parent` is held by the owner.
    let looked = unsafe { libc::fstatat(parent, name, &mut found, libc::AT_SYMLINK_NOFOLLOW) };
    looked == 0 && held.st_dev == found.st_dev && held.st_ino == found.st_ino
}

/// `renameat2(RENAME_NOREPLACE)` within `parent`; whether it worked.
#[cfg(target_os = "linux")]
fn rename_no_replace(parent: c_int, from: *const libc::c_char, to: *const libc::c_char) -> bool {
    // SAFETY: both names are NUL-terminated; a plain system call.
    unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            parent,
            from,
            parent,
            to,
            libc::RENAME_NOREPLACE,
        ) == 0
    }
}

/// Removes the non-empty directory `name` of `parent`, held as `tree`:
/// first moved to a private name (`.tempkit-rm-<pid>-<fd>`, never
/// replacing), so that a thread renaming the directory into its final
/// place meanwhile (build, rename, keep) fails instead of publishing a
/// tree emptied under it; checked to be ours there; emptied; removed. What
/// cannot be removed goes back to its name.
#[cfg(target_os = "linux")]
fn remove_tree(parent: c_int, name: *const libc::c_char, tree: c_int, held: &libc::stat) {
    let mut private = [0u8; 48];
    let mut at = 0;
    for part in [
        &b".tempkit-rm-"[..],
        &decimal(u64::from(getpid())),
        b"-",
        &decimal(u64::try_from(tree).unwrap_or(0)),
    ] {
        let digits = part.iter().take_while(|&&b| b != 0);
        for b in digits {
            private[at] = *b;
            at += 1;
        }
    }
    let private = private.as_ptr().cast();
    if !rename_no_replace(parent, name, private) {
        return;
    }
    if !is_held(parent, private, held) {
        // Swapped in between: not ours; put it back.
        rename_no_replace(parent, private, name);
        return;
    }
    empty_tree(tree, held.st_dev);
    // SAFETY: `private` is NUL-terminated (the buffer is zeroed past it).
    if unsafe { libc::unlinkat(parent, private, libc::AT_REMOVEDIR) } != 0 {
        rename_no_replace(parent, private, name);
    }
}

/// Elsewhere a handler has no allocation-free way to list a directory: a
/// directory with contents stays.
#[cfg(not(target_os = "linux"))]
fn remove_tree(_parent: c_int, _name: *const libc::c_char, _tree: c_int, _held: &libc::stat) {}

/// `n` in decimal, NUL-padded, without allocating.
#[cfg(target_os = "linux")]
fn decimal(mut n: u64) -> [u8; 20] {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[..len].reverse();
    digits
}

/// How deep [`empty_tree`] goes; what is deeper stays.
#[cfg(target_os = "linux")]
const DEPTH: usize = 16;

/// One directory of the walk: its descriptor, and where to go on reading
/// it after the child being emptied (`d_off`), and that child's name.
#[cfg(target_os = "linux")]
#[derive(Clone, Copy)]
struct Level {
    fd: c_int,
    resume: i64,
    child: [u8; 256],
}

/// Empties the directory `tree` (a descriptor of any kind) with
/// descriptors and buffers on the stack: `openat(".")`, `getdents64`,
/// `unlinkat`, and `openat(O_NOFOLLOW|O_DIRECTORY)` for subdirectories on
/// device `dev` (never a symbolic link, never another mount), at most
/// [`DEPTH`] levels down. After a child that could be removed the listing
/// starts again; after one that could not, it resumes at the offset after
/// it (`lseek(d_off)`), so the walk ends: entries that cannot be removed
/// are left.
#[cfg(target_os = "linux")]
fn empty_tree(tree: c_int, dev: libc::dev_t) {
    const FLAGS: c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let mut levels = [Level {
        fd: -1,
        resume: 0,
        child: [0; 256],
    }; DEPTH];
    let mut buffer = [0u64; 512];
    // SAFETY: "." is NUL-terminated; `tree` is held by the entry's owner.
    levels[0].fd = unsafe { libc::openat(tree, c".".as_ptr(), FLAGS) };
    if levels[0].fd < 0 {
        return;
    }
    let mut depth = 1;
    'walk: while depth > 0 {
        let fd = levels[depth - 1].fd;
        // SAFETY: the buffer is ours and its length is passed.
        let read = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd,
                buffer.as_mut_ptr(),
                std::mem::size_of_val(&buffer),
            )
        };
        let Ok(read) = usize::try_from(read) else {
            finish_level(&mut levels, &mut depth);
            continue;
        };
        if read == 0 {
            finish_level(&mut levels, &mut depth);
            continue;
        }
        // SAFETY: the kernel filled `read` bytes of the buffer.
        let bytes = unsafe { std::slice::from_raw_parts(buffer.as_ptr().cast::<u8>(), read) };
        let mut at = 0;
        while at + 19 < bytes.len() {
            // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16,
            // d_type u8, d_name NUL-terminated.
            let next = i64::from_ne_bytes(bytes[at + 8..at + 16].try_into().unwrap_or([0; 8]));
            let reclen = usize::from(u16::from_ne_bytes([bytes[at + 16], bytes[at + 17]]));
            if reclen < 20 {
                // Not a record the kernel writes: stop reading this batch.
                break;
            }
            let kind = bytes[at + 18];
            let name = &bytes[at + 19..(at + reclen).min(bytes.len())];
            at += reclen;
            let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            if len == 0 || len >= 256 || name[..len] == *b"." || name[..len] == *b".." {
                continue;
            }
            let name = name.as_ptr().cast();
            if kind != libc::DT_DIR && kind != libc::DT_UNKNOWN {
                // SAFETY: `name` is NUL-terminated within the buffer.
                unsafe { libc::unlinkat(fd, name, 0) };
                continue;
            }
            // SAFETY: as above.
            if unsafe { libc::unlinkat(fd, name, libc::AT_REMOVEDIR) } == 0 {
                continue;
            }
            let error = io::Error::last_os_error().raw_os_error();
            if error == Some(libc::ENOTDIR) {
                // SAFETY: as above.
                unsafe { libc::unlinkat(fd, name, 0) };
                continue;
            }
            if error != Some(libc::ENOTEMPTY) && error != Some(libc::EEXIST) || depth == DEPTH {
                continue;
            }
            let child = open_below(fd, name);
            if child < 0 {
                continue;
            }
            // SAFETY: a zeroed stat is valid to fill; `child` is ours.
            let mut stat: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: as above.
            if unsafe { libc::fstat(child, &mut stat) } != 0 || stat.st_dev != dev {
                // SAFETY: closing our own descriptor.
                unsafe { libc::close(child) };
                continue;
            }
            let level = &mut levels[depth - 1];
            level.resume = next;
            level.child = [0; 256];
            // SAFETY: `len` bytes of name are in the buffer.
            let source = unsafe { std::slice::from_raw_parts(name.cast::<u8>(), len) };
            level.child[..len].copy_from_slice(source);
            levels[depth].fd = child;
            depth += 1;
            continue 'walk;
        }
    }
}

/// Opens the subdirectory `name` of `fd` for listing, never following a
/// symbolic link: `openat2(RESOLVE_NO_XDEV|RESOLVE_NO_SYMLINKS)`, which
/// refuses to cross any mount, a bind mount of the same file system
/// included; where `openat2` is missing (before Linux 5.6, or denied),
/// `openat(O_NOFOLLOW)`, and the caller's device check alone.
#[cfg(target_os = "linux")]
fn open_below(fd: c_int, name: *const libc::c_char) -> c_int {
    const FLAGS: c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: an all-zero open_how is valid (mode 0, no resolve flags).
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = FLAGS as u64;
    how.resolve = libc::RESOLVE_NO_XDEV | libc::RESOLVE_NO_SYMLINKS;
    // SAFETY: `name` is NUL-terminated and `how` is a valid open_how of the
    // size passed.
    let opened = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            fd,
            name,
            &how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if opened >= 0 {
        return c_int::try_from(opened).unwrap_or(-1);
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::ENOSYS | libc::EPERM) => {
            // SAFETY: as above; never follows a symbolic link.
            unsafe { libc::openat(fd, name, FLAGS) }
        }
        _ => -1,
    }
}

/// Closes the directory at the top of the walk; in its parent, removes it
/// and goes on reading after it.
#[cfg(target_os = "linux")]
fn finish_level(levels: &mut [Level; DEPTH], depth: &mut usize) {
    // SAFETY: closing a descriptor the walk opened.
    unsafe { libc::close(levels[*depth - 1].fd) };
    *depth -= 1;
    if let Some(parent) = (*depth).checked_sub(1).map(|d| &levels[d]) {
        // SAFETY: the child's name is NUL-terminated; the offset came from
        // the kernel for this descriptor.
        unsafe {
            let removed =
                libc::unlinkat(parent.fd, parent.child.as_ptr().cast(), libc::AT_REMOVEDIR) == 0;
            // Removed: read the parent again from the start, since file
            // systems whose offsets are positions (tmpfs before Linux 6.6)
            // shift what follows. Not removed: go on after it, so that a
            // child that cannot be emptied is not walked again and again.
            // Each restart follows a removal: the walk ends.
            libc::lseek(
                parent.fd,
                if removed { 0 } else { parent.resume },
                libc::SEEK_SET,
            );
        }
    }
}
