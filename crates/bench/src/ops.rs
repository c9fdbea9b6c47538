//! The single operations, one table shared by the criterion benches, the
//! system-call probe and the instruction counts: each entry is one
//! create-and-clean-up, done by one contender.

use std::hint::black_box;
use std::io;

use crate::floor::{self, NameBuf};
use crate::places::Place;

/// What a contender's operation may keep between calls: the floor's name
/// buffer and counter (so that the floor never allocates).
#[derive(Debug)]
pub struct Scratch {
    name: NameBuf,
    counter: u64,
}

impl Scratch {
    /// A fresh name buffer, and a counter starting at a random value so that
    /// counter names never meet leftovers of an earlier run.
    pub fn new() -> io::Result<Scratch> {
        let mut start = [0u8; 8];
        floor::getrandom(&mut start)?;
        Ok(Scratch {
            name: NameBuf::new(),
            counter: u64::from_ne_bytes(start),
        })
    }
}

/// One way of doing a group's operation.
#[derive(Debug)]
pub struct Contender {
    /// The name in benchmark ids and tables: `ours`, `tempfile`, `floor`, ...
    pub name: &'static str,
    /// What exactly it calls, for the tables.
    pub about: &'static str,
    /// Does the operation once, in `place`.
    pub run: fn(&Place, &mut Scratch) -> io::Result<()>,
}

/// One operation, done by several contenders side by side.
#[derive(Debug)]
pub struct Group {
    /// The group's name (benchmark ids add `-tmp` or `-shm`).
    pub name: &'static str,
    /// What one operation is.
    pub about: &'static str,
    /// Whether the operation touches a directory, so runs once per place.
    pub per_place: bool,
    /// The contenders, ours first.
    pub contenders: &'static [Contender],
}

impl Group {
    /// The contender called `name`.
    pub fn contender(&self, name: &str) -> Option<&'static Contender> {
        self.contenders.iter().find(|c| c.name == name)
    }
}

/// Every single-operation group, in the order of the report.
pub const GROUPS: &[Group] = &[ANONYMOUS, NAMED, NAMES];

/// The group called `name`.
pub fn group(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.name == name)
}

/// Group 1: an anonymous file, created and closed.
pub const ANONYMOUS: Group = Group {
    name: "anonymous",
    about: "anonymous file: create + close",
    per_place: true,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::tempfile()` (shared handle of the default directory)",
            run: |_, _| drop_it(tempfs::tempfile()),
        },
        Contender {
            name: "ours-in",
            about: "`tempfs::tempfile_in(path)` (`O_TMPFILE` by path: no directory handle)",
            run: |place, _| drop_it(tempfs::tempfile_in(place.path())),
        },
        Contender {
            name: "tempfile",
            about: "`tempfile::tempfile_in(path)` (tempfile 3.27)",
            run: |place, _| drop_it(tempfile::tempfile_in(place.path())),
        },
        Contender {
            name: "floor",
            about: "`openat(dirfd, \".\", O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC)` + `close`",
            run: |place, _| floor::anonymous(place.fd()),
        },
    ],
};

/// Group 2: a named file, created, closed and removed.
pub const NAMED: Group = Group {
    name: "named",
    about: "named file: create + close + delete",
    per_place: true,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::NamedTempFile::new()` + drop",
            run: |_, _| drop_it(tempfs::NamedTempFile::new()),
        },
        Contender {
            name: "ours-in",
            about: "`tempfs::NamedTempFile::new_in(path)` + drop (opens the directory each time)",
            run: |place, _| drop_it(tempfs::NamedTempFile::new_in(place.path())),
        },
        Contender {
            name: "tempfile",
            about: "`tempfile::NamedTempFile::new_in(path)` + drop (tempfile 3.27)",
            run: |place, _| drop_it(tempfile::NamedTempFile::new_in(place.path())),
        },
        Contender {
            name: "floor",
            about: "one `getrandom` for a 13-character name + `openat(dirfd, name, \
                    O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC)` + `close` + `unlinkat`",
            run: |place, scratch| {
                let name = scratch.name.random()?;
                floor::named(place.fd(), name)
            },
        },
        Contender {
            name: "floor-counter",
            about: "as `floor`, names from a counter (no randomness: the bare system calls)",
            run: |place, scratch| {
                scratch.counter = scratch.counter.wrapping_add(1);
                let name = scratch.name.counter(scratch.counter);
                floor::named(place.fd(), name)
            },
        },
    ],
};

/// Group 6: a name alone, and the system call behind it.
pub const NAMES: Group = Group {
    name: "names",
    about: "one random name (`tmp` + 13 characters, 65 bits)",
    per_place: false,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempcore::random_name(\"tmp\", \"\", 13)` (random bytes drawn in batches)",
            run: |_, _| {
                let name = tempcore::random_name(tempcore::DEFAULT_PREFIX, "", 13)?;
                drop(black_box(name));
                Ok(())
            },
        },
        Contender {
            name: "floor",
            about: "one `getrandom` call of 13 bytes per name, spelled in place",
            run: |_, scratch| {
                black_box(scratch.name.random()?);
                Ok(())
            },
        },
        Contender {
            name: "getrandom-4k",
            about: "one `getrandom` call of 4088 bytes: one refill of our batch (314 names)",
            run: |_, _| {
                let mut batch = [0u8; 4088];
                floor::getrandom(&mut batch)?;
                black_box(&batch);
                Ok(())
            },
        },
    ],
};

/// Drops what was made (closing and deleting it) and passes on the error.
fn drop_it<T>(made: io::Result<T>) -> io::Result<()> {
    drop(black_box(made?));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contender_runs_and_leaves_nothing_behind() {
        let root = std::env::temp_dir().join(format!("bench-ops-{}", std::process::id()));
        std::fs::create_dir(&root).unwrap();
        let place = Place::open("test", &root).unwrap();
        place.activate().unwrap();
        let mut scratch = Scratch::new().unwrap();
        for group in GROUPS {
            for contender in group.contenders {
                for _ in 0..3 {
                    (contender.run)(&place, &mut scratch)
                        .unwrap_or_else(|e| panic!("{}/{}: {e}", group.name, contender.name));
                }
            }
        }
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
        tempcore::reset_temp_dir();
        std::fs::remove_dir(&root).unwrap();
    }

    #[test]
    fn names_are_unique_and_groups_start_with_ours() {
        let mut names: Vec<_> = GROUPS.iter().map(|g| g.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), GROUPS.len());
        for g in GROUPS {
            assert_eq!(g.contenders[0].name, "ours", "{}", g.name);
            assert!(g.contender("floor").is_some(), "{}", g.name);
            assert!(group(g.name).is_some());
        }
    }
}
