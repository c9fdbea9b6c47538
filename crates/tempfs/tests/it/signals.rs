//! `cleanup_on_signals`: named objects removed after SIGINT, SIGTERM or
//! SIGHUP, the process still dying of its signal; the application's own
//! handlers chained; forked children and kept objects left alone.
//!
//! Every hook is installed in a forked child (`testkit::child`), never in
//! the test process: a signal disposition is process-wide.

#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use libc::c_int;
use tempfs::{Builder, NamedTempFile, TempDir};
use testkit::Scratch;
use testkit::child::{self, Outcome};

/// Sends `signal` to this whole process, as `kill` from outside would.
fn kill_self(signal: c_int) {
    // SAFETY: signalling our own process.
    unsafe { libc::kill(libc::getpid(), signal) };
}

/// Gives the three signals their default disposition in a child: a test
/// run started in the background (`nohup`, `cmd &` in a script) inherits
/// SIGHUP and SIGINT ignored, which the hook rightly leaves ignored.
fn default_dispositions() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        install(signal, libc::SIG_DFL, false);
    }
}

/// Installs `handler` for `signal` (`SA_SIGINFO` if `siginfo`).
fn install(signal: c_int, handler: libc::sighandler_t, siginfo: bool) {
    // SAFETY: a zeroed sigaction with an empty mask and a valid handler.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler;
        action.sa_flags = if siginfo { libc::SA_SIGINFO } else { 0 };
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(signal, &action, std::ptr::null_mut()), 0);
    }
}

/// Fills `dir` with what a real tree has: files, a read-only file, nested
/// directories, an empty one, a FIFO, and a symbolic link to `outside`.
fn fill(dir: &Path, outside: &Path) {
    std::fs::write(dir.join("a.txt"), b"a").unwrap();
    std::fs::write(dir.join("ro.txt"), b"ro").unwrap();
    std::fs::set_permissions(dir.join("ro.txt"), std::fs::Permissions::from_mode(0o400)).unwrap();
    let deep = dir.join("x/y/z");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("deep.bin"), [0u8; 10_000]).unwrap();
    std::fs::write(dir.join("x/mid.txt"), b"mid").unwrap();
    std::fs::create_dir(dir.join("empty")).unwrap();
    // Enough entries that one getdents64 buffer does not hold them all.
    let many = dir.join("x/many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..300 {
        std::fs::write(many.join(format!("entry-with-a-long-name-{i:04}")), b"").unwrap();
    }
    let fifo = std::ffi::CString::new(dir.join("fifo").into_os_string().into_encoded_bytes());
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo.unwrap().as_ptr(), 0o600) }, 0);
    symlink(outside, dir.join("link-out")).unwrap();
    symlink(outside.parent().unwrap(), dir.join("x/link-dir-out")).unwrap();
}

/// A file outside every temporary object, which must survive.
fn outside_file(scratch: &Scratch) -> PathBuf {
    let outside = scratch.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), b"keep").unwrap();
    outside.join("keep.txt")
}

/// In a child: installs the hook, makes a named file, a `TempPath`, a
/// `TempDir` with a tree in it and one without, and kills itself with
/// `signal`. The child must die of that signal and leave nothing.
fn killed_by(signal: c_int) {
    let scratch = Scratch::new("signals-killed");
    let outside = outside_file(&scratch);
    let objects = scratch.join("objects");
    std::fs::create_dir(&objects).unwrap();
    let outcome = child::run(|| {
        default_dispositions();
        tempfs::cleanup_on_signals().unwrap();
        let _file = NamedTempFile::new_in(&objects).unwrap();
        let _path = NamedTempFile::new_in(&objects).unwrap().into_temp_path();
        let tree = TempDir::new_in(&objects).unwrap();
        fill(tree.path(), &outside);
        let _empty = TempDir::new_in(&objects).unwrap();
        let _named_dir = Builder::new()
            .prefix("made-by-builder-")
            .tempdir_in(&objects)
            .unwrap();
        assert_eq!(testkit::entries(&objects).len(), 5);
        kill_self(signal);
        panic!("survived signal {signal}");
    });
    assert_eq!(outcome, Outcome::Signaled(signal));
    assert_eq!(testkit::entries(&objects), Vec::<std::ffi::OsString>::new());
    assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
}

