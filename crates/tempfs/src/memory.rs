//! [`MemoryFile`]: a file backed by memory, with a descriptor that child
//! processes, `mmap` and APIs taking a file can use; sealable on Linux.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};

use tempcore::{MemoryKind, Seals};

use crate::builder::Builder;

/// A memory-backed file: [`memory_file`]'s file together with what kind of
/// memory it got ([`MemoryKind`]), and the seals (Linux, FreeBSD).
///
/// Like an anonymous [`tempfile`](crate::tempfile()), it has no name and
/// is freed when its last descriptor closes, even if the process is
/// killed; unlike one, it lives in memory where the platform allows:
///
/// - `memfd_create(MFD_CLOEXEC)` ([`MemoryKind::Memfd`]), named by the
///   builder's prefix in `/proc/<pid>/fd` (`/memfd:<prefix> (deleted)`);
/// - where that is missing or refused (an old kernel, a `seccomp` filter,
///   other unix): an anonymous file in `/dev/shm` if `fstatfs` proves it a
///   tmpfs ([`MemoryKind::Tmpfs`]), else in the temporary directory
///   ([`MemoryKind::TempDir`]);
/// - on Windows, always an anonymous file in the temporary directory with
///   `FILE_ATTRIBUTE_TEMPORARY` and delete-on-close
///   ([`MemoryKind::TempDir`]).
///
/// It has no `persist`: there is no name to give it (copy its bytes out
/// instead). Reads, writes and seeks go to the file; it implements
/// `AsFd`/`AsRawFd` (`AsHandle`/`AsRawHandle` on Windows), and
/// [`as_file`](Self::as_file) and [`into_file`](Self::into_file) give the
/// file itself, to map it or hand its descriptor to a child process.
///
/// ```
/// use std::io::{Read, Seek, Write};
/// use tempfs::{Builder, Seals};
///
/// let mut file = Builder::new().prefix("frame-").sealable_memory_file()?;
/// file.write_all(b"pixels")?;
/// if file.can_seal() {
///     file.add_seals(Seals::SHRINK | Seals::GROW | Seals::WRITE | Seals::SEAL)?;
///     assert!(file.write_all(b"more").is_err()); // EPERM: sealed
/// }
/// file.rewind()?;
/// let mut text = String::new();
/// file.read_to_string(&mut text)?;
/// assert_eq!(text, "pixels");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct MemoryFile {
    file: File,
    kind: MemoryKind,
    sealable: bool,
}

/// Creates a memory-backed file with the default [`Builder`] (prefix
/// `tmp`, not sealable): see [`MemoryFile`] for what backs it, and
/// [`Builder::memory_file`] to learn which kind it got.
///
/// ```
/// use std::io::Write;
/// let mut file = tempfs::memory_file()?;
/// file.write_all(b"scratch in memory")?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn memory_file() -> io::Result<File> {
    Builder::new().memory_file().map(MemoryFile::into_file)
}

impl Builder {
    /// Creates a [`MemoryFile`], its memfd named by the prefix. Only the
    /// prefix, the permissions of the fallback file and the random part of
    /// its short-lived name (where `O_TMPFILE` is missing) are used.
    pub fn memory_file(&self) -> io::Result<MemoryFile> {
        self.memory(false)
    }

    /// [`memory_file`](Self::memory_file) with `MFD_ALLOW_SEALING`, so that
    /// [`MemoryFile::add_seals`] works. Only a memfd can be sealed: where
    /// the fallback was taken ([`MemoryFile::can_seal`] says `false`),
    /// adding seals fails with the OS error.
    pub fn sealable_memory_file(&self) -> io::Result<MemoryFile> {
        self.memory(true)
    }

    fn memory(&self, sealing: bool) -> io::Result<MemoryFile> {
        let (file, kind) = tempcore::memory_file(
            &self.prefix,
            sealing,
            &mut self.template()?,
            &self.file_options(),
        )?;
        Ok(MemoryFile {
            file,
            kind,
            sealable: sealing && kind == MemoryKind::Memfd,
        })
    }
}

impl MemoryFile {
    /// A [`Builder::memory_file`] with the default options.
    pub fn new() -> io::Result<MemoryFile> {
        Builder::new().memory_file()
    }

    /// What backs the file: a memfd, a tmpfs, or the temporary directory.
    pub fn kind(&self) -> MemoryKind {
        self.kind
    }

    /// Whether seals can be added: a memfd made by
    /// [`Builder::sealable_memory_file`] (and not yet sealed with
    /// [`Seals::SEAL`]).
    pub fn can_seal(&self) -> bool {
        self.sealable && self.seals().is_ok_and(|s| !s.contains(Seals::SEAL))
    }

    /// Adds `seals` (`fcntl(F_ADD_SEALS)`): from now on every descriptor
    /// and mapping of the file is refused what they forbid, with the OS
    /// error (`EPERM`), the data unchanged. See [`tempcore::add_seals`]
    /// for the errors.
    pub fn add_seals(&self, seals: Seals) -> io::Result<()> {
        tempcore::add_seals(&self.file, seals)
    }

    /// The seals on the file (`fcntl(F_GET_SEALS)`); see
    /// [`tempcore::seals`].
    pub fn seals(&self) -> io::Result<Seals> {
        tempcore::seals(&self.file)
    }

    /// The file.
    pub fn as_file(&self) -> &File {
        &self.file
    }

    /// The file, mutably.
    pub fn as_file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// The file, to keep or hand on; it is freed when its last descriptor
    /// closes.
    pub fn into_file(self) -> File {
        self.file
    }
}

/// Shows the kind and the descriptor, never the contents.
impl fmt::Debug for MemoryFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryFile")
            .field("kind", &self.kind)
            .field("file", &self.file)
            .finish()
    }
}

impl Read for MemoryFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.file.read_vectored(bufs)
    }
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.file.read_to_end(buf)
    }
    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        self.file.read_to_string(buf)
    }
}

impl Read for &MemoryFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.file).read(buf)
    }
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.file).read_vectored(bufs)
    }
}

impl Write for MemoryFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.file.write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Write for &MemoryFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.file).write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&self.file).write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        (&self.file).flush()
    }
}

impl Seek for MemoryFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

impl Seek for &MemoryFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        (&self.file).seek(pos)
    }
}

impl From<MemoryFile> for File {
    fn from(file: MemoryFile) -> File {
        file.file
    }
}
