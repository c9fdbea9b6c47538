//! Failing rollovers lose nothing: the file-size limit, a read-only
//! directory for an unprivileged user, no descriptors left, and a failed
//! write-out of the buffer after rollover. Each runs in a forked child, so
//! that limits and credentials stay there.
#![cfg(unix)]

use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::Path;

use tempcore::PathError;
use tempspool::SpooledTempFile;
use testkit::{Scratch, child};

use super::contents;

/// The operating system's error number in `err`, looking inside the
/// `PathError` that names the directory.
fn errno(err: &io::Error) -> Option<i32> {
    err.raw_os_error()
        .or_else(|| PathError::find(err).and_then(|p| p.os_error().raw_os_error()))
}

fn names(err: &io::Error, dir: &Path) -> bool {
    PathError::find(err).is_some_and(|p| p.path() == dir)
        && err.to_string().contains(&*dir.to_string_lossy())
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn file_size_limit_fails_the_rollover_and_keeps_every_byte() {
    let scratch = Scratch::new("spool-fsize");
    let dir = scratch.path().to_path_buf();
    child::check(|| {
        child::ignore_sigxfsz();
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, 4096);
        let mut data = pattern(9000);
        let mut spool = SpooledTempFile::new_in(10_000, &dir);
        spool.write_all(&data).unwrap();
        spool.seek(SeekFrom::Start(1234)).unwrap();

        // An explicit rollover fails (EFBIG after the first 4096 bytes).
        let err = spool.rollover().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge, "{err}");
        assert_eq!(errno(&err), Some(libc::EFBIG));
        assert!(names(&err, &dir), "{err}");
        assert!(!spool.is_rolled());
        assert_eq!(spool.stream_position().unwrap(), 1234);
        assert_eq!(contents(&mut spool), data);

        // A write that must roll over fails and writes nothing.
        spool.seek(SeekFrom::End(0)).unwrap();
        let err = spool.write(&[1; 2000]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert!(!spool.is_rolled());
        assert_eq!(spool.len(), 9000, "nothing of the failed write went in");
        assert_eq!(spool.stream_position().unwrap(), 9000);
        let err = spool.set_len(20_000).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert_eq!(spool.len(), 9000);

        // Still fully usable in memory.
        spool.write_all(&[2; 1000]).unwrap();
        data.extend([2; 1000]);
        assert!(!spool.is_rolled());
        let mut head = [0; 10];
        spool.rewind().unwrap();
        spool.read_exact(&mut head).unwrap();
        assert_eq!(head, data[..10]);

        // into_file gives the spool back.
        let err = spool.into_file().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        let mut spool = err.into_spool();
        assert_eq!(spool.stream_position().unwrap(), 10);
        assert_eq!(contents(&mut spool), data);
        assert!(
            testkit::entries(&dir).is_empty(),
            "a failed rollover left a file"
        );

        // Once the limit is lifted, the rollover succeeds.
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, u64::MAX);
        spool.write_all(b"!").unwrap();
        data[10] = b'!';
        spool.rollover().unwrap();
        assert!(spool.is_rolled());
        assert_eq!(spool.stream_position().unwrap(), 11);
        assert_eq!(contents(&mut spool), data);
    });
}

#[test]
fn a_failed_write_out_after_rollover_keeps_the_buffered_bytes() {
    let scratch = Scratch::new("spool-fsize-flush");
    let dir = scratch.path().to_path_buf();
    child::check(|| {
        child::ignore_sigxfsz();
        let mut spool = SpooledTempFile::new_in(1, &dir);
        spool.rollover().unwrap();
        let data = pattern(4000);
        spool.write_all(&data).unwrap(); // buffered: less than 8 KiB
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, 1000);

        let err = spool.flush().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert_eq!(spool.len(), 4000);
        let err = spool.seek(SeekFrom::Start(0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert_eq!(
            spool.stream_position().unwrap(),
            4000,
            "a failed seek does not move"
        );
        let mut byte = [0];
        assert_eq!(
            spool.read(&mut byte).unwrap_err().kind(),
            ErrorKind::FileTooLarge
        );
        let err = spool.into_inner().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        let mut spool = err.into_spool();

        child::set_soft_rlimit(libc::RLIMIT_FSIZE, u64::MAX);
        spool.flush().unwrap();
        assert_eq!(contents(&mut spool), data);
        let file = spool.into_file().unwrap();
        assert_eq!(file.metadata().unwrap().len(), 4000);
    });
}

#[test]
fn a_read_only_directory_fails_the_rollover_for_an_unprivileged_user() {
    let scratch = Scratch::new("spool-readonly");
    let dir = scratch.join("ro");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(child::NOBODY), Some(child::NOBODY)).unwrap();
    testkit::set_mode(&dir, 0o555);
    child::as_nobody(|| {
        let mut spool = SpooledTempFile::new_in(8, &dir);
        spool.write_all(b"12345678").unwrap();
        let err = spool.write(b"9").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(names(&err, &dir), "{err}");
        assert!(!spool.is_rolled());
        assert_eq!(spool.stream_position().unwrap(), 8);
        assert_eq!(contents(&mut spool), b"12345678");
        assert_eq!(
            spool.as_file().unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );

        // The owner makes the directory writable: the same write succeeds.
        testkit::set_mode(&dir, 0o700);
        spool.write_all(b"9").unwrap();
        assert!(spool.is_rolled());
        assert_eq!(contents(&mut spool), b"123456789");
        assert!(testkit::entries(&dir).is_empty());
    });
}

/// The highest descriptor number this process has open.
fn highest_open_fd() -> i32 {
    let list = std::fs::read_dir("/proc/self/fd")
        .or_else(|_| std::fs::read_dir("/dev/fd"))
        .expect("a list of open descriptors");
    list.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .max()
        .expect("some descriptor is open")
}

#[test]
fn running_out_of_descriptors_fails_the_rollover_until_some_are_free() {
    let scratch = Scratch::new("spool-emfile");
    let dir = scratch.path().to_path_buf();
    child::check(|| {
        child::set_soft_rlimit(libc::RLIMIT_NOFILE, highest_open_fd() as u64 + 16);
        let mut hoard = Vec::new();
        let exhausted = loop {
            match std::fs::File::open("/dev/null") {
                Ok(file) => hoard.push(file),
                Err(e) => break e,
            }
        };
        assert_eq!(exhausted.raw_os_error(), Some(libc::EMFILE));
        assert!(hoard.len() >= 2, "the test needs descriptors to give back");

        let mut spool = SpooledTempFile::new_in(4, &dir);
        spool.write_all(b"abcd").unwrap();
        let err = spool.write(b"e").unwrap_err();
        assert_eq!(errno(&err), Some(libc::EMFILE), "{err}");
        assert!(names(&err, &dir), "{err}");
        assert!(!spool.is_rolled());
        assert_eq!(contents(&mut spool), b"abcd");

        // A directory handle and the file: two descriptors.
        hoard.truncate(hoard.len() - 2);
        spool.write_all(b"e").unwrap();
        assert!(spool.is_rolled());
        assert_eq!(contents(&mut spool), b"abcde");
    });
}
