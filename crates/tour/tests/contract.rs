//! The public contract of the design (DESIGN.md, kept with the team's
//! notes), spelled the way users and checks outside this repository spell
//! it: every name, with the argument and result types the contract gives
//! it, and the least each one must do. A rename, a changed signature or a
//! lost trait implementation fails to compile here before it breaks
//! anyone else.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The last component of `path`, as text.
fn name_of(path: &Path) -> String {
    path.file_name()
        .expect("a temporary object's path ends in its name")
        .to_string_lossy()
        .into_owned()
}

/// A directory of the test's own, removed at the end.
fn scratch() -> tempfs::TempDir {
    tempfs::TempDir::with_prefix("contract-").expect("a scratch directory")
}

#[test]
fn tempcore_names_discovery_and_creation() -> io::Result<()> {
    let name: OsString = tempcore::random_name("pre-", ".suf", 12)?;
    let name = name.to_str().expect("ASCII");
    assert!(name.starts_with("pre-") && name.ends_with(".suf"));
    assert_eq!(name.len(), "pre-".len() + 12 + ".suf".len());
    assert_eq!(tempcore::DEFAULT_PREFIX, "tmp");

    let discovered: PathBuf = tempcore::temp_dir()?;
    assert!(discovered.is_absolute() && discovered.is_dir());
    // The override, set to what discovery found: the process sees no change.
    tempcore::set_temp_dir(&discovered)?;
    assert_eq!(tempcore::temp_dir()?, discovered);

    // The creation functions, by path and relative to a directory handle.
    let scratch = scratch();
    let dir = tempcore::Dir::open(scratch.path())?;
    let options = tempcore::FileOptions::new();
    let mut names = tempcore::Template::new("f-", "", 10)?;
    let (_file, at_name): (File, OsString) = tempcore::create_file_at(&dir, &mut names, &options)?;
    let (_file, path): (File, PathBuf) =
        tempcore::create_file(scratch.path(), &mut names, &options)?;
    let sub: OsString = tempcore::create_dir_at(&dir, &mut names, tempcore::DIR_MODE)?;
    let sub_path: PathBuf = tempcore::create_dir(scratch.path(), &mut names, tempcore::DIR_MODE)?;
    let _anonymous: File = tempcore::anonymous_file_at(&dir, &mut names, &options)?;
    let _anonymous: File = tempcore::anonymous_file(scratch.path(), &mut names, &options)?;
    assert!(scratch.path().join(&at_name).is_file() && path.is_file());
    assert!(scratch.path().join(&sub).is_dir() && sub_path.is_dir());
    tempcore::remove_file_at(&dir, &at_name)?;
    tempcore::remove_dir_at(&dir, &sub)?;
    assert!(!scratch.path().join(&at_name).exists() && !scratch.path().join(&sub).exists());
    Ok(())
}

#[test]
fn tempfs_anonymous_files() -> io::Result<()> {
    let scratch = scratch();
    let mut file: File = tempfs::tempfile()?;
    file.write_all(b"anonymous")?;
    let _in: File = tempfs::tempfile_in(scratch.path())?;

    let mut temp: tempfs::TempFile = tempfs::TempFile::new()?;
    temp.write_all(b"Some data")?;
    temp.seek(SeekFrom::Start(0))?;
    let mut read = String::new();
    temp.read_to_string(&mut read)?;
    assert_eq!(read, "Some data");
    let _: &File = temp.as_file();
    let target = scratch.path().join("persisted");
    let file: File = temp.persist(&target)?;
    drop(file);
    assert_eq!(std::fs::read(&target)?, b"Some data");

    let again = tempfs::TempFile::new_in(scratch.path())?;
    let refused = again.persist_noclobber(&target).map(drop);
    let error: io::Error = refused.expect_err("the name is taken").into();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    let _: File = tempfs::TempFile::new()?.into_file();
    Ok(())
}

