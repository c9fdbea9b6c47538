//! The cases of CPython's `TestSpooledTemporaryFile`, and the rollover rule
//! as the Python documentation states it.

use std::io::{BufRead, IoSlice, Read, Seek, SeekFrom, Write};

use tempspool::SpooledTempFile;

use super::contents;

const LINE: &[u8] = b"This line is repeated over and over.\n";

#[test]
fn the_page_example_rolls_on_the_third_line() {
    assert_eq!(LINE.len(), 37);
    let mut spool = SpooledTempFile::new(100);
    let mut rolled = Vec::new();
    for _ in 0..3 {
        spool.write_all(LINE).unwrap();
        rolled.push(spool.is_rolled());
    }
    assert_eq!(rolled, [false, false, true]);
    assert_eq!(spool.len(), 111);
    assert_eq!(contents(&mut spool), LINE.repeat(3));
}

#[test]
fn small_writes_stay_in_memory() {
    let mut spool = SpooledTempFile::new(10);
    spool.write_all(b"blat").unwrap();
    assert!(!spool.is_rolled());
    assert!(spool.memory_used() >= 4);
    assert_eq!(contents(&mut spool), b"blat");
}

#[test]
fn write_sequential_rolls_only_past_exactly_max_size() {
    let mut spool = SpooledTempFile::new(30);
    spool.write_all(&[b'x'; 20]).unwrap();
    assert!(!spool.is_rolled());
    spool.write_all(&[b'x'; 10]).unwrap();
    assert!(!spool.is_rolled(), "exactly max_size bytes stay in memory");
    assert_eq!(spool.len(), 30);
    assert!(
        spool.memory_used() <= 30,
        "memory never holds more than max_size"
    );
    spool.write_all(b"x").unwrap();
    assert!(spool.is_rolled(), "one byte more rolls over");
    assert_eq!(spool.memory_used(), 0);
    assert_eq!(contents(&mut spool), [b'x'; 31]);
}

#[test]
fn one_write_past_max_size_rolls_at_once() {
    let mut spool = SpooledTempFile::new(30);
    assert_eq!(spool.write(&[b'x'; 31]).unwrap(), 31);
    assert!(spool.is_rolled());
    assert_eq!(spool.stream_position().unwrap(), 31);
}

#[test]
fn rewriting_in_place_does_not_roll() {
    let mut spool = SpooledTempFile::new(30);
    for _ in 0..10 {
        spool.rewind().unwrap();
        spool.write_all(&[b'x'; 30]).unwrap();
    }
    assert!(!spool.is_rolled());
    assert_eq!(spool.len(), 30);
}

#[test]
fn writelines_rolls_over_in_the_middle_of_the_batch() {
    // CPython's test_writelines_rollover: rolled after "z", not after "xy".
    let mut spool = SpooledTempFile::new(2);
    spool.write_all(b"xy").unwrap();
    assert!(!spool.is_rolled());
    spool.write_all(b"z").unwrap();
    assert!(spool.is_rolled());
    assert_eq!(spool.stream_position().unwrap(), 3);

    // A longer batch: the lines before the crossing one stay in memory, the
    // crossing one rolls over, the rest go to the file.
    let lines: Vec<Vec<u8>> = (0..8).map(|i| vec![b'a' + i; 10]).collect();
    let mut spool = SpooledTempFile::new(35);
    let mut rolled = Vec::new();
    for line in &lines {
        spool.write_all(line).unwrap();
        rolled.push(spool.is_rolled());
    }
    assert_eq!(rolled, [false, false, false, true, true, true, true, true]);
    assert_eq!(contents(&mut spool), lines.concat());
}

#[test]
fn writelines_as_one_vectored_write() {
    // CPython's test_writelines_sequential: 20 + 10 + 5 = 35 stays in
    // memory; one byte more rolls over.
    let mut spool = SpooledTempFile::new(35);
    let parts = [[b'x'; 20].as_slice(), &[b'y'; 10], &[b'z'; 5]];
    let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
    assert_eq!(spool.write_vectored(&slices).unwrap(), 35);
    assert!(!spool.is_rolled());
    spool.write_all(b"!").unwrap();
    assert!(spool.is_rolled());

    // A batch crossing the limit ends rolled, with every byte.
    let mut spool = SpooledTempFile::new(2);
    let slices = [IoSlice::new(b"xy"), IoSlice::new(b"z")];
    assert_eq!(spool.write_vectored(&slices).unwrap(), 3);
    assert!(spool.is_rolled());
    assert_eq!(spool.stream_position().unwrap(), 3);
    assert_eq!(contents(&mut spool), b"xyz");
}

#[test]
fn sparse_write_rolls_but_seeking_does_not() {
    let mut spool = SpooledTempFile::new(30);
    spool.seek(SeekFrom::Start(100)).unwrap();
    assert!(
        !spool.is_rolled(),
        "seeking past max_size alone does not roll"
    );
    assert_eq!(spool.len(), 0, "seeking does not extend");
    spool.write_all(b"x").unwrap();
    assert!(spool.is_rolled());
    assert_eq!(spool.len(), 101);
    let mut expected = vec![0; 100];
    expected.push(b'x');
    assert_eq!(contents(&mut spool), expected);
}

#[test]
fn sparse_write_in_memory_zero_fills() {
    let mut spool = SpooledTempFile::new(30);
    spool.write_all(b"ab").unwrap();
    spool.seek(SeekFrom::Start(10)).unwrap();
    spool.write_all(b"cd").unwrap();
    assert!(!spool.is_rolled());
    let mut expected = b"ab".to_vec();
    expected.extend([0; 8]);
    expected.extend(b"cd");
    assert_eq!(contents(&mut spool), expected);
}

