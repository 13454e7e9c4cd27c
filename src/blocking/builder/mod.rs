//! The blocking `SessionBuilder`: the async builder's settings, delegated
//! one for one, and a `build()` that puts the session on the shared
//! background runtime.
//!
//! This file holds the core, pool and protocol setters; `tls.rs` the TLS
//! ones (feature `rustls`). Each setter's doc is short and links to the
//! async setter, which holds the full description and the default.

#[cfg(feature = "rustls")]
mod tls;

use std::fmt;
use std::time::Duration;

use super::session::Session;
use crate::error::Error;
use crate::header::{IntoHeaderName, IntoHeaderValue};

/// Configures a blocking [`Session`].
///
/// The same settings as the async [`SessionBuilder`](crate::SessionBuilder),
/// with the same defaults: setters take the builder by value and never
/// fail, and [`build`](SessionBuilder::build) reports the first bad value.
/// There is no `runtime()` or `background()`: the home of a blocking
/// session is always the crate's shared background runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clientsession::{Error, blocking};
///
/// let session = blocking::Session::builder()
///     .base_url("http://127.0.0.1:8080/api/v1")
///     .default_header("accept", "application/json")
///     .timeout(Duration::from_secs(30))
///     .max_connections(8)
///     .build()?;
/// assert!(!session.is_closed());
///
/// // A bad setting comes back from `build()`.
/// let err = blocking::Session::builder().base_url("/v1").build().unwrap_err();
/// assert!(matches!(err, Error::InvalidUrl { .. }));
/// # Ok::<(), Error>(())
/// ```
#[must_use = "a builder does nothing until `build()` is called"]
pub struct SessionBuilder {
    inner: crate::SessionBuilder,
}

impl SessionBuilder {
    pub(super) fn new() -> SessionBuilder {
        SessionBuilder {
            inner: crate::SessionBuilder::new(),
        }
    }

    /// Applies `set` to the async builder inside.
    fn map(self, set: impl FnOnce(crate::SessionBuilder) -> crate::SessionBuilder) -> Self {
        SessionBuilder {
            inner: set(self.inner),
        }
    }

    /// Builds the session, on the crate's shared background runtime.
    ///
    /// Callable anywhere, async code included: it never blocks, and starts
    /// no runtime but the shared one, on its first use.
    ///
    /// # Errors
    ///
    /// The first bad setting ([`Error::InvalidUrl`],
    /// [`Error::InvalidHeader`]); [`Error::BackgroundUnavailable`] when the
    /// background runtime cannot start.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::blocking;
    ///
    /// let session = blocking::Session::builder().build()?;
    /// assert_eq!(session.stats().open, 0);
    /// # Ok::<(), clientsession::Error>(())
    /// ```
    pub fn build(self) -> Result<Session, Error> {
        let inner = self.inner.background().build_sync()?;
        Ok(Session { inner })
    }

    /// Sets the base URL that relative request URLs are appended to. See
    /// [`SessionBuilder::base_url`](crate::SessionBuilder::base_url).
    ///
    /// # Errors
    ///
    /// A bad URL is reported by [`build`](SessionBuilder::build) as
    /// [`Error::InvalidUrl`].
    pub fn base_url(self, url: impl AsRef<str>) -> SessionBuilder {
        self.map(|b| b.base_url(url))
    }

    /// Adds a header sent with every request of the session. See
    /// [`SessionBuilder::default_header`](crate::SessionBuilder::default_header).
    ///
    /// # Errors
    ///
    /// An invalid name or value is reported by
    /// [`build`](SessionBuilder::build) as [`Error::InvalidHeader`].
    pub fn default_header<K, V>(self, name: K, value: V) -> SessionBuilder
    where
        K: IntoHeaderName,
        V: IntoHeaderValue,
    {
        self.map(|b| b.default_header(name, value))
    }

    /// Sets the total timeout of each request, body included. Default:
    /// none. See [`SessionBuilder::timeout`](crate::SessionBuilder::timeout).
    pub fn timeout(self, total: Duration) -> SessionBuilder {
        self.map(|b| b.timeout(total))
    }

    /// Sets the timeout for opening a connection. Default: 10 s. See
    /// [`SessionBuilder::connect_timeout`](crate::SessionBuilder::connect_timeout).
    pub fn connect_timeout(self, timeout: Duration) -> SessionBuilder {
        self.map(|b| b.connect_timeout(timeout))
    }

    /// Sets the longest wait for the response head and for each next piece
    /// of the body. Default: none. See
    /// [`SessionBuilder::read_timeout`](crate::SessionBuilder::read_timeout).
    pub fn read_timeout(self, timeout: Duration) -> SessionBuilder {
        self.map(|b| b.read_timeout(timeout))
    }

