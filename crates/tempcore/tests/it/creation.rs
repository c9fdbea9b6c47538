//! Exclusive creation against whatever an attacker plants at the name.
//!
//! Every planted object sits at the exact name the creator tries first
//! (a scripted name source makes that name known); the creator must not
//! open, follow or change it, and must succeed with the next name.

use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use tempcore::{Dir, FileOptions, Template, create_dir_at, create_file_at};
use testkit::Scratch;

use crate::support::{Counting, Scripted};

const PLANTED: &str = "tmpplanted";
const FRESH: &str = "tmpfresh";

fn victim(scratch: &Scratch) -> std::path::PathBuf {
    let victim = scratch.join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    victim
}

fn assert_victim_untouched(victim: &Path) {
    assert_eq!(std::fs::read(victim).unwrap(), b"precious");
    assert_eq!(testkit::mode_of(victim), 0o644);
}

/// Creates a file and a directory with `PLANTED` then `FRESH` as the
/// candidate names, and checks both skipped the planted name.
fn create_past_plant(scratch: &Scratch) {
    let dir = Dir::open(scratch.path()).unwrap();
    let mut names = Scripted::new([PLANTED, FRESH]);
    let (mut file, name) = create_file_at(&dir, &mut names, &FileOptions::new()).unwrap();
    assert_eq!(name, FRESH);
    assert_eq!(names.drawn.get(), 2);
    file.write_all(b"mine").unwrap();
    assert_eq!(std::fs::read(scratch.join(FRESH)).unwrap(), b"mine");
    std::fs::remove_file(scratch.join(FRESH)).unwrap();

    let mut names = Scripted::new([PLANTED, FRESH]);
    let name = create_dir_at(&dir, &mut names, 0o700).unwrap();
    assert_eq!(name, FRESH);
    assert!(scratch.join(FRESH).is_dir());
    std::fs::remove_dir(scratch.join(FRESH)).unwrap();
}

