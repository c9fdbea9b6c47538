//! Group 5: spools. Each call users write (`write`, `write_all`,
//! `write_vectored`, `write!`, `read`, `read_exact`, `read_to_end`,
//! `read_to_string`, `read_line`, `seek` with `stream_position`) is its
//! own group ([`STAGED`]), in memory
//! against `Cursor<Vec<u8>>` and rolled over against a file behind
//! `BufWriter`/`BufReader`: the object is made and filled before the
//! clock starts, only the calls are timed, and what they read or wrote is
//! checked after the clock stops. The whole life of a rolled spool and
//! many spools under one budget are single operations (in `ops`), built
//! from [`rollover_life`] and [`many_spools`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, IoSlice, Read, Seek, SeekFrom, Write};
use std::sync::OnceLock;

use crate::asynchronous::Polled;
use crate::floor;
use crate::places::Place;

/// The size of every write and read: what a parser or a line-by-line
/// writer does.
pub const CHUNK: usize = 64;

/// The in-memory workload: 512 KiB, well under the spool's limit.
pub const MEMORY_BYTES: usize = 512 * 1024;

/// The rolled workload: 2 MiB, on disk.
pub const ROLLED_BYTES: usize = 2 * 1024 * 1024;

/// The spools' `max_size`: 1 MiB.
pub const MAX_SIZE: usize = 1024 * 1024;

/// Spools alive at once in the budget group.
pub const SPOOLS: usize = 10_000;

/// Bytes in each of them.
pub const SPOOL_BYTES: usize = 4096;

/// The budget shared by [`SPOOLS`] spools: 1 GiB, far more than they
/// hold, so that every one stays in memory and the group measures the
/// accounting alone.
pub const BUDGET: usize = 1 << 30;

/// The bytes every workload writes and expects back: [`ROLLED_BYTES`] of
/// text, lines of [`CHUNK`] bytes, so that the text calls (`write!`,
/// `read_to_string`, `read_line`) have text to work on. Each line starts
/// with its number (eight hex digits), then letters, then a newline: no
/// two lines are alike, so that a chunk read or written at the wrong
/// place fails the check.
pub fn data() -> &'static [u8] {
    text().as_bytes()
}

/// [`data`] as a `str`.
pub fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = String::with_capacity(ROLLED_BYTES);
        for line in 0..ROLLED_BYTES / CHUNK {
            text.push_str(&format!("{line:08x}"));
            while text.len() % CHUNK != CHUNK - 1 {
                text.push(char::from(b'a' + (text.len() % 251 % 26) as u8));
            }
            text.push('\n');
        }
        text
    })
}

/// One of the calls a spool group times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `write` of [`CHUNK`] bytes, its count added up, then `flush`.
    Write,
    /// `write_all` of [`CHUNK`] bytes, then `flush`.
    WriteAll,
    /// `read` into [`CHUNK`] bytes until it returns 0.
    Read,
    /// `read_exact` of [`CHUNK`] bytes.
    ReadExact,
    /// One `read_to_end` into an empty `Vec`.
    ReadToEnd,
    /// `write_vectored` of [`CHUNK`] bytes as two halves (finished with
    /// `write_all` if it takes fewer), then `flush`.
    WriteVectored,
    /// `write!(to, "{chunk}")` of [`CHUNK`] bytes of text, then `flush`.
    WriteFmt,
    /// One `read_to_string` into an empty `String`.
    ReadToString,
    /// `read_line` until it returns 0, each line ([`CHUNK`] bytes)
    /// appended to one `String`.
    ReadLine,
    /// From the last [`CHUNK`] to the first: `seek(SeekFrom::Start)` to
    /// it, `stream_position`, `read_exact` of it.
    Seek,
}

