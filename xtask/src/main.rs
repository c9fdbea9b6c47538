//! The contributor's one command: `cargo xtask ci [STEP...]` runs every
//! check CI runs, in order, one line per step with its time, stopping at
//! the first failure with that step's output; `cargo xtask bench` and
//! `cargo xtask syscalls` run the benchmarks and the system-call budgets
//! (see `bench.rs`). `cargo xtask help` lists the commands and steps.

mod bench;
mod ci;
mod litter;
mod miri;
mod msrv;
mod package;
mod run;
mod tools;
mod wine;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "ci" => ci::run(rest),
        "bench" => bench::run(rest),
        "syscalls" => bench::syscalls(rest),
        "help" | "--help" | "-h" => {
            println!("{}", usage());
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{}", usage())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command>\n\ncommands:\n");
    text.push_str("  ci [STEP...]   run every CI check (or only the named steps)\n");
    text.push_str("  bench [--quick] run the benchmarks and write docs/performance.md\n");
    text.push_str("                 (--quick: check that every bench runs, write nothing)\n");
    text.push_str("  syscalls       system calls per operation, checked against budgets\n");
    text.push_str("\nci steps:\n");
    for step in ci::STEPS {
        text.push_str(&format!("  {:<14} {}\n", step.name, step.about));
    }
    text
}
