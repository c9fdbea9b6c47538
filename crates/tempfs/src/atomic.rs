//! Safe save: [`write_atomic`] and [`AtomicFile`] replace a file
//! atomically, durably, and keep what the old file was (its mode, owner
//! and group), through a linkable file in the target's own directory.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempcore::{
    DEFAULT_RAND_LEN, Dir, FileOptions, LinkError, LinkOptions, LinkableFile, PathError, Template,
};

use crate::place::open_parent;
use crate::sys::{self, EntryKind, Kept};

/// The most symbolic links followed from a save's target to the file it
/// names: Linux's `MAXSYMLINKS`.
const MAX_HOPS: usize = 40;

/// What errors about resolving the target say was being done.
const SAVING: &str = "saving";

/// Replaces the file at `path` with `contents` atomically and durably,
/// keeping the replaced file's mode and, where the process may, its owner
/// and group; a new file gets what [`File::create`] would give it (0666
/// less the umask), not 0600. Readers of `path` see the old file or the
/// complete new one, never a part and never nothing; after a power cut
/// the same holds. A symbolic link at `path` is followed: the file it
/// names is replaced, the link stays (but see
/// [`AtomicOptions::follow_symlinks`] for links and files in a shared
/// sticky directory such as `/tmp`).
///
/// The same as `AtomicFile::new(path)?`, `write_all(contents)`, `commit()`;
/// [`AtomicOptions`] says otherwise for any of it.
///
/// ```
/// let path = tempfs::temp_dir()?.join(tempfs::random_name("settings-", ".toml", 8)?);
/// tempfs::write_atomic(&path, b"theme = \"dark\"\n")?;
/// assert_eq!(std::fs::read(&path)?, b"theme = \"dark\"\n");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// A target that is a directory, a FIFO, a device or a socket, a path
/// that does not end in a file name (empty, or with a trailing
/// separator), a directory that cannot be written, another user's link
/// or file in a shared sticky directory, a full disk or quota: an error that keeps the OS's [`io::ErrorKind`] and names the path; the
/// target is unchanged and nothing is left in its directory.
pub fn write_atomic(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    AtomicOptions::new().write(path, contents)
}

/// How far a save goes to survive a power cut or a kernel crash (a
/// killed process never loses a committed save).
///
/// The default is [`Full`](Self::Full), what Python's `atomicwrites`
/// and the `atomic-write-file` crate do: a program that saves a file it
/// cannot rebuild expects to find it after a power cut. Go's `renameio`
/// stops at [`Data`](Self::Data) and the `tempfile` crate's `persist` at
/// [`None`](Self::None): ask for them when the cost of the syncs matters
/// more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// No sync: atomic for readers and for a killed process; after a
    /// power cut the target may be old, new, or (on some file systems)
    /// empty.
    None,
    /// The new file's data is flushed before it gets its name
    /// (`fdatasync`): after a power cut the target is old or new, but the
    /// replacement itself may be forgotten.
    Data,
    /// The file is flushed before it gets its name and the directory
    /// after (`fsync` on both, as [`TempFile::persist_durable`](crate::TempFile::persist_durable)):
    /// once `commit` returns, the new file survives a power cut.
    #[default]
    Full,
}

/// The permission bits a save gives the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ModeChoice {
    /// The replaced file's; a new file's as `File::create` gives them.
    #[default]
    Keep,
    /// 0600 (Windows: the creating user's private access list).
    Private,
    /// These bits, whatever was there.
    Explicit(u32),
}

/// Options of a safe save: the permissions, the times, the durability,
/// what to do with a symbolic link, and a bounded retry on Windows'
/// sharing violations; then [`open`](Self::open) an [`AtomicFile`] or
/// [`write`](Self::write) at once. [`AtomicFile::options`] is the same
/// as [`AtomicOptions::new`].
///
/// ```
/// use std::io::Write;
/// use tempfs::{AtomicFile, Durability};
/// let path = tempfs::temp_dir()?.join(tempfs::random_name("key-", ".pem", 8)?);
/// let mut file = AtomicFile::options()
///     .private()
///     .durability(Durability::Data)
///     .follow_symlinks(false)
///     .open(&path)?;
/// file.write_all(b"secret")?;
/// file.commit()?;
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomicOptions {
    mode: ModeChoice,
    keep_times: bool,
    durability: Durability,
    follow_symlinks: bool,
    sharing_retry: Option<Duration>,
}

