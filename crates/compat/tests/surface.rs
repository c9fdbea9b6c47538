//! A program written the `tempfile` crate's way, compiled against `tempkit`
//! under the name `tempfile` (see `Cargo.toml`): every public name of the
//! crate, called with the argument types and generic arguments users pass
//! (`&str`, `String`, `&OsStr`, `&Path`, `PathBuf`, borrowed and owned),
//! its results spelled with the crate's types, its trait implementations
//! used as the crate's users use them, and the least each must do.
//!
//! Where we differ from the crate on purpose, the test says so beside the
//! call (`// Differs:`); `docs/guide.md` lists every difference.
#![allow(
    clippy::unnecessary_to_owned,
    reason = "owned arguments are what some users pass: the signatures must take them"
)]

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::{
    Builder, NamedTempFile, PathPersistError, PersistError, SpooledData, SpooledTempFile, TempDir,
    TempPath, env, spooled_tempfile, spooled_tempfile_in, tempdir, tempdir_in, tempfile,
    tempfile_in,
};

/// The last component of `path`, as text.
fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Reads a whole file from its start, as users do.
fn contents(mut file: impl Read + Seek) -> String {
    file.seek(SeekFrom::Start(0)).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

/// Every type users move across threads or store in shared state.
fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_types_are_send_and_sync() {
    assert_send_sync::<NamedTempFile>();
    assert_send_sync::<NamedTempFile<File>>();
    assert_send_sync::<TempPath>();
    assert_send_sync::<TempDir>();
    assert_send_sync::<SpooledTempFile>();
    assert_send_sync::<SpooledData>();
    assert_send_sync::<PersistError>();
    assert_send_sync::<PathPersistError>();
    assert_send_sync::<Builder<'static, 'static>>();
}

#[test]
fn free_functions_have_the_crate_signatures() -> io::Result<()> {
    // As function pointers: the exact argument and result types.
    let anonymous: fn() -> io::Result<File> = tempfile;
    let directory: fn() -> io::Result<TempDir> = tempdir;
    let spool: fn(usize) -> SpooledTempFile = spooled_tempfile;
    let read_dir: fn() -> PathBuf = env::temp_dir;
    let override_dir: fn(&Path) -> Result<(), PathBuf> = env::override_temp_dir;
    let _ = (read_dir, override_dir);

    let mut file = anonymous()?;
    file.write_all(b"anonymous")?;
    assert_eq!(contents(&mut file), "anonymous");

    let dir = directory()?;
    assert!(dir.path().is_dir());
    // The `_in` forms take anything that is `AsRef<Path>`.
    let in_path: File = tempfile_in(dir.path())?;
    let in_buf: File = tempfile_in(dir.path().to_path_buf())?;
    let in_str: File = tempfile_in(dir.path().to_str().unwrap())?;
    let in_string: File = tempfile_in(dir.path().to_string_lossy().into_owned())?;
    let in_dir: File = tempfile_in(&dir)?;
    drop((in_path, in_buf, in_str, in_string, in_dir));
    assert_eq!(
        fs::read_dir(dir.path())?.count(),
        0,
        "anonymous files have no name"
    );

    let nested: TempDir = tempdir_in(&dir)?;
    assert_eq!(nested.path().parent(), Some(dir.path()));
    let nested_str: TempDir = tempdir_in(dir.path().to_str().unwrap())?;
    drop((nested, nested_str));

    let mut small = spool(16);
    small.write_all(b"small")?;
    assert!(!small.is_rolled());
    let mut there = spooled_tempfile_in(1, dir.path());
    there.write_all(b"two")?;
    assert!(there.is_rolled());
    let _: SpooledTempFile = spooled_tempfile_in(1, dir.path().to_path_buf());
    // Windows keeps an open file's name: nothing may be open at `close`.
    drop((small, there));
    dir.close()
}

#[test]
fn builder_options_and_constructors() -> io::Result<()> {
    let dir = tempdir()?;
    // The setters borrow what they are given and return `&mut Builder`.
    let prefix = String::from("pre-");
    let suffix = OsString::from(".suf");
    let named = Builder::new()
        .prefix(&prefix)
        .suffix(&suffix)
        .rand_bytes(10)
        .append(false)
        .disable_cleanup(false)
        .tempfile_in(&dir)?;
    let name = name_of(named.path());
    assert!(name.starts_with("pre-") && name.ends_with(".suf"));
    assert_eq!(name.len(), "pre-".len() + 10 + ".suf".len());

    // `&str`, `&OsStr` and `&Path` are all `AsRef<OsStr> + ?Sized`.
    let mut builder = Builder::new();
    builder.prefix("a-").suffix(OsStr::new(".b"));
    builder.prefix(Path::new("c-"));
    let built = builder.tempfile_in(dir.path())?;
    assert!(name_of(built.path()).starts_with("c-"));

    // The crate's spelling with its two lifetimes, and the derived traits.
    fn configured<'a, 'b>(prefix: &'a str, suffix: &'b str) -> Builder<'a, 'b> {
        let mut builder = Builder::new();
        builder.prefix(prefix).suffix(suffix);
        builder
    }
    let kept: Builder<'static, 'static> = configured("kept-", ".txt");
    let copy: Builder<'_, '_> = kept.clone();
    assert_eq!(copy, kept);
    assert_ne!(kept, Builder::default());
    assert!(!format!("{kept:?}").is_empty());

    // Files, directories and `make`, in the default directory and in `dir`.
    let default_file: NamedTempFile = Builder::new().tempfile()?;
    assert!(default_file.path().exists());
    let default_dir: TempDir = Builder::new().prefix("built-").tempdir()?;
    assert!(name_of(default_dir.path()).starts_with("built-"));
    let inside: TempDir = Builder::new().tempdir_in(dir.path())?;
    assert_eq!(inside.path().parent(), Some(dir.path()));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = Builder::new()
            .permissions(fs::Permissions::from_mode(0o600))
            .tempfile_in(&dir)?;
        assert_eq!(
            private.as_file().metadata()?.permissions().mode() & 0o777,
            0o600
        );
    }

    // `make` runs the closure with a fresh path until it does not fail
    // with `AlreadyExists`; the result is a `NamedTempFile<R>`.
    let mut tries = 0;
    let made: NamedTempFile<File> = Builder::new().make_in(&dir, |path: &Path| {
        tries += 1;
        File::create_new(path)
    })?;
    assert_eq!(tries, 1);
    assert!(made.path().starts_with(dir.path()));
    let marker: NamedTempFile<PathBuf> = Builder::new().make(|path| Ok(path.to_path_buf()))?;
    assert_eq!(marker.as_file(), marker.path());
    assert!(!marker.path().exists(), "make creates nothing itself");
    drop(marker);

    // The deprecated spelling of `disable_cleanup`.
    #[allow(
        deprecated,
        reason = "the crate's deprecated name is part of its surface"
    )]
    let kept_file = Builder::new().keep(true).tempfile_in(&dir)?;
    let kept_path = kept_file.path().to_path_buf();
    drop(kept_file);
    assert!(kept_path.exists());
    fs::remove_file(kept_path)?;

    let mut appending = Builder::new().append(true).tempfile_in(&dir)?;
    appending.write_all(b"one")?;
    appending.seek(SeekFrom::Start(0))?;
    appending.write_all(b"two")?;
    assert_eq!(contents(appending.reopen()?), "onetwo");
    drop((named, built, made, default_file, default_dir, inside));
    drop(appending);
    dir.close()
}

