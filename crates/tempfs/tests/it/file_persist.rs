//! Persisting: atomic replacement under a concurrent reader, refusing to
//! clobber, and errors that name the target and give the file back.

use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use tempfs::{Builder, NamedTempFile, PersistOptions, TempFile};
use testkit::Scratch;

use crate::file_support::{assert_names, read};

/// The kinds of temporary file that can be persisted: a `TempFile`
/// (`O_TMPFILE`, or staged under a hidden name as off Linux), a
/// `NamedTempFile` and a `TempPath`.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Anonymous,
    Staged,
    Named,
    Path,
}

const KINDS: [Kind; 4] = [Kind::Anonymous, Kind::Staged, Kind::Named, Kind::Path];

/// Persists a new temporary file holding `data`; on failure returns the
/// error and whether the temporary still holds its data.
fn persist(kind: Kind, dir: &Path, data: &[u8], target: &Path, replace: bool) -> io::Result<()> {
    let opts = if replace {
        PersistOptions::replace()
    } else {
        PersistOptions::no_replace()
    };
    match kind {
        Kind::Anonymous | Kind::Staged => {
            let mut builder = Builder::new();
            builder.o_tmpfile(matches!(kind, Kind::Anonymous));
            let mut file = builder.temp_file_in(dir)?;
            file.write_all(data)?;
            match file.persist_with(target, &opts) {
                Ok(_) => Ok(()),
                Err(err) => {
                    let mut back = Vec::new();
                    let mut file = err.file;
                    file.rewind()?;
                    file.read_to_end(&mut back)?;
                    assert_eq!(back, data, "the file comes back intact");
                    Err(err.error)
                }
            }
        }
        Kind::Named => {
            let mut file = NamedTempFile::new_in(dir)?;
            file.write_all(data)?;
            let result = if replace {
                file.persist(target)
            } else {
                file.persist_noclobber(target)
            };
            match result {
                Ok(_) => Ok(()),
                Err(err) => {
                    assert_eq!(read(err.file.path()).as_bytes(), data);
                    Err(err.error)
                }
            }
        }
        Kind::Path => {
            let mut file = NamedTempFile::new_in(dir)?;
            file.write_all(data)?;
            let path = file.into_temp_path();
            let result = if replace {
                path.persist(target)
            } else {
                path.persist_noclobber(target)
            };
            match result {
                Ok(()) => Ok(()),
                Err(err) => {
                    assert_eq!(read(&err.path).as_bytes(), data);
                    Err(err.error)
                }
            }
        }
    }
}

#[test]
fn persist_replaces_the_target_and_leaves_no_temporary_name() {
    for kind in KINDS {
        let scratch = Scratch::new("persist-replace");
        let target = scratch.join("target.txt");
        std::fs::write(&target, "old").unwrap();
        persist(kind, scratch.path(), b"new", &target, true).unwrap();
        assert_eq!(read(&target), "new", "{kind:?}");
        assert_eq!(scratch.entries(), ["target.txt"], "{kind:?}");
    }
}

#[test]
fn persisted_file_stays_open_and_is_no_longer_temporary() {
    let scratch = Scratch::new("persist-open");
    let target = scratch.join("kept");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"one").unwrap();
    let mut open = file.persist(&target).unwrap();
    open.write_all(b", two").unwrap();
    drop(open);
    assert_eq!(read(&target), "one, two");

    let target = scratch.join("kept-too");
    let mut file = TempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"three").unwrap();
    let mut open = file.persist_noclobber(&target).unwrap();
    open.write_all(b", four").unwrap();
    drop(open);
    assert_eq!(read(&target), "three, four");
}

#[test]
fn noclobber_refuses_and_leaves_both_files_intact() {
    for kind in KINDS {
        let scratch = Scratch::new("persist-noclobber");
        let target = scratch.join("target.txt");
        std::fs::write(&target, "old").unwrap();
        let err = persist(kind, scratch.path(), b"new", &target, false).unwrap_err();
        assert_names(&err, io::ErrorKind::AlreadyExists, &target);
        assert_eq!(read(&target), "old", "{kind:?}");
        // The temporary went away when it was dropped in `persist`.
        assert_eq!(scratch.entries(), ["target.txt"], "{kind:?}");
    }
}

#[test]
fn a_refused_noclobber_names_the_call_that_replaces() {
    for kind in KINDS {
        let scratch = Scratch::new("persist-hint");
        let target = scratch.join("target.txt");
        std::fs::write(&target, "old").unwrap();
        let err = persist(kind, scratch.path(), b"new", &target, false).unwrap_err();
        let message = err.to_string();
        let wanted = match kind {
            Kind::Path => "`TempPath::persist` replaces what is there",
            _ => "`persist` (`PersistOptions::replace()`) replaces what is there",
        };
        assert!(message.ends_with(wanted), "{kind:?}: {message}");
        assert!(message.contains(&*target.to_string_lossy()), "{message}");
    }
}