#[test]
fn tempfs_named_files() -> io::Result<()> {
    let scratch = scratch();
    let mut named: tempfs::NamedTempFile = tempfs::NamedTempFile::new()?;
    named.write_all(b"first\n")?;
    (&named).write_all(b"second\n")?;
    let mut reopened: File = named.reopen()?;
    let mut text = String::new();
    reopened.read_to_string(&mut text)?;
    assert_eq!(text, "first\nsecond\n");
    named.seek(SeekFrom::Start(0))?;
    let mut first = [0; 5];
    (&named).read_exact(&mut first)?;
    assert_eq!(&first, b"first");
    let _: &File = named.as_file();
    let _: &mut File = named.as_file_mut();
    let path: &Path = named.path();
    assert!(path.is_file());
    let path = path.to_path_buf();
    named.close()?;
    assert!(!path.exists());

    let prefixed = tempfs::NamedTempFile::with_prefix("pre-")?;
    let suffixed = tempfs::NamedTempFile::with_suffix(".txt")?;
    assert!(name_of(prefixed.path()).starts_with("pre-"));
    assert!(name_of(suffixed.path()).ends_with(".txt"));

    let target = scratch.path().join("named");
    let _: File = tempfs::NamedTempFile::new_in(scratch.path())?.persist(&target)?;
    let refused = tempfs::NamedTempFile::new_in(scratch.path())?.persist_noclobber(&target);
    let error: tempfs::PersistError = refused.map(drop).expect_err("the name is taken");
    let given_back: tempfs::NamedTempFile = error.file;
    assert!(given_back.path().is_file());
    let (_file, kept): (File, PathBuf) = given_back.keep()?;
    assert!(kept.is_file());

    let temp_path: tempfs::TempPath = tempfs::NamedTempFile::new()?.into_temp_path();
    let as_path: &Path = &temp_path;
    let gone = as_path.to_path_buf();
    temp_path.close()?;
    assert!(!gone.exists());
    let persisted = scratch.path().join("from-temp-path");
    tempfs::NamedTempFile::new()?
        .into_temp_path()
        .persist(&persisted)?;
    assert!(persisted.is_file());
    let kept: PathBuf = tempfs::NamedTempFile::new()?.into_temp_path().keep()?;
    assert!(kept.is_file());
    std::fs::remove_file(kept)?;
    Ok(())
}

#[test]
fn tempfs_directories() -> io::Result<()> {
    let scratch = scratch();
    let dir: tempfs::TempDir = tempfs::TempDir::new()?;
    std::fs::write(dir.path().join("inside"), "x")?;
    let path = dir.path().to_path_buf();
    dir.close()?;
    assert!(!path.exists());

    let inside = tempfs::TempDir::new_in(scratch.path())?;
    assert_eq!(inside.path().parent(), Some(scratch.path()));
    let prefixed = tempfs::TempDir::with_prefix("pre-")?;
    assert!(name_of(prefixed.path()).starts_with("pre-"));
    let kept: PathBuf = prefixed.keep();
    assert!(kept.is_dir());
    std::fs::remove_dir(kept)?;
    Ok(())
}

#[test]
fn tempfs_builder_and_low_level_functions() -> io::Result<()> {
    let scratch = scratch();
    let mode = std::fs::metadata(tempfs::NamedTempFile::new()?.path())?.permissions();
    let mut builder: tempfs::Builder = tempfs::Builder::new();
    let _: &mut tempfs::Builder = builder
        .prefix("b-")
        .suffix(".dat")
        .rand_bytes(8)
        .permissions(mode)
        .append(false)
        .disable_cleanup(false)
        .ignore_cleanup_errors(false);
    let built = builder.tempfile_in(scratch.path())?;
    let name = name_of(built.path());
    assert!(name.starts_with("b-") && name.ends_with(".dat"), "{name}");
    assert_eq!(name.len(), "b-".len() + 8 + ".dat".len());
    let named: tempfs::NamedTempFile = tempfs::Builder::new().prefix("b-").tempfile()?;
    assert!(name_of(named.path()).starts_with("b-"));
    let _: tempfs::NamedTempFile = tempfs::Builder::new().tempfile_in(scratch.path())?;
    let dir: tempfs::TempDir = tempfs::Builder::new().tempdir()?;
    let _: tempfs::TempDir = tempfs::Builder::new().tempdir_in(scratch.path())?;
    drop(dir);

    let (_file, path): (File, PathBuf) = tempfs::mkstemp()?;
    assert!(path.is_absolute() && path.is_file());
    std::fs::remove_file(&path)?;
    let made: PathBuf = tempfs::mkdtemp()?;
    assert!(made.is_absolute() && made.is_dir());
    std::fs::remove_dir(&made)?;
    let (_file, path) = tempfs::Builder::new().mkstemp_in(scratch.path())?;
    assert_eq!(path.parent(), Some(scratch.path()));
    let made = tempfs::Builder::new().mkdtemp_in(scratch.path())?;
    assert_eq!(made.parent(), Some(scratch.path()));
    let found: PathBuf = tempfs::temp_dir()?;
    assert_eq!(found, tempcore::temp_dir()?);
    let prefix: &'static str = tempfs::gettempprefix();
    assert_eq!(prefix, "tmp");
    Ok(())
}

