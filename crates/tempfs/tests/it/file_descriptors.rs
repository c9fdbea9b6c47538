//! Descriptor budgets, as exact as the system-call budgets: four threads
//! each hold objects made "in" one directory by path, under an
//! `RLIMIT_NOFILE` that leaves room for the budget and no more, and the
//! process's descriptors are counted. A live named file or [`TempDir`]
//! costs its own descriptor, a [`TempPath`] none, and the directory they
//! were made in one, shared (the `tempfile` crate's files cost one each;
//! before the sharing, every object also held a handle to its directory,
//! and a thousand named files failed with `EMFILE` under such a limit).
//!
//! Each budget is counted in a forked child, so that other tests'
//! descriptors do not blur it, after the worker threads have exited
//! (taking their own cached directory with them).

// Not on WASI: forked children with lowered rlimits, threads.
#![cfg(unix)]

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tempfs::{Builder, NamedTempFile, TempDir, TempFile, TempPath};
use testkit::{Scratch, child};

const THREADS: usize = 4;
const EACH: usize = 250;

/// In a child: `make` called `EACH` times by each of `THREADS` threads in
/// one directory, everything held, must leave exactly `per_object`
/// descriptors per object plus `shared` open, with no room for more.
fn budget<T: Send>(
    label: &str,
    per_object: usize,
    shared: usize,
    make: impl Fn(&Path) -> io::Result<T> + Sync,
) {
    let scratch = Scratch::new(label);
    let dir = scratch.path();
    child::check(|| {
        let open = testkit::open_fds().expect("/proc/self/fd or /dev/fd");
        let budget = THREADS * EACH * per_object + shared;
        // Room for the budget, for one file per thread between its
        // creation and its use (a TempPath's file is closed at once), and
        // for the listing that counts them: no more.
        child::set_rlimit(libc::RLIMIT_NOFILE, (open + budget + THREADS + 1) as u64);
        let held: Vec<T> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..THREADS)
                .map(|_| s.spawn(|| (0..EACH).map(|_| make(dir)).collect::<io::Result<Vec<T>>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap().unwrap_or_else(|e| panic!("{label}: {e}")))
                .collect()
        });
        assert_eq!(held.len(), THREADS * EACH);
        assert_eq!(testkit::open_fds(), Some(open + budget), "{label}");
        drop(held);
        assert_eq!(testkit::open_fds(), Some(open), "{label}: all closed");
    });
    assert!(scratch.entries().is_empty());
}

#[test]
fn named_files_made_in_a_directory_cost_one_descriptor_each_and_one_for_it() {
    let counter = std::sync::atomic::AtomicUsize::new(0);
    budget("fd-named", 1, 1, |dir| {
        // Every constructor that takes a directory by path.
        match counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 4 {
            0 => NamedTempFile::new_in(dir),
            1 => Builder::new().tempfile_in(dir),
            2 => NamedTempFile::with_prefix_in("p", dir),
            _ => Builder::new()
                .make_in(dir, |path| std::fs::File::create_new(path))
                .map(|made| {
                    let (file, path) = made.into_parts();
                    NamedTempFile::from_parts(file, path)
                }),
        }
    });
}

#[test]
fn temp_paths_cost_no_descriptor_but_one_for_their_directory() {
    let counter = std::sync::atomic::AtomicUsize::new(0);
    budget("fd-paths", 0, 1, |dir| {
        if counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 0 {
            NamedTempFile::new_in(dir).map(NamedTempFile::into_temp_path)
        } else {
            // An adopted path shares its directory's handle too.
            let (file, path) = Builder::new().mkstemp_in(dir)?;
            drop(file);
            TempPath::try_from_path(path)
        }
    });
}

#[test]
fn temp_dirs_cost_one_descriptor_each_and_one_for_their_parent() {
    budget("fd-dirs", 1, 1, |dir| TempDir::new_in(dir));
}

