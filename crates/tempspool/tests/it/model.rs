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

use std::io::{self, BufRead, IoSlice, Read, Seek, SeekFrom, Write};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tempspool::SpooledTempFile;

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<u8>),
    WriteVectored(Vec<Vec<u8>>),
    Read(usize),
    ReadExact(usize),
    FillBuf(usize),
    Seek(SeekFrom),
    SetLen(u64),
    Rollover,
    Flush,
    Check,
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => bytes(24).prop_map(Op::Write),
        2 => prop::collection::vec(bytes(12), 0..4).prop_map(Op::WriteVectored),
        4 => (0usize..32).prop_map(Op::Read),
        1 => (0usize..24).prop_map(Op::ReadExact),
        1 => (0usize..24).prop_map(Op::FillBuf),
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
        Op::ReadExact(len) => {
            let mut buf = vec![0; *len];
            let result = spool.read_exact(&mut buf);
            let available = model.available();
            if available.len() >= *len {
                result.unwrap();
                assert_eq!(&buf[..], &available[..*len]);
                model.pos += *len as u64;
            } else {
                assert_eq!(result.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
                model.pos = model.pos.max(model.data.len() as u64);
            }
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
