//! The unix backend: every operation is an `*at` system call on a directory
//! file descriptor, made through `rustix`.
//!
//! It is WASI's backend too (`wasm32-wasip1`, `wasm32-wasip2`): WASI's file
//! system is capability-based, every call is relative to a directory
//! handle (`path_open`, `path_create_directory`, `path_unlink_file`,
//! `path_link`, `path_rename`, `path_filestat_get`), which is what rustix's
//! `openat`, `mkdirat`, `unlinkat`, `linkat`, `renameat` and `statat` become
//! there through wasi-libc. What WASI lacks is answered here with
//! `cfg(target_os = "wasi")`: no `dup` (a handle is cloned by opening `.`
//! relative to it), no user IDs (the environment is always the program's),
//! no `mmap` and no `fork` (names draw from `getrandom` directly). Modes
//! are accepted and ignored, as WASI has none.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::create::{FileOptions, create_file_at as create_named_at};
use crate::dir::Dir;
use crate::error::PathError;
use crate::name::NameSource;

/// On unix a directory handle is its file descriptor.
pub(crate) type DirHandle = OwnedFd;

/// The longest file name, in bytes (`NAME_MAX`).
pub(crate) const NAME_MAX: usize = 255;
pub(crate) const NAME_UNITS: &str = "bytes";
pub(crate) const NAME_UNIT: &str = "byte";

/// The length of a name as the file system counts it: bytes.
pub(crate) fn name_len(name: &OsStr) -> usize {
    name.len()
}

/// ASCII letters of a name as an `OsStr`. Unix: the bytes as they are (a
/// UTF-8 check would cost a hundred instructions, a twentieth of a whole
/// named file); WASI checks them (`OsStrExt` is unstable on
/// `wasm32-wasip2`).
pub(crate) fn ascii_part(letters: &[u8]) -> &OsStr {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        OsStr::from_bytes(letters)
    }
    #[cfg(not(unix))]
    {
        OsStr::new(std::str::from_utf8(letters).expect("ASCII letters"))
    }
}

/// Describes the first byte of `name` that may not appear in a file name.
///
/// One plain pass: affixes are a few bytes, and `contains` (a `memchr`
/// call each) cost 70 instructions per name for `tmp` and an empty suffix.
pub(crate) fn forbidden_name_char(name: &OsStr) -> Option<&'static str> {
    name.as_encoded_bytes().iter().find_map(|b| match b {
        b'/' => Some("the path separator '/'"),
        0 => Some("a NUL byte"),
        _ => None,
    })
}

/// Runs a system call again while it is interrupted by a signal (`EINTR`),
/// so that an interruption never surfaces as a failure.
fn retry<T>(mut call: impl FnMut() -> rustix::io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(Errno::INTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.handle.as_fd()
    }
}

impl AsRawFd for Dir {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.handle.as_raw_fd()
    }
}

impl Dir {
    /// Adopts an open directory file descriptor (from `openat`, `cap-std`,
    /// ...). `path` is what error messages and joined paths will use; pass
    /// the path the descriptor was opened by, if known.
    pub fn from_fd(fd: OwnedFd, path: impl Into<PathBuf>) -> Dir {
        Dir::from_parts(fd, path.into())
    }
}

/// Flags for a base directory: Linux opens it `O_PATH`, which needs only
/// search permission (as creating by path would), elsewhere read-only.
#[cfg(any(target_os = "linux", target_os = "android"))]
const BASE_DIR_FLAGS: OFlags = OFlags::PATH.union(OFlags::DIRECTORY).union(OFlags::CLOEXEC);
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const BASE_DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

/// `open(path, O_PATH|O_DIRECTORY|O_CLOEXEC)` (`O_RDONLY` instead of
/// `O_PATH` outside Linux): follows symlinks in `path`.
pub(crate) fn open_dir(path: &Path) -> io::Result<DirHandle> {
    retry(|| rfs::open(path, BASE_DIR_FLAGS, Mode::empty()))
}

