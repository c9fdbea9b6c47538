//! [`AsyncSpooledTempFile`]: the spool for async code (the `tokio`
//! feature). In memory every call is done in the poll that asks for it;
//! whatever needs a system call (the rollover, I/O after it) goes to
//! tokio's blocking pool, which owns the spool while it works.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::budget::SpoolBudget;
use crate::spool::SpooledTempFile;

/// The most bytes one write or read hands to the blocking pool at once
/// (tokio's `File` takes up to 2 MiB).
const MAX_CHUNK: usize = 2 * 1024 * 1024;

/// What a read for [`AsyncBufRead`] asks of the file after a rollover.
const READ_AHEAD: usize = 64 * 1024;

/// A [`SpooledTempFile`] for async code (Python's `SpooledTemporaryFile`):
/// [`AsyncRead`], [`AsyncWrite`], [`AsyncSeek`] and [`AsyncBufRead`], with
/// the same rollover rule, budgets and lossless rollover.
///
/// In memory, a read, write, seek or `fill_buf` is done in the poll that
/// asks for it, allocating nothing beyond the data (a buffer that must
/// grow grows, as a `Vec` does): no task, no system call, no waker. A
/// write that rolls the spool over, and every call after the rollover,
/// runs on tokio's blocking pool, so a worker thread never waits for the
/// disk.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().build()?.block_on(async {
/// use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use tempspool::{AsyncSpooledTempFile, SpoolBudget};
///
/// let budget = SpoolBudget::new(1 << 20); // shared by every upload
/// let mut upload = AsyncSpooledTempFile::with_budget(64 * 1024, &budget);
/// upload.write_all(b"small bodies stay in memory").await?;
/// assert!(!upload.is_rolled());
/// upload.rewind().await?;
/// let mut body = String::new();
/// upload.read_to_string(&mut body).await?;
/// assert_eq!(body, "small bodies stay in memory");
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Acknowledged writes
///
/// A write that goes to the blocking pool is acknowledged when the pool
/// takes it (as tokio's `File` does): `poll_write` copies the bytes and
/// returns at once, and a failure (a rollover refused for lack of disk,
/// a disk budget) is reported by the next call on the spool. Nothing
/// acknowledged is lost then: the spool still holds every byte written
/// before (a failed rollover changes nothing), and the bytes of the failed
/// write stay in this object, written first by the next call (flush,
/// write, read, seek), which fails the same way until the cause is gone.
/// Flush (or [`into_sync`](Self::into_sync)) to know the data is in the
/// spool. Dropping the spool drops what it holds, of course.
///
/// # Cancellation
///
/// A future on the spool dropped at any point leaves it whole: work that
/// reached the blocking pool runs to its end there, and the next call
/// waits for it first; bytes read from the file ahead of the caller are
/// kept for the next read. Dropping the spool while work is in flight
/// lets the work finish on the pool, which then drops the spool (a rolled
/// spool's file is anonymous: nothing is left). A rolled spool that is
/// dropped closes its file on the pool too.
///
/// # Outside a runtime
///
/// In memory, nothing needs a runtime. A call that needs the blocking pool
/// fails with an [`io::Error`] saying that it needs a tokio runtime when
/// none is running; it never panics and never hangs. If the runtime shuts
/// down while it holds the spool, the spool is gone (dropped with its
/// anonymous file) and every later call fails saying so.
pub struct AsyncSpooledTempFile {
    /// The spool, while no work on it is on the blocking pool.
    spool: Option<SpooledTempFile>,
    /// The work on the blocking pool, which owns the spool meanwhile.
    task: Option<JoinHandle<Done>>,
    /// Bytes on their way: read ahead (`buf[at..]`), or acknowledged and
    /// not yet in the spool, as `held` says. Reused, so that calls after a
    /// rollover allocate only when they need more room than before.
    buf: Vec<u8>,
    at: usize,
    held: Held,
    /// How far the spool's position is past what the caller saw: bytes
    /// read ahead and dropped, which the next work seeks back over.
    rewind: u64,
    /// What the last work on the pool did, if it succeeded and nobody
    /// asked yet.
    finished: Option<Finished>,
    /// The runtime shut down while holding the spool.
    lost: bool,
}

/// What `buf` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Nothing,
    /// Bytes read from the file and not yet given to the caller: the
    /// spool's position is past them. Empty: the end of the file.
    ReadAhead,
    /// Bytes acknowledged to a writer that the spool refused.
    Unwritten,
}

/// Work for the blocking pool.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// Write all of `buf`.
    Write,
    /// Read up to this many bytes into `buf`.
    Read(usize),
    Seek(SeekFrom),
    Flush,
    SetLen(u64),
    Rollover,
}

