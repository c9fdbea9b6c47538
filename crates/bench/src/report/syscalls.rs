//! System calls per operation, counted with `strace -f -c`, and the
//! budgets that `cargo xtask syscalls` (and its CI step) enforces.
//!
//! The probe (`src/bin/syscall_probe.rs`) does one operation as many times
//! as its group says (1000 for single files and names, enough that a
//! once-per-process call shows as 0.001); a run with 0 rounds does the
//! same setup and is subtracted, so what remains is the operation's own
//! calls.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::run;
use crate::catalogue::{Catalogue, Kind};

/// Calls rarer than this per operation are amortised: `getrandom` refills
/// (one per 314 names) and one-off setup inside the first operation.
pub const AMORTISED: f64 = 0.01;

/// What one of our operations may cost, in system calls.
#[derive(Debug)]
pub struct Budget {
    /// The probe's group (and the benchmark group, without the place).
    pub group: &'static str,
    /// The probe's contender held to the budget.
    pub contender: &'static str,
    /// The budget, in words, for the report.
    pub text: &'static str,
    /// Each system call allowed, at most this many times per operation.
    pub calls: &'static [(&'static str, f64)],
    /// Calls not listed in `calls` (each made at least [`AMORTISED`] times
    /// per operation), at most this many per operation between them: the
    /// one call a `*_in(path)` form may add, whatever it is. A call
    /// listed with an allowance of 0 is never part of it.
    pub others: f64,
    /// At most this many calls per operation in all.
    pub total: f64,
    /// What the operation must do: for each list of alternatives (`open`
    /// or `openat`), at least this many calls of them per operation, to
    /// within [`AMORTISED`]; a minimum below [`AMORTISED`] asks for at
    /// least one call in the whole run. A stub, or an operation that
    /// never reached the file system, fails here.
    pub required: &'static [(&'static [&'static str], f64)],
}

