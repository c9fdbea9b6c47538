//! Files and directories private to the current user: Windows' answer to
//! modes 0600 and 0700.
//!
//! Windows ignores permission bits. A new entry inherits the access
//! control list of its directory, and in a shared directory (`C:\Temp`,
//! `C:\Windows\Temp`, a project folder) that often lets other users read
//! it (threat 1 of `docs/security.md`, CPython's flaw until 3.12.4).
//! Entries created here instead get a *protected* DACL (nothing inherited
//! from the parent) with one entry: full control for the user the process
//! runs as. Directories pass that entry on to what
//! is created inside them (object and container inherit), so files that
//! other code creates in a private temporary directory are private too.
//!
//! Unlike CPython's fix, SYSTEM and the Administrators group are not
//! granted; `docs/platforms.md` says what that leaves them.

use std::ffi::c_void;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{GetTokenInformation, TOKEN_QUERY, TOKEN_USER, TokenUser};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// A self-relative security descriptor, made once and kept for the life of
/// the process.
pub(crate) struct Descriptor(*mut c_void);

// SAFETY: the descriptor is never written after it is built; the system
// calls that receive it only read it.
unsafe impl Send for Descriptor {}
// SAFETY: as above.
unsafe impl Sync for Descriptor {}

impl Descriptor {
    /// The descriptor, for `OBJECT_ATTRIBUTES.SecurityDescriptor`.
    pub(crate) fn as_ptr(&self) -> *const c_void {
        self.0
    }
}

/// What a new entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Directory,
}

/// The descriptors for private files and directories, or the OS error met
/// building them.
struct Private {
    file: Descriptor,
    directory: Descriptor,
}

static PRIVATE: OnceLock<Result<Private, i32>> = OnceLock::new();

/// The security descriptor that `mode` asks for on Windows: one private to
/// the current user when `mode` gives nothing to group and others (0600,
/// 0700: the defaults), `None` (inherit the directory's) when it does.
pub(crate) fn for_mode(mode: u32, kind: Kind) -> io::Result<Option<&'static Descriptor>> {
    if mode & 0o077 != 0 {
        return Ok(None);
    }
    match PRIVATE.get_or_init(build) {
        Ok(private) => Ok(Some(match kind {
            Kind::File => &private.file,
            Kind::Directory => &private.directory,
        })),
        Err(code) => Err(io::Error::from_raw_os_error(*code)),
    }
}

/// The SDDL of a private entry: a protected DACL (`P`) allowing full
/// access (`FA`) to the user `sid`, inherited by children of a directory
/// (`OICI`).
pub(crate) fn sddl(sid: &str, kind: Kind) -> String {
    let inherit = match kind {
        Kind::File => "",
        Kind::Directory => "OICI",
    };
    format!("D:P(A;{inherit};FA;;;{sid})")
}

fn build() -> Result<Private, i32> {
    let sid = user_sid().map_err(code)?;
    let file = descriptor(&sddl(&sid, Kind::File)).map_err(code)?;
    let directory = descriptor(&sddl(&sid, Kind::Directory)).map_err(code)?;
    Ok(Private { file, directory })
}

fn code(e: io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// `ConvertStringSecurityDescriptorToSecurityDescriptorW`.
fn descriptor(sddl: &str) -> io::Result<Descriptor> {
    let wide: Vec<u16> = std::ffi::OsStr::new(sddl)
        .encode_wide()
        .chain([0])
        .collect();
    let mut out: *mut c_void = std::ptr::null_mut();
    // SAFETY: `wide` is NUL-terminated; `out` receives a LocalAlloc'd
    // descriptor that is kept for the life of the process.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            wide.as_ptr(),
            SDDL_REVISION_1,
            &mut out,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Descriptor(out))
}

/// The SID of the user this process runs as, in string form
/// (`S-1-5-21-...`): `OpenProcessToken`, `GetTokenInformation(TokenUser)`,
/// `ConvertSidToStringSidW`.
pub(crate) fn user_sid() -> io::Result<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; `token` receives a new
    // handle, closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let sid = token_user_sid(token);
    // SAFETY: `token` was opened above and is not used after this.
    unsafe { CloseHandle(token) };
    sid
}

fn token_user_sid(token: HANDLE) -> io::Result<String> {
    // A TOKEN_USER with its SID: well under 128 bytes; u64 for alignment.
    let mut buffer = [0u64; 32];
    let mut needed = 0u32;
    // SAFETY: `buffer` is writable for the size given.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenUser,
            buffer.as_mut_ptr().cast(),
            std::mem::size_of_val(&buffer) as u32,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: GetTokenInformation wrote a TOKEN_USER at the start of the
    // aligned buffer; its SID pointer points into the same buffer.
    let user = unsafe { &*buffer.as_ptr().cast::<TOKEN_USER>() };
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: the SID is valid (above); `text` receives a LocalAlloc'd
    // NUL-terminated string, freed below.
    if unsafe { ConvertSidToStringSidW(user.User.Sid, &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let mut len = 0;
    // SAFETY: the string is NUL-terminated.
    while unsafe { *text.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` units before the NUL are initialised.
    let sid = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, len) });
    // SAFETY: allocated by ConvertSidToStringSidW with LocalAlloc.
    unsafe { LocalFree(text.cast()) };
    Ok(sid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_modes_private_to_the_owner_get_a_descriptor() {
        assert!(for_mode(0o600, Kind::File).unwrap().is_some());
        assert!(for_mode(0o700, Kind::Directory).unwrap().is_some());
        assert!(for_mode(0o400, Kind::File).unwrap().is_some());
        assert!(for_mode(0o640, Kind::File).unwrap().is_none());
        assert!(for_mode(0o755, Kind::Directory).unwrap().is_none());
    }

    #[test]
    fn the_dacl_is_protected_and_names_only_the_user() {
        let sid = user_sid().unwrap();
        assert!(sid.starts_with("S-1-"), "{sid}");
        assert_eq!(sddl(&sid, Kind::File), format!("D:P(A;;FA;;;{sid})"));
        assert_eq!(
            sddl(&sid, Kind::Directory),
            format!("D:P(A;OICI;FA;;;{sid})")
        );
    }
}
