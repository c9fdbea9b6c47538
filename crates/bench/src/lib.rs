//! Benchmarks of the tempkit crates side by side with the `tempfile` crate
//! (the baseline users switch from) and the raw system-call floor (the
//! same work done with nothing but `rustix` calls on a held directory
//! descriptor), and the operations that `cargo xtask syscalls` counts.
//!
//! Every measured operation is written here once, so that the criterion
//! benches (`benches/tempkit.rs`), the system-call probe
//! (`src/bin/syscall_probe.rs`, run under `strace` and `callgrind`) and
//! the report (`src/report/`, which writes `docs/performance.md` for
//! `cargo xtask bench` and checks the budgets of `cargo xtask syscalls`)
//! measure and describe the same code.
//!
//! The crate is Linux-only (`O_TMPFILE`, `getrandom`, tmpfs): elsewhere it
//! compiles to nothing.
#![cfg(target_os = "linux")]

pub mod asynchronous;
pub mod catalogue;
pub mod clock;
pub mod floor;
pub mod interleave;
pub mod ops;
pub mod places;
pub mod report;
pub mod spool;
pub mod tree;
