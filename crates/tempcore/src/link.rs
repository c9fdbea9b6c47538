//! Giving a file a name atomically: linking anonymous files and renaming
//! without replacing.
//!
//! This is how a crash-safe atomic write works: the data is written to a
//! file nobody can see, then the file appears under its final name in one
//! step. A reader of that name sees the old file or the complete new one,
//! never a half-written one; a process killed before the link leaves
//! nothing behind (on Linux, where the file has no name until then).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::create::{FileOptions, tmpfile_at, with_fresh_name};
use crate::dir::Dir;
use crate::error::PathError;
use crate::name::{DEFAULT_RAND_LEN, NameSource, Template};
use crate::sys;

/// Whether linking may replace an existing entry, and whether the result
/// must be durable.
///
/// ```
/// let opts = tempcore::LinkOptions::no_replace().durable(true);
/// assert!(!opts.replaces() && opts.is_durable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkOptions {
    replace: bool,
    durable: bool,
}

impl LinkOptions {
    /// Atomically replace whatever is at the target name (`rename`).
    pub const fn replace() -> Self {
        LinkOptions {
            replace: true,
            durable: false,
        }
    }

    /// Fail with [`io::ErrorKind::AlreadyExists`] if anything is at the
    /// target name, changing nothing.
    pub const fn no_replace() -> Self {
        LinkOptions {
            replace: false,
            durable: false,
        }
    }

    /// Also flush the file's data before it gets its name and the target
    /// directory after, so the new name and its contents survive a power
    /// cut (`fsync` on both).
    pub const fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// Whether an existing target is replaced.
    pub const fn replaces(&self) -> bool {
        self.replace
    }

    /// Whether [`durable`](Self::durable) is set.
    pub const fn is_durable(&self) -> bool {
        self.durable
    }
}

/// A new file that has no name yet but can be given one later with
/// [`link_at`](LinkableFile::link_at).
///
/// On Linux it is an `O_TMPFILE` file opened without `O_EXCL`: truly
/// nameless until linked. Where `O_TMPFILE` is unavailable it is a file
/// under a random name from the caller's [`NameSource`] in the same
/// directory (staged; pass a hidden one): dropping the `LinkableFile`
/// removes that name. Linking a staged file never publishes whatever else
/// took its name: on Linux the open file itself is linked, as an
/// `O_TMPFILE` file is; elsewhere the name is checked to be this file
/// just before it is renamed (see [`link_at`](Self::link_at)).
pub struct LinkableFile {
    file: File,
    staged: Option<Staged>,
}

/// The hidden name of a staged file, removed on drop unless disarmed.
struct Staged {
    dir: Arc<Dir>,
    name: OsString,
    armed: bool,
    /// Linked by renaming the open file itself (Windows, with
    /// [`FileOptions::delete_on_close`]), never by its name.
    by_handle: bool,
    /// The file has a delete disposition (Windows): nobody can open the
    /// name, and the system removes the file when its handle closes, so
    /// there is no name to remove.
    pending: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.armed && !self.pending {
            // Nothing to report to: the owner dropped the file. The name is
            // removed relative to the directory handle, never by path.
            let _ = sys::remove_file_at(&self.dir, &self.name);
        }
    }
}

