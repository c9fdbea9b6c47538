//! The walker at its worst moments: things moved exactly between two of
//! its system calls (through the test hooks), listings without `d_type`,
//! a descriptor budget, and the mount check of kernels without `openat2`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use rustix::fs as rfs;
use tempcore::{DIR_MODE, Dir, Template};
use testkit::Scratch;

use super::Tree;
use super::hooks::{self, Event};
use crate::cleanup::remove_slowly;

/// A directory made as a `TempDir` makes it: its parent's handle, its
/// name, its own handle.
struct Made {
    parent: Dir,
    name: OsString,
    own: Dir,
}

impl Made {
    fn new(scratch: &Path) -> Made {
        let parent = Dir::open(scratch).unwrap();
        let name = tempcore::create_dir_at(&parent, &mut Template::default(), DIR_MODE).unwrap();
        let own = Dir::open_at(&parent, &name).unwrap();
        Made { parent, name, own }
    }

    fn path(&self) -> &Path {
        self.own.path()
    }

    /// Removes it as `TempDir` does after the fast path, keeping at most
    /// `cache` descriptors open below the top.
    fn remove(&self, cache: usize) -> std::io::Result<()> {
        let tree = Tree::new(&self.own, self.path()).with_cache(cache);
        remove_slowly(&self.parent, &self.name, &self.own, self.path(), tree)
    }
}

/// Files that must survive, in `dir`.
fn canaries(dir: &Path) -> Vec<PathBuf> {
    fs::create_dir_all(dir).unwrap();
    (0..3)
        .map(|i| {
            let path = dir.join(format!("canary{i}"));
            fs::write(&path, b"alive").unwrap();
            path
        })
        .collect()
}

fn assert_alive(canaries: &[PathBuf]) {
    for canary in canaries {
        assert!(canary.exists(), "{} was removed", canary.display());
    }
}

/// Clears the hooks even if the test fails.
struct HookGuard;

impl Drop for HookGuard {
    fn drop(&mut self) {
        hooks::clear();
    }
}

#[test]
fn a_directory_swapped_for_a_symlink_just_before_it_is_opened_is_unlinked() {
    // The CVE-2022-21658 window, made certain: the listing said directory,
    // and by the time it is opened it is a symlink to the canaries.
    let scratch = Scratch::new("walk-swap");
    let outside = scratch.join("outside");
    let alive = canaries(&outside);
    let made = Made::new(scratch.path());
    for victim in ["relative", "absolute"] {
        fs::create_dir(made.path().join(victim)).unwrap();
        fs::write(made.path().join(victim).join("inner"), b"x").unwrap();
    }
    let absolute = outside.clone();
    let _guard = HookGuard;
    hooks::set(move |event| {
        if let Event::OpenChild { dir, name } = event {
            let target: PathBuf = match name.to_bytes() {
                b"relative" => "../outside".into(),
                b"absolute" => absolute.clone(),
                _ => return,
            };
            let aside = format!("{}.aside", name.to_str().unwrap());
            rfs::renameat(*dir, *name, *dir, aside.as_str()).unwrap();
            rfs::symlinkat(&target, *dir, *name).unwrap();
        }
    });
    made.remove(walk_cache()).unwrap();
    assert_alive(&alive);
    assert!(!made.path().exists());
}

