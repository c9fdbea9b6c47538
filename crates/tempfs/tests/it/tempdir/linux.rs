//! Linux only: the `O_PATH` handle a TempDir holds, directories repaired
//! through `O_PATH`, mount points inside
//! the tree (in a private mount namespace), and entries nothing can
//! remove (the immutable attribute) for `ignore_cleanup_errors`.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::ptr;

use rustix::fs::{IFlags, ioctl_getflags, ioctl_setflags};
use tempcore::PathError;
use tempfs::{Builder, TempDir};
use testkit::Scratch;
use testkit::child;

use super::fixtures::{
    assert_canaries, build_tree, c_path, chmod_tree, nobody_scratch, plant_canaries,
};

#[test]
fn all_eight_owner_permission_combinations_are_removed() {
    // Python's test_modes: every file and directory, the top included,
    // gets the same owner bits; cleanup must still remove everything.
    let scratch = nobody_scratch("modes");
    child::as_nobody(|| {
        for bits in 0..8 {
            let mode = bits << 6;
            let dir = TempDir::new_in(scratch.path()).unwrap();
            build_tree(dir.path(), 3, 2, 2);
            chmod_tree(dir.path(), mode);
            let path = dir.path().to_path_buf();
            dir.close()
                .unwrap_or_else(|e| panic!("mode {mode:03o}: {e}"));
            assert!(
                fs::symlink_metadata(&path).is_err(),
                "mode {mode:03o}: {} is still there",
                path.display()
            );
        }
        assert!(scratch.entries().is_empty());
    });
}

#[test]
fn unreadable_directories_at_every_depth_are_removed() {
    // Directories whose owner cannot even list them (0000, 0100, 0200,
    // 0300) are repaired through an O_PATH handle, never by path.
    let scratch = nobody_scratch("unreadable");
    child::as_nobody(|| {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        let mut path = dir.path().to_path_buf();
        let mut chain = Vec::new();
        for mode in [0o000, 0o100, 0o200, 0o300, 0o000] {
            path.push("x");
            fs::create_dir(&path).unwrap();
            fs::write(path.join("f"), b"f").unwrap();
            chain.push((path.clone(), mode));
        }
        for (path, mode) in chain.iter().rev() {
            fs::set_permissions(path, fs::Permissions::from_mode(*mode)).unwrap();
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o000)).unwrap();
        dir.close().unwrap();
        assert!(scratch.entries().is_empty());
    });
}

/// Runs `body` in a forked child with a private mount namespace, so that
/// its mounts vanish with it whatever happens.
fn in_private_mount_namespace(body: impl FnOnce()) {
    child::check(|| {
        // SAFETY: plain system calls in a single-threaded forked child.
        unsafe {
            assert_eq!(
                libc::unshare(libc::CLONE_NEWNS),
                0,
                "unshare(CLONE_NEWNS): {}",
                io::Error::last_os_error()
            );
            let root = c"/";
            let flags = libc::MS_REC | libc::MS_PRIVATE;
            let rc = libc::mount(ptr::null(), root.as_ptr(), ptr::null(), flags, ptr::null());
            assert_eq!(
                rc,
                0,
                "making mounts private: {}",
                io::Error::last_os_error()
            );
        }
        body();
    });
}

/// `mount --bind source target`.
fn bind_mount(source: &Path, target: &Path) {
    let (source, target) = (c_path(source), c_path(target));
    // SAFETY: valid NUL-terminated paths; null file system type and data.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            ptr::null(),
            libc::MS_BIND,
            ptr::null(),
        )
    };
    assert_eq!(rc, 0, "bind mount: {}", io::Error::last_os_error());
}

/// `mount -t tmpfs tmpfs target`.
fn mount_tmpfs(target: &Path) {
    let target = c_path(target);
    // SAFETY: valid NUL-terminated strings for every argument.
    let rc = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            c"size=1m".as_ptr().cast(),
        )
    };
    assert_eq!(rc, 0, "mounting a tmpfs: {}", io::Error::last_os_error());
}

/// `umount -l target`.
fn unmount(target: &Path) {
    let target = c_path(target);
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    assert_eq!(rc, 0, "unmounting: {}", io::Error::last_os_error());
}

/// The sorted names in `dir`, as strings.
fn names(dir: &Path) -> Vec<String> {
    testkit::entries(dir)
        .into_iter()
        .map(|n| n.into_string().unwrap())
        .collect()
}