#[test]
fn noclobber_into_a_free_name_works() {
    for kind in KINDS {
        let scratch = Scratch::new("persist-free");
        let target = scratch.join("fresh");
        persist(kind, scratch.path(), b"fresh", &target, false).unwrap();
        assert_eq!(read(&target), "fresh");
        assert_eq!(scratch.entries(), ["fresh"]);
    }
}

#[test]
fn failed_persist_names_the_target_and_gives_the_file_back() {
    for kind in KINDS {
        let scratch = Scratch::new("persist-fail");
        let missing = scratch.join("no-such-dir");
        let err = persist(kind, scratch.path(), b"data", &missing.join("t"), true).unwrap_err();
        assert_names(&err, io::ErrorKind::NotFound, &missing);

        // A directory at the target cannot be replaced by a file.
        let occupied = scratch.join("a-directory");
        std::fs::create_dir(&occupied).unwrap();
        std::fs::write(occupied.join("inside"), "x").unwrap();
        let err = persist(kind, scratch.path(), b"data", &occupied, true).unwrap_err();
        assert!(
            err.to_string().contains(&occupied.display().to_string()),
            "{kind:?}: {err}"
        );
        assert_eq!(read(&occupied.join("inside")), "x");

        // Targets that name no file.
        for bad in [scratch.join("x/"), scratch.join("x/."), PathBuf::from("/")] {
            let err = persist(kind, scratch.path(), b"data", &bad, true).unwrap_err();
            assert_names(&err, io::ErrorKind::InvalidInput, &bad);
        }
        assert_eq!(scratch.entries(), ["a-directory"], "{kind:?}");
    }
}

#[test]
fn persist_errors_convert_into_io_errors_and_back_into_files() {
    fn with_question_mark(file: NamedTempFile, to: &Path) -> io::Result<()> {
        file.persist_noclobber(to)?;
        Ok(())
    }
    let scratch = Scratch::new("persist-convert");
    let target = scratch.join("taken");
    std::fs::write(&target, "x").unwrap();
    let err =
        with_question_mark(NamedTempFile::new_in(scratch.path()).unwrap(), &target).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);

    let err = NamedTempFile::new_in(scratch.path())
        .unwrap()
        .persist_noclobber(&target)
        .unwrap_err();
    let message = err.to_string();
    let file: NamedTempFile = err.into();
    assert!(file.path().exists(), "{message}");
    drop(file);

    let err = TempFile::new_in(scratch.path())
        .unwrap()
        .persist_noclobber(&target)
        .unwrap_err();
    assert_names(&err.error, io::ErrorKind::AlreadyExists, &target);
    let file: TempFile = err.into();
    file.persist(scratch.join("second try")).unwrap();
    assert_eq!(scratch.entries(), ["second try", "taken"]);
}

#[test]
fn durable_persist_works_like_persist() {
    let scratch = Scratch::new("persist-durable-ok");
    let target = scratch.join("durable");
    std::fs::write(&target, "old").unwrap();
    let mut file = TempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"new").unwrap();
    file.persist_durable(&target).unwrap();
    assert_eq!(read(&target), "new");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"newer").unwrap();
    file.persist_durable(&target).unwrap();
    assert_eq!(read(&target), "newer");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    let err = file
        .persist_with(&target, &PersistOptions::no_replace().durable(true))
        .unwrap_err();
    assert_names(&err.error, io::ErrorKind::AlreadyExists, &target);
    drop(err);
    assert_eq!(scratch.entries(), ["durable"]);
}

// Not on WASI: it has no threads, and no processes to re-run a test in
#[cfg(not(target_os = "wasi"))]
mod threads_and_processes {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::*;

