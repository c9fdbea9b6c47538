//! Safe save on Linux, where the system calls can be observed: durability
//! proven as `persist_durable` is (a seccomp filter makes `fsync` or
//! `fdatasync` fail with `EDOM`, which no real sync returns, so a save
//! that reports it made the call); a child killed at every step of a
//! commit leaves the old or the new file, with its kept metadata; a full
//! disk, a full quota and a read-only file system change nothing.

#![cfg(target_os = "linux")]

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use tempcore::PathError;
use tempfs::{AtomicFile, Durability, write_atomic};
use testkit::child::{self, Outcome};
use testkit::seccomp::fail_syscalls;
use testkit::{Scratch, set_mode};

use crate::file_support::{assert_names, read};

const OTHER_UID: u32 = 4242;
const OTHER_GID: u32 = 4343;

/// Asserts that `err` is the injected `EDOM`, about `path`, while `doing`.
#[track_caller]
fn assert_injected(err: &io::Error, doing: &str, path: &Path) {
    let detail = PathError::find(err).unwrap_or_else(|| panic!("no path in {err}"));
    assert_eq!(detail.os_error().raw_os_error(), Some(libc::EDOM), "{err}");
    assert!(detail.action().contains(doing), "{err}");
    assert_eq!(detail.path(), path, "{err}");
}

fn save(target: &Path, durability: Durability) -> io::Result<()> {
    AtomicFile::options()
        .durability(durability)
        .write(target, b"new")
}

#[test]
fn full_durability_is_the_default_and_syncs_the_file_first() {
    let scratch = Scratch::new("atomic-full");
    let target = scratch.join("target");
    std::fs::write(&target, b"old").unwrap();
    child::check(|| {
        fail_syscalls(&[libc::SYS_fsync, libc::SYS_fdatasync], libc::EDOM, None);
        let err = write_atomic(&target, b"new").unwrap_err();
        assert_injected(&err, "syncing the data", &target);
        assert_eq!(
            read(&target),
            "old",
            "nothing is named before the data is safe"
        );
        let err = save(&target, Durability::Full).unwrap_err();
        assert_injected(&err, "syncing the data", &target);
        save(&target, Durability::None).expect("no sync at all");
        assert_eq!(read(&target), "new");
    });
    assert_eq!(scratch.entries(), ["target"]);
}

#[test]
fn full_durability_syncs_the_directory_after() {
    let scratch = Scratch::new("atomic-full-dir");
    let target = scratch.join("target");
    std::fs::write(&target, b"old").unwrap();
    child::check(|| {
        let mut file = AtomicFile::new(&target).unwrap();
        file.write_all(b"new").unwrap();
        let fd = file.as_file().as_raw_fd() as u32;
        fail_syscalls(
            &[libc::SYS_fsync, libc::SYS_fdatasync],
            libc::EDOM,
            Some(fd),
        );
        let err = file.commit().unwrap_err();
        assert_injected(&err, "syncing the directory", scratch.path());
        // The name was given before the directory sync failed.
        assert_eq!(read(&target), "new");
    });
    assert_eq!(scratch.entries(), ["target"]);
}

#[test]
fn data_durability_is_one_fdatasync_and_no_fsync() {
    let scratch = Scratch::new("atomic-data");
    let target = scratch.join("target");
    std::fs::write(&target, b"old").unwrap();
    child::check(|| {
        fail_syscalls(&[libc::SYS_fdatasync], libc::EDOM, None);
        let err = save(&target, Durability::Data).unwrap_err();
        assert_injected(&err, "syncing the data", &target);
        assert_eq!(read(&target), "old");
        save(&target, Durability::Full).expect("full durability is fsync, not fdatasync");
    });
    child::check(|| {
        fail_syscalls(&[libc::SYS_fsync], libc::EDOM, None);
        save(&target, Durability::Data).expect("no fsync of file or directory");
        let err = save(&target, Durability::Full).unwrap_err();
        assert_injected(&err, "syncing the data", &target);
    });
    assert_eq!(scratch.entries(), ["target"]);
}

/// Kills the calling process at its next system call numbered `nr`
/// (`SECCOMP_RET_KILL_PROCESS`, seen as `SIGSYS`), unless its first
/// argument is `spare_arg0`.
fn kill_at(nr: libc::c_long, spare_arg0: Option<u32>) {
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let allow = stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW);
    let kill = stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_KILL_PROCESS);
    let mut program = vec![
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
        jump(nr as u32, 1, 0),
        allow,
    ];
    match spare_arg0 {
        // seccomp_data.args[0], low 32 bits on little-endian: offset 16.
        Some(arg) => program.extend([
            stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 16),
            jump(arg, 0, 1),
            allow,
            kill,
        ]),
        None => program.push(kill),
    }
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: plain prctl calls in a forked child; `fprog` points at
    // `program`, alive during the call.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &fprog as *const libc::sock_fprog
            ),
            0
        );
    }
}

