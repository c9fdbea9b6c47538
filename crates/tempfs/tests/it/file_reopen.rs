//! `reopen`: a second handle to the very same file, or an error naming the
//! path when the name no longer leads to it.

// Not on WASI: forked children, FIFOs and leases, threads.
#![cfg(unix)]

use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;

use tempfs::NamedTempFile;
use testkit::Scratch;
use testkit::child::{self, Outcome};

use crate::file_support::{assert_names, read};

#[test]
fn reopen_gives_an_independent_handle_to_the_same_file() {
    let mut file = NamedTempFile::new().unwrap();
    let mut again = file.reopen().unwrap();
    // Opened with O_NONBLOCK so as not to wait on what sits at the name,
    // but handed out as an ordinary blocking file.
    // SAFETY: F_GETFL on a descriptor `again` owns.
    let status = unsafe { libc::fcntl(again.as_raw_fd(), libc::F_GETFL) };
    assert_eq!(status & libc::O_NONBLOCK, 0, "flags {status:#o}");
    file.write_all(b"written through one").unwrap();
    let mut back = String::new();
    again.read_to_string(&mut back).unwrap();
    assert_eq!(back, "written through one");
    again.write_all(b", read through both").unwrap();
    file.rewind().unwrap();
    back.clear();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "written through one, read through both");
}

#[test]
fn reopen_refuses_a_file_that_took_the_name() {
    // As if a temporary-file cleaner removed ours and someone else created
    // a file under the same name.
    let scratch = Scratch::new("reopen-replaced");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    std::fs::remove_file(file.path()).unwrap();
    std::fs::write(file.path(), "someone else's").unwrap();
    let err = file.reopen().unwrap_err();
    assert_names(&err, io::ErrorKind::NotFound, file.path());
    assert!(err.to_string().contains("another file"), "{err}");
    assert_eq!(read(file.path()), "someone else's");

    // And a name that is simply gone.
    std::fs::remove_file(file.path()).unwrap();
    let err = file.reopen().unwrap_err();
    assert_names(&err, io::ErrorKind::NotFound, file.path());
}

#[test]
fn reopen_never_follows_a_symlink_even_to_our_own_file() {
    // Our file moved away and a link to it planted at its name: following
    // the link would reach the same inode and pass the identity check, so
    // only O_NOFOLLOW refuses it.
    let scratch = Scratch::new("reopen-link");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    let moved = scratch.join("moved");
    std::fs::rename(file.path(), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, file.path()).unwrap();
    let err = file.reopen().unwrap_err();
    let detail = tempcore::PathError::find(&err).expect("the error names the path");
    assert_eq!(detail.path(), file.path());
    assert_eq!(detail.os_error().raw_os_error(), Some(libc::ELOOP), "{err}");
}

