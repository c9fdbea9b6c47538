//! Named Files: a path while the file lives, nothing after.
//!
//! Python: `tempfile.NamedTemporaryFile()` shows `temp.name` like
//! `/tmp/tmpt848ui0e`, then `Exists after close: False`; with
//! `delete_on_close=False` the name outlives the open handle until the
//! end of the `with` block.

use std::io::{self, Write};

pub(crate) fn run() -> io::Result<()> {
    let f = {
        let temp = tempfs::NamedTempFile::new()?;
        println!("temp:");
        println!("  {temp:?}");
        println!("temp.name:");
        println!("  {:?}", temp.path());
        temp.path().to_path_buf()
    };
    println!("Exists after close: {}", f.exists());

    println!();
    println!("delete_on_close=False (into_temp_path):");
    let mut temp = tempfs::NamedTempFile::new()?;
    writeln!(temp, "handed to another program")?;
    let path = temp.into_temp_path(); // the handle is closed here
    println!("Exists after the handle closes: {}", path.exists());
    let f = path.to_path_buf();
    drop(path); // the end of Python's `with` block
    println!("Exists after the scope: {}", f.exists());
    Ok(())
}
