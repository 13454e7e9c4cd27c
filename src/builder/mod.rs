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
    /// The runtime given to `runtime()`; `None` means "the current one".
    runtime: Option<Handle>,
    /// The first bad setting, reported by `build()`.
    error: Option<Error>,
}

impl SessionBuilder {
    pub(crate) fn new() -> SessionBuilder {
        SessionBuilder {
            config: Config::default(),
            runtime: None,
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
    pub fn timeout(mut self, total: Duration) -> SessionBuilder {
        self.config.timeout = Some(total);
        self
    }

    /// Sets the timeout for opening a connection (TCP connect).
    ///
    /// When it elapses the request fails with
    /// `Error::Timeout(TimeoutKind::Connect)`. Default: 10 s
    /// ([`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT)).
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
    /// This is the way to keep one process-wide session: give it a
    /// long-lived multi-thread runtime as its home, and it can be used from
    /// every test or worker runtime, and from plain threads, while that
    /// runtime lives. Default: the runtime `build()` runs in.
    pub fn runtime(mut self, home: Handle) -> SessionBuilder {
        self.runtime = Some(home);
        self
    }

    /// Builds the session.
    ///
    /// # Errors
    ///
    /// The first bad setting ([`Error::InvalidUrl`],
    /// [`Error::InvalidHeader`]); [`Error::NoRuntime`] when polled outside a
    /// Tokio runtime and no runtime was given with
    /// [`runtime`](SessionBuilder::runtime);
    /// [`Error::RuntimeMisconfigured`] for a runtime without the IO or time
    /// driver.
    pub async fn build(self) -> Result<Session, Error> {
        self.build_now()
    }

    /// Builds the session without awaiting; shared by `build` and
    /// `Session::new`.
    pub(crate) fn build_now(self) -> Result<Session, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let home = match self.runtime {
            Some(handle) => Home::bind(handle)?,
            None => Home::current()?,
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
