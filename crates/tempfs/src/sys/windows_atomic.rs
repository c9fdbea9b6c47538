//! Windows primitives of the atomic save (`crate::atomic`), with the unix
//! names: what is at the target and where a link points (by path:
//! `GetFileAttributesEx` and `DeviceIoControl` through std), and the
//! metadata carried over (the DACL with `GetNamedSecurityInfoW` and
//! `SetNamedSecurityInfoW`, the read-only attribute, the times).

use std::ffi::OsStr;
use std::fs::{File, FileTimes};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::SystemTime;

use tempcore::Dir;
use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_LOCK_VIOLATION, ERROR_SHARING_VIOLATION, ERROR_SUCCESS, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    GetNamedSecurityInfoW, SE_FILE_OBJECT, SetNamedSecurityInfoW,
};
use windows_sys::Win32::Security::{
    ACL, ACL_REVISION, DACL_SECURITY_INFORMATION, GetSecurityDescriptorControl, InitializeAcl,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, SE_DACL_PROTECTED,
    UNPROTECTED_DACL_SECURITY_INFORMATION,
};

/// Windows has no umask: a new file gets the access list it inherits
/// from its directory (see [`carry_over`]), as `File::create` gives it.
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
    /// Anything else: refused; names the type.
    Other(&'static str),
}

/// The metadata of the replaced file that a save carries over: its path
/// (to read its access list when the save commits), whether it is
/// read-only, and its times.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    path: PathBuf,
    readonly: bool,
    times: (Option<SystemTime>, Option<SystemTime>),
}

impl Kept {
    /// 0o400 for a read-only file, else 0o600 (the only distinction
    /// Windows' attributes make).
    pub(crate) fn mode(&self) -> u32 {
        if self.readonly { 0o400 } else { 0o600 }
    }
}

/// `GetFileAttributesEx` (std's `symlink_metadata`) on the entry's path:
/// Windows resolves by path here; `None` when nothing is there.
pub(crate) fn entry_at(dir: &Dir, name: &OsStr) -> io::Result<Option<Entry>> {
    let path = dir.join(name);
    let meta = match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        other => other?,
    };
    let kind = if meta.is_symlink() {
        EntryKind::Link
    } else if meta.is_dir() {
        EntryKind::Dir
    } else if meta.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other("reparse point")
    };
    let kept = Kept {
        path,
        readonly: meta.permissions().readonly(),
        times: (meta.accessed().ok(), meta.modified().ok()),
    };
    Ok(Some(Entry { kind, kept }))
}

/// Never on Windows: no directory there is sticky.
pub(crate) fn foreign_in_shared_dir(_dir: &Dir, _entry: &Entry) -> io::Result<bool> {
    Ok(false)
}

/// Where the symbolic link `name` in `dir` points (std's `read_link`, by
/// path).
pub(crate) fn read_link_at(dir: &Dir, name: &OsStr) -> io::Result<PathBuf> {
    std::fs::read_link(dir.join(name))
}

/// Opens the directory `rel` beside `dir`, by the joined path.
pub(crate) fn open_dir_beside(dir: &Dir, rel: &Path) -> io::Result<Dir> {
    Dir::open(dir.join(rel))
}

