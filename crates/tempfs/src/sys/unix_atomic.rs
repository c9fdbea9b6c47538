//! Unix primitives of the atomic save (`crate::atomic`): what is at the
//! target (`fstatat`), where a symbolic link points (`readlinkat`), the
//! directory a relative link leads to (`openat`), and the metadata carried
//! over to the new file (`fchown`, `fchmod`, `futimens`), all relative to
//! held handles. On WASI, which has no owners and no permission bits, only
//! the times are carried over.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
#[cfg(unix)]
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Timestamps};
use rustix::io::Errno;
use tempcore::Dir;

/// The mode a new file is created with when nothing says otherwise, as
/// `File::create` asks for it: 0666, less the umask (or as the
/// directory's default ACL says), applied by the kernel at creation.
pub(crate) const NEW_FILE_MODE: u32 = 0o666;

/// What is at a name: its type, and what a replacing save keeps of it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) kind: EntryKind,
    pub(crate) kept: Kept,
}

/// The type of an existing entry, as far as saving over it cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A regular file: replaced.
    File,
    /// A directory: refused.
    Dir,
    /// A symbolic link: followed or refused, as the options say.
    Link,
    /// Anything else (FIFO, device, socket): refused; names the type.
    Other(&'static str),
}

/// The metadata of the replaced file that a save carries over: owner,
/// group, permission bits and times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kept {
    uid: u32,
    #[cfg_attr(target_os = "wasi", allow(dead_code, reason = "WASI has no groups"))]
    gid: u32,
    mode: u32,
    times: (rfs::Timespec, rfs::Timespec),
}

