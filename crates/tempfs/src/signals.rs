//! [`cleanup_on_signals`]: the opt-in hook that removes named objects when
//! the process is killed by `SIGINT`, `SIGTERM` or `SIGHUP` (on Windows,
//! ended by Ctrl+C, Ctrl+Break or its console closing).

use std::io;

use crate::sys;

/// Removes the named temporary objects this process holds when it is
/// killed by `SIGINT`, `SIGTERM` or `SIGHUP` (on Windows, by a console
/// control event: see below), then lets it die of that signal as it would
/// have (the same exit status: `WIFSIGNALED`, the same `WTERMSIG`). Never installed unless called; calling it again does
/// nothing. An application calls it, early in `main`; a library should
/// not, since signal dispositions belong to the process.
///
/// What it covers: every [`NamedTempFile`](crate::NamedTempFile),
/// [`TempPath`](crate::TempPath) and [`TempDir`](crate::TempDir) that
/// removes itself on drop and was created **after** this call returned.
/// Objects created before, kept ([`keep`](crate::TempDir::keep),
/// `persist`, [`disable_cleanup`](crate::TempDir::disable_cleanup)),
/// adopted by [`TempPath::from_path`](crate::TempPath::from_path) without
/// a directory handle, with names longer than 255 bytes, or beyond 1024
/// live at once are not. [`Retention`](crate::Retention) is not asked: a
/// signal removes an object even under `TEMPKIT_KEEP=always`.
/// Anonymous files ([`tempfile()`](crate::tempfile), [`TempFile`](crate::TempFile)
/// on Linux) need nothing: the kernel frees them.
///
/// How: each object enters a fixed table of slots, made of atomics only,
/// when it is created and leaves it when it is dropped, closed, kept or
/// persisted (with no hook installed, entering is one load, and objects
/// pay nothing). The handler claims each live slot of this process and
/// removes it relative to the directory handles held since creation
/// (`unlinkat`), allocating nothing and taking no lock. A `TempDir` is
/// removed only if it is still the directory at its name; on Linux its
/// contents are removed first, with descriptors and buffers on the stack
/// (`getdents64`), never following a symbolic link or crossing a mount,
/// down to 16 levels (what is deeper stays, and so does the directory).
/// On other unix systems a handler has no allocation-free way to list a
/// directory: a `TempDir` is removed only if it is empty.
///
/// Handlers already there are kept, never replaced silently: for a signal
/// the application handles itself, the hook calls the application's
/// handler and does nothing else, since the application has decided what
/// the signal means (typically a graceful shutdown, which drops the
/// objects); a one-shot handler (`SA_RESETHAND`) only once, as the kernel
/// would run it, so that the next signal finds the default. A signal that is ignored (`SIG_IGN`, as under `nohup`) stays
/// ignored. A handler the application installs *after* this call takes
/// the signal over: if it calls the handler it found (as signal-hook, and
/// so tokio's `ctrl_c`, do), the hook sees that it is no longer installed
/// and does nothing, so the application's shutdown runs.
///
/// As the init of a PID namespace (a container's entrypoint), where the
/// kernel ignores a fatal signal that has the default disposition, the
/// hook does nothing either. A `TempDir` with contents is moved to a
/// private name before it is emptied, so that a thread renaming it into
/// place meanwhile fails instead of publishing it half-emptied. The first
/// signal that removes holds the process: another arriving on another
/// thread meanwhile leaves it to finish.
///
/// A forked child does not remove its parent's objects: each entry
/// records the process id of its creator (updated in a child by a
/// `pthread_atfork` handler), and the handler compares it with `getpid`,
/// a raw system call on Linux, so that a C library caching the id cannot
/// mislead it. A child made without `fork` (a raw `clone`) records its
/// parent's id for what it creates, whose entries it then does not
/// remove: they stay, never someone else's removed.
///
/// `SIGKILL` cannot be caught: what a killed process leaves stays.
///
/// # Platform behaviour
///
/// On Windows the events are the console's: Ctrl+C, Ctrl+Break and the
/// console closing (`CTRL_C_EVENT`, `CTRL_BREAK_EVENT`,
/// `CTRL_CLOSE_EVENT`). The hook is a console control handler
/// (`SetConsoleCtrlHandler`), which Windows runs on a thread of its own:
/// it removes each object with the same handle-relative code as its drop
/// (a `TempDir` with everything in it, at any depth), then passes the
/// event on, so that the process ends as it would have (the same exit
/// code). Not `CTRL_LOGOFF_EVENT` or `CTRL_SHUTDOWN_EVENT`: services
/// receive them and live on (or stop through their own handler), and
/// their objects are live. Windows calls the handler registered last
/// first and has no way to ask what was registered before: a handler the
/// application registers *after* this call takes the events over (if it
/// returns `TRUE`, the hook never runs), but one registered *before* runs
/// after the hook, when what the hook covers is already gone. Call this
/// first, then register your own. Named files are often removed by the
/// system anyway ("deleted by the system" in `docs/platforms.md`).
///
/// On WASI, which has neither signals nor console events, this fails with
/// [`io::ErrorKind::Unsupported`].
///
/// ```
/// # #[cfg(not(target_os = "wasi"))] {
/// tempfs::cleanup_on_signals()?;
/// tempfs::cleanup_on_signals()?; // one hook all the same
/// let file = tempfs::NamedTempFile::new()?; // removed even after Ctrl-C
/// # drop(file); }
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Fails with the error of `sigaction` or `pthread_atfork`, which leaves
/// the signals already handled as they are (on Windows, of
/// `SetConsoleCtrlHandler`).
pub fn cleanup_on_signals() -> io::Result<()> {
    sys::install_signal_hook()
}
