//! Nothing to link against: this package holds the tour,
//! `cargo run --example tour`, in `examples/tour/`.
