//! Scratch directories for tests, named after the test (Go's
//! `t.TempDir()`, pytest's `tmp_path`): removed when the test passes, kept
//! and reported when it fails.
//!
//! ```
//! // In a `#[test]` function:
//! fn writes_a_report() -> std::io::Result<()> {
//!     let dir = tempfs::testing::tempdir()?;
//!     std::fs::write(dir.path().join("report.txt"), "ok")?;
//!     Ok(())
//! }
//! # writes_a_report().unwrap();
//! ```
//!
//! [`tempdir`] makes a [`TempDir`] whose name is the test's (libtest names
//! each test's thread after it: `parser::empty_input` gives
//! `parser.empty_input-` and six random characters), inside a directory
//! for the whole run, `tempkit-tests-` and a key, in the default
//! temporary directory. Its [`Retention`] is [`Panic`](Retention::Panic)
//! (or `always`, if `TEMPKIT_KEEP` says so): a test that fails by
//! panicking leaves its directory on disk and says so on standard error,
//!
//! ```text
//! kept after a panic: /tmp/tempkit-tests-20071-8812344/parser.empty_input-x3k9qa
//! ```
//!
//! and a test that passes leaves nothing: its directory is removed, and so
//! is the run's directory when the last of the run's tests is done with
//! it. A test that fails by returning `Err` is not panicking when its
//! directory drops, so that directory is removed: `unwrap` what you want
//! to see kept.
//!
//! # Runs
//!
//! A run is one `cargo test` (or `cargo nextest run`) invocation, which
//! starts one process per test binary (nextest: one per test). Its key is:
//!
//! - under nextest, the run's id (`NEXTEST_RUN_ID`), which every process
//!   of the run shares;
//! - otherwise, on unix, the parent process (cargo) and, where `/proc`
//!   says, when it started: every test binary of one `cargo test` shares
//!   it. A binary run by hand from a shell joins the shell's run, and
//!   where there is no `/proc` (macOS, FreeBSD) a later process given the
//!   same parent id joins an old run;
//! - on Windows, the test process itself.
//!
//! When a process creates its run's directory, it removes the directories
//! of older runs, newest kept first, so that at most [`runs_kept`] runs'
//! directories remain (the kept failures of the last runs survive the
//! next, and a disk does not fill): only directories with the prefix,
//! owned by the current user, opened without following symbolic links and
//! removed through the [`TempDir`] cleanup; only in a temporary directory
//! where no other user can rename or replace this user's entries (sticky,
//! like `/tmp`, or private); and never a run still going: on unix every
//! process of a run holds a shared `flock` on its run's directory, and the
//! pruner takes the exclusive lock before it removes anything (a process
//! that finds a run being removed makes its own, below). Windows has no
//! lock on a directory; there a run is one process, and a live one's
//! directory can be pruned when more than [`runs_kept`] run at once.
//! `TEMPKIT_TEST_RUNS` or [`set_runs_kept`] choose how many; the default
//! is 3.
//!
//! A run's name is predictable. If another user owns the directory of
//! that name, others may write to it, or it is not a directory, it is
//! left alone, and the process makes a run directory of its own under a
//! random name (the run's name, `-` and six random characters), so tests
//! neither fail nor write where someone else can reach.

use std::ffi::{OsStr, OsString};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tempcore::{Dir, PathError, Template};

use crate::builder::Builder;
use crate::dir::TempDir;
use crate::retain::Retention;
use crate::{cleanup, sys};

/// The start of every run directory's name.
pub const RUN_PREFIX: &str = "tempkit-tests-";

/// The environment variable that says how many runs' directories to keep
/// ([`set_runs_kept`] overrides it).
pub const RUNS_VAR: &str = "TEMPKIT_TEST_RUNS";

/// Runs kept when neither [`RUNS_VAR`] nor [`set_runs_kept`] say.
pub const DEFAULT_RUNS_KEPT: usize = 3;

/// The longest name [`safe_name`] gives.
pub const MAX_NAME_LEN: usize = 96;

