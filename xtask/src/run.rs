//! Running commands as timed steps.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// The workspace root (the parent of this crate's directory).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// An I/O error as a message naming `path`, for `map_err`.
pub(crate) fn at(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// Removes the directory tree at `path`; one that is not there is fine.
pub(crate) fn remove_tree(path: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(at(path)(e)),
        _ => Ok(()),
    }
}

/// `$CARGO` (as cargo sets it for `cargo run`, or `cargo`) with `args`,
/// split at spaces, as in a shell, run in the workspace.
pub(crate) fn cargo_args(args: &str) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.args(args.split(' ')).current_dir(root());
    command
}

/// A command line for display.
pub(crate) fn show(command: &Command) -> String {
    let words = std::iter::once(command.get_program()).chain(command.get_args());
    words
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command` with its output captured; a failure becomes an error
/// holding the command line and everything it printed.
pub(crate) fn capture(command: &mut Command) -> Result<Output, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", show(command)))?;
    if output.status.success() {
        return Ok(output);
    }
    let text = |bytes| String::from_utf8_lossy(bytes).into_owned();
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    let (shown, status) = (show(command), output.status);
    Err(format!("`{shown}` failed ({status})\n{out}{err}"))
}

/// [`capture`], returning what `command` wrote to stdout.
pub(crate) fn stdout_of(command: &mut Command) -> Result<String, String> {
    Ok(String::from_utf8_lossy(&capture(command)?.stdout).into_owned())
}

/// Runs `body` as the step `name`: prints the name, then `ok` or `FAILED`
/// with the time taken.
pub(crate) fn step(
    name: &str,
    body: impl FnOnce() -> Result<String, String>,
) -> Result<(), String> {
    use std::io::Write;
    print!("{name:<16}");
    let _ = std::io::stdout().flush();
    let start = Instant::now();
    let result = body();
    let secs = start.elapsed().as_secs_f64();
    match &result {
        Ok(note) if note.is_empty() => println!("ok      {secs:>7.1}s"),
        Ok(note) if note.starts_with(crate::tools::SKIPPED) => {
            let why = &note[crate::tools::SKIPPED.len()..];
            println!("skipped {secs:>7.1}s  {why}");
        }
        Ok(note) => println!("ok      {secs:>7.1}s  {note}"),
        Err(_) => println!("FAILED  {secs:>7.1}s"),
    }
    result.map(|_| ())
}

/// Test counts read from `cargo test` output, per crate.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    passed: BTreeMap<String, u64>,
    pub(crate) failed: u64,
}

impl Tally {
    /// Reads every `test result:` line, attributing it to the crate named
    /// by the `Running .../deps/<crate>-<hash>.exe` or `Doc-tests <crate>`
    /// line before it.
    pub(crate) fn of(output: &str) -> Tally {
        let mut tally = Tally::default();
        let mut current = String::from("?");
        for line in output.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("Running ") {
                if let Some(name) = crate_of_binary(rest) {
                    current = name;
                }
            } else if let Some(name) = line.strip_prefix("Doc-tests ") {
                current = name.trim().to_string();
            } else if let Some(result) = line.strip_prefix("test result: ") {
                let count = |word: &str| {
                    result
                        .split(';')
                        .filter_map(|part| part.trim().rsplit_once(' '))
                        .find(|(_, w)| *w == word)
                        .and_then(|(n, _)| n.rsplit(' ').next()?.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                *tally.passed.entry(current.clone()).or_default() += count("passed");
                tally.failed += count("failed");
            }
        }
        tally
    }

    pub(crate) fn passed(&self) -> u64 {
        self.passed.values().sum()
    }

    /// "123 passed (tempcore 40, tempfs 83)".
    pub(crate) fn summary(&self) -> String {
        let parts: Vec<String> = self
            .passed
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        format!("{} passed ({})", self.passed(), parts.join(", "))
    }
}

/// `tempcore` from `unittests src/lib.rs (target/.../deps/tempcore-0123abcd.exe)`;
/// `None` for an integration test binary, which is named after its file
/// (`it`) and belongs to the crate whose unit tests ran just before.
fn crate_of_binary(running: &str) -> Option<String> {
    if !running.starts_with("unittests ") {
        return None;
    }
    let path = running.rsplit_once('(')?.1.trim_end_matches(')');
    let stem = Path::new(path).file_stem()?.to_str()?;
    Some(
        stem.rsplit_once('-')
            .map_or(stem, |(name, _)| name)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
     Running unittests src/lib.rs (target/x86_64-pc-windows-gnu/debug/deps/tempcore-38372b4ebc09af69.exe)
test result: ok. 17 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s
     Running unittests src/lib.rs (target/x86_64-pc-windows-gnu/debug/deps/tempfs-a6ec2ffcc980c2e1.exe)
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
     Running tests/it/main.rs (target/x86_64-pc-windows-gnu/debug/deps/it-ac511d7b2f4cdb7a.exe)
test result: FAILED. 20 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 61.74s
   Doc-tests tempcore
test result: ok. 10 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
";

    #[test]
    fn tally_counts_per_crate_and_sees_failures() {
        let tally = Tally::of(OUTPUT);
        assert_eq!(tally.passed(), 47);
        assert_eq!(tally.failed, 3);
        assert_eq!(tally.passed["tempcore"], 27);
        assert_eq!(tally.passed["tempfs"], 20);
        assert_eq!(tally.summary(), "47 passed (tempcore 27, tempfs 20)");
    }

    #[test]
    fn binaries_are_named_by_their_crate() {
        assert_eq!(
            crate_of_binary("unittests src/lib.rs (target/t/debug/deps/tempspool-0123.exe)"),
            Some("tempspool".to_string())
        );
        assert_eq!(
            crate_of_binary("tests/it/main.rs (target/t/debug/deps/it-0123.exe)"),
            None
        );
    }
}
