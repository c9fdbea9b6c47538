//! The NT calls `std` does not wrap: opening and creating entries relative
//! to a directory handle (`NtCreateFile` with `RootDirectory`, the Windows
//! `openat`), and removing, renaming or changing the attributes of a file
//! through its handle (`NtSetInformationFile`). `std`'s own
//! `remove_dir_all` opens relative to handles the same way on Windows, for
//! the same reason (CVE-2022-21658).

use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{
    FILE_BASIC_INFORMATION, FILE_INFORMATION_CLASS, FILE_RENAME_INFORMATION,
    FILE_SYNCHRONOUS_IO_NONALERT, FileBasicInformation, NtCreateFile, NtSetInformationFile,
};
use windows_sys::Win32::Foundation::{
    HANDLE, NTSTATUS, OBJ_CASE_INSENSITIVE, RtlNtStatusToDosError, UNICODE_STRING,
};
use windows_sys::Win32::Security::SECURITY_DESCRIPTOR;
use windows_sys::Win32::Storage::FileSystem::SYNCHRONIZE;
use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;

use super::security::Descriptor;

/// How to open or create an entry: the arguments of `NtCreateFile`.
#[derive(Clone, Copy)]
pub(crate) struct Open<'a> {
    /// Access rights (`SYNCHRONIZE` is always added).
    pub(crate) access: u32,
    /// Which opens by others may coexist with this one.
    pub(crate) share: u32,
    /// `FILE_OPEN`, `FILE_CREATE`, ...
    pub(crate) disposition: u32,
    /// `FILE_DIRECTORY_FILE`, `FILE_OPEN_REPARSE_POINT`, ...
    /// (`FILE_SYNCHRONOUS_IO_NONALERT` is always added, as `std` expects
    /// of a `File`).
    pub(crate) options: u32,
    /// Attributes of a new file (`FILE_ATTRIBUTE_*`).
    pub(crate) attributes: u32,
    /// The security descriptor of a new entry; `None` inherits from the
    /// directory.
    pub(crate) security: Option<&'a Descriptor>,
}

/// `NtCreateFile` of `name` (one UTF-16 file name) relative to `dir`, case
/// insensitive as Win32 is. The error is the raw `NTSTATUS`, for callers
/// that react to particular ones; [`error`] turns it into an
/// [`io::Error`].
pub(crate) fn open_at(
    dir: BorrowedHandle<'_>,
    name: &[u16],
    how: &Open<'_>,
) -> Result<OwnedHandle, NTSTATUS> {
    let bytes = u16::try_from(std::mem::size_of_val(name)).map_err(|_| STATUS_NAME_TOO_LONG)?;
    let unicode = UNICODE_STRING {
        Length: bytes,
        MaximumLength: bytes,
        // NtCreateFile only reads the name.
        Buffer: name.as_ptr().cast_mut(),
    };
    let attributes = OBJECT_ATTRIBUTES {
        Length: std::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: dir.as_raw_handle() as HANDLE,
        ObjectName: &unicode,
        Attributes: OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: how.security.map_or(std::ptr::null(), |d| {
            d.as_ptr().cast::<SECURITY_DESCRIPTOR>()
        }),
        SecurityQualityOfService: std::ptr::null(),
    };
    let mut handle: HANDLE = std::ptr::null_mut();
    // SAFETY: an all-zero IO_STATUS_BLOCK is valid.
    let mut io_status: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    // SAFETY: every pointer is to a local that outlives the call; `dir`
    // is an open handle borrowed for the call; the name buffer holds
    // `bytes` bytes; no extended attributes are passed.
    let status = unsafe {
        NtCreateFile(
            &mut handle,
            how.access | SYNCHRONIZE,
            &attributes,
            &mut io_status,
            std::ptr::null(),
            how.attributes,
            how.share,
            how.disposition,
            how.options | FILE_SYNCHRONOUS_IO_NONALERT,
            std::ptr::null(),
            0,
        )
    };
    if status < 0 {
        return Err(status);
    }
    // SAFETY: NtCreateFile succeeded, so `handle` is a new handle that
    // nothing else owns.
    Ok(unsafe { OwnedHandle::from_raw_handle(handle as _) })
}

/// `STATUS_NAME_TOO_LONG`: a name longer than a `UNICODE_STRING` holds.
const STATUS_NAME_TOO_LONG: NTSTATUS = 0xC000_0106_u32 as NTSTATUS;

