//! Disk budgets: a write that would pass one fails with `StorageFull`,
//! having written nothing, and the spool stays usable; a budget of 0;
//! threads racing to the limit; bytes given back by `set_len`, `into_file`
//! and drop; memory then disk.

use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};

use tempspool::{DiskBudget, SpoolBudget, SpooledTempFile};

use super::{contents, fast_dir};

fn spool(max_size: usize, budget: &DiskBudget) -> SpooledTempFile {
    let mut spool = SpooledTempFile::new_in(max_size, fast_dir());
    spool.attach_disk(budget).unwrap();
    spool
}

#[test]
fn a_write_past_the_budget_fails_whole_and_the_spool_stays_usable() {
    let budget = DiskBudget::new(100_000);
    let mut first = spool(1000, &budget);
    first.write_all(&[1; 60_000]).unwrap();
    assert!(first.is_rolled());
    let err = first.write_all(&[2; 50_000]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert_eq!(first.len(), 60_000);
    assert_eq!(contents(&mut first), vec![1; 60_000]);
    // Small buffered writes up to the limit, never past it.
    first.seek(SeekFrom::End(0)).unwrap();
    let mut taken = 0u64;
    loop {
        match first.write(&[3; 100]) {
            Ok(n) => taken += n as u64,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::StorageFull, "{e}");
                break;
            }
        }
    }
    first.flush().unwrap();
    assert_eq!(first.len(), 60_000 + taken);
    assert!(first.len() <= 100_000);
    assert!(
        first.len() > 100_000 - 100,
        "only the last write did not fit"
    );
    assert_eq!(
        first.as_file().unwrap().metadata().unwrap().len(),
        first.len()
    );
    assert!(budget.used() <= budget.limit());
    // Shrinking gives bytes back; writes fit again.
    first.set_len(10_000).unwrap();
    assert_eq!(budget.used(), 10_000);
    first.seek(SeekFrom::Start(10_000)).unwrap();
    first.write_all(&[4; 50_000]).unwrap();
    first.flush().unwrap();
    assert_eq!(first.len(), 60_000);
    // Growing past it by set_len is refused and changes nothing.
    let err = first.set_len(200_000).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert_eq!(first.len(), 60_000);
    drop(first);
    assert_eq!(budget.used(), 0);
}

#[test]
fn a_rollover_the_budget_refuses_keeps_every_byte_in_memory() {
    let budget = DiskBudget::new(1000);
    let mut spool = spool(100, &budget);
    spool.write_all(&[5; 90]).unwrap();
    let err = spool.write_all(&[6; 2000]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert!(!spool.is_rolled());
    assert_eq!(contents(&mut spool), vec![5; 90]);
    assert_eq!(budget.used(), 0);
    // A write that fits rolls over and is charged.
    spool.write_all(&[6; 500]).unwrap();
    assert!(spool.is_rolled());
    assert!(budget.used() >= 590 && budget.used() <= 1000);
}

#[test]
fn a_budget_of_zero_keeps_the_spool_in_memory() {
    let budget = DiskBudget::new(0);
    let mut spool = spool(10, &budget);
    spool.write_all(b"0123456789").unwrap();
    let err = spool.write_all(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    let err = spool.rollover().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert!(!spool.is_rolled());
    assert_eq!(contents(&mut spool), b"0123456789");
    // An empty spool may roll over: it puts nothing on disk.
    let mut empty = SpooledTempFile::new(10);
    empty.attach_disk(&budget).unwrap();
    empty.rollover().unwrap();
    let err = empty.write_all(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert_eq!(empty.len(), 0);
}

#[test]
fn memory_then_disk() {
    let memory = SpoolBudget::new(1000);
    let disk = DiskBudget::new(5000);
    let mut a = SpooledTempFile::with_budget(0, &memory);
    a.attach_disk(&disk).unwrap();
    a.write_all(&[1; 800]).unwrap();
    assert!(!a.is_rolled());
    let mut b = SpooledTempFile::with_budget(0, &memory);
    b.attach_disk(&disk).unwrap();
    b.write_all(&[2; 800]).unwrap();
    assert!(b.is_rolled(), "no room in memory: on disk");
    let mut c = SpooledTempFile::with_budget(0, &memory);
    c.attach_disk(&disk).unwrap();
    let err = c.write_all(&[3; 5000]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert!(c.is_empty() && !c.is_rolled());
    assert!(memory.used() <= 1000 && disk.used() <= 5000);
    drop((a, b, c));
    assert_eq!((memory.used(), disk.used()), (0, 0));
}

#[test]
fn giving_the_file_away_gives_its_bytes_back() {
    let budget = DiskBudget::new(10_000);
    let mut spool = spool(10, &budget);
    spool.write_all(&[7; 3000]).unwrap();
    assert!(budget.used() >= 3000);
    let mut file = spool.into_file().unwrap();
    assert_eq!(budget.used(), 0);
    file.rewind().unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).unwrap();
    assert_eq!(back, vec![7; 3000]);
}

#[test]
fn writes_through_the_file_are_counted_when_the_spool_takes_it_back() {
    let budget = DiskBudget::new(10_000);
    let mut spool = spool(10, &budget);
    spool.write_all(&[7; 3000]).unwrap();
    spool.as_file_mut().unwrap().write_all(&[8; 9000]).unwrap();
    assert_eq!(spool.stream_position().unwrap(), 12_000);
    assert_eq!(budget.used(), 12_000, "counted, even past the limit");
    let err = spool.write_all(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    spool.set_len(1000).unwrap();
    assert_eq!(budget.used(), 1000);
}

#[test]
fn attaching_a_rolled_spool_charges_its_length_or_changes_nothing() {
    let small = DiskBudget::new(100);
    let big = DiskBudget::new(10_000);
    let mut spool = SpooledTempFile::new_in(10, fast_dir());
    spool.write_all(&[1; 500]).unwrap();
    let err = spool.attach_disk(&small).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert!(spool.disk_budget().is_none());
    assert_eq!(small.used(), 0);
    spool.attach_disk(&big).unwrap();
    assert_eq!(big.used(), 500);
    spool.detach_disk();
    assert_eq!(big.used(), 0);
    spool.write_all(&[1; 20_000]).unwrap();
    assert_eq!(big.used(), 0);
}

// Not on WASI: it has no threads.
#[cfg(not(target_os = "wasi"))]
mod threads {
    use super::*;

    #[test]
    fn threads_racing_to_the_limit_never_write_more_than_it() {
        const LIMIT: u64 = 256 * 1024;
        let budget = DiskBudget::new(LIMIT);
        let lens: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|i| {
                    let budget = budget.clone();
                    s.spawn(move || {
                        let mut spool = spool(1024, &budget);
                        let chunk = vec![i as u8; 1000 + 777 * i];
                        while spool.write_all(&chunk).is_ok() {}
                        spool.flush().unwrap();
                        // A spool whose first rollover the others' files left
                        // no room for is still in memory: nothing on disk (and
                        // `as_file` would try the rollover again).
                        let on_disk = if spool.is_rolled() {
                            let on_disk = spool.as_file().unwrap().metadata().unwrap().len();
                            assert_eq!(on_disk, spool.len());
                            on_disk
                        } else {
                            0
                        };
                        // Keep the file until every thread is done.
                        (spool, on_disk)
                    })
                })
                .collect();
            let done: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert!(budget.used() <= LIMIT);
            done.into_iter().map(|(_, len)| len).collect()
        });
        assert!(lens.iter().sum::<u64>() <= LIMIT, "{lens:?}");
        assert_eq!(budget.used(), 0);
    }
}
