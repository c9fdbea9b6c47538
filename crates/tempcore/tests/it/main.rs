//! Behaviour tests of tempcore, in one binary to keep link time down.

#[cfg(any(unix, target_os = "wasi"))]
#[cfg_attr(
    target_os = "wasi",
    allow(dead_code, reason = "what counts names serves unix-only modules")
)]
mod support;

mod names;

#[cfg(target_os = "linux")]
mod linux;

// Unix only, not WASI: these check modes, link counts and owners, and
// run children forked as `nobody` or killed by signals; WASI has none of
// them. WASI's own checks are in `wasi`.
#[cfg(unix)]
mod anonymous;
#[cfg(unix)]
mod creation;
#[cfg(unix)]
mod discovery;
mod linking;
#[cfg(target_os = "linux")]
mod secure;
#[cfg(any(unix, target_os = "wasi"))]
mod staged;
#[cfg(unix)]
mod unprivileged;
#[cfg(target_os = "wasi")]
mod wasi;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
mod windows_on_close;
