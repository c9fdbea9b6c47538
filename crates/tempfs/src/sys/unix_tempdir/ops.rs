//! The system calls of directory cleanup, one small function each, all
//! relative to a directory file descriptor. Errors stay [`Errno`] so the
//! walker can tell them apart; it adds the path when it reports one.

use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::retry;

/// How every directory of the tree is opened: readable (to list it), and
/// never through a symbolic link.
pub(crate) const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// What a directory entry is, as far as the listing tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A directory (`DT_DIR`): descend into it.
    Dir,
    /// Anything else the listing named: unlink it.
    NotDir,
    /// The file system did not say (`DT_UNKNOWN`): try unlinking, and
    /// descend if the kernel answers that it is a directory.
    Unknown,
}

/// A file's device and inode: what "the same directory" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
}

impl Identity {
    /// The identity in a `stat` result.
    #[allow(
        clippy::unnecessary_cast,
        reason = "st_dev and st_ino are u64 on Linux but narrower or signed elsewhere"
    )]
    pub(crate) fn of(st: &rfs::Stat) -> Identity {
        Identity {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
        }
    }

    /// The device number.
    pub(crate) fn dev(&self) -> u64 {
        self.dev
    }
}

/// `fstat(fd)`: the identity of an open file and its link count (0 once
/// a directory has been removed).
pub(crate) fn identity(fd: impl AsFd) -> Result<(Identity, u64), Errno> {
    let st = retry(|| rfs::fstat(&fd))?;
    #[allow(
        clippy::useless_conversion,
        reason = "st_nlink is u64 on Linux but u16 or u32 elsewhere"
    )]
    let nlink = u64::from(st.st_nlink);
    Ok((Identity::of(&st), nlink))
}

