//! Discovery in a real set-user-ID root program started by `nobody`.
//!
//! The test copies its own binary into a tmpfs of a private mount
//! namespace (mounted without `nosuid`), makes the copy set-user-ID root and
//! runs it as `nobody`, re-running one test alone; the body under
//! `testkit::is_rerun()` is that privileged process. It calls `setuid(0)`,
//! as many such helpers do before their first temporary file: its real and
//! effective IDs are then equal, yet the kernel still marks it secure
//! (`AT_SECURE`).

use std::path::{Path, PathBuf};

use testkit::child::NOBODY;
use testkit::{Scratch, is_rerun};

const VARS: [&str; 3] = ["TMPDIR", "TEMP", "TMP"];

/// Runs the test `name` of a set-user-ID root copy of this binary as
/// `nobody`, in `scratch`, with `TEMP` at a directory `nobody` owns (and no
/// `TMPDIR` or `TMP`).
fn rerun_set_user_id(name: &str, scratch: &Scratch) {
    let theirs = scratch.join("nobodys");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
    testkit::set_mode(&theirs, 0o700);
    let bin = scratch.join("bin");
    std::fs::create_dir(&bin).unwrap();
    testkit::child::check(|| {
        testkit::child::private_mount_namespace();
        testkit::child::mount("none", &bin, "tmpfs", "mode=0755");
        let copy = testkit::child::set_user_id_copy_of_self(&bin);
        testkit::child::as_nobody(|| {
            let set = [("TEMP", theirs.as_os_str())];
            testkit::rerun_copy(
                &copy,
                &format!("secure::{name}"),
                &VARS,
                &set,
                scratch.path(),
            );
        });
    });
    assert!(
        testkit::entries(&theirs).is_empty(),
        "nothing was made in nobody's directory"
    );
}

/// In the re-run: checks that this is the set-user-ID program started by
/// `nobody`, then becomes root through and through with `setuid(0)`, and
/// returns the directory `TEMP` names.
fn become_root_through_and_through() -> PathBuf {
    // SAFETY: plain system calls in a process of our own.
    unsafe {
        assert_eq!(libc::getauxval(libc::AT_SECURE), 1, "started set-user-ID");
        assert_eq!((libc::getuid(), libc::geteuid()), (NOBODY, 0));
        assert_eq!(libc::setuid(0), 0, "setuid(0)");
        assert_eq!((libc::getuid(), libc::geteuid()), (0, 0));
        assert_eq!(libc::getgid(), libc::getegid());
        assert_eq!(libc::getauxval(libc::AT_SECURE), 1, "still secure");
    }
    PathBuf::from(std::env::var_os("TEMP").expect("TEMP survives exec"))
}

#[test]
fn a_set_user_id_program_that_calls_setuid_0_ignores_temp() {
    if is_rerun() {
        let theirs = become_root_through_and_through();
        let chosen = tempcore::temp_dir().unwrap();
        assert_ne!(chosen, theirs, "the caller's TEMP was followed");
        return;
    }
    let scratch = Scratch::new("suid-temp");
    rerun_set_user_id(
        "a_set_user_id_program_that_calls_setuid_0_ignores_temp",
        &scratch,
    );
}

#[test]
fn a_set_user_id_program_never_falls_back_to_the_current_directory() {
    if is_rerun() {
        let _ = become_root_through_and_through();
        return testkit::child::check(|| {
            // /tmp, /var/tmp and /usr/tmp read-only, the current directory
            // (which the caller chose) writable: nothing may be used.
            testkit::child::private_mount_namespace();
            let cwd = Path::new("/tmp/cwd");
            testkit::child::mount("none", Path::new("/tmp"), "tmpfs", "size=64k");
            std::fs::create_dir(cwd).unwrap();
            testkit::child::remount_read_only(Path::new("/tmp"));
            for dir in ["/var/tmp", "/usr/tmp"] {
                if Path::new(dir).is_dir() {
                    testkit::child::mount("none", Path::new(dir), "tmpfs", "ro,size=16k");
                }
            }
            testkit::child::mount("none", cwd, "tmpfs", "size=64k");
            std::env::set_current_dir(cwd).unwrap();
            tempcore::reset_temp_dir();
            let err = tempcore::temp_dir().unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
            let message = err.to_string();
            for dir in [
                "\"/tmp\"",
                "\"/var/tmp\"",
                "\"/usr/tmp\"",
                "current directory",
            ] {
                assert!(message.contains(dir), "{dir} missing from: {message}");
            }
            assert!(!message.contains("/tmp/cwd"), "{message}");
            assert!(testkit::entries(cwd).is_empty());
        });
    }
    let scratch = Scratch::new("suid-cwd");
    rerun_set_user_id(
        "a_set_user_id_program_never_falls_back_to_the_current_directory",
        &scratch,
    );
}