#[test]
fn tempspool_spools_and_budgets() -> io::Result<()> {
    let scratch = scratch();
    let mut spool: tempspool::SpooledTempFile = tempspool::SpooledTempFile::new(100);
    spool.write_all(&[b'a'; 60])?;
    assert!(!spool.is_rolled());
    let len: u64 = spool.len();
    assert_eq!(len, 60);
    spool.set_len(40u64)?;
    spool.seek(SeekFrom::Start(0))?;
    let mut back = Vec::new();
    spool.read_to_end(&mut back)?;
    assert_eq!(back, [b'a'; 40]);
    match spool.into_inner()? {
        tempspool::SpooledData::InMemory(cursor) => assert_eq!(cursor.get_ref().len(), 40),
        tempspool::SpooledData::OnDisk(_) => panic!("never rolled"),
    }

    let mut rolled = tempspool::SpooledTempFile::new_in(10, scratch.path());
    rolled.rollover()?;
    assert!(rolled.is_rolled());
    rolled.roll()?;
    rolled.write_all(b"on disk")?;
    let mut file: File = rolled.into_file()?;
    file.seek(SeekFrom::Start(0))?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    assert_eq!(text, "on disk");

    let budget: tempspool::SpoolBudget = tempspool::SpoolBudget::new(1 << 20);
    let mut counted = tempspool::SpooledTempFile::with_budget(0, &budget);
    counted.write_all(&[0; 1000])?;
    assert!(budget.used() >= 1000);
    let mut attached = tempspool::SpooledTempFile::new(0);
    attached.attach(&budget)?;
    drop(counted);
    drop(attached);
    assert_eq!(budget.used(), 0);
    Ok(())
}

#[test]
fn tempkit_root_and_layers() -> io::Result<()> {
    // At the root, the `tempfile` crate's surface, the same types as the
    // layers'.
    let anonymous: File = tempkit::tempfile()?;
    let dir: tempkit::TempDir = tempkit::tempdir()?;
    let in_dir: File = tempkit::tempfile_in(dir.path())?;
    let nested: tempfs::TempDir = tempkit::tempdir_in(dir.path())?;
    let named: tempfs::NamedTempFile = tempkit::NamedTempFile::new_in(&dir)?;
    let path: tempkit::TempPath = named.into_temp_path();
    let builder: tempkit::Builder<'static, 'static> = tempkit::Builder::new();
    let _: &tempfs::Builder = &builder;
    let persist: Option<tempkit::PersistError> = None;
    let path_persist: Option<tempkit::PathPersistError> = None;
    let spool: tempspool::SpooledTempFile = tempkit::spooled_tempfile(8);
    let spool_in: tempkit::SpooledTempFile = tempkit::spooled_tempfile_in(8, dir.path());
    let data: tempkit::SpooledData = spool.into_inner()?;
    assert!(matches!(data, tempkit::SpooledData::InMemory(_)));
    let default: PathBuf = tempkit::env::temp_dir();
    assert!(default.is_absolute());
    let _: fn(&Path) -> Result<(), PathBuf> = tempkit::env::override_temp_dir;
    // The layers, as modules.
    assert_eq!(tempkit::core::DEFAULT_PREFIX, tempcore::DEFAULT_PREFIX);
    let _: tempkit::fs::TempFile = tempkit::fs::TempFile::new_in(dir.path())?;
    let _: tempkit::spool::SpoolBudget = tempkit::spool::SpoolBudget::new(1);
    drop((
        anonymous,
        in_dir,
        nested,
        path,
        persist,
        path_persist,
        spool_in,
    ));
    dir.close()
}

#[test]
fn tempfs_memory_file() -> io::Result<()> {
    let make: fn() -> io::Result<File> = tempfs::memory_file;
    let mut file = make()?;
    file.write_all(&[9; 65536])?;
    file.seek(SeekFrom::Start(0))?;
    let mut back = Vec::new();
    file.read_to_end(&mut back)?;
    assert_eq!(back, vec![9; 65536]);
    Ok(())
}

#[test]
fn tempfs_retention_and_test_directories() -> io::Result<()> {
    // TEMPKIT_KEEP = never | panic | always.
    assert_eq!(tempfs::KEEP_VAR, "TEMPKIT_KEEP");
    for value in ["never", "panic", "always"] {
        assert!(tempfs::Retention::parse(value).is_some(), "{value}");
    }
    let scratch = scratch();
    let kept = tempfs::Builder::new()
        .retention(tempfs::Retention::Always)
        .report_kept(false)
        .tempfile_in(scratch.path())?;
    let path = kept.path().to_path_buf();
    drop(kept);
    assert!(path.exists());
    Ok(())
}

// Not on WASI: its test harness runs every test on the main thread, whose
// name is not the test's.
#[cfg(not(target_os = "wasi"))]
mod test_names {
    use super::*;

    #[test]
    fn tempfs_test_directories() -> io::Result<()> {
        // A directory named after the current test, removed when it passes.
        let dir: tempfs::TempDir = tempfs::testing::tempdir()?;
        assert!(name_of(dir.path()).starts_with("test_names.tempfs_test_directories-"));
        Ok(())
    }
}
