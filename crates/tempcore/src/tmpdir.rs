//! Where temporary files go by default: Python's `gettempdir()` rules,
//! stated once, at [`temp_dir`].

use std::cell::RefCell;
use std::error::Error;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::create::{FileOptions, create_file_at, remove_file_at};
use crate::dir::Dir;
use crate::error::PathError;
use crate::name::Template;
use crate::sys;

/// The environment variables consulted first, in order.
pub const TEMP_DIR_VARS: [&str; 3] = ["TMPDIR", "TEMP", "TMP"];

/// The process's answer: discovered once, or set by [`set_temp_dir`].
static CHOSEN: Mutex<Option<Arc<Dir>>> = Mutex::new(None);

/// Bumped, under the lock, whenever [`CHOSEN`] changes.
static EPOCH: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's copy of the answer and the epoch it belongs to: the
    /// common path takes no lock, so threads creating files in the default
    /// directory do not queue on one mutex, and a child forked while some
    /// other thread held that mutex does not deadlock on its first file.
    static CACHED: RefCell<Option<(u64, Arc<Dir>)>> = const { RefCell::new(None) };
}

/// A default set by [`set_temp_dir_lazily`] and not opened yet: opened by
/// the next call that needs the default, until one succeeds. Changed only
/// with [`CHOSEN`]'s lock held.
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

fn pending() -> MutexGuard<'static, Option<PathBuf>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

fn chosen() -> MutexGuard<'static, Option<Arc<Dir>>> {
    CHOSEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Replaces the answer and invalidates every thread's copy.
fn choose(dir: Option<Arc<Dir>>) {
    let mut chosen = chosen();
    *pending() = None;
    *chosen = dir;
    EPOCH.fetch_add(1, Ordering::Release);
}

/// The default directory for temporary files, as an absolute path
/// (Python's `gettempdir()`); discovered on first use and cached.
///
/// The candidates ([`temp_dir_candidates`]), in order: `TMPDIR`, `TEMP`
/// and `TMP` (empty values skipped); the platform's directories (`/tmp`,
/// `/var/tmp`, `/usr/tmp` on unix; on Windows the user's
/// `AppData\Local\Temp`, `%SYSTEMROOT%\Temp`, `c:\temp`, `c:\tmp`, `\temp`,
/// `\tmp`); then the current directory. Each is made absolute and
/// normalised as Python's `os.path.abspath` does, and the first in which a
/// file can be created, written and removed is the answer for the rest of
/// the process, unless [`set_temp_dir`] overrides it.
/// `std::env::temp_dir()` does none of this: it returns `TMPDIR` unchecked.
///
/// A privileged process (started set-user-ID, set-group-ID or with file
/// capabilities, or with real and effective IDs that differ) tries the
/// platform's directories only, since the others are its caller's choice;
/// [`docs/security.md`](https://github.com/tempkit/tempkit/blob/main/docs/security.md#exclusive-creation-tempcore)
/// says how that is decided on each system.
///
/// Fails with [`io::ErrorKind::NotFound`], listing every candidate and why
/// it was refused, when none is usable; for a privileged process the
/// message also says what was left out. When a candidate was refused for
/// want of descriptors or memory (`EMFILE`, `ENFILE`, `ENOMEM`), which says
/// nothing about the directory, the error has the first such failure's
/// kind instead, and its [`source`](std::error::Error::source) is that
/// failure.
///
/// ```
/// let dir = tempcore::temp_dir()?;
/// assert!(dir.is_absolute() && dir.is_dir());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn temp_dir() -> io::Result<PathBuf> {
    Ok(temp_dir_handle()?.path().to_path_buf())
}