    /// One writer persists complete versions over a target while a reader
    /// reads it: the reader must only ever see one whole version. Writing in
    /// place (truncate, then write) would show empty and partial files.
    ///
    /// The reads really overlap the persists: the writer lets the reader
    /// finish two reads after each persist before the next, so the second
    /// began after the persist and the reader sees every version.
    fn readers_see_old_or_new(kind: Kind) {
        const SIZE: usize = 64 * 1024;
        const ROUNDS: u8 = 150;
        let scratch = Scratch::new("persist-atomic");
        let target = scratch.join("target");
        std::fs::write(&target, vec![0u8; SIZE]).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicU64::new(0));
        let reader = {
            let (target, done, reads) = (target.clone(), Arc::clone(&done), Arc::clone(&reads));
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeSet::new();
                while !done.load(Ordering::Acquire) {
                    let data = std::fs::read(&target).expect("the target always exists");
                    assert_eq!(data.len(), SIZE, "a partial file was visible");
                    let first = data[0];
                    assert!(data.iter().all(|&b| b == first), "a mix of versions");
                    seen.insert(first);
                    reads.fetch_add(1, Ordering::AcqRel);
                }
                seen
            })
        };
        let two_more_reads = || {
            let before = reads.load(Ordering::Acquire);
            while reads.load(Ordering::Acquire) < before + 2 && !reader.is_finished() {
                std::thread::yield_now();
            }
        };
        for version in 1..=ROUNDS {
            let data = vec![version; SIZE];
            let dir = scratch.path().to_path_buf();
            // Write in pieces so that a non-atomic persist would be caught.
            match kind {
                Kind::Anonymous | Kind::Staged => {
                    let mut builder = Builder::new();
                    builder.o_tmpfile(matches!(kind, Kind::Anonymous));
                    let mut file = builder.temp_file_in(&dir).unwrap();
                    for chunk in data.chunks(4096) {
                        file.write_all(chunk).unwrap();
                    }
                    while let Err(err) = file.persist(&target) {
                        file = again(err.error, err.file);
                    }
                }
                Kind::Named | Kind::Path => {
                    let mut file = NamedTempFile::new_in(&dir).unwrap();
                    for chunk in data.chunks(4096) {
                        file.write_all(chunk).unwrap();
                    }
                    if matches!(kind, Kind::Path) {
                        let mut path = file.into_temp_path();
                        while let Err(err) = path.persist(&target) {
                            path = again(err.error, err.path);
                        }
                    } else {
                        while let Err(err) = file.persist(&target) {
                            file = again(err.error, err.file);
                        }
                    }
                }
            }
            two_more_reads();
        }
        done.store(true, Ordering::Release);
        let seen = reader.join().expect("the reader saw a torn file");
        let missed: Vec<u8> = (1..=ROUNDS).filter(|v| !seen.contains(v)).collect();
        assert!(
            missed.is_empty(),
            "the reader never saw versions {missed:?}"
        );
        assert_eq!(read_first_byte(&target), ROUNDS);
        assert_eq!(scratch.entries(), ["target"]);
    }

    /// A persist over the target that the reader holds open failed. Where the
    /// system cannot replace an open file (Windows without POSIX rename
    /// semantics, as under Wine) that is `PermissionDenied`, and the file comes
    /// back to be persisted again once the reader lets go; anywhere else any
    /// failure fails the test.
    fn again<T>(error: io::Error, back: T) -> T {
        assert!(
            !testkit::replacing_open_files_works()
                && error.kind() == io::ErrorKind::PermissionDenied,
            "{error}"
        );
        std::thread::yield_now();
        back
    }

    fn read_first_byte(path: &Path) -> u8 {
        std::fs::read(path).unwrap()[0]
    }

    #[test]
    fn temp_file_persist_is_atomic_for_readers() {
        readers_see_old_or_new(Kind::Anonymous);
    }

    #[test]
    fn staged_temp_file_persist_is_atomic_for_readers() {
        readers_see_old_or_new(Kind::Staged);
    }

    #[test]
    fn named_persist_is_atomic_for_readers() {
        readers_see_old_or_new(Kind::Named);
    }

    #[test]
    fn temp_path_persist_is_atomic_for_readers() {
        readers_see_old_or_new(Kind::Path);
    }

    #[test]
    fn relative_directories_and_targets_are_resolved_at_the_call() {
        // The body runs again in a fresh process whose current directory is a
        // scratch directory: the harness's other threads share this one's.
        if !testkit::is_rerun() {
            let scratch = Scratch::new("persist-relative");
            testkit::rerun_self(
                "file_persist::threads_and_processes::relative_directories_and_targets_are_resolved_at_the_call",
                &[],
                &[],
                scratch.path(),
            );
            assert_eq!(scratch.entries(), ["anonymous", "named"]);
            return;
        }
        let dir = std::env::current_dir().unwrap();
        // Directories are made absolute at creation, so paths stay right
        // when the current directory changes later.
        let named = NamedTempFile::new_in(".").unwrap();
        assert_eq!(named.path().parent().unwrap(), dir);
        let (file, path) = Builder::new().mkstemp_in(".").unwrap();
        drop(file);
        assert_eq!(path.parent().unwrap(), dir);
        std::fs::remove_file(path).unwrap();
        drop(named);
        // Targets are relative to the current directory at persist time.
        NamedTempFile::new_in(".")
            .unwrap()
            .persist("named")
            .unwrap();
        TempFile::new_in(".").unwrap().persist("anonymous").unwrap();
        assert_eq!(testkit::entries(&dir), ["anonymous", "named"]);
    }
}