impl Default for AtomicOptions {
    /// [`AtomicOptions::new`].
    fn default() -> Self {
        AtomicOptions::new()
    }
}

impl AtomicOptions {
    /// The defaults: keep the replaced file's mode, owner and group (a new
    /// file: 0666 less the umask), new times, [`Durability::Full`],
    /// follow a symbolic link to the file it names, no retry.
    pub const fn new() -> Self {
        AtomicOptions {
            mode: ModeChoice::Keep,
            keep_times: false,
            durability: Durability::Full,
            follow_symlinks: true,
            sharing_retry: None,
        }
    }

    /// Make the file 0600 (on Windows: keep the creating user's private
    /// access list), whatever the replaced file's mode was.
    pub const fn private(mut self) -> Self {
        self.mode = ModeChoice::Private;
        self
    }

    /// Give the file these permission bits (`0o640`; set-user-ID,
    /// set-group-ID and sticky included), whatever the replaced file's
    /// were. On Windows only the owner write bit means anything
    /// (read-only without it), and group or others bits give the access
    /// list the directory passes on instead of a private one.
    pub const fn mode(mut self, mode: u32) -> Self {
        self.mode = ModeChoice::Explicit(mode & 0o7777);
        self
    }

    /// Keep the replaced file's access and modification times instead of
    /// the time of the save (a no-op for a new file).
    pub const fn keep_times(mut self, keep: bool) -> Self {
        self.keep_times = keep;
        self
    }

    /// How far to go to survive a power cut: see [`Durability`].
    pub const fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// With `true` (the default), a symbolic link at the target is
    /// followed, at most 40 links deep, and the file it names is replaced
    /// (as editors save): the link stays a link. With `false`, a link at
    /// the target is refused with [`io::ErrorKind::InvalidInput`]. Either
    /// way a link is never replaced by a regular file.
    ///
    /// As the kernel's `fs.protected_symlinks` and `fs.protected_regular`
    /// rules do for a plain `open`, in a sticky directory that others may
    /// write (as `/tmp`) a link is followed, and a file replaced, only if
    /// it is owned by the process's effective user or by the directory's
    /// owner; otherwise the save fails with
    /// [`io::ErrorKind::PermissionDenied`] naming it. Elsewhere a link is
    /// followed whoever owns it: who may write the directories on the way
    /// may send the save to any file the process may write, so pass
    /// `false` for a path in a directory other users may write.
    pub const fn follow_symlinks(mut self, follow: bool) -> Self {
        self.follow_symlinks = follow;
        self
    }

    /// On Windows, retry the final rename while another process (an
    /// antivirus, an indexer, a backup) holds the target open without
    /// sharing delete, for at most `total` in all, the pauses doubling
    /// from 1 ms. If every attempt fails, the error lists them. Retried:
    /// `ERROR_SHARING_VIOLATION`, `ERROR_LOCK_VIOLATION` and
    /// `ERROR_ACCESS_DENIED` (what a file held open or pending deletion
    /// gives; a real lack of permission is then retried until the time is
    /// up). Off by default; never needed on unix, where an open file never
    /// stops a rename.
    pub const fn retry_sharing_violations(mut self, total: Duration) -> Self {
        self.sharing_retry = Some(total);
        self
    }

    /// Starts a save to `path`: see [`AtomicFile`].
    pub fn open(&self, path: impl AsRef<Path>) -> io::Result<AtomicFile> {
        AtomicFile::open_with(path.as_ref(), *self)
    }

