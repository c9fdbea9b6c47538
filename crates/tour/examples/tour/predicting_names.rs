//! Predicting Names: a name is directory + prefix + random part + suffix.
//!
//! Python: `NamedTemporaryFile(suffix='_suffix', prefix='prefix_',
//! dir='/tmp')` prints a path like `/tmp/prefix_q6wd5czl_suffix`.

use std::io;

pub(crate) fn run() -> io::Result<()> {
    let dir = tempcore::Dir::open(tempcore::temp_dir()?)?;
    let mut template = tempcore::Template::new("prefix_", "_suffix", tempcore::DEFAULT_RAND_LEN)?;
    let (file, name) =
        tempcore::create_file_at(&dir, &mut template, &tempcore::FileOptions::new())?;
    println!("temp:");
    println!("  {file:?}");
    println!("temp.name:");
    println!("  {:?}", dir.path().join(&name));
    drop(file);
    tempcore::remove_file_at(&dir, &name)?;
    println!(
        "(random part: {} characters from {:?}, {} bits)",
        template.rand_len(),
        std::str::from_utf8(tempcore::ALPHABET).unwrap_or_default(),
        template.entropy_bits()
    );
    Ok(())
}
