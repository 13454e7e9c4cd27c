//! The blocking `Response`: the async one's head, and body readers that
//! block, including `std::io::Read` in constant memory.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};
use url::Url;

use super::wait;
use crate::error::Error;

/// A response: status and headers at once, the body when you read it,
/// blocking the calling thread.
///
/// Read the body whole with [`bytes`](Response::bytes),
/// [`text`](Response::text) or `json` (bounded by the session's
/// [`max_response_body`](super::SessionBuilder::max_response_body)), or
/// stream it without a limit, in constant memory: through
/// [`std::io::Read`] (and [`BufRead`]), into any writer with
/// [`copy_to`](Response::copy_to), or piece by piece with
/// [`chunk`](Response::chunk). The connection goes back to the pool when
/// the body ends; dropping a response before that closes it (never
/// blocking, anywhere).
///
/// Every body reader returns [`Error::BlockingInAsync`] when called from
/// inside an async task (as an `io::Error` for `Read`).
///
/// # Examples
///
/// ```no_run
/// use std::io::Read;
/// use clientsession::blocking;
///
/// let session = blocking::Session::new()?;
/// let mut response = session.get("http://127.0.0.1:8080/big.iso").send()?;
/// let mut file = std::fs::File::create("big.iso").expect("a writable file");
/// let written = response.copy_to(&mut file)?;
/// println!("{written} bytes");
///
/// // Or through `Read`:
/// let mut head = [0u8; 4];
/// let mut response = session.get("http://127.0.0.1:8080/big.iso").send()?;
/// response.read_exact(&mut head).expect("four bytes");
/// # Ok::<(), clientsession::Error>(())
/// ```
pub struct Response {
    inner: crate::Response,
    /// What `Read` has taken from the body and not yet handed out: at most
    /// one piece, so reading stays in constant memory. Every reader hands
    /// it out before asking the body for more.
    pending: Bytes,
}

