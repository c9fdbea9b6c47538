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
//! 4. Cargo unpacks that local registry's `.crate` files into
//!    `$CARGO_HOME/registry/src/-<hash>/<name>-<version>`, where the hash
//!    depends only on the registry's path (so on the workspace's path), and
//!    on a later run reuses a directory it finds there without unpacking
//!    the new `.crate`. A CI that clones to the same path every time thus
//!    verified `tempfs` against the `tempcore` of an earlier commit, and
//!    failed. The step removes those unpacked copies of our crates before
//!    packaging (so the check sees this tree) and after (so it leaves no
//!    litter in the cargo home but its lock file; a local registry's
//!    directory goes once it is empty), and reports, without failing,
//!    copies it cannot remove. It touches nothing else: only directories
//!    named after our crates, only in local registries (a `file://` URL has
//!    no host, so their directory names start with `-`; crates.io's is
//!    `index.crates.io-<hash>`). Another clone's package step may be
//!    using its copies at that moment, so the step holds an exclusive
//!    lock on `$CARGO_HOME/.tempkit-package.lock` throughout: package
//!    steps of several clones take turns instead of pulling each other's
//!    sources away.
//! 5. Cargo also takes a registry crate's compiled artifacts as up to date
//!    when its name and version match, whatever its sources, so the
//!    verification builds in a target directory of its own,
//!    `target/xtask-package`, emptied first: our crates' old builds cannot
//!    stand in for this tree's.

use std::path::{Path, PathBuf};

use crate::msrv::LIBRARY_CRATES;
use crate::run::{capture, cargo, remove_tree, root};

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
    let home = cargo_home();
    let _turn = match &home {
        Some(home) => Some(take_turn(home)?),
        None => None,
    };
    let before = home
        .as_deref()
        .map(|home| forget_unpacked(home, LIBRARY_CRATES))
        .unwrap_or_default();
    let target = root().join("target").join("xtask-package");
    remove_tree(&target)?;
    let mut command = cargo();
    command.args(["package", "--locked", "--allow-dirty", "--target-dir"]);
    command.arg(&target);
    for name in LIBRARY_CRATES {
        command.args(["-p", name]);
    }
    let packaged = capture(&mut command);
    let after = home
        .as_deref()
        .map(|home| forget_unpacked(home, LIBRARY_CRATES))
        .unwrap_or_default();
    let mut unremoved = before.failed.clone();
    unremoved.extend(after.failed);
    unremoved.dedup();
    let out = packaged.map_err(|e| {
        if unremoved.is_empty() {
            e
        } else {
            format!(
                "{e}\n(unpacked copies that could not be removed, which cargo may have used: {})",
                unremoved.join("; ")
            )
        }
    })?;
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
    let mut summary = format!("verified {}", listed.join(", "));
    let stale = before.removed.len();
    if stale > 0 {
        summary += &format!(
            "; removed {stale} stale unpacked cop{} first",
            if stale == 1 { "y" } else { "ies" }
        );
    }
    if !unremoved.is_empty() {
        summary += &format!("; could not remove {}", unremoved.join("; "));
    }
    Ok(summary)
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

/// Waits for, and holds until dropped, the exclusive lock that package
/// steps of every clone share (see step 4 of the module docs).
fn take_turn(cargo_home: &Path) -> Result<std::fs::File, String> {
    let path = cargo_home.join(".tempkit-package.lock");
    let show = |e: std::io::Error| format!("{}: {e}", path.display());
    std::fs::create_dir_all(cargo_home).map_err(show)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(show)?;
    if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
        eprintln!(
            "package: waiting for {} (another clone's package step holds it)",
            path.display()
        );
        file.lock().map_err(show)?;
    }
    Ok(file)
}

/// Removes the copies of `crates` that cargo unpacked from local
/// registries under `cargo_home` (see step 4 of the module docs) and
/// returns their paths. A cargo home without registry sources is fine.
fn forget_unpacked(cargo_home: &Path, crates: &[&str]) -> Sweep {
    let mut sweep = Sweep::default();
    let sources = cargo_home.join("registry").join("src");
    let registries = match std::fs::read_dir(&sources) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return sweep,
        Err(e) => {
            sweep.failed.push(format!("{}: {e}", sources.display()));
            return sweep;
        }
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let dir = registry.path();
        let unpacked = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                sweep.failed.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        for entry in unpacked.flatten() {
            let name = entry.file_name();
            if !crates
                .iter()
                .any(|c| is_unpacked_copy(&name.to_string_lossy(), c))
            {
                continue;
            }
            let path = entry.path();
            // A symlink is never cargo's own unpacking: leave it, and
            // never remove what it points at.
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            match std::fs::remove_dir_all(&path) {
                Ok(()) => sweep.removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => sweep.failed.push(format!("{}: {e}", path.display())),
            }
        }
        // A local registry's directory holds nothing else of cargo's:
        // once empty it is litter (anything else in it keeps it).
        let _ = std::fs::remove_dir(&dir);
    }
    sweep
}

/// What [`forget_unpacked`] did: the copies it removed, and the ones it
/// could not (another user's, say), which do not stop the step: only a
/// copy at this workspace's own registry would matter, and then cargo's
/// verification fails and says so.
#[derive(Debug, Default)]
struct Sweep {
    removed: Vec<PathBuf>,
    failed: Vec<String>,
}