#[test]
fn sigterm_removes_named_objects_and_the_process_dies_of_it() {
    killed_by(libc::SIGTERM);
}

#[test]
fn sigint_removes_named_objects_and_the_process_dies_of_it() {
    killed_by(libc::SIGINT);
}

#[test]
fn sighup_removes_named_objects_and_the_process_dies_of_it() {
    killed_by(libc::SIGHUP);
}

/// Installed twice, the hook is still one: the second call must not take
/// the first handler for the application's and chain to it.
#[test]
fn a_hook_installed_twice_is_one_hook() {
    let scratch = Scratch::new("signals-twice");
    let outcome = child::run(|| {
        default_dispositions();
        tempfs::cleanup_on_signals().unwrap();
        tempfs::cleanup_on_signals().unwrap();
        let _file = NamedTempFile::new_in(scratch.path()).unwrap();
        kill_self(libc::SIGTERM);
        panic!("survived");
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGTERM));
    assert!(scratch.entries().is_empty());
}

static PLAIN_CALLS: AtomicUsize = AtomicUsize::new(0);
static SIGINFO_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn plain(_: c_int) {
    PLAIN_CALLS.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn with_info(signal: c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    if !info.is_null() && unsafe { (*info).si_signo } == signal {
        SIGINFO_CALLS.fetch_add(1, Ordering::SeqCst);
    }
}

/// The application's handlers installed before the hook still run, with
/// their own calling convention, and decide: the process lives on, and its
/// objects stay until they are dropped.
#[test]
fn handlers_installed_before_are_chained_and_keep_the_signal() {
    let scratch = Scratch::new("signals-chain");
    child::check(|| {
        default_dispositions();
        install(
            libc::SIGTERM,
            plain as extern "C" fn(c_int) as libc::sighandler_t,
            false,
        );
        let info = with_info as extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void);
        install(libc::SIGINT, info as libc::sighandler_t, true);
        tempfs::cleanup_on_signals().unwrap();
        let file = NamedTempFile::new_in(scratch.path()).unwrap();
        let dir = TempDir::new_in(scratch.path()).unwrap();
        kill_self(libc::SIGTERM);
        kill_self(libc::SIGINT);
        assert_eq!(PLAIN_CALLS.load(Ordering::SeqCst), 1);
        assert_eq!(SIGINFO_CALLS.load(Ordering::SeqCst), 1);
        assert!(file.path().exists() && dir.path().exists());
        drop((file, dir));
    });
    assert!(scratch.entries().is_empty());
}

static ONE_SHOT_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn one_shot(_: c_int) {
    ONE_SHOT_CALLS.fetch_add(1, Ordering::SeqCst);
}

/// A one-shot handler (`SA_RESETHAND`) installed before the hook runs once,
/// as the kernel would run it; the second signal finds the default
/// disposition it left, so the hook removes and the process dies of it.
#[test]
fn a_one_shot_handler_runs_once_and_the_second_signal_kills() {
    let scratch = Scratch::new("signals-one-shot");
    let outcome = child::run(|| {
        default_dispositions();
        // SAFETY: a zeroed sigaction with an empty mask and a valid handler.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = one_shot as extern "C" fn(c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut()),
                0
            );
        }
        tempfs::cleanup_on_signals().unwrap();
        let file = NamedTempFile::new_in(scratch.path()).unwrap();
        kill_self(libc::SIGTERM);
        assert_eq!(ONE_SHOT_CALLS.load(Ordering::SeqCst), 1);
        assert!(file.path().exists());
        kill_self(libc::SIGTERM);
        panic!("survived a second SIGTERM");
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGTERM));
    assert!(scratch.entries().is_empty());
}

static ON_ALTERNATE_STACK: AtomicUsize = AtomicUsize::new(0);

