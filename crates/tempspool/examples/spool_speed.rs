//! Every call users make on a spool, each measured on its own against what
//! the spool replaces: in memory against `Cursor<Vec<u8>>`, after rollover
//! against `BufWriter<File>` (writes) and `BufReader<File>` (reads) on a
//! file in the same directory. The `tempfile` crate's `SpooledTempFile`
//! runs alongside, for reference (it has no `BufRead`).
//!
//! ```text
//! cargo run --release -p tempspool --example spool_speed -- --full
//! cargo run --release -p tempspool --example spool_speed -- --full \
//!     --rounds 301 --lines 1024 --dir /var/tmp --only read
//! ```
//!
//! `--only` keeps the calls whose name contains its argument.
//!
//! The workload is a text of `--lines` lines of 64 bytes (1024 by default:
//! 64 KiB). Writes go into a new, empty writer, one line per call, and end
//! with `flush`; reads start at position 0 of a full reader, one line per
//! call (`read_to_end` and `read_to_string`: the whole text in one call).
//! The contenders run in the same process, in interleaved rounds (their
//! order alternates), and the table shows medians over the rounds: of each
//! one's time per call, their ratio, and (`paired`) the median of the ratio
//! of the spool's time to the baseline's within each round. Making the writer, filling and rewinding
//! the reader, and checking every byte written or read happen outside the
//! timed region.
//!
//! Without `--full` it does a few small rounds only (CI runs every
//! example): that checks every workload and the data it moves, and
//! measures nothing worth reading.

use std::fmt::Write as _;
use std::fs::File;
use std::hint::black_box;
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, IoSlice, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use tempspool::SpooledTempFile;

/// The length of a line, and of every read and write but the whole-text
/// reads.
const LINE: usize = 64;

/// What follows the line number on each line (`{n:08} {FILLER}\n` is 64
/// bytes).
const FILLER: &str = "the quick brown fox jumps over the lazy dog, 012345678";

/// The calls measured, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Write,
    WriteAll,
    WriteVectored,
    WriteFmt,
    Read,
    ReadExact,
    ReadToEnd,
    ReadToString,
    Seek,
    StreamPosition,
    ReadLine,
}

const CALLS: [Call; 11] = [
    Call::Write,
    Call::WriteAll,
    Call::WriteVectored,
    Call::WriteFmt,
    Call::Read,
    Call::ReadExact,
    Call::ReadToEnd,
    Call::ReadToString,
    Call::Seek,
    Call::StreamPosition,
    Call::ReadLine,
];

impl Call {
    fn name(self) -> &'static str {
        match self {
            Call::Write => "write",
            Call::WriteAll => "write_all",
            Call::WriteVectored => "write_vectored (16+48)",
            Call::WriteFmt => "write_fmt (write!)",
            Call::Read => "read",
            Call::ReadExact => "read_exact",
            Call::ReadToEnd => "read_to_end (whole)",
            Call::ReadToString => "read_to_string (whole)",
            Call::Seek => "seek (Start, End)",
            Call::StreamPosition => "stream_position",
            Call::ReadLine => "BufRead::read_line",
        }
    }
}

/// One of the things compared: how to get a new writer and what it holds,
/// and a reader holding the text at position 0.
trait Contender {
    type W: Write;
    type R: Read + Seek;
    /// A new, empty writer (not timed).
    fn writer(&mut self) -> io::Result<Self::W>;
    /// Everything `w` holds (not timed).
    fn written(&mut self, w: Self::W) -> io::Result<Vec<u8>>;
    /// The reader, holding the text, at position 0 (not timed).
    fn reader(&mut self) -> io::Result<&mut Self::R>;
    /// `BufRead::read_line`, where there is one.
    fn read_line(r: &mut Self::R, line: &mut String) -> Option<io::Result<usize>>;
}

struct MemorySpool(SpooledTempFile);

impl Contender for MemorySpool {
    type W = SpooledTempFile;
    type R = SpooledTempFile;
    fn writer(&mut self) -> io::Result<SpooledTempFile> {
        Ok(SpooledTempFile::new(0))
    }
    fn written(&mut self, w: SpooledTempFile) -> io::Result<Vec<u8>> {
        contents(w)
    }
    fn reader(&mut self) -> io::Result<&mut SpooledTempFile> {
        self.0.rewind()?;
        Ok(&mut self.0)
    }
    #[inline]
    fn read_line(r: &mut SpooledTempFile, line: &mut String) -> Option<io::Result<usize>> {
        Some(r.read_line(line))
    }
}

struct InCursor(Cursor<Vec<u8>>);

