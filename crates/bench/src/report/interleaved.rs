//! The interleaved measurement's side (`syscall_probe interleave`, see
//! [`crate::interleave`]): each contender's per-round ratio to the floor
//! and to the `tempfile` crate.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::run;
use crate::catalogue::Catalogue;

/// A contender's ratio to another, round by round in the interleaved
/// measurement: median and quartiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    /// The median ratio.
    pub median: f64,
    /// The first quartile.
    pub q1: f64,
    /// The third quartile.
    pub q3: f64,
}

impl Ratio {
    /// `1.004 (0.991–1.017)`.
    pub fn show(&self) -> String {
        format!("{:.3} ({:.3}–{:.3})", self.median, self.q1, self.q3)
    }
}

/// The interleaved results: each contender's per-round ratio to every
/// contender of its group (its floor, the `tempfile` crate, ...).
#[derive(Debug, Default)]
pub struct Paired {
    /// (benchmark id `group-place/contender`, the other contender) → ratio.
    pub ratios: BTreeMap<(String, String), Ratio>,
}

impl Paired {
    /// The ratio of benchmark `id` (`group-place/contender`) to the
    /// contender `reference` of the same group and place.
    pub fn get(&self, id: &str, reference: &str) -> Option<&Ratio> {
        self.ratios.get(&(id.to_string(), reference.to_string()))
    }
}

/// Runs `syscall_probe interleave` for every group in each of its
/// places and turns the rounds into ratios.
pub fn interleave_all(probe: &Path, catalogue: &Catalogue) -> Result<Paired, String> {
    let mut paired = Paired::default();
    for g in &catalogue.groups {
        for (label, _, _) in catalogue.places_of(g) {
            let out = run(Command::new(probe).args(["interleave", &g.name, label]))?;
            let series = parse_series(&String::from_utf8_lossy(&out.stdout))?;
            let id = Catalogue::id(g, label);
            for (other, reference) in &series {
                for (c, ns) in &series {
                    if let Some(ratio) = ratio_per_round(ns, reference) {
                        paired
                            .ratios
                            .insert((format!("{id}/{c}"), other.clone()), ratio);
                    }
                }
            }
        }
    }
    Ok(paired)
}

/// `syscall_probe interleave`'s output: contender → nanoseconds per
/// operation, one per round.
pub fn parse_series(text: &str) -> Result<BTreeMap<String, Vec<f64>>, String> {
    let mut series = BTreeMap::new();
    for line in text.lines() {
        let (name, values) = line
            .split_once('\t')
            .ok_or_else(|| format!("unexpected line from `syscall_probe interleave`: {line:?}"))?;
        let values = values
            .split(',')
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|e| format!("{v:?} in {line:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        series.insert(name.to_string(), values);
    }
    Ok(series)
}

/// The median and quartiles of `a[i] / b[i]`; `None` without rounds.
pub fn ratio_per_round(a: &[f64], b: &[f64]) -> Option<Ratio> {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(_, d)| **d > 0.0)
        .map(|(n, d)| n / d)
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    Some(Ratio {
        median: quantile(&ratios, 0.5),
        q1: quantile(&ratios, 0.25),
        q3: quantile(&ratios, 0.75),
    })
}

/// The `q` quantile of sorted `xs`, interpolating between neighbours.
fn quantile(xs: &[f64], q: f64) -> f64 {
    let at = q * (xs.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    xs[lo] + (xs[hi] - xs[lo]) * (at - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_compare_rounds_pairwise() {
        let series =
            parse_series("ours\t10.0,20.0,30.0,40.0,50.0\nfloor\t10,10,10,10,10\n").unwrap();
        let r = ratio_per_round(&series["ours"], &series["floor"]).unwrap();
        assert_eq!((r.q1, r.median, r.q3), (2.0, 3.0, 4.0));
        assert_eq!(ratio_per_round(&[], &[]), None);
        assert!(parse_series("no tab here").is_err());
        assert!(parse_series("ours\t1.0,x").is_err());
    }
}
