//! [`TempFile`]: an anonymous temporary file that can be given a name
//! atomically, once complete.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use tempcore::{
    DEFAULT_PREFIX, DEFAULT_RAND_LEN, Dir, LinkError, LinkOptions, LinkableFile, MAX_ATTEMPTS,
    NameSource, Template,
};

use crate::builder::Builder;
use crate::persist::{PersistOptions, advise, copy_across, persist_error};
use crate::place::open_target;
use crate::retain::Retain;

/// A temporary file with no name (Python's `TemporaryFile`) that can be
/// given one atomically when it is complete: the safe way to write a file
/// that readers must never see half-written.
///
/// On Linux it is an `O_TMPFILE` file: no directory entry exists while it
/// is open, no other process can open it, and a crash or `SIGKILL` leaves
/// nothing behind. [`persist`](Self::persist) links the open file itself
/// (`linkat`), so there is no temporary name that anyone could swap. Where
/// `O_TMPFILE` is unavailable it lives under a hidden random name (`.tmp`
/// and 13 characters, whatever the builder's pattern) in its directory
/// until it is persisted or dropped (see the crate's *Platform behaviour*).
/// On Windows that name has a delete disposition: nobody can open it, the
/// system removes the file when its handle closes, also after a kill, and
/// `persist` clears the disposition and renames the open file itself.
///
/// ```
/// use std::io::Write;
/// let target = tempfs::temp_dir()?.join(tempfs::random_name("config-", ".toml", 8)?);
/// let mut draft = tempfs::TempFile::new()?;
/// draft.write_all(b"answer = 42\n")?;
/// let file = draft.persist(&target)?; // appears complete, or not at all
/// assert_eq!(std::fs::read(&target)?, b"answer = 42\n");
/// # drop(file); std::fs::remove_file(&target)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A `TempFile` that is dropped without being persisted is gone: it has
/// no name, so nothing can find it afterwards. Unless a retention policy
/// keeps it ([`Builder::retention`], `TEMPKIT_KEEP`): then, where the file
/// can be linked (Linux, or a staged file anywhere), the drop gives it a
/// fresh visible name in its directory (`tmp` and 13 random characters)
/// and writes the `kept` line naming it. A file that cannot be linked
/// (`O_TMPFILE` without `/proc` or the privilege, or a full directory)
/// is lost, and a line on standard error says so. A `TempFile` made while
/// the policy may keep holds its directory's handle to be linked into
/// (shared, as every object made in that directory by path does; made
/// with [`Builder::temp_file_at`] from a `&Dir` or `&TempDir`, a duplicate:
/// one descriptor more). Kept in a [`TempDir`](crate::TempDir), it goes
/// with the directory when that is removed. A process forked since the
/// file was made never links it: the file is still the parent's.
///
/// So `TEMPKIT_KEEP=panic` or `always` gives names to files that were
/// made nameless: for a secret that must never reach the disk under a
/// name, build the `TempFile` with
/// [`retention(Retention::Never)`](crate::Builder::retention).
///
/// ```
/// use tempfs::{Builder, Retention};
/// let dir = tempfs::TempDir::new()?;
/// let draft = Builder::new().retention(Retention::Always).report_kept(false)
///     .temp_file_in(dir.path())?;
/// drop(draft); // not persisted, but kept: linked under a fresh name
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// The target must be on the same file system as the directory the
/// `TempFile` was created in; create it with [`TempFile::new_in`] the
/// target's directory to be sure.
pub struct TempFile {
    /// The file; `None` only once a consuming method or `Drop` took it.
    inner: Option<LinkableFile>,
    /// Where to link the file if its retention policy keeps it on drop;
    /// `None` (no allocation, no handle) when the policy never keeps.
    keeper: Option<Box<Keeper>>,
}

/// What a `TempFile` whose policy may keep it needs to be kept: its
/// directory and its retention settings.
pub(crate) struct Keeper {
    dir: Arc<Dir>,
    retain: Retain,
    /// The process that made the file: a child forked since shares the
    /// open file, and must not give the parent's live file a name.
    pid: u32,
}