impl Contender for InCursor {
    type W = Cursor<Vec<u8>>;
    type R = Cursor<Vec<u8>>;
    fn writer(&mut self) -> io::Result<Cursor<Vec<u8>>> {
        Ok(Cursor::new(Vec::new()))
    }
    fn written(&mut self, w: Cursor<Vec<u8>>) -> io::Result<Vec<u8>> {
        Ok(w.into_inner())
    }
    fn reader(&mut self) -> io::Result<&mut Cursor<Vec<u8>>> {
        self.0.rewind()?;
        Ok(&mut self.0)
    }
    #[inline]
    fn read_line(r: &mut Cursor<Vec<u8>>, line: &mut String) -> Option<io::Result<usize>> {
        Some(r.read_line(line))
    }
}

struct RolledSpool {
    dir: PathBuf,
    reader: SpooledTempFile,
}

impl Contender for RolledSpool {
    type W = SpooledTempFile;
    type R = SpooledTempFile;
    fn writer(&mut self) -> io::Result<SpooledTempFile> {
        let mut spool = SpooledTempFile::new_in(0, &self.dir);
        spool.rollover()?;
        Ok(spool)
    }
    fn written(&mut self, w: SpooledTempFile) -> io::Result<Vec<u8>> {
        contents(w)
    }
    fn reader(&mut self) -> io::Result<&mut SpooledTempFile> {
        self.reader.rewind()?;
        Ok(&mut self.reader)
    }
    #[inline]
    fn read_line(r: &mut SpooledTempFile, line: &mut String) -> Option<io::Result<usize>> {
        Some(r.read_line(line))
    }
}

struct Buffered {
    dir: PathBuf,
    reader: BufReader<File>,
}

impl Contender for Buffered {
    type W = BufWriter<File>;
    type R = BufReader<File>;
    fn writer(&mut self) -> io::Result<BufWriter<File>> {
        Ok(BufWriter::new(tempfs::tempfile_in(&self.dir)?))
    }
    fn written(&mut self, w: BufWriter<File>) -> io::Result<Vec<u8>> {
        contents(w.into_inner().map_err(io::IntoInnerError::into_error)?)
    }
    fn reader(&mut self) -> io::Result<&mut BufReader<File>> {
        self.reader.rewind()?;
        Ok(&mut self.reader)
    }
    #[inline]
    fn read_line(r: &mut BufReader<File>, line: &mut String) -> Option<io::Result<usize>> {
        Some(r.read_line(line))
    }
}

/// The `tempfile` crate's spool, in memory or rolled over.
struct TempfileCrate {
    dir: Option<PathBuf>,
    reader: tempfile::SpooledTempFile,
}

impl Contender for TempfileCrate {
    type W = tempfile::SpooledTempFile;
    type R = tempfile::SpooledTempFile;
    fn writer(&mut self) -> io::Result<tempfile::SpooledTempFile> {
        Ok(match &self.dir {
            None => tempfile::SpooledTempFile::new(usize::MAX),
            Some(dir) => {
                let mut spool = tempfile::SpooledTempFile::new_in(1, dir);
                spool.roll()?;
                spool
            }
        })
    }
    fn written(&mut self, w: tempfile::SpooledTempFile) -> io::Result<Vec<u8>> {
        contents(w)
    }
    fn reader(&mut self) -> io::Result<&mut tempfile::SpooledTempFile> {
        self.reader.rewind()?;
        Ok(&mut self.reader)
    }
    fn read_line(_: &mut tempfile::SpooledTempFile, _: &mut String) -> Option<io::Result<usize>> {
        None
    }
}

/// Everything `target` holds, from the start.
fn contents(mut target: impl Read + Seek) -> io::Result<Vec<u8>> {
    target.rewind()?;
    let mut all = Vec::new();
    target.read_to_end(&mut all)?;
    Ok(all)
}

/// `target` with `text` written, flushed, at position 0.
fn filled<T: Write + Seek>(mut target: T, text: &[u8]) -> io::Result<T> {
    target.write_all(text)?;
    target.flush()?;
    target.rewind()?;
    Ok(target)
}