/// The default directory for temporary files, as an open handle shared by
/// the whole process: creating files through it costs no extra `open`, and
/// it stays the same directory even if its path is renamed or replaced.
pub fn temp_dir_handle() -> io::Result<Arc<Dir>> {
    let epoch = EPOCH.load(Ordering::Acquire);
    let cached = CACHED.try_with(|cached| {
        let cached = cached.try_borrow().ok()?;
        let (at, dir) = cached.as_ref()?;
        (*at == epoch).then(|| Arc::clone(dir))
    });
    if let Ok(Some(dir)) = cached {
        return Ok(dir);
    }
    // The lock is only ever held for a moment, never across discovery
    // (which creates, writes and removes a probe file): a child forked
    // while another thread discovers must not find it held forever.
    let known = {
        let chosen = chosen();
        // Read under the lock: the epoch that goes with this answer.
        chosen
            .as_ref()
            .map(|dir| (EPOCH.load(Ordering::Acquire), Arc::clone(dir)))
    };
    let (epoch, dir) = match known {
        Some(known) => known,
        None => {
            let later = pending().clone();
            let found = match &later {
                Some(path) => Arc::new(Dir::open(path)?),
                None => Arc::new(discover()?),
            };
            let mut chosen = chosen();
            if chosen.is_none() && *pending() != later {
                // `set_temp_dir_lazily` named another directory meanwhile:
                // what was opened or discovered is not the default now.
                drop(chosen);
                return temp_dir_handle();
            }
            // Another thread may have chosen meanwhile: its answer stands.
            let dir = Arc::clone(chosen.get_or_insert(found));
            (EPOCH.load(Ordering::Acquire), dir)
        }
    };
    let _ = CACHED.try_with(|cached| {
        if let Ok(mut cached) = cached.try_borrow_mut() {
            *cached = Some((epoch, Arc::clone(&dir)));
        }
    });
    Ok(dir)
}

/// Makes `path` the default directory for the rest of the process, without
/// probing it (Python's `tempfile.tempdir = path`). A relative path is
/// made absolute against the current directory now.
///
/// Fails, changing nothing, if `path` cannot be opened as a directory.
///
/// ```
/// let dir = tempcore::temp_dir()?;
/// tempcore::set_temp_dir(&dir)?;
/// assert_eq!(tempcore::temp_dir()?, dir);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn set_temp_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref();
    let absolute = match std::env::current_dir() {
        Ok(cwd) => sys::absolute(path, &cwd),
        Err(_) if path.is_absolute() => sys::absolute(path, Path::new("")),
        Err(e) => return Err(PathError::wrap(e, "making absolute", path)),
    };
    choose(Some(Arc::new(Dir::open(absolute)?)));
    Ok(())
}

/// Makes `path` the default directory for the rest of the process without
/// opening it now (the `tempfile` crate's `env::override_temp_dir`): it
/// need not exist yet. The next call that needs the default opens it,
/// and every call until one succeeds fails with that error (`NotFound`,
/// `NotADirectory`, ...) naming `path`; discovery is not tried. Once
/// opened, it is the default as if [`set_temp_dir`] had set it. A relative
/// path is made absolute against the current directory now (kept as given
/// when there is none); the absolute path is returned.
///
/// Neither form checks who owns the directory or who may write to it (as
/// in Python and the `tempfile` crate): it is trusted as given. So until
/// the first use, whoever can create `path` chooses where the default
/// directory is; a path inside a shared directory such as `/tmp` should
/// exist, made by this user, before it is set.
///
/// ```
/// let dir = tempcore::temp_dir()?;
/// assert_eq!(tempcore::set_temp_dir_lazily(&dir), dir);
/// assert_eq!(tempcore::temp_dir()?, dir);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn set_temp_dir_lazily(path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    let absolute = match std::env::current_dir() {
        Ok(cwd) => sys::absolute(path, &cwd),
        Err(_) => path.to_path_buf(),
    };
    let mut chosen = chosen();
    *chosen = None;
    *pending() = Some(absolute.clone());
    EPOCH.fetch_add(1, Ordering::Release);
    absolute
}

/// Forgets the cached or overridden directory: the next [`temp_dir`] call
/// discovers it again from the environment.
pub fn reset_temp_dir() {
    choose(None);
}