/// Creates a [`LinkableFile`] in `dir`. Linux: `openat(dirfd, ".",
/// O_TMPFILE|O_RDWR|O_CLOEXEC, mode)`; elsewhere, or when the file system
/// refuses it, an exclusive create under a name from `names` (a leading
/// dot keeps it out of plain listings, e.g. `Template::new(".tmp", "", 13)`).
/// A staged file keeps a duplicate of `dir`'s handle, to remove its name
/// through; [`linkable_file_shared_at`] shares the handle instead.
pub fn linkable_file_at(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<LinkableFile> {
    linkable(dir, || dir.try_clone().map(Arc::new), names, opts)
}

/// [`linkable_file_at`] in a shared directory: a staged file keeps a
/// reference to `dir`, not a descriptor of its own (what `tempfs` uses
/// for a `TempFile` made in a directory given by path, with
/// [`Dir::open_shared`]).
///
/// ```
/// let dir = tempcore::temp_dir_handle()?;
/// let mut hidden = tempcore::Template::new(".tmp", "", 13)?;
/// let draft = tempcore::linkable_file_shared_at(&dir, &mut hidden,
///                                               &tempcore::FileOptions::new())?;
/// # drop(draft);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn linkable_file_shared_at(
    dir: &Arc<Dir>,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<LinkableFile> {
    linkable(dir, || Ok(Arc::clone(dir)), names, opts)
}

/// A [`LinkableFile`] in `dir`; `keep` gives the handle a staged file
/// keeps.
fn linkable(
    dir: &Dir,
    keep: impl FnOnce() -> io::Result<Arc<Dir>>,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<LinkableFile> {
    if let Some(file) = tmpfile_at(dir, opts, true)? {
        return Ok(LinkableFile { file, staged: None });
    }
    let (file, name) = with_fresh_name(dir, names, "creating a temporary file in", |name| {
        sys::create_staged_at(dir, name, opts)
    })?;
    let by_handle = opts.get_delete_on_close() && sys::RENAMES_OPEN_FILES;
    let staged = match keep() {
        Ok(dir) => Staged {
            dir,
            name,
            armed: true,
            by_handle,
            pending: by_handle && sys::stage_pending(&file),
        },
        Err(e) => {
            let _ = sys::remove_file_at(dir, &name);
            return Err(e);
        }
    };
    Ok(LinkableFile {
        file,
        staged: Some(staged),
    })
}

impl LinkableFile {
    /// The open file.
    pub fn as_file(&self) -> &File {
        &self.file
    }

    /// The open file, mutably.
    pub fn as_file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// The hidden path of a staged file, or `None` when the file truly has
    /// no name (Linux `O_TMPFILE`).
    pub fn staged_path(&self) -> Option<PathBuf> {
        self.staged.as_ref().map(|s| s.dir.path().join(&s.name))
    }

    /// Gives up the ability to link: removes the staged name, if any, and
    /// returns the open file, now anonymous. (On Windows a staged file
    /// made with [`FileOptions::delete_on_close`] keeps its delete
    /// disposition instead: its name, which nobody can open, stays listed
    /// until the file is closed, as for [`anonymous_file_at`].)
    ///
    /// [`anonymous_file_at`]: crate::anonymous_file_at
    ///
    /// A staged name that is already gone (a temporary-file cleaner
    /// removed it) is what was asked for, not an error. Any other failure
    /// to remove it gives the `LinkableFile` back in the error, unchanged
    /// and still staged; [`detach`](Self::detach) returns the file
    /// whatever happens.
    pub fn into_file(mut self) -> Result<File, IntoFileError> {
        if let Some(staged) = self.staged.as_mut().filter(|s| !s.pending) {
            match crate::create::remove_file_at(&staged.dir, &staged.name) {
                Ok(()) => staged.armed = false,
                Err(e) if e.kind() == io::ErrorKind::NotFound => staged.armed = false,
                Err(error) => return Err(IntoFileError { error, file: self }),
            }
        }
        Ok(self.into_linked())
    }

    /// Like [`into_file`](Self::into_file), but never loses the file: returns
    /// it together with the outcome of removing the staged name (always
    /// `Ok` when there was none). A caller that cannot report the failure
    /// (a destructor, an infallible conversion) still keeps its data.
    pub fn detach(mut self) -> (File, io::Result<()>) {
        let removed = match self.staged.take() {
            Some(mut staged) => {
                staged.armed = false;
                if staged.pending {
                    Ok(())
                } else {
                    crate::create::remove_file_at(&staged.dir, &staged.name)
                }
            }
            None => Ok(()),
        };
        (self.file, removed)
    }

    /// Gives the file the name `name` in `to`, atomically: the name appears
    /// with the complete file behind it or not at all.
    ///
    /// With [`LinkOptions::replace`] an existing entry is replaced (Linux:
    /// `linkat` to a random hidden sibling, then `renameat` over the target;
    /// staged elsewhere: `renameat`). With [`LinkOptions::no_replace`] an
    /// existing entry makes it fail with `AlreadyExists` and nothing changes
    /// (Linux: `linkat`, which never replaces; staged elsewhere:
    /// `renameat2(RENAME_NOREPLACE)`, or `renameatx_np(RENAME_EXCL)` on
    /// macOS, or `linkat` + `unlinkat` where neither exists).
    ///
    /// A staged file is linked the Linux way too, through its open
    /// descriptor, and its staged name is then removed if it still names
    /// this file (`fstatat` + `fstat`, `unlinkat`). Where that cannot be
    /// done (not Linux, or `/proc` missing without the privilege
    /// `AT_EMPTY_PATH` needs, or the staged name was removed), the staged
    /// name is checked to be this file (device and inode; Windows: volume
    /// and file index) immediately before the rename, and if it is not,
    /// linking fails with [`io::ErrorKind::NotFound`], giving the file
    /// back: whatever took the name is never published. A substitution
    /// between that check and the rename remains possible, by someone who
    /// may rename or delete entries in the staged directory.
    ///
    /// On failure the error carries the file back, still linkable. A
    /// target on another file system fails with
    /// [`io::ErrorKind::CrossesDevices`]: create the file in the target's
    /// directory instead. Linking an `O_TMPFILE` file uses
    /// `/proc/thread-self/fd`, then `AT_EMPTY_PATH`, which needs
    /// `CAP_DAC_READ_SEARCH`; without either it fails with the OS error.
    /// With [`LinkOptions::durable`], if only the final directory sync
    /// fails, the name exists but the error is still returned.
    pub fn link_at(
        mut self,
        to: &Dir,
        name: impl AsRef<OsStr>,
        opts: &LinkOptions,
    ) -> Result<File, LinkError> {
        let name = name.as_ref();
        match self.link_inner(to, name, opts) {
            Ok(()) => Ok(self.into_linked()),
            Err(error) => Err(LinkError { error, file: self }),
        }
    }

    fn link_inner(&mut self, to: &Dir, name: &OsStr, opts: &LinkOptions) -> io::Result<()> {
        let target = to.path().join(name);
        if opts.durable {
            self.file
                .sync_all()
                .map_err(|e| PathError::wrap(e, "syncing the data of a file for", &target))?;
        }
        let linked = match &mut self.staged {
            None => link_anonymous(&self.file, to, name, opts.replace),
            Some(staged) if staged.by_handle => {
                link_open(&self.file, staged, to, name, opts.replace)
            }
            Some(staged) => link_staged(&self.file, staged, to, name, opts.replace),
        };
        linked.map_err(|e| explain(e, "giving a temporary file the name", &target))?;
        if let Some(staged) = &mut self.staged {
            staged.armed = false;
        }
        if opts.durable {
            to.sync()?;
        }
        Ok(())
    }

    fn into_linked(mut self) -> File {
        if let Some(staged) = &mut self.staged {
            staged.armed = false;
        }
        self.file
    }
}

impl fmt::Debug for LinkableFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkableFile")
            .field("file", &self.file)
            .field("staged_path", &self.staged_path())
            .finish()
    }
}

