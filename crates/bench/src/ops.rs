//! The single operations, one table shared by the criterion benches, the
//! system-call probe and the instruction counts: each entry is one
//! create-and-clean-up, done by one contender.

use std::hint::black_box;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::floor::{self, NameBuf};
use crate::places::Place;
use crate::spool;

/// What a contender's operation may keep between calls: the floor's name
/// buffer and counter (so that the floor never allocates).
#[derive(Debug)]
pub struct Scratch {
    name: NameBuf,
    counter: u64,
    saved: Option<SaveTarget>,
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
            saved: None,
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
    /// The contender every other is compared with.
    pub floor: &'static str,
    /// Operations per count in the probe (system calls, instructions):
    /// enough to amortise once-per-process work, few enough for a slow
    /// operation under `strace` and `valgrind`.
    pub rounds: u64,
    /// Criterion samples per bench (its default is 100; slow operations
    /// take fewer).
    pub samples: usize,
    /// Threads doing the operation at once: 1, or [`STORM_THREADS`] for
    /// the groups timed with the whole process's CPU time
    /// ([`Clock::for_threads`](crate::clock::Clock::for_threads)).
    pub threads: usize,
    /// What must be there before the first operation in `place` (the
    /// probe makes it before counting, for 0 rounds as well); the
    /// operations make it themselves when it is missing.
    pub setup: fn(&Place, &mut Scratch) -> io::Result<()>,
    /// The contenders, ours first.
    pub contenders: &'static [Contender],
}

impl Group {
    /// The contender called `name`.
    pub fn contender(&self, name: &str) -> Option<&'static Contender> {
        self.contenders.iter().find(|c| c.name == name)
    }
}

/// Every group made of one call per operation, in the order of the
/// report.
pub const GROUPS: &[Group] = &[
    ANONYMOUS,
    NAMED,
    STORM_NAMED,
    TEMPDIR,
    SPOOL_ROLLOVER,
    SPOOL_BUDGET,
    SPOOL_SIZING,
    ATOMIC_SAVE,
    MEMORY_FILE,
    NAMES,
    ASYNC_NAMED,
    // Last: it installs the signal hook in the process, for every group after it.
    HOOKED_NAMED,
];

/// The group called `name`.
pub fn group(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.name == name)
}

