//! Spools that roll over into memory-backed files: a memfd named by the
//! builder's prefix, handed to a child process; and on the fallback path
//! (`seccomp` refusing `memfd_create`), the file-size limit and a full
//! tmpfs lose nothing, as for a rollover to disk.

#![cfg(target_os = "linux")]

use std::io::{ErrorKind, Write};
use std::os::fd::RawFd;
use std::path::Path;
use std::process::{Command, Stdio};

use tempspool::SpooledTempFile;
use testkit::child;
use testkit::seccomp::fail_syscalls;

use super::contents;

fn fd_target(fd: RawFd) -> String {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
    link.to_string_lossy().into_owned()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn a_memory_backed_spool_rolls_over_into_a_memfd() {
    let mut spool = SpooledTempFile::new_memory_backed(16);
    assert!(spool.is_memory_backed());
    spool.write_all(b"small").unwrap();
    assert!(!spool.is_rolled());
    spool.write_all(&pattern(70_000)).unwrap();
    assert!(spool.is_rolled());
    let fd = spool.fileno().unwrap();
    assert!(fd_target(fd).starts_with("/memfd:tmp"), "{}", fd_target(fd));
    let mut want = b"small".to_vec();
    want.extend(pattern(70_000));
    assert_eq!(contents(&mut spool), want);

    let mut named = SpooledTempFile::with_builder(4, tempfs::Builder::new().prefix("upload-"));
    named.set_memory_backed(true);
    named.write_all(b"more than four").unwrap();
    let fd = named.fileno().unwrap();
    assert!(
        fd_target(fd).starts_with("/memfd:upload-"),
        "{}",
        fd_target(fd)
    );
    named.set_memory_backed(false);
    assert!(!named.is_memory_backed());
}

#[test]
fn a_child_process_reads_the_rolled_spool_through_an_inherited_descriptor() {
    let mut spool = SpooledTempFile::new_memory_backed(4);
    spool.write_all(b"hello, child\n").unwrap();
    let mut file = spool.into_file().unwrap();
    std::io::Seek::rewind(&mut file).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("cat; readlink /proc/self/fd/0")
        .stdin(Stdio::from(file))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("hello, child\n/memfd:tmp"), "{text}");
}

#[test]
fn without_memfd_the_file_size_limit_fails_the_rollover_and_keeps_every_byte() {
    child::check(|| {
        fail_syscalls(&[libc::SYS_memfd_create], libc::ENOSYS, None);
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, 4096);
        let mut spool = SpooledTempFile::new_memory_backed(10_000);
        spool.write_all(&pattern(8000)).unwrap();
        let err = spool.rollover().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge, "{err}");
        assert!(!spool.is_rolled());
        assert_eq!(contents(&mut spool), pattern(8000));
        spool.set_len(1090).unwrap();
        spool.rollover().unwrap();
        let fd = spool.fileno().unwrap();
        assert!(fd_target(fd).starts_with("/dev/shm/"), "{}", fd_target(fd));
        let err = spool.write_all(&pattern(5000)).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EFBIG), "{err}");
        assert_eq!(spool.len(), 1090);
    });
}

#[test]
fn without_memfd_a_full_tmpfs_fails_the_rollover_and_keeps_every_byte() {
    child::check(|| {
        child::private_mount_namespace();
        child::mount("tmpfs", Path::new("/dev/shm"), "tmpfs", "size=64k");
        fail_syscalls(&[libc::SYS_memfd_create], libc::EPERM, None);
        let mut spool = SpooledTempFile::new_memory_backed(200_000);
        spool.write_all(&pattern(100_000)).unwrap();
        let err = spool.rollover().unwrap_err();
        let os = err
            .raw_os_error()
            .or_else(|| tempcore::PathError::find(&err).and_then(|p| p.os_error().raw_os_error()));
        assert_eq!(os, Some(libc::ENOSPC), "{err}");
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
        assert!(!spool.is_rolled());
        assert_eq!(contents(&mut spool), pattern(100_000));
        spool.set_len(900).unwrap();
        // Room for it: the rollover succeeds, into the tmpfs.
        spool.rollover().unwrap();
        assert_eq!(contents(&mut spool), pattern(900));
        let fd = spool.fileno().unwrap();
        assert!(fd_target(fd).starts_with("/dev/shm/"), "{}", fd_target(fd));
    });
}
