//! How the blocking client waits: a refusal inside async tasks, and a tiny
//! `block_on` that parks the calling thread.
//!
//! The futures it waits for are the async client's own: they run on the
//! calling thread, and everything they wait for (sockets, timers, the
//! connection tasks) is driven by the session's home, the shared
//! background runtime. So waiting needs no runtime here: polling the
//! future, and parking the thread until one of those wakes it, is enough.
//! No task is spawned per request and no runtime is started or dropped,
//! which is why the blocking client is cheap to create and safe to drop
//! anywhere.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use crate::error::Error;

/// Fails with `BlockingInAsync` when the calling thread is driving a Tokio
/// runtime: a worker of a multi-thread runtime, or the thread inside
/// `block_on` of a current-thread runtime (every `#[tokio::test]`).
/// Blocking there would stall every task of that runtime, and deadlock a
/// current-thread one outright.
///
/// `worker_index()` is `None` where blocking is allowed: plain threads,
/// `spawn_blocking`, `block_in_place` (which hands the worker's duties to
/// another thread and leaves the runtime first).
///
/// Known gap, allowed on purpose: the thread inside `Runtime::block_on` of
/// a *multi-thread* runtime (the body of a default `#[tokio::main]`) is not
/// a worker, so `worker_index()` is `None` there too. Tokio offers no
/// public way to tell it from a `spawn_blocking` thread or from a plain
/// thread that holds a `Runtime::enter` guard (both legitimate places to
/// block), and refusing those would break working code. Blocking there
/// cannot deadlock: the home is the background runtime, and the user's
/// workers keep running their tasks. It only stalls the one future being
/// blocked on, as any blocking call does; the module docs say so.
pub(crate) fn check_context() -> Result<(), Error> {
    match tokio::runtime::worker_index() {
        Some(_) => Err(Error::BlockingInAsync),
        None => Ok(()),
    }
}

/// Polls `fut` to completion on the calling thread, parking the thread
/// between polls; `BlockingInAsync` inside an async task (see
/// [`check_context`]), without polling.
pub(crate) fn block_on<F: Future>(fut: F) -> Result<F::Output, Error> {
    check_context()?;
    let mut fut = std::pin::pin!(fut);
    let waker = thread_waker();
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return Ok(out);
        }
        // A wake that came before this call leaves the thread's token set,
        // so `park` returns at once and nothing is missed; a spurious
        // return only costs one more poll.
        std::thread::park();
    }
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's waker, made once: a read of a large body waits once
    /// per piece, and need not allocate each time.
    static WAKER: RefCell<Option<Waker>> = const { RefCell::new(None) };
}

/// A waker that unparks the calling thread.
fn thread_waker() -> Waker {
    let made = || Waker::from(Arc::new(Unpark(std::thread::current())));
    // During thread teardown the thread-local may be gone: make one.
    WAKER
        .try_with(|cell| cell.borrow_mut().get_or_insert_with(made).clone())
        .unwrap_or_else(|_| made())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_ready_future_on_a_plain_thread() {
        assert_eq!(block_on(async { 7 }).unwrap(), 7);
    }

    #[test]
    fn wakes_on_a_wake_from_another_thread() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sender = std::thread::spawn(move || tx.send(42));
        assert_eq!(block_on(rx).unwrap(), Ok(42));
        sender.join().unwrap().unwrap();
    }

    #[test]
    fn refuses_inside_a_current_thread_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let refused = rt.block_on(async { block_on(async { 1 }) });
        assert!(matches!(refused, Err(Error::BlockingInAsync)));
    }

    #[test]
    fn refuses_on_a_worker_but_runs_in_spawn_blocking() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let on_worker = rt.block_on(rt.spawn(async { block_on(async { 1 }) }));
        assert!(matches!(on_worker.unwrap(), Err(Error::BlockingInAsync)));
        let in_pool = rt.block_on(rt.spawn_blocking(|| block_on(async { 2 })));
        assert_eq!(in_pool.unwrap().unwrap(), 2);
    }
}
