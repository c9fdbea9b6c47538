//! The spool against a model (a `Vec<u8>`, a position and Python's rule
//! for the rolled state) under random sequences of every operation.
//!
//! Small `max_size` values (0 and 1 included) and small I/O buffers after
//! rollover (1 to 16 bytes, or the default) make rollovers, buffer refills,
//! flushes and bypasses happen within a few operations. Half of the cases
//! read the whole contents back after every step (which itself exercises
//! read-after-write and seeks through the read-ahead); the other half only
//! at random points and at the end, so that state carried in the buffer
//! from one operation to the next is tested too.
//!
//! Every `Read`, `Write`, `Seek` and `BufRead` call the spool implements
//! itself is here, so that its inlined fast paths (in memory, and within
//! the I/O buffer after a rollover) and the slow paths behind them are
//! checked against the same model: short reads and `UnexpectedEof` at the
//! end, positions past the end, `InvalidData` from the text readers.
//! Written bytes are mostly text, so that `read_to_string` and `read_line`
//! see both valid and invalid UTF-8.

use std::io::{self, BufRead, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tempspool::SpooledTempFile;

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<u8>),
    WriteAll(Vec<u8>),
    WriteFmt(String),
    WriteVectored(Vec<Vec<u8>>),
    Read(usize),
    ReadVectored(Vec<usize>),
    ReadExact(usize),
    ReadToEnd,
    /// `read_to_string` into an empty string, or one holding something.
    ReadToString(bool),
    ReadUntil(u8),
    ReadLine,
    FillBuf(usize),
    StreamPosition,
    Seek(SeekFrom),
    SetLen(u64),
    Rollover,
    Flush,
    Check,
}

/// Mostly text (lowercase letters and newlines), sometimes any byte.
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![12 => b'a'..=b'z', 3 => Just(b'\n'), 1 => any::<u8>()];
    prop::collection::vec(byte, 0..=max)
}

fn text(max: usize) -> impl Strategy<Value = String> {
    let byte = prop_oneof![4 => b'a'..=b'z', 1 => Just(b'\n')];
    prop::collection::vec(byte, 0..=max).prop_map(|b| String::from_utf8(b).unwrap())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => bytes(24).prop_map(Op::Write),
        3 => bytes(24).prop_map(Op::WriteAll),
        1 => text(24).prop_map(Op::WriteFmt),
        2 => prop::collection::vec(bytes(12), 0..4).prop_map(Op::WriteVectored),
        3 => (0usize..32).prop_map(Op::Read),
        1 => prop::collection::vec(0usize..12, 0..4).prop_map(Op::ReadVectored),
        2 => (0usize..24).prop_map(Op::ReadExact),
        1 => Just(Op::ReadToEnd),
        1 => any::<bool>().prop_map(Op::ReadToString),
        1 => prop_oneof![Just(b'\n'), b'a'..=b'z'].prop_map(Op::ReadUntil),
        1 => Just(Op::ReadLine),
        1 => (0usize..24).prop_map(Op::FillBuf),
        1 => Just(Op::StreamPosition),
        2 => (0u64..80).prop_map(|n| Op::Seek(SeekFrom::Start(n))),
        2 => (-40i64..40).prop_map(|n| Op::Seek(SeekFrom::Current(n))),
        2 => (-40i64..20).prop_map(|n| Op::Seek(SeekFrom::End(n))),
        2 => (0u64..80).prop_map(Op::SetLen),
        1 => Just(Op::Rollover),
        1 => Just(Op::Flush),
        1 => Just(Op::Check),
    ]
}

/// A spool's setup: `max_size`, the I/O buffer after rollover (`None`:
/// the default), whether to check the contents after every step.
fn setup() -> impl Strategy<Value = (usize, Option<usize>, bool)> {
    let max_size = prop_oneof![Just(0usize), Just(1), 2usize..48];
    let buffer = prop_oneof![Just(None), (1usize..=16).prop_map(Some)];
    (max_size, buffer, any::<bool>())
}

/// What the spool must look like.
struct Model {
    data: Vec<u8>,
    pos: u64,
    rolled: bool,
    max_size: usize,
}

