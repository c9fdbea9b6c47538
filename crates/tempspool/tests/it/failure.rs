//! Failing rollovers lose nothing: the file-size limit, a read-only
//! directory for an unprivileged user, no descriptors left, and a failed
//! write-out of the buffer after rollover. Each runs in a forked child, so
//! that limits and credentials stay there.
//!
//! The file-size limit tests keep `SIGXFSZ` at its default disposition,
//! which kills the process when a write passes `RLIMIT_FSIZE` (Rust does
//! not ignore it, CPython does): the spool must refuse such a write with
//! `EFBIG` before making it.
// Not on WASI: forked children with lowered rlimits and seccomp.
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
        child::default_sigxfsz();
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, 4096);
        let mut data = pattern(9000);
        let mut spool = SpooledTempFile::new_in(10_000, &dir);
        spool.write_all(&data).unwrap();
        spool.seek(SeekFrom::Start(1234)).unwrap();

        // An explicit rollover fails with EFBIG, before writing anything
        // (the kernel would kill the process for the bytes past 4096).
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

/// Writes after a rollover, buffered or not, stop at the limit: every byte
/// up to it is taken, a write that would pass it is refused whole with
/// `EFBIG`, and the process lives.
#[test]
fn writes_after_rollover_stop_at_the_file_size_limit() {
    const LIMIT: u64 = 64 * 1024;
    let scratch = Scratch::new("spool-fsize-writes");
    let dir = scratch.path().to_path_buf();
    child::check(|| {
        child::default_sigxfsz();
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, LIMIT);
        let mut spool = SpooledTempFile::new_in(100, &dir);
        let mut data = pattern(50);
        spool.write_all(&data).unwrap();

        // This write rolls the spool over (its 50 bytes fit), then is
        // refused whole: it would pass the limit.
        let err = spool.write_all(&pattern(70_000)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge, "{err}");
        assert_eq!(errno(&err), Some(libc::EFBIG));
        assert!(spool.is_rolled());
        assert_eq!(spool.len(), 50);
        assert_eq!(spool.stream_position().unwrap(), 50);

        // Buffered 1000-byte writes up to 10 bytes short of the limit,
        // then small ones up to it exactly.
        let full = (LIMIT as usize - 50) / 1000 * 1000;
        for chunk in pattern(full).chunks(1000) {
            spool.write_all(chunk).unwrap();
            data.extend(chunk);
        }
        let tail = pattern(LIMIT as usize - 50 - full);
        spool.write_all(&tail[..10]).unwrap();
        data.extend(&tail[..10]);
        let one_too_many = pattern(tail.len() - 10 + 1);
        let err = spool.write(&one_too_many).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert_eq!(spool.len(), LIMIT - tail.len() as u64 + 10);
        spool.write_all(&tail[10..tail.len() - 1]).unwrap();
        spool.write_all(&tail[tail.len() - 1..]).unwrap();
        data.extend(&tail[10..]);
        assert_eq!(spool.len(), LIMIT);
        let err = spool.write(b"!").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);

        // Overwriting across the limit, vectored writes and a write far
        // past the end (which would zero-fill the gap) are refused too.
        spool.seek(SeekFrom::Start(LIMIT - 100)).unwrap();
        let err = spool.write_all(&[9; 200]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        let parts = [io::IoSlice::new(&[8; 200]), io::IoSlice::new(&[7; 200])];
        let err = spool.write_vectored(&parts).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        spool.seek(SeekFrom::Start(10 * LIMIT)).unwrap();
        let err = spool.write(b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert_eq!(spool.len(), LIMIT);
        spool.flush().unwrap();
        assert_eq!(contents(&mut spool), data);
        assert_eq!(spool.as_file().unwrap().metadata().unwrap().len(), LIMIT);

        // A limit raised later is seen at the next write that passes the
        // old one.
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, u64::MAX);
        spool.seek(SeekFrom::End(0)).unwrap();
        spool.write_all(b"more").unwrap();
        data.extend(b"more");
        assert_eq!(contents(&mut spool), data);
    });
}

