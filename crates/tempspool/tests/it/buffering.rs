//! After rollover the spool buffers reads and writes; the buffering must
//! never show: reads see writes, writes after reads land at the logical
//! position, and everything that looks at the file writes pending bytes
//! out first.

use std::io::{BufRead, Read, Seek, SeekFrom, Write};

use tempspool::{SpooledData, SpooledTempFile};

use super::{contents, fast_dir};

fn rolled() -> SpooledTempFile {
    let mut spool = SpooledTempFile::new_in(1, fast_dir());
    spool.rollover().unwrap();
    spool
}

#[test]
fn reads_see_buffered_writes() {
    let mut spool = rolled();
    spool.write_all(b"hello").unwrap();
    spool.rewind().unwrap();
    let mut back = [0; 5];
    spool.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello");
    // Without a seek in between, too.
    spool.write_all(b" world").unwrap();
    spool.seek(SeekFrom::Start(5)).unwrap();
    let mut rest = String::new();
    spool.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, " world");
}

#[test]
fn writes_after_reads_land_at_the_logical_position() {
    let mut spool = rolled();
    spool.write_all(&[b'.'; 100]).unwrap();
    spool.rewind().unwrap();
    let mut first = [0; 10];
    spool.read_exact(&mut first).unwrap(); // the buffer read ahead to 100
    spool.write_all(b"abc").unwrap();
    assert_eq!(spool.stream_position().unwrap(), 13);
    let mut next = [0; 3];
    spool.read_exact(&mut next).unwrap();
    assert_eq!(&next, b"...", "the read-ahead was dropped, not reused");
    let mut expected = vec![b'.'; 100];
    expected[10..13].copy_from_slice(b"abc");
    assert_eq!(contents(&mut spool), expected);
}

#[test]
fn seeks_inside_the_read_ahead_and_outside_it() {
    let mut spool = rolled();
    let data: Vec<u8> = (0..=255).collect();
    spool.write_all(&data).unwrap();
    spool.rewind().unwrap();
    let mut byte = [0];
    spool.read_exact(&mut byte).unwrap();
    for target in [200_u64, 3, 255, 0, 256, 1000] {
        spool.seek(SeekFrom::Start(target)).unwrap();
        let n = spool.read(&mut byte).unwrap();
        match data.get(target as usize) {
            Some(&b) => assert_eq!((n, byte[0]), (1, b), "at {target}"),
            None => assert_eq!(n, 0, "at {target}"),
        }
    }
    spool.seek(SeekFrom::Start(10)).unwrap();
    spool.seek(SeekFrom::Current(-5)).unwrap();
    spool.read_exact(&mut byte).unwrap();
    assert_eq!(byte[0], 5);
}

#[test]
fn set_len_writes_pending_bytes_out_first() {
    let mut spool = rolled();
    spool.write_all(&[7; 100]).unwrap(); // buffered
    spool.set_len(50).unwrap();
    assert_eq!(spool.len(), 50);
    assert_eq!(spool.stream_position().unwrap(), 100);
    assert_eq!(
        contents(&mut spool),
        [7; 50],
        "the buffer did not re-extend the file"
    );
}

#[test]
fn the_file_shows_every_write_at_the_position() {
    let mut spool = rolled();
    spool.write_all(b"hello world").unwrap();
    spool.seek(SeekFrom::Start(6)).unwrap();
    let mut rest = String::new();
    spool.as_file().unwrap().read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "world");
}

#[test]
fn the_spool_follows_what_was_done_through_the_file() {
    let mut spool = rolled();
    spool.write_all(b"abc").unwrap();
    spool.as_file().unwrap().write_all(b"XY").unwrap();
    assert_eq!(spool.len(), 5);
    assert_eq!(
        spool.stream_position().unwrap(),
        5,
        "the file moved the position"
    );
    spool.write_all(b"!").unwrap();
    spool.as_file_mut().unwrap().set_len(4).unwrap();
    assert_eq!(spool.len(), 4);
    assert_eq!(contents(&mut spool), b"abcX");
}

#[test]
fn into_file_and_into_inner_hold_every_write_at_the_position() {
    let mut spool = rolled();
    spool.write_all(b"0123456789").unwrap();
    spool.seek(SeekFrom::Start(4)).unwrap();
    let mut file = spool.into_file().unwrap();
    assert_eq!(file.stream_position().unwrap(), 4);
    let mut rest = String::new();
    file.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "456789");

    let mut spool = rolled();
    spool.write_all(b"abc").unwrap();
    match spool.into_inner().unwrap() {
        SpooledData::OnDisk(mut file) => {
            assert_eq!(file.stream_position().unwrap(), 3);
            assert_eq!(file.metadata().unwrap().len(), 3);
        }
        SpooledData::InMemory(_) => panic!("the spool rolled over"),
    }
}

#[test]
fn large_reads_and_writes_bypass_the_buffer() {
    let mut spool = rolled();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
    assert_eq!(spool.write(&data).unwrap(), data.len());
    spool.rewind().unwrap();
    let mut back = vec![0; data.len()];
    spool.read_exact(&mut back).unwrap();
    assert_eq!(back, data);
}

#[test]
fn buffered_lines_after_rollover() {
    let mut spool = rolled();
    for i in 0..1000 {
        writeln!(spool, "line {i}").unwrap();
    }
    spool.rewind().unwrap();
    let lines: Vec<String> = (&mut spool).lines().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines[999], "line 999");
    spool.seek(SeekFrom::Start(7)).unwrap();
    let mut line = Vec::new();
    spool.read_until(b'\n', &mut line).unwrap();
    assert_eq!(line, b"line 1\n");
}

#[test]
fn every_buffer_size_gives_the_same_bytes() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
    for capacity in [0, 1, 2, 7, 64, 8192, 1 << 16] {
        let mut spool = SpooledTempFile::new_in(10, fast_dir());
        spool.set_buffer_capacity(capacity).unwrap();
        for chunk in data.chunks(13) {
            spool.write_all(chunk).unwrap();
        }
        assert!(spool.is_rolled());
        assert_eq!(spool.buffer_capacity(), capacity.max(1));
        spool.rewind().unwrap();
        let mut back = Vec::new();
        let mut chunk = [0; 11];
        loop {
            let n = spool.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            back.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(back, data, "buffer of {capacity}");
        // Changing the buffer of a rolled spool keeps pending writes.
        spool.write_all(b"tail").unwrap();
        spool.set_buffer_capacity(3).unwrap();
        assert_eq!(&contents(&mut spool)[5000..], b"tail");
    }
}

// Not on WASI: it has no `dup`, so a file cannot be cloned.
#[cfg(not(target_os = "wasi"))]
mod dup {
    use super::*;

    #[test]
    fn flush_and_drop_write_out_for_cloned_descriptors() {
        let mut spool = rolled();
        let mut clone = spool.as_file().unwrap().try_clone().unwrap();
        spool.write_all(b"flushed").unwrap();
        spool.flush().unwrap();
        assert_eq!(clone.metadata().unwrap().len(), 7);
        spool.write_all(b" on drop").unwrap();
        drop(spool);
        clone.rewind().unwrap();
        let mut all = String::new();
        clone.read_to_string(&mut all).unwrap();
        assert_eq!(all, "flushed on drop");
    }
}
