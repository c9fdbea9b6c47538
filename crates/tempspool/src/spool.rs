//! [`SpooledTempFile`]: memory first, an anonymous file once it grows.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Cursor, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::mem;
use std::path::{Path, PathBuf};

use tempcore::PathError;
use tempfs::Builder;

use crate::budget::SpoolBudget;
use crate::disk::{DEFAULT_BUFFER, Disk};
use crate::disk_budget::DiskBudget;
use crate::error::IntoInnerError;
use crate::memory::{Memory, Refusal};
use crate::sys;

/// A temporary file that keeps its data in memory until it grows past
/// `max_size` bytes, then moves it to an anonymous file on disk (Python's
/// `SpooledTemporaryFile`; the `tempfile` crate's `SpooledTempFile`).
///
/// It reads, writes and seeks the same way in both states; only speed and
/// where the bytes live differ. See the [crate documentation](crate) for
/// the rollover rule, what happens when a rollover fails, and budgets.
///
/// ```
/// use std::io::{Read, Seek, Write};
/// use tempspool::SpooledTempFile;
///
/// let mut spool = SpooledTempFile::new(100);
/// for _ in 0..2 {
///     spool.write_all(b"This line is repeated over and over.\n")?;
///     assert!(!spool.is_rolled()); // 37, then 74 bytes: in memory
/// }
/// spool.write_all(b"This line is repeated over and over.\n")?;
/// assert!(spool.is_rolled()); // 111 > 100: on disk
///
/// spool.rewind()?;
/// let mut text = String::new();
/// spool.read_to_string(&mut text)?;
/// assert_eq!(text.lines().count(), 3);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SpooledTempFile {
    inner: Inner,
    max_size: usize,
    budget: Option<SpoolBudget>,
    /// Where and how the rollover file is made; `None` is the default
    /// builder in the default directory (no allocation for `new`).
    target: Option<Box<Target>>,
    buffer_capacity: usize,
    /// The disk budget a rollover charges (the [`Disk`] keeps its own
    /// handle after it).
    disk_budget: Option<DiskBudget>,
}

enum Inner {
    Memory(Memory),
    Disk(Disk),
}

struct Target {
    builder: Builder,
    dir: Option<PathBuf>,
    /// Roll over into a memory-backed file ([`Builder::memory_file`]).
    memory: bool,
}

/// What [`SpooledTempFile::into_inner`] gives back: the bytes in memory, or
/// the file they were rolled over to (the `tempfile` crate's `SpooledData`).
#[derive(Debug)]
pub enum SpooledData {
    /// Never rolled over: the bytes, at the spool's position.
    InMemory(Cursor<Vec<u8>>),
    /// Rolled over: the anonymous file, every write in it and its offset at
    /// the spool's position.
    OnDisk(File),
}

/// [`SpooledTempFile::new`], under the `tempfile` crate's name.
///
/// ```
/// use std::io::Write;
/// let mut spool = tempspool::spooled_tempfile(16);
/// spool.write_all(b"small")?;
/// assert!(!spool.is_rolled());
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use]
pub fn spooled_tempfile(max_size: usize) -> SpooledTempFile {
    SpooledTempFile::new(max_size)
}

/// [`SpooledTempFile::new_in`], under the `tempfile` crate's name.
#[must_use]
pub fn spooled_tempfile_in<P: AsRef<Path>>(max_size: usize, dir: P) -> SpooledTempFile {
    SpooledTempFile::new_in(max_size, dir)
}

impl SpooledTempFile {
    /// A spool that rolls over into the default temporary directory
    /// ([`tempfs::temp_dir`]) once it holds more than `max_size` bytes.
    /// A `max_size` of 0 means no limit of its own (Python's default).
    ///
    /// Nothing is allocated and no file is created until needed.
    #[must_use]
    pub fn new(max_size: usize) -> SpooledTempFile {
        SpooledTempFile {
            inner: Inner::Memory(Memory::new()),
            max_size,
            budget: None,
            target: None,
            buffer_capacity: DEFAULT_BUFFER,
            disk_budget: None,
        }
    }