#[test]
fn named_temp_file_constructors() -> io::Result<()> {
    let dir = tempdir()?;
    let files: Vec<NamedTempFile> = vec![
        NamedTempFile::new()?,
        NamedTempFile::new_in(&dir)?,
        NamedTempFile::new_in(dir.path())?,
        NamedTempFile::with_prefix("p-")?,
        NamedTempFile::with_prefix(String::from("p-"))?,
        NamedTempFile::with_prefix_in("p-", &dir)?,
        NamedTempFile::with_suffix(".s")?,
        NamedTempFile::with_suffix(OsString::from(".s"))?,
        NamedTempFile::with_suffix_in(".s", dir.path().to_path_buf())?,
    ];
    for file in &files {
        assert!(file.path().is_absolute() && file.path().exists());
    }
    assert!(name_of(files[3].path()).starts_with("p-"));
    assert!(name_of(files[8].path()).ends_with(".s"));
    assert_eq!(files[5].path().parent(), Some(dir.path()));
    // Differs: our default prefix is Python's `tmp`; the crate's is `.tmp`.
    assert!(name_of(files[0].path()).starts_with("tmp"));
    let paths: Vec<PathBuf> = files.iter().map(|f| f.path().to_path_buf()).collect();
    drop(files);
    assert!(paths.iter().all(|p| !p.exists()));
    dir.close()
}