    /// Sets the largest body, in bytes, that `bytes()`, `text()` and
    /// `json()` read; `Read`, `copy_to` and `chunk` have no limit.
    /// Default: 10 MiB. See
    /// [`SessionBuilder::max_response_body`](crate::SessionBuilder::max_response_body).
    pub fn max_response_body(self, bytes: u64) -> SessionBuilder {
        self.map(|b| b.max_response_body(bytes))
    }

    /// Sets how long an idle connection stays in the pool. Default: 4 s.
    /// See [`SessionBuilder::pool_idle_timeout`](crate::SessionBuilder::pool_idle_timeout).
    pub fn pool_idle_timeout(self, timeout: Duration) -> SessionBuilder {
        self.map(|b| b.pool_idle_timeout(timeout))
    }

    /// Sets how many idle connections are kept per host. Default: 32. See
    /// [`SessionBuilder::pool_max_idle_per_host`](crate::SessionBuilder::pool_max_idle_per_host).
    pub fn pool_max_idle_per_host(self, max: usize) -> SessionBuilder {
        self.map(|b| b.pool_max_idle_per_host(max))
    }

    /// Sets the most connections open at once, over all hosts. Default:
    /// 100. See [`SessionBuilder::max_connections`](crate::SessionBuilder::max_connections).
    pub fn max_connections(self, max: usize) -> SessionBuilder {
        self.map(|b| b.max_connections(max))
    }

    /// Sets the most connections open at once to one host. Default: no
    /// limit of its own. See
    /// [`SessionBuilder::max_connections_per_host`](crate::SessionBuilder::max_connections_per_host).
    pub fn max_connections_per_host(self, max: usize) -> SessionBuilder {
        self.map(|b| b.max_connections_per_host(max))
    }

    /// Sets the longest wait for a connection when the limits are reached.
    /// Default: 30 s. See
    /// [`SessionBuilder::pool_timeout`](crate::SessionBuilder::pool_timeout).
    pub fn pool_timeout(self, timeout: Duration) -> SessionBuilder {
        self.map(|b| b.pool_timeout(timeout))
    }

    /// Sets how many redirects a request follows. Default: up to 10. See
    /// [`SessionBuilder::redirect`](crate::SessionBuilder::redirect).
    pub fn redirect(self, policy: crate::redirect::Policy) -> SessionBuilder {
        self.map(|b| b.redirect(policy))
    }

    /// Turns every 4xx and 5xx response into [`Error::Status`]. Default:
    /// off. See [`SessionBuilder::raise_for_status`](crate::SessionBuilder::raise_for_status).
    pub fn raise_for_status(self, on: bool) -> SessionBuilder {
        self.map(|b| b.raise_for_status(on))
    }

    /// Keeps a cookie jar. Default: on. See
    /// [`SessionBuilder::cookies`](crate::SessionBuilder::cookies).
    #[cfg(feature = "cookies")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
    pub fn cookies(self, on: bool) -> SessionBuilder {
        self.map(|b| b.cookies(on))
    }

    /// Speaks only HTTP/1.1. See
    /// [`SessionBuilder::http1_only`](crate::SessionBuilder::http1_only).
    pub fn http1_only(self) -> SessionBuilder {
        self.map(crate::SessionBuilder::http1_only)
    }

    /// Speaks HTTP/2 from the first byte (h2c over plain TCP). See
    /// [`SessionBuilder::http2_prior_knowledge`](crate::SessionBuilder::http2_prior_knowledge).
    pub fn http2_prior_knowledge(self) -> SessionBuilder {
        self.map(crate::SessionBuilder::http2_prior_knowledge)
    }

    /// Sends HTTP Basic credentials with every request of the session. See
    /// [`SessionBuilder::basic_auth`](crate::SessionBuilder::basic_auth).
    ///
    /// # Errors
    ///
    /// None: base64 always makes a valid header value.
    pub fn basic_auth<U, P>(self, user: U, password: Option<P>) -> SessionBuilder
    where
        U: fmt::Display,
        P: fmt::Display,
    {
        self.map(|b| b.basic_auth(user, password))
    }

    /// Sends `Authorization: Bearer <token>` with every request of the
    /// session. See [`SessionBuilder::bearer_auth`](crate::SessionBuilder::bearer_auth).
    ///
    /// # Errors
    ///
    /// A token with control characters is reported by
    /// [`build`](SessionBuilder::build) as [`Error::InvalidHeader`].
    pub fn bearer_auth<T: fmt::Display>(self, token: T) -> SessionBuilder {
        self.map(|b| b.bearer_auth(token))
    }
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The async builder's Debug already hides header values.
        f.debug_tuple("blocking::SessionBuilder")
            .field(&self.inner)
            .finish()
    }
}
