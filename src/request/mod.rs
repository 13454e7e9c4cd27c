//! `RequestBuilder`: one request, configured and then sent.

mod send;

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, Method};
use tracing::Instrument;

use crate::body::Body;
use crate::error::Error;
use crate::header::{self, IntoHeaderName, IntoHeaderValue};
use crate::redirect::Policy;
use crate::response::Response;
use crate::session::Session;
use crate::url::Target;

/// A request being configured; [`send`](RequestBuilder::send) sends it.
///
/// Made by [`Session::get`] and its siblings. Setters never fail: the first
/// bad input (a bad URL, an invalid header) is kept and returned by `send()`.
#[must_use = "a request does nothing until `send().await` is called"]
pub struct RequestBuilder {
    session: Session,
    method: Method,
    /// `None` when the URL was bad; the error is in `error`.
    target: Option<Target>,
    /// Headers set on this request; they replace session defaults of the
    /// same name.
    headers: HeaderMap,
    body: Body,
    /// Overrides the session's total timeout.
    timeout: Option<Duration>,
    /// Overrides the session's redirect policy.
    redirect: Option<Policy>,
    /// The first bad input, reported by `send()`.
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(session: Session, method: Method, url: &str) -> RequestBuilder {
        let (target, error) = match crate::url::target(url, session.inner.config.base_url.as_ref())
        {
            Ok(target) => (Some(target), None),
            Err(e) => (None, Some(e)),
        };
        RequestBuilder {
            session,
            method,
            target,
            headers: HeaderMap::new(),
            body: Body::empty(),
            timeout: None,
            redirect: None,
            error,
        }
    }

