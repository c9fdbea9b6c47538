//! The in-memory state of a spool: a byte vector and a position, with the
//! fast paths kept tiny so that they inline into the caller.

use std::io::{self, Cursor, IoSlice, SeekFrom};
use std::str;

use crate::budget::SpoolBudget;

/// The smallest buffer a spool allocates: below it, growing by doubling
/// would cost a reallocation every few bytes.
const MIN_CAPACITY: usize = 64;

/// Bytes and a position, like `Cursor<Vec<u8>>`, plus how far writes may go
/// without asking for memory.
#[derive(Debug)]
pub(crate) struct Memory {
    data: Vec<u8>,
    pos: u64,
    /// Writes ending at or before this need no allocation, no budget and no
    /// rollover check: the capacity, never more than `max_size`.
    room: usize,
    /// The length the spool is expected to reach ([`plan`](Self::plan)),
    /// 0 if none: doubling stops there.
    planned: usize,
}

/// Why [`Memory::make_room`] did not make room.
pub(crate) enum Refusal {
    /// The budget has no more memory to give: roll over.
    Budget,
    /// The allocator failed, or the position is beyond addressable memory.
    Error(io::Error),
}

impl Memory {
    /// Empty, with nothing allocated.
    pub(crate) const fn new() -> Memory {
        Memory {
            data: Vec::new(),
            pos: 0,
            room: 0,
            planned: 0,
        }
    }

    /// The bytes.
    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    /// The position.
    #[inline]
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The length.
    #[inline]
    pub(crate) fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// The memory the buffer holds, as charged to a budget.
    pub(crate) fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Writes `buf` if it fits in the room already allocated, at or before
    /// the end (no zero-filling); `None` sends the caller to the slow path.
    /// Inlined into every caller: with a constant-size `buf` the copy
    /// becomes a few moves.
    #[inline(always)]
    pub(crate) fn write_fast(&mut self, buf: &[u8]) -> Option<usize> {
        let len = self.data.len();
        // Both are at most isize::MAX: the sums cannot overflow.
        if self.pos == len as u64 {
            if len + buf.len() > self.room {
                return None;
            }
            // Appending within capacity: no reallocation.
            self.data.extend_from_slice(buf);
            self.pos = self.data.len() as u64;
            return Some(buf.len());
        }
        if self.pos < len as u64 {
            let pos = self.pos as usize;
            let end = pos + buf.len();
            if end <= len {
                self.data[pos..end].copy_from_slice(buf);
                self.pos = end as u64;
                return Some(buf.len());
            }
        }
        None
    }

    /// Appends every part of `bufs` if the position is at the end and they
    /// all fit in the room already allocated; `None` sends the caller to
    /// the slow path. Inlined into every caller, as [`write_fast`](Self::write_fast).
    #[inline(always)]
    pub(crate) fn write_vectored_fast(&mut self, bufs: &[IoSlice<'_>]) -> Option<usize> {
        let len = self.data.len();
        if self.pos != len as u64 {
            return None;
        }
        let total = bufs.iter().fold(0usize, |t, b| t.saturating_add(b.len()));
        if total > self.room.saturating_sub(len) {
            return None;
        }
        for part in bufs {
            self.data.extend_from_slice(part);
        }
        self.pos = self.data.len() as u64;
        Some(total)
    }

    /// Writes `buf` at the position within the room already made,
    /// zero-filling a gap between the end and the position.
    #[inline]
    fn write_within(&mut self, buf: &[u8]) {
        let pos = self.pos as usize;
        if pos == self.data.len() {
            self.data.extend_from_slice(buf);
            self.pos = self.data.len() as u64;
            return;
        }
        if self.data.len() < pos {
            self.data.resize(pos, 0);
        }
        let end = pos + buf.len();
        let overlap = self.data.len().min(end) - pos;
        self.data[pos..pos + overlap].copy_from_slice(&buf[..overlap]);
        self.data.extend_from_slice(&buf[overlap..]);
        self.pos = end as u64;
    }

    /// Writes every part of `parts` in order, zero-filling a gap between the
    /// end and the position. The caller has made room (`make_room`) for the
    /// position plus the parts' total: nothing reallocates.
    #[inline]
    pub(crate) fn write_in_room<'a>(&mut self, parts: impl IntoIterator<Item = &'a [u8]>) -> usize {
        let mut written = 0;
        for part in parts {
            if !part.is_empty() {
                debug_assert!(self.pos as usize + part.len() <= self.room);
                self.write_within(part);
                written += part.len();
            }
        }
        written
    }