#[test]
fn a_child_moved_out_before_its_parent_is_reopened_stops_the_walk_there() {
    // With two descriptors cached, climbing out of a chain reopens each
    // ancestor as `..` of its child. Here the child is moved out of the
    // tree first, so `..` is a directory outside, which holds an empty
    // directory of the same name as the child: trusting `..` would remove
    // it. The identity check refuses, the walk starts over from the top.
    let scratch = Scratch::new("walk-reopen");
    let outside = scratch.join("outside");
    let alive = canaries(&outside);
    fs::create_dir(outside.join("a")).unwrap();
    let made = Made::new(scratch.path());
    let chain: PathBuf = made.path().join("a/a/a/a/a/a");
    fs::create_dir_all(&chain).unwrap();
    let moved_from = made.path().join("a/a/a/a/a");
    let moved_to = outside.join("moved");
    let (from, to) = (moved_from.clone(), moved_to.clone());
    let mut fired = false;
    let _guard = HookGuard;
    hooks::set(move |event| {
        if let Event::ReopenParent = event {
            if !fired {
                fired = true;
                fs::rename(&from, &to).unwrap();
            }
        }
    });
    made.remove(2).unwrap();
    assert_alive(&alive);
    assert!(outside.join("a").is_dir(), "the decoy outside was removed");
    assert!(moved_to.is_dir(), "what was moved out is no longer ours");
    assert!(!made.path().exists());
}

#[test]
fn without_d_type_every_entry_is_still_removed() {
    // Some file systems list every entry as DT_UNKNOWN: unlink is tried
    // first, and EISDIR sends the walk into the directory.
    let scratch = Scratch::new("walk-unknown");
    let outside = scratch.join("outside");
    let alive = canaries(&outside);
    let made = Made::new(scratch.path());
    fs::create_dir_all(made.path().join("a/b/c")).unwrap();
    fs::write(made.path().join("a/b/file"), b"x").unwrap();
    std::os::unix::fs::symlink("../../outside", made.path().join("a/link")).unwrap();
    std::os::unix::fs::symlink(&outside, made.path().join("a/b/c/abs-link")).unwrap();
    let _guard = HookGuard;
    hooks::forget_types(true);
    made.remove(walk_cache()).unwrap();
    assert_alive(&alive);
    assert!(!made.path().exists());
}

#[test]
fn the_walk_keeps_its_descriptor_budget() {
    let scratch = Scratch::new("walk-budget");
    testkit::child::check(|| {
        let made = Made::new(scratch.path());
        let mut path = made.path().to_path_buf();
        for _ in 0..60 {
            path.push("d");
        }
        fs::create_dir_all(&path).unwrap();
        let base = testkit::open_fds().unwrap();
        let peak = std::rc::Rc::new(std::cell::Cell::new(0));
        let seen = std::rc::Rc::clone(&peak);
        let _guard = HookGuard;
        hooks::set(move |_| seen.set(seen.get().max(testkit::open_fds().unwrap())));
        made.remove(4).unwrap();
        // Four cached, plus one being opened or reopened.
        assert!(
            peak.get() <= base + 5,
            "{} open at most, {base} before",
            peak.get()
        );
        assert!(
            peak.get() >= base + 4,
            "the budget was never used: {}",
            peak.get()
        );
    });
}

/// The descriptor budget a `TempDir` uses.
fn walk_cache() -> usize {
    super::walk::FD_CACHE
}

