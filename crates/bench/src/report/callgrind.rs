//! User-space instructions per operation, counted with
//! `valgrind --tool=callgrind` over probe runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::run;
use crate::catalogue::{Catalogue, Kind};

/// User-space instructions per operation, by (group, contender), in the
/// default place.
pub type Instructions = BTreeMap<(String, String), f64>;

/// Instructions per operation of every contender of the single-operation
/// groups, in the default place: a run of the group's rounds less a run
/// with none. (A staged group's setup cannot be told apart from its
/// calls here, and a tree's removal is one of a kind.)
pub fn count_instructions(probe: &Path, catalogue: &Catalogue) -> Result<Instructions, String> {
    let place = &catalogue.places[0].0;
    let mut counts = Instructions::new();
    for g in catalogue.groups.iter().filter(|g| g.kind == Kind::Single) {
        for (c, _) in &g.contenders {
            let base = callgrind(probe, &g.name, c, place, 0)?;
            let full = callgrind(probe, &g.name, c, place, g.rounds)?;
            let per_op = full.saturating_sub(base) as f64 / g.rounds as f64;
            counts.insert((g.name.clone(), c.to_string()), per_op);
        }
    }
    Ok(counts)
}

/// Instructions executed in user space by one probe run.
fn callgrind(probe: &Path, group: &str, c: &str, place: &str, rounds: u64) -> Result<u64, String> {
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"]);
    cmd.arg(probe);
    cmd.args(["run", group, c, place, &rounds.to_string()]);
    let out = run(&mut cmd)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    parse_collected(&stderr)
        .ok_or_else(|| format!("no instruction count from callgrind:\n{stderr}"))
}

/// `==123== Collected : 4567` from callgrind's summary.
pub fn parse_collected(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let (_, rest) = l.split_once("Collected :")?;
        rest.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_callgrinds_total() {
        let stderr = "==12== Events    : Ir\n==12== Collected : 123456\n==12==\n";
        assert_eq!(parse_collected(stderr), Some(123_456));
        assert_eq!(parse_collected("nothing"), None);
    }
}
