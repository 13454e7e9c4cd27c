//! The request body: bytes in memory, or a stream sent once.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt as _;
use http_body::{Frame, SizeHint};
use sync_wrapper::SyncWrapper;
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use crate::error::BoxError;

/// How much [`Body::from_reader`] reads at a time: large enough that a file
/// upload is not a storm of small writes, small enough to stay cheap per
/// request.
const READ_CHUNK: usize = 64 * 1024;

/// A boxed stream of body pieces, with the caller's error type erased.
type BoxStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// The body of a request.
///
/// Made from `Bytes`, `Vec<u8>`, `String`, `&'static str` or
/// `&'static [u8]` with `From`/`Into`, usually through
/// [`RequestBuilder::body`](crate::RequestBuilder::body). A body held in
/// memory is sent with a `Content-Length` and can be sent again when an
/// idempotent request is retried on a fresh connection or a 307/308
/// redirect keeps the body.
///
/// A body can also be a stream, made with [`Body::wrap_stream`] (any
/// `Stream` of byte chunks) or [`Body::from_reader`] (any tokio
/// `AsyncRead`, such as a `tokio::fs::File`). A stream is read as the
/// request is sent, so it need not fit in memory. Its length is not known
/// in advance, so it goes out with `Transfer-Encoding: chunked` (over
/// HTTP/1.1) unless it was made with [`Body::sized_stream`]. A stream can
/// be sent only once: a request with a stream body is never retried, and a
/// 307/308 redirect that would have to send it again ends in an error.
///
/// # Examples
///
/// ```
/// use clientsession::Body;
///
/// let body = Body::from("hello");
/// assert_eq!(body.as_bytes(), Some(&b"hello"[..]));
/// assert!(Body::empty().as_bytes().unwrap().is_empty());
///
/// let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>("hel"), Ok("lo")]);
/// let body = Body::wrap_stream(chunks);
/// assert_eq!(body.as_bytes(), None); // a stream has no bytes in memory
/// ```
pub struct Body {
    kind: Kind,
}

enum Kind {
    /// In memory; `None` once the bytes were handed to hyper.
    Full(Option<Bytes>),
    /// A stream, polled as hyper sends the request.
    Stream {
        // `SyncWrapper` keeps `Body: Sync` for streams that are only `Send`:
        // the stream is reachable only through `&mut`, so sharing `&Body`
        // between threads cannot touch it.
        stream: SyncWrapper<BoxStream>,
        /// The length promised to [`Body::sized_stream`], sent as
        /// `Content-Length`; `None`: unknown, sent chunked.
        len: Option<u64>,
        /// Bytes yielded so far, to hold the stream to `len`.
        sent: u64,
    },
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body {
            kind: Kind::Full(None),
        }
    }

    /// A body read from `stream` as the request is sent, with no known
    /// length: it is sent chunked (HTTP/1.1) and only once.
    ///
    /// Each item is one piece of the body (`Bytes`, `Vec<u8>`, `String`,
    /// ...). An `Err` item ends the request: `send()` then fails with
    /// [`Error::Request`](crate::Error::Request), whose source is your
    /// error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::{Body, Session};
    ///
    /// # async fn run(session: Session) -> Result<(), clientsession::Error> {
    /// let lines = futures_util::stream::iter(
    ///     (0..3).map(|i| Ok::<_, std::io::Error>(format!("line {i}\n"))),
    /// );
    /// let response = session
    ///     .post("http://127.0.0.1:8080/upload")
    ///     .body(Body::wrap_stream(lines))
    ///     .send()
    ///     .await?;
    /// assert!(response.status().is_success());
    /// # Ok(()) }
    /// ```
    pub fn wrap_stream<S, T, E>(stream: S) -> Body
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Body::stream(None, stream)
    }

    /// A body read from `stream`, announced as exactly `len` bytes: it is
    /// sent with `Content-Length: len` instead of chunked, for servers that
    /// want the length up front. Otherwise like [`Body::wrap_stream`].
    ///
    /// If the stream yields more or fewer than `len` bytes, the request
    /// fails with [`Error::Request`](crate::Error::Request) instead of
    /// sending a body that does not match its length.
    pub fn sized_stream<S, T, E>(len: u64, stream: S) -> Body
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Body::stream(Some(len), stream)
    }

    /// A body read from `reader` (a `tokio::fs::File`, a pipe, a
    /// decompressor, ...) as the request is sent, 64 KiB at a time, with no
    /// known length: sent chunked (HTTP/1.1) and only once.
    ///
    /// A read error ends the request: `send()` fails with
    /// [`Error::Request`](crate::Error::Request), whose source is the
    /// `io::Error`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::{Body, Session};
    ///
    /// # async fn run(session: Session) -> Result<(), Box<dyn std::error::Error>> {
    /// let file = tokio::fs::File::open("backup.tar").await?;
    /// session
    ///     .put("http://127.0.0.1:8080/backups/latest")
    ///     .body(Body::from_reader(file))
    ///     .send()
    ///     .await?
    ///     .error_for_status()?;
    /// # Ok(()) }
    /// ```
    pub fn from_reader<R>(reader: R) -> Body
    where
        R: AsyncRead + Send + 'static,
    {
        Body::wrap_stream(ReaderStream::with_capacity(reader, READ_CHUNK))
    }

    fn stream<S, T, E>(len: Option<u64>, stream: S) -> Body
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<BoxError>,
    {
        let stream = stream.map(|item| item.map(Into::into).map_err(Into::into));
        Body {
            kind: Kind::Stream {
                stream: SyncWrapper::new(Box::pin(stream)),
                len,
                sent: 0,
            },
        }
    }

    /// The bytes of a body held in memory; `None` for a stream.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Full(data) => Some(data.as_deref().unwrap_or_default()),
            Kind::Stream { .. } => None,
        }
    }

    /// A copy to send again (a cheap reference-counted clone), for a retry
    /// on a fresh connection or a redirect that keeps the body; `None` for a
    /// body that can be sent only once (a stream).
    pub(crate) fn try_clone(&self) -> Option<Body> {
        match &self.kind {
            Kind::Full(data) => Some(Body {
                kind: Kind::Full(data.clone()),
            }),
            Kind::Stream { .. } => None,
        }
    }
}