/// A failed [`LinkableFile::link_at`]: the error, and the file back.
#[derive(Debug)]
pub struct LinkError {
    /// What went wrong.
    pub error: io::Error,
    /// The file, still linkable.
    pub file: LinkableFile,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for LinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl From<LinkError> for io::Error {
    fn from(err: LinkError) -> io::Error {
        err.error
    }
}

/// A failed [`LinkableFile::into_file`]: the staged name could not be
/// removed. The error, and the file back, unchanged: still staged, still
/// linkable, its name still removed on drop.
#[derive(Debug)]
pub struct IntoFileError {
    /// What went wrong; names the staged path.
    pub error: io::Error,
    /// The file, given back.
    pub file: LinkableFile,
}

impl fmt::Display for IntoFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for IntoFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl From<IntoFileError> for io::Error {
    fn from(err: IntoFileError) -> io::Error {
        err.error
    }
}

impl From<IntoFileError> for LinkableFile {
    fn from(err: IntoFileError) -> LinkableFile {
        err.file
    }
}

/// Links a staged file made with [`FileOptions::delete_on_close`]
/// (Windows) by renaming the open file itself, once its staged name is
/// checked to be it: its delete disposition is cleared first, and set
/// again if the check or the rename fails (should that fail too, the
/// staged name is removed on drop instead).
fn link_open(
    file: &File,
    staged: &mut Staged,
    to: &Dir,
    name: &OsStr,
    replace: bool,
) -> io::Result<()> {
    let was_pending = staged.pending;
    if was_pending {
        sys::set_delete_pending(file, false)?;
        staged.pending = false;
    }
    // Windows renames the file itself; Wine renames whatever is at the
    // path the handle was opened by, so the name is checked first, as for
    // any staged file (on Windows a file pending deletion cannot be moved
    // away, so the check cannot fail there).
    let renamed =
        check_staged(file, staged).and_then(|()| sys::rename_open_at(file, to, name, replace));
    if renamed.is_err() && was_pending {
        staged.pending = sys::set_delete_pending(file, true).is_ok();
    }
    renamed
}

/// Links a staged file at `name` in `to` without ever publishing what
/// else may have taken its staged name: the open file itself where the
/// platform can link a descriptor (then the staged name is removed if it
/// is still this file), else a rename of the staged name checked to be
/// this file just before.
fn link_staged(
    file: &File,
    staged: &Staged,
    to: &Dir,
    name: &OsStr,
    replace: bool,
) -> io::Result<()> {
    match link_anonymous(file, to, name, replace) {
        Ok(()) => {
            // Published; the staged name is now a second link to the same
            // file. Leave it alone if it names anything else by now; the
            // target has the file either way, so a failure here is not
            // the link's.
            if let Ok(true) = sys::same_file_at(&staged.dir, &staged.name, file) {
                let _ = sys::remove_file_at(&staged.dir, &staged.name);
            }
            return Ok(());
        }
        // Unsupported: no way to link a descriptor here. NotFound: no
        // /proc and no privilege for AT_EMPTY_PATH, or the file has no
        // name left (a cleaner removed it), which the check below reports.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::Unsupported | io::ErrorKind::NotFound
            ) => {}
        Err(e) => return Err(e),
    }
    check_staged(file, staged)?;
    sys::rename_at(&staged.dir, &staged.name, to, name, replace)
}

