//! Linux-only situations: a file system that refuses `O_TMPFILE`, a
//! missing `/proc`, a mount boundary. Each runs in a forked child with a
//! private mount namespace (tests run as root).

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use tempcore::{Dir, FileOptions, LinkOptions, Template, anonymous_file_at, linkable_file_at};
use testkit::Scratch;

use crate::support::Counting;

#[test]
fn a_file_system_that_refuses_o_tmpfile_gets_the_fallback() {
    // mqueue answers O_TMPFILE with EOPNOTSUPP but lets files be created and
    // unlinked: a real refusing file system, mounted in a private mount
    // namespace of a child process (tests run as root).
    on_mqueue_every_round_takes_the_fallback("anon-mqueue", |mount, names| {
        anonymous_file_at(&Dir::open(mount)?, names, &FileOptions::new())
    });
}

#[test]
fn by_path_a_file_system_that_refuses_o_tmpfile_gets_the_fallback() {
    // `anonymous_file(path)` asks for O_TMPFILE by path, without opening
    // the directory: a refusal must still end in the fallback, every time.
    on_mqueue_every_round_takes_the_fallback("anon-mqueue-path", |mount, names| {
        tempcore::anonymous_file(mount, names, &FileOptions::new())
    });
}

/// Makes an anonymous file with `create` on an mqueue mount, three times:
/// each must draw exactly one name (the fallback's) and leave no entry.
fn on_mqueue_every_round_takes_the_fallback(
    label: &str,
    create: impl Fn(&Path, &mut Counting<Template<'_>>) -> io::Result<File>,
) {
    let scratch = Scratch::new(label);
    let mount = scratch.join("mq");
    std::fs::create_dir(&mount).unwrap();
    testkit::child::check(|| {
        testkit::child::private_mount_namespace();
        testkit::child::mount("none", &mount, "mqueue", "");
        for round in 0..3 {
            let mut names = Counting {
                inner: Template::default(),
                drawn: 0,
            };
            let file = create(&mount, &mut names).unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert_eq!(names.drawn, 1, "round {round} took the fallback");
            assert_eq!(file.metadata().unwrap().nlink(), 0);
            assert!(
                testkit::entries(&mount).is_empty(),
                "round {round} left a name"
            );
        }
    });
}

#[test]
fn linking_works_without_proc_through_at_empty_path() {
    let scratch = Scratch::new("no-proc");
    testkit::child::check(|| {
        testkit::child::private_mount_namespace();
        testkit::child::mount("none", std::path::Path::new("/proc"), "tmpfs", "size=16k");
        assert!(!std::path::Path::new("/proc/self/fd").exists());
        let dir = Dir::open(scratch.path()).unwrap();
        let mut draft =
            linkable_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
        assert!(draft.staged_path().is_none(), "a true O_TMPFILE file");
        draft.as_file_mut().write_all(b"linked").unwrap();
        // Root has CAP_DAC_READ_SEARCH, which AT_EMPTY_PATH needs.
        draft
            .link_at(&dir, "final", &LinkOptions::no_replace())
            .unwrap();
        assert_eq!(std::fs::read(scratch.join("final")).unwrap(), b"linked");
    });
}

/// Whether this kernel lets this process give an `O_TMPFILE` file a name
/// with `linkat(fd, "", dir, name, AT_EMPTY_PATH)`, asked with bare system
/// calls in `dir` (the name is removed again); `None` where `dir`'s file
/// system has no `O_TMPFILE` at all.
fn kernel_links_at_empty_path(dir: &Path) -> Option<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    let dir = CString::new(dir.as_os_str().as_bytes()).unwrap();
    let probe = c"empty-path-probe";
    // SAFETY: plain system calls with valid NUL-terminated strings; the
    // descriptors are closed before returning.
    unsafe {
        let flags = libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC;
        let fd = libc::open(dir.as_ptr(), flags, 0o600);
        if fd < 0 {
            let refused = io::Error::last_os_error().raw_os_error();
            assert!(
                matches!(
                    refused,
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ),
                "O_TMPFILE: {}",
                io::Error::last_os_error()
            );
            return None;
        }
        let dirfd = libc::open(dir.as_ptr(), libc::O_DIRECTORY | libc::O_CLOEXEC);
        assert!(dirfd >= 0, "{}", io::Error::last_os_error());
        let linked =
            libc::linkat(fd, c"".as_ptr(), dirfd, probe.as_ptr(), libc::AT_EMPTY_PATH) == 0;
        if linked {
            assert_eq!(libc::unlinkat(dirfd, probe.as_ptr(), 0), 0);
        }
        libc::close(fd);
        libc::close(dirfd);
        Some(linked)
    }
}

