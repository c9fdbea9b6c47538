//! Every example in tempspool's documentation compiles in a project that
//! depends on tempspool alone: no `tempfs::` or `tempcore::` (what the
//! examples need is re-exported, such as `Builder`).
//!
//! The sources are read at run time by the path they were built from: a
//! check of text, run where that path is a native one (not under Wine).

// Not on WASI: the source tree (only `$TMPDIR` is preopened).
#![cfg(unix)]

use std::path::Path;

#[test]
fn examples_use_only_tempspool_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lines = testkit::doc_example_lines(&root.join("src"));
    lines.extend(testkit::doc_example_lines(&root.join("README.md")));
    assert!(lines.len() > 50, "found the examples: {}", lines.len());
    let foreign: Vec<_> = lines
        .iter()
        .filter(|(_, line)| line.contains("tempcore") || line.contains("tempfs::"))
        .collect();
    assert!(foreign.is_empty(), "{foreign:#?}");
}