/// Every candidate directory, in Python's order, made absolute. Reads the
/// environment through `env` and takes the current directory as given, so
/// that the rules can be checked without touching the process's state.
pub fn temp_dir_candidates(
    env: &dyn Fn(&str) -> Option<OsString>,
    cwd: Option<&Path>,
) -> Vec<PathBuf> {
    let mut raw: Vec<PathBuf> = TEMP_DIR_VARS
        .iter()
        .filter_map(|var| env(var).filter(|value| !value.is_empty()))
        .map(PathBuf::from)
        .collect();
    raw.extend(sys::platform_temp_dirs(env));
    match cwd {
        Some(cwd) => {
            raw.push(cwd.to_path_buf());
            raw.iter().map(|p| sys::absolute(p, cwd)).collect()
        }
        // Without a current directory, relative candidates mean nothing.
        None => raw
            .into_iter()
            .filter(|p| p.is_absolute())
            .map(|p| sys::absolute(&p, Path::new("")))
            .collect(),
    }
}

/// Whether this process may take settings from its environment: false in
/// a process started set-user-ID, set-group-ID or with file capabilities,
/// or whose real and effective IDs differ, as [`temp_dir`] decides before
/// reading `TMPDIR`. Other settings read from the environment (tempfs's
/// `TEMPKIT_KEEP`) obey the same answer. A few system calls on unix
/// (`getuid` and friends); ask it only when a variable is actually set.
pub fn environment_is_trusted() -> bool {
    sys::environment_is_trusted()
}

/// Proves `dir` usable as Python does: creates a file under a fresh name,
/// writes to it, closes and removes it. Returns the open directory.
pub fn probe_temp_dir(dir: &Path) -> io::Result<Dir> {
    let dir = Dir::open(dir)?;
    let (mut file, name) = create_file_at(&dir, &mut Template::default(), &FileOptions::new())?;
    let written = file
        .write_all(b"blat")
        .map_err(|e| PathError::wrap(e, "writing a probe file in", dir.path()));
    drop(file);
    let removed = remove_file_at(&dir, &name);
    written.and(removed)?;
    Ok(dir)
}

/// The first of `candidates` that `probe` accepts, or an error saying why
/// each was refused (see [`temp_dir`]); `secure` adds that the environment
/// and the current directory were left out.
pub(crate) fn first_usable(
    candidates: Vec<PathBuf>,
    mut probe: impl FnMut(&Path) -> io::Result<Dir>,
    secure: bool,
) -> io::Result<Dir> {
    let mut refused = Vec::with_capacity(candidates.len());
    let mut shortage = None;
    for candidate in candidates {
        match probe(&candidate) {
            Ok(dir) => return Ok(dir),
            Err(e) => {
                let os = PathError::find(&e).map_or(&e, PathError::os_error);
                refused.push(format!("\"{}\" ({os})", candidate.display()));
                if shortage.is_none() && sys::is_out_of_resources(os) {
                    shortage = Some(e);
                }
            }
        }
    }
    let mut message = match &shortage {
        // Out of descriptors or memory, the candidate was never judged:
        // NotFound would be false, and the kind is what callers act on.
        Some(e) => {
            let os = PathError::find(e).map_or(e, PathError::os_error);
            format!("looking for a temporary directory: {os}; tried ")
        }
        None => "no usable temporary directory found; tried ".to_string(),
    };
    message.push_str(&refused.join(", "));
    message.push_str(sys::NO_TEMP_DIR_HINT);
    if secure {
        message.push_str(
            "; TMPDIR, TEMP, TMP and the current directory are not tried \
             in a set-user-ID, set-group-ID or otherwise privileged process",
        );
    }
    let kind = shortage
        .as_ref()
        .map_or(io::ErrorKind::NotFound, io::Error::kind);
    Err(io::Error::new(kind, NoTempDir { message, shortage }))
}

/// Why discovery found nothing: the message, and the first refusal that
/// was for want of a resource (its [`Error::source`]).
#[derive(Debug)]
struct NoTempDir {
    message: String,
    shortage: Option<io::Error>,
}

impl fmt::Display for NoTempDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for NoTempDir {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.shortage.as_ref().map(|e| e as &(dyn Error + 'static))
    }
}

fn discover() -> io::Result<Dir> {
    #[cfg(test)]
    pause::here();
    // A privileged process skips TMPDIR, TEMP and TMP, and the current
    // directory: they are its caller's to choose, and would put its files
    // where the caller can move them and plant symlinks (glibc drops TMPDIR
    // for such a process, not the others). Without a current directory the
    // candidates are the platform's absolute ones only.
    let trusted = sys::environment_is_trusted();
    let env = |var: &str| if trusted { std::env::var_os(var) } else { None };
    let cwd = if trusted {
        std::env::current_dir().ok()
    } else {
        None
    };
    let candidates = temp_dir_candidates(&env, cwd.as_deref());
    first_usable(candidates, probe_temp_dir, !trusted)
}

/// A place where a test can hold one thread inside discovery.
#[cfg(test)]
mod pause {
    use std::cell::RefCell;
    use std::sync::mpsc::{Receiver, Sender};

