//! The blocking `Session`: a cheap handle to an async session on the
//! shared background runtime.

use std::fmt;
use std::time::Duration;

use http::Method;

use super::builder::SessionBuilder;
use super::request::RequestBuilder;
use super::wait;
use crate::error::Error;
use crate::pool::{CloseOutcome, PoolStats};

/// A blocking HTTP client session: the async [`Session`](crate::Session)'s
/// pool, settings and guarantees, for code that waits by blocking.
///
/// Its home is the crate's shared background runtime, so it works from any
/// thread that may block, with or without a Tokio runtime around. Clones
/// are cheap handles to the same pool (`Clone + Send + Sync`); share them
/// between threads. Creating one starts no runtime (only the shared
/// background runtime, on its first use), and dropping one never blocks
/// and never panics, even inside async code: dropping the last handle
/// closes the idle connections, and [`close`](Session::close) is the
/// graceful way.
///
/// Calls that wait ([`RequestBuilder::send`], [`close`](Session::close),
/// the body readers of [`Response`](super::Response)) made from inside an
/// async task return [`Error::BlockingInAsync`]; see the
/// [module docs](super) for where blocking is allowed.
///
/// # Examples
///
/// ```no_run
/// use clientsession::blocking;
///
/// let session = blocking::Session::new()?;
/// let text = session.get("http://127.0.0.1:8080/hello").send()?.text()?;
/// println!("{text}");
/// session.close()?;
/// # Ok::<(), clientsession::Error>(())
/// ```
#[derive(Clone)]
pub struct Session {
    pub(super) inner: crate::Session,
}

impl Session {
    /// Creates a blocking session with the default settings.
    ///
    /// Callable anywhere, async code included: it never blocks.
    ///
    /// # Errors
    ///
    /// [`Error::BackgroundUnavailable`] when the shared background runtime
    /// cannot start (the process may not create threads).
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::blocking;
    ///
    /// let session = blocking::Session::new()?;
    /// assert!(!session.is_closed());
    /// # Ok::<(), clientsession::Error>(())
    /// ```
    pub fn new() -> Result<Session, Error> {
        SessionBuilder::new().build()
    }

    /// Starts configuring a blocking session.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clientsession::blocking;
    ///
    /// let session = blocking::Session::builder()
    ///     .base_url("http://127.0.0.1:8080/api")
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// assert!(!session.is_closed());
    /// # Ok::<(), clientsession::Error>(())
    /// ```
    pub fn builder() -> SessionBuilder {
        SessionBuilder::new()
    }

    /// Starts a request with `method` to `url`.
    ///
    /// `url` is absolute, or relative to the session's base URL. A bad URL
    /// is reported by [`RequestBuilder::send`] as [`Error::InvalidUrl`].
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder {
        RequestBuilder::new(self.inner.request(method, url))
    }

    /// Starts a `GET` request. See [`request`](Session::request).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn run(session: clientsession::blocking::Session) -> Result<(), clientsession::Error> {
    /// let text = session.get("http://127.0.0.1:8080/hello").send()?.text()?;
    /// # Ok(()) }
    /// ```
    pub fn get(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// Starts a `POST` request. See [`request`](Session::request).
    pub fn post(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// Starts a `PUT` request. See [`request`](Session::request).
    pub fn put(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// Starts a `PATCH` request. See [`request`](Session::request).
    pub fn patch(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    /// Starts a `DELETE` request. See [`request`](Session::request).
    pub fn delete(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// Starts a `HEAD` request. See [`request`](Session::request).
    pub fn head(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// Closes the session gracefully, blocking until it is done.
    ///
    /// As [`Session::close`](crate::Session::close): new requests (from any
    /// clone) fail with [`Error::Closed`], requests still waiting for their
    /// response head finish, and every connection of the pool is closed.
    /// Responses you hold keep their own connection and stay readable; it
    /// closes when the body ends or the response is dropped. Idempotent.
    ///
    /// # Errors
    ///
    /// [`Error::BlockingInAsync`] when called from inside an async task;
    /// the session is then left as it was. Use the async session's
    /// `close().await` there, or call this from `spawn_blocking`.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, blocking};
    ///
    /// let session = blocking::Session::new()?;
    /// session.close()?;
    /// assert!(session.is_closed());
    /// let err = session.get("http://127.0.0.1:1/").send().unwrap_err();
    /// assert!(matches!(err, Error::Closed));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn close(&self) -> Result<(), Error> {
        wait::block_on(self.inner.close())
    }

    /// Closes the session like [`close`](Session::close), but waits at
    /// most `timeout` for the requests in flight, then aborts them (their
    /// callers get [`Error::Aborted`]) and closes every socket.
    ///
    /// See [`Session::close_with_timeout`](crate::Session::close_with_timeout).
    ///
    /// # Errors
    ///
    /// [`Error::BlockingInAsync`] when called from inside an async task;
    /// the session is then left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clientsession::{CloseOutcome, blocking};
    ///
    /// let session = blocking::Session::new()?;
    /// let outcome = session.close_with_timeout(Duration::from_secs(5))?;
    /// assert_eq!(outcome, CloseOutcome::Graceful);
    /// # Ok::<(), clientsession::Error>(())
    /// ```
    pub fn close_with_timeout(&self, timeout: Duration) -> Result<CloseOutcome, Error> {
        wait::block_on(self.inner.close_with_timeout(timeout))
    }

    /// Whether [`close`](Session::close) was called on this session or any
    /// clone of it.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// A snapshot of the connection pool; see
    /// [`Session::stats`](crate::Session::stats). Cheap, and callable
    /// anywhere (it does not block).
    pub fn stats(&self) -> PoolStats {
        self.inner.stats()
    }

    /// The session's cookie jar; `None` when it was built with
    /// [`cookies(false)`](SessionBuilder::cookies).
    #[cfg(feature = "cookies")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
    pub fn cookie_jar(&self) -> Option<&crate::CookieJar> {
        self.inner.cookie_jar()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Session")
            .field(&self.inner)
            .finish()
    }
}
