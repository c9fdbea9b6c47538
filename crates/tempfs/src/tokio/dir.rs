//! [`AsyncTempDir`]: a [`TempDir`] whose removal never blocks a runtime's
//! worker thread.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use tempcore::Dir;

use super::{blocking, drop_off_thread};
use crate::builder::Builder;
use crate::dir::TempDir;

/// A [`TempDir`] for async code (Python's `TemporaryDirectory`): made on
/// tokio's blocking pool, and removed there, with everything in it, by
/// [`close`](Self::close) or by dropping it, so that a large tree never
/// stalls a worker thread.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().build()?.block_on(async {
/// let dir = tempfs::AsyncTempDir::new().await?;
/// tokio::fs::write(dir.path().join("part-1"), b"data").await?;
/// let path = dir.path().to_path_buf();
/// dir.close().await?; // errors are reported; a drop swallows them
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Dropping it
///
/// Dropped on a thread of a tokio runtime (or anywhere inside one), the
/// removal is handed to the runtime's blocking pool and the drop returns
/// at once; dropped outside a runtime, or while the thread is panicking,
/// it is removed on the spot, as a [`TempDir`] is. A runtime that shuts
/// down with removals handed over but not started runs none of them: it
/// drops them, and dropping one removes its directory on the thread that
/// shuts the runtime down; removals that started are waited for by
/// dropping the runtime. So once a runtime is dropped, every
/// `AsyncTempDir` that was dropped in it, or owned by a task it dropped,
/// is gone. Only a runtime let go without waiting
/// (`Runtime::shutdown_background`, or a `shutdown_timeout` that runs
/// out) followed by the end of the process can leave a directory whose
/// removal was still running.
pub struct AsyncTempDir {
    /// `None` only once given up (kept, closed, or handed over to drop).
    inner: Option<TempDir>,
}

impl AsyncTempDir {
    /// [`TempDir::new`] on the blocking pool. A future dropped before it
    /// is done leaves nothing behind.
    pub async fn new() -> io::Result<AsyncTempDir> {
        Builder::new().tempdir_async().await
    }

    /// [`TempDir::new_in`] on the blocking pool.
    pub fn new_in<P: AsRef<Path>>(
        dir: P,
    ) -> impl Future<Output = io::Result<AsyncTempDir>> + Send + use<P> {
        Builder::new().tempdir_in_async(dir)
    }

    fn dir(&self) -> &TempDir {
        match &self.inner {
            Some(dir) => dir,
            None => unreachable!("an AsyncTempDir holds its TempDir until consumed"),
        }
    }

    fn take(mut self) -> TempDir {
        match self.inner.take() {
            Some(dir) => dir,
            None => unreachable!("an AsyncTempDir holds its TempDir until consumed"),
        }
    }

    /// The directory's absolute path.
    pub fn path(&self) -> &Path {
        self.dir().path()
    }

    /// The directory's handle: see [`TempDir::as_dir`].
    pub fn as_dir(&self) -> &Dir {
        self.dir().as_dir()
    }

    /// Removes the directory and everything in it on the blocking pool,
    /// and reports the first failure with the path it concerns (as
    /// [`TempDir::close`]).
    ///
    /// Dropped before it is done, the removal goes on to its end on the
    /// pool (or, if the runtime shuts down before it starts, is done by
    /// the thread that shuts it down). Outside a tokio runtime it removes
    /// the directory on the spot and reports as [`TempDir::close`] does.
    pub async fn close(self) -> io::Result<()> {
        let dir = self.take();
        if ::tokio::runtime::Handle::try_current().is_err() {
            return dir.close();
        }
        blocking("removing a temporary directory", move || dir.close()).await
    }

    /// Leaves the directory on disk and returns its path (Python's
    /// `delete=False`).
    pub fn keep(self) -> PathBuf {
        self.take().keep()
    }

    /// Whether dropping leaves the directory in place: see
    /// [`TempDir::disable_cleanup`].
    pub fn disable_cleanup(&mut self, disable: bool) {
        if let Some(dir) = &mut self.inner {
            dir.disable_cleanup(disable);
        }
    }

    /// The [`TempDir`], whose drop removes it on the spot.
    pub fn into_sync(self) -> TempDir {
        self.take()
    }
}

impl From<TempDir> for AsyncTempDir {
    /// Removed on the blocking pool from now on.
    fn from(dir: TempDir) -> AsyncTempDir {
        AsyncTempDir { inner: Some(dir) }
    }
}

/// Hands the removal to the blocking pool when there is a runtime: see
/// the type's documentation.
impl Drop for AsyncTempDir {
    fn drop(&mut self) {
        if let Some(dir) = self.inner.take() {
            drop_off_thread(dir);
        }
    }
}

impl AsRef<Path> for AsyncTempDir {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

impl fmt::Debug for AsyncTempDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncTempDir")
            .field("path", &self.path())
            .finish()
    }
}