    /// A spool that rolls over into `dir` (checked only then: a missing or
    /// read-only `dir` makes that rollover fail, with every byte kept in
    /// memory).
    #[must_use]
    pub fn new_in<P: AsRef<Path>>(max_size: usize, dir: P) -> SpooledTempFile {
        let mut spool = SpooledTempFile::new(max_size);
        spool.target = Some(Box::new(Target {
            builder: Builder::new(),
            dir: Some(dir.as_ref().to_path_buf()),
            memory: false,
        }));
        spool
    }

    /// A spool whose rollover file is made by `builder` (its permissions,
    /// and its prefix and suffix where an anonymous file needs a name for a
    /// moment) in the default temporary directory. The builder's `append`
    /// is turned off: a spool is read and written at its position in both
    /// states, and an append-only file could not do that.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut spool = tempspool::SpooledTempFile::with_builder(
    ///     4, tempspool::Builder::new().prefix("upload-"));
    /// spool.write_all(b"more than four")?;
    /// assert!(spool.is_rolled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn with_builder(max_size: usize, builder: &Builder) -> SpooledTempFile {
        let mut builder = builder.clone();
        builder.append(false);
        let mut spool = SpooledTempFile::new(max_size);
        spool.target = Some(Box::new(Target {
            builder,
            dir: None,
            memory: false,
        }));
        spool
    }

    /// [`with_builder`](Self::with_builder), rolling over into `dir`.
    #[must_use]
    pub fn with_builder_in(
        max_size: usize,
        builder: &Builder,
        dir: impl AsRef<Path>,
    ) -> SpooledTempFile {
        let mut spool = SpooledTempFile::with_builder(max_size, builder);
        if let Some(target) = &mut spool.target {
            target.dir = Some(dir.as_ref().to_path_buf());
        }
        spool
    }

    /// A spool whose memory counts against `budget`: it rolls over when it
    /// holds more than `max_size` bytes (0: no limit of its own) or when
    /// growing would pass the budget, whichever comes first.
    /// [`attach`](Self::attach) does the same for any spool.
    #[must_use]
    pub fn with_budget(max_size: usize, budget: &SpoolBudget) -> SpooledTempFile {
        let mut spool = SpooledTempFile::new(max_size);
        spool.budget = Some(budget.clone());
        spool
    }

    /// Makes this spool's memory count against `budget` from now on, moving
    /// what it holds from its previous budget, if any. If the memory does
    /// not fit in `budget`, the spool rolls over first; if that fails, the
    /// error is returned and nothing changes.
    pub fn attach(&mut self, budget: &SpoolBudget) -> io::Result<()> {
        if self.budget.as_ref().is_some_and(|b| b.same_as(budget)) {
            return Ok(());
        }
        if let Inner::Memory(memory) = &self.inner {
            if budget.try_acquire(memory.capacity()) {
                if let Some(old) = &self.budget {
                    old.release(memory.capacity());
                }
            } else {
                self.rollover()?;
            }
        }
        self.budget = Some(budget.clone());
        Ok(())
    }

    /// Stops counting this spool's memory against its budget (and gives
    /// back what it held).
    pub fn detach(&mut self) {
        if let (Some(budget), Inner::Memory(memory)) = (self.budget.take(), &self.inner) {
            budget.release(memory.capacity());
        }
    }

    /// The budget this spool's memory counts against, if any.
    pub fn budget(&self) -> Option<&SpoolBudget> {
        self.budget.as_ref()
    }

    /// The size past which the spool rolls over (0: no limit of its own).
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Whether the data is on disk (Python's `_rolled`).
    pub fn is_rolled(&self) -> bool {
        matches!(self.inner, Inner::Disk(_))
    }

    /// Moves the data to an anonymous file now, whatever its size (Python's
    /// `rollover()`); does nothing if it is already there.
    ///
    /// The file is created and filled, and its position set, before the
    /// memory is let go: if any step fails (no space, the file-size limit,
    /// no permission, no file descriptors left), the error is returned, the
    /// spool is still in memory with every byte and its position, and a
    /// later call can succeed. The error names the directory. Bytes that
    /// would pass the soft file-size limit (`RLIMIT_FSIZE`) are refused with
    /// `EFBIG` before any file is made, so the kernel never sends `SIGXFSZ`
    /// (see the [crate documentation](crate#when-the-rollover-fails)).
    pub fn rollover(&mut self) -> io::Result<()> {
        self.disk().map(|_| ())
    }

    /// [`rollover`](Self::rollover), under the `tempfile` crate's name.
    pub fn roll(&mut self) -> io::Result<()> {
        self.rollover()
    }

    /// The length in bytes, including writes still buffered after a
    /// rollover. Costs no system call (except right after
    /// [`as_file`](Self::as_file), when the file may have been changed
    /// through it).
    pub fn len(&self) -> u64 {
        match &self.inner {
            Inner::Memory(memory) => memory.len(),
            Inner::Disk(disk) => disk.len(),
        }
    }

    /// Whether the length is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Truncates or zero-extends to `size` bytes, leaving the position where
    /// it is (`File::set_len`; Python's `truncate(size)`).
    ///
    /// A `size` greater than `max_size` rolls over first (when `max_size` is
    /// not 0), as does growing past the budget. A rollover that fails
    /// returns its error and changes nothing. A `size` past the soft
    /// file-size limit (`RLIMIT_FSIZE`) is refused with `EFBIG` (after such
    /// a rollover, if one was needed and fits). Shrinking a spool attached to
    /// a budget frees the memory past `size` and gives it back.
    pub fn set_len(&mut self, size: u64) -> io::Result<()> {
        let ceiling = self.ceiling();
        if let Inner::Memory(memory) = &mut self.inner {
            if self.max_size == 0 || size <= self.max_size as u64 {
                match memory.make_room(size, ceiling, self.budget.as_ref()) {
                    Ok(()) => {
                        // make_room proved size fits in usize.
                        memory.set_len(size as usize, ceiling, self.budget.as_ref());
                        return Ok(());
                    }
                    Err(Refusal::Error(e)) => return Err(e),
                    Err(Refusal::Budget) => {}
                }
            }
        }
        self.disk()?.set_len(size)
    }

    /// Says the spool will grow by `additional` more bytes past its end:
    /// the buffer then doubles as usual while the data arrives, but never
    /// past the length plus `additional`, so when the data is complete the
    /// spool (and its budget) is charged exactly what it holds, not the next
    /// power of two. Writes beyond it double again.
    ///
    /// A reservation is a cap, not an allocation: nothing is allocated or
    /// charged now, and nothing rolls over because of it. So a length a
    /// client declares (an upload's `Content-Length`) can be passed as it
    /// is: a client that declares much and sends little holds only what it
    /// sent (at most twice that), not the declared length. A reservation on
    /// a rolled spool does nothing.
    ///
    /// ```
    /// use std::io::Write;
    /// use tempspool::{SpoolBudget, SpooledTempFile};
    ///
    /// let budget = SpoolBudget::new(16 << 20);
    /// let mut upload = SpooledTempFile::with_budget(1 << 20, &budget);
    /// upload.reserve(700_000); // the declared length
    /// assert_eq!(budget.used(), 0);
    /// for chunk in vec![7u8; 700_000].chunks(16 * 1024) {
    ///     upload.write_all(chunk)?;
    /// }
    /// assert_eq!(budget.used(), 700_000); // not 1 MiB, as doubling would charge
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        if let Inner::Memory(memory) = &mut self.inner {
            let planned = usize::try_from(memory.len())
                .unwrap_or(usize::MAX)
                .saturating_add(additional);
            memory.plan(planned);
        }
    }

    /// The rollover file, rolling over first (Python's `fileno()` rolls over
    /// too). Buffered writes are written out and the file's offset is set to
    /// the spool's position, so the file is exactly what the spool shows;
    /// the spool picks up the file's offset and length again at its next
    /// operation, so reads and writes through the returned `&File` and
    /// through the spool mix like reads and writes through one file.
    ///
    /// A clone of the file (`try_clone`) shares its offset but not this
    /// hand-over: changes made through a clone while the spool is in use
    /// are not seen by the spool's buffer or its idea of the length; go
    /// through `as_file` each time instead.
    ///
    /// This is the way to the file descriptor (`as_file()?.as_raw_fd()`):
    /// the spool does not implement `AsFd`/`AsRawFd`, because they take
    /// `&self` and cannot fail, while getting a descriptor may have to
    /// create the file and write to it.
    pub fn as_file(&mut self) -> io::Result<&File> {
        self.disk()?.lend().map(|file| &*file)
    }

    /// [`as_file`](Self::as_file), mutably.
    pub fn as_file_mut(&mut self) -> io::Result<&mut File> {
        self.disk()?.lend()
    }

    /// The file descriptor (the handle on Windows) of the rollover file,
    /// rolling over first: Python's `fileno()`. See [`as_file`](Self::as_file).
    pub fn fileno(&mut self) -> io::Result<sys::Fileno> {
        self.disk()?.fileno()
    }

    /// The file, rolling over first if needed, with every write in it and
    /// its offset at the spool's position. Like the spool, the file has no
    /// name and disappears when closed.
    ///
    /// On failure the error gives the spool back, unchanged
    /// ([`IntoInnerError::into_spool`]); `?` turns it into an `io::Error`.
    pub fn into_file(mut self) -> Result<File, IntoInnerError> {
        if let Err(e) = self.rollover() {
            return Err(IntoInnerError::new(e, self));
        }
        match self.into_inner()? {
            SpooledData::OnDisk(file) => Ok(file),
            SpooledData::InMemory(_) => unreachable!("the spool rolled over above"),
        }
    }

    /// The bytes in memory, or the file after writing out buffered bytes
    /// and setting its offset to the position. A spool attached to a budget
    /// gives its memory back: the returned buffer is the caller's.
    ///
    /// Unlike the `tempfile` crate's infallible version, this returns a
    /// `Result`: writing out the buffer of a rolled spool can fail, and the
    /// error gives the spool back instead of losing those bytes.
    pub fn into_inner(mut self) -> Result<SpooledData, IntoInnerError> {
        match mem::replace(&mut self.inner, Inner::Memory(Memory::new())) {
            Inner::Memory(memory) => {
                if let Some(budget) = &self.budget {
                    budget.release(memory.capacity());
                }
                Ok(SpooledData::InMemory(memory.into_cursor()))
            }
            Inner::Disk(disk) => match disk.into_file() {
                Ok(file) => Ok(SpooledData::OnDisk(file)),
                Err((e, disk)) => {
                    self.inner = Inner::Disk(disk);
                    Err(IntoInnerError::new(e, self))
                }
            },
        }
    }

    /// How many bytes of memory the spool holds for its data (the buffer's
    /// capacity; what a budget is charged). 0 once rolled over.
    pub fn memory_used(&self) -> usize {
        match &self.inner {
            Inner::Memory(memory) => memory.capacity(),
            Inner::Disk(_) => 0,
        }
    }

    /// The size of the I/O buffer used after a rollover.
    pub fn buffer_capacity(&self) -> usize {
        match &self.inner {
            Inner::Memory(_) => self.buffer_capacity,
            Inner::Disk(disk) => disk.buffer_capacity(),
        }
    }

    /// Sets the size of the I/O buffer used after a rollover (default 8 KiB,
    /// as std's `BufReader`/`BufWriter`). Reads and writes at least this
    /// long bypass it; a capacity of 0 or 1 means every read and write is a
    /// system call. On a rolled spool, buffered writes are written out
    /// first, which is the only way this can fail.
    pub fn set_buffer_capacity(&mut self, bytes: usize) -> io::Result<()> {
        if let Inner::Disk(disk) = &mut self.inner {
            disk.set_buffer_capacity(bytes)?;
        }
        self.buffer_capacity = bytes;
        Ok(())
    }

    /// `max_size` as a bound on the memory buffer.
    fn ceiling(&self) -> usize {
        match self.max_size {
            0 => usize::MAX,
            max => max,
        }
    }

    /// The rolled-over state, rolling over if needed.
    fn disk(&mut self) -> io::Result<&mut Disk> {
        if let Inner::Memory(memory) = &self.inner {
            let disk = self.spill(memory)?;
            let old = mem::replace(&mut self.inner, Inner::Disk(disk));
            if let (Inner::Memory(memory), Some(budget)) = (old, &self.budget) {
                budget.release(memory.capacity());
            }
        }
        match &mut self.inner {
            Inner::Disk(disk) => Ok(disk),
            Inner::Memory(_) => unreachable!("the spool rolled over above"),
        }
    }

    /// A new anonymous file holding `memory`'s bytes, with `memory`'s
    /// position. `memory` is untouched whatever happens.
    ///
    /// Bytes that would pass the file-size limit are refused with `EFBIG`
    /// before any file is made: the kernel would send `SIGXFSZ` for them,
    /// which kills a process that has not ignored it. The limit is read
    /// here, once per rollover, and handed to the [`Disk`].
    fn spill(&self, memory: &Memory) -> io::Result<Disk> {
        let wrap = |e| {
            PathError::wrap(
                e,
                "rolling a spooled file over to an anonymous file in",
                self.rollover_dir(),
            )
        };
        let limit = sys::file_size_limit();
        if memory.len() > limit {
            return Err(wrap(sys::file_too_large()));
        }
        // The disk budget is charged before the file exists; given back if
        // anything fails.
        if let Some(budget) = &self.disk_budget {
            budget.try_charge(memory.len())?;
        }
        let filled = self.create_file().and_then(|file| {
            sys::write_all_at(&file, memory.data(), 0).map_err(wrap)?;
            Ok(file)
        });
        let file = match filled {
            Ok(file) => file,
            Err(e) => {
                if let Some(budget) = &self.disk_budget {
                    budget.release(memory.len());
                }
                return Err(e);
            }
        };
        let mut disk = Disk::new(
            file,
            memory.pos(),
            memory.len(),
            self.buffer_capacity,
            limit,
        );
        if let Some(budget) = &self.disk_budget {
            disk.set_budget(budget.clone(), memory.len());
        }
        Ok(disk)
    }

    fn create_file(&self) -> io::Result<File> {
        match self.target.as_deref() {
            None => Builder::new().anonymous(),
            Some(Target {
                builder,
                memory: true,
                ..
            }) => builder.memory_file().map(File::from),
            Some(Target {
                builder, dir: None, ..
            }) => builder.anonymous(),
            Some(Target {
                builder,
                dir: Some(dir),
                ..
            }) => builder.anonymous_in(dir),
        }
    }

    /// The directory a rollover goes to, for error messages.
    fn rollover_dir(&self) -> PathBuf {
        match self.target.as_deref().and_then(|t| t.dir.as_ref()) {
            Some(dir) => dir.clone(),
            None => tempfs::temp_dir().unwrap_or_default(),
        }
    }

    /// Gets memory ready for a write of `total` bytes at the position and
    /// answers `true`, or rolls over and answers `false`: Python's rule
    /// (roll when the position after the write passes `max_size`), applied
    /// before the write so that a failed rollover leaves nothing half done.
    fn admit(&mut self, total: usize) -> io::Result<bool> {
        let ceiling = self.ceiling();
        let Inner::Memory(memory) = &mut self.inner else {
            return Ok(false);
        };
        let end = memory.pos().saturating_add(total as u64);
        if self.max_size == 0 || end <= self.max_size as u64 {
            if total == 0 {
                return Ok(true);
            }
            match memory.make_room(end, ceiling, self.budget.as_ref()) {
                Ok(()) => return Ok(true),
                Err(Refusal::Error(e)) => return Err(e),
                Err(Refusal::Budget) => {}
            }
        }
        // A rollover the disk budget has no room for, the write included,
        // would be wasted: refused before it is made.
        if let Some(budget) = &self.disk_budget {
            budget.check_room(memory.len().max(end))?;
        }
        self.rollover()?;
        Ok(false)
    }
}

