//! [`Counter`]: a limit and a count of what is taken from it, shared by
//! threads without a lock; what both budgets are made of.

use std::sync::atomic::{AtomicU64, Ordering};

/// Every access is Relaxed: the count is the only state a budget keeps and
/// it publishes no other memory; each update is one atomic
/// read-modify-write, so the total itself is never torn or lost.
const ORDER: Ordering = Ordering::Relaxed;

/// A limit, and how much of it is taken.
#[derive(Debug)]
pub(crate) struct Counter {
    limit: u64,
    used: AtomicU64,
}

impl Counter {
    /// A limit of `limit`, nothing taken.
    pub(crate) const fn new(limit: u64) -> Counter {
        Counter {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// The limit.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// How much is taken now.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(ORDER)
    }

    /// Takes `n` if the total stays within the limit; otherwise takes
    /// nothing and returns the count it saw. One compare-and-swap loop.
    pub(crate) fn try_take(&self, n: u64) -> Result<(), u64> {
        if n == 0 {
            return Ok(());
        }
        let mut used = self.used.load(ORDER);
        loop {
            match used.checked_add(n).filter(|&total| total <= self.limit) {
                None => return Err(used),
                Some(total) => match self.used.compare_exchange_weak(used, total, ORDER, ORDER) {
                    Ok(_) => return Ok(()),
                    Err(now) => used = now,
                },
            }
        }
    }

    /// Takes `n` whether or not it fits: for what was spent beyond a
    /// check, so that the count stays the truth.
    pub(crate) fn force_take(&self, n: u64) {
        self.used.fetch_add(n, ORDER);
    }

    /// Gives `n` back; the count stops at 0, and giving back more than
    /// was taken (a bug) panics in debug builds.
    pub(crate) fn give_back(&self, n: u64) {
        if n == 0 {
            return;
        }
        let mut used = self.used.load(ORDER);
        loop {
            match self
                .used
                .compare_exchange_weak(used, used.saturating_sub(n), ORDER, ORDER)
            {
                Ok(_) => break,
                Err(now) => used = now,
            }
        }
        debug_assert!(used >= n, "a budget was given back more than it lent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_stops_at_the_limit_and_never_overflows() {
        let counter = Counter::new(100);
        assert_eq!(counter.try_take(60), Ok(()));
        assert_eq!(counter.try_take(41), Err(60));
        assert_eq!(counter.try_take(40), Ok(()));
        assert_eq!(counter.try_take(0), Ok(()));
        assert_eq!(counter.try_take(1), Err(100));
        counter.give_back(100);
        assert_eq!(counter.used(), 0);
        let full = Counter::new(u64::MAX);
        assert_eq!(full.try_take(u64::MAX - 1), Ok(()));
        assert!(full.try_take(2).is_err());
        assert_eq!(full.try_take(1), Ok(()));
    }

    // Not on WASI: it has no threads.
    #[cfg(not(target_os = "wasi"))]
    #[test]
    fn threads_racing_to_the_limit_never_pass_it() {
        let counter = Counter::new(1000);
        let granted: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| (0..1000).filter(|_| counter.try_take(3).is_ok()).count()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(granted, 333);
        assert_eq!(counter.used(), 999);
    }
}
