//! The `tokio` feature: async constructors, persist, safe save, and
//! `AsyncTempDir`'s removal off the worker threads; cancellation at every
//! await point, use outside a runtime, runtime shutdown with live objects.
#![cfg(feature = "tokio")]

use std::future::{Future, poll_fn};
use std::io;
use std::path::Path;
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};

use tempfs::{AsyncTempDir, Builder, NamedTempFile};
use testkit::Scratch;
use tokio::io::AsyncWriteExt;
use tokio::runtime::Runtime;

/// A multi-thread runtime with `blocking` threads in its blocking pool.
fn runtime(blocking: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(blocking)
        .build()
        .expect("a tokio runtime")
}

/// Polls `fut` at most `n` times, yielding to the runtime between polls,
/// and drops it if it is not done by then.
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

/// Runs `make(n)` for n = 0, 1, ... polls, each on a runtime of its own
/// that is dropped (so that work the dropped future left on the blocking
/// pool is done) before `check` looks, until the future completes within
/// its polls. Returns how many runs it took.
fn at_every_await_point<T, F>(make: impl Fn() -> F, check: impl Fn(bool)) -> usize
where
    F: Future<Output = T>,
{
    for n in 0..100_000 {
        let rt = runtime(4);
        let done = rt.block_on(async { poll_n(make(), n).await.map(drop).is_some() });
        drop(rt);
        check(done);
        if done {
            return n;
        }
    }
    panic!("the future never completed");
}

#[test]
fn cancelled_creation_leaves_nothing_behind_at_any_await_point() {
    let scratch = Scratch::new("async-create");
    let dir = scratch.path();
    let empty = |_| assert_eq!(scratch.entries(), Vec::<std::ffi::OsString>::new());
    let named = at_every_await_point(|| Builder::new().tempfile_in_async(dir), empty);
    let tree = at_every_await_point(|| Builder::new().tempdir_in_async(dir), empty);
    // Staged under a hidden name (no O_TMPFILE): a name to leave behind.
    let staged = at_every_await_point(
        || async {
            Builder::new()
                .o_tmpfile(false)
                .temp_file_in_async(dir)
                .await
        },
        empty,
    );
    let anonymous = at_every_await_point(
        || async {
            Builder::new()
                .o_tmpfile(false)
                .anonymous_in_async(dir)
                .await
        },
        empty,
    );
    assert!(named > 0 && tree > 0 && staged > 0 && anonymous > 0);
}

#[test]
fn cancelled_persist_leaves_the_file_at_one_name_at_any_await_point() {
    let scratch = Scratch::new("async-persist");
    let target = scratch.join("published");
    at_every_await_point(
        || async {
            let mut file = NamedTempFile::new_in_async(scratch.path()).await?;
            file.write_all(b"acknowledged").await?;
            file.persist_async(&target).await.map_err(io::Error::from)
        },
        |done| {
            let names = scratch.entries();
            if target.exists() {
                // Persisted: complete, and no temporary name beside it.
                assert_eq!(std::fs::read(&target).unwrap(), b"acknowledged");
                assert_eq!(names, ["published"]);
                std::fs::remove_file(&target).unwrap();
            } else {
                assert!(!done, "a persist that finished left no target");
                assert!(names.is_empty(), "{names:?}");
            }
        },
    );
}

#[test]
fn cancelled_safe_save_leaves_the_old_file_or_the_new_one() {
    let scratch = Scratch::new("async-save");
    let target = scratch.join("settings");
    std::fs::write(&target, b"old").unwrap();
    at_every_await_point(
        || tempfs::write_atomic_async(&target, b"new".to_vec()),
        |done| {
            let now = std::fs::read(&target).unwrap();
            assert!(now == b"old" || now == b"new", "{now:?}");
            assert!(!done || now == b"new");
            assert_eq!(scratch.entries(), ["settings"]);
            std::fs::write(&target, b"old").unwrap();
        },
    );
}

#[test]
fn async_constructors_take_every_builder_option() {
    let scratch = Scratch::new("async-options");
    runtime(4).block_on(async {
        let mut builder = Builder::new();
        builder
            .prefix("up-")
            .suffix(".part")
            .rand_bytes(5)
            .append(true);
        let mut file = builder.tempfile_in_async(scratch.path()).await.unwrap();
        let name = file
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(name.starts_with("up-") && name.ends_with(".part"), "{name}");
        assert_eq!(name.len(), "up-".len() + 5 + ".part".len());
        file.write_all(b"one").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(file.path()).unwrap(), b"one");

        let kept = Builder::new()
            .prefix("job-")
            .disable_cleanup(true)
            .tempdir_in_async(scratch.path())
            .await
            .unwrap();
        let kept_path = kept.path().to_path_buf();
        drop(kept);
        drop(file);
        // Dropped in the runtime: removal (none, for the kept one) is on
        // the pool, done before the runtime is dropped.
        let _ = kept_path;
    });
    let names = scratch.entries();
    assert_eq!(names.len(), 1, "only the kept directory: {names:?}");
    assert!(names[0].to_str().unwrap().starts_with("job-"));
}

