//! The criterion benches: every group of the `bench` crate, each
//! contender side by side, in each place (`cargo bench -p bench`).
//! `cargo xtask bench` runs them and turns criterion's result files into
//! `docs/performance.md`.

#[cfg(target_os = "linux")]
mod clock;
#[cfg(target_os = "linux")]
mod groups;

#[cfg(target_os = "linux")]
fn main() {
    use criterion::Criterion;

    use bench::clock::Clock;
    use clock::ThreadCpuTime;

    match Clock::from_env() {
        // `from_env` gives only these two; the groups of two threads
        // switch to the process's clock themselves.
        Clock::Cpu | Clock::Process => groups::all(
            &mut Criterion::default()
                .with_measurement(ThreadCpuTime)
                .configure_from_args(),
        ),
        Clock::Wall => groups::all(&mut Criterion::default().configure_from_args()),
    }
    Criterion::default().configure_from_args().final_summary();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("the benchmarks measure Linux system calls: nothing to run here");
}
