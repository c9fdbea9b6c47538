//! Every benchmark group, described: what the report (`cargo xtask
//! bench`) needs to find criterion's results and explain them. The probe
//! prints it with `syscall_probe list`.

use crate::{interleave, ops, tree};

/// One benchmark group, as the report sees it.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    /// The group's name; benchmark ids add `-tmp`/`-shm` when per place.
    pub name: String,
    /// What one operation is.
    pub about: String,
    /// Whether the group runs once per place.
    pub per_place: bool,
    /// Operations per probe count (`syscall_probe run`); 0 when the probe
    /// cannot do the group (operations that need untimed setup).
    pub rounds: u64,
    /// Rounds of the interleaved measurement (`syscall_probe interleave`).
    pub pairs: usize,
    /// The contender every other is compared with: the system-call floor,
    /// or the standard library where the issue names it.
    pub floor: &'static str,
    /// (name, what it does), ours first.
    pub contenders: Vec<(&'static str, &'static str)>,
}

/// Every group, in the order of the report: the single operations, then
/// the trees.
pub fn groups() -> Vec<GroupInfo> {
    let single = ops::GROUPS.iter().map(|g| GroupInfo {
        name: g.name.to_string(),
        about: g.about.to_string(),
        per_place: g.per_place,
        rounds: g.rounds,
        pairs: interleave::OP_ROUNDS,
        floor: g.floor,
        contenders: g.contenders.iter().map(|c| (c.name, c.about)).collect(),
    });
    let trees = tree::TREES.iter().map(|t| GroupInfo {
        name: t.name.to_string(),
        about: t.about.to_string(),
        per_place: true,
        rounds: 0,
        pairs: interleave::TREE_ROUNDS,
        floor: tree::FLOOR,
        contenders: tree::CONTENDERS.iter().map(|c| (c.name, c.about)).collect(),
    });
    single.chain(trees).collect()
}

/// The catalogue as tab-separated lines: `group NAME PER_PLACE ROUNDS
/// PAIRS FLOOR ABOUT`, then `contender GROUP NAME ABOUT`.
pub fn render() -> String {
    let groups = groups();
    let mut text = String::new();
    for g in &groups {
        text.push_str(&format!(
            "group\t{}\t{}\t{}\t{}\t{}\t{}\n",
            g.name, g.per_place, g.rounds, g.pairs, g.floor, g.about
        ));
    }
    for g in &groups {
        for (name, about) in &g.contenders {
            text.push_str(&format!("contender\t{}\t{name}\t{about}\n", g.name));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_has_ours_first_and_its_floor() {
        let groups = groups();
        assert!(!groups.is_empty());
        for g in &groups {
            assert_eq!(g.contenders[0].0, "ours", "{}", g.name);
            assert!(
                g.contenders.iter().any(|(n, _)| *n == g.floor),
                "{} has no {}",
                g.name,
                g.floor
            );
            assert!(!g.about.contains('\t') && g.contenders.iter().all(|(_, a)| !a.contains('\t')));
        }
    }

    #[test]
    fn renders_one_line_per_group_and_contender() {
        let groups = groups();
        let lines = render().lines().count();
        let contenders: usize = groups.iter().map(|g| g.contenders.len()).sum();
        assert_eq!(lines, groups.len() + contenders);
    }
}