#[test]
fn a_bind_mount_of_the_same_file_system_inside_is_not_crossed() {
    // The same device on both sides: a device comparison alone would walk
    // right in. openat2(RESOLVE_NO_XDEV) sees it.
    let scratch = Scratch::new("bind-mount");
    let outside = scratch.join("outside");
    fs::create_dir(&outside).unwrap();
    let canaries = plant_canaries(&outside);
    in_private_mount_namespace(|| {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        build_tree(dir.path(), 2, 2, 2);
        let mount_point = dir.path().join("d0/d1/mnt");
        fs::create_dir(&mount_point).unwrap();
        bind_mount(&outside, &mount_point);
        let path = dir.path().to_path_buf();

        let err = dir.close().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ResourceBusy, "{err}");
        assert_eq!(PathError::find(&err).unwrap().path(), mount_point);
        assert_canaries(&canaries);
        // Everything but the way to the mount point is gone.
        assert_eq!(names(&path), ["d0"]);
        assert_eq!(names(&path.join("d0")), ["d1"]);
        assert_eq!(names(&path.join("d0/d1")), ["mnt"]);
        unmount(&mount_point);
        fs::remove_dir_all(&path).unwrap();
    });
    assert_canaries(&canaries);
}

#[test]
fn a_file_bind_mounted_inside_is_left_and_its_source_kept() {
    // Unlinking a mount point fails (EBUSY): reported, and the file
    // mounted there, which lives outside, is never written or removed.
    let scratch = Scratch::new("file-mount");
    let outside = scratch.join("outside");
    fs::create_dir(&outside).unwrap();
    let canaries = plant_canaries(&outside);
    in_private_mount_namespace(|| {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        build_tree(dir.path(), 1, 1, 2);
        let mount_point = dir.path().join("d0/f0");
        bind_mount(&canaries[0], &mount_point);
        let path = dir.path().to_path_buf();

        let err = dir.close().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ResourceBusy, "{err}");
        assert_eq!(PathError::find(&err).unwrap().path(), mount_point);
        assert_eq!(names(&path), ["d0"]);
        assert_eq!(names(&path.join("d0")), ["f0"]);
        unmount(&mount_point);
        fs::remove_dir_all(&path).unwrap();
    });
    assert_canaries(&canaries);
    assert_eq!(fs::read(&canaries[0]).unwrap(), b"canary 0");
}

#[test]
fn a_tmpfs_mounted_inside_is_not_crossed() {
    let scratch = Scratch::new("tmpfs-mount");
    in_private_mount_namespace(|| {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        build_tree(dir.path(), 1, 2, 2);
        let mount_point = dir.path().join("d1/tmpfs");
        fs::create_dir(&mount_point).unwrap();
        mount_tmpfs(&mount_point);
        let canaries = plant_canaries(&mount_point);
        let path = dir.path().to_path_buf();

        let err = dir.close().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ResourceBusy, "{err}");
        assert_eq!(PathError::find(&err).unwrap().path(), mount_point);
        assert_canaries(&canaries);
        assert_eq!(names(&path), ["d1"]);
        assert_eq!(names(&path.join("d1")), ["tmpfs"]);
        unmount(&mount_point);
        fs::remove_dir_all(&path).unwrap();
    });
}

/// An entry nothing can remove, planted at `d0/d1/stuck` in a tree: a file
/// with the immutable attribute, or, where the file system refuses it, a
/// mount point (inside a private mount namespace). Dropping it lifts the
/// obstacle, whatever the test did.
struct Obstacle {
    path: PathBuf,
    mounted: bool,
}

impl Obstacle {
    fn plant(tree: &Path) -> Obstacle {
        let path = tree.join("d0/d1/stuck");
        fs::write(&path, b"cannot go").unwrap();
        match set_immutable(&path, true) {
            Ok(()) => Obstacle {
                path,
                mounted: false,
            },
            Err(e) => {
                eprintln!("immutable attribute refused ({e}); using a mount point instead");
                fs::remove_file(&path).unwrap();
                fs::create_dir(&path).unwrap();
                mount_tmpfs(&path);
                Obstacle {
                    path,
                    mounted: true,
                }
            }
        }
    }

    /// The error kind removing it gives.
    fn kind(&self) -> io::ErrorKind {
        if self.mounted {
            io::ErrorKind::ResourceBusy
        } else {
            io::ErrorKind::PermissionDenied
        }
    }

    fn lift(&mut self) {
        if self.mounted {
            unmount(&self.path);
            self.mounted = false;
        } else {
            let _ = set_immutable(&self.path, false);
        }
    }
}

