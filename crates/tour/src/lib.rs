//! Nothing to link against: this package holds the tour,
//! `cargo run --example tour`, in `examples/tour/`.

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
