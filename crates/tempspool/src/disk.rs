//! The rolled-over state of a spool: an anonymous file behind one buffer
//! that serves reads and writes in turn, so that small operations cost a
//! copy instead of a system call.
//!
//! The position and the length are kept here, not in the kernel: every
//! system call is positional (`pread`/`pwrite`), so switching between
//! reading and writing, or seeking, costs no `lseek`. The kernel's file
//! offset is set only when the file is handed out ([`Disk::lend`]), and
//! taken back as the position before the next operation.
//!
//! No write or `set_len` is ever made that would end past the soft
//! file-size limit (`RLIMIT_FSIZE`): the kernel would answer it with
//! `SIGXFSZ`, which kills a process that has not ignored the signal (Rust
//! programs do not), and the buffered bytes with it. Such an operation
//! fails with `EFBIG` instead, having written nothing. The limit is read
//! when the spool rolls over and kept (`Disk::limit`); it is read again
//! only when an operation would pass the value kept, so a limit raised
//! later is seen, and small writes cost no system call. A buffer is never
//! started where it could reach past the limit: within a buffer's length
//! of it, writes go straight to the file, each checked.

use std::fs::File;
use std::io::{self, BufRead, IoSlice, Read, Seek, SeekFrom, Write};
use std::mem;

use crate::disk_budget::DiskBudget;
use crate::memory::{cannot_allocate, invalid_utf8};
use crate::sys;

/// The default size of the I/O buffer, as in std's `BufReader`/`BufWriter`.
pub(crate) const DEFAULT_BUFFER: usize = 8 * 1024;

/// The largest offset a file can have (`off_t` is signed).
const MAX_OFFSET: u64 = i64::MAX as u64;

/// What the buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing.
    Idle,
    /// `buf[next..end]` are the file's bytes from the position on.
    Reading { next: usize, end: usize },
    /// `buf[..len]` are bytes to write just before the position.
    Writing { len: usize },
    /// The file was handed out: its own offset is the position, and its
    /// length may have changed behind our back.
    Lent,
}

/// An anonymous file with a logical position, a known length and a buffer.
#[derive(Debug)]
pub(crate) struct Disk {
    file: File,
    pos: u64,
    /// The length, not counting writes still in the buffer (which end at
    /// the position): see [`Disk::len`].
    len: u64,
    /// Allocated on first use, `capacity` bytes.
    buf: Box<[u8]>,
    capacity: usize,
    mode: Mode,
    /// The soft file-size limit as last read (`u64::MAX`: none): no write
    /// ends past it. See the module documentation.
    limit: u64,
    /// The disk budget the file counts against, if any.
    budget: Option<DiskBudget>,
    /// What is charged to `budget`: never less than the length, nor than
    /// the end of the buffer's room while it collects writes.
    charged: u64,
}

impl Disk {
    /// `file` holds `len` bytes; the position is `pos`; `limit` is the
    /// file-size limit just read ([`sys::file_size_limit`]).
    pub(crate) fn new(file: File, pos: u64, len: u64, capacity: usize, limit: u64) -> Disk {
        Disk {
            file,
            pos,
            len,
            buf: Box::default(),
            capacity: capacity.max(1),
            mode: Mode::Idle,
            limit,
            budget: None,
            charged: 0,
        }
    }

    /// Counts the file against `budget` from now on, `charged` bytes of it
    /// (at least its length) already charged by the caller.
    pub(crate) fn set_budget(&mut self, budget: DiskBudget, charged: u64) {
        self.budget = Some(budget);
        self.charged = charged;
    }

    /// The disk budget, if any.
    pub(crate) fn budget(&self) -> Option<&DiskBudget> {
        self.budget.as_ref()
    }

    /// Moves the file to `budget` (or to none): writes pending bytes out
    /// and charges the new budget the length first; if that fails, nothing
    /// changes.
    pub(crate) fn move_budget(&mut self, budget: Option<&DiskBudget>) -> io::Result<()> {
        self.reclaim()?;
        self.flush()?;
        self.mode = Mode::Idle;
        if let Some(budget) = budget {
            budget.try_charge(self.len)?;
        }
        self.release_budget();
        if let Some(budget) = budget {
            self.set_budget(budget.clone(), self.len);
        }
        Ok(())
    }

