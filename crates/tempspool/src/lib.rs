//! Spooled temporary files (Python's `SpooledTemporaryFile`): data stays in
//! memory until it grows past a limit, then moves to an anonymous file
//! from [`tempfs`].
//!
//! This crate is being built.
