//! [`AsyncTempFile`]: a [`TempFile`] for async code.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::tokio::fs::File;
use ::tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use tempcore::PathError;

use super::{joined, runtime, shut_down};
use crate::builder::Builder;
use crate::file::{TempFile, TempFilePersistError};
use crate::persist::PersistOptions;

/// A [`TempFile`] for async code: anonymous, written through a
/// [`tokio::fs::File`], and given its name atomically by
/// [`persist_async`](Self::persist_async) on tokio's blocking pool.
///
/// The tokio file is a second descriptor of the same open file (`dup`,
/// made when the `AsyncTempFile` is): it shares the position, and costs
/// one descriptor more than a [`TempFile`].
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().build()?.block_on(async {
/// use tokio::io::AsyncWriteExt;
/// let target = tempfs::temp_dir()?.join(tempfs::random_name("upload-", ".bin", 8)?);
/// let mut draft = tempfs::AsyncTempFile::new().await?;
/// draft.write_all(b"complete or absent").await?;
/// draft.persist_async(&target).await?;
/// assert_eq!(std::fs::read(&target)?, b"complete or absent");
/// # std::fs::remove_file(&target)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AsyncTempFile {
    /// Declared first: closed first.
    file: File,
    temp: TempFile,
}

impl AsyncTempFile {
    /// [`TempFile::new`] on the blocking pool. A future dropped before it
    /// is done leaves nothing behind.
    pub async fn new() -> io::Result<AsyncTempFile> {
        Builder::new().temp_file_async().await
    }

    /// [`TempFile::new_in`] on the blocking pool.
    pub fn new_in<P: AsRef<Path>>(
        dir: P,
    ) -> impl Future<Output = io::Result<AsyncTempFile>> + Send + use<P> {
        Builder::new().temp_file_in_async(dir)
    }

    /// Wraps a [`TempFile`] (one `dup` of its descriptor, which does not
    /// block): for instance the one a failed
    /// [`persist_async`](Self::persist_async) gives back.
    pub fn from_sync(temp: TempFile) -> io::Result<AsyncTempFile> {
        let file = temp.as_file().try_clone()?;
        Ok(AsyncTempFile {
            file: File::from_std(file),
            temp,
        })
    }

    /// The open file.
    pub fn as_file(&self) -> &File {
        &self.file
    }

    /// The open file, mutably.
    pub fn as_file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// [`persist`](TempFile::persist) for async code.
    pub async fn persist_async(
        self,
        new_path: impl AsRef<Path>,
    ) -> Result<File, TempFilePersistError> {
        self.persist_with_async(new_path, &PersistOptions::replace())
            .await
    }

    /// [`persist_noclobber`](TempFile::persist_noclobber) for async code.
    pub async fn persist_noclobber_async(
        self,
        new_path: impl AsRef<Path>,
    ) -> Result<File, TempFilePersistError> {
        self.persist_with_async(new_path, &PersistOptions::no_replace())
            .await
    }

    /// [`persist_with`](TempFile::persist_with) for async code: flushes
    /// every write tokio acknowledged (a failed one is this call's error),
    /// then links the file on the blocking pool. The error gives the file
    /// back as a [`TempFile`]; [`from_sync`](Self::from_sync) wraps it
    /// again.
    ///
    /// Dropped before it is done, it leaves the file persisted or gone,
    /// never anywhere else. Outside a tokio runtime it fails at once. If
    /// the runtime shuts down while the link waits to start, the file is
    /// dropped (it has no name: nothing is left) and this panics, having
    /// no file to give back.
    pub async fn persist_with_async(
        self,
        new_path: impl AsRef<Path>,
        opts: &PersistOptions,
    ) -> Result<File, TempFilePersistError> {
        const PERSISTING: &str = "persisting a temporary file";
        let AsyncTempFile { mut file, temp } = self;
        let handle = match runtime(PERSISTING) {
            Ok(handle) => handle,
            Err(error) => return Err(TempFilePersistError { error, file: temp }),
        };
        let flushed = poll_fn(|cx| Pin::new(&mut file).poll_flush(cx)).await;
        // The second descriptor is closed once nothing is in flight on it.
        drop(file.into_std().await);
        if let Err(e) = flushed {
            let error = PathError::wrap(e, "writing to a file for", new_path.as_ref());
            return Err(TempFilePersistError { error, file: temp });
        }
        let (target, opts) = (new_path.as_ref().to_path_buf(), *opts);
        let task = handle.spawn_blocking(move || temp.persist_with(target, &opts));
        match joined(PERSISTING, task).await {
            Ok(Ok(file)) => Ok(File::from_std(file)),
            Ok(Err(e)) => Err(e),
            Err(_) => panic!("{}", shut_down(PERSISTING)),
        }
    }

    /// Gives the [`TempFile`] back, waiting for what is in flight on the
    /// tokio file and closing it.
    pub async fn into_sync(self) -> TempFile {
        let AsyncTempFile { file, temp } = self;
        drop(file.into_std().await);
        temp
    }
}

impl fmt::Debug for AsyncTempFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AsyncTempFile").field(&self.temp).finish()
    }
}

/// tokio's [`File`].
impl AsyncRead for AsyncTempFile {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().file).poll_read(cx, buf)
    }
}

/// tokio's [`File`]: a write is acknowledged before it reaches the file,
/// and a failure is reported by a later call; persisting flushes first.
impl AsyncWrite for AsyncTempFile {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().file).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().file).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().file).poll_shutdown(cx)
    }
}

/// tokio's [`File`].
impl AsyncSeek for AsyncTempFile {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        Pin::new(&mut self.get_mut().file).start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Pin::new(&mut self.get_mut().file).poll_complete(cx)
    }
}
