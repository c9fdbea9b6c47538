//! The Windows backend: every operation is relative to a directory handle,
//! as on unix it is relative to a directory descriptor.
//!
//! - Creating and opening: `NtCreateFile` with the directory as
//!   `RootDirectory` (the Windows `openat`), `FILE_CREATE` for exclusive
//!   creation, `FILE_OPEN_REPARSE_POINT` so that a symbolic link or
//!   junction is never followed.
//! - Privacy: new files and directories get a DACL granting only the
//!   current user, as modes 0600 and 0700 do on unix (see
//!   [`security`]).
//! - Anonymous files: `FILE_DELETE_ON_CLOSE`, not shared with anyone, with
//!   `FILE_ATTRIBUTE_TEMPORARY`.
//! - Removing: POSIX delete semantics (`FileDispositionInformationEx`,
//!   Windows 10 1607 and later, NTFS), which take the name away at once
//!   even if the file is still open; where the system or file system lacks
//!   them (older Windows, FAT, Wine), the classic disposition, under which
//!   the name stays until the last handle closes. Read-only entries are
//!   removed, as `unlink` removes them on unix.
//! - Renaming: `FileRenameInformation` through a handle to the source,
//!   relative to the target's directory handle; without replacing it is
//!   atomic and refuses an existing target, as `MoveFileExW` without
//!   `MOVEFILE_REPLACE_EXISTING` does.

mod nt;
mod security;

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, OwnedHandle, RawHandle};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use windows_sys::Wdk::Storage::FileSystem::{
    FILE_CREATE, FILE_DELETE_ON_CLOSE, FILE_DIRECTORY_FILE, FILE_DISPOSITION_DELETE,
    FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE, FILE_DISPOSITION_INFORMATION,
    FILE_DISPOSITION_INFORMATION_EX, FILE_DISPOSITION_ON_CLOSE, FILE_DISPOSITION_POSIX_SEMANTICS,
    FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_REPARSE_POINT, FILE_RENAME_POSIX_SEMANTICS,
    FILE_RENAME_REPLACE_IF_EXISTS, FileDispositionInformation, FileDispositionInformationEx,
    FileRenameInformation, FileRenameInformationEx,
};
use windows_sys::Win32::Foundation::{
    HANDLE, NTSTATUS, STATUS_ACCESS_DENIED, STATUS_CANNOT_DELETE, STATUS_DELETE_PENDING,
    STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER, STATUS_NOT_IMPLEMENTED,
    STATUS_NOT_SUPPORTED, STATUS_OBJECT_NAME_COLLISION,
};
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, DELETE, FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_READONLY,
    FILE_ATTRIBUTE_REPARSE_POINT, FILE_ATTRIBUTE_TEMPORARY, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_LIST_DIRECTORY, FILE_READ_ATTRIBUTES,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_TRAVERSE, FILE_WRITE_ATTRIBUTES,
    FILE_WRITE_DATA, GetFileInformationByHandle, SYNCHRONIZE,
};

use crate::create::FileOptions;
use crate::dir::Dir;
use crate::error::PathError;
use crate::name::NameSource;
use nt::Open;
use security::Kind;

/// On Windows a directory handle is a handle opened with
/// `FILE_LIST_DIRECTORY | FILE_TRAVERSE`, shared for reading, writing and
/// deleting, so that it never stops anyone renaming or removing the
/// directory (as an open descriptor does not on unix).
pub(crate) type DirHandle = OwnedHandle;

/// The longest file name, in UTF-16 units.
pub(crate) const NAME_MAX: usize = 255;
pub(crate) const NAME_UNITS: &str = "UTF-16 units";
pub(crate) const NAME_UNIT: &str = "unit";

/// What a directory handle may do: list, traverse, read attributes.
const DIR_ACCESS: u32 = FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | SYNCHRONIZE;

/// Everyone else may read, write, rename and delete alongside us: what a
/// unix descriptor allows.
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/// `ERROR_STOPPED_ON_SYMLINK`: what opening a link without following it
/// fails with (unix: `ELOOP`).
const ERROR_STOPPED_ON_SYMLINK: i32 = 681;

/// ASCII letters of a name as an `OsStr` (checked: Windows has no
/// byte-level `OsStr` constructor that is safe).
pub(crate) fn ascii_part(letters: &[u8]) -> &OsStr {
    OsStr::new(std::str::from_utf8(letters).expect("ASCII letters"))
}

/// The length of a name as NTFS counts it: UTF-16 units.
pub(crate) fn name_len(name: &OsStr) -> usize {
    name.encode_wide().count()
}