/// The absolute position `from` names, given the position and the length;
/// any `u64` is allowed, as in `Cursor` (the file system refuses offsets it
/// cannot hold when they are used).
#[inline]
pub(crate) fn resolve_seek(from: SeekFrom, pos: u64, len: u64) -> io::Result<u64> {
    let target = match from {
        SeekFrom::Start(n) => Some(n),
        SeekFrom::Current(offset) => pos.checked_add_signed(offset),
        SeekFrom::End(offset) => len.checked_add_signed(offset),
    };
    target.ok_or_else(invalid_seek)
}

#[cold]
fn invalid_seek() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "invalid seek to a negative or overflowing position",
    )
}

/// Writes go to memory until the rule says roll over, then to the file
/// through the buffer.
///
/// A write that makes the spool roll over does the rollover first: if the
/// rollover fails, the write returns its error and nothing of `buf` was
/// written (the `Write` contract: an error means no bytes went in), while
/// everything written before is still in memory. Writing again retries the
/// rollover.
///
/// `write`, `write_all` and `write_vectored` (and `write!`, which goes
/// through `write_all`) inline their common case into the caller: in
/// memory, bytes that fit in the buffer already allocated; after a
/// rollover, bytes that fit in the I/O buffer. Everything else (growing,
/// the rollover, system calls) is one call out of line.
/// (`is_write_vectored` is unstable, and so not implemented: it says
/// `false`, though a vectored write takes all of its slices in one call
/// in both states.)
impl Write for SpooledTempFile {
    #[inline(always)]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let done = match &mut self.inner {
            Inner::Memory(memory) => memory.write_fast(buf),
            Inner::Disk(disk) => disk.write_fast(buf),
        };
        // The fast paths take all of `buf` or nothing: saying so in the
        // caller lets it drop its check for a short write.
        if done.is_some() {
            Ok(buf.len())
        } else {
            self.write_slow(buf)
        }
    }

    /// As std's: retries `Interrupted`, fails with `WriteZero` if a write
    /// takes nothing. An error after part of `buf` went in leaves that part
    /// written (a failed rollover writes nothing).
    #[inline(always)]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let done = match &mut self.inner {
            Inner::Memory(memory) => memory.write_fast(buf),
            Inner::Disk(disk) => disk.write_fast(buf),
        };
        match done {
            Some(_) => Ok(()),
            None => self.write_all_slow(buf),
        }
    }

    /// Writes all of `bufs` into memory at once, or rolls over first if the
    /// position after them would pass `max_size` (Python's `writelines`
    /// ends in the same state).
    #[inline(always)]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let done = match &mut self.inner {
            Inner::Memory(memory) => memory.write_vectored_fast(bufs),
            Inner::Disk(disk) => disk.write_vectored_fast(bufs),
        };
        match done {
            Some(n) => Ok(n),
            None => self.write_vectored_slow(bufs),
        }
    }

    /// Writes buffered bytes to the file after a rollover (no `fsync`: the
    /// file dies with the spool). Nothing to do in memory.
    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Memory(_) => Ok(()),
            Inner::Disk(disk) => disk.flush(),
        }
    }
}

