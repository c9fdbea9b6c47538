//! TempDir and mkdtemp: the API, Python's TemporaryDirectory tests, and
//! the attacks its cleanup must withstand.

mod api;
mod cleanup;
mod fixtures;
mod limits;
mod linux;
mod race;
mod unix_api;
mod unprivileged;
