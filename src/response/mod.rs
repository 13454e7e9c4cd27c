//! `Response`: the status and headers, and a body read on demand.

mod body;

use std::fmt;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};
use hyper::body::Incoming;
use url::Url;

use crate::connect::Conn;
use crate::error::{self, Error};
use crate::session::state::Ticket;
use body::BodyReader;
pub(crate) use body::Timers;

/// A response: status and headers at once, the body when you read it.
///
/// Read the body with [`bytes`](Response::bytes) or
/// [`text`](Response::text) (bounded by the session's
/// [`max_response_body`](crate::SessionBuilder::max_response_body)), or
/// stream it with [`chunk`](Response::chunk). The connection goes back to
/// the pool when the body ends; dropping a response before that closes the
/// connection. Until then the request counts as in flight, and
/// [`Session::close`](crate::Session::close) waits for it.
pub struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: Url,
    /// Limit for `bytes()` and `text()`, copied from the session.
    limit: u64,
    /// Whether the connection had served a request before.
    reused: bool,
    body: BodyReader,
}

impl Response {
    pub(crate) fn new(
        head: http::Response<Incoming>,
        url: Url,
        conn: Conn,
        reused: bool,
        ticket: Ticket,
    ) -> Response {
        let limit = ticket.inner.config.max_response_body;
        let (parts, incoming) = head.into_parts();
        let body = BodyReader::new(incoming, conn, ticket, &url);
        Response {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            url,
            limit,
            reused,
            body,
        }
    }

    /// Whether the request went over a connection that an earlier request
    /// had used (kept alive in the pool), rather than a new one.
    pub fn connection_reused(&self) -> bool {
        self.reused
    }

    pub(crate) fn with_timers(mut self, timers: Timers) -> Response {
        self.body.timers = timers;
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version the server answered with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The URL of this response: the final URL, after redirects.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The length of the body that will be read, when the server announced
    /// it (`Content-Length`). `Some(0)` for responses without a body, such
    /// as answers to `HEAD`.
    pub fn content_length(&self) -> Option<u64> {
        self.body.expected()
    }

    /// Turns a 4xx or 5xx response into [`Error::Status`], which names the
    /// status and the URL; other responses pass through.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] for client and server errors.
    pub fn error_for_status(self) -> Result<Response, Error> {
        if self.status.is_client_error() || self.status.is_server_error() {
            Err(error::status(self.status, &self.url))
        } else {
            Ok(self)
        }
    }

    /// The next piece of the body as it arrives, or `None` at the end.
    ///
    /// Streams without the `max_response_body` limit: use it for large
    /// downloads. The read timeout applies to each wait, the total timeout
    /// to the whole body.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Body`] when the connection fails or the
    /// body is shorter than announced, [`Error::RuntimeShutdown`].
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        self.body.chunk(&self.url).await
    }

    /// Reads the whole body.
    ///
    /// # Errors
    ///
    /// [`Error::BodyTooLarge`] when the body is larger than the session's
    /// `max_response_body`: at once if the server announced a larger
    /// `Content-Length`, otherwise as soon as the limit is passed; and the
    /// errors of [`chunk`](Response::chunk).
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let limit = self.limit;
        let too_large = || Error::BodyTooLarge { limit };
        if self.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let Some(first) = self.chunk().await? else {
            return Ok(Bytes::new());
        };
        if first.len() as u64 > limit {
            return Err(too_large());
        }
        let Some(second) = self.chunk().await? else {
            // The common case of a body in one piece: no copy.
            return Ok(first);
        };
        let hint = self.content_length().unwrap_or(0).min(limit) as usize;
        let mut buf = BytesMut::with_capacity(hint.max(first.len() + second.len()));
        buf.extend_from_slice(&first);
        let mut next = Some(second);
        while let Some(piece) = next {
            if (buf.len() + piece.len()) as u64 > limit {
                return Err(too_large());
            }
            buf.extend_from_slice(&piece);
            next = self.chunk().await?;
        }
        Ok(buf.freeze())
    }

    /// Reads the whole body as text.
    ///
    /// The body is decoded as UTF-8; invalid sequences become U+FFFD (other
    /// charsets are not decoded yet).
    ///
    /// # Errors
    ///
    /// As [`bytes`](Response::bytes).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(match std::str::from_utf8(&bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("version", &self.version)
            .field("url", &self.url.as_str())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