/// `fstat(fd)`: the owner, the permission bits (with set-id and sticky)
/// and the device of an open file. (Unix only: WASI has neither.)
#[cfg(unix)]
#[allow(
    clippy::unnecessary_cast,
    reason = "st_mode is u32 on Linux but u16 elsewhere"
)]
pub(crate) fn owner(fd: impl AsFd) -> Result<(u32, u32, u64), Errno> {
    let st = retry(|| rfs::fstat(&fd))?;
    Ok((st.st_uid, st.st_mode as u32 & 0o7777, Identity::of(&st).dev))
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`: the identity of the entry
/// `name` itself (a symlink is not followed).
pub(crate) fn identity_at(dir: impl AsFd, name: &std::ffi::OsStr) -> Result<Identity, Errno> {
    retry(|| rfs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)).map(|st| Identity::of(&st))
}

/// Whether the entry `name` in `dir` is a directory (not following a
/// symlink). Any error answers no.
pub(crate) fn is_dir_at(dir: BorrowedFd<'_>, name: &CStr) -> bool {
    retry(|| rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW))
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}

/// `unlinkat(dir, name, 0)`: removes a file, symlink, FIFO, socket or
/// device node. Never follows a symlink.
pub(crate) fn unlink(dir: BorrowedFd<'_>, name: &CStr) -> Result<(), Errno> {
    retry(|| rfs::unlinkat(dir, name, AtFlags::empty()))
}

/// `unlinkat(dir, name, AT_REMOVEDIR)`: removes an empty directory.
pub(crate) fn remove_dir(dir: impl AsFd, name: impl rustix::path::Arg + Copy) -> Result<(), Errno> {
    retry(|| rfs::unlinkat(&dir, name, AtFlags::REMOVEDIR))
}

/// `flock(fd, LOCK_EX|LOCK_NB)`: `true` if taken (held until every
/// descriptor of this open is closed), `false` if someone holds a lock on
/// the file `fd` is open on, or if the lock cannot be asked about (NFS
/// refuses an exclusive lock on a read-only descriptor, `ENOLCK`): what
/// cannot be shown unlocked is left.
#[cfg(unix)]
pub(crate) fn lock_exclusive(fd: BorrowedFd<'_>) -> bool {
    retry(|| rfs::flock(fd, rfs::FlockOperation::NonBlockingLockExclusive)).is_ok()
}

/// WASI has no `flock`: nothing is ever locked there.
#[cfg(target_os = "wasi")]
pub(crate) fn lock_exclusive(_fd: BorrowedFd<'_>) -> bool {
    true
}

/// Whether the entry `name` of `dir` is a regular file someone holds a
/// lock on: `fstatat(AT_SYMLINK_NOFOLLOW)` (nothing else is opened), then
/// `openat(O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC)` and
/// [`lock_exclusive`]. A file that cannot be opened counts as unlocked.
pub(crate) fn file_is_locked(dir: BorrowedFd<'_>, name: &CStr) -> bool {
    let regular = retry(|| rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW))
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile);
    if !regular {
        return false;
    }
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    match retry(|| rfs::openat(dir, name, flags, Mode::empty())) {
        Ok(fd) => !lock_exclusive(fd.as_fd()),
        // A lease: someone is using it.
        Err(Errno::WOULDBLOCK) => true,
        Err(_) => false,
    }
}

/// `fchmod(fd, 0700)`: gives the owner of a directory of the tree the
/// right to list it and remove its entries. Only ever called on a
/// directory opened with `O_DIRECTORY|O_NOFOLLOW`, never on a file (a hard
/// link in the tree may share its inode with a file outside).
pub(crate) fn make_owner_rwx(dir: BorrowedFd<'_>) -> Result<(), Errno> {
    #[cfg(unix)]
    return retry(|| rfs::fchmod(dir, Mode::RWXU));
    // WASI has no permission bits to repair.
    #[cfg(target_os = "wasi")]
    return {
        let _ = dir;
        Ok(())
    };
}

/// `openat(handle, ".", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`: a
/// descriptor that can list the directory `handle` is open on (which may
/// be an `O_PATH` handle), the very same directory. If its mode refuses
/// its owner (0000 to 0600), the mode becomes 0700 first, through
/// `handle`: `fchmod`, or on Linux `chmod` of `/proc/thread-self/fd/N` where
/// `handle` is `O_PATH`, which the kernel resolves to that very inode.
pub(crate) fn open_readable(handle: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    match retry(|| rfs::openat(handle, c".", DIR_FLAGS, Mode::empty())) {
        Err(Errno::ACCESS) => {
            imp::make_handle_owner_rwx(handle)?;
            retry(|| rfs::openat(handle, c".", DIR_FLAGS, Mode::empty()))
        }
        other => other,
    }
}

/// `openat(child, "..", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`: the
/// directory a directory is in now. The caller checks that it is the one
/// it was before.
pub(crate) fn open_parent(child: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    retry(|| rfs::openat(child, c"..", DIR_FLAGS, Mode::empty()))
}

/// Opens the subdirectory `name` of `dir` with `DIR_FLAGS`, refusing to
/// cross into another mount (`EXDEV`): a symlink answers `ENOTDIR` or
/// `ELOOP`, a non-directory `ENOTDIR`.
///
/// Linux: `openat2(RESOLVE_NO_XDEV)`, which sees every mount, bind mounts
/// of the same file system included. Where `openat2` is missing: `openat`,
/// then `statx`'s mount-root attribute or, failing that, `fstat`'s device
/// compared with `root_dev`.
pub(crate) fn open_child(
    dir: BorrowedFd<'_>,
    name: &CStr,
    root_dev: u64,
) -> Result<OwnedFd, Errno> {
    open_beneath(dir, name, DIR_FLAGS, root_dev)
}

/// Opens the entry `name` of `dir` with `flags` (a file or a directory),
/// refusing to cross into another mount (`EXDEV`), as [`open_child`]
/// does: what the reaper locks (unix only: WASI has no reaper).
#[cfg(unix)]
pub(crate) fn open_entry(
    dir: BorrowedFd<'_>,
    name: &CStr,
    flags: OFlags,
    root_dev: u64,
) -> Result<OwnedFd, Errno> {
    open_beneath(dir, name, flags, root_dev)
}

/// Opens a subdirectory whose mode does not let its owner read it (0000,
/// 0100, 0200, 0300), repairing the mode on the way without ever naming
/// it by path.
///
/// Linux: `openat2(O_PATH|O_DIRECTORY|O_NOFOLLOW, RESOLVE_NO_XDEV)`, which
/// needs no permission on the directory itself; `chmod 0700` through
/// `/proc/thread-self/fd/N` (the kernel resolves it to that very inode, and
/// `O_DIRECTORY|O_NOFOLLOW` proved it a directory); then `openat(fd, ".")`.
/// Other systems have no handle that could do this, and answer `EACCES`.
pub(crate) fn open_unreadable_child(
    dir: BorrowedFd<'_>,
    name: &CStr,
    root_dev: u64,
) -> Result<OwnedFd, Errno> {
    imp::open_unreadable_child(dir, name, root_dev)
}

/// Calls `each` with every entry of the directory `dir` but `.` and `..`
/// (entries removed meanwhile may or may not be seen, as POSIX allows).
/// `rewind` starts from the beginning of a descriptor listed before.
///
/// Linux: `getdents64` into `buf` (no allocation per entry); a removed
/// directory lists as empty. Elsewhere: `readdir` on a fresh descriptor
/// (`openat(dir, ".")`).
pub(crate) fn list(
    dir: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    rewind: bool,
    each: &mut dyn FnMut(&CStr, Kind),
) -> Result<(), Errno> {
    imp::list(dir, buf, rewind, each)
}

/// Hands one entry of a listing, its name and `d_type` or the error
/// reading it, to `each`, skipping `.` and `..`. `Some` ends the listing
/// with that result: a directory removed while open lists as empty.
fn visit(
    entry: Result<(&CStr, FileType), Errno>,
    each: &mut dyn FnMut(&CStr, Kind),
) -> Option<Result<(), Errno>> {
    match entry {
        Ok((name, _)) if matches!(name.to_bytes(), b"." | b"..") => None,
        Ok((name, file_type)) => {
            let kind = match file_type {
                FileType::Directory => Kind::Dir,
                FileType::Unknown => Kind::Unknown,
                _ => Kind::NotDir,
            };
            each(name, kind);
            None
        }
        Err(Errno::INTR) => None,
        Err(Errno::NOENT) => Some(Ok(())),
        Err(e) => Some(Err(e)),
    }
}

/// `openat` of a subdirectory, then the mount check: the way without
/// `openat2`.
pub(super) fn open_then_check(
    dir: BorrowedFd<'_>,
    name: &CStr,
    flags: OFlags,
    root_dev: u64,
) -> Result<OwnedFd, Errno> {
    let fd = retry(|| rfs::openat(dir, name, flags, Mode::empty()))?;
    if is_mount_root(fd.as_fd(), root_dev)? {
        return Err(Errno::XDEV);
    }
    Ok(fd)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::os::fd::AsRawFd;
    use std::sync::atomic::{AtomicU8, Ordering};

    use rustix::fs::{RawDir, ResolveFlags, SeekFrom, StatxAttributes, StatxFlags};

    use super::super::hooks;
    use super::*;

    /// The size of the buffer directory listings are read into: large, so
    /// a directory of 10,000 entries takes a handful of `getdents64` calls.
    const LIST_BUFFER: usize = 64 * 1024;

    /// Whether `openat2` works here: 0 not tried, 1 yes, 2 no (a kernel
    /// before 5.6, or a sandbox that filters it).
    static OPENAT2: AtomicU8 = AtomicU8::new(0);

    /// See [`super::open_child`].
    pub(super) fn open_beneath(
        dir: BorrowedFd<'_>,
        name: &CStr,
        flags: OFlags,
        root_dev: u64,
    ) -> Result<OwnedFd, Errno> {
        if OPENAT2.load(Ordering::Relaxed) == 2 {
            return open_then_check(dir, name, flags, root_dev);
        }
        let resolve = ResolveFlags::NO_XDEV;
        match retry(|| rfs::openat2(dir, name, flags, Mode::empty(), resolve)) {
            Err(Errno::NOSYS) => {
                OPENAT2.store(2, Ordering::Relaxed);
                open_then_check(dir, name, flags, root_dev)
            }
            // A sandbox may deny openat2 outright: believe it only if the
            // plain call works where openat2 did not.
            Err(Errno::PERM) if OPENAT2.load(Ordering::Relaxed) == 0 => {
                let fd = open_then_check(dir, name, flags, root_dev)?;
                OPENAT2.store(2, Ordering::Relaxed);
                Ok(fd)
            }
            Ok(fd) => {
                OPENAT2.store(1, Ordering::Relaxed);
                Ok(fd)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `fd` is the root of a mount: `statx`'s
    /// `STATX_ATTR_MOUNT_ROOT` (Linux 5.8) where the kernel reports it,
    /// else a device other than `root_dev`.
    pub(super) fn is_mount_root(fd: BorrowedFd<'_>, root_dev: u64) -> Result<bool, Errno> {
        if let Ok(stx) = rfs::statx(fd, c"", AtFlags::EMPTY_PATH, StatxFlags::BASIC_STATS) {
            if stx
                .stx_attributes_mask
                .contains(StatxAttributes::MOUNT_ROOT)
            {
                return Ok(stx.stx_attributes.contains(StatxAttributes::MOUNT_ROOT));
            }
        }
        Ok(identity(fd)?.0.dev() != root_dev)
    }

    /// See [`super::open_unreadable_child`].
    pub(super) fn open_unreadable_child(
        dir: BorrowedFd<'_>,
        name: &CStr,
        root_dev: u64,
    ) -> Result<OwnedFd, Errno> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let handle = open_beneath(dir, name, flags, root_dev)?;
        hooks::fire(hooks::Event::Repair);
        chmod_through_proc(handle.as_fd())?;
        retry(|| rfs::openat(&handle, c".", DIR_FLAGS, Mode::empty()))
    }

    /// See [`super::open_readable`]: `fchmod`, which an `O_PATH` handle
    /// refuses with `EBADF`, then `/proc/thread-self/fd/N`.
    pub(super) fn make_handle_owner_rwx(handle: BorrowedFd<'_>) -> Result<(), Errno> {
        match super::make_owner_rwx(handle) {
            Err(Errno::BADF) => {
                hooks::fire(hooks::Event::Repair);
                chmod_through_proc(handle)
            }
            other => other,
        }
    }

    /// `chmod("/proc/thread-self/fd/N", 0700)`: the mode of the directory
    /// `handle` (opened `O_DIRECTORY|O_NOFOLLOW`) is open on, even an
    /// `O_PATH` one. `thread-self`, not `self`: in a thread with a
    /// descriptor table of its own, `/proc/self/fd/N` is the main thread's
    /// N, another directory. Kernels before 3.17 lack `thread-self`: then
    /// `/proc/self`.
    fn chmod_through_proc(handle: BorrowedFd<'_>) -> Result<(), Errno> {
        let mut result = Err(Errno::NOENT);
        for proc in ["/proc/thread-self", "/proc/self"] {
            let magic = format!("{proc}/fd/{}", handle.as_raw_fd());
            result = retry(|| rfs::chmodat(rfs::CWD, magic.as_str(), Mode::RWXU, AtFlags::empty()));
            if result != Err(Errno::NOENT) {
                break;
            }
        }
        result
    }

    /// See [`super::list`].
    pub(super) fn list(
        dir: BorrowedFd<'_>,
        buf: &mut Vec<u8>,
        rewind: bool,
        each: &mut dyn FnMut(&CStr, Kind),
    ) -> Result<(), Errno> {
        if rewind {
            rfs::seek(dir, SeekFrom::Start(0))?;
        }
        if buf.capacity() < LIST_BUFFER {
            buf.reserve(LIST_BUFFER);
        }
        let mut entries = RawDir::new(dir, buf.spare_capacity_mut());
        while let Some(entry) = entries.next() {
            let entry = entry.as_ref().map(|e| (e.file_name(), e.file_type()));
            if let Some(end) = visit(entry.map_err(|e| *e), each) {
                return end;
            }
        }
        Ok(())
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    use super::*;

    /// Plain `openat`, then the device check: see [`super::open_child`].
    pub(super) fn open_beneath(
        dir: BorrowedFd<'_>,
        name: &CStr,
        flags: OFlags,
        root_dev: u64,
    ) -> Result<OwnedFd, Errno> {
        open_then_check(dir, name, flags, root_dev)
    }

    /// A device other than `root_dev`. (Null mounts of the same file
    /// system are not seen: see the security notes.)
    pub(super) fn is_mount_root(fd: BorrowedFd<'_>, root_dev: u64) -> Result<bool, Errno> {
        Ok(identity(fd)?.0.dev() != root_dev)
    }

    /// No handle here can change the mode of a directory its owner cannot
    /// read: report the permission error.
    pub(super) fn open_unreadable_child(
        _dir: BorrowedFd<'_>,
        _name: &CStr,
        _root_dev: u64,
    ) -> Result<OwnedFd, Errno> {
        Err(Errno::ACCESS)
    }

    /// See [`super::open_readable`]: the handle is read-only here, so
    /// `fchmod` works on it.
    pub(super) fn make_handle_owner_rwx(handle: BorrowedFd<'_>) -> Result<(), Errno> {
        super::make_owner_rwx(handle)
    }

    /// `readdir` on a fresh descriptor for the directory.
    pub(super) fn list(
        dir: BorrowedFd<'_>,
        _buf: &mut Vec<u8>,
        _rewind: bool,
        each: &mut dyn FnMut(&CStr, Kind),
    ) -> Result<(), Errno> {
        let mut entries = rfs::Dir::read_from(dir)?;
        while let Some(entry) = entries.read() {
            let entry = entry.as_ref().map(|e| (e.file_name(), e.file_type()));
            if let Some(end) = visit(entry.map_err(|e| *e), each) {
                return end;
            }
        }
        Ok(())
    }
}

use imp::{is_mount_root, open_beneath};