impl Call {
    /// Whether the call writes.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Call::Write | Call::WriteAll | Call::WriteVectored | Call::WriteFmt
        )
    }

    /// What is timed, in words.
    pub fn about(self) -> &'static str {
        match self {
            Call::Write => {
                "`write` of 64 bytes at a time, adding up what each returns, then `flush`"
            }
            Call::WriteAll => "`write_all` of 64 bytes at a time, then `flush`",
            Call::Read => "`read` into 64 bytes at a time until it returns 0",
            Call::ReadExact => "`read_exact` of 64 bytes at a time",
            Call::ReadToEnd => "one `read_to_end` into an empty `Vec`",
            Call::WriteVectored => {
                "`write_vectored` of 64 bytes as two 32-byte halves (the rest with `write_all` \
                 if it takes fewer), then `flush`"
            }
            Call::WriteFmt => {
                "`write!(w, \"{chunk}\")` of 64 bytes of text at a time, then `flush`"
            }
            Call::ReadToString => "one `read_to_string` into an empty `String`",
            Call::ReadLine => {
                "`read_line` until it returns 0, each 64-byte line appended to one `String` \
                 (the `tempfile` crate's spool, which is not `BufRead`, behind `BufReader::new`)"
            }
            Call::Seek => {
                "from the last 64 bytes to the first: `seek(SeekFrom::Start(at))`, \
                 `stream_position()`, `read_exact` of 64 bytes"
            }
        }
    }
}

/// Where the data is while the calls are timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// In memory: [`MEMORY_BYTES`], the spool never rolls over.
    Memory,
    /// On disk: [`ROLLED_BYTES`], the spool rolled over before the clock
    /// starts.
    Rolled,
}

impl State {
    /// Bytes written or read.
    pub fn bytes(self) -> usize {
        match self {
            State::Memory => MEMORY_BYTES,
            State::Rolled => ROLLED_BYTES,
        }
    }
}

/// A call made on an object made and filled untimed.
pub trait Job {
    /// The timed part: the calls.
    fn run(&mut self) -> io::Result<()>;
    /// After the clock stops: fails unless the calls did the work (every
    /// byte read or written, in order; the spool still where it should
    /// be).
    fn check(self: Box<Self>) -> io::Result<()>;
}

/// One way of making the object a staged group calls.
#[derive(Debug)]
pub struct StagedContender {
    /// `ours`, `tempfile`, `cursor` or `buffered`.
    pub name: &'static str,
    /// What it is, exactly, for the report.
    pub about: &'static str,
    /// Makes the object in `place` (made the default directory), filled
    /// and rewound for a reading call; untimed.
    pub prepare: fn(&Place, Call, State) -> io::Result<Box<dyn Job>>,
}

/// One call in one state: a group of its own.
#[derive(Debug)]
pub struct Staged {
    /// The group's name (benchmark ids add `-tmp` or `-shm` when rolled).
    pub name: &'static str,
    /// The call timed.
    pub call: Call,
    /// Where the data is.
    pub state: State,
}

impl Staged {
    /// What one operation is.
    pub fn about(&self) -> String {
        let what = match self.state {
            State::Memory => "512 KiB in memory (spools limited to 1 MiB)",
            State::Rolled => "2 MiB on disk (spools limited to 1 MiB, rolled over untimed)",
        };
        let staged = if self.call.writes() {
            "the object made untimed"
        } else {
            "written and rewound untimed"
        };
        format!(
            "{}: {what}; {staged}, checked after the clock stops",
            self.call.about()
        )
    }

    /// Whether the group runs once per place (rolled: it has a file).
    pub fn per_place(&self) -> bool {
        self.state == State::Rolled
    }

    /// The contenders, ours first.
    pub fn contenders(&self) -> &'static [StagedContender] {
        match self.state {
            State::Memory => MEMORY_CONTENDERS,
            State::Rolled => ROLLED_CONTENDERS,
        }
    }

    /// The contender the others are compared with.
    pub fn floor(&self) -> &'static str {
        match self.state {
            State::Memory => "cursor",
            State::Rolled => "buffered",
        }
    }

    /// The contender called `name`.
    pub fn contender(&self, name: &str) -> Option<&'static StagedContender> {
        self.contenders().iter().find(|c| c.name == name)
    }

    /// Operations per system-call count: each a trace between markers.
    pub fn rounds(&self) -> u64 {
        3
    }

    /// Rounds of the interleaved measurement: fewer on disk, where the
    /// `tempfile` crate's unbuffered spool takes 15-20 ms an operation.
    pub fn pairs(&self) -> usize {
        match self.state {
            State::Memory => 100,
            State::Rolled => 40,
        }
    }

    /// Criterion samples per bench.
    pub fn samples(&self) -> usize {
        match self.state {
            State::Memory => 50,
            State::Rolled => 20,
        }
    }
}

