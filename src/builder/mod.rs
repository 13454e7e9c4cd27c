//! `SessionBuilder`: configure a session, then `build().await` it.
//!
//! The setters are grouped by concern: this file holds the core ones
//! (URL, headers, timeouts, body limit, runtime) and `build`; `pool.rs`,
//! `tls.rs` and `protocol.rs` hold the rest.

mod pool;
mod protocol;
mod tls;

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Handle;

use crate::config::Config;
use crate::error::Error;
use crate::header::{self, IntoHeaderName, IntoHeaderValue};
use crate::runtime::Home;
use crate::session::Session;

/// Configures a [`Session`].
///
/// Setters take the builder by value and never fail: a bad value (a
/// malformed base URL, an invalid header) is kept, and [`build`] reports the
/// first one. Only `build` (or [`scoped`]) touches the runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clientsession::Session;
///
/// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
/// let session = Session::builder()
///     .base_url("http://127.0.0.1:8080/api/v1")
///     .default_header("accept", "application/json")
///     .timeout(Duration::from_secs(30))
///     .build()
///     .await?;
/// assert!(!session.is_closed());
/// # Ok(()) }
/// ```
///
/// A bad setting comes back from `build()`:
///
/// ```
/// use clientsession::{Error, Session};
///
/// # #[tokio::main] async fn main() {
/// let err = Session::builder().base_url("/v1").build().await.unwrap_err();
/// assert!(matches!(err, Error::InvalidUrl { .. }));
/// # }
/// ```
///
/// [`build`]: SessionBuilder::build
/// [`scoped`]: SessionBuilder::scoped
#[must_use = "a builder does nothing until `build().await` or `scoped(..)` is called"]
#[derive(Debug)]
pub struct SessionBuilder {
    config: Config,
    /// Which runtime the session will live in.
    home: HomeChoice,
    /// The first bad setting, reported by `build()`.
    error: Option<Error>,
}

impl SessionBuilder {
    pub(crate) fn new() -> SessionBuilder {
        SessionBuilder {
            config: Config::default(),
            home: HomeChoice::Current,
            error: None,
        }
    }

    fn fail(mut self, err: Error) -> SessionBuilder {
        self.error.get_or_insert(err);
        self
    }

