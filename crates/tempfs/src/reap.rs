//! [`reap`]: removing what killed processes left behind, and only that.
//!
//! A [`TempDir`](crate::TempDir) or named file made with
//! [`Builder::owner_lock`](crate::Builder::owner_lock) holds a shared
//! `flock` while it lives. A process killed by `SIGKILL` (or the OOM
//! killer, or a power cut) cannot remove its objects, but the kernel
//! drops its locks. `reap` lists a directory, and of the entries whose
//! names start with a prefix, removes those whose lock it can take
//! exclusively, that belong to the calling user, and that have not
//! changed for a while. Each step, in order, is a reason to leave an
//! entry ([`WhyLeft`]):
//!
//! 1. **Type and owner**, from `fstatat(AT_SYMLINK_NOFOLLOW)`: only a
//!    regular file or a directory of the effective user is considered; a
//!    symlink, FIFO, socket or device is never opened.
//! 2. **Age**: the newer of its modification and status-change times
//!    must be at least `older_than` ago. This covers what the lock cannot:
//!    the moment between creating an object and locking it, and objects
//!    made without the lock.
//! 3. **Mount point**: an entry on another device, or the root of a mount
//!    of the same file system, is left and not entered.
//! 4. **Open, then the same entry**: opened without following a symlink,
//!    non-blocking (a FIFO swapped in cannot hold the reaper up), and
//!    compared by device and inode with what step 1 saw.
//! 5. **Lock**: `flock(LOCK_EX|LOCK_NB)`; refused means a live owner
//!    holds its shared lock ([`WhyLeft::Live`]).
//! 6. **Removal**, holding that exclusive lock: a file is unlinked
//!    relative to the directory's descriptor after one more identity
//!    check; a directory is removed as a `TempDir` removes itself
//!    (`crate::cleanup`), through the descriptor just locked, never
//!    following a symlink, never crossing a mount.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempcore::{Dir, PathError};

use crate::cleanup;
use crate::place::absolute;
use crate::sys;

/// What every error of [`reap`] says it was doing.
const ACTION: &str = "reaping temporary entries in";

/// Removes, in `dir`, the temporary files and directories whose names
/// start with `prefix`, whose owner is dead, that belong to the calling
/// user and that have not changed for `older_than`; reports what it
/// removed and what it left, and why. [`ReapOptions`] has the same with a
/// dry run.
///
/// "Whose owner is dead" means that no process holds the shared lock that
/// [`Builder::owner_lock`](crate::Builder::owner_lock) takes: objects made
/// without it look dead to `reap` once they are `older_than`. Use a prefix
/// that only objects made with the lock carry.
///
/// ```
/// use std::time::Duration;
/// let base = tempfs::TempDir::new()?;
/// let live = tempfs::Builder::new()
///     .prefix("job-")
///     .owner_lock(true)
///     .tempdir_in(base.path())?;
/// # #[cfg(unix)] {
/// // A process killed while its directory existed left this one behind.
/// std::fs::create_dir(base.path().join("job-left-by-a-kill"))?;
/// let report = tempfs::reap(base.path(), "job-", Duration::ZERO)?;
/// assert_eq!(report.removed, [base.path().join("job-left-by-a-kill")]);
/// assert_eq!(report.left[0].path, live.path());
/// assert!(matches!(report.left[0].reason, tempfs::WhyLeft::Live));
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// Fails, removing nothing, naming `dir`, if: `prefix` is empty, `.` or
/// `..`, or holds a path separator or NUL (`InvalidInput`); `dir` is a
/// symbolic link (its last component is never followed: pass the path it
/// points to), is not a directory, or cannot be opened or listed; `dir`
/// belongs to a user other than the caller and root, or others can write
/// it without its sticky bit (`PermissionDenied`: they could rename
/// entries in and out under the reaper). On Windows it fails with
/// `Unsupported`. A failure to remove one entry does not end the reaping:
/// it is in the report, [`WhyLeft::Failed`].
///
/// `dir` may be a mount point (`/tmp` usually is): what is refused is
/// crossing into another mount below it.
pub fn reap(
    dir: impl AsRef<Path>,
    prefix: impl AsRef<OsStr>,
    older_than: Duration,
) -> io::Result<ReapReport> {
    ReapOptions::new(older_than).reap(dir, prefix)
}