    thread_local! {
        static ARMED: RefCell<Option<(Sender<()>, Receiver<()>)>> = const { RefCell::new(None) };
    }

    /// The next discovery on this thread says `entered`, then waits for
    /// `resume`. (Only the unix fork test uses it.)
    #[cfg_attr(not(unix), allow(dead_code, reason = "the fork test is unix-only"))]
    pub(super) fn arm(entered: Sender<()>, resume: Receiver<()>) {
        ARMED.with(|armed| *armed.borrow_mut() = Some((entered, resume)));
    }

    pub(super) fn here() {
        if let Some((entered, resume)) = ARMED.with(|armed| armed.borrow_mut().take()) {
            entered.send(()).unwrap();
            resume.recv().unwrap();
        }
    }
}

#[cfg(all(test, unix))]
mod process_tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_child_forked_during_discovery_does_not_wait_for_it() {
        // Another thread is inside discovery (held there) when the process
        // forks: the child has no copy of the answer and must find the lock
        // free, discover for itself and go on. The lock keeps other tests
        // from changing the answer between the two reads compared below.
        let _lock = testkit::process_lock();
        let (entered_tx, entered_rx) = mpsc::channel();
        let (resume_tx, resume_rx) = mpsc::channel();
        reset_temp_dir();
        let discovering = std::thread::spawn(move || {
            pause::arm(entered_tx, resume_rx);
            temp_dir_handle().map(|dir| dir.path().to_path_buf())
        });
        entered_rx.recv().unwrap();
        testkit::child::check(|| {
            // SAFETY: a timer for this forked child only; SIGALRM ends it,
            // and the parent reports that as a failure.
            unsafe { libc::alarm(10) };
            temp_dir_handle().unwrap();
        });
        resume_tx.send(()).unwrap();
        assert_eq!(discovering.join().unwrap().unwrap(), temp_dir().unwrap());
    }

    #[test]
    fn a_refusal_for_want_of_descriptors_decides_the_kind() {
        // One candidate missing, the next refused with EMFILE: not
        // NotFound, which would say no directory could be used.
        let emfile = || io::Error::from_raw_os_error(libc::EMFILE);
        let err = first_usable(
            vec!["/missing".into(), "/full".into(), "/also-missing".into()],
            |p| {
                Err(if p == Path::new("/full") {
                    emfile()
                } else {
                    io::ErrorKind::NotFound.into()
                })
            },
            false,
        )
        .unwrap_err();
        assert_eq!(err.kind(), emfile().kind());
        let source = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(source.and_then(io::Error::raw_os_error), Some(libc::EMFILE));
        let message = err.to_string();
        for dir in ["/missing", "/full", "/also-missing"] {
            assert!(message.contains(dir), "{dir} missing from: {message}");
        }
    }

    #[test]
    fn a_set_user_id_process_ignores_the_environment() {
        // A set-user-ID root program started by another user: TEMP (which
        // glibc, unlike TMPDIR, leaves in place) must not choose where its
        // files go, or that user could move them aside and plant symlinks.
        // The lock keeps the other tests here from holding the answer's
        // mutex at the fork, which would leave it locked for good in the
        // child.
        let _lock = testkit::process_lock();
        let dir = std::env::temp_dir().join(format!("tempcore-suid-{}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        let chosen = dir.clone();
        testkit::child::check(move || {
            // SAFETY: this forked child runs one thread.
            unsafe {
                std::env::remove_var("TMPDIR");
                std::env::set_var("TEMP", &chosen);
            }
            reset_temp_dir();
            assert_eq!(
                temp_dir().unwrap(),
                chosen,
                "an ordinary process follows TEMP"
            );
            // As a set-user-ID program runs: real uid nobody, effective root.
            // SAFETY: changes this forked child's credentials only.
            assert_eq!(unsafe { libc::setreuid(65534, 0) }, 0);
            reset_temp_dir();
            assert_ne!(temp_dir().unwrap(), chosen);
        });
        std::fs::remove_dir(&dir).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of<V: AsRef<std::ffi::OsStr>>(
        pairs: &[(&str, V)],
    ) -> impl Fn(&str) -> Option<OsString> + use<V> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_ref().to_os_string()))
            .collect();
        move |var| map.get(var).cloned()
    }