#[test]
fn symlink_to_a_victim_is_never_followed() {
    let scratch = Scratch::new("plant-symlink");
    let victim = victim(&scratch);
    std::os::unix::fs::symlink(&victim, scratch.join(PLANTED)).unwrap();
    create_past_plant(&scratch);
    assert_victim_untouched(&victim);
    assert!(
        std::fs::symlink_metadata(scratch.join(PLANTED))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn dangling_symlink_is_never_followed() {
    let scratch = Scratch::new("plant-dangling");
    let target = scratch.join("would-be-created");
    std::os::unix::fs::symlink(&target, scratch.join(PLANTED)).unwrap();
    create_past_plant(&scratch);
    assert!(!target.exists(), "creation followed a dangling symlink");
}

#[test]
fn hard_link_to_a_victim_is_never_opened() {
    let scratch = Scratch::new("plant-hardlink");
    let victim = victim(&scratch);
    std::fs::hard_link(&victim, scratch.join(PLANTED)).unwrap();
    create_past_plant(&scratch);
    assert_victim_untouched(&victim);
    assert_eq!(std::fs::metadata(&victim).unwrap().nlink(), 2);
}

#[test]
fn fifo_is_never_opened() {
    let scratch = Scratch::new("plant-fifo");
    let fifo = scratch.join(PLANTED);
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    // Opening a FIFO without O_EXCL would block forever: run in a child
    // with an alarm so that a regression fails instead of hanging.
    testkit::child::check(|| {
        // SAFETY: arms a timer in this forked child.
        unsafe { libc::alarm(10) };
        create_past_plant(&scratch);
    });
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn directory_and_socket_are_skipped() {
    let scratch = Scratch::new("plant-dir");
    std::fs::create_dir(scratch.join(PLANTED)).unwrap();
    std::fs::write(scratch.join(PLANTED).join("inside"), b"x").unwrap();
    create_past_plant(&scratch);
    assert_eq!(
        std::fs::read(scratch.join(PLANTED).join("inside")).unwrap(),
        b"x"
    );

    let scratch = Scratch::new("plant-socket");
    let _socket = std::os::unix::net::UnixListener::bind(scratch.join(PLANTED)).unwrap();
    create_past_plant(&scratch);
    assert!(
        std::fs::symlink_metadata(scratch.join(PLANTED))
            .unwrap()
            .file_type()
            .is_socket()
    );
}

#[test]
fn every_name_taken_is_already_exists_after_bounded_attempts() {
    let scratch = Scratch::new("exhaust");
    for &letter in tempcore::ALPHABET {
        std::fs::write(scratch.join(format!("x{}", letter as char)), b"").unwrap();
    }
    let dir = Dir::open(scratch.path()).unwrap();
    let mut names = Counting {
        inner: Template::new("x", "", 1).unwrap(),
        drawn: 0,
    };
    let err = create_file_at(&dir, &mut names, &FileOptions::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(
        names.drawn,
        tempcore::MAX_ATTEMPTS,
        "stops after the documented bound"
    );
    assert!(
        err.to_string().contains(scratch.path().to_str().unwrap()),
        "{err}"
    );
    let mut names = Counting {
        inner: Template::new("x", "", 1).unwrap(),
        drawn: 0,
    };
    let err = create_dir_at(&dir, &mut names, 0o700).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(scratch.entries().len(), 32, "nothing was added");
}

#[test]
fn other_errors_end_at_once_and_name_the_directory() {
    let scratch = Scratch::new("not-a-dir");
    let file = scratch.join("plain");
    std::fs::write(&file, b"").unwrap();
    let err =
        tempcore::create_file(&file, &mut Template::default(), &FileOptions::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotADirectory);
    assert!(err.to_string().contains("plain"), "{err}");

    let missing = scratch.join("missing");
    let err = tempcore::create_dir(&missing, &mut Template::default(), 0o700).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(
        tempcore::PathError::find(&err).unwrap().path(),
        missing.as_path()
    );

    // A name the file system rejects is not retried.
    let dir = Dir::open(scratch.path()).unwrap();
    let mut names = Counting {
        inner: Scripted::new(["a/b", "ok"]),
        drawn: 0,
    };
    let err = create_file_at(&dir, &mut names, &FileOptions::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(names.drawn, 1);
}

#[test]
fn umask_zero_still_gives_private_modes() {
    let scratch = Scratch::new("umask");
    testkit::child::check(|| {
        // SAFETY: changes the umask of this forked child only.
        unsafe { libc::umask(0) };
        let dir = Dir::open(scratch.path()).unwrap();
        let (file, name) =
            create_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(testkit::mode_of(&scratch.join(&name)), 0o600);
        let name = create_dir_at(&dir, &mut Template::default(), tempcore::DIR_MODE).unwrap();
        assert_eq!(testkit::mode_of(&scratch.join(&name)), 0o700);
        let anon = tempcore::anonymous_file_at(&dir, &mut Template::default(), &FileOptions::new())
            .unwrap();
        assert_eq!(anon.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        let forced = FileOptions::new().tmpfile(false);
        let anon = tempcore::anonymous_file_at(&dir, &mut Template::default(), &forced).unwrap();
        assert_eq!(anon.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    });
}

#[test]
fn custom_mode_and_append() {
    let scratch = Scratch::new("mode-append");
    let dir = Dir::open(scratch.path()).unwrap();
    let opts = FileOptions::new().mode(0o640).append(true);
    let (mut file, name) = create_file_at(&dir, &mut Template::default(), &opts).unwrap();
    file.write_all(b"one").unwrap();
    use std::io::Seek;
    file.rewind().unwrap();
    file.write_all(b"two").unwrap();
    let mut back = String::new();
    std::fs::File::open(scratch.join(&name))
        .unwrap()
        .read_to_string(&mut back)
        .unwrap();
    assert_eq!(back, "onetwo", "append mode writes at the end");
    // The mode asked for, exactly, where no umask takes bits away.
    testkit::child::check(|| {
        // SAFETY: changes the umask of this forked child only.
        unsafe { libc::umask(0) };
        let (_, name) = create_file_at(&dir, &mut Template::default(), &opts).unwrap();
        assert_eq!(testkit::mode_of(&scratch.join(&name)), 0o640);
    });
    // And the umask applies, as it does to every open(2).
    testkit::child::check(|| {
        // SAFETY: as above.
        unsafe { libc::umask(0o077) };
        let (_, name) = create_file_at(&dir, &mut Template::default(), &opts).unwrap();
        assert_eq!(testkit::mode_of(&scratch.join(&name)), 0o600);
    });
}

/// Descriptors a new file or directory handle could leak into a child.
fn raw_fds(scratch: &Scratch) -> (Vec<i32>, Vec<Box<dyn std::any::Any>>) {
    use std::os::fd::AsRawFd;
    let dir = Dir::open(scratch.path()).unwrap();
    let sub = tempcore::create_dir_at(&dir, &mut Template::default(), 0o700).unwrap();
    let child_dir = Dir::open_at(&dir, &sub).unwrap();
    let (file, _) = create_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    let anon =
        tempcore::anonymous_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    let forced = FileOptions::new().tmpfile(false);
    let fallback = tempcore::anonymous_file_at(&dir, &mut Template::default(), &forced).unwrap();
    let linkable = tempcore::linkable_file_at(&dir, &mut Template::default(), &forced).unwrap();
    let clone = dir.try_clone().unwrap();
    let fds = vec![
        dir.as_raw_fd(),
        child_dir.as_raw_fd(),
        file.as_raw_fd(),
        anon.as_raw_fd(),
        fallback.as_raw_fd(),
        linkable.as_file().as_raw_fd(),
        clone.as_raw_fd(),
    ];
    let keep: Vec<Box<dyn std::any::Any>> = vec![
        Box::new(dir),
        Box::new(child_dir),
        Box::new(file),
        Box::new(anon),
        Box::new(fallback),
        Box::new(linkable),
        Box::new(clone),
    ];
    (fds, keep)
}

#[test]
fn every_descriptor_is_close_on_exec() {
    let scratch = Scratch::new("cloexec");
    let (fds, _keep) = raw_fds(&scratch);
    for &fd in &fds {
        // SAFETY: querying the flags of a descriptor we hold open.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert!(
            flags >= 0 && flags & libc::FD_CLOEXEC != 0,
            "fd {fd} lacks FD_CLOEXEC"
        );
    }
    // And as a program started by exec sees it.
    let list: Vec<String> = fds.iter().map(|fd| fd.to_string()).collect();
    let script = "for fd in $FDS; do [ -e /proc/self/fd/$fd ] && echo \"leaked $fd\"; done; true";
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", script])
        .env("FDS", list.join(" "))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "descriptors leaked across exec"
    );
}

#[test]
fn emfile_passes_through_unchanged() {
    let scratch = Scratch::new("emfile");
    testkit::child::check(|| {
        let dir = Dir::open(scratch.path()).unwrap();
        let mut hold = Vec::new();
        testkit::child::set_rlimit(libc::RLIMIT_NOFILE, 16);
        let err = loop {
            match create_file_at(&dir, &mut Template::default(), &FileOptions::new()) {
                Ok(file) => hold.push(file),
                Err(e) => break e,
            }
        };
        assert_eq!(err.raw_os_error(), None, "wrapped with the path");
        let os = tempcore::PathError::find(&err).unwrap().os_error();
        assert_eq!(os.raw_os_error(), Some(libc::EMFILE));
        assert!(err.to_string().contains(scratch.path().to_str().unwrap()));
    });
}

#[test]
fn directory_handle_is_immune_to_the_path_being_swapped() {
    let scratch = Scratch::new("swap-base");
    let real = scratch.join("real");
    let elsewhere = scratch.join("elsewhere");
    std::fs::create_dir(&real).unwrap();
    std::fs::create_dir(&elsewhere).unwrap();
    let dir = Dir::open(&real).unwrap();
    // The path now leads somewhere else; the handle does not.
    std::fs::rename(&real, scratch.join("moved")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &real).unwrap();
    let (_file, name) =
        create_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
    assert!(scratch.join("moved").join(&name).exists());
    assert!(testkit::entries(&elsewhere).is_empty());
}