/// What came back from the pool.
struct Done {
    spool: SpooledTempFile,
    buf: Vec<u8>,
    result: io::Result<Finished>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finished {
    Wrote,
    Read,
    Sought(u64),
    Flushed,
    Other,
}

impl AsyncSpooledTempFile {
    /// A spool that rolls over past `max_size` bytes (0: never by size):
    /// [`SpooledTempFile::new`].
    pub fn new(max_size: usize) -> AsyncSpooledTempFile {
        AsyncSpooledTempFile::from(SpooledTempFile::new(max_size))
    }

    /// A spool whose memory is charged to `budget`, shared with any number
    /// of other spools, sync or async: [`SpooledTempFile::with_budget`].
    pub fn with_budget(max_size: usize, budget: &SpoolBudget) -> AsyncSpooledTempFile {
        AsyncSpooledTempFile::from(SpooledTempFile::with_budget(max_size, budget))
    }

    /// Whether the spool is on disk. `true` also while a write that rolls
    /// it over is on the blocking pool (even if that rollover is about to
    /// fail).
    pub fn is_rolled(&self) -> bool {
        self.spool.as_ref().is_none_or(SpooledTempFile::is_rolled)
    }

    /// The spool's length, once the work in flight is done (an error of
    /// that work is returned instead).
    pub async fn len(&mut self) -> io::Result<u64> {
        self.idle().await?;
        Ok(self.spool()?.len())
    }

    /// Rolls over now, on the blocking pool:
    /// [`SpooledTempFile::rollover`].
    pub async fn rollover(&mut self) -> io::Result<()> {
        self.run(Op::Rollover).await.map(drop)
    }

    /// Truncates or extends, on the blocking pool (it may roll over):
    /// [`SpooledTempFile::set_len`].
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.run(Op::SetLen(size)).await.map(drop)
    }

    /// Waits for the work in flight, writes what it still holds, and gives
    /// the [`SpooledTempFile`] back, at the position this object reported.
    pub async fn into_sync(mut self) -> io::Result<SpooledTempFile> {
        self.idle().await?;
        self.drop_read_ahead();
        if self.rewind > 0 {
            self.run(Op::Seek(SeekFrom::Current(0))).await?;
        }
        self.spool()?;
        Ok(self.spool.take().expect("checked just above"))
    }

    /// Waits until nothing is in flight and nothing held is unwritten.
    async fn idle(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_idle(cx)).await
    }

    /// Waits for the work in flight, then runs `op` on the pool and waits
    /// for it.
    async fn run(&mut self, op: Op) -> io::Result<Finished> {
        self.idle().await?;
        self.drop_read_ahead();
        self.start(op)?;
        self.idle().await?;
        self.finished
            .take()
            .ok_or_else(|| io::Error::other("the spool's work came back without a result"))
    }

    fn spool(&mut self) -> io::Result<&mut SpooledTempFile> {
        match &mut self.spool {
            Some(spool) => Ok(spool),
            None => Err(lost()),
        }
    }

    /// Drives the work in flight to its end, and writes held bytes that
    /// were refused before. `Ready(Ok)` means the spool is here, with no
    /// unwritten bytes; an error is the error of work acknowledged before.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if let Some(task) = &mut self.task {
                let joined = ready!(Pin::new(task).poll(cx));
                self.task = None;
                let done = match joined {
                    Ok(done) => done,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(_) => {
                        self.lost = true;
                        return Poll::Ready(Err(lost()));
                    }
                };
                self.spool = Some(done.spool);
                self.buf = done.buf;
                self.at = 0;
                self.finished = None;
                match done.result {
                    Ok(Finished::Read) => self.held = Held::ReadAhead,
                    Ok(finished) => {
                        self.held = Held::Nothing;
                        self.finished = Some(finished);
                    }
                    Err(e) => {
                        // A write gives back what it could not write.
                        self.held = if self.buf.is_empty() {
                            Held::Nothing
                        } else {
                            Held::Unwritten
                        };
                        return Poll::Ready(Err(e));
                    }
                }
            }
            if self.held == Held::Unwritten {
                self.start(Op::Write)?;
                continue;
            }
            if self.lost {
                return Poll::Ready(Err(lost()));
            }
            return Poll::Ready(Ok(()));
        }
    }

    /// Hands `op` to the blocking pool with the spool and `buf`.
    fn start(&mut self, op: Op) -> io::Result<()> {
        let handle = Handle::try_current().map_err(|_| {
            io::Error::other("a spool on disk needs a tokio runtime, and was used outside one")
        })?;
        let Some(mut spool) = self.spool.take() else {
            return Err(lost());
        };
        let rewind = std::mem::take(&mut self.rewind);
        let mut buf = std::mem::take(&mut self.buf);
        self.finished = None;
        self.task = Some(handle.spawn_blocking(move || {
            let result = work(&mut spool, &mut buf, rewind, op);
            Done { spool, buf, result }
        }));
        Ok(())
    }

    /// Gives bytes read ahead back, before anything but a read: the next
    /// work seeks back over them.
    fn drop_read_ahead(&mut self) {
        if self.held == Held::ReadAhead {
            self.rewind += (self.buf.len() - self.at) as u64;
            self.held = Held::Nothing;
            self.buf.clear();
            self.at = 0;
        }
    }

    /// Drives work in flight to its end, then hands `op` to the pool and
    /// drives it to its end too: for the calls that always need the pool
    /// after a rollover. `Ready(Ok)` once `op` is done, with its result in
    /// `finished`.
    fn poll_op(&mut self, cx: &mut Context<'_>, op: Op, want: Finished) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_idle(cx))?;
            if self.finished == Some(want) {
                return Poll::Ready(Ok(()));
            }
            self.drop_read_ahead();
            self.start(op)?;
        }
    }
}