    /// Adds a header to this request.
    ///
    /// It replaces a session default header of the same name; calling it
    /// twice with one name sends both values. An invalid name or value
    /// (including CR or LF in a value) is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidHeader`].
    pub fn header<K, V>(mut self, name: K, value: V) -> RequestBuilder
    where
        K: IntoHeaderName,
        V: IntoHeaderValue,
    {
        match header::pair(name, value) {
            Ok((name, value)) => {
                self.headers.append(name, value);
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Sets the request body: `Bytes`, `Vec<u8>`, `String`, `&'static str`
    /// or a [`Body`] (also a stream or a reader: [`Body::wrap_stream`],
    /// [`Body::from_reader`]). A body held in memory is sent with a
    /// `Content-Length`, a stream of unknown length chunked.
    pub fn body(mut self, body: impl Into<Body>) -> RequestBuilder {
        self.body = body.into();
        self
    }

    /// Sets the total timeout of this request (connect, send, and the whole
    /// body), replacing the session's
    /// [`timeout`](crate::SessionBuilder::timeout).
    pub fn timeout(mut self, total: Duration) -> RequestBuilder {
        self.timeout = Some(total);
        self
    }

    /// Sets how many redirects this request follows, replacing the
    /// session's [`redirect`](crate::SessionBuilder::redirect) policy.
    pub fn redirect(mut self, policy: Policy) -> RequestBuilder {
        self.redirect = Some(policy);
        self
    }

    /// Sends the request and waits for the response head.
    ///
    /// The body is read afterwards, from the [`Response`]. An idempotent
    /// request (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`, `TRACE`) that
    /// fails because the server had closed a pooled keep-alive connection is
    /// retried once on a fresh connection; other requests are never sent
    /// twice.
    ///
    /// # Errors
    ///
    /// The first bad input ([`Error::InvalidUrl`], [`Error::InvalidHeader`]);
    /// [`Error::Closed`], [`Error::RuntimeShutdown`],
    /// [`Error::WrongRuntime`] from the runtime guard;
    /// [`Error::Timeout`]; [`Error::Connect`] and [`Error::Request`] when the
    /// network or the server fails.
    pub async fn send(self) -> Result<Response, Error> {
        let RequestBuilder {
            session,
            method,
            target,
            headers,
            body,
            timeout,
            redirect,
            error,
        } = self;
        let target = match (target, error) {
            (Some(target), None) => target,
            // A request without a URL always carries its error.
            (_, e) => return Err(e.unwrap_or_else(|| crate::error::invalid_url("", "missing URL"))),
        };
        let ticket = session.inner.begin()?;
        // Fields are only evaluated when a subscriber wants the span; with
        // none installed this costs a check of the callsite's interest.
        let span = tracing::debug_span!(
            "request",
            method = %method,
            url = &target.url[..url::Position::AfterPath],
            status = tracing::field::Empty,
            reused = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = (!span.is_disabled()).then(std::time::Instant::now);
        let prepared = send::Prepared {
            ticket,
            method,
            target,
            headers,
            body,
            timeout,
            redirect,
        };
        let result = send::send(prepared).instrument(span.clone()).await;
        if let Some(started) = started {
            span.record("elapsed_ms", started.elapsed().as_secs_f64() * 1e3);
            match &result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    span.record("reused", response.connection_reused());
                }
                Err(e) => {
                    let _enter = span.enter();
                    tracing::debug!(error = %e, "request failed");
                }
            }
        }
        result
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values are left out: they may be secret.
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.target.as_ref().map(|t| t.url.as_str()))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body", &self.body)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

// ===== body helpers (serde, multipart) and auth =====

impl RequestBuilder {
    /// Keeps `err` if no bad input came before it.
    fn keep_first_error(mut self, err: Error) -> RequestBuilder {
        self.error.get_or_insert(err);
        self
    }

    /// Sets `body` and, unless this request already has a `Content-Type`,
    /// that header.
    #[cfg(feature = "json")]
    fn typed_body(mut self, body: Body, content_type: http::HeaderValue) -> RequestBuilder {
        self.body = body;
        if !self.headers.contains_key(http::header::CONTENT_TYPE) {
            self.headers
                .insert(http::header::CONTENT_TYPE, content_type);
        }
        self
    }

    /// Sets the body to `value` serialized as JSON, with
    /// `Content-Type: application/json`.
    ///
    /// A `Content-Type` already set on this request with
    /// [`header`](RequestBuilder::header) is kept (for types such as
    /// `application/merge-patch+json`); set it before calling `json`. The
    /// body is held in memory and sent with a `Content-Length`.
    ///
    /// # Errors
    ///
    /// A value that cannot be serialized (such as a map whose keys are not
    /// strings) is reported by [`send`](RequestBuilder::send) as
    /// [`Error::InvalidBody`], with serde_json's error as its source.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::collections::HashMap;
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let new_user = HashMap::from([("name", "ada"), ("role", "admin")]);
    /// let created: HashMap<String, String> = session
    ///     .post("http://127.0.0.1:8080/users")
    ///     .json(&new_user)
    ///     .send()
    ///     .await?
    ///     .json()
    ///     .await?;
    /// assert_eq!(created["name"], "ada");
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        match serde_json::to_vec(value) {
            Ok(json) => self.typed_body(
                Body::from(json),
                http::HeaderValue::from_static("application/json"),
            ),
            Err(e) => self.keep_first_error(crate::error::invalid_body(
                "could not serialize the value as JSON",
                Some(e.into()),
            )),
        }
    }

    /// Sets the body to `value` encoded as an HTML form, with
    /// `Content-Type: application/x-www-form-urlencoded`.
    ///
    /// `value` is a struct, a map or a sequence of pairs whose values are
    /// strings, numbers, booleans or `Option`s of them (serde_urlencoded's
    /// rules). A `Content-Type` already set on this request is kept.
    /// Comes with the `json` feature, as all the serde helpers do.
    ///
    /// # Errors
    ///
    /// A value that cannot be encoded as a form (such as a nested struct)
    /// is reported by [`send`](RequestBuilder::send) as
    /// [`Error::InvalidBody`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let response = session
    ///     .post("http://127.0.0.1:8080/login")
    ///     .form(&[("user", "ada"), ("remember", "true")])
    ///     .send()
    ///     .await?;
    /// assert!(response.status().is_success());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn form<T: serde::Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        match serde_urlencoded::to_string(value) {
            Ok(form) => self.typed_body(
                Body::from(form),
                http::HeaderValue::from_static("application/x-www-form-urlencoded"),
            ),
            Err(e) => self.keep_first_error(crate::error::invalid_body(
                "could not encode the value as a form",
                Some(e.into()),
            )),
        }
    }

    /// Appends `value`, encoded as `name=value` pairs, to the query string
    /// of the URL.
    ///
    /// The query already in the URL (given to the verb method, after
    /// joining it onto the session's base URL) is kept, and the new pairs
    /// follow it; calling `query` twice appends twice. `value` follows the
    /// rules of [`form`](RequestBuilder::form). Comes with the `json`
    /// feature.
    ///
    /// # Errors
    ///
    /// A value that cannot be encoded (such as a nested struct) is
    /// reported by [`send`](RequestBuilder::send) as
    /// [`Error::InvalidUrl`].
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::builder().base_url("http://127.0.0.1:8080/api").build().await?;
    /// let request = session
    ///     .get("search?page=2")
    ///     .query(&[("q", "rust & tokio"), ("lang", "en")]);
    /// let shown = format!("{request:?}");
    /// assert!(shown.contains("http://127.0.0.1:8080/api/search?page=2&q=rust+%26+tokio&lang=en"));
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn query<T: serde::Serialize + ?Sized>(mut self, value: &T) -> RequestBuilder {
        // Without a target the URL was bad, and that error is already kept.
        let Some(target) = self.target.take() else {
            return self;
        };
        let url = target.url.to_string();
        let appended = serde_urlencoded::to_string(value)
            .map_err(|e| {
                crate::error::invalid_url(&url, format!("could not encode the query: {e}"))
            })
            .and_then(|pairs| target.append_query(&pairs));
        match appended {
            Ok(target) => {
                self.target = Some(target);
                self
            }
            Err(e) => self.keep_first_error(e),
        }
    }