/// `NtSetInformationFile(file, class, info)` for a fixed-size record.
pub(crate) fn set_information<T>(
    file: BorrowedHandle<'_>,
    class: FILE_INFORMATION_CLASS,
    info: &T,
) -> Result<(), NTSTATUS> {
    let len = std::mem::size_of::<T>();
    // SAFETY: `info` is a whole record of `len` bytes.
    unsafe { set_information_raw(file, class, (info as *const T).cast(), len) }
}

/// `NtSetInformationFile(file, class, info, len)`.
///
/// # Safety
///
/// `info` must be valid for reads of `len` bytes and hold a record of
/// `class`.
unsafe fn set_information_raw(
    file: BorrowedHandle<'_>,
    class: FILE_INFORMATION_CLASS,
    info: *const c_void,
    len: usize,
) -> Result<(), NTSTATUS> {
    // SAFETY: an all-zero IO_STATUS_BLOCK is valid.
    let mut io_status: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is valid for `len` bytes (the caller's promise), and
    // `file` is an open handle borrowed for the call.
    let status = unsafe {
        NtSetInformationFile(
            file.as_raw_handle() as HANDLE,
            &mut io_status,
            info,
            len as u32,
            class,
        )
    };
    if status < 0 { Err(status) } else { Ok(()) }
}

/// Sets the attributes of `file` (needs `FILE_WRITE_ATTRIBUTES`), leaving
/// its times alone.
pub(crate) fn set_attributes(file: BorrowedHandle<'_>, attributes: u32) -> Result<(), NTSTATUS> {
    // Zero times mean "unchanged"; zero attributes would too, hence NORMAL.
    let info = FILE_BASIC_INFORMATION {
        FileAttributes: if attributes == 0 {
            windows_sys::Win32::Storage::FileSystem::FILE_ATTRIBUTE_NORMAL
        } else {
            attributes
        },
        ..Default::default()
    };
    set_information(file, FileBasicInformation, &info)
}

/// Renames or links `file` (class `FileRenameInformation[Ex]` or
/// `FileLinkInformation`, which share this record) to `name` in the
/// directory `to`. `flags` is the record's first field: `ReplaceIfExists`
/// as 0 or 1 for the plain classes, the `FILE_RENAME_*` flags for the Ex
/// class.
pub(crate) fn rename(
    file: BorrowedHandle<'_>,
    class: FILE_INFORMATION_CLASS,
    flags: u32,
    to: BorrowedHandle<'_>,
    name: &[u16],
) -> Result<(), NTSTATUS> {
    let header = std::mem::offset_of!(FILE_RENAME_INFORMATION, FileName);
    // At least the size of the declared record: Wine refuses a shorter
    // length (a one-character name ends inside its padding).
    let len =
        (header + std::mem::size_of_val(name)).max(std::mem::size_of::<FILE_RENAME_INFORMATION>());
    // u64 units: aligned for the record's handle field.
    let mut buffer = vec![0u64; len.div_ceil(8).max(1) + 1];
    let record = buffer.as_mut_ptr().cast::<FILE_RENAME_INFORMATION>();
    // SAFETY: the buffer is zeroed, aligned for the record and at least
    // `len` bytes long, which is the header plus the name; the fields are
    // written through raw pointers, never through a reference to the
    // (variable-length) whole.
    unsafe {
        (&raw mut (*record).Anonymous.Flags).write(flags);
        (&raw mut (*record).RootDirectory).write(to.as_raw_handle() as HANDLE);
        (&raw mut (*record).FileNameLength).write(std::mem::size_of_val(name) as u32);
        std::ptr::copy_nonoverlapping(
            name.as_ptr(),
            (&raw mut (*record).FileName).cast::<u16>(),
            name.len(),
        );
    }
    // SAFETY: the buffer holds the whole record, `len` bytes.
    unsafe { set_information_raw(file, class, record.cast(), len) }
}

/// The Win32 error an `NTSTATUS` stands for, as an [`io::Error`] (so that
/// its kind and message are what `std` gives for the same failure).
pub(crate) fn error(status: NTSTATUS) -> io::Error {
    // SAFETY: a pure lookup in ntdll.
    let code = unsafe { RtlNtStatusToDosError(status) };
    io::Error::from_raw_os_error(code as i32)
}
