//! Safe save on unix: the metadata carried over (as `nobody` in a forked
//! child for permissions, as root with another uid for owner and group),
//! symbolic links followed or refused, targets that are not regular
//! files, an unwritable directory, and two processes saving at once while
//! a reader watches.

// Not on WASI: modes, owners, symbolic links, forked children.
#![cfg(unix)]

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use tempfs::{AtomicFile, write_atomic};
use testkit::child::{self, NOBODY, as_nobody};
use testkit::{Scratch, set_mode};

use crate::file_support::{assert_names, read};

/// Another user and group than root and `nobody`.
const OTHER_UID: u32 = 4242;
const OTHER_GID: u32 = 4343;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn owner(path: &Path) -> (u32, u32) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    (meta.uid(), meta.gid())
}

/// A directory inside `scratch` owned by `nobody`, mode 0755.
fn nobodys_dir(scratch: &Scratch, name: &str) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
    set_mode(&dir, 0o755);
    dir
}

#[test]
fn a_new_file_gets_what_file_create_gives_not_0600() {
    let scratch = Scratch::new("atomic-new-mode");
    let dir = nobodys_dir(&scratch, "home");
    as_nobody(|| {
        for umask in [0o022_u32, 0o027, 0o002] {
            // SAFETY: umask only changes this forked child's mask.
            unsafe { libc::umask(umask as libc::mode_t) };
            let saved = dir.join(format!("saved-{umask:o}"));
            let created = dir.join(format!("created-{umask:o}"));
            write_atomic(&saved, b"x").unwrap();
            std::fs::File::create(&created).unwrap();
            assert_eq!(mode(&saved), 0o666 & !umask, "umask {umask:o}");
            assert_eq!(mode(&saved), mode(&created), "umask {umask:o}");
            assert_eq!(owner(&saved), (NOBODY, NOBODY));
        }
    });
}

#[test]
fn a_replacing_save_keeps_the_mode() {
    let scratch = Scratch::new("atomic-keep-mode");
    let dir = nobodys_dir(&scratch, "home");
    let target = dir.join("shared");
    std::fs::write(&target, b"old").unwrap();
    std::os::unix::fs::chown(&target, Some(NOBODY), Some(NOBODY)).unwrap();
    as_nobody(|| {
        for kept in [0o664, 0o640, 0o444, 0o600, 0o755] {
            set_mode(&target, kept);
            write_atomic(&target, format!("{kept:o}")).unwrap();
            assert_eq!(mode(&target), kept);
            assert_eq!(read(&target), format!("{kept:o}"));
        }
    });
    assert_eq!(testkit::entries(&dir), ["shared"]);
}

#[test]
fn a_member_of_the_files_group_keeps_the_group() {
    let scratch = Scratch::new("atomic-keep-group");
    let dir = nobodys_dir(&scratch, "project");
    let target = dir.join("shared.db");
    std::fs::write(&target, b"old").unwrap();
    std::os::unix::fs::chown(&target, Some(NOBODY), Some(OTHER_GID)).unwrap();
    set_mode(&target, 0o664);
    child::check(|| {
        // `nobody`, with OTHER_GID as a supplementary group.
        let groups = [OTHER_GID as libc::gid_t];
        #[allow(
            clippy::useless_conversion,
            reason = "setgroups takes c_int on some systems"
        )]
        let count = 1usize.try_into().unwrap();
        // SAFETY: plain credential calls in a forked child.
        unsafe {
            assert_eq!(libc::setgroups(count, groups.as_ptr()), 0);
            // As root, setgid and setuid set real, effective and saved ids.
            assert_eq!(libc::setgid(NOBODY), 0);
            assert_eq!(libc::setuid(NOBODY), 0);
        }
        write_atomic(&target, b"new").unwrap();
        assert_eq!(owner(&target), (NOBODY, OTHER_GID));
        assert_eq!(mode(&target), 0o664);
    });
    assert_eq!(read(&target), "new");
}

#[test]
fn a_user_who_may_not_keep_the_group_still_saves() {
    let scratch = Scratch::new("atomic-lose-group");
    let dir = nobodys_dir(&scratch, "project");
    let target = dir.join("shared.db");
    std::fs::write(&target, b"old").unwrap();
    std::os::unix::fs::chown(&target, Some(OTHER_UID), Some(OTHER_GID)).unwrap();
    set_mode(&target, 0o666);
    as_nobody(|| {
        write_atomic(&target, b"new").unwrap();
        assert_eq!(owner(&target), (NOBODY, NOBODY));
        // The bits that were another group's are not given to nobody's.
        assert_eq!(mode(&target), 0o606);
    });
    assert_eq!(read(&target), "new");
}

