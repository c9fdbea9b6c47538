//! The async rows (the `tokio` feature): the spool in memory against
//! `std::io::Cursor`, both through tokio's `AsyncWrite`/`AsyncRead`
//! (contenders of the memory spool groups, made by [`Polled`]), and a
//! named file made on the blocking pool and dropped, against the
//! `tempfile` crate's behind `spawn_blocking` (the group `async-named`).

use std::future::Future;
use std::io::{self, BufRead, Cursor, IoSlice, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use tokio::runtime::Runtime;

use crate::spool::Backing;

/// An async object driven through `std::io`'s traits: each call is one
/// poll of tokio's trait with a waker that does nothing, and fails with
/// `WouldBlock` if the object is not ready at once (in memory, neither a
/// spool nor a `Cursor` ever is). So the clock sees the poll's own cost:
/// no runtime, no task, no wake-up.
#[derive(Debug)]
pub struct Polled<T>(pub T);

fn ready<T>(polled: Poll<io::Result<T>>) -> io::Result<T> {
    match polled {
        Poll::Ready(result) => result,
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}

fn cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

impl<T: AsyncWrite + Unpin> Write for Polled<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        ready(Pin::new(&mut self.0).poll_write(&mut cx(), buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        ready(Pin::new(&mut self.0).poll_write_vectored(&mut cx(), bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        ready(Pin::new(&mut self.0).poll_flush(&mut cx()))
    }
}

impl<T: AsyncRead + Unpin> Read for Polled<T> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(out);
        ready(Pin::new(&mut self.0).poll_read(&mut cx(), &mut buf))?;
        Ok(buf.filled().len())
    }
}

impl<T: AsyncBufRead + Unpin> BufRead for Polled<T> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        ready(Pin::new(&mut self.0).poll_fill_buf(&mut cx()))
    }

    fn consume(&mut self, n: usize) {
        Pin::new(&mut self.0).consume(n);
    }
}

impl<T: AsyncSeek + Unpin> Seek for Polled<T> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        Pin::new(&mut self.0).start_seek(to)?;
        ready(Pin::new(&mut self.0).poll_complete(&mut cx()))
    }
}

impl Backing for Polled<tempspool::AsyncSpooledTempFile> {
    /// One allocation of the exact size, as the sync spool's
    /// `read_to_end` makes: the allocator's state after the check is then
    /// the same for both, and so are the page faults of the next timed
    /// run.
    fn read_back(mut self) -> io::Result<Vec<u8>> {
        let len = self.seek(SeekFrom::End(0))?;
        let mut bytes = Vec::with_capacity(usize::try_from(len).map_err(io::Error::other)?);
        self.rewind()?;
        self.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn rolled(&self) -> Option<bool> {
        Some(self.0.is_rolled())
    }
}

impl Backing for Polled<Cursor<Vec<u8>>> {
    fn read_back(self) -> io::Result<Vec<u8>> {
        Ok(self.0.into_inner())
    }

    fn rolled(&self) -> Option<bool> {
        None
    }
}

/// The runtime of the `async-named` group: one thread polls, the blocking
/// pool creates.
fn runtime() -> io::Result<&'static Runtime> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// Runs `fut` to its end on the group's runtime.
pub fn block_on<F: Future>(fut: F) -> io::Result<F::Output> {
    Ok(runtime()?.block_on(fut))
}

/// `tempfs::NamedTempFile::new_async()`, then a drop in the runtime.
pub fn ours_named() -> io::Result<()> {
    block_on(async { tempfs::NamedTempFile::new_async().await.map(drop) })?
}

/// `spawn_blocking(tempfile::NamedTempFile::new)`, then a drop in the
/// runtime: what users of the `tempfile` crate write today.
pub fn theirs_named() -> io::Result<()> {
    block_on(async {
        let made = tokio::task::spawn_blocking(tempfile::NamedTempFile::new).await;
        made.map_err(io::Error::other)?.map(drop)
    })?
}