    /// Gives everything charged back and stops counting.
    pub(crate) fn release_budget(&mut self) {
        if let Some(budget) = self.budget.take() {
            budget.release(self.charged);
        }
        self.charged = 0;
    }

    /// Charges the budget so that the file may reach `end`; the error
    /// (`StorageFull`) charges nothing.
    fn charge_to(&mut self, end: u64) -> io::Result<()> {
        if let Some(budget) = &self.budget {
            if end > self.charged {
                budget.try_charge(end - self.charged)?;
                self.charged = end;
            }
        }
        Ok(())
    }

    /// The size of the buffer.
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.capacity
    }

    /// Writes the buffer out and uses one of `capacity` bytes from now on
    /// (at least one byte: a buffer of one is no buffering at all).
    pub(crate) fn set_buffer_capacity(&mut self, capacity: usize) -> io::Result<()> {
        self.reclaim()?;
        self.flush()?;
        self.mode = Mode::Idle;
        self.capacity = capacity.max(1);
        self.buf = Box::default();
        Ok(())
    }

    /// The length. While the file is lent, the file system's answer (or the
    /// length before lending if even `fstat` fails).
    pub(crate) fn len(&self) -> u64 {
        match self.mode {
            Mode::Lent => self.file.metadata().map_or(self.len, |m| m.len()),
            // Buffered writes end at the position.
            Mode::Writing { len } if len > 0 => self.len.max(self.pos),
            _ => self.len,
        }
    }

    /// Copies `data` into the buffer if the buffer is collecting writes and
    /// has space; `None` sends the caller to [`write`](Self::write).
    #[inline(always)]
    pub(crate) fn write_fast(&mut self, data: &[u8]) -> Option<usize> {
        if let Mode::Writing { len } = &mut self.mode {
            let end = *len + data.len();
            if end <= self.buf.len() {
                self.buf[*len..end].copy_from_slice(data);
                *len = end;
                self.pos += data.len() as u64;
                return Some(data.len());
            }
        }
        None
    }

    /// Copies all of `bufs` into the buffer if the buffer is collecting
    /// writes and has space for them; `None` sends the caller to
    /// [`write_vectored`](Write::write_vectored).
    #[inline(always)]
    pub(crate) fn write_vectored_fast(&mut self, bufs: &[IoSlice<'_>]) -> Option<usize> {
        if let Mode::Writing { len } = &mut self.mode {
            let total = bufs.iter().fold(0usize, |t, b| t.saturating_add(b.len()));
            if total <= self.buf.len() - *len {
                for part in bufs {
                    let end = *len + part.len();
                    self.buf[*len..end].copy_from_slice(part);
                    *len = end;
                }
                self.pos += total as u64;
                return Some(total);
            }
        }
        None
    }

    /// Fills `out` from the read-ahead if it holds enough, answering
    /// `true`; `false` sends the caller to [`read_exact`](Read::read_exact).
    #[inline(always)]
    pub(crate) fn read_exact_fast(&mut self, out: &mut [u8]) -> bool {
        if let Mode::Reading { next, end } = &mut self.mode {
            if out.len() <= *end - *next {
                out.copy_from_slice(&self.buf[*next..*next + out.len()]);
                *next += out.len();
                self.pos += out.len() as u64;
                return true;
            }
        }
        false
    }

    /// The position (`Seek::stream_position`): no system call, unless the
    /// file was lent and its offset is the truth.
    #[inline]
    pub(crate) fn stream_position(&mut self) -> io::Result<u64> {
        self.reclaim()?;
        Ok(self.pos)
    }

    /// Reads from the buffer if it holds read-ahead; `None` sends the
    /// caller to [`read`](Self::read).
    #[inline(always)]
    pub(crate) fn read_fast(&mut self, out: &mut [u8]) -> Option<usize> {
        if let Mode::Reading { next, end } = &mut self.mode {
            if *next < *end {
                let n = (*end - *next).min(out.len());
                out[..n].copy_from_slice(&self.buf[*next..*next + n]);
                *next += n;
                self.pos += n as u64;
                return Some(n);
            }
        }
        None
    }

    /// Truncates or zero-extends the file to `size` after writing pending
    /// bytes out; the position stays.
    pub(crate) fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.reclaim()?;
        self.flush()?;
        self.mode = Mode::Idle;
        self.check_limit(size)?;
        self.charge_to(size)?;
        self.file.set_len(size)?;
        self.len = size;
        if let Some(budget) = &self.budget {
            if self.charged > size {
                budget.release(self.charged - size);
                self.charged = size;
            }
        }
        Ok(())
    }

    /// Writes pending bytes out, sets the file's own offset to the
    /// position, and hands the file out: until the next operation here, the
    /// file's offset and length are the truth.
    pub(crate) fn lend(&mut self) -> io::Result<&mut File> {
        if self.mode != Mode::Lent {
            self.flush()?;
            self.file.seek(SeekFrom::Start(self.pos))?;
            self.mode = Mode::Lent;
        }
        Ok(&mut self.file)
    }

    /// The file, with everything written and its offset at the position.
    pub(crate) fn into_file(mut self) -> Result<File, (io::Error, Disk)> {
        match self.lend() {
            Ok(_) => {
                self.release_budget();
                Ok(self.file)
            }
            Err(e) => Err((e, self)),
        }
    }

    /// The raw descriptor, after [`lend`](Self::lend).
    pub(crate) fn fileno(&mut self) -> io::Result<sys::Fileno> {
        Ok(sys::fileno(self.lend()?))
    }

    /// After the file was lent, takes its offset back as the position and
    /// its length as the length.
    #[inline]
    fn reclaim(&mut self) -> io::Result<()> {
        if self.mode == Mode::Lent {
            self.take_back()?;
        }
        Ok(())
    }

    /// [`reclaim`](Self::reclaim)'s work, out of the way of the fast paths.
    #[cold]
    fn take_back(&mut self) -> io::Result<()> {
        let pos = self.file.stream_position()?;
        self.len = self.file.metadata()?.len();
        self.pos = pos;
        self.mode = Mode::Idle;
        // Bytes written through the lent file are on disk whether or not
        // they fit: counted, so that the budget stays the truth.
        if let Some(budget) = &self.budget {
            if self.len > self.charged {
                budget.force_charge(self.len - self.charged);
                self.charged = self.len;
            }
        }
        Ok(())
    }

    /// Gets ready to read at the position: pending writes out, no stale
    /// read-ahead.
    fn prepare_read(&mut self) -> io::Result<()> {
        self.reclaim()?;
        self.flush()?;
        self.mode = Mode::Idle;
        Ok(())
    }

    /// Reads a buffer's worth at the position.
    fn fill(&mut self) -> io::Result<()> {
        self.ensure_buffer();
        let n = sys::read_at(&self.file, &mut self.buf, self.pos)?;
        self.mode = Mode::Reading { next: 0, end: n };
        Ok(())
    }

    /// `EFBIG` if the file would reach `end` past the file-size limit. The
    /// limit is read again only when `end` passes the value kept (it may
    /// have been raised since): otherwise this is one comparison.
    fn check_limit(&mut self, end: u64) -> io::Result<()> {
        if end > self.limit {
            self.limit = sys::file_size_limit();
            if end > self.limit {
                return Err(sys::file_too_large());
            }
        }
        Ok(())
    }

    /// `fill_buf` when the read-ahead is used up: pending writes out, then
    /// a buffer's worth read at the position.
    #[inline(never)]
    fn refill(&mut self) -> io::Result<&[u8]> {
        self.prepare_read()?;
        if self.pos >= self.len {
            return Ok(&[]);
        }
        self.fill()?;
        match self.mode {
            Mode::Reading { next, end } => Ok(&self.buf[next..end]),
            _ => Ok(&[]),
        }
    }

    fn ensure_buffer(&mut self) {
        if self.buf.len() != self.capacity {
            self.buf = vec![0; self.capacity].into_boxed_slice();
        }
    }
}

