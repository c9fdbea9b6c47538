//! The in-memory spool against a `Vec<u8>` model: the pure logic of
//! positions, gaps, truncation and budgets, with no file underneath, so
//! that it also runs under Miri (`cargo xtask ci miri`). The full model,
//! rollovers to real files included, is `tests/it/model.rs`.

use std::io::{Read, Seek, SeekFrom, Write};

use proptest::prelude::*;

use crate::{SpoolBudget, SpooledTempFile};

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<u8>),
    Read(usize),
    Seek(SeekFrom),
    SetLen(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..16).prop_map(Op::Write),
        2 => (0usize..24).prop_map(Op::Read),
        1 => (0u64..48).prop_map(|n| Op::Seek(SeekFrom::Start(n))),
        1 => (-24i64..24).prop_map(|n| Op::Seek(SeekFrom::Current(n))),
        1 => (-24i64..8).prop_map(|n| Op::Seek(SeekFrom::End(n))),
        1 => (0u64..48).prop_map(Op::SetLen),
    ]
}

/// Applies `op` to the spool and to the model (bytes, position), and
/// checks they agree on what the operation returned.
fn apply(spool: &mut SpooledTempFile, data: &mut Vec<u8>, pos: &mut u64, op: &Op) {
    match op {
        Op::Write(bytes) => {
            spool.write_all(bytes).unwrap();
            if !bytes.is_empty() {
                let (start, end) = (*pos as usize, *pos as usize + bytes.len());
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[start..end].copy_from_slice(bytes);
                *pos = end as u64;
            }
        }
        Op::Read(n) => {
            let mut buf = vec![0; *n];
            let got = spool.read(&mut buf).unwrap();
            let start = (*pos as usize).min(data.len());
            let want = &data[start..(start + n).min(data.len())];
            assert_eq!(&buf[..got], want);
            *pos += got as u64;
        }
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
