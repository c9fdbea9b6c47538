//! Randomness for names, drawn from the OS CSPRNG in batches.
//!
//! One `getrandom` call costs about half a microsecond, as much as the
//! `openat` it names a file for, so each thread keeps a pool of random bytes
//! and refills it one system call at a time. The pool lives in memory that
//! the kernel wipes in a forked child (`MADV_WIPEONFORK` on Linux), so a
//! child never replays its parent's bytes: after `fork` it finds the pool
//! empty and draws its own. Where no such memory exists (macOS, the BSDs)
//! every name makes its own `getrandom` call. Windows has no `fork`, so
//! ordinary memory is safe there.

use std::cell::RefCell;
use std::io;

use crate::sys;

/// Requests larger than this bypass the pool: they would drain it at once.
const LARGEST_POOLED: usize = 256;

/// A thread's batch of random bytes. The first eight bytes of the page hold
/// how many of the rest are still unused; a wiped page therefore reads as
/// empty, which is what makes the pool safe across `fork`.
struct Pool {
    page: sys::WipedPage,
}

const COUNT: usize = std::mem::size_of::<u64>();

impl Pool {
    fn new() -> Option<Pool> {
        sys::WipedPage::new().map(|page| Pool { page })
    }

    fn fill(&mut self, out: &mut [u8]) -> io::Result<()> {
        let (head, data) = self.page.bytes().split_at_mut(COUNT);
        let mut count = [0u8; COUNT];
        count.copy_from_slice(head);
        let mut left = usize::try_from(u64::from_ne_bytes(count))
            .unwrap_or(0)
            .min(data.len());
        if left < out.len() {
            getrandom::fill(data)?;
            left = data.len();
        }
        let start = left - out.len();
        out.copy_from_slice(&data[start..left]);
        // Bytes handed out are not kept.
        data[start..left].fill(0);
        head.copy_from_slice(&(start as u64).to_ne_bytes());
        Ok(())
    }
}

thread_local! {
    /// `None` inside: this platform has no fork-safe memory, draw directly.
    static POOL: RefCell<Option<Option<Pool>>> = const { RefCell::new(None) };
}

/// Fills `out` with bytes from the operating system's CSPRNG.
pub(crate) fn fill(out: &mut [u8]) -> io::Result<()> {
    if out.len() <= LARGEST_POOLED {
        let pooled = POOL.try_with(|cell| {
            let mut slot = cell.try_borrow_mut().ok()?;
            let pool = slot.get_or_insert_with(Pool::new).as_mut()?;
            Some(pool.fill(out))
        });
        if let Ok(Some(result)) = pooled {
            return result;
        }
    }
    getrandom::fill(out).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_draws_differ_and_are_not_zero() {
        let mut a = [0u8; 16];
        let mut b = [0u8; 16];
        fill(&mut a).unwrap();
        fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 16]);
    }

    #[test]
    fn refills_when_drained() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2_000 {
            let mut x = [0u8; 13];
            fill(&mut x).unwrap();
            assert!(seen.insert(x), "a draw repeated");
        }
    }

    #[test]
    fn large_requests_bypass_the_pool() {
        let mut big = vec![0u8; 4 * LARGEST_POOLED];
        fill(&mut big).unwrap();
        assert!(big.iter().any(|&b| b != 0));
    }
}
