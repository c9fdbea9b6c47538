//! Unix: the owner lock (`flock`), and the system calls of the reaper
//! (`crate::reap`, which holds the policy), over the same primitives as
//! directory cleanup (`ops.rs`).

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use rustix::fs::{self as rfs, AtFlags, FileType, FlockOperation, OFlags};
use rustix::io::Errno;
use tempcore::{Dir, PathError};

use super::ops::{self, Identity};
use super::retry;
use crate::reap::{Facts, Kind, Opened};

/// What holds a named file's lock: a descriptor of its own open file
/// description, so that the lock outlives the `File` (a
/// [`TempPath`](crate::TempPath) made from it) and no `unlock` on the
/// `File` (std's `File::unlock`, `flock(LOCK_UN)`) can release it.
pub(crate) type OwnerLock = OwnedFd;

/// A descriptor holding a shared lock on `file` (at `name` in `parent`)
/// for as long as it stays open: `openat(name, O_RDONLY|O_NOFOLLOW|
/// O_NONBLOCK|O_NOCTTY|O_CLOEXEC)`, checked to be `file` (device and
/// inode), then `flock(LOCK_SH|LOCK_NB)`. A file its owner may not read
/// (a write-only `permissions`) is locked through a duplicate of `file`'s
/// descriptor instead, which an `unlock` on the `File` does release. Never
/// waits: refused (`WouldBlock`) only while a reaper holds the exclusive
/// lock, that is, while it is removing the file.
pub(crate) fn lock_file(file: &File, parent: &Dir, name: &OsStr) -> io::Result<Option<OwnerLock>> {
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match retry(|| rfs::openat(parent, name, flags, rfs::Mode::empty())) {
        Ok(fd) => {
            let (mine, found) = (rfs::fstat(file)?, rfs::fstat(&fd)?);
            if (mine.st_dev, mine.st_ino) != (found.st_dev, found.st_ino) {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "the file's name no longer names it",
                ));
            }
            fd
        }
        Err(Errno::ACCESS) => retry(|| rustix::io::fcntl_dupfd_cloexec(file, 0))?,
        Err(e) => return Err(e.into()),
    };
    share(fd.as_fd())?;
    Ok(Some(fd))
}

/// The handle of a new `TempDir` at `name` in `parent`, locked:
/// `openat(O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`, readable because
/// `flock` refuses an `O_PATH` descriptor (`EBADF`), then
/// `flock(LOCK_SH|LOCK_NB)`. A mode that denies its owner reading the
/// directory is refused (`PermissionDenied`), as everywhere but Linux.
pub(crate) fn open_locked_dir(parent: &Dir, name: &OsStr) -> io::Result<Dir> {
    let dir = Dir::open_at(parent, name)?;
    share(dir.as_fd())
        .map_err(|e| PathError::wrap(e, "locking the temporary directory", dir.path()))?;
    Ok(dir)
}

/// `flock(fd, LOCK_SH|LOCK_NB)`.
fn share(fd: BorrowedFd<'_>) -> io::Result<()> {
    Ok(retry(|| {
        rfs::flock(fd, FlockOperation::NonBlockingLockShared)
    })?)
}