    /// Sets the `Authorization` header to HTTP Basic credentials
    /// (RFC 7617): `user:password` in base64; `None` sends `user:`.
    ///
    /// It replaces the session's default credentials
    /// ([`SessionBuilder::basic_auth`](crate::SessionBuilder::basic_auth))
    /// and any `Authorization` set on this request before. The value is
    /// marked sensitive, so it is never shown in `Debug` output or logs.
    /// It is not sent to another origin after a redirect.
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
    /// let session = Session::new()?;
    /// let request = session
    ///     .get("http://127.0.0.1:8080/private")
    ///     .basic_auth("ada", Some("hunter2"));
    /// assert!(!format!("{request:?}").contains("hunter2"));
    /// # Ok(()) }
    /// ```
    pub fn basic_auth<U, P>(mut self, user: U, password: Option<P>) -> RequestBuilder
    where
        U: fmt::Display,
        P: fmt::Display,
    {
        let password = password.map(|p| p.to_string());
        self.headers.insert(
            http::header::AUTHORIZATION,
            basic_auth_value(&user, password.as_deref()),
        );
        self
    }

    /// Sets the `Authorization` header to `Bearer <token>` (RFC 6750).
    ///
    /// It replaces the session's default credentials
    /// ([`SessionBuilder::bearer_auth`](crate::SessionBuilder::bearer_auth))
    /// and any `Authorization` set on this request before. The value is
    /// marked sensitive, so it is never shown in `Debug` output or logs.
    /// It is not sent to another origin after a redirect.
    ///
    /// # Errors
    ///
    /// A token with control characters (CR, LF, NUL) is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidHeader`], without
    /// the token.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::Session;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let me = session
    ///     .get("http://127.0.0.1:8080/me")
    ///     .bearer_auth("eyJhbGciOi...")
    ///     .send()
    ///     .await?;
    /// assert!(me.status().is_success());
    /// # Ok(()) }
    /// ```
    pub fn bearer_auth<T: fmt::Display>(mut self, token: T) -> RequestBuilder {
        match bearer_auth_value(&token) {
            Ok(value) => {
                self.headers.insert(http::header::AUTHORIZATION, value);
                self
            }
            Err(e) => self.keep_first_error(e),
        }
    }

    /// Sets the body to `form` as `multipart/form-data` (RFC 7578), with a
    /// `Content-Type` that names its boundary.
    ///
    /// This replaces any `Content-Type` set on this request, as the
    /// boundary must match the body. A form of in-memory parts is sent
    /// with a `Content-Length`; one with a
    /// [`Part::stream`](crate::multipart::Part::stream) is sent as a
    /// stream, only once (see there).
    ///
    /// # Errors
    ///
    /// A part with an invalid MIME type is reported by
    /// [`send`](RequestBuilder::send) as [`Error::InvalidBody`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::Session;
    /// use clientsession::multipart::{Form, Part};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let form = Form::new()
    ///     .text("title", "holiday")
    ///     .part("photo", Part::bytes(vec![0xff, 0xd8]).file_name("a.jpg").mime_str("image/jpeg"));
    /// let response = session.post("http://127.0.0.1:8080/upload").multipart(form).send().await?;
    /// assert!(response.status().is_success());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "multipart")]
    #[cfg_attr(docsrs, doc(cfg(feature = "multipart")))]
    pub fn multipart(mut self, form: crate::multipart::Form) -> RequestBuilder {
        match form.encode() {
            Ok((content_type, body)) => {
                self.headers
                    .insert(http::header::CONTENT_TYPE, content_type);
                self.body = body;
                self
            }
            Err(e) => self.keep_first_error(e),
        }
    }
}

/// The sensitive `Authorization` value for HTTP Basic credentials; shared
/// with `SessionBuilder::basic_auth`.
pub(crate) fn basic_auth_value(
    user: &dyn fmt::Display,
    password: Option<&str>,
) -> http::HeaderValue {
    use base64::Engine as _;
    let credentials = match password {
        Some(password) => format!("{user}:{password}"),
        None => format!("{user}:"),
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut value = http::HeaderValue::try_from(format!("Basic {encoded}"))
        .expect("base64 output is a valid header value");
    value.set_sensitive(true);
    value
}

/// The sensitive `Authorization` value for a bearer token; shared with
/// `SessionBuilder::bearer_auth`.
pub(crate) fn bearer_auth_value(token: &dyn fmt::Display) -> Result<http::HeaderValue, Error> {
    let (_, mut value) = header::pair(http::header::AUTHORIZATION, format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
}
