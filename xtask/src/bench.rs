//! `cargo xtask bench [--quick]` and `cargo xtask syscalls`: this builds
//! `crates/bench`'s `report` and `syscall_probe` binaries, runs criterion
//! and hands over to `report`, where the measuring and reporting live:
//! `report write` rewrites `docs/performance.md` after a full run,
//! `report quick` checks that the `--quick` run (criterion's `--test`, the
//! `bench` step) missed no bench, `report syscalls` checks the budgets.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::run::{at, capture, cargo_args, root, stdout_of};
use crate::tools::{self, find_program, skipped};

/// `cargo xtask bench [--quick]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args {
        [] => full(),
        [quick] if quick == "--quick" => ci_step().map(|note| println!("{note}")),
        _ => Err(format!("usage: cargo xtask bench [--quick] (got {args:?})")),
    }
}

/// The `bench` step: every bench once.
pub(crate) fn ci_step() -> Result<String, String> {
    if !cfg!(target_os = "linux") {
        return Ok(skipped("the benches measure Linux system calls"));
    }
    let bins = build()?;
    let out = capture(criterion(&bins).arg("--test"))?;
    // Criterion's output, for the report to check (and for a look).
    let log = target_of(&bins).join("bench-quick.log");
    std::fs::write(&log, &out.stdout).map_err(at(&log))?;
    let checked = stdout_of(report(&bins).arg("quick").arg(&log))?;
    Ok(checked.trim().to_string())
}

fn full() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err("the benches measure Linux system calls; run them on Linux".to_string());
    }
    // Without strace the report leaves the system calls out; not in CI.
    cannot_count()?;
    let bins = build()?;
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string());
    println!("load average before: {load} (the numbers are only as quiet as the machine)");
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    status_of(&mut criterion(&bins))?;
    let mut c = report(&bins);
    c.arg("write").arg(criterion_home(&bins));
    c.arg(since.to_string()).arg(&load);
    status_of(c.arg(root().join("docs").join("performance.md")))
}

/// `cargo xtask syscalls`: every contender counted, ours against the
/// budgets.
pub(crate) fn syscalls(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err(format!(
            "`cargo xtask syscalls` takes no arguments: {args:?}"
        ));
    }
    if let Some(why) = cannot_count()? {
        println!("syscalls: skipped: {why}");
        return Ok(());
    }
    status_of(report(&build()?).arg("syscalls"))
}

/// The `syscalls` step: the budgeted contenders only (the others are for
/// reading, and the `tempfile` crate's rolled spool alone makes 49,000
/// calls per operation), quiet unless it fails.
pub(crate) fn syscalls_step() -> Result<String, String> {
    if let Some(why) = cannot_count()? {
        return Ok(skipped(&why));
    }
    let out = stdout_of(report(&build()?).args(["syscalls", "--budgeted"]))?;
    Ok(out.trim().to_string())
}

/// Why system calls cannot be counted here (not Linux; `strace` missing
/// outside CI), or `None`; in CI a missing `strace` is a failure.
fn cannot_count() -> Result<Option<String>, String> {
    if !cfg!(target_os = "linux") {
        return Ok(Some("the budgets are Linux system calls".to_string()));
    }
    if find_program(&["strace"]).is_some() {
        return Ok(None);
    }
    let note = tools::missing("strace is not installed (apt-get install strace)")?;
    Ok(Some(note.trim_start_matches(tools::SKIPPED).to_string()))
}

/// Builds the bench crate's binaries, `syscall_probe` and `report`, with
/// the `bench` profile (sharing the benchmarks' build) and returns the
/// directory they are in.
fn build() -> Result<PathBuf, String> {
    let stdout = stdout_of(&mut cargo_args(
        "build --locked --profile bench --package bench --bins --message-format json",
    ))?;
    stdout
        .lines()
        .filter(|l| l.contains("\"name\":\"report\""))
        .find_map(|l| json_string(l, "executable"))
        .and_then(|exe| Some(Path::new(&exe).parent()?.to_path_buf()))
        .ok_or_else(|| format!("cargo built no report executable:\n{stdout}"))
}

/// The string value of `key` at the top level of one line of cargo's JSON.
fn json_string(line: &str, key: &str) -> Option<String> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    message.get(key)?.as_str().map(str::to_string)
}

/// The `report` binary in `bins`, run in the workspace.
fn report(bins: &Path) -> Command {
    let mut c = Command::new(bins.join("report"));
    c.current_dir(root());
    c
}

/// Runs `command` with the terminal as its output; a failure is an error.
fn status_of(command: &mut Command) -> Result<(), String> {
    capture(command.stdout(Stdio::inherit()).stderr(Stdio::inherit())).map(drop)
}

/// `cargo bench` of the `tempkit` bench, results in [`criterion_home`].
fn criterion(bins: &Path) -> Command {
    let mut c = cargo_args("bench --locked --package bench --bench tempkit --");
    c.env("CRITERION_HOME", criterion_home(bins));
    c
}

/// The target directory, `bins` being `<target>/release`.
fn target_of(bins: &Path) -> &Path {
    bins.parent().unwrap_or(bins)
}

/// `<target>/criterion`.
fn criterion_home(bins: &Path) -> PathBuf {
    target_of(bins).join("criterion")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_from_cargo_json() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"syscall_probe"},"executable":"/w/t\\x/syscall_probe","fresh":true}"#;
        assert_eq!(
            json_string(line, "executable").as_deref(),
            Some("/w/t\\x/syscall_probe")
        );
        assert_eq!(json_string(line, "missing"), None);
    }
}