    /// Saves `contents` to `path` with these options: [`open`](Self::open),
    /// write, [`commit`](AtomicFile::commit).
    pub fn write(&self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
        let mut file = self.open(path)?;
        file.write_all(contents.as_ref())?;
        file.commit()
    }
}

/// A file being saved: written like any file, then
/// [`commit`](Self::commit)ted to replace the target atomically
/// (Python's `atomicwrites.atomic_write`, the `atomic-write-file` crate,
/// Go's `renameio.PendingFile`). Dropped uncommitted, it leaves the
/// target untouched and nothing behind.
///
/// The new contents live in a linkable file in the target's own directory
/// (on Linux an `O_TMPFILE` file, which has no name at all until the
/// commit), so the save never crosses file systems. The commit carries
/// the replaced file's metadata over to it (see [`AtomicOptions`]),
/// flushes it as [`Durability`] says, and only then gives it the target's
/// name: no reader ever sees the new contents with the wrong permissions.
///
/// ```
/// use std::io::Write;
/// let path = tempfs::temp_dir()?.join(tempfs::random_name("report-", ".csv", 8)?);
/// let mut file = tempfs::AtomicFile::new(&path)?;
/// writeln!(file, "city,temperature")?;
/// writeln!(file, "Oslo,-3")?;
/// assert!(!path.exists(), "nothing appears before the commit");
/// file.commit()?;
/// assert_eq!(std::fs::read_to_string(&path)?, "city,temperature\nOslo,-3\n");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # What is kept
///
/// By default a replacing save keeps the replaced file's permission bits
/// (set-user-ID, set-group-ID and sticky included) and, where the process
/// may, its owner and group: root keeps both; an owner keeps a group it
/// belongs to; otherwise the new file is the saving user's. Bits meant
/// for an owner or group that was not kept are not given to the new
/// ones: a group not kept gets no access and no set-group-ID, an owner
/// not kept no set-user-ID (a 0660 file of another group is saved 0600).
/// On Windows it
/// keeps the access list instead. Not kept: extended attributes, POSIX
/// ACL entries beyond the mode (the new file gets the directory's default
/// ACL, as any new file does, its mask set from the kept mode), SELinux
/// labels other than the directory's default, file flags (`chattr`), hard
/// links (the name now holds a new file; other names keep the old one).
/// Times are new unless [`AtomicOptions::keep_times`].
///
/// # Symbolic links
///
/// The target's final component is looked at without following it
/// (`fstatat(AT_SYMLINK_NOFOLLOW)` relative to its directory's handle). A
/// link is read relative to that handle (`readlinkat`), and its target's
/// directory is opened relative to it (`openat`), up to 40 times; the
/// directories leading to the target are resolved as the kernel resolves
/// any path. In a sticky directory that others may write, a link or file
/// owned by neither the process's effective user nor the directory's
/// owner is refused ([`AtomicOptions::follow_symlinks`]), as the kernel
/// would refuse to follow or open it. A link that changes between these steps and the commit is a
/// race the caller's directory permissions must exclude: the commit
/// replaces the name it resolved, in the directory it holds open. On
/// Windows the links are read by path.
pub struct AtomicFile {
    file: LinkableFile,
    dir: Arc<Dir>,
    name: OsString,
    target: PathBuf,
    kept: Option<Kept>,
    opts: AtomicOptions,
}

impl AtomicFile {
    /// Starts a save to `path` with the default [`AtomicOptions`]: the
    /// target is looked at (a directory, a FIFO or a device is refused
    /// now), and an anonymous file is created in its directory.
    pub fn new(path: impl AsRef<Path>) -> io::Result<AtomicFile> {
        AtomicFile::open_with(path.as_ref(), AtomicOptions::new())
    }

    /// The options of a save, to change and then
    /// [`open`](AtomicOptions::open) it.
    pub const fn options() -> AtomicOptions {
        AtomicOptions::new()
    }

