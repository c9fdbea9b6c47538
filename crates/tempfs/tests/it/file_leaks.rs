//! No leaks: after 1,000 rounds of every constructor, every way to end a
//! file and every error path, the process has the same open descriptors
//! and the directory the same entries.
//!
//! Runs in a fresh copy of the test binary (`testkit::rerun_self`), alone,
//! so that no other test's descriptors are counted.

// Not on WASI: forked children and descriptor counts (`/proc`).
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
    drop(portable.temp_file_in(dir)?);
    drop(portable.temp_file_in(dir)?.into_file());
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
    portable.temp_file_in(dir)?.persist(target)?;
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
                failed(maker.temp_file_in(in_dir).map(drop));
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
            .temp_file_in(dir)?
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

#[test]
fn running_out_of_descriptors_is_reported_and_leaves_nothing() {
    let scratch = Scratch::new("emfile");
    let dir = scratch.path();
    testkit::child::check(|| {
        let open = testkit::open_fds().expect("/proc/self/fd");
        // At least 8 descriptor numbers stay free below the limit.
        testkit::child::set_rlimit(libc::RLIMIT_NOFILE, (open + 8) as u64);
        let emfile = |err: &io::Error| {
            let detail = tempcore::PathError::find(err).unwrap_or_else(|| panic!("{err}"));
            assert_eq!(
                detail.os_error().raw_os_error(),
                Some(libc::EMFILE),
                "{err}"
            );
            assert!(
                err.to_string().contains(&dir.display().to_string()),
                "{err}"
            );
        };
        let shared = std::sync::Arc::new(tempcore::Dir::open(dir).unwrap());
        let mut held = Vec::new();
        let err = loop {
            match Builder::new().tempfile_at(&shared) {
                Ok(file) => held.push(file),
                Err(e) => break e,
            }
        };
        emfile(&err);
        assert!(!held.is_empty());
        // Every descriptor is in use: each kind of file fails cleanly,
        // whether at opening its directory or at creating the file.
        let builder = Builder::new();
        for err in [
            builder.anonymous_at(&shared).unwrap_err(),
            builder.temp_file_at(&shared).unwrap_err(),
            tempfs::tempfile_in(dir).unwrap_err(),
            TempFile::new_in(dir).unwrap_err(),
            NamedTempFile::new_in(dir).unwrap_err(),
            builder.mkstemp_in(dir).unwrap_err(),
        ] {
            emfile(&err);
        }
        // Free two descriptors to list the directory: one entry per file
        // held, none from the failures.
        drop(held.pop());
        assert_eq!(testkit::entries(dir).len(), held.len());
        drop(held);
        assert!(testkit::entries(dir).is_empty());
    });
}
