//! Does one benchmark operation a given number of times and nothing else,
//! for `cargo xtask syscalls` to run under `strace -f -c` (system calls
//! per operation) and `cargo xtask bench` under `valgrind --tool=callgrind`
//! (instructions per operation). A run with 0 rounds does the same setup
//! and no operation: the baseline to subtract. Also measures a group's
//! contenders interleaved (`bench::interleave`) for the report.
//!
//! ```text
//! syscall_probe run GROUP CONTENDER PLACE ROUNDS
//! syscall_probe tree-calls TREE CONTENDER PLACE   # one removal, between markers
//! syscall_probe staged-calls GROUP CONTENDER PLACE ROUNDS   # each round's calls, between markers
//! syscall_probe interleave GROUP PLACE   # contender<TAB>ns,ns,... per round
//! syscall_probe list      # every group and contender (bench::catalogue::render)
//! syscall_probe places    # label<TAB>path<TAB>file system
//! ```

#[cfg(target_os = "linux")]
mod linux {
    use std::io;

    use bench::clock::Clock;
    use bench::ops::{self, Scratch};
    use bench::places::Place;
    // The marks the report looks for in an `strace -f` log: the probe asks
    // for the metadata of these paths, which do not exist, just before and
    // just after the removal it measures.
    use bench::report::syscalls::{BEGIN_MARK, END_MARK};
    use bench::{interleave, spool, tree};

    pub(crate) fn main(args: &[String]) -> Result<(), String> {
        match args {
            [cmd] if cmd == "list" => {
                list();
                Ok(())
            }
            [cmd] if cmd == "places" => places().map_err(|e| format!("listing places: {e}")),
            [cmd, group, place] if cmd == "interleave" => interleave(group, place),
            [cmd, group, contender, place] if cmd == "tree-calls" => {
                tree_calls(group, contender, place)
            }
            [cmd, group, contender, place, rounds] if cmd == "staged-calls" => {
                let rounds: u64 = rounds
                    .parse()
                    .map_err(|e| format!("rounds {rounds:?}: {e}"))?;
                staged_calls(group, contender, place, rounds)
            }
            [cmd, group, contender, place, rounds] if cmd == "run" => {
                let rounds: u64 = rounds
                    .parse()
                    .map_err(|e| format!("rounds {rounds:?}: {e}"))?;
                run(group, contender, place, rounds)
            }
            _ => Err(
                "usage: syscall_probe run GROUP CONTENDER PLACE ROUNDS | interleave GROUP PLACE \
                 | tree-calls TREE CONTENDER PLACE | staged-calls GROUP CONTENDER PLACE ROUNDS \
                 | list | places"
                    .to_string(),
            ),
        }
    }

    fn list() {
        print!("{}", bench::catalogue::render());
    }

    fn interleave(group: &str, place: &str) -> Result<(), String> {
        let place = Place::find(place).map_err(|e| e.to_string())?;
        let clock = Clock::from_env();
        let series = if let Some(g) = ops::group(group) {
            interleave::ops_group(g, &place, interleave::OP_ROUNDS, clock)
        } else if let Some(g) = spool::staged(group) {
            interleave::staged_group(g, &place, g.pairs(), clock)
        } else if let Some(t) = tree::TREES.iter().find(|t| t.name == group) {
            interleave::tree_group(t, &place, interleave::TREE_ROUNDS, clock)
        } else {
            return Err(format!("no group called {group:?}"));
        };
        let series = series.map_err(|e| format!("{group} in {}: {e}", place.path().display()))?;
        print!("{}", interleave::render(&series));
        Ok(())
    }

    fn places() -> io::Result<()> {
        for p in Place::all()? {
            println!("{}\t{}\t{}", p.label(), p.path().display(), p.file_system());
        }
        Ok(())
    }

    /// Builds one tree (untimed, unmarked) and removes it between the marks.
    fn tree_calls(group: &str, contender: &str, place: &str) -> Result<(), String> {
        let tree = tree::TREES
            .iter()
            .find(|t| t.name == group)
            .ok_or_else(|| format!("no tree called {group:?}"))?;
        let c = tree::CONTENDERS
            .iter()
            .find(|c| c.name == contender)
            .ok_or_else(|| format!("tree groups have no contender called {contender:?}"))?;
        let place = activate(place)?;
        let made = (c.prepare)(&place, tree)
            .map_err(|e| format!("building {group} for {contender}: {e}"))?;
        mark(BEGIN_MARK)?;
        let removed = made.remove();
        mark(END_MARK)?;
        removed.map_err(|e| format!("{group}/{contender}: removing: {e}"))
    }

    /// Makes one object per round (unmarked) and makes its calls between
    /// the marks, then checks them.
    fn staged_calls(group: &str, contender: &str, place: &str, rounds: u64) -> Result<(), String> {
        let g = spool::staged(group).ok_or_else(|| format!("no staged group called {group:?}"))?;
        let c = g
            .contender(contender)
            .ok_or_else(|| format!("group {group} has no contender called {contender:?}"))?;
        let place = activate(place)?;
        for round in 0..rounds {
            let what = |e| format!("{group}/{contender}, round {round}: {e}");
            let mut job = (c.prepare)(&place, g.call, g.state).map_err(what)?;
            mark(BEGIN_MARK)?;
            let done = job.run();
            mark(END_MARK)?;
            done.map_err(what)?;
            job.check().map_err(what)?;
        }
        Ok(())
    }

    /// The place labelled `label`, opened and made the default directory.
    fn activate(label: &str) -> Result<Place, String> {
        let place = Place::find(label).map_err(|e| e.to_string())?;
        place.activate().map_err(|e| {
            format!(
                "making {} the default directory: {e}",
                place.path().display()
            )
        })?;
        Ok(place)
    }

    /// One system call naming `path`, which must not exist.
    fn mark(path: &str) -> Result<(), String> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("{path}: {e}")),
            Ok(_) => Err(format!("{path} exists: remove it, it marks the trace")),
        }
    }

    fn run(group: &str, contender: &str, place: &str, rounds: u64) -> Result<(), String> {
        let g = ops::group(group).ok_or_else(|| format!("no group called {group:?}"))?;
        let c = g
            .contender(contender)
            .ok_or_else(|| format!("group {group} has no contender called {contender:?}"))?;
        // Setup, the same for 0 rounds: the place opened and made the
        // default directory, the floor's scratch seeded.
        let place = activate(place)?;
        let mut scratch = Scratch::new().map_err(|e| format!("seeding: {e}"))?;
        // The `*_in(path)` forms share one handle per directory, opened by
        // the first of them: that opening is setup too, as discovery is for
        // the default directory, so it is made here, for 0 rounds as well.
        let _shared = tempcore::Dir::open_shared(place.path())
            .map_err(|e| format!("opening {}: {e}", place.path().display()))?;
        // What the group needs there first (the file a safe save
        // replaces): setup too.
        (g.setup)(&place, &mut scratch).map_err(|e| format!("{group}: setting up: {e}"))?;
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
