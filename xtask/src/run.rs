//! Running commands as timed steps.

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

/// Removes the directory tree at `path`; one that is not there is fine.
pub(crate) fn remove_tree(path: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

/// `$CARGO`, as cargo sets it for `cargo run`, or `cargo`.
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root());
    command
}

/// A command line for display.
pub(crate) fn show(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(
        command
            .get_args()
            .map(|a: &OsStr| a.to_string_lossy().into_owned()),
    );
    words.join(" ")
}

/// Runs `command` with its output captured; a failure becomes an error
/// holding the command line and everything it printed.
pub(crate) fn capture(command: &mut Command) -> Result<Output, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", show(command)))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "`{}` failed ({})\n{}{}",
            show(command),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
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
