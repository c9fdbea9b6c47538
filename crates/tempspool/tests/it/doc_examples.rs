//! Every example in tempspool's documentation compiles in a project that
//! depends on tempspool alone: no `tempfs::` or `tempcore::` (what the
//! examples need is re-exported, such as `Builder`).
//!
//! The sources are read at run time by the path they were built from: a
//! check of text, run where that path is a native one (not under Wine).

// Not on WASI: the source tree (only `$TMPDIR` is preopened).
#![cfg(unix)]

use std::path::Path;

/// The lines inside code blocks of the doc comments (`///`, `//!`) of the
/// Rust files under `dir`, and of Markdown files, as (file, line) pairs.
fn example_lines(path: &Path, found: &mut Vec<(String, String)>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            example_lines(&entry.unwrap().path(), found);
        }
        return;
    }
    let markdown = path.extension().is_some_and(|e| e == "md");
    if !markdown && path.extension().is_none_or(|e| e != "rs") {
        return;
    }
    let text = std::fs::read_to_string(path).unwrap();
    let mut in_code = false;
    for line in text.lines() {
        let line = line.trim_start();
        let doc = if markdown {
            Some(line)
        } else {
            line.strip_prefix("///")
                .or_else(|| line.strip_prefix("//!"))
                .map(str::trim_start)
        };
        let Some(doc) = doc else {
            in_code = false;
            continue;
        };
        if doc.starts_with("```") {
            in_code = !in_code;
        } else if in_code {
            found.push((path.display().to_string(), doc.to_owned()));
        }
    }
}

#[test]
fn examples_use_only_tempspool_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lines = Vec::new();
    example_lines(&root.join("src"), &mut lines);
    example_lines(&root.join("README.md"), &mut lines);
    assert!(lines.len() > 50, "found the examples: {}", lines.len());
    let foreign: Vec<_> = lines
        .iter()
        .filter(|(_, line)| line.contains("tempcore") || line.contains("tempfs::"))
        .collect();
    assert!(foreign.is_empty(), "{foreign:#?}");
}
