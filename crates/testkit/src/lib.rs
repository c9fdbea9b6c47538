//! Fixtures for the workspace's tests.
//!
//! - [`Scratch`]: a fresh directory for one test, mode 0755 and outside any
//!   sticky directory's protections, removed afterwards.
//! - [`child`]: run a closure in a forked child process, with dropped
//!   privileges or lowered resource limits, and get its verdict back.
//! - [`open_fds`] and [`entries`]: leak counting.
//! - [`rerun_self`]: run one test of the current binary again in a fresh
//!   process with a controlled environment.
//! - `seccomp` (Linux): make chosen system calls fail in a forked child, to
//!   prove that code really makes them.
//! - `windows` (Windows): who an access control list lets in.
//! - [`doc_example_lines`]: the lines of a crate's documented examples, to
//!   check which crates they name.
//! - [`removal_is_immediate`], [`replacing_open_files_works`]: whether
//!   this system removes or replaces an open file's name at once, as unix
//!   does (Windows needs POSIX semantics, which Wine lacks).
//!
//! Tests run as root here and in CI; root ignores file permissions, so a
//! test about permissions runs its body in a child that has become `nobody`
//! ([`child::as_nobody`]) instead of being skipped.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

#[cfg(unix)]
pub mod child;
#[cfg(target_os = "linux")]
pub mod seccomp;
#[cfg(windows)]
pub mod windows;

/// A fresh directory for one test, removed (with everything in it) on drop.
///
/// It is created 0755 directly under the system temporary directory: a
/// plain directory, not world-writable and not sticky, so that kernel
/// protections for sticky directories (`fs.protected_symlinks` and
/// friends) never hide a library bug in a test that plants files.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Scratch {
    /// Makes a new scratch directory whose name contains `label`.
    pub fn new(label: &str) -> Scratch {
        Scratch::new_in(&temp_dir(), label)
    }

    /// Makes a new scratch directory under `base` instead of the system
    /// temporary directory: a tmpfs, say, for a test that creates many
    /// thousands of entries where the default file system is slow at it.
    pub fn new_in(base: &Path, label: &str) -> Scratch {
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("testkit-{label}-{}-{n}", process_id()));
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    set_mode(&path, 0o755);
                    return Scratch { path };
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create scratch directory {}: {e}", path.display()),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `path` joined with `name`.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// The names in the directory, sorted.
    pub fn entries(&self) -> Vec<OsString> {
        entries(&self.path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        make_writable(&self.path);
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The system temporary directory: `std::env::temp_dir()`, or on WASI,
/// where that panics, `TMPDIR` (the directory the runner preopened).
pub fn temp_dir() -> PathBuf {
    #[cfg(target_os = "wasi")]
    return std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .expect("TMPDIR: on WASI, set it to a preopened directory");
    #[cfg(not(target_os = "wasi"))]
    std::env::temp_dir()
}

/// `std::process::id()`, or on WASI, which has no process IDs (that call
/// panics there), a number drawn once from the clock.
pub fn process_id() -> u32 {
    #[cfg(target_os = "wasi")]
    {
        static ID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
        *ID.get_or_init(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(0, |d| d.subsec_nanos() ^ d.as_secs() as u32)
        })
    }
    #[cfg(not(target_os = "wasi"))]
    std::process::id()
}

/// The names in `dir`, sorted; panics if it cannot be read.
pub fn entries(dir: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .collect();
    names.sort();
    names
}

/// Sets the permission bits of `path` (no-op on Windows).
pub fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// The permission bits of `path`, not following a final symlink.
#[cfg(unix)]
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Gives every directory under `path` owner rwx so that a test's leftovers
/// can be removed; never follows symlinks.
pub fn make_writable(path: &Path) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() | 0o700;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
        }
        if let Ok(list) = std::fs::read_dir(path) {
            for entry in list.flatten() {
                make_writable(&entry.path());
            }
        }
    }
}

/// How many file descriptors this process has open (Linux `/proc/self/fd`,
/// elsewhere `/dev/fd`); `None` where neither exists.
pub fn open_fds() -> Option<usize> {
    for dir in ["/proc/self/fd", "/dev/fd"] {
        if let Ok(list) = std::fs::read_dir(dir) {
            // The listing itself holds one descriptor.
            return Some(list.count().saturating_sub(1));
        }
    }
    None
}

