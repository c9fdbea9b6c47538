//! Named files through every lifecycle in Python's table (`delete` ×
//! `delete_on_close`), and the I/O and naming they offer.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};

use tempfs::{Builder, NamedTempFile, TempPath};
use testkit::Scratch;

use crate::file_support::read;

#[test]
fn delete_and_delete_on_close_exists_while_open_gone_after_drop() {
    let scratch = Scratch::new("life-default");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    let path = file.path().to_path_buf();
    assert!(path.is_absolute());
    assert_eq!(path.parent(), Some(scratch.path()));
    file.write_all(b"while open").unwrap();
    assert_eq!(read(&path), "while open");
    drop(file);
    assert!(!path.exists());
    assert!(scratch.entries().is_empty());
}

#[test]
fn close_removes_and_reports_success() {
    let scratch = Scratch::new("life-close");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    let path = file.path().to_path_buf();
    file.close().unwrap();
    assert!(!path.exists());
    assert!(scratch.entries().is_empty());
}

#[test]
fn delete_on_close_false_keeps_the_name_until_the_temp_path_drops() {
    let scratch = Scratch::new("life-temp-path");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    writeln!(file, "for a child process").unwrap();
    let path = file.into_temp_path();
    // The handle is closed; the name and the data stay.
    assert_eq!(read(&path), "for a child process\n");
    std::fs::write(&path, "rewritten by someone else").unwrap();
    let copy = path.to_path_buf();
    drop(path);
    assert!(!copy.exists());
    assert!(scratch.entries().is_empty());
}

#[test]
fn temp_path_close_and_keep() {
    let scratch = Scratch::new("life-temp-path-close");
    let closed = NamedTempFile::new_in(scratch.path())
        .unwrap()
        .into_temp_path();
    let closed_path = closed.to_path_buf();
    closed.close().unwrap();
    assert!(!closed_path.exists());

    let kept = NamedTempFile::new_in(scratch.path())
        .unwrap()
        .into_temp_path();
    let kept = kept.keep().unwrap();
    assert!(kept.exists());
    assert_eq!(scratch.entries(), [kept.file_name().unwrap()]);
}

#[test]
fn into_parts_drops_the_name_but_not_the_file() {
    let scratch = Scratch::new("life-parts");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    let (mut open, path) = file.into_parts();
    let copy = path.to_path_buf();
    drop(path);
    if testkit::removal_is_immediate() {
        assert!(!copy.exists());
    }
    open.write_all(b"still usable").unwrap();
    open.rewind().unwrap();
    let mut back = String::new();
    open.read_to_string(&mut back).unwrap();
    assert_eq!(back, "still usable");
    drop(open);
    assert!(scratch.entries().is_empty());

    // And back together: the name is removed when the whole drops.
    let (open, path) = NamedTempFile::new_in(scratch.path()).unwrap().into_parts();
    let whole = NamedTempFile::from_parts(open, path);
    let copy = whole.path().to_path_buf();
    assert!(copy.exists());
    drop(whole);
    assert!(!copy.exists());
}

#[test]
fn into_file_removes_the_name_and_keeps_the_data() {
    let scratch = Scratch::new("life-into-file");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"kept").unwrap();
    let mut open = file.into_file();
    if testkit::removal_is_immediate() {
        assert!(scratch.entries().is_empty());
    }
    open.rewind().unwrap();
    let mut back = String::new();
    open.read_to_string(&mut back).unwrap();
    assert_eq!(back, "kept");
    drop(open);
    assert!(scratch.entries().is_empty());
}

#[test]
fn delete_false_keeps_the_file_after_drop() {
    let scratch = Scratch::new("life-keep");
    let mut file = Builder::new()
        .disable_cleanup(true)
        .tempfile_in(scratch.path())
        .unwrap();
    file.write_all(b"kept").unwrap();
    let path = file.path().to_path_buf();
    drop(file);
    assert_eq!(read(&path), "kept");

    // As a TempPath too.
    let path = Builder::new()
        .disable_cleanup(true)
        .tempfile_in(scratch.path())
        .unwrap()
        .into_temp_path();
    let copy = path.to_path_buf();
    drop(path);
    assert!(copy.exists());
    assert_eq!(scratch.entries().len(), 2);
}

#[test]
fn disable_cleanup_can_be_switched_back() {
    let scratch = Scratch::new("life-switch");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.disable_cleanup(true);
    file.disable_cleanup(false);
    drop(file);
    let mut path = NamedTempFile::new_in(scratch.path())
        .unwrap()
        .into_temp_path();
    path.disable_cleanup(true);
    let copy = path.to_path_buf();
    drop(path);
    assert_eq!(scratch.entries(), [copy.file_name().unwrap()]);
}

#[test]
fn keep_returns_the_open_file_and_its_path() {
    let scratch = Scratch::new("life-keep-late");
    let mut file = NamedTempFile::new_in(scratch.path()).unwrap();
    file.write_all(b"decided late").unwrap();
    let expected = file.path().to_path_buf();
    let (mut open, path) = file.keep().unwrap();
    assert_eq!(path, expected);
    open.write_all(b", still open").unwrap();
    assert_eq!(read(&path), "decided late, still open");
}