impl SpooledTempFile {
    #[inline(never)]
    fn write_slow(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.admit(buf.len())? {
            if let Inner::Memory(memory) = &mut self.inner {
                return Ok(memory.write_in_room([buf]));
            }
        }
        self.disk()?.write(buf)
    }

    #[inline(never)]
    fn write_all_slow(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "failed to write whole buffer",
                    ));
                }
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn write_vectored_slow(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let total = bufs.iter().fold(0usize, |t, b| t.saturating_add(b.len()));
        if self.admit(total)? {
            if let Inner::Memory(memory) = &mut self.inner {
                return Ok(memory.write_in_room(bufs.iter().map(|b| &**b)));
            }
        }
        self.disk()?.write_vectored(bufs)
    }

    #[inline(never)]
    fn read_exact_slow(&mut self, out: &mut [u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Memory(memory) => memory.read_exact(out),
            Inner::Disk(disk) => disk.read_exact(out),
        }
    }
}

/// Reads see every write, buffered or not; past the end they return 0.
///
/// `read` and `read_exact` inline their common case into the caller: in
/// memory, a copy; after a rollover, a copy from the read-ahead.
/// `read_to_end` and `read_to_string` know the length: they allocate once
/// and, after a rollover, read the file in one system call. (`read_buf` is
/// not implemented: it is unstable on the crate's minimum Rust version, and
/// std's default for it calls `read`.)
impl Read for SpooledTempFile {
    #[inline(always)]
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Memory(memory) => Ok(memory.read(out)),
            Inner::Disk(disk) => match disk.read_fast(out) {
                Some(n) => Ok(n),
                None => disk.read(out),
            },
        }
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Memory(memory) => {
                let mut total = 0;
                for buf in bufs {
                    let n = memory.read(buf);
                    total += n;
                    if n < buf.len() {
                        break;
                    }
                }
                Ok(total)
            }
            Inner::Disk(disk) => disk.read_vectored(bufs),
        }
    }

    /// On `UnexpectedEof` the remaining bytes have been consumed: the
    /// position is at the end (or stays where it was, past the end). What
    /// `out` holds then is unspecified, as std says.
    #[inline(always)]
    fn read_exact(&mut self, out: &mut [u8]) -> io::Result<()> {
        let done = match &mut self.inner {
            Inner::Memory(memory) => memory.read_exact_fast(out),
            Inner::Disk(disk) => disk.read_exact_fast(out),
        };
        if done {
            Ok(())
        } else {
            self.read_exact_slow(out)
        }
    }

    #[inline]
    fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Memory(memory) => memory.read_to_end(out),
            Inner::Disk(disk) => disk.read_to_end(out),
        }
    }

    /// As std's: bytes that are not UTF-8 leave `out` unchanged and fail
    /// with `InvalidData`, with the position past them (at the end), in both
    /// states. (`Cursor` would not move.)
    #[inline]
    fn read_to_string(&mut self, out: &mut String) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Memory(memory) => memory.read_to_string(out),
            Inner::Disk(disk) => disk.read_to_string(out),
        }
    }
}