/// Every staged group: each call in memory, then each call rolled over.
pub const STAGED: &[Staged] = &[
    Staged {
        name: "spool-memory-write",
        call: Call::Write,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-write_all",
        call: Call::WriteAll,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-read",
        call: Call::Read,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-read_exact",
        call: Call::ReadExact,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-read_to_end",
        call: Call::ReadToEnd,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-write_vectored",
        call: Call::WriteVectored,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-write_fmt",
        call: Call::WriteFmt,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-read_to_string",
        call: Call::ReadToString,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-read_line",
        call: Call::ReadLine,
        state: State::Memory,
    },
    Staged {
        name: "spool-memory-seek",
        call: Call::Seek,
        state: State::Memory,
    },
    Staged {
        name: "spool-rolled-write",
        call: Call::Write,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-write_all",
        call: Call::WriteAll,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-read",
        call: Call::Read,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-read_exact",
        call: Call::ReadExact,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-read_to_end",
        call: Call::ReadToEnd,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-write_vectored",
        call: Call::WriteVectored,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-write_fmt",
        call: Call::WriteFmt,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-read_to_string",
        call: Call::ReadToString,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-read_line",
        call: Call::ReadLine,
        state: State::Rolled,
    },
    Staged {
        name: "spool-rolled-seek",
        call: Call::Seek,
        state: State::Rolled,
    },
];

/// The staged group called `name`.
pub fn staged(name: &str) -> Option<&'static Staged> {
    STAGED.iter().find(|g| g.name == name)
}

const MEMORY_CONTENDERS: &[StagedContender] = &[
    StagedContender {
        name: "ours",
        about: "`tempspool::SpooledTempFile::new(1 MiB)`",
        prepare: |_, call, state| spooled(tempspool::SpooledTempFile::new(MAX_SIZE), call, state),
    },
    StagedContender {
        name: "tempfile",
        about: "`tempfile::SpooledTempFile::new(1 MiB)` (tempfile 3.27)",
        prepare: |_, call, state| spooled(tempfile::SpooledTempFile::new(MAX_SIZE), call, state),
    },
    StagedContender {
        name: "cursor",
        about: "`std::io::Cursor::new(Vec::new())` (reading: `Cursor::new(vec)` of the bytes)",
        prepare: |_, call, state| {
            if call.writes() {
                Ok(Box::new(Writing::new(Cursor::new(Vec::new()), call, state)))
            } else {
                let bytes = data()[..state.bytes()].to_vec();
                Ok(reading(Cursor::new(bytes), call, state))
            }
        },
    },
    StagedContender {
        name: "ours-async",
        about: "`tempspool::AsyncSpooledTempFile::new(1 MiB)`, each call one poll of tokio's \
                `AsyncWrite`/`AsyncRead` (a no-op waker, no runtime)",
        prepare: |_, call, state| {
            let spool = Polled(tempspool::AsyncSpooledTempFile::new(MAX_SIZE));
            if call.writes() {
                return Ok(Box::new(Writing::new(spool, call, state)));
            }
            let mut spool = spool;
            spool.write_all(&data()[..state.bytes()])?;
            spool.rewind()?;
            expect_rolled(spool.0.is_rolled(), false)?;
            Ok(reading(spool, call, state))
        },
    },
    StagedContender {
        name: "cursor-async",
        about: "`std::io::Cursor` as `cursor`, each call one poll of tokio's \
                `AsyncWrite`/`AsyncRead` (a no-op waker, no runtime)",
        prepare: |_, call, state| {
            if call.writes() {
                Ok(Box::new(Writing::new(
                    Polled(Cursor::new(Vec::new())),
                    call,
                    state,
                )))
            } else {
                let bytes = data()[..state.bytes()].to_vec();
                Ok(reading(Polled(Cursor::new(bytes)), call, state))
            }
        },
    },
];

const ROLLED_CONTENDERS: &[StagedContender] = &[
    StagedContender {
        name: "ours",
        about: "`tempspool::SpooledTempFile::new(1 MiB)`, rolled over into the default directory \
                (`roll()` when writing, 2 MiB `write_all` when reading)",
        prepare: |_, call, state| spooled(tempspool::SpooledTempFile::new(MAX_SIZE), call, state),
    },
    StagedContender {
        name: "tempfile",
        about: "`tempfile::SpooledTempFile::new_in(1 MiB, path)`, rolled over likewise \
                (tempfile 3.27)",
        prepare: |place, call, state| {
            spooled(
                tempfile::SpooledTempFile::new_in(MAX_SIZE, place.path()),
                call,
                state,
            )
        },
    },
    StagedContender {
        name: "buffered",
        about: "`openat(dirfd, \".\", O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC)` behind \
                `BufWriter::new` (writing) or, filled and rewound, `BufReader::new` (reading), \
                8 KiB buffers",
        prepare: |place, call, state| {
            let mut file = floor::anonymous_file(place.fd())?;
            if call.writes() {
                Ok(Box::new(Writing::new(BufWriter::new(file), call, state)))
            } else {
                file.write_all(&data()[..state.bytes()])?;
                file.rewind()?;
                Ok(reading(BufReader::new(file), call, state))
            }
        },
    },
];