/// `openat(parent, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`.
pub(crate) fn open_dir_at(parent: &Dir, name: &OsStr) -> io::Result<DirHandle> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    retry(|| rfs::openat(parent, name, flags, Mode::empty()))
}

/// Flags for a directory handle used only as the base of `*at` calls:
/// Linux opens it `O_PATH` (the cheapest open: no permission on the
/// directory itself, no per-open state such as tmpfs's listing cursor),
/// elsewhere read-only. Never through a symbolic link.
#[cfg(any(target_os = "linux", target_os = "android"))]
const HANDLE_FLAGS: OFlags = OFlags::PATH
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const HANDLE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// `openat(parent, name, O_PATH|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`
/// (`O_RDONLY` instead of `O_PATH` outside Linux).
pub(crate) fn open_handle_at(parent: &Dir, name: &OsStr) -> io::Result<DirHandle> {
    retry(|| rfs::openat(parent, name, HANDLE_FLAGS, Mode::empty()))
}

/// Unix shares directory handles opened by path ([`Dir::open_shared`]):
/// `stat` tells whether a path still names a held directory without
/// opening it.
pub(crate) const SHARES_DIRS: bool = true;

/// What tells two directories apart: device and inode numbers.
pub(crate) type Identity = (rfs::Dev, u64);

#[allow(
    clippy::useless_conversion,
    reason = "st_ino is u64 on Linux but narrower on some targets"
)]
fn identity_of(stat: &rfs::Stat) -> Identity {
    (stat.st_dev, u64::from(stat.st_ino))
}

/// `stat(path)`: the directory `path` names now, following symbolic links
/// as [`open_dir`] does.
pub(crate) fn path_identity(path: &Path) -> io::Result<Identity> {
    retry(|| rfs::stat(path)).map(|stat| identity_of(&stat))
}

/// `fstat(fd)` (an `O_PATH` descriptor answers it too).
pub(crate) fn dir_identity(handle: &DirHandle) -> io::Result<Identity> {
    retry(|| rfs::fstat(handle)).map(|stat| identity_of(&stat))
}

/// `fcntl(F_DUPFD_CLOEXEC)`.
#[cfg(unix)]
pub(crate) fn clone_dir(dir: &Dir) -> io::Result<DirHandle> {
    retry(|| rustix::io::fcntl_dupfd_cloexec(dir, 0))
}

/// WASI has no `dup`: `openat(dirfd, ".", O_DIRECTORY|O_NOFOLLOW)`, a new
/// handle to the same directory (not to whatever its path names now).
#[cfg(target_os = "wasi")]
pub(crate) fn clone_dir(dir: &Dir) -> io::Result<DirHandle> {
    retry(|| rfs::openat(dir, ".", HANDLE_FLAGS, Mode::empty()))
}

/// `openat(dirfd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC)` then `fsync`: the
/// handle itself may be `O_PATH`, which cannot be synced.
pub(crate) fn sync_dir(dir: &Dir) -> io::Result<()> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = retry(|| rfs::openat(dir, ".", flags, Mode::empty()))?;
    let synced = retry(|| rfs::fsync(&fd));
    // WASI runtimes (Wasmtime's among them) sync files only and refuse a
    // directory with `EBADF`: there is no way to ask for more there, so
    // the file's own sync is all a durable save gets.
    #[cfg(target_os = "wasi")]
    if synced.as_ref().err().and_then(Errno::from_io_error) == Some(Errno::BADF) {
        return Ok(());
    }
    synced
}

/// `openat(dirfd, name, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC
/// [|O_APPEND], mode)`.
pub(crate) fn create_file_at(dir: &Dir, name: &OsStr, opts: &FileOptions) -> io::Result<File> {
    let mut flags =
        OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    if opts.get_append() {
        flags |= OFlags::APPEND;
    }
    let mode = Mode::from_raw_mode(opts.get_mode() as rfs::RawMode);
    retry(|| rfs::openat(dir, name, flags, mode)).map(File::from)
}

