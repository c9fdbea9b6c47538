//! Memory-backed files: `memfd_create` where the kernel has it, else an
//! anonymous file in a tmpfs (`/dev/shm`, proven to be one), else an
//! anonymous file in the temporary directory; and seals.

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io;
use std::ops::{BitOr, BitOrAssign};

use crate::create::{FileOptions, anonymous_file_at};
use crate::name::NameSource;
use crate::sys;
use crate::tmpdir::temp_dir_handle;

/// Where a memory-backed file ([`memory_file`]) lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemoryKind {
    /// `memfd_create` (Linux, FreeBSD): memory only, listed in `/proc` as
    /// `/memfd:<name> (deleted)`, sealable if asked for.
    Memfd,
    /// An anonymous file in `/dev/shm`, which `fstatfs` proved to be a
    /// tmpfs: memory (and swap), but not sealable.
    Tmpfs,
    /// An anonymous file in the temporary directory, whatever file system
    /// that is: the last resort (macOS, a kernel or a `seccomp` filter that
    /// refuses `memfd_create` without a tmpfs at `/dev/shm`). On Windows
    /// this is always the answer: a file with `FILE_ATTRIBUTE_TEMPORARY`
    /// (which the cache manager keeps in memory while it can) and
    /// `FILE_DELETE_ON_CLOSE`.
    TempDir,
}

/// Creates a file backed by memory, and says which kind it got.
///
/// First `memfd_create(name, MFD_CLOEXEC)` (with `MFD_ALLOW_SEALING` if
/// `allow_sealing`). Where the kernel has no `memfd_create` or refuses it
/// (`ENOSYS`, `EPERM`, `EACCES`, `EINVAL`: old kernels, other unix,
/// `seccomp` filters), an anonymous file ([`anonymous_file_at`], with
/// `names` and `opts`) in `/dev/shm` if `fstatfs` on the opened directory
/// says `TMPFS_MAGIC`, else (or if creating it there fails) in the
/// temporary directory ([`temp_dir_handle`]). A refusal of `memfd_create` is remembered for the
/// process, so the fallback costs no failed system call twice. Any other
/// error (no descriptors left, no memory) is returned as it is.
///
/// `name` only labels a memfd (in `/proc/self/fd`); it may not hold a NUL
/// byte (`InvalidInput`) and is cut to the kernel's 249 bytes.
pub fn memory_file(
    name: &OsStr,
    allow_sealing: bool,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<(File, MemoryKind)> {
    if let Some(file) = sys::memfd(name, allow_sealing)? {
        return Ok((file, MemoryKind::Memfd));
    }
    if let Some(shm) = sys::shm_dir() {
        if let Ok(file) = anonymous_file_at(&shm, names, opts) {
            return Ok((file, MemoryKind::Tmpfs));
        }
    }
    let dir = temp_dir_handle()?;
    Ok((anonymous_file_at(&dir, names, opts)?, MemoryKind::TempDir))
}

/// A set of seals (`F_SEAL_*`): changes a memfd refuses from the moment
/// they are added, to every descriptor and mapping of it, forever.
///
/// Combine them with `|`: `Seals::SHRINK | Seals::GROW`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Seals(u32);

impl Seals {
    /// No seals.
    pub const NONE: Seals = Seals(0);
    /// `F_SEAL_SEAL`: no more seals may be added.
    pub const SEAL: Seals = Seals(0x1);
    /// `F_SEAL_SHRINK`: the file may not shrink.
    pub const SHRINK: Seals = Seals(0x2);
    /// `F_SEAL_GROW`: the file may not grow (writes past the end fail).
    pub const GROW: Seals = Seals(0x4);
    /// `F_SEAL_WRITE`: the contents may not change (writes fail with
    /// `EPERM`); refused with `EBUSY` while a shared writable mapping exists.
    pub const WRITE: Seals = Seals(0x8);
    /// `F_SEAL_FUTURE_WRITE` (Linux 5.1): no new writes or writable
    /// mappings, existing writable mappings still work.
    pub const FUTURE_WRITE: Seals = Seals(0x10);

    /// The `F_SEAL_*` bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// The seals whose `F_SEAL_*` bits are `bits` (unknown bits kept).
    pub fn from_bits(bits: u32) -> Seals {
        Seals(bits)
    }

    /// Whether every seal in `other` is in `self`.
    pub fn contains(self, other: Seals) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether there are no seals.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Seals {
    type Output = Seals;
    fn bitor(self, other: Seals) -> Seals {
        Seals(self.0 | other.0)
    }
}

impl BitOrAssign for Seals {
    fn bitor_assign(&mut self, other: Seals) {
        self.0 |= other.0;
    }
}

impl fmt::Debug for Seals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Seals, &str); 5] = [
            (Seals::SEAL, "SEAL"),
            (Seals::SHRINK, "SHRINK"),
            (Seals::GROW, "GROW"),
            (Seals::WRITE, "WRITE"),
            (Seals::FUTURE_WRITE, "FUTURE_WRITE"),
        ];
        let mut set = f.debug_set();
        for (seal, name) in NAMES {
            if self.contains(seal) {
                set.entry(&format_args!("{name}"));
            }
        }
        let unknown = self.0 & !0x1f;
        if unknown != 0 {
            set.entry(&format_args!("{unknown:#x}"));
        }
        set.finish()
    }
}

/// Adds `seals` to the file (`fcntl(F_ADD_SEALS)`). Fails with the OS
/// error: `EPERM` if the file was not made sealable or `F_SEAL_SEAL` is
/// set, `EBUSY` for `WRITE` while a writable shared mapping exists,
/// `EINVAL` for a file that is not a memfd; `Unsupported` where the
/// platform has no seals (macOS, Windows).
pub fn add_seals(file: &File, seals: Seals) -> io::Result<()> {
    sys::add_seals(file, seals.bits())
}

/// The seals on the file (`fcntl(F_GET_SEALS)`): `EINVAL` for a file that
/// cannot carry seals; `Unsupported` where the platform has none. A memfd
/// made without sealing answers [`Seals::SEAL`].
pub fn seals(file: &File) -> io::Result<Seals> {
    sys::get_seals(file).map(Seals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_combine_and_show() {
        let s = Seals::SHRINK | Seals::GROW;
        assert!(s.contains(Seals::GROW) && !s.contains(Seals::WRITE));
        assert_eq!(format!("{s:?}"), "{SHRINK, GROW}");
        assert!(Seals::NONE.is_empty());
        assert_eq!(Seals::from_bits(0x100).bits(), 0x100);
    }
}
