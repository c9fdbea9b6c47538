//! The check that our tests and examples leave nothing behind: a step
//! gives its programs a temporary directory of their own, empty at the
//! start, and fails if anything is left in it at the end.
//!
//! `cargo xtask ci test` and `examples` point `TMPDIR` (and Windows'
//! `TEMP`/`TMP`) at `target/xtask-tmp`, made afresh with the mode of
//! `/tmp` (world-writable and sticky, 1777), so the suite runs in the same
//! kind of directory as it would in `/tmp`, on the same file system, but
//! alone. The wine step empties the prefix's Windows `Temp` directory
//! before the run and checks it after.

use std::path::PathBuf;

/// How many leftover names a failure lists.
const SHOWN: usize = 10;

/// A directory that must be as empty at the end as at the start.
#[derive(Debug)]
pub(crate) struct Watched {
    dir: PathBuf,
}

impl Watched {
    /// Empties `dir` (making it if need be) and watches it. `shared`
    /// gives it `/tmp`'s mode, 1777, where that means something.
    pub(crate) fn fresh(dir: PathBuf, shared: bool) -> Result<Watched, String> {
        let show = |e: std::io::Error| format!("{}: {e}", dir.display());
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(show(e)),
        }
        std::fs::create_dir_all(&dir).map_err(show)?;
        #[cfg(unix)]
        if shared {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777))
                .map_err(show)?;
        }
        #[cfg(not(unix))]
        let _ = shared;
        Ok(Watched { dir })
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

    /// Checks, and removes the directory when it is empty.
    pub(crate) fn finish(self, who: &str) -> Result<(), String> {
        self.check(who)?;
        std::fs::remove_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_directory_passes_and_is_removed() {
        let work = tempfs::TempDir::with_prefix("litter-").unwrap();
        let dir = work.path().join("watched");
        let watched = Watched::fresh(dir.clone(), true).unwrap();
        assert!(dir.is_dir());
        watched.finish("the tests").unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn what_was_there_before_is_cleared_and_not_blamed() {
        let work = tempfs::TempDir::with_prefix("litter-").unwrap();
        let dir = work.path().join("watched");
        std::fs::create_dir_all(dir.join("old")).unwrap();
        std::fs::write(dir.join("old").join("f"), "x").unwrap();
        let watched = Watched::fresh(dir.clone(), false).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        watched.check("the tests").unwrap();
    }

    #[test]
    fn leftovers_are_named_counted_and_kept() {
        let work = tempfs::TempDir::with_prefix("litter-").unwrap();
        let watched = Watched::fresh(work.path().join("watched"), true).unwrap();
        for i in 0..12 {
            std::fs::write(watched.dir.join(format!("tmp{i:02}")), "").unwrap();
        }
        let err = watched.check("the tests").unwrap_err();
        assert!(err.contains("the tests left 12 entries"), "{err}");
        assert!(err.contains("tmp00, tmp01"), "{err}");
        assert!(err.contains("and 2 more"), "{err}");
        assert!(!err.contains("tmp11"), "{err}");
        let err = watched.finish("the tests").unwrap_err();
        assert!(err.contains("12 entries"), "{err}");
        assert_eq!(
            std::fs::read_dir(work.path().join("watched"))
                .unwrap()
                .count(),
            12
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_directory_has_the_mode_of_tmp() {
        use std::os::unix::fs::PermissionsExt;

        let work = tempfs::TempDir::with_prefix("litter-").unwrap();
        let watched = Watched::fresh(work.path().join("watched"), true).unwrap();
        let mode = std::fs::metadata(watched.dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o1777);
        let private = Watched::fresh(work.path().join("private"), false).unwrap();
        let mode = std::fs::metadata(private.dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o1000, 0);
    }
}
