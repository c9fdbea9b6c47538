//! Forked children: run a closure in a separate process, optionally as an
//! unprivileged user or under lowered resource limits, and learn whether it
//! passed.
//!
//! The child reports a panic's message through a pipe and exits with
//! `_exit`, never returning into the test harness. Forking from the threaded
//! harness is safe here because glibc's `fork` resets the allocator's
//! locks, and the child writes its report with raw `write(2)` instead of
//! Rust's locked stderr. The child never replaces the panic hook (see
//! `silence_children`).

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// The uid and gid of `nobody`, which the unprivileged tests become.
pub const NOBODY: u32 = 65534;

/// How a child ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The closure returned.
    Passed,
    /// The closure panicked with this message.
    Failed(String),
    /// The child was killed by this signal.
    Signaled(i32),
}

/// Set in a forked child (in its own copy of memory): the panic hook stays
/// silent there.
static IN_CHILD: AtomicBool = AtomicBool::new(false);

/// Installs, once and in the parent, a panic hook that forwards to the
/// previous one except in children. Installing a hook *in* the child would
/// take the hook's write lock, which a parent thread that was panicking at
/// the moment of `fork` holds forever in the child: a deadlock.
fn silence_children() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CHILD.load(Ordering::Relaxed) {
                previous(info);
            }
        }));
    });
}

/// A `fork` with a pipe from the child to the parent, each side holding
/// its end.
enum Forked {
    /// In the child: the write end.
    Child(OwnedFd),
    /// In the parent: the child's id and the read end.
    Parent(libc::pid_t, std::fs::File),
}

/// Forks, after a pipe whose ends are close-on-exec (macOS has no
/// `pipe2`), so that a process another test spawns does not inherit the
/// write end and keep the parent's read waiting. In the child, marks it a
/// child (see `silence_children`).
fn fork_with_pipe() -> Forked {
    silence_children();
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid two-element array for pipe to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    for fd in fds {
        // SAFETY: setting a flag on a descriptor just created and owned here.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: both descriptors were just created by pipe and are owned here.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child runs only its body and then `_exit`s (or waits to
    // be killed); see the module docs for why that is sound from a
    // threaded parent.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed: {}", std::io::Error::last_os_error());
    if pid == 0 {
        drop(read_end);
        // The default hook would take stderr's lock, which another parent
        // thread may have held at fork: stay silent (see `silence_children`).
        IN_CHILD.store(true, Ordering::Relaxed);
        Forked::Child(write_end)
    } else {
        drop(write_end);
        Forked::Parent(pid, std::fs::File::from(read_end))
    }
}

/// Writes `bytes` to the pipe with a raw `write(2)` (no lock a parent
/// thread could have held at the fork).
fn report(pipe: &OwnedFd, bytes: &[u8]) {
    // SAFETY: writing a byte buffer we own to a pipe we own.
    unsafe { libc::write(pipe.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
}

/// The message of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "child panicked".to_string())
}

/// Leaves the child at once, with `code`, without running the parent's
/// `atexit` handlers or returning into the harness.
fn exit_child(code: i32) -> ! {
    // SAFETY: `_exit` ends the process; nothing runs after it.
    unsafe { libc::_exit(code) }
}

/// Waits for the child `pid`; how it ended, `message` saying, from the
/// wait status, what a failure was.
fn wait_for(pid: libc::pid_t, message: impl FnOnce(libc::c_int) -> String) -> Outcome {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "waitpid");
    if libc::WIFSIGNALED(status) {
        Outcome::Signaled(libc::WTERMSIG(status))
    } else if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Outcome::Passed
    } else {
        Outcome::Failed(message(status))
    }
}

/// Runs `body` in a forked child; returns how it ended.
pub fn run(body: impl FnOnce()) -> Outcome {
    let (pid, mut pipe) = match fork_with_pipe() {
        Forked::Child(pipe) => match catch_unwind(AssertUnwindSafe(body)) {
            Ok(()) => exit_child(0),
            Err(payload) => {
                report(&pipe, panic_message(&*payload).as_bytes());
                exit_child(101)
            }
        },
        Forked::Parent(pid, pipe) => (pid, pipe),
    };
    let mut message = String::new();
    let _ = pipe.read_to_string(&mut message);
    wait_for(pid, |_| message)
}

/// A forked child that keeps alive what its body made, until it is
/// killed: see [`spawn`]. Dropping it kills it with `SIGKILL`.
#[derive(Debug)]
pub struct Running {
    pid: libc::pid_t,
    waited: bool,
}