/// A staged file ([`crate::linkable_file_at`]) is an ordinary new file
/// on unix: [`create_file_at`].
pub(crate) fn create_staged_at(dir: &Dir, name: &OsStr, opts: &FileOptions) -> io::Result<File> {
    create_file_at(dir, name, opts)
}

/// Unix has no delete disposition: nothing is set, no system call.
pub(crate) fn stage_pending(_file: &File) -> bool {
    false
}

/// Unix has no delete disposition (never called: [`stage_pending`] sets
/// none).
pub(crate) fn set_delete_pending(_file: &File, _pending: bool) -> io::Result<()> {
    Ok(())
}

/// Unix has no delete-on-close flag.
pub(crate) fn deletes_on_close(_file: &File) -> bool {
    false
}

/// Unix has no delete-on-close flag (never called: [`deletes_on_close`]
/// is false).
pub(crate) fn set_delete_on_close(_file: &File, _delete: bool) -> io::Result<()> {
    Ok(())
}

/// Unix renames names, not open files.
pub(crate) const RENAMES_OPEN_FILES: bool = false;

/// Unix renames names, not open files (never called: see
/// [`RENAMES_OPEN_FILES`]).
pub(crate) fn rename_open_at(
    _file: &File,
    _to: &Dir,
    _name: &OsStr,
    _replace: bool,
) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// `mkdirat(dirfd, name, mode)`.
pub(crate) fn create_dir_at(dir: &Dir, name: &OsStr, mode: u32) -> io::Result<()> {
    retry(|| rfs::mkdirat(dir, name, Mode::from_raw_mode(mode as rfs::RawMode)))
}

/// `unlinkat(dirfd, name, 0)`.
pub(crate) fn remove_file_at(dir: &Dir, name: &OsStr) -> io::Result<()> {
    retry(|| rfs::unlinkat(dir, name, AtFlags::empty()))
}

/// `unlinkat(dirfd, name, AT_REMOVEDIR)`.
pub(crate) fn remove_dir_at(dir: &Dir, name: &OsStr) -> io::Result<()> {
    retry(|| rfs::unlinkat(dir, name, AtFlags::REMOVEDIR))
}

/// Whether `name` in `dir` is the open `file` itself: `fstatat(dirfd,
/// name, AT_SYMLINK_NOFOLLOW)` and `fstat(fd)`, same device and inode. A
/// symbolic link at the name is never this file.
pub(crate) fn same_file_at(dir: &Dir, name: &OsStr, file: &File) -> io::Result<bool> {
    let at = retry(|| rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW))?;
    let open = retry(|| rfs::fstat(file))?;
    Ok(at.st_dev == open.st_dev && at.st_ino == open.st_ino)
}