/// The budgets: the one table `cargo xtask syscalls` enforces and
/// `docs/performance.md` prints. Any call not listed, and anything
/// beyond a listed call's allowance, must be amortised (fewer than
/// [`AMORTISED`] per operation).
pub const BUDGETS: &[Budget] = &[
    Budget {
        group: "anonymous",
        contender: "ours",
        text: "`openat` + `close`",
        calls: &[("openat", 1.0), ("close", 1.0)],
        others: 0.0,
        total: 2.0,
        required: &[(&["openat"], 1.0), (&["close"], 1.0)],
    },
    Budget {
        group: "anonymous",
        contender: "ours-in",
        text: "`open(path, O_TMPFILE)` + `close` (no directory handle needed)",
        calls: &[("open", 1.0), ("openat", 1.0), ("close", 1.0)],
        others: 0.0,
        total: 2.0,
        required: &[(&["open", "openat"], 1.0), (&["close"], 1.0)],
    },
    Budget {
        group: "anonymous",
        contender: "ours-at",
        text: "`openat` + `close`, as the default directory",
        calls: &[("openat", 1.0), ("close", 1.0)],
        others: 0.0,
        total: 2.0,
        required: &[(&["openat"], 1.0), (&["close"], 1.0)],
    },
    Budget {
        group: "named",
        contender: "ours",
        text: "`openat` + `close` + `unlinkat`; `getrandom` fewer than 1 per 100 names",
        calls: &[("openat", 1.0), ("close", 1.0), ("unlinkat", 1.0)],
        others: 0.0,
        total: 3.0,
        required: &[(&["openat"], 1.0), (&["unlinkat"], 1.0), (&["close"], 1.0)],
    },
    Budget {
        group: "named",
        contender: "ours-in",
        text: "at most one call more than the default directory (`openat` + `close` + \
               `unlinkat`), and never the directory opened and closed: no `open`, a second \
               `openat` or a second `close`",
        calls: &[
            ("openat", 1.0),
            ("close", 1.0),
            ("unlinkat", 1.0),
            ("open", 0.0),
        ],
        others: 1.0,
        total: 4.0,
        required: &[(&["openat"], 1.0), (&["unlinkat"], 1.0), (&["close"], 1.0)],
    },
    Budget {
        group: "named",
        contender: "ours-at",
        text: "`openat` + `close` + `unlinkat`, as the default directory",
        calls: &[("openat", 1.0), ("close", 1.0), ("unlinkat", 1.0)],
        others: 0.0,
        total: 3.0,
        required: &[(&["openat"], 1.0), (&["unlinkat"], 1.0), (&["close"], 1.0)],
    },
    Budget {
        group: "tempdir",
        contender: "ours",
        text: "`mkdirat` + `openat` (the descriptor that makes cleanup race-free) + \
               `unlinkat(AT_REMOVEDIR)` + `close`: at most 4; `getrandom` fewer than 1 per \
               100 names",
        calls: TEMPDIR_CALLS,
        others: 0.0,
        total: 4.0,
        required: TEMPDIR_REQUIRED,
    },
    Budget {
        group: "tempdir",
        contender: "ours-in",
        text: "at most one call more than the default directory (`mkdirat` + `openat` + \
               `unlinkat` + `close`), and never the parent opened and closed: no `open`, a \
               second `openat` or a second `close`",
        calls: &[
            ("mkdirat", 1.0),
            ("openat", 1.0),
            ("unlinkat", 1.0),
            ("close", 1.0),
            ("open", 0.0),
        ],
        others: 1.0,
        total: 5.0,
        required: TEMPDIR_REQUIRED,
    },
    Budget {
        group: "tempdir",
        contender: "ours-at",
        text: "`mkdirat` + `openat` + `unlinkat(AT_REMOVEDIR)` + `close`, as the default \
               directory",
        calls: TEMPDIR_CALLS,
        others: 0.0,
        total: 4.0,
        required: TEMPDIR_REQUIRED,
    },
    Budget {
        group: "spool-rollover",
        contender: "ours",
        text: "no more than `BufWriter` (8 KiB) on a new file: `openat`, 256 writes, `close` \
               (258), plus one `prlimit64` (the file-size limit, read at rollover so that no \
               write passes it) and the allocator's calls, at most 2 of each",
        calls: ROLLOVER_CALLS,
        others: 0.0,
        total: 267.0,
        required: ROLLOVER_REQUIRED,
    },
    Budget {
        group: "spool-rollover",
        contender: "ours-in",
        text: "as `ours`: the file is `open(path, O_TMPFILE)`, one call like `openat`",
        calls: ROLLOVER_CALLS,
        others: 0.0,
        total: 267.0,
        required: ROLLOVER_REQUIRED,
    },
    memory_budget("spool-memory-write", "ours"),
    memory_budget("spool-memory-write_all", "ours"),
    memory_budget("spool-memory-read", "ours"),
    memory_budget("spool-memory-read_exact", "ours"),
    memory_budget("spool-memory-read_to_end", "ours"),
    memory_budget("spool-memory-write_vectored", "ours"),
    memory_budget("spool-memory-write_fmt", "ours"),
    memory_budget("spool-memory-read_to_string", "ours"),
    memory_budget("spool-memory-read_line", "ours"),
    memory_budget("spool-memory-seek", "ours"),
    // The async spool in memory: each poll is done at once, by the same
    // code, with no system call either.
    memory_budget("spool-memory-write", "ours-async"),
    memory_budget("spool-memory-write_all", "ours-async"),
    memory_budget("spool-memory-read", "ours-async"),
    memory_budget("spool-memory-read_exact", "ours-async"),
    memory_budget("spool-memory-read_to_end", "ours-async"),
    memory_budget("spool-memory-write_vectored", "ours-async"),
    memory_budget("spool-memory-write_fmt", "ours-async"),
    memory_budget("spool-memory-read_to_string", "ours-async"),
    memory_budget("spool-memory-read_line", "ours-async"),
    memory_budget("spool-memory-seek", "ours-async"),
    rolled_write_budget("spool-rolled-write"),
    rolled_write_budget("spool-rolled-write_all"),
    rolled_write_budget("spool-rolled-write_vectored"),
    rolled_write_budget("spool-rolled-write_fmt"),
    rolled_read_budget("spool-rolled-read"),
    rolled_read_budget("spool-rolled-read_exact"),
    rolled_read_budget("spool-rolled-read_to_end"),
    rolled_read_budget("spool-rolled-read_to_string"),
    rolled_read_budget("spool-rolled-read_line"),
    Budget {
        group: "spool-rolled-seek",
        contender: "ours",
        text: "one read per 64-byte chunk read backwards (32,768 for 2 MiB), and no `lseek`: \
               the position is the spool's own (`BufReader` makes three calls a chunk), plus \
               the allocator's calls, at most 2 of each",
        calls: ROLLED_SEEK_CALLS,
        others: 0.0,
        total: 32776.0,
        required: &[(&["read", "pread64"], 1.0)],
    },
    Budget {
        group: "atomic-save",
        contender: "ours-none",
        text: "what a save does today at `Durability::None`, replacing a file of the same \
               owner: `newfstatat(dir path)` (is the shared handle of the directory still the \
               directory at that path) + `newfstatat(dirfd, name, AT_SYMLINK_NOFOLLOW)` (the \
               target's kind and mode) + `fstat(dirfd)` and `geteuid` (is the directory a \
               shared sticky one, where a stranger's file or link is refused) + \
               `openat(dirfd, \".\", O_TMPFILE)` + `write` + `fstat` (the new file's owner and \
               mode, against the target's) + `fchmod` (the target's mode) + `linkat` (to a \
               hidden sibling) + `renameat` (over the target) + `close`: 11; no `fchown` when \
               the owner and group are already the target's",
        calls: &[
            ("newfstatat", 2.0),
            ("openat", 1.0),
            ("write", 1.0),
            ("fstat", 2.0),
            ("geteuid", 1.0),
            ("fchmod", 1.0),
            ("linkat", 1.0),
            ("renameat", 1.0),
            ("close", 1.0),
        ],
        others: 0.0,
        total: 11.0,
        required: &[
            (&["openat"], 1.0),
            (&["write"], 1.0),
            (&["linkat"], 1.0),
            (&["renameat"], 1.0),
            (&["close"], 1.0),
        ],
    },
    Budget {
        group: "memory-file",
        contender: "ours",
        text: "`memfd_create` + `write` (one for 64 KiB) + `close`",
        calls: &[("memfd_create", 1.0), ("write", 1.0), ("close", 1.0)],
        others: 0.0,
        total: 3.0,
        required: &[
            (&["memfd_create"], 1.0),
            (&["write"], 1.0),
            (&["close"], 1.0),
        ],
    },
    Budget {
        group: "names",
        contender: "ours",
        text: "`getrandom` fewer than 1 per 100 names, nothing else",
        calls: &[],
        others: 0.0,
        total: 0.0,
        // Nothing required: glibc 2.41 on Linux 6.11 answers getrandom(3)
        // from the vDSO, with no system call for strace to see.
        required: &[],
    },
];