/// Group 1: an anonymous file, created and closed.
pub const ANONYMOUS: Group = Group {
    name: "anonymous",
    about: "anonymous file: create + close",
    per_place: true,
    floor: "floor",
    rounds: 1000,
    samples: 100,
    threads: 1,
    setup: nothing,
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
            name: "ours-at",
            about: "`tempfs::Builder::new().anonymous_at(&dir)` (`dir`: a `tempcore::Dir` opened \
                    once)",
            run: |place, _| drop_it(tempfs::Builder::new().anonymous_at(place.handle())),
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
    floor: "floor",
    rounds: 1000,
    samples: 100,
    threads: 1,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::NamedTempFile::new()` + drop",
            run: |_, _| drop_it(tempfs::NamedTempFile::new()),
        },
        Contender {
            name: "ours-in",
            about: "`tempfs::NamedTempFile::new_in(path)` + drop",
            run: |place, _| drop_it(tempfs::NamedTempFile::new_in(place.path())),
        },
        Contender {
            name: "ours-at",
            about: "`tempfs::Builder::new().tempfile_at(&dir)` + drop (`dir`: an \
                    `Arc<tempcore::Dir>` opened once)",
            run: |place, _| drop_it(tempfs::Builder::new().tempfile_at(place.handle())),
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
        Contender {
            name: "ours-locked",
            about: "`tempfs::Builder::new().owner_lock(true).tempfile_at(&dir)` + drop: \
                    `ours-at` + the owner lock (`fcntl(F_DUPFD_CLOEXEC)` + `flock(LOCK_SH)`, \
                    one more `close`)",
            run: |place, _| {
                drop_it(
                    tempfs::Builder::new()
                        .owner_lock(true)
                        .tempfile_at(place.handle()),
                )
            },
        },
        Contender {
            name: "floor-in",
            about: "as `floor`, + `newfstatat(path)`: the identity check a `*_in(path)` call \
                    makes before it reuses the shared handle of `path` (the floor of `ours-in`)",
            run: |place, scratch| {
                let name = scratch.name.random()?;
                floor::path_identity(place.path())?;
                floor::named(place.fd(), name)
            },
        },
    ],
};

/// Group 3: an empty temporary directory, created and removed.
pub const TEMPDIR: Group = Group {
    name: "tempdir",
    about: "empty temp dir: create + remove",
    per_place: true,
    floor: "floor",
    // 300, not 1000: `mkdir` on a busy ext4 takes milliseconds, and CI
    // counts three forms in each place; 1 refill of 314 names still shows
    // as 0.003.
    rounds: 300,
    samples: 100,
    threads: 1,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::TempDir::new()` + drop (holds the new directory's fd for \
                    race-free cleanup)",
            run: |_, _| drop_it(tempfs::TempDir::new()),
        },
        Contender {
            name: "ours-in",
            about: "`tempfs::TempDir::new_in(path)` + drop",
            run: |place, _| drop_it(tempfs::TempDir::new_in(place.path())),
        },
        Contender {
            name: "ours-at",
            about: "`tempfs::Builder::new().tempdir_at(&dir)` + drop (`dir`: an \
                    `Arc<tempcore::Dir>` opened once)",
            run: |place, _| drop_it(tempfs::Builder::new().tempdir_at(place.handle())),
        },
        Contender {
            name: "tempfile",
            about: "`tempfile::TempDir::new_in(path)` + drop (tempfile 3.27)",
            run: |place, _| drop_it(tempfile::TempDir::new_in(place.path())),
        },
        Contender {
            name: "floor",
            about: "one `getrandom` for a 13-character name + `mkdirat(dirfd, name, 0700)` + \
                    `unlinkat(dirfd, name, AT_REMOVEDIR)`",
            run: |place, scratch| {
                let name = scratch.name.random()?;
                floor::empty_dir(place.fd(), name)
            },
        },
        Contender {
            name: "floor-counter",
            about: "as `floor`, names from a counter (the bare system calls)",
            run: |place, scratch| {
                scratch.counter = scratch.counter.wrapping_add(1);
                let name = scratch.name.counter(scratch.counter);
                floor::empty_dir(place.fd(), name)
            },
        },
        Contender {
            name: "floor-rdonly",
            about: "as `floor`, holding the new directory open: + `openat(O_RDONLY|O_DIRECTORY)` + `close`",
            run: |place, scratch| {
                let name = scratch.name.random()?;
                floor::empty_dir_held(place.fd(), name, rustix::fs::OFlags::RDONLY)
            },
        },
        Contender {
            name: "floor-opath",
            about: "as `floor`, holding the new directory open: + `openat(O_PATH|O_DIRECTORY)` + `close`",
            run: |place, scratch| {
                let name = scratch.name.random()?;
                floor::empty_dir_held(place.fd(), name, rustix::fs::OFlags::PATH)
            },
        },
        Contender {
            name: "ours-locked",
            about: "`tempfs::Builder::new().owner_lock(true).tempdir_at(&dir)` + drop: \
                    `ours-at` with the new directory opened `O_RDONLY` (not `O_PATH`) + \
                    `flock(LOCK_SH)`",
            run: |place, _| {
                drop_it(
                    tempfs::Builder::new()
                        .owner_lock(true)
                        .tempdir_at(place.handle()),
                )
            },
        },
        Contender {
            name: "floor-in",
            about: "as `floor-opath`, + `newfstatat(path)`: the identity check a `*_in(path)` \
                    call makes before it reuses the shared handle of `path` (the floor of \
                    `ours-in`)",
            run: |place, scratch| {
                let name = scratch.name.random()?;
                floor::path_identity(place.path())?;
                floor::empty_dir_held(place.fd(), name, rustix::fs::OFlags::PATH)
            },
        },
    ],
};

