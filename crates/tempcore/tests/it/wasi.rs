//! What WASI does differently: the unix backend runs there over
//! wasi-libc, whose `*at` calls are relative to the handle given, and
//! answers for the calls WASI lacks (`dup`, user IDs).

use std::io::{Read, Seek, Write};

use tempcore::{Dir, FileOptions, Template, anonymous_file_at, create_file_at, remove_file_at};
use testkit::Scratch;

use crate::support::Scripted;

#[test]
fn creation_follows_the_handle_when_the_directory_is_renamed() {
    let scratch = Scratch::new("wasi-rename");
    std::fs::create_dir(scratch.join("before")).unwrap();
    let dir = Dir::open(scratch.join("before")).unwrap();
    std::fs::rename(scratch.join("before"), scratch.join("after")).unwrap();
    let (_, name) = create_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    assert!(scratch.join("after").join(&name).is_file());
    remove_file_at(&dir, &name).unwrap();
    assert!(testkit::entries(&scratch.join("after")).is_empty());
}

#[test]
fn a_cloned_handle_is_the_same_directory_not_its_path() {
    // WASI has no `dup`: the clone is `.` opened relative to the handle,
    // which must stay the directory even after its path names another.
    let scratch = Scratch::new("wasi-clone");
    std::fs::create_dir(scratch.join("d")).unwrap();
    let dir = Dir::open(scratch.join("d")).unwrap();
    std::fs::rename(scratch.join("d"), scratch.join("moved")).unwrap();
    std::fs::create_dir(scratch.join("d")).unwrap();
    let clone = dir.try_clone().unwrap();
    assert_eq!(clone.path(), dir.path());
    let (_, name) = create_file_at(&clone, &mut Template::default(), &FileOptions::new()).unwrap();
    assert!(scratch.join("moved").join(&name).is_file());
    assert!(testkit::entries(&scratch.join("d")).is_empty());
}

#[test]
fn an_existing_name_is_never_opened() {
    let scratch = Scratch::new("wasi-exclusive");
    std::fs::write(scratch.join("taken"), b"theirs").unwrap();
    let dir = Dir::open(scratch.path()).unwrap();
    let mut names = Scripted::new(["taken", "fresh"]);
    let (mut file, name) = create_file_at(&dir, &mut names, &FileOptions::new()).unwrap();
    assert_eq!(name, "fresh");
    file.write_all(b"ours").unwrap();
    assert_eq!(std::fs::read(scratch.join("taken")).unwrap(), b"theirs");
}

#[test]
fn an_anonymous_file_has_no_name_and_works() {
    let scratch = Scratch::new("wasi-anonymous");
    let dir = Dir::open(scratch.path()).unwrap();
    let mut file = anonymous_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    assert!(scratch.entries().is_empty());
    file.write_all(b"data").unwrap();
    file.rewind().unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "data");
}

#[test]
fn the_environment_is_trusted() {
    // No users, no set-user-ID start: TMPDIR is the program's to follow.
    assert!(tempcore::environment_is_trusted());
}

#[test]
fn without_a_usable_candidate_discovery_says_to_preopen_one() {
    let _lock = testkit::process_lock();
    let saved = tempcore::TEMP_DIR_VARS.map(|var| (var, std::env::var_os(var)));
    for (var, _) in &saved {
        // SAFETY: WASI test binaries run one test at a time on one thread.
        unsafe { std::env::remove_var(var) };
    }
    tempcore::reset_temp_dir();
    let result = tempcore::temp_dir();
    for (var, value) in saved
        .iter()
        .filter_map(|(var, value)| Some((var, value.as_ref()?)))
    {
        // SAFETY: as above.
        unsafe { std::env::set_var(var, value) };
    }
    tempcore::reset_temp_dir();
    let err = result.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    let message = err.to_string();
    for part in ["/tmp", "preopen", "TMPDIR"] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert_eq!(tempcore::temp_dir().unwrap(), testkit::temp_dir());
}
