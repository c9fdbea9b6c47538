//! Memory-backed files on Linux: a memfd named by the prefix, seals that
//! refuse writes with the OS error, a child process reading a sealed file
//! through an inherited descriptor, and the fallbacks when `seccomp`
//! refuses `memfd_create` (a tmpfs at `/dev/shm`, else the temp dir).

#![cfg(target_os = "linux")]

use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};

use tempfs::{Builder, MemoryKind, Seals};
use testkit::Scratch;
use testkit::child;
use testkit::seccomp::fail_syscalls;

/// What `/proc/self/fd/N` says the descriptor is.
fn fd_target(file: &std::fs::File) -> String {
    let link = format!("/proc/self/fd/{}", file.as_raw_fd());
    std::fs::read_link(link)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_memory_file_is_a_memfd_named_by_the_prefix() {
    let mut file = Builder::new().prefix("pixels-").memory_file().unwrap();
    assert_eq!(file.kind(), MemoryKind::Memfd);
    assert!(
        fd_target(file.as_file()).starts_with("/memfd:pixels-"),
        "{}",
        fd_target(file.as_file())
    );
    file.write_all(&[7; 65536]).unwrap();
    file.rewind().unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).unwrap();
    assert_eq!(back, vec![7; 65536]);
    // Not asked to be sealable: the kernel set F_SEAL_SEAL.
    assert!(!file.can_seal());
    assert_eq!(file.seals().unwrap(), Seals::SEAL);
    let err = file.add_seals(Seals::WRITE).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    // Close-on-exec, as every descriptor.
    assert_eq!(file.as_raw_fd(), file.as_file().as_raw_fd());
    let flags = fd_flags(file.as_file());
    assert!(flags & libc::FD_CLOEXEC != 0);
}

fn fd_flags(file: &std::fs::File) -> i32 {
    // SAFETY: F_GETFD on a descriptor we own.
    unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFD) }
}

#[test]
fn the_short_constructor_gives_a_memfd() {
    let file = tempfs::memory_file().unwrap();
    assert!(
        fd_target(&file).starts_with("/memfd:tmp"),
        "{}",
        fd_target(&file)
    );
}

#[test]
fn seals_refuse_writes_with_the_os_error_and_keep_the_data() {
    let mut file = Builder::new().sealable_memory_file().unwrap();
    assert!(file.can_seal());
    assert_eq!(file.seals().unwrap(), Seals::NONE);
    file.write_all(b"frozen").unwrap();
    file.add_seals(Seals::WRITE | Seals::SHRINK | Seals::GROW)
        .unwrap();
    assert_eq!(
        file.seals().unwrap(),
        Seals::WRITE | Seals::SHRINK | Seals::GROW
    );
    let err = file.write_all(b"x").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    let err = file.as_file().set_len(2).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    let err = file.as_file().set_len(100).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    file.add_seals(Seals::SEAL).unwrap();
    assert!(!file.can_seal());
    let err = file.add_seals(Seals::FUTURE_WRITE).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    file.rewind().unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "frozen");
}

#[test]
fn a_child_process_reads_a_sealed_memory_file_through_an_inherited_descriptor() {
    let mut file = Builder::new()
        .prefix("shared-")
        .sealable_memory_file()
        .unwrap();
    file.write_all(b"for the child\n").unwrap();
    file.add_seals(Seals::WRITE | Seals::SHRINK | Seals::GROW | Seals::SEAL)
        .unwrap();
    file.rewind().unwrap();
    let inherited = file.as_file().try_clone().unwrap();
    // The child reads its stdin (the memfd), then tries to write to it.
    let out = Command::new("sh")
        .arg("-c")
        .arg("cat; readlink /proc/self/fd/0; if printf more >>/proc/self/fd/0; then echo wrote; else echo refused; fi")
        .stdin(Stdio::from(inherited))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "for the child");
    assert!(lines[1].starts_with("/memfd:shared-"), "{text}");
    assert_eq!(lines[2], "refused", "{text}");
    let mut back = String::new();
    file.rewind().unwrap();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "for the child\n");
}

#[test]
fn a_memfd_refused_by_seccomp_falls_back_to_the_tmpfs_at_dev_shm() {
    child::check(|| {
        fail_syscalls(&[libc::SYS_memfd_create], libc::ENOSYS, None);
        let mut file = Builder::new().sealable_memory_file().unwrap();
        assert_eq!(file.kind(), MemoryKind::Tmpfs);
        assert!(!file.can_seal());
        let target = fd_target(file.as_file());
        assert!(target.starts_with("/dev/shm/"), "{target}");
        file.write_all(b"in a tmpfs").unwrap();
        file.rewind().unwrap();
        let mut back = String::new();
        file.read_to_string(&mut back).unwrap();
        assert_eq!(back, "in a tmpfs");
        // The short constructor takes the same path, and the refusal is
        // remembered (the filter would answer EPERM now: no second call).
        fail_syscalls(&[libc::SYS_memfd_create], libc::EPERM, None);
        let again = tempfs::memory_file().unwrap();
        assert!(fd_target(&again).starts_with("/dev/shm/"));
    });
}

#[test]
fn without_a_tmpfs_at_dev_shm_the_fallback_is_the_temp_dir() {
    let scratch = Scratch::new("not-a-tmpfs");
    let disk = scratch.path().to_path_buf();
    child::check(|| {
        child::private_mount_namespace();
        // A directory on disk mounted over /dev/shm: fstatfs says ext4 (or
        // whatever the scratch is on), not TMPFS_MAGIC.
        child::mount_flags(
            disk.to_str().unwrap(),
            std::path::Path::new("/dev/shm"),
            "",
            libc::MS_BIND,
            "",
        );
        fail_syscalls(&[libc::SYS_memfd_create], libc::EPERM, None);
        let file = Builder::new().memory_file().unwrap();
        assert_eq!(file.kind(), MemoryKind::TempDir);
        let target = fd_target(file.as_file());
        let temp = tempfs::temp_dir().unwrap();
        assert!(
            target.starts_with(temp.to_str().unwrap()),
            "{target} not in {}",
            temp.display()
        );
    });
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_prefix_with_a_nul_byte_is_invalid_input() {
    let err = Builder::new().prefix("a\0b").memory_file().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
}