/// Creates a file under a fresh name, then `unlinkat`s the name at once:
/// the portable way to an anonymous file.
pub(crate) fn anonymous_fallback_at(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<File> {
    let (file, name) = create_named_at(dir, names, opts)?;
    remove_file_at(dir, &name).map_err(|e| {
        PathError::wrap(
            e,
            "removing the name of a new anonymous file (it is still there)",
            dir.path().join(&name),
        )
    })?;
    Ok(file)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::dir::Tmpfile;

    /// Set once the kernel has shown it does not know `O_TMPFILE` (before
    /// 3.11 it reads the flag as `O_DIRECTORY` and answers `EISDIR`): no
    /// directory will do better for the rest of the process.
    static KERNEL_REFUSES: AtomicBool = AtomicBool::new(false);

    /// `openat(dirfd, ".", O_TMPFILE|O_RDWR|O_CLOEXEC[|O_EXCL][|O_APPEND],
    /// mode)`; `Ok(None)` when the kernel or this directory's file system
    /// refuses, remembered for next time.
    pub(crate) fn tmpfile_at(
        dir: &Dir,
        opts: &FileOptions,
        linkable: bool,
    ) -> io::Result<Option<File>> {
        if KERNEL_REFUSES.load(Ordering::Relaxed) || dir.tmpfile() == Tmpfile::Refused {
            return Ok(None);
        }
        let (flags, mode) = tmpfile_flags(opts, linkable);
        match tmpfile_answer(|| rfs::openat(dir, ".", flags, mode))? {
            Some(file) => {
                dir.set_tmpfile(Tmpfile::Works);
                Ok(Some(file))
            }
            None => {
                dir.set_tmpfile(Tmpfile::Refused);
                Ok(None)
            }
        }
    }

    /// `open(path, O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC[|O_APPEND], mode)`:
    /// an anonymous file in the directory at `path` without opening the
    /// directory first (one system call instead of three); `Ok(None)`
    /// when the kernel or the file system refuses, or the directory is
    /// missing (`ENOENT`), which the caller's fallback then reports.
    pub(crate) fn tmpfile_in(path: &Path, opts: &FileOptions) -> io::Result<Option<File>> {
        if KERNEL_REFUSES.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let (flags, mode) = tmpfile_flags(opts, false);
        tmpfile_answer(|| rfs::open(path, flags, mode))
    }

    fn tmpfile_flags(opts: &FileOptions, linkable: bool) -> (OFlags, Mode) {
        let mut flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        if !linkable {
            flags |= OFlags::EXCL;
        }
        if opts.get_append() {
            flags |= OFlags::APPEND;
        }
        (flags, Mode::from_raw_mode(opts.get_mode() as rfs::RawMode))
    }

    /// Makes an `O_TMPFILE` open, retrying on `EINTR`: the file, `None`
    /// for a refusal (a kernel without `O_TMPFILE` is remembered for the
    /// whole process), or the error.
    fn tmpfile_answer(
        mut open: impl FnMut() -> rustix::io::Result<OwnedFd>,
    ) -> io::Result<Option<File>> {
        loop {
            return match open() {
                Ok(fd) => Ok(Some(File::from(fd))),
                Err(Errno::INTR) => continue,
                Err(Errno::ISDIR) => {
                    KERNEL_REFUSES.store(true, Ordering::Relaxed);
                    Ok(None)
                }
                // A file system without O_TMPFILE. (ENOENT also comes from a
                // directory that is missing or was removed while open: the
                // fallback will then fail with it and report it.)
                Err(Errno::OPNOTSUPP | Errno::INVAL | Errno::NOENT) => Ok(None),
                Err(e) => Err(e.into()),
            };
        }
    }

    /// `linkat(AT_FDCWD, "/proc/thread-self/fd/N", dirfd, name,
    /// AT_SYMLINK_FOLLOW)`: this thread's descriptor N, even in a thread
    /// that has a descriptor table of its own (`unshare(CLONE_FILES)`),
    /// where `/proc/self/fd/N` would name the main thread's N, another
    /// file. Kernels before 3.17 lack `thread-self`: then `/proc/self`.
    /// Where /proc is missing, `linkat(fd, "", dirfd, name, AT_EMPTY_PATH)`
    /// (which needs `CAP_DAC_READ_SEARCH` before Linux 6.10). Never
    /// replaces.
    pub(crate) fn link_anonymous_at(file: &File, to: &Dir, name: &OsStr) -> io::Result<()> {
        for proc in ["/proc/thread-self", "/proc/self"] {
            let magic = format!("{proc}/fd/{}", file.as_raw_fd());
            let linked =
                retry(|| rfs::linkat(rfs::CWD, magic.as_str(), to, name, AtFlags::SYMLINK_FOLLOW));
            match linked {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                other => return other,
            }
        }
        retry(|| rfs::linkat(file, "", to, name, AtFlags::EMPTY_PATH))
    }
}

/// A rename that never replaces: `renameat2(..., RENAME_NOREPLACE)` on
/// Linux, `renameatx_np(..., RENAME_EXCL)` on Apple systems (both are
/// rustix's `renameat_with(NOREPLACE)`); `None` when the kernel or the
/// file system does not support it.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn rename_noreplace(
    from: &Dir,
    from_name: &OsStr,
    to: &Dir,
    to_name: &OsStr,
) -> Option<io::Result<()>> {
    let flags = rfs::RenameFlags::NOREPLACE;
    match retry(|| rfs::renameat_with(from, from_name, to, to_name, flags)) {
        Err(e) if unsupported(&e) => None,
        other => Some(other),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod portable {
    use super::*;

    /// No `O_TMPFILE` here: always the fallback.
    pub(crate) fn tmpfile_at(
        _dir: &Dir,
        _opts: &FileOptions,
        _linkable: bool,
    ) -> io::Result<Option<File>> {
        Ok(None)
    }

    /// No `O_TMPFILE` here: always the fallback.
    pub(crate) fn tmpfile_in(_path: &Path, _opts: &FileOptions) -> io::Result<Option<File>> {
        Ok(None)
    }

    /// Only `O_TMPFILE` files are linked this way, and there are none here.
    pub(crate) fn link_anonymous_at(_file: &File, _to: &Dir, _name: &OsStr) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
mod no_rename2 {
    use super::*;

    /// No rename-without-replace call on this system: use `linkat`.
    pub(crate) fn rename_noreplace(
        _from: &Dir,
        _from_name: &OsStr,
        _to: &Dir,
        _to_name: &OsStr,
    ) -> Option<io::Result<()>> {
        None
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use linux::{link_anonymous_at, tmpfile_at, tmpfile_in};
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
use no_rename2::rename_noreplace;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use portable::{link_anonymous_at, tmpfile_at, tmpfile_in};

/// Whether an error means "this system call or flag is not supported here".
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn unsupported(e: &io::Error) -> bool {
    matches!(
        Errno::from_io_error(e),
        Some(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP)
    )
}

/// `renameat`; without `replace`, the no-replace rename of this system or
/// `linkat` + `unlinkat`, which never replaces either.
pub(crate) fn rename_at(
    from: &Dir,
    from_name: &OsStr,
    to: &Dir,
    to_name: &OsStr,
    replace: bool,
) -> io::Result<()> {
    if replace {
        return retry(|| rfs::renameat(from, from_name, to, to_name));
    }
    if let Some(done) = rename_noreplace(from, from_name, to, to_name) {
        return done;
    }
    retry(|| rfs::linkat(from, from_name, to, to_name, AtFlags::empty()))?;
    // The file has its new name; an old name that cannot be removed is
    // left, not reported as a failure of the rename that did happen.
    let _ = remove_file_at(from, from_name);
    Ok(())
}

/// Python's candidates after the environment: `/tmp`, `/var/tmp`,
/// `/usr/tmp` (on WASI too, as CPython does there; a program sees them
/// only if its runtime preopened them).
pub(crate) fn platform_temp_dirs(_env: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    ["/tmp", "/var/tmp", "/usr/tmp"].map(PathBuf::from).to_vec()
}

/// Whether the environment may choose where temporary files go, as glibc's
/// `secure_getenv` decides: not in a process the kernel started privileged
/// (set-user-ID, set-group-ID, or given file capabilities), whose
/// environment belongs to the user who started it. That stays so after the
/// program sets all its IDs alike (`setuid(0)`), so it is asked of the
/// kernel ([`started_privileged`]), not read from the IDs; a process whose
/// real and effective IDs differ now is not trusted either (that is all
/// there is to go by on systems without such a record).
#[cfg(unix)]
pub(crate) fn environment_is_trusted() -> bool {
    use rustix::process::{getegid, geteuid, getgid, getuid};
    !started_privileged() && getuid() == geteuid() && getgid() == getegid()
}

/// WASI has no users and no privileged start: the environment is the one
/// the runtime gave the program, always trusted.
#[cfg(target_os = "wasi")]
pub(crate) fn environment_is_trusted() -> bool {
    true
}

/// What discovery's error adds when no directory was usable: on WASI a
/// program sees only the directories its runtime preopened.
#[cfg(target_os = "wasi")]
pub(crate) const NO_TEMP_DIR_HINT: &str = "; a WASI program sees only the directories its \
     runtime preopened: preopen one (`wasmtime run --dir DIR`) and set TMPDIR to it";
/// Nothing to add on unix.
#[cfg(unix)]
pub(crate) const NO_TEMP_DIR_HINT: &str = "";

/// `getauxval(AT_SECURE)`: whether the kernel started this process in
/// secure mode (set-user-ID, set-group-ID or file capabilities), which
/// glibc's `secure_getenv` and dynamic loader obey. False where the
/// auxiliary vector has no such entry.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn started_privileged() -> bool {
    /// `AT_SECURE` in `<elf.h>`, the same on every Linux architecture.
    const AT_SECURE: std::ffi::c_ulong = 23;
    // SAFETY: the declaration matches `unsigned long getauxval(unsigned
    // long)` of glibc (2.16 and later), musl and bionic.
    unsafe extern "C" {
        fn getauxval(kind: std::ffi::c_ulong) -> std::ffi::c_ulong;
    }
    // SAFETY: `getauxval` only reads the auxiliary vector the C library
    // saved at startup; it has no preconditions and returns 0 for an
    // entry that is missing.
    unsafe { getauxval(AT_SECURE) != 0 }
}

/// `issetugid()`: whether this process was started set-user-ID or
/// set-group-ID, or has changed its IDs since; what these systems' C
/// libraries consult before trusting the environment.
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd"
))]
fn started_privileged() -> bool {
    // SAFETY: the declaration matches `int issetugid(void)` of these
    // systems' C libraries.
    unsafe extern "C" {
        fn issetugid() -> std::ffi::c_int;
    }
    // SAFETY: `issetugid` reads a flag of the process; it has no
    // preconditions.
    unsafe { issetugid() != 0 }
}

/// No record of how the process was started on this system: the ID
/// comparison in [`environment_is_trusted`] is all there is.
#[cfg(all(
    unix,
    not(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd",
        target_os = "openbsd"
    ))
))]
fn started_privileged() -> bool {
    false
}

