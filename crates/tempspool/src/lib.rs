//! Spooled temporary files (Python's `SpooledTemporaryFile`): data stays in
//! memory while it is small and moves to an anonymous file from [`tempfs`]
//! once it grows past a limit, without losing a byte if that move fails,
//! and with one memory limit that many spools can share.
//!
//! # When to use a spool
//!
//! Use a [`SpooledTempFile`] when most of your scratch data is small but
//! some of it may be large, and you do not know which in advance: request
//! bodies and uploads in a server, decompressed entries of an archive,
//! intermediate results in a build tool. Small data never touches the file
//! system (no system call at all), large data never fills your memory. If
//! the data is always small, use a `Vec<u8>`; if it is always large, use
//! [`tempfs::tempfile`] directly. When thousands of spools live at once,
//! give them a shared [`SpoolBudget`], so that the total stays bounded
//! however many arrive together.
//!
//! ```
//! use std::io::{Read, Seek, Write};
//! use tempspool::SpooledTempFile;
//!
//! let mut upload = SpooledTempFile::new(64 * 1024);
//! upload.write_all(b"small bodies stay in memory")?;
//! assert!(!upload.is_rolled());
//! upload.rewind()?;
//! let mut body = String::new();
//! upload.read_to_string(&mut body)?;
//! assert_eq!(body, "small bodies stay in memory");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # The rollover rule
//!
//! Python's, exactly: **after a write, if the position is greater than
//! `max_size`, the spool rolls over.** So:
//!
//! - a spool holds at most `max_size` bytes in memory: writing exactly
//!   `max_size` bytes keeps it in memory, one byte more moves everything to
//!   disk;
//! - seeking past `max_size` does not roll over, but a write there does
//!   (even an empty one, as in Python), and zero-fills the gap;
//! - [`set_len`](SpooledTempFile::set_len)`(n)` with `n > max_size` rolls
//!   over (Python's `truncate(n)`);
//! - a `max_size` of 0 means no limit of its own (Python's default): the
//!   spool never rolls over by size, neither through writes nor through
//!   `set_len` (Python's `truncate` does roll a `max_size=0` spool over, an
//!   inconsistency we do not copy; the `tempfile` crate rolls a
//!   `max_size` 0 spool over on its first write);
//! - asking for the file ([`as_file`](SpooledTempFile::as_file),
//!   [`fileno`](SpooledTempFile::fileno),
//!   [`into_file`](SpooledTempFile::into_file)) rolls over, as Python's
//!   `fileno()` does; [`rollover`](SpooledTempFile::rollover) (or
//!   [`roll`](SpooledTempFile::roll)) rolls over explicitly;
//! - a spool attached to a [`SpoolBudget`] also rolls over when its buffer
//!   would grow past what the budget has left.
//!
//! The position survives the rollover, and reads, writes and seeks behave
//! the same in both states: reads past the end return 0, writes past the
//! end zero-fill the gap, any position can be sought.
//!
//! The rule is checked before the write instead of after it, with the same
//! outcome: the write that would end past `max_size` first rolls the spool
//! over, then goes to the file. The bytes of that write never pass through
//! memory, and memory never holds more than `max_size` bytes.
//!
//! ```
//! use std::io::{Seek, SeekFrom, Write};
//! let mut spool = tempspool::SpooledTempFile::new(30);
//! spool.write_all(&[b'x'; 30])?;
//! assert!(!spool.is_rolled()); // exactly max_size: still in memory
//! spool.seek(SeekFrom::Start(100))?;
//! assert!(!spool.is_rolled()); // seeking alone never rolls over
//! spool.write_all(b"y")?;
//! assert!(spool.is_rolled()); // position 101 > 30
//! assert_eq!(spool.len(), 101); // bytes 30..100 are zeros
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # When the rollover fails
//!
//! No data is ever lost. The rollover creates the file, writes every byte
//! to it and sets its position before it lets the memory go; if any step
//! fails (disk full, `RLIMIT_FSIZE`, a read-only or missing directory, no
//! file descriptors left), the call returns the error, which names the
//! directory, and the spool is still in memory with every byte and its
//! position, fully usable. A later rollover can succeed. (Python's
//! `SpooledTemporaryFile` swaps its buffer for the new file first, so the
//! same failure loses the data and leaves the object unusable.)
//!
//! A write that triggers a failing rollover returns the error **and writes
//! nothing**, as `Write` requires of an error: the spool holds what it held
//! before the call. Retrying the write retries the rollover. Reads, seeks
//! and smaller writes keep working in memory in the meantime.
//!
//! [`into_file`](SpooledTempFile::into_file) and
//! [`into_inner`](SpooledTempFile::into_inner) give the spool back inside
//! their error ([`IntoInnerError`]) instead of dropping it.
//!
//! The file-size limit (`RLIMIT_FSIZE`, unix) is never passed: a rollover,
//! write or [`set_len`](SpooledTempFile::set_len) that would end past it
//! fails with `EFBIG` ([`io::ErrorKind::FileTooLarge`](std::io::ErrorKind::FileTooLarge))
//! having written nothing, instead of meeting the kernel's `SIGXFSZ`, which
//! kills a Rust program. A limit lowered after the rollover is the one
//! exception; see
//! [`docs/security.md`](https://github.com/tempkit/tempkit/blob/main/docs/security.md#spooled-files-tempspool).
//!
//! # Budgets
//!
//! A [`SpoolBudget`] is one memory limit shared by many spools, across
//! threads. Each attached spool charges it for its buffer's capacity (the
//! memory really allocated) when the buffer grows, and gives memory back
//! when it rolls over, shrinks ([`set_len`](SpooledTempFile::set_len)),
//! gives its buffer away or is dropped. A write that would need more than
//! the budget has left rolls that spool over to disk first. The hot path
//! never touches the budget: only a write that makes the buffer grow does,
//! with one lock-free compare-and-swap.
//!
//! ```
//! use std::io::Write;
//! use tempspool::{SpoolBudget, SpooledTempFile};
//!
//! let budget = SpoolBudget::new(1 << 20); // 1 MiB for all uploads together
//! let uploads: Vec<SpooledTempFile> = (0..8)
//!     .map(|_| SpooledTempFile::with_budget(256 * 1024, &budget))
//!     .collect();
//! # drop(uploads);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! **Sizing a budget.** A spool is charged its buffer's capacity. Written
//! in pieces, the buffer doubles (from 64 bytes, never past `max_size`),
//! so a spool holding B bytes is charged the power of two at or above B,
//! capped at `max_size`: between B and 2B, about 1.39B on average (2 ln 2)
//! over sizes spread evenly between two powers of two. N such spools need a budget of
//! about N × 2B to all stay in memory (N × `max_size` at most). A single
//! write of B bytes into an empty spool is charged B. When the final size
//! is known (an upload's `Content-Length`), [`reserve`](SpooledTempFile::reserve)
//! it first: doubling then stops at B, so a complete spool is charged
//! exactly B, and a reservation costs nothing until data arrives (a client
//! that declares much and sends little holds at most twice what it sent).
//! Measured no slower than doubling: the `spool-sizing` group in
//! `docs/performance.md`. 200 uploads of 700,000 bytes fit a 140 MB budget
//! reserved, and need 210 MB left to double.
//!
//! A [`DiskBudget`] does the same for bytes on disk
//! ([`attach_disk`](SpooledTempFile::attach_disk)): a write that would pass
//! it fails with `StorageFull`, having written nothing. A spool made by
//! [`new_memory_backed`](SpooledTempFile::new_memory_backed) rolls over
//! into a memory-backed file ([`tempfs::MemoryFile`]) instead of the disk.
//!
//! # Async code
//!
//! With the `tokio` feature, `AsyncSpooledTempFile` is the spool as
//! tokio's `AsyncRead`, `AsyncWrite`, `AsyncSeek` and `AsyncBufRead`: in
//! memory every call is done in the poll that asks for it, allocating
//! nothing beyond the data; the rollover and every call after it run on
//! tokio's blocking pool, keeping the lossless rollover, and a
//! [`SpoolBudget`] is shared by sync and async spools alike.
//! [`docs/async.md`](https://github.com/tempkit/tempkit/blob/main/docs/async.md)
//! says what a write's acknowledgement means, and what cancellation and
//! runtime shutdown do.
//!
//! # Speed
//!
//! In memory, calls cost about what they cost on a `Cursor<Vec<u8>>`:
//! `write`, `write_all`, `write_vectored` (and `write!`), `read`,
//! `read_exact`, `seek`, `stream_position`, `fill_buf` and `consume`
//! inline their common case into the caller (a bounds check and a copy,
//! with one more check that the bytes fit in the memory already allocated
//! and accounted), and everything else (growing, the rollover, the budget)
//! is one call out of line. `read_to_end` and `read_to_string` copy the rest
//! in one go. The shortest calls, `read_exact` and `seek` of 64 bytes,
//! still cost measurably more than a `Cursor`'s (`docs/performance.md` has
//! each call's ratio, and what is known of why).
//!
//! After a rollover, the spool keeps an I/O buffer (8 KiB by default,
//! [`set_buffer_capacity`](SpooledTempFile::set_buffer_capacity)) for reads
//! and writes in turn, so small operations cost what they cost through a
//! `BufReader` or `BufWriter` around a `File`: no need to wrap the spool in
//! one. The same calls inline their case within the buffer.
//! `read_to_end` and `read_to_string` know the length: they allocate once
//! and read the rest of the file in one system call, where `BufReader`
//! asks the file for its size and probes for the end. `stream_position`,
//! and `seek` unless buffered writes must go out first, make no system
//! call at all.
//!
//! The spool is its own buffer: it implements [`BufRead`](std::io::BufRead)
//! in both states, so read lines with `spool.lines()`, `read_line` or
//! `read_until` directly (a `BufReader` around it would only copy every
//! byte once more). `read_buf` is left to std's default (it is unstable on
//! the crate's minimum Rust version), as is `is_write_vectored` (`false`,
//! though a vectored write takes all of its slices in one call).
//!
//! The buffering is invisible: reads always see earlier writes, writes
//! after reads land at the logical position (the read-ahead is dropped),
//! and everything that looks at the file or leaves the buffered bytes
//! behind writes them out first: a read, a `seek` that moves, `set_len`,
//! [`as_file`](SpooledTempFile::as_file), [`fileno`](SpooledTempFile::fileno),
//! `into_file`, `into_inner`, `flush` and drop. `len` counts buffered bytes
//! without writing them. Every system call is positional
//! (`pread`/`pwrite`), so switching between reading and writing costs no
//! `lseek`.
//!
//! `cargo run --release -p tempspool --example spool_speed -- --full`
//! measures each of these calls on its own, in memory against `Cursor` and
//! after a rollover against `BufWriter`/`BufReader` on a file in the same
//! directory, with the `tempfile` crate alongside.
//!
//! # Coming from the `tempfile` crate
//!
//! `SpooledTempFile::new`, `new_in`, `is_rolled`, `roll`, `set_len`,
//! `into_file` and [`SpooledData`] have the same names and arguments.
//! Differences: a `max_size` of 0 means "no limit" (Python's meaning),
//! [`into_inner`](SpooledTempFile::into_inner) returns a `Result` (writing
//! out the buffer can fail, and the error gives the spool back), and
//! `into_file`'s error is an [`IntoInnerError`] that converts into
//! `io::Error` with `?`.
//!
//! # Security
//!
//! The rollover file is an anonymous file from [`tempfs::Builder`]: 0600,
//! with no name another user could open on Linux, freed even if the
//! process is killed, in the default directory ([`tempfs::temp_dir`])
//! unless [`SpooledTempFile::new_in`] chooses another. `Debug` never shows
//! the contents.
//! [`docs/security.md`](https://github.com/tempkit/tempkit/blob/main/docs/security.md)
//! lists the defences and the tests that prove them.
//!
//! # Platform behaviour
//!
//! [`SpooledTempFile::fileno`] returns a file descriptor on unix and WASI
//! and a handle on Windows ([`Fileno`]); the rest behaves alike everywhere (see
//! [`docs/platforms.md`](https://github.com/tempkit/tempkit/blob/main/docs/platforms.md)).

// The async layer, behind the `tokio` feature (the one `cfg` outside
// `sys`: a feature, not a platform).
#[cfg(feature = "tokio")]
mod async_spool;
mod budget;
mod counter;
mod disk;
mod disk_budget;
mod error;
mod memory;
#[cfg(test)]
mod model_tests;
mod spool;
mod sys;

#[cfg(feature = "tokio")]
pub use async_spool::AsyncSpooledTempFile;
pub use budget::SpoolBudget;
pub use disk_budget::DiskBudget;
pub use error::IntoInnerError;
pub use spool::{SpooledData, SpooledTempFile, spooled_tempfile, spooled_tempfile_in};
pub use sys::Fileno;
/// The options of a rollover file ([`SpooledTempFile::with_builder`]),
/// re-exported so that a spool needs no other crate.
pub use tempfs::Builder;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