/// `flock(LOCK_EX|LOCK_NB)` on what is opened: `true` if taken (held
/// until it is closed), `false` if someone holds a lock on it.
pub(crate) fn lock_exclusive(opened: &Opened) -> io::Result<bool> {
    let fd = match opened {
        Opened::File(file) => file.as_fd(),
        Opened::Dir(dir) => dir.as_fd(),
    };
    match retry(|| rfs::flock(fd, FlockOperation::NonBlockingLockExclusive)) {
        Ok(()) => Ok(true),
        Err(Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The flags a directory to reap in is opened with: readable (to list
/// it), and never through a symbolic link at its last component.
const REAP_DIR_FLAGS: OFlags = ops::DIR_FLAGS;

/// `open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`: the directory
/// to reap in. A symbolic link answers `ELOOP` or `ENOTDIR`; `lstat` then
/// tells which, and a link is said in words.
pub(crate) fn open_reap_dir(path: &Path) -> io::Result<Dir> {
    const ACTION: &str = "opening the directory to reap in";
    match retry(|| rfs::open(path, REAP_DIR_FLAGS, rfs::Mode::empty())) {
        Ok(fd) => Ok(Dir::from_fd(fd, path)),
        // `O_DIRECTORY` may answer a symlink before `O_NOFOLLOW` does.
        Err(Errno::LOOP | Errno::NOTDIR) if is_symlink(path) => Err(PathError::custom(
            io::ErrorKind::InvalidInput,
            ACTION,
            path,
            "it is a symbolic link, which reap never follows: pass the path it points to; \
             nothing was removed",
        )),
        Err(e) => Err(PathError::wrap(e.into(), ACTION, path)),
    }
}

/// `lstat(path)`: whether `path` is a symbolic link.
fn is_symlink(path: &Path) -> bool {
    retry(|| rfs::lstat(path))
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink)
}

/// `fstat(dir)`: `Ok(Ok(()))` if no other (non-root) user can rename
/// entries in or out of `dir`: it belongs to the effective user or root,
/// and is sticky or writable by its owner alone. Otherwise why not.
pub(crate) fn guarded(dir: &Dir) -> io::Result<Result<(), String>> {
    let (owner, mode, _) = ops::owner(dir)?;
    let euid = rustix::process::geteuid().as_raw();
    Ok(if owner != euid && owner != 0 {
        Err(format!(
            "it belongs to another user (uid {owner}), who can rename anything in it"
        ))
    } else if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        Err(format!(
            "its group or other users can write it (mode {mode:04o}, not sticky), and so \
             rename anything in it"
        ))
    } else {
        Ok(())
    })
}

/// `getdents64` (or `readdir`): the names in `dir` that start with
/// `prefix`, and how many others there are (`.` and `..` aside).
pub(crate) fn list_prefixed(
    dir: &Dir,
    prefix: &OsStr,
) -> io::Result<(Vec<std::ffi::OsString>, usize)> {
    let prefix = prefix.as_bytes();
    let mut names = Vec::new();
    let mut others = 0;
    let mut buf = Vec::new();
    ops::list(dir.as_fd(), &mut buf, false, &mut |name: &CStr, _| {
        let bytes = name.to_bytes();
        if bytes.starts_with(prefix) {
            names.push(OsStr::from_bytes(bytes).to_os_string());
        } else {
            others += 1;
        }
    })?;
    Ok((names, others))
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)` and `fstat(dir)`: what the
/// entry is, whose, how old, and where.
pub(crate) fn entry_facts(dir: &Dir, name: &OsStr) -> io::Result<Facts> {
    let st = retry(|| rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW))?;
    let (_, _, dir_dev) = ops::owner(dir)?;
    let id = Identity::of(&st);
    let kind = match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Kind::File,
        FileType::Directory => Kind::Dir,
        _ => Kind::Other,
    };
    Ok(Facts {
        kind,
        ours: st.st_uid == rustix::process::geteuid().as_raw(),
        changed: changed(&st),
        other_device: id.dev() != dir_dev,
        id,
    })
}

/// The newer of a `stat`'s modification and status-change times.
#[allow(
    clippy::unnecessary_cast,
    clippy::useless_conversion,
    reason = "the time fields are i64 on Linux but other widths elsewhere"
)]
fn changed(st: &rfs::Stat) -> SystemTime {
    let at = |secs: i64, nanos: i64| {
        let secs = u64::try_from(secs).unwrap_or(0);
        let nanos = u32::try_from(nanos).unwrap_or(0).min(999_999_999);
        SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
    };
    let modified = at(st.st_mtime as i64, st.st_mtime_nsec as i64);
    let status = at(st.st_ctime as i64, st.st_ctime_nsec as i64);
    modified.max(status)
}

/// How a file is opened to be locked: read-only (all `flock` needs),
/// never through a symbolic link, never waiting (a FIFO swapped in opens
/// at once), never becoming a controlling terminal.
const FILE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

/// Opens the entry `name` of `dir` that `facts` describe, without
/// crossing into another mount (`CrossesDevices`) and without following a
/// symlink: a directory readable, a file read-only and non-blocking. Then
/// `fstat`: `None` if it is no longer the entry `facts` describe.
pub(crate) fn open_entry(dir: &Dir, name: &OsStr, facts: &Facts) -> io::Result<Option<Opened>> {
    let cname = std::ffi::CString::new(name.as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let flags = match facts.kind {
        Kind::Dir => ops::DIR_FLAGS,
        Kind::File => FILE_FLAGS,
        Kind::Other => return Ok(None),
    };
    let fd = match ops::open_entry(dir.as_fd(), &cname, flags, facts.id.dev()) {
        Ok(fd) => fd,
        Err(Errno::XDEV) => return Err(io::ErrorKind::CrossesDevices.into()),
        // A symlink (`ELOOP`), a non-directory (`ENOTDIR`), or nothing
        // (`ENOENT`) stands there now.
        Err(Errno::LOOP | Errno::NOTDIR | Errno::NOENT) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (found, _) = ops::identity(&fd)?;
    if found != facts.id {
        return Ok(None);
    }
    Ok(Some(match facts.kind {
        Kind::Dir => Opened::Dir(Dir::from_fd(fd, dir.join(name))),
        _ => Opened::File(File::from(fd)),
    }))
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`, then `unlinkat(dir, name,
/// 0)` if the entry is still `file`: `false` if something else stands
/// there.
pub(crate) fn remove_file_entry(dir: &Dir, name: &OsStr, file: &File) -> io::Result<bool> {
    let (ours, _) = ops::identity(file)?;
    match ops::identity_at(dir, name) {
        Ok(found) if found == ours => {}
        Ok(_) | Err(Errno::NOENT) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    retry(|| rfs::unlinkat(dir, name, AtFlags::empty()))?;
    Ok(true)
}