impl Kept {
    /// The permission bits, with set-user-ID, set-group-ID and sticky.
    pub(crate) fn mode(&self) -> u32 {
        self.mode
    }
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`; `None` when nothing is there.
pub(crate) fn entry_at(dir: &Dir, name: &OsStr) -> io::Result<Option<Entry>> {
    let stat = loop {
        match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::INTR) => continue,
            Err(Errno::NOENT) => return Ok(None),
            other => break other?,
        }
    };
    let kind = match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => EntryKind::File,
        FileType::Directory => EntryKind::Dir,
        FileType::Symlink => EntryKind::Link,
        #[cfg(unix)]
        FileType::Fifo => EntryKind::Other("FIFO"),
        FileType::CharacterDevice => EntryKind::Other("character device"),
        FileType::BlockDevice => EntryKind::Other("block device"),
        #[cfg(unix)]
        FileType::Socket => EntryKind::Other("socket"),
        FileType::Unknown => EntryKind::Other("file of unknown type"),
    };
    #[allow(
        clippy::unnecessary_cast,
        reason = "the stat fields' widths differ between platforms"
    )]
    let kept = Kept {
        uid: stat.st_uid as u32,
        gid: stat.st_gid as u32,
        mode: stat.st_mode as u32 & 0o7777,
        times: times_of(&stat),
    };
    Ok(Some(Entry { kind, kept }))
}

/// The access and modification times in `stat`.
#[cfg(unix)]
fn times_of(stat: &rfs::Stat) -> (rfs::Timespec, rfs::Timespec) {
    let time = |sec: i64, nsec: u64| rfs::Timespec {
        tv_sec: sec as _,
        tv_nsec: nsec as _,
    };
    #[allow(
        clippy::unnecessary_cast,
        reason = "the stat fields' widths differ between platforms"
    )]
    (
        time(stat.st_atime as i64, stat.st_atime_nsec as u64),
        time(stat.st_mtime as i64, stat.st_mtime_nsec as u64),
    )
}

/// The access and modification times in `stat` (WASI's `struct stat`
/// holds them as `timespec`s).
#[cfg(target_os = "wasi")]
fn times_of(stat: &rfs::Stat) -> (rfs::Timespec, rfs::Timespec) {
    let time = |sec: i64, nsec: i32| rfs::Timespec {
        tv_sec: sec as _,
        tv_nsec: nsec as _,
    };
    (
        time(stat.st_atim.tv_sec, stat.st_atim.tv_nsec),
        time(stat.st_mtim.tv_sec, stat.st_mtim.tv_nsec),
    )
}

/// Whether `entry`, found in `dir`, belongs to someone the kernel would
/// not trust there: `dir` is sticky and others than its owner may write
/// it (group- or other-writable, as `/tmp`), and `entry` is owned neither
/// by the process's effective user nor by the directory's owner. The
/// kernel then refuses to follow such a link (`fs.protected_symlinks`)
/// and to open such a file with `O_CREAT` (`fs.protected_regular`); a
/// save refuses both the same way.
pub(crate) fn foreign_in_shared_dir(dir: &Dir, entry: &Entry) -> io::Result<bool> {
    let stat = rfs::fstat(dir)?;
    #[allow(
        clippy::unnecessary_cast,
        reason = "the stat fields' widths differ between platforms"
    )]
    let (dir_mode, dir_owner) = (stat.st_mode as u32, stat.st_uid as u32);
    let shared = dir_mode & 0o1000 != 0 && dir_mode & 0o022 != 0;
    let owner = entry.kept.uid;
    Ok(shared && owner != crate::sys::euid() && owner != dir_owner)
}

/// `readlinkat(dir, name)`: where the symbolic link `name` points.
pub(crate) fn read_link_at(dir: &Dir, name: &OsStr) -> io::Result<PathBuf> {
    loop {
        match rfs::readlinkat(dir, name, Vec::new()) {
            Err(Errno::INTR) => continue,
            other => {
                return os_string(other?.into_bytes()).map(PathBuf::from);
            }
        }
    }
}

/// The bytes of a link's target as a path.
#[cfg(unix)]
fn os_string(bytes: Vec<u8>) -> io::Result<std::ffi::OsString> {
    Ok(std::ffi::OsString::from_vec(bytes))
}

/// The bytes of a link's target as a path: WASI's paths are UTF-8
/// (`OsStringExt` is unstable on `wasm32-wasip2`).
#[cfg(target_os = "wasi")]
fn os_string(bytes: Vec<u8>) -> io::Result<std::ffi::OsString> {
    String::from_utf8(bytes)
        .map(Into::into)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Opens the directory `rel` relative to `dir`, following symbolic links
/// in it as the kernel resolves any path, but starting from the held
/// handle: `openat(dir, rel, O_PATH|O_DIRECTORY|O_CLOEXEC)` (`O_RDONLY`
/// instead of `O_PATH` outside Linux).
pub(crate) fn open_dir_beside(dir: &Dir, rel: &Path) -> io::Result<Dir> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let access = OFlags::PATH;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let access = OFlags::RDONLY;
    let flags = access | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = loop {
        match rfs::openat(dir, rel, flags, Mode::empty()) {
            Err(Errno::INTR) => continue,
            other => break other?,
        }
    };
    Ok(Dir::from_fd(fd, dir.join(rel)))
}

/// Gives the new file `file` the replaced file's owner and group where
/// the process may (`fchown`; a process that may not change the owner may
/// still set a group it belongs to; one that may do neither keeps its
/// own), then the permission bits `mode` (`fchmod`, after `fchown`, which
/// clears set-user-ID; with `keep_access`, less the group bits and
/// set-group-ID when the group was not kept and less set-user-ID when the
/// owner was not), then, with `times`, the replaced file's access
/// and modification times (`futimens`). Nothing is changed that already
/// is as asked. `staged` matters on Windows only.
pub(crate) fn carry_over(
    file: &File,
    _staged: Option<&Path>,
    kept: Option<&Kept>,
    keep_access: bool,
    mode: Option<u32>,
    times: bool,
) -> io::Result<()> {
    #[cfg(unix)]
    keep_owner_and_mode(file, kept, keep_access, mode)?;
    // WASI has neither owners nor permission bits: nothing to carry.
    #[cfg(target_os = "wasi")]
    let _ = (keep_access, mode);
    if let (Some(kept), true) = (kept, times) {
        let stamps = Timestamps {
            last_access: kept.times.0,
            last_modification: kept.times.1,
        };
        rfs::futimens(file, &stamps)?;
    }
    Ok(())
}

/// The owner, group and mode part of [`carry_over`].
#[cfg(unix)]
fn keep_owner_and_mode(
    file: &File,
    kept: Option<&Kept>,
    keep_access: bool,
    mode: Option<u32>,
) -> io::Result<()> {
    use rustix::fs::{Gid, Uid};
    let now = rfs::fstat(file)?;
    let mut mode = mode;
    if let Some(kept) = kept {
        #[allow(
            clippy::unnecessary_cast,
            reason = "the stat fields' widths differ between platforms"
        )]
        let (uid, gid) = (now.st_uid as u32, now.st_gid as u32);
        let (mut got_uid, mut got_gid) = (uid, gid);
        if (uid, gid) != (kept.uid, kept.gid) {
            let owner = Some(Uid::from_raw(kept.uid));
            let group = Some(Gid::from_raw(kept.gid));
            match rfs::fchown(file, owner, group) {
                Ok(()) => (got_uid, got_gid) = (kept.uid, kept.gid),
                Err(Errno::PERM) if gid != kept.gid => match rfs::fchown(file, None, group) {
                    Ok(()) => got_gid = kept.gid,
                    Err(Errno::PERM) => {}
                    Err(e) => return Err(e.into()),
                },
                Err(Errno::PERM) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // The kept bits were meant for the replaced file's owner and
        // group: a group that was not kept gets no access (nor
        // set-group-ID), an owner that was not kept no set-user-ID.
        if keep_access {
            mode = mode.map(|mut mode| {
                if got_gid != kept.gid {
                    mode &= !0o2070;
                }
                if got_uid != kept.uid {
                    mode &= !0o4000;
                }
                mode
            });
        }
    }
    if let Some(mode) = mode {
        rfs::fchmod(file, Mode::from_raw_mode(mode as _))?;
    }
    Ok(())
}

/// Never on unix: a rename is not refused because the file is open.
pub(crate) fn is_sharing_violation(_e: &io::Error) -> bool {
    false
}
