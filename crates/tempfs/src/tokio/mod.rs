//! The async layer (the `tokio` feature): constructors, persists, saves
//! and cleanup that never block a runtime's worker thread. Each runs the
//! synchronous call it names on tokio's blocking pool, so every option of
//! [`Builder`], [`PersistOptions`](crate::PersistOptions) and [`AtomicOptions`] means the same
//! here; what it gives back holds a [`tokio::fs::File`]. See
//! `docs/async.md` for the rules on cancellation and runtime shutdown.

mod dir;
mod file;
mod named;

use std::any::Any;
use std::io;
use std::path::Path;

use ::tokio::fs::File;
use ::tokio::runtime::Handle;
use ::tokio::task::JoinHandle;

use crate::atomic::AtomicOptions;
use crate::builder::Builder;
use crate::named::NamedTempFile;
use crate::place::AsDir;

pub use dir::AsyncTempDir;
pub use file::AsyncTempFile;

/// A [`NamedTempFile`] whose file is a [`tokio::fs::File`]: made by
/// [`Builder::tempfile_async`], [`NamedTempFile::new_async`] or
/// [`NamedTempFile::into_async`].
pub type AsyncNamedTempFile = NamedTempFile<File>;

/// The runtime the caller runs on, or an error saying that `what` needs
/// one (never a panic, never a hang).
pub(crate) fn runtime(what: &str) -> io::Result<Handle> {
    Handle::try_current().map_err(|_| {
        io::Error::other(format!(
            "{what} needs a tokio runtime, and was called outside one"
        ))
    })
}

/// Runs `work` on the blocking pool of the current runtime and waits for
/// it. If the future is dropped first, `work` still runs to its end (or,
/// if the runtime shuts down before it starts, is dropped unrun), and
/// what it returns is dropped there: an object made by a cancelled
/// constructor cleans up after itself.
pub(crate) async fn blocking<T, W>(what: &str, work: W) -> io::Result<T>
where
    W: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let handle = runtime(what)?;
    joined(what, handle.spawn_blocking(work)).await?
}

/// The result of a task on the blocking pool: its panic goes on in the
/// caller; a task the runtime dropped unrun (it was shutting down) is an
/// error.
pub(crate) async fn joined<T>(what: &str, task: JoinHandle<T>) -> io::Result<T> {
    match task.await {
        Ok(done) => Ok(done),
        Err(e) if e.is_panic() => resume(e.into_panic()),
        Err(_) => Err(shut_down(what)),
    }
}

fn resume(panic: Box<dyn Any + Send>) -> ! {
    std::panic::resume_unwind(panic)
}

/// The error of a call whose work the runtime dropped, shutting down.
pub(crate) fn shut_down(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what}: the tokio runtime shut down before the work was done"
    ))
}

/// Drops `value` on the blocking pool when a runtime is there, else here.
/// A thread that is panicking drops it here, so that a retention policy
/// that keeps what a panic leaves ([`crate::Retention::Panic`]) sees the
/// panic.
pub(crate) fn drop_off_thread<T: Send + 'static>(value: T) {
    if std::thread::panicking() {
        return drop(value);
    }
    match Handle::try_current() {
        // If the runtime shuts down before the task starts, the task is
        // dropped unrun, and `value` with it, on the thread shutting down.
        Ok(handle) => drop(handle.spawn_blocking(move || drop(value))),
        Err(_) => drop(value),
    }
}

/// Creates an anonymous file (Python's `TemporaryFile`) in the default
/// temporary directory, on the blocking pool: [`crate::tempfile`] for
/// async code.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().build()?.block_on(async {
/// use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// let mut file = tempfs::tempfile_async().await?;
/// file.write_all(b"scratch").await?;
/// file.rewind().await?;
/// let mut back = String::new();
/// file.read_to_string(&mut back).await?;
/// assert_eq!(back, "scratch");
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn tempfile_async() -> impl Future<Output = io::Result<File>> + Send + use<> {
    Builder::new().anonymous_async()
}

/// [`tempfile_async`] in `dir`.
pub fn tempfile_in_async<P: AsRef<Path>>(
    dir: P,
) -> impl Future<Output = io::Result<File>> + Send + use<P> {
    Builder::new().anonymous_in_async(dir)
}

/// [`write_atomic`](crate::write_atomic) on the blocking pool: replaces
/// the file at `path` with `contents` atomically and durably. Dropping
/// the future does not stop the save once it has started on the pool:
/// the target then holds the old file or the complete new one, and
/// nothing else is left in its directory.
pub fn write_atomic_async<P: AsRef<Path>, C: AsRef<[u8]> + Send + 'static>(
    path: P,
    contents: C,
) -> impl Future<Output = io::Result<()>> + Send + use<P, C> {
    AtomicOptions::new().write_async(path, contents)
}

impl AtomicOptions {
    /// [`write`](Self::write) on the blocking pool: see
    /// [`write_atomic_async`].
    pub fn write_async<P: AsRef<Path>, C: AsRef<[u8]> + Send + 'static>(
        &self,
        path: P,
        contents: C,
    ) -> impl Future<Output = io::Result<()>> + Send + use<P, C> {
        let (opts, path) = (*self, path.as_ref().to_path_buf());
        blocking("saving a file atomically", move || {
            opts.write(path, contents)
        })
    }
}