/// A spool (ours or the `tempfile` crate's, which have the same methods)
/// made ready for `call` in `state`: rolled over or not, and for reading,
/// filled and rewound.
fn spooled<S: Spool>(mut spool: S, call: Call, state: State) -> io::Result<Box<dyn Job>> {
    if call.writes() {
        if state == State::Rolled {
            spool.roll_over()?;
        }
        return Ok(Box::new(Writing::new(spool, call, state)));
    }
    spool.write_all(&data()[..state.bytes()])?;
    spool.rewind()?;
    expect_rolled(spool.rolled() == Some(true), state == State::Rolled)?;
    Ok(spool.reading(call, state))
}

/// A reading job on `from` for `call`: `read_line` through its `BufRead`,
/// every other call through `Read` and `Seek`.
fn reading<R: BufRead + Seek + 'static>(from: R, call: Call, state: State) -> Box<dyn Job> {
    match call {
        Call::ReadLine => Box::new(LineReading::new(from, state)),
        _ => Box::new(Reading::new(from, call, state)),
    }
}

/// What the two spools have in common, for [`spooled`].
trait Spool: Backing + Read + Seek + 'static {
    /// Moves the data to a file now.
    fn roll_over(&mut self) -> io::Result<()>;
    /// The reading job for `call` on this spool, filled and rewound.
    fn reading(self, call: Call, state: State) -> Box<dyn Job>;
}

impl Spool for tempspool::SpooledTempFile {
    fn roll_over(&mut self) -> io::Result<()> {
        self.roll()
    }

    /// A spool is its own `BufRead`.
    fn reading(self, call: Call, state: State) -> Box<dyn Job> {
        reading(self, call, state)
    }
}

impl Spool for tempfile::SpooledTempFile {
    fn roll_over(&mut self) -> io::Result<()> {
        self.roll()
    }

    /// Not `BufRead`: lines are read as its users read them, through a
    /// `BufReader`.
    fn reading(self, call: Call, state: State) -> Box<dyn Job> {
        match call {
            Call::ReadLine => Box::new(LineReading::new(BufReader::new(self), state)),
            _ => Box::new(Reading::new(self, call, state)),
        }
    }
}

/// What a writing job's object gives back for the check.
pub trait Backing: Write {
    /// Every byte written, from the start.
    fn read_back(self) -> io::Result<Vec<u8>>;
    /// Whether it rolled over, for a spool.
    fn rolled(&self) -> Option<bool>;
}

/// [`Backing`] for each spool type.
macro_rules! spools {
    ($($spool:ty),*) => {$(
        impl Backing for $spool {
            fn read_back(mut self) -> io::Result<Vec<u8>> {
                let mut bytes = Vec::new();
                self.rewind()?;
                self.read_to_end(&mut bytes)?;
                Ok(bytes)
            }

            fn rolled(&self) -> Option<bool> {
                Some(self.is_rolled())
            }
        }
    )*};
}

spools!(tempspool::SpooledTempFile, tempfile::SpooledTempFile);

impl Backing for Cursor<Vec<u8>> {
    fn read_back(self) -> io::Result<Vec<u8>> {
        Ok(self.into_inner())
    }

    fn rolled(&self) -> Option<bool> {
        None
    }
}