/// Group 2 again with `tempfs::cleanup_on_signals` installed: what the
/// registry of live named objects costs (one slot taken at creation and
/// freed at drop), against the same floor and `tempfile` as `named`, whose
/// `ours-in` is the same call without the hook. Last of the groups, since the hook is
/// process-wide and for good: in the criterion run only the spools' and
/// trees' groups come after it (anonymous files, and trees whose
/// `TempDir`s are made untimed), and every other measurement runs each
/// group in a process of its own.
pub const HOOKED_NAMED: Group = Group {
    name: "hooked-named",
    about: "named file: create + close + delete, with the signal hook installed",
    per_place: true,
    floor: "floor",
    rounds: 1000,
    samples: 100,
    threads: 1,
    setup: |_, _| tempfs::cleanup_on_signals(),
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::NamedTempFile::new_in(path)` + drop, after \
                    `tempfs::cleanup_on_signals()` (one load once installed)",
            run: |place, _| {
                tempfs::cleanup_on_signals()?;
                drop_it(tempfs::NamedTempFile::new_in(place.path()))
            },
        },
        Contender {
            name: "tempfile",
            about: "`tempfile::NamedTempFile::new_in(path)` + drop (tempfile 3.27; no hook)",
            run: |place, _| drop_it(tempfile::NamedTempFile::new_in(place.path())),
        },
        Contender {
            name: "floor",
            about: "as `named`'s floor",
            run: |place, scratch| {
                let name = scratch.name.random()?;
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
    floor: "floor",
    rounds: 1000,
    samples: 100,
    threads: 1,
    setup: nothing,
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

/// Group 7: a named file made for async code, on tokio's blocking pool,
/// and dropped (the `tokio` feature).
pub const ASYNC_NAMED: Group = Group {
    name: "async-named",
    about: "named file for async code: create on tokio's blocking pool + drop, from a \
            current-thread runtime",
    per_place: false,
    floor: "tempfile",
    rounds: 300,
    samples: 100,
    // Two threads take part (the caller's and one of the blocking pool):
    // timed with the process's CPU time, which counts both.
    threads: 2,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::NamedTempFile::new_async().await` + drop",
            run: |_, _| crate::asynchronous::ours_named(),
        },
        Contender {
            name: "tempfile",
            about: "`tokio::task::spawn_blocking(tempfile::NamedTempFile::new).await` + drop \
                    (tempfile 3.27)",
            run: |_, _| crate::asynchronous::theirs_named(),
        },
    ],
};

/// Files per thread in one operation of a storm: enough that spawning the
/// second thread (tens of microseconds) is well under 1% of the operation.
pub const STORM_FILES: usize = 1000;

/// Threads in a storm: the machine's two cores, both busy.
pub const STORM_THREADS: usize = 2;