/// Describes the first character of `name` that may not appear in a
/// temporary name: the separators, NUL, and `:`, which would make the name
/// an alternate data stream of another file. (Characters Win32 merely
/// reserves, `< > " | ? *` and control characters, are refused by the file
/// system when the file is created, with `ERROR_INVALID_NAME`.)
pub(crate) fn forbidden_name_char(name: &OsStr) -> Option<&'static str> {
    name.encode_wide().find_map(|unit| match unit {
        0x2f => Some("the path separator '/'"),
        0x5c => Some("the path separator '\\'"),
        0 => Some("a NUL character"),
        0x3a => Some("a colon ':' (it names an alternate data stream)"),
        _ => None,
    })
}

/// `name` as the UTF-16 of one file name, or `InvalidInput`: empty, `.`,
/// `..`, or holding a separator, `:` or NUL (which `NtCreateFile` would
/// read as a path, a stream or the end).
fn component(name: &OsStr) -> io::Result<Vec<u16>> {
    let units: Vec<u16> = name.encode_wide().collect();
    let bad = units.is_empty()
        || units == [0x2e]
        || units == [0x2e, 0x2e]
        || units.iter().any(|u| matches!(u, 0x2f | 0x5c | 0x3a | 0));
    if bad {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a single file name"),
        ));
    }
    Ok(units)
}

/// [`component`] for a name about to be created: also refuses a trailing
/// dot or space, which Win32 strips from paths, so that the path handed
/// back would name another file.
fn new_component(name: &OsStr) -> io::Result<Vec<u16>> {
    let units = component(name)?;
    if matches!(units.last(), Some(0x2e | 0x20)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{name:?} ends in a dot or a space, which Windows drops from paths: \
                 the file could not be opened by its path"
            ),
        ));
    }
    Ok(units)
}

impl AsHandle for Dir {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.handle.as_handle()
    }
}

impl AsRawHandle for Dir {
    fn as_raw_handle(&self) -> RawHandle {
        self.handle.as_raw_handle()
    }
}

impl Dir {
    /// Adopts an open directory handle (Windows). It must have been opened
    /// with at least `FILE_LIST_DIRECTORY | FILE_TRAVERSE` (for instance
    /// `CreateFileW` with `FILE_FLAG_BACKUP_SEMANTICS`). `path` is what
    /// error messages and joined paths will use.
    pub fn from_handle(handle: OwnedHandle, path: impl Into<PathBuf>) -> Dir {
        Dir::from_parts(handle, path.into())
    }

    /// Opens the existing file `name` in this directory again, for reading
    /// and writing, relative to the handle and without following a link
    /// (Windows: `NtCreateFile(FILE_OPEN, FILE_OPEN_REPARSE_POINT)`
    /// relative to the directory; a symbolic link or other reparse point
    /// at `name` fails with `ERROR_STOPPED_ON_SYMLINK`). Shared for
    /// reading, writing and deleting, as a unix descriptor would be.
    /// Errors name the path.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let dir = tempcore::Dir::open(tempcore::temp_dir()?)?;
    /// let (mut file, name) = tempcore::create_file_at(
    ///     &dir, &mut tempcore::Template::default(), &tempcore::FileOptions::new())?;
    /// file.write_all(b"twice")?;
    /// let mut back = String::new();
    /// dir.open_file(&name)?.read_to_string(&mut back)?;
    /// assert_eq!(back, "twice");
    /// # drop(file);
    /// tempcore::remove_file_at(&dir, &name)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open_file(&self, name: impl AsRef<OsStr>) -> io::Result<File> {
        let name = name.as_ref();
        let how = Open {
            access: FILE_GENERIC_READ | FILE_GENERIC_WRITE,
            share: SHARE_ALL,
            disposition: FILE_OPEN,
            options: FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT,
            attributes: 0,
            security: None,
        };
        let opened = open_at(self, name, &how).map(File::from).and_then(|file| {
            refuse_reparse_point(&file)?;
            Ok(file)
        });
        opened.map_err(|e| PathError::wrap(e, "opening", self.path().join(name)))
    }
}

/// `NtCreateFile` of `name` relative to `dir`.
fn open_at(dir: &Dir, name: &OsStr, how: &Open<'_>) -> io::Result<OwnedHandle> {
    nt::open_at(dir.as_handle(), &component(name)?, how).map_err(nt::error)
}

/// Fails with `ERROR_STOPPED_ON_SYMLINK` if `file` (opened with
/// `FILE_OPEN_REPARSE_POINT`) is a symbolic link, junction or other
/// reparse point: such an entry is never entered or handed out.
fn refuse_reparse_point(file: &File) -> io::Result<()> {
    if file.metadata()?.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
        return Err(io::Error::from_raw_os_error(ERROR_STOPPED_ON_SYMLINK));
    }
    Ok(())
}

