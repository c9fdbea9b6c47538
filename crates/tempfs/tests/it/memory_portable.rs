//! Memory-backed files on every platform: they read, write and seek like
//! a file, say what backs them, and refuse seals with an error (not a
//! panic) where they cannot carry any.

use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};

use tempfs::{Builder, MemoryKind, Seals};

#[test]
fn a_memory_file_reads_writes_and_seeks_like_a_file() {
    let mut file = Builder::new().prefix("portable-").memory_file().unwrap();
    let expected = if cfg!(any(target_os = "linux", target_os = "freebsd")) {
        MemoryKind::Memfd
    } else {
        MemoryKind::TempDir
    };
    assert_eq!(file.kind(), expected);
    file.write_all(b"hello, memory").unwrap();
    (&file).seek(SeekFrom::Start(7)).unwrap();
    let mut rest = String::new();
    (&file).read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "memory");
    assert_eq!(file.as_file().metadata().unwrap().len(), 13);
    assert!(format!("{file:?}").contains("MemoryFile"));
    let mut plain = file.into_file();
    plain.rewind().unwrap();
    let mut all = String::new();
    plain.read_to_string(&mut all).unwrap();
    assert_eq!(all, "hello, memory");
}

#[test]
fn seals_fail_with_an_error_where_the_file_cannot_carry_them() {
    let file = Builder::new().sealable_memory_file().unwrap();
    if file.can_seal() {
        file.add_seals(Seals::GROW).unwrap();
        assert_eq!(file.seals().unwrap(), Seals::GROW);
    } else {
        let err = file.add_seals(Seals::GROW).unwrap_err();
        assert!(
            err.kind() == ErrorKind::Unsupported || err.raw_os_error().is_some(),
            "{err}"
        );
    }
}