/// Group 2 in two threads at once: [`STORM_FILES`] named files created,
/// closed and removed by each of two threads, in the same directory.
pub const STORM_NAMED: Group = Group {
    name: "storm-named",
    about: "2 threads at once, one directory: 1,000 named files each, created + closed + deleted",
    per_place: true,
    floor: "floor",
    rounds: 3,
    samples: 20,
    threads: STORM_THREADS,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::NamedTempFile::new()` + drop, in both threads",
            run: |place, scratch| storm(place, scratch, named("ours")),
        },
        Contender {
            name: "ours-in",
            about: "`tempfs::NamedTempFile::new_in(path)` + drop, in both threads",
            run: |place, scratch| storm(place, scratch, named("ours-in")),
        },
        Contender {
            name: "ours-at",
            about: "`tempfs::Builder::new().tempfile_at(&dir)` + drop, in both threads, sharing \
                    one `Arc<tempcore::Dir>`",
            run: |place, scratch| storm(place, scratch, named("ours-at")),
        },
        Contender {
            name: "tempfile",
            about: "`tempfile::NamedTempFile::new_in(path)` + drop, in both threads (tempfile 3.27)",
            run: |place, scratch| storm(place, scratch, named("tempfile")),
        },
        Contender {
            name: "floor",
            about: "the `named` group's floor in both threads, on one shared directory descriptor",
            run: |place, scratch| storm(place, scratch, named("floor")),
        },
        Contender {
            name: "floor-in",
            about: "the `named` group's `floor-in` in both threads: `floor` + `newfstatat(path)`",
            run: |place, scratch| storm(place, scratch, named("floor-in")),
        },
    ],
};

/// The `named` group's contender `name` (the storm runs each of them in
/// both threads).
fn named(name: &str) -> fn(&Place, &mut Scratch) -> io::Result<()> {
    NAMED
        .contender(name)
        .unwrap_or_else(|| panic!("the named group has no contender {name:?}"))
        .run
}

/// Does `one` [`STORM_FILES`] times in this thread and as many times in a
/// second one, at the same time, in `place`.
fn storm(
    place: &Place,
    scratch: &mut Scratch,
    one: fn(&Place, &mut Scratch) -> io::Result<()>,
) -> io::Result<()> {
    std::thread::scope(|s| {
        let others: Vec<_> = (1..STORM_THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut scratch = Scratch::new()?;
                    (0..STORM_FILES).try_for_each(|_| one(place, &mut scratch))
                })
            })
            .collect();
        let mine = (0..STORM_FILES).try_for_each(|_| one(place, scratch));
        for other in others {
            other
                .join()
                .map_err(|_| io::Error::other("a storm thread panicked"))??;
        }
        mine
    })
}

/// The rollover group: a spool's whole life past its limit, the file
/// created in the timed region.
pub const SPOOL_ROLLOVER: Group = Group {
    name: "spool-rollover",
    about: "a spool's life: created, 2 MiB in 64-byte `write_all` calls (rolling over at 1 MiB), \
            `flush`, dropped",
    per_place: true,
    floor: "buffered",
    rounds: 3,
    samples: 20,
    threads: 1,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempspool::SpooledTempFile::new(1 MiB)` (rolls over into the default directory)",
            run: |_, _| {
                let spool = tempspool::SpooledTempFile::new(spool::MAX_SIZE);
                spool::rollover_life(spool, tempspool::SpooledTempFile::is_rolled)
            },
        },
        Contender {
            name: "ours-in",
            about: "`tempspool::SpooledTempFile::new_in(1 MiB, path)`",
            run: |place, _| {
                let spool = tempspool::SpooledTempFile::new_in(spool::MAX_SIZE, place.path());
                spool::rollover_life(spool, tempspool::SpooledTempFile::is_rolled)
            },
        },
        Contender {
            name: "tempfile",
            about: "`tempfile::SpooledTempFile::new_in(1 MiB, path)` (tempfile 3.27)",
            run: |place, _| {
                let spool = tempfile::SpooledTempFile::new_in(spool::MAX_SIZE, place.path());
                spool::rollover_life(spool, tempfile::SpooledTempFile::is_rolled)
            },
        },
        Contender {
            name: "buffered",
            about: "`openat(dirfd, \".\", O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC)` behind \
                    `BufWriter::new` (8 KiB), all 2 MiB on disk",
            run: |place, _| {
                let file = std::io::BufWriter::new(floor::anonymous_file(place.fd())?);
                spool::rollover_life(file, |_| true)
            },
        },
    ],
};

