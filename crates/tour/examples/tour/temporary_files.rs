//! Temporary Files: a guessable name versus a file with no name at all,
//! then a binary and a text round trip.
//!
//! Python: `open("/tmp/guess_my_name.<pid>.txt", "w+b")` against
//! `tempfile.TemporaryFile()`, whose only "name" is a file descriptor;
//! then `b'Some data'`, and the lines `first`, `second`.

use std::fs::OpenOptions;
use std::io::{self, BufRead, BufReader, Read, Seek, Write};

pub(crate) fn run() -> io::Result<()> {
    println!("Building a filename with PID:");
    let filename = tempfs::temp_dir()?.join(format!("guess_my_name.{}.txt", std::process::id()));
    {
        // Anyone can predict this name and plant a file or link there
        // first; `create_new` at least refuses to open what is planted.
        let temp = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&filename)?;
        println!("temp:");
        println!("  {temp:?}");
        println!("temp.name:");
        println!("  {filename:?}");
    }
    // Clean up the file yourself.
    std::fs::remove_file(&filename)?;

    println!();
    println!("TemporaryFile:");
    {
        let temp = tempfs::tempfile()?;
        println!("temp:");
        println!("  {temp:?}");
        println!("temp.name:");
        println!("  None (no directory entry: only the file descriptor above)");
    }
    // Gone with its last descriptor; nothing to clean up.

    println!();
    let mut temp = tempfs::tempfile()?;
    temp.write_all(b"Some data")?;
    temp.rewind()?;
    let mut data = Vec::new();
    temp.read_to_end(&mut data)?;
    println!("{}", String::from_utf8_lossy(&data));

    println!();
    let mut f = tempfs::tempfile()?;
    f.write_all(b"first\nsecond\n")?;
    f.rewind()?;
    for line in BufReader::new(f).lines() {
        println!("{}", line?.trim_end());
    }
    Ok(())
}
