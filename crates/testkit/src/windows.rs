//! Windows: who may open a file, read from its access control list.

use std::ffi::{OsStr, c_void};
use std::os::windows::ffi::OsStrExt;
use std::path::Path;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, ConvertSidToStringSidW,
    GetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    DACL_SECURITY_INFORMATION, GetTokenInformation, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// The string SID (`S-1-5-21-...`) of the user this process runs as.
pub fn current_user_sid() -> String {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; `token` is closed below.
    let opened = unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) };
    assert_ne!(
        opened,
        0,
        "OpenProcessToken: {}",
        std::io::Error::last_os_error()
    );
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
    assert_ne!(
        ok,
        0,
        "GetTokenInformation: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: opened above, not used again.
    unsafe { CloseHandle(token) };
    // SAFETY: a TOKEN_USER was written at the start of the aligned buffer.
    let user = unsafe { &*buffer.as_ptr().cast::<TOKEN_USER>() };
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: the SID is valid; `text` is freed by `take_string`.
    let ok = unsafe { ConvertSidToStringSidW(user.User.Sid, &mut text) };
    assert_ne!(
        ok,
        0,
        "ConvertSidToStringSidW: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: a LocalAlloc'd NUL-terminated string from the call above.
    unsafe { take_string(text) }
}

/// The DACL of `path` in SDDL (`D:P(A;OICI;FA;;;S-1-5-21-...)...`), read
/// with `GetNamedSecurityInfoW` (which does not follow a final link).
pub fn dacl_sddl(path: &Path) -> String {
    let wide: Vec<u16> = OsStr::new(path).encode_wide().chain([0]).collect();
    let mut descriptor: *mut c_void = std::ptr::null_mut();
    // SAFETY: `wide` is NUL-terminated; `descriptor` receives a LocalAlloc'd
    // copy, freed below; the other out-pointers are not wanted.
    let status = unsafe {
        GetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    assert_eq!(status, 0, "GetNamedSecurityInfoW({})", path.display());
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `descriptor` is valid; `text` is freed by `take_string`.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            descriptor,
            SDDL_REVISION_1,
            DACL_SECURITY_INFORMATION,
            &mut text,
            std::ptr::null_mut(),
        )
    };
    // SAFETY: allocated by GetNamedSecurityInfoW.
    unsafe { LocalFree(descriptor) };
    assert_ne!(
        ok, 0,
        "ConvertSecurityDescriptorToStringSecurityDescriptorW"
    );
    // SAFETY: a LocalAlloc'd NUL-terminated string from the call above.
    unsafe { take_string(text) }
}

/// The trustees (SIDs, or SDDL aliases such as `SY` for SYSTEM and `WD`
/// for Everyone) that the DACL of `path` allows anything.
pub fn allowed_trustees(path: &Path) -> Vec<String> {
    let sddl = dacl_sddl(path);
    sddl.split('(')
        .skip(1)
        .filter_map(|ace| {
            let fields: Vec<&str> = ace.trim_end_matches(')').split(';').collect();
            (fields.first() == Some(&"A")).then(|| fields.last().unwrap_or(&"").to_string())
        })
        .collect()
}