/// The scale group: many small spools alive at once, from two threads,
/// with and without a shared budget.
pub const SPOOL_BUDGET: Group = Group {
    name: "spool-budget",
    about: "10,000 spools of 4 KiB alive at once, made from 2 threads (5,000 each, one \
            `write_all` of 4 KiB apiece), then dropped",
    per_place: false,
    floor: "unbudgeted",
    rounds: 3,
    samples: 10,
    threads: STORM_THREADS,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempspool::SpooledTempFile::with_budget(1 MiB, &budget)`, one \
                    `SpoolBudget::new(1 GiB)` shared by both threads (every spool stays in memory)",
            run: |_, _| spool::many_spools(true),
        },
        Contender {
            name: "unbudgeted",
            about: "`tempspool::SpooledTempFile::new(1 MiB)`",
            run: |_, _| spool::many_spools(false),
        },
    ],
};

/// Sizing a budget: spools whose final size is known, charged by
/// doubling or reserved exactly.
pub const SPOOL_SIZING: Group = Group {
    name: "spool-sizing",
    about: "64 uploads of 700,000 bytes each, written 16 KiB at a time under one 1 GiB \
            `SpoolBudget`, alive at once, then dropped",
    per_place: false,
    floor: "doubling",
    rounds: 3,
    samples: 10,
    threads: 1,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`spool.reserve(700_000)` first: the budget is charged 700,000 bytes a spool",
            run: |_, _| spool::sized_uploads(true),
        },
        Contender {
            name: "doubling",
            about: "no reservation: the buffer doubles, the budget is charged 1 MiB a spool",
            run: |_, _| spool::sized_uploads(false),
        },
    ],
};

/// The size of the file each safe save writes.
pub const SAVE_SIZE: usize = 4 * 1024;

/// What each safe save writes.
static SAVE_BYTES: [u8; SAVE_SIZE] = [b's'; SAVE_SIZE];

/// The file the safe saves of one process replace, in one place: made
/// (with [`SAVE_SIZE`] bytes, 0644) by the first save there, removed when
/// the scratch is dropped or moves to another place.
#[derive(Debug)]
struct SaveTarget {
    /// `bench-atomic-save-PID` in the place.
    path: PathBuf,
    /// The place's path.
    dir: PathBuf,
    /// The hand-written save's temporary sibling; its name changes each
    /// save.
    temp: PathBuf,
}

impl Drop for SaveTarget {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Scratch {
    /// The file to replace in `place` (made on the first call there), and
    /// the name buffer for a sibling's name.
    fn save_target(&mut self, place: &Place) -> io::Result<(&mut SaveTarget, &mut NameBuf)> {
        if self.saved.as_ref().is_none_or(|s| s.dir != place.path()) {
            self.saved = None;
            let path = place
                .path()
                .join(format!("bench-atomic-save-{}", std::process::id()));
            std::fs::write(&path, SAVE_BYTES)?;
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
            self.saved = Some(SaveTarget {
                temp: path.clone(),
                path,
                dir: place.path().to_path_buf(),
            });
        }
        let saved = self.saved.as_mut().expect("made above");
        Ok((saved, &mut self.name))
    }
}

/// The safe save written by hand, with the standard library: the
/// target's mode read (`stat`), a sibling created with a random name
/// (`File::create_new`), the bytes written, the mode given to it
/// (`fchmod`), then with `durable` the file synced (`fsync`), the sibling
/// renamed over the target, and with `durable` the directory opened,
/// synced and closed.
fn save_by_hand(place: &Place, scratch: &mut Scratch, durable: bool) -> io::Result<()> {
    let (saved, name) = scratch.save_target(place)?;
    let name = name.random()?;
    saved
        .temp
        .set_file_name(std::ffi::OsStr::from_bytes(name.to_bytes()));
    let permissions = std::fs::metadata(&saved.path)?.permissions();
    let mut file = std::fs::File::create_new(&saved.temp)?;
    file.write_all(&SAVE_BYTES)?;
    file.set_permissions(permissions)?;
    if durable {
        file.sync_all()?;
    }
    drop(file);
    std::fs::rename(&saved.temp, &saved.path)?;
    if durable {
        std::fs::File::open(&saved.dir)?.sync_all()?;
    }
    Ok(())
}

/// The path of the file to replace in `place`.
fn save_path<'a>(place: &Place, scratch: &'a mut Scratch) -> io::Result<&'a Path> {
    Ok(&scratch.save_target(place)?.0.path)
}

/// Issue 17: a file of 4 KiB replaced safely, as users call it and by
/// hand.
pub const ATOMIC_SAVE: Group = Group {
    name: "atomic-save",
    about: "safe save: an existing file of 4 KiB replaced by 4 KiB (its mode kept), atomically",
    per_place: true,
    floor: "floor",
    // 300: a durable save on a busy ext4 takes milliseconds (two
    // `fsync`s), and once-per-process calls still show as 0.003.
    rounds: 300,
    samples: 20,
    threads: 1,
    setup: |place, scratch| scratch.save_target(place).map(drop),
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::write_atomic(path, bytes)` (the default `Durability::Full`: file and \
                    directory synced)",
            run: |place, scratch| tempfs::write_atomic(save_path(place, scratch)?, SAVE_BYTES),
        },
        Contender {
            name: "ours-none",
            about: "`tempfs::AtomicFile::options().durability(tempfs::Durability::None)\
                    .write(path, bytes)` (no sync)",
            run: |place, scratch| {
                tempfs::AtomicFile::options()
                    .durability(tempfs::Durability::None)
                    .write(save_path(place, scratch)?, SAVE_BYTES)
            },
        },
        Contender {
            name: "tempfile",
            about: "`tempfile::NamedTempFile::new_in(dir)` + `write_all` + \
                    `as_file().set_permissions(target's)` + `as_file().sync_all()` + \
                    `persist(path)`, no directory sync (tempfile 3.27)",
            run: |place, scratch| {
                let path = save_path(place, scratch)?;
                let permissions = std::fs::metadata(path)?.permissions();
                let mut file = tempfile::NamedTempFile::new_in(place.path())?;
                file.write_all(&SAVE_BYTES)?;
                file.as_file().set_permissions(permissions)?;
                file.as_file().sync_all()?;
                file.persist(path)?;
                Ok(())
            },
        },
        Contender {
            name: "floor",
            about: "by hand with `std`: `fs::metadata(path)` + `File::create_new(sibling)` (a \
                    13-character name from one `getrandom`) + `write_all` + \
                    `set_permissions(target's)` + `sync_all` + close + `fs::rename(sibling, \
                    path)` + `File::open(dir)` + `sync_all` + close",
            run: |place, scratch| save_by_hand(place, scratch, true),
        },
        Contender {
            name: "floor-none",
            about: "as `floor`, without the two `sync_all` calls and the directory's opening",
            run: |place, scratch| save_by_hand(place, scratch, false),
        },
    ],
};

