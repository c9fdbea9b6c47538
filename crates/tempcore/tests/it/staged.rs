//! A staged `LinkableFile` (no `O_TMPFILE`) whose name a cleaner removed,
//! or another file took: linking never publishes the other file, and
//! `into_file` keeps the data. Unix: the names are removed and planted by
//! plain path operations.

use std::io::{self, Read, Seek, Write};

use tempcore::{Dir, FileOptions, LinkOptions, LinkableFile, Template, linkable_file_at};
use testkit::Scratch;

fn staged(dir: &Dir, data: &[u8]) -> LinkableFile {
    let mut names = Template::new(".tmp", "", tempcore::DEFAULT_RAND_LEN).unwrap();
    let opts = FileOptions::new().tmpfile(false);
    let mut draft = linkable_file_at(dir, &mut names, &opts).unwrap();
    draft.as_file_mut().write_all(data).unwrap();
    draft
}

fn contents(mut file: &std::fs::File) -> Vec<u8> {
    let mut data = Vec::new();
    file.rewind().unwrap();
    file.read_to_end(&mut data).unwrap();
    data
}

#[test]
fn linking_never_publishes_a_file_that_took_the_staged_name() {
    for opts in [LinkOptions::replace(), LinkOptions::no_replace()] {
        let scratch = Scratch::new("staged-link");
        let dir = Dir::open(scratch.path()).unwrap();
        let draft = staged(&dir, b"ours");
        let path = draft.staged_path().unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"substitute").unwrap();

        let failed = draft.link_at(&dir, "out", &opts).unwrap_err();
        assert_eq!(failed.error.kind(), io::ErrorKind::NotFound, "{opts:?}");
        assert!(failed.error.to_string().contains("out"), "{}", failed.error);
        assert!(!scratch.join("out").exists(), "{opts:?}: nothing published");
        assert_eq!(std::fs::read(&path).unwrap(), b"substitute");
        assert_eq!(contents(failed.file.as_file()), b"ours");
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn into_file_after_a_cleaner_removed_the_staged_name_keeps_the_file() {
    let scratch = Scratch::new("staged-gone");
    let dir = Dir::open(scratch.path()).unwrap();
    let draft = staged(&dir, b"keep me");
    std::fs::remove_file(draft.staged_path().unwrap()).unwrap();
    let file = draft
        .into_file()
        .expect("a missing name is what was asked for");
    assert_eq!(contents(&file), b"keep me");
    assert!(scratch.entries().is_empty());
}

#[test]
fn into_file_gives_the_file_back_when_the_name_cannot_be_removed() {
    let scratch = Scratch::new("staged-stuck");
    let dir = Dir::open(scratch.path()).unwrap();
    let draft = staged(&dir, b"still here");
    let path = draft.staged_path().unwrap();
    // A directory at the name: unlinkat refuses it (EISDIR or EPERM).
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = draft.into_file().unwrap_err();
    assert_ne!(err.error.kind(), io::ErrorKind::NotFound, "{}", err.error);
    assert!(
        err.error.to_string().contains(path.to_str().unwrap()),
        "{}",
        err.error
    );
    assert_eq!(err.file.staged_path().as_deref(), Some(path.as_path()));
    assert_eq!(contents(err.file.as_file()), b"still here");
    std::fs::remove_dir(&path).unwrap();
    let io_error: io::Error = err.into();
    assert_ne!(io_error.kind(), io::ErrorKind::NotFound);
    assert!(scratch.entries().is_empty());
}
