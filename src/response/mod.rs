//! `Response`: the status and headers, and a body read on demand.

mod body;
mod decode;

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
pub(crate) use decode::accept_encoding;

/// A response: status and headers at once, the body when you read it.
///
/// Read the body with [`bytes`](Response::bytes) or
/// [`text`](Response::text) (bounded by the session's
/// [`max_response_body`](crate::SessionBuilder::max_response_body)), or
/// stream it with [`chunk`](Response::chunk). The connection goes back to
/// the pool when the body ends; dropping a response before that closes the
/// connection. [`Session::close`](crate::Session::close) does not wait for
/// a response you hold: after a close its body stays readable, and its
/// connection closes (instead of going back to the pool) when the body ends
/// or the response is dropped.
pub struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: Url,
    /// Limit for `bytes()` and `text()`, copied from the session.
    limit: u64,
    /// Whether the connection had served a request before.
    reused: bool,
    /// How many redirects led here.
    redirects: usize,
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
            redirects: 0,
            body,
        }
    }

    pub(crate) fn with_redirects(mut self, redirects: usize) -> Response {
        self.redirects = redirects;
        self
    }

    /// How many redirects were followed to get this response (its
    /// [`url`](Response::url) is the last one's target).
    pub fn redirects(&self) -> usize {
        self.redirects
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

    /// The session's `max_response_body`, which `bytes()` enforces; the
    /// blocking client checks it for bodies it read partly itself.
    #[cfg(feature = "blocking")]
    pub(crate) fn body_limit(&self) -> u64 {
        self.limit
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
    /// as answers to `HEAD`; `None` for a body that is decompressed, whose
    /// decoded length is not known in advance.
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

// ===== JSON (feature `json`) =====

#[cfg(feature = "json")]
impl Response {
    /// Reads the whole body and decodes it as JSON into a `T`.
    ///
    /// The body is read as by [`bytes`](Response::bytes), so the session's
    /// [`max_response_body`](crate::SessionBuilder::max_response_body)
    /// applies. The `Content-Type` is not checked: a server that sends JSON
    /// as `text/plain` still works. Decode into `serde_json::Value` to
    /// accept any JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the body is not valid JSON or does not match
    /// `T`; its `line` and `column` say where decoding stopped. And the
    /// errors of [`bytes`](Response::bytes), such as
    /// [`Error::BodyTooLarge`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::collections::HashMap;
    /// use clientsession::{Error, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let session = Session::new()?;
    /// let response = session.get("http://127.0.0.1:8080/config").send().await?;
    /// match response.json::<HashMap<String, u32>>().await {
    ///     Ok(config) => println!("{} settings", config.len()),
    ///     Err(Error::Decode { line, column, .. }) => {
    ///         eprintln!("the server sent bad JSON (line {line}, column {column})")
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(error::decode)
    }
}

// ===== streaming and decompression =====

impl Response {
    /// The body as a [`Stream`](futures_core::Stream) of pieces, as they
    /// arrive, for use with stream combinators (`futures::StreamExt`,
    /// `tokio_util::io::StreamReader`, ...).
    ///
    /// The same as calling [`chunk`](Response::chunk) until it returns
    /// `None`: the pieces are decompressed, no `max_response_body` limit
    /// applies, and the read and total timeouts keep running. The stream
    /// ends after the first error.
    ///
    /// # Errors
    ///
    /// The stream yields the errors of [`chunk`](Response::chunk).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    ///
    /// # async fn run(session: clientsession::Session) -> Result<(), clientsession::Error> {
    /// let response = session.get("http://127.0.0.1:8080/big").send().await?;
    /// let mut stream = std::pin::pin!(response.bytes_stream());
    /// let mut total = 0;
    /// while let Some(piece) = stream.next().await {
    ///     total += piece?.len();
    /// }
    /// println!("{total} bytes");
    /// # Ok(()) }
    /// ```
    pub fn bytes_stream(self) -> impl futures_core::Stream<Item = Result<Bytes, Error>> + Send {
        futures_util::stream::try_unfold(self, |mut response| async move {
            Ok(response.chunk().await?.map(|piece| (piece, response)))
        })
    }

    /// Decompresses the body by its `Content-Encoding`, unless the request
    /// set its own `Accept-Encoding` (`own` holds the request's own headers,
    /// without the session's defaults): a caller who negotiates the
    /// encoding reads the body as sent. A decompressed response loses its
    /// `Content-Encoding` and `Content-Length` headers, which describe the
    /// compressed body, and its `content_length()` becomes `None`.
    ///
    /// Called by the send pipeline on the final response.
    pub(crate) fn decompress(mut self, own: &HeaderMap) -> Response {
        if own.contains_key(http::header::ACCEPT_ENCODING) {
            return self;
        }
        if let Some(encoding) = decode::Encoding::from_headers(&self.headers) {
            if self.body.decode(encoding) {
                self.headers.remove(http::header::CONTENT_ENCODING);
                self.headers.remove(http::header::CONTENT_LENGTH);
            }
        }
        self
    }
}