    fn open_with(path: &Path, opts: AtomicOptions) -> io::Result<AtomicFile> {
        let (dir, name, target, kept) = resolve(path, opts.follow_symlinks)?;
        let mode = match (opts.mode, &kept) {
            (ModeChoice::Keep, None) => sys::NEW_FILE_MODE,
            _ => tempcore::FILE_MODE,
        };
        let mut names = Template::new(".tmp", "", DEFAULT_RAND_LEN)?;
        let file = tempcore::linkable_file_at(&dir, &mut names, &FileOptions::new().mode(mode))?;
        Ok(AtomicFile {
            file,
            dir,
            name,
            target,
            kept,
            opts,
        })
    }

    /// The path that the commit will replace: the given path, or where its
    /// symbolic links led.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The open file holding the new contents.
    pub fn as_file(&self) -> &File {
        self.file.as_file()
    }

    /// The open file holding the new contents, mutably.
    pub fn as_file_mut(&mut self) -> &mut File {
        self.file.as_file_mut()
    }

    /// Replaces the target with the file written so far, atomically: the
    /// metadata is carried over, the data flushed (see [`Durability`]),
    /// then the file takes the target's name (Linux: `linkat` to a hidden
    /// sibling and `renameat` over the target, or a single `linkat` when
    /// there was no target; elsewhere `renameat` of the staged name), then
    /// the directory is flushed.
    ///
    /// On failure the target is unchanged (unless only the final
    /// directory sync failed: the new file is in place, but may not
    /// survive a power cut) and nothing is left behind. The error names
    /// the target.
    pub fn commit(self) -> io::Result<()> {
        let AtomicFile {
            mut file,
            dir,
            name,
            target,
            kept,
            opts,
        } = self;
        let mode = match opts.mode {
            ModeChoice::Keep => kept.as_ref().map(Kept::mode),
            ModeChoice::Private => Some(tempcore::FILE_MODE),
            ModeChoice::Explicit(mode) => Some(mode),
        };
        let keep_access = opts.mode == ModeChoice::Keep;
        let staged = file.staged_path();
        sys::carry_over(
            file.as_file(),
            staged.as_deref(),
            kept.as_ref(),
            keep_access,
            mode,
            opts.keep_times,
        )
        .map_err(|e| PathError::wrap(e, "giving the new file the metadata of", &target))?;
        let link = match opts.durability {
            Durability::None => LinkOptions::replace(),
            Durability::Data => {
                file.as_file_mut()
                    .sync_data()
                    .map_err(|e| PathError::wrap(e, "syncing the data of the new", &target))?;
                LinkOptions::replace()
            }
            Durability::Full => LinkOptions::replace().durable(true),
        };
        // Nothing was there: link straight at the name (Linux: one
        // `linkat`, no hidden sibling for a kill to leave). Something that
        // appeared since is replaced, as it would have been a moment later.
        let fresh = kept.is_none();
        let exclusive = if link.is_durable() {
            LinkOptions::no_replace().durable(true)
        } else {
            LinkOptions::no_replace()
        };
        let retry = opts.sharing_retry.unwrap_or(Duration::ZERO);
        link_retrying(file, retry, sys::is_sharing_violation, |file| {
            if !fresh {
                return file.link_at(&dir, &name, &link);
            }
            match file.link_at(&dir, &name, &exclusive) {
                Err(LinkError { error, file }) if error.kind() == io::ErrorKind::AlreadyExists => {
                    file.link_at(&dir, &name, &link)
                }
                other => other,
            }
        })
        .map(drop)
    }
}