/// The options of a reaping: the age, and whether to remove or only
/// report. See [`reap`].
///
/// ```
/// use std::time::Duration;
/// let base = tempfs::TempDir::new()?;
/// # #[cfg(unix)] {
/// std::fs::write(base.path().join("job-old"), b"left by a kill")?;
/// let report = tempfs::ReapOptions::new(Duration::ZERO)
///     .dry_run(true)
///     .reap(base.path(), "job-")?;
/// assert_eq!(report.removed.len(), 1); // would be removed...
/// assert!(base.path().join("job-old").exists()); // ...but is still there
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReapOptions {
    older_than: Duration,
    dry_run: bool,
}

impl ReapOptions {
    /// Removes what has not changed for `older_than` (the newer of its
    /// modification and status-change times), and is otherwise free to
    /// go. Choose an age longer than any creation can take (minutes, not
    /// milliseconds): it is all that protects an object between its
    /// creation and its lock, or made without one.
    pub fn new(older_than: Duration) -> ReapOptions {
        ReapOptions {
            older_than,
            dry_run: false,
        }
    }

    /// Only reports: [`ReapReport::removed`] lists what would have been
    /// removed (after taking, and giving back, each entry's lock), and
    /// nothing is.
    pub fn dry_run(&mut self, dry_run: bool) -> &mut Self {
        self.dry_run = dry_run;
        self
    }

    /// Reaps in `dir` the entries whose names start with `prefix`: see
    /// [`reap`].
    pub fn reap(&self, dir: impl AsRef<Path>, prefix: impl AsRef<OsStr>) -> io::Result<ReapReport> {
        // Without a trailing separator or `.`, which would make the kernel
        // follow a symbolic link at the last component.
        let dir: PathBuf = absolute(dir.as_ref())?.components().collect();
        let prefix = prefix.as_ref();
        check_prefix(&dir, prefix)?;
        let parent = sys::open_reap_dir(&dir)?;
        if let Err(why) = sys::guarded(&parent).map_err(|e| PathError::wrap(e, ACTION, &dir))? {
            return Err(PathError::custom(
                io::ErrorKind::PermissionDenied,
                ACTION,
                &dir,
                format!("{why}; nothing was removed"),
            ));
        }
        let (names, not_matching) =
            sys::list_prefixed(&parent, prefix).map_err(|e| PathError::wrap(e, ACTION, &dir))?;
        let now = SystemTime::now();
        let mut report = ReapReport {
            removed: Vec::new(),
            left: Vec::new(),
            not_matching,
        };
        for name in names {
            let path = dir.join(&name);
            match self.entry(&parent, &name, &path, now) {
                Ok(()) => report.removed.push(path),
                Err(reason) => report.left.push(Leftover { path, reason }),
            }
        }
        Ok(report)
    }

    /// One entry: removed (`Ok`), or why not.
    fn entry(
        &self,
        parent: &Dir,
        name: &OsStr,
        path: &Path,
        now: SystemTime,
    ) -> Result<(), WhyLeft> {
        let failed = |e: io::Error| WhyLeft::Failed(PathError::wrap(e, "reaping", path));
        let facts = match sys::entry_facts(parent, name) {
            Ok(facts) => facts,
            // Gone since the listing (its owner removed it, say).
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(WhyLeft::Changed),
            Err(e) => return Err(failed(e)),
        };
        if facts.kind == Kind::Other {
            return Err(WhyLeft::NotFileOrDirectory);
        }
        if !facts.ours {
            return Err(WhyLeft::OtherOwner);
        }
        if now.duration_since(facts.changed).unwrap_or(Duration::ZERO) < self.older_than {
            return Err(WhyLeft::TooYoung);
        }
        if facts.other_device {
            return Err(WhyLeft::MountPoint);
        }
        let opened = match sys::open_entry(parent, name, &facts) {
            Ok(Some(opened)) => opened,
            Ok(None) => return Err(WhyLeft::Changed),
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices => return Err(WhyLeft::MountPoint),
            // A lease on the file: someone is using it.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(WhyLeft::Live),
            Err(e) => return Err(failed(e)),
        };
        if !sys::lock_exclusive(&opened).map_err(failed)? {
            return Err(WhyLeft::Live);
        }
        if self.dry_run {
            return Ok(());
        }
        match opened {
            Opened::File(file) => match sys::remove_file_entry(parent, name, &file) {
                Ok(true) => Ok(()),
                Ok(false) => Err(WhyLeft::Changed),
                Err(e) => Err(failed(e)),
            },
            Opened::Dir(own) => cleanup::remove_reaped(parent, name, &own, path)
                .map_err(|e| WhyLeft::Failed(PathError::wrap(e, "reaping", path))),
        }
    }
}

