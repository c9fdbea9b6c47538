//! Directories opened by path, shared: every object made "in" the same
//! directory works through one handle, so a live named file costs its own
//! descriptor and nothing more.
//!
//! A process-wide table maps absolute paths to weakly held [`Dir`]s, each
//! with the identity (device and inode) it had when opened. Each thread
//! also keeps the last directory it was given, strongly, in front of the
//! table: creating many files in one directory takes no lock and reopens
//! nothing, even when each file is dropped before the next is made. A
//! handle is handed out again only if the path still names it: one `stat`
//! of the path, compared with the recorded identity. The held directory
//! cannot be freed while its handle is open, so its inode number cannot be
//! reused: a match is the same directory. A directory removed, renamed or
//! replaced since gets a new handle (and a new table entry).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, Weak};

use crate::dir::Dir;
use crate::error::PathError;
use crate::sys;

const ACTION: &str = "opening the directory";

/// A shared directory and the identity it was opened with.
struct Entry {
    dir: Weak<Dir>,
    id: sys::Identity,
}

/// Every directory handed out by path and still alive (plus dead entries
/// not yet pruned), and the size at which dead ones are pruned next.
struct Table {
    dirs: HashMap<PathBuf, Entry>,
    prune_at: usize,
}

static TABLE: Mutex<Option<Table>> = Mutex::new(None);

/// The process id of the last thread to take [`TABLE`]'s lock: a child
/// forked while a thread of its parent held the lock finds it locked for
/// good, and must not wait for it.
static OWNER: AtomicU32 = AtomicU32::new(0);

thread_local! {
    /// The directory this thread was last given, held strongly, with its
    /// identity.
    static LAST: RefCell<Option<(Arc<Dir>, sys::Identity)>> = const { RefCell::new(None) };
}

impl Dir {
    /// Opens the directory at `path` (made absolute against the current
    /// directory if it is not) or hands out the handle already open for
    /// it: every caller asking for the same path while the directory lives
    /// shares one handle, and each thread keeps the last one it was given,
    /// so that a loop creating files in one directory neither reopens it
    /// nor queues on a lock. What `tempfs` uses for every `*_in(path)`
    /// constructor.
    ///
    /// A handle is handed out again only if `path` still names the same
    /// directory: a `stat` of `path` (following symbolic links, as
    /// [`Dir::open`] does) must give the device and inode recorded when the
    /// handle was opened. Since the handle keeps that directory alive, its
    /// inode number cannot have been reused: a directory removed and made
    /// again, or renamed and replaced, gets a fresh handle. The race this
    /// accepts is the one [`Dir::open`] has: `path` is resolved once, and a
    /// directory swapped in after that `stat` is not the one used. The
    /// sharing is by path as spelled (made absolute, not resolved): two
    /// spellings of one directory get two handles.
    ///
    /// Costs one `stat` when shared, `open` + `fstat` the first time; a
    /// relative `path` adds a `getcwd`. The last directory each thread was
    /// given stays open until that thread is given another or exits
    /// (which keeps, for instance, a file system mounted there busy). On
    /// Windows, which cannot identify a path without opening it, every
    /// call opens a new handle, as [`Dir::open`] does.
    ///
    /// An empty `path` is the current directory. Fails as [`Dir::open`]
    /// does, naming the absolute path.
    ///
    /// ```
    /// let base = tempcore::temp_dir()?;
    /// let a = tempcore::Dir::open_shared(&base)?;
    /// let b = tempcore::Dir::open_shared(&base)?;
    /// assert_eq!(a.path(), b.path()); // on unix, the same handle
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open_shared(path: impl AsRef<Path>) -> io::Result<Arc<Dir>> {
        let path = absolute(path.as_ref())?;
        if !sys::SHARES_DIRS {
            return Dir::open(path).map(Arc::new);
        }
        if let Some((dir, id)) = last(&path).or_else(|| find(&path)) {
            match sys::path_identity(&path) {
                Ok(now) if now == id => {
                    remember(&dir, id);
                    return Ok(dir);
                }
                // Replaced since: open what the path names now.
                Ok(_) => {}
                Err(e) => {
                    forget();
                    return Err(PathError::wrap(e, ACTION, &*path));
                }
            }
        }
        let handle = sys::open_dir(&path).map_err(|e| PathError::wrap(e, ACTION, &*path))?;
        let id = sys::dir_identity(&handle).map_err(|e| PathError::wrap(e, ACTION, &*path))?;
        let dir = insert(Arc::new(Dir::from_parts(handle, path.into_owned())), id);
        remember(&dir, id);
        Ok(dir)
    }
}

/// `path` made absolute against the current directory (no system call
/// when it already is); an empty `path` is the current directory.
fn absolute(path: &Path) -> io::Result<Cow<'_, Path>> {
    let path = crate::dir::or_current(path);
    if path.is_absolute() {
        return Ok(Cow::Borrowed(path));
    }
    std::path::absolute(path)
        .map(Cow::Owned)
        .map_err(|e| PathError::wrap(e, "making absolute", path))
}

/// This thread's last directory, if it was opened by `path`.
fn last(path: &Path) -> Option<(Arc<Dir>, sys::Identity)> {
    LAST.try_with(|last| {
        let last = last.try_borrow().ok()?;
        let (dir, id) = last.as_ref()?;
        (dir.path() == path).then(|| (Arc::clone(dir), *id))
    })
    .ok()
    .flatten()
}

/// This thread's last directory if it was opened by `path`, unchecked: a
/// hint (what its file system refused), never a place to create in.
pub(crate) fn last_opened(path: &Path) -> Option<Arc<Dir>> {
    last(path).map(|(dir, _)| dir)
}

