//! [`NamedTempFile`] over a [`tokio::fs::File`]: constructors, persist and
//! close for async code, and tokio's I/O traits.

use std::fs::File as StdFile;
use std::future::poll_fn;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::tokio::fs::File;
use ::tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use tempcore::PathError;

use super::{AsyncNamedTempFile, blocking, joined, runtime, shut_down};
use crate::builder::Builder;
use crate::named::{NamedTempFile, PersistError};
use crate::persist::PersistOptions;

impl NamedTempFile<StdFile> {
    /// The same file and name, the file as a [`tokio::fs::File`] (no
    /// system call).
    pub fn into_async(self) -> AsyncNamedTempFile {
        let (file, path) = self.into_parts();
        NamedTempFile::from_parts(File::from_std(file), path)
    }
}

impl NamedTempFile<File> {
    /// [`NamedTempFile::new`] on tokio's blocking pool: a named temporary
    /// file in the default temporary directory. A future dropped before it
    /// is done leaves nothing behind.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().build()?.block_on(async {
    /// let file = tempfs::NamedTempFile::new_async().await?;
    /// let path = file.path().to_path_buf();
    /// file.close_async().await?;
    /// assert!(!path.exists());
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn new_async() -> io::Result<AsyncNamedTempFile> {
        let named = blocking("creating a temporary file", NamedTempFile::new).await?;
        Ok(named.into_async())
    }

    /// [`NamedTempFile::new_in`] on tokio's blocking pool.
    pub fn new_in_async<P: AsRef<Path>>(
        dir: P,
    ) -> impl Future<Output = io::Result<AsyncNamedTempFile>> + Send + use<P> {
        Builder::new().tempfile_in_async(dir)
    }

    /// Waits for the file's operation in flight, if any, and gives the
    /// same file and name with the file as a [`std::fs::File`]. A write
    /// that tokio acknowledged and that then failed is reported by
    /// `flush`, not here: flush first.
    pub async fn into_std(self) -> NamedTempFile<StdFile> {
        let (file, path) = self.into_parts();
        NamedTempFile::from_parts(file.into_std().await, path)
    }

    /// [`close`](NamedTempFile::close) for async code: waits for the
    /// file's operation in flight, closes it and removes the name (one
    /// `unlinkat` through the directory handle), reporting a failure to
    /// remove it.
    pub async fn close_async(self) -> io::Result<()> {
        self.into_std().await.close()
    }

    /// [`persist`](NamedTempFile::persist) for async code: flushes what
    /// tokio buffered, then renames on the blocking pool.
    pub async fn persist_async(
        self,
        new_path: impl AsRef<Path>,
    ) -> Result<File, PersistError<File>> {
        self.persist_with_async(new_path, &PersistOptions::replace())
            .await
    }

    /// [`persist_noclobber`](NamedTempFile::persist_noclobber) for async
    /// code.
    pub async fn persist_noclobber_async(
        self,
        new_path: impl AsRef<Path>,
    ) -> Result<File, PersistError<File>> {
        self.persist_with_async(new_path, &PersistOptions::no_replace())
            .await
    }

    /// [`persist_with`](NamedTempFile::persist_with) for async code: every
    /// write tokio acknowledged is flushed first (a failed one is this
    /// call's error, naming the file, and the file comes back); then the
    /// rename (and, if durable, the syncs) run on the blocking pool.
    ///
    /// Dropped before it is done, it leaves the file at one of its two
    /// names, never both and never neither for longer than the pool takes
    /// to finish: once the work has started on the pool it runs to its
    /// end, and if it fails, the file given back is dropped there, which
    /// removes it. If the runtime shuts down first, the work is dropped
    /// unrun and the temporary file removed.
    ///
    /// Outside a tokio runtime it fails at once, giving the file back.
    /// If the runtime shuts down while the rename waits to start, the
    /// temporary file is removed and this panics: there is no file left
    /// to give back in the error.
    pub async fn persist_with_async(
        self,
        new_path: impl AsRef<Path>,
        opts: &PersistOptions,
    ) -> Result<File, PersistError<File>> {
        const PERSISTING: &str = "persisting a temporary file";
        let handle = match runtime(PERSISTING) {
            Ok(handle) => handle,
            Err(error) => return Err(PersistError { error, file: self }),
        };
        let (mut file, path) = self.into_parts();
        if let Err(e) = poll_fn(|cx| Pin::new(&mut file).poll_flush(cx)).await {
            let error = PathError::wrap(e, "writing to", &path);
            let file = NamedTempFile::from_parts(file, path);
            return Err(PersistError { error, file });
        }
        let named = NamedTempFile::from_parts(file.into_std().await, path);
        let (target, opts) = (new_path.as_ref().to_path_buf(), *opts);
        let task = handle.spawn_blocking(move || named.persist_with(target, &opts));
        match joined(PERSISTING, task).await {
            Ok(Ok(file)) => Ok(File::from_std(file)),
            Ok(Err(PersistError { error, file })) => Err(PersistError {
                error,
                file: file.into_async(),
            }),
            Err(_) => panic!("{}", shut_down(PERSISTING)),
        }
    }
}

/// Adds the path to an I/O error, keeping its kind.
fn named(e: io::Error, action: &'static str, path: &Path) -> io::Error {
    PathError::wrap(e, action, path)
}

/// tokio's [`File`], with errors that name the path.
impl AsyncRead for NamedTempFile<File> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(this.as_file_mut()).poll_read(cx, buf);
        polled.map_err(|e| named(e, "reading", this.path()))
    }
}

/// tokio's [`File`], with errors that name the path. As with tokio's
/// file, a write is acknowledged before it reaches the file, and a failure
/// is reported by a later call: flush (or persist, which flushes) before
/// relying on the data.
impl AsyncWrite for NamedTempFile<File> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(this.as_file_mut()).poll_write(cx, buf);
        polled.map_err(|e| named(e, "writing to", this.path()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(this.as_file_mut()).poll_flush(cx);
        polled.map_err(|e| named(e, "flushing", this.path()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(this.as_file_mut()).poll_shutdown(cx);
        polled.map_err(|e| named(e, "flushing", this.path()))
    }
}

/// tokio's [`File`], with errors that name the path.
impl AsyncSeek for NamedTempFile<File> {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        let started = Pin::new(this.as_file_mut()).start_seek(position);
        started.map_err(|e| named(e, "seeking in", this.path()))
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        let polled = Pin::new(this.as_file_mut()).poll_complete(cx);
        polled.map_err(|e| named(e, "seeking in", this.path()))
    }
}
