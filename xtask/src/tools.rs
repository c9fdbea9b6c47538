//! Finding the tools a step needs, and what to do when one is missing:
//! locally the step says so and is skipped, so that `cargo xtask ci` works
//! on any machine; under `TEMPKIT_CI=1` (`.ci/run`) that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::capture;

/// The step's outcome when something it needs is missing: skipped with
/// `reason` locally, a failure under `TEMPKIT_CI=1`.
pub(crate) fn missing(reason: &str) -> Result<String, String> {
    let ci = std::env::var_os("TEMPKIT_CI").is_some_and(|v| v == "1");
    missing_when(reason, ci)
}

/// [`missing`], with whether this is CI given.
fn missing_when(reason: &str, ci: bool) -> Result<String, String> {
    if ci {
        Err(format!(
            "{reason}\n(TEMPKIT_CI=1 is set: CI may not skip this step; .ci/run installs what it needs)"
        ))
    } else {
        Ok(skipped(reason))
    }
}

/// The note of a step that was skipped, everywhere, because of `reason`
/// (it does not apply to this machine, or it is optional).
pub(crate) fn skipped(reason: &str) -> String {
    format!("{SKIPPED}{reason}")
}

/// How a step's note starts when the step was skipped.
pub(crate) const SKIPPED: &str = "skipped: ";

/// The first of `candidates` that can be run: an absolute path that is a
/// file, or a bare name found on `PATH`.
pub(crate) fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().find_map(|candidate| {
        let path = Path::new(candidate);
        if path.is_absolute() {
            return path.is_file().then(|| path.to_path_buf());
        }
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(candidate))
            .find(|full| full.is_file())
    })
}

/// `rustup run <toolchain> <program>`: a command using that toolchain,
/// with the variables of the outer `cargo` run removed so that they do not
/// point the inner one at another toolchain.
pub(crate) fn rustup_run(toolchain: &str, program: &str) -> Command {
    let mut command = Command::new("rustup");
    command
        .args(["run", toolchain, program])
        .current_dir(crate::run::root());
    for var in "CARGO RUSTC RUSTDOC RUSTUP_TOOLCHAIN RUSTC_WRAPPER".split(' ') {
        command.env_remove(var);
    }
    command
}

/// Makes sure `rustup run <toolchain> <probe>` works, else installs
/// `toolchain` (minimal profile, with `components`) with `rustup`, tried
/// twice: the download sometimes fails once.
pub(crate) fn ensure_toolchain(
    toolchain: &str,
    probe: &str,
    components: &[&str],
) -> Result<(), String> {
    let mut words = probe.split(' ');
    let mut probe = rustup_run(toolchain, words.next().unwrap_or_default());
    if capture(probe.args(words)).is_ok() {
        return Ok(());
    }
    let mut install = Command::new("rustup");
    install.args(["toolchain", "install", toolchain, "--profile", "minimal"]);
    if !components.is_empty() {
        install.args(["--component", &components.join(",")]);
    }
    install.arg("--no-self-update");
    capture(&mut install)
        .or_else(|_| capture(&mut install))
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_program_that_exists() {
        let missing = std::env::temp_dir().join("no-such-program-here");
        let missing = missing.to_str().unwrap();
        assert!(find_program(&[missing, "no-such-program-on-path"]).is_none());
        let this = std::env::current_exe().unwrap();
        let this = this.to_str().unwrap();
        assert_eq!(
            find_program(&[missing, this]).as_deref(),
            Some(Path::new(this))
        );
    }

    #[test]
    fn skipped_notes_say_so() {
        assert!(skipped("why").starts_with(SKIPPED));
    }

    #[test]
    fn a_missing_tool_skips_locally_and_fails_in_ci() {
        let local = missing_when("no wine64", false).unwrap();
        assert!(local.starts_with(SKIPPED) && local.contains("no wine64"));
        let ci = missing_when("no wine64", true).unwrap_err();
        assert!(
            ci.contains("no wine64") && ci.contains("TEMPKIT_CI"),
            "{ci}"
        );
    }
}