/// This process's ID (`getpid`).
#[cfg(unix)]
pub(crate) fn process_id() -> u32 {
    std::process::id()
}

/// WASI has no process IDs (`std::process::id` panics there), and no
/// `fork` that could make a second process of this memory: any constant.
#[cfg(target_os = "wasi")]
pub(crate) fn process_id() -> u32 {
    1
}

/// Whether `e` says the process or the system ran short of something
/// (descriptors: `EMFILE`, `ENFILE`; memory: `ENOMEM`) rather than
/// anything about the path it concerns.
pub(crate) fn is_out_of_resources(e: &io::Error) -> bool {
    matches!(
        Errno::from_io_error(e),
        Some(Errno::MFILE | Errno::NFILE | Errno::NOMEM)
    )
}

/// Python's `os.path.abspath` on POSIX: join to `cwd` if relative, then
/// normalise lexically (`posixpath.normpath`).
pub(crate) fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    let joined;
    let path = if path.as_os_str().as_encoded_bytes().starts_with(b"/") {
        path
    } else {
        joined = cwd.join(path);
        &joined
    };
    let normal = normpath(path.as_os_str().as_encoded_bytes());
    // SAFETY: `normal` is the encoded bytes of `path`, cut only before and
    // after ASCII slashes and dots and joined with slashes: pieces split at
    // valid UTF-8 substrings and put together with valid UTF-8 (or `"."`),
    // as `from_encoded_bytes_unchecked` allows. (On unix and WASI they are
    // the plain bytes of the path anyway; `OsStringExt` is unstable on
    // `wasm32-wasip2`.)
    PathBuf::from(unsafe { OsString::from_encoded_bytes_unchecked(normal) })
}