extern "C" fn records_its_stack(_: c_int) {
    // SAFETY: a null new stack only reads the current one.
    unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        libc::sigaltstack(std::ptr::null(), &mut current);
        if current.ss_flags & libc::SS_ONSTACK != 0 {
            ON_ALTERNATE_STACK.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// An application handler that asked for its alternate stack
/// (`SA_ONSTACK`) still runs on it when the hook chains to it.
#[test]
fn a_chained_handler_runs_on_its_alternate_stack() {
    child::check(|| {
        default_dispositions();
        let stack = Box::leak(vec![0u8; 256 * 1024].into_boxed_slice());
        // SAFETY: `stack` is leaked, so it outlives the thread; the
        // sigaction is zeroed with an empty mask and a valid handler.
        unsafe {
            let alternate = libc::stack_t {
                ss_sp: stack.as_mut_ptr().cast(),
                ss_flags: 0,
                ss_size: stack.len(),
            };
            assert_eq!(libc::sigaltstack(&alternate, std::ptr::null_mut()), 0);
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = records_its_stack as extern "C" fn(c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGHUP, &action, std::ptr::null_mut()),
                0
            );
        }
        tempfs::cleanup_on_signals().unwrap();
        kill_self(libc::SIGHUP);
        assert_eq!(ON_ALTERNATE_STACK.load(Ordering::SeqCst), 1);
    });
}

/// A signal the process ignores (`nohup`) stays ignored: nothing removed,
/// nothing killed.
#[test]
fn an_ignored_signal_stays_ignored() {
    let scratch = Scratch::new("signals-ignored");
    child::check(|| {
        default_dispositions();
        install(libc::SIGHUP, libc::SIG_IGN, false);
        tempfs::cleanup_on_signals().unwrap();
        let file = NamedTempFile::new_in(scratch.path()).unwrap();
        kill_self(libc::SIGHUP);
        assert!(file.path().exists());
    });
    assert!(scratch.entries().is_empty());
}

/// A forked child that dies of a signal removes what it made after the
/// fork, never what its parent made before.
#[test]
fn a_forked_child_leaves_its_parents_objects() {
    let scratch = Scratch::new("signals-fork");
    let parents = scratch.join("parent");
    let childs = scratch.join("child");
    std::fs::create_dir(&parents).unwrap();
    std::fs::create_dir(&childs).unwrap();
    child::check(|| {
        default_dispositions();
        tempfs::cleanup_on_signals().unwrap();
        let file = NamedTempFile::new_in(&parents).unwrap();
        let dir = TempDir::new_in(&parents).unwrap();
        std::fs::write(dir.path().join("data"), b"x").unwrap();
        let grandchild = child::run(|| {
            let _own = NamedTempFile::new_in(&childs).unwrap();
            let _own_dir = TempDir::new_in(&childs).unwrap();
            kill_self(libc::SIGTERM);
            panic!("survived");
        });
        assert_eq!(grandchild, Outcome::Signaled(libc::SIGTERM));
        assert!(file.path().exists(), "the child removed its parent's file");
        assert!(
            dir.path().join("data").exists(),
            "the child emptied its parent's directory"
        );
        assert!(
            testkit::entries(&childs).is_empty(),
            "the child left its own objects"
        );
        drop((file, dir));
    });
    assert!(testkit::entries(&parents).is_empty());
}

/// What is kept, persisted or no longer removed on drop has left the
/// registry: a signal leaves it where it is.
#[test]
fn kept_and_persisted_objects_are_not_removed() {
    let scratch = Scratch::new("signals-kept");
    let objects = scratch.join("objects");
    std::fs::create_dir(&objects).unwrap();
    let outcome = child::run(|| {
        default_dispositions();
        tempfs::cleanup_on_signals().unwrap();
        let (_, kept) = NamedTempFile::new_in(&objects).unwrap().keep().unwrap();
        let kept_path = NamedTempFile::new_in(&objects)
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        let kept_dir = TempDir::new_in(&objects).unwrap().keep();
        let _persisted = NamedTempFile::new_in(&objects)
            .unwrap()
            .persist(objects.join("persisted"));
        let mut disabled = NamedTempFile::new_in(&objects).unwrap();
        disabled.disable_cleanup(true);
        let mut disabled_dir = TempDir::new_in(&objects).unwrap();
        disabled_dir.disable_cleanup(true);
        let _never = Builder::new()
            .disable_cleanup(true)
            .tempfile_in(&objects)
            .unwrap();
        // Turned back on: removed again.
        let mut again = NamedTempFile::new_in(&objects).unwrap();
        again.disable_cleanup(true);
        again.disable_cleanup(false);
        std::fs::write(
            objects.join("list"),
            format!("{kept:?} {kept_path:?} {kept_dir:?}"),
        )
        .unwrap();
        kill_self(libc::SIGTERM);
        panic!("survived");
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGTERM));
    // kept, kept_path, kept_dir, persisted, disabled, disabled_dir, never, list
    assert_eq!(testkit::entries(&objects).len(), 8);
}

/// Dropped and closed objects leave their slots: after many more objects
/// than the table has slots, a new one is still covered.
#[test]
fn dropped_objects_leave_the_registry() {
    let scratch = Scratch::new("signals-dropped");
    let outcome = child::run(|| {
        default_dispositions();
        tempfs::cleanup_on_signals().unwrap();
        for _ in 0..1100 {
            drop(NamedTempFile::new_in(scratch.path()).unwrap());
            NamedTempFile::new_in(scratch.path())
                .unwrap()
                .close()
                .unwrap();
            drop(
                NamedTempFile::new_in(scratch.path())
                    .unwrap()
                    .into_temp_path(),
            );
        }
        for _ in 0..1100 {
            drop(TempDir::new_in(scratch.path()).unwrap());
            TempDir::new_in(scratch.path()).unwrap().close().unwrap();
        }
        let _file = NamedTempFile::new_in(scratch.path()).unwrap();
        let _dir = TempDir::new_in(scratch.path()).unwrap();
        kill_self(libc::SIGTERM);
        panic!("survived");
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGTERM));
    assert!(scratch.entries().is_empty());
}

/// Objects made before the hook was installed are not covered (as the
/// docs say), and a directory moved away from its name is not removed.
#[test]
fn objects_made_before_the_hook_or_moved_away_stay() {
    let scratch = Scratch::new("signals-before");
    let outcome = child::run(|| {
        default_dispositions();
        let _before = NamedTempFile::with_prefix_in("before-", scratch.path()).unwrap();
        tempfs::cleanup_on_signals().unwrap();
        let moved = TempDir::new_in(scratch.path()).unwrap();
        std::fs::rename(moved.path(), scratch.join("moved")).unwrap();
        std::fs::create_dir(moved.path()).unwrap();
        kill_self(libc::SIGTERM);
        panic!("survived");
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGTERM));
    let left = scratch.entries();
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        left.iter()
            .any(|n| n.to_string_lossy().starts_with("before-"))
    );
    assert!(left.iter().any(|n| n == "moved"));
}

