//! The check that our tests and examples leave nothing behind: a step
//! gives its programs a temporary directory of their own, empty at the
//! start, and fails if anything is left in it at the end ("Litter from the
//! suite itself" in `docs/security.md`). The directory has the mode of
//! `/tmp` (1777), so that the tests that drop privileges reach it wherever
//! the checkout is, inside a 0711 directory of ours: other users can pass
//! through but not list it, so they can neither find it to plant a file
//! (and fail the check) nor watch what the tests write.

use crate::run::at;
use std::path::PathBuf;

/// How many leftover names a failure lists.
const SHOWN: usize = 10;

/// A directory that must be as empty at the end as at the start.
#[derive(Debug)]
pub(crate) struct Watched {
    dir: PathBuf,
    /// The private directory around `dir`, when both are ours to remove.
    parent: Option<PathBuf>,
}

/// How many names [`make_new_dir`] tries before giving up.
const ATTEMPTS: u32 = 16;

impl Watched {
    /// A new 1777 directory, under a random name inside a new 0711
    /// `xtask-tmp-XXXX` in the system's temporary directory (see the
    /// module docs); [`Watched::finish`] removes both when nothing is left.
    pub(crate) fn shared() -> Result<Watched, String> {
        let base = std::env::temp_dir();
        let parent = make_new_dir(&base, "xtask-tmp-", 0o711)?;
        let dir = make_new_dir(&parent, "", 0o1777).inspect_err(|_| {
            let _ = std::fs::remove_dir(&parent);
        })?;
        let parent = Some(parent);
        Ok(Watched { dir, parent })
    }

    /// Empties `dir`, which someone else made and keeps, and watches it.
    /// A symlink is refused: emptying it would empty its target.
    pub(crate) fn existing(dir: PathBuf) -> Result<Watched, String> {
        let meta = std::fs::symlink_metadata(&dir).map_err(at(&dir))?;
        if !meta.is_dir() {
            return Err(format!("{}: not a directory (a symlink?)", dir.display()));
        }
        let entries = std::fs::read_dir(&dir).map_err(at(&dir))?;
        for entry in entries {
            let path = entry.map_err(at(&dir))?.path();
            let meta = std::fs::symlink_metadata(&path).map_err(at(&path))?;
            let removed = match meta.is_dir() {
                true => std::fs::remove_dir_all(&path),
                false => std::fs::remove_file(&path),
            };
            removed.map_err(at(&path))?;
        }
        Ok(Watched { dir, parent: None })
    }

    /// `Ok` if the directory is empty; otherwise an error naming what is
    /// left (the first few names, sorted, and how many in all), which
    /// stays there to be looked at.
    pub(crate) fn check(&self, who: &str) -> Result<(), String> {
        let entries = std::fs::read_dir(&self.dir).map_err(at(&self.dir))?;
        let names = entries.map(|e| Ok(e?.file_name().to_string_lossy().into_owned()));
        let left: std::io::Result<Vec<String>> = names.collect();
        let mut left = left.map_err(at(&self.dir))?;
        if left.is_empty() {
            return Ok(());
        }
        left.sort();
        let (count, dir) = (left.len(), self.dir.display());
        let more = match count.saturating_sub(SHOWN) {
            0 => String::new(),
            more => format!(" and {more} more"),
        };
        left.truncate(SHOWN);
        let (names, y) = (left.join(", "), if count == 1 { "y" } else { "ies" });
        Err(format!(
            "{who} left {count} entr{y} in their temporary directory {dir}: {names}{more}"
        ))
    }

    /// Sets the temporary-directory variables of `command` to this
    /// directory: `TMPDIR` (Unix, and first in Python's and our Windows
    /// discovery), `TEMP` and `TMP` (Windows).
    pub(crate) fn apply(&self, command: &mut std::process::Command) {
        for var in ["TMPDIR", "TEMP", "TMP"] {
            command.env(var, &self.dir);
        }
    }

    /// Checks; removes the directories when they are ours and nothing is
    /// left, and keeps them, for a look, when something is.
    pub(crate) fn finish(self, who: &str) -> Result<(), String> {
        self.check(who)?;
        if let Some(parent) = &self.parent {
            for dir in [&self.dir, parent] {
                std::fs::remove_dir(dir).map_err(at(dir))?;
            }
        }
        Ok(())
    }
}

