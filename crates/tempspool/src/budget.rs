//! [`SpoolBudget`]: one memory limit shared by many spools.

use std::fmt;
use std::sync::Arc;

use crate::counter::Counter;

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
    shared: Arc<Counter>,
}

impl SpoolBudget {
    /// A budget of `bytes` of memory, none of it used yet.
    pub fn new(bytes: usize) -> SpoolBudget {
        SpoolBudget {
            shared: Arc::new(Counter::new(bytes as u64)),
        }
    }

    /// The limit given to [`new`](SpoolBudget::new).
    pub fn limit(&self) -> usize {
        self.shared.limit() as usize
    }

    /// How many bytes the attached spools hold in memory right now.
    pub fn used(&self) -> usize {
        // At most the limit, a usize, plus what the allocator added.
        usize::try_from(self.shared.used()).unwrap_or(usize::MAX)
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
        self.shared.try_take(bytes as u64).is_ok()
    }

    /// Takes `bytes` whether or not they fit: only for memory the allocator
    /// handed out beyond what was asked (which std's `Vec<u8>` never does),
    /// so that the count stays the truth.
    pub(crate) fn force_acquire(&self, bytes: usize) {
        self.shared.force_take(bytes as u64);
    }

    /// Gives `bytes` back.
    pub(crate) fn release(&self, bytes: usize) {
        self.shared.give_back(bytes as u64);
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
    fn clones_share_one_counter() {
        let budget = SpoolBudget::new(10);
        let clone = budget.clone();
        assert!(clone.try_acquire(7));
        assert_eq!(budget.used(), 7);
        assert_eq!(budget.available(), 3);
        assert!(budget.same_as(&clone));
        assert!(!budget.same_as(&SpoolBudget::new(10)));
    }
}
