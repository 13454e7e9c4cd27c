//! `Session`: a cheap handle to a connection pool bound to its home runtime.

mod close;
pub(crate) mod state;

use std::fmt;
use std::sync::Arc;

use http::Method;

use crate::builder::SessionBuilder;
use crate::config::Config;
use crate::error::Error;
use crate::request::RequestBuilder;
use crate::runtime::Home;
use state::Inner;

/// An HTTP client session: a pool of keep-alive connections, its settings,
/// and the Tokio runtime it belongs to.
///
/// Create one with [`Session::new`] or [`Session::builder`] inside a Tokio
/// runtime (its *home*), or for a scope with [`Session::scoped`]. Clones are
/// cheap handles to the same pool; share them freely between tasks.
///
/// # Where a session works
///
/// - From anywhere while its home runtime lives, if that runtime is a
///   multi-thread one: other runtimes, plain threads, any executor.
/// - Only inside its home runtime if that is a current-thread runtime;
///   elsewhere calls fail at once with [`Error::WrongRuntime`].
/// - Nowhere once its home runtime has shut down: every call fails at once
///   with [`Error::RuntimeShutdown`], instead of hanging or failing with
///   "dispatch task is gone" as a client kept in a `static` does.
///
/// Dropping the last handle closes the idle connections; it never blocks
/// and never panics. [`close`](Session::close) is the graceful way.
///
/// # Examples
///
/// ```
/// use clientsession::{Error, Session};
///
/// // Outside a runtime: a typed error, not a panic.
/// assert!(matches!(Session::new(), Err(Error::NoRuntime)));
///
/// // Inside one:
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let session = Session::new()?;
///     assert!(!session.is_closed());
///     Ok::<(), Error>(())
/// })?;
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<Inner>,
}

/// The aiohttp-familiar name of [`Session`]; the same type.
pub type ClientSession = Session;

impl Session {
    /// Creates a session with the default settings in the current Tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] when called outside a Tokio runtime (for example
    /// in plain `fn main`); [`Error::RuntimeMisconfigured`] when the runtime
    /// lacks the IO or time driver. It never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, Session};
    ///
    /// let err = Session::new().unwrap_err();
    /// assert!(matches!(err, Error::NoRuntime));
    /// assert!(err.to_string().contains("Session::scoped"));
    /// ```
    pub fn new() -> Result<Session, Error> {
        SessionBuilder::new().build_sync()
    }

    /// Creates a session with the default settings on the crate's shared
    /// background runtime.
    ///
    /// Callable anywhere: sync `main`, a `static` initializer, any runtime,
    /// any thread. The session works from everywhere too, and never fails
    /// with [`Error::WrongRuntime`] or [`Error::RuntimeShutdown`], because
    /// its home never shuts down (see [`SessionBuilder::background`]). The
    /// right choice for a session shared by many `#[tokio::test]`s or kept
    /// in a `static`; inside one long-lived runtime, [`Session::new`] saves
    /// each request the hop to the background threads.
    ///
    /// # Errors
    ///
    /// [`Error::BackgroundUnavailable`] when the background runtime cannot
    /// start (the process may not create threads).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use clientsession::Session;
    ///
    /// static SESSION: LazyLock<Session> =
    ///     LazyLock::new(|| Session::background().expect("the background runtime starts"));
    ///
    /// // From plain sync code...
    /// assert!(!SESSION.is_closed());
    /// // ...and from any runtime, including short-lived ones.
    /// for _ in 0..3 {
    ///     let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    ///     rt.block_on(async {
    ///         // SESSION.get(url).send().await? works here
    ///         assert!(!SESSION.is_closed());
    ///     });
    /// }
    /// ```
    pub fn background() -> Result<Session, Error> {
        SessionBuilder::new().background().build_sync()
    }

    /// Starts configuring a session.
    pub fn builder() -> SessionBuilder {
        SessionBuilder::new()
    }

    pub(crate) fn from_parts(config: Config, home: Home) -> Result<Session, Error> {
        Ok(Session {
            inner: Arc::new(Inner::new(config, home)?),
        })
    }

    /// Starts a request with `method` to `url`.
    ///
    /// `url` is absolute, or relative to the session's base URL. A bad URL
    /// is reported by [`RequestBuilder::send`] as [`Error::InvalidUrl`].
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, url.as_ref())
    }

    /// The session's cookie jar; `None` when it was built with
    /// [`cookies(false)`](SessionBuilder::cookies).
    #[cfg(feature = "cookies")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookies")))]
    pub fn cookie_jar(&self) -> Option<&crate::cookie::CookieJar> {
        self.inner.cookies.as_ref()
    }

    /// Starts a `GET` request. See [`request`](Session::request).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(session: clientsession::Session) -> Result<(), clientsession::Error> {
    /// let text = session.get("http://127.0.0.1:8080/hello").send().await?.text().await?;
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
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("home_runtime", &self.inner.home.id())
            .field("closed", &self.is_closed())
            .field(
                "base_url",
                &self.inner.config.base_url.as_ref().map(url::Url::as_str),
            )
            .finish_non_exhaustive()
    }
}
