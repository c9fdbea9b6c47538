//! `cargo xtask ci miri`: the unit tests of the pure logic under Miri,
//! which catches undefined behaviour the compiled tests cannot see. It
//! needs nightly with `miri` and `rust-src`, installed with `rustup` when
//! missing (else skipped locally, a failure under `TEMPKIT_CI=1`).

use crate::run::{Tally, stdout_of};
use crate::tools::{ensure_toolchain, missing, rustup_run, skipped};

/// The toolchain Miri ships with.
pub(crate) const NIGHTLY: &str = "nightly";

/// The pure-logic unit tests, by crate: names, the order of temp-dir
/// candidates, and the in-memory spool against its model and its budget.
/// Miri runs without the operating system underneath (`rustix`'s system
/// calls are beyond it), so tests are chosen by name, and every name must
/// match a test: a renamed module fails the step, not drops out of it.
#[rustfmt::skip]
const SUITES: &[(&str, &[&str])] = &[
    ("tempcore", &[
        "name::", "entropy::", "error::",
        "sys::unix::tests::normpath", "sys::unix::tests::absolute",
        "tmpdir::tests::environment_comes_first", "tmpdir::tests::empty_variables",
        "tmpdir::tests::relative_values", "tmpdir::tests::without_a_current_directory",
    ]),
    ("tempspool", &["model_tests::", "budget::", "counter::"]),
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
    if let Err(why) = ensure_toolchain(NIGHTLY, "cargo miri --version", &["miri", "rust-src"]) {
        return missing(&format!("Miri could not be installed with rustup:\n{why}"));
    }
    let mut ran = Vec::new();
    for (name, filters) in SUITES {
        let mut command = rustup_run(NIGHTLY, "cargo");
        command
            .args(["miri", "test", "--locked", "--lib", "-p", name])
            .args(["--target-dir", "target/miri", "--"])
            .args(*filters)
            // Tests read the current directory.
            .env("MIRIFLAGS", "-Zmiri-disable-isolation");
        let stdout = stdout_of(&mut command)?;
        let unmatched = unmatched(filters, &stdout);
        if !unmatched.is_empty() {
            return Err(format!(
                "no {name} test under Miri matches {unmatched:?} (renamed or removed? \
                 update SUITES in xtask/src/miri.rs)\n{stdout}"
            ));
        }
        ran.push(format!("{name} {}", Tally::of(&stdout).passed()));
    }
    Ok(format!("passed: {}", ran.join(", ")))
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
        let out = "test result: ok. 16 passed; 0 failed\n";
        assert_eq!(Tally::of(out).passed(), 16);
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
