//! The walker: empties a directory tree through directory descriptors,
//! iteratively, with a bounded number of them open.
//!
//! Each directory is a [`Frame`] on an explicit stack (no recursion: a tree
//! 10,000 deep costs heap, not stack). A frame is listed once: files,
//! symlinks and other non-directories are unlinked by name through the
//! frame's descriptor as they are read; subdirectories are remembered and
//! then entered one by one, each opened with `O_DIRECTORY|O_NOFOLLOW`
//! without crossing a mount point. When a subdirectory is empty it is
//! removed through its parent's descriptor.
//!
//! Only the deepest [`FD_CACHE`] frames (and the root, whose descriptor the
//! `TempDir` owns) keep their descriptors. Before an ancestor's descriptor
//! is closed, its device and inode are recorded; when the walk climbs back,
//! the ancestor is reopened as `..` of its child and must show the same
//! identity. If it does not (the child was moved out from under it), the
//! walk drops everything it knew below the root and lists the root again:
//! it never goes on in a directory it cannot prove is part of the tree, and
//! never names anything by path.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use tempcore::PathError;

use super::hooks;
use super::ops::{self, Identity, Kind};
use crate::failure::{Report, kept_changing};

/// How many directory descriptors below the root the walk keeps open. The
/// walk holds at most this many, plus one while it opens the next.
#[cfg(unix)]
pub(crate) const FD_CACHE: usize = 16;
/// On WASI far more: a handle there is a capability that ends at its
/// directory, so `..` cannot be opened relative to it (`EPERM`), and a
/// closed frame is not reopened but found again by listing from the root
/// (a restart, of which there are at most [`REVISIT_LIMIT`]).
#[cfg(target_os = "wasi")]
pub(crate) const FD_CACHE: usize = 1024;

/// How many times entries of one directory may be seen to change under the
/// walk (a directory swapped for a symlink and back, new entries appearing
/// in a directory just emptied) before the walk gives up on them and
/// reports it. Bounds the work a process racing the cleanup can cause.
const REVISIT_LIMIT: u32 = 256;

/// One directory of the tree being emptied.
#[derive(Debug)]
struct Frame {
    /// Its name in the parent frame (empty for the root).
    name: CString,
    /// Its descriptor; `None` for the root (borrowed, see
    /// [`Walker::root`]) and for ancestors closed to save descriptors.
    fd: Option<OwnedFd>,
    /// Device and inode, recorded when the descriptor was closed.
    id: Option<Identity>,
    /// Subdirectories listed but not yet entered.
    pending: Vec<CString>,
    /// Whether it has been listed since it was (re)opened.
    listed: bool,
    /// Whether its mode has been set to 0700 already.
    repaired: bool,
    /// Whether something in it could not be removed: then neither can it.
    kept: bool,
    /// Entries of it seen to change under the walk so far.
    revisits: u32,
    /// Entries given up on (reported), not to be tried again.
    skip: Vec<CString>,
}

impl Frame {
    fn new(name: CString, fd: Option<OwnedFd>) -> Frame {
        Frame {
            name,
            fd,
            id: None,
            pending: Vec::new(),
            listed: false,
            repaired: false,
            kept: false,
            revisits: 0,
            skip: Vec::new(),
        }
    }
}

/// Empties one directory tree. See the module docs.
#[derive(Debug)]
pub(crate) struct Walker<'a> {
    /// The descriptor of the top directory, held by its `TempDir`.
    root: BorrowedFd<'a>,
    /// The top directory's path, for error messages only.
    root_path: &'a Path,
    /// The top directory's device, for the mount check where the kernel
    /// offers nothing better.
    root_dev: u64,
    /// The stack: `frames[0]` is the root, the last is being worked on.
    frames: Vec<Frame>,
    /// `frames[lowest_open..]` all hold descriptors (as does the root).
    lowest_open: usize,
    /// How many descriptors below the root may stay open.
    cache: usize,
    /// The buffer directory listings are read into.
    buf: Vec<u8>,
    report: Report,
    /// Leave the files and subdirectories someone holds a lock on.
    leave_locked: bool,
}