/// Linux only: mounts.
#[cfg(target_os = "linux")]
mod linux {
    use super::*;

    /// Linux: the handler's walk never crosses into another mount, a bind
    /// mount of the same file system included.
    #[test]
    fn the_handler_does_not_cross_mounts() {
        let scratch = Scratch::new("signals-mount");
        let outside = outside_file(&scratch);
        let objects = scratch.join("objects");
        std::fs::create_dir(&objects).unwrap();
        let outcome = child::run(|| {
            default_dispositions();
            child::private_mount_namespace();
            tempfs::cleanup_on_signals().unwrap();
            let tree = TempDir::new_in(&objects).unwrap();
            let mount = tree.path().join("a/mnt");
            std::fs::create_dir_all(&mount).unwrap();
            let source = outside.parent().unwrap().to_str().unwrap();
            child::mount_flags(source, &mount, "", libc::MS_BIND, "");
            std::fs::write(tree.path().join("a/file"), b"x").unwrap();
            kill_self(libc::SIGTERM);
            panic!("survived");
        });
        assert_eq!(outcome, Outcome::Signaled(libc::SIGTERM));
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
        // The directory holding the mount point stays; the rest went.
        let dirs = testkit::entries(&objects);
        assert_eq!(dirs.len(), 1);
        let a = objects.join(&dirs[0]).join("a");
        assert_eq!(testkit::entries(&a), ["mnt"]);
    }
}

static TAKEN_OVER: AtomicUsize = AtomicUsize::new(0);

/// The handler `takes_over` found, which it calls as signal-hook does.
static FOUND: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn takes_over(signal: c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    TAKEN_OVER.fetch_add(1, Ordering::SeqCst);
    let found = FOUND.load(Ordering::SeqCst);
    if found != libc::SIG_DFL && found != libc::SIG_IGN {
        // SAFETY: the address `sigaction` reported for a SA_SIGINFO handler.
        let previous: extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(found) };
        previous(signal, info, context);
    }
}

