//! Many threads creating named files in one directory at once: every
//! creation succeeds, every name is distinct, and nothing is left.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use tempfs::{Builder, TempPath};
use testkit::Scratch;

const THREADS: usize = 4;
const FILES: usize = 5_000;

#[test]
fn four_threads_five_thousand_named_files_each() {
    let scratch = Scratch::new("threads");
    let dir = Arc::new(tempcore::Dir::open(scratch.path()).unwrap());
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (dir, start) = (Arc::clone(&dir), Arc::clone(&start));
            std::thread::spawn(move || -> Vec<TempPath> {
                start.wait();
                (0..FILES)
                    .map(|_| {
                        // All alive at once, so names must be unique; the
                        // handle is closed, the directory handle shared.
                        Builder::new().tempfile_at(&dir).unwrap().into_temp_path()
                    })
                    .collect()
            })
        })
        .collect();
    let paths: Vec<TempPath> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("no creation failed"))
        .collect();
    assert_eq!(paths.len(), THREADS * FILES);
    let distinct: HashSet<_> = paths.iter().map(|p| p.to_path_buf()).collect();
    assert_eq!(distinct.len(), THREADS * FILES);
    assert_eq!(scratch.entries().len(), THREADS * FILES);

    // Dropped from as many threads as created them.
    let mut paths = paths;
    let chunks: Vec<Vec<TempPath>> = (0..THREADS)
        .map(|_| paths.split_off(paths.len() - FILES))
        .collect();
    for handle in chunks
        .into_iter()
        .map(|chunk| std::thread::spawn(move || drop(chunk)))
        .collect::<Vec<_>>()
    {
        handle.join().unwrap();
    }
    assert!(
        scratch.entries().is_empty(),
        "{} left",
        scratch.entries().len()
    );

    // And the per-directory form, dropping as it goes.
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let path = scratch.path().to_path_buf();
            std::thread::spawn(move || {
                for _ in 0..FILES / 10 {
                    drop(tempfs::NamedTempFile::new_in(&path).unwrap());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(scratch.entries().is_empty());
}