#[test]
fn named_temp_file_io_and_handles() -> io::Result<()> {
    let mut file = NamedTempFile::new()?;
    // `Write`, `Read` and `Seek` on the file and on a shared reference.
    writeln!(file, "line")?;
    (&file).write_all(b"shared\n")?;
    file.flush()?;
    (&file).seek(SeekFrom::Start(0))?;
    let mut back = String::new();
    (&file).read_to_string(&mut back)?;
    assert_eq!(back, "line\nshared\n");
    assert_eq!(contents(&mut file), "line\nshared\n");

    let reopened: File = file.reopen()?;
    assert_eq!(contents(reopened), "line\nshared\n");
    let borrowed: &File = file.as_file();
    assert_eq!(borrowed.metadata()?.len(), 12);
    let mutable: &mut File = file.as_file_mut();
    mutable.set_len(4)?;
    let as_path: &Path = file.as_ref();
    assert_eq!(as_path, file.path());
    assert!(format!("{file:?}").contains(&name_of(file.path())));

    let mut cleanup_off = NamedTempFile::new()?;
    cleanup_off.disable_cleanup(true);
    cleanup_off.disable_cleanup(false);
    let gone = cleanup_off.path().to_path_buf();
    cleanup_off.close()?;
    assert!(!gone.exists());

    let path = file.path().to_path_buf();
    let inner: File = file.into_file();
    drop(inner);
    assert!(!path.exists(), "into_file leaves the name to be removed");
    Ok(())
}

#[cfg(unix)]
#[test]
fn named_temp_file_is_a_descriptor() -> io::Result<()> {
    use std::os::fd::{AsFd, AsRawFd};
    let file = NamedTempFile::new()?;
    assert_eq!(file.as_fd().as_raw_fd(), file.as_raw_fd());
    assert_eq!(file.as_raw_fd(), file.as_file().as_raw_fd());
    Ok(())
}

#[cfg(windows)]
#[test]
fn named_temp_file_is_a_handle() -> io::Result<()> {
    use std::os::windows::io::{AsHandle, AsRawHandle};
    let file = NamedTempFile::new()?;
    assert_eq!(file.as_handle().as_raw_handle(), file.as_raw_handle());
    Ok(())
}