/// Calls `link` until it succeeds, fails with an error `transient` does
/// not accept, or `total` has passed (pauses doubling from 1 ms, the last
/// cut short); the error of a run of transient failures lists each
/// attempt.
fn link_retrying(
    mut file: LinkableFile,
    total: Duration,
    transient: impl Fn(&io::Error) -> bool,
    mut link: impl FnMut(LinkableFile) -> Result<File, LinkError>,
) -> io::Result<File> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let mut attempts = Vec::new();
    loop {
        let at = start.elapsed();
        let error = match link(file) {
            Ok(linked) => return Ok(linked),
            Err(LinkError { error, file: back }) => {
                file = back;
                error
            }
        };
        if !transient(&error) {
            return Err(error);
        }
        attempts.push(format!(
            "attempt {} at {} ms: {error}",
            attempts.len() + 1,
            at.as_millis()
        ));
        let left = total.saturating_sub(start.elapsed());
        if left.is_zero() {
            if attempts.len() == 1 {
                return Err(error);
            }
            let path = PathError::find(&error).map(|p| p.path().to_path_buf());
            let message = format!(
                "{} attempts over {} ms were refused while another process held the file: {}",
                attempts.len(),
                start.elapsed().as_millis(),
                attempts.join("; ")
            );
            return Err(match path {
                Some(path) => PathError::custom(error.kind(), "replacing", path, message),
                None => io::Error::new(error.kind(), message),
            });
        }
        std::thread::sleep(pause.min(left));
        pause = pause.saturating_mul(2);
    }
}

/// The directory, name and path of the file a save replaces, and what is
/// kept of it if it exists: `path` itself, or where its symbolic links
/// lead (relative to the handles of the directories they are in).
fn resolve(path: &Path, follow: bool) -> io::Result<(Arc<Dir>, OsString, PathBuf, Option<Kept>)> {
    if path.as_os_str().is_empty() {
        return Err(PathError::custom(
            io::ErrorKind::InvalidInput,
            SAVING,
            path,
            "the path is empty",
        ));
    }
    let (mut dir, name) = open_parent(path, SAVING)?;
    let mut name = name.to_os_string();
    let mut shown = path.to_path_buf();
    for _ in 0..=MAX_HOPS {
        let entry = sys::entry_at(&dir, &name).map_err(|e| PathError::wrap(e, SAVING, &shown))?;
        let Some(entry) = entry else {
            return Ok((dir, name, shown, None));
        };
        if (entry.kind == EntryKind::File || (entry.kind == EntryKind::Link && follow))
            && sys::foreign_in_shared_dir(&dir, &entry)
                .map_err(|e| PathError::wrap(e, SAVING, dir.path()))?
        {
            let what = if entry.kind == EntryKind::Link {
                "symbolic link"
            } else {
                "file"
            };
            let why = format!(
                "it is a {what} owned by another user in a sticky directory that others may \
                 write, which the kernel's protected_symlinks and protected_regular rules would \
                 not use either"
            );
            return Err(refuse(io::ErrorKind::PermissionDenied, &shown, why));
        }
        match entry.kind {
            EntryKind::File => return Ok((dir, name, shown, Some(entry.kept))),
            EntryKind::Dir => {
                return Err(refuse(
                    io::ErrorKind::IsADirectory,
                    &shown,
                    "it is a directory",
                ));
            }
            EntryKind::Other(what) => {
                let why = format!("it is a {what}, not a regular file");
                return Err(refuse(io::ErrorKind::InvalidInput, &shown, why));
            }
            EntryKind::Link if !follow => {
                let why = "it is a symbolic link, and the options say not to follow one";
                return Err(refuse(io::ErrorKind::InvalidInput, &shown, why));
            }
            EntryKind::Link => {}
        }
        let link = sys::read_link_at(&dir, &name)
            .map_err(|e| PathError::wrap(e, "reading the symbolic link", dir.join(&name)))?;
        shown = dir.join(&link);
        let (next, next_name) = step(&dir, &link, &shown)?;
        if let Some(next) = next {
            dir = Arc::new(next);
        }
        name = next_name;
    }
    Err(refuse(
        io::ErrorKind::InvalidInput,
        path,
        format!("more than {MAX_HOPS} symbolic links lead from it"),
    ))
}

