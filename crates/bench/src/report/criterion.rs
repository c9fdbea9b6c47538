//! Criterion's side: which benches ran (`--test`) and their medians
//! (`<criterion home>/<id>/<contender>/new/estimates.json`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use crate::catalogue::Catalogue;

/// One contender's median in one place, from criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Nanoseconds per operation.
    pub median: f64,
    /// The lower end of criterion's 95% confidence interval of the median.
    pub lower: f64,
    /// The upper end of that interval.
    pub upper: f64,
}

/// Reads every expected estimate, refusing results older than this run.
pub fn read_estimates(
    home: &Path,
    catalogue: &Catalogue,
    since: SystemTime,
) -> Result<BTreeMap<String, Estimate>, String> {
    let mut found = BTreeMap::new();
    for id in catalogue.bench_ids() {
        let file = home.join(&id).join("new").join("estimates.json");
        let fresh = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= since);
        if !fresh {
            return Err(format!(
                "no result of this run for {id} ({} is missing or older)",
                file.display()
            ));
        }
        let json =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let estimate = parse_estimates(&json).map_err(|e| format!("{}: {e}", file.display()))?;
        found.insert(id, estimate);
    }
    Ok(found)
}

/// The median and its confidence interval from criterion's
/// `estimates.json`.
pub fn parse_estimates(json: &str) -> Result<Estimate, String> {
    let estimates: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let median = estimates.get("median").ok_or("no \"median\" object")?;
    let interval = &median["confidence_interval"];
    let number = |value: &serde_json::Value, key: &str| {
        value[key].as_f64().ok_or(format!("no median {key}"))
    };
    Ok(Estimate {
        median: number(median, "point_estimate")?,
        lower: number(interval, "lower_bound")?,
        upper: number(interval, "upper_bound")?,
    })
}

/// Checks criterion's `--test` output: every expected id tested, each
/// followed by `Success`.
pub fn check_tested(stdout: &str, expected: &[String]) -> Result<String, String> {
    let mut tested = Vec::new();
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(id) = line.strip_prefix("Testing ") {
            if lines.peek() != Some(&"Success") {
                return Err(format!("bench {id} did not succeed:\n{stdout}"));
            }
            tested.push(id.to_string());
        }
    }
    let missing: Vec<&String> = expected.iter().filter(|id| !tested.contains(id)).collect();
    if !missing.is_empty() {
        return Err(format!("benches that did not run: {missing:?}\n{stdout}"));
    }
    Ok(format!("{} benches ran once", tested.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_runs_must_test_every_bench() {
        let expected = vec!["a/ours".to_string(), "a/floor".to_string()];
        let ok = "Testing a/ours\nSuccess\nTesting a/floor\nSuccess\n";
        assert_eq!(check_tested(ok, &expected).unwrap(), "2 benches ran once");
        let missing = "Testing a/ours\nSuccess\n";
        assert!(
            check_tested(missing, &expected)
                .unwrap_err()
                .contains("a/floor")
        );
        let failed = "Testing a/ours\nthread panicked\n";
        assert!(check_tested(failed, &expected).is_err());
    }

    #[test]
    fn reads_the_median_from_criterion() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":9.0,"upper_bound":11.0},"point_estimate":10.0,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":2.5e3,"upper_bound":2700.25},"point_estimate":2600.5,"standard_error":1.0},"median_abs_dev":{"point_estimate":1.0}}"#;
        let e = parse_estimates(json).unwrap();
        assert_eq!(e.median, 2600.5);
        assert_eq!(e.lower, 2500.0);
        assert_eq!(e.upper, 2700.25);
        assert!(parse_estimates("{}").is_err());
    }
}