impl TempFile {
    /// Creates a linkable anonymous file in [`temp_dir`](crate::temp_dir)
    /// (Linux: one `openat(O_TMPFILE)`).
    pub fn new() -> io::Result<TempFile> {
        Builder::new().temp_file()
    }

    /// Creates a linkable anonymous file in `dir`: choose the directory
    /// the file will be persisted into.
    pub fn new_in(dir: impl AsRef<Path>) -> io::Result<TempFile> {
        Builder::new().temp_file_in(dir)
    }

    /// `inner`, made in `dir`, with the retention settings `retain`: `dir`
    /// is held only if the policy may keep the file.
    pub(crate) fn from_linkable(inner: LinkableFile, dir: &Arc<Dir>, retain: Retain) -> TempFile {
        let keeper = retain.may_keep().then(|| {
            Box::new(Keeper {
                dir: Arc::clone(dir),
                retain,
                pid: crate::sys::process_id(),
            })
        });
        TempFile {
            inner: Some(inner),
            keeper,
        }
    }

    /// `inner` with `keeper` (given back by a failed persist, or made
    /// where no policy keeps).
    pub(crate) fn with_keeper(inner: LinkableFile, keeper: Option<Box<Keeper>>) -> TempFile {
        TempFile {
            inner: Some(inner),
            keeper,
        }
    }

    /// The file and its keeper, taken out: this `TempFile` is spent.
    fn take(mut self) -> (LinkableFile, Option<Box<Keeper>>) {
        let keeper = self.keeper.take();
        (self.inner.take().expect(SPENT), keeper)
    }

    /// The linkable file.
    fn inner(&self) -> &LinkableFile {
        self.inner.as_ref().expect(SPENT)
    }

    /// The open file.
    pub fn as_file(&self) -> &File {
        self.inner().as_file()
    }

    /// The open file, mutably.
    pub fn as_file_mut(&mut self) -> &mut File {
        self.inner.as_mut().expect(SPENT).as_file_mut()
    }

    /// Gives up the ability to persist and returns the open file, still
    /// anonymous. Where the file was staged under a hidden name, the name
    /// is removed; a failure to remove it is swallowed, as on drop.
    pub fn into_file(self) -> File {
        let (file, _removed) = self.take().0.detach();
        file
    }

    /// Gives the file the name `new_path`, atomically replacing any file
    /// there: a reader of `new_path` sees the old file or this complete
    /// one, never a part (Linux: `linkat` to a hidden sibling, then
    /// `renameat` over the target). Returns the open file, no longer
    /// temporary. The file keeps its mode: 0600 unless
    /// [`Builder::permissions`] said otherwise.
    ///
    /// On failure the error names the target and gives the `TempFile`
    /// back, still anonymous. A target on another file system fails with
    /// [`io::ErrorKind::CrossesDevices`] and says what to do (create the
    /// file in the target's directory, or persist with
    /// [`PersistOptions::copy_across_devices`]). A file
    /// staged under a hidden name (no `O_TMPFILE`) whose name was removed
    /// and taken by another file fails with [`io::ErrorKind::NotFound`]
    /// rather than publish that file (on Linux the open file itself is
    /// linked, so only a file that lost every name fails).
    pub fn persist(self, new_path: impl AsRef<Path>) -> Result<File, TempFilePersistError> {
        self.persist_with(new_path, &PersistOptions::replace())
    }

    /// Gives the file the name `new_path` only if nothing is there: fails
    /// with `AlreadyExists`, changing nothing, otherwise (Linux: `linkat`,
    /// which never replaces). The error's message names
    /// [`persist`](Self::persist), which replaces.
    pub fn persist_noclobber(
        self,
        new_path: impl AsRef<Path>,
    ) -> Result<File, TempFilePersistError> {
        self.persist_with(new_path, &PersistOptions::no_replace())
    }

    /// [`persist`](Self::persist), flushing the data before the file gets
    /// its name and the target directory after (`fsync` on both), so that
    /// after a power cut the target holds the old file or the complete new
    /// one.
    pub fn persist_durable(self, new_path: impl AsRef<Path>) -> Result<File, TempFilePersistError> {
        self.persist_with(new_path, &PersistOptions::replace().durable(true))
    }

