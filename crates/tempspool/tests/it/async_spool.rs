//! The `tokio` feature: `AsyncSpooledTempFile` in memory (at once, no
//! allocation per poll), across a rollover (on the blocking pool, lossless,
//! at every await point), under one budget, outside a runtime and through
//! a runtime's shutdown.
#![cfg(feature = "tokio")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::io::{self, SeekFrom};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use tempspool::{AsyncSpooledTempFile, SpoolBudget, SpooledTempFile};
use testkit::Scratch;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite,
    AsyncWriteExt, ReadBuf,
};
use tokio::runtime::Runtime;

/// Counts the allocations of the threads that ask it to.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<Option<usize>> = const { Cell::new(None) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get().map(|n| n + 1)));
}

// SAFETY: every call is passed on to `System` unchanged; counting touches
// only a thread-local `Cell` with no destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// How many allocations `body` makes on this thread.
fn allocations(body: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(Some(0)));
    body();
    ALLOCATIONS.with(|n| n.replace(None)).unwrap_or(0)
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a tokio runtime")
}

/// Polls once with a waker that does nothing: no runtime anywhere.
fn poll_once<T>(f: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    f(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn in_memory_every_poll_completes_at_once_and_allocates_nothing() {
    let mut spool = AsyncSpooledTempFile::new(4096);
    let mut s = Pin::new(&mut spool);
    // The buffer grows once, for the data.
    let first = poll_once(|cx| s.as_mut().poll_write(cx, &[7; 1024]));
    assert!(matches!(first, Poll::Ready(Ok(1024))));
    s.as_mut().start_seek(SeekFrom::Start(0)).unwrap();
    let mut out = [0u8; 16];
    let counted = allocations(|| {
        for round in 0..64u8 {
            let wrote = poll_once(|cx| s.as_mut().poll_write(cx, &[round; 16]));
            assert!(matches!(wrote, Poll::Ready(Ok(16))), "{wrote:?}");
        }
        s.as_mut().start_seek(SeekFrom::Start(16)).unwrap();
        assert!(matches!(
            poll_once(|cx| s.as_mut().poll_complete(cx)),
            Poll::Ready(Ok(16))
        ));
        for round in 1..64u8 {
            let mut buf = ReadBuf::new(&mut out);
            let read = poll_once(|cx| s.as_mut().poll_read(cx, &mut buf));
            assert!(matches!(read, Poll::Ready(Ok(()))));
            assert_eq!(buf.filled(), [round; 16]);
        }
        match poll_once(|cx| s.as_mut().poll_fill_buf(cx)) {
            Poll::Ready(Ok(rest)) => assert!(rest.is_empty()),
            other => panic!("{other:?}"),
        }
        s.as_mut().consume(0);
        assert!(matches!(
            poll_once(|cx| s.as_mut().poll_flush(cx)),
            Poll::Ready(Ok(()))
        ));
    });
    assert_eq!(counted, 0, "allocations while polling in memory");
    assert!(!spool.is_rolled());
}

#[test]
fn a_rolled_spool_reads_writes_and_seeks_as_the_sync_one_does() {
    runtime().block_on(async {
        let mut spool = AsyncSpooledTempFile::new(1000);
        let mut model = Vec::new();
        for i in 0..300u32 {
            let line = format!("line {i} {}\n", "x".repeat((i % 17) as usize));
            spool.write_all(line.as_bytes()).await.unwrap();
            model.extend_from_slice(line.as_bytes());
        }
        assert!(spool.is_rolled());
        spool.flush().await.unwrap();
        assert_eq!(spool.len().await.unwrap(), model.len() as u64);
        // Lines through AsyncBufRead, then a read that stops half way.
        spool.rewind().await.unwrap();
        let mut lines = Vec::new();
        let mut line = String::new();
        while spool.read_line(&mut line).await.unwrap() > 0 {
            lines.push(std::mem::take(&mut line));
        }
        assert_eq!(lines.concat().as_bytes(), model);
        spool.seek(SeekFrom::Start(5)).await.unwrap();
        let mut five = [0; 5];
        spool.read_exact(&mut five).await.unwrap();
        assert_eq!(five, model[5..10]);
        spool.seek(SeekFrom::Start(5)).await.unwrap();
        let ahead = spool.fill_buf().await.unwrap();
        assert!(ahead.len() > 5 && ahead[..5] == model[5..10]);
        Pin::new(&mut spool).consume(5);
        // Read ahead on the pool and then written over: the write lands
        // where the caller is, not where the read-ahead ended.
        spool.write_all(b"HERE").await.unwrap();
        model[10..14].copy_from_slice(b"HERE");
        assert_eq!(spool.stream_position().await.unwrap(), 14);
        spool.seek(SeekFrom::End(-3)).await.unwrap();
        spool.write_all(b"tail!").await.unwrap();
        model.truncate(model.len() - 3);
        model.extend_from_slice(b"tail!");
        spool.rewind().await.unwrap();
        let mut all = Vec::new();
        spool.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, model);
        let mut sync = spool.into_sync().await.unwrap();
        assert_eq!(crate::contents(&mut sync), model);
    });
}

#[test]
fn a_failed_rollover_keeps_every_acknowledged_byte() {
    let scratch = Scratch::new("async-rollover");
    let later = scratch.join("later");
    let sync = SpooledTempFile::with_builder_in(10, &tempfs::Builder::new(), &later);
    runtime().block_on(async {
        let mut spool = AsyncSpooledTempFile::from(sync);
        spool.write_all(b"in memory").await.unwrap();
        // Acknowledged: the pool took it, the rollover will fail.
        spool.write_all(b" and past the limit").await.unwrap();
        let err = spool.flush().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        let again = spool.flush().await.unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::NotFound);
        std::fs::create_dir(&later).unwrap();
        spool.flush().await.unwrap();
        assert!(spool.is_rolled());
        let mut sync = spool.into_sync().await.unwrap();
        assert_eq!(crate::contents(&mut sync), b"in memory and past the limit");
    });
}