/// `CreateFileW(path, FILE_LIST_DIRECTORY | FILE_TRAVERSE,
/// FILE_FLAG_BACKUP_SEMANTICS)`: follows links in `path` (the base
/// directory is the caller's choice), then checks it is a directory.
pub(crate) fn open_dir(path: &Path) -> io::Result<DirHandle> {
    let file = OpenOptions::new()
        .access_mode(DIR_ACCESS)
        .share_mode(SHARE_ALL)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)?;
    if !file.metadata()?.is_dir() {
        return Err(io::ErrorKind::NotADirectory.into());
    }
    Ok(OwnedHandle::from(file))
}

/// Windows does not share directory handles opened by path: no call
/// identifies the directory a path names without opening it
/// (`GetFileInformationByName` is Windows 11 24H2 and later), so checking
/// a shared handle would cost the open it saves, and a process's handles
/// run to millions, not to an `RLIMIT_NOFILE` of a thousand.
pub(crate) const SHARES_DIRS: bool = false;

/// What tells two directories apart: volume serial number and file index.
pub(crate) type Identity = (u32, u64);

/// Opens `path` as [`open_dir`] does and asks for its identity
/// (`GetFileInformationByHandle`). Unused while [`SHARES_DIRS`] is false.
pub(crate) fn path_identity(path: &Path) -> io::Result<Identity> {
    dir_identity(&open_dir(path)?)
}

/// `GetFileInformationByHandle`.
pub(crate) fn dir_identity(handle: &DirHandle) -> io::Result<Identity> {
    identity(handle.as_handle())
}

/// As [`open_dir_at`]: a Windows directory handle serves listing and
/// `*at`-style creation alike.
pub(crate) fn open_handle_at(parent: &Dir, name: &OsStr) -> io::Result<DirHandle> {
    open_dir_at(parent, name)
}

/// `NtCreateFile(parent, name, FILE_OPEN, FILE_DIRECTORY_FILE |
/// FILE_OPEN_REPARSE_POINT)`: a link or junction at `name` is refused
/// (`ERROR_STOPPED_ON_SYMLINK`), never entered.
pub(crate) fn open_dir_at(parent: &Dir, name: &OsStr) -> io::Result<DirHandle> {
    let how = Open {
        access: DIR_ACCESS,
        share: SHARE_ALL,
        disposition: FILE_OPEN,
        options: FILE_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT,
        attributes: 0,
        security: None,
    };
    let dir = File::from(open_at(parent, name, &how)?);
    refuse_reparse_point(&dir)?;
    Ok(OwnedHandle::from(dir))
}

/// `DuplicateHandle`.
pub(crate) fn clone_dir(dir: &Dir) -> io::Result<DirHandle> {
    dir.handle.try_clone()
}

/// Windows has no directory sync: NTFS journals the change of name, and
/// `FlushFileBuffers` on the file (done before) makes its data durable.
pub(crate) fn sync_dir(_dir: &Dir) -> io::Result<()> {
    Ok(())
}

/// Read and write access, or read and append-only write (writes then go
/// to the end, whatever the position).
fn read_write(opts: &FileOptions) -> u32 {
    if opts.get_append() {
        FILE_GENERIC_READ | (FILE_GENERIC_WRITE & !FILE_WRITE_DATA)
    } else {
        FILE_GENERIC_READ | FILE_GENERIC_WRITE
    }
}

/// The attributes `mode` asks for: read-only without the owner's write
/// bit, as Python's `os.open` does on Windows.
fn attributes_of(mode: u32) -> u32 {
    if mode & 0o200 == 0 {
        FILE_ATTRIBUTE_READONLY
    } else {
        FILE_ATTRIBUTE_NORMAL
    }
}