/// The work, on the blocking pool.
fn work(
    spool: &mut SpooledTempFile,
    buf: &mut Vec<u8>,
    rewind: u64,
    op: Op,
) -> io::Result<Finished> {
    if rewind > 0 {
        let back = i64::try_from(rewind).map_err(io::Error::other)?;
        if let Err(e) = spool.seek(SeekFrom::Current(-back)) {
            if !matches!(op, Op::Write) {
                buf.clear();
            }
            return Err(e);
        }
    }
    match op {
        Op::Write => {
            let mut done = 0;
            let result = loop {
                match spool.write(&buf[done..]) {
                    Ok(0) if done < buf.len() => {
                        break Err(io::Error::new(
                            io::ErrorKind::WriteZero,
                            "failed to write whole buffer",
                        ));
                    }
                    Ok(n) => {
                        done += n;
                        if done == buf.len() {
                            break Ok(Finished::Wrote);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            buf.drain(..done);
            result
        }
        Op::Read(len) => {
            buf.clear();
            buf.resize(len, 0);
            let read = spool.read(buf);
            buf.truncate(*read.as_ref().unwrap_or(&0));
            read.map(|_| Finished::Read)
        }
        other => {
            buf.clear();
            match other {
                Op::Seek(to) => spool.seek(to).map(Finished::Sought),
                Op::Flush => spool.flush().map(|()| Finished::Flushed),
                Op::SetLen(size) => spool.set_len(size).map(|()| Finished::Other),
                _ => spool.rollover().map(|()| Finished::Other),
            }
        }
    }
}

fn lost() -> io::Error {
    io::Error::other("the tokio runtime shut down while it held the spool, which is gone")
}

impl From<SpooledTempFile> for AsyncSpooledTempFile {
    /// The same spool, for async code.
    fn from(spool: SpooledTempFile) -> AsyncSpooledTempFile {
        AsyncSpooledTempFile {
            spool: Some(spool),
            task: None,
            buf: Vec::new(),
            at: 0,
            held: Held::Nothing,
            rewind: 0,
            finished: None,
            lost: false,
        }
    }
}

impl AsyncSpooledTempFile {
    /// The spool, if it is here, in memory, with nothing in flight or
    /// held: what the calls done at once need.
    #[inline(always)]
    fn idle_spool(&mut self) -> Option<&mut SpooledTempFile> {
        match &mut self.spool {
            Some(spool) if self.task.is_none() && self.held == Held::Nothing => Some(spool),
            _ => None,
        }
    }

    #[inline(never)]
    fn poll_write_slow(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self;
        ready!(this.poll_idle(cx))?;
        if let Some(done) = this.spool()?.write_in_memory(data) {
            return Poll::Ready(done);
        }
        this.drop_read_ahead();
        let n = data.len().min(MAX_CHUNK);
        this.buf.clear();
        this.buf.extend_from_slice(&data[..n]);
        if let Err(e) = this.start(Op::Write) {
            this.buf.clear();
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for AsyncSpooledTempFile {
    /// In memory, done at once unless it rolls over. Otherwise up to 2 MiB
    /// of `data` are copied, acknowledged, and written on the blocking
    /// pool (see *Acknowledged writes*).
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // In memory with nothing in flight: inlined into the caller.
        if let Some(spool) = this.idle_spool() {
            if let Some(done) = spool.write_in_memory(data) {
                return Poll::Ready(done);
            }
        }
        this.poll_write_slow(cx, data)
    }

    /// In memory, nothing to do (but bytes a failed rollover left
    /// unwritten are written first). After a rollover, the spool's
    /// buffered writes go to its file, on the blocking pool.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_idle(cx))?;
        if !this.spool()?.is_rolled() {
            return Poll::Ready(Ok(()));
        }
        ready!(this.poll_op(cx, Op::Flush, Finished::Flushed))?;
        this.finished = None;
        Poll::Ready(Ok(()))
    }

    /// [`poll_flush`](Self::poll_flush): the spool stays usable.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncRead for AsyncSpooledTempFile {
    /// In memory, a copy, at once. After a rollover, from the bytes read
    /// ahead, or a read of up to 2 MiB on the blocking pool.
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // In memory with nothing in flight: inlined into the caller.
        if let Some(spool) = this.idle_spool() {
            if !spool.is_rolled() {
                if let Ok(data) = spool.fill_buf() {
                    let n = data.len().min(out.remaining());
                    out.put_slice(&data[..n]);
                    spool.consume(n);
                    return Poll::Ready(Ok(()));
                }
            }
        }
        this.poll_read_slow(cx, out)
    }
}

impl AsyncSpooledTempFile {
    #[inline(never)]
    fn poll_read_slow(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self;
        if out.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            ready!(this.poll_idle(cx))?;
            if this.held == Held::ReadAhead {
                let ahead = &this.buf[this.at..];
                let n = ahead.len().min(out.remaining());
                out.put_slice(&ahead[..n]);
                this.consume_ahead(n);
                if this.at == this.buf.len() {
                    // Read to the end of the read-ahead, or at the end of
                    // the file (an empty read-ahead): done with it.
                    this.held = Held::Nothing;
                }
                return Poll::Ready(Ok(()));
            }
            let spool = this.spool()?;
            if !spool.is_rolled() {
                let data = spool.fill_buf()?;
                let n = data.len().min(out.remaining());
                out.put_slice(&data[..n]);
                spool.consume(n);
                return Poll::Ready(Ok(()));
            }
            this.start(Op::Read(out.remaining().min(MAX_CHUNK)))?;
        }
    }
}

impl AsyncBufRead for AsyncSpooledTempFile {
    /// In memory, everything from the position to the end, at once, without
    /// copying. After a rollover, up to 64 KiB read ahead on the blocking
    /// pool.
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        loop {
            ready!(this.poll_idle(cx))?;
            if this.held == Held::ReadAhead {
                break;
            }
            if !this.spool()?.is_rolled() {
                break;
            }
            this.start(Op::Read(READ_AHEAD))?;
        }
        if this.held == Held::ReadAhead {
            return Poll::Ready(Ok(&this.buf[this.at..]));
        }
        Poll::Ready(this.spool()?.fill_buf())
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        if this.held == Held::ReadAhead {
            this.consume_ahead(amt);
            if this.at == this.buf.len() {
                this.held = Held::Nothing;
            }
        } else if let Some(spool) = &mut this.spool {
            spool.consume(amt);
        }
    }
}

impl AsyncSpooledTempFile {
    fn consume_ahead(&mut self, n: usize) {
        self.at = (self.at + n).min(self.buf.len());
    }
}

impl AsyncSeek for AsyncSpooledTempFile {
    /// In memory, done at once. After a rollover, on the blocking pool.
    /// Fails if work is still in flight: call `poll_complete` first (as
    /// tokio's `seek` does).
    fn start_seek(self: Pin<&mut Self>, to: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        if this.task.is_some() || this.held == Held::Unwritten {
            return Err(io::Error::other(
                "a seek started while other work on the spool is in flight",
            ));
        }
        let spool = this.spool()?;
        if !spool.is_rolled() {
            let at = spool.seek(to)?;
            this.finished = Some(Finished::Sought(at));
            return Ok(());
        }
        this.drop_read_ahead();
        this.start(Op::Seek(to))
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        ready!(this.poll_idle(cx))?;
        if let Some(Finished::Sought(at)) = this.finished {
            this.finished = None;
            return Poll::Ready(Ok(at));
        }
        // No seek asked: the position the caller sees.
        let unread = (this.buf.len() - this.at) as u64;
        let unread = if this.held == Held::ReadAhead {
            unread
        } else {
            0
        };
        let rewind = this.rewind + unread;
        let pos = this.spool()?.stream_position()?;
        Poll::Ready(Ok(pos.saturating_sub(rewind)))
    }
}

/// A spool in memory is dropped here (giving its memory back to its
/// budget); a rolled one, or one the blocking pool holds, is dropped on
/// the pool, which closes its anonymous file.
impl Drop for AsyncSpooledTempFile {
    fn drop(&mut self) {
        if let Some(spool) = self.spool.take() {
            if spool.is_rolled() {
                if let Ok(handle) = Handle::try_current() {
                    drop(handle.spawn_blocking(move || drop(spool)));
                }
            }
        }
    }
}

/// Shows the state, never the contents.
impl fmt::Debug for AsyncSpooledTempFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSpooledTempFile")
            .field("spool", &self.spool)
            .field("in_flight", &self.task.is_some())
            .field("held", &self.held)
            .finish()
    }
}
