//! What the benches measure with: the benchmarking thread's CPU time
//! (user + system) by default, wall time on request.
//!
//! The machines these numbers come from are shared: on a 2-core machine
//! running other builds, wall time mostly measures how often the
//! scheduler let someone else run. CPU time counts only what this thread
//! spent, in user space and in the kernel on its behalf, which is the
//! cost being compared. Set `TEMPKIT_BENCH_CLOCK=wall` for wall time.

use std::time::Duration;

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// The environment variable choosing the clock: `cpu` (default) or `wall`.
pub(crate) const CLOCK_VAR: &str = "TEMPKIT_BENCH_CLOCK";

/// Which clock the run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    Cpu,
    Wall,
}

impl Clock {
    /// From [`CLOCK_VAR`]; anything but `wall` is CPU time.
    pub(crate) fn from_env() -> Clock {
        match std::env::var(CLOCK_VAR).as_deref() {
            Ok("wall") => Clock::Wall,
            _ => Clock::Cpu,
        }
    }
}

/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`: this thread's CPU time, to the
/// nanosecond (the scheduler's own accounting).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreadCpuTime;

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // every Linux kernel since 2.6.12 knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

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
