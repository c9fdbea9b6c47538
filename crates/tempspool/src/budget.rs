//! [`SpoolBudget`]: one memory limit shared by many spools.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A memory limit shared by many [`SpooledTempFile`](crate::SpooledTempFile)s:
/// a server buffering thousands of uploads keeps small ones in memory and
/// lets the total never pass one number.
///
/// A spool attached to a budget charges it for the memory its buffer holds
/// (the buffer's capacity, which is what the allocator really handed out, not
/// only the bytes written so far). Before a write, a `set_len` or an
/// [`attach`](crate::SpooledTempFile::attach) would make the buffer grow past
/// what the budget has left, that spool rolls over to disk instead. Memory
/// goes back to the budget when a spool rolls over, when it is truncated
/// (`set_len` to a smaller length frees the buffer's spare capacity), when
/// it gives its buffer away ([`into_inner`](crate::SpooledTempFile::into_inner))
/// and when it is dropped.
///
/// The budget is a cheap handle: clone it freely, send it to other threads.
/// Charging and refunding are a single atomic compare-and-swap or subtraction,
/// never a lock, and happen only when a spool's buffer grows or shrinks, not
/// on every write. What it does not count: the spools' own small structs and,
/// once a spool has rolled over, its I/O buffer (8 KiB by default, see
/// [`set_buffer_capacity`](crate::SpooledTempFile::set_buffer_capacity)).
///
/// ```
/// use std::io::Write;
/// use tempspool::{SpoolBudget, SpooledTempFile};
///
/// let budget = SpoolBudget::new(1000);
/// let mut small = SpooledTempFile::with_budget(0, &budget);
/// small.write_all(&[1; 600])?;
/// let mut other = SpooledTempFile::with_budget(0, &budget);
/// other.write_all(&[2; 600])?; // 600 more would pass 1000: this one goes to disk
/// assert!(!small.is_rolled());
/// assert!(other.is_rolled());
/// assert!(budget.used() <= budget.limit());
/// drop(small);
/// assert_eq!(budget.used(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct SpoolBudget {
    shared: Arc<Shared>,
}

struct Shared {
    limit: usize,
    used: AtomicUsize,
}

// Every access is Relaxed: the counter is the only state the budget keeps,
// and it publishes no other memory; each update is one atomic
// read-modify-write, so the total itself is never torn or lost.
const ORDER: Ordering = Ordering::Relaxed;

impl SpoolBudget {
    /// A budget of `bytes` of memory, none of it used yet.
    pub fn new(bytes: usize) -> SpoolBudget {
        SpoolBudget {
            shared: Arc::new(Shared {
                limit: bytes,
                used: AtomicUsize::new(0),
            }),
        }
    }

    /// The limit given to [`new`](SpoolBudget::new).
    pub fn limit(&self) -> usize {
        self.shared.limit
    }

    /// How many bytes the attached spools hold in memory right now.
    pub fn used(&self) -> usize {
        self.shared.used.load(ORDER)
    }

    /// How many more bytes spools may take before they start rolling over.
    pub fn available(&self) -> usize {
        self.limit().saturating_sub(self.used())
    }

    /// Whether `self` and `other` are handles to the same budget.
    pub fn same_as(&self, other: &SpoolBudget) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Takes `bytes` from the budget if they fit under the limit; `false`
    /// (and nothing taken) if they do not. Lock-free: one compare-and-swap
    /// loop on the counter.
    pub(crate) fn try_acquire(&self, bytes: usize) -> bool {
        if bytes == 0 {
            return true;
        }
        let limit = self.shared.limit;
        self.shared
            .used
            .fetch_update(ORDER, ORDER, |used| {
                used.checked_add(bytes).filter(|&total| total <= limit)
            })
            .is_ok()
    }

    /// Takes `bytes` whether or not they fit: only for memory the allocator
    /// handed out beyond what was asked (which std's `Vec<u8>` never does),
    /// so that the count stays the truth.
    pub(crate) fn force_acquire(&self, bytes: usize) {
        self.shared.used.fetch_add(bytes, ORDER);
    }

    /// Gives `bytes` back.
    pub(crate) fn release(&self, bytes: usize) {
        if bytes != 0 {
            let before = self.shared.used.fetch_sub(bytes, ORDER);
            debug_assert!(before >= bytes, "a spool budget refunded more than it lent");
        }
    }
}

impl fmt::Debug for SpoolBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpoolBudget")
            .field("limit", &self.limit())
            .field("used", &self.used())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_stops_at_the_limit() {
        let budget = SpoolBudget::new(100);
        assert!(budget.try_acquire(60));
        assert!(!budget.try_acquire(41));
        assert_eq!(budget.used(), 60);
        assert!(budget.try_acquire(40));
        assert_eq!(budget.available(), 0);
        assert!(!budget.try_acquire(1));
        assert!(budget.try_acquire(0));
        budget.release(100);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn acquire_never_overflows() {
        let budget = SpoolBudget::new(usize::MAX);
        assert!(budget.try_acquire(usize::MAX - 1));
        assert!(!budget.try_acquire(2));
        assert!(budget.try_acquire(1));
    }

    #[test]
    fn clones_share_one_counter() {
        let budget = SpoolBudget::new(10);
        let clone = budget.clone();
        assert!(clone.try_acquire(7));
        assert_eq!(budget.used(), 7);
        assert!(budget.same_as(&clone));
        assert!(!budget.same_as(&SpoolBudget::new(10)));
    }

    // Not on WASI: it has no threads.
    #[cfg(not(target_os = "wasi"))]
    mod threads {
        use super::*;

        #[test]
        fn concurrent_acquires_never_pass_the_limit() {
            let budget = SpoolBudget::new(1000);
            let granted: usize = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        let budget = budget.clone();
                        scope.spawn(move || (0..1000).filter(|_| budget.try_acquire(3)).count())
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).sum()
            });
            assert_eq!(granted, 333);
            assert_eq!(budget.used(), 999);
        }
    }
}
