//! `cargo xtask ci miri`: the unit tests of the pure logic under Miri,
//! which catches undefined behaviour the compiled tests cannot see.
//!
//! Optional: it needs a nightly toolchain with the `miri` and `rust-src`
//! components. It installs them with `rustup` when it can, and otherwise
//! says so and is skipped (in CI too). Miri interprets the tests
//! without the operating system underneath, so the pure ones are chosen
//! by name in [`SUITES`].

use crate::run::capture;
use crate::tools::{have_rustup, rustup_run, skipped};

/// The toolchain Miri ships with.
const NIGHTLY: &str = "nightly";

/// The pure-logic unit tests, by crate: names, the order of temp-dir
/// candidates, and the in-memory spool against its model (which rolls to
/// no file) and its budget. Miri runs without the operating system
/// underneath, and `rustix`'s system calls (opening directories to probe
/// them, `mmap`) are beyond it, so tests are chosen by name, not all.
const SUITES: &[(&str, &[&str])] = &[
    (
        "tempcore",
        &[
            "name::",
            "entropy::",
            "error::",
            "sys::unix::tests::normpath",
            "sys::unix::tests::absolute",
            "tmpdir::tests::environment_comes_first",
            "tmpdir::tests::empty_variables",
            "tmpdir::tests::relative_values",
            "tmpdir::tests::without_a_current_directory",
        ],
    ),
    ("tempspool", &["model_tests::", "budget::"]),
];

/// The step.
pub(crate) fn miri() -> Result<String, String> {
    let os = std::env::consts::OS;
    if os != "linux" {
        // The tests chosen are the unix backend's; the Linux job runs them.
        return Ok(skipped(&format!(
            "Miri runs in the Linux job (this is {os}; it is optional)"
        )));
    }
    if !have_rustup() {
        return Ok(skipped(
            "rustup is not installed, so Miri cannot be (it is optional)",
        ));
    }
    if let Err(why) = ensure_miri() {
        return Ok(skipped(&format!(
            "Miri could not be installed with rustup (it is optional):\n{why}"
        )));
    }
    let mut ran = Vec::new();
    for (name, filters) in SUITES {
        let mut command = rustup_run(NIGHTLY, "cargo");
        command
            .args(["miri", "test", "--locked", "--lib", "-p", name])
            .args(["--target-dir", "target/miri", "--"])
            // Tests read the current directory.
            .env("MIRIFLAGS", "-Zmiri-disable-isolation");
        command.args(*filters);
        let out = capture(&mut command)?;
        let passed = passed(&String::from_utf8_lossy(&out.stdout));
        ran.push(format!("{name} {passed}"));
    }
    Ok(format!("passed: {}", ran.join(", ")))
}

/// `cargo miri` on nightly, installing the components if needed.
fn ensure_miri() -> Result<(), String> {
    if capture(rustup_run(NIGHTLY, "cargo").args(["miri", "--version"])).is_ok() {
        return Ok(());
    }
    capture(std::process::Command::new("rustup").args([
        "toolchain",
        "install",
        NIGHTLY,
        "--profile",
        "minimal",
        "--component",
        "miri,rust-src",
        "--no-self-update",
    ]))
    .map(drop)
}

/// The number of tests passed in one test binary's output.
fn passed(stdout: &str) -> u64 {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_passed_tests() {
        assert_eq!(super::passed("test result: ok. 16 passed; 0 failed\n"), 16);
    }
}
