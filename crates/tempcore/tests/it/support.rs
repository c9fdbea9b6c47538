//! Helpers shared by the modules of this test binary.

use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;

use tempcore::NameSource;

/// A name source that hands out exactly the given names, in order, and
/// counts how many were asked for: lets a test plant something at the very
/// name a creator will try first.
#[derive(Debug)]
pub(crate) struct Scripted {
    names: VecDeque<OsString>,
    pub(crate) drawn: Cell<usize>,
}

impl Scripted {
    pub(crate) fn new<I: IntoIterator<Item = S>, S: Into<OsString>>(names: I) -> Scripted {
        Scripted {
            names: names.into_iter().map(Into::into).collect(),
            drawn: Cell::new(0),
        }
    }
}

impl NameSource for Scripted {
    fn next_name(&mut self) -> io::Result<OsString> {
        self.drawn.set(self.drawn.get() + 1);
        self.names
            .pop_front()
            .ok_or_else(|| io::Error::other("the scripted names ran out"))
    }

    fn attempts(&self) -> u32 {
        u32::try_from(self.names.len()).unwrap_or(u32::MAX)
    }
}

/// Counts the names drawn from an inner source.
#[derive(Debug)]
pub(crate) struct Counting<N> {
    pub(crate) inner: N,
    pub(crate) drawn: u32,
}

impl<N: NameSource> NameSource for Counting<N> {
    fn next_name(&mut self) -> io::Result<OsString> {
        self.drawn += 1;
        self.inner.next_name()
    }

    fn attempts(&self) -> u32 {
        self.inner.attempts()
    }
}