/// Polls `fut` at most `n` times, yielding between polls; drops it if it
/// is not done by then.
async fn poll_n<F: Future>(fut: F, n: usize) -> Option<F::Output> {
    let mut fut = pin!(fut);
    for _ in 0..n {
        if let Poll::Ready(out) = poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await {
            return Some(out);
        }
        tokio::task::yield_now().await;
    }
    None
}

#[test]
fn a_rollover_cancelled_at_any_await_point_loses_no_acknowledged_byte() {
    let budget = SpoolBudget::new(1 << 20);
    let memory = vec![b'm'; 900];
    let more: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let expected = [&memory[..], &more[..]].concat();
    for n in 0..100_000 {
        let rt = runtime();
        let done = rt.block_on(async {
            let mut spool = AsyncSpooledTempFile::with_budget(1000, &budget);
            spool.write_all(&memory).await.unwrap();
            let acked = Rc::new(Cell::new(0));
            let work = {
                let (spool, acked, more) = (&mut spool, Rc::clone(&acked), &more);
                async move {
                    for chunk in more.chunks(64 * 1024) {
                        spool.write_all(chunk).await?;
                        acked.set(acked.get() + chunk.len());
                    }
                    spool.flush().await?;
                    spool.rewind().await.map(drop)
                }
            };
            let done = poll_n(work, n).await.is_some();
            let mut sync = spool.into_sync().await.unwrap();
            let got = crate::contents(&mut sync);
            let acked = memory.len() + acked.get();
            assert!(
                got.len() >= acked,
                "{} bytes, {acked} acknowledged",
                got.len()
            );
            assert_eq!(got, expected[..got.len()], "after {n} polls");
            done
        });
        drop(rt);
        assert_eq!(budget.used(), 0);
        if done {
            assert!(n > 1);
            return;
        }
    }
    panic!("never completed");
}

#[test]
fn outside_a_runtime_memory_works_and_the_disk_fails_clearly() {
    let mut rolled = SpooledTempFile::new(10);
    rolled.rollover().unwrap();
    let mut spool = AsyncSpooledTempFile::from(rolled);
    let wrote = poll_once(|cx| Pin::new(&mut spool).poll_write(cx, b"data"));
    match wrote {
        Poll::Ready(Err(e)) => {
            assert_eq!(e.kind(), io::ErrorKind::Other);
            assert!(e.to_string().contains("needs a tokio runtime"), "{e}");
        }
        other => panic!("expected an error at once, got {other:?}"),
    }
    let mut read = [0; 4];
    let mut buf = ReadBuf::new(&mut read);
    let polled = poll_once(|cx| Pin::new(&mut spool).poll_read(cx, &mut buf));
    assert!(matches!(polled, Poll::Ready(Err(_))));
    drop(spool);

    let mut memory = AsyncSpooledTempFile::new(10);
    let wrote = poll_once(|cx| Pin::new(&mut memory).poll_write(cx, b"data"));
    assert!(matches!(wrote, Poll::Ready(Ok(4))));
}

#[test]
fn a_runtime_shut_down_with_spools_in_flight_drops_them() {
    let budget = SpoolBudget::new(1 << 20);
    let rt = runtime();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    for rolls in [false, true] {
        let (budget, ready_tx) = (budget.clone(), ready_tx.clone());
        rt.spawn(async move {
            let mut spool = AsyncSpooledTempFile::with_budget(100, &budget);
            spool.write_all(&[1; 100]).await.unwrap();
            if rolls {
                spool.write_all(&[2; 1000]).await.unwrap();
            }
            ready_tx.send(()).unwrap();
            std::future::pending::<()>().await;
            drop(spool);
        });
    }
    ready.recv().unwrap();
    ready.recv().unwrap();
    assert!(budget.used() > 0);
    drop(rt);
    assert_eq!(budget.used(), 0, "a spool outlived its runtime");
}

#[test]
fn thousands_of_async_spools_share_one_budget() {
    const SPOOLS: usize = 2000;
    let budget = SpoolBudget::new(4 << 20);
    let rt = runtime();
    let rolled = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..SPOOLS {
            let budget = budget.clone();
            tasks.push(tokio::spawn(async move {
                let size = if i % 10 == 0 { 20_000 } else { 1 + i % 3000 };
                let body: Vec<u8> = (0..size).map(|b| (b + i) as u8).collect();
                let mut spool = AsyncSpooledTempFile::with_budget(16 * 1024, &budget);
                for part in body.chunks(1000) {
                    spool.write_all(part).await.unwrap();
                    assert!(budget.used() <= budget.limit());
                    tokio::task::yield_now().await;
                }
                spool.rewind().await.unwrap();
                let mut back = Vec::new();
                spool.read_to_end(&mut back).await.unwrap();
                assert_eq!(back, body);
                spool.is_rolled()
            }));
        }
        let mut rolled = 0;
        for task in tasks {
            rolled += usize::from(task.await.unwrap());
        }
        rolled
    });
    drop(rt);
    assert!(rolled >= SPOOLS / 10, "{rolled} rolled over");
    assert!(rolled < SPOOLS);
    assert_eq!(budget.used(), 0);
}