#[test]
fn other_files_made_in_a_directory_cost_one_descriptor_each_beside_named_ones() {
    // Anonymous files, TempFiles (nameless, or staged under a hidden name
    // and sharing the directory's handle) and mkstemp's files: next to
    // named files there, they add one descriptor each.
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let mut portable = Builder::new();
    portable.o_tmpfile(false);
    budget(
        "fd-mixed",
        2,
        1,
        |dir| -> io::Result<(NamedTempFile, Box<dyn Send>)> {
            let named = NamedTempFile::new_in(dir)?;
            let other: Box<dyn Send> =
                match counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 5 {
                    0 => Box::new(tempfs::tempfile_in(dir)?),
                    1 => Box::new(portable.anonymous_in(dir)?),
                    2 => Box::new(TempFile::new_in(dir)?),
                    3 => Box::new(portable.temp_file_in(dir)?),
                    _ => Box::new(Kept(Builder::new().mkstemp_in(dir)?)),
                };
            Ok((named, other))
        },
    );
}

/// A file from `mkstemp`, removed by path when dropped.
struct Kept((File, PathBuf));

impl Drop for Kept {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0.1).unwrap();
    }
}

/// The `_at` constructors take every [`tempfs::AsDir`] form, and what they
/// keep is what the trait's docs say: an `Arc<Dir>` is shared (one
/// descriptor per named file or directory), a `&Dir` or `&TempDir` is
/// duplicated (two), an anonymous or `O_TMPFILE` file keeps nothing.
#[test]
fn the_at_forms_share_an_arc_and_duplicate_anything_else() {
    use std::sync::Arc;
    use tempfs::Dir;
    let scratch = Scratch::new("fd-at");
    let path = scratch.path().to_owned();
    child::check(move || {
        let plain = Dir::open(&path).unwrap();
        let shared = Arc::new(Dir::open(&path).unwrap());
        let parent = TempDir::new_in(&path).unwrap();
        let open = testkit::open_fds().unwrap();
        let cost = |make: &dyn Fn() -> io::Result<Box<dyn std::any::Any>>| {
            let before = testkit::open_fds().unwrap();
            let held: Vec<_> = (0..10).map(|_| make().unwrap()).collect();
            let cost = testkit::open_fds().unwrap() - before;
            drop(held);
            assert_eq!(testkit::open_fds().unwrap(), before);
            cost
        };
        let b = Builder::new();
        assert_eq!(cost(&|| Ok(Box::new(b.tempfile_at(&shared)?))), 10);
        assert_eq!(cost(&|| Ok(Box::new(b.tempfile_at(&plain)?))), 20);
        assert_eq!(cost(&|| Ok(Box::new(b.tempfile_at(&parent)?))), 20);
        assert_eq!(cost(&|| Ok(Box::new(b.tempdir_at(&shared)?))), 10);
        assert_eq!(cost(&|| Ok(Box::new(b.tempdir_at(&plain)?))), 20);
        assert_eq!(cost(&|| Ok(Box::new(b.anonymous_at(&plain)?))), 10);
        assert_eq!(cost(&|| Ok(Box::new(b.anonymous_at(&parent)?))), 10);
        assert_eq!(cost(&|| Ok(Box::new(b.temp_file_at(&shared)?))), 10);
        assert_eq!(cost(&|| Ok(Box::new(b.temp_file_at(&plain)?))), 10);
        assert_eq!(cost(&|| Ok(Box::new(b.temp_file_at(&*shared)?))), 10);
        assert_eq!(testkit::open_fds().unwrap(), open);
        // A staged file (no O_TMPFILE) keeps the directory: shared, or a
        // duplicate.
        let staged = Builder::new().o_tmpfile(false).clone();
        assert_eq!(cost(&|| Ok(Box::new(staged.temp_file_at(&shared)?))), 10);
        assert_eq!(cost(&|| Ok(Box::new(staged.temp_file_at(&plain)?))), 20);
        // Everything made in the TempDir went with it.
        let inside = parent.path().to_owned();
        drop(parent);
        assert!(!inside.exists());
    });
    assert!(scratch.entries().is_empty());
}