impl Default for Body {
    /// An empty body.
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Full(data) => f
                .debug_struct("Body")
                .field("len", &data.as_ref().map_or(0, Bytes::len))
                .finish(),
            Kind::Stream { len, .. } => f
                .debug_struct("Body")
                .field("stream", &true)
                .field("len", len)
                .finish(),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            Kind::Full(data) => Poll::Ready(
                data.take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            Kind::Stream { stream, len, sent } => loop {
                let next = ready!(stream.get_mut().as_mut().poll_next(cx));
                return Poll::Ready(match next {
                    // hyper would frame an empty piece as the end of a
                    // chunked body.
                    Some(Ok(piece)) if piece.is_empty() => continue,
                    Some(Ok(piece)) => {
                        *sent += piece.len() as u64;
                        match *len {
                            Some(len) if *sent > len => Some(Err(wrong_length(len, *sent))),
                            _ => Some(Ok(Frame::data(piece))),
                        }
                    }
                    Some(Err(e)) => Some(Err(e)),
                    None => match *len {
                        Some(len) if *sent < len => Some(Err(wrong_length(len, *sent))),
                        _ => None,
                    },
                });
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(data) => data.as_ref().is_none_or(Bytes::is_empty),
            Kind::Stream { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream { len, .. } => len.map_or_else(SizeHint::new, SizeHint::with_exact),
        }
    }
}

/// The error of a [`Body::sized_stream`] that broke its promise.
fn wrong_length(len: u64, sent: u64) -> BoxError {
    if sent > len {
        format!(
            "the body stream yielded more than the {len} bytes announced to `Body::sized_stream`"
        )
        .into()
    } else {
        format!(
            "the body stream ended after {sent} of the {len} bytes announced to `Body::sized_stream`"
        )
        .into()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body {
            kind: Kind::Full(Some(bytes)),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Body {
        Body::from(Bytes::from(v))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Body {
        Body::from(Bytes::from_static(s))
    }
}

impl From<()> for Body {
    fn from((): ()) -> Body {
        Body::empty()
    }
}

#[cfg(test)]
mod tests {
    use http_body::Body as _;
    use http_body_util::BodyExt as _;

    use super::*;

    #[test]
    fn body_is_send_and_sync_even_for_streams() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        // A stream that is `Send` but not `Sync`.
        let not_sync = std::cell::Cell::new(0u8);
        let stream = futures_util::stream::once(async move {
            not_sync.set(1);
            Ok::<_, std::io::Error>(Bytes::new())
        });
        assert_send_sync(&Body::wrap_stream(stream));
    }

    #[test]
    fn memory_bodies_have_an_exact_length_and_clone() {
        let body = Body::from("abc");
        assert_eq!(body.size_hint().exact(), Some(3));
        assert!(!body.is_end_stream());
        assert!(body.try_clone().is_some());
        assert!(Body::default().is_end_stream());
        assert_eq!(Body::default().size_hint().exact(), Some(0));
    }

    #[test]
    fn streams_have_no_length_and_do_not_clone() {
        let body = Body::wrap_stream(futures_util::stream::empty::<Result<Bytes, BoxError>>());
        assert_eq!(body.size_hint().exact(), None);
        assert!(!body.is_end_stream());
        assert!(body.try_clone().is_none());
        let sized = Body::sized_stream(5, futures_util::stream::empty::<Result<Bytes, BoxError>>());
        assert_eq!(sized.size_hint().exact(), Some(5));
    }

    #[tokio::test]
    async fn stream_pieces_arrive_in_order_without_empty_frames() {
        let pieces = [Ok::<_, BoxError>("a"), Ok(""), Ok("bc")];
        let body = Body::wrap_stream(futures_util::stream::iter(pieces));
        let collected = body.collect().await.expect("no error").to_bytes();
        assert_eq!(collected, "abc");
    }

    #[tokio::test]
    async fn sized_stream_rejects_a_wrong_length() {
        let short = Body::sized_stream(4, futures_util::stream::iter([Ok::<_, BoxError>("abc")]));
        let err = short.collect().await.expect_err("3 of 4 bytes");
        assert!(err.to_string().contains("after 3 of the 4 bytes"), "{err}");
        let long = Body::sized_stream(2, futures_util::stream::iter([Ok::<_, BoxError>("abc")]));
        let err = long.collect().await.expect_err("3 of 2 bytes");
        assert!(err.to_string().contains("more than the 2 bytes"), "{err}");
    }
}
