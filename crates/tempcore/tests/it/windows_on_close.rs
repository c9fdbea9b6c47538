//! Windows: files the system removes when their handles close
//! ([`FileOptions::delete_on_close`]): named files where the flag can be
//! cleared again, staged files with a delete disposition, linked through
//! their own handle.

use std::io::{self, Write};

use tempcore::{DeleteOnClose, Dir, FileOptions, LinkOptions, Template};
use testkit::Scratch;
use testkit::windows::{delete_on_close_can_be_cleared, pending_deletion_refuses_opens};

#[test]
fn a_named_file_deletes_on_close_only_where_that_can_be_undone() {
    let scratch = Scratch::new("win-core-on-close");
    let dir = Dir::open(scratch.path()).unwrap();
    let opts = FileOptions::new().delete_on_close(true);
    let create = || tempcore::create_file_at(&dir, &mut Template::default(), &opts).unwrap();

    let (file, name) = create();
    let on_close = DeleteOnClose::new(&file).unwrap();
    assert_eq!(on_close.is_some(), delete_on_close_can_be_cleared());
    drop((file, on_close));
    if delete_on_close_can_be_cleared() {
        assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
    } else {
        // Where the flag could not be cleared, none was set: the file is
        // an ordinary one (Wine 8, older Windows).
        assert_eq!(scratch.entries(), std::slice::from_ref(&name));
        tempcore::remove_file_at(&dir, &name).unwrap();
    }

    // Kept: it stays when every handle is closed.
    let (mut file, name) = create();
    file.write_all(b"kept").unwrap();
    if let Some(on_close) = DeleteOnClose::new(&file).unwrap() {
        on_close.keep().unwrap();
        // And given back to the system.
        on_close.delete().unwrap();
        on_close.keep().unwrap();
    }
    drop(file);
    assert_eq!(std::fs::read(scratch.join(&name)).unwrap(), b"kept");
    tempcore::remove_file_at(&dir, &name).unwrap();

    // Without the option there is nothing to clear.
    let (file, name) =
        tempcore::create_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    assert!(DeleteOnClose::new(&file).unwrap().is_none());
    drop(file);
    tempcore::remove_file_at(&dir, &name).unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_staged_file_is_pending_deletion_and_linked_through_its_handle() {
    let scratch = Scratch::new("win-core-staged");
    let dir = Dir::open(scratch.path()).unwrap();
    let opts = FileOptions::new().delete_on_close(true);
    let mut hidden = Template::new(".tmp", "", 13).unwrap();
    let mut staged = tempcore::linkable_file_at(&dir, &mut hidden, &opts).unwrap();
    staged.as_file_mut().write_all(b"ours").unwrap();
    let staged_path = staged.staged_path().unwrap();

    // Someone moves the staged name away and puts a file of theirs in its
    // place: Windows refuses (the name is pending deletion); where that
    // is allowed (Wine 8, which also renames an open file by the path it
    // was opened by), the name is checked and nothing is published.
    let moved = scratch.join("moved");
    if pending_deletion_refuses_opens() {
        std::fs::rename(&staged_path, &moved).unwrap_err();
    } else {
        std::fs::rename(&staged_path, &moved).unwrap();
        std::fs::write(&staged_path, b"theirs").unwrap();
        let err = staged
            .link_at(&dir, "target", &LinkOptions::no_replace())
            .unwrap_err();
        assert_eq!(err.error.kind(), io::ErrorKind::NotFound, "{}", err.error);
        assert!(!scratch.join("target").exists());
        assert_eq!(std::fs::read(&staged_path).unwrap(), b"theirs");
        // Given back, still linkable once the name is its own again.
        std::fs::remove_file(&staged_path).unwrap();
        std::fs::rename(&moved, &staged_path).unwrap();
        staged = err.file;
    }
    let file = staged
        .link_at(&dir, "target", &LinkOptions::no_replace())
        .unwrap();
    drop(file);
    assert_eq!(std::fs::read(scratch.join("target")).unwrap(), b"ours");
    assert_eq!(scratch.entries(), ["target"]);
}
