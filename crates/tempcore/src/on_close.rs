//! [`DeleteOnClose`]: keeping, or not, a file the system is to remove when
//! it is closed (Windows' delete-on-close, Python's `O_TEMPORARY`).

use std::fs::File;
use std::io;

use crate::sys;

/// A second handle to a file created with
/// [`FileOptions::delete_on_close`](crate::FileOptions::delete_on_close)
/// whose delete-on-close flag the system can clear: through it the file
/// is kept ([`keep`](Self::keep)) or given back to the system
/// ([`delete`](Self::delete)) whichever handle is open, and while it is
/// open the file is removed only once it closes too.
///
/// Windows: a duplicate of the file's handle (`DuplicateHandle`), so it
/// shares the flag with it; the flag is set and cleared with
/// `FileDispositionInformationEx(FILE_DISPOSITION_ON_CLOSE)`. Other
/// systems have no such flag: [`new`](Self::new) gives `None`.
///
/// ```
/// let dir = tempcore::temp_dir_handle()?;
/// let opts = tempcore::FileOptions::new().delete_on_close(true);
/// let (file, name) = tempcore::create_file_at(&dir, &mut tempcore::Template::default(), &opts)?;
/// if let Some(on_close) = tempcore::DeleteOnClose::new(&file)? {
///     on_close.keep()?; // the file stays when both handles close
/// }
/// drop(file);
/// tempcore::remove_file_at(&dir, &name)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct DeleteOnClose {
    handle: File,
}

impl DeleteOnClose {
    /// The handle through which `file`'s delete-on-close flag is cleared
    /// and set, or `None` when `file` has none the system can clear (it
    /// was created without [`FileOptions::delete_on_close`], or the system
    /// or file system could not have it cleared, or this is not Windows).
    ///
    /// Windows: sets the flag again through the handle
    /// (`FileDispositionInformationEx(FILE_DISPOSITION_ON_CLOSE |
    /// FILE_DISPOSITION_DELETE)`, which only a handle opened with
    /// `FILE_DELETE_ON_CLOSE` accepts), then `DuplicateHandle`. Other
    /// systems: no system call.
    ///
    /// [`FileOptions::delete_on_close`]: crate::FileOptions::delete_on_close
    pub fn new(file: &File) -> io::Result<Option<DeleteOnClose>> {
        if !sys::deletes_on_close(file) {
            return Ok(None);
        }
        Ok(Some(DeleteOnClose {
            handle: file.try_clone()?,
        }))
    }

    /// Clears the flag: the file stays when its handles close, as any
    /// file does (`FileDispositionInformationEx(FILE_DISPOSITION_ON_CLOSE)`).
    pub fn keep(&self) -> io::Result<()> {
        sys::set_delete_on_close(&self.handle, false)
    }

    /// Sets the flag again after [`keep`](Self::keep): the system removes
    /// the file when its handles close.
    pub fn delete(&self) -> io::Result<()> {
        sys::set_delete_on_close(&self.handle, true)
    }
}