#[test]
fn a_named_file_persists_with_what_was_written_and_closes() {
    let scratch = Scratch::new("async-named");
    runtime(4).block_on(async {
        let target = scratch.join("out.txt");
        let mut file = NamedTempFile::new_in_async(scratch.path()).await.unwrap();
        file.write_all(b"not flushed by the caller").await.unwrap();
        let persisted = file.persist_async(&target).await.unwrap();
        drop(persisted);
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"not flushed by the caller"
        );

        let taken = NamedTempFile::new_in_async(scratch.path()).await.unwrap();
        let err = taken.persist_noclobber_async(&target).await.unwrap_err();
        assert_eq!(err.error.kind(), io::ErrorKind::AlreadyExists);
        let back = err.file;
        let temp = back.path().to_path_buf();
        back.close_async().await.unwrap();
        assert!(!temp.exists());

        let mut draft = tempfs::AsyncTempFile::new_in(scratch.path()).await.unwrap();
        draft.write_all(b"linked").await.unwrap();
        let linked = scratch.join("linked");
        draft.persist_async(&linked).await.unwrap();
        assert_eq!(std::fs::read(&linked).unwrap(), b"linked");
    });
    assert_eq!(scratch.entries(), ["linked", "out.txt"]);
}

/// Keeps the only blocking thread of `rt` busy until the sender returned
/// is dropped: what is handed to the pool meanwhile waits.
fn hold_pool(rt: &Runtime) -> mpsc::Sender<()> {
    let (release, held) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel();
    rt.spawn_blocking(move || {
        started.send(()).unwrap();
        let _ = held.recv();
    });
    running.recv().unwrap();
    release
}

#[test]
fn dropping_an_async_temp_dir_in_a_runtime_removes_it_on_the_blocking_pool() {
    let rt = runtime(1);
    let dir = rt.block_on(AsyncTempDir::new()).unwrap();
    std::fs::write(dir.path().join("data"), b"x").unwrap();
    let path = dir.path().to_path_buf();
    let release = hold_pool(&rt);
    rt.block_on(async move { drop(dir) });
    // The worker thread did not remove it: the pool's only thread is
    // busy, so the removal waits there.
    assert!(path.exists(), "removed on the worker thread");
    drop(release);
    drop(rt);
    assert!(!path.exists(), "the pool did not remove it");
}

#[test]
fn a_runtime_shut_down_with_live_objects_leaves_none_of_them() {
    let rt = runtime(1);
    let (paths_tx, paths) = mpsc::channel();
    rt.spawn(async move {
        let dir = AsyncTempDir::new().await.unwrap();
        std::fs::create_dir(dir.path().join("nested")).unwrap();
        let file = NamedTempFile::new_async().await.unwrap();
        paths_tx
            .send((dir.path().to_path_buf(), file.path().to_path_buf()))
            .unwrap();
        std::future::pending::<()>().await;
        drop((dir, file));
    });
    let (dir, file) = paths.recv().unwrap();
    // And one whose removal is still queued when the runtime shuts down.
    let queued = rt.block_on(AsyncTempDir::new()).unwrap();
    let queued_path = queued.path().to_path_buf();
    let release = hold_pool(&rt);
    rt.block_on(async move { drop(queued) });
    assert!(queued_path.exists());
    drop(release);
    drop(rt);
    assert!(!dir.exists() && !file.exists() && !queued_path.exists());
}

#[test]
fn outside_a_runtime_calls_fail_clearly_and_drops_remove_at_once() {
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = pin!(NamedTempFile::new_async());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(Err(e)) => {
            assert_eq!(e.kind(), io::ErrorKind::Other);
            assert!(e.to_string().contains("needs a tokio runtime"), "{e}");
        }
        other => panic!("expected an error at once, got {other:?}"),
    }
    let mut fut = pin!(AsyncTempDir::new());
    assert!(matches!(fut.as_mut().poll(&mut cx), Poll::Ready(Err(_))));

    let rt = runtime(1);
    let dir = rt.block_on(AsyncTempDir::new()).unwrap();
    drop(rt);
    let path = dir.path().to_path_buf();
    drop(dir);
    assert!(!path.exists(), "dropped outside a runtime: removed at once");

    // close() outside a runtime removes on the spot and reports.
    let rt = runtime(1);
    let dir = rt.block_on(AsyncTempDir::new()).unwrap();
    drop(rt);
    let path = dir.path().to_path_buf();
    let mut close = pin!(dir.close());
    assert!(matches!(close.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    assert!(!Path::new(&path).exists());
}

#[test]
fn close_reports_the_error_a_drop_swallows() {
    let scratch = Scratch::new("async-close");
    runtime(2).block_on(async {
        let dir = AsyncTempDir::new_in(scratch.path()).await.unwrap();
        std::fs::write(dir.path().join("data"), b"x").unwrap();
        // Renamed into its final place: close must not follow it there.
        let published = scratch.join("published");
        std::fs::rename(dir.path(), &published).unwrap();
        let err = dir.close().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        assert!(published.join("data").is_file());
    });
}

#[test]
fn a_panic_keeps_an_async_temp_dir_whose_retention_says_so() {
    let scratch = Scratch::new("async-retain");
    let rt = runtime(1);
    let dir = rt
        .block_on(
            Builder::new()
                .retention(tempfs::Retention::Panic)
                .report_kept(false)
                .tempdir_in_async(scratch.path()),
        )
        .unwrap();
    let path = dir.path().to_path_buf();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // In the runtime's context: a drop there would go to the pool,
        // where no thread is panicking.
        let _in_runtime = rt.enter();
        let _dir = dir;
        panic!("a failing step");
    }));
    assert!(unwound.is_err());
    drop(rt);
    assert!(path.is_dir(), "the panic's retention was not applied");
}
