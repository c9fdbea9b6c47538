//! Behaviour tests of tempcore, in one binary to keep link time down.

#[cfg(unix)]
mod support;

mod names;

#[cfg(target_os = "linux")]
mod linux;

#[cfg(unix)]
mod anonymous;
#[cfg(unix)]
mod creation;
#[cfg(unix)]
mod discovery;
mod linking;
#[cfg(target_os = "linux")]
mod secure;
#[cfg(unix)]
mod staged;
#[cfg(unix)]
mod unprivileged;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
mod windows_on_close;