/// `NtCreateFile(dir, name, FILE_CREATE, FILE_NON_DIRECTORY_FILE)`, read
/// and write, shared with others (it has a name so that others can open
/// it), with a DACL for the current user only unless `opts`'s mode gives
/// group or others access.
///
/// With [`FileOptions::delete_on_close`] (and the owner's write bit):
/// also `DELETE` access and `FILE_DELETE_ON_CLOSE`, kept only if the
/// system then shows it can clear the flag ([`deletes_on_close`]);
/// otherwise that handle is closed, which removes the new empty file, and
/// the file is created again without the flag, under the same name.
pub(crate) fn create_file_at(dir: &Dir, name: &OsStr, opts: &FileOptions) -> io::Result<File> {
    let units = new_component(name)?;
    let security = security::for_mode(opts.get_mode(), Kind::File)?;
    let wanted = opts.get_delete_on_close() && opts.get_mode() & 0o200 != 0;
    if wanted && !NO_ON_CLOSE.load(Ordering::Relaxed) {
        match create(dir, &units, opts, security, DELETE, FILE_DELETE_ON_CLOSE) {
            Ok(file) if deletes_on_close(&file) => return Ok(file),
            Ok(file) => {
                drop(file);
                // Someone opened it in the moment it existed (it is then
                // pending deletion until they close it): another name is
                // tried.
                return create(dir, &units, opts, security, 0, 0).map_err(|status| match status {
                    STATUS_DELETE_PENDING => io::ErrorKind::AlreadyExists.into(),
                    status => nt::error(status),
                });
            }
            Err(STATUS_OBJECT_NAME_COLLISION) => {
                return Err(io::ErrorKind::AlreadyExists.into());
            }
            // Refused with the flag (a file system that has none): the
            // plain creation says what is wrong, if anything.
            Err(_) => {}
        }
    }
    create(dir, &units, opts, security, 0, 0).map_err(nt::error)
}

/// A staged file ([`crate::linkable_file_at`]): [`create_file_at`]
/// without delete-on-close, with `DELETE` access when `opts` asks for
/// delete-on-close, for [`stage_pending`] and [`rename_open_at`].
pub(crate) fn create_staged_at(dir: &Dir, name: &OsStr, opts: &FileOptions) -> io::Result<File> {
    let access = if opts.get_delete_on_close() {
        DELETE
    } else {
        0
    };
    let security = security::for_mode(opts.get_mode(), Kind::File)?;
    create(dir, &new_component(name)?, opts, security, access, 0).map_err(nt::error)
}

/// `NtCreateFile(dir, name, FILE_CREATE, FILE_NON_DIRECTORY_FILE |
/// options)` with read and write access and `access`, shared with all.
fn create(
    dir: &Dir,
    name: &[u16],
    opts: &FileOptions,
    security: Option<&security::Descriptor>,
    access: u32,
    options: u32,
) -> Result<File, NTSTATUS> {
    let how = Open {
        access: read_write(opts) | access,
        share: SHARE_ALL,
        disposition: FILE_CREATE,
        options: FILE_NON_DIRECTORY_FILE | options,
        attributes: attributes_of(opts.get_mode()),
        security,
    };
    let handle = nt::open_at(dir.as_handle(), name, &how)?;
    if how.attributes & FILE_ATTRIBUTE_READONLY != 0 {
        // Wine drops the attribute when a security descriptor is given too;
        // set it again through the handle (which may write attributes).
        let _ = nt::set_attributes(handle.as_handle(), how.attributes);
    }
    Ok(File::from(handle))
}

/// Set once the system has shown it cannot set or clear a delete-on-close
/// flag (`FileDispositionInformationEx` unknown: Windows before 10 1709,
/// Wine): named files are then created without one.
static NO_ON_CLOSE: AtomicBool = AtomicBool::new(false);

/// Whether `file` deletes on close and the system can clear that: sets
/// the flag again (`FileDispositionInformationEx(FILE_DISPOSITION_ON_CLOSE
/// | FILE_DISPOSITION_DELETE)`), which the system accepts only of a handle
/// opened with `FILE_DELETE_ON_CLOSE`, and only where it can also clear
/// it. A system that does not know the call is remembered, not asked
/// again.
pub(crate) fn deletes_on_close(file: &File) -> bool {
    if NO_ON_CLOSE.load(Ordering::Relaxed) {
        return false;
    }
    match on_close(file, true) {
        Ok(()) => true,
        Err(status) => {
            if unsupported(status) == Some(true) {
                NO_ON_CLOSE.store(true, Ordering::Relaxed);
            }
            false
        }
    }
}

/// Sets (`delete`) or clears the delete-on-close flag of `file`:
/// `FileDispositionInformationEx(FILE_DISPOSITION_ON_CLOSE [|
/// FILE_DISPOSITION_DELETE])`.
pub(crate) fn set_delete_on_close(file: &File, delete: bool) -> io::Result<()> {
    on_close(file, delete).map_err(nt::error)
}

/// [`set_delete_on_close`], with the raw `NTSTATUS`.
fn on_close(file: &File, delete: bool) -> Result<(), NTSTATUS> {
    let delete = if delete { FILE_DISPOSITION_DELETE } else { 0 };
    let info = FILE_DISPOSITION_INFORMATION_EX {
        Flags: FILE_DISPOSITION_ON_CLOSE | delete,
    };
    nt::set_information(file.as_handle(), FileDispositionInformationEx, &info)
}

