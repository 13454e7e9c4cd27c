//! `RequestBuilder`: one request, configured and then sent.

mod helpers;
mod retry;
mod send;

pub(crate) use helpers::{basic_auth_value, bearer_auth_value};

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
    ///
    /// When it elapses the request, or the reading of its body, fails with
    /// `Error::Timeout(TimeoutKind::Total)`. `Duration::MAX` means no
    /// deadline for this request, even if the session has one.
    /// `Duration::ZERO` means "at once": the request fails with
    /// `Error::Timeout(TimeoutKind::Total)` before it connects or sends
    /// anything.
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