#[test]
fn manual_deletion_before_drop_or_close_is_no_error() {
    let scratch = Scratch::new("life-manual");
    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    std::fs::remove_file(file.path()).unwrap();
    drop(file);

    let file = NamedTempFile::new_in(scratch.path()).unwrap();
    std::fs::remove_file(file.path()).unwrap();
    file.close().unwrap();

    let path = NamedTempFile::new_in(scratch.path())
        .unwrap()
        .into_temp_path();
    std::fs::remove_file(&path).unwrap();
    path.close().unwrap();
    assert!(scratch.entries().is_empty());
}

#[test]
fn read_write_seek_on_the_file_and_on_a_shared_reference() {
    let mut file = NamedTempFile::new().unwrap();
    file.write_all(b"Some data").unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "Some data");

    let shared: &NamedTempFile = &file;
    let mut writer = shared;
    writer.write_all(b", more").unwrap();
    let mut reader = shared;
    reader.seek(SeekFrom::Start(5)).unwrap();
    let mut tail = String::new();
    reader.read_to_string(&mut tail).unwrap();
    assert_eq!(tail, "data, more");
}

#[test]
fn text_lines_round_trip() {
    let mut file = NamedTempFile::new().unwrap();
    writeln!(file, "first").unwrap();
    writeln!(file, "second").unwrap();
    file.rewind().unwrap();
    let lines: Vec<String> = BufReader::new(file).lines().map(Result::unwrap).collect();
    assert_eq!(lines, ["first", "second"]);
}

#[test]
fn prefix_suffix_and_length_shape_the_name() {
    let scratch = Scratch::new("life-names");
    let file = NamedTempFile::with_prefix_in("prefix_", scratch.path()).unwrap();
    let name = file.utf8_path().unwrap().file_name().unwrap().to_owned();
    assert!(
        name.starts_with("prefix_") && name.len() == 7 + 13,
        "{name}"
    );

    let file = NamedTempFile::with_suffix_in("_suffix", scratch.path()).unwrap();
    let name = file.utf8_path().unwrap().file_name().unwrap().to_owned();
    assert!(
        name.starts_with("tmp") && name.ends_with("_suffix"),
        "{name}"
    );

    let file = Builder::new()
        .prefix("")
        .suffix(".txt")
        .rand_bytes(20)
        .tempfile_in(scratch.path())
        .unwrap();
    let name = file.utf8_path().unwrap().file_name().unwrap().to_owned();
    assert_eq!(name.len(), 24, "{name}");
    assert!(name[..20].bytes().all(|b| tempcore::ALPHABET.contains(&b)));

    // The default directory and prefix.
    let file = NamedTempFile::new().unwrap();
    assert_eq!(file.path().parent().unwrap(), tempfs::temp_dir().unwrap());
    let name = file.path().file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with(tempfs::gettempprefix()));
    let file = NamedTempFile::with_prefix("p-").unwrap();
    assert!(
        file.utf8_path()
            .unwrap()
            .file_name()
            .unwrap()
            .starts_with("p-")
    );
    let file = NamedTempFile::with_suffix(".s").unwrap();
    assert!(file.utf8_path().unwrap().as_str().ends_with(".s"));
}

#[test]
fn mkstemp_leaves_the_file_to_the_caller() {
    let scratch = Scratch::new("life-mkstemp");
    let (mut file, path) = Builder::new()
        .prefix("m-")
        .mkstemp_in(scratch.path())
        .unwrap();
    file.write_all(b"mine").unwrap();
    drop(file);
    assert!(path.is_absolute());
    assert_eq!(read(&path), "mine");
    assert!(
        path.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("m-")
    );

    let (file, path) = tempfs::mkstemp().unwrap();
    drop(file);
    assert_eq!(path.parent().unwrap(), tempfs::temp_dir().unwrap());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn temp_path_adopts_an_existing_path() {
    let scratch = Scratch::new("life-adopt");
    let target = scratch.join("made-by-someone");
    std::fs::write(&target, "x").unwrap();
    let adopted = TempPath::try_from_path(&target).unwrap();
    assert_eq!(&*adopted, target.as_path());
    drop(adopted);
    assert!(!target.exists());

    let err = TempPath::try_from_path(scratch.join("x/")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn make_creates_through_the_callers_closure() {
    let scratch = Scratch::new("life-make");
    let mut tries = 0;
    let made = Builder::new()
        .prefix("made-")
        .make_in(scratch.path(), |path| {
            tries += 1;
            if tries < 3 {
                // As if something were already there: the next name is tried.
                return Err(std::io::ErrorKind::AlreadyExists.into());
            }
            std::fs::File::create_new(path)
        })
        .unwrap();
    assert_eq!(tries, 3);
    assert!(made.path().exists());
    drop(made);
    assert!(scratch.entries().is_empty());

    let err = Builder::new()
        .make_in(scratch.path(), |_| -> std::io::Result<()> {
            Err(std::io::ErrorKind::PermissionDenied.into())
        })
        .unwrap_err();
    crate::file_support::assert_names(&err, std::io::ErrorKind::PermissionDenied, scratch.path());
}

// Not on WASI: it has no threads.
#[cfg(not(target_os = "wasi"))]
mod threads {
    use super::*;

    #[test]
    fn files_can_move_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<NamedTempFile>();
        send_sync::<TempPath>();
        send_sync::<tempfs::TempFile>();
        send_sync::<tempfs::PersistError>();
        send_sync::<tempfs::PathPersistError>();
        send_sync::<tempfs::TempFilePersistError>();
        let file = NamedTempFile::new().unwrap();
        let path = std::thread::spawn(move || file.path().to_path_buf())
            .join()
            .unwrap();
        assert!(!path.exists(), "dropped in the other thread");
    }
}