/// With `keep_access`, gives the new file (staged under `staged`) the
/// replaced file's access list, or for a new file the one it inherits
/// from its directory as `File::create` would (`SetNamedSecurityInfoW`
/// with an empty, unprotected DACL); without it, the inherited one if
/// `mode` gives group or others any access, else the private access list
/// it was created with. Then read-only if `mode` has no owner write bit;
/// then, with `times`, the replaced file's times (`SetFileTime`).
/// Windows has no owner to carry over by mode; the owner stays the
/// current user.
pub(crate) fn carry_over(
    file: &File,
    staged: Option<&Path>,
    kept: Option<&Kept>,
    keep_access: bool,
    mode: Option<u32>,
    times: bool,
) -> io::Result<()> {
    if let Some(staged) = staged {
        match (keep_access, kept) {
            (true, Some(kept)) => copy_dacl(&kept.path, staged)?,
            (true, None) => inherit_dacl(staged)?,
            (false, _) if matches!(mode, Some(m) if m & 0o077 != 0) => inherit_dacl(staged)?,
            (false, _) => {}
        }
    }
    if let Some(mode) = mode {
        if mode & 0o200 == 0 {
            let mut permissions = file.metadata()?.permissions();
            permissions.set_readonly(true);
            file.set_permissions(permissions)?;
        }
    }
    if let (Some(kept), true) = (kept, times) {
        let mut stamps = FileTimes::new();
        if let Some(accessed) = kept.times.0 {
            stamps = stamps.set_accessed(accessed);
        }
        if let Some(modified) = kept.times.1 {
            stamps = stamps.set_modified(modified);
        }
        file.set_times(stamps)?;
    }
    Ok(())
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain([0]).collect()
}

fn win32(code: u32) -> io::Result<()> {
    if code == ERROR_SUCCESS {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(code as i32))
    }
}

/// Copies the DACL of `from` to `to`, protected if it was.
fn copy_dacl(from: &Path, to: &Path) -> io::Result<()> {
    let (from, to) = (wide(from), wide(to));
    let mut dacl: *mut ACL = ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `from` is NUL-terminated; the out-pointers are valid; the
    // descriptor is freed below with LocalFree, as the function requires.
    win32(unsafe {
        GetNamedSecurityInfoW(
            from.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            ptr::null_mut(),
            ptr::null_mut(),
            &mut dacl,
            ptr::null_mut(),
            &mut descriptor,
        )
    })?;
    let mut control = 0u16;
    let mut revision = 0u32;
    // SAFETY: `descriptor` is the valid descriptor just returned.
    let ok = unsafe { GetSecurityDescriptorControl(descriptor, &mut control, &mut revision) };
    let protection = if ok != 0 && control & SE_DACL_PROTECTED != 0 {
        PROTECTED_DACL_SECURITY_INFORMATION
    } else {
        UNPROTECTED_DACL_SECURITY_INFORMATION
    };
    // SAFETY: `to` is NUL-terminated; `dacl` points into `descriptor`,
    // which is still alive.
    let set = win32(unsafe {
        SetNamedSecurityInfoW(
            to.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | protection,
            ptr::null_mut(),
            ptr::null_mut(),
            dacl,
            ptr::null(),
        )
    });
    // SAFETY: allocated by GetNamedSecurityInfoW, freed once.
    unsafe { LocalFree(descriptor) };
    set
}

/// Replaces the private DACL of `to` with the entries it inherits from
/// its directory: an empty, unprotected DACL (never a null one, which
/// would let everyone in).
fn inherit_dacl(to: &Path) -> io::Result<()> {
    let to = wide(to);
    // SAFETY: an all-zero ACL header is valid storage for InitializeAcl.
    let mut acl: ACL = unsafe { std::mem::zeroed() };
    // SAFETY: `acl` is writable and exactly the size given.
    let ok = unsafe { InitializeAcl(&mut acl, size_of::<ACL>() as u32, ACL_REVISION) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `to` is NUL-terminated; `acl` is an initialised empty ACL.
    win32(unsafe {
        SetNamedSecurityInfoW(
            to.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | UNPROTECTED_DACL_SECURITY_INFORMATION,
            ptr::null_mut(),
            ptr::null_mut(),
            &acl,
            ptr::null(),
        )
    })
}

/// Whether `e` is what Windows says while another process (an
/// antivirus, an indexer) holds the target open without sharing delete:
/// `ERROR_SHARING_VIOLATION`, `ERROR_LOCK_VIOLATION` or
/// `ERROR_ACCESS_DENIED` (a file pending deletion or mapped).
pub(crate) fn is_sharing_violation(e: &io::Error) -> bool {
    let os = tempcore::PathError::find(e).map_or(e, |p| p.os_error());
    matches!(
        os.raw_os_error().map(|c| c as u32),
        Some(ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION | ERROR_ACCESS_DENIED)
    )
}
