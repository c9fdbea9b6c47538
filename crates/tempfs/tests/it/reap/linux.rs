//! Linux only: mount points among the entries (in a private mount
//! namespace), and the real `systemd-tmpfiles --clean`, which must leave
//! a live owner's locked directory alone.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tempfs::{Builder, WhyLeft};
use testkit::Scratch;
use testkit::child::{self, Outcome};

use super::{left, make_objects, names_starting};

#[test]
fn mount_points_are_left_and_not_entered() {
    let scratch = Scratch::new("reap-mounts");
    let dir = scratch.path().to_path_buf();
    let elsewhere = Scratch::new("reap-mounts-bind");
    fs::write(elsewhere.join("inside"), b"not ours to remove").unwrap();
    child::check(|| {
        child::private_mount_namespace();
        // A file system of its own, and a bind mount of a directory of the
        // same file system (same device: only the mount table tells).
        let tmpfs = dir.join("job-tmpfs");
        fs::create_dir(&tmpfs).unwrap();
        child::mount("tmpfs", &tmpfs, "tmpfs", "mode=0700");
        fs::write(tmpfs.join("inside"), b"not ours to remove").unwrap();
        let bind = dir.join("job-bind");
        fs::create_dir(&bind).unwrap();
        child::mount_flags(
            elsewhere.path().to_str().unwrap(),
            &bind,
            "",
            libc::MS_BIND,
            "",
        );
        let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
        assert!(report.removed.is_empty(), "{report:?}");
        assert_eq!(
            left(&report, |r| matches!(r, WhyLeft::MountPoint)).len(),
            2,
            "{report:?}"
        );
        assert!(tmpfs.join("inside").exists());
        assert!(bind.join("inside").exists());
    });
    assert!(elsewhere.join("inside").exists());
    // The mount points, empty again once the namespace is gone.
    let report = tempfs::reap(&dir, "job-", Duration::ZERO).unwrap();
    assert_eq!(report.removed.len(), 2, "{report:?}");
}

/// `systemd-tmpfiles`, or `None` locally when it is missing (a failure
/// under `TEMPKIT_CI=1`: `.ci/run` installs Debian's `systemd` package).
fn tmpfiles() -> Option<PathBuf> {
    let found = ["/usr/bin/systemd-tmpfiles", "/bin/systemd-tmpfiles"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        let reason = "systemd-tmpfiles is not installed (Debian: apt-get install systemd), so \
                      the test that it keeps off locked directories cannot run";
        assert!(
            std::env::var_os("TEMPKIT_CI").is_none_or(|v| v != "1"),
            "{reason} (TEMPKIT_CI=1: CI may not skip it; .ci/run installs it)"
        );
        eprintln!("{reason}: skipped");
    }
    found
}

/// Runs `systemd-tmpfiles --clean` on `dir` alone: a configuration of
/// our own naming only `dir`, everything in it older than 0 s to go, and
/// `--prefix` limiting it to `dir` again. Nothing else is read or
/// cleaned.
fn clean(tmpfiles: &Path, dir: &Path, config_dir: &Path) {
    let config = config_dir.join("reap-test.conf");
    fs::write(&config, format!("e {} - - - 0\n", dir.display())).unwrap();
    let out = Command::new(tmpfiles)
        .arg("--clean")
        .arg(format!("--prefix={}", dir.display()))
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "systemd-tmpfiles: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn systemd_tmpfiles_keeps_off_a_live_owners_directory() {
    let Some(tmpfiles) = tmpfiles() else { return };
    let scratch = Scratch::new("reap-tmpfiles");
    let config = Scratch::new("reap-tmpfiles-config");
    let dir = scratch.path().to_path_buf();
    let live = child::spawn(|| make_objects(&dir, "job-live-"));
    let dead = child::spawn(|| make_objects(&dir, "job-dead-"));
    let own = Builder::new()
        .prefix("job-own-")
        .owner_lock(true)
        .tempdir_in(&dir)
        .unwrap();
    fs::write(own.path().join("data"), b"ours").unwrap();
    assert_eq!(dead.kill(libc::SIGKILL), Outcome::Signaled(libc::SIGKILL));

    clean(&tmpfiles, &dir, config.path());
    // The live owners' directories are whole; the dead one's is gone.
    // (Named files are not: systemd-tmpfiles does not look at locks on
    // files.)
    let live_dirs: Vec<_> = names_starting(&dir, "job-live-")
        .into_iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(live_dirs.len(), 1, "{:?}", scratch.entries());
    assert_eq!(
        fs::read(live_dirs[0].join("sub/more")).unwrap(),
        b"more work"
    );
    assert_eq!(fs::read(own.path().join("data")).unwrap(), b"ours");
    assert!(
        names_starting(&dir, "job-dead-").is_empty(),
        "{:?}",
        scratch.entries()
    );

    // Once the owner is dead, the same clean removes it.
    assert_eq!(live.kill(libc::SIGKILL), Outcome::Signaled(libc::SIGKILL));
    clean(&tmpfiles, &dir, config.path());
    assert!(
        names_starting(&dir, "job-live-").is_empty(),
        "{:?}",
        scratch.entries()
    );
    assert!(own.path().join("data").exists());
    own.close().unwrap();
    assert!(scratch.entries().is_empty(), "{:?}", scratch.entries());
}
