//! A `TempFile` without `O_TMPFILE` (macOS, the BSDs, NFS and many FUSE
//! file systems, or `o_tmpfile(false)` as here) is staged under a hidden
//! name until persisted: a temporary-file cleaner that removes that name
//! and another user who creates a file under it never get their file
//! published. Unix: the substitute is another user's file.

// Not on WASI: owners, children as `nobody`.
#![cfg(unix)]

use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use tempfs::{Builder, PersistOptions, TempFile};
use testkit::Scratch;

/// A staged `TempFile` in `dir` holding `ours`, and its staged path.
fn staged(dir: &Path, ours: &[u8]) -> (TempFile, PathBuf) {
    let mut file = Builder::new()
        .prefix("visible-")
        .o_tmpfile(false)
        .temp_file_in(dir)
        .unwrap();
    file.write_all(ours).unwrap();
    let entries = testkit::entries(dir);
    assert_eq!(entries.len(), 1, "one staged name: {entries:?}");
    (file, dir.join(&entries[0]))
}

/// What a cleaner and a stranger do: the staged name is removed, and
/// `nobody` creates a file of their own under it.
fn substitute(staged: &Path) {
    std::fs::remove_file(staged).unwrap();
    std::fs::write(staged, b"nobody's file").unwrap();
    std::os::unix::fs::chown(staged, Some(testkit::child::NOBODY), None).unwrap();
}

#[test]
fn a_staged_temp_file_has_a_hidden_name_not_the_builders() {
    let scratch = Scratch::new("staged-hidden");
    let (file, path) = staged(scratch.path(), b"x");
    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with(".tmp"), "{name}");
    assert_eq!(name.len(), ".tmp".len() + tempcore::DEFAULT_RAND_LEN);
    drop(file);
    assert!(scratch.entries().is_empty());
}

#[test]
fn persist_never_publishes_a_file_that_took_the_staged_name() {
    for opts in [
        PersistOptions::replace(),
        PersistOptions::no_replace(),
        PersistOptions::replace().durable(true),
    ] {
        let scratch = Scratch::new("staged-swap");
        // The target's directory is root's alone: nobody must never get a
        // file of theirs published there.
        let private = scratch.join("private");
        std::fs::create_dir(&private).unwrap();
        testkit::set_mode(&private, 0o700);
        let target = private.join("config");
        if opts.replaces() {
            std::fs::write(&target, b"old").unwrap();
        }
        let work = scratch.join("work");
        std::fs::create_dir(&work).unwrap();
        let (file, staged_path) = staged(&work, b"our data");
        substitute(&staged_path);

        match file.persist_with(&target, &opts) {
            Ok(mut published) => {
                // Publishing our own file (by its descriptor) is fine.
                let mut data = Vec::new();
                published.rewind().unwrap();
                published.read_to_end(&mut data).unwrap();
                assert_eq!(data, b"our data", "{opts:?}");
                assert_eq!(std::fs::read(&target).unwrap(), b"our data", "{opts:?}");
            }
            Err(err) => {
                assert_eq!(err.error.kind(), io::ErrorKind::NotFound, "{opts:?}");
                assert!(
                    err.error.to_string().contains("config"),
                    "names the target: {}",
                    err.error
                );
                let expected: &[u8] = if opts.replaces() { b"old" } else { b"" };
                assert_eq!(
                    std::fs::read(&target).unwrap_or_default(),
                    expected,
                    "{opts:?}: the target is unchanged"
                );
                // The file comes back with our data.
                let mut back = err.file;
                let mut data = Vec::new();
                back.rewind().unwrap();
                back.read_to_end(&mut data).unwrap();
                assert_eq!(data, b"our data");
            }
        }
        let meta = std::fs::symlink_metadata(&target);
        assert!(
            meta.is_err() || meta.unwrap().uid() != testkit::child::NOBODY,
            "{opts:?}: nobody's file was published"
        );
        // The stranger's file is never what the target holds.
        assert_ne!(
            std::fs::read(&target).unwrap_or_default(),
            b"nobody's file",
            "{opts:?}"
        );
    }
}
