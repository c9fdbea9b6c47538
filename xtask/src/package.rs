//! `cargo xtask ci package`: every library crate is ready for crates.io,
//! without publishing anything: its manifest carries what crates.io shows
//! and needs, it ships the root's licence texts, `cargo package` packages
//! and verifies them together, and each name is free on crates.io or ours
//! ([`names_on_registry`]). Cargo runs with a cargo home of its own,
//! `target/package-home`, linked to the user's index and downloads, and
//! verifies in `target/xtask-package`, both made afresh, taking turns on a
//! lock: why, in "Releases" in `docs/platforms.md`.

use std::path::{Path, PathBuf};

use crate::msrv::{LIBRARY_CRATES, each_library, workspace_package};
use crate::run::{at, capture, cargo_args, remove_tree, root, stdout_of};

/// Fields every library crate's `[package]` must set.
#[rustfmt::skip]
const REQUIRED: &[&str] = &["description", "license", "repository", "readme", "keywords", "categories"];

/// Licence texts each crate ships, copies of the root's.
const LICENCES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE"];

/// The step.
pub(crate) fn package() -> Result<String, String> {
    let problems: Vec<String> = LIBRARY_CRATES.iter().flat_map(check_crate).collect();
    if !problems.is_empty() {
        let problems = problems.join("\n  ");
        return Err(format!(
            "library crates not ready for crates.io:\n  {problems}"
        ));
    }
    let target = root().join("target");
    let _turn = take_turn(&target)?;
    let home = target.join("package-home");
    let shared = package_home(&home)?;
    let packaged = target.join("xtask-package");
    remove_tree(&packaged)?;
    let mut command = cargo_args("package --locked --allow-dirty --target-dir");
    each_library(command.arg(&packaged));
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
        .map(|((_, name), size)| format!("{name} ({size})"))
        .collect();
    if listed.len() != LIBRARY_CRATES.len() {
        return Err(format!(
            "cargo package did not report one package per crate:\n{log}"
        ));
    }
    let names = names_on_registry(&target.join("registry-check.crate"))?;
    Ok(format!("verified {}; {names}", listed.join(", ")))
}

/// Looks each package name up in crates.io's sparse index, one request a
/// name: free, or ours (the `repository` of its newest version, read from
/// its download into `scratch`, is the workspace's); an error for a name
/// another project holds. A registry not reached is a note.
fn names_on_registry(scratch: &Path) -> Result<String, String> {
    let ours = workspace_package(&root().join("Cargo.toml"), "repository")?;
    let mut taken = Vec::new();
    for (_, name) in LIBRARY_CRATES {
        match repository_of(name, scratch) {
            Ok(Some(repo)) if !same_repository(&repo, &ours) => {
                taken.push(format!("{name} ({repo})"))
            }
            Ok(_) => {}
            Err(why) => {
                // The last line, after curl's `-w` status code (000).
                let why = why.trim().lines().last().unwrap_or_default();
                let why = why.trim_start_matches(|c: char| c.is_ascii_digit());
                return Ok(format!("crates.io not reached, names unchecked: {why}"));
            }
        }
    }
    if !taken.is_empty() {
        let taken = taken.join(", ");
        return Err(format!("names another project holds on crates.io: {taken}"));
    }
    Ok("each name free on crates.io, or ours".into())
}

/// The `repository` ("none" if none) of the newest version published as
/// `name` or its other spelling (crates.io takes `-` and `_` as one);
/// `None` when the name is free.
fn repository_of(name: &str, scratch: &Path) -> Result<Option<String>, String> {
    for spelling in [name.replace('_', "-"), name.replace('-', "_")] {
        let url = format!("https://index.crates.io/{}", index_path(&spelling));
        let Some(index) = fetch(&url, None)? else {
            continue;
        };
        let newest = index.lines().last().unwrap_or_default();
        let newest: serde_json::Value = serde_json::from_str(newest).map_err(|e| e.to_string())?;
        let name = newest["name"].as_str().unwrap_or(name);
        let folder = format!("{name}-{}", newest["vers"].as_str().unwrap_or_default());
        let download = format!("https://static.crates.io/crates/{name}/{folder}.crate");
        fetch(&download, Some(scratch))?;
        let mut untar = std::process::Command::new("tar");
        untar.arg("-xzOf").arg(scratch);
        let theirs = stdout_of(untar.arg(format!("{folder}/Cargo.toml")))?.parse::<toml::Table>();
        let theirs = theirs.map_err(|e| format!("{folder}: {e}"))?;
        let repo = theirs
            .get("package")
            .and_then(|p| p.get("repository")?.as_str());
        return Ok(Some(repo.unwrap_or("none").to_string()));
    }
    Ok(None)
}