/// A spool is its own buffer: read lines with
/// [`lines`](BufRead::lines), [`read_line`](BufRead::read_line) or
/// [`read_until`](BufRead::read_until) on the spool itself, without a
/// `BufReader` around it (which would only copy every byte once more).
///
/// In memory, `fill_buf` returns everything from the position to the end,
/// without copying; after a rollover it returns the I/O buffer's read-ahead
/// (after writing out pending writes), like a `BufReader`.
///
/// ```
/// use std::io::{BufRead, Seek, Write};
/// let mut spool = tempspool::SpooledTempFile::new(1024);
/// spool.write_all(b"first\nsecond\n")?;
/// spool.rewind()?;
/// let lines: Vec<String> = spool.lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["first", "second"]);
/// # Ok::<(), std::io::Error>(())
/// ```
impl BufRead for SpooledTempFile {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match &mut self.inner {
            Inner::Memory(memory) => Ok(memory.remaining()),
            Inner::Disk(disk) => disk.fill_buf(),
        }
    }

    #[inline]
    fn consume(&mut self, amt: usize) {
        match &mut self.inner {
            Inner::Memory(memory) => memory.consume(amt),
            Inner::Disk(disk) => disk.consume(amt),
        }
    }
}

/// Seeking never rolls over, even far past `max_size`, and any position is
/// allowed (reads there return 0; a write there zero-fills the gap).
/// `seek` in memory and `stream_position` in both states cost no system
/// call (nor does `seek` after a rollover, unless buffered writes must go
/// out first).
impl Seek for SpooledTempFile {
    #[inline]
    fn seek(&mut self, from: SeekFrom) -> io::Result<u64> {
        match &mut self.inner {
            Inner::Memory(memory) => memory.seek(from),
            Inner::Disk(disk) => disk.seek(from),
        }
    }

