//! `SessionBuilder`: configure a session, then `build().await` it.

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

    /// Sets how long an idle connection stays in the pool before it is
    /// closed.
    ///
    /// The reaper runs on the home runtime for the whole life of the
    /// session. Default: 4 s
    /// ([`DEFAULT_POOL_IDLE_TIMEOUT`](crate::DEFAULT_POOL_IDLE_TIMEOUT)),
    /// below the 5 s keep-alive of Node.js servers.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> SessionBuilder {
        self.config.pool_idle_timeout = Some(timeout);
        self
    }

    /// Sets how many idle connections are kept per host (scheme, host and
    /// port); more are closed when they become idle.
    ///
    /// `0` disables connection reuse. Default: 32
    /// ([`DEFAULT_POOL_MAX_IDLE_PER_HOST`](crate::DEFAULT_POOL_MAX_IDLE_PER_HOST)).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> SessionBuilder {
        self.config.pool_max_idle_per_host = max;
        self
    }

    /// Sets the most connections the session keeps open at once, over all
    /// hosts, idle or busy.
    ///
    /// A connection holds its place for its whole life, from the start of
    /// its connect to the close of its socket. A request that finds every
    /// place taken waits (at most [`pool_timeout`](SessionBuilder::pool_timeout))
    /// for a connection to its host to finish its response, which it then
    /// reuses, or for a place to free up. When the limit is reached and some
    /// places are held by idle connections to other hosts, one of those is
    /// closed to make room. Default: 100
    /// ([`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS), as in
    /// aiohttp). Values below 1 count as 1.
    pub fn max_connections(mut self, max: usize) -> SessionBuilder {
        self.config.max_connections = max.max(1);
        self
    }

    /// Sets the most connections the session keeps open at once to one
    /// host (scheme, host and port).
    ///
    /// Works as [`max_connections`](SessionBuilder::max_connections), for
    /// one origin. Default: no limit of its own
    /// ([`DEFAULT_MAX_CONNECTIONS_PER_HOST`](crate::DEFAULT_MAX_CONNECTIONS_PER_HOST)).
    /// Values below 1 count as 1.
    pub fn max_connections_per_host(mut self, max: usize) -> SessionBuilder {
        self.config.max_connections_per_host = max.max(1);
        self
    }

    /// Sets the longest wait for a connection when every one allowed by the
    /// limits is busy.
    ///
    /// When it elapses the request fails with
    /// `Error::Timeout(TimeoutKind::Pool)`. The request's total timeout, if
    /// shorter, fires first. Default: 30 s
    /// ([`DEFAULT_POOL_TIMEOUT`](crate::DEFAULT_POOL_TIMEOUT)).
    pub fn pool_timeout(mut self, timeout: Duration) -> SessionBuilder {
        self.config.pool_timeout = timeout;
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

    /// Trusts `cert` (one certificate, or every one of a PEM bundle) as a
    /// root for HTTPS, in addition to the built-in roots.
    ///
    /// The way to reach a server whose certificate comes from a private CA;
    /// call it once per root. Default: only the built-in roots (see
    /// [`tls_built_in_roots`](SessionBuilder::tls_built_in_roots)).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::{Certificate, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let ca = Certificate::from_pem(&std::fs::read("ca.pem").expect("the CA file"))?;
    /// let session = Session::builder().add_root_certificate(ca).build().await?;
    /// # drop(session); Ok(()) }
    /// ```
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn add_root_certificate(mut self, cert: crate::Certificate) -> SessionBuilder {
        self.config.tls.roots.push(cert);
        self
    }

    /// Whether to trust the built-in roots: Mozilla's (feature
    /// `webpki-roots`) and the operating system's (feature `native-roots`).
    ///
    /// `false` trusts only the certificates added with
    /// [`add_root_certificate`](SessionBuilder::add_root_certificate); with
    /// none added, every HTTPS request then fails with [`Error::Tls`].
    /// Default: `true`.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls_built_in_roots(mut self, enabled: bool) -> SessionBuilder {
        self.config.tls.built_in_roots = enabled;
        self
    }

    /// Sends `identity` as the client certificate when a server asks for
    /// one (mutual TLS).
    ///
    /// Default: none; a server that requires a client certificate then
    /// refuses the connection.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn identity(mut self, identity: crate::Identity) -> SessionBuilder {
        self.config.tls.identity = Some(identity);
        self
    }

    /// Sets the oldest TLS version the session accepts.
    ///
    /// Default: [`TlsVersion::Tls12`](crate::TlsVersion::Tls12) (TLS 1.2
    /// and 1.3). Versions before 1.2 are never offered.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn min_tls_version(mut self, version: crate::TlsVersion) -> SessionBuilder {
        self.config.tls.min_version = version;
        self
    }

    /// Accepts any server certificate, trusted or not, expired or for
    /// another host name. **Dangerous**: anyone between the client and the
    /// server can read and change the traffic.
    ///
    /// Only for development against a server with a self-signed
    /// certificate; prefer
    /// [`add_root_certificate`](SessionBuilder::add_root_certificate) with
    /// that certificate. The handshake signatures are still checked.
    /// Default: `false`.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> SessionBuilder {
        self.config.tls.accept_invalid_certs = accept;
        self
    }

    /// Sets how many redirects a request follows.
    ///
    /// 301 and 302 after `POST`, and every 303 (but after `HEAD`), become
    /// `GET` without a body; 307 and 308 keep the method and the body. When
    /// a redirect leaves the origin (scheme, host or port) of the first
    /// request, `Authorization`, `Cookie` and `Proxy-Authorization` are no
    /// longer sent. Default: up to 10
    /// ([`Policy::default`](crate::redirect::Policy)); a request can
    /// override it with [`RequestBuilder::redirect`](crate::RequestBuilder::redirect).
    pub fn redirect(mut self, policy: crate::redirect::Policy) -> SessionBuilder {
        self.config.redirect = policy;
        self
    }

    /// Turns every 4xx and 5xx response into [`Error::Status`], as
    /// [`Response::error_for_status`](crate::Response::error_for_status)
    /// does for one response. Default: off.
    pub fn raise_for_status(mut self, on: bool) -> SessionBuilder {
        self.config.raise_for_status = on;
        self
    }

    /// Keeps a cookie jar: cookies set by responses are sent back to the
    /// hosts they belong to, by the rules of RFC 6265. Default: on (as in
    /// aiohttp); feature `cookies`.
    #[cfg(feature = "cookies")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
    pub fn cookies(mut self, on: bool) -> SessionBuilder {
        self.config.cookies = on;
        self
    }

    /// Speaks only HTTP/1.1: over TLS, ALPN offers only `http/1.1`.
    ///
    /// Default: HTTP/2 where the server picks it during the TLS handshake,
    /// HTTP/1.1 otherwise and over plain TCP.
    pub fn http1_only(mut self) -> SessionBuilder {
        self.config.versions = crate::config::Versions::Http1Only;
        self
    }

    /// Speaks HTTP/2 from the first byte, without negotiating it: the way
    /// to use HTTP/2 over plain TCP (h2c) with a server known to support it.
    ///
    /// Concurrent requests to one origin then share one connection. Default:
    /// off (see [`http1_only`](SessionBuilder::http1_only)).
    pub fn http2_prior_knowledge(mut self) -> SessionBuilder {
        self.config.versions = crate::config::Versions::Http2PriorKnowledge;
        self
    }

    // ----- credentials -----

    /// Sends HTTP Basic credentials (RFC 7617) with every request of the
    /// session: `Authorization: Basic` and `user:password` in base64;
    /// `None` sends `user:`.
    ///
    /// A request's own credentials
    /// ([`RequestBuilder::basic_auth`](crate::RequestBuilder::basic_auth),
    /// [`bearer_auth`](crate::RequestBuilder::bearer_auth) or an
    /// `Authorization` header) replace these. The value is marked
    /// sensitive, so it is never shown in `Debug` output or logs, and it is
    /// not sent to another origin after a redirect. It replaces earlier
    /// credentials set here. Default: none.
    ///
    /// # Errors
    ///
    /// None: base64 always makes a valid header value.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let builder = Session::builder().basic_auth("ada", Some("hunter2"));
    /// assert!(!format!("{builder:?}").contains("hunter2"));
    /// let session = builder.build().await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn basic_auth<U, P>(mut self, user: U, password: Option<P>) -> SessionBuilder
    where
        U: std::fmt::Display,
        P: std::fmt::Display,
    {
        let password = password.map(|p| p.to_string());
        let value = crate::request::basic_auth_value(&user, password.as_deref());
        self.config
            .default_headers
            .insert(http::header::AUTHORIZATION, value);
        self
    }

    /// Sends `Authorization: Bearer <token>` (RFC 6750) with every request
    /// of the session.
    ///
    /// A request's own credentials replace it, as with
    /// [`basic_auth`](SessionBuilder::basic_auth); the value is marked
    /// sensitive, and it is not sent to another origin after a redirect.
    /// Default: none.
    ///
    /// # Errors
    ///
    /// A token with control characters (CR, LF, NUL) is reported by
    /// [`build`](SessionBuilder::build) as [`Error::InvalidHeader`],
    /// without the token.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, Session};
    ///
    /// # #[tokio::main] async fn main() {
    /// let err = Session::builder().bearer_auth("abc\r\nx-evil: 1").build().await.unwrap_err();
    /// assert!(matches!(err, Error::InvalidHeader { .. }));
    /// assert!(!err.to_string().contains("evil"));
    /// # }
    /// ```
    pub fn bearer_auth<T: std::fmt::Display>(mut self, token: T) -> SessionBuilder {
        match crate::request::bearer_auth_value(&token) {
            Ok(value) => {
                self.config
                    .default_headers
                    .insert(http::header::AUTHORIZATION, value);
                self
            }
            Err(e) => self.fail(e),
        }
    }

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
