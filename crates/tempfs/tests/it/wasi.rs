//! What WASI does differently: a walk that cannot reopen `..`, no owners
//! to tell who replaced a directory, and no permission bits.

use std::fs;

use tempcore::{DIR_MODE, Template};
use tempfs::{Builder, Dir, TempDir};
use testkit::Scratch;

#[test]
fn a_tree_too_deep_to_restart_under_the_unix_descriptor_budget_is_removed() {
    // A WASI handle cannot open `..` (it would leave the capability): a
    // walk that closed its parents must start again from the top, and
    // with unix's 16 handles this tree needs more restarts than allowed.
    let scratch = Scratch::new("wasi-deep");
    let top = TempDir::new_in(scratch.path()).unwrap();
    let mut dir = Dir::open(top.path()).unwrap();
    for _ in 0..4200 {
        tempcore::create_dir_at(&dir, &mut Template::new("d", "", 0).unwrap(), DIR_MODE).unwrap();
        dir = Dir::open_at(&dir, "d").unwrap();
    }
    drop(dir);
    top.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_directory_in_place_of_a_removed_one_is_left_and_close_says_why() {
    // No owners on WASI: whoever put it there cannot be told.
    let scratch = Scratch::new("wasi-replaced");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    let path = dir.path().to_path_buf();
    fs::remove_dir(&path).unwrap();
    fs::create_dir(&path).unwrap();
    fs::write(path.join("theirs"), b"x").unwrap();
    let err = dir.close().unwrap_err();
    assert!(err.to_string().contains("WASI"), "{err}");
    assert_eq!(testkit::entries(&path), ["theirs"]);
}

#[test]
fn permissions_are_accepted_and_ignored() {
    // WASI has no permission bits: as in the tempfile crate, asking for
    // some is not an error, and the file is the program's to write.
    let scratch = Scratch::new("wasi-modes");
    let mut builder = Builder::new();
    builder.permissions(fs::metadata(scratch.path()).unwrap().permissions());
    let file = builder.tempfile_in(scratch.path()).unwrap();
    fs::write(file.path(), b"ours").unwrap();
    let dir = builder.tempdir_in(scratch.path()).unwrap();
    fs::write(dir.path().join("inside"), b"ours").unwrap();
}