    /// Expects the data to reach `len` bytes: growth by doubling stops
    /// there, so the last growth is to `len` exactly. Allocates nothing.
    pub(crate) fn plan(&mut self, len: usize) {
        self.planned = len;
    }

    /// Makes sure writes up to `end` fit without further allocation, within
    /// `ceiling` (`max_size`, or `usize::MAX` for no limit), charging
    /// `budget` for what the buffer grows by.
    ///
    /// Grows by doubling (at least [`MIN_CAPACITY`], at most `ceiling`, and
    /// not past the planned length while `end` is within it); when the
    /// budget or the allocator cannot give the doubled size, tries the
    /// exact size before refusing.
    #[inline]
    pub(crate) fn make_room(
        &mut self,
        end: u64,
        ceiling: usize,
        budget: Option<&SpoolBudget>,
    ) -> Result<(), Refusal> {
        let end = usize::try_from(end)
            .ok()
            .filter(|&end| end <= isize::MAX as usize)
            .ok_or_else(|| Refusal::Error(beyond_memory(end)))?;
        if end <= self.room {
            return Ok(());
        }
        debug_assert!(end <= ceiling, "the caller checked max_size");
        // end > room = min(capacity, ceiling) and end <= ceiling: the buffer
        // must grow.
        let capacity = self.data.capacity();
        let mut doubled = end
            .max(capacity.saturating_mul(2))
            .max(MIN_CAPACITY)
            .min(ceiling)
            .min(isize::MAX as usize);
        if end <= self.planned {
            // Growing toward a planned length: never past it.
            doubled = doubled.min(self.planned);
        }
        let exact = (doubled > end).then_some(end);
        let mut failure = None;
        for target in [doubled].into_iter().chain(exact) {
            let extra = target - capacity;
            if let Some(budget) = budget {
                if !budget.try_acquire(extra) {
                    continue;
                }
            }
            match self.data.try_reserve_exact(target - self.data.len()) {
                Ok(()) => {
                    let granted = self.data.capacity();
                    if let Some(budget) = budget {
                        if granted > target {
                            budget.force_acquire(granted - target);
                        }
                    }
                    self.room = granted.min(ceiling);
                    return Ok(());
                }
                Err(e) => {
                    if let Some(budget) = budget {
                        budget.release(extra);
                    }
                    failure = Some(e);
                }
            }
        }
        match failure {
            Some(e) => Err(Refusal::Error(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("allocating {end} bytes for a spooled temporary file: {e}"),
            ))),
            None => Err(Refusal::Budget),
        }
    }

    /// Shortens or zero-extends to `size`. Growing needs room made first;
    /// shrinking with a budget attached frees the spare capacity and gives
    /// it back.
    pub(crate) fn set_len(&mut self, size: usize, ceiling: usize, budget: Option<&SpoolBudget>) {
        if size > self.data.len() {
            debug_assert!(size <= self.room, "the caller made room");
            self.data.resize(size, 0);
            return;
        }
        self.data.truncate(size);
        if let Some(budget) = budget {
            let before = self.data.capacity();
            self.data.shrink_to(size);
            let after = self.data.capacity();
            budget.release(before.saturating_sub(after));
            if after > before {
                budget.force_acquire(after - before);
            }
            self.room = after.min(ceiling);
        }
    }

    /// Reads into `out` from the position; 0 at or past the end.
    #[inline(always)]
    pub(crate) fn read(&mut self, out: &mut [u8]) -> usize {
        let len = self.data.len();
        if self.pos <= len as u64 {
            let pos = self.pos as usize;
            if out.len() <= len - pos {
                out.copy_from_slice(&self.data[pos..pos + out.len()]);
                self.pos += out.len() as u64;
                return out.len();
            }
        }
        self.read_tail(out)
    }

    /// [`read`](Self::read) when fewer bytes remain than `out` holds.
    fn read_tail(&mut self, out: &mut [u8]) -> usize {
        let rest = self.remaining();
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n as u64;
        n
    }

    /// Fills `out` if enough bytes remain, answering `true`; `false` sends
    /// the caller to [`read_exact`](Self::read_exact). Inlined into every
    /// caller: with a constant-size `out` the copy becomes a few moves.
    #[inline(always)]
    pub(crate) fn read_exact_fast(&mut self, out: &mut [u8]) -> bool {
        let len = self.data.len();
        if self.pos <= len as u64 {
            let pos = self.pos as usize;
            if out.len() <= len - pos {
                out.copy_from_slice(&self.data[pos..pos + out.len()]);
                self.pos += out.len() as u64;
                return true;
            }
        }
        false
    }

    /// Fills `out` or, if too few bytes remain, reads them all and fails
    /// with `UnexpectedEof`, leaving the position at the end (or where it
    /// was, if past the end).
    #[cold]
    pub(crate) fn read_exact(&mut self, out: &mut [u8]) -> io::Result<()> {
        // Past the end, the fast path leaves even an empty `out` here.
        if out.is_empty() || self.read_exact_fast(out) {
            return Ok(());
        }
        self.pos = self.pos.max(self.len());
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "failed to fill whole buffer",
        ))
    }

    /// Appends everything after the position to `out`.
    #[inline]
    pub(crate) fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let rest = self.remaining();
        let n = rest.len();
        out.try_reserve(n).map_err(|_| cannot_allocate(n))?;
        out.extend_from_slice(rest);
        self.pos += n as u64;
        Ok(n)
    }

    /// Appends everything after the position to `out` if it is UTF-8;
    /// otherwise fails with `InvalidData`, leaving `out` unchanged and the
    /// position at the end, as after a rollover (std's `read_to_string` on a
    /// file: the bytes were read). `Cursor` would not move.
    #[inline]
    pub(crate) fn read_to_string(&mut self, out: &mut String) -> io::Result<usize> {
        let Ok(rest) = str::from_utf8(self.remaining()) else {
            self.pos = self.pos.max(self.len());
            return Err(invalid_utf8());
        };
        let n = rest.len();
        out.try_reserve(n).map_err(|_| cannot_allocate(n))?;
        out.push_str(rest);
        self.pos += n as u64;
        Ok(n)
    }

    /// Moves the position as `from` says (`Seek::seek`).
    #[inline]
    pub(crate) fn seek(&mut self, from: SeekFrom) -> io::Result<u64> {
        let target = crate::spool::resolve_seek(from, self.pos, self.len())?;
        self.pos = target;
        Ok(target)
    }

    /// The bytes from the position to the end (empty past the end).
    #[inline]
    pub(crate) fn remaining(&self) -> &[u8] {
        let start = self.pos.min(self.data.len() as u64) as usize;
        &self.data[start..]
    }

    /// Moves the position past `amt` bytes of [`remaining`](Self::remaining).
    #[inline]
    pub(crate) fn consume(&mut self, amt: usize) {
        self.pos += amt.min(self.remaining().len()) as u64;
    }

    /// The bytes and the position as a `Cursor`, giving up the buffer.
    pub(crate) fn into_cursor(self) -> Cursor<Vec<u8>> {
        let mut cursor = Cursor::new(self.data);
        cursor.set_position(self.pos);
        cursor
    }
}

/// The error of a read whose destination cannot grow by `n` bytes.
#[cold]
pub(crate) fn cannot_allocate(n: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!("allocating {n} bytes to read a spooled temporary file"),
    )
}

/// The error of `read_to_string` on bytes that are not UTF-8 (std's).
#[cold]
pub(crate) fn invalid_utf8() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    )
}

fn beyond_memory(end: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!("a spooled temporary file cannot hold {end} bytes in memory"),
    )
}
