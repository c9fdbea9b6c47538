//! A quick measurement of 64-byte writes and reads through a spool, in
//! memory and after rollover, side by side with `Cursor<Vec<u8>>`,
//! `BufWriter<File>`/`BufReader<File>`, a bare `File` and the `tempfile`
//! crate's `SpooledTempFile`, in the same run.
//!
//! ```text
//! cargo run --release -p tempspool --example spool_speed -- --full
//! ```
//!
//! Without `--full` it does a few rounds only (CI runs every example), which
//! checks that it works but measures nothing worth reading. The criterion
//! benches of the workspace are the place for numbers with error bars.

use std::hint::black_box;
use std::io::{self, BufReader, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

const CHUNK: usize = 64;

/// How much each round moves, and how often rounds repeat.
struct Plan {
    region: usize,
    rounds: usize,
    repeats: usize,
}

fn main() -> io::Result<()> {
    let full = std::env::args().any(|a| a == "--full");
    let dir = std::env::args()
        .skip_while(|a| a != "--dir")
        .nth(1)
        .map(std::path::PathBuf::from)
        .map_or_else(tempfs::temp_dir, Ok)?;
    let plan = if full {
        Plan {
            region: 1 << 20,
            rounds: 64,
            repeats: 7,
        }
    } else {
        Plan {
            region: 16 << 10,
            rounds: 2,
            repeats: 1,
        }
    };
    println!(
        "64-byte operations over a {} KiB region, {} rounds, best of {}; rollover files in {}",
        plan.region >> 10,
        plan.rounds,
        plan.repeats,
        dir.display()
    );

    println!("\nin memory");
    let cursor_w = time(&plan, Cursor::new(Vec::new()), write_round)?;
    let spool_w = time(&plan, tempspool::SpooledTempFile::new(0), write_round)?;
    let crate_w = time(
        &plan,
        tempfile::SpooledTempFile::new(usize::MAX),
        write_round,
    )?;
    report("write: Cursor<Vec<u8>>", cursor_w, cursor_w);
    report("write: tempspool", spool_w, cursor_w);
    report("write: tempfile crate", crate_w, cursor_w);
    let cursor_a = time(&plan, (), |_, region| {
        append_round(Cursor::new(Vec::new()), region)
    })?;
    let spool_a = time(&plan, (), |_, region| {
        append_round(tempspool::SpooledTempFile::new(0), region)
    })?;
    let crate_a = time(&plan, (), |_, region| {
        append_round(tempfile::SpooledTempFile::new(usize::MAX), region)
    })?;
    report("append to new: Cursor", cursor_a, cursor_a);
    report("append to new: tempspool", spool_a, cursor_a);
    report("append to new: tempfile", crate_a, cursor_a);
    let cursor_r = time(&plan, filled(Cursor::new(Vec::new()), &plan)?, read_round)?;
    let spool_r = time(
        &plan,
        filled(tempspool::SpooledTempFile::new(0), &plan)?,
        read_round,
    )?;
    let crate_r = time(
        &plan,
        filled(tempfile::SpooledTempFile::new(usize::MAX), &plan)?,
        read_round,
    )?;
    report("read: Cursor<Vec<u8>>", cursor_r, cursor_r);
    report("read: tempspool", spool_r, cursor_r);
    report("read: tempfile crate", crate_r, cursor_r);

    println!("\nrolled over (ratios against BufWriter/BufReader<File>, then Cursor)");
    let file = || tempfs::tempfile_in(&dir);
    let rolled = || -> io::Result<tempspool::SpooledTempFile> {
        let mut spool = tempspool::SpooledTempFile::new_in(1, &dir);
        spool.rollover()?;
        Ok(spool)
    };
    let crate_rolled = || -> io::Result<tempfile::SpooledTempFile> {
        let mut spool = tempfile::SpooledTempFile::new_in(1, &dir);
        spool.roll()?;
        Ok(spool)
    };
    let bufw = time(&plan, BufWriter::new(file()?), write_round)?;
    let spool_rw = time(&plan, rolled()?, write_round)?;
    let crate_rw = time(&plan, crate_rolled()?, write_round)?;
    let file_w = time(&plan, file()?, write_round)?;
    report2("write: BufWriter<File>", bufw, bufw, cursor_w);
    report2("write: tempspool", spool_rw, bufw, cursor_w);
    report2("write: tempfile crate", crate_rw, bufw, cursor_w);
    report2("write: File", file_w, bufw, cursor_w);
    let bufr = time(&plan, BufReader::new(filled(file()?, &plan)?), read_round)?;
    let spool_rr = time(&plan, filled(rolled()?, &plan)?, read_round)?;
    let crate_rr = time(&plan, filled(crate_rolled()?, &plan)?, read_round)?;
    let file_r = time(&plan, filled(file()?, &plan)?, read_round)?;
    report2("read: BufReader<File>", bufr, bufr, cursor_r);
    report2("read: tempspool", spool_rr, bufr, cursor_r);
    report2("read: tempfile crate", crate_rr, bufr, cursor_r);
    report2("read: File", file_r, bufr, cursor_r);
    Ok(())
}

/// Nanoseconds per 64-byte operation: the best of `plan.repeats` runs of
/// `plan.rounds` calls of `round`.
fn time<T>(
    plan: &Plan,
    mut target: T,
    round: fn(&mut T, usize) -> io::Result<()>,
) -> io::Result<f64> {
    round(&mut target, plan.region)?; // warm up: allocate, fill caches
    let mut best = Duration::MAX;
    for _ in 0..plan.repeats {
        let start = Instant::now();
        for _ in 0..plan.rounds {
            round(&mut target, plan.region)?;
        }
        best = best.min(start.elapsed());
    }
    let ops = (plan.rounds * plan.region / CHUNK) as f64;
    Ok(best.as_nanos() as f64 / ops)
}

/// Rewinds, then writes `region` bytes in 64-byte writes.
fn write_round<T: Write + Seek>(target: &mut T, region: usize) -> io::Result<()> {
    target.seek(SeekFrom::Start(0))?;
    let chunk = [0x5a_u8; CHUNK];
    for _ in 0..region / CHUNK {
        let n = target.write(black_box(&chunk))?;
        debug_assert_eq!(n, CHUNK);
    }
    target.flush()
}

/// Writes `region` bytes in 64-byte writes into a new, empty `target`
/// (growing its buffer on the way), then drops it.
fn append_round<T: Write>(mut target: T, region: usize) -> io::Result<()> {
    let chunk = [0x5a_u8; CHUNK];
    for _ in 0..region / CHUNK {
        let n = target.write(black_box(&chunk))?;
        debug_assert_eq!(n, CHUNK);
    }
    black_box(&mut target);
    Ok(())
}

/// Rewinds, then reads `region` bytes in 64-byte reads.
fn read_round<T: Read + Seek>(target: &mut T, region: usize) -> io::Result<()> {
    target.seek(SeekFrom::Start(0))?;
    let mut chunk = [0_u8; CHUNK];
    let mut left = region;
    while left > 0 {
        let n = target.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        black_box(&chunk);
        left -= n;
    }
    Ok(())
}

fn filled<T: Write + Seek>(mut target: T, plan: &Plan) -> io::Result<T> {
    write_round(&mut target, plan.region)?;
    Ok(target)
}

fn report(name: &str, ns: f64, base: f64) {
    println!("  {name:<26} {ns:8.2} ns/op  {:6.2}x", ns / base);
}

fn report2(name: &str, ns: f64, base: f64, cursor: f64) {
    println!(
        "  {name:<26} {ns:8.2} ns/op  {:6.2}x  {:7.1}x Cursor",
        ns / base,
        ns / cursor
    );
}
