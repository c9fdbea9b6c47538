//! Every example in tempfs's documentation compiles in a project that
//! depends on tempfs alone: no `tempcore::` (what the examples need is
//! re-exported, such as `random_name` and `Dir`).
//!
//! The sources are read at run time by the path they were built from: a
//! check of text, run where that path is a native one (not under Wine,
//! nor under WASI, where only the temporary directory is preopened).

#![cfg(unix)]

use std::path::Path;

#[test]
fn examples_use_only_tempfs_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lines = testkit::doc_example_lines(&root.join("src"));
    lines.extend(testkit::doc_example_lines(&root.join("README.md")));
    assert!(lines.len() > 100, "found the examples: {}", lines.len());
    let foreign: Vec<_> = lines
        .iter()
        .filter(|(_, line)| line.contains("tempcore"))
        .collect();
    assert!(foreign.is_empty(), "{foreign:#?}");
}