#[test]
fn a_save_killed_at_any_step_leaves_the_old_or_the_new_file_never_a_stray() {
    let steps: [(&str, libc::c_long, bool, bool); 8] = [
        // name, system call, spare the file's descriptor, new contents after
        ("write", libc::SYS_write, false, false),
        ("fchown", libc::SYS_fchown, false, false),
        ("fchmod", libc::SYS_fchmod, false, false),
        ("futimens", libc::SYS_utimensat, false, false),
        ("fsync of the file", libc::SYS_fsync, false, false),
        ("linkat", libc::SYS_linkat, false, false),
        ("rename", libc::SYS_renameat, false, false),
        ("fsync of the directory", libc::SYS_fsync, true, true),
    ];
    for (step, nr, spare_file, new) in steps {
        let scratch = Scratch::new("atomic-kill");
        let target = scratch.join("target");
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::chown(&target, Some(OTHER_UID), Some(OTHER_GID)).unwrap();
        set_mode(&target, 0o640);
        let outcome = child::run(|| {
            let mut file = AtomicFile::options()
                .keep_times(true)
                .open(&target)
                .unwrap();
            let fd = file.as_file().as_raw_fd() as u32;
            kill_at(nr, spare_file.then_some(fd));
            file.write_all(b"new").unwrap();
            file.commit().unwrap();
        });
        assert_eq!(outcome, Outcome::Signaled(libc::SIGSYS), "killed at {step}");
        let expected = if new { "new" } else { "old" };
        assert_eq!(read(&target), expected, "killed at {step}");
        let meta = std::fs::metadata(&target).unwrap();
        assert_eq!(
            meta.permissions().mode() & 0o7777,
            0o640,
            "killed at {step}"
        );
        assert_eq!(
            (meta.uid(), meta.gid()),
            (OTHER_UID, OTHER_GID),
            "killed at {step}"
        );
        let entries = scratch.entries();
        if step == "rename" {
            // Linux cannot link an O_TMPFILE file over an existing name:
            // it is linked under a hidden sibling, then renamed. Killed
            // between the two, the sibling stays, complete and with the
            // kept metadata (docs/security.md).
            assert_eq!(entries.len(), 2, "{entries:?}");
            let sibling = entries[0].to_str().unwrap();
            assert!(
                sibling.starts_with(".tmp") && sibling.ends_with(".link"),
                "{entries:?}"
            );
            let sibling = scratch.join(sibling);
            assert_eq!(read(&sibling), "new");
            assert_eq!(std::fs::metadata(&sibling).unwrap().uid(), OTHER_UID);
        } else {
            assert_eq!(entries, ["target"], "killed at {step}");
        }
    }
}

/// A tmpfs of our own at `mount` (in the child's private mount namespace).
fn tmpfs(mount: &Path, options: &str) {
    child::private_mount_namespace();
    child::mount("none", mount, "tmpfs", options);
}

#[test]
fn a_full_disk_changes_nothing() {
    let scratch = Scratch::new("atomic-enospc");
    let mount = scratch.join("mnt");
    std::fs::create_dir(&mount).unwrap();
    child::check(|| {
        tmpfs(&mount, "size=64k");
        let target = mount.join("target");
        std::fs::write(&target, b"old").unwrap();
        let err = write_atomic(&target, vec![b'x'; 1 << 20]).unwrap_err();
        assert_names(&err, io::ErrorKind::StorageFull, &target);
        assert_eq!(read(&target), "old");
        assert_eq!(testkit::entries(&mount), ["target"]);
    });
}

#[test]
fn a_full_quota_changes_nothing() {
    // This kernel's tmpfs may lack quotas (CONFIG_TMPFS_QUOTA), so the
    // writes fail with an injected EDQUOT, as a full quota makes them.
    // (A failing assertion's message is lost: the report is a write too.)
    let scratch = Scratch::new("atomic-edquot");
    let target = scratch.join("target");
    std::fs::write(&target, b"old").unwrap();
    child::check(|| {
        let mut file = AtomicFile::new(&target).unwrap();
        let writes = [libc::SYS_write, libc::SYS_writev, libc::SYS_pwrite64];
        fail_syscalls(&writes, libc::EDQUOT, None);
        let err = file.write_all(&[b'x'; 4096]).unwrap_err();
        let detail = PathError::find(&err).expect("names the target");
        assert_eq!(detail.os_error().raw_os_error(), Some(libc::EDQUOT));
        assert_eq!(detail.path(), target);
        drop(file);
        let err = write_atomic(&target, b"new").unwrap_err();
        assert_eq!(
            err.raw_os_error()
                .or_else(|| PathError::find(&err).and_then(|d| d.os_error().raw_os_error())),
            Some(libc::EDQUOT)
        );
    });
    assert_eq!(read(&target), "old");
    assert_eq!(scratch.entries(), ["target"]);
}

#[test]
fn a_read_only_file_system_changes_nothing() {
    let scratch = Scratch::new("atomic-erofs");
    let mount = scratch.join("mnt");
    std::fs::create_dir(&mount).unwrap();
    child::check(|| {
        tmpfs(&mount, "size=64k");
        let target = mount.join("target");
        std::fs::write(&target, b"old").unwrap();
        child::remount_read_only(&mount);
        let err = write_atomic(&target, b"new").unwrap_err();
        assert_names(&err, io::ErrorKind::ReadOnlyFilesystem, &mount);
        assert_eq!(read(&target), "old");
        assert_eq!(testkit::entries(&mount), ["target"]);
    });
}

#[test]
fn a_new_file_is_linked_in_one_step_with_no_sibling_to_leave() {
    let scratch = Scratch::new("atomic-kill-new");
    let target = scratch.join("target");
    let outcome = child::run(|| {
        let mut file = AtomicFile::new(&target).unwrap();
        // A rename would mean a hidden sibling first, which a kill leaves.
        kill_at(libc::SYS_renameat, None);
        file.write_all(b"new").unwrap();
        file.commit().unwrap();
    });
    assert_eq!(outcome, Outcome::Passed);
    assert_eq!(read(&target), "new");
    assert_eq!(scratch.entries(), ["target"]);
}