    #[inline]
    fn stream_position(&mut self) -> io::Result<u64> {
        match &mut self.inner {
            Inner::Memory(memory) => Ok(memory.pos()),
            Inner::Disk(disk) => disk.stream_position(),
        }
    }
}

/// Gives memory back to the budget; after a rollover, writes buffered bytes
/// out (ignoring errors) in case the file lives on through a descriptor
/// cloned from [`as_file`](SpooledTempFile::as_file). Buffered bytes never
/// pass the file-size limit as the spool last read it, so this write-out
/// does not raise `SIGXFSZ` (see the crate documentation for a limit
/// lowered after the rollover).
impl Drop for SpooledTempFile {
    fn drop(&mut self) {
        match &mut self.inner {
            Inner::Memory(memory) => {
                if let Some(budget) = &self.budget {
                    budget.release(memory.capacity());
                }
            }
            Inner::Disk(disk) => {
                let _ = disk.flush();
                disk.release_budget();
            }
        }
    }
}

/// Shows the state, never the contents.
impl fmt::Debug for SpooledTempFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpooledTempFile")
            .field("max_size", &self.max_size)
            .field("rolled", &self.is_rolled())
            .field("len", &self.len())
            .field("budget", &self.budget)
            .field("disk_budget", &self.disk_budget)
            .finish_non_exhaustive()
    }
}