/// `curl` of `url`: the body (written to `file` if given); `None` on 404.
fn fetch(url: &str, file: Option<&Path>) -> Result<Option<String>, String> {
    let mut curl = std::process::Command::new("curl");
    curl.args(["-sS", "--max-time", "30", "-w", "\n%{http_code}", url]);
    file.map(|file| curl.arg("-o").arg(file));
    match stdout_of(&mut curl)?.rsplit_once('\n').unwrap_or_default() {
        (_, "404") => Ok(None),
        (body, "200") => Ok(Some(body.to_string())),
        (_, code) => Err(format!("{url}: HTTP {code}")),
    }
}

/// The path of `name`'s file in the sparse index (cargo's layout).
fn index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        1 | 2 => format!("{}/{name}", name.len()),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// Whether two repository URLs are the same, up to case, `/` and `.git`.
fn same_repository(a: &str, b: &str) -> bool {
    let bare = |url: &str| {
        url.trim_end_matches('/')
            .trim_end_matches(".git")
            .to_ascii_lowercase()
    };
    bare(a) == bare(b)
}

/// Makes `home`, the package step's cargo home, afresh; `true` when it
/// shares the user's index and downloads (complete: `cargo fetch` ran).
fn package_home(home: &Path) -> Result<bool, String> {
    let registry = home.join("registry");
    let afresh = || {
        remove_tree(home)?;
        std::fs::create_dir_all(&registry).map_err(at(&registry))
    };
    afresh()?;
    // Cargo's home: `$CARGO_HOME`, else `.cargo` in the user's home.
    let user = std::env::var_os("CARGO_HOME").map(PathBuf::from);
    let Some(user) = user.or_else(|| Some(std::env::home_dir()?.join(".cargo"))) else {
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
        afresh()?;
    }
    Ok(linked)
}

/// Waits for, and holds until dropped, the exclusive lock in `dir` that
/// the package steps of one clone share.
fn take_turn(dir: &Path) -> Result<std::fs::File, String> {
    let path = dir.join(".tempkit-package.lock");
    std::fs::create_dir_all(dir).map_err(at(dir))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(at(&path))?;
    if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
        eprintln!(
            "package: waiting for {} (another package step holds it)",
            path.display()
        );
        file.lock().map_err(at(&path))?;
    }
    Ok(file)
}

/// What is missing or wrong in the crate in `crates/<dir>`, one line each.
fn check_crate(&(dir, name): &(&str, &str)) -> Vec<String> {
    let dir = root().join("crates").join(dir);
    let manifest = dir.join("Cargo.toml");
    let mut problems = match std::fs::read_to_string(&manifest) {
        Ok(text) => manifest_problems(&text),
        Err(e) => return vec![at(&manifest)(e)],
    };
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
        for named in ["description", "6 keywords", "\"has space\"", "docs.rs"] {
            assert!(
                problems.iter().any(|p| p.contains(named)),
                "{named}: {problems:?}"
            );
        }
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
        for library in LIBRARY_CRATES {
            assert_eq!(check_crate(library), Vec::<String>::new());
        }
    }

    #[test]
    fn index_paths_and_repositories() {
        let paths = ["a", "ab", "abc", "Tempkit-fs"].map(index_path);
        assert_eq!(paths, ["1/a", "2/ab", "3/a/abc", "te/mp/tempkit-fs"]);
        let ours = "https://github.com/a/b";
        assert!(same_repository("https://github.com/A/b.git/", ours));
        assert!(!same_repository(ours, "https://github.com/a/bc"));
    }
}
