//! Temporary File Location: where files go by default, and overriding it.
//!
//! Python: `gettempdir()` and `gettempprefix()` print `/tmp` and `tmp`;
//! setting `tempfile.tempdir` changes the answer for the whole program.

use std::io;

pub(crate) fn run() -> io::Result<()> {
    println!("gettempdir(): {:?}", tempfs::temp_dir()?);
    println!("gettempprefix(): {:?}", tempfs::gettempprefix());
    println!("searched, in order:");
    let cwd = std::env::current_dir().ok();
    let env = |var: &str| std::env::var_os(var);
    for candidate in tempcore::temp_dir_candidates(&env, cwd.as_deref()) {
        println!("  {}", candidate.display());
    }

    println!();
    println!("overriding the default:");
    let previous = tempfs::temp_dir()?;
    let private = tempfs::TempDir::with_prefix("my-app-")?;
    tempfs::set_temp_dir(private.path())?;
    println!("gettempdir(): {:?}", tempfs::temp_dir()?);
    let file = tempfs::NamedTempFile::new()?;
    println!("a new file goes there: {:?}", file.path());
    drop(file);
    tempfs::set_temp_dir(&previous)?;
    println!("restored: {:?}", tempfs::temp_dir()?);
    private.close()?;
    Ok(())
}
