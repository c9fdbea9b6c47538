//! The Windows backend, written with `std` only: paths joined to the
//! directory's path, `CREATE_NEW` for exclusive creation and
//! `FILE_FLAG_DELETE_ON_CLOSE` for anonymous files.

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use crate::create::FileOptions;
use crate::dir::Dir;
use crate::name::NameSource;

/// Windows operations here go by path: the handle records only that the
/// directory existed and was a directory when opened.
#[derive(Debug)]
pub(crate) struct DirHandle(());

/// The longest file name, in UTF-16 units.
pub(crate) const NAME_MAX: usize = 255;
pub(crate) const NAME_UNITS: &str = "UTF-16 units";
pub(crate) const NAME_UNIT: &str = "unit";

const FILE_SHARE_READ: u32 = 0x1;
const FILE_SHARE_WRITE: u32 = 0x2;
const FILE_SHARE_DELETE: u32 = 0x4;
const FILE_FLAG_DELETE_ON_CLOSE: u32 = 0x0400_0000;
const FILE_ATTRIBUTE_TEMPORARY: u32 = 0x100;

/// The length of a name as NTFS counts it: UTF-16 units.
pub(crate) fn name_len(name: &OsStr) -> usize {
    name.encode_wide().count()
}

/// Describes the first character of `name` that may not appear in a file
/// name.
pub(crate) fn forbidden_name_char(name: &OsStr) -> Option<&'static str> {
    let units: Vec<u16> = name.encode_wide().collect();
    if units.contains(&u16::from(b'/')) {
        Some("the path separator '/'")
    } else if units.contains(&u16::from(b'\\')) {
        Some("the path separator '\\'")
    } else if units.contains(&0) {
        Some("a NUL character")
    } else {
        None
    }
}

/// Checks that `path` is a directory.
pub(crate) fn open_dir(path: &Path) -> io::Result<DirHandle> {
    if std::fs::metadata(path)?.is_dir() {
        Ok(DirHandle(()))
    } else {
        Err(io::ErrorKind::NotADirectory.into())
    }
}

/// Checks that `name` in `parent` is a directory and not a link to one.
pub(crate) fn open_dir_at(parent: &Dir, name: &OsStr) -> io::Result<DirHandle> {
    let meta = std::fs::symlink_metadata(parent.path().join(name))?;
    if meta.is_dir() {
        Ok(DirHandle(()))
    } else {
        Err(io::ErrorKind::NotADirectory.into())
    }
}

/// Nothing to duplicate.
pub(crate) fn clone_dir(_dir: &Dir) -> io::Result<DirHandle> {
    Ok(DirHandle(()))
}

/// Windows has no directory sync.
pub(crate) fn sync_dir(_dir: &Dir) -> io::Result<()> {
    Ok(())
}

/// `CreateFileW(CREATE_NEW)` with `FILE_ATTRIBUTE_TEMPORARY`.
pub(crate) fn create_file_at(dir: &Dir, name: &OsStr, opts: &FileOptions) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create_new(true)
        .attributes(FILE_ATTRIBUTE_TEMPORARY);
    if opts.get_append() {
        options.append(true);
    }
    options.open(dir.path().join(name))
}

/// `CreateDirectoryW`.
pub(crate) fn create_dir_at(dir: &Dir, name: &OsStr, _mode: u32) -> io::Result<()> {
    std::fs::create_dir(dir.path().join(name))
}

/// `DeleteFileW`.
pub(crate) fn remove_file_at(dir: &Dir, name: &OsStr) -> io::Result<()> {
    std::fs::remove_file(dir.path().join(name))
}

/// `RemoveDirectoryW`.
pub(crate) fn remove_dir_at(dir: &Dir, name: &OsStr) -> io::Result<()> {
    std::fs::remove_dir(dir.path().join(name))
}

