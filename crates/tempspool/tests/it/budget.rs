//! A shared memory budget: what counts, when spools roll over because of
//! it, when memory comes back, and many spools on many threads.

use std::io::{Seek, Write};

use tempspool::{SpoolBudget, SpooledData, SpooledTempFile};

use super::{contents, fast_dir};

fn spool(max_size: usize, budget: &SpoolBudget) -> SpooledTempFile {
    let mut spool = SpooledTempFile::new_in(max_size, fast_dir());
    spool.attach(budget).unwrap();
    spool
}

#[test]
fn the_budget_is_charged_for_the_memory_held() {
    let budget = SpoolBudget::new(1 << 20);
    let mut a = spool(0, &budget);
    assert_eq!(budget.used(), 0, "nothing allocated yet");
    a.write_all(&[1; 1000]).unwrap();
    assert!(a.memory_used() >= 1000);
    assert_eq!(budget.used(), a.memory_used());
    // Writes within the buffer's capacity do not touch the budget.
    let charged = budget.used();
    a.rewind().unwrap();
    a.write_all(&[2; 1000]).unwrap();
    assert_eq!(budget.used(), charged);
}

#[test]
fn memory_never_passes_max_size() {
    let budget = SpoolBudget::new(1 << 20);
    let mut a = spool(100, &budget);
    for _ in 0..100 {
        a.write_all(b"x").unwrap();
        assert!(a.memory_used() <= 100);
    }
    assert!(!a.is_rolled());
    assert_eq!(a.memory_used(), 100);
    assert_eq!(budget.used(), 100);
}

#[test]
fn a_write_that_would_pass_the_budget_rolls_that_spool() {
    let budget = SpoolBudget::new(1000);
    let mut a = spool(0, &budget);
    let mut b = spool(0, &budget);
    a.write_all(&[b'a'; 700]).unwrap();
    b.write_all(&[b'b'; 200]).unwrap();
    assert!(!a.is_rolled() && !b.is_rolled());
    assert!(budget.used() <= 1000);
    b.write_all(&[b'b'; 200]).unwrap(); // 700 + 400 > 1000
    assert!(b.is_rolled(), "the spool that needed memory went to disk");
    assert!(!a.is_rolled(), "the others stay in memory");
    assert_eq!(budget.used(), a.memory_used());
    assert_eq!(contents(&mut b), [b'b'; 400]);
    assert_eq!(contents(&mut a), [b'a'; 700]);
}

#[test]
fn growing_with_set_len_past_the_budget_rolls_over() {
    let budget = SpoolBudget::new(500);
    let mut a = spool(0, &budget);
    a.set_len(400).unwrap();
    assert!(!a.is_rolled());
    a.set_len(600).unwrap();
    assert!(a.is_rolled());
    assert_eq!(a.len(), 600);
    assert_eq!(budget.used(), 0);
}

#[test]
fn memory_returns_on_rollover_truncate_into_inner_and_drop() {
    let budget = SpoolBudget::new(1 << 20);
    let mut a = spool(0, &budget);
    a.write_all(&[1; 5000]).unwrap();
    assert!(budget.used() >= 5000);
    a.set_len(100).unwrap();
    assert_eq!(budget.used(), 100, "truncating frees the spare capacity");
    assert_eq!(a.memory_used(), 100);
    a.rollover().unwrap();
    assert_eq!(budget.used(), 0, "rolling over frees everything");

    let mut b = spool(0, &budget);
    b.write_all(&[2; 300]).unwrap();
    assert!(budget.used() >= 300);
    match b.into_inner().unwrap() {
        SpooledData::InMemory(cursor) => assert_eq!(cursor.get_ref().len(), 300),
        SpooledData::OnDisk(_) => panic!("b never rolled over"),
    }
    assert_eq!(
        budget.used(),
        0,
        "the buffer given away is not the budget's"
    );

    let mut c = spool(0, &budget);
    c.write_all(&[3; 300]).unwrap();
    drop(c);
    assert_eq!(budget.used(), 0);
    drop(a);
    assert_eq!(budget.used(), 0);
}