#[test]
fn empty_write_past_max_size_rolls_like_python() {
    // Python checks tell() > max_size after every write, even an empty one.
    let mut spool = SpooledTempFile::new(30);
    spool.seek(SeekFrom::Start(31)).unwrap();
    assert_eq!(spool.write(b"").unwrap(), 0);
    assert!(spool.is_rolled());
    assert_eq!(spool.len(), 0, "an empty write writes nothing");
    // At or below max_size an empty write is nothing at all.
    let mut spool = SpooledTempFile::new(30);
    spool.seek(SeekFrom::Start(30)).unwrap();
    assert_eq!(spool.write(b"").unwrap(), 0);
    assert!(!spool.is_rolled());
    assert_eq!(spool.len(), 0);
}

#[test]
fn truncate_with_size_rolls_only_past_max_size() {
    // CPython's test_truncate_with_size_parameter.
    let mut spool = SpooledTempFile::new(10);
    spool.write_all(b"abcdefg\n").unwrap();
    spool.set_len(4).unwrap();
    assert!(!spool.is_rolled());
    assert_eq!(contents(&mut spool), b"abcd");
    assert_eq!(
        spool.stream_position().unwrap(),
        8,
        "set_len keeps the position"
    );
    spool.set_len(10).unwrap();
    assert!(!spool.is_rolled(), "exactly max_size");
    spool.set_len(11).unwrap();
    assert!(spool.is_rolled());
    assert_eq!(spool.len(), 11);
    assert_eq!(contents(&mut spool), b"abcd\0\0\0\0\0\0\0");
    assert_eq!(spool.stream_position().unwrap(), 8);
}

#[test]
fn max_size_zero_never_rolls_by_size() {
    let mut spool = SpooledTempFile::new(0);
    spool.write_all(&vec![7; 1 << 20]).unwrap();
    spool.seek(SeekFrom::Start(3 << 20)).unwrap();
    spool.write_all(b"!").unwrap();
    spool.set_len(4 << 20).unwrap();
    assert!(!spool.is_rolled());
    assert_eq!(spool.len(), 4 << 20);
    spool.rollover().unwrap();
    assert!(spool.is_rolled(), "an explicit rollover still works");
    assert_eq!(spool.len(), 4 << 20);
}

#[test]
fn max_size_one() {
    let mut spool = SpooledTempFile::new(1);
    spool.write_all(b"a").unwrap();
    assert!(!spool.is_rolled());
    spool.write_all(b"b").unwrap();
    assert!(spool.is_rolled());
    assert_eq!(contents(&mut spool), b"ab");
}

#[test]
fn fileno_rolls_over() {
    let mut spool = SpooledTempFile::new(30);
    spool.write_all(b"abc").unwrap();
    assert!(!spool.is_rolled());
    let fd = spool.fileno().unwrap();
    assert!(spool.is_rolled());
    assert_eq!(spool.fileno().unwrap(), fd, "the same file afterwards");
    assert_eq!(contents(&mut spool), b"abc");

    let mut empty = SpooledTempFile::new(30);
    empty.as_file().unwrap();
    assert!(empty.is_rolled(), "even an empty spool");
}

#[test]
fn rollover_keeps_data_and_position() {
    let mut spool = SpooledTempFile::new(1000);
    for _ in 0..3 {
        spool.write_all(LINE).unwrap();
    }
    spool.seek(SeekFrom::Start(40)).unwrap();
    assert!(!spool.is_rolled());
    spool.rollover().unwrap();
    assert!(spool.is_rolled());
    assert_eq!(spool.stream_position().unwrap(), 40);
    let mut rest = String::new();
    spool.read_to_string(&mut rest).unwrap();
    assert_eq!(rest.as_bytes(), &LINE.repeat(3)[40..]);
    spool.roll().unwrap(); // a second rollover does nothing
    assert_eq!(contents(&mut spool), LINE.repeat(3));
}

#[test]
fn reading_lines_in_both_states() {
    // CPython's text-mode tests, with BufRead.
    for rolled in [false, true] {
        let mut spool = SpooledTempFile::new(1000);
        spool.write_all(b"first\nsecond\n").unwrap();
        if rolled {
            spool.rollover().unwrap();
        }
        spool.rewind().unwrap();
        let lines: Vec<String> = (&mut spool).lines().map(Result::unwrap).collect();
        assert_eq!(lines, ["first", "second"]);
    }
}

#[test]
fn reads_past_the_end_return_nothing_in_both_states() {
    for rolled in [false, true] {
        let mut spool = SpooledTempFile::new(100);
        spool.write_all(b"abc").unwrap();
        if rolled {
            spool.rollover().unwrap();
        }
        spool.seek(SeekFrom::Start(50)).unwrap();
        let mut buf = [1; 8];
        assert_eq!(spool.read(&mut buf).unwrap(), 0);
        assert_eq!(spool.fill_buf().unwrap(), b"");
        assert_eq!(spool.stream_position().unwrap(), 50);
        assert_eq!(
            spool.seek(SeekFrom::Current(-51)).unwrap_err().kind(),
            std::io::ErrorKind::InvalidInput
        );
        assert_eq!(spool.seek(SeekFrom::End(-1)).unwrap(), 2);
        assert_eq!(spool.read(&mut buf).unwrap(), 1);
        assert_eq!(buf[0], b'c');
    }
}