impl Drop for Obstacle {
    fn drop(&mut self) {
        if self.mounted {
            let target = c_path(&self.path);
            // SAFETY: a valid NUL-terminated path.
            unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        } else {
            let _ = set_immutable(&self.path, false);
        }
    }
}

/// Sets or clears `FS_IMMUTABLE_FL` (`chattr +i`) on the file at `path`.
fn set_immutable(path: &Path, on: bool) -> io::Result<()> {
    let file = File::open(path)?;
    let flags = ioctl_getflags(&file)?;
    let flags = if on {
        flags | IFlags::IMMUTABLE
    } else {
        flags - IFlags::IMMUTABLE
    };
    ioctl_setflags(&file, flags)?;
    Ok(())
}

/// Clears the immutable attribute of every file under `dir`: the parent's
/// last line of defence should a child die before its guard ran.
struct SweepImmutable<'a>(&'a Path);

impl Drop for SweepImmutable<'_> {
    fn drop(&mut self) {
        fn sweep(dir: &Path) {
            let Ok(list) = fs::read_dir(dir) else { return };
            for entry in list.flatten() {
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => sweep(&entry.path()),
                    Ok(kind) if kind.is_file() => {
                        let _ = set_immutable(&entry.path(), false);
                    }
                    _ => {}
                }
            }
        }
        sweep(self.0);
    }
}

#[test]
fn ignore_cleanup_errors_removes_everything_else_and_reports_nothing() {
    let scratch = Scratch::new("ignore-errors");
    let _sweep = SweepImmutable(scratch.path());
    in_private_mount_namespace(|| {
        let dir = Builder::new()
            .ignore_cleanup_errors(true)
            .tempdir_in(scratch.path())
            .unwrap();
        build_tree(dir.path(), 2, 2, 2);
        let _obstacle = Obstacle::plant(dir.path());
        let path = dir.path().to_path_buf();
        dir.close().unwrap();
        assert_eq!(names(&path), ["d0"]);
        assert_eq!(names(&path.join("d0")), ["d1"]);
        assert_eq!(names(&path.join("d0/d1")), ["stuck"]);

        // Dropping is best effort too, and quiet.
        let dir = Builder::new()
            .ignore_cleanup_errors(true)
            .tempdir_in(scratch.path())
            .unwrap();
        build_tree(dir.path(), 2, 2, 2);
        let _obstacle = Obstacle::plant(dir.path());
        let path = dir.path().to_path_buf();
        drop(dir);
        assert_eq!(names(&path.join("d0/d1")), ["stuck"]);
    });
}

#[test]
fn without_ignore_close_reports_the_path_and_cleanup_can_try_again() {
    let scratch = Scratch::new("report-errors");
    let _sweep = SweepImmutable(scratch.path());
    in_private_mount_namespace(|| {
        let mut dir = TempDir::new_in(scratch.path()).unwrap();
        build_tree(dir.path(), 2, 2, 2);
        let mut obstacle = Obstacle::plant(dir.path());
        let err = dir.cleanup().unwrap_err();
        assert_eq!(err.kind(), obstacle.kind(), "{err}");
        assert_eq!(PathError::find(&err).unwrap().path(), obstacle.path);
        assert!(
            err.to_string().contains(&*obstacle.path.to_string_lossy()),
            "{err}"
        );
        assert_eq!(names(&dir.path().join("d0/d1")), ["stuck"]);
        assert_eq!(names(&dir.path().join("d0")), ["d1"]);

        obstacle.lift();
        dir.cleanup().unwrap();
        assert!(!dir.path().exists());
    });
    assert!(scratch.entries().is_empty());
}

#[test]
fn the_own_handle_is_o_path_and_cleanup_still_lists_through_it() {
    // O_PATH is the cheapest open of a directory (tmpfs sets up a listing
    // cursor for every readable one): an empty TempDir costs mkdirat +
    // openat + unlinkat + close, and the openat is the cheap kind.
    let dir = TempDir::new().unwrap();
    let flags = rustix::fs::fcntl_getfl(std::os::fd::AsFd::as_fd(&dir)).unwrap();
    assert!(flags.contains(rustix::fs::OFlags::PATH), "{flags:?}");
    // An O_PATH handle cannot list; cleanup reopens the directory from it.
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/f"), b"f").unwrap();
    let path = dir.path().to_path_buf();
    dir.close().unwrap();
    assert!(fs::symlink_metadata(&path).is_err());
}