/// A rolled spool dropped right after small writes near the limit: the
/// writes that fit are on disk, the others were refused, and dropping it
/// writes nothing past the limit (a buffer that reached past it would be
/// written out in `Drop`, and `SIGXFSZ` would kill the process there).
#[test]
fn dropping_a_spool_written_up_to_the_limit_does_not_kill_the_process() {
    const LIMIT: u64 = 20_000;
    let scratch = Scratch::new("spool-fsize-drop");
    let dir = scratch.path().to_path_buf();
    child::check(|| {
        child::default_sigxfsz();
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, LIMIT);
        let mut spool = SpooledTempFile::new_in(16, &dir);
        spool.write_all(&[1; 15_000]).unwrap();
        let file = spool.as_file().unwrap().try_clone().unwrap();
        let results: Vec<io::Result<usize>> = (0..60).map(|_| spool.write(&[2; 100])).collect();
        drop(spool);

        let taken = results.iter().take_while(|r| r.is_ok()).count();
        assert_eq!(taken, 50, "every write up to the limit is taken");
        for result in &results[taken..] {
            let err = result.as_ref().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::FileTooLarge, "{err}");
        }
        let mut all = Vec::new();
        (&file).seek(SeekFrom::Start(0)).unwrap();
        (&file).read_to_end(&mut all).unwrap();
        let mut expected = vec![1; 15_000];
        expected.extend([2; 5_000]);
        assert_eq!(all, expected);
    });
}

/// A `flush` near the limit does not start a new buffer that could reach
/// past it: the small writes after it stop at the limit as they do without
/// the flush, instead of being taken into a buffer that could never be
/// written out (its write-out refused whole, the bytes before the limit
/// lost with those after it).
#[test]
fn small_writes_after_a_flush_near_the_limit_stop_at_the_limit() {
    const LIMIT: u64 = 20_000;
    let scratch = Scratch::new("spool-fsize-flush-near");
    let dir = scratch.path().to_path_buf();
    child::check(|| {
        child::default_sigxfsz();
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, LIMIT);
        let mut spool = SpooledTempFile::new_in(16, &dir);
        spool.write_all(&[1; 10_000]).unwrap(); // rolls over, goes straight to the file
        let file = spool.as_file().unwrap().try_clone().unwrap();
        for _ in 0..81 {
            spool.write_all(&[2; 100]).unwrap(); // buffered: 10_000 + 8 KiB fits
        }
        spool.flush().unwrap(); // at 18_100
        let results: Vec<io::Result<usize>> = (0..30).map(|_| spool.write(&[3; 100])).collect();
        drop(spool);

        let taken = results.iter().take_while(|r| r.is_ok()).count();
        assert_eq!(taken, 19, "every write up to the limit is taken, no more");
        for result in &results[taken..] {
            let err = result.as_ref().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::FileTooLarge, "{err}");
        }
        let mut all = Vec::new();
        (&file).seek(SeekFrom::Start(0)).unwrap();
        (&file).read_to_end(&mut all).unwrap();
        let mut expected = vec![1; 10_000];
        expected.extend([2; 8_100]);
        expected.extend([3; 1_900]);
        assert_eq!(all.len(), expected.len());
        assert!(all == expected, "the file holds every byte taken");
    });
}

/// `set_len` past the limit (`ftruncate` would raise `SIGXFSZ`) is refused
/// with `EFBIG`, also when it is what rolls the spool over.
#[test]
fn set_len_past_the_file_size_limit_is_refused() {
    const LIMIT: u64 = 10_000;
    let scratch = Scratch::new("spool-fsize-set-len");
    let dir = scratch.path().to_path_buf();
    child::check(|| {
        child::default_sigxfsz();
        child::set_soft_rlimit(libc::RLIMIT_FSIZE, LIMIT);
        let mut spool = SpooledTempFile::new_in(100, &dir);
        let mut data = pattern(50);
        spool.write_all(&data).unwrap();
        assert!(!spool.is_rolled());

        // Rolls over (50 bytes fit), then refuses the size.
        let err = spool.set_len(LIMIT + 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge, "{err}");
        assert_eq!(errno(&err), Some(libc::EFBIG));
        assert!(spool.is_rolled());
        assert_eq!(spool.len(), 50);

        // With buffered bytes: they are written out, the size refused.
        spool.seek(SeekFrom::End(0)).unwrap();
        spool.write_all(b"tail").unwrap();
        data.extend(b"tail");
        let err = spool.set_len(1 << 40).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert_eq!(spool.len(), 54);

        spool.set_len(LIMIT).unwrap();
        assert_eq!(spool.len(), LIMIT);
        spool.set_len(54).unwrap();
        assert_eq!(contents(&mut spool), data);
    });
}

/// A limit lowered after the rollover is not seen by the spool (it reads
/// the limit at rollover and when a write passes what it read), so this
/// test ignores `SIGXFSZ`: the kernel refuses the write-out with `EFBIG`,
/// and the buffered bytes must survive that.
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
