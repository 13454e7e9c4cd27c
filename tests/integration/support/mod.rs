//! Shared helpers for the integration tests: loopback servers that count what
//! they see, and `bounded`, which turns a hang into a test failure.
//!
//! Nothing here depends on `clientsession`, so a broken library build never
//! hides a broken helper (and the other way round).

// Each test module uses a different subset of these helpers.
#![allow(dead_code)]

pub(crate) mod gate;
pub(crate) mod goaway;
pub(crate) mod h2;
pub(crate) mod poll;
pub(crate) mod raw;
pub(crate) mod server;
pub(crate) mod thread;
#[cfg(feature = "rustls")]
pub(crate) mod tls;

use std::future::Future;
use std::panic::Location;
use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::watch;

pub(crate) use raw::RawServer;
pub(crate) use server::TestServer;

/// Awaits `fut`, failing the test with "hung: ..." if it takes longer than
/// `limit`. Needs a Tokio runtime with the time driver (every `#[tokio::test]`).
#[track_caller]
pub(crate) fn bounded<F: Future>(limit: Duration, fut: F) -> impl Future<Output = F::Output> {
    // Captured here, at the call site, because `#[track_caller]` does not
    // reach into the body of the returned future.
    let at = Location::caller();
    async move {
        match tokio::time::timeout(limit, fut).await {
            Ok(out) => out,
            Err(_) => panic!("hung: the future awaited at {at} did not finish within {limit:?}"),
        }
    }
}

/// Runs `f` on a fresh thread and waits at most `limit` for its result, for
/// code that must run outside any runtime (and so cannot use [`bounded`]).
/// A panic inside `f` is re-raised here.
#[track_caller]
pub(crate) fn bounded_thread<T, F>(limit: Duration, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let at = Location::caller();
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => {
            let _ = handle.join();
            out
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread ended without sending"),
        },
        // The thread is leaked: it is stuck, and that is the failure.
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung: the thread started at {at} did not finish within {limit:?}")
        }
    }
}

/// The default bound for a step that should finish almost at once.
pub(crate) const QUICK: Duration = Duration::from_secs(2);
/// The bound for a whole test body that involves timeouts or several steps.
pub(crate) const SLOW: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------

/// What a test server has seen so far. Every field only grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// TCP connections accepted.
    pub(crate) accepted: u64,
    /// Connections whose socket has been closed (by either side), as observed
    /// by the server: it read end-of-stream, got an error, or hung up itself.
    pub(crate) closed: u64,
    /// Request heads received.
    pub(crate) requests: u64,
    /// POST, PUT and PATCH request bodies received in full.
    pub(crate) bodies: u64,
    /// The most connections open at once (accepted and not yet seen
    /// closed), measured each time one is accepted.
    pub(crate) peak: u64,
}

/// Counters shared between a server thread and the test. Updates wake every
/// waiter, so tests wait for an event instead of sleeping.
#[derive(Debug)]
pub(crate) struct Counters {
    tx: watch::Sender<Snapshot>,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            tx: watch::Sender::new(Snapshot::default()),
        }
    }
}

impl Counters {
    /// Applies `f` to the snapshot and wakes waiters.
    pub(crate) fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        self.tx.send_modify(f);
    }

    /// The current values.
    pub(crate) fn snapshot(&self) -> Snapshot {
        *self.tx.borrow()
    }

    /// Waits until `pred` holds, at most `limit`; panics with the last
    /// snapshot and `what` if it does not.
    #[track_caller]
    pub(crate) fn wait_until<P>(
        &self,
        what: &'static str,
        limit: Duration,
        pred: P,
    ) -> impl Future<Output = Snapshot>
    where
        P: Fn(&Snapshot) -> bool,
    {
        let at = Location::caller();
        let mut rx = self.tx.subscribe();
        async move {
            match tokio::time::timeout(limit, rx.wait_for(|s| pred(s))).await {
                Ok(Ok(snap)) => *snap,
                Ok(Err(_)) => unreachable!("the sender lives as long as `self`"),
                Err(_) => panic!(
                    "hung: waited {limit:?} at {at} for the server to see {what}; it saw {:?}",
                    self.snapshot()
                ),
            }
        }
    }

    /// Like [`Counters::wait_until`], for code outside any runtime: it drives
    /// the wait on a small runtime of its own.
    #[track_caller]
    pub(crate) fn wait_until_blocking(
        &self,
        what: &'static str,
        limit: Duration,
        pred: impl Fn(&Snapshot) -> bool,
    ) -> Snapshot {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime for waiting");
        rt.block_on(self.wait_until(what, limit, pred))
    }
}

/// Counter accessors shared by [`TestServer`] and [`RawServer`].
pub(crate) trait Observed {
    /// The shared counters of this server.
    fn counters(&self) -> &Counters;

    /// Connections accepted so far.
    fn accepted(&self) -> u64 {
        self.counters().snapshot().accepted
    }
    /// Connections the server saw closed so far.
    fn closed(&self) -> u64 {
        self.counters().snapshot().closed
    }
    /// Connections accepted and not yet seen closed.
    fn open(&self) -> u64 {
        let s = self.counters().snapshot();
        s.accepted - s.closed
    }
    /// Request heads received so far.
    fn requests(&self) -> u64 {
        self.counters().snapshot().requests
    }
    /// POST/PUT/PATCH bodies received in full so far.
    fn bodies_received(&self) -> u64 {
        self.counters().snapshot().bodies
    }
    /// The most connections that were open at once so far.
    fn peak(&self) -> u64 {
        self.counters().snapshot().peak
    }
    /// Waits (bounded) until at least `n` connections have been seen closed.
    #[track_caller]
    fn wait_closed(&self, n: u64, limit: Duration) -> impl Future<Output = Snapshot> {
        self.counters()
            .wait_until("enough closed connections", limit, move |s| s.closed >= n)
    }
    /// Waits (bounded) until exactly `n` connections are open.
    #[track_caller]
    fn wait_open(&self, n: u64, limit: Duration) -> impl Future<Output = Snapshot> {
        self.counters().wait_until(
            "the open-connection count reach the target",
            limit,
            move |s| s.accepted - s.closed == n,
        )
    }
    /// Waits (bounded) until at least `n` connections have been accepted.
    #[track_caller]
    fn wait_accepted(&self, n: u64, limit: Duration) -> impl Future<Output = Snapshot> {
        self.counters()
            .wait_until("enough accepted connections", limit, move |s| {
                s.accepted >= n
            })
    }
    /// Waits (bounded) until at least `n` request heads have arrived.
    #[track_caller]
    fn wait_requests(&self, n: u64, limit: Duration) -> impl Future<Output = Snapshot> {
        self.counters()
            .wait_until("enough requests", limit, move |s| s.requests >= n)
    }
}
