//! The report writer behind `cargo xtask bench` and `cargo xtask
//! syscalls` (`bench::report`), built with `syscall_probe` beside it,
//! which it runs. xtask builds both and runs criterion; this reads the
//! catalogue of groups directly.
//!
//! ```text
//! report quick LOG            # criterion's `--test` output in LOG: did every bench run?
//! report syscalls [--budgeted]  # counts against the budgets (--budgeted: CI's one line)
//! report write CRITERION_HOME SINCE LOAD_BEFORE OUT   # after `cargo bench`: rewrite OUT
//! ```
//!
//! `SINCE` is when criterion's run started, in seconds since the Unix
//! epoch: results older than that are refused.

#[cfg(target_os = "linux")]
mod linux {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use bench::catalogue::Catalogue;
    use bench::report::{self, criterion, syscalls};

    pub(crate) fn main(args: &[String]) -> Result<(), String> {
        match args {
            [cmd, log] if cmd == "quick" => {
                let stdout = std::fs::read_to_string(log).map_err(|e| format!("{log}: {e}"))?;
                let note = criterion::check_tested(&stdout, &catalogue()?.bench_ids())?;
                println!("{note}");
                Ok(())
            }
            [cmd] if cmd == "syscalls" => budgets(syscalls::Which::All),
            [cmd, flag] if cmd == "syscalls" && flag == "--budgeted" => {
                budgets(syscalls::Which::Budgeted)
            }
            [cmd, home, since, load_before, out] if cmd == "write" => {
                let since: u64 = since.parse().map_err(|e| format!("SINCE {since:?}: {e}"))?;
                let since = SystemTime::UNIX_EPOCH + Duration::from_secs(since);
                let (home, out) = (Path::new(home), Path::new(out));
                report::write(&probe()?, home, since, load_before, &scratch()?, out)
            }
            _ => Err("usage: report quick LOG | syscalls [--budgeted] \
                      | write CRITERION_HOME SINCE LOAD_BEFORE OUT"
                .to_string()),
        }
    }

    fn catalogue() -> Result<Catalogue, String> {
        Catalogue::here().map_err(|e| format!("listing the places: {e}"))
    }

    /// Counts, and fails when one of ours exceeds its budget: every
    /// contender in a table, or (`Budgeted`, for CI) one line unless it
    /// fails.
    fn budgets(which: syscalls::Which) -> Result<(), String> {
        let counts = syscalls::count(&probe()?, &catalogue()?, &scratch()?, which)?;
        let failures = syscalls::check(&counts);
        if which == syscalls::Which::All {
            print!("{}", syscalls::render(&counts));
        }
        if !failures.is_empty() {
            let table = match which {
                syscalls::Which::All => String::new(),
                syscalls::Which::Budgeted => syscalls::render(&counts),
            };
            return Err(format!("{table}over budget:\n  {}", failures.join("\n  ")));
        }
        match which {
            syscalls::Which::All => println!("every operation is within its system-call budget"),
            syscalls::Which::Budgeted => println!("{}", syscalls::summary(&counts)),
        }
        Ok(())
    }

    /// `syscall_probe`, built beside this binary.
    fn probe() -> Result<PathBuf, String> {
        let exe = std::env::current_exe().map_err(|e| format!("finding this program: {e}"))?;
        Ok(exe.with_file_name("syscall_probe"))
    }

    /// Where `strace` writes its reports: `<target>/bench-syscalls`, this
    /// binary being `<target>/<profile>/report`.
    fn scratch() -> Result<PathBuf, String> {
        let probe = probe()?;
        let target = probe
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        Ok(target.join("bench-syscalls"))
    }
}

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match linux::main(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("report: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the report measures Linux system calls: nothing to do here");
    std::process::exit(1);
}