    /// Sets the base URL that relative request URLs are appended to.
    ///
    /// It must be absolute (`http://host[:port][/path]`). A relative request
    /// URL is appended to its path: with base `http://api.example.com/v1`,
    /// both `"/users"` and `"users"` mean `http://api.example.com/v1/users`,
    /// and the request's query string is kept. Absolute request URLs ignore
    /// the base. Default: none, so request URLs must be absolute.
    ///
    /// A bad URL is reported by [`build`](SessionBuilder::build) as
    /// [`Error::InvalidUrl`].
    pub fn base_url(mut self, url: impl AsRef<str>) -> SessionBuilder {
        match crate::url::parse_base(url.as_ref()) {
            Ok(url) => {
                self.config.base_url = Some(url);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Adds a header sent with every request of the session.
    ///
    /// A header of the same name set on a request replaces it. Setting the
    /// same name twice here keeps both values. Default: only
    /// `User-Agent: clientsession/<version>`, which a `user-agent` default
    /// header replaces.
    ///
    /// An invalid name or value is reported by
    /// [`build`](SessionBuilder::build) as [`Error::InvalidHeader`].
    pub fn default_header<K, V>(mut self, name: K, value: V) -> SessionBuilder
    where
        K: IntoHeaderName,
        V: IntoHeaderValue,
    {
        match header::pair(name, value) {
            Ok((name, value)) => {
                if name == http::header::USER_AGENT
                    && self.config.default_headers.get(&name)
                        == Some(&http::HeaderValue::from_static(crate::config::USER_AGENT))
                {
                    self.config.default_headers.remove(&name);
                }
                self.config.default_headers.append(name, value);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Sets the total timeout of each request: connecting, sending, and
    /// reading the whole response body.
    ///
    /// When it elapses the request fails with
    /// `Error::Timeout(TimeoutKind::Total)`. A request can override it with
    /// [`RequestBuilder::timeout`](crate::RequestBuilder::timeout). Default:
    /// none (as in hyper and reqwest): set one for servers you do not trust.
    ///
    /// `Duration::MAX` means no deadline. `Duration::ZERO` means "at once":
    /// every request fails with `Error::Timeout(TimeoutKind::Total)` before
    /// it connects or sends anything.
    pub fn timeout(mut self, total: Duration) -> SessionBuilder {
        self.config.timeout = Some(total);
        self
    }

    /// Sets the timeout for opening a connection (TCP connect).
    ///
    /// When it elapses the request fails with
    /// `Error::Timeout(TimeoutKind::Connect)`. Default: 10 s
    /// ([`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT)).
    ///
    /// `Duration::MAX` means no deadline (the operating system's own connect
    /// timeout still applies). `Duration::ZERO` means "at once": a request
    /// that needs a new connection fails with
    /// `Error::Timeout(TimeoutKind::Connect)` before dialing; one that
    /// reuses a pooled connection is not affected.
    pub fn connect_timeout(mut self, timeout: Duration) -> SessionBuilder {
        self.config.connect_timeout = timeout;
        self
    }

    /// Sets the read timeout: the longest wait for the response head after
    /// the request was sent, and for each next piece of the body.
    ///
    /// When it elapses the request or the body read fails with
    /// `Error::Timeout(TimeoutKind::Read)`. Unlike the total timeout it
    /// allows a large download that keeps moving. Default: none.
    ///
    /// `Duration::MAX` means no read timeout. `Duration::ZERO` means "at
    /// once": no wait for the server is allowed, so every request fails with
    /// `Error::Timeout(TimeoutKind::Read)` before it connects or sends
    /// anything.
    pub fn read_timeout(mut self, timeout: Duration) -> SessionBuilder {
        self.config.read_timeout = Some(timeout);
        self
    }

    /// Sets the largest response body, in bytes, that
    /// [`Response::bytes`](crate::Response::bytes) and
    /// [`Response::text`](crate::Response::text) will read.
    ///
    /// A larger body fails with [`Error::BodyTooLarge`]: at once when the
    /// server announces its length, otherwise as soon as the limit is
    /// passed, before more memory is spent.
    /// [`Response::chunk`](crate::Response::chunk) streams without a limit.
    /// Default: 10 MiB
    /// ([`DEFAULT_MAX_RESPONSE_BODY`](crate::DEFAULT_MAX_RESPONSE_BODY)).
    pub fn max_response_body(mut self, bytes: u64) -> SessionBuilder {
        self.config.max_response_body = bytes;
        self
    }

    // ----- TLS (feature `rustls`) -----

    // ----- credentials -----

    /// Binds the session to the runtime of `home` instead of the current
    /// one.
    ///
    /// For a runtime you own and keep alive: give the session a long-lived
    /// multi-thread runtime as its home, and it can be used from every test
    /// or worker runtime, and from plain threads, while that runtime lives.
    /// (Without a runtime of your own, [`background`] does the same with
    /// the crate's shared runtime.) Default: the runtime `build()` runs in.
    /// Replaces an earlier [`background`] call.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::Session;
    ///
    /// // A runtime owned by the application, built in plain sync code.
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let session = Session::builder().runtime(rt.handle().clone()).build_sync()?;
    /// assert!(!session.is_closed());
    /// # Ok::<(), clientsession::Error>(())
    /// ```
    ///
    /// [`background`]: SessionBuilder::background
    pub fn runtime(mut self, home: Handle) -> SessionBuilder {
        self.home = HomeChoice::Handle(home);
        self
    }

    /// Makes the crate's shared background runtime the session's home.
    ///
    /// That runtime is one small multi-thread Tokio runtime per process, on
    /// its own threads (`clientsession-bg`), started on first use and never
    /// shut down. A session that lives there works from every runtime
    /// (current-thread or multi-thread, alive or already dropped) and from
    /// plain threads: the home to choose for a session kept in a `static`,
    /// shared by `#[tokio::test]`s, or used from sync code. Its cost is that
    /// each request crosses to the background threads and back; a session
    /// made inside your own runtime avoids that. Replaces an earlier
    /// [`runtime`](SessionBuilder::runtime) call.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use std::time::Duration;
    /// use clientsession::Session;
    ///
    /// // Built on first use, from any test or thread; never tied to one
    /// // test's runtime.
    /// static SESSION: LazyLock<Session> = LazyLock::new(|| {
    ///     Session::builder()
    ///         .background()
    ///         .timeout(Duration::from_secs(30))
    ///         .build_sync()
    ///         .expect("the background runtime starts")
    /// });
    ///
    /// assert!(!SESSION.is_closed());
    /// ```
    pub fn background(mut self) -> SessionBuilder {
        self.home = HomeChoice::Background;
        self
    }

    /// Builds the session.
    ///
    /// # Errors
    ///
    /// The first bad setting ([`Error::InvalidUrl`],
    /// [`Error::InvalidHeader`]); [`Error::NoRuntime`] when polled outside a
    /// Tokio runtime and no home was chosen with
    /// [`runtime`](SessionBuilder::runtime) or
    /// [`background`](SessionBuilder::background);
    /// [`Error::RuntimeMisconfigured`] for a runtime without the IO or time
    /// driver; [`Error::BackgroundUnavailable`] when the background runtime
    /// cannot start.
    pub async fn build(self) -> Result<Session, Error> {
        self.build_sync()
    }

    /// Builds the session without awaiting: the synchronous twin of
    /// [`build`](SessionBuilder::build), with the same settings and errors.
    ///
    /// For code that cannot await: a `static` initializer (`LazyLock`),
    /// sync `main`, a constructor. Outside any runtime it needs an explicit
    /// home, [`background`](SessionBuilder::background) or
    /// [`runtime`](SessionBuilder::runtime); without one it returns
    /// [`Error::NoRuntime`], as `build()` does. It never blocks and never
    /// starts a runtime of its own (only the shared background runtime, on
    /// its first use).
    ///
    /// # Errors
    ///
    /// As [`build`](SessionBuilder::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, Session};
    ///
    /// // Plain sync code: the current runtime is not an option here...
    /// let err = Session::builder().build_sync().unwrap_err();
    /// assert!(matches!(err, Error::NoRuntime));
    /// // ...the background runtime is.
    /// let session = Session::builder().background().build_sync()?;
    /// assert!(!session.is_closed());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn build_sync(self) -> Result<Session, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let home = match self.home {
            HomeChoice::Current => Home::current()?,
            HomeChoice::Handle(handle) => Home::bind(handle)?,
            HomeChoice::Background => Home::background()?,
        };
        Session::from_parts(self.config, home)
    }

    /// Builds the session, runs `f` with it, and closes the session when
    /// the future `f` returns finishes, whether with `Ok` or `Err`.
    ///
    /// See [`Session::scoped`].
    ///
    /// # Errors
    ///
    /// A build error (converted with `E: From<Error>`), or what `f` returns.
    pub async fn scoped<F, Fut, T, E>(self, f: F) -> Result<T, E>
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let session = self.build().await?;
        let out = f(session.clone()).await;
        session.close().await;
        out
    }
}

/// Where a session built by this builder will live.
#[derive(Debug)]
enum HomeChoice {
    /// The runtime `build()` runs in.
    Current,
    /// The runtime given to `runtime()`.
    Handle(Handle),
    /// The crate's shared background runtime.
    Background,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_header_names_but_not_values() {
        let builder = SessionBuilder::new().default_header("x-api-key", "s3cret-value");
        let shown = format!("{builder:?}");
        assert!(shown.contains("x-api-key"), "{shown}");
        assert!(!shown.contains("s3cret-value"), "{shown}");
    }
}
