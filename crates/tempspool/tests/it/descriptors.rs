//! The rollover file as the operating system sees it: private, nameless,
//! made by the builder, and never leaked, whatever state the spool is
//! dropped in.
// Not on WASI: forked children, descriptor counts.
#![cfg(unix)]

use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use tempspool::{SpooledData, SpooledTempFile};

use super::{contents, fast_dir};

#[test]
fn the_rollover_file_is_private_and_nameless() {
    let mut spool = SpooledTempFile::new_in(1, fast_dir());
    spool.write_all(b"xy").unwrap();
    let meta = spool.as_file().unwrap().metadata().unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.nlink(), 0);
}

#[test]
fn the_builder_makes_the_rollover_file() {
    let mut builder = tempfs::Builder::new();
    builder
        .permissions(std::fs::Permissions::from_mode(0o400))
        .append(true);
    let mut spool = SpooledTempFile::with_builder_in(4, &builder, fast_dir());
    spool.write_all(b"0123456789").unwrap();
    assert!(spool.is_rolled());
    let mode = spool
        .as_file()
        .unwrap()
        .metadata()
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o400, "the builder's permissions");
    // append is turned off: a write after a seek lands at the position.
    spool.seek(SeekFrom::Start(2)).unwrap();
    spool.write_all(b"ab").unwrap();
    spool.flush().unwrap();
    assert_eq!(contents(&mut spool), b"01ab456789");

    let bad = SpooledTempFile::with_builder(0, tempfs::Builder::new().prefix("a/b"));
    let err = bad.into_file().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn dropping_in_every_state_leaks_nothing() {
    // Python's "close twice" tests: in Rust a spool closes once, when
    // dropped, in whatever state it is in. Counted in a child process, so
    // that other tests' descriptors do not blur the count. (Rollovers name
    // their directory: the default one is behind a lock that another test
    // thread may have held when the child was forked.)
    let dir = fast_dir();
    testkit::child::check(|| {
        let before = testkit::open_fds();
        for _ in 0..20 {
            let mut memory = SpooledTempFile::new(100);
            memory.write_all(b"in memory").unwrap();
            let mut rolled = SpooledTempFile::new_in(1, &dir);
            rolled.write_all(b"on disk, buffered").unwrap();
            let mut lent = SpooledTempFile::new_in(1, &dir);
            lent.write_all(b"lent").unwrap();
            lent.as_file().unwrap();
            let file = SpooledTempFile::new_in(100, &dir).into_file().unwrap();
            let cursor = match SpooledTempFile::new(100).into_inner().unwrap() {
                SpooledData::InMemory(cursor) => cursor,
                SpooledData::OnDisk(_) => panic!("a new spool is in memory"),
            };
            let failed = SpooledTempFile::new_in(1, "/nonexistent/tempspool");
            let back = failed.into_file().unwrap_err().into_spool();
            drop((memory, rolled, lent, file, cursor, back));
        }
        assert_eq!(testkit::open_fds(), before, "descriptors leaked");
    });
}

#[test]
fn rolled_spools_cost_one_descriptor_each_beside_named_files() {
    // A rolled spool holds its file and nothing else, whether it was made
    // with O_TMPFILE or the portable way (create, then unlink through the
    // directory's shared handle); the named files beside it share that
    // handle: 2 x 200 files, one directory, one handle. Counted exactly
    // in a child, under a descriptor limit with no room for more.
    const EACH: usize = 200;
    let scratch = testkit::Scratch::new("spool-fds");
    let dir = scratch.path();
    let mut portable = tempfs::Builder::new();
    portable.o_tmpfile(false);
    testkit::child::check(|| {
        let open = testkit::open_fds().unwrap();
        let budget = 2 * EACH + 1;
        // One more for a file between its creation and its use, one for
        // the listing that counts.
        testkit::child::set_rlimit(libc::RLIMIT_NOFILE, (open + budget + 2) as u64);
        let mut held = Vec::new();
        for i in 0..EACH {
            let mut spool = if i % 2 == 0 {
                SpooledTempFile::new_in(1, dir)
            } else {
                SpooledTempFile::with_builder_in(1, &portable, dir)
            };
            spool.write_all(b"xy").unwrap();
            assert!(spool.is_rolled());
            held.push((spool, tempfs::NamedTempFile::new_in(dir).unwrap()));
        }
        assert_eq!(testkit::open_fds(), Some(open + budget));
        drop(held);
    });
    assert!(scratch.entries().is_empty());
}