/// Gives a new staged file a delete disposition
/// (`FileDispositionInformation`, every Windows version and Wine): nobody
/// can open it from now on, and the system removes it when its handle
/// closes, also when the process is killed. Whether it was set (a
/// read-only file refuses it).
pub(crate) fn stage_pending(file: &File) -> bool {
    set_delete_pending(file, true).is_ok()
}

/// Sets or clears the delete disposition of `file`
/// (`FileDispositionInformation`).
pub(crate) fn set_delete_pending(file: &File, pending: bool) -> io::Result<()> {
    let info = FILE_DISPOSITION_INFORMATION {
        DeleteFile: pending,
    };
    nt::set_information(file.as_handle(), FileDispositionInformation, &info).map_err(nt::error)
}

/// Windows renames an open file through its handle ([`rename_open_at`]).
pub(crate) const RENAMES_OPEN_FILES: bool = true;

/// Renames the open `file` itself (it needs `DELETE` access: a staged file
/// made with [`FileOptions::delete_on_close`]) to `name` in `to`, as
/// [`rename_at`] renames a name: no name is looked up, so nothing that
/// took the staged name can be renamed instead.
pub(crate) fn rename_open_at(file: &File, to: &Dir, name: &OsStr, replace: bool) -> io::Result<()> {
    rename_handle(file.as_handle(), to, &new_component(name)?, replace)
}

/// `NtCreateFile(dir, name, FILE_CREATE, FILE_DIRECTORY_FILE)`, with a DACL
/// for the current user only (inherited by what is created inside) unless
/// `mode` gives group or others access.
pub(crate) fn create_dir_at(dir: &Dir, name: &OsStr, mode: u32) -> io::Result<()> {
    let how = Open {
        access: FILE_LIST_DIRECTORY,
        share: SHARE_ALL,
        disposition: FILE_CREATE,
        options: FILE_DIRECTORY_FILE,
        attributes: FILE_ATTRIBUTE_NORMAL,
        security: security::for_mode(mode, Kind::Directory)?,
    };
    nt::open_at(dir.as_handle(), &new_component(name)?, &how)
        .map(drop)
        .map_err(nt::error)
}

/// Removes the file (or file link) `name` from `dir`: see [`remove_at`].
pub(crate) fn remove_file_at(dir: &Dir, name: &OsStr) -> io::Result<()> {
    remove_at(dir, name, FILE_NON_DIRECTORY_FILE)
}

/// Removes the empty directory (or directory link or junction, not its
/// target) `name` from `dir`: see [`remove_at`].
pub(crate) fn remove_dir_at(dir: &Dir, name: &OsStr) -> io::Result<()> {
    remove_at(dir, name, FILE_DIRECTORY_FILE)
}

/// Set once the system has shown it has no POSIX delete semantics at all
/// (Windows before 10 1607, Wine): not asked again in this process.
static NO_POSIX_DELETE: AtomicBool = AtomicBool::new(false);

/// Removes `name` from `dir` through a handle opened on it relative to
/// `dir`, without following a link (`NtCreateFile(DELETE,
/// FILE_OPEN_REPARSE_POINT)`), so that the name is free when this returns,
/// as after `unlink` on unix, whoever else has the entry open:
///
/// - with POSIX delete semantics (`FileDispositionInformationEx`,
///   Windows 10 on NTFS) the name goes at once, read-only or not;
/// - without them (older Windows, FAT, Wine) the classic disposition
///   removes the entry when its last handle closes. When nobody else has
///   it open (an exclusive open succeeds) that is at once; otherwise the
///   entry is first renamed to a hidden random name in `dir`, which goes
///   when the others close it. A read-only attribute is cleared first.
fn remove_at(dir: &Dir, name: &OsStr, kind: u32) -> io::Result<()> {
    let name = component(name)?;
    if NO_POSIX_DELETE.load(Ordering::Relaxed) {
        match open_for_delete(dir, &name, kind, 0) {
            Ok(file) => return legacy_delete(&file).map_err(nt::error),
            Err(e) if e.raw_os_error() == Some(ERROR_SHARING_VIOLATION) => {}
            Err(e) => return Err(e),
        }
        let file = open_for_delete(dir, &name, kind, SHARE_ALL)?;
        return hide_and_delete(dir, &name, &file);
    }
    let file = open_for_delete(dir, &name, kind, SHARE_ALL)?;
    let info = FILE_DISPOSITION_INFORMATION_EX {
        Flags: FILE_DISPOSITION_DELETE
            | FILE_DISPOSITION_POSIX_SEMANTICS
            | FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE,
    };
    match nt::set_information(file.as_handle(), FileDispositionInformationEx, &info) {
        Ok(()) => Ok(()),
        Err(status) => match unsupported(status) {
            Some(system_wide) => {
                if system_wide {
                    NO_POSIX_DELETE.store(true, Ordering::Relaxed);
                }
                hide_and_delete(dir, &name, &file)
            }
            None => Err(nt::error(status)),
        },
    }
}