/// Whether `entry` is cargo's name for an unpacked `krate`:
/// `<krate>-<version>`, the version starting with a digit (so `tempfs`
/// does not match `tempfs-extra-1.0.0`).
fn is_unpacked_copy(entry: &str, krate: &str) -> bool {
    entry
        .strip_prefix(krate)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
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

/// The entries of the table headed `header`, one string each: an array
/// written over several lines is joined into one (comments dropped).
fn table(manifest: &str, header: &str) -> Vec<String> {
    let mut entries: Vec<String> = Vec::new();
    let mut inside = false;
    let mut open_array = false;
    for line in manifest.lines().map(str::trim) {
        if open_array {
            let line = line.split('#').next().unwrap_or_default().trim();
            let entry = entries.last_mut().expect("an array continues an entry");
            entry.push(' ');
            entry.push_str(line);
            open_array = !line.contains(']');
        } else if line.starts_with('[') {
            inside = line == header;
        } else if inside {
            open_array = line.contains("= [") && !line.contains(']');
            entries.push(line.to_string());
        }
    }
    entries
}

/// The value of `key` in a table's entries (`key = v` or `key.workspace =
/// true`, which counts as set when the workspace sets it).
fn value<'a>(entries: &'a [String], key: &str) -> Option<&'a str> {
    entries.iter().find_map(|entry| {
        let (k, v) = entry.split_once('=')?;
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
    fn unpacked_copies_are_named_crate_dash_version() {
        assert!(is_unpacked_copy("tempcore-0.1.0", "tempcore"));
        assert!(is_unpacked_copy("tempfs-12.0.0-rc.1", "tempfs"));
        assert!(!is_unpacked_copy("tempfs-extra-1.0.0", "tempfs"));
        assert!(!is_unpacked_copy("tempcore", "tempcore"));
        assert!(!is_unpacked_copy("tempcorex-0.1.0", "tempcore"));
        assert!(!is_unpacked_copy("tempfs-0.1.0", "tempcore"));
    }

    #[test]
    fn only_our_crates_unpacked_from_local_registries_are_removed() {
        let home = tempfs::TempDir::with_prefix("cargo-home-").unwrap();
        let src = home.path().join("registry").join("src");
        let local = src.join("-22c3805da5a543b4");
        let crates_io = src.join("index.crates.io-1949cf8c6b5b557f");
        let stale = [local.join("tempcore-0.1.0"), local.join("tempfs-0.1.0")];
        let kept = [
            crates_io.join("tempcore-0.1.0"),
            local.join("rustix-1.1.6"),
            local.join("tempfs-extra-1.0.0"),
        ];
        for dir in stale.iter().chain(&kept) {
            std::fs::create_dir_all(dir.join("src")).unwrap();
            std::fs::write(dir.join("src").join("lib.rs"), "//! old\n").unwrap();
        }
        let sweep = forget_unpacked(home.path(), LIBRARY_CRATES);
        assert_eq!(sweep.failed, Vec::<String>::new());
        let mut removed = sweep.removed;
        removed.sort();
        assert_eq!(removed, stale.to_vec());
        for dir in &stale {
            assert!(!dir.exists(), "{} is still there", dir.display());
        }
        for dir in &kept {
            assert!(
                dir.join("src").join("lib.rs").is_file(),
                "{} was touched",
                dir.display()
            );
        }
        assert_eq!(
            forget_unpacked(home.path(), LIBRARY_CRATES).removed,
            Vec::<PathBuf>::new()
        );
        assert!(local.is_dir(), "kept: it still holds other crates");
    }

    #[test]
    fn an_emptied_local_registry_directory_goes_too() {
        let home = tempfs::TempDir::with_prefix("cargo-home-").unwrap();
        let local = home.path().join("registry").join("src").join("-0badc0de");
        std::fs::create_dir_all(local.join("tempspool-0.1.0").join("src")).unwrap();
        let sweep = forget_unpacked(home.path(), LIBRARY_CRATES);
        assert_eq!(sweep.removed, [local.join("tempspool-0.1.0")]);
        assert!(!local.exists(), "an empty -<hash> directory is litter");
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
    fn a_cargo_home_without_registry_sources_is_fine() {
        let home = tempfs::TempDir::with_prefix("cargo-home-").unwrap();
        assert_eq!(
            forget_unpacked(home.path(), LIBRARY_CRATES).removed,
            Vec::<PathBuf>::new()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_named_like_our_crate_is_left_and_its_target_untouched() {
        let home = tempfs::TempDir::with_prefix("cargo-home-").unwrap();
        let outside = tempfs::TempDir::with_prefix("outside-").unwrap();
        std::fs::write(outside.path().join("keep"), "x").unwrap();
        let local = home.path().join("registry").join("src").join("-0123");
        std::fs::create_dir_all(&local).unwrap();
        std::os::unix::fs::symlink(outside.path(), local.join("tempcore-0.1.0")).unwrap();
        assert_eq!(
            forget_unpacked(home.path(), LIBRARY_CRATES).removed,
            Vec::<PathBuf>::new()
        );
        assert!(outside.path().join("keep").is_file());
    }

    #[test]
    fn every_library_crate_is_ready() {
        for name in LIBRARY_CRATES {
            assert_eq!(check_crate(name), Vec::<String>::new());
        }
    }
}