/// `posixpath.normpath`: drops empty and `.` components, resolves `..`
/// lexically, keeps exactly two leading slashes (POSIX leaves their meaning
/// to the implementation) and turns three or more into one.
pub(crate) fn normpath(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let leading = if path.starts_with(b"//") && !path.starts_with(b"///") {
        2
    } else {
        usize::from(path.starts_with(b"/"))
    };
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." if leading == 0 && parts.last().is_none_or(|last| *last == b"..") => {
                parts.push(part)
            }
            b".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let mut out = vec![b'/'; leading];
    out.extend_from_slice(&parts.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// A page the kernel wipes in a forked child (`MADV_WIPEONFORK`, Linux 4.14
/// and later), for the name generator's batch of random bytes.
pub(crate) struct WipedPage {
    ptr: std::ptr::NonNull<u8>,
}

const PAGE: usize = 4096;

impl WipedPage {
    /// Maps a private anonymous page and marks it wipe-on-fork; `None` if
    /// the kernel cannot.
    #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
    pub(crate) fn new() -> Option<WipedPage> {
        use rustix::mm::{Advice, MapFlags, ProtFlags, madvise, mmap_anonymous, munmap};
        let prot = ProtFlags::READ | ProtFlags::WRITE;
        // SAFETY: a fresh private anonymous mapping at an address of the
        // kernel's choosing touches no existing memory.
        let ptr =
            unsafe { mmap_anonymous(std::ptr::null_mut(), PAGE, prot, MapFlags::PRIVATE) }.ok()?;
        // SAFETY: `ptr..ptr+PAGE` is the mapping just made, owned here only.
        if unsafe { madvise(ptr, PAGE, Advice::LinuxWipeOnFork) }.is_err() {
            // SAFETY: as above; nothing refers to the mapping yet.
            let _ = unsafe { munmap(ptr, PAGE) };
            return None;
        }
        std::ptr::NonNull::new(ptr.cast()).map(|ptr| WipedPage { ptr })
    }

    /// No wipe-on-fork memory on this system (nor under Miri, which
    /// cannot run `madvise`: names then draw from `getrandom` directly).
    #[cfg(any(not(any(target_os = "linux", target_os = "android")), miri))]
    pub(crate) fn new() -> Option<WipedPage> {
        None
    }

    /// The page's bytes (zero after a `fork`).
    pub(crate) fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is PAGE bytes, readable and writable, owned by
        // `self` and borrowed mutably through `&mut self` only.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), PAGE) }
    }
}