/// The time of one round of `call` on `c`, per call; `None` if `c` cannot
/// make it. Panics if the data written or read is not the text.
fn round<C: Contender>(c: &mut C, call: Call, text: &[u8]) -> io::Result<Option<f64>> {
    let lines = text.len() / LINE;
    let (elapsed, calls) = match call {
        Call::Write | Call::WriteAll | Call::WriteVectored | Call::WriteFmt => {
            let mut w = c.writer()?;
            let start = Instant::now();
            write_round(&mut w, call, text)?;
            let elapsed = start.elapsed();
            assert!(c.written(w)? == text, "{call:?} wrote something else");
            (elapsed, lines)
        }
        Call::Read | Call::ReadExact => {
            let mut out = vec![0; text.len()];
            let r = c.reader()?;
            let start = Instant::now();
            let mut at = 0;
            if call == Call::Read {
                while at < out.len() {
                    let end = (at + LINE).min(out.len());
                    match r.read(&mut out[at..end])? {
                        0 => break,
                        n => at += n,
                    }
                }
            } else {
                for chunk in out.chunks_mut(LINE) {
                    r.read_exact(chunk)?;
                }
                at = out.len();
            }
            let elapsed = start.elapsed();
            assert!(
                at == text.len() && out == text,
                "{call:?} read something else"
            );
            (elapsed, lines)
        }
        Call::ReadToEnd => {
            let mut out = Vec::new();
            let r = c.reader()?;
            let start = Instant::now();
            let n = r.read_to_end(&mut out)?;
            let elapsed = start.elapsed();
            assert!(
                n == text.len() && out == text,
                "read_to_end read something else"
            );
            (elapsed, 1)
        }
        Call::ReadToString => {
            let mut out = String::new();
            let r = c.reader()?;
            let start = Instant::now();
            let n = r.read_to_string(&mut out)?;
            let elapsed = start.elapsed();
            assert!(n == text.len() && out.as_bytes() == text, "read_to_string");
            (elapsed, 1)
        }
        Call::Seek => {
            let len = text.len() as u64;
            let r = c.reader()?;
            let start = Instant::now();
            let mut sum = 0u64;
            for i in 0..lines {
                let p = ((i * 613) % lines * LINE) as u64;
                let to = if i % 2 == 0 {
                    SeekFrom::Start(p)
                } else {
                    SeekFrom::End(-(p as i64))
                };
                sum = sum.wrapping_add(r.seek(to)?);
            }
            let elapsed = start.elapsed();
            let want = (0..lines).fold(0u64, |sum, i| {
                let p = ((i * 613) % lines * LINE) as u64;
                sum.wrapping_add(if i % 2 == 0 { p } else { len - p })
            });
            assert_eq!(sum, want, "seek went elsewhere");
            (elapsed, lines)
        }
        Call::StreamPosition => {
            let r = c.reader()?;
            r.read_exact(&mut [0; LINE])?;
            let start = Instant::now();
            let mut sum = 0u64;
            for _ in 0..lines {
                sum += black_box(&mut *r).stream_position()?;
            }
            let elapsed = start.elapsed();
            assert_eq!(sum, (lines * LINE) as u64, "stream_position");
            (elapsed, lines)
        }
        Call::ReadLine => {
            let mut out = String::with_capacity(text.len());
            let r = c.reader()?;
            if C::read_line(r, &mut out).is_none() {
                return Ok(None);
            }
            out.clear();
            r.rewind()?;
            let start = Instant::now();
            loop {
                match C::read_line(r, &mut out) {
                    Some(Ok(0)) | None => break,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                }
            }
            let elapsed = start.elapsed();
            assert!(out.as_bytes() == text, "read_line read something else");
            (elapsed, lines)
        }
    };
    Ok(Some(elapsed.as_nanos() as f64 / calls as f64))
}

/// Writes `text` line by line with `call`, then flushes.
#[inline(never)]
fn write_round<W: Write>(w: &mut W, call: Call, text: &[u8]) -> io::Result<()> {
    match call {
        Call::Write => {
            for line in text.chunks(LINE) {
                let n = w.write(line)?;
                if n < line.len() {
                    write_rest(w, &line[n..])?;
                }
            }
        }
        Call::WriteAll => {
            for line in text.chunks(LINE) {
                w.write_all(line)?;
            }
        }
        Call::WriteVectored => {
            for line in text.chunks(LINE) {
                let (head, tail) = line.split_at(16.min(line.len()));
                let n = w.write_vectored(&[IoSlice::new(head), IoSlice::new(tail)])?;
                if n < line.len() {
                    write_rest(w, &line[n..])?;
                }
            }
        }
        Call::WriteFmt => {
            for i in 0..text.len() / LINE {
                writeln!(w, "{i:08} {FILLER}")?;
            }
        }
        _ => unreachable!("not a write"),
    }
    w.flush()
}

/// What a short write left, out of the loop's way (it never happens with
/// these contenders).
#[cold]
#[inline(never)]
fn write_rest<W: Write>(w: &mut W, rest: &[u8]) -> io::Result<()> {
    w.write_all(rest)
}

/// The text: numbered lines of [`LINE`] bytes, as `write!` makes them.
fn text(lines: usize) -> Vec<u8> {
    let mut text = String::new();
    for i in 0..lines {
        writeln!(text, "{i:08} {FILLER}").unwrap();
    }
    assert_eq!(text.len(), lines * LINE);
    text.into_bytes()
}

