//! Group 4: removing a populated temporary directory. Each operation needs
//! a fresh tree, built untimed; only the removal is measured.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::floor;
use crate::places::Place;

/// Files in every tree.
pub const FILES: usize = 10_000;

/// Files in the flat directory of the scale group.
pub const MANY_FILES: usize = 100_000;

/// Levels of subdirectories in a nested tree.
pub const DEPTH: u32 = 10;

/// Subdirectories of each directory in a nested tree.
pub const FANOUT: usize = 2;

/// How the files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every file directly in the temporary directory.
    Flat,
    /// A complete tree of [`FANOUT`]-way directories [`DEPTH`] levels deep
    /// (2,046 subdirectories), the files dealt round-robin over all 2,047
    /// directories.
    Nested,
}

/// One tree to remove.
#[derive(Debug, Clone, Copy)]
pub struct Tree {
    /// The group's name (benchmark ids add `-tmp` or `-shm`).
    pub name: &'static str,
    /// What it is, for the report.
    pub about: &'static str,
    /// The layout.
    pub shape: Shape,
    /// Bytes in each file.
    pub file_size: usize,
    /// How many files ([`FILES`] or [`MANY_FILES`]; fewer only for a
    /// check that the bench runs at all).
    pub files: usize,
    /// Levels of subdirectories when nested ([`DEPTH`]; fewer only for a
    /// check that the bench runs at all).
    pub depth: u32,
    /// Measured by criterion as well as interleaved. Not the 100,000-entry
    /// directory: building it 33 times more on ext4 took 23 of criterion's
    /// 59 minutes (2026-12-07), for the same removals the interleaved
    /// rounds time.
    pub criterion: bool,
}

/// The trees of group 4: four of [`FILES`], and one flat directory of
/// [`MANY_FILES`] (the scale group).
pub const TREES: &[Tree] = &[
    Tree {
        name: "tree-flat-0B",
        about: "removing 10,000 empty files in one directory",
        shape: Shape::Flat,
        file_size: 0,
        files: FILES,
        depth: DEPTH,
        criterion: true,
    },
    Tree {
        name: "tree-flat-4KiB",
        about: "removing 10,000 files of 4 KiB in one directory",
        shape: Shape::Flat,
        file_size: 4096,
        files: FILES,
        depth: DEPTH,
        criterion: true,
    },
    Tree {
        name: "tree-nested-0B",
        about: "removing 10,000 empty files spread over a 2-way tree 10 levels deep \
                (2,047 directories)",
        shape: Shape::Nested,
        file_size: 0,
        files: FILES,
        depth: DEPTH,
        criterion: true,
    },
    Tree {
        name: "tree-nested-4KiB",
        about: "removing 10,000 files of 4 KiB spread over a 2-way tree 10 levels deep \
                (2,047 directories)",
        shape: Shape::Nested,
        file_size: 4096,
        files: FILES,
        depth: DEPTH,
        criterion: true,
    },
    Tree {
        name: "tree-flat-100k",
        about: "removing 100,000 empty files in one directory",
        shape: Shape::Flat,
        file_size: 0,
        files: MANY_FILES,
        depth: DEPTH,
        criterion: false,
    },
];

/// A populated directory, ready to be removed by the contender that made
/// it.
pub trait Removal {
    /// Removes the whole tree (the measured part).
    fn remove(self: Box<Self>) -> io::Result<()>;
}

/// One way of making and removing a temporary tree.
#[derive(Debug)]
pub struct Contender {
    /// `ours`, `tempfile` or `std`.
    pub name: &'static str,
    /// What removes the tree.
    pub about: &'static str,
    /// Makes the temporary directory in `place` and fills it with `tree`
    /// (untimed).
    pub prepare: fn(&Place, &Tree) -> io::Result<Box<dyn Removal>>,
}

/// The contender every other is compared with.
pub const FLOOR: &str = "std";