const TEMPDIR_CALLS: &[(&str, f64)] = &[
    ("mkdirat", 1.0),
    ("openat", 1.0),
    ("unlinkat", 1.0),
    ("close", 1.0),
];

const TEMPDIR_REQUIRED: &[(&[&str], f64)] = &[
    (&["mkdirat"], 1.0),
    (&["openat"], 1.0),
    (&["unlinkat"], 1.0),
    (&["close"], 1.0),
];

/// What a growing buffer may cost: the allocator's calls.
const ALLOCATOR: [(&str, f64); 4] = [
    ("brk", 2.0),
    ("mmap", 2.0),
    ("mremap", 2.0),
    ("munmap", 2.0),
];

const ROLLOVER_CALLS: &[(&str, f64)] = &[
    ("open", 1.0),
    ("openat", 1.0),
    ("write", 256.0),
    ("pwrite64", 256.0),
    ("close", 1.0),
    ("prlimit64", 1.0),
    ALLOCATOR[0],
    ALLOCATOR[1],
    ALLOCATOR[2],
    ALLOCATOR[3],
];

const ROLLOVER_REQUIRED: &[(&[&str], f64)] = &[
    (&["openat", "open"], 1.0),
    (&["write", "pwrite64"], 1.0),
    (&["close"], 1.0),
];

/// The budget of a spool's calls in memory.
const fn memory_budget(group: &'static str, contender: &'static str) -> Budget {
    Budget {
        group,
        contender,
        text: "no file-system call at all; the allocator's `brk`, `mmap`, `mremap`, `munmap` \
               as a buffer grows, at most 2 of each",
        calls: &ALLOCATOR,
        others: 0.0,
        total: 8.0,
        required: &[],
    }
}

/// The budget of a rolled spool's writing call: what `BufWriter` makes.
const fn rolled_write_budget(group: &'static str) -> Budget {
    Budget {
        group,
        contender: "ours",
        text: ROLLED_WRITE_TEXT,
        calls: ROLLED_WRITE_CALLS,
        others: 0.0,
        total: 264.0,
        required: &[(&["write", "pwrite64"], 1.0)],
    }
}

/// The budget of a rolled spool's reading call: what `BufReader` makes.
const fn rolled_read_budget(group: &'static str) -> Budget {
    Budget {
        group,
        contender: "ours",
        text: ROLLED_READ_TEXT,
        calls: ROLLED_READ_CALLS,
        others: 0.0,
        total: 265.0,
        required: &[(&["read", "pread64"], 1.0)],
    }
}

const ROLLED_WRITE_TEXT: &str = "no more than `BufWriter` (8 KiB) on a file: 256 writes for \
    2 MiB, plus the allocator's calls, at most 2 of each";