impl Response {
    pub(super) fn new(inner: crate::Response) -> Response {
        Response {
            inner,
            pending: Bytes::new(),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// The HTTP version the server answered with.
    pub fn version(&self) -> Version {
        self.inner.version()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The URL of this response: the final URL, after redirects.
    pub fn url(&self) -> &Url {
        self.inner.url()
    }

    /// The length of the body as the server announced it; see
    /// [`Response::content_length`](crate::Response::content_length).
    pub fn content_length(&self) -> Option<u64> {
        self.inner.content_length()
    }

    /// How many redirects were followed to get this response.
    pub fn redirects(&self) -> usize {
        self.inner.redirects()
    }

    /// Whether the request went over a connection kept alive in the pool.
    pub fn connection_reused(&self) -> bool {
        self.inner.connection_reused()
    }

    /// Turns a 4xx or 5xx response into [`Error::Status`]; other responses
    /// pass through.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] for client and server errors.
    pub fn error_for_status(self) -> Result<Response, Error> {
        let Response { inner, pending } = self;
        let inner = inner.error_for_status()?;
        Ok(Response { inner, pending })
    }

    /// The next piece of the body, or `None` at the end, blocking until it
    /// arrives. No `max_response_body` limit applies.
    ///
    /// # Errors
    ///
    /// [`Error::BlockingInAsync`] inside an async task; otherwise as
    /// [`Response::chunk`](crate::Response::chunk): [`Error::Timeout`],
    /// [`Error::Body`].
    pub fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        wait::check_context()?;
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        wait::block_on(self.inner.chunk())?
    }

    /// Reads the whole body.
    ///
    /// # Errors
    ///
    /// [`Error::BlockingInAsync`] inside an async task;
    /// [`Error::BodyTooLarge`] past the session's `max_response_body`; the
    /// errors of [`chunk`](Response::chunk).
    pub fn bytes(self) -> Result<Bytes, Error> {
        wait::check_context()?;
        let Response { inner, pending } = self;
        if pending.is_empty() {
            return wait::block_on(inner.bytes())?;
        }
        // `Read` took a piece already: the limit counts it too.
        let limit = inner.body_limit();
        let rest = wait::block_on(inner.bytes())??;
        if (pending.len() + rest.len()) as u64 > limit {
            return Err(Error::BodyTooLarge { limit });
        }
        let mut whole = BytesMut::with_capacity(pending.len() + rest.len());
        whole.extend_from_slice(&pending);
        whole.extend_from_slice(&rest);
        Ok(whole.freeze())
    }

    /// Reads the whole body as text, decoded as UTF-8 (invalid sequences
    /// become U+FFFD).
    ///
    /// # Errors
    ///
    /// As [`bytes`](Response::bytes).
    pub fn text(self) -> Result<String, Error> {
        let bytes = self.bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Writes the rest of the body to `writer`, piece by piece in constant
    /// memory, and returns how many bytes were written. No
    /// `max_response_body` limit applies.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] when `writer` fails; the errors of
    /// [`chunk`](Response::chunk), [`Error::BlockingInAsync`] included.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn run(session: clientsession::blocking::Session) -> Result<(), clientsession::Error> {
    /// let mut response = session.get("http://127.0.0.1:8080/report.csv").send()?;
    /// let mut out = Vec::new();
    /// let n = response.copy_to(&mut out)?;
    /// assert_eq!(n as usize, out.len());
    /// # Ok(()) }
    /// ```
    pub fn copy_to<W: Write + ?Sized>(&mut self, writer: &mut W) -> Result<u64, Error> {
        let mut written = 0u64;
        while let Some(piece) = self.chunk()? {
            writer
                .write_all(&piece)
                .map_err(|e| Error::Write { source: e.into() })?;
            written += piece.len() as u64;
        }
        Ok(written)
    }

    /// Makes sure `pending` holds the next bytes of the body, unless the
    /// body has ended. Skips empty pieces, which `Read` must not mistake
    /// for the end.
    fn fill(&mut self) -> Result<(), Error> {
        wait::check_context()?;
        while self.pending.is_empty() {
            match wait::block_on(self.inner.chunk())?? {
                Some(piece) => self.pending = piece,
                None => break,
            }
        }
        Ok(())
    }
}

// ===== JSON (feature `json`) =====

#[cfg(feature = "json")]
impl Response {
    /// Reads the whole body and decodes it as JSON into a `T`; see
    /// [`Response::json`](crate::Response::json).
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the body is not valid JSON or does not match
    /// `T`; the errors of [`bytes`](Response::bytes).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::collections::HashMap;
    /// # fn run(session: clientsession::blocking::Session) -> Result<(), clientsession::Error> {
    /// let config: HashMap<String, u32> =
    ///     session.get("http://127.0.0.1:8080/config").send()?.json()?;
    /// # Ok(()) }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(crate::error::decode)
    }
}

// ===== std::io =====

/// Our error as an `io::Error`, with it as the inner error
/// (`io_error.into_inner()` and a downcast give it back); a timeout keeps
/// the `TimedOut` kind.
fn to_io(err: Error) -> io::Error {
    let kind = if err.is_timeout() {
        io::ErrorKind::TimedOut
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, err)
}

/// Streams the body in constant memory: one piece is held at a time and
/// handed out in as many reads as it takes.
///
/// Errors are `io::Error`s whose inner error is the [`Error`]
/// (`BlockingInAsync` inside an async task, `Timeout` with
/// `ErrorKind::TimedOut`, ...).
impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// The body's current piece is the buffer: `lines()`, `read_until()` and
/// the like work without a `BufReader` around the response.
impl BufRead for Response {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.fill().map_err(to_io)?;
        Ok(&self.pending)
    }

    fn consume(&mut self, amt: usize) {
        self.pending.advance(amt.min(self.pending.len()));
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Response")
            .field(&self.inner)
            .finish()
    }
}
