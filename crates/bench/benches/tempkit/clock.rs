//! Criterion's side of the clock: a [`Measurement`] of the benchmarking
//! thread's CPU time (see `bench::clock` for why it is the default).

use std::time::Duration;

use bench::clock::thread_cpu_time;
use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` as a criterion measurement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu_time().saturating_sub(start)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self
    }
}

impl ValueFormatter for ThreadCpuTime {
    fn scale_values(&self, typical_ns: f64, values: &mut [f64]) -> &'static str {
        // The same units as wall time: criterion's own formatter is private.
        WallTime.formatter().scale_values(typical_ns, values)
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        WallTime
            .formatter()
            .scale_throughputs(typical, throughput, values)
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
