//! `cargo xtask ci package`: every library crate is ready for crates.io,
//! without publishing anything. Its manifest carries what crates.io shows
//! and needs (description, licence, repository, readme, keywords: at most
//! five, each valid; categories; the docs.rs targets), its readme exists,
//! and it ships the licence texts, identical to the root's. Then `cargo
//! package -p tempcore -p tempfs -p tempspool --allow-dirty` packages them
//! together and verifies each by building it alone ("Releases" in
//! `docs/platforms.md` says why that needs a recent cargo).
//!
//! Cargo resolves our unpublished crates through a temporary local
//! registry, unpacks it into `$CARGO_HOME/registry/src/-<hash>/` (the hash
//! depends only on the registry's path) and on a later run reuses what it
//! finds there (rust-lang/cargo#10071): `tempfs` was verified against an
//! earlier commit's `tempcore`. So cargo runs with a home of its own,
//! `target/package-home`, made afresh, and never writes to the user's: it
//! links the user's `registry/index` and `registry/cache` and reads them
//! `--offline`, after `cargo fetch` (where links cannot be made it
//! downloads its own). Cargo also takes a registry crate's old build as
//! up to date when name and version match, so it verifies in
//! `target/xtask-package`, emptied first. Package steps take turns on a
//! lock in `target/`.

use std::path::{Path, PathBuf};

use crate::msrv::LIBRARY_CRATES;
use crate::run::{at, capture, cargo_args, remove_tree, root};

/// Fields every library crate's `[package]` must set.
#[rustfmt::skip]
const REQUIRED: &[&str] = &["description", "license", "repository", "readme", "keywords", "categories"];

/// Licence texts each crate ships, copies of the root's.
const LICENCES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE"];

/// The step.
pub(crate) fn package() -> Result<String, String> {
    let problems: Vec<String> = LIBRARY_CRATES.iter().flat_map(|c| check_crate(c)).collect();
    if !problems.is_empty() {
        return Err(format!(
            "library crates not ready for crates.io:\n  {}",
            problems.join("\n  ")
        ));
    }
    let target = root().join("target");
    let _turn = take_turn(&target)?;
    let home = target.join("package-home");
    let shared = package_home(&home)?;
    let packaged = target.join("xtask-package");
    remove_tree(&packaged)?;
    let mut command = cargo_args("package --locked --allow-dirty --target-dir");
    command.arg(&packaged);
    for name in LIBRARY_CRATES {
        command.args(["-p", name]);
    }
    if shared {
        command.arg("--offline");
    }
    // Nothing of the user's cache is ever cleaned from here.
    command.env("CARGO_CACHE_AUTO_CLEAN_FREQUENCY", "never");
    let out = capture(command.env("CARGO_HOME", &home))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let sizes = log
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Packaged "));
    let listed: Vec<String> = (LIBRARY_CRATES.iter().zip(sizes))
        .map(|(name, size)| format!("{name} ({size})"))
        .collect();
    if listed.len() != LIBRARY_CRATES.len() {
        return Err(format!(
            "cargo package did not report one package per crate:\n{log}"
        ));
    }
    Ok(format!("verified {}", listed.join(", ")))
}

/// Makes `home`, the package step's cargo home, afresh; `true` when it
/// shares the user's index and downloads (complete: `cargo fetch` ran).
fn package_home(home: &Path) -> Result<bool, String> {
    remove_tree(home)?;
    let registry = home.join("registry");
    std::fs::create_dir_all(&registry).map_err(at(&registry))?;
    let Some(user) = cargo_home() else {
        return Ok(false);
    };
    capture(&mut cargo_args("fetch --locked"))?;
    let linked = ["index", "cache"].iter().all(|dir| {
        let from = user.join("registry").join(dir);
        #[cfg(unix)]
        let linked = std::os::unix::fs::symlink(&from, registry.join(dir));
        #[cfg(windows)]
        let linked = std::os::windows::fs::symlink_dir(&from, registry.join(dir));
        linked.is_ok()
    });
    if !linked {
        // Cargo must not download into the user's directories through a
        // link that was made: start again, unshared.
        remove_tree(home)?;
        std::fs::create_dir_all(&registry).map_err(at(&registry))?;
    }
    Ok(linked)
}

/// Cargo's home: `$CARGO_HOME`, else `$HOME/.cargo` (`%USERPROFILE%` on
/// Windows); `None` when neither is set.
fn cargo_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Some(PathBuf::from(home));
    }
    let user = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(user).map(|home| Path::new(&home).join(".cargo"))
}