/// Disk budgets and memory-backed rollover files.
impl SpooledTempFile {
    /// A spool that rolls over into a memory-backed file
    /// ([`tempfs::MemoryFile`]: a memfd on Linux) instead of a file on
    /// disk: for callers that need a descriptor ([`fileno`](Self::fileno),
    /// [`as_file`](Self::as_file), a child process's stdin) but not the
    /// disk. Everything else is as for [`new`](Self::new), including the
    /// file-size limit (`RLIMIT_FSIZE` applies to memory files too) and
    /// the lossless rollover.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut spool = tempspool::SpooledTempFile::new_memory_backed(4);
    /// spool.write_all(b"more than four")?;
    /// assert!(spool.is_rolled());
    /// let _fd = spool.fileno()?; // a memfd on Linux
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn new_memory_backed(max_size: usize) -> SpooledTempFile {
        let mut spool = SpooledTempFile::new(max_size);
        spool.set_memory_backed(true);
        spool
    }

    /// Whether the next rollover goes to a memory-backed file (made with
    /// this spool's builder, whose prefix names the memfd) or, with
    /// `false`, to an anonymous file in the spool's directory. A spool that
    /// has rolled over already keeps its file.
    pub fn set_memory_backed(&mut self, memory: bool) {
        let target = self.target.get_or_insert_with(|| {
            Box::new(Target {
                builder: Builder::new(),
                dir: None,
                memory: false,
            })
        });
        target.memory = memory;
    }

