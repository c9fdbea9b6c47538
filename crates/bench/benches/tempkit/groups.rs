//! The groups, generic over criterion's measurement.

use bench::ops::{GROUPS, Scratch};
use bench::places::Place;
use criterion::Criterion;
use criterion::measurement::Measurement;

/// Every group, in the order of the report.
pub(crate) fn all<M: Measurement>(c: &mut Criterion<M>) {
    let places = Place::all().expect("opening the benchmark directories");
    single_operations(c, &places);
}

/// Groups 1, 2 and 6: one operation per iteration.
fn single_operations<M: Measurement>(c: &mut Criterion<M>, places: &[Place]) {
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
            for contender in group.contenders {
                g.bench_function(contender.name, |b| {
                    b.iter(|| (contender.run)(place, &mut scratch).expect(contender.name))
                });
            }
            g.finish();
        }
    }
}
