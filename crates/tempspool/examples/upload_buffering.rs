//! A server buffering uploads (the `tokio` feature): many concurrent
//! requests, each body written into an `AsyncSpooledTempFile` as its
//! chunks arrive, all under one `SpoolBudget`. Small bodies stay in
//! memory; large ones, and those that arrive while the budget is spent,
//! roll over to anonymous files on tokio's blocking pool, without a worker
//! thread ever waiting for the disk. Each body is then read back and
//! checked, as a handler would hash or forward it.
//!
//! ```text
//! cargo run -p tempspool --features tokio --example upload_buffering
//! ```

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tempspool::{AsyncSpooledTempFile, SpoolBudget};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Requests in flight at once.
const UPLOADS: usize = 1000;

/// What one spool keeps in memory at most.
const PER_UPLOAD: usize = 64 * 1024;

/// What all of them keep in memory together.
const TOTAL: usize = 8 * 1024 * 1024;

/// The body of upload `n`: most are small, one in twenty is large.
fn body(n: usize) -> Vec<u8> {
    let len = if n % 20 == 0 {
        200_000
    } else {
        500 + n * 37 % 40_000
    };
    (0..len).map(|i| (i * 31 + n) as u8).collect()
}

/// One request: the body arrives in chunks, with other requests' chunks
/// in between; the handler then reads it back whole.
async fn upload(n: usize, budget: SpoolBudget, peak: Arc<AtomicUsize>) -> io::Result<bool> {
    let body = body(n);
    let mut spool = AsyncSpooledTempFile::with_budget(PER_UPLOAD, &budget);
    for chunk in body.chunks(4096) {
        spool.write_all(chunk).await?;
        peak.fetch_max(budget.used(), Ordering::Relaxed);
        tokio::task::yield_now().await;
    }
    spool.flush().await?;
    spool.rewind().await?;
    let mut back = Vec::with_capacity(body.len());
    spool.read_to_end(&mut back).await?;
    if back != body {
        return Err(io::Error::other(format!("upload {n} came back different")));
    }
    Ok(spool.is_rolled())
}

fn main() -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().build()?;
    let budget = SpoolBudget::new(TOTAL);
    let peak = Arc::new(AtomicUsize::new(0));
    let rolled = runtime.block_on(async {
        let tasks: Vec<_> = (0..UPLOADS)
            .map(|n| tokio::spawn(upload(n, budget.clone(), Arc::clone(&peak))))
            .collect();
        let mut rolled = 0;
        for task in tasks {
            rolled += usize::from(task.await.map_err(io::Error::other)??);
        }
        Ok::<_, io::Error>(rolled)
    })?;
    drop(runtime);
    let peak = peak.load(Ordering::Relaxed);
    println!("{UPLOADS} uploads buffered at once under one budget of {TOTAL} bytes");
    println!(
        "{} stayed in memory, {rolled} rolled over to disk",
        UPLOADS - rolled
    );
    println!("peak memory charged to the budget: {peak} bytes (limit {TOTAL})");
    println!("charged after the last upload: {} bytes", budget.used());
    assert!(peak <= TOTAL && budget.used() == 0);
    assert!(rolled > 0 && rolled < UPLOADS);
    Ok(())
}