impl Model {
    /// Python's rule: a write ending past `max_size` rolls over.
    fn before_write(&mut self, total: usize) {
        if self.max_size != 0 && self.pos + total as u64 > self.max_size as u64 {
            self.rolled = true;
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let pos = self.pos as usize;
        if self.data.len() < pos {
            self.data.resize(pos, 0);
        }
        let end = pos + bytes.len();
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        self.data[pos..end].copy_from_slice(bytes);
        self.pos = end as u64;
    }

    fn available(&self) -> &[u8] {
        let start = (self.pos as usize).min(self.data.len());
        &self.data[start..]
    }
}

fn run(max_size: usize, buffer: Option<usize>, every_step: bool, ops: &[Op]) {
    let mut spool = SpooledTempFile::new_in(max_size, super::fast_dir());
    if let Some(capacity) = buffer {
        spool.set_buffer_capacity(capacity).unwrap();
    }
    let mut model = Model {
        data: Vec::new(),
        pos: 0,
        rolled: false,
        max_size,
    };
    for (step, op) in ops.iter().enumerate() {
        apply(&mut spool, &mut model, op);
        let at = || format!("after step {step} ({op:?})");
        assert_eq!(spool.is_rolled(), model.rolled, "rolled {}", at());
        assert_eq!(spool.len(), model.data.len() as u64, "len {}", at());
        if !model.rolled && max_size != 0 {
            assert!(
                spool.memory_used() <= max_size,
                "memory past max_size {}",
                at()
            );
        }
        if every_step || matches!(op, Op::Check) {
            check_contents(&mut spool, &model, &at());
        }
    }
    check_contents(&mut spool, &model, "at the end");
}

fn check_contents(spool: &mut SpooledTempFile, model: &Model, at: &str) {
    assert_eq!(spool.stream_position().unwrap(), model.pos, "position {at}");
    assert_eq!(super::contents(spool), model.data, "contents {at}");
    assert_eq!(
        spool.stream_position().unwrap(),
        model.pos,
        "position kept {at}"
    );
}

fn apply(spool: &mut SpooledTempFile, model: &mut Model, op: &Op) {
    match op {
        Op::Write(bytes) => {
            model.before_write(bytes.len());
            let n = spool.write(bytes).unwrap();
            assert!(n <= bytes.len() && (n > 0 || bytes.is_empty()), "wrote {n}");
            model.write(&bytes[..n]);
        }
        Op::WriteVectored(parts) => {
            let total: usize = parts.iter().map(Vec::len).sum();
            model.before_write(total);
            let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
            let n = spool.write_vectored(&slices).unwrap();
            assert!(n <= total && (n > 0 || total == 0), "wrote {n} of {total}");
            model.write(&parts.concat()[..n]);
        }
        Op::WriteAll(bytes) => {
            // An empty `write_all` writes nothing, so it does not roll over.
            if !bytes.is_empty() {
                model.before_write(bytes.len());
            }
            spool.write_all(bytes).unwrap();
            model.write(bytes);
        }
        Op::WriteFmt(text) => {
            if !text.is_empty() {
                model.before_write(text.len());
            }
            write!(spool, "{text}").unwrap();
            model.write(text.as_bytes());
        }
        Op::Read(len) => {
            let mut buf = vec![0; *len];
            let n = spool.read(&mut buf).unwrap();
            let available = model.available();
            assert!(n <= available.len().min(*len), "read {n}");
            assert!(
                n > 0 || *len == 0 || available.is_empty(),
                "short read of 0"
            );
            assert_eq!(&buf[..n], &available[..n], "bytes read");
            model.pos += n as u64;
        }
        Op::ReadVectored(lens) => {
            let mut bufs: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0; n]).collect();
            let mut slices: Vec<IoSliceMut<'_>> =
                bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            let n = spool.read_vectored(&mut slices).unwrap();
            let total: usize = lens.iter().sum();
            let available = model.available();
            assert!(n <= available.len().min(total), "read {n}");
            assert!(
                n > 0 || total == 0 || available.is_empty(),
                "short read of 0"
            );
            assert_eq!(&bufs.concat()[..n], &available[..n], "bytes read");
            model.pos += n as u64;
        }
        Op::ReadExact(len) => {
            let mut buf = vec![0; *len];
            let result = spool.read_exact(&mut buf);
            let available = model.available();
            if available.len() >= *len {
                result.unwrap();
                assert_eq!(&buf[..], &available[..*len]);
                model.pos += *len as u64;
            } else {
                // Everything left was read: the position is at the end (or
                // stays past it).
                assert_eq!(result.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
                model.pos = model.pos.max(model.data.len() as u64);
            }
        }
        Op::ReadToEnd => {
            let mut out = b"kept".to_vec();
            let n = spool.read_to_end(&mut out).unwrap();
            let available = model.available();
            assert_eq!(n, available.len());
            assert_eq!(&out[..4], b"kept");
            assert_eq!(&out[4..], available);
            model.pos = model.pos.max(model.data.len() as u64);
        }
        Op::ReadToString(prefilled) => {
            let before = if *prefilled { "kept" } else { "" };
            let mut out = before.to_string();
            let result = spool.read_to_string(&mut out);
            match std::str::from_utf8(model.available()) {
                Ok(text) => {
                    assert_eq!(result.unwrap(), text.len());
                    assert_eq!(out, format!("{before}{text}"));
                }
                Err(_) => {
                    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidData);
                    assert_eq!(out, before, "read_to_string changed its string");
                }
            }
            // Read either way, as from a file.
            model.pos = model.pos.max(model.data.len() as u64);
        }
        Op::ReadUntil(delim) => {
            let mut out = b"kept".to_vec();
            let n = spool.read_until(*delim, &mut out).unwrap();
            let want = line(model.available(), *delim);
            assert_eq!(n, want.len());
            assert_eq!(&out[4..], want);
            model.pos += n as u64;
        }
        Op::ReadLine => {
            let mut out = "kept".to_string();
            let result = spool.read_line(&mut out);
            let want = line(model.available(), b'\n');
            match std::str::from_utf8(want) {
                Ok(text) => {
                    assert_eq!(result.unwrap(), text.len());
                    assert_eq!(out, format!("kept{text}"));
                }
                Err(_) => {
                    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidData);
                    assert_eq!(out, "kept", "read_line changed its string");
                }
            }
            // The line is consumed either way (std's `read_line`).
            model.pos += want.len() as u64;
        }
        Op::StreamPosition => {
            assert_eq!(spool.stream_position().unwrap(), model.pos);
        }
        Op::FillBuf(consume) => {
            let buf = spool.fill_buf().unwrap().to_vec();
            let available = model.available();
            assert!(buf.len() <= available.len());
            assert!(!buf.is_empty() || available.is_empty(), "fill_buf empty");
            assert_eq!(&buf[..], &available[..buf.len()]);
            let n = (*consume).min(buf.len());
            spool.consume(n);
            model.pos += n as u64;
        }
        Op::Seek(from) => {
            let target = match *from {
                SeekFrom::Start(n) => Some(n),
                SeekFrom::Current(n) => model.pos.checked_add_signed(n),
                SeekFrom::End(n) => (model.data.len() as u64).checked_add_signed(n),
            };
            match (spool.seek(*from), target) {
                (Ok(got), Some(want)) => {
                    assert_eq!(got, want);
                    model.pos = want;
                }
                (Err(e), None) => assert_eq!(e.kind(), io::ErrorKind::InvalidInput),
                (got, want) => panic!("seek {from:?}: got {got:?}, want {want:?}"),
            }
        }
        Op::SetLen(len) => {
            if model.max_size != 0 && *len > model.max_size as u64 {
                model.rolled = true;
            }
            spool.set_len(*len).unwrap();
            model.data.resize(*len as usize, 0);
        }
        Op::Rollover => {
            spool.rollover().unwrap();
            model.rolled = true;
        }
        Op::Flush => spool.flush().unwrap(),
        Op::Check => {}
    }
}

/// The start of `available` up to and including the first `delim` (all of
/// it if there is none).
fn line(available: &[u8], delim: u8) -> &[u8] {
    match available.iter().position(|&b| b == delim) {
        Some(i) => &available[..=i],
        None => available,
    }
}

#[test]
fn spool_matches_a_vec_model() {
    let config = Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (setup(), prop::collection::vec(op(), 1..24));
    runner
        .run(&strategy, |((max_size, buffer, every_step), ops)| {
            run(max_size, buffer, every_step, &ops);
            Ok(())
        })
        .unwrap();
}
