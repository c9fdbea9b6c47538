//! Predicting Names: a name is directory + prefix + random part + suffix.
//!
//! Python: `NamedTemporaryFile(suffix='_suffix', prefix='prefix_',
//! dir='/tmp')` prints a path like `/tmp/prefix_q6wd5czl_suffix`.

use std::io;

pub(crate) fn run() -> io::Result<()> {
    let dir = tempfs::temp_dir()?;
    let temp = tempfs::Builder::new()
        .prefix("prefix_")
        .suffix("_suffix")
        .tempfile_in(&dir)?;
    println!("temp:");
    println!("  {temp:?}");
    println!("temp.name:");
    println!("  {:?}", temp.path());
    println!(
        "(random part: {} characters from {:?}, {} bits from the OS CSPRNG)",
        tempcore::DEFAULT_RAND_LEN,
        std::str::from_utf8(tempcore::ALPHABET).unwrap_or_default(),
        tempcore::DEFAULT_RAND_LEN as u32 * tempcore::BITS_PER_CHAR,
    );
    temp.close()
}
