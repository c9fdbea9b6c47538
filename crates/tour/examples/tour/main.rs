//! A tour of the workspace: the Rust version of every example on the
//! Python `tempfile` page ("Python 3 Module of the Week"), one section per
//! heading, printing what the page prints.
//!
//! Run it with `cargo run --example tour`.

mod directories;
mod location;
mod named_files;
mod predicting_names;
mod spooled_files;
mod temporary_files;

use std::io;

/// One section of the page: its heading and the code that prints it.
type Section = (&'static str, fn() -> io::Result<()>);

fn main() -> io::Result<()> {
    let sections: [Section; 6] = [
        ("Temporary Files", temporary_files::run),
        ("Named Files", named_files::run),
        ("Spooled Files", spooled_files::run),
        ("Temporary Directories", directories::run),
        ("Predicting Names", predicting_names::run),
        ("Temporary File Location", location::run),
    ];
    for (i, (title, run)) in sections.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("## {title}");
        println!();
        run()?;
    }
    Ok(())
}
