//! Closing a session: by hand with `close()`, or at the end of a scope.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Session;
use crate::builder::SessionBuilder;
use crate::error::Error;
use crate::pool::{CloseOutcome, PoolStats};

impl Session {
    /// Closes the session gracefully.
    ///
    /// In order: new requests (from any clone) fail with
    /// [`Error::Closed`]; requests in flight, and responses whose bodies are
    /// still being read, finish normally; then every idle connection is
    /// closed; and `close()` returns once every socket the session opened is
    /// closed. It is idempotent, and concurrent calls all return after the
    /// same close.
    ///
    /// Read or drop the responses you hold before awaiting `close()`: it
    /// waits for their bodies. When the session cannot wait from here (its
    /// home runtime has shut down, or is a current-thread runtime and the
    /// call comes from outside it), `close()` marks the session closed,
    /// drops the idle connections and returns at once; the sockets close as
    /// soon as the home runtime runs again, or with it.
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

    /// Closes the session like [`close`](Session::close), but waits at most
    /// `timeout` for the requests in flight.
    ///
    /// When the deadline passes, the requests still in flight (including
    /// response bodies not yet read to the end) are aborted: their callers
    /// get [`Error::Aborted`] instead of waiting on a server that may never
    /// answer. Then every socket is closed, and the call returns what
    /// happened.
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
        let drained = async {
            if can_wait {
                tokio::select! {
                    () = inner.in_flight.zero() => {}
                    () = home.liveness().dead() => {}
                }
            }
        };
        let in_time = match timeout {
            None => {
                drained.await;
                true
            }
            Some(after) => {
                let deadline = home.sleep(after);
                tokio::select! {
                    biased;
                    () = drained => can_wait,
                    _ = deadline => false,
                }
            }
        };
        let mut outcome = CloseOutcome::Graceful;
        let left = inner.in_flight.get();
        if !in_time && left > 0 {
            tracing::debug!(requests = left, "close deadline passed; aborting requests");
            inner.pool.abort();
            outcome = CloseOutcome::Aborted { requests: left };
        }
        inner.pool.clear();
        if home.can_wait_here() {
            tokio::select! {
                () = inner.pool.all_closed() => {}
                () = home.liveness().dead() => {}
            }
        }
        outcome
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
