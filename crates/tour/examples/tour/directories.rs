//! Temporary Directories: a directory removed, with everything in it,
//! when its scope ends.
//!
//! Python: `with tempfile.TemporaryDirectory() as directory_name:` prints
//! the directory, writes `a_file.txt` in it, and after the block prints
//! `Directory exists after? False`.

use std::io;

pub(crate) fn run() -> io::Result<()> {
    let path = {
        let directory = tempfs::TempDir::new()?;
        println!("{}", directory.path().display());
        let a_file = directory.path().join("a_file.txt");
        std::fs::write(&a_file, "This file is deleted.")?;
        println!("wrote {}", a_file.display());
        directory.path().to_path_buf()
        // `directory` is dropped here: the file and the directory go.
    };
    println!("exists after: {}", path.exists());

    // `close` does the same and reports what a drop has to swallow.
    let directory = tempfs::TempDir::with_prefix("build-")?;
    std::fs::create_dir_all(directory.path().join("deep/er"))?;
    let path = directory.path().to_path_buf();
    directory.close()?;
    println!("closed {}: exists after: {}", path.display(), path.exists());
    Ok(())
}
