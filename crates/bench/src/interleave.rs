//! Interleaved measurement: every contender of a group in turn, a short
//! batch each, round after round, the order rotating every round.
//!
//! Criterion measures one contender for seconds, then the next: on a
//! shared machine the cost of a system call drifts over seconds (other
//! jobs' load, the ext4 journal's state), so two contenders measured a
//! minute apart differ by more than the difference being looked for. Here
//! contenders alternate every few milliseconds, and each round's ratio
//! compares neighbours in time: the median of those ratios is what the
//! report's "interleaved" columns show.

use std::io;
use std::time::Duration;

use crate::clock::Clock;
use crate::ops::{Group, Scratch};
use crate::places::Place;
use crate::spool::{Job, Staged};
use crate::tree::{self, Tree};

/// Rounds for a single-operation group: each contender's batch takes
/// about 2 ms (as many of the floor's operations as fill that), so a
/// group takes a second or two.
pub const OP_ROUNDS: usize = 100;

/// Rounds for a tree group: one removal per contender per round, each of
/// a tree built untimed just before.
pub const TREE_ROUNDS: usize = 10;

/// How long a batch of the floor's operations should take.
const BATCH_TIME: Duration = Duration::from_millis(2);

/// One contender's times, nanoseconds per operation, one per round.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The contender's name.
    pub contender: &'static str,
    /// Nanoseconds per operation in each round.
    pub ns: Vec<f64>,
}

/// Measures `group` in `place` (made the default directory) for `rounds`
/// rounds.
pub fn ops_group(
    group: &Group,
    place: &Place,
    rounds: usize,
    clock: Clock,
) -> io::Result<Vec<Series>> {
    place.activate()?;
    let clock = clock.for_threads(group.threads);
    let mut scratch = Scratch::new()?;
    (group.setup)(place, &mut scratch)?;
    let floor = group.contender(group.floor).ok_or_else(|| {
        io::Error::other(format!("{} has no contender {}", group.name, group.floor))
    })?;
    let mut batch_of = |run: fn(&Place, &mut Scratch) -> io::Result<()>, n: u64| {
        let start = clock.now();
        for _ in 0..n {
            run(place, &mut scratch)?;
        }
        Ok::<Duration, io::Error>(clock.now().saturating_sub(start))
    };
    for c in group.contenders {
        batch_of(c.run, 3)?;
    }
    let mut batch = 1u64;
    while batch < 1 << 20 && batch_of(floor.run, batch)? < BATCH_TIME {
        batch *= 2;
    }
    let runs: Vec<_> = group.contenders.iter().map(|c| c.run).collect();
    let times = rotate(runs.len(), rounds, |i| {
        Ok(batch_of(runs[i], batch)?.as_nanos() as f64 / batch as f64)
    })?;
    Ok(series(group.contenders.iter().map(|c| c.name), times))
}

/// Most jobs in a staged batch.
const MAX_JOBS: usize = 16;

/// Measures a staged group (`crate::spool`) in `place` (made the default
/// directory) for `rounds` rounds: each object of a batch is made just
/// before the clock starts for its calls (so that what it holds is as
/// warm in the cache as a program's own data would be), and checked
/// after the clock stops; the batch's time is the sum of its calls'.
pub fn staged_group(
    group: &Staged,
    place: &Place,
    rounds: usize,
    clock: Clock,
) -> io::Result<Vec<Series>> {
    place.activate()?;
    keep_the_heap();
    let contenders = group.contenders();
    let batch_of = |i: usize, n: usize| -> io::Result<Duration> {
        let c = &contenders[i];
        let mut took = Duration::ZERO;
        for _ in 0..n {
            let mut job: Box<dyn Job> = (c.prepare)(place, group.call, group.state)?;
            let start = clock.now();
            job.run()?;
            took += clock.now().saturating_sub(start);
            job.check()
                .map_err(|e| io::Error::other(format!("{}/{}: {e}", group.name, c.name)))?;
        }
        Ok(took)
    };
    let floor = contenders
        .iter()
        .position(|c| c.name == group.floor())
        .ok_or_else(|| io::Error::other(format!("{} has no floor", group.name)))?;
    for i in 0..contenders.len() {
        batch_of(i, 1)?;
    }
    let mut batch = 1;
    while batch < MAX_JOBS && batch_of(floor, batch)? < BATCH_TIME {
        batch *= 2;
    }
    let times = rotate(contenders.len(), rounds, |i| {
        Ok(batch_of(i, batch)?.as_nanos() as f64 / batch as f64)
    })?;
    Ok(series(contenders.iter().map(|c| c.name), times))
}