/// Makes `dir` this thread's last directory.
fn remember(dir: &Arc<Dir>, id: sys::Identity) {
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            let same = matches!(&*last, Some((held, _)) if Arc::ptr_eq(held, dir));
            if !same {
                *last = Some((Arc::clone(dir), id));
            }
        }
    });
}

/// Lets go of this thread's last directory (its path no longer names a
/// directory).
fn forget() {
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            last.take()
        } else {
            None
        }
    });
}

/// The table, locked; `None` in a child forked while a thread of its
/// parent held the lock (that thread does not exist here to release it):
/// the child then opens handles of its own rather than wait forever.
fn table() -> Option<MutexGuard<'static, Option<Table>>> {
    let guard = match TABLE.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            // Asked of the kernel, not of this thread's memory: a forked
            // child's thread remembers its parent's id.
            if OWNER.load(Ordering::Relaxed) != sys::process_id() {
                return None;
            }
            // Held by a thread of this process, for a moment.
            TABLE.lock().unwrap_or_else(PoisonError::into_inner)
        }
    };
    OWNER.store(my_pid(), Ordering::Relaxed);
    Some(guard)
}

/// This process's id, asked once per thread (no system call each time
/// the table is locked). In a forked child the thread that forked still
/// says its parent's id: another thread of the child that then finds the
/// lock held opens a handle of its own, which is wasteful but never waits
/// for a lock that cannot be released.
fn my_pid() -> u32 {
    thread_local! {
        static PID: Cell<u32> = const { Cell::new(0) };
    }
    PID.try_with(|pid| {
        if pid.get() == 0 {
            pid.set(sys::process_id());
        }
        pid.get()
    })
    .unwrap_or_else(|_| sys::process_id())
}

/// The live directory the table holds for `path`.
fn find(path: &Path) -> Option<(Arc<Dir>, sys::Identity)> {
    let guard = table()?;
    let entry = guard.as_ref()?.dirs.get(path)?;
    Some((entry.dir.upgrade()?, entry.id))
}

/// Records `dir`, just opened with identity `id`, as the handle for its
/// path, and returns it; or, when another thread recorded a live handle
/// to the same directory meanwhile, that one (`dir` is closed).
fn insert(dir: Arc<Dir>, id: sys::Identity) -> Arc<Dir> {
    let Some(mut guard) = table() else {
        return dir;
    };
    let table = guard.get_or_insert_with(|| Table {
        dirs: HashMap::new(),
        prune_at: 16,
    });
    let theirs = table.dirs.get(dir.path()).filter(|entry| entry.id == id);
    if let Some(theirs) = theirs.and_then(|entry| entry.dir.upgrade()) {
        return theirs;
    }
    if table.dirs.len() >= table.prune_at {
        table.dirs.retain(|_, entry| entry.dir.strong_count() > 0);
        table.prune_at = (table.dirs.len() * 2).max(16);
    }
    let entry = Entry {
        dir: Arc::downgrade(&dir),
        id,
    };
    table.dirs.insert(dir.path().to_path_buf(), entry);
    dir
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tempcore-shared-{label}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir(&dir).unwrap();
        dir
    }

    #[test]
    fn one_path_one_handle_across_threads() {
        let dir = scratch("threads");
        let here = Dir::open_shared(&dir).unwrap();
        let there =
            std::thread::scope(|s| s.spawn(|| Dir::open_shared(&dir).unwrap()).join()).unwrap();
        assert!(Arc::ptr_eq(&here, &there));
        drop((here, there));
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn a_replaced_directory_gets_a_new_handle() {
        let dir = scratch("replaced");
        let old = Dir::open_shared(&dir).unwrap();
        std::fs::rename(&dir, dir.with_extension("old")).unwrap();
        std::fs::create_dir(&dir).unwrap();
        let new = Dir::open_shared(&dir).unwrap();
        assert!(!Arc::ptr_eq(&old, &new));
        let (_, made) = crate::create_file_at(
            &new,
            &mut crate::Template::default(),
            &crate::FileOptions::new(),
        )
        .unwrap();
        assert!(dir.join(&made).is_file(), "made in the new directory");
        std::fs::remove_file(dir.join(&made)).unwrap();
        std::fs::remove_dir(&dir).unwrap();
        std::fs::remove_dir(dir.with_extension("old")).unwrap();
        let err = Dir::open_shared(&dir).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains(&*dir.to_string_lossy()), "{err}");
    }

    #[test]
    fn a_child_forked_while_the_table_was_locked_does_not_wait_for_it() {
        // The lock is held (here by the forking thread itself; in life by
        // any thread of the parent) when the process forks: the child
        // finds it locked for good, and must open a handle of its own.
        let _lock = testkit::process_lock();
        let dir = scratch("fork");
        let held = table();
        testkit::child::check(|| {
            // SAFETY: a timer for this forked child only; SIGALRM ends it,
            // and the parent reports that as a failure.
            unsafe { libc::alarm(10) };
            forget();
            let a = Dir::open_shared(&dir).unwrap();
            assert_eq!(a.path(), dir);
        });
        drop(held);
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn dead_entries_are_pruned() {
        let base = scratch("prune");
        for i in 0..100 {
            let dir = base.join(i.to_string());
            std::fs::create_dir(&dir).unwrap();
            drop(Dir::open_shared(&dir).unwrap());
            forget();
        }
        let size = table().unwrap().as_ref().unwrap().dirs.len();
        assert!(size < 100, "{size} entries");
        for i in 0..100 {
            std::fs::remove_dir(base.join(i.to_string())).unwrap();
        }
        std::fs::remove_dir(&base).unwrap();
    }
}
