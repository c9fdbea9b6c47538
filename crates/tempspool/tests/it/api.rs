//! The public surface: conversions, errors that give the spool back, the
//! builder, thread-safety, and what `Debug` shows.

use std::io::{self, Read, Seek, SeekFrom, Write};

use tempcore::PathError;
use tempspool::{SpoolBudget, SpooledData, SpooledTempFile};

use super::{contents, fast_dir};

#[test]
fn spools_and_budgets_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SpooledTempFile>();
    check::<SpoolBudget>();
    check::<tempspool::IntoInnerError>();
}

#[test]
fn the_tempfile_crate_constructors_are_new_and_new_in() {
    let mut spool = tempspool::spooled_tempfile(8);
    assert_eq!(spool.max_size(), 8);
    spool.write_all(b"in memory").unwrap();
    assert!(spool.is_rolled(), "9 bytes pass max_size 8");

    let dir = fast_dir();
    let mut spool = tempspool::spooled_tempfile_in(4, &dir);
    spool.write_all(b"tiny").unwrap();
    assert!(!spool.is_rolled());
    spool.write_all(b"+").unwrap();
    assert!(spool.is_rolled());
    let missing = dir.join("no-such-dir");
    let mut spool = tempspool::spooled_tempfile_in(1, &missing);
    let err = spool.write(b"ab").unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::NotFound,
        "rolls into the dir given: {err}"
    );
}

#[test]
fn into_inner_in_memory_gives_the_bytes_and_position() {
    let mut spool = SpooledTempFile::new(100);
    spool.write_all(b"abcdef").unwrap();
    spool.seek(SeekFrom::Start(2)).unwrap();
    match spool.into_inner().unwrap() {
        SpooledData::InMemory(cursor) => {
            assert_eq!(cursor.position(), 2);
            assert_eq!(cursor.get_ref(), b"abcdef");
        }
        SpooledData::OnDisk(_) => panic!("never rolled over"),
    }
}

#[test]
fn into_file_rolls_over_with_everything_at_the_position() {
    let mut spool = SpooledTempFile::new_in(100, fast_dir());
    spool.write_all(b"abcdef").unwrap();
    spool.seek(SeekFrom::Start(2)).unwrap();
    let mut file = spool.into_file().unwrap();
    assert_eq!(file.stream_position().unwrap(), 2);
    let mut rest = String::new();
    file.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "cdef");
}

#[test]
fn a_missing_directory_fails_with_its_name_and_keeps_the_data() {
    let dir = std::path::Path::new("/nonexistent/tempspool-missing");
    let mut spool = SpooledTempFile::new_in(3, dir);
    spool.write_all(b"abc").unwrap();
    let err = spool.write(b"d").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    // Made absolute: on Windows this path is relative to the current drive.
    let absolute = std::path::absolute(dir).unwrap();
    assert_eq!(
        PathError::find(&err).map(PathError::path),
        Some(absolute.as_path())
    );
    assert!(err.to_string().contains("tempspool-missing"), "{err}");
    assert_eq!(contents(&mut spool), b"abc");

    let err = spool.into_file().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("tempspool-missing"));
    let as_io: io::Error = {
        let mut spool = err.into_spool();
        assert_eq!(contents(&mut spool), b"abc");
        spool.into_file().unwrap_err().into()
    };
    assert_eq!(as_io.kind(), io::ErrorKind::NotFound);
}

#[test]
fn accessors() {
    let budget = SpoolBudget::new(10);
    let mut spool = SpooledTempFile::with_budget(42, &budget);
    assert_eq!(spool.max_size(), 42);
    assert!(spool.is_empty());
    assert!(!spool.is_rolled());
    assert!(spool.budget().unwrap().same_as(&budget));
    assert_eq!(spool.buffer_capacity(), 8192);
    spool.write_all(b"x").unwrap();
    assert!(!spool.is_empty());
    assert_eq!(spool.len(), 1);
}

#[test]
fn debug_shows_the_state_not_the_contents() {
    let mut spool = SpooledTempFile::new(100);
    spool.write_all(b"secret password").unwrap();
    let shown = format!("{spool:?}");
    assert!(
        shown.contains("rolled: false") && shown.contains("len: 15"),
        "{shown}"
    );
    assert!(!shown.contains("secret"), "{shown}");
    let shown = format!("{:?}", SpoolBudget::new(5));
    assert!(
        shown.contains("limit: 5") && shown.contains("used: 0"),
        "{shown}"
    );
}

#[test]
fn positions_beyond_any_file_are_refused_only_when_used() {
    for rolled in [false, true] {
        let mut spool = SpooledTempFile::new_in(16, fast_dir());
        if rolled {
            spool.rollover().unwrap();
        }
        assert_eq!(spool.seek(SeekFrom::Start(u64::MAX)).unwrap(), u64::MAX);
        let mut buf = [0; 4];
        assert_eq!(spool.read(&mut buf).unwrap(), 0);
        // No file holds a byte at 2^64-1: the system says EINVAL (Linux)
        // or EFBIG, never a short write or success.
        let err = spool.write(b"x").unwrap_err();
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::FileTooLarge
            ),
            "{err}"
        );
        assert_eq!(
            spool.seek(SeekFrom::Current(1)).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(spool.len(), 0);
    }
}

#[test]
fn a_huge_sparse_write_with_no_limit_is_an_error_not_an_abort() {
    let mut spool = SpooledTempFile::new(0);
    spool.write_all(b"kept").unwrap();
    spool.seek(SeekFrom::Start(1 << 62)).unwrap();
    let err = spool.write(b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::OutOfMemory);
    assert!(!spool.is_rolled());
    assert_eq!(spool.len(), 4);
    assert_eq!(contents(&mut spool), b"kept");
}

// Not on WASI: it has no processes to re-run a test in with another
// current directory.
#[cfg(not(target_os = "wasi"))]
mod processes {
    use super::*;

    #[test]
    fn an_empty_directory_is_the_current_one() {
        // As in Python (`dir=""`): `Path::new("app.json").parent()` is
        // `Some("")`. The current directory is process-wide: use a fresh
        // process.
        if !testkit::is_rerun() {
            let scratch = testkit::Scratch::new("spool-empty-dir");
            testkit::rerun_self(
                "api::processes::an_empty_directory_is_the_current_one",
                &[],
                &[],
                scratch.path(),
            );
            return;
        }
        let empty = std::path::Path::new("");
        let spools = [
            SpooledTempFile::new_in(1, empty),
            tempspool::spooled_tempfile_in(1, empty),
            SpooledTempFile::with_builder_in(1, &tempfs::Builder::new(), empty),
        ];
        for mut spool in spools {
            spool.write_all(b"rolled").unwrap();
            assert!(spool.is_rolled());
            assert_eq!(contents(&mut spool), b"rolled");
        }
    }
}