/// No `O_TMPFILE` on Windows.
pub(crate) fn tmpfile_at(
    _dir: &Dir,
    _opts: &FileOptions,
    _linkable: bool,
) -> io::Result<Option<File>> {
    Ok(None)
}

/// No `O_TMPFILE` on Windows.
pub(crate) fn tmpfile_in(_path: &Path, _opts: &FileOptions) -> io::Result<Option<File>> {
    Ok(None)
}

/// `CreateFileW(CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE)`, shared for
/// delete: the file is removed when its handle closes.
pub(crate) fn anonymous_fallback_at(
    dir: &Dir,
    names: &mut (impl NameSource + ?Sized),
    opts: &FileOptions,
) -> io::Result<File> {
    crate::create::with_fresh_name(dir, names, "creating an anonymous file in", |name| {
        let mut options = OpenOptions::new();
        options
            .read(true)
            .write(true)
            .create_new(true)
            .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
            .custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
            .attributes(FILE_ATTRIBUTE_TEMPORARY);
        if opts.get_append() {
            options.append(true);
        }
        options.open(dir.path().join(name))
    })
    .map(|(file, _name)| file)
}

/// Only `O_TMPFILE` files are linked this way, and Windows has none.
pub(crate) fn link_anonymous_at(_file: &File, _to: &Dir, _name: &OsStr) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` to replace; without replacing,
/// `CreateHardLinkW` (which fails if the target exists) then `DeleteFileW`.
pub(crate) fn rename_at(
    from: &Dir,
    from_name: &OsStr,
    to: &Dir,
    to_name: &OsStr,
    replace: bool,
) -> io::Result<()> {
    let (old, new) = (from.path().join(from_name), to.path().join(to_name));
    if replace {
        return std::fs::rename(old, new);
    }
    std::fs::hard_link(&old, &new)?;
    let _ = std::fs::remove_file(&old);
    Ok(())
}

/// Python's Windows candidates after the environment: the user's
/// `AppData\Local\Temp`, `%SYSTEMROOT%\Temp`, `c:\temp`, `c:\tmp`,
/// `\temp`, `\tmp`. (Python keeps an unexpanded `%SYSTEMROOT%` literally;
/// such a candidate can never be used, so it is left out.)
pub(crate) fn platform_temp_dirs(env: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let home = env("USERPROFILE").filter(|h| !h.is_empty()).or_else(|| {
        let mut home = env("HOMEDRIVE").unwrap_or_default();
        home.push(env("HOMEPATH")?);
        Some(home)
    });
    if let Some(home) = home {
        dirs.push(PathBuf::from(home).join(r"AppData\Local\Temp"));
    }
    if let Some(root) = env("SYSTEMROOT").filter(|r| !r.is_empty()) {
        dirs.push(PathBuf::from(root).join("Temp"));
    }
    dirs.extend([r"c:\temp", r"c:\tmp", r"\temp", r"\tmp"].map(PathBuf::from));
    dirs
}

/// Python's `ntpath.abspath`: join to `cwd` if relative, then normalise
/// lexically (`ntpath.normpath`).
pub(crate) fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in joined.components() {
        match component {
            Component::Prefix(prefix) => out.push(prefix.as_os_str()),
            Component::RootDir => out.push(r"\"),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth > 0 {
                    out.pop();
                    depth -= 1;
                }
            }
            Component::Normal(part) => {
                out.push(part);
                depth += 1;
            }
        }
    }
    out
}

/// Windows has no `fork`: ordinary memory is safe for the random pool.
pub(crate) struct WipedPage {
    bytes: Box<[u8; 4096]>,
}

impl WipedPage {
    /// A zeroed page on the heap.
    pub(crate) fn new() -> Option<WipedPage> {
        Some(WipedPage {
            bytes: Box::new([0; 4096]),
        })
    }

    /// The page's bytes.
    pub(crate) fn bytes(&mut self) -> &mut [u8] {
        &mut self.bytes[..]
    }
}
