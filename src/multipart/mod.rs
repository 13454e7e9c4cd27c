//! `multipart/form-data` request bodies (RFC 7578), for file uploads and
//! HTML forms with files.
//!
//! Build a [`Form`] of named fields, each a text value or a [`Part`] made
//! from bytes with an optional file name and MIME type, and send it with
//! [`RequestBuilder::multipart`](crate::RequestBuilder::multipart), which
//! also sets `Content-Type: multipart/form-data; boundary=...`.
//!
//! A form of in-memory parts is encoded at once and sent with a
//! `Content-Length`, so it can be sent again on a retry or a 307/308
//! redirect. A part can also be a stream ([`Part::stream`], for example a
//! file through [`Body::from_reader`](crate::Body::from_reader)); the
//! form is then read as it is sent, and sent only once.
//!
//! # Examples
//!
//! ```no_run
//! use clientsession::Session;
//! use clientsession::multipart::{Form, Part};
//!
//! # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
//! let session = Session::new()?;
//! let report = Part::bytes(std::fs::read("report.pdf").unwrap_or_default())
//!     .file_name("report.pdf")
//!     .mime_str("application/pdf");
//! let form = Form::new().text("title", "Q3").part("file", report);
//! let response = session.post("http://127.0.0.1:8080/upload").multipart(form).send().await?;
//! assert!(response.status().is_success());
//! # Ok(()) }
//! ```

// Why no crate: the format is a few lines of framing (RFC 7578 section 4,
// and the WHATWG HTML "multipart/form-data encoding algorithm" for the
// escaping of names), and the crates that do it (`mime`, `common-multipart`)
// would add dependencies and types to our API for no gain.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt as _;
use http::HeaderValue;
use http_body_util::BodyExt as _;

use crate::body::Body;
use crate::error::{self, Error};

/// A `multipart/form-data` form: named text fields and [`Part`]s, in the
/// order they were added.
///
/// Field names may repeat (as for `<input type="file" multiple>`).
///
/// # Examples
///
/// ```
/// use clientsession::multipart::{Form, Part};
///
/// let form = Form::new()
///     .text("name", "ada")
///     .part("avatar", Part::bytes(&b"\x89PNG"[..]).file_name("ada.png").mime_str("image/png"));
/// assert_eq!(form.len(), 2);
/// ```
#[derive(Default)]
#[must_use = "a form does nothing until it is passed to `RequestBuilder::multipart`"]
pub struct Form {
    /// The fields, in order: (name, part).
    fields: Vec<(String, Part)>,
}

/// One field of a [`Form`]: its content, and optionally a file name and a
/// MIME type.
///
/// # Examples
///
/// ```
/// use clientsession::multipart::Part;
///
/// let part = Part::bytes(vec![1, 2, 3]).file_name("data.bin").mime_str("application/octet-stream");
/// assert!(format!("{part:?}").contains("data.bin"));
/// ```
#[must_use = "a part does nothing until it is added to a `Form`"]
pub struct Part {
    content: Content,
    /// Sent as the `filename` parameter of `Content-Disposition`.
    file_name: Option<String>,
    /// Sent as the part's `Content-Type`; none means `text/plain` to the
    /// server (RFC 7578 section 4.4).
    mime: Option<HeaderValue>,
    /// An invalid MIME type given to `mime_str`, reported by `send()`.
    error: Option<Error>,
}

/// What a part holds.
enum Content {
    Bytes(Bytes),
    /// Read as the request is sent.
    Stream(Body),
}

/// A piece of an encoded form: framing and in-memory content, or a part's
/// stream.
enum Piece {
    Bytes(Bytes),
    Stream(Body),
}

// ===== Form =====

impl Form {
    /// An empty form.
    pub fn new() -> Form {
        Form::default()
    }

    /// Adds a text field.
    pub fn text(self, name: impl Into<String>, value: impl Into<String>) -> Form {
        self.part(name, Part::text(value))
    }

