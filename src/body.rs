//! The request body.

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// The body of a request.
///
/// Made from `Bytes`, `Vec<u8>`, `String`, `&'static str` or
/// `&'static [u8]` with `From`/`Into`, usually through
/// [`RequestBuilder::body`](crate::RequestBuilder::body). A body held in
/// memory is sent with a `Content-Length` and can be sent again when an
/// idempotent request is retried on a fresh connection.
///
/// # Examples
///
/// ```
/// use clientsession::Body;
///
/// let body = Body::from("hello");
/// assert_eq!(body.as_bytes(), Some(&b"hello"[..]));
/// assert!(Body::empty().as_bytes().unwrap().is_empty());
/// ```
#[derive(Default)]
pub struct Body {
    /// `None` once the bytes were handed to hyper.
    data: Option<Bytes>,
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body { data: None }
    }

    /// The bytes of a body held in memory.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        Some(self.data.as_deref().unwrap_or_default())
    }

    /// A copy that can be sent again (a cheap reference-counted clone), for
    /// retrying a request on a fresh connection.
    pub(crate) fn replay(&self) -> Body {
        Body {
            data: self.data.clone(),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("len", &self.data.as_ref().map_or(0, Bytes::len))
            .finish()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.data
                .take()
                .filter(|b| !b.is_empty())
                .map(|b| Ok(Frame::data(b))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |b| b.len() as u64))
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body { data: Some(bytes) }
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