#[cfg(unix)]
impl Drop for WipedPage {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this length and no
        // reference into it outlives `self`.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), PAGE) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_matches_python() {
        // Expected values from CPython's posixpath.normpath.
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("//", "//"),
            ("///", "/"),
            ("///foo/.//bar//", "/foo/bar"),
            ("//foo/../bar", "//bar"),
            ("/foo/../../bar", "/bar"),
            ("foo/../../bar", "../bar"),
            ("../../x/..", "../.."),
            ("a/./b/", "a/b"),
            ("/..", "/"),
            (".", "."),
        ] {
            let got = normpath(input.as_bytes());
            assert_eq!(String::from_utf8(got).unwrap(), want, "normpath({input:?})");
        }
    }

    #[test]
    fn absolute_joins_relative_paths_to_cwd() {
        let cwd = Path::new("/work/here");
        assert_eq!(
            absolute(Path::new("t/../tmp/"), cwd),
            Path::new("/work/here/tmp")
        );
        assert_eq!(absolute(Path::new("/x/./y"), cwd), Path::new("/x/y"));
        assert_eq!(absolute(Path::new("../.."), cwd), Path::new("/"));
    }

    // WASI has neither fork nor wipe-on-fork memory.
    #[cfg(unix)]
    #[test]
    fn wiped_page_reads_zero_after_fork() {
        let page = WipedPage::new();
        if !cfg!(any(target_os = "linux", target_os = "android")) {
            assert!(page.is_none(), "only Linux has wipe-on-fork memory");
            return;
        }
        let mut page = page.expect("MADV_WIPEONFORK exists on every supported Linux (4.14+)");
        page.bytes()[0] = 7;
        // SAFETY: the child only reads memory and exits without returning
        // into the test harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = if page.bytes()[0] == 0 { 0 } else { 1 };
            // SAFETY: immediate exit of the forked child.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waiting for the child just forked.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        assert_eq!(page.bytes()[0], 7, "the parent keeps its bytes");
    }
}