/// Runs `body` in a forked child that keeps what `body` returns alive,
/// never dropping it, until the child is killed ([`Running::kill`]).
/// Returns once `body` has returned; panics with its message if it
/// panicked. For tests of what a process leaves when it dies.
pub fn spawn<T>(body: impl FnOnce() -> T) -> Running {
    let (pid, mut pipe) = match fork_with_pipe() {
        Forked::Child(pipe) => match catch_unwind(AssertUnwindSafe(body)) {
            Ok(kept) => {
                report(&pipe, b"+");
                std::mem::forget(kept);
                loop {
                    // SAFETY: waits for a signal; nothing else.
                    unsafe { libc::pause() };
                }
            }
            Err(payload) => {
                report(&pipe, format!("!{}", panic_message(&*payload)).as_bytes());
                exit_child(101)
            }
        },
        Forked::Parent(pid, pipe) => (pid, pipe),
    };
    let mut running = Running { pid, waited: false };
    let mut first = [0u8; 1];
    let got = pipe.read(&mut first).unwrap_or(0);
    if got == 1 && first[0] == b'+' {
        return running;
    }
    // It failed: the rest of its message is in the pipe once it is gone.
    let outcome = running.wait();
    let mut message = Vec::new();
    // SAFETY: setting a flag on a descriptor we own, so that the read
    // below ends where the message does even if a process forked
    // meanwhile holds the write end.
    unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let _ = pipe.read_to_end(&mut message);
    panic!(
        "spawned child failed ({outcome:?}): {}",
        String::from_utf8_lossy(&message)
    );
}

impl Running {
    /// The child's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Sends `signal` and waits for the child to end; how it ended.
    pub fn kill(mut self, signal: i32) -> Outcome {
        // SAFETY: signalling our own child, not yet waited for.
        assert_eq!(unsafe { libc::kill(self.pid, signal) }, 0, "kill");
        self.wait()
    }