impl Write for Disk {
    /// Writes `data` at the position: into the buffer (writing the buffer
    /// out first when it is full), or straight to the file when `data` is
    /// at least a buffer long. An error means nothing of `data` was taken.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(n) = self.write_fast(data) {
            return Ok(n);
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.reclaim()?;
        // Large writes skip the buffer, and so do writes where a buffer's
        // worth would pass the largest offset or the file-size limit: the
        // file system, or the limit check, then refuses them now, not at
        // some later flush (or in `Drop`, where the error is lost).
        // So do writes when the disk budget has no room for a buffer's
        // worth: each is charged exactly, and refused whole if it does not
        // fit.
        let reach = self.pos.saturating_add(self.capacity as u64);
        let direct = data.len() >= self.capacity
            || reach > MAX_OFFSET
            || reach > self.limit
            || self.charge_to(reach).is_err();
        if direct {
            let end = self.pos.saturating_add(data.len() as u64);
            self.check_limit(end)?;
            self.charge_to(end)?;
        }
        match self.mode {
            Mode::Writing { len } if direct || len + data.len() > self.buf.len() => self.flush()?,
            Mode::Writing { .. } => {}
            // Read-ahead is dropped: the position is already the logical one.
            _ => self.mode = Mode::Writing { len: 0 },
        }
        if direct {
            let n = sys::write_at(&self.file, data, self.pos)?;
            self.pos += n as u64;
            self.len = self.len.max(self.pos);
            // The next write checks the offset again.
            self.mode = Mode::Idle;
            return Ok(n);
        }
        self.ensure_buffer();
        let done = self.write_fast(data);
        debug_assert_eq!(done, Some(data.len()));
        Ok(data.len())
    }

    /// Writes the slices in order, as many as go without an error; an error
    /// is returned only if nothing was written.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let mut written = 0;
        for part in bufs {
            match self.write(part) {
                Ok(n) => {
                    written += n;
                    if n < part.len() {
                        break;
                    }
                }
                Err(e) if written == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(written)
    }

    /// Writes the buffered bytes to the file. On failure they stay buffered
    /// (writing them again later is idempotent: the offsets are fixed).
    /// Buffered bytes never pass the file-size limit (see
    /// [`write`](Self::write)); the check here only makes sure of it.
    ///
    /// The empty buffer left behind starts at the position: it keeps
    /// collecting writes only if a buffer's worth from there stays within
    /// the limit (and the largest offset), as [`write`](Self::write)
    /// requires of a new buffer; otherwise the next write goes through
    /// `write` and its checks.
    fn flush(&mut self) -> io::Result<()> {
        if let Mode::Writing { len } = self.mode {
            if len > 0 {
                let start = self.pos - len as u64;
                self.check_limit(self.pos)?;
                sys::write_all_at(&self.file, &self.buf[..len], start)?;
                let reach = self.pos.saturating_add(self.capacity as u64);
                self.mode =
                    if reach > MAX_OFFSET || reach > self.limit || self.charge_to(reach).is_err() {
                        Mode::Idle
                    } else {
                        Mode::Writing { len: 0 }
                    };
                self.len = self.len.max(self.pos);
            }
        }
        Ok(())
    }
}

