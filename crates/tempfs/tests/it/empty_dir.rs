//! An empty directory path (`Path::new("app.json").parent()` is `Some("")`)
//! is the current directory in every `*_in` form, as in Python's
//! `tempfile` (`dir=""`) and the `tempfile` crate; errors quote the path.

use std::io;

use tempfs::{TempDir, TempFile};
use testkit::Scratch;

#[test]
fn errors_quote_the_path() {
    let scratch = Scratch::new("quote");
    let missing = scratch.join("no such dir");
    let err = TempFile::new_in(&missing).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    let quoted = format!("\"{}\"", missing.display());
    assert!(err.to_string().contains(&quoted), "{err}");
    let err = TempDir::new_in(&missing).unwrap_err();
    assert!(err.to_string().contains(&quoted), "{err}");
}

// Not on WASI: it has no processes to re-run a test in with another
// current directory.
#[cfg(not(target_os = "wasi"))]
mod processes {
    use std::fs;
    use std::path::Path;

    use tempfs::{Builder, NamedTempFile};

    use super::*;

    #[test]
    fn an_empty_directory_is_the_current_one_in_every_in_form() {
        // The current directory is process-wide: change it in a fresh process.
        if !testkit::is_rerun() {
            let scratch = Scratch::new("empty-dir");
            testkit::rerun_self(
                "empty_dir::processes::an_empty_directory_is_the_current_one_in_every_in_form",
                &[],
                &[],
                scratch.path(),
            );
            return;
        }
        let cwd = std::env::current_dir().unwrap();
        let here = |path: &Path| {
            assert_eq!(path.parent(), Some(cwd.as_path()), "{}", path.display());
        };
        let empty = Path::new("app.json").parent().unwrap();
        assert_eq!(empty, Path::new(""));

        here(NamedTempFile::new_in(empty).unwrap().path());
        here(NamedTempFile::with_prefix_in("p", empty).unwrap().path());
        here(NamedTempFile::with_suffix_in("s", empty).unwrap().path());
        here(Builder::new().tempfile_in(empty).unwrap().path());
        let (file, path) = Builder::new().mkstemp_in(empty).unwrap();
        drop(file);
        here(&path);
        fs::remove_file(&path).unwrap();
        let made = Builder::new()
            .make_in(empty, |p| fs::File::create_new(p))
            .unwrap();
        here(made.path());
        drop(made);

        here(TempDir::new_in(empty).unwrap().path());
        here(TempDir::with_prefix_in("p", empty).unwrap().path());
        here(TempDir::with_suffix_in("s", empty).unwrap().path());
        here(tempfs::tempdir_in(empty).unwrap().path());
        here(Builder::new().tempdir_in(empty).unwrap().path());
        let made = Builder::new().mkdtemp_in(empty).unwrap();
        here(&made);
        fs::remove_dir(&made).unwrap();

        // The anonymous forms keep no path: they must succeed, and a linkable
        // one, given a name, is in the current directory.
        tempfs::tempfile_in(empty).unwrap();
        Builder::new().anonymous_in(empty).unwrap();
        let linkable = TempFile::new_in(empty).unwrap();
        linkable.persist(cwd.join("kept")).unwrap();
        fs::remove_file(cwd.join("kept")).unwrap();
        let linkable = Builder::new().temp_file_in(empty).unwrap();
        linkable.persist(cwd.join("kept")).unwrap();
        fs::remove_file(cwd.join("kept")).unwrap();

        assert_eq!(fs::read_dir(&cwd).unwrap().count(), 0, "nothing left over");
    }
}