impl Backing for BufWriter<File> {
    fn read_back(self) -> io::Result<Vec<u8>> {
        let mut file = self.into_inner().map_err(io::IntoInnerError::into_error)?;
        let mut bytes = Vec::new();
        file.rewind()?;
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn rolled(&self) -> Option<bool> {
        None
    }
}

/// A writing call on `to`.
struct Writing<W> {
    to: W,
    call: Call,
    state: State,
}

impl<W: Backing> Writing<W> {
    fn new(to: W, call: Call, state: State) -> Writing<W> {
        Writing { to, call, state }
    }
}

impl<W: Backing> Job for Writing<W> {
    fn run(&mut self) -> io::Result<()> {
        let bytes = &data()[..self.state.bytes()];
        match self.call {
            Call::Write => {
                let mut done = 0;
                while done < bytes.len() {
                    let end = (done + CHUNK).min(bytes.len());
                    match self.to.write(&bytes[done..end])? {
                        0 => return Err(io::ErrorKind::WriteZero.into()),
                        n => done += n,
                    }
                }
            }
            Call::WriteVectored => {
                for chunk in bytes.chunks(CHUNK) {
                    let (front, back) = chunk.split_at(chunk.len() / 2);
                    let n = self
                        .to
                        .write_vectored(&[IoSlice::new(front), IoSlice::new(back)])?;
                    if n < chunk.len() {
                        self.to.write_all(&chunk[n..])?;
                    }
                }
            }
            Call::WriteFmt => {
                let text = &text()[..bytes.len()];
                for at in (0..text.len()).step_by(CHUNK) {
                    let chunk = &text[at..(at + CHUNK).min(text.len())];
                    write!(self.to, "{chunk}")?;
                }
            }
            _ => {
                for chunk in bytes.chunks(CHUNK) {
                    self.to.write_all(chunk)?;
                }
            }
        }
        self.to.flush()
    }

    fn check(self: Box<Self>) -> io::Result<()> {
        if let Some(rolled) = self.to.rolled() {
            expect_rolled(rolled, self.state == State::Rolled)?;
        }
        let back = self.to.read_back()?;
        expect_data(&back, self.state.bytes())
    }
}

/// What a reading job's buffer holds before the calls: 255, which
/// [`data`] never holds (its bytes are letters and newlines).
const UNREAD: u8 = 0xff;

/// A reading call on `from`, into `out`.
struct Reading<R> {
    from: R,
    call: Call,
    state: State,
    out: Vec<u8>,
    got: usize,
}

impl<R: Read + Seek> Reading<R> {
    fn new(from: R, call: Call, state: State) -> Reading<R> {
        // Written through before the clock starts (not left as fresh
        // zeroed pages that would fault in on the first touch, inside the
        // timed region), with a byte the check would notice.
        let out = match call {
            // Room for the last read, which finds the end.
            Call::Read => vec![UNREAD; state.bytes() + CHUNK],
            // Growing the `Vec` (or `String`) is part of the call's work.
            Call::ReadToEnd | Call::ReadToString => Vec::new(),
            _ => vec![UNREAD; state.bytes()],
        };
        Reading {
            from,
            call,
            state,
            out,
            got: 0,
        }
    }
}

impl<R: Read + Seek> Job for Reading<R> {
    fn run(&mut self) -> io::Result<()> {
        match self.call {
            Call::Read => {
                let mut at = 0;
                loop {
                    let end = (at + CHUNK).min(self.out.len());
                    match self.from.read(&mut self.out[at..end])? {
                        0 => break,
                        n => at += n,
                    }
                }
                self.got = at;
            }
            Call::ReadExact => {
                for chunk in self.out.chunks_exact_mut(CHUNK) {
                    self.from.read_exact(chunk)?;
                }
                self.got = self.out.len();
            }
            Call::ReadToString => {
                let mut text = String::new();
                self.got = self.from.read_to_string(&mut text)?;
                self.out = text.into_bytes();
            }
            Call::Seek => {
                for (k, chunk) in self.out.chunks_exact_mut(CHUNK).enumerate().rev() {
                    let at = (k * CHUNK) as u64;
                    self.from.seek(SeekFrom::Start(at))?;
                    if self.from.stream_position()? != at {
                        return Err(io::Error::other(format!("not at {at} after seeking there")));
                    }
                    self.from.read_exact(chunk)?;
                }
                self.got = self.out.len();
            }
            _ => self.got = self.from.read_to_end(&mut self.out)?,
        }
        Ok(())
    }