impl Read for Disk {
    /// Reads at the position: from the buffer, refilling it when empty, or
    /// straight into `out` when `out` is at least a buffer long. Pending
    /// writes go to the file first, so a read never sees stale data.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(n) = self.read_fast(out) {
            return Ok(n);
        }
        if out.is_empty() {
            return Ok(0);
        }
        self.prepare_read()?;
        if self.pos >= self.len {
            // At or past the end (even past the largest offset): nothing.
            return Ok(0);
        }
        if out.len() >= self.capacity {
            self.mode = Mode::Idle;
            let n = sys::read_at(&self.file, out, self.pos)?;
            self.pos += n as u64;
            return Ok(n);
        }
        self.fill()?;
        Ok(self.read_fast(out).unwrap_or(0))
    }

    /// Appends the read-ahead, then everything from the position to the
    /// known length, read straight into `out`'s spare capacity: one
    /// allocation and one system call (more only for partial reads), no
    /// zero-filling and no probing for the end. On an error, what was read
    /// stays in `out` and the position is past it.
    fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        if let Mode::Reading { next, end } = self.mode {
            let ahead = &self.buf[next..end];
            out.try_reserve(ahead.len())
                .map_err(|_| cannot_allocate(ahead.len()))?;
            out.extend_from_slice(ahead);
            self.pos += ahead.len() as u64;
        }
        self.prepare_read()?;
        while self.pos < self.len {
            let want = usize::try_from(self.len - self.pos).unwrap_or(usize::MAX);
            out.try_reserve(want).map_err(|_| cannot_allocate(want))?;
            let before = out.len();
            let n = sys::read_append_at(&self.file, out, self.pos)?;
            if n == 0 {
                break;
            }
            // Bytes past the known length (the file grew through a clone)
            // are not the spool's.
            let kept = n.min(want);
            out.truncate(before + kept);
            self.pos += kept as u64;
        }
        Ok(out.len() - start)
    }

    /// [`read_to_end`](Self::read_to_end), then a UTF-8 check, as std's
    /// `read_to_string`: on bytes that are not UTF-8, `out` is unchanged and
    /// the error is `InvalidData` (the bytes were read: the position is
    /// past them, as for a file).
    fn read_to_string(&mut self, out: &mut String) -> io::Result<usize> {
        if !out.is_empty() {
            let mut tail = String::new();
            let result = self.read_to_string(&mut tail);
            out.push_str(&tail);
            return result;
        }
        let mut bytes = mem::take(out).into_bytes();
        let result = self.read_to_end(&mut bytes);
        match String::from_utf8(bytes) {
            Ok(text) => {
                *out = text;
                result
            }
            Err(e) => {
                let mut bytes = e.into_bytes();
                bytes.clear();
                *out = String::from_utf8(bytes).unwrap_or_default();
                result.and(Err(invalid_utf8()))
            }
        }
    }
}

