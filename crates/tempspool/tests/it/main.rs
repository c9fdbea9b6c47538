//! Behaviour tests of tempspool, one module per topic.

mod api;
mod async_spool;
mod budget;
mod buffering;
mod descriptors;
mod disk_budget;
mod doc_examples;
mod failure;
mod kill;
mod memory_backed;
mod model;
mod python;

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use tempspool::SpooledTempFile;

/// Everything in `spool`, read through the spool itself, leaving its
/// position where it was.
fn contents(spool: &mut SpooledTempFile) -> Vec<u8> {
    let pos = spool.stream_position().expect("position");
    spool.rewind().expect("rewind");
    let mut all = Vec::new();
    spool.read_to_end(&mut all).expect("read_to_end");
    spool.seek(SeekFrom::Start(pos)).expect("seek back");
    all
}

/// A directory for rollover files that is fast to create files in: a
/// tmpfs (`/dev/shm`) where there is one, else the default temporary
/// directory.
fn fast_dir() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() && tempfs::tempfile_in(&shm).is_ok() {
        shm
    } else {
        tempfs::temp_dir().expect("a temporary directory")
    }
}
