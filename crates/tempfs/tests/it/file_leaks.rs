//! No leaks: after 1,000 rounds of every constructor, every way to end a
//! file and every error path, the process has the same open descriptors
//! and the directory the same entries.
//!
//! Runs in a fresh copy of the test binary (`testkit::rerun_self`), alone,
//! so that no other test's descriptors are counted.

#![cfg(unix)]

use std::io::{self, Write};
use std::path::Path;

use tempfs::{Builder, NamedTempFile, PersistOptions, TempFile};
use testkit::Scratch;

const ROUNDS: usize = 1_000;

/// One round: everything that can be made and ended, and every error.
fn round(i: usize, dir: &Path, target: &Path, not_a_dir: &Path) -> io::Result<()> {
    let mut portable = Builder::new();
    portable.o_tmpfile(false);
    let mut bad = Builder::new();
    bad.prefix("a/b");
    let missing = dir.join("missing");

    // Constructors, each ended in every way it can be.
    drop(tempfs::tempfile()?);
    drop(tempfs::tempfile_in(dir)?);
    drop(portable.anonymous_in(dir)?);
    drop(TempFile::new()?);
    drop(TempFile::new_in(dir)?);
    drop(TempFile::new_in(dir)?.into_file());
    drop(portable.linkable_in(dir)?);
    drop(portable.linkable_in(dir)?.into_file());
    drop(NamedTempFile::new()?);
    drop(NamedTempFile::new_in(dir)?);
    NamedTempFile::new_in(dir)?.close()?;
    NamedTempFile::new_in(dir)?.into_temp_path().close()?;
    drop(NamedTempFile::new_in(dir)?.into_temp_path());
    drop(NamedTempFile::new_in(dir)?.into_file());
    drop(NamedTempFile::new_in(dir)?.into_parts());
    drop(NamedTempFile::new_in(dir)?.reopen()?);
    let (file, path) = NamedTempFile::new_in(dir)?.keep()?;
    drop(file);
    std::fs::remove_file(path)?;
    let (file, path) = Builder::new().mkstemp_in(dir)?;
    drop(file);
    std::fs::remove_file(path)?;
    drop(Builder::new().make_in(dir, |p| std::fs::File::create_new(p))?);

    // Every way to persist.
    TempFile::new_in(dir)?.persist(target)?;
    portable.linkable_in(dir)?.persist(target)?;
    NamedTempFile::new_in(dir)?.persist(target)?;
    NamedTempFile::new_in(dir)?
        .into_temp_path()
        .persist(target)?;
    let copy = PersistOptions::replace().copy_across_devices(true);
    NamedTempFile::new_in(dir)?.persist_with(target, &copy)?;
    if i % 100 == 0 {
        TempFile::new_in(dir)?.persist_durable(target)?;
        NamedTempFile::new_in(dir)?.persist_durable(target)?;
    }

    // Every error path.
    let failed = |r: io::Result<()>| assert!(r.is_err());
    for maker in [&bad, &Builder::new()] {
        for in_dir in [dir, missing.as_path(), not_a_dir] {
            if std::ptr::eq(maker, &bad) || in_dir != dir {
                failed(maker.anonymous_in(in_dir).map(drop));
                failed(maker.linkable_in(in_dir).map(drop));
                failed(maker.tempfile_in(in_dir).map(drop));
                failed(maker.mkstemp_in(in_dir).map(drop));
                failed(
                    maker
                        .make_in(in_dir, |p| std::fs::File::create_new(p))
                        .map(drop),
                );
            }
        }
    }
    failed(bad.anonymous().map(drop));
    failed(bad.tempfile().map(drop));
    failed(
        TempFile::new_in(dir)?
            .persist_noclobber(target)
            .map(drop)
            .map_err(io::Error::from),
    );
    failed(
        portable
            .linkable_in(dir)?
            .persist_noclobber(target)
            .map(drop)
            .map_err(io::Error::from),
    );
    failed(
        NamedTempFile::new_in(dir)?
            .persist_noclobber(target)
            .map(drop)
            .map_err(io::Error::from),
    );
    failed(
        NamedTempFile::new_in(dir)?
            .into_temp_path()
            .persist_noclobber(target)
            .map_err(io::Error::from),
    );
    failed(
        TempFile::new_in(dir)?
            .persist(missing.join("x"))
            .map(drop)
            .map_err(io::Error::from),
    );
    failed(
        NamedTempFile::new_in(dir)?
            .persist(missing.join("x"))
            .map(drop)
            .map_err(io::Error::from),
    );
    let replaced = NamedTempFile::new_in(dir)?;
    std::fs::remove_file(replaced.path())?;
    std::fs::File::create_new(replaced.path())?.write_all(b"other")?;
    failed(replaced.reopen().map(drop));
    drop(replaced);
    Ok(())
}

#[test]
fn no_descriptor_or_entry_is_left_after_1000_rounds_of_everything() {
    if !testkit::is_rerun() {
        testkit::rerun_self(
            "file_leaks::no_descriptor_or_entry_is_left_after_1000_rounds_of_everything",
            &[],
            &[],
            &std::env::current_dir().unwrap(),
        );
        return;
    }
    let scratch = Scratch::new("leaks");
    let dir = scratch.path();
    let target = scratch.join("target");
    let not_a_dir = scratch.join("a-file");
    std::fs::write(&not_a_dir, "x").unwrap();
    // Warm up: the default directory's shared handle opens once.
    round(1, dir, &target, &not_a_dir).unwrap();
    let fds = testkit::open_fds().expect("/proc/self/fd");
    let entries = scratch.entries();
    let default_dir = tempfs::temp_dir().unwrap();
    let default_entries = testkit::entries(&default_dir).len();
    for i in 0..ROUNDS {
        round(i, dir, &target, &not_a_dir).unwrap();
    }
    assert_eq!(testkit::open_fds(), Some(fds), "descriptors leaked");
    assert_eq!(scratch.entries(), entries, "entries left behind");
    assert_eq!(entries, ["a-file", "target"]);
    // The default directory is shared with other processes: it may only
    // differ by what they did meanwhile, never by a thousand of ours.
    let now = testkit::entries(&default_dir).len();
    assert!(now < default_entries + 100, "{default_entries} -> {now}");
}