/// Copies and frees a LocalAlloc'd NUL-terminated UTF-16 string.
///
/// # Safety
///
/// `text` must be such a string, not used after this call.
unsafe fn take_string(text: *mut u16) -> String {
    let mut len = 0;
    // SAFETY: the string is NUL-terminated (caller's promise).
    while unsafe { *text.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` units before the NUL are initialised.
    let out = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, len) });
    // SAFETY: LocalAlloc'd (caller's promise) and not used again.
    unsafe { LocalFree(text.cast()) };
    out
}

/// Whether this system can clear the delete-on-close flag of an open file
/// (`FileDispositionInfoEx` with `FILE_DISPOSITION_FLAG_ON_CLOSE`,
/// Windows 10 1709 and later on NTFS; not Wine 8): only then are named
/// temporary files created deleting on close. Probed once, with `std` and
/// `SetFileInformationByHandle`, not through the code under test: a file
/// opened with `FILE_FLAG_DELETE_ON_CLOSE` has the flag cleared, is
/// closed, and must still be there.
pub fn delete_on_close_can_be_cleared() -> bool {
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_DISPOSITION_FLAG_ON_CLOSE, FILE_DISPOSITION_INFO_EX, FILE_FLAG_DELETE_ON_CLOSE,
        FileDispositionInfoEx,
    };

    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        let scratch = crate::Scratch::new("on-close-probe");
        let path = scratch.join("probe");
        let file = create_probe(&path, FILE_FLAG_DELETE_ON_CLOSE);
        let info = FILE_DISPOSITION_INFO_EX {
            Flags: FILE_DISPOSITION_FLAG_ON_CLOSE,
        };
        let cleared = set_information(&file, FileDispositionInfoEx, &info);
        drop(file);
        let kept = path.exists();
        assert_eq!(
            cleared, kept,
            "the flag was cleared ({cleared}) but the file kept ({kept})"
        );
        kept
    })
}

/// Whether a file pending deletion (`FileDispositionInfo`) refuses to be
/// opened, as Windows does (`STATUS_DELETE_PENDING`, `PermissionDenied`);
/// Wine 8 opens it. Probed once, with `std` and
/// `SetFileInformationByHandle`: a file is given a delete disposition and
/// opened by its path.
pub fn pending_deletion_refuses_opens() -> bool {
    use windows_sys::Win32::Storage::FileSystem::{FILE_DISPOSITION_INFO, FileDispositionInfo};

    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        let scratch = crate::Scratch::new("pending-probe");
        let path = scratch.join("probe");
        let file = create_probe(&path, 0);
        let info = FILE_DISPOSITION_INFO { DeleteFile: true };
        let set = set_information(&file, FileDispositionInfo, &info);
        assert!(set, "{}", std::io::Error::last_os_error());
        let refused = std::fs::File::open(&path).is_err();
        drop(file);
        refused
    })
}

/// Creates the probe file `path`, readable, writable and deletable, with
/// the extra `flags` (`FILE_FLAG_*`).
fn create_probe(path: &Path, flags: u32) -> std::fs::File {
    use std::os::windows::fs::OpenOptionsExt;
    use windows_sys::Win32::Storage::FileSystem::{DELETE, FILE_GENERIC_READ, FILE_GENERIC_WRITE};

    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .access_mode(FILE_GENERIC_READ | FILE_GENERIC_WRITE | DELETE)
        .custom_flags(flags)
        .open(path)
        .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()))
}

/// `SetFileInformationByHandle(file, class, info)`: whether it succeeded.
fn set_information<T>(
    file: &std::fs::File,
    class: windows_sys::Win32::Storage::FileSystem::FILE_INFO_BY_HANDLE_CLASS,
    info: &T,
) -> bool {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::SetFileInformationByHandle;

    // SAFETY: `file` is open; `info` is a whole record of the class `class`
    // names, of the size given.
    unsafe {
        SetFileInformationByHandle(
            file.as_raw_handle(),
            class,
            (info as *const T).cast(),
            std::mem::size_of::<T>() as u32,
        ) != 0
    }
}

/// The address of `kernel32!CtrlRoutine` in this process: the routine a
/// console control event runs in the process it is sent to (it calls the
/// handlers registered with `SetConsoleCtrlHandler`, the most recent
/// first, then the system's, which ends the process). A child prints it
/// for [`send_console_event`].
pub fn ctrl_routine_address() -> usize {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};

    // SAFETY: kernel32 is loaded in every process; the names are
    // NUL-terminated.
    let routine = unsafe {
        let kernel32 = GetModuleHandleA(c"kernel32.dll".as_ptr().cast());
        assert!(!kernel32.is_null(), "kernel32.dll is not loaded");
        GetProcAddress(kernel32, c"CtrlRoutine".as_ptr().cast())
    };
    routine.expect("kernel32.dll exports no CtrlRoutine") as usize
}

/// Sends the console control event `event` (`CTRL_C_EVENT`,
/// `CTRL_BREAK_EVENT`, ...) to `child` the way the console host delivers
/// one: a thread started in the child at `CtrlRoutine` (`routine`, the
/// child's [`ctrl_routine_address`]) with the event as its argument.
/// `GenerateConsoleCtrlEvent` would need a console shared with the child,
/// which a test run under CI or Wine does not have, and reaches every
/// process of a console's group.
pub fn send_console_event(child: &std::process::Child, routine: usize, event: u32) {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::System::Threading::{
        CreateRemoteThread, INFINITE, LPTHREAD_START_ROUTINE, WaitForSingleObject,
    };

    // SAFETY: `routine` is the child's `CtrlRoutine`, a thread start
    // routine taking one pointer-sized argument.
    let start: LPTHREAD_START_ROUTINE = unsafe { std::mem::transmute(routine) };
    // SAFETY: `child` is a process handle with every access right (from
    // `CreateProcess`); the thread's handle is closed below.
    let thread = unsafe {
        CreateRemoteThread(
            child.as_raw_handle(),
            std::ptr::null(),
            0,
            start,
            event as usize as *const c_void,
            0,
            std::ptr::null_mut(),
        )
    };
    assert!(
        !thread.is_null(),
        "starting CtrlRoutine in the child: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `thread` is open until closed here. The routine returns
    // once every handler has run, or never, when the last ends the process.
    unsafe {
        WaitForSingleObject(thread, INFINITE);
        CloseHandle(thread);
    }
}

/// Registers a console control handler that records each event it
/// receives and keeps the process alive (returns `TRUE`): an application
/// that takes the events over. Returns how many it has received.
pub fn take_console_events_over() -> &'static std::sync::atomic::AtomicU32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;

    static RECEIVED: AtomicU32 = AtomicU32::new(0);
    unsafe extern "system" fn handler(_event: u32) -> windows_sys::core::BOOL {
        RECEIVED.fetch_add(1, Ordering::SeqCst);
        1
    }
    // SAFETY: `handler` has the signature of a `HandlerRoutine` and lives
    // as long as the process.
    let ok = unsafe { SetConsoleCtrlHandler(Some(handler), 1) };
    assert_ne!(ok, 0, "{}", std::io::Error::last_os_error());
    &RECEIVED
}