impl<'a> Walker<'a> {
    /// A walk of the directory `root` (open with `O_RDONLY|O_DIRECTORY`),
    /// found at `root_path` on device `root_dev`, keeping at most `cache`
    /// descriptors open below it.
    pub(crate) fn new(
        root: BorrowedFd<'a>,
        root_path: &'a Path,
        root_dev: u64,
        cache: usize,
    ) -> Walker<'a> {
        Walker {
            root,
            root_path,
            root_dev,
            frames: vec![Frame::new(CString::default(), None)],
            lowest_open: 1,
            cache: cache.max(1),
            buf: Vec::new(),
            report: Report::default(),
            leave_locked: false,
        }
    }

    /// Whether to leave each file and subdirectory someone holds a lock on
    /// (an owner lock: its owner is alive), and so the directories above
    /// it.
    pub(crate) fn leaving_locked(self, leave: bool) -> Walker<'a> {
        Walker {
            leave_locked: leave,
            ..self
        }
    }

    /// Removes everything inside the root; reports the first failure.
    pub(crate) fn run(mut self) -> io::Result<()> {
        loop {
            let i = self.frames.len() - 1;
            if !self.frames[i].listed {
                self.list(i);
            } else if let Some(name) = self.frames[i].pending.pop() {
                self.descend(i, name);
            } else if i == 0 {
                return self.report.into_result();
            } else {
                self.ascend();
            }
        }
    }

    /// Runs `f` with the descriptor of frame `i`, which must be open.
    fn with_fd<R>(&mut self, i: usize, f: impl FnOnce(&mut Self, BorrowedFd<'_>) -> R) -> R {
        if i == 0 {
            let root = self.root;
            return f(self, root);
        }
        let Some(fd) = self.frames[i].fd.take() else {
            unreachable!("the frame being worked on always holds its descriptor")
        };
        let result = f(self, fd.as_fd());
        self.frames[i].fd = Some(fd);
        result
    }

    /// Lists frame `i`: unlinks what is not a directory, remembers what is.
    fn list(&mut self, i: usize) {
        self.frames[i].listed = true;
        // The root's descriptor may have been listed by an earlier attempt.
        let rewind = i == 0;
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.with_fd(i, |w, fd| {
            let mut each = |w: &mut Self| {
                ops::list(fd, &mut buf, rewind, &mut |name, kind| {
                    w.entry(i, fd, name, kind)
                })
            };
            match each(w) {
                Err(Errno::ACCESS) if !w.frames[i].repaired => {
                    w.repair(i, fd);
                    each(w)
                }
                other => other,
            }
        });
        self.buf = buf;
        if let Err(e) = result {
            self.frames[i].kept = true;
            let path = self.path_of(i, None);
            self.fail(e, "listing the directory", path);
        }
    }

    /// One entry of frame `i`'s listing.
    fn entry(&mut self, i: usize, fd: BorrowedFd<'_>, name: &CStr, kind: Kind) {
        if self.frames[i].skip.iter().any(|s| s.as_c_str() == name) {
            return;
        }
        match hooks::kind(kind) {
            Kind::Dir => self.frames[i].pending.push(name.to_owned()),
            Kind::NotDir | Kind::Unknown if self.leave_locked && ops::file_is_locked(fd, name) => {
                let err = locked(&self.path_of(i, Some(name)));
                self.give_up(i, name, err);
            }
            Kind::NotDir | Kind::Unknown => self.unlink(i, fd, name),
        }
    }

    /// Removes the non-directory `name` from frame `i` (`fd`). A directory
    /// found there after all is remembered for a visit.
    fn unlink(&mut self, i: usize, fd: BorrowedFd<'_>, name: &CStr) {
        let mut result = ops::unlink(fd, name);
        if matches!(result, Err(Errno::ACCESS | Errno::PERM)) && !self.frames[i].repaired {
            self.repair(i, fd);
            result = ops::unlink(fd, name);
        }
        match result {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(Errno::ISDIR) => self.frames[i].pending.push(name.to_owned()),
            // POSIX lets unlink refuse a directory with EPERM (macOS does).
            Err(Errno::PERM | Errno::ACCESS) if ops::is_dir_at(fd, name) => {
                self.frames[i].pending.push(name.to_owned())
            }
            Err(e) => self.give_up_errno(i, name, e, "removing"),
        }
    }

    /// Enters the subdirectory `name` of frame `i`.
    fn descend(&mut self, i: usize, name: CString) {
        let opened = self.with_fd(i, |w, fd| w.open_child(i, fd, &name));
        if let Some(fd) = opened {
            self.frames.push(Frame::new(name, Some(fd)));
            self.trim_cache();
        }
    }

    /// Opens the subdirectory `name` of frame `i` (`fd`), repairing
    /// permissions if needed; `None` when there is nothing to enter.
    fn open_child(&mut self, i: usize, fd: BorrowedFd<'_>, name: &CStr) -> Option<OwnedFd> {
        hooks::fire(hooks::Event::OpenChild { dir: fd, name });
        let dev = self.root_dev;
        let mut result = self.opening(|| ops::open_child(fd, name, dev));
        if matches!(result, Err(Errno::ACCESS)) && !self.frames[i].repaired {
            // The parent may lack search permission.
            self.repair(i, fd);
            result = self.opening(|| ops::open_child(fd, name, dev));
        }
        if matches!(result, Err(Errno::ACCESS)) {
            // The directory itself lacks read permission.
            result = self.opening(|| ops::open_unreadable_child(fd, name, dev));
        }
        match result {
            Ok(child) if self.leave_locked && !ops::lock_exclusive(child.as_fd()) => {
                let err = locked(&self.path_of(i, Some(name)));
                self.give_up(i, name, err);
                None
            }
            Ok(child) => Some(child),
            Err(Errno::NOENT) => None,
            // Not a directory (any more): a symlink or a file was swapped
            // in. Remove the entry itself, never what it points to.
            Err(Errno::NOTDIR | Errno::LOOP) => {
                if self.revisit(i, name) {
                    self.unlink(i, fd, name);
                }
                None
            }
            Err(Errno::XDEV) => {
                let err = mount_point(&self.path_of(i, Some(name)));
                self.give_up(i, name, err);
                None
            }
            Err(e) => {
                self.give_up_errno(i, name, e, "opening the directory");
                None
            }
        }
    }

    /// Runs `open`, closing cached ancestors while it fails for lack of
    /// descriptors (`EMFILE`, `ENFILE`).
    fn opening(&mut self, open: impl Fn() -> Result<OwnedFd, Errno>) -> Result<OwnedFd, Errno> {
        loop {
            match open() {
                Err(Errno::MFILE | Errno::NFILE) if self.evict_one() => {}
                other => return other,
            }
        }
    }

    /// Leaves the deepest frame, which is empty now, and removes it.
    fn ascend(&mut self) {
        let Some(child) = self.frames.pop() else {
            return;
        };
        let p = self.frames.len() - 1;
        let Some(child_fd) = child.fd else {
            unreachable!("the frame being worked on always holds its descriptor")
        };
        if p > 0 && self.frames[p].fd.is_none() && !self.reopen(p, child_fd.as_fd()) {
            drop(child_fd);
            self.restart();
            return;
        }
        drop(child_fd);
        if child.kept {
            self.frames[p].kept = true;
            self.frames[p].skip.push(child.name);
            return;
        }
        self.with_fd(p, |w, fd| w.remove_emptied(p, fd, child.name));
    }

    /// Removes the emptied subdirectory `name` of frame `p` (`fd`).
    fn remove_emptied(&mut self, p: usize, fd: BorrowedFd<'_>, name: CString) {
        let mut result = ops::remove_dir(fd, name.as_c_str());
        if matches!(result, Err(Errno::ACCESS | Errno::PERM)) && !self.frames[p].repaired {
            self.repair(p, fd);
            result = ops::remove_dir(fd, name.as_c_str());
        }
        match result {
            Ok(()) | Err(Errno::NOENT) => {}
            // New entries appeared in it: visit it again.
            Err(Errno::NOTEMPTY | Errno::EXIST) => {
                if self.revisit(p, &name) {
                    self.frames[p].pending.push(name);
                }
            }
            // Something else was put in its place: remove that entry.
            Err(Errno::NOTDIR) => {
                if self.revisit(p, &name) {
                    self.unlink(p, fd, &name);
                }
            }
            Err(Errno::BUSY) => {
                let err = mount_point(&self.path_of(p, Some(&name)));
                self.give_up(p, &name, err);
            }
            Err(e) => self.give_up_errno(p, &name, e, "removing the directory"),
        }
    }

    /// Reopens the closed frame `p` as `..` of its child and checks that it
    /// is the same directory. `false` if it is not, or cannot be opened.
    fn reopen(&mut self, p: usize, child: BorrowedFd<'_>) -> bool {
        hooks::fire(hooks::Event::ReopenParent);
        let mut opened = ops::open_parent(child);
        if matches!(opened, Err(Errno::ACCESS)) {
            // The child lacks search permission; it is ours and a directory.
            let _ = ops::make_owner_rwx(child);
            opened = ops::open_parent(child);
        }
        let Ok(fd) = opened else {
            return false;
        };
        match ops::identity(&fd) {
            Ok((id, _)) if Some(id) == self.frames[p].id => {
                self.frames[p].fd = Some(fd);
                self.lowest_open = p;
                true
            }
            _ => false,
        }
    }

    /// Forgets every frame below the root and lists the root again: the
    /// way on when the tree changed so that the walk cannot prove where it
    /// is.
    fn restart(&mut self) {
        self.frames.truncate(1);
        self.lowest_open = 1;
        let root = &mut self.frames[0];
        root.pending.clear();
        root.revisits += 1;
        if root.revisits > REVISIT_LIMIT {
            root.kept = true;
            self.report.fail(kept_changing(self.root_path));
        } else {
            root.listed = false;
        }
    }

    /// Counts a change seen at `name` in frame `i`; once there have been
    /// too many, gives up on it and returns `false`.
    fn revisit(&mut self, i: usize, name: &CStr) -> bool {
        self.frames[i].revisits += 1;
        if self.frames[i].revisits <= REVISIT_LIMIT {
            return true;
        }
        let err = kept_changing(&self.path_of(i, Some(name)));
        self.give_up(i, name, err);
        false
    }

    /// Gives frame `i` mode 0700 through its descriptor, once.
    fn repair(&mut self, i: usize, fd: BorrowedFd<'_>) {
        self.frames[i].repaired = true;
        // If this fails (not the owner), the retried call reports why.
        let _ = ops::make_owner_rwx(fd);
    }

    /// Closes descriptors of the shallowest open frames until at most
    /// `cache` are open below the root.
    fn trim_cache(&mut self) {
        while self.frames.len() - self.lowest_open > self.cache && self.evict_lowest() {}
    }

    /// Closes one more ancestor's descriptor after `EMFILE`, and keeps the
    /// cache that small from now on. `false` if none can be closed.
    fn evict_one(&mut self) -> bool {
        if !self.evict_lowest() {
            return false;
        }
        self.cache = (self.frames.len() - self.lowest_open).max(1);
        true
    }

    /// Records the identity of the shallowest open frame below the root
    /// and closes its descriptor. Never the deepest frame.
    fn evict_lowest(&mut self) -> bool {
        let k = self.lowest_open;
        if k + 1 >= self.frames.len() {
            return false;
        }
        let Some(fd) = self.frames[k].fd.take() else {
            return false;
        };
        match ops::identity(&fd) {
            Ok((id, _)) => {
                self.frames[k].id = Some(id);
                self.lowest_open = k + 1;
                true
            }
            Err(_) => {
                self.frames[k].fd = Some(fd);
                false
            }
        }
    }

    /// Stops trying `name` in frame `i` and reports `err`.
    fn give_up(&mut self, i: usize, name: &CStr, err: io::Error) {
        let frame = &mut self.frames[i];
        frame.kept = true;
        frame.skip.push(name.to_owned());
        self.report.fail(err);
    }

    /// [`give_up`](Self::give_up) with an OS error and what was being done.
    fn give_up_errno(&mut self, i: usize, name: &CStr, e: Errno, action: &'static str) {
        let err = PathError::wrap(e.into(), action, self.path_of(i, Some(name)));
        self.give_up(i, name, err);
    }

    /// Reports an OS error about `path`.
    fn fail(&mut self, e: Errno, action: &'static str, path: PathBuf) {
        self.report.fail(PathError::wrap(e.into(), action, path));
    }

    /// The path of frame `i` (and of `name` in it), under the root's path:
    /// for messages only, never used to reach anything.
    fn path_of(&self, i: usize, name: Option<&CStr>) -> PathBuf {
        let mut path = self.root_path.to_path_buf();
        for frame in &self.frames[1..=i] {
            path.push(name_of(&frame.name));
        }
        if let Some(name) = name {
            path.push(name_of(name));
        }
        path
    }
}

/// The error for a file or directory of the tree whose owner lock a live
/// process holds.
fn locked(path: &Path) -> io::Error {
    PathError::custom(
        io::ErrorKind::ResourceBusy,
        "not removing",
        path,
        "a live process holds its owner lock; it was left in place, with the directories above it",
    )
}

/// An entry's name as a path component, for messages.
#[cfg(unix)]
fn name_of(name: &CStr) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(name.to_bytes())
}

/// An entry's name as a path component, for messages: WASI's names are
/// UTF-8 (`OsStrExt` is unstable on `wasm32-wasip2`).
#[cfg(target_os = "wasi")]
fn name_of(name: &CStr) -> String {
    name.to_string_lossy().into_owned()
}

/// The error for a mount point inside the tree, which cleanup never
/// crosses.
fn mount_point(path: &Path) -> io::Error {
    PathError::custom(
        io::ErrorKind::ResourceBusy,
        "not crossing the mount point",
        path,
        "cleanup never leaves the temporary directory's file system; it was left in place",
    )
}
