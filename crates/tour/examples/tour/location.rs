//! Temporary File Location: where files go by default, and overriding it.
//!
//! Python: `gettempdir()` and `gettempprefix()` print `/tmp` and `tmp`;
//! setting `tempfile.tempdir` changes the answer for the whole program.

use std::io;

pub(crate) fn run() -> io::Result<()> {
    println!("gettempdir(): {:?}", tempcore::temp_dir()?);
    println!("gettempprefix(): {:?}", tempcore::DEFAULT_PREFIX);
    println!("searched, in order:");
    let cwd = std::env::current_dir().ok();
    let env = |var: &str| std::env::var_os(var);
    for candidate in tempcore::temp_dir_candidates(&env, cwd.as_deref()) {
        println!("  {}", candidate.display());
    }

    println!();
    println!("overriding the default:");
    let previous = tempcore::temp_dir()?;
    let private = tempcore::create_dir(&previous, &mut tempcore::Template::default(), 0o700)?;
    tempcore::set_temp_dir(&private)?;
    println!("gettempdir(): {:?}", tempcore::temp_dir()?);
    tempcore::set_temp_dir(&previous)?;
    std::fs::remove_dir(&private)?;
    println!("restored: {:?}", tempcore::temp_dir()?);
    Ok(())
}
