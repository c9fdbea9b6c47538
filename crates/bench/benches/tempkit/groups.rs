//! The groups, generic over criterion's measurement.

use std::time::Duration;

use bench::clock::Clock;
use bench::ops::{GROUPS, Scratch};
use bench::places::Place;
use bench::spool::STAGED;
use bench::tree::{self, TREES};
use criterion::measurement::Measurement;
use criterion::{BatchSize, Criterion, SamplingMode};

/// Every group (the report orders them itself).
pub(crate) fn all<M: Measurement<Value = Duration>>(c: &mut Criterion<M>) {
    let places = Place::all().expect("opening the benchmark directories");
    single_operations(c, &places);
    trees(c, &places);
    // Last: it keeps the heap, a setting of the whole process.
    staged(c, &places);
}

/// The spools' calls: each object made before the clock starts, its
/// calls timed, what they did checked after the clock stops (so timed by
/// hand, with the clock criterion's measurement reads).
fn staged<M: Measurement<Value = Duration>>(c: &mut Criterion<M>, places: &[Place]) {
    // As in the interleaved rounds: one spool lives at a time here too.
    bench::interleave::keep_the_heap();
    let clock = Clock::from_env();
    for group in STAGED {
        let places = if group.per_place() {
            places
        } else {
            &places[..1]
        };
        for place in places {
            place
                .activate()
                .expect("making the place the default directory");
            let id = if group.per_place() {
                format!("{}-{}", group.name, place.label())
            } else {
                group.name.to_string()
            };
            let mut g = c.benchmark_group(id);
            g.sample_size(group.samples());
            for contender in group.contenders() {
                g.bench_function(contender.name, |b| {
                    b.iter_custom(|iters| {
                        let mut took = Duration::ZERO;
                        for _ in 0..iters {
                            let mut job = (contender.prepare)(place, group.call, group.state)
                                .expect(contender.name);
                            let start = clock.now();
                            job.run().expect(contender.name);
                            took += clock.now().saturating_sub(start);
                            job.check().expect(contender.name);
                        }
                        took
                    })
                });
            }
            g.finish();
        }
    }
}

/// Group 4: each removal of a tree built untimed just before it. A
/// removal takes tens of milliseconds and building the tree ten times
/// that on a busy ext4: ten samples of one removal each.
///
/// In criterion's `--test` mode (`cargo xtask bench --quick`, which checks
/// that every bench runs and measures nothing) the trees hold 100 files,
/// nested 3 levels deep, instead of 10,000 over 10 levels: building the
/// real ones on a busy disk takes seconds each.
fn trees<M: Measurement<Value = Duration>>(c: &mut Criterion<M>, places: &[Place]) {
    let checking_only = std::env::args().any(|a| a == "--test");
    for t in TREES.iter().filter(|t| t.criterion) {
        let t = &if checking_only {
            tree::Tree {
                files: 100,
                depth: 3,
                ..*t
            }
        } else {
            *t
        };
        for place in places {
            place
                .activate()
                .expect("making the place the default directory");
            let mut g = c.benchmark_group(format!("{}-{}", t.name, place.label()));
            // Ten samples of one removal each (criterion's minimum), after
            // one warm-up removal: the setup is what takes the time.
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_millis(1))
                .measurement_time(Duration::from_millis(1));
            for contender in tree::CONTENDERS {
                g.bench_function(contender.name, |b| {
                    b.iter_batched(
                        || (contender.prepare)(place, t).expect(contender.name),
                        |made| made.remove().expect(contender.name),
                        BatchSize::PerIteration,
                    )
                });
            }
            g.finish();
        }
    }
}

/// The groups of one call per operation. Those run by two threads at
/// once are timed by hand with the process's CPU time (the measurement's
/// own clock is this thread's).
fn single_operations<M: Measurement<Value = Duration>>(c: &mut Criterion<M>, places: &[Place]) {
    let clock = Clock::from_env();
    let mut scratch = Scratch::new().expect("seeding the floor's names");
    for group in GROUPS {
        let places = if group.per_place {
            places
        } else {
            &places[..1]
        };
        for place in places {
            place
                .activate()
                .expect("making the place the default directory");
            let id = if group.per_place {
                format!("{}-{}", group.name, place.label())
            } else {
                group.name.to_string()
            };
            let mut g = c.benchmark_group(id);
            g.sample_size(group.samples);
            for contender in group.contenders {
                g.bench_function(contender.name, |b| {
                    if group.threads == 1 {
                        b.iter(|| (contender.run)(place, &mut scratch).expect(contender.name))
                    } else {
                        let clock = clock.for_threads(group.threads);
                        b.iter_custom(|iters| {
                            let start = clock.now();
                            for _ in 0..iters {
                                (contender.run)(place, &mut scratch).expect(contender.name);
                            }
                            clock.now().saturating_sub(start)
                        })
                    }
                });
            }
            g.finish();
        }
    }
}
