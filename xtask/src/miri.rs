//! `cargo xtask ci miri`: the unit tests of the pure logic under Miri,
//! which catches undefined behaviour the compiled tests cannot see.
//!
//! It needs a nightly toolchain with the `miri` and `rust-src`
//! components, and installs them with `rustup` when it can. Locally it
//! otherwise says so and is skipped; under `TEMPKIT_CI=1` on Linux that is
//! a failure (`.ci/run` installs them). Miri interprets the tests without
//! the operating system underneath, so the pure ones are chosen by name in
//! [`SUITES`], and every name must match at least one test: a renamed
//! module fails the step instead of quietly dropping out of it.

use crate::run::{Tally, capture};
use crate::tools::{have_rustup, install_toolchain, missing, rustup_run, skipped};

/// The toolchain Miri ships with.
pub(crate) const NIGHTLY: &str = "nightly";

/// The pure-logic unit tests, by crate: names, the order of temp-dir
/// candidates, and the in-memory spool against its model (which rolls to
/// no file) and its budget. Miri runs without the operating system
/// underneath, and `rustix`'s system calls (opening directories to probe
/// them, `mmap`) are beyond it, so tests are chosen by name, not all.
#[rustfmt::skip]
const SUITES: &[(&str, &[&str])] = &[
    ("tempcore", &[
        "name::", "entropy::", "error::",
        "sys::unix::tests::normpath", "sys::unix::tests::absolute",
        "tmpdir::tests::environment_comes_first", "tmpdir::tests::empty_variables",
        "tmpdir::tests::relative_values", "tmpdir::tests::without_a_current_directory",
    ]),
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
        return missing("rustup is not installed, so Miri cannot be");
    }
    let installed = capture(rustup_run(NIGHTLY, "cargo").args(["miri", "--version"]));
    if let Err(why) = installed.or_else(|_| install_toolchain(NIGHTLY, &["miri", "rust-src"])) {
        return missing(&format!("Miri could not be installed with rustup:\n{why}"));
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
        let stdout = String::from_utf8_lossy(&out.stdout);
        let unmatched = unmatched(filters, &stdout);
        if !unmatched.is_empty() {
            return Err(format!(
                "no {name} test under Miri matches {unmatched:?} (renamed or removed? \
                 update SUITES in xtask/src/miri.rs)\n{stdout}"
            ));
        }
        ran.push(format!("{name} {}", passed(&stdout)));
    }
    Ok(format!("passed: {}", ran.join(", ")))
}

/// The number of tests passed in one test binary's output.
fn passed(stdout: &str) -> u64 {
    Tally::of(stdout).passed()
}

/// The filters of `filters` that no test that passed in `stdout`
/// (libtest's `test <name> ... ok` lines; an ignored one does not count)
/// matches; libtest matches by substring.
fn unmatched<'a>(filters: &[&'a str], stdout: &str) -> Vec<&'a str> {
    let ran: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... ok"))
        .collect();
    filters
        .iter()
        .copied()
        .filter(|filter| !ran.iter().any(|name| name.contains(filter)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_passed_tests() {
        assert_eq!(passed("test result: ok. 16 passed; 0 failed\n"), 16);
    }

    #[test]
    fn a_filter_that_matches_no_test_is_named() {
        let out = "\
running 2 tests
test name::tests::alphabet ... ok
test budget::tests::shared ... ok

test result: ok. 2 passed; 0 failed
";
        assert_eq!(unmatched(&["name::", "budget::"], out), Vec::<&str>::new());
        assert_eq!(
            unmatched(&["name::", "model_tests::"], out),
            ["model_tests::"]
        );
        assert_eq!(
            unmatched(&["name::"], "test result: ok. 0 passed\n"),
            ["name::"]
        );
        let ignored = "test model_tests::big ... ignored\n";
        assert_eq!(unmatched(&["model_tests::"], ignored), ["model_tests::"]);
    }
}
