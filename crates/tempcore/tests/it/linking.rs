//! Giving files names atomically, and renaming without replacing.

use std::io::Write;

use tempcore::{Dir, FileOptions, LinkOptions, Template, linkable_file_at, rename_at};
use testkit::Scratch;

/// Both ways to a linkable file: `O_TMPFILE` and the staged fallback.
fn both_kinds() -> [FileOptions; 2] {
    [FileOptions::new(), FileOptions::new().tmpfile(false)]
}

fn hidden() -> Template<'static> {
    Template::new(".tmp", "", tempcore::DEFAULT_RAND_LEN).unwrap()
}

#[test]
fn no_replace_publishes_complete_contents() {
    for opts in both_kinds() {
        let scratch = Scratch::new("link-new");
        let dir = Dir::open(scratch.path()).unwrap();
        let mut draft = linkable_file_at(&dir, &mut hidden(), &opts).unwrap();
        draft.as_file_mut().write_all(b"complete").unwrap();
        let mut file = draft
            .link_at(&dir, "out", &LinkOptions::no_replace())
            .unwrap();
        assert_eq!(std::fs::read(scratch.join("out")).unwrap(), b"complete");
        assert_eq!(scratch.entries(), ["out"], "no staged or sibling name left");
        file.write_all(b"+more").unwrap();
        assert_eq!(
            std::fs::read(scratch.join("out")).unwrap(),
            b"complete+more"
        );
    }
}

#[test]
fn no_replace_refuses_an_existing_target_and_changes_nothing() {
    for opts in both_kinds() {
        let scratch = Scratch::new("link-exists");
        std::fs::write(scratch.join("out"), b"old").unwrap();
        let dir = Dir::open(scratch.path()).unwrap();
        let mut draft = linkable_file_at(&dir, &mut hidden(), &opts).unwrap();
        draft.as_file_mut().write_all(b"new").unwrap();
        let failed = draft
            .link_at(&dir, "out", &LinkOptions::no_replace())
            .unwrap_err();
        assert_eq!(failed.error.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(failed.error.to_string().contains("out"));
        assert_eq!(std::fs::read(scratch.join("out")).unwrap(), b"old");
        // The file comes back and can still be published elsewhere.
        failed
            .file
            .link_at(&dir, "other", &LinkOptions::no_replace())
            .unwrap();
        assert_eq!(std::fs::read(scratch.join("other")).unwrap(), b"new");
        assert_eq!(scratch.entries(), ["other", "out"]);
    }
}

#[test]
fn replace_swaps_the_target_atomically_and_leaves_no_sibling() {
    for opts in both_kinds() {
        let scratch = Scratch::new("link-replace");
        std::fs::write(scratch.join("out"), b"old").unwrap();
        let dir = Dir::open(scratch.path()).unwrap();
        let mut draft = linkable_file_at(&dir, &mut hidden(), &opts).unwrap();
        draft.as_file_mut().write_all(b"new").unwrap();
        draft
            .link_at(&dir, "out", &LinkOptions::replace().durable(true))
            .unwrap();
        assert_eq!(std::fs::read(scratch.join("out")).unwrap(), b"new");
        assert_eq!(scratch.entries(), ["out"]);
    }
}

#[test]
fn staged_name_is_removed_on_drop_and_into_file() {
    let scratch = Scratch::new("staged");
    let dir = Dir::open(scratch.path()).unwrap();
    let opts = FileOptions::new().tmpfile(false);
    let draft = linkable_file_at(&dir, &mut hidden(), &opts).unwrap();
    let staged = draft.staged_path().expect("the fallback stages a name");
    assert!(staged.exists());
    assert!(
        staged
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(".tmp")
    );
    drop(draft);
    assert!(scratch.entries().is_empty());

    let draft = linkable_file_at(&dir, &mut hidden(), &opts).unwrap();
    let mut file = draft.into_file().unwrap();
    if testkit::removal_is_immediate() {
        assert!(scratch.entries().is_empty());
    }
    file.write_all(b"anonymous now").unwrap();
    drop(file);
    assert!(scratch.entries().is_empty());
}

#[test]
fn o_tmpfile_drafts_have_no_name_at_all() {
    // Linux has O_TMPFILE: no name. Elsewhere the draft is staged under a
    // hidden name until it is linked.
    let scratch = Scratch::new("tmpfile-draft");
    let dir = Dir::open(scratch.path()).unwrap();
    let draft = linkable_file_at(&dir, &mut hidden(), &FileOptions::new()).unwrap();
    if cfg!(target_os = "linux") {
        assert!(draft.staged_path().is_none());
        assert!(scratch.entries().is_empty());
    } else {
        let staged = draft.staged_path().expect("a staged draft has a name");
        assert_eq!(scratch.entries(), [staged.file_name().unwrap().to_owned()]);
    }
}

#[test]
fn rename_without_replace() {
    let scratch = Scratch::new("rename");
    std::fs::write(scratch.join("a"), b"a").unwrap();
    std::fs::write(scratch.join("b"), b"b").unwrap();
    let dir = Dir::open(scratch.path()).unwrap();
    let err = rename_at(&dir, "a", &dir, "b", false).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read(scratch.join("a")).unwrap(), b"a");
    assert_eq!(std::fs::read(scratch.join("b")).unwrap(), b"b");
    rename_at(&dir, "a", &dir, "c", false).unwrap();
    assert_eq!(scratch.entries(), ["b", "c"]);
    rename_at(&dir, "c", &dir, "b", true).unwrap();
    assert_eq!(scratch.entries(), ["b"]);
    assert_eq!(std::fs::read(scratch.join("b")).unwrap(), b"a");
}
