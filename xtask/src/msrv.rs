//! `cargo xtask ci msrv`: the library crates build with the Rust version
//! they declare (`rust-version` in `[workspace.package]`), the unix backend
//! on this host and the Windows backend for `x86_64-pc-windows-msvc`.
//! `cargo xtask ci minimal`: they build and pass their tests with every
//! direct dependency at its floor ("Dependency floors" in
//! `docs/platforms.md`). A toolchain is installed with `rustup` when
//! missing; when that cannot be done the step is skipped locally and fails
//! under `TEMPKIT_CI=1`.

use std::path::Path;
use std::process::Command;

use crate::run::{at, capture, root};
use crate::tools::{ensure_toolchain, missing, rustup_run};

/// The crates users depend on, as (directory under `crates/`, package
/// name on crates.io: see "Names" in `docs/platforms.md`).
#[rustfmt::skip]
pub(crate) const LIBRARY_CRATES: &[(&str, &str)] = &[
    ("tempcore", "tempcore"), ("tempfs", "tempkit-fs"), ("tempspool", "tempspool"), ("tempkit", "tempkit"),
];

/// The step.
pub(crate) fn msrv() -> Result<String, String> {
    let version = workspace_package(&root().join("Cargo.toml"), "rust-version")?;
    if let Err(why) = ensure_toolchain(&version, "rustc --version", &[]) {
        return missing(&format!(
            "rustup could not install Rust {version}, so the declared rust-version is unchecked:\n{why}"
        ));
    }
    let host = check(&version, None)?;
    let windows = "x86_64-pc-windows-msvc";
    let add = ["target", "add", "--toolchain", &version, windows];
    if capture(Command::new("rustup").args(add)).is_err() {
        let checked = missing(&format!(
            "rustup cannot add {windows} to Rust {version}, so the Windows backend's \
             rust-version is unchecked"
        ))?;
        return Ok(format!("Rust {version}: {host}; {checked}"));
    }
    let windows = check(&version, Some(windows))?;
    Ok(format!("Rust {version}: {host}, {windows}"))
}

/// `rustup run <version> cargo check -p <each library crate>`, in a target
/// directory of its own.
fn check(version: &str, target: Option<&str>) -> Result<String, String> {
    let mut command = on_library(version, "check --locked --target-dir target/msrv");
    if let Some(target) = target {
        command.args(["--target", target]);
    }
    capture(&mut command)?;
    Ok(target.unwrap_or("host").to_string())
}

/// `key` (a string) of `[workspace.package]` in the manifest at `path`.
pub(crate) fn workspace_package(path: &Path, key: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(at(path))?;
    workspace_value(&text, key)
        .ok_or_else(|| format!("{}: no {key} in [workspace.package]", path.display()))
}

/// `rustup run <toolchain> cargo <args>` (split at spaces) for every
/// library crate, with every feature (`tokio`).
fn on_library(toolchain: &str, args: &str) -> Command {
    let mut command = rustup_run(toolchain, "cargo");
    each_library(command.args(args.split(' ')).arg("--all-features"));
    command
}

/// Adds `-p <name>` for every library crate to a cargo `command`.
pub(crate) fn each_library(command: &mut Command) -> &mut Command {
    LIBRARY_CRATES
        .iter()
        .fold(command, |c, (_, name)| c.args(["-p", name]))
}

/// The step `minimal`: see the module docs (Windows is only checked,
/// for `windows-sys`).
pub(crate) fn minimal() -> Result<String, String> {
    let nightly = crate::miri::NIGHTLY;
    if let Err(why) = ensure_toolchain(nightly, "cargo --version", &[]) {
        return missing(&format!(
            "no nightly cargo for -Z direct-minimal-versions:\n{why}"
        ));
    }
    let lock = root().join("target/minimal/Cargo.lock");
    let lock = format!("resolver.lockfile-path={:?}", lock.display().to_string());
    let mut update = rustup_run(nightly, "cargo");
    capture(update.args(["update", "-Z", "direct-minimal-versions", "--config", &lock]))?;
    let add = "target add --toolchain nightly x86_64-pc-windows-msvc";
    capture(Command::new("rustup").args(add.split(' ')))?;
    for run in ["test", "check --target x86_64-pc-windows-msvc"] {
        let args = format!("{run} --locked --target-dir target/minimal");
        capture(on_library(nightly, &args).args(["--config", &lock]))?;
    }
    Ok("tests pass, Windows checks, at the floors (target/minimal/Cargo.lock)".into())
}

/// The string `key` of the `[workspace.package]` table of a manifest's text.
fn workspace_value(manifest: &str, key: &str) -> Option<String> {
    let manifest: toml::Table = manifest.parse().ok()?;
    let value = manifest.get("workspace")?.get("package")?.get(key)?;
    Some(value.as_str()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_workspace_rust_version() {
        let manifest = "[package]\nrust-version = \"1.10\"\n\n[workspace.package]\n\
                        edition = \"2024\"\n# why\nrust-version = \"1.85\"\n";
        let read = |manifest| workspace_value(manifest, "rust-version");
        assert_eq!(read(manifest).as_deref(), Some("1.85"));
        assert_eq!(read("[package]\nrust-version = \"1.1\"\n"), None);
    }

    #[test]
    fn this_workspace_declares_one() {
        let version = workspace_package(&root().join("Cargo.toml"), "rust-version").unwrap();
        assert!(version.starts_with("1."), "{version}");
    }
}
