//! Where the benchmarks run: the default temporary directory and, when
//! present, a tmpfs (`/dev/shm`), each opened once.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The tmpfs most Linux systems mount for POSIX shared memory.
pub const SHM: &str = "/dev/shm";

/// A directory the benchmarks create entries in, with its descriptor held
/// open for the floor's `*at` calls, and as a `tempcore::Dir` for the
/// handle forms (`Builder::tempfile_at(&dir)` and friends).
#[derive(Debug)]
pub struct Place {
    label: &'static str,
    path: PathBuf,
    dir: File,
    handle: Arc<tempcore::Dir>,
}

impl Place {
    /// The default temporary directory (`tempcore::temp_dir()`: `TMPDIR`,
    /// else `/tmp`), labelled `tmp`; then `/dev/shm`, labelled `shm`, if
    /// it is a tmpfs and not the same directory.
    pub fn all() -> io::Result<Vec<Place>> {
        let default = Place::open("tmp", tempcore::temp_dir()?)?;
        let mut places = vec![default];
        if let Ok(shm) = Place::open("shm", PathBuf::from(SHM)) {
            let same = std::fs::canonicalize(&places[0].path)? == std::fs::canonicalize(SHM)?;
            if !same && shm.file_system() == "tmpfs" {
                places.push(shm);
            }
        }
        Ok(places)
    }

    /// The place called `label` (`tmp` or `shm`).
    pub fn find(label: &str) -> io::Result<Place> {
        Place::all()?
            .into_iter()
            .find(|p| p.label == label)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no place called {label:?} on this machine (tmp, or shm for a tmpfs at {SHM})"),
                )
            })
    }

    /// Opens the directory at `path` as a place called `label`.
    pub fn open(label: &'static str, path: impl Into<PathBuf>) -> io::Result<Place> {
        let path = path.into();
        let dir = File::open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("opening {}: {e}", path.display())))?;
        if !dir.metadata()?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", path.display()),
            ));
        }
        let handle = Arc::new(tempcore::Dir::open(&path)?);
        Ok(Place {
            label,
            path,
            dir,
            handle,
        })
    }

    /// `tmp` or `shm`: part of every benchmark group's name.
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open directory, for `*at` calls.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// The directory as a `tempcore::Dir`, opened once: what a program
    /// making many objects in one directory holds and passes to the
    /// handle forms (`*_at`).
    pub fn handle(&self) -> &Arc<tempcore::Dir> {
        &self.handle
    }

    /// Makes this directory the process's default temporary directory, so
    /// that `tempfs::tempfile()` and friends create in it through the
    /// shared handle, as they do for the directory they discover.
    pub fn activate(&self) -> io::Result<()> {
        tempcore::set_temp_dir(&self.path)
    }

    /// The name of the file system the directory is on (`ext4`, `tmpfs`,
    /// ...), or its magic number in hex when it is not one listed here.
    pub fn file_system(&self) -> String {
        match rustix::fs::fstatfs(&self.dir) {
            Ok(stat) => {
                #[allow(
                    clippy::useless_conversion,
                    reason = "f_type is i64 on x86_64, but i32 or u32 on other Linux targets"
                )]
                let magic = i64::from(stat.f_type);
                file_system_name(magic)
            }
            Err(e) => format!("unknown ({e})"),
        }
    }
}

/// Held by tests that change or read the process's default temporary
/// directory, which is one for all threads.
#[cfg(test)]
pub(crate) static DEFAULT_DIR: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Names the file systems temporary directories usually live on.
fn file_system_name(magic: i64) -> String {
    let name = match magic {
        0xEF53 => "ext4",
        0x0102_1994 => "tmpfs",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x794C_7630 => "overlayfs",
        0x2FC1_2FC1 => "zfs",
        0x6573_5546 => "fuse",
        0x6969 => "nfs",
        0x0102_1997 => "9p",
        0x5346_544E => "ntfs",
        0x4D44 => "vfat",
        _ => return format!("{magic:#x}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_place_comes_first_and_is_usable() {
        let _default = DEFAULT_DIR.lock().unwrap_or_else(|e| e.into_inner());
        let places = Place::all().unwrap();
        assert_eq!(places[0].label(), "tmp");
        assert_eq!(places[0].path(), tempcore::temp_dir().unwrap());
        for place in &places {
            assert!(!place.file_system().is_empty());
            crate::floor::anonymous(place.fd()).unwrap();
        }
        let labels: Vec<_> = places.iter().map(Place::label).collect();
        let mut unique = labels.clone();
        unique.dedup();
        assert_eq!(labels, unique);
    }

    #[test]
    fn unknown_places_are_named_in_the_error() {
        let err = Place::find("nowhere").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nowhere"), "{err}");
    }

    #[test]
    fn file_systems_are_named() {
        assert_eq!(file_system_name(0xEF53), "ext4");
        assert_eq!(file_system_name(0x0102_1994), "tmpfs");
        assert_eq!(file_system_name(0x1234), "0x1234");
    }
}
