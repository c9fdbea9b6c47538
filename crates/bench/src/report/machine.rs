//! What the numbers were measured on: the machine, its load, the date.

use std::process::Command;
use std::time::SystemTime;

use crate::catalogue::Catalogue;

/// `/proc/loadavg`'s first three fields.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// What the numbers were measured on, as Markdown list items.
pub fn machine(catalogue: &Catalogue, load_before: &str, load_after: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown".to_string());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let kb: u64 = s
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "unknown".to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string());
    let rustc = command_line("rustc", &["-V"]);
    // The report runs in the workspace (xtask sees to that).
    let commit = command_line("git", &["rev-parse", "--short", "HEAD"]);
    let mut text = String::new();
    text.push_str(&format!("- Date: {} (UTC)\n", today()));
    text.push_str(&format!(
        "- CPU: {cpu}, {cores} cores available; memory {memory}\n"
    ));
    text.push_str(&format!(
        "- Kernel: Linux {kernel}; {rustc}; commit {commit}\n"
    ));
    for (label, path, fs) in &catalogue.places {
        let what = if label == "tmp" {
            "default temporary directory"
        } else {
            "tmpfs"
        };
        text.push_str(&format!("- `{label}`: `{path}` ({fs}), the {what}\n"));
    }
    text.push_str(&format!(
        "- Load average (1, 5, 15 min): {load_before} before, {load_after} after \
         (a shared machine: other builds ran alongside)\n"
    ));
    text
}

/// The first line of a command's output, or `unknown`.
fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Today's date, `YYYY-MM-DD`, in UTC.
fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_date(secs / 86_400);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
pub fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}