/// Makes a new directory `<prefix><16 random hex digits>` in `base`,
/// exclusively (never one that exists), with `mode` on unix.
fn make_new_dir(base: &std::path::Path, prefix: &str, mode: u32) -> Result<PathBuf, String> {
    for _ in 0..ATTEMPTS {
        let dir = base.join(format!("{prefix}{:016x}", random_u64()));
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                #[cfg(unix)]
                let set = std::os::unix::fs::PermissionsExt::from_mode(mode);
                #[cfg(unix)]
                if let Err(e) = std::fs::set_permissions(&dir, set) {
                    let _ = std::fs::remove_dir(&dir);
                    return Err(at(&dir)(e));
                }
                #[cfg(not(unix))]
                let _ = mode;
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(at(&dir)(e)),
        }
    }
    let base = base.display();
    Err(format!("{base}: {ATTEMPTS} random names were all taken"))
}

/// 64 bits nobody else can predict, from std alone: std's hasher keys
/// come from the operating system's random source.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_shared_directory_passes_and_is_removed_with_its_parent() {
        let watched = Watched::shared().unwrap();
        let dir = watched.dir.clone();
        let parent = watched.parent.clone().unwrap();
        assert_eq!(dir.parent(), Some(parent.as_path()));
        assert!(dir.is_dir());
        watched.finish("the tests").unwrap();
        assert!(!dir.exists() && !parent.exists());
    }

    #[test]
    fn names_are_random_and_new() {
        let work = tempfs::TempDir::with_prefix("litter-").unwrap();
        let a = make_new_dir(work.path(), "x-", 0o700).unwrap();
        let b = make_new_dir(work.path(), "x-", 0o700).unwrap();
        assert_ne!(a, b);
        assert_ne!(random_u64(), random_u64());
    }

    #[test]
    fn an_existing_symlink_is_refused_and_its_target_untouched() {
        let work = tempfs::TempDir::with_prefix("litter-").unwrap();
        let target = work.path().join("target");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), "x").unwrap();
        let link = work.path().join("Temp");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &link).unwrap();
        #[cfg(windows)]
        std::os::windows::fs::symlink_dir(&target, &link).unwrap();
        assert!(Watched::existing(link).is_err());
        assert!(target.join("keep").is_file());
    }

    #[test]
    fn what_was_in_an_existing_directory_is_cleared_and_not_blamed() {
        let work = tempfs::TempDir::with_prefix("litter-").unwrap();
        let dir = work.path().join("Temp");
        std::fs::create_dir_all(dir.join("old")).unwrap();
        std::fs::write(dir.join("old").join("f"), "x").unwrap();
        std::fs::write(dir.join("g"), "x").unwrap();
        let watched = Watched::existing(dir.clone()).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        watched.finish("the tests").unwrap();
        assert!(dir.is_dir(), "someone else's directory stays");
    }

    #[test]
    fn leftovers_are_named_counted_and_kept() {
        let watched = Watched::shared().unwrap();
        let dir = watched.dir.clone();
        let parent = watched.parent.clone().unwrap();
        for i in 0..12 {
            std::fs::write(dir.join(format!("tmp{i:02}")), "").unwrap();
        }
        let err = watched.check("the tests").unwrap_err();
        assert!(err.contains("the tests left 12 entries"), "{err}");
        assert!(err.contains("tmp00, tmp01"), "{err}");
        assert!(err.contains("and 2 more"), "{err}");
        assert!(!err.contains("tmp11"), "{err}");
        let err = watched.finish("the tests").unwrap_err();
        assert!(err.contains("12 entries"), "{err}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 12);
        std::fs::remove_dir_all(&parent).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_shared_directory_has_the_mode_of_tmp_inside_one_others_cannot_list() {
        use std::os::unix::fs::PermissionsExt;

        let watched = Watched::shared().unwrap();
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&watched.dir), 0o1777);
        assert_eq!(mode(watched.parent.as_ref().unwrap()), 0o711);
        watched.finish("the tests").unwrap();
    }
}
