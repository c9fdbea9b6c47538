//! `cargo xtask ci`: the checks, in the order CI runs them.

use std::process::Command;

use crate::litter::Watched;
use crate::run::{Tally, capture, cargo_args, stdout_of, step};

/// One named check.
pub(crate) struct Step {
    pub(crate) name: &'static str,
    pub(crate) about: &'static str,
    run: fn() -> Result<String, String>,
}

/// Every step, in order.
#[rustfmt::skip]
pub(crate) const STEPS: &[Step] = &[
    Step { name: "fmt", about: "cargo fmt --check", run: fmt },
    Step { name: "clippy", about: "clippy, all targets, warnings are errors", run: clippy },
    Step { name: "test", about: "all tests and doc tests", run: test },
    Step { name: "doc", about: "rustdoc with warnings as errors", run: doc },
    Step { name: "examples", about: "run every example", run: examples },
    Step { name: "cross", about: "check + clippy for Windows, macOS, FreeBSD, WASI", run: cross },
    Step { name: "wine", about: "the tests as Windows binaries under Wine", run: crate::wine::wine },
    Step { name: "wasi", about: "the tests on wasm32-wasip1 and -wasip2 under Wasmtime", run: wasi },
    Step { name: "package", about: "crates.io metadata; cargo package each library crate", run: crate::package::package },
    Step { name: "minimal", about: "library crates pass with direct dependencies at their floors", run: crate::msrv::minimal },
    Step { name: "msrv", about: "library crates build with the declared rust-version", run: crate::msrv::msrv },
    Step { name: "miri", about: "pure-logic unit tests under Miri (optional)", run: crate::miri::miri },
    Step { name: "bench", about: "every benchmark runs once (cargo xtask bench --quick)", run: crate::bench::ci_step },
    Step { name: "syscalls", about: "system calls per operation within budget", run: crate::bench::syscalls_step },
];

/// Targets checked from Linux: the platforms users run on that CI here
/// cannot execute natively.
#[rustfmt::skip]
pub(crate) const CROSS_TARGETS: &[&str] = &[
    "x86_64-pc-windows-msvc", "x86_64-apple-darwin", "aarch64-apple-darwin", "x86_64-unknown-freebsd",
    "wasm32-wasip1", "wasm32-wasip2",
];

/// Runs the named steps (all when none are named).
pub(crate) fn run(names: &[String]) -> Result<(), String> {
    if let Some(name) = names.iter().find(|n| !STEPS.iter().any(|s| s.name == *n)) {
        return Err(format!(
            "no step called {name:?}; `cargo xtask help` lists them"
        ));
    }
    let started = std::time::Instant::now();
    for s in STEPS
        .iter()
        .filter(|s| names.is_empty() || names.iter().any(|n| n == s.name))
    {
        step(s.name, s.run)?;
    }
    println!("all green in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn quiet(mut command: Command) -> Result<String, String> {
    capture(&mut command).map(|_| String::new())
}

fn fmt() -> Result<String, String> {
    quiet(cargo_args("fmt --all --check"))
}

fn clippy() -> Result<String, String> {
    quiet(cargo_args(
        "clippy --workspace --all-targets --all-features --locked -- -D warnings",
    ))
}

fn test() -> Result<String, String> {
    // Built first, outside the watched directory: what the compilers and
    // linkers leave in theirs is not the tests' doing. (Doc tests are
    // compiled as they run.)
    capture(&mut cargo_args(
        "test --workspace --all-features --locked --no-run",
    ))?;
    let temp = Watched::shared()?;
    let mut c = cargo_args("test --workspace --all-features --locked");
    temp.apply(&mut c);
    let out = stdout_of(&mut c)?;
    temp.finish("the tests")?;
    Ok(format!(
        "{} passed, nothing left behind",
        Tally::of(&out).passed()
    ))
}

fn doc() -> Result<String, String> {
    let mut c = cargo_args("doc --workspace --all-features --no-deps --locked");
    c.env("RUSTDOCFLAGS", "-D warnings");
    quiet(c)
}

fn examples() -> Result<String, String> {
    capture(&mut cargo_args(
        "build --workspace --all-features --locked --examples",
    ))?;
    let temp = Watched::shared()?;
    let mut ran = Vec::new();
    for (package, example) in example_names()? {
        let mut c = cargo_args("run --quiet --all-features --locked");
        temp.apply(&mut c);
        c.args(["--package", &package, "--example", &example]);
        let stdout = stdout_of(&mut c)?;
        if example == "tour"
            && let Some(line) = first_missing(&stdout, TOUR_SAYS)
        {
            return Err(format!(
                "the tour no longer prints what the Python page prints: \
                 no line with {line:?} where expected\n{stdout}"
            ));
        }
        ran.push(example);
    }
    temp.finish("the examples")?;
    Ok(format!("{}, nothing left behind", ran.join(", ")))
}

/// What the tour must print, in this order (each a part of one line):
/// the results the Python page shows ("Python 3 Module of the Week",
/// `tempfile`), section by section.
#[rustfmt::skip]
const TOUR_SAYS: &[&str] = &[
    "## Temporary Files", "guess_my_name.", "Some data", "first", "second",
    "## Named Files", "Exists after close: false", "Exists after the handle closes: true",
    "Exists after the scope: false",
    "## Spooled Files", "rolled: false (37 bytes", "rolled: false (74 bytes",
    "rolled: true  (111 bytes in the file", "max_size=1000", "rolled: false (111 bytes",
    "rolling over", "rolled: true  (111 bytes in the file",
    "## Temporary Directories", "exists after: false",
    "## Predicting Names", "prefix_",
    "## Temporary File Location", "gettempdir():", "gettempprefix(): \"tmp\"",
];

/// The first of `expected` that no line of `output` contains after the
/// line that matched the one before it.
fn first_missing<'a>(output: &str, expected: &[&'a str]) -> Option<&'a str> {
    let mut lines = output.lines();
    expected
        .iter()
        .copied()
        .find(|want| !lines.any(|line| line.contains(want)))
}