#[test]
fn reopen_of_a_planted_fifo_neither_blocks_nor_succeeds() {
    let scratch = Scratch::new("reopen-fifo");
    let dir = scratch.path();
    let outcome = child::run(|| {
        // A hang would be killed by the alarm and reported as a signal.
        // SAFETY: arming an alarm in this forked child.
        unsafe { libc::alarm(30) };
        let file = NamedTempFile::new_in(dir).unwrap();
        std::fs::remove_file(file.path()).unwrap();
        let name = std::ffi::CString::new(file.path().as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `name` is a valid C string for the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let err = file.reopen().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    });
    assert_eq!(outcome, Outcome::Passed);
}

/// Leases (`F_SETLEASE`) exist on Linux only.
#[cfg(target_os = "linux")]
mod lease {
    use std::io::{self, Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::UnixStream;
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::Duration;

    use tempfs::NamedTempFile;
    use testkit::Scratch;
    use testkit::child;

    use crate::file_support::{assert_names, read};

    /// How long `reopen` may take before the test calls it stuck rather
    /// than wait for the kernel to break the lease (45 s by default): a
    /// liveness guard, not a measurement. The verdict is the lease check.
    const STUCK: Duration = Duration::from_secs(20);

    #[test]
    fn reopen_does_not_wait_for_another_users_lease_on_the_name() {
        // A cleaner freed the name; another user created a regular file
        // there and holds a read lease on it, so that any open for writing
        // waits until the lease is given up or lease-break-time passes.
        // The directory is writable by all but not sticky, so that
        // `protected_regular` plays no part.
        let scratch = Scratch::new("reopen-lease");
        testkit::set_mode(scratch.path(), 0o777);
        let file = NamedTempFile::new_in(scratch.path()).unwrap();
        std::fs::remove_file(file.path()).unwrap();

        let (mut parent_end, child_end) = UnixStream::pair().unwrap();
        let parent_fd = parent_end.as_raw_fd();
        let planted = file.path().to_path_buf();
        let holder = std::thread::spawn(move || {
            child::as_nobody(move || hold_a_lease(&planted, child_end, parent_fd));
        });
        let mut ready = [0];
        if parent_end.read(&mut ready).unwrap() == 0 {
            // The child ended without planting: show why.
            holder
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            panic!("the lease holder ended without a word");
        }
        let id = lock_id(file.path());

        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let result = file.reopen();
            let _ = done_tx.send((file, result));
        });
        let (file, result) = done_rx.recv_timeout(STUCK).unwrap_or_else(|_| {
            let break_time = std::fs::read_to_string("/proc/sys/fs/lease-break-time")
                .unwrap_or_else(|e| e.to_string());
            panic!(
                "reopen still waits after {STUCK:?}: it opened the name blocking and waits \
                 for the lease to break (lease-break-time: {} s)",
                break_time.trim()
            )
        });
        // It did not wait for the kernel to take the lease away: the holder
        // still has it (breaking) now that reopen has returned. This is the
        // verdict even where lease-break-time is shorter than STUCK, since
        // a blocking open returns only once the lease is gone.
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        assert!(
            locks
                .lines()
                .any(|line| line.contains("LEASE") && line.contains(&id)),
            "reopen returned only after the lease on {} was gone:\n{locks}",
            id.trim()
        );
        let err = result.unwrap_err();
        assert_names(&err, io::ErrorKind::NotFound, file.path());
        assert!(err.to_string().contains("another file"), "{err}");

        parent_end.write_all(b"d").unwrap();
        holder
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        assert_eq!(read(file.path()), "someone else's");
    }

    /// As `nobody`: creates a file at `path`, takes a read lease on it,
    /// says so through `stream` and keeps the lease until the parent says
    /// it is done (or goes away).
    fn hold_a_lease(path: &Path, mut stream: UnixStream, parent_fd: i32) {
        // SAFETY: closes this process's copy of the parent's end, so that
        // the parent going away shows here as end of file.
        unsafe { libc::close(parent_fd) };
        // A lease break sends SIGIO, which by default would end this
        // process and with it the lease; a stubborn holder ignores it.
        // SAFETY: setting a signal's disposition to SIG_IGN.
        unsafe { libc::signal(libc::SIGIO, libc::SIG_IGN) };
        std::fs::write(path, "someone else's").unwrap();
        // A read lease needs a file no one has open for writing.
        let leased = std::fs::File::open(path).unwrap();
        // SAFETY: fcntl on a descriptor this process owns.
        let rc = unsafe { libc::fcntl(leased.as_raw_fd(), libc::F_SETLEASE, libc::F_RDLCK) };
        assert_eq!(rc, 0, "F_SETLEASE: {}", io::Error::last_os_error());
        stream.write_all(b"r").unwrap();
        // A byte from the parent, or end of file if it went away.
        let _ = stream.read(&mut [0]);
        drop(leased);
    }

    /// How `/proc/locks` names the file at `path`: `MAJOR:MINOR:INODE `.
    fn lock_id(path: &Path) -> String {
        let meta = std::fs::symlink_metadata(path).unwrap();
        let dev = meta.dev();
        format!(
            "{:02x}:{:02x}:{} ",
            libc::major(dev),
            libc::minor(dev),
            meta.ino()
        )
    }
}