    fn check(self: Box<Self>) -> io::Result<()> {
        expect_data(&self.out[..self.got], self.state.bytes())
    }
}

/// `read_line` on `from` until it returns 0, every line appended to `out`.
/// The check also counts the calls: one line each.
struct LineReading<R> {
    from: R,
    state: State,
    out: String,
    /// Calls that returned a line, and those that returned anything but
    /// one line of [`CHUNK`] bytes.
    lines: usize,
    odd: usize,
}

impl<R: BufRead> LineReading<R> {
    fn new(from: R, state: State) -> LineReading<R> {
        // Room for every line, its memory touched before the clock starts
        // (as [`Reading`]'s buffer is), then emptied.
        let mut out = " ".repeat(state.bytes());
        out.clear();
        LineReading {
            from,
            state,
            out,
            lines: 0,
            odd: 0,
        }
    }
}

impl<R: BufRead> Job for LineReading<R> {
    fn run(&mut self) -> io::Result<()> {
        loop {
            match self.from.read_line(&mut self.out)? {
                0 => return Ok(()),
                n => {
                    self.lines += 1;
                    self.odd += usize::from(n != CHUNK);
                }
            }
        }
    }

    fn check(self: Box<Self>) -> io::Result<()> {
        let want = self.state.bytes() / CHUNK;
        if self.lines != want || self.odd != 0 {
            return Err(io::Error::other(format!(
                "{} calls to read_line ({} of them not one {CHUNK}-byte line) for {want} lines",
                self.lines, self.odd
            )));
        }
        expect_data(self.out.as_bytes(), self.state.bytes())
    }
}

/// Fails unless `got` is the first `want` bytes of [`data`].
pub fn expect_data(got: &[u8], want: usize) -> io::Result<()> {
    if got.len() != want {
        return Err(io::Error::other(format!(
            "{} bytes came back, {want} went in",
            got.len()
        )));
    }
    match got.iter().zip(data()).position(|(a, b)| a != b) {
        None => Ok(()),
        Some(at) => Err(io::Error::other(format!(
            "byte {at} came back different from what was written"
        ))),
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

/// A rolled spool's whole life (or a file's, behind a buffer): 2 MiB in
/// 64-byte `write_all` calls, `flush`, a check that it rolled over (one
/// flag), drop.
pub fn rollover_life<W: Write>(mut to: W, is_rolled: fn(&W) -> bool) -> io::Result<()> {
    for chunk in data().chunks(CHUNK) {
        to.write_all(chunk)?;
    }
    to.flush()?;
    expect_rolled(is_rolled(&to), true)
}

/// [`SPOOLS`] spools of [`SPOOL_BYTES`] from two threads, half each, all
/// alive at once, under one [`BUDGET`] or none; then dropped.
pub fn many_spools(budgeted: bool) -> io::Result<()> {
    let budget = budgeted.then(|| tempspool::SpoolBudget::new(BUDGET));
    let half = || -> io::Result<()> {
        let mut spools = Vec::with_capacity(SPOOLS / 2);
        for _ in 0..SPOOLS / 2 {
            let mut spool = match &budget {
                Some(budget) => tempspool::SpooledTempFile::with_budget(MAX_SIZE, budget),
                None => tempspool::SpooledTempFile::new(MAX_SIZE),
            };
            spool.write_all(&data()[..SPOOL_BYTES])?;
            spools.push(spool);
        }
        if spools.iter().any(tempspool::SpooledTempFile::is_rolled) {
            return Err(io::Error::other(
                "a spool rolled over: the budget is too small",
            ));
        }
        Ok(())
    };
    std::thread::scope(|s| {
        let other = s.spawn(half);
        let mine = half();
        other
            .join()
            .map_err(|_| io::Error::other("a spool thread panicked"))??;
        mine
    })
}

/// Uploads in the sizing group.
pub const UPLOADS: usize = 64;

/// Bytes in each upload: between two powers of two, where doubling
/// charges the most.
pub const UPLOAD_BYTES: usize = 700_000;

/// [`UPLOADS`] spools of [`UPLOAD_BYTES`] written 16 KiB at a time under
/// one [`BUDGET`], all alive at once, each reserved first if `reserved`;
/// fails unless the charge is what the docs say it is.
pub fn sized_uploads(reserved: bool) -> io::Result<()> {
    let budget = tempspool::SpoolBudget::new(BUDGET);
    let upload = &data()[..UPLOAD_BYTES];
    let mut spools = Vec::with_capacity(UPLOADS);
    for _ in 0..UPLOADS {
        let mut spool = tempspool::SpooledTempFile::with_budget(MAX_SIZE, &budget);
        if reserved {
            spool.reserve(UPLOAD_BYTES);
        }
        for chunk in upload.chunks(16 * 1024) {
            spool.write_all(chunk)?;
        }
        spools.push(spool);
    }
    let each = if reserved { UPLOAD_BYTES } else { MAX_SIZE };
    if budget.used() != UPLOADS * each || spools.iter().any(|s| s.is_rolled()) {
        return Err(io::Error::other(format!(
            "charged {} for {UPLOADS} uploads, expected {each} each, none rolled",
            budget.used()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_catch_short_and_misplaced_data() {
        let data = data();
        expect_data(&data[..4 * CHUNK], 4 * CHUNK).unwrap();
        assert!(expect_data(&data[..CHUNK], 2 * CHUNK).is_err());
        let mut swapped = data[..2 * CHUNK].to_vec();
        swapped.rotate_left(CHUNK);
        assert!(expect_data(&swapped, 2 * CHUNK).is_err());
        assert!(expect_rolled(false, true).is_err());
    }

    #[test]
    fn no_two_lines_of_the_data_are_alike() {
        let lines: Vec<&[u8]> = data().chunks(CHUNK).collect();
        let unique: std::collections::HashSet<&[u8]> = lines.iter().copied().collect();
        assert_eq!(unique.len(), lines.len());
        assert!(
            lines
                .iter()
                .all(|l| l.len() == CHUNK && l[CHUNK - 1] == b'\n')
        );
        assert!(lines.iter().all(|l| !l[..CHUNK - 1].contains(&b'\n')));
    }

    #[test]
    fn a_line_reader_returning_more_than_a_line_a_call_fails_its_check() {
        /// A `BufRead` whose `read_line` takes two lines at once.
        struct Greedy(Cursor<Vec<u8>>);
        impl Read for Greedy {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                self.0.read(out)
            }
        }
        impl BufRead for Greedy {
            fn fill_buf(&mut self) -> io::Result<&[u8]> {
                self.0.fill_buf()
            }
            fn consume(&mut self, n: usize) {
                self.0.consume(n);
            }
            fn read_line(&mut self, out: &mut String) -> io::Result<usize> {
                let first = self.0.read_line(out)?;
                Ok(first + self.0.read_line(out)?)
            }
        }
        let bytes = data()[..MEMORY_BYTES].to_vec();
        let mut greedy = Box::new(LineReading::new(
            Greedy(Cursor::new(bytes.clone())),
            State::Memory,
        ));
        greedy.run().unwrap();
        assert!(greedy.check().is_err());
        let mut honest = Box::new(LineReading::new(Cursor::new(bytes), State::Memory));
        honest.run().unwrap();
        honest.check().unwrap();
    }

    #[test]
    fn a_job_that_skips_its_work_fails_its_check() {
        let short = Box::new(Reading::new(
            Cursor::new(data()[..100].to_vec()),
            Call::ReadExact,
            State::Memory,
        ));
        assert!(short.check().is_err());
        let unwritten = Box::new(Writing::new(
            Cursor::new(Vec::new()),
            Call::Write,
            State::Memory,
        ));
        assert!(unwritten.check().is_err());
    }

    #[test]
    fn every_staged_contender_does_its_calls_and_leaves_nothing_behind() {
        let _default = crate::places::DEFAULT_DIR
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let root = std::env::temp_dir().join(format!("bench-spool-{}", std::process::id()));
        std::fs::create_dir(&root).unwrap();
        let place = Place::open("test", &root).unwrap();
        place.activate().unwrap();
        for group in STAGED {
            assert!(group.contender(group.floor()).is_some(), "{}", group.name);
            assert_eq!(group.contenders()[0].name, "ours");
            for c in group.contenders() {
                let mut job = (c.prepare)(&place, group.call, group.state).unwrap();
                // Unrun, the check fails: it looks at what the calls did.
                let unrun = (c.prepare)(&place, group.call, group.state).unwrap();
                assert!(unrun.check().is_err(), "{}/{}", group.name, c.name);
                job.run()
                    .unwrap_or_else(|e| panic!("{}/{}: {e}", group.name, c.name));
                job.check()
                    .unwrap_or_else(|e| panic!("{}/{}: {e}", group.name, c.name));
            }
        }
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
        tempcore::reset_temp_dir();
        std::fs::remove_dir(&root).unwrap();
    }

    #[test]
    fn many_spools_run_with_and_without_a_budget() {
        many_spools(true).unwrap();
        many_spools(false).unwrap();
    }
}