/// What only Linux has: `O_PATH` repair and mount namespaces.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use std::ffi::{CStr, CString, OsStr, OsString};
    use std::fs;
    use std::os::fd::AsFd;
    use std::path::Path;

    use tempcore::Dir;
    use testkit::Scratch;

    use super::super::hooks::{self, Event};
    use super::super::ops;

    /// `c"name"` for a test name.
    fn c(name: &str) -> CString {
        CString::new(name).unwrap()
    }

    #[test]
    fn opening_never_follows_a_symlink() {
        let scratch = Scratch::new("ops-symlink");
        fs::create_dir(scratch.join("real")).unwrap();
        std::os::unix::fs::symlink("real", scratch.join("link")).unwrap();
        let dir = Dir::open(scratch.path()).unwrap();
        let dev = ops::identity(&dir).unwrap().0.dev();
        let fd = dir.as_fd();
        assert!(ops::open_child(fd, &c("real"), dev).is_ok());
        let refused = [
            ops::open_child(fd, &c("link"), dev).err(),
            ops::open_unreadable_child(fd, &c("link"), dev).err(),
        ];
        for err in refused {
            assert!(
                matches!(
                    err,
                    Some(rustix::io::Errno::NOTDIR | rustix::io::Errno::LOOP)
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn without_openat2_a_bind_mount_is_still_seen() {
        // Kernels before 5.6 have no openat2: the fallback opens, then asks
        // statx whether it landed on the root of a mount. A bind mount of the
        // same file system has the same device, so the device alone would not
        // tell.
        let scratch = Scratch::new("ops-fallback");
        fs::create_dir(scratch.join("source")).unwrap();
        fs::create_dir(scratch.join("mnt")).unwrap();
        fs::create_dir(scratch.join("plain")).unwrap();
        testkit::child::check(|| {
            // SAFETY: plain system calls in a single-threaded forked child,
            // with valid NUL-terminated strings.
            unsafe {
                assert_eq!(libc::unshare(libc::CLONE_NEWNS), 0);
                let flags = libc::MS_REC | libc::MS_PRIVATE;
                let root = c"/".as_ptr();
                let none = std::ptr::null();
                assert_eq!(libc::mount(none, root, none, flags, none.cast()), 0);
                let source = c(scratch.join("source").to_str().unwrap());
                let target = c(scratch.join("mnt").to_str().unwrap());
                let rc = libc::mount(
                    source.as_ptr(),
                    target.as_ptr(),
                    none,
                    libc::MS_BIND,
                    none.cast(),
                );
                assert_eq!(rc, 0, "bind mount: {}", std::io::Error::last_os_error());
            }
            let dir = Dir::open(scratch.path()).unwrap();
            let dev = ops::identity(&dir).unwrap().0.dev();
            let fd = dir.as_fd();
            let check = |name: &CStr| ops::open_then_check(fd, name, ops::DIR_FLAGS, dev).map(drop);
            assert_eq!(check(&c("plain")), Ok(()));
            assert_eq!(check(&c("mnt")), Err(rustix::io::Errno::XDEV));
            assert_eq!(
                ops::open_child(fd, &c("mnt"), dev).map(drop),
                Err(rustix::io::Errno::XDEV)
            );
        });
    }

    /// At the moment of the repair, moves `name` in `dir` aside (to
    /// `<name>.aside`) and puts a symlink to `target` in its place: a
    /// repair that named the directory instead of using its handle would
    /// change `target`.
    fn swap_at_repair(dir: &Path, name: &str, target: &Path) -> super::HookGuard {
        let (dir, name, target) = (dir.to_path_buf(), name.to_string(), target.to_path_buf());
        hooks::set(move |event| {
            if let Event::Repair = event {
                fs::rename(dir.join(&name), dir.join(format!("{name}.aside"))).unwrap();
                std::os::unix::fs::symlink(&target, dir.join(&name)).unwrap();
            }
        });
        super::HookGuard
    }

    /// The names `fd` lists.
    fn listed(fd: std::os::fd::BorrowedFd<'_>) -> Vec<OsString> {
        let mut names = Vec::new();
        let mut buf = Vec::new();
        ops::list(fd, &mut buf, false, &mut |name, _| {
            names.push(OsStr::new(name.to_str().unwrap()).to_owned())
        })
        .unwrap();
        names
    }

    #[test]
    fn the_magic_link_repair_changes_only_the_directory_it_opened() {
        // The O_PATH repair names /proc/thread-self/fd/N: the kernel resolves it to
        // the very directory opened with O_NOFOLLOW, never to what the name
        // points at now, even when the name is swapped for a symlink
        // between the open and the repair.
        let scratch = Scratch::new("ops-repair");
        let locked = scratch.join("locked");
        fs::create_dir(&locked).unwrap();
        fs::write(locked.join("inside"), b"x").unwrap();
        let target = scratch.join("target");
        fs::create_dir(&target).unwrap();
        testkit::set_mode(&target, 0o555);
        testkit::set_mode(&locked, 0o000);
        let dir = Dir::open(scratch.path()).unwrap();
        let dev = ops::identity(&dir).unwrap().0.dev();
        let _guard = swap_at_repair(scratch.path(), "locked", &target);
        let opened = ops::open_unreadable_child(dir.as_fd(), &c("locked"), dev).unwrap();
        assert_eq!(
            testkit::mode_of(&target),
            0o555,
            "the symlink's target was changed"
        );
        assert_eq!(testkit::mode_of(&scratch.join("locked.aside")), 0o700);
        // And the descriptor lists the directory it opened.
        assert_eq!(listed(opened.as_fd()), ["inside"]);
    }

    #[test]
    fn the_own_handle_is_repaired_through_itself_not_through_its_name() {
        // A TempDir's own handle is O_PATH; when its owner cannot read the
        // directory (root always can, so this runs as nobody), cleanup gives
        // it 0700 through /proc/thread-self/fd/N, which a swap of the name between
        // the open and the repair cannot redirect.
        let scratch = Scratch::new("ops-own-repair");
        let work = scratch.join("work");
        fs::create_dir(&work).unwrap();
        testkit::set_mode(&work, 0o777);
        testkit::child::as_nobody(|| {
            let own = work.join("own");
            let target = work.join("target");
            fs::create_dir(&own).unwrap();
            fs::write(own.join("inside"), b"x").unwrap();
            fs::create_dir(&target).unwrap();
            testkit::set_mode(&target, 0o555);
            let parent = Dir::open(&work).unwrap();
            let handle = Dir::open_handle_at(&parent, "own").unwrap();
            testkit::set_mode(&own, 0o000);
            let _guard = swap_at_repair(&work, "own", &target);
            let opened = ops::open_readable(handle.as_fd()).unwrap();
            assert_eq!(
                testkit::mode_of(&target),
                0o555,
                "the symlink's target was changed"
            );
            assert_eq!(testkit::mode_of(&work.join("own.aside")), 0o700);
            assert_eq!(listed(opened.as_fd()), ["inside"]);
        });
        testkit::make_writable(scratch.path());
    }

    #[test]
    fn a_thread_with_its_own_descriptor_table_repairs_its_own_directory() {
        // `/proc/self/fd/N` is the main thread's descriptor N; in a thread
        // that unshared its table, N there is another directory, whose mode
        // a repair through it would change.
        use std::os::fd::AsRawFd;

        let scratch = Scratch::new("ops-thread-self");
        let work = scratch.join("work");
        fs::create_dir(&work).unwrap();
        testkit::set_mode(&work, 0o777);
        testkit::child::as_nobody(|| {
            let own = work.join("own");
            let outside = work.join("outside");
            fs::create_dir(&own).unwrap();
            fs::write(own.join("inside"), b"x").unwrap();
            fs::create_dir(&outside).unwrap();
            testkit::set_mode(&outside, 0o500);
            let decoy = fs::File::open(&outside).unwrap();
            let (work_in, own_in) = (work.clone(), own.clone());
            let names = testkit::child::with_decoy_at_the_same_number(
                &decoy,
                move || {
                    let parent = Dir::open(&work_in).unwrap();
                    let handle = Dir::open_handle_at(&parent, "own").unwrap();
                    testkit::set_mode(&own_in, 0o000);
                    (handle.as_fd().as_raw_fd(), handle)
                },
                |handle| {
                    let opened = ops::open_readable(handle.as_fd()).unwrap();
                    listed(opened.as_fd())
                },
            );
            assert_eq!(names, ["inside"]);
            assert_eq!(
                testkit::mode_of(&outside),
                0o500,
                "the main thread's directory changed"
            );
            assert_eq!(testkit::mode_of(&own), 0o700);
        });
        testkit::make_writable(scratch.path());
    }
}