#[test]
fn a_failed_rollover_for_the_budget_keeps_the_data() {
    let budget = SpoolBudget::new(100);
    let mut a = SpooledTempFile::with_budget(0, &budget);
    a.write_all(&[1; 100]).unwrap();
    let mut b = SpooledTempFile::new_in(0, "/nonexistent/tempspool-budget");
    b.attach(&budget).unwrap(); // empty: nothing to move
    let err = b.write(&[2; 10]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(!b.is_rolled());
    assert_eq!(b.len(), 0);
    drop(a);
    b.write_all(&[2; 10]).unwrap();
    assert!(!b.is_rolled(), "memory is free again");
    assert_eq!(contents(&mut b), [2; 10]);
}

#[test]
fn attach_moves_the_charge_and_detach_returns_it() {
    let first = SpoolBudget::new(1 << 20);
    let second = SpoolBudget::new(1 << 20);
    let mut a = SpooledTempFile::with_budget(0, &first);
    a.write_all(&[1; 1000]).unwrap();
    let held = a.memory_used();
    assert_eq!(first.used(), held);
    a.attach(&second).unwrap();
    assert_eq!((first.used(), second.used()), (0, held));
    assert!(a.budget().unwrap().same_as(&second));
    a.detach();
    assert_eq!(second.used(), 0);
    assert!(a.budget().is_none());

    // Attaching to a budget too small for what the spool holds rolls it over.
    let tiny = SpoolBudget::new(10);
    let mut b = SpooledTempFile::new_in(0, fast_dir());
    b.write_all(&[2; 100]).unwrap();
    b.attach(&tiny).unwrap();
    assert!(b.is_rolled());
    assert_eq!(tiny.used(), 0);
    assert_eq!(contents(&mut b), [2; 100]);
}

// Not on WASI: it has no threads.
#[cfg(not(target_os = "wasi"))]
mod threads {
    use std::io::{Read, SeekFrom};
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A small deterministic generator: the test must not depend on luck.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// One spool and what it must hold.
    struct Tracked {
        spool: SpooledTempFile,
        model: Vec<u8>,
    }

    fn fresh(budget: &SpoolBudget, rng: &mut Rng) -> Tracked {
        let max_size = [0, 2048, 8192][rng.below(3)];
        let mut spool = SpooledTempFile::new_in(max_size, fast_dir());
        spool.attach(budget).unwrap();
        Tracked {
            spool,
            model: Vec::new(),
        }
    }

    /// One random operation on `t`; `true` if it was a write or `set_len`
    /// within `max_size` that rolled the spool over (only the budget does that).
    fn step(t: &mut Tracked, rng: &mut Rng, budget: &SpoolBudget) -> bool {
        let was_rolled = t.spool.is_rolled();
        let max_size = t.spool.max_size();
        let within_max = |end: usize| max_size == 0 || end <= max_size;
        let end = match rng.below(10) {
            0..=4 => {
                let len = rng.below(3000);
                let at = rng.below(t.model.len() + 1);
                let byte = rng.below(256) as u8;
                t.spool.seek(SeekFrom::Start(at as u64)).unwrap();
                t.spool.write_all(&vec![byte; len]).unwrap();
                if t.model.len() < at + len {
                    t.model.resize(at + len, 0);
                }
                t.model[at..at + len].fill(byte);
                at + len
            }
            5 | 6 => {
                let len = rng.below(t.model.len() + 2000);
                t.spool.set_len(len as u64).unwrap();
                t.model.resize(len, 0);
                len
            }
            7 => {
                let at = rng.below(t.model.len() + 1);
                t.spool.seek(SeekFrom::Start(at as u64)).unwrap();
                let mut back = Vec::new();
                t.spool.read_to_end(&mut back).unwrap();
                assert_eq!(back, t.model[at..]);
                return false;
            }
            8 => {
                t.spool.rollover().unwrap();
                return false;
            }
            _ => {
                *t = fresh(budget, rng);
                return false;
            }
        };
        !was_rolled && t.spool.is_rolled() && within_max(end)
    }

    #[test]
    fn many_spools_across_threads_stay_within_the_budget() {
        const THREADS: usize = 4;
        const SPOOLS: usize = 8;
        const ROUNDS: usize = 12;
        const STEPS: usize = 25;
        let budget = SpoolBudget::new(48 * 1024);
        let barrier = Barrier::new(THREADS);
        let held: Vec<AtomicUsize> = (0..THREADS).map(|_| AtomicUsize::new(0)).collect();
        let budget_rolls = AtomicUsize::new(0);

        // The spools are made here and sent to the threads.
        let mut seeds = Rng(0x9e37_79b9_7f4a_7c15);
        let sets: Vec<(Vec<Tracked>, Rng)> = (0..THREADS)
            .map(|_| {
                let mut rng = Rng(seeds.below(usize::MAX) as u64 | 1);
                let spools = (0..SPOOLS).map(|_| fresh(&budget, &mut rng)).collect();
                (spools, rng)
            })
            .collect();

        std::thread::scope(|scope| {
            for (id, (mut spools, mut rng)) in sets.into_iter().enumerate() {
                let (budget, barrier, held) = (&budget, &barrier, &held);
                let budget_rolls = &budget_rolls;
                scope.spawn(move || {
                    for _ in 0..ROUNDS {
                        for _ in 0..STEPS {
                            let i = rng.below(SPOOLS);
                            if step(&mut spools[i], &mut rng, budget) {
                                budget_rolls.fetch_add(1, Ordering::Relaxed);
                            }
                            // After every operation: the total never passes the
                            // limit, and it covers at least this thread's own
                            // spools, each of which is charged for its bytes.
                            let mine: usize = spools.iter().map(|t| t.spool.memory_used()).sum();
                            let used = budget.used();
                            assert!(used <= budget.limit(), "{used} > limit");
                            assert!(used >= mine, "used {used} < this thread's {mine}");
                            for t in &spools {
                                if !t.spool.is_rolled() {
                                    assert!(t.spool.memory_used() as u64 >= t.spool.len());
                                }
                            }
                        }
                        // Between rounds, all threads stop: the total is then
                        // exactly the sum of what every spool holds.
                        let mine: usize = spools.iter().map(|t| t.spool.memory_used()).sum();
                        held[id].store(mine, Ordering::SeqCst);
                        barrier.wait();
                        if id == 0 {
                            let all: usize = held.iter().map(|h| h.load(Ordering::SeqCst)).sum();
                            assert_eq!(budget.used(), all, "budget out of step with the spools");
                        }
                        barrier.wait();
                    }
                    for t in &mut spools {
                        assert_eq!(contents(&mut t.spool), t.model);
                    }
                });
            }
        });
        assert_eq!(budget.used(), 0, "every spool gave its memory back");
        assert!(
            budget_rolls.load(Ordering::Relaxed) > 0,
            "the budget never made a spool roll over: the test proves nothing"
        );
    }
}

/// What N spools of B bytes cost: written in pieces, the buffer doubles,
/// so a spool is charged the power of two at or above B (at least 64,
/// at most `max_size`); one write of B bytes, or a reservation, charges B.
#[test]
fn the_charge_is_the_doubled_capacity_or_exactly_the_reservation() {
    const B: usize = 700_000;
    let data = vec![7u8; B];
    let budget = SpoolBudget::new(64 << 20);
    let mut doubled = spool(0, &budget);
    for chunk in data.chunks(16 * 1024) {
        doubled.write_all(chunk).unwrap();
    }
    assert_eq!(doubled.memory_used(), 1 << 20);
    let mut whole = spool(0, &budget);
    whole.write_all(&data).unwrap();
    assert_eq!(whole.memory_used(), B);
    let mut reserved = spool(0, &budget);
    reserved.write_all(&data[..1000]).unwrap();
    reserved.reserve(B - 1000);
    for chunk in data[1000..].chunks(16 * 1024) {
        reserved.write_all(chunk).unwrap();
    }
    assert_eq!(reserved.memory_used(), B, "the length plus the reservation");
    assert_eq!(budget.used(), (1 << 20) + 2 * B);
    assert_eq!(contents(&mut reserved), data);
    // Past the reservation, doubling again.
    reserved.write_all(b"x").unwrap();
    assert_eq!(reserved.memory_used(), 2 * B);
}

/// A reservation is the client's word: it is charged only as data
/// arrives (at most twice what arrived), and never rolls a spool over.
#[test]
fn a_reservation_is_charged_only_as_data_arrives() {
    let budget = SpoolBudget::new(10 << 20);
    let mut idle: Vec<SpooledTempFile> = (0..100)
        .map(|_| {
            let mut s = spool(1 << 20, &budget);
            s.reserve(1 << 20);
            s
        })
        .collect();
    assert_eq!(budget.used(), 0, "a hundred declared MiB hold nothing");
    let mut honest = spool(1 << 20, &budget);
    honest.reserve(700_000);
    honest.write_all(&[1; 1000]).unwrap();
    assert!(honest.memory_used() <= 2048, "{}", honest.memory_used());
    honest.write_all(&vec![2; 699_000]).unwrap();
    assert_eq!(honest.memory_used(), 700_000);
    assert!(!honest.is_rolled());
    let mut beyond = spool(1 << 20, &budget);
    beyond.reserve(2 << 20); // more than max_size: a cap, not a rollover
    assert!(!beyond.is_rolled());
    beyond.write_all(&[3; 100]).unwrap();
    assert!(!beyond.is_rolled());
    idle.clear();
    drop((honest, beyond));
    assert_eq!(budget.used(), 0);
}