/// The contenders, ours first.
pub const CONTENDERS: &[Contender] = &[
    Contender {
        name: "ours",
        about: "`tempfs::TempDir` dropped (descriptor-relative walk)",
        prepare: |_, tree| {
            let dir = tempfs::TempDir::new()?;
            populate(dir.path(), tree)?;
            Ok(Box::new(OurDir(dir)))
        },
    },
    Contender {
        name: "tempfile",
        about: "`tempfile::TempDir` dropped (tempfile 3.27: `std::fs::remove_dir_all` by path)",
        prepare: |place, tree| {
            let dir = tempfile::TempDir::new_in(place.path())?;
            populate(dir.path(), tree)?;
            Ok(Box::new(TempfileDir(dir)))
        },
    },
    Contender {
        name: "std",
        about: "`std::fs::remove_dir_all` on a directory made with `std::fs::create_dir`",
        prepare: |place, tree| {
            let mut name = floor::NameBuf::new();
            let path = place
                .path()
                .join(name.random()?.to_str().expect("ASCII name"));
            fs::create_dir(&path)?;
            populate(&path, tree)?;
            Ok(Box::new(StdDir(path)))
        },
    },
];

struct OurDir(tempfs::TempDir);

impl Removal for OurDir {
    fn remove(self: Box<Self>) -> io::Result<()> {
        self.0.close()
    }
}

struct TempfileDir(tempfile::TempDir);

impl Removal for TempfileDir {
    fn remove(self: Box<Self>) -> io::Result<()> {
        self.0.close()
    }
}

struct StdDir(PathBuf);

impl Removal for StdDir {
    fn remove(self: Box<Self>) -> io::Result<()> {
        fs::remove_dir_all(&self.0)
    }
}

/// Fills the empty directory `root` with `tree`'s files (and directories).
pub fn populate(root: &Path, tree: &Tree) -> io::Result<()> {
    let dirs = match tree.shape {
        Shape::Flat => vec![root.to_path_buf()],
        Shape::Nested => nested_dirs(root, tree.depth)?,
    };
    let data = vec![0x5au8; tree.file_size];
    for i in 0..tree.files {
        let path = dirs[i % dirs.len()].join(format!("f{i}"));
        fs::write(path, &data)?;
    }
    Ok(())
}

/// Makes the nested directories under `root`, level by level; returns
/// all of them, `root` first.
fn nested_dirs(root: &Path, depth: u32) -> io::Result<Vec<PathBuf>> {
    let mut all = vec![root.to_path_buf()];
    let mut level = vec![root.to_path_buf()];
    for _ in 0..depth {
        let mut next = Vec::with_capacity(level.len() * FANOUT);
        for parent in &level {
            for child in 0..FANOUT {
                let dir = parent.join(format!("d{child}"));
                fs::create_dir(&dir)?;
                next.push(dir);
            }
        }
        all.extend(next.iter().cloned());
        level = next;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(dir: &Path) -> (usize, usize) {
        let (mut files, mut dirs) = (0, 0);
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                let (f, d) = count(&entry.path());
                files += f;
                dirs += d + 1;
            } else {
                files += 1;
            }
        }
        (files, dirs)
    }

    #[test]
    fn trees_have_the_shape_they_claim_and_every_contender_removes_them() {
        let _default = crate::places::DEFAULT_DIR
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // On a tmpfs when there is one: 10,000 files on a busy ext4 take
        // seconds to create.
        let base = if Path::new(crate::places::SHM).is_dir() {
            PathBuf::from(crate::places::SHM)
        } else {
            std::env::temp_dir()
        };
        let root = base.join(format!("bench-tree-{}", std::process::id()));
        fs::create_dir(&root).unwrap();
        let place = Place::open("test", &root).unwrap();
        place.activate().unwrap();
        let flat = &TREES[0];
        let nested = &TREES[2];
        assert_eq!((flat.shape, nested.shape), (Shape::Flat, Shape::Nested));
        for (tree, contenders) in [(flat, &CONTENDERS[..1]), (nested, CONTENDERS)] {
            for contender in contenders {
                let made = (contender.prepare)(&place, tree).unwrap();
                let dir = fs::read_dir(&root).unwrap().next().unwrap().unwrap().path();
                let (files, dirs) = count(&dir);
                assert_eq!(files, FILES, "{} {}", tree.name, contender.name);
                let want = if tree.shape == Shape::Flat { 0 } else { 2046 };
                assert_eq!(dirs, want, "{} {}", tree.name, contender.name);
                made.remove().unwrap();
                assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
            }
        }
        tempcore::reset_temp_dir();
        fs::remove_dir(&root).unwrap();
    }
}