/// The size of what is written to each memory file.
pub const MEMORY_SIZE: usize = 64 * 1024;

/// What is written to each memory file.
static MEMORY_BYTES: [u8; MEMORY_SIZE] = [b'm'; MEMORY_SIZE];

/// Issue 19: a file in memory, created, written and closed.
pub const MEMORY_FILE: Group = Group {
    name: "memory-file",
    about: "memory file: create + write 64 KiB + close",
    per_place: false,
    floor: "memfd",
    rounds: 1000,
    samples: 100,
    threads: 1,
    setup: nothing,
    contenders: &[
        Contender {
            name: "ours",
            about: "`tempfs::memory_file()` + `write_all` + drop",
            run: |_, _| {
                let mut file = tempfs::memory_file()?;
                file.write_all(&MEMORY_BYTES)?;
                drop(black_box(file));
                Ok(())
            },
        },
        Contender {
            name: "tmpfs",
            about: "`open(\"/dev/shm\", O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC, 0600)` (rustix) + \
                    `write_all` + `close`",
            run: |_, _| {
                let flags = rustix::fs::OFlags::TMPFILE
                    | rustix::fs::OFlags::RDWR
                    | rustix::fs::OFlags::EXCL
                    | rustix::fs::OFlags::CLOEXEC;
                let mode = rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR;
                let fd = rustix::fs::open(crate::places::SHM, flags, mode).map_err(|e| {
                    io::Error::new(
                        io::Error::from(e).kind(),
                        format!("O_TMPFILE in {}: {e}", crate::places::SHM),
                    )
                })?;
                let mut file = std::fs::File::from(fd);
                file.write_all(&MEMORY_BYTES)?;
                drop(black_box(file));
                Ok(())
            },
        },
        Contender {
            name: "memfd",
            about: "`rustix::fs::memfd_create(c\"tmp\", MemfdFlags::CLOEXEC)` + `write_all` + \
                    `close`",
            run: |_, _| {
                let fd = rustix::fs::memfd_create(c"tmp", rustix::fs::MemfdFlags::CLOEXEC)?;
                let mut file = std::fs::File::from(fd);
                file.write_all(&MEMORY_BYTES)?;
                drop(black_box(file));
                Ok(())
            },
        },
    ],
};

/// The setup of a group that needs none.
fn nothing(_: &Place, _: &mut Scratch) -> io::Result<()> {
    Ok(())
}

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
        let _default = crate::places::DEFAULT_DIR
            .lock()
            .unwrap_or_else(|e| e.into_inner());
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
        // The safe saves' target goes with the scratch.
        drop(scratch);
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
            assert!(g.contender(g.floor).is_some(), "{}", g.name);
            assert!(group(g.name).is_some());
        }
    }
}