/// Keeps freed memory in this process's heap (glibc: no trimming, no
/// `mmap` for large blocks), as a long-running program's heap is warm.
/// Without it the measurement timed the allocator, not the calls: one
/// object lives at a time, and a spool's check (a copy of what it holds)
/// left the heap's top free, so glibc gave it back to the system and the
/// next spool's first writes took fresh, page-faulting memory, while
/// `Cursor`'s check copies nothing. Spools in memory measured 4.2–4.6×
/// `Cursor` that way for identical `Vec` writes (the `tempfile` crate's
/// spool *is* a `Cursor`), 0.92–1.23× with the heap kept.
pub fn keep_the_heap() {
    // 32 MiB is the largest `mmap` threshold glibc accepts on 64-bit.
    #[cfg(target_env = "gnu")]
    for (parameter, bytes) in [
        (libc::M_TRIM_THRESHOLD, 256 << 20),
        (libc::M_MMAP_THRESHOLD, 32 << 20),
    ] {
        // SAFETY: `mallopt` only sets a tuning parameter of the allocator.
        let set = unsafe { libc::mallopt(parameter, bytes) };
        assert_eq!(set, 1, "mallopt({parameter}, {bytes}) refused");
    }
}

/// Measures removing `tree` in `place` (made the default directory) for
/// `rounds` rounds; building each tree is not timed.
pub fn tree_group(
    tree: &Tree,
    place: &Place,
    rounds: usize,
    clock: Clock,
) -> io::Result<Vec<Series>> {
    place.activate()?;
    let contenders = tree::CONTENDERS;
    let times = rotate(contenders.len(), rounds, |i| {
        let made = (contenders[i].prepare)(place, tree)?;
        let start = clock.now();
        made.remove()?;
        Ok(clock.now().saturating_sub(start).as_nanos() as f64)
    })?;
    Ok(series(contenders.iter().map(|c| c.name), times))
}

/// Calls `measure(i)` for each of `n` contenders, `rounds` times, starting
/// each round one contender further on; returns each contender's values.
fn rotate(
    n: usize,
    rounds: usize,
    mut measure: impl FnMut(usize) -> io::Result<f64>,
) -> io::Result<Vec<Vec<f64>>> {
    let mut times = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (round + k) % n;
            times[i].push(measure(i)?);
        }
    }
    Ok(times)
}

fn series(names: impl Iterator<Item = &'static str>, times: Vec<Vec<f64>>) -> Vec<Series> {
    names
        .zip(times)
        .map(|(contender, ns)| Series { contender, ns })
        .collect()
}

/// One line per contender: `name<TAB>ns,ns,...`.
pub fn render(series: &[Series]) -> String {
    series
        .iter()
        .map(|s| {
            let ns: Vec<String> = s.ns.iter().map(|x| format!("{x:.1}")).collect();
            format!("{}\t{}\n", s.contender, ns.join(","))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_rotate_the_order() {
        let mut order = Vec::new();
        let times = rotate(3, 3, |i| {
            order.push(i);
            Ok(i as f64)
        })
        .unwrap();
        assert_eq!(order, [0, 1, 2, 1, 2, 0, 2, 0, 1]);
        assert_eq!(times, [vec![0.0; 3], vec![1.0; 3], vec![2.0; 3]]);
    }

    #[test]
    fn every_contender_gets_a_time_each_round() {
        let _default = crate::places::DEFAULT_DIR
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let root = std::env::temp_dir().join(format!("bench-interleave-{}", std::process::id()));
        std::fs::create_dir(&root).unwrap();
        let place = Place::open("test", &root).unwrap();
        let series = ops_group(&crate::ops::ANONYMOUS, &place, 3, Clock::Cpu).unwrap();
        assert_eq!(series.len(), crate::ops::ANONYMOUS.contenders.len());
        assert!(
            series
                .iter()
                .all(|s| s.ns.len() == 3 && s.ns.iter().all(|&x| x > 0.0))
        );
        let text = render(&series);
        assert_eq!(text.lines().count(), series.len());
        assert!(text.starts_with("ours\t"));
        let staged = crate::spool::staged("spool-rolled-read").unwrap();
        let series = staged_group(staged, &place, 2, Clock::Cpu).unwrap();
        assert_eq!(series.len(), staged.contenders().len());
        assert!(series.iter().all(|s| s.ns.len() == 2));
        tempcore::reset_temp_dir();
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
        std::fs::remove_dir(&root).unwrap();
    }
}