const ROLLED_WRITE_CALLS: &[(&str, f64)] = &[
    ("write", 256.0),
    ("pwrite64", 256.0),
    ALLOCATOR[0],
    ALLOCATOR[1],
    ALLOCATOR[2],
    ALLOCATOR[3],
];

const ROLLED_READ_TEXT: &str = "no more than `BufReader` (8 KiB) on a file: 257 reads for \
    2 MiB (the last finds the end), plus the allocator's calls, at most 2 of each";

const ROLLED_READ_CALLS: &[(&str, f64)] = &[
    ("read", 257.0),
    ("pread64", 257.0),
    ALLOCATOR[0],
    ALLOCATOR[1],
    ALLOCATOR[2],
    ALLOCATOR[3],
];

const ROLLED_SEEK_CALLS: &[(&str, f64)] = &[
    ("read", 32768.0),
    ("pread64", 32768.0),
    ALLOCATOR[0],
    ALLOCATOR[1],
    ALLOCATOR[2],
    ALLOCATOR[3],
];

/// Calls per operation of one contender in one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    /// The probe's group.
    pub group: String,
    /// The contender counted.
    pub contender: String,
    /// The label of the place it ran in.
    pub place: String,
    /// System call name → calls per operation (baseline subtracted).
    pub per_op: BTreeMap<String, f64>,
}

impl Count {
    /// All calls per operation.
    pub fn total(&self) -> f64 {
        self.per_op.values().sum()
    }

    /// `openat 1.00, close 1.00, getrandom 0.003`, most frequent first.
    pub fn breakdown(&self) -> String {
        let mut calls: Vec<(&String, &f64)> =
            self.per_op.iter().filter(|(_, n)| **n > 0.0).collect();
        calls.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        let words: Vec<String> = calls
            .iter()
            .map(|(name, n)| format!("{name} {}", per_op(**n)))
            .collect();
        if words.is_empty() {
            "none".to_string()
        } else {
            words.join(", ")
        }
    }
}

/// Formats calls per operation: `1`, `2`, or `0.004` when amortised.
pub fn per_op(n: f64) -> String {
    if (n - n.round()).abs() < 0.0005 {
        // `+ 0.0` turns -0 (an empty sum, or a rounded -0.0001) into 0.
        format!("{}", n.round() + 0.0)
    } else {
        format!("{n:.3}")
    }
}

/// CI's line when every budget holds: each budgeted operation's calls.
pub fn summary(counts: &[Count]) -> String {
    let ours: Vec<String> = BUDGETS
        .iter()
        .filter_map(|b| {
            let c = counts
                .iter()
                .find(|c| c.group == b.group && c.contender == b.contender)?;
            Some(format!("{}/{} {}", b.group, b.contender, per_op(c.total())))
        })
        .collect();
    format!("within budget: {}", ours.join(", "))
}

/// Which contenders to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Every contender of every group, for reading.
    All,
    /// Only those with a budget: what CI checks (the others are for
    /// reading, and the `tempfile` crate's rolled spool alone makes 49,000
    /// calls per operation).
    Budgeted,
}

/// Counts the contenders of every group the probe can run, in every
/// place, with `strace`; `scratch` holds its reports.
pub fn count(
    probe: &Path,
    catalogue: &Catalogue,
    scratch: &Path,
    which: Which,
) -> Result<Vec<Count>, String> {
    std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let mut counts = Vec::new();
    for group in &catalogue.groups {
        for (label, _, _) in catalogue.places_of(group) {
            for (contender, _) in &group.contenders {
                if which == Which::Budgeted && budget_of(&group.name, contender).is_none() {
                    continue;
                }
                let per_op = match group.kind {
                    Kind::Single => {
                        let rounds = group.rounds;
                        let base = strace(probe, scratch, &group.name, contender, label, 0)?;
                        let full = strace(probe, scratch, &group.name, contender, label, rounds)?;
                        subtract(&full, &base, rounds)
                    }
                    // The calls alone, between the probe's markers.
                    Kind::Staged => {
                        let how = ("staged-calls", group.rounds);
                        strace_marked(probe, scratch, &group.name, contender, label, how)?
                    }
                    // One removal, between the probe's markers.
                    Kind::Tree => {
                        let how = ("tree-calls", 1);
                        strace_marked(probe, scratch, &group.name, contender, label, how)?
                    }
                };
                counts.push(Count {
                    group: group.name.clone(),
                    contender: contender.to_string(),
                    place: label.clone(),
                    per_op,
                });
            }
        }
    }
    Ok(counts)
}