#[test]
fn bits_meant_for_an_owner_or_group_not_kept_are_dropped() {
    let scratch = Scratch::new("atomic-drop-bits");
    let dir = nobodys_dir(&scratch, "project");
    let target = dir.join("team.db");
    for (before, after) in [(0o660, 0o600), (0o6770, 0o700), (0o4755, 0o705)] {
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::chown(&target, Some(OTHER_UID), Some(OTHER_GID)).unwrap();
        set_mode(&target, before);
        as_nobody(|| {
            write_atomic(&target, b"new").unwrap();
            assert_eq!(owner(&target), (NOBODY, NOBODY));
            assert_eq!(
                mode(&target),
                after,
                "{before:o} became {:o}",
                mode(&target)
            );
        });
        assert_eq!(read(&target), "new");
    }
    assert_eq!(testkit::entries(&dir), ["team.db"]);
}

#[test]
fn root_keeps_another_users_owner_group_and_special_bits() {
    let scratch = Scratch::new("atomic-keep-owner");
    let target = scratch.join("theirs");
    std::fs::write(&target, b"old").unwrap();
    std::os::unix::fs::chown(&target, Some(OTHER_UID), Some(OTHER_GID)).unwrap();
    for kept in [0o640, 0o2750, 0o4755] {
        set_mode(&target, kept);
        write_atomic(&target, b"new").unwrap();
        assert_eq!(owner(&target), (OTHER_UID, OTHER_GID));
        assert_eq!(mode(&target), kept, "{kept:o}");
    }
    assert_eq!(scratch.entries(), ["theirs"]);
}

#[test]
fn private_explicit_mode_and_kept_times() {
    let scratch = Scratch::new("atomic-options-unix");
    let target = scratch.join("data");
    std::fs::write(&target, b"old").unwrap();
    set_mode(&target, 0o644);
    AtomicFile::options()
        .private()
        .write(&target, b"p")
        .unwrap();
    assert_eq!(mode(&target), 0o600);
    AtomicFile::options()
        .mode(0o604)
        .write(&target, b"m")
        .unwrap();
    assert_eq!(mode(&target), 0o604);
    AtomicFile::options()
        .private()
        .write(scratch.join("new"), b"n")
        .unwrap();
    assert_eq!(mode(&scratch.join("new")), 0o600);

    let then = std::time::UNIX_EPOCH + std::time::Duration::new(1_000_000_000, 123_456_789);
    let file = std::fs::File::options().write(true).open(&target).unwrap();
    file.set_times(
        std::fs::FileTimes::new()
            .set_accessed(then)
            .set_modified(then),
    )
    .unwrap();
    drop(file);
    AtomicFile::options()
        .keep_times(true)
        .write(&target, b"t")
        .unwrap();
    let meta = std::fs::metadata(&target).unwrap();
    assert_eq!(meta.modified().unwrap(), then);
    assert_eq!(meta.accessed().unwrap(), then);
    write_atomic(&target, b"u").unwrap();
    assert!(std::fs::metadata(&target).unwrap().modified().unwrap() > then);
}

#[test]
fn a_symlink_is_followed_to_the_file_it_names_and_stays_a_link() {
    let scratch = Scratch::new("atomic-follow");
    let real_dir = scratch.join("real");
    let links = scratch.join("links");
    std::fs::create_dir(&real_dir).unwrap();
    std::fs::create_dir(&links).unwrap();
    let real = real_dir.join("file");
    std::fs::write(&real, b"old").unwrap();
    set_mode(&real, 0o640);
    symlink("../real/file", links.join("relative")).unwrap();
    symlink(&real, links.join("absolute")).unwrap();
    symlink("relative", links.join("chain")).unwrap();
    for link in ["relative", "absolute", "chain"] {
        let link = links.join(link);
        let file = AtomicFile::new(&link).unwrap();
        assert_eq!(
            file.target().canonicalize().unwrap(),
            real.canonicalize().unwrap()
        );
        drop(file);
        write_atomic(&link, link.to_str().unwrap()).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(read(&real), link.to_str().unwrap());
        assert_eq!(mode(&real), 0o640);
    }
    // A dangling link: the file it names is created.
    symlink("../real/new", links.join("dangling")).unwrap();
    write_atomic(links.join("dangling"), b"created").unwrap();
    assert_eq!(read(&real_dir.join("new")), "created");
    assert_eq!(testkit::entries(&real_dir), ["file", "new"]);
    assert_eq!(
        testkit::entries(&links),
        ["absolute", "chain", "dangling", "relative"]
    );
}

