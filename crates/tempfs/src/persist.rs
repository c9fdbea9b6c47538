//! Giving a temporary file its final name: the options, the shape of the
//! errors that hand the temporary file back (each error lives beside its
//! type), and the copy across file systems.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::Path;

use tempcore::{DEFAULT_RAND_LEN, FileOptions, LinkOptions, PathError, Template};

use crate::place::open_target;
use crate::sys;

/// How [`TempFile::persist_with`](crate::TempFile::persist_with) and
/// [`NamedTempFile::persist_with`](crate::NamedTempFile::persist_with) give
/// a file its final name.
///
/// ```
/// use tempfs::PersistOptions;
/// let opts = PersistOptions::no_replace().durable(true);
/// assert!(!opts.replaces() && opts.is_durable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersistOptions {
    replace: bool,
    durable: bool,
    copy_across_devices: bool,
}

impl Default for PersistOptions {
    /// [`PersistOptions::replace`].
    fn default() -> Self {
        PersistOptions::replace()
    }
}

impl PersistOptions {
    /// Atomically replace whatever file is at the target (as `persist`).
    pub const fn replace() -> Self {
        PersistOptions {
            replace: true,
            durable: false,
            copy_across_devices: false,
        }
    }

    /// Fail with [`io::ErrorKind::AlreadyExists`] if anything is at the
    /// target, changing nothing (as `persist_noclobber`).
    pub const fn no_replace() -> Self {
        PersistOptions {
            replace: false,
            ..PersistOptions::replace()
        }
    }

    /// Also flush the file's data to stable storage before it gets its
    /// name, and the target directory after, so that after a power cut the
    /// target holds the complete new file or the old one (`fsync` on both).
    pub const fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// When the target is on another file system (`EXDEV`), copy the data
    /// into a new anonymous file in the target's directory and give *that*
    /// its name, instead of failing. Readers of the target still see the
    /// old file or the complete new one; the copy costs time and space in
    /// proportion to the file, and the returned file is the copy.
    ///
    /// Without it, the `CrossesDevices` error of a persist names this
    /// option in its message.
    pub const fn copy_across_devices(mut self, copy: bool) -> Self {
        self.copy_across_devices = copy;
        self
    }

    /// Whether an existing target is replaced.
    pub const fn replaces(&self) -> bool {
        self.replace
    }

    /// Whether [`durable`](Self::durable) is set.
    pub const fn is_durable(&self) -> bool {
        self.durable
    }

    /// Whether [`copy_across_devices`](Self::copy_across_devices) is set.
    pub const fn copies_across_devices(&self) -> bool {
        self.copy_across_devices
    }

    pub(crate) fn link_options(&self) -> LinkOptions {
        let link = if self.replace {
            LinkOptions::replace()
        } else {
            LinkOptions::no_replace()
        };
        link.durable(self.durable)
    }
}

/// What the message of a cross-device failure adds: the option that copies.
pub(crate) const COPY_HINT: &str = "or persist with \
    `PersistOptions::replace().copy_across_devices(true)` to copy it there";

/// What the message of a refused no-replace persist adds: the call that
/// replaces.
pub(crate) const REPLACE_HINT: &str =
    "`persist` (`PersistOptions::replace()`) replaces what is there";

/// `error` from a persist made as `opts` say, its message naming the
/// option that would have avoided it where there is one: crossing file
/// systems ([`PersistOptions::copy_across_devices`]) and an existing
/// target when not replacing ([`PersistOptions::replace`]).
pub(crate) fn advise(error: io::Error, opts: &PersistOptions) -> io::Error {
    match error.kind() {
        io::ErrorKind::CrossesDevices if !opts.copies_across_devices() => {
            PathError::with_hint(error, COPY_HINT)
        }
        io::ErrorKind::AlreadyExists if !opts.replaces() => {
            PathError::with_hint(error, REPLACE_HINT)
        }
        _ => error,
    }
}

/// The error and display of the three persist errors (each beside the
/// type it gives back): the message is the inner error's (it already says
/// what was being done and to which path), so the chain of sources
/// continues below it.
macro_rules! persist_error {
    ($ty:ty, $field:ident, $back:ty $(, $gen:ident)?) => {
        impl$(<$gen>)? std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.error.fmt(f)
            }
        }

        impl$(<$gen>)? std::error::Error for $ty {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.error.source()
            }
        }

        impl$(<$gen>)? From<$ty> for std::io::Error {
            fn from(err: $ty) -> std::io::Error {
                err.error
            }
        }

        impl$(<$gen>)? From<$ty> for $back {
            fn from(err: $ty) -> $back {
                err.$field
            }
        }
    };
}
pub(crate) use persist_error;

/// The fallback for a target on another file system: copies `source` (from
/// its start, leaving its position as it was) into a new anonymous file in
/// the target's directory, with the same permission bits, and links that
/// at the target as `opts` say. Readers of the target see the old file or
/// the complete copy. Returns the copy, positioned where `source` was.
pub(crate) fn copy_across(source: &File, target: &Path, opts: &PersistOptions) -> io::Result<File> {
    let copying = |e| PathError::wrap(e, "copying a temporary file across file systems to", target);
    let (to, name) = open_target(target)?;
    let mode = sys::mode_of(&source.metadata().map_err(copying)?.permissions());
    let mut names = Template::new(".tmp", "", DEFAULT_RAND_LEN)?;
    let mut copy = tempcore::linkable_file_at(&to, &mut names, &FileOptions::new().mode(mode))?;
    let mut reader = source;
    let position = reader.stream_position().map_err(copying)?;
    let copied = reader
        .rewind()
        .and_then(|()| io::copy(&mut reader, copy.as_file_mut()));
    let restored = reader.seek(SeekFrom::Start(position));
    copied.and(restored).map_err(copying)?;
    copy.as_file_mut()
        .seek(SeekFrom::Start(position))
        .map_err(copying)?;
    copy.link_at(&to, name, &opts.link_options())
        .map_err(io::Error::from)
}