/// The async constructors: each is the synchronous one of the same name
/// without `_async`, run on tokio's blocking pool with a copy of the
/// builder, so that every option applies. The futures borrow neither the
/// builder nor the path: they can be spawned. A future dropped before it is
/// done leaves nothing behind: the object made meanwhile is dropped on the
/// pool, which removes it.
impl Builder {
    /// [`anonymous`](Self::anonymous), giving a [`tokio::fs::File`].
    pub fn anonymous_async(&self) -> impl Future<Output = io::Result<File>> + Send + use<> {
        let builder = self.clone();
        async move {
            let file = blocking("creating a temporary file", move || builder.anonymous()).await?;
            Ok(File::from_std(file))
        }
    }

    /// [`anonymous_in`](Self::anonymous_in), giving a [`tokio::fs::File`].
    pub fn anonymous_in_async<P: AsRef<Path>>(
        &self,
        dir: P,
    ) -> impl Future<Output = io::Result<File>> + Send + use<P> {
        let (builder, dir) = (self.clone(), dir.as_ref().to_path_buf());
        async move {
            let file = blocking("creating a temporary file", move || {
                builder.anonymous_in(dir)
            })
            .await?;
            Ok(File::from_std(file))
        }
    }

    /// [`tempfile`](Self::tempfile), giving an [`AsyncNamedTempFile`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().build()?.block_on(async {
    /// use tokio::io::AsyncWriteExt;
    /// let mut file = tempfs::Builder::new().suffix(".json").tempfile_async().await?;
    /// file.write_all(b"{}").await?;
    /// file.flush().await?;
    /// assert_eq!(std::fs::read(file.path())?, b"{}");
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tempfile_async(
        &self,
    ) -> impl Future<Output = io::Result<AsyncNamedTempFile>> + Send + use<> {
        let builder = self.clone();
        async move {
            let named = blocking("creating a temporary file", move || builder.tempfile()).await?;
            Ok(named.into_async())
        }
    }

    /// [`tempfile_in`](Self::tempfile_in), giving an
    /// [`AsyncNamedTempFile`].
    pub fn tempfile_in_async<P: AsRef<Path>>(
        &self,
        dir: P,
    ) -> impl Future<Output = io::Result<AsyncNamedTempFile>> + Send + use<P> {
        let (builder, dir) = (self.clone(), dir.as_ref().to_path_buf());
        async move {
            let named = blocking("creating a temporary file", move || {
                builder.tempfile_in(dir)
            })
            .await?;
            Ok(named.into_async())
        }
    }

    /// [`tempfile_at`](Self::tempfile_at), giving an
    /// [`AsyncNamedTempFile`].
    pub fn tempfile_at_async<D: AsDir>(
        &self,
        dir: &D,
    ) -> impl Future<Output = io::Result<AsyncNamedTempFile>> + Send + use<D> {
        let (builder, dir) = (self.clone(), dir.to_shared());
        async move {
            let dir = dir?;
            let named = blocking("creating a temporary file", move || {
                builder.tempfile_at(&dir)
            })
            .await?;
            Ok(named.into_async())
        }
    }

    /// [`temp_file`](Self::temp_file), giving an [`AsyncTempFile`].
    pub fn temp_file_async(
        &self,
    ) -> impl Future<Output = io::Result<AsyncTempFile>> + Send + use<> {
        let builder = self.clone();
        async move {
            let temp = blocking("creating a temporary file", move || builder.temp_file()).await?;
            AsyncTempFile::from_sync(temp)
        }
    }

    /// [`temp_file_in`](Self::temp_file_in), giving an [`AsyncTempFile`].
    pub fn temp_file_in_async<P: AsRef<Path>>(
        &self,
        dir: P,
    ) -> impl Future<Output = io::Result<AsyncTempFile>> + Send + use<P> {
        let (builder, dir) = (self.clone(), dir.as_ref().to_path_buf());
        async move {
            let temp = blocking("creating a temporary file", move || {
                builder.temp_file_in(dir)
            })
            .await?;
            AsyncTempFile::from_sync(temp)
        }
    }

    /// [`tempdir`](Self::tempdir), giving an [`AsyncTempDir`].
    pub fn tempdir_async(&self) -> impl Future<Output = io::Result<AsyncTempDir>> + Send + use<> {
        let builder = self.clone();
        async move {
            let dir = blocking("creating a temporary directory", move || builder.tempdir()).await?;
            Ok(AsyncTempDir::from(dir))
        }
    }

    /// [`tempdir_in`](Self::tempdir_in), giving an [`AsyncTempDir`].
    pub fn tempdir_in_async<P: AsRef<Path>>(
        &self,
        dir: P,
    ) -> impl Future<Output = io::Result<AsyncTempDir>> + Send + use<P> {
        let (builder, dir) = (self.clone(), dir.as_ref().to_path_buf());
        async move {
            let made = blocking("creating a temporary directory", move || {
                builder.tempdir_in(dir)
            })
            .await?;
            Ok(AsyncTempDir::from(made))
        }
    }

    /// [`tempdir_at`](Self::tempdir_at), giving an [`AsyncTempDir`].
    pub fn tempdir_at_async<D: AsDir>(
        &self,
        dir: &D,
    ) -> impl Future<Output = io::Result<AsyncTempDir>> + Send + use<D> {
        let (builder, dir) = (self.clone(), dir.to_shared());
        async move {
            let dir = dir?;
            let made = blocking("creating a temporary directory", move || {
                builder.tempdir_at(&dir)
            })
            .await?;
            Ok(AsyncTempDir::from(made))
        }
    }
}
