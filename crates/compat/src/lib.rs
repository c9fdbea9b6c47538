//! The compatibility suite of `tempkit`: the tests in `tests/` are written
//! the way code using the `tempfile` crate is written (`use tempfile::...`,
//! every public name, the signatures and generic arguments users call),
//! and compile against `tempkit` renamed to `tempfile` in this crate's
//! `Cargo.toml`, as a user's one-line switch does. A change that would
//! break such a user fails to compile or fails a test here.
//!
//! - `tests/surface.rs`: every public item, its signature and behaviour.
//! - `tests/missing_cwd.rs`: `TempPath::from_path` without a current
//!   directory, in a process of its own, because it removes its own.
//! - `tests/override_temp_dir.rs`: `env::override_temp_dir`, in a process
//!   of its own, because it changes the default directory once for the
//!   whole process.
//!
//! The library itself is empty.