/// Creates a directory named after the current test in this run's
/// directory: removed when dropped, unless the test is panicking, when it
/// is kept and its path written to standard error (see the module docs).
///
/// ```
/// let dir = tempfs::testing::tempdir()?;
/// std::fs::write(dir.path().join("input.txt"), "1 2 3")?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn tempdir() -> io::Result<TempDir> {
    let name = safe_name(std::thread::current().name().unwrap_or("unnamed"));
    let prefix = format!("{name}-");
    let mut builder = Builder::new();
    builder
        .prefix(&prefix)
        .rand_bytes(6)
        .retention(Retention::from_env().max(Retention::Panic));
    // A run directory left empty is removed, by this process or another
    // of the run: then it is made again, once. The lock on the state is
    // never held across a system call: a child forked meanwhile by
    // another thread (a test that forks) must not find it held forever.
    for again in [true, false] {
        let run = enter_run()?;
        match builder.tempdir_at(&run.dir) {
            Ok(mut dir) => {
                dir.run = Some(RunGuard {
                    run: Some(run),
                    removed: false,
                });
                return Ok(dir);
            }
            Err(e) => {
                let mut state = state();
                state.live -= 1;
                if again && e.kind() == io::ErrorKind::NotFound {
                    if state.run.as_ref().is_some_and(|r| Arc::ptr_eq(r, &run)) {
                        state.run = None;
                    }
                    continue;
                }
                return Err(e);
            }
        }
    }
    unreachable!("the second attempt returns")
}

/// This process's run, opened if need be, counted as used by one more
/// test directory (so that it is not removed while that is made).
fn enter_run() -> io::Result<Arc<RunRoot>> {
    if let Some(run) = {
        let mut state = state();
        let run = state.run.clone();
        state.live += usize::from(run.is_some());
        run
    } {
        return Ok(run);
    }
    let opened = Arc::new(RunRoot::open()?);
    let mut state = state();
    // Another thread may have opened it meanwhile: one run per process.
    let run = Arc::clone(state.run.get_or_insert(opened));
    state.live += 1;
    Ok(run)
}

/// The state, even after a panic while it was held (its fields are
/// consistent at every point where one can happen).
fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `raw` (a test's name) as a safe file name: `::` becomes `.`, and every
/// character but ASCII letters, digits, `-` and `_` becomes `_`, so no
/// separator, NUL, `..` or leading dot or dash survives; at most
/// [`MAX_NAME_LEN`] bytes, and `unnamed` for nothing at all.
///
/// ```
/// use tempfs::testing::safe_name;
/// assert_eq!(safe_name("parser::tests::empty_input"), "parser.tests.empty_input");
/// assert_eq!(safe_name("../etc/passwd"), "___etc_passwd");
/// assert_eq!(safe_name(""), "unnamed");
/// ```
pub fn safe_name(raw: &str) -> String {
    let mut name = String::new();
    for part in raw.split("::").filter(|part| !part.is_empty()) {
        if !name.is_empty() {
            name.push('.');
        }
        name.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        }));
    }
    name.truncate(MAX_NAME_LEN);
    if name.starts_with('-') {
        name.replace_range(..1, "_");
    }
    if name.is_empty() {
        name.push_str("unnamed");
    }
    name
}

/// How many runs' directories are kept: [`set_runs_kept`]'s value, else
/// [`RUNS_VAR`]'s (in a process whose environment is trusted), else
/// [`DEFAULT_RUNS_KEPT`]. At least 1: the current run's.
pub fn runs_kept() -> usize {
    match RUNS_KEPT.load(Ordering::Relaxed) {
        0 => std::env::var(RUNS_VAR)
            .ok()
            .filter(|_| tempcore::environment_is_trusted())
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(DEFAULT_RUNS_KEPT)
            .max(1),
        n => n,
    }
}

/// Sets how many runs' directories are kept (at least 1), for the rest of
/// the process.
pub fn set_runs_kept(runs: usize) {
    RUNS_KEPT.store(runs.max(1), Ordering::Relaxed);
}

static RUNS_KEPT: AtomicUsize = AtomicUsize::new(0);