#[test]
fn named_temp_file_persist_keep_and_parts() -> io::Result<()> {
    let dir = tempdir()?;
    let target = dir.path().join("target.txt");

    let mut file = NamedTempFile::new_in(&dir)?;
    file.write_all(b"persisted")?;
    let persisted: File = file.persist(&target)?;
    drop(persisted);
    assert_eq!(fs::read_to_string(&target)?, "persisted");

    // A failed persist gives the file back, with the crate's public fields.
    let file = NamedTempFile::new_in(&dir)?;
    let failure: PersistError = file.persist_noclobber(&target).unwrap_err();
    assert_eq!(failure.error.kind(), io::ErrorKind::AlreadyExists);
    assert!(!failure.to_string().is_empty());
    assert!(!format!("{failure:?}").is_empty());
    let source: &dyn std::error::Error = &failure;
    let _ = source.source();
    let back: NamedTempFile = NamedTempFile::from(failure);
    let PersistError { error, file } = back.persist_noclobber(target.as_path()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    let as_io: io::Error = file.persist_noclobber(&target).unwrap_err().into();
    assert_eq!(as_io.kind(), io::ErrorKind::AlreadyExists);

    let fresh = dir.path().join("fresh.txt");
    let file = NamedTempFile::new_in(&dir)?;
    let _: File = file.persist_noclobber(fresh.to_str().unwrap())?;
    assert!(fresh.exists());

    let (kept_file, kept_path): (File, PathBuf) = NamedTempFile::new_in(&dir)?.keep()?;
    drop(kept_file);
    assert!(kept_path.exists());

    // into_parts / from_parts, with the default and another `F`.
    let (file, path): (File, TempPath) = NamedTempFile::new_in(&dir)?.into_parts();
    let rejoined: NamedTempFile<File> = NamedTempFile::from_parts(file, path);
    let with_cursor: NamedTempFile<Cursor<Vec<u8>>> =
        NamedTempFile::from_parts(Cursor::new(Vec::new()), rejoined.into_temp_path());
    let mut with_cursor = with_cursor;
    with_cursor.write_all(b"in memory")?;
    assert_eq!(contents(with_cursor.as_file_mut()), "in memory");
    let cursor_failure: Result<Cursor<Vec<u8>>, PersistError<Cursor<Vec<u8>>>> =
        with_cursor.persist_noclobber(&target);
    let cursor_back: NamedTempFile<Cursor<Vec<u8>>> = cursor_failure.unwrap_err().file;
    let removed = cursor_back.path().to_path_buf();
    cursor_back.close()?;
    assert!(!removed.exists());
    dir.close()
}

#[test]
fn temp_path_lifecycle() -> io::Result<()> {
    let dir = tempdir()?;
    let mut file = NamedTempFile::new_in(&dir)?;
    file.write_all(b"for a child process")?;
    let path: TempPath = file.into_temp_path();
    // `Deref<Target = Path>`, `AsRef<Path>`, `AsRef<OsStr>`, `Debug`.
    assert_eq!(fs::read_to_string(&*path)?, "for a child process");
    let as_path: &Path = path.as_ref();
    let as_os: &OsStr = path.as_ref();
    assert_eq!(as_path.as_os_str(), as_os);
    assert!(path.is_absolute() && path.exists());
    assert_eq!(format!("{path:?}"), format!("{:?}", as_path));
    let copy = path.to_path_buf();
    path.close()?;
    assert!(!copy.exists());

    let target = dir.path().join("kept.txt");
    NamedTempFile::new_in(&dir)?
        .into_temp_path()
        .persist(&target)?;
    assert!(target.exists());
    let failure: PathPersistError = NamedTempFile::new_in(&dir)?
        .into_temp_path()
        .persist_noclobber(&target)
        .unwrap_err();
    assert_eq!(failure.error.kind(), io::ErrorKind::AlreadyExists);
    assert!(!failure.to_string().is_empty());
    let back: TempPath = TempPath::from(failure);
    let PathPersistError { error, path } = back.persist_noclobber(&target).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    let as_io: io::Error = path.persist_noclobber(target.clone()).unwrap_err().into();
    assert_eq!(as_io.kind(), io::ErrorKind::AlreadyExists);

    let mut kept = NamedTempFile::new_in(&dir)?.into_temp_path();
    kept.disable_cleanup(true);
    let kept_path = kept.to_path_buf();
    drop(kept);
    assert!(kept_path.exists());
    let kept_for_good: PathBuf = TempPath::try_from_path(&kept_path)?.keep()?;
    assert_eq!(kept_for_good, kept_path);
    assert!(kept_path.exists());
    drop(TempPath::try_from_path(kept_path.clone())?);
    assert!(!kept_path.exists());
    dir.close()
}

mod from_path {
    //! `TempPath::from_path`, deprecated in the crate and here: it never
    //! fails, and removes what it adopted.
    #![allow(deprecated, reason = "the crate's deprecated name is what is tested")]

    use super::*;

    #[test]
    fn adopts_a_file_and_removes_it() -> io::Result<()> {
        let dir = tempdir()?;
        let report = dir.path().join("report.txt");
        fs::write(&report, b"from elsewhere")?;
        let adopted: TempPath = TempPath::from_path(&report);
        assert_eq!(&*adopted, report.as_path());
        drop(adopted);
        assert!(!report.exists());
        // A `String` is `Into<PathBuf>`, and nothing at the path is fine.
        // Differs: closing a path with nothing at it succeeds (the name is
        // gone, as asked); the crate returns `NotFound`.
        let missing = dir.path().join("missing.txt");
        TempPath::from_path(missing.to_str().unwrap().to_string()).close()?;
        dir.close()
    }

    #[test]
    fn makes_a_relative_path_absolute() {
        let relative = "compat-from-path-never-created.txt";
        let adopted = TempPath::from_path(relative);
        assert_eq!(&*adopted, std::env::current_dir().unwrap().join(relative));
    }

    #[test]
    fn never_fails_even_without_a_file_name() -> io::Result<()> {
        let dir = tempdir()?;
        let empty = TempPath::from_path("");
        drop(empty);
        let no_name = TempPath::from_path(dir.path().join(".."));
        drop(no_name);
        assert!(dir.path().is_dir(), "a path ending in `..` removes nothing");
        dir.close()
    }

    #[test]
    fn a_directory_made_after_adoption_is_opened_at_removal() -> io::Result<()> {
        let dir = tempdir()?;
        let later = dir.path().join("later");
        let file = later.join("out.txt");
        let adopted = TempPath::from_path(&file);
        fs::create_dir(&later)?;
        fs::write(&file, b"written after adoption")?;
        assert_eq!(fs::read_to_string(&adopted)?, "written after adoption");
        drop(adopted);
        assert!(!file.exists());
        dir.close()
    }

    #[cfg(unix)]
    #[test]
    fn removal_stays_in_the_directory_opened_at_adoption() -> io::Result<()> {
        // The directory is moved away and its path made a symbolic link to
        // another one holding a file of the same name: that file stays.
        // Differs: the crate removes by path, following the link.
        let dir = tempdir()?;
        let work = dir.path().join("work");
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&work)?;
        fs::create_dir(&elsewhere)?;
        fs::write(work.join("out.txt"), b"ours")?;
        fs::write(elsewhere.join("out.txt"), b"not ours")?;
        let adopted = TempPath::from_path(work.join("out.txt"));
        let moved = dir.path().join("moved");
        fs::rename(&work, &moved)?;
        std::os::unix::fs::symlink(&elsewhere, &work)?;
        drop(adopted);
        assert_eq!(fs::read_to_string(elsewhere.join("out.txt"))?, "not ours");
        assert!(
            !moved.join("out.txt").exists(),
            "ours is removed where it is"
        );
        dir.close()
    }
}