/// Where the link `link`, found in `dir`, leads: the directory (`None`:
/// `dir` itself) and the name in it. `shown` is the path for errors.
fn step(dir: &Dir, link: &Path, shown: &Path) -> io::Result<(Option<Dir>, OsString)> {
    let name = final_name(link, shown)?;
    let parent = link.parent().filter(|p| !p.as_os_str().is_empty());
    let next = match parent {
        None => None,
        Some(parent) if link.is_absolute() => Some(Dir::open(parent)?),
        Some(parent) => Some(
            sys::open_dir_beside(dir, parent)
                .map_err(|e| PathError::wrap(e, "opening the directory", dir.join(parent)))?,
        ),
    };
    Ok((next, name.to_os_string()))
}

/// The final component of a link's target, which must name a file.
fn final_name<'a>(link: &'a Path, shown: &Path) -> io::Result<&'a OsStr> {
    link.file_name()
        .filter(|name| {
            link.as_os_str()
                .as_encoded_bytes()
                .ends_with(name.as_encoded_bytes())
        })
        .ok_or_else(|| {
            PathError::custom(
                io::ErrorKind::InvalidInput,
                SAVING,
                shown,
                "a symbolic link leads to a path that does not end in a file name",
            )
        })
}

fn refuse(kind: io::ErrorKind, path: &Path, why: impl Into<String>) -> io::Error {
    PathError::custom(kind, SAVING, path, why)
}

impl fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicFile")
            .field("target", &self.target)
            .field("file", self.file.as_file())
            .finish_non_exhaustive()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let target = &self.target;
        self.file
            .as_file_mut()
            .write(buf)
            .map_err(|e| PathError::wrap(e, "writing the new contents of", target))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let target = &self.target;
        self.file
            .as_file_mut()
            .write_vectored(bufs)
            .map_err(|e| PathError::wrap(e, "writing the new contents of", target))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.as_file_mut().seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linkable() -> LinkableFile {
        let dir = tempcore::temp_dir_handle().unwrap();
        let mut names = Template::new(".tmp", "", DEFAULT_RAND_LEN).unwrap();
        tempcore::linkable_file_at(&dir, &mut names, &FileOptions::new()).unwrap()
    }

    fn busy(file: LinkableFile) -> Result<File, LinkError> {
        let error = PathError::custom(
            io::ErrorKind::PermissionDenied,
            "giving a temporary file the name",
            "/busy/target",
            "sharing violation",
        );
        Err(LinkError { error, file })
    }

    #[test]
    fn retries_transient_failures_until_one_succeeds() {
        let mut calls = 0;
        let linked = link_retrying(
            linkable(),
            Duration::from_secs(60),
            |_| true,
            |file| {
                calls += 1;
                if calls < 3 {
                    busy(file)
                } else {
                    Ok(file.detach().0)
                }
            },
        );
        assert!(linked.is_ok());
        assert_eq!(calls, 3);
    }

    #[test]
    fn lists_every_attempt_when_the_time_runs_out() {
        let mut calls = 0;
        let err = link_retrying(
            linkable(),
            Duration::from_millis(20),
            |_| true,
            |file| {
                calls += 1;
                busy(file)
            },
        )
        .unwrap_err();
        assert!(calls >= 2, "{calls}");
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        let detail = PathError::find(&err).expect("names the target");
        assert_eq!(detail.path(), Path::new("/busy/target"));
        let message = err.to_string();
        assert!(message.contains(&format!("{calls} attempts")), "{message}");
        assert!(
            message.contains(&format!("attempt {calls} at")),
            "{message}"
        );
    }

    #[test]
    fn without_a_retry_or_for_other_errors_one_attempt() {
        let mut calls = 0;
        let err = link_retrying(
            linkable(),
            Duration::ZERO,
            |_| true,
            |file| {
                calls += 1;
                busy(file)
            },
        )
        .unwrap_err();
        assert_eq!(calls, 1);
        assert!(!err.to_string().contains("attempts"), "{err}");
        let mut calls = 0;
        link_retrying(
            linkable(),
            Duration::from_secs(60),
            |_| false,
            |file| {
                calls += 1;
                busy(file)
            },
        )
        .unwrap_err();
        assert_eq!(calls, 1);
    }
}