#[test]
fn a_symlink_is_refused_when_asked_and_never_replaced_by_a_file() {
    let scratch = Scratch::new("atomic-refuse");
    let real = scratch.join("file");
    std::fs::write(&real, b"old").unwrap();
    let link = scratch.join("link");
    symlink("file", &link).unwrap();
    let err = AtomicFile::options()
        .follow_symlinks(false)
        .write(&link, b"new")
        .unwrap_err();
    assert_names(&err, io::ErrorKind::InvalidInput, &link);
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(read(&real), "old");

    let looped = scratch.join("loop");
    symlink("loop", &looped).unwrap();
    let err = write_atomic(&looped, b"new").unwrap_err();
    assert_names(&err, io::ErrorKind::InvalidInput, &looped);
    assert!(err.to_string().contains("symbolic links"), "{err}");

    let to_dir = scratch.join("to-dir");
    std::fs::create_dir(scratch.join("dir")).unwrap();
    symlink("dir", &to_dir).unwrap();
    let err = write_atomic(&to_dir, b"new").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::IsADirectory, "{err}");
    assert!(std::fs::symlink_metadata(&to_dir).unwrap().is_symlink());
    assert_eq!(scratch.entries(), ["dir", "file", "link", "loop", "to-dir"]);
}

#[test]
fn fifos_and_devices_are_refused_without_opening_them() {
    let scratch = Scratch::new("atomic-special");
    let fifo = scratch.join("fifo");
    let device = scratch.join("null");
    let c = |p: &Path| std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: plain calls with NUL-terminated paths.
    unsafe {
        assert_eq!(libc::mkfifo(c(&fifo).as_ptr(), 0o666), 0);
        assert_eq!(
            libc::mknod(
                c(&device).as_ptr(),
                libc::S_IFCHR | 0o666,
                libc::makedev(1, 3)
            ),
            0
        );
    }
    for target in [&fifo, &device] {
        // A FIFO opened for writing would block here with no reader.
        let err = write_atomic(target, b"x").unwrap_err();
        assert_names(&err, io::ErrorKind::InvalidInput, target);
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
    let link = scratch.join("to-dev-null");
    symlink("/dev/null", &link).unwrap();
    let err = write_atomic(&link, b"x").unwrap_err();
    assert_names(&err, io::ErrorKind::InvalidInput, Path::new("/dev/null"));
    assert_eq!(scratch.entries(), ["fifo", "null", "to-dev-null"]);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn an_unwritable_directory_is_permission_denied_and_changes_nothing() {
    let scratch = Scratch::new("atomic-unwritable");
    let dir = scratch.join("locked");
    std::fs::create_dir(&dir).unwrap();
    let target = dir.join("file");
    std::fs::write(&target, b"old").unwrap();
    set_mode(&target, 0o666);
    set_mode(&dir, 0o755);
    as_nobody(|| {
        let err = write_atomic(&target, b"new").unwrap_err();
        assert_names(&err, io::ErrorKind::PermissionDenied, &dir);
    });
    assert_eq!(read(&target), "old");
    assert_eq!(testkit::entries(&dir), ["file"]);
}

#[test]
fn two_processes_saving_at_once_leave_one_complete_version_never_none() {
    let scratch = Scratch::new("atomic-race");
    let target = scratch.join("shared");
    let versions: Vec<Vec<u8>> = (0..2u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
    std::fs::write(&target, &versions[0]).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let savers: Vec<_> = versions
            .iter()
            .map(|version| {
                let target = &target;
                s.spawn(move || {
                    child::run(|| {
                        for _ in 0..300 {
                            write_atomic(target, version).unwrap();
                        }
                    })
                })
            })
            .collect();
        let reader = s.spawn(|| {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) || reads == 0 {
                let seen = std::fs::read(&target).expect("the target never disappears");
                assert!(
                    versions.contains(&seen),
                    "a mixture of {} bytes",
                    seen.len()
                );
                reads += 1;
            }
        });
        for saver in savers {
            assert_eq!(saver.join().unwrap(), child::Outcome::Passed);
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap();
    });
    assert!(versions.contains(&std::fs::read(&target).unwrap()));
    assert_eq!(scratch.entries(), ["shared"]);
}

/// A sticky directory that everyone may write, as `/tmp` (not `/tmp`
/// itself), and a directory only root may write, beside it in `scratch`.
fn shared_and_root_only(scratch: &Scratch) -> (PathBuf, PathBuf) {
    let shared = scratch.join("shared");
    std::fs::create_dir(&shared).unwrap();
    set_mode(&shared, 0o1777);
    let root_only = scratch.join("root-only");
    std::fs::create_dir(&root_only).unwrap();
    set_mode(&root_only, 0o755);
    (shared, root_only)
}

#[test]
fn a_strangers_link_in_a_shared_sticky_dir_is_not_followed() {
    let scratch = Scratch::new("atomic-sticky-link");
    let (shared, root_only) = shared_and_root_only(&scratch);
    let existing = root_only.join("existing");
    std::fs::write(&existing, b"root's").unwrap();
    set_mode(&existing, 0o600);
    as_nobody(|| {
        symlink(root_only.join("new"), shared.join("dangling")).unwrap();
        symlink(&existing, shared.join("to-existing")).unwrap();
    });
    for link in ["dangling", "to-existing"] {
        let link = shared.join(link);
        let err = write_atomic(&link, b"root's secret").unwrap_err();
        assert_names(&err, io::ErrorKind::PermissionDenied, &link);
        assert!(err.to_string().contains("sticky"), "{err}");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    }
    assert_eq!(read(&existing), "root's");
    assert_eq!(owner(&existing), (0, 0));
    assert_eq!(testkit::entries(&root_only), ["existing"]);
    assert_eq!(testkit::entries(&shared), ["dangling", "to-existing"]);
}

#[test]
fn a_strangers_file_in_a_shared_sticky_dir_is_not_replaced() {
    let scratch = Scratch::new("atomic-sticky-file");
    let (shared, _) = shared_and_root_only(&scratch);
    let target = shared.join("app.state");
    as_nobody(|| {
        std::fs::write(&target, b"theirs").unwrap();
        set_mode(&target, 0o666);
    });
    let err = write_atomic(&target, b"root's secret").unwrap_err();
    assert_names(&err, io::ErrorKind::PermissionDenied, &target);
    assert_eq!(read(&target), "theirs");
    assert_eq!(owner(&target), (NOBODY, NOBODY));
    assert_eq!(mode(&target), 0o666);
    assert_eq!(testkit::entries(&shared), ["app.state"]);
}

#[test]
fn links_and_files_the_kernel_trusts_are_still_used() {
    let scratch = Scratch::new("atomic-sticky-trusted");
    let (shared, root_only) = shared_and_root_only(&scratch);
    // Root's own link in a shared sticky directory: followed.
    symlink(root_only.join("mine"), shared.join("mine")).unwrap();
    write_atomic(shared.join("mine"), b"root's").unwrap();
    assert_eq!(read(&root_only.join("mine")), "root's");
    // A user saving their own file in it: replaced.
    let theirs = shared.join("theirs");
    as_nobody(|| {
        std::fs::write(&theirs, b"old").unwrap();
        write_atomic(&theirs, b"new").unwrap();
    });
    assert_eq!(read(&theirs), "new");
    // A link owned by the sticky directory's owner: followed.
    let owned = nobodys_dir(&scratch, "nobodys-sticky");
    set_mode(&owned, 0o1777);
    as_nobody(|| symlink(root_only.join("via-owner"), owned.join("link")).unwrap());
    write_atomic(owned.join("link"), b"followed").unwrap();
    assert_eq!(read(&root_only.join("via-owner")), "followed");
    // Not sticky: another user's link and file are used as before.
    let open = scratch.join("open");
    std::fs::create_dir(&open).unwrap();
    set_mode(&open, 0o777);
    as_nobody(|| {
        symlink(root_only.join("via-open"), open.join("link")).unwrap();
        std::fs::write(open.join("file"), b"old").unwrap();
    });
    write_atomic(open.join("link"), b"followed").unwrap();
    assert_eq!(read(&root_only.join("via-open")), "followed");
    write_atomic(open.join("file"), b"new").unwrap();
    assert_eq!(read(&open.join("file")), "new");
    assert_eq!(owner(&open.join("file")), (NOBODY, NOBODY));
}
