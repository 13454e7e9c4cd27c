//! The blocking `RequestBuilder`: the async one's setters, and a `send()`
//! that blocks the calling thread until the response head arrives.

use std::fmt;
use std::time::Duration;

use super::response::Response;
use super::wait;
use crate::body::Body;
use crate::error::Error;
use crate::header::{IntoHeaderName, IntoHeaderValue};
use crate::redirect::Policy;

/// A request being configured; [`send`](RequestBuilder::send) sends it and
/// blocks until the response head arrives.
///
/// Made by [`Session::get`](super::Session::get) and its siblings. As with
/// the async [`RequestBuilder`](crate::RequestBuilder), setters never fail:
/// the first bad input is kept and returned by `send()`.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use clientsession::blocking;
///
/// let session = blocking::Session::new()?;
/// let response = session
///     .post("http://127.0.0.1:8080/notes")
///     .header("content-type", "text/plain")
///     .body("remember the milk")
///     .timeout(Duration::from_secs(5))
///     .send()?;
/// assert!(response.status().is_success());
/// # Ok::<(), clientsession::Error>(())
/// ```
#[must_use = "a request does nothing until `send()` is called"]
pub struct RequestBuilder {
    inner: crate::RequestBuilder,
}

impl RequestBuilder {
    pub(super) fn new(inner: crate::RequestBuilder) -> RequestBuilder {
        RequestBuilder { inner }
    }

    /// Applies `set` to the async request builder inside.
    fn map(self, set: impl FnOnce(crate::RequestBuilder) -> crate::RequestBuilder) -> Self {
        RequestBuilder {
            inner: set(self.inner),
        }
    }

    /// Adds a header to this request. See
    /// [`RequestBuilder::header`](crate::RequestBuilder::header).
    ///
    /// # Errors
    ///
    /// An invalid name or value is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidHeader`].
    pub fn header<K, V>(self, name: K, value: V) -> RequestBuilder
    where
        K: IntoHeaderName,
        V: IntoHeaderValue,
    {
        self.map(|r| r.header(name, value))
    }

    /// Sets the request body: `Bytes`, `Vec<u8>`, `String`,
    /// `&'static str` or a [`Body`]. See
    /// [`RequestBuilder::body`](crate::RequestBuilder::body).
    pub fn body(self, body: impl Into<Body>) -> RequestBuilder {
        self.map(|r| r.body(body))
    }

    /// Sets the total timeout of this request (connect, send, and the whole
    /// body), replacing the session's. When it elapses, `send()` or the
    /// body read fails with [`Error::Timeout`].
    pub fn timeout(self, total: Duration) -> RequestBuilder {
        self.map(|r| r.timeout(total))
    }

    /// Sets how many redirects this request follows, replacing the
    /// session's policy.
    pub fn redirect(self, policy: Policy) -> RequestBuilder {
        self.map(|r| r.redirect(policy))
    }

    /// Sets the `Authorization` header to HTTP Basic credentials. See
    /// [`RequestBuilder::basic_auth`](crate::RequestBuilder::basic_auth).
    ///
    /// # Errors
    ///
    /// None: base64 always makes a valid header value.
    pub fn basic_auth<U, P>(self, user: U, password: Option<P>) -> RequestBuilder
    where
        U: fmt::Display,
        P: fmt::Display,
    {
        self.map(|r| r.basic_auth(user, password))
    }

    /// Sets the `Authorization` header to `Bearer <token>`. See
    /// [`RequestBuilder::bearer_auth`](crate::RequestBuilder::bearer_auth).
    ///
    /// # Errors
    ///
    /// A token with control characters is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidHeader`].
    pub fn bearer_auth<T: fmt::Display>(self, token: T) -> RequestBuilder {
        self.map(|r| r.bearer_auth(token))
    }

    /// Sends the request, blocking the calling thread until the response
    /// head arrives; the body is read afterwards, from the [`Response`].
    ///
    /// The request runs as with the async
    /// [`send`](crate::RequestBuilder::send) (same retries, redirects and
    /// timeouts), driven by the background runtime while this thread waits.
    ///
    /// # Errors
    ///
    /// [`Error::BlockingInAsync`] when called from inside an async task
    /// (the request is not sent); the first bad input
    /// ([`Error::InvalidUrl`], [`Error::InvalidHeader`],
    /// [`Error::InvalidBody`]); [`Error::Closed`]; [`Error::Timeout`];
    /// [`Error::Connect`], [`Error::Tls`] and [`Error::Request`] when the
    /// network or the server fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Error, blocking};
    ///
    /// let session = blocking::Session::new()?;
    /// let err = session.get("no scheme, no base URL").send().unwrap_err();
    /// assert!(matches!(err, Error::InvalidUrl { .. }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn send(self) -> Result<Response, Error> {
        // Boxed: the send future is large, and a blocked thread's stack
        // need not hold it.
        let response = wait::block_on(Box::pin(self.inner.send()))??;
        Ok(Response::new(response))
    }
}

// ===== serde helpers (feature `json`) =====

#[cfg(feature = "json")]
impl RequestBuilder {
    /// Sets the body to `value` as JSON, with
    /// `Content-Type: application/json`. See
    /// [`RequestBuilder::json`](crate::RequestBuilder::json).
    ///
    /// # Errors
    ///
    /// A value that cannot be serialized is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidBody`].
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        self.map(|r| r.json(value))
    }

    /// Sets the body to `value` as an HTML form, with
    /// `Content-Type: application/x-www-form-urlencoded`. See
    /// [`RequestBuilder::form`](crate::RequestBuilder::form).
    ///
    /// # Errors
    ///
    /// A value that cannot be encoded is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidBody`].
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn form<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        self.map(|r| r.form(value))
    }

    /// Appends `value`, as `name=value` pairs, to the URL's query string.
    /// See [`RequestBuilder::query`](crate::RequestBuilder::query).
    ///
    /// # Errors
    ///
    /// A value that cannot be encoded is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidUrl`].
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn query<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        self.map(|r| r.query(value))
    }
}

// ===== multipart (feature `multipart`) =====

#[cfg(feature = "multipart")]
impl RequestBuilder {
    /// Sets the body to `form` as `multipart/form-data`. See
    /// [`RequestBuilder::multipart`](crate::RequestBuilder::multipart).
    ///
    /// # Errors
    ///
    /// A part with an invalid MIME type is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidBody`].
    #[cfg_attr(docsrs, doc(cfg(feature = "multipart")))]
    pub fn multipart(self, form: crate::multipart::Form) -> RequestBuilder {
        self.map(|r| r.multipart(form))
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The async builder's Debug already leaves header values out.
        f.debug_tuple("blocking::RequestBuilder")
            .field(&self.inner)
            .finish()
    }
}
