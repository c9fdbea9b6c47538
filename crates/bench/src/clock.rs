//! The clocks the benchmarks measure with: the calling thread's CPU time
//! (user + system) by default, wall time on request.
//!
//! The machines these numbers come from are shared: on a 2-core machine
//! running other builds, wall time mostly measures how often the
//! scheduler let someone else run. CPU time counts only what this thread
//! spent, in user space and in the kernel on its behalf, which is the
//! cost being compared. Set `TEMPKIT_BENCH_CLOCK=wall` for wall time.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment variable choosing the clock: `cpu` (default) or `wall`.
pub const CLOCK_VAR: &str = "TEMPKIT_BENCH_CLOCK";

/// Which clock a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`.
    Cpu,
    /// `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`: every thread's CPU
    /// time, for the groups whose operation runs in two threads.
    Process,
    /// `Instant::now()`.
    Wall,
}

impl Clock {
    /// From [`CLOCK_VAR`]: `wall` is wall time, anything else CPU time.
    pub fn from_env() -> Clock {
        match std::env::var(CLOCK_VAR).as_deref() {
            Ok("wall") => Clock::Wall,
            _ => Clock::Cpu,
        }
    }

    /// The clock for an operation done by `threads` threads at once: the
    /// process's CPU time instead of this thread's (the other threads'
    /// work would not count), wall time unchanged.
    pub fn for_threads(self, threads: usize) -> Clock {
        match self {
            Clock::Cpu if threads > 1 => Clock::Process,
            clock => clock,
        }
    }

    /// The clock's reading: only differences mean anything.
    pub fn now(self) -> Duration {
        match self {
            Clock::Cpu => thread_cpu_time(),
            Clock::Process => cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID),
            Clock::Wall => {
                static START: OnceLock<Instant> = OnceLock::new();
                START.get_or_init(Instant::now).elapsed()
            }
        }
    }
}

/// This thread's CPU time, to the nanosecond (the scheduler's own
/// accounting): `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`.
pub fn thread_cpu_time() -> Duration {
    cpu_time(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// A CPU-time clock's reading.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids passed are
    // constants every Linux kernel since 2.6.12 knows.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime({clock}) failed");
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_clocks_advance_with_work() {
        for clock in [Clock::Cpu, Clock::Process, Clock::Wall] {
            let start = clock.now();
            let mut x = 0u64;
            for i in 0..2_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
            assert!(clock.now() > start, "{clock:?}");
        }
        assert_eq!(Clock::Cpu.for_threads(2), Clock::Process);
        assert_eq!(Clock::Cpu.for_threads(1), Clock::Cpu);
        assert_eq!(Clock::Wall.for_threads(2), Clock::Wall);
    }
}