#[test]
fn temp_dir_lifecycle() -> io::Result<()> {
    let parent = TempDir::new()?;
    let dirs: Vec<TempDir> = vec![
        TempDir::new_in(&parent)?,
        TempDir::new_in(parent.path().to_str().unwrap())?,
        TempDir::with_prefix("pre-")?,
        TempDir::with_prefix(OsStr::new("pre-"))?,
        TempDir::with_suffix(".d")?,
        TempDir::with_suffix(String::from(".d"))?,
        TempDir::with_prefix_in("pre-", &parent)?,
        TempDir::with_suffix_in(".d", parent.path())?,
    ];
    assert!(name_of(dirs[2].path()).starts_with("pre-"));
    assert!(name_of(dirs[4].path()).ends_with(".d"));
    assert_eq!(dirs[6].path().parent(), Some(parent.path()));
    assert_eq!(dirs[7].path().parent(), Some(parent.path()));
    let as_path: &Path = dirs[0].as_ref();
    assert_eq!(as_path, dirs[0].path());
    assert!(!format!("{:?}", dirs[0]).is_empty());
    drop(dirs);

    let dir = TempDir::new_in(&parent)?;
    fs::write(dir.path().join("inside"), b"x")?;
    let path = dir.path().to_path_buf();
    dir.close()?;
    assert!(!path.exists());

    let kept: PathBuf = TempDir::new_in(&parent)?.keep();
    assert!(kept.is_dir());
    #[allow(
        deprecated,
        reason = "the crate's deprecated name is part of its surface"
    )]
    let into: PathBuf = TempDir::new_in(&parent)?.into_path();
    assert!(into.is_dir());
    let mut off = TempDir::new_in(&parent)?;
    off.disable_cleanup(true);
    let off_path = off.path().to_path_buf();
    drop(off);
    assert!(off_path.is_dir());
    parent.close()
}