    fn cwd() -> PathBuf {
        std::env::current_dir().unwrap()
    }

    #[test]
    fn environment_comes_first_in_python_order() {
        let cwd = cwd();
        let [a, b, c] = ["a", "b", "c"].map(|n| cwd.join(n));
        let env = env_of(&[("TMP", &c), ("TEMP", &b), ("TMPDIR", &a)]);
        let list = temp_dir_candidates(&env, Some(&cwd));
        assert_eq!(&list[..3], &[a.clone(), b.clone(), c.clone()]);
        assert_eq!(
            list.last().unwrap(),
            &cwd,
            "the current directory comes last"
        );
    }

    #[test]
    fn empty_variables_are_skipped() {
        let cwd = cwd();
        let b = cwd.join("b");
        let env = env_of(&[("TMPDIR", Path::new("")), ("TEMP", b.as_path())]);
        let list = temp_dir_candidates(&env, Some(&cwd));
        assert_eq!(list[0], b.clone());
        assert!(!list.contains(&PathBuf::from("")));
    }

    #[test]
    fn relative_values_are_made_absolute_and_normalised() {
        let cwd = cwd();
        let env = env_of(&[("TMPDIR", "x/./y/../z")]);
        let list = temp_dir_candidates(&env, Some(&cwd));
        assert_eq!(list[0], cwd.join("x").join("z"));
    }

    #[test]
    fn without_a_current_directory_relative_candidates_are_dropped() {
        let env = env_of(&[("TMPDIR", "relative")]);
        let list = temp_dir_candidates(&env, None);
        assert!(list.iter().all(|p| p.is_absolute()), "{list:?}");
    }

    // Not on WASI: it has no threads, and its current directory is `/`,
    // which a runtime does not make reachable unless asked to.
    #[cfg(not(target_os = "wasi"))]
    mod threads_and_current_dir {
        use super::*;

        #[test]
        fn an_override_reaches_threads_that_cached_the_old_answer() {
            let _lock = testkit::process_lock();
            let (a, b) = (cwd(), cwd().join("src"));
            set_temp_dir(&a).unwrap();
            let (to_worker, from_main) = std::sync::mpsc::channel::<()>();
            let (to_main, from_worker) = std::sync::mpsc::channel::<PathBuf>();
            let worker = std::thread::spawn(move || {
                to_main.send(temp_dir().unwrap()).unwrap();
                from_main.recv().unwrap();
                to_main.send(temp_dir().unwrap()).unwrap();
            });
            assert_eq!(
                from_worker.recv().unwrap(),
                a,
                "the worker cached the first answer"
            );
            set_temp_dir(&b).unwrap();
            to_worker.send(()).unwrap();
            assert_eq!(from_worker.recv().unwrap(), b, "and saw the override");
            worker.join().unwrap();
            reset_temp_dir();
        }

        #[test]
        fn first_usable_skips_refused_and_reports_all() {
            let tried = std::cell::RefCell::new(Vec::new());
            let err = first_usable(
                vec!["/nope1".into(), "/nope2".into()],
                |p| {
                    tried.borrow_mut().push(p.to_path_buf());
                    Err(io::ErrorKind::PermissionDenied.into())
                },
                false,
            )
            .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
            let msg = err.to_string();
            assert!(msg.contains("/nope1") && msg.contains("/nope2"), "{msg}");
            assert_eq!(tried.borrow().len(), 2);

            let real = cwd();
            let dir =
                first_usable(vec!["/nope".into(), real.clone()], probe_temp_dir, false).unwrap();
            assert_eq!(dir.path(), real);
        }
    }
}