    /// Adds a field with the content, file name and MIME type of `part`.
    pub fn part(mut self, name: impl Into<String>, part: Part) -> Form {
        self.fields.push((name.into(), part));
        self
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the form has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Encodes the form: the `Content-Type` header naming the boundary, and
    /// the body. Fails with the first part's stored error.
    pub(crate) fn encode(mut self) -> Result<(HeaderValue, Body), Error> {
        if let Some(e) = self.fields.iter_mut().find_map(|(_, p)| p.error.take()) {
            return Err(e);
        }
        let boundary = self.pick_boundary();
        let mut pieces = Vec::new();
        let mut buf = BytesMut::new();
        for (name, part) in self.fields {
            part.write_head(&mut buf, &boundary, &name);
            match part.content {
                Content::Bytes(data) => buf.put_slice(&data),
                Content::Stream(body) => {
                    pieces.push(Piece::Bytes(buf.split().freeze()));
                    pieces.push(Piece::Stream(body));
                }
            }
            buf.put_slice(b"\r\n");
        }
        buf.put_slice(b"--");
        buf.put_slice(boundary.as_bytes());
        buf.put_slice(b"--\r\n");
        pieces.push(Piece::Bytes(buf.freeze()));
        let content_type =
            HeaderValue::try_from(format!("multipart/form-data; boundary={boundary}"))
                .expect("the boundary is ASCII letters, digits and dashes");
        Ok((content_type, into_body(pieces)))
    }

    /// A boundary that occurs in no in-memory part (RFC 2046 section
    /// 5.1.1). A random one almost never does; the check makes it certain
    /// for what can be checked. Streams are read only as they are sent, so
    /// for them the 128 random bits are the guarantee.
    fn pick_boundary(&self) -> String {
        loop {
            let candidate = boundary();
            let clash = |(_, part): &(String, Part)| match &part.content {
                Content::Bytes(data) => data
                    .windows(candidate.len())
                    .any(|w| w == candidate.as_bytes()),
                Content::Stream(_) => false,
            };
            if !self.fields.iter().any(clash) {
                return candidate;
            }
        }
    }
}

/// The body of an encoded form: in memory when every part was, else a
/// stream, with a `Content-Length` when every stream has a known length.
fn into_body(mut pieces: Vec<Piece>) -> Body {
    if let [Piece::Bytes(_)] = pieces.as_slice() {
        if let Some(Piece::Bytes(all)) = pieces.pop() {
            return Body::from(all);
        }
    }
    let len = pieces.iter().try_fold(0u64, |total, piece| match piece {
        Piece::Bytes(bytes) => Some(total + bytes.len() as u64),
        Piece::Stream(body) => http_body::Body::size_hint(body)
            .exact()
            .map(|len| total + len),
    });
    let stream = futures_util::stream::iter(pieces).flat_map(|piece| match piece {
        Piece::Bytes(bytes) => {
            futures_util::stream::once(async move { Ok::<_, crate::error::BoxError>(bytes) })
                .left_stream()
        }
        Piece::Stream(body) => body.into_data_stream().right_stream(),
    });
    match len {
        Some(len) => Body::sized_stream(len, stream),
        None => Body::wrap_stream(stream),
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: values may be secret.
        f.debug_struct("Form")
            .field(
                "fields",
                &self.fields.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

// ===== Part =====

impl Part {
    /// A part holding `value`, as a text field.
    pub fn text(value: impl Into<String>) -> Part {
        Part::bytes(value.into())
    }

    /// A part holding `data`: `Vec<u8>`, `Bytes`, `&'static [u8]`, or a
    /// string.
    pub fn bytes(data: impl Into<Bytes>) -> Part {
        Part::new(Content::Bytes(data.into()))
    }

    /// A part read from `body` as the request is sent: usually a stream
    /// made with [`Body::wrap_stream`], [`Body::sized_stream`] or
    /// [`Body::from_reader`] (a file), so that a large upload need not fit
    /// in memory.
    ///
    /// A form with a stream part is itself sent as a stream: with a
    /// `Content-Length` when every stream part has a known length (made
    /// with `Body::sized_stream`), chunked otherwise. Like any stream body
    /// it is sent only once: never retried, and a 307/308 redirect that
    /// would need it again fails with a typed error. An error of the
    /// stream fails the request with
    /// [`Error::Request`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::multipart::{Form, Part};
    /// use clientsession::{Body, Session};
    ///
    /// # async fn run(session: Session) -> Result<(), Box<dyn std::error::Error>> {
    /// let file = tokio::fs::File::open("video.mp4").await?;
    /// let len = file.metadata().await?.len();
    /// let stream = tokio_util::io::ReaderStream::new(file);
    /// let video = Part::stream(Body::sized_stream(len, stream))
    ///     .file_name("video.mp4")
    ///     .mime_str("video/mp4");
    /// let form = Form::new().text("title", "launch").part("video", video);
    /// session.post("http://127.0.0.1:8080/upload").multipart(form).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream(body: impl Into<Body>) -> Part {
        Part::new(Content::Stream(body.into()))
    }

    fn new(content: Content) -> Part {
        Part {
            content,
            file_name: None,
            mime: None,
            error: None,
        }
    }

    /// Sets the file name sent with the part, which makes servers treat it
    /// as an uploaded file. Default: none.
    ///
    /// `"`, CR and LF in the name are sent as `%22`, `%0D` and `%0A`, as
    /// browsers do.
    pub fn file_name(mut self, name: impl Into<String>) -> Part {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the MIME type of the part, such as `image/png` or
    /// `text/plain; charset=utf-8`. Default: none, which servers read as
    /// `text/plain`.
    ///
    /// # Errors
    ///
    /// A value that is not `type/subtype` with optional parameters is
    /// reported by [`RequestBuilder::send`](crate::RequestBuilder::send)
    /// as [`Error::InvalidBody`].
    pub fn mime_str(mut self, mime: &str) -> Part {
        match parse_mime(mime) {
            Ok(value) => self.mime = Some(value),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }
}

impl Part {
    /// Writes the delimiter and the headers of this part, up to the blank
    /// line before its content.
    fn write_head(&self, buf: &mut BytesMut, boundary: &str, name: &str) {
        buf.put_slice(b"--");
        buf.put_slice(boundary.as_bytes());
        buf.put_slice(b"\r\nContent-Disposition: form-data; name=");
        put_quoted(buf, name);
        if let Some(file_name) = &self.file_name {
            buf.put_slice(b"; filename=");
            put_quoted(buf, file_name);
        }
        buf.put_slice(b"\r\n");
        if let Some(mime) = &self.mime {
            buf.put_slice(b"Content-Type: ");
            buf.put_slice(mime.as_bytes());
            buf.put_slice(b"\r\n");
        }
        buf.put_slice(b"\r\n");
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Part");
        match &self.content {
            Content::Bytes(data) => d.field("len", &data.len()),
            Content::Stream(body) => d.field("stream", body),
        };
        d.field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .finish_non_exhaustive()
    }
}

/// A new boundary: 32 hex digits from a SipHash keyed at random by the
/// standard library (`RandomState`), so a sender of form values cannot
/// predict it, and a counter so that two forms never share one.
fn boundary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(n);
        hasher.write_usize(i);
        *half = hasher.finish();
    }
    format!("clientsession-{:016x}{:016x}", halves[0], halves[1])
}

/// Writes `value` as a quoted-string parameter value, with `"`, CR and LF
/// escaped as the HTML standard's form encoding does.
fn put_quoted(buf: &mut BytesMut, value: &str) {
    buf.put_u8(b'"');
    for b in value.bytes() {
        match b {
            b'"' => buf.put_slice(b"%22"),
            b'\r' => buf.put_slice(b"%0D"),
            b'\n' => buf.put_slice(b"%0A"),
            _ => buf.put_u8(b),
        }
    }
    buf.put_u8(b'"');
}

/// Checks a MIME type: `type/subtype` of token characters, then anything
/// valid in a header value (the parameters).
fn parse_mime(mime: &str) -> Result<HeaderValue, Error> {
    let invalid = || {
        error::invalid_body(
            format!("invalid MIME type {mime:?}: expected `type/subtype`, such as `image/png`"),
            None,
        )
    };
    let essence = mime.split(';').next().unwrap_or_default().trim();
    let is_token = |s: &str| !s.is_empty() && s.bytes().all(is_token_byte);
    match essence.split_once('/') {
        Some((ty, sub)) if is_token(ty) && is_token(sub) => {}
        _ => return Err(invalid()),
    }
    HeaderValue::from_str(mime).map_err(|_| invalid())
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests;
