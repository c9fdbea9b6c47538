//! Bad input gets a clear error naming what was wrong, and leaves nothing
//! behind: separators and NUL in a prefix or suffix, a missing directory,
//! a file where a directory should be.

use std::io;
use std::path::Path;

use tempfs::Builder;
use testkit::Scratch;

use crate::file_support::assert_names;

/// Every constructor of a file, in `dir`, with `builder`'s options.
fn every_constructor(builder: &Builder, dir: &Path) -> Vec<(&'static str, io::Error)> {
    let mut errors = Vec::new();
    let mut push = |what, result: io::Result<()>| {
        if let Err(e) = result {
            errors.push((what, e));
        }
    };
    push("anonymous_in", builder.anonymous_in(dir).map(drop));
    push("tempfile_in", builder.tempfile_in(dir).map(drop));
    push("temp_file_in", builder.temp_file_in(dir).map(drop));
    push("mkstemp_in", builder.mkstemp_in(dir).map(drop));
    push(
        "make_in",
        builder
            .make_in(dir, |p| std::fs::File::create_new(p))
            .map(drop),
    );
    errors
}

#[test]
fn separator_or_nul_in_prefix_or_suffix_is_invalid_input() {
    let scratch = Scratch::new("bad-affix");
    for (prefix, suffix, named) in [
        ("a/b", "", "prefix"),
        ("a\0b", "", "prefix"),
        ("", "/x", "suffix"),
        ("", "x\0", "suffix"),
    ] {
        let mut builder = Builder::new();
        builder.prefix(prefix).suffix(suffix);
        let errors = every_constructor(&builder, scratch.path());
        assert_eq!(
            errors.len(),
            5,
            "every constructor refuses {prefix:?}{suffix:?}"
        );
        for (what, err) in errors {
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{what}: {err}");
            assert!(err.to_string().contains(named), "{what}: {err}");
        }
        // The default directory's forms refuse before touching anything.
        for result in [
            builder.anonymous().map(drop),
            builder.tempfile().map(drop),
            builder.temp_file().map(drop),
            builder.mkstemp().map(drop),
        ] {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        }
    }
    for prefix in ["a/b", "a\0"] {
        let err = tempfs::NamedTempFile::with_prefix_in(prefix, scratch.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = tempfs::NamedTempFile::with_suffix_in(prefix, scratch.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
    assert!(scratch.entries().is_empty());
}

#[test]
fn too_long_a_name_is_invalid_input_not_a_retry() {
    let scratch = Scratch::new("bad-long");
    let mut builder = Builder::new();
    builder.prefix(&"p".repeat(250));
    let errors = every_constructor(&builder, scratch.path());
    assert_eq!(errors.len(), 5);
    for (what, err) in errors {
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{what}: {err}");
    }
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_huge_rand_bytes_is_invalid_input_for_every_constructor() {
    // usize::MAX once overflowed the name's length sum: a panic in a debug
    // build, and in a release build a wrapped length that was accepted and
    // a name generated until the allocator gave up.
    let scratch = Scratch::new("bad-rand");
    for rand in [usize::MAX, usize::MAX - 3, usize::MAX / 2 + 1, 256] {
        let mut builder = Builder::new();
        builder.rand_bytes(rand);
        let errors = every_constructor(&builder, scratch.path());
        assert_eq!(errors.len(), 5, "every constructor refuses {rand}");
        for (what, err) in errors {
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{what}: {err}");
            assert!(err.to_string().contains("random part"), "{what}: {err}");
        }
        let err = builder.tempdir_in(scratch.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "tempdir_in: {err}");
    }
    assert!(scratch.entries().is_empty());
}

#[test]
fn missing_directory_is_not_found_naming_it() {
    let scratch = Scratch::new("bad-missing");
    let missing = scratch.join("no-such-dir");
    let errors = every_constructor(&Builder::new(), &missing);
    assert_eq!(errors.len(), 5);
    for (_, err) in errors {
        assert_names(&err, io::ErrorKind::NotFound, &missing);
    }
    for err in [
        tempfs::tempfile_in(&missing).unwrap_err(),
        tempfs::TempFile::new_in(&missing).unwrap_err(),
        tempfs::NamedTempFile::new_in(&missing).unwrap_err(),
    ] {
        assert_names(&err, io::ErrorKind::NotFound, &missing);
    }
    assert!(scratch.entries().is_empty());
}

#[test]
fn a_file_given_as_directory_is_an_error_naming_it() {
    let scratch = Scratch::new("bad-notdir");
    let file = scratch.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let errors = every_constructor(&Builder::new(), &file);
    assert_eq!(errors.len(), 5);
    for (_, err) in errors {
        assert_names(&err, io::ErrorKind::NotADirectory, &file);
    }
    assert_eq!(scratch.entries(), ["a-file"]);
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
}