/// Fails with `NotFound` unless the staged name is still `file` (volume
/// and file index on Windows, device and inode elsewhere).
fn check_staged(file: &File, staged: &Staged) -> io::Result<()> {
    let staged_path = || staged.dir.path().join(&staged.name);
    let ours = sys::same_file_at(&staged.dir, &staged.name, file).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "checking the staged name {} of the temporary file: {e}",
                staged_path().display()
            ),
        )
    })?;
    if !ours {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "the staged name {} now belongs to another file (the temporary file's \
                 name was removed and something else created in its place); it was not \
                 published",
                staged_path().display()
            ),
        ));
    }
    Ok(())
}

/// Links an `O_TMPFILE` file at `name` in `to`; to replace, links it under
/// a hidden random sibling and renames that over the target.
fn link_anonymous(file: &File, to: &Dir, name: &OsStr, replace: bool) -> io::Result<()> {
    if !replace {
        return sys::link_anonymous_at(file, to, name);
    }
    // Errors go back raw, for the caller to name the target (and explain
    // a cross-device link); only running out of sibling names is about
    // the directory.
    let siblings = Template::new(".tmp", ".link", DEFAULT_RAND_LEN)?;
    let attempts = siblings.attempts();
    for _ in 0..attempts {
        let sibling = siblings.generate()?;
        match sys::link_anonymous_at(file, to, &sibling) {
            Ok(()) => {
                return sys::rename_at(to, &sibling, to, name, true).inspect_err(|_| {
                    let _ = sys::remove_file_at(to, &sibling);
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(PathError::custom(
        io::ErrorKind::AlreadyExists,
        "linking a temporary file into",
        to.path(),
        format!("all {attempts} hidden sibling names were taken"),
    ))
}

/// Renames `from_name` in `from` to `to_name` in `to`, relative to both
/// directory handles. With `replace` false an existing target makes it fail
/// with `AlreadyExists` and nothing changes: `renameat2(RENAME_NOREPLACE)`
/// on Linux, `renameatx_np(RENAME_EXCL)` on macOS, and where the system or
/// file system has neither, `linkat` (which never replaces) then `unlinkat`
/// of the old name, during which both names exist for a moment.
pub fn rename_at(
    from: &Dir,
    from_name: impl AsRef<OsStr>,
    to: &Dir,
    to_name: impl AsRef<OsStr>,
    replace: bool,
) -> io::Result<()> {
    let (from_name, to_name) = (from_name.as_ref(), to_name.as_ref());
    sys::rename_at(from, from_name, to, to_name, replace)
        .map_err(|e| explain(e, "renaming to", &to.path().join(to_name)))
}

/// Adds context to a linking error; a cross-device error says what to do.
fn explain(e: io::Error, action: &'static str, target: &std::path::Path) -> io::Error {
    if e.kind() != io::ErrorKind::CrossesDevices {
        return PathError::wrap(e, action, target);
    }
    let os = PathError::find(&e).map_or_else(|| e.to_string(), |p| p.os_error().to_string());
    PathError::custom(
        e.kind(),
        action,
        target,
        format!(
            "{os}: the temporary file is on another file system than the target; \
             create it in the target's directory (or on the same file system) instead"
        ),
    )
}