/// Whether removing the name of a file that is still open takes the name
/// out of its directory at once, as `unlink` does on unix. On Windows that
/// takes POSIX delete semantics (Windows 10 on NTFS); Wine, FAT and older
/// Windows keep the name listed until the last handle closes. Tests assert
/// the immediate removal where the system provides it, and the removal at
/// the last close everywhere. Probed once: a file is opened, its name
/// removed, and the directory listed.
pub fn removal_is_immediate() -> bool {
    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        let scratch = Scratch::new("removal-probe");
        let path = scratch.join("probe");
        let open = std::fs::File::create(&path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("removing {}: {e}", path.display()));
        let immediate = scratch.entries().is_empty();
        drop(open);
        immediate
    })
}

/// Whether a file can be replaced (renamed over) while another handle
/// holds it open, as on unix. Windows needs POSIX rename semantics for
/// that (Windows 10 on NTFS); Wine and older Windows refuse with
/// `PermissionDenied` until the other handle closes. Probed once.
pub fn replacing_open_files_works() -> bool {
    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        let scratch = Scratch::new("replace-probe");
        let (target, source) = (scratch.join("target"), scratch.join("source"));
        for path in [&target, &source] {
            std::fs::write(path, path.as_os_str().as_encoded_bytes())
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        }
        let open = std::fs::File::open(&target)
            .unwrap_or_else(|e| panic!("opening {}: {e}", target.display()));
        let replaced = std::fs::rename(&source, &target).is_ok();
        drop(open);
        replaced
    })
}

/// A lock for tests that change process-wide state (the current
/// directory, the umask, the default temporary directory, rlimits of the
/// parent). Hold the guard for the whole test.
pub fn process_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The environment variable that tells a re-run test it is the child.
pub const CHILD_ENV: &str = "TESTKIT_CHILD";

/// Whether this process is a re-run started by [`rerun_self`].
pub fn is_rerun() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs the test `name` of the current test binary again, alone, in a new
/// process whose environment is this one's minus `remove` plus `set`, and
/// with [`CHILD_ENV`] set. Panics with the child's output if it fails.
///
/// The test body must check [`is_rerun`] and do its real work only there:
/// this gives a test full control of the environment (which a threaded
/// test harness cannot safely change in-process).
pub fn rerun_self(name: &str, remove: &[&str], set: &[(&str, &std::ffi::OsStr)], cwd: &Path) {
    let exe = std::env::current_exe().expect("current test binary");
    rerun_copy(&exe, name, remove, set, cwd);
}

/// [`rerun_self`] through `exe`, a copy of the current test binary (a
/// set-user-ID one, say: see `child::set_user_id_copy_of_self`).
pub fn rerun_copy(
    exe: &Path,
    name: &str,
    remove: &[&str],
    set: &[(&str, &std::ffi::OsStr)],
    cwd: &Path,
) {
    let mut command = std::process::Command::new(exe);
    command.args([name, "--exact", "--nocapture", "--test-threads=1"]);
    command.current_dir(cwd);
    for var in remove {
        command.env_remove(var);
    }
    for (var, value) in set {
        command.env(var, value);
    }
    command.env(CHILD_ENV, name);
    let out = command.output().expect("re-running the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "re-run of {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The lines inside code blocks of the doc comments (`///`, `//!`) of the
/// Rust files at or under `path`, and of Markdown files, as (file, line)
/// pairs: what a crate's examples say, for tests that check which crates
/// the examples name.
pub fn doc_example_lines(path: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect_example_lines(path, &mut found);
    found
}

/// [`doc_example_lines`], into `found`.
fn collect_example_lines(path: &Path, found: &mut Vec<(String, String)>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            collect_example_lines(&entry.unwrap().path(), found);
        }
        return;
    }
    let markdown = path.extension().is_some_and(|e| e == "md");
    if !markdown && path.extension().is_none_or(|e| e != "rs") {
        return;
    }
    let text = std::fs::read_to_string(path).unwrap();
    let mut in_code = false;
    for line in text.lines() {
        let line = line.trim_start();
        let doc = if markdown {
            Some(line)
        } else {
            line.strip_prefix("///")
                .or_else(|| line.strip_prefix("//!"))
                .map(str::trim_start)
        };
        let Some(doc) = doc else {
            in_code = false;
            continue;
        };
        if doc.starts_with("```") {
            in_code = !in_code;
        } else if in_code {
            found.push((path.display().to_string(), doc.to_owned()));
        }
    }
}