/// Per call and state: every round's ns/call for the spool, the baseline
/// and the `tempfile` crate, and the spool's ratio to the baseline.
#[derive(Default)]
struct Samples {
    spool: Vec<f64>,
    base: Vec<f64>,
    crate_: Vec<f64>,
    ratio: Vec<f64>,
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One interleaved round of `call`: the spool and the baseline in the
/// order `spool_first` says, then the `tempfile` crate.
fn sample<S: Contender, B: Contender, T: Contender>(
    s: &mut S,
    b: &mut B,
    t: &mut T,
    call: Call,
    text: &[u8],
    spool_first: bool,
    into: &mut Samples,
) -> io::Result<()> {
    let (spool, base) = if spool_first {
        let spool = round(s, call, text)?;
        (spool, round(b, call, text)?)
    } else {
        let base = round(b, call, text)?;
        (round(s, call, text)?, base)
    };
    let (Some(spool), Some(base)) = (spool, base) else {
        return Ok(());
    };
    into.spool.push(spool);
    into.base.push(base);
    into.ratio.push(spool / base);
    if let Some(t) = round(t, call, text)? {
        into.crate_.push(t);
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--full");
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let number =
        |name: &str, default: usize| value(name).map_or(default, |v| v.parse().expect("a number"));
    let dir = value("--dir").map_or_else(tempfs::temp_dir, |d| Ok(PathBuf::from(d)))?;
    let (rounds, lines) = if full {
        (number("--rounds", 201), number("--lines", 1024))
    } else {
        (number("--rounds", 3), number("--lines", 64))
    };
    let only = value("--only").unwrap_or_default();
    let calls: Vec<Call> = CALLS
        .into_iter()
        .filter(|c| c.name().contains(&only))
        .collect();
    let text = text(lines.max(1));
    run(&dir, &text, rounds.max(1), &calls)
}

fn run(dir: &Path, text: &[u8], rounds: usize, calls: &[Call]) -> io::Result<()> {
    let mut memory = MemorySpool(filled(SpooledTempFile::new(0), text)?);
    let mut cursor = InCursor(filled(Cursor::new(Vec::new()), text)?);
    let mut crate_memory = TempfileCrate {
        dir: None,
        reader: filled(tempfile::SpooledTempFile::new(usize::MAX), text)?,
    };
    let mut rolled_reader = SpooledTempFile::new_in(0, dir);
    rolled_reader.rollover()?;
    let mut rolled = RolledSpool {
        dir: dir.to_path_buf(),
        reader: filled(rolled_reader, text)?,
    };
    let mut buffered = Buffered {
        dir: dir.to_path_buf(),
        reader: BufReader::new(filled(tempfs::tempfile_in(dir)?, text)?),
    };
    let mut crate_rolled_reader = tempfile::SpooledTempFile::new_in(1, dir);
    crate_rolled_reader.roll()?;
    let mut crate_rolled = TempfileCrate {
        dir: Some(dir.to_path_buf()),
        reader: filled(crate_rolled_reader, text)?,
    };

    let mut in_memory: Vec<Samples> = calls.iter().map(|_| Samples::default()).collect();
    let mut on_disk: Vec<Samples> = calls.iter().map(|_| Samples::default()).collect();
    for r in 0..rounds {
        let spool_first = r % 2 == 0;
        for (i, &call) in calls.iter().enumerate() {
            sample(
                &mut memory,
                &mut cursor,
                &mut crate_memory,
                call,
                text,
                spool_first,
                &mut in_memory[i],
            )?;
            sample(
                &mut rolled,
                &mut buffered,
                &mut crate_rolled,
                call,
                text,
                spool_first,
                &mut on_disk[i],
            )?;
        }
    }

    println!(
        "{} lines of {LINE} bytes ({} KiB), {rounds} interleaved rounds, medians; \
         rollover files in {}",
        text.len() / LINE,
        text.len() >> 10,
        dir.display()
    );
    let table = |title: &str, base: &str, samples: &[Samples]| {
        println!("\n{title}");
        println!(
            "  {:<24} {:>10} {:>10} {:>7} {:>7} {:>14}",
            "call", "spool ns", base, "ratio", "paired", "tempfile crate"
        );
        for (call, s) in calls.iter().zip(samples) {
            let crate_ = if s.crate_.is_empty() {
                "-".to_string()
            } else {
                format!("{:.2}", median(&s.crate_))
            };
            println!(
                "  {:<24} {:>10.2} {:>10.2} {:>6.2}x {:>6.2}x {:>14}",
                call.name(),
                median(&s.spool),
                median(&s.base),
                median(&s.spool) / median(&s.base),
                median(&s.ratio),
                crate_
            );
        }
    };
    table(
        "in memory (baseline: Cursor<Vec<u8>>)",
        "Cursor ns",
        &in_memory,
    );
    table(
        "rolled over (baseline: BufWriter<File> for writes, BufReader<File> for reads)",
        "Buf* ns",
        &on_disk,
    );
    Ok(())
}
