//! Group 5's workloads: many small writes, then the data read back in
//! small reads, through a spool and through what it competes with.

use std::hint::black_box;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

/// The size of every write and read: what a parser or a line-by-line
/// writer does.
pub const CHUNK: usize = 64;

/// The in-memory workload: 512 KiB, well under the spool's limit.
pub const MEMORY_BYTES: usize = 512 * 1024;

/// The rolled workload: 2 MiB, rolling over at [`MAX_SIZE`].
pub const ROLLED_BYTES: usize = 2 * 1024 * 1024;

/// The spools' `max_size`: 1 MiB.
pub const MAX_SIZE: usize = 1024 * 1024;

/// Writes `bytes` in [`CHUNK`]-byte writes.
pub fn write_chunks(to: &mut impl Write, bytes: usize) -> io::Result<()> {
    let chunk = [0x5au8; CHUNK];
    for _ in 0..bytes / CHUNK {
        to.write_all(black_box(&chunk))?;
    }
    Ok(())
}

/// Reads to the end in [`CHUNK`]-byte reads; returns how many bytes came
/// back, after checking them.
pub fn read_chunks(from: &mut impl Read) -> io::Result<usize> {
    let mut chunk = [0u8; CHUNK];
    let mut total = 0;
    loop {
        let n = from.read(&mut chunk)?;
        if n == 0 {
            return Ok(total);
        }
        if black_box(&chunk[..n]).iter().any(|&b| b != 0x5a) {
            return Err(io::Error::other("read back a byte that was not written"));
        }
        total += n;
    }
}

/// The whole workload on one read-write-seek object: `bytes` written,
/// rewound, read back.
pub fn round_trip(rw: &mut (impl Read + Write + Seek), bytes: usize) -> io::Result<()> {
    write_chunks(rw, bytes)?;
    rw.rewind()?;
    expect(read_chunks(rw)?, bytes)
}

/// The workload on a file through `BufWriter` then `BufReader` (std's
/// 8 KiB buffers): what a careful programmer writes by hand.
pub fn buffered_round_trip(file: std::fs::File, bytes: usize) -> io::Result<()> {
    let mut writer = BufWriter::new(file);
    write_chunks(&mut writer, bytes)?;
    let mut file = writer
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.rewind()?;
    expect(read_chunks(&mut BufReader::new(file))?, bytes)
}

/// Fails unless `got` is `want`.
pub fn expect(got: usize, want: usize) -> io::Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "read back {got} bytes, {want} written"
        )))
    }
}

/// Fails unless a spool ended where the workload says (`rolled` or not):
/// a workload that silently stayed in memory would measure nothing.
pub fn expect_rolled(is_rolled: bool, rolled: bool) -> io::Result<()> {
    if is_rolled == rolled {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "the spool {} rolled over",
            if is_rolled { "unexpectedly" } else { "never" }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_check_what_they_read() {
        let mut cursor = io::Cursor::new(Vec::new());
        round_trip(&mut cursor, 4 * CHUNK).unwrap();
        assert_eq!(cursor.get_ref().len(), 4 * CHUNK);
        let mut short = io::Cursor::new(vec![0x5a; CHUNK]);
        assert_eq!(read_chunks(&mut short).unwrap(), CHUNK);
        let mut wrong = io::Cursor::new(vec![1u8; CHUNK]);
        assert!(read_chunks(&mut wrong).is_err());
        assert!(expect(1, 2).is_err());
        assert!(expect_rolled(false, true).is_err());
    }

    #[test]
    fn the_buffered_round_trip_reads_everything_back() {
        buffered_round_trip(tempfs::tempfile().unwrap(), 1000 * CHUNK).unwrap();
    }
}