    /// Whether rollovers go to a memory-backed file.
    pub fn is_memory_backed(&self) -> bool {
        self.target.as_deref().is_some_and(|t| t.memory)
    }

    /// Makes the bytes this spool holds in its rollover file count against
    /// `budget` from now on (see [`DiskBudget`] for what is charged when).
    /// A rolled spool writes out its buffer and charges its length first;
    /// if that does not fit (`StorageFull`) or fails, the error is returned
    /// and nothing changes. A spool still in memory charges nothing yet.
    pub fn attach_disk(&mut self, budget: &DiskBudget) -> io::Result<()> {
        if let Inner::Disk(disk) = &mut self.inner {
            if !disk.budget().is_some_and(|b| b.same_as(budget)) {
                disk.move_budget(Some(budget))?;
            }
        }
        self.disk_budget = Some(budget.clone());
        Ok(())
    }

    /// Stops counting this spool against its disk budget, giving back what
    /// it was charged.
    pub fn detach_disk(&mut self) {
        if let Inner::Disk(disk) = &mut self.inner {
            disk.release_budget();
        }
        self.disk_budget = None;
    }

    /// The disk budget this spool counts against, if any.
    pub fn disk_budget(&self) -> Option<&DiskBudget> {
        self.disk_budget.as_ref()
    }
}

/// What the async layer (`async_spool.rs`) needs of the private state.
#[cfg(feature = "tokio")]
impl SpooledTempFile {
    /// In memory, writes `buf` if it stays in memory (no rollover, so no
    /// system call) and gives the result; `None`, having done nothing, if
    /// the write would roll over or the spool is on disk.
    #[inline(always)]
    pub(crate) fn write_in_memory(&mut self, buf: &[u8]) -> Option<io::Result<usize>> {
        let Inner::Memory(memory) = &mut self.inner else {
            return None;
        };
        if memory.write_fast(buf).is_some() {
            return Some(Ok(buf.len()));
        }
        self.grow_in_memory(buf)
    }

    #[inline(never)]
    fn grow_in_memory(&mut self, buf: &[u8]) -> Option<io::Result<usize>> {
        let ceiling = self.ceiling();
        let Inner::Memory(memory) = &mut self.inner else {
            return None;
        };
        let end = memory.pos().saturating_add(buf.len() as u64);
        if self.max_size != 0 && end > self.max_size as u64 {
            return None;
        }
        if buf.is_empty() {
            return Some(Ok(0));
        }
        match memory.make_room(end, ceiling, self.budget.as_ref()) {
            Ok(()) => Some(Ok(memory.write_in_room([buf]))),
            Err(Refusal::Error(e)) => Some(Err(e)),
            Err(Refusal::Budget) => None,
        }
    }
}
