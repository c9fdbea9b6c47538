//! Spooled Files: data stays in memory until it grows past `max_size`,
//! then moves to a file.
//!
//! Python: `SpooledTemporaryFile(max_size=100)` with a 37-byte line written
//! three times prints `False`, `False`, then `True` and the file; with
//! `max_size=1000` the three lines stay in memory until `rollover()`.

use std::io::{self, Read, Seek, Write};

use tempspool::SpooledTempFile;

const LINE: &[u8] = b"This line is repeated over and over.\n";

pub(crate) fn run() -> io::Result<()> {
    println!(
        "max_size=100, a {}-byte line written three times:",
        LINE.len()
    );
    let mut temp = SpooledTempFile::new(100);
    println!("temp: {temp:?}");
    for _ in 0..3 {
        temp.write_all(LINE)?;
        show(&mut temp)?;
    }

    println!();
    println!("explicit rollover, max_size=1000:");
    let mut temp = SpooledTempFile::new(1000);
    for _ in 0..3 {
        temp.write_all(LINE)?;
        show(&mut temp)?;
    }
    println!("rolling over");
    temp.rollover()?;
    show(&mut temp)?;

    temp.rewind()?;
    let mut text = String::new();
    temp.read_to_string(&mut text)?;
    println!("read back from disk: {} lines", text.lines().count());
    Ok(())
}

/// Prints whether `temp` rolled over and where its bytes are. Asking a
/// spool in memory for its descriptor would roll it over (Python's
/// `fileno()` does the same), so only a rolled spool is asked.
fn show(temp: &mut SpooledTempFile) -> io::Result<()> {
    if temp.is_rolled() {
        println!(
            "rolled: true  ({} bytes in the file, descriptor {:?})",
            temp.len(),
            temp.fileno()?
        );
    } else {
        println!("rolled: false ({} bytes in memory)", temp.len());
    }
    Ok(())
}
