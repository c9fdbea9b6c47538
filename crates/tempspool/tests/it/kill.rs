//! A process killed with a rolled-over spool leaves no file behind: the
//! file never had a name.
// Not on WASI: children killed by signals.
#![cfg(unix)]

use std::io::Write;
use std::os::unix::fs::MetadataExt;

use tempspool::SpooledTempFile;
use testkit::Scratch;
use testkit::child::{self, Outcome};

#[test]
fn sigkill_with_a_rolled_spool_leaves_no_file() {
    let scratch = Scratch::new("spool-kill");
    let dir = scratch.path().to_path_buf();
    let outcome = child::run(|| {
        let mut spool = SpooledTempFile::new_in(16, &dir);
        spool.write_all(&[7; 100_000]).unwrap();
        spool.write_all(b"still buffered").unwrap();
        assert!(spool.is_rolled());
        let meta = spool.as_file().unwrap().metadata().unwrap();
        assert_eq!(meta.len(), 100_014, "the data is in the file");
        assert_eq!(meta.nlink(), 0, "the file has no name");
        assert!(
            testkit::entries(&dir).is_empty(),
            "nothing in the directory"
        );
        // SAFETY: killing our own (child) process.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        unreachable!("SIGKILL cannot be caught");
    });
    assert_eq!(outcome, Outcome::Signaled(libc::SIGKILL));
    assert_eq!(scratch.entries(), Vec::<std::ffi::OsString>::new());
}