/// The run directory this process uses, and how many of its test
/// directories are alive.
struct State {
    run: Option<Arc<RunRoot>>,
    live: usize,
}

static STATE: Mutex<State> = Mutex::new(State { run: None, live: 0 });

/// A run's directory, open.
pub(crate) struct RunRoot {
    parent: Arc<Dir>,
    name: OsString,
    dir: Arc<Dir>,
}

impl RunRoot {
    /// Creates this run's directory in the default temporary directory,
    /// or joins it, and prunes older runs when it was created here.
    ///
    /// The run's name is predictable, so another user may have taken it,
    /// and a pruner may be removing it: then this process makes a run
    /// directory of its own under a random name instead, rather than fail
    /// every test or write into someone else's directory.
    fn open() -> io::Result<RunRoot> {
        let parent = tempcore::temp_dir_handle()?;
        let key = std::env::var("NEXTEST_RUN_ID")
            .ok()
            .filter(|_| tempcore::environment_is_trusted())
            .unwrap_or_else(sys::run_key);
        let shared = format!("{RUN_PREFIX}{}", safe_name(&key));
        if let Some(run) = Self::make(&parent, &mut Template::new(&shared, "", 0)?)? {
            return Ok(run);
        }
        // The process's own: never pruning (the other processes of this
        // run may be doing the same), tried a few times in case a pruner
        // of another run takes a new one before it is locked.
        let prefix = format!("{shared}-");
        for _ in 0..OWN_RUN_ATTEMPTS {
            if let Some(run) = Self::make(&parent, &mut Template::new(&prefix, "", 6)?)? {
                return Ok(run);
            }
        }
        Err(PathError::custom(
            io::ErrorKind::PermissionDenied,
            CHECKING,
            parent.path(),
            "no run directory private to this user could be made",
        ))
    }

    /// The run directory named by `names`: created (then older runs are
    /// pruned, if it has the run's shared name), or joined if it exists,
    /// is this user's alone and is not being pruned; `None` otherwise.
    fn make(parent: &Arc<Dir>, names: &mut Template<'_>) -> io::Result<Option<RunRoot>> {
        let shared = names.rand_len() == 0;
        let (name, created) = match tempcore::create_dir_at(parent, names, tempcore::DIR_MODE) {
            Ok(name) => (name, true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && shared => {
                (names.prefix().to_owned(), false)
            }
            Err(e) => return Err(e),
        };
        let dir = match Dir::open_at(parent, &name) {
            Ok(dir) => dir,
            // Not a directory, or a symbolic link: someone else's; or,
            // made here, already pruned by another run.
            Err(e) if !created || e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let check = |e| PathError::wrap(e, CHECKING, dir.path());
        if !sys::private_to_me(&dir).map_err(check)? || !sys::hold_run(&dir) {
            return Ok(None);
        }
        if created && shared {
            prune(parent, &name, runs_kept());
        }
        Ok(Some(RunRoot {
            parent: Arc::clone(parent),
            name,
            dir: Arc::new(dir),
        }))
    }

    /// Removes the run's directory if it is empty, or gives it back, still
    /// open and locked, if tests left directories in it (kept failures):
    /// a run that is still going keeps its lock, so no other run prunes
    /// what it kept. Where an open directory cannot be removed (Windows),
    /// the handle is closed first and nothing is given back.
    fn close(self) -> Option<RunRoot> {
        if !sys::REMOVES_OPEN_DIRS {
            let RunRoot { parent, name, dir } = self;
            drop(dir);
            let _ = tempcore::remove_dir_at(&parent, &name);
            return None;
        }
        match tempcore::remove_dir_at(&self.parent, &self.name) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists
                ) =>
            {
                Some(self)
            }
            _ => None,
        }
    }
}

/// How many random names a process tries for a run directory of its own.
const OWN_RUN_ATTEMPTS: usize = 4;