#[test]
fn spooled_temp_file() -> io::Result<()> {
    let dir = tempdir()?;
    let mut spool: SpooledTempFile = SpooledTempFile::new(10);
    spool.write_all(b"0123456789")?;
    assert!(!spool.is_rolled());
    spool.write_all(b"a")?;
    assert!(spool.is_rolled(), "past max_size, on disk");
    assert_eq!(contents(&mut spool), "0123456789a");
    spool.set_len(4)?;
    assert_eq!(contents(&mut spool), "0123");
    assert!(!format!("{spool:?}").is_empty());

    let mut in_dir = SpooledTempFile::new_in(1 << 20, &dir);
    in_dir.write_all(b"memory")?;
    in_dir.roll()?;
    assert!(in_dir.is_rolled());
    let _: SpooledTempFile = SpooledTempFile::new_in(8, dir.path().to_str().unwrap());

    // Differs: `into_inner` and `into_file` return a `Result` (writing out
    // the buffer can fail, and the error gives the spool back); `?` turns
    // it into an `io::Error`.
    let mut memory = spooled_tempfile(64);
    memory.write_all(b"kept in memory")?;
    match memory.into_inner()? {
        SpooledData::InMemory(cursor) => {
            let bytes: Vec<u8> = cursor.into_inner();
            assert_eq!(bytes, b"kept in memory");
        }
        SpooledData::OnDisk(_) => panic!("never rolled over"),
    }
    match in_dir.into_inner()? {
        SpooledData::OnDisk(file) => assert_eq!(contents(file), "memory"),
        SpooledData::InMemory(_) => panic!("rolled over"),
    }
    let mut to_file = spooled_tempfile_in(64, &dir);
    to_file.write_all(b"as a file")?;
    let file: File = to_file.into_file()?;
    assert_eq!(contents(file), "as a file");
    assert!(!format!("{:?}", SpooledData::InMemory(Cursor::new(vec![1]))).is_empty());
    dir.close()
}

#[test]
fn the_layers_are_modules() -> io::Result<()> {
    // Beyond the crate: the layers, whole, and the same types as the root.
    let linkable: tempfile::fs::TempFile = tempfile::fs::TempFile::new()?;
    drop(linkable);
    let budget = tempfile::spool::SpoolBudget::new(1024);
    let spool: SpooledTempFile = SpooledTempFile::with_budget(64, &budget);
    drop(spool);
    let name = tempfile::core::random_name("x-", "", 8)?;
    assert_eq!(name.len(), 10);
    let builder: tempfile::fs::Builder = Builder::new();
    let _: Builder<'_, '_> = builder;
    let _: PathBuf = env::temp_dir();
    Ok(())
}

/// The crate's generic parameters, named with a turbofish as some users
/// write them: the same parameters, in the same order.
#[test]
fn generic_parameters_take_a_turbofish() -> io::Result<()> {
    let dir = tempdir()?;
    let d: &Path = dir.path();
    drop(tempfile_in::<&Path>(d)?);
    drop(Builder::new().tempfile_in::<&Path>(d)?);
    drop(Builder::new().tempdir_in::<&Path>(d)?);
    drop(
        Builder::new()
            .make::<_, File>(|path| File::create_new(path))?
            .into_temp_path(),
    );
    drop(Builder::new().make_in::<_, File, &Path>(d, |path| File::create_new(path))?);
    drop(NamedTempFile::new_in::<&Path>(d)?);
    drop(NamedTempFile::with_prefix::<&str>("p")?);
    drop(NamedTempFile::with_prefix_in::<&str, &Path>("p", d)?);
    drop(NamedTempFile::with_suffix::<&str>(".s")?);
    drop(NamedTempFile::with_suffix_in::<&str, &Path>(".s", d)?);
    drop(TempDir::new_in::<&Path>(d)?);
    drop(TempDir::with_prefix::<&str>("p")?);
    drop(TempDir::with_prefix_in::<&str, &Path>("p", d)?);
    drop(tempdir_in::<&Path>(d)?);
    let kept = d.join("kept");
    NamedTempFile::new_in(d)?.persist::<&Path>(&kept)?;
    NamedTempFile::new_in(d)?
        .persist_noclobber::<PathBuf>(d.join("kept2"))
        .map(drop)?;
    let path = NamedTempFile::new_in(d)?.into_temp_path();
    path.persist::<&Path>(&d.join("kept3"))?;
    let path = NamedTempFile::new_in(d)?.into_temp_path();
    path.persist_noclobber::<&Path>(&d.join("kept4"))?;
    drop(spooled_tempfile_in::<&Path>(10, d));
    drop(SpooledTempFile::new_in::<&Path>(10, d));
    assert_eq!(fs::read_dir(d)?.count(), 4);
    Ok(())
}
