//! The check that our tests and examples leave nothing behind: a step
//! gives its programs a temporary directory of their own, empty at the
//! start, and fails if anything is left in it at the end.
//!
//! `cargo xtask ci test` and `examples` point `TMPDIR` (and Windows'
//! `TEMP`/`TMP`) at a fresh `xtask-tmp-XXXXX` directory inside the system's
//! temporary directory, with the mode of `/tmp` (world-writable and sticky,
//! 1777): the suite runs in the same kind of directory, on the same file
//! system, as it would in `/tmp`, but alone, and the tests that drop
//! privileges can reach it wherever the checkout is (a checkout in a 0700
//! home or `mktemp -d` directory is out of `nobody`'s reach). The wine step
//! empties the prefix's Windows `Temp` directory before the run and checks
//! it after.

use std::path::PathBuf;

/// How many leftover names a failure lists.
const SHOWN: usize = 10;

/// A directory that must be as empty at the end as at the start.
#[derive(Debug)]
pub(crate) struct Watched {
    dir: PathBuf,
    /// Set when the directory is ours to remove at the end.
    owned: Option<tempfs::TempDir>,
}

impl Watched {
    /// A new directory in the system's temporary directory with `/tmp`'s
    /// mode (1777 where that means something), removed by
    /// [`Watched::finish`] when nothing is left in it.
    pub(crate) fn shared() -> Result<Watched, String> {
        let owned = tempfs::Builder::new()
            .prefix("xtask-tmp-")
            .tempdir()
            .map_err(|e| format!("a private temporary directory: {e}"))?;
        let dir = owned.path().to_path_buf();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777))
                .map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        Ok(Watched {
            dir,
            owned: Some(owned),
        })
    }

    /// Empties `dir`, which someone else made and keeps, and watches it.
    pub(crate) fn existing(dir: PathBuf) -> Result<Watched, String> {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            let kind = std::fs::symlink_metadata(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .file_type();
            let removed = if kind.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(Watched { dir, owned: None })
    }

    /// `Ok` if the directory is empty; otherwise an error naming what is
    /// left (the first few names, sorted, and how many in all), which
    /// stays there to be looked at.
    pub(crate) fn check(&self, who: &str) -> Result<(), String> {
        let entries =
            std::fs::read_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let mut left: Vec<String> = entries
            .map(|entry| {
                entry
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .map_err(|e| format!("{}: {e}", self.dir.display()))
            })
            .collect::<Result<_, _>>()?;
        if left.is_empty() {
            return Ok(());
        }
        left.sort();
        let count = left.len();
        let more = count.saturating_sub(SHOWN);
        left.truncate(SHOWN);
        let mut names = left.join(", ");
        if more > 0 {
            names += &format!(" and {more} more");
        }
        Err(format!(
            "{who} left {count} entr{} in their temporary directory {}: {names}",
            if count == 1 { "y" } else { "ies" },
            self.dir.display()
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

    /// Checks; removes a directory of ours when nothing is left in it and
    /// keeps it, for a look, when something is.
    pub(crate) fn finish(mut self, who: &str) -> Result<(), String> {
        let checked = self.check(who);
        match self.owned.take() {
            Some(owned) if checked.is_ok() => owned
                .close()
                .map_err(|e| format!("{}: {e}", self.dir.display())),
            Some(owned) => {
                let _ = owned.keep();
                checked
            }
            None => checked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_shared_directory_passes_and_is_removed() {
        let watched = Watched::shared().unwrap();
        let dir = watched.dir.clone();
        assert!(dir.is_dir());
        watched.finish("the tests").unwrap();
        assert!(!dir.exists());
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
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_directory_has_the_mode_of_tmp() {
        use std::os::unix::fs::PermissionsExt;

        let watched = Watched::shared().unwrap();
        let mode = std::fs::metadata(&watched.dir)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o1777);
        watched.finish("the tests").unwrap();
    }
}