/// An application that installs its own handler after the hook, calling
/// the one it found (signal-hook's way, so tokio's `ctrl_c`), has taken
/// the signal over: the hook neither removes nor kills.
#[test]
fn a_handler_installed_after_that_chains_keeps_the_signal() {
    let scratch = Scratch::new("signals-taken-over");
    child::check(|| {
        default_dispositions();
        tempfs::cleanup_on_signals().unwrap();
        // SAFETY: reading the current disposition, then installing ours.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old), 0);
            FOUND.store(old.sa_sigaction, Ordering::SeqCst);
        }
        let handler = takes_over as extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void);
        install(libc::SIGINT, handler as libc::sighandler_t, true);
        let file = NamedTempFile::new_in(scratch.path()).unwrap();
        let dir = TempDir::new_in(scratch.path()).unwrap();
        kill_self(libc::SIGINT);
        assert_eq!(TAKEN_OVER.load(Ordering::SeqCst), 1);
        assert!(file.path().exists() && dir.path().exists());
    });
    assert!(scratch.entries().is_empty());
}

/// Linux only: PID namespaces, and the handler's tree walk (elsewhere it
/// removes only empty directories).
#[cfg(target_os = "linux")]
mod linux_only {
    use super::*;

    /// As the init of a PID namespace (a container's entrypoint) a fatal
    /// signal with the default disposition does nothing; with the hook it
    /// must not remove everything and leave the process running.
    #[test]
    fn as_pid_1_a_signal_the_kernel_ignores_removes_nothing() {
        let scratch = Scratch::new("signals-pid1");
        child::check(|| {
            default_dispositions();
            // SAFETY: a new PID namespace for this process's children.
            assert_eq!(unsafe { libc::unshare(libc::CLONE_NEWPID) }, 0);
            let init = child::run(|| {
                default_dispositions();
                assert_eq!(std::process::id(), 1);
                tempfs::cleanup_on_signals().unwrap();
                let file = NamedTempFile::new_in(scratch.path()).unwrap();
                let dir = TempDir::new_in(scratch.path()).unwrap();
                std::fs::write(dir.path().join("data"), b"x").unwrap();
                kill_self(libc::SIGTERM);
                assert!(file.path().exists());
                assert!(dir.path().join("data").exists());
            });
            assert_eq!(init, Outcome::Passed);
        });
        assert!(scratch.entries().is_empty());
    }

    /// A `TempDir` being renamed into its final place (build, rename, keep)
    /// by another thread while the handler removes it: either the rename
    /// loses and nothing is published, or what was published is whole; never
    /// a published tree emptied half-way.
    #[test]
    fn a_tempdir_renamed_into_place_during_the_walk_is_never_published_half_empty() {
        const TOP: usize = 40;
        const EACH: usize = 200;
        let scratch = Scratch::new("signals-rename");
        let published = scratch.join("final");
        let outcome = child::run(|| {
            default_dispositions();
            tempfs::cleanup_on_signals().unwrap();
            let tree = TempDir::new_in(scratch.path()).unwrap();
            for i in 0..TOP {
                let sub = tree.path().join(format!("d{i:02}"));
                std::fs::create_dir(&sub).unwrap();
                for j in 0..EACH {
                    std::fs::write(sub.join(format!("f{j:03}")), b"").unwrap();
                }
            }
            let path = tree.path().to_owned();
            let target = published.clone();
            let renamer = std::thread::spawn(move || {
                // SAFETY: this thread takes no signal: the handler runs on the
                // main thread, racing this one.
                unsafe {
                    let mut set: libc::sigset_t = std::mem::zeroed();
                    libc::sigfillset(&mut set);
                    libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                }
                loop {
                    let started = std::fs::read_dir(&path).map_or(true, |d| d.count() < TOP);
                    if started {
                        let _ = std::fs::rename(&path, &target);
                        return;
                    }
                }
            });
            std::thread::sleep(std::time::Duration::from_millis(20));
            kill_self(libc::SIGTERM);
            drop(renamer);
            std::thread::sleep(std::time::Duration::from_secs(5));
            panic!("survived");
        });
        assert_eq!(outcome, Outcome::Signaled(libc::SIGTERM));
        if published.exists() {
            let files: usize = std::fs::read_dir(&published)
                .unwrap()
                .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
                .sum();
            assert_eq!(files, TOP * EACH, "published half-emptied");
            std::fs::remove_dir_all(&published).unwrap();
        }
        let left: Vec<_> = scratch.entries();
        assert!(left.is_empty(), "{left:?}");
    }
}