/// `ERROR_SHARING_VIOLATION`: someone has the entry open in a way that
/// conflicts with the open asked for.
const ERROR_SHARING_VIOLATION: i32 = 32;

/// Opens `name` in `dir` for deletion (and to read and clear attributes,
/// where the access list allows), the link itself if it is one, sharing
/// as `share` says.
fn open_for_delete(dir: &Dir, name: &[u16], kind: u32, share: u32) -> io::Result<File> {
    let open = |access| Open {
        access,
        share,
        disposition: FILE_OPEN,
        options: kind | FILE_OPEN_REPARSE_POINT,
        attributes: 0,
        security: None,
    };
    // Changing attributes may be denied where deleting is allowed.
    let all = DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES;
    match nt::open_at(dir.as_handle(), name, &open(all)) {
        Err(STATUS_ACCESS_DENIED) => {
            nt::open_at(dir.as_handle(), name, &open(DELETE | FILE_READ_ATTRIBUTES))
        }
        other => other,
    }
    .map(File::from)
    .map_err(nt::error)
}

/// Whether `status` says this information class is unknown to the system
/// (remembered) or unsupported by this file system (not remembered).
fn unsupported(status: NTSTATUS) -> Option<bool> {
    match status {
        STATUS_NOT_IMPLEMENTED | STATUS_INVALID_INFO_CLASS => Some(true),
        STATUS_INVALID_PARAMETER | STATUS_NOT_SUPPORTED => Some(false),
        _ => None,
    }
}

/// The classic delete of the entry open as `file`, for when others may
/// have it open: renames it to a hidden random name in `dir` first, so
/// that `name` is free at once, then marks it for deletion. If the
/// deletion is refused (a directory that is not empty), the entry gets its
/// name back. If it cannot be renamed (a directory with open files in it),
/// it is deleted under its name.
fn hide_and_delete(dir: &Dir, name: &[u16], file: &File) -> io::Result<()> {
    let hidden = hide(dir, file);
    match legacy_delete(file) {
        Ok(()) => Ok(()),
        Err(status) => {
            if hidden {
                let _ = nt::rename(
                    file.as_handle(),
                    FileRenameInformation,
                    0,
                    dir.as_handle(),
                    name,
                );
            }
            Err(nt::error(status))
        }
    }
}

/// Renames the entry open as `file` to a fresh hidden name in `dir`;
/// whether it worked.
fn hide(dir: &Dir, file: &File) -> bool {
    let Ok(names) = crate::name::Template::new(".tmp", ".deleted", crate::name::DEFAULT_RAND_LEN)
    else {
        return false;
    };
    (0..8).any(|_| {
        names.generate().is_ok_and(|hidden| {
            let hidden: Vec<u16> = hidden.encode_wide().collect();
            nt::rename(
                file.as_handle(),
                FileRenameInformation,
                0,
                dir.as_handle(),
                &hidden,
            )
            .is_ok()
        })
    })
}

/// `FileDispositionInformation`: the entry goes when its last handle
/// closes. A read-only entry has its attribute cleared first.
fn legacy_delete(file: &File) -> Result<(), NTSTATUS> {
    let info = FILE_DISPOSITION_INFORMATION { DeleteFile: true };
    match nt::set_information(file.as_handle(), FileDispositionInformation, &info) {
        Err(STATUS_CANNOT_DELETE) if clear_read_only(file) => {
            nt::set_information(file.as_handle(), FileDispositionInformation, &info)
        }
        other => other,
    }
}

/// Clears the read-only attribute of `file`; whether it was set and is
/// now clear.
fn clear_read_only(file: &File) -> bool {
    let Ok(meta) = file.metadata() else {
        return false;
    };
    let attributes = meta.file_attributes();
    attributes & FILE_ATTRIBUTE_READONLY != 0
        && nt::set_attributes(file.as_handle(), attributes & !FILE_ATTRIBUTE_READONLY).is_ok()
}

/// No `O_TMPFILE` on Windows.
pub(crate) fn tmpfile_at(
    _dir: &Dir,
    _opts: &FileOptions,
    _linkable: bool,
) -> io::Result<Option<File>> {
    Ok(None)
}

/// No `O_TMPFILE` on Windows.
pub(crate) fn tmpfile_in(_path: &Path, _opts: &FileOptions) -> io::Result<Option<File>> {
    Ok(None)
}