    fn wait(&mut self) -> Outcome {
        let outcome = wait_for(self.pid, |status| format!("status {status}"));
        self.waited = true;
        outcome
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.waited {
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// Runs `body` in a forked child and panics with its message if it fails.
pub fn check(body: impl FnOnce()) {
    match run(body) {
        Outcome::Passed => {}
        other => panic!("child process: {other:?}"),
    }
}

/// Runs `body` in a forked child that has dropped every privilege: no
/// supplementary groups, real/effective/saved gid and uid `nobody`. Panics
/// if the child fails. Files the child must reach have to be reachable by
/// `nobody` (a [`crate::Scratch`] is 0755; make test directories 0777 or
/// chown them to [`NOBODY`]).
pub fn as_nobody(body: impl FnOnce()) {
    check(|| {
        become_nobody();
        body();
    });
}

/// Drops to `nobody` in the current process. Only for forked children.
pub fn become_nobody() {
    // SAFETY: plain system calls with valid arguments; this runs in a
    // forked child that owns its credentials.
    unsafe {
        assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
        set_ids();
        assert_eq!(libc::geteuid(), NOBODY, "still privileged");
        assert_eq!(libc::getuid(), NOBODY, "real uid still privileged");
    }
}

/// Real, effective and saved ids to `nobody`: `setresgid`/`setresuid`.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
unsafe fn set_ids() {
    // SAFETY: plain system calls; see `become_nobody`.
    unsafe {
        assert_eq!(libc::setresgid(NOBODY, NOBODY, NOBODY), 0, "setresgid");
        assert_eq!(libc::setresuid(NOBODY, NOBODY, NOBODY), 0, "setresuid");
    }
}

/// Real, effective and saved ids to `nobody`: as root, `setgid` and
/// `setuid` set all three (macOS has no `setresuid`).
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
unsafe fn set_ids() {
    // SAFETY: plain system calls; see `become_nobody`.
    unsafe {
        assert_eq!(libc::setgid(NOBODY), 0, "setgid");
        assert_eq!(libc::setuid(NOBODY), 0, "setuid");
    }
}

/// The type of `libc::RLIMIT_*` constants on this platform.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub type Resource = libc::__rlimit_resource_t;
/// The type of `libc::RLIMIT_*` constants on this platform.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub type Resource = libc::c_int;

/// Lowers the soft and hard limit of `resource` (a `libc::RLIMIT_*`) in
/// the current process. Only for forked children.
pub fn set_rlimit(resource: Resource, limit: u64) {
    let value = libc::rlimit {
        rlim_cur: limit as libc::rlim_t,
        rlim_max: limit as libc::rlim_t,
    };
    // SAFETY: `value` is a valid rlimit for the duration of the call.
    let rc = unsafe { libc::setrlimit(resource, &value) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// Ignores `SIGXFSZ`, so that passing `RLIMIT_FSIZE` fails a write with
/// `EFBIG` instead of killing the process. Only for forked children.
pub fn ignore_sigxfsz() {
    // SAFETY: setting a signal's disposition to SIG_IGN is always valid.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
}

/// Gives `SIGXFSZ` its default disposition, which kills the process when
/// a write passes `RLIMIT_FSIZE` (what a Rust program has unless it says
/// otherwise), whatever the harness or the parent did. Only for forked
/// children.
pub fn default_sigxfsz() {
    // SAFETY: setting a signal's disposition to SIG_DFL is always valid.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_DFL) };
}

/// Moves the current process into a private mount namespace
/// (`unshare(CLONE_NEWNS)`, then every mount made private), so that mounts
/// it makes vanish with it. Linux only; needs root. Only for forked
/// children.
#[cfg(target_os = "linux")]
pub fn private_mount_namespace() {
    // SAFETY: plain system calls with valid arguments.
    unsafe {
        assert_eq!(
            libc::unshare(libc::CLONE_NEWNS),
            0,
            "unshare(CLONE_NEWNS): {} (tests need root)",
            std::io::Error::last_os_error()
        );
        let root = c"/";
        let rc = libc::mount(
            std::ptr::null(),
            root.as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        );
        assert_eq!(
            rc,
            0,
            "making mounts private: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Runs `prepare` on a new thread with a descriptor table of its own
/// (`unshare(CLONE_FILES)`); it returns the descriptor number that matters
/// and its state. Then, in the calling thread's table, `decoy` is
/// duplicated onto that same number (free there: nothing was opened since
/// the tables parted), and the thread goes on with `finish(state)`, whose
/// result is returned. So `/proc/self/fd/N`, which names the main
/// thread's N, names the decoy while the thread's own N is another file.
/// Linux only; call from the main thread of a forked child.
#[cfg(target_os = "linux")]
pub fn with_decoy_at_the_same_number<S, R: Send + 'static>(
    decoy: &impl AsRawFd,
    prepare: impl FnOnce() -> (std::os::fd::RawFd, S) + Send + 'static,
    finish: impl FnOnce(S) -> R + Send + 'static,
) -> R {
    use std::sync::mpsc;

    let (number_tx, number_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        // SAFETY: gives this thread a copy of the descriptor table.
        assert_eq!(unsafe { libc::unshare(libc::CLONE_FILES) }, 0);
        let (number, state) = prepare();
        number_tx.send(number).unwrap();
        go_rx.recv().unwrap();
        finish(state)
    });
    let number = number_rx.recv().expect("prepare panicked");
    // SAFETY: duplicates a descriptor the caller owns onto a number this
    // thread's table does not use.
    assert_eq!(unsafe { libc::dup2(decoy.as_raw_fd(), number) }, number);
    go_tx.send(()).unwrap();
    worker
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// `mount(source, target, fstype, 0, options)`; panics on failure. Linux
/// only; use inside [`private_mount_namespace`].
#[cfg(target_os = "linux")]
pub fn mount(source: &str, target: &std::path::Path, fstype: &str, options: &str) {
    mount_flags(source, target, fstype, 0, options);
}

/// `mount` with flags (e.g. `libc::MS_BIND`); panics on failure.
#[cfg(target_os = "linux")]
pub fn mount_flags(
    source: &str,
    target: &std::path::Path,
    fstype: &str,
    flags: libc::c_ulong,
    options: &str,
) {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |s: &[u8]| CString::new(s).expect("no NUL in mount arguments");
    let (source, target_c, fstype_c, options_c) = (
        c(source.as_bytes()),
        c(target.as_os_str().as_bytes()),
        c(fstype.as_bytes()),
        c(options.as_bytes()),
    );
    // SAFETY: every pointer is a valid NUL-terminated string for the call.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target_c.as_ptr(),
            fstype_c.as_ptr(),
            flags,
            options_c.as_ptr().cast(),
        )
    };
    assert_eq!(
        rc,
        0,
        "mount {fstype} on {}: {}",
        target.display(),
        std::io::Error::last_os_error()
    );
}

/// Remounts the mount at `target` read-only; panics on failure.
#[cfg(target_os = "linux")]
pub fn remount_read_only(target: &std::path::Path) {
    mount_flags("none", target, "", libc::MS_REMOUNT | libc::MS_RDONLY, "");
}

/// Sets only the soft limit of `resource` (a `libc::RLIMIT_*`), at most the
/// hard limit, which stays: the process can raise the soft limit again
/// later (`u64::MAX` raises it to the hard limit). Only for forked
/// children.
pub fn set_soft_rlimit(resource: Resource, limit: u64) {
    let mut value = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `value` is a valid rlimit for getrlimit to fill.
    let rc = unsafe { libc::getrlimit(resource, &mut value) };
    assert_eq!(rc, 0, "getrlimit: {}", std::io::Error::last_os_error());
    value.rlim_cur = (limit as libc::rlim_t).min(value.rlim_max);
    // SAFETY: `value` is a valid rlimit for the duration of the call.
    let rc = unsafe { libc::setrlimit(resource, &value) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// Copies the running executable into `dir` as a set-user-ID root program
/// (owner root, mode 4755) and returns the copy's path, for
/// [`crate::rerun_copy`]. `dir` must be on a file system mounted without
/// `nosuid`, such as a tmpfs of one's own in a
/// [`private_mount_namespace`], and reachable by whoever runs the copy.
/// Needs root; only for forked children (the copy then vanishes with the
/// mount).
pub fn set_user_id_copy_of_self(dir: &std::path::Path) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current test binary");
    let copy = dir.join(exe.file_name().expect("the binary has a name"));
    std::fs::copy(&exe, &copy)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", exe.display(), copy.display()));
    // Owner first: chown clears the set-user-ID bit.
    std::os::unix::fs::chown(&copy, Some(0), Some(0))
        .unwrap_or_else(|e| panic!("chown root {}: {e}", copy.display()));
    crate::set_mode(&copy, 0o4755);
    copy
}
