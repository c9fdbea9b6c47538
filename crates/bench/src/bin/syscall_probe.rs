//! Does one benchmark operation a given number of times and nothing else,
//! for `cargo xtask syscalls` to run under `strace -f -c` (system calls
//! per operation) and `cargo xtask bench` under `valgrind --tool=callgrind`
//! (instructions per operation). A run with 0 rounds does the same setup
//! and no operation: the baseline to subtract.
//!
//! ```text
//! syscall_probe run GROUP CONTENDER PLACE ROUNDS
//! syscall_probe list      # every group and contender (bench::catalogue::render)
//! syscall_probe places    # label<TAB>path<TAB>file system
//! ```

#[cfg(target_os = "linux")]
mod linux {
    use std::io;

    use bench::ops::{self, Scratch};
    use bench::places::Place;

    pub(crate) fn main(args: &[String]) -> Result<(), String> {
        match args {
            [cmd] if cmd == "list" => {
                list();
                Ok(())
            }
            [cmd] if cmd == "places" => places().map_err(|e| format!("listing places: {e}")),
            [cmd, group, contender, place, rounds] if cmd == "run" => {
                let rounds: u64 = rounds
                    .parse()
                    .map_err(|e| format!("rounds {rounds:?}: {e}"))?;
                run(group, contender, place, rounds)
            }
            _ => Err(
                "usage: syscall_probe run GROUP CONTENDER PLACE ROUNDS | list | places".to_string(),
            ),
        }
    }

    fn list() {
        print!("{}", bench::catalogue::render());
    }

    fn places() -> io::Result<()> {
        for p in Place::all()? {
            println!("{}\t{}\t{}", p.label(), p.path().display(), p.file_system());
        }
        Ok(())
    }

    fn run(group: &str, contender: &str, place: &str, rounds: u64) -> Result<(), String> {
        let g = ops::group(group).ok_or_else(|| format!("no group called {group:?}"))?;
        let c = g
            .contender(contender)
            .ok_or_else(|| format!("group {group} has no contender called {contender:?}"))?;
        // Setup, the same for 0 rounds: the place opened and made the
        // default directory, the floor's scratch seeded.
        let place = Place::find(place).map_err(|e| e.to_string())?;
        place.activate().map_err(|e| {
            format!(
                "making {} the default directory: {e}",
                place.path().display()
            )
        })?;
        let mut scratch = Scratch::new().map_err(|e| format!("seeding: {e}"))?;
        for round in 0..rounds {
            (c.run)(&place, &mut scratch)
                .map_err(|e| format!("{group}/{contender}, round {round}: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match linux::main(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("syscall_probe: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("syscall_probe counts Linux system calls: nothing to do here");
    std::process::exit(1);
}
