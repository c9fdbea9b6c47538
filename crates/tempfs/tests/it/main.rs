//! Behaviour tests of tempfs, one module per topic, in one binary.

mod async_tokio;
mod atomic_basic;
mod atomic_linux;
mod atomic_unix;
mod atomic_windows;
mod doc_examples;
mod empty_dir;
mod file_anonymous;
mod file_bad_input;
mod file_cross_device;
mod file_descriptors;
mod file_durable;
mod file_handle_relative;
mod file_leaks;
mod file_lifecycle;
mod file_permissions;
mod file_persist;
mod file_reopen;
mod file_staged;
mod file_support;
// Not on WASI: it has no threads.
#[cfg(not(target_os = "wasi"))]
mod file_threads;
mod memory_linux;
mod memory_portable;
mod reap;
mod retain;
mod signals;
mod tempdir;
#[cfg(target_os = "wasi")]
mod wasi;
mod windows;
mod windows_console;
mod windows_on_close;