    /// Gives the file the name `new_path` as `opts` say: replacing or not,
    /// durably or not, copying across file systems or not.
    pub fn persist_with(
        self,
        new_path: impl AsRef<Path>,
        opts: &PersistOptions,
    ) -> Result<File, TempFilePersistError> {
        let target = new_path.as_ref();
        let (to, name) = match open_target(target) {
            Ok(opened) => opened,
            Err(error) => return Err(TempFilePersistError { error, file: self }),
        };
        let (inner, keeper) = self.take();
        match inner.link_at(&to, name, &opts.link_options()) {
            Ok(file) => Ok(file),
            Err(LinkError { error, file })
                if error.kind() == io::ErrorKind::CrossesDevices
                    && opts.copies_across_devices() =>
            {
                match copy_across(file.as_file(), target, opts) {
                    Ok(copy) => Ok(copy),
                    Err(error) => Err(TempFilePersistError {
                        error,
                        file: TempFile::with_keeper(file, keeper),
                    }),
                }
            }
            Err(LinkError { error, file }) => Err(TempFilePersistError {
                error: advise(error, opts),
                file: TempFile::with_keeper(file, keeper),
            }),
        }
    }
}

/// What a spent `TempFile`'s accessors would say: none is reachable, as
/// only consuming methods and `Drop` take the file.
const SPENT: &str = "a TempFile used after its file was taken";

impl Drop for TempFile {
    fn drop(&mut self) {
        if let (Some(keeper), Some(file)) = (self.keeper.take(), self.inner.take()) {
            keeper.keep(file);
        }
    }
}

impl Keeper {
    /// Links `file` under a fresh visible name if the policy keeps it now,
    /// and says where; otherwise drops it as usual.
    fn keep(self, file: LinkableFile) {
        if self.pid != crate::sys::process_id() {
            return;
        }
        let Some(why) = self.retain.reason() else {
            return;
        };
        let linked = Template::new(DEFAULT_PREFIX, "", DEFAULT_RAND_LEN)
            .and_then(|mut names| link_fresh(file, &self.dir, &mut names));
        match linked {
            Ok(name) => self.retain.report(why, &self.dir.join(name)),
            Err(e) => self.retain.report(
                &format!(
                    "{}, could not be linked ({e})",
                    why.replacen("kept", "lost", 1)
                ),
                self.dir.path(),
            ),
        }
    }
}

/// Links `file` into `dir` under the first name from `names` that is free
/// (never replacing), giving up after [`MAX_ATTEMPTS`] names taken.
fn link_fresh(
    mut file: LinkableFile,
    dir: &Dir,
    names: &mut Template<'_>,
) -> io::Result<std::ffi::OsString> {
    for _ in 0..MAX_ATTEMPTS {
        let name = names.next_name()?;
        match file.link_at(dir, &name, &LinkOptions::no_replace()) {
            Ok(_) => return Ok(name),
            Err(LinkError { error, file: back }) => {
                if error.kind() != io::ErrorKind::AlreadyExists {
                    return Err(error);
                }
                file = back;
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{MAX_ATTEMPTS} fresh names were all taken"),
    ))
}

impl fmt::Debug for TempFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TempFile").field(self.as_file()).finish()
    }
}

/// A failed persist of a [`TempFile`]: the error, and the file back,
/// still nameless (or staged) and still linkable.
#[derive(Debug)]
pub struct TempFilePersistError {
    /// What went wrong; names the target path.
    pub error: io::Error,
    /// The temporary file, given back.
    pub file: TempFile,
}

persist_error!(TempFilePersistError, file, TempFile);

impl Read for TempFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.as_file_mut().read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.as_file_mut().read_vectored(bufs)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.as_file_mut().read_to_end(buf)
    }

    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        self.as_file_mut().read_to_string(buf)
    }
}

impl Read for &TempFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.as_file().read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.as_file().read_vectored(bufs)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.as_file().read_to_end(buf)
    }

    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        self.as_file().read_to_string(buf)
    }
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.as_file_mut().write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.as_file_mut().write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.as_file_mut().flush()
    }
}

impl Write for &TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.as_file().write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.as_file().write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.as_file().flush()
    }
}

impl Seek for TempFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.as_file_mut().seek(pos)
    }
}

impl Seek for &TempFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.as_file().seek(pos)
    }
}