impl BufRead for Disk {
    /// The buffered bytes from the position on, reading more when there are
    /// none (`BufRead::fill_buf`).
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Mode::Reading { next, end } = self.mode {
            if next < end {
                return Ok(&self.buf[next..end]);
            }
        }
        self.refill()
    }

    /// Moves past `amt` bytes returned by [`fill_buf`](Self::fill_buf).
    #[inline]
    fn consume(&mut self, amt: usize) {
        if let Mode::Reading { next, end } = &mut self.mode {
            let n = amt.min(*end - *next);
            *next += n;
            self.pos += n as u64;
        }
    }
}

impl Seek for Disk {
    /// Moves the position; a target inside the read-ahead keeps it, and
    /// the target equal to the position (`stream_position`) keeps pending
    /// writes buffered. Otherwise pending writes go out first: if that
    /// fails, the position does not move.
    fn seek(&mut self, from: SeekFrom) -> io::Result<u64> {
        self.reclaim()?;
        let target = crate::spool::resolve_seek(from, self.pos, self.len())?;
        match &mut self.mode {
            Mode::Reading { next, end } => {
                let start = self.pos - *next as u64;
                if target >= start && target - start <= *end as u64 {
                    *next = (target - start) as usize;
                    self.pos = target;
                    return Ok(target);
                }
            }
            Mode::Writing { .. } if target == self.pos => return Ok(target),
            Mode::Writing { .. } => self.flush()?,
            Mode::Idle | Mode::Lent => {}
        }
        self.mode = Mode::Idle;
        self.pos = target;
        Ok(target)
    }
}