/// `NtCreateFile(dir, name, FILE_CREATE, FILE_DELETE_ON_CLOSE)` with
/// `FILE_ATTRIBUTE_TEMPORARY` (the cache manager then avoids writing it to
/// disk) and no sharing at all: nobody else can open it while it exists,
/// and it is removed when its handle closes, also when the process is
/// killed. Its name stays listed until then: deleting it at once with
/// POSIX semantics was seen to corrupt file systems under load by the
/// `tempfile` crate (its issue 339), so it is not done.
pub(crate) fn anonymous_fallback_at(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<File> {
    let how = Open {
        access: read_write(opts) | DELETE,
        share: 0,
        disposition: FILE_CREATE,
        options: FILE_NON_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE,
        attributes: FILE_ATTRIBUTE_TEMPORARY,
        security: security::for_mode(opts.get_mode(), Kind::File)?,
    };
    crate::create::with_fresh_name(dir, names, "creating an anonymous file in", |name| {
        let handle =
            nt::open_at(dir.as_handle(), &new_component(name)?, &how).map_err(nt::error)?;
        Ok(File::from(handle))
    })
    .map(|(file, _name)| file)
}

/// Only `O_TMPFILE` files are linked this way, and Windows has none.
pub(crate) fn link_anonymous_at(_file: &File, _to: &Dir, _name: &OsStr) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Whether `name` in `dir` is the open `file` itself: opens the name
/// relative to `dir` without following a link (`NtCreateFile(
/// FILE_READ_ATTRIBUTES, FILE_OPEN_REPARSE_POINT)`) and compares volume
/// serial number and file index (`GetFileInformationByHandle` on both).
pub(crate) fn same_file_at(dir: &Dir, name: &OsStr, file: &File) -> io::Result<bool> {
    let how = Open {
        access: FILE_READ_ATTRIBUTES,
        share: SHARE_ALL,
        disposition: FILE_OPEN,
        options: FILE_OPEN_REPARSE_POINT,
        attributes: 0,
        security: None,
    };
    let at = open_at(dir, name, &how)?;
    Ok(identity(at.as_handle())? == identity(file.as_handle())?)
}

/// The volume serial number and file index of an open file: what tells
/// two files apart on Windows (device and inode on unix).
fn identity(handle: BorrowedHandle<'_>) -> io::Result<(u32, u64)> {
    // SAFETY: an all-zero BY_HANDLE_FILE_INFORMATION is valid.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: `handle` is an open handle for the duration of the call;
    // `info` is writable.
    let ok = unsafe { GetFileInformationByHandle(handle.as_raw_handle() as HANDLE, &mut info) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Ok((info.dwVolumeSerialNumber, index))
}

/// Set once the system has shown it has no `FileRenameInformationEx`.
static NO_RENAME_EX: AtomicBool = AtomicBool::new(false);

/// Opens `from_name` relative to `from` (`DELETE` access, the link itself
/// if it is one), then renames it through that handle to `to_name`
/// relative to `to`. Replacing: `FileRenameInformationEx` with
/// `FILE_RENAME_REPLACE_IF_EXISTS | FILE_RENAME_POSIX_SEMANTICS` (an open
/// target is replaced too, as on unix), else `FileRenameInformation` with
/// `ReplaceIfExists`, as `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` does.
/// Not replacing: `FileRenameInformation` without `ReplaceIfExists`,
/// atomic, failing with `AlreadyExists` if anything is at the target.
pub(crate) fn rename_at(
    from: &Dir,
    from_name: &OsStr,
    to: &Dir,
    to_name: &OsStr,
    replace: bool,
) -> io::Result<()> {
    let target = new_component(to_name)?;
    let how = Open {
        access: DELETE,
        share: SHARE_ALL,
        disposition: FILE_OPEN,
        options: FILE_OPEN_REPARSE_POINT,
        attributes: 0,
        security: None,
    };
    let source = open_at(from, from_name, &how)?;
    rename_handle(source.as_handle(), to, &target, replace)
}

/// The rename of [`rename_at`], through the open `source`.
fn rename_handle(
    source: BorrowedHandle<'_>,
    to: &Dir,
    target: &[u16],
    replace: bool,
) -> io::Result<()> {
    let rename = |class, flags| nt::rename(source, class, flags, to.as_handle(), target);
    if replace && !NO_RENAME_EX.load(Ordering::Relaxed) {
        let flags = FILE_RENAME_REPLACE_IF_EXISTS | FILE_RENAME_POSIX_SEMANTICS;
        match rename(FileRenameInformationEx, flags) {
            Ok(()) => return Ok(()),
            Err(status) => match unsupported(status) {
                Some(system_wide) => {
                    if system_wide {
                        NO_RENAME_EX.store(true, Ordering::Relaxed);
                    }
                }
                None => return Err(nt::error(status)),
            },
        }
    }
    rename(FileRenameInformation, u32::from(replace)).map_err(nt::error)
}

/// Python's Windows candidates after the environment: the user's
/// `AppData\Local\Temp`, `%SYSTEMROOT%\Temp`, `c:\temp`, `c:\tmp`,
/// `\temp`, `\tmp`. (Python keeps an unexpanded `%SYSTEMROOT%` literally;
/// This process's ID.
pub(crate) fn process_id() -> u32 {
    std::process::id()
}

/// What discovery's error adds when no directory was usable: nothing here.
pub(crate) const NO_TEMP_DIR_HINT: &str = "";

/// such a candidate can never be used, so it is left out.)
pub(crate) fn platform_temp_dirs(env: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let home = env("USERPROFILE").filter(|h| !h.is_empty()).or_else(|| {
        let mut home = env("HOMEDRIVE").unwrap_or_default();
        home.push(env("HOMEPATH")?);
        Some(home)
    });
    if let Some(home) = home {
        dirs.push(PathBuf::from(home).join(r"AppData\Local\Temp"));
    }
    if let Some(root) = env("SYSTEMROOT").filter(|r| !r.is_empty()) {
        dirs.push(PathBuf::from(root).join("Temp"));
    }
    dirs.extend([r"c:\temp", r"c:\tmp", r"\temp", r"\tmp"].map(PathBuf::from));
    dirs
}

/// Whether the environment may choose where temporary files go: always
/// on Windows, which has no set-user-ID programs.
pub(crate) fn environment_is_trusted() -> bool {
    true
}

/// Whether `e` says the process or the system ran short of something
/// (`ERROR_TOO_MANY_OPEN_FILES`, `ERROR_NOT_ENOUGH_MEMORY`,
/// `ERROR_OUTOFMEMORY`, `ERROR_NO_SYSTEM_RESOURCES`) rather than anything
/// about the path it concerns.
pub(crate) fn is_out_of_resources(e: &io::Error) -> bool {
    use windows_sys::Win32::Foundation::{
        ERROR_NO_SYSTEM_RESOURCES, ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY,
        ERROR_TOO_MANY_OPEN_FILES,
    };
    e.raw_os_error().is_some_and(|code| {
        [
            ERROR_TOO_MANY_OPEN_FILES,
            ERROR_NOT_ENOUGH_MEMORY,
            ERROR_OUTOFMEMORY,
            ERROR_NO_SYSTEM_RESOURCES,
        ]
        .iter()
        .any(|&known| u32::try_from(code) == Ok(known))
    })
}

/// Python's `ntpath.abspath`: join to `cwd` if relative, then normalise
/// lexically (`ntpath.normpath`).
pub(crate) fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in joined.components() {
        match component {
            Component::Prefix(prefix) => out.push(prefix.as_os_str()),
            Component::RootDir => out.push(r"\"),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth > 0 {
                    out.pop();
                    depth -= 1;
                }
            }
            Component::Normal(part) => {
                out.push(part);
                depth += 1;
            }
        }
    }
    out
}

