//! Closing a session: by hand with `close()`, or at the end of a scope.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Session;
use crate::builder::SessionBuilder;
use crate::error::Error;
use crate::pool::{CloseOutcome, PoolStats};

impl Session {
    /// Closes the session gracefully. It never waits on you.
    ///
    /// In order: new requests (from any clone) fail with
    /// [`Error::Closed`]; requests that have not yet received their
    /// response head finish normally (each bounded by its own timeouts);
    /// every connection the pool holds is closed; and `close()` returns
    /// once those sockets are closed. It is idempotent, and concurrent calls
    /// all return after the same close.
    ///
    /// A [`Response`](crate::Response) already handed to a caller keeps its
    /// own connection, detached from the pool: its body can still be read
    /// to the end, and that socket closes as soon as the body ends or the
    /// response is dropped (it never goes back to the pool). `close()` does
    /// not wait for such bodies, so a task that holds an unread response and
    /// awaits `close()` gets control back at once, and
    /// `Session::scoped(|s| async move { s.get(url).send().await })`
    /// returns its response. [`stats`](Session::stats) counts a detached
    /// connection as in use until it closes. The rule: `close()` never waits
    /// on you; join your own tasks first if you need their bodies read.
    ///
    /// When the session cannot wait from here (its home runtime has shut
    /// down, or is a current-thread runtime and the call comes from outside
    /// it), `close()` marks the session closed, drops the idle connections
    /// and returns at once; the sockets close as soon as the home runtime
    /// runs again, or with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Error> {
    /// let session = Session::new()?;
    /// session.close().await;
    /// assert!(session.is_closed());
    /// let err = session.get("http://127.0.0.1:1/").send().await.unwrap_err();
    /// assert!(matches!(err, Error::Closed));
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) {
        self.close_within(None).await;
    }

    /// Closes the session like [`close`](Session::close), but with a
    /// deadline for everything, the bodies of responses you hold included.
    ///
    /// It waits up to `timeout` for the requests in flight to finish and
    /// for every body, detached ones included, to be read to the end or
    /// dropped. When the deadline passes, what is still going is aborted:
    /// those requests, and readers of those bodies, get [`Error::Aborted`]
    /// instead of waiting on a server that may never answer. Then every
    /// socket is closed, and the call returns what happened. No socket of
    /// the session is left open when it returns.
    ///
    /// Unlike `close()`, it does wait for bodies that you hold: awaited by
    /// the task that holds an unread response, it waits the full `timeout`
    /// and then aborts that response. Read or drop your responses first,
    /// or call `close()`, which leaves them readable.
    ///
    /// Where it cannot wait at all (the home runtime has shut down, or is a
    /// current-thread runtime and the call comes from outside it), it does
    /// not pretend to: it aborts what is still in flight at once, marks the
    /// session closed and returns `CloseOutcome::Aborted` when anything was
    /// cut off.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clientsession::{CloseOutcome, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let outcome = session.close_with_timeout(Duration::from_secs(5)).await;
    /// assert_eq!(outcome, CloseOutcome::Graceful);
    /// # Ok(()) }
    /// ```
    pub async fn close_with_timeout(&self, timeout: Duration) -> CloseOutcome {
        self.close_within(Some(timeout)).await
    }

    async fn close_within(&self, timeout: Option<Duration>) -> CloseOutcome {
        let inner = &self.inner;
        if !inner.closed.swap(true, Ordering::SeqCst) {
            tracing::debug!("closing session");
        }
        let home = &inner.home;
        let can_wait = home.can_wait_here();
        let settled = async {
            if can_wait {
                tokio::select! {
                    () = self.settle(timeout.is_some()) => {}
                    () = home.liveness().dead() => {}
                }
            }
        };
        let in_time = match timeout {
            None => {
                settled.await;
                true
            }
            Some(after) => {
                let deadline = home.sleep(after);
                tokio::select! {
                    biased;
                    () = settled => can_wait,
                    _ = deadline => false,
                }
            }
        };
        if in_time {
            inner.pool.clear();
            return CloseOutcome::Graceful;
        }
        let mut outcome = CloseOutcome::Graceful;
        let left = inner.in_flight.get() + inner.pool.lent();
        if left > 0 {
            tracing::debug!(requests = left, "close deadline passed; aborting requests");
            outcome = CloseOutcome::Aborted { requests: left };
        }
        // Aborted before the queue is cleared, so that a request woken by
        // the clear sees the abort and reports `Aborted`, not `Closed`.
        // Every connection task ends when told to, so the wait below is
        // short.
        inner.pool.abort();
        inner.pool.clear();
        if home.can_wait_here() {
            tokio::select! {
                () = inner.pool.all_closed() => {}
                () = home.liveness().dead() => {}
            }
        }
        outcome
    }

    /// The graceful part of a close: requests before their head, then the
    /// pool's own connections; with `bodies`, the detached ones too.
    async fn settle(&self, bodies: bool) {
        let inner = &self.inner;
        inner.in_flight.zero().await;
        inner.pool.clear();
        if bodies {
            inner.pool.all_closed().await;
        } else {
            inner.pool.only_lent_left().await;
        }
    }

    /// A snapshot of the connection pool: open, idle and busy connections,
    /// requests waiting for a place, and counters since the session was
    /// built, in total and per host.
    ///
    /// Cheap: one short lock, no I/O.
    pub fn stats(&self) -> PoolStats {
        self.inner.pool.stats()
    }

    /// Whether [`close`](Session::close) was called on this session or any
    /// clone of it.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Runs `f` with a new session, and closes the session when the future
    /// `f` returns finishes, with `Ok` or `Err`.
    ///
    /// The Rust form of aiohttp's `async with ClientSession() as s:`. The
    /// closure receives an owned `Session` (a cheap clone), so
    /// `|s| async move { ... }` works; a clone that escapes the scope gets
    /// [`Error::Closed`]. Use [`SessionBuilder::scoped`] to configure the
    /// session first.
    ///
    /// The close at the end never waits on you (see
    /// [`close`](Session::close)): a [`Response`](crate::Response) returned
    /// out of the scope keeps its connection and its body stays readable;
    /// the socket closes when the body ends or the response is dropped.
    /// Tasks you spawned with clones of the session are not joined: join
    /// them inside the scope if you need their bodies read.
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] and the other build errors (through
    /// `E: From<Error>`), or what `f` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Error> {
    /// let escaped = Session::scoped(|s| async move {
    ///     // ... s.get(url).send().await? ...
    ///     Ok::<_, Error>(s.clone())
    /// })
    /// .await?;
    /// assert!(escaped.is_closed());
    /// # Ok(()) }
    /// ```
    pub async fn scoped<F, Fut, T, E>(f: F) -> Result<T, E>
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        SessionBuilder::new().scoped(f).await
    }
}
