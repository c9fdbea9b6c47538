//! [`DiskBudget`]: one limit on bytes on disk, shared by many spools and
//! by callers' own temporary files.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A limit on the bytes that temporary files hold on disk, shared by many
/// [`SpooledTempFile`](crate::SpooledTempFile)s (see
/// [`attach_disk`](crate::SpooledTempFile::attach_disk)) and usable for
/// one's own files ([`try_charge`](Self::try_charge),
/// [`release`](Self::release)): what [`SpoolBudget`](crate::SpoolBudget)
/// is for memory, for a service that spills temporary data to disk.
///
/// A write that would take the total past the limit fails with
/// [`ErrorKind::StorageFull`](io::ErrorKind::StorageFull) (the kind of
/// `ENOSPC`), having written nothing; the spool stays usable, and later
/// writes succeed once other spools gave bytes back. The limit is never
/// passed, however many threads race to it: charging is one atomic
/// compare-and-swap loop, never a lock.
///
/// What a spool is charged: the length of its file, plus, while its I/O
/// buffer collects writes, the room left in that buffer (at most
/// [`buffer_capacity`](crate::SpooledTempFile::buffer_capacity), 8 KiB by
/// default), reserved when the buffer starts so that buffered writes
/// cannot pass the limit later, at write-out. Near the limit the buffer is
/// not started and every write is charged exactly. A rollover charges the
/// bytes it copies out of memory before it creates the file. Bytes go back
/// when `set_len` shrinks the file, when the spool gives its file away
/// (`into_file`, `into_inner`) and when it is dropped. Writes made through
/// [`as_file`](crate::SpooledTempFile::as_file) are not checked: the spool
/// counts them (even past the limit) when it next takes the file back.
/// The length is counted, not the blocks: a file extended by `set_len`
/// (sparse) is charged its full length.
///
/// Budgets compose: a spool with a [`SpoolBudget`](crate::SpoolBudget) and
/// a `DiskBudget` stays in memory while the memory budget allows, rolls
/// over to disk while the disk budget allows, and fails its write after
/// that.
///
/// ```
/// use std::io::{ErrorKind, Write};
/// use tempspool::{DiskBudget, SpooledTempFile};
///
/// let disk = DiskBudget::new(100_000);
/// let mut spool = SpooledTempFile::new(1000);
/// spool.attach_disk(&disk)?;
/// spool.write_all(&[1; 60_000])?; // rolls over: 60 000 bytes on disk
/// let err = spool.write_all(&[2; 50_000]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::StorageFull);
/// assert_eq!(spool.len(), 60_000); // nothing of it was written
/// assert!(disk.used() <= disk.limit());
/// drop(spool);
/// assert_eq!(disk.used(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct DiskBudget {
    shared: Arc<Shared>,
}

struct Shared {
    limit: u64,
    used: AtomicU64,
}

// The counter publishes no other memory: Relaxed, as in SpoolBudget.
const ORDER: Ordering = Ordering::Relaxed;

impl DiskBudget {
    /// A budget of `bytes` on disk, none of it used yet. A budget of 0
    /// refuses every byte: a spool attached to it can never roll over.
    pub fn new(bytes: u64) -> DiskBudget {
        DiskBudget {
            shared: Arc::new(Shared {
                limit: bytes,
                used: AtomicU64::new(0),
            }),
        }
    }

    /// The limit given to [`new`](DiskBudget::new).
    pub fn limit(&self) -> u64 {
        self.shared.limit
    }

    /// How many bytes are charged right now.
    pub fn used(&self) -> u64 {
        self.shared.used.load(ORDER)
    }

    /// How many more bytes may be charged.
    pub fn available(&self) -> u64 {
        self.limit().saturating_sub(self.used())
    }

    /// Whether `self` and `other` are handles to the same budget.
    pub fn same_as(&self, other: &DiskBudget) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Charges `bytes` if they fit under the limit, for a file of one's
    /// own: call it before writing them, and [`release`](Self::release)
    /// them when the file shrinks or goes away. Fails with
    /// [`ErrorKind::StorageFull`](io::ErrorKind::StorageFull), charging
    /// nothing, if they do not fit.
    pub fn try_charge(&self, bytes: u64) -> io::Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        let limit = self.shared.limit;
        self.shared
            .used
            .fetch_update(ORDER, ORDER, |used| {
                used.checked_add(bytes).filter(|&total| total <= limit)
            })
            .map(|_| ())
            .map_err(|used| self.exceeded(bytes, used))
    }

    /// Gives back `bytes` charged before. Giving back more than was
    /// charged is a bug: the count stops at 0 (and debug builds panic).
    pub fn release(&self, bytes: u64) {
        if bytes != 0 {
            let before = self
                .shared
                .used
                .fetch_update(ORDER, ORDER, |used| Some(used.saturating_sub(bytes)))
                .unwrap_or_default();
            debug_assert!(
                before >= bytes,
                "a disk budget was given back more than it lent"
            );
        }
    }

    /// `StorageFull` if `bytes` do not fit now (charging nothing either
    /// way): a check before work that would be wasted, not a promise.
    pub(crate) fn check_room(&self, bytes: u64) -> io::Result<()> {
        let used = self.used();
        if used
            .checked_add(bytes)
            .is_none_or(|total| total > self.limit())
        {
            return Err(self.exceeded(bytes, used));
        }
        Ok(())
    }

    /// Charges `bytes` whether or not they fit: bytes already on disk that
    /// were written past the spool's checks (through `as_file`), so that the
    /// count stays the truth.
    pub(crate) fn force_charge(&self, bytes: u64) {
        self.shared.used.fetch_add(bytes, ORDER);
    }

    #[cold]
    fn exceeded(&self, bytes: u64, used: u64) -> io::Error {
        io::Error::new(
            io::ErrorKind::StorageFull,
            format!(
                "{bytes} more bytes on disk would pass the disk budget ({used} of {} bytes used)",
                self.shared.limit
            ),
        )
    }
}

impl fmt::Debug for DiskBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskBudget")
            .field("limit", &self.limit())
            .field("used", &self.used())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_stops_at_the_limit() {
        let budget = DiskBudget::new(100);
        budget.try_charge(60).unwrap();
        let err = budget.try_charge(41).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        assert!(err.to_string().contains("41 more bytes"), "{err}");
        assert_eq!(budget.used(), 60);
        budget.try_charge(40).unwrap();
        assert_eq!(budget.available(), 0);
        budget.try_charge(0).unwrap();
        budget.release(100);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_budget_of_zero_refuses_every_byte() {
        let budget = DiskBudget::new(0);
        assert!(budget.try_charge(1).is_err());
        budget.try_charge(0).unwrap();
    }

    #[test]
    fn charge_never_overflows() {
        let budget = DiskBudget::new(u64::MAX);
        budget.try_charge(u64::MAX - 1).unwrap();
        assert!(budget.try_charge(2).is_err());
        budget.try_charge(1).unwrap();
    }

    // Not on WASI: it has no threads.
    #[cfg(not(target_os = "wasi"))]
    mod threads {
        use super::*;

        #[test]
        fn threads_racing_to_the_limit_never_pass_it() {
            let budget = DiskBudget::new(1000);
            let taken: u64 = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        let budget = budget.clone();
                        s.spawn(move || (0..100).filter(|_| budget.try_charge(3).is_ok()).count())
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap() as u64 * 3)
                    .sum()
            });
            assert_eq!(taken, budget.used());
            assert_eq!(taken, 999);
        }
    }
}
