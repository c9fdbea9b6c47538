//! `cargo xtask ci package`: every library crate is ready for crates.io,
//! without publishing anything.
//!
//! 1. Each manifest carries what crates.io shows and needs: description,
//!    licence, repository, readme, keywords (at most five, each a valid
//!    keyword), categories and the docs.rs targets; the readme exists.
//! 2. Each crate ships the licence texts, identical to the root's.
//! 3. `cargo package -p tempcore -p tempfs -p tempspool` builds each
//!    `.crate` and verifies it by compiling the packaged sources alone.
//!    `tempfs` and `tempspool` depend on crates that are not on crates.io
//!    yet; recent cargo (1.95 here) packages several crates of a workspace
//!    together and resolves those dependencies to the freshly packaged
//!    `.crate` files through a temporary local registry, so nothing needs
//!    `--no-verify`. (Cargo 1.85 looks them up on crates.io and fails,
//!    verifying or not.) The working tree may be dirty (`--allow-dirty`):
//!    this checks what would be packaged, not what is committed.

use crate::msrv::LIBRARY_CRATES;
use crate::run::{capture, cargo, root};

/// Fields every library crate's `[package]` must set.
const REQUIRED: &[&str] = &[
    "description",
    "license",
    "repository",
    "readme",
    "keywords",
    "categories",
];

/// Licence texts each crate ships, copies of the root's.
const LICENCES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE"];

/// The step.
pub(crate) fn package() -> Result<String, String> {
    let mut problems = Vec::new();
    for name in LIBRARY_CRATES {
        problems.extend(check_crate(name));
    }
    if !problems.is_empty() {
        return Err(format!(
            "library crates not ready for crates.io:\n  {}",
            problems.join("\n  ")
        ));
    }
    let mut command = cargo();
    command.args(["package", "--locked", "--allow-dirty"]);
    for name in LIBRARY_CRATES {
        command.args(["-p", name]);
    }
    let out = capture(&mut command)?;
    let log = String::from_utf8_lossy(&out.stderr);
    let sizes: Vec<String> = log
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Packaged "))
        .map(|l| l.to_string())
        .collect();
    let listed = LIBRARY_CRATES
        .iter()
        .zip(&sizes)
        .map(|(name, size)| format!("{name} ({size})"))
        .collect::<Vec<_>>();
    if listed.len() != LIBRARY_CRATES.len() {
        return Err(format!(
            "cargo package did not report one package per crate:\n{log}"
        ));
    }
    Ok(format!("verified {}", listed.join(", ")))
}

/// What is missing or wrong in crate `name`, one line each.
fn check_crate(name: &str) -> Vec<String> {
    let dir = root().join("crates").join(name);
    let manifest_path = dir.join("Cargo.toml");
    let manifest = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => text,
        Err(e) => return vec![format!("{}: {e}", manifest_path.display())],
    };
    let mut problems = manifest_problems(&manifest)
        .into_iter()
        .map(|p| format!("{name}: {p}"))
        .collect::<Vec<_>>();
    if !dir.join("README.md").is_file() {
        problems.push(format!("{name}: no README.md"));
    }
    for licence in LICENCES {
        let ours = std::fs::read(root().join(licence)).unwrap_or_default();
        match std::fs::read(dir.join(licence)) {
            Ok(copy) if copy == ours => {}
            Ok(_) => problems.push(format!("{name}: {licence} differs from the root's")),
            Err(_) => problems.push(format!("{name}: no {licence} (copy the root's)")),
        }
    }
    problems
}

/// What a library crate's manifest text lacks.
fn manifest_problems(manifest: &str) -> Vec<String> {
    let package = table(manifest, "[package]");
    let mut problems: Vec<String> = REQUIRED
        .iter()
        .filter(|key| value(&package, key).is_none())
        .map(|key| format!("[package] has no {key}"))
        .collect();
    if value(&package, "readme").is_some_and(|v| v != "\"README.md\"") {
        problems.push("readme should be \"README.md\"".to_string());
    }
    if let Some(keywords) = value(&package, "keywords") {
        problems.extend(keyword_problems(keywords));
    }
    let docs_rs = table(manifest, "[package.metadata.docs.rs]");
    if value(&docs_rs, "targets").is_none() {
        problems.push("[package.metadata.docs.rs] names no targets".to_string());
    }
    problems
}

/// The lines of the table headed `header`.
fn table<'a>(manifest: &'a str, header: &str) -> Vec<&'a str> {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if inside {
            lines.push(line);
        }
    }
    lines
}

/// The value of `key` in a table's lines (`key = v` or `key.workspace =
/// true`, which counts as set when the workspace sets it).
fn value<'a>(lines: &[&'a str], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        let k = k.trim();
        (k == key || k == format!("{key}.workspace")).then(|| v.trim())
    })
}

/// crates.io's rules for keywords: at most five, each at most 20 ASCII
/// characters, starting with a letter, then letters, digits, `_`, `-`, `+`.
fn keyword_problems(list: &str) -> Vec<String> {
    let words: Vec<&str> = list
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|w| w.trim().trim_matches('"'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut problems = Vec::new();
    if words.len() > 5 {
        problems.push(format!("{} keywords; crates.io takes 5", words.len()));
    }
    for word in words {
        let valid = word.len() <= 20
            && word.starts_with(|c: char| c.is_ascii_alphabetic())
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c));
        if !valid {
            problems.push(format!("keyword {word:?} is not valid on crates.io"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[package]
name = "x"
description = "d"
license.workspace = true
repository.workspace = true
readme = "README.md"
keywords = ["tempfile", "mkstemp"]
categories = ["filesystem"]

[package.metadata.docs.rs]
targets = ["x86_64-unknown-linux-gnu"]
"#;

    #[test]
    fn a_complete_manifest_passes() {
        assert_eq!(manifest_problems(GOOD), Vec::<String>::new());
    }

    #[test]
    fn missing_fields_and_bad_keywords_are_named() {
        let bad = GOOD
            .replace("description = \"d\"\n", "")
            .replace("\"mkstemp\"", "\"has space\", \"a\", \"b\", \"c\", \"d\"")
            .replace("targets", "features");
        let problems = manifest_problems(&bad);
        assert!(
            problems.iter().any(|p| p.contains("description")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("6 keywords")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("\"has space\"")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("docs.rs")),
            "{problems:?}"
        );
    }

    #[test]
    fn every_library_crate_is_ready() {
        for name in LIBRARY_CRATES {
            assert_eq!(check_crate(name), Vec::<String>::new());
        }
    }
}