/// Windows has no `fork`: ordinary memory is safe for the random pool.
pub(crate) struct WipedPage {
    bytes: Box<[u8; 4096]>,
}

impl WipedPage {
    /// A zeroed page on the heap.
    pub(crate) fn new() -> Option<WipedPage> {
        Some(WipedPage {
            bytes: Box::new([0; 4096]),
        })
    }

    /// The page's bytes.
    pub(crate) fn bytes(&mut self) -> &mut [u8] {
        &mut self.bytes[..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_one_component_are_refused() {
        for bad in ["", ".", "..", "a\\b", "a/b", "file:stream", "nul\0"] {
            let err = component(OsStr::new(bad)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(component(OsStr::new("tmp.abc")).is_ok());
        assert!(component(OsStr::new("trailing.")).is_ok());
        for bad in ["trailing.", "trailing "] {
            let err = new_component(OsStr::new(bad)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn colons_are_refused_in_names() {
        assert!(
            forbidden_name_char(OsStr::new("a:b"))
                .unwrap()
                .contains("stream")
        );
        assert!(
            forbidden_name_char(OsStr::new("a\\b"))
                .unwrap()
                .contains("separator")
        );
        assert_eq!(forbidden_name_char(OsStr::new("report-2024.csv")), None);
    }

    #[test]
    fn modes_map_to_attributes() {
        assert_eq!(attributes_of(0o600), FILE_ATTRIBUTE_NORMAL);
        assert_eq!(attributes_of(0o400), FILE_ATTRIBUTE_READONLY);
    }
}