/// A [`TempDir`]'s hold on its run directory, dropped after the
/// `TempDir`'s own handles: the run directory goes when the last test
/// directory in it is removed and it is empty. No handle of it is open
/// then (Windows cannot remove an open directory everywhere; Wine cannot).
pub(crate) struct RunGuard {
    run: Option<Arc<RunRoot>>,
    /// Whether the test directory was removed (not kept).
    pub(crate) removed: bool,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        {
            let mut state = state();
            state.live = state.live.saturating_sub(1);
            let current = state.run.as_ref().is_some_and(|r| Arc::ptr_eq(r, &run));
            if !(self.removed && state.live == 0 && current) {
                return;
            }
            state.run = None;
        }
        // No test directory holds it (`live` was 0), and the state let go:
        // this is the last reference. A test directory made in it
        // meanwhile by another thread makes the removal fail (not empty);
        // one about to be made finds it gone and opens the run again. Kept
        // failures make it fail too: then the run stays open and locked.
        let Some(kept) = Arc::try_unwrap(run).ok().and_then(RunRoot::close) else {
            return;
        };
        let mut state = state();
        if state.run.is_none() {
            state.run = Some(Arc::new(kept));
        }
    }
}

/// What errors about a run directory say was being done.
const CHECKING: &str = "checking the test run directory";

/// Removes the run directories in `parent` other than `current`, oldest
/// first, until `keep` runs are left counting the current one. Only this
/// user's, on `parent`'s device (another user's do not count toward
/// `keep` either), only where no other user can have renamed or replaced
/// them (`parent` guards its entries: sticky, or private), and only runs
/// no process uses (each holds a lock on its run's directory; none on
/// Windows, see [`sys::run_unused`]). Listed through `parent`'s handle.
fn prune(parent: &Dir, current: &OsStr, keep: usize) {
    if !sys::guards_entries(parent).unwrap_or(false) {
        return;
    }
    let Ok(mut runs) = sys::my_runs(parent, RUN_PREFIX) else {
        return;
    };
    runs.retain(|(_, name)| name != current);
    runs.sort_by(|a, b| b.cmp(a));
    for (_, name) in runs.into_iter().skip(keep.saturating_sub(1)) {
        let Ok(dir) = Dir::open_at(parent, &name) else {
            continue;
        };
        if sys::private_to_me(&dir).unwrap_or(false) && sys::run_unused(&dir).unwrap_or(false) {
            let _ = cleanup::remove_temp_dir(parent, &name, &dir, dir.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_names_become_safe_ones() {
        let cases = [
            ("", "unnamed"),
            ("::", "unnamed"),
            ("..", "__"),
            ("a/../b", "a____b"),
            ("a\\b", "a_b"),
            ("nul\0byte", "nul_byte"),
            ("-rf", "_rf"),
            ("m::t", "m.t"),
            ("m::::t", "m.t"),
            ("é", "_"),
            ("tests::case_1", "tests.case_1"),
        ];
        for (raw, safe) in cases {
            assert_eq!(safe_name(raw), safe, "{raw:?}");
        }
        let huge = "x".repeat(10_000);
        assert_eq!(safe_name(&huge).len(), MAX_NAME_LEN);
        for raw in ["../..", "/", "a::..::b", ".hidden", "a\0..\0/"] {
            let name = safe_name(raw);
            assert!(!name.starts_with('.'), "{raw:?} -> {name:?}");
            assert!(!name.contains(".."), "{raw:?} -> {name:?}");
            assert!(!name.contains(['/', '\\', '\0']), "{raw:?} -> {name:?}");
        }
    }

    // Not on WASI: its test harness runs every test on the main thread,
    // whose name is not the test's, so directories are named `main-…`.
    #[cfg(not(target_os = "wasi"))]
    mod names {
        use super::*;

        #[test]
        fn a_test_directory_is_named_after_the_test() {
            let dir = tempdir().unwrap();
            let name = dir.path().file_name().unwrap().to_str().unwrap();
            assert!(
                name.starts_with("testing.tests.names.a_test_directory_is_named_after_the_test-"),
                "{name}"
            );
            let run = dir.path().parent().unwrap().file_name().unwrap();
            assert!(run.to_str().unwrap().starts_with(RUN_PREFIX));
        }
    }
}
