//! The in-memory spool against a `Vec<u8>` model: the pure logic of
//! positions, gaps, truncation and budgets, with no file underneath, so
//! that it also runs under Miri (`cargo xtask ci miri`). The full model,
//! rollovers to real files included, is `tests/it/model.rs`.
//!
//! Each call with a fast path of its own is here (`write`, `write_all`,
//! `write_vectored`, `read`, `read_exact`, `read_to_end`,
//! `read_to_string`, `read_until` through `fill_buf`/`consume`, `seek`,
//! `stream_position`), including reads at and past the end.

use std::io::{self, BufRead, IoSlice, Read, Seek, SeekFrom, Write};

use proptest::prelude::*;

use crate::{SpoolBudget, SpooledTempFile};

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<u8>),
    WriteAll(Vec<u8>),
    WriteVectored(Vec<u8>, Vec<u8>),
    Read(usize),
    ReadExact(usize),
    ReadToEnd,
    ReadToString,
    ReadUntil(u8),
    StreamPosition,
    Seek(SeekFrom),
    SetLen(u64),
}

/// Mostly ASCII, sometimes any byte: `read_to_string` sees both valid and
/// invalid UTF-8.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![6 => b'a'..=b'd', 1 => any::<u8>()];
    prop::collection::vec(byte, 0..16)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => bytes().prop_map(Op::Write),
        2 => bytes().prop_map(Op::WriteAll),
        1 => (bytes(), bytes()).prop_map(|(a, b)| Op::WriteVectored(a, b)),
        2 => (0usize..24).prop_map(Op::Read),
        2 => (0usize..24).prop_map(Op::ReadExact),
        1 => Just(Op::ReadToEnd),
        1 => Just(Op::ReadToString),
        1 => (b'a'..=b'd').prop_map(Op::ReadUntil),
        1 => Just(Op::StreamPosition),
        1 => (0u64..48).prop_map(|n| Op::Seek(SeekFrom::Start(n))),
        1 => (-24i64..24).prop_map(|n| Op::Seek(SeekFrom::Current(n))),
        1 => (-24i64..8).prop_map(|n| Op::Seek(SeekFrom::End(n))),
        1 => (0u64..48).prop_map(Op::SetLen),
    ]
}

/// Applies `op` to the spool and to the model (bytes, position), and
/// checks they agree on what the operation returned.
fn apply(spool: &mut SpooledTempFile, data: &mut Vec<u8>, pos: &mut u64, op: &Op) {
    let write = |data: &mut Vec<u8>, pos: &mut u64, bytes: &[u8]| {
        if !bytes.is_empty() {
            let (start, end) = (*pos as usize, *pos as usize + bytes.len());
            if data.len() < end {
                data.resize(end, 0);
            }
            data[start..end].copy_from_slice(bytes);
            *pos = end as u64;
        }
    };
    let start = (*pos as usize).min(data.len());
    match op {
        Op::Write(bytes) => {
            let n = spool.write(bytes).unwrap();
            assert_eq!(n, bytes.len(), "a write in memory takes everything");
            write(data, pos, bytes);
        }
        Op::WriteAll(bytes) => {
            spool.write_all(bytes).unwrap();
            write(data, pos, bytes);
        }
        Op::WriteVectored(a, b) => {
            let n = spool
                .write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
                .unwrap();
            assert_eq!(n, a.len() + b.len(), "a vectored write takes everything");
            write(data, pos, &[&a[..], &b[..]].concat());
        }
        Op::Read(n) => {
            let mut buf = vec![0; *n];
            let got = spool.read(&mut buf).unwrap();
            let want = &data[start..(start + n).min(data.len())];
            assert_eq!(&buf[..got], want);
            *pos += got as u64;
        }
        Op::ReadExact(n) => {
            let mut buf = vec![0; *n];
            let result = spool.read_exact(&mut buf);
            if data.len() - start >= *n {
                result.unwrap();
                assert_eq!(&buf[..], &data[start..start + n]);
                *pos += *n as u64;
            } else {
                assert_eq!(result.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
                *pos = (*pos).max(data.len() as u64);
            }
        }
        Op::ReadToEnd => {
            let mut out = vec![1];
            let n = spool.read_to_end(&mut out).unwrap();
            assert_eq!(n, data.len() - start);
            assert_eq!(&out[1..], &data[start..]);
            *pos = (*pos).max(data.len() as u64);
        }
        Op::ReadToString => {
            let mut out = "x".to_string();
            let result = spool.read_to_string(&mut out);
            match std::str::from_utf8(&data[start..]) {
                Ok(text) => {
                    assert_eq!(result.unwrap(), text.len());
                    assert_eq!(out, format!("x{text}"));
                }
                Err(_) => {
                    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidData);
                    assert_eq!(out, "x");
                }
            }
            *pos = (*pos).max(data.len() as u64);
        }
        Op::ReadUntil(delim) => {
            let mut out = Vec::new();
            let n = spool.read_until(*delim, &mut out).unwrap();
            let rest = &data[start..];
            let want = match rest.iter().position(|b| b == delim) {
                Some(i) => &rest[..=i],
                None => rest,
            };
            assert_eq!(out, want);
            assert_eq!(n, want.len());
            *pos += n as u64;
        }
        Op::StreamPosition => assert_eq!(spool.stream_position().unwrap(), *pos),
        Op::Seek(from) => {
            let target = match *from {
                SeekFrom::Start(n) => Some(n),
                SeekFrom::Current(d) => pos.checked_add_signed(d),
                SeekFrom::End(d) => (data.len() as u64).checked_add_signed(d),
            };
            match (spool.seek(*from), target) {
                (Ok(got), Some(want)) => {
                    assert_eq!(got, want);
                    *pos = want;
                }
                (Err(_), None) => {}
                (got, want) => panic!("seek {from:?}: spool {got:?}, model {want:?}"),
            }
        }
        Op::SetLen(n) => {
            spool.set_len(*n).unwrap();
            data.resize(*n as usize, 0);
        }
    }
}

/// Cases per property: Miri interprets every step, about ten thousand
/// times slower than the compiled test; the full model runs 10,000.
const CASES: u32 = if cfg!(miri) { 6 } else { 256 };

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn an_unrolled_spool_matches_a_vec(ops in prop::collection::vec(op(), 0..24)) {
        // max_size 0: never rolls over by size (Python's default).
        let mut spool = SpooledTempFile::new(0);
        let (mut data, mut pos) = (Vec::new(), 0u64);
        for op in &ops {
            apply(&mut spool, &mut data, &mut pos, op);
            prop_assert!(!spool.is_rolled());
            prop_assert_eq!(spool.len(), data.len() as u64);
            prop_assert_eq!(spool.stream_position().unwrap(), pos);
        }
        spool.rewind().unwrap();
        let mut all = Vec::new();
        spool.read_to_end(&mut all).unwrap();
        prop_assert_eq!(all, data);
    }

    #[test]
    fn a_budget_counts_exactly_what_unrolled_spools_hold(
        sizes in prop::collection::vec(0usize..64, 1..6),
    ) {
        let budget = SpoolBudget::new(1 << 20);
        let mut spools: Vec<SpooledTempFile> =
            sizes.iter().map(|_| SpooledTempFile::with_budget(0, &budget)).collect();
        for (spool, size) in spools.iter_mut().zip(&sizes) {
            spool.write_all(&vec![7; *size]).unwrap();
        }
        let held: usize = spools.iter().map(SpooledTempFile::memory_used).sum();
        prop_assert_eq!(budget.used(), held);
        drop(spools);
        prop_assert_eq!(budget.used(), 0);
    }
}