/// What the probe's `tree-calls` and `staged-calls` pass to a system call
/// (a `stat` of a path that does not exist) just before and just after
/// what they measure, so that the trace shows where it starts and ends.
pub const BEGIN_MARK: &str = "/tempkit-probe-removal-begins";
/// See [`BEGIN_MARK`].
pub const END_MARK: &str = "/tempkit-probe-removal-ends";

/// `strace -f` over `syscall_probe MODE GROUP CONTENDER PLACE [ROUNDS]`
/// (`how`: the mode and the rounds, `tree-calls` doing one removal):
/// calls per operation, counted between each pair of markers. What the
/// probe does outside them (building a tree, filling a spool, checking
/// what was read) is not counted.
fn strace_marked(
    probe: &Path,
    scratch: &Path,
    group: &str,
    contender: &str,
    place: &str,
    (mode, rounds): (&str, u64),
) -> Result<BTreeMap<String, f64>, String> {
    let log = scratch.join(format!("{group}-{contender}-{place}.trace"));
    let mut c = Command::new("strace");
    c.arg("-f").arg("-o").arg(&log).arg(probe);
    c.args([mode, group, contender, place]);
    if mode != "tree-calls" {
        c.arg(rounds.to_string());
    }
    run(&mut c)?;
    let text = std::fs::read_to_string(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let (calls, pairs) = parse_marked(&text).map_err(|e| format!("{}: {e}", log.display()))?;
    if pairs != rounds {
        return Err(format!(
            "{}: {pairs} pairs of markers, {rounds} operations",
            log.display()
        ));
    }
    // A full trace of a tree is megabytes: keep it only when it is needed.
    let _ = std::fs::remove_file(&log);
    Ok(calls
        .into_iter()
        .map(|(name, n)| (name, n as f64 / rounds as f64))
        .collect())
}

/// Counts the system calls of an `strace -f` log between each line
/// naming [`BEGIN_MARK`] and the next naming [`END_MARK`]; returns them
/// and the number of pairs.
pub fn parse_marked(text: &str) -> Result<(BTreeMap<String, u64>, u64), String> {
    let mut calls = BTreeMap::new();
    let mut inside = false;
    let mut pairs = 0;
    for line in text.lines() {
        if line.contains(BEGIN_MARK) {
            if inside {
                return Err("two begin markers without an end between them".to_string());
            }
            inside = true;
        } else if line.contains(END_MARK) {
            if !inside {
                return Err("an end marker came before its beginning".to_string());
            }
            inside = false;
            pairs += 1;
        } else if inside && let Some(name) = syscall_name(line) {
            *calls.entry(name.to_string()).or_insert(0) += 1;
        }
    }
    if pairs == 0 || inside {
        return Err("the trace has no complete pair of markers".to_string());
    }
    Ok((calls, pairs))
}

/// The system call a line of `strace -f` output records (`1234
/// openat(AT_FDCWD, ...) = 3`), or `None` for signals, exits and resumed
/// calls (counted where they started).
fn syscall_name(line: &str) -> Option<&str> {
    let rest = line
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    (end > 0 && rest[end..].starts_with('(')).then(|| &rest[..end])
}

/// `strace -f -c` over one probe run: calls by system call name.
fn strace(
    probe: &Path,
    scratch: &Path,
    group: &str,
    contender: &str,
    place: &str,
    rounds: u64,
) -> Result<BTreeMap<String, u64>, String> {
    let report = scratch.join(format!("{group}-{contender}-{place}-{rounds}.txt"));
    let mut c = Command::new("strace");
    c.arg("-f").arg("-c").arg("-o").arg(&report).arg(probe);
    c.args(["run", group, contender, place, &rounds.to_string()]);
    run(&mut c)?;
    let text =
        std::fs::read_to_string(&report).map_err(|e| format!("{}: {e}", report.display()))?;
    parse_strace_summary(&text).map_err(|e| format!("{}: {e}", report.display()))
}

/// Reads the table of `strace -c`: `% time, seconds, usecs/call, calls,
/// [errors,] syscall`, between dashed rules, ending with `total`.
pub fn parse_strace_summary(text: &str) -> Result<BTreeMap<String, u64>, String> {
    let mut calls = BTreeMap::new();
    let mut total = None;
    let mut rows = false;
    for line in text.lines() {
        if line.starts_with("------") {
            rows = true;
            continue;
        }
        if !rows {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if !(5..=6).contains(&words.len()) {
            return Err(format!("unexpected line in the strace summary: {line:?}"));
        }
        let name = words[words.len() - 1];
        let n: u64 = words[3]
            .parse()
            .map_err(|e| format!("calls in {line:?}: {e}"))?;
        if name == "total" {
            total = Some(n);
        } else {
            *calls.entry(name.to_string()).or_insert(0) += n;
        }
    }
    let total = total.ok_or("no total line in the strace summary")?;
    let sum: u64 = calls.values().sum();
    if sum != total {
        return Err(format!(
            "the strace summary's rows add up to {sum}, its total says {total}"
        ));
    }
    Ok(calls)
}

/// `(full - base) / rounds` for every call seen in either run.
pub fn subtract(
    full: &BTreeMap<String, u64>,
    base: &BTreeMap<String, u64>,
    rounds: u64,
) -> BTreeMap<String, f64> {
    full.keys()
        .chain(base.keys())
        .map(|name| {
            let f = full.get(name).copied().unwrap_or(0) as f64;
            let b = base.get(name).copied().unwrap_or(0) as f64;
            (name.clone(), ((f - b) / rounds as f64).max(0.0))
        })
        .filter(|(_, n)| *n > 0.0)
        .collect()
}

/// Every way the counts break a budget, in words; empty when none. A
/// budgeted operation with no count at all is a failure too.
pub fn check(counts: &[Count]) -> Vec<String> {
    let mut failures = Vec::new();
    for budget in BUDGETS {
        let mine: Vec<&Count> = counts
            .iter()
            .filter(|c| c.group == budget.group && c.contender == budget.contender)
            .collect();
        if mine.is_empty() {
            failures.push(format!(
                "{}/{}: not counted (is it in the probe?)",
                budget.group, budget.contender
            ));
        }
        for count in mine {
            let what = format!("{}/{} in {}", count.group, count.contender, count.place);
            let mut others = Vec::new();
            for (name, n) in &count.per_op {
                let listed = budget.calls.iter().find(|(call, _)| call == name);
                match listed {
                    Some((_, allowed)) if *n >= allowed + AMORTISED => {
                        failures.push(format!(
                            "{what}: {name} {} per operation, budget {} ({})",
                            per_op(*n),
                            per_op(*allowed),
                            budget.text
                        ));
                    }
                    None if *n >= AMORTISED => others.push((name.as_str(), *n)),
                    _ => {}
                }
            }
            let other_calls: f64 = others.iter().map(|(_, n)| n).sum();
            if !others.is_empty() && other_calls >= budget.others + AMORTISED {
                let named: Vec<String> = others
                    .iter()
                    .map(|(name, n)| format!("{name} {}", per_op(*n)))
                    .collect();
                failures.push(format!(
                    "{what}: {} per operation, budget {} of calls not listed ({})",
                    named.join(", "),
                    per_op(budget.others),
                    budget.text
                ));
            }
            for (alternatives, min) in budget.required {
                let made: f64 = alternatives
                    .iter()
                    .filter_map(|call| count.per_op.get(*call))
                    .sum();
                let short = if *min >= AMORTISED {
                    made + AMORTISED < *min
                } else {
                    made <= 0.0
                };
                if short {
                    failures.push(format!(
                        "{what}: {} {} per operation, needs at least {} ({}): \
                         is it doing its work?",
                        alternatives.join(" or "),
                        per_op(made),
                        per_op(*min),
                        budget.text
                    ));
                }
            }
            if count.total() >= budget.total + AMORTISED {
                failures.push(format!(
                    "{what}: {} calls per operation ({}), budget {} ({})",
                    per_op(count.total()),
                    count.breakdown(),
                    per_op(budget.total),
                    budget.text
                ));
            }
        }
    }
    failures
}

/// The budget of `group`'s `contender`, if it has one.
pub fn budget_of(group: &str, contender: &str) -> Option<&'static Budget> {
    BUDGETS
        .iter()
        .find(|b| b.group == group && b.contender == contender)
}

/// The counts as a plain-text table, grouped by operation and place;
/// budgeted contenders show their budget.
pub fn render(counts: &[Count]) -> String {
    let mut text = String::new();
    let mut last = None;
    for c in counts {
        let key = (c.group.as_str(), c.place.as_str());
        if last != Some(key) {
            text.push_str(&format!("{} in {}\n", c.group, c.place));
            last = Some(key);
        }
        let budget = budget_of(&c.group, &c.contender).map_or(String::new(), |b| {
            format!(
                "   [budget {}: {}]",
                per_op(b.total),
                b.text.replace('`', "")
            )
        });
        text.push_str(&format!(
            "  {:<14} {:>7}  {}{budget}\n",
            c.contender,
            per_op(c.total()),
            c.breakdown()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 40.00    0.000040           0      1007           openat
 30.00    0.000030           0      1008           close
  0.00    0.000000           0         1         1 access
------ ----------- ----------- --------- --------- ----------------
100.00    0.000070           0      2016         1 total
";

    fn count(group: &str, contender: &str, calls: &[(&str, f64)]) -> Count {
        Count {
            group: group.to_string(),
            contender: contender.to_string(),
            place: "tmp".to_string(),
            per_op: calls.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        }
    }

    fn all_within() -> Vec<Count> {
        let mut counts = vec![
            count("anonymous", "ours", &[("openat", 1.0), ("close", 1.0)]),
            count(
                "named",
                "ours",
                &[
                    ("openat", 1.0),
                    ("close", 1.0),
                    ("unlinkat", 1.0),
                    ("getrandom", 0.004),
                ],
            ),
            count("names", "ours", &[("getrandom", 0.004)]),
            count(
                "tempdir",
                "ours",
                &[
                    ("mkdirat", 1.0),
                    ("openat", 1.0),
                    ("unlinkat", 1.0),
                    ("close", 1.0),
                    ("getrandom", 0.003),
                ],
            ),
            count(
                "spool-memory-read_to_end",
                "ours",
                &[("brk", 0.2), ("mremap", 0.2)],
            ),
            count(
                "spool-rollover",
                "ours",
                &[
                    ("pwrite64", 129.0),
                    ("openat", 1.0),
                    ("close", 1.0),
                    ("prlimit64", 1.0),
                ],
            ),
            count("anonymous", "ours-in", &[("open", 1.0), ("close", 1.0)]),
            // One call more than the default directory, not an open.
            count(
                "named",
                "ours-in",
                &[
                    ("openat", 1.0),
                    ("close", 1.0),
                    ("unlinkat", 1.0),
                    ("newfstatat", 1.0),
                    ("getrandom", 0.004),
                ],
            ),
            // Not budgeted: anything goes.
            count("named", "tempfile", &[("unlink", 1.0), ("openat", 2.0)]),
        ];
        // Every other budget: the least its operation must do.
        for b in BUDGETS {
            if !counts
                .iter()
                .any(|c| c.group == b.group && c.contender == b.contender)
            {
                let least: Vec<(&str, f64)> =
                    b.required.iter().map(|(calls, n)| (calls[0], *n)).collect();
                counts.push(count(b.group, b.contender, &least));
            }
        }
        counts
    }

    #[test]
    fn an_in_form_may_add_one_call_but_never_open_and_close_the_directory() {
        let mut counts = all_within();
        let i = counts
            .iter()
            .position(|c| c.group == "named" && c.contender == "ours-in")
            .unwrap();
        // Today's `new_in(path)`: the directory opened and closed each time.
        counts[i].per_op.remove("newfstatat");
        counts[i].per_op.insert("open".to_string(), 1.0);
        counts[i].per_op.insert("close".to_string(), 2.0);
        let failures = check(&counts);
        for expected in [
            "named/ours-in in tmp: open 1 per operation, budget 0",
            "named/ours-in in tmp: close 2 per operation, budget 1",
            "named/ours-in in tmp: 5.004 calls per operation",
        ] {
            assert!(
                failures.iter().any(|f| f.contains(expected)),
                "{expected:?} not in {failures:?}"
            );
        }
        // Two calls not listed are one too many.
        let mut counts = all_within();
        counts[i].per_op.insert("statx".to_string(), 1.0);
        let failures = check(&counts);
        assert!(
            failures
                .iter()
                .any(|f| f.contains("newfstatat 1, statx 1 per operation, budget 1")),
            "{failures:?}"
        );
    }

    #[test]
    fn parses_the_strace_summary() {
        let calls = parse_strace_summary(SUMMARY).unwrap();
        assert_eq!(calls["openat"], 1007);
        assert_eq!(calls["close"], 1008);
        assert_eq!(calls["access"], 1);
        assert!(parse_strace_summary("nothing here").is_err());
        let broken = SUMMARY.replace("2016", "2017");
        assert!(
            parse_strace_summary(&broken)
                .unwrap_err()
                .contains("add up")
        );
    }

    #[test]
    fn subtracts_the_baseline_per_round() {
        let full = parse_strace_summary(SUMMARY).unwrap();
        let base: BTreeMap<String, u64> = [("openat", 7), ("close", 8), ("access", 1)]
            .map(|(n, c)| (n.to_string(), c))
            .into();
        let per_op = subtract(&full, &base, 1000);
        assert_eq!(per_op.len(), 2, "{per_op:?}");
        assert_eq!(per_op["openat"], 1.0);
        assert_eq!(per_op["close"], 1.0);
    }

    #[test]
    fn counts_within_budget_pass() {
        assert_eq!(check(&all_within()), Vec::<String>::new());
    }

    #[test]
    fn an_extra_call_fails_the_budget() {
        let mut counts = all_within();
        counts[0].per_op.insert("newfstatat".to_string(), 1.0);
        let failures = check(&counts);
        assert!(
            failures.iter().any(|f| f.contains("newfstatat")),
            "{failures:?}"
        );
        assert!(
            failures.iter().any(|f| f.contains("3 calls")),
            "{failures:?}"
        );
    }

    #[test]
    fn a_listed_call_made_twice_fails() {
        let mut counts = all_within();
        counts[1].per_op.insert("openat".to_string(), 2.0);
        let failures = check(&counts);
        assert!(
            failures
                .iter()
                .any(|f| f.contains("named/ours in tmp: openat 2")),
            "{failures:?}"
        );
    }

    #[test]
    fn getrandom_per_name_fails() {
        let mut counts = all_within();
        counts[1].per_op.insert("getrandom".to_string(), 1.0);
        counts[2].per_op.insert("getrandom".to_string(), 0.01);
        let failures = check(&counts);
        // named: getrandom itself and the total; names: the same two.
        assert_eq!(failures.len(), 4, "{failures:?}");
    }

    #[test]
    fn an_operation_that_skips_its_work_fails() {
        // A stubbed operation makes no call at all; one that forgot to
        // remove what it made lacks its unlinkat.
        let mut counts = all_within();
        counts[0].per_op.clear();
        counts[1].per_op.remove("unlinkat");
        let failures = check(&counts);
        for expected in [
            "anonymous/ours in tmp: openat 0 per operation, needs at least 1",
            "anonymous/ours in tmp: close 0 per operation",
            "named/ours in tmp: unlinkat 0 per operation",
        ] {
            assert!(
                failures.iter().any(|f| f.contains(expected)),
                "{expected:?} not in {failures:?}"
            );
        }
        assert_eq!(failures.len(), 3, "{failures:?}");
    }

    #[test]
    fn an_empty_count_shows_zero_not_minus_zero() {
        assert_eq!(per_op(count("names", "ours", &[]).total()), "0");
        assert_eq!(per_op(-0.0001), "0");
    }

    #[test]
    fn a_budgeted_operation_left_uncounted_fails() {
        let mut counts = all_within();
        counts.remove(0);
        assert!(check(&counts)[0].contains("not counted"));
    }

    #[test]
    fn counts_the_calls_between_the_markers() {
        let trace = format!(
            "10 openat(AT_FDCWD, \"/tmp/x\", O_RDONLY) = 3\n\
             10 statx(AT_FDCWD, \"{BEGIN_MARK}\", 0, STATX_ALL, 0x7ff) = -1 ENOENT\n\
             10 getdents64(3, 0x5 /* 2 entries */, 32768) = 48\n\
             10 unlinkat(3, \"f1\", 0) = 0\n\
             10 unlinkat(3, \"f2\", 0) = 0\n\
             10 --- SIGCHLD {{si_signo=SIGCHLD}} ---\n\
             10 <... read resumed>\"\", 1) = 0\n\
             close(3) = 0\n\
             10 statx(AT_FDCWD, \"{END_MARK}\", 0, STATX_ALL, 0x7ff) = -1 ENOENT\n\
             10 exit_group(0) = ?\n"
        );
        let (calls, pairs) = parse_marked(&trace).unwrap();
        assert_eq!(pairs, 1);
        let want: BTreeMap<String, u64> = [("getdents64", 1), ("unlinkat", 2), ("close", 1)]
            .map(|(n, c)| (n.to_string(), c))
            .into();
        assert_eq!(calls, want);
        assert!(parse_marked("no markers").is_err());
        assert!(parse_marked(&format!("{END_MARK}\n{BEGIN_MARK}\n")).is_err());
        assert!(parse_marked(&format!("{BEGIN_MARK}\n{BEGIN_MARK}\n{END_MARK}\n")).is_err());
        let twice = format!("{trace}{trace}");
        let (calls, pairs) = parse_marked(&twice).unwrap();
        assert_eq!((calls["unlinkat"], pairs), (4, 2));
    }

    #[test]
    fn formats_calls_per_operation() {
        assert_eq!(per_op(1.0), "1");
        assert_eq!(per_op(0.004), "0.004");
        assert_eq!(count("x", "ours", &[]).breakdown(), "none");
        let c = count("x", "ours", &[("close", 1.0), ("openat", 2.0)]);
        assert_eq!(c.breakdown(), "openat 2, close 1");
    }
}
