//! Every benchmark group, described, and the places they run in: what
//! the report (`cargo xtask bench`, [`crate::report`]) needs to find
//! criterion's results and explain them. The probe prints it with
//! `syscall_probe list`.

use std::io;

use crate::places::Place;
use crate::{interleave, ops, spool, tree};

/// How a group's operation is measured and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One call per operation, timed whole (`ops`); system calls counted
    /// over a run less a run with none.
    Single,
    /// Calls on an object made untimed and checked after (`spool`);
    /// system calls counted between markers around the calls.
    Staged,
    /// One removal of a tree built untimed (`tree`); system calls counted
    /// between markers.
    Tree,
}

/// One benchmark group, as the report sees it.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    /// The group's name; benchmark ids add `-tmp`/`-shm` when per place.
    pub name: String,
    /// How it is measured and counted.
    pub kind: Kind,
    /// What one operation is.
    pub about: String,
    /// Whether the group runs once per place.
    pub per_place: bool,
    /// Operations per probe count (`syscall_probe run` or `staged-calls`);
    /// 0 for a tree (one removal, `tree-calls`).
    pub rounds: u64,
    /// Rounds of the interleaved measurement (`syscall_probe interleave`).
    pub pairs: usize,
    /// The contender every other is compared with: the system-call floor,
    /// or the standard library where the issue names it.
    pub floor: &'static str,
    /// (name, what it does), ours first.
    pub contenders: Vec<(&'static str, &'static str)>,
    /// Measured by criterion too (every group but the largest tree).
    pub criterion: bool,
}

/// Every group, in the order of the report: the single operations, the
/// spools' calls, then the trees.
pub fn groups() -> Vec<GroupInfo> {
    let single = ops::GROUPS.iter().map(|g| GroupInfo {
        name: g.name.to_string(),
        kind: Kind::Single,
        about: g.about.to_string(),
        per_place: g.per_place,
        rounds: g.rounds,
        pairs: interleave::OP_ROUNDS,
        floor: g.floor,
        contenders: g.contenders.iter().map(|c| (c.name, c.about)).collect(),
        criterion: true,
    });
    let staged = spool::STAGED.iter().map(|g| GroupInfo {
        name: g.name.to_string(),
        kind: Kind::Staged,
        about: g.about(),
        per_place: g.per_place(),
        rounds: g.rounds(),
        pairs: g.pairs(),
        floor: g.floor(),
        contenders: g.contenders().iter().map(|c| (c.name, c.about)).collect(),
        criterion: true,
    });
    let trees = tree::TREES.iter().map(|t| GroupInfo {
        name: t.name.to_string(),
        kind: Kind::Tree,
        about: t.about.to_string(),
        per_place: true,
        rounds: 0,
        pairs: interleave::TREE_ROUNDS,
        floor: tree::FLOOR,
        contenders: tree::CONTENDERS.iter().map(|c| (c.name, c.about)).collect(),
        criterion: t.criterion,
    });
    single.chain(staged).chain(trees).collect()
}

/// The groups, and the places of this machine they run in.
#[derive(Debug)]
pub struct Catalogue {
    /// Every group, as [`groups`] lists them.
    pub groups: Vec<GroupInfo>,
    /// (label, path, file system), the default temporary directory first.
    pub places: Vec<(String, String, String)>,
}

impl Catalogue {
    /// Every group, in the places [`Place::all`] finds here.
    pub fn here() -> io::Result<Catalogue> {
        let places = Place::all()?
            .iter()
            .map(|p| {
                let path = p.path().display().to_string();
                (p.label().to_string(), path, p.file_system())
            })
            .collect();
        Ok(Catalogue {
            groups: groups(),
            places,
        })
    }

    /// The places a group runs in: all, or the first (the default
    /// temporary directory).
    pub fn places_of(&self, group: &GroupInfo) -> &[(String, String, String)] {
        if group.per_place {
            &self.places
        } else {
            &self.places[..1]
        }
    }

    /// The criterion group id of `group` in the place labelled `place`.
    pub fn id(group: &GroupInfo, place: &str) -> String {
        if group.per_place {
            format!("{}-{place}", group.name)
        } else {
            group.name.clone()
        }
    }

    /// Every benchmark id (`group-place/contender`) the benches must run.
    pub fn bench_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for g in self.groups.iter().filter(|g| g.criterion) {
            for (label, _, _) in self.places_of(g) {
                for (c, _) in &g.contenders {
                    ids.push(format!("{}/{c}", Catalogue::id(g, label)));
                }
            }
        }
        ids
    }

    /// Two groups (one per place, with its floor; one not) in two places,
    /// for the report's tests.
    #[cfg(test)]
    pub(crate) fn sample() -> Catalogue {
        let group = |name: &str, per_place, about: &str, contenders| GroupInfo {
            name: name.to_string(),
            kind: Kind::Single,
            about: about.to_string(),
            per_place,
            rounds: 1000,
            pairs: 100,
            floor: "floor",
            contenders,
            criterion: true,
        };
        let place = |label: &str, path: &str, fs: &str| {
            (label.to_string(), path.to_string(), fs.to_string())
        };
        Catalogue {
            groups: vec![
                group(
                    "anonymous",
                    true,
                    "anonymous file",
                    vec![
                        ("ours", "x"),
                        ("ours-in", "w"),
                        ("tempfile", "v"),
                        ("floor", "y"),
                    ],
                ),
                group("names", false, "one name", vec![("ours", "z")]),
            ],
            places: vec![
                place("tmp", "/tmp", "ext4"),
                place("shm", "/dev/shm", "tmpfs"),
            ],
        }
    }
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

    #[test]
    fn the_catalogue_lists_every_bench_id() {
        let c = Catalogue::sample();
        assert_eq!(
            c.bench_ids(),
            [
                "anonymous-tmp/ours",
                "anonymous-tmp/ours-in",
                "anonymous-tmp/tempfile",
                "anonymous-tmp/floor",
                "anonymous-shm/ours",
                "anonymous-shm/ours-in",
                "anonymous-shm/tempfile",
                "anonymous-shm/floor",
                "names/ours"
            ]
        );
    }
}
