//! The system-call floor: each operation done with nothing but the system
//! calls it needs, relative to a directory descriptor opened once, with no
//! allocation and no error context. Nothing built on these calls can be
//! faster; the benchmarks report every contender as a ratio to them.

use std::ffi::CStr;
use std::io;
use std::os::fd::BorrowedFd;
use std::path::Path;

use rustix::fs::{AtFlags, CWD, Mode, OFlags, mkdirat, openat, statat, unlinkat};

/// The prefix of every floor name, as `tempcore`'s default.
const PREFIX: &[u8] = b"tmp";

/// Random characters per name, as `tempcore::DEFAULT_RAND_LEN` (65 bits).
pub const RAND_LEN: usize = 13;

const NAME_LEN: usize = PREFIX.len() + RAND_LEN;

/// `tempcore`'s alphabet: five bits per character.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A file name on the stack, `tmp` and 13 characters, NUL-terminated, so
/// that the floor never allocates.
#[derive(Debug, Clone)]
pub struct NameBuf {
    bytes: [u8; NAME_LEN + 1],
}

impl Default for NameBuf {
    fn default() -> Self {
        NameBuf::new()
    }
}

impl NameBuf {
    /// A buffer holding `tmp` and 13 `a`s.
    pub fn new() -> NameBuf {
        let mut bytes = [b'a'; NAME_LEN + 1];
        bytes[..PREFIX.len()].copy_from_slice(PREFIX);
        bytes[NAME_LEN] = 0;
        NameBuf { bytes }
    }

    /// A fresh name from one `getrandom` call of 13 bytes: what a name
    /// costs without batching.
    pub fn random(&mut self) -> io::Result<&CStr> {
        let letters = &mut self.bytes[PREFIX.len()..NAME_LEN];
        getrandom(letters)?;
        for b in letters.iter_mut() {
            *b = ALPHABET[usize::from(*b & 31)];
        }
        Ok(self.as_c_str())
    }

    /// The name spelling `n` in 13 base-32 characters, with no system
    /// call: the lower bound under any name generator.
    pub fn counter(&mut self, mut n: u64) -> &CStr {
        for b in self.bytes[PREFIX.len()..NAME_LEN].iter_mut().rev() {
            *b = ALPHABET[(n & 31) as usize];
            n >>= 5;
        }
        self.as_c_str()
    }

    /// The current name.
    pub fn as_c_str(&self) -> &CStr {
        CStr::from_bytes_with_nul(&self.bytes).expect("one NUL, at the end")
    }
}

/// Fills `out` from the kernel's CSPRNG with the `getrandom` system call
/// (no batching, no library in between).
pub fn getrandom(out: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while done < out.len() {
        let rest = &mut out[done..];
        // SAFETY: `rest` is valid for writes of `rest.len()` bytes.
        let got = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if got < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        done += got as usize;
    }
    Ok(())
}

/// An anonymous file, created and closed:
/// `openat(dirfd, ".", O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC, 0600)` + `close`.
pub fn anonymous(dir: BorrowedFd<'_>) -> io::Result<()> {
    drop(anonymous_file(dir)?);
    Ok(())
}

/// An anonymous file left open, for workloads that use one:
/// `openat(dirfd, ".", O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC, 0600)`.
pub fn anonymous_file(dir: BorrowedFd<'_>) -> io::Result<std::fs::File> {
    let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::EXCL | OFlags::CLOEXEC;
    Ok(openat(dir, c".", flags, Mode::RUSR | Mode::WUSR)?.into())
}

/// What a `*_in(path)` call must add to reuse a shared handle of `path`
/// safely: one `newfstatat(AT_FDCWD, path)`, whose device and inode are
/// compared with the handle's (here: only fetched).
pub fn path_identity(path: &Path) -> io::Result<(u64, u64)> {
    let stat = statat(CWD, path, AtFlags::empty())?;
    Ok((stat.st_dev, stat.st_ino))
}

/// A named file, created, closed and removed:
/// `openat(dirfd, name, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)`
/// + `close` + `unlinkat(dirfd, name, 0)`.
pub fn named(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = openat(dir, name, flags, Mode::RUSR | Mode::WUSR)?;
    drop(fd);
    unlinkat(dir, name, AtFlags::empty())?;
    Ok(())
}

/// An empty directory, created and removed: `mkdirat(dirfd, name, 0700)`
/// + `unlinkat(dirfd, name, AT_REMOVEDIR)`.
pub fn empty_dir(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    mkdirat(dir, name, Mode::RWXU)?;
    unlinkat(dir, name, AtFlags::REMOVEDIR)?;
    Ok(())
}

/// An empty directory, created, opened, removed and closed, as a
/// race-free `TempDir` must at least do: `mkdirat(dirfd, name, 0700)` +
/// `openat(dirfd, name, flags|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)` +
/// `unlinkat(dirfd, name, AT_REMOVEDIR)` + `close`.
pub fn empty_dir_held(dir: BorrowedFd<'_>, name: &CStr, flags: OFlags) -> io::Result<()> {
    mkdirat(dir, name, Mode::RWXU)?;
    let flags = flags | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = openat(dir, name, flags, Mode::empty())?;
    unlinkat(dir, name, AtFlags::REMOVEDIR)?;
    drop(fd);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_names_have_the_default_shape_and_differ() {
        let mut buf = NameBuf::new();
        let a = buf.random().unwrap().to_owned();
        let b = buf.random().unwrap().to_owned();
        assert_ne!(a, b);
        let a = a.to_str().unwrap();
        assert_eq!(a.len(), 3 + RAND_LEN);
        assert!(a.starts_with("tmp"));
        assert!(a[3..].bytes().all(|c| ALPHABET.contains(&c)));
    }

    #[test]
    fn counter_names_are_distinct() {
        let mut buf = NameBuf::new();
        let a = buf.counter(0).to_owned();
        let b = buf.counter(1).to_owned();
        let c = buf.counter(u64::MAX).to_owned();
        assert_eq!(a.to_str().unwrap(), "tmpaaaaaaaaaaaaa");
        assert_eq!(b.to_str().unwrap(), "tmpaaaaaaaaaaaab");
        assert_ne!(c, a);
    }

    #[test]
    fn floor_operations_leave_nothing_behind() {
        let root = std::env::temp_dir().join(format!("bench-floor-{}", std::process::id()));
        std::fs::create_dir(&root).unwrap();
        let dir = std::fs::File::open(&root).unwrap();
        let dir = std::os::fd::AsFd::as_fd(&dir);
        let mut name = NameBuf::new();
        anonymous(dir).unwrap();
        named(dir, name.random().unwrap()).unwrap();
        empty_dir(dir, name.random().unwrap()).unwrap();
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
        std::fs::remove_dir(&root).unwrap();
    }
}