/// Every example of every crate of the workspace, as (package, example),
/// as `cargo metadata` lists them.
fn example_names() -> Result<Vec<(String, String)>, String> {
    let out = stdout_of(&mut cargo_args(
        "metadata --locked --no-deps --format-version 1",
    ))?;
    let metadata: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        for target in package["targets"].as_array().into_iter().flatten() {
            if target["kind"][0] == "example" {
                let name = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_string();
                found.push((name(&package["name"]), name(&target["name"])));
            }
        }
    }
    found.sort();
    Ok(found)
}

fn cross() -> Result<String, String> {
    ensure_targets(CROSS_TARGETS)?;
    for target in CROSS_TARGETS {
        // WASI: the default members (the libraries and their tests), not xtask or bench,
        // and without tokio (its `fs` does not build there).
        let wasi = target.starts_with("wasm32");
        let all = if wasi { "" } else { "--workspace " };
        capture(cargo_args(&format!("check {all}--lib --locked --target")).arg(target))?;
        let features = if wasi { "" } else { "--all-features " };
        let mut clippy = cargo_args(&format!(
            "clippy {all}--all-targets {features}--locked --target"
        ));
        capture(clippy.arg(target).args(["--", "-D", "warnings"]))?;
    }
    Ok(CROSS_TARGETS.join(", "))
}

/// The default members' tests on each WASI target under Wasmtime (the
/// runner, `.ci/wasi-run.py`, is set in `.cargo/config.toml`).
fn wasi() -> Result<String, String> {
    if capture(Command::new("python3").args(["-c", "import wasmtime"])).is_err() {
        return crate::tools::missing("no python3 with wasmtime (pip install wasmtime)");
    }
    let targets = ["wasm32-wasip1", "wasm32-wasip2"];
    ensure_targets(&targets)?;
    let mut passed = Vec::new();
    for target in targets {
        capture(cargo_args("test --locked --no-run --target").arg(target))?;
        let (temp, mut c) = (Watched::shared()?, cargo_args("test --locked --target"));
        temp.apply(c.arg(target));
        let out = stdout_of(&mut c)?;
        temp.finish("the WASI tests")?;
        passed.push(format!("{} passed on {target}", Tally::of(&out).passed()));
    }
    Ok(format!("{}, nothing left behind", passed.join(", ")))
}

/// Installs the `targets` with rustup (a no-op for those installed), or
/// fails saying how.
pub(crate) fn ensure_targets(targets: &[&str]) -> Result<(), String> {
    capture(Command::new("rustup").args(["target", "add"]).args(targets))
        .map(drop)
        .map_err(|e| {
            format!(
                "could not install the targets {targets:?} with rustup; install them by hand:\n{e}"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tour_is_checked_line_by_line_in_order() {
        let out = "## A\nSome data\nfirst\nsecond\n";
        assert_eq!(first_missing(out, &["## A", "first", "second"]), None);
        let wrong_order = first_missing(out, &["## A", "second", "first"]);
        assert_eq!(wrong_order, Some("first"), "order matters");
        assert_eq!(first_missing(out, &["Some data", "third"]), Some("third"));
        assert_eq!(first_missing("", &["x"]), Some("x"));
    }

    #[test]
    fn test_summary_sums_every_binary() {
        let out =
            "test result: ok. 3 passed; 0 failed\nnoise\ntest result: ok. 4 passed; 0 failed\n";
        assert_eq!(Tally::of(out).passed(), 7);
    }

    #[test]
    fn step_names_are_unique() {
        let mut names: Vec<_> = STEPS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STEPS.len());
    }
}