/// Waits for, and holds until dropped, the exclusive lock in `dir` that
/// the package steps of one clone share.
fn take_turn(dir: &Path) -> Result<std::fs::File, String> {
    let path = dir.join(".tempkit-package.lock");
    let show = |e: std::io::Error| format!("{}: {e}", path.display());
    std::fs::create_dir_all(dir).map_err(show)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(show)?;
    if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
        eprintln!(
            "package: waiting for {} (another package step holds it)",
            path.display()
        );
        file.lock().map_err(show)?;
    }
    Ok(file)
}

/// What is missing or wrong in crate `name`, one line each.
fn check_crate(name: &str) -> Vec<String> {
    let dir = root().join("crates").join(name);
    let manifest_path = dir.join("Cargo.toml");
    let manifest = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => text,
        Err(e) => return vec![format!("{}: {e}", manifest_path.display())],
    };
    let mut problems = manifest_problems(&manifest);
    if !dir.join("README.md").is_file() {
        problems.push("no README.md".to_string());
    }
    for licence in LICENCES {
        let ours = std::fs::read(root().join(licence)).unwrap_or_default();
        match std::fs::read(dir.join(licence)) {
            Ok(copy) if copy == ours => {}
            Ok(_) => problems.push(format!("{licence} differs from the root's")),
            Err(_) => problems.push(format!("no {licence} (copy the root's)")),
        }
    }
    problems
        .into_iter()
        .map(|p| format!("{name}: {p}"))
        .collect()
}

/// What a library crate's manifest text lacks (a field set with
/// `key.workspace = true` counts as set: the workspace sets it).
fn manifest_problems(manifest: &str) -> Vec<String> {
    let manifest: toml::Table = match manifest.parse() {
        Ok(table) => table,
        Err(e) => return vec![format!("Cargo.toml does not parse: {e}")],
    };
    let Some(package) = manifest.get("package") else {
        return vec!["no [package]".to_string()];
    };
    let mut problems: Vec<String> = REQUIRED
        .iter()
        .filter(|key| package.get(key).is_none())
        .map(|key| format!("[package] has no {key}"))
        .collect();
    if package
        .get("readme")
        .is_some_and(|v| v.as_str() != Some("README.md"))
    {
        problems.push("readme should be \"README.md\"".to_string());
    }
    if let Some(keywords) = package.get("keywords").and_then(toml::Value::as_array) {
        let words: Vec<&str> = keywords.iter().filter_map(toml::Value::as_str).collect();
        problems.extend(keyword_problems(&words));
    }
    let docs_rs = ["metadata", "docs", "rs", "targets"]
        .iter()
        .try_fold(package, |table, key| table.get(key));
    if docs_rs.is_none() {
        problems.push("[package.metadata.docs.rs] names no targets".to_string());
    }
    problems
}

/// crates.io's rules for keywords: at most five, each at most 20 ASCII
/// characters, starting with a letter, then letters, digits, `_`, `-`, `+`.
fn keyword_problems(words: &[&str]) -> Vec<String> {
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
    fn keywords_over_several_lines_are_checked_too() {
        let spread = GOOD.replace(
            "keywords = [\"tempfile\", \"mkstemp\"]",
            "keywords = [\n    \"tempfile\", # the crate we replace\n    \"has space\",\n    \"a\", \"b\", \"c\", \"d\",\n]",
        );
        assert_ne!(spread, GOOD);
        let problems = manifest_problems(&spread);
        assert!(
            problems.iter().any(|p| p.contains("6 keywords")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("\"has space\"")),
            "{problems:?}"
        );
        // The rest of the table is still read after the array.
        assert!(
            !problems.iter().any(|p| p.contains("categories")),
            "{problems:?}"
        );
    }

    #[test]
    fn package_steps_take_turns() {
        let home = tempfs::TempDir::with_prefix("cargo-home-").unwrap();
        let first = take_turn(home.path()).unwrap();
        let lock = home.path().join(".tempkit-package.lock");
        let other = std::fs::OpenOptions::new().write(true).open(&lock).unwrap();
        assert!(
            matches!(other.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
            "a second step got in while the first held its turn"
        );
        drop(first);
        other
            .try_lock()
            .expect("the turn is free once the first step is done");
    }
    #[test]
    fn every_library_crate_is_ready() {
        for name in LIBRARY_CRATES {
            assert_eq!(check_crate(name), Vec::<String>::new());
        }
    }
}