#[test]
fn linking_as_nobody_without_proc_links_or_fails_cleanly() {
    // Without /proc only AT_EMPTY_PATH is left. Older kernels allow it only
    // with CAP_DAC_READ_SEARCH; newer ones (6.10 on) also to the process
    // that opened the file. The kernel is asked directly first: where it
    // links, so must we; where it refuses, we fail with nothing half done.
    // (Where the file system has no O_TMPFILE the draft has a hidden name
    // and is renamed: that must work.)
    let scratch = Scratch::new("no-proc-nobody");
    testkit::set_mode(scratch.path(), 0o777);
    testkit::child::check(|| {
        testkit::child::private_mount_namespace();
        testkit::child::mount("none", std::path::Path::new("/proc"), "tmpfs", "size=16k");
        testkit::child::become_nobody();
        let kernel_links = kernel_links_at_empty_path(scratch.path()).unwrap_or(true);
        let dir = Dir::open(scratch.path()).unwrap();
        let mut draft =
            linkable_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
        draft.as_file_mut().write_all(b"data").unwrap();
        match draft.link_at(&dir, "final", &LinkOptions::no_replace()) {
            Ok(_) => {
                assert!(
                    kernel_links,
                    "linked where the kernel refuses AT_EMPTY_PATH?"
                );
                assert_eq!(std::fs::read(scratch.join("final")).unwrap(), b"data");
            }
            Err(failed) => {
                assert!(
                    !kernel_links,
                    "the kernel links with AT_EMPTY_PATH, but link_at failed: {}",
                    failed.error
                );
                assert!(
                    failed.error.to_string().contains("final"),
                    "{}",
                    failed.error
                );
                assert!(
                    testkit::entries(scratch.path()).is_empty(),
                    "nothing left behind"
                );
                let mut file = failed.file.into_file().unwrap();
                file.write_all(b"still mine").unwrap();
            }
        }
    });
}

#[test]
fn crossing_a_mount_is_crosses_devices_and_says_what_to_do() {
    let scratch = Scratch::new("xdev");
    let other = scratch.join("other");
    std::fs::create_dir(&other).unwrap();
    testkit::child::check(|| {
        testkit::child::private_mount_namespace();
        testkit::child::mount("none", &other, "tmpfs", "size=64k");
        let here = Dir::open(scratch.path()).unwrap();
        let there = Dir::open(&other).unwrap();
        for opts in [FileOptions::new(), FileOptions::new().tmpfile(false)] {
            let mut draft =
                linkable_file_at(&here, &mut Template::new(".tmp", "", 13).unwrap(), &opts)
                    .unwrap();
            for how in [LinkOptions::replace(), LinkOptions::no_replace()] {
                let failed = draft.link_at(&there, "target", &how).unwrap_err();
                assert_eq!(failed.error.kind(), std::io::ErrorKind::CrossesDevices);
                let message = failed.error.to_string();
                assert!(message.contains("another file system"), "{message}");
                assert!(message.contains("target"), "{message}");
                draft = failed.file;
            }
        }
        assert!(testkit::entries(&other).is_empty());
        assert!(
            testkit::entries(scratch.path())
                .iter()
                .all(|n| n == "other")
        );
    });
}

#[test]
fn a_thread_with_its_own_descriptor_table_links_its_own_file() {
    // `/proc/self/fd/N` is the main thread's descriptor N. In a thread that
    // has unshared its descriptor table, N there is another file: linking
    // through it would publish that file instead of ours.
    use std::os::fd::AsRawFd;

    let scratch = Scratch::new("thread-self");
    std::fs::write(scratch.join("secret"), b"the main thread's file").unwrap();
    testkit::child::check(|| {
        let secret = File::open(scratch.join("secret")).unwrap();
        let path = scratch.path().to_path_buf();
        testkit::child::with_decoy_at_the_same_number(
            &secret,
            move || {
                let dir = Dir::open(&path).unwrap();
                let mut draft =
                    linkable_file_at(&dir, &mut Template::default(), &FileOptions::new()).unwrap();
                draft.as_file_mut().write_all(b"ours").unwrap();
                (draft.as_file().as_raw_fd(), (dir, draft))
            },
            |(dir, draft)| {
                let linked = draft.link_at(&dir, "published", &LinkOptions::no_replace());
                linked.map(drop).map_err(|failed| failed.error).unwrap();
            },
        );
        assert_eq!(std::fs::read(scratch.join("published")).unwrap(), b"ours");
    });
}