/// What [`reap`] did: every entry whose name starts with the prefix is
/// either in `removed` or in `left`.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReapReport {
    /// The entries removed (with everything in them), or with
    /// [`ReapOptions::dry_run`], that would have been.
    pub removed: Vec<PathBuf>,
    /// The entries left, and why.
    pub left: Vec<Leftover>,
    /// How many entries of the directory did not start with the prefix
    /// (left, not looked at).
    pub not_matching: usize,
}

/// An entry [`reap`] left in place, and why.
#[derive(Debug)]
#[non_exhaustive]
pub struct Leftover {
    /// Its path.
    pub path: PathBuf,
    /// Why it was left.
    pub reason: WhyLeft,
}

/// Why [`reap`] left an entry whose name starts with the prefix.
#[derive(Debug)]
#[non_exhaustive]
pub enum WhyLeft {
    /// Its lock is held: its owner (or a process it forked) is alive. Also
    /// a file someone holds a lease on.
    Live,
    /// It changed less than `older_than` ago.
    TooYoung,
    /// It belongs to another user.
    OtherOwner,
    /// It is neither a regular file nor a directory (a symbolic link, a
    /// FIFO, a socket, a device): nothing this crate makes with a lock.
    NotFileOrDirectory,
    /// It is a mount point, or on another device.
    MountPoint,
    /// It changed between two looks (removed, renamed, replaced):
    /// whatever stands there now was not checked.
    Changed,
    /// Something failed on the way (the error names the path): for
    /// instance a file its owner may not read, so cannot lock, or a
    /// directory only partly removed.
    Failed(io::Error),
}

impl fmt::Display for WhyLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhyLeft::Live => f.write_str("its lock is held: its owner is alive"),
            WhyLeft::TooYoung => f.write_str("it changed too recently"),
            WhyLeft::OtherOwner => f.write_str("it belongs to another user"),
            WhyLeft::NotFileOrDirectory => f.write_str("it is neither a file nor a directory"),
            WhyLeft::MountPoint => f.write_str("it is a mount point"),
            WhyLeft::Changed => f.write_str("it changed while being looked at"),
            WhyLeft::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// What an entry is, as far as the reaper cares.
#[allow(
    dead_code,
    reason = "only unix makes these: on Windows the reaper fails before any entry"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Anything else: never opened.
    Other,
}

/// What `fstatat` (not following a symlink) says of an entry.
#[allow(
    dead_code,
    reason = "only unix makes these: on Windows the reaper fails before any entry"
)]
#[derive(Debug)]
pub(crate) struct Facts {
    /// Its type.
    pub(crate) kind: Kind,
    /// Whether it belongs to the effective user.
    pub(crate) ours: bool,
    /// The newer of its modification and status-change times.
    pub(crate) changed: SystemTime,
    /// Whether it is on a device other than the directory's.
    pub(crate) other_device: bool,
    /// Its device and inode, compared with what is opened.
    pub(crate) id: sys::Identity,
}

/// An entry opened to be locked and removed.
#[allow(
    dead_code,
    reason = "only unix makes these: on Windows the reaper fails before any entry"
)]
#[derive(Debug)]
pub(crate) enum Opened {
    /// A regular file, read-only and non-blocking.
    File(std::fs::File),
    /// A directory, readable.
    Dir(Dir),
}

/// `Ok` if `prefix` can only match entries of `dir` itself: not empty,
/// not `.` or `..`, no separator or NUL.
fn check_prefix(dir: &Path, prefix: &OsStr) -> io::Result<()> {
    let bad = |why: String| {
        Err(PathError::custom(
            io::ErrorKind::InvalidInput,
            ACTION,
            dir,
            format!("{why}; nothing was removed"),
        ))
    };
    if prefix.is_empty() {
        return bad("the prefix is empty, which every name matches".to_string());
    }
    if prefix == "." || prefix == ".." {
        return bad(format!(
            "the prefix {prefix:?} names a directory, not the start of a temporary name"
        ));
    }
    let text = prefix.to_string_lossy();
    if text.chars().any(std::path::is_separator) {
        return bad(format!("the prefix {prefix:?} holds a path separator"));
    }
    if text.contains('\0') {
        return bad(format!("the prefix {prefix:?} holds a NUL byte"));
    }
    if ["tmp", ".tmp"].contains(&&*text) {
        return bad(format!(
            "the prefix {prefix:?} is every library's default, which other programs' live \
             temporary objects carry too: give yours a prefix of their own"
        ));
    }
    Ok(())
}
