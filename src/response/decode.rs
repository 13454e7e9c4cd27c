//! Response decompression by `Content-Encoding` (features `gzip`,
//! `deflate`, `brotli`, `zstd`).
//!
//! The decoders are async-compression's, which pull their input through
//! `AsyncBufRead`. We give them a [`Feed`]: it holds the raw piece that
//! `BodyReader` read last, and reports `Pending` once that is used up. We
//! poll them with a no-op waker, because their `Pending` then only ever
//! means "feed me": `BodyReader` answers by awaiting the next raw piece,
//! under the read and total timeouts like any other read, and polls again.
//! So nothing here waits, and no piece of the raw body is read twice or
//! lost if the caller's future is dropped between two polls.
//!
//! Each poll writes at most about [`CHUNK`] decoded bytes. A small body
//! that inflates to gigabytes is therefore handed out piece by piece, and
//! the limit of `bytes()` and `text()`, which counts decoded bytes, stops
//! it after at most one piece past the limit.

// With no codec feature, `Encoding` and `Codec` have no variants and most
// of this file is never used; the `Accept-Encoding` is then not sent.
#![cfg_attr(
    not(any(
        feature = "gzip",
        feature = "deflate",
        feature = "brotli",
        feature = "zstd"
    )),
    allow(dead_code, unused_imports, unused_variables)
)]

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[cfg(feature = "brotli")]
use async_compression::tokio::bufread::BrotliDecoder;
#[cfg(feature = "gzip")]
use async_compression::tokio::bufread::GzipDecoder;
#[cfg(feature = "deflate")]
use async_compression::tokio::bufread::ZlibDecoder;
#[cfg(feature = "zstd")]
use async_compression::tokio::bufread::ZstdDecoder;
use bytes::{Buf, Bytes, BytesMut};
use http::header::{CONTENT_ENCODING, HeaderMap, HeaderValue};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use crate::error::{self, Error};

/// The most decoded bytes one step hands out (the buffer is reserved at
/// this size; a reclaimed larger one may give a little more).
const CHUNK: usize = 32 * 1024;

/// A content coding this build can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    #[cfg(feature = "gzip")]
    Gzip,
    /// HTTP's `deflate` is the zlib format (RFC 9110, section 8.4.1.2).
    #[cfg(feature = "deflate")]
    Deflate,
    #[cfg(feature = "brotli")]
    Brotli,
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Encoding {
    /// Every coding this build decodes, in the order we list them in
    /// `Accept-Encoding`.
    const ALL: &'static [Encoding] = &[
        #[cfg(feature = "gzip")]
        Encoding::Gzip,
        #[cfg(feature = "deflate")]
        Encoding::Deflate,
        #[cfg(feature = "brotli")]
        Encoding::Brotli,
        #[cfg(feature = "zstd")]
        Encoding::Zstd,
    ];

    /// The token of this coding in `Accept-Encoding`/`Content-Encoding`.
    pub(crate) fn token(self) -> &'static str {
        match self {
            #[cfg(feature = "gzip")]
            Encoding::Gzip => "gzip",
            #[cfg(feature = "deflate")]
            Encoding::Deflate => "deflate",
            #[cfg(feature = "brotli")]
            Encoding::Brotli => "br",
            #[cfg(feature = "zstd")]
            Encoding::Zstd => "zstd",
        }
    }

    fn parse(token: &str) -> Option<Encoding> {
        // `x-gzip` is the old name, which RFC 9110 says to treat as `gzip`.
        let token = if token.eq_ignore_ascii_case("x-gzip") {
            "gzip"
        } else {
            token
        };
        Encoding::ALL
            .iter()
            .copied()
            .find(|e| token.eq_ignore_ascii_case(e.token()))
    }

    /// The coding to undo for a response with these headers: `None` unless
    /// `Content-Encoding` names exactly one coding that this build decodes.
    /// Stacked codings (`gzip, br`) are rare and left for the caller, with
    /// the header intact, as are unknown ones.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Encoding> {
        let mut values = headers.get_all(CONTENT_ENCODING).iter();
        let value = values.next()?;
        if values.next().is_some() {
            return None;
        }
        Encoding::parse(value.to_str().ok()?.trim())
    }
}

/// The `Accept-Encoding` a session sends by default: every coding this
/// build decodes, or `None` when it decodes none.
pub(crate) fn accept_encoding() -> Option<HeaderValue> {
    let tokens: Vec<&str> = Encoding::ALL.iter().map(|e| e.token()).collect();
    if tokens.is_empty() {
        return None;
    }
    HeaderValue::from_str(&tokens.join(", ")).ok()
}

// ===== Decoder =====

/// What one step of a [`Decoder`] gives.
#[derive(Debug)]
pub(crate) enum Step {
    /// A piece of the decoded body (never empty).
    Data(Bytes),
    /// The decoder has used up its input: feed it the next raw piece.
    NeedInput,
    /// The decoded body is complete.
    End,
}

/// Decodes one response body, fed raw piece by raw piece.
pub(crate) struct Decoder {
    encoding: Encoding,
    codec: Codec,
    /// Whether any raw bytes were fed: an empty body is an empty decoded
    /// body, not a truncated stream.
    fed: bool,
    /// Where decoded bytes are written; split off after each step.
    out: BytesMut,
}

impl Decoder {
    pub(crate) fn new(encoding: Encoding) -> Decoder {
        Decoder {
            encoding,
            codec: Codec::new(encoding),
            fed: false,
            out: BytesMut::new(),
        }
    }

    /// Hands the decoder the next raw piece, or (`None`) the end of the raw
    /// body. Call only after [`Step::NeedInput`].
    pub(crate) fn feed(&mut self, input: Option<Bytes>) {
        let feed = self.codec.feed();
        debug_assert!(feed.input.is_empty() && !feed.eof, "fed before it asked");
        match input {
            Some(piece) => {
                self.fed |= !piece.is_empty();
                feed.input = piece;
            }
            None => feed.eof = true,
        }
    }

    /// Decodes what it can from the input it holds.
    ///
    /// # Errors
    ///
    /// [`Error::Decompress`] when the body is not valid data of its
    /// encoding, or ends in the middle.
    pub(crate) fn step(&mut self) -> Result<Step, Error> {
        let eof = self.codec.feed().eof;
        if eof && !self.fed {
            return Ok(Step::End);
        }
        self.out.reserve(CHUNK);
        let mut cx = Context::from_waker(Waker::noop());
        match self.codec.poll_read_buf(&mut cx, &mut self.out) {
            Poll::Ready(Ok(0)) => Ok(Step::End),
            Poll::Ready(Ok(_)) => Ok(Step::Data(self.out.split().freeze())),
            Poll::Ready(Err(e)) => Err(error::decompress(self.encoding.token(), e)),
            // A `Feed` at its end never says `Pending`; should a decoder
            // still do so, fail rather than ask for input forever.
            Poll::Pending if eof => Err(error::decompress(
                self.encoding.token(),
                "the decoder asked for more input after the end of the body",
            )),
            Poll::Pending => Ok(Step::NeedInput),
        }
    }
}

/// The decoder of each coding, reading from a [`Feed`].
enum Codec {
    #[cfg(feature = "gzip")]
    Gzip(GzipDecoder<Feed>),
    #[cfg(feature = "deflate")]
    Deflate(ZlibDecoder<Feed>),
    #[cfg(feature = "brotli")]
    Brotli(BrotliDecoder<Feed>),
    #[cfg(feature = "zstd")]
    Zstd(ZstdDecoder<Feed>),
}

impl Codec {
    fn new(encoding: Encoding) -> Codec {
        let feed = Feed::default();
        match encoding {
            #[cfg(feature = "gzip")]
            Encoding::Gzip => {
                let mut decoder = GzipDecoder::new(feed);
                // RFC 1952: a gzip file is a series of members.
                decoder.multiple_members(true);
                Codec::Gzip(decoder)
            }
            #[cfg(feature = "deflate")]
            Encoding::Deflate => Codec::Deflate(ZlibDecoder::new(feed)),
            #[cfg(feature = "brotli")]
            Encoding::Brotli => Codec::Brotli(BrotliDecoder::new(feed)),
            #[cfg(feature = "zstd")]
            Encoding::Zstd => {
                let mut decoder = ZstdDecoder::new(feed);
                // RFC 8878: a zstd stream may hold several frames.
                decoder.multiple_members(true);
                Codec::Zstd(decoder)
            }
        }
    }

    fn feed(&mut self) -> &mut Feed {
        match *self {
            #[cfg(feature = "gzip")]
            Codec::Gzip(ref mut d) => d.get_mut(),
            #[cfg(feature = "deflate")]
            Codec::Deflate(ref mut d) => d.get_mut(),
            #[cfg(feature = "brotli")]
            Codec::Brotli(ref mut d) => d.get_mut(),
            #[cfg(feature = "zstd")]
            Codec::Zstd(ref mut d) => d.get_mut(),
        }
    }

    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        use tokio_util::io::poll_read_buf;
        match *self {
            #[cfg(feature = "gzip")]
            Codec::Gzip(ref mut d) => poll_read_buf(Pin::new(d), cx, out),
            #[cfg(feature = "deflate")]
            Codec::Deflate(ref mut d) => poll_read_buf(Pin::new(d), cx, out),
            #[cfg(feature = "brotli")]
            Codec::Brotli(ref mut d) => poll_read_buf(Pin::new(d), cx, out),
            #[cfg(feature = "zstd")]
            Codec::Zstd(ref mut d) => poll_read_buf(Pin::new(d), cx, out),
        }
    }
}

// ===== Feed =====

/// The input side of a decoder: the raw piece being decoded. Empty and not
/// at its end means "no input yet", which it reports as `Pending` without
/// registering a waker; see the module docs for why that is sound here.
#[derive(Debug, Default)]
struct Feed {
    /// The unread rest of the last raw piece.
    input: Bytes,
    /// Whether the raw body has ended.
    eof: bool,
}

impl AsyncRead for Feed {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.input.is_empty() && !this.eof {
            return Poll::Pending;
        }
        let n = this.input.len().min(buf.remaining());
        buf.put_slice(&this.input[..n]);
        this.input.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Feed {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.input.is_empty() && !this.eof {
            return Poll::Pending;
        }
        Poll::Ready(Ok(&this.input))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().input.advance(amt);
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    /// Runs `decoder` over `raw`, fed in pieces of `piece` bytes.
    fn decode_all(encoding: Encoding, raw: &[u8], piece: usize) -> Result<Vec<u8>, Error> {
        let mut decoder = Decoder::new(encoding);
        let mut rest = Bytes::copy_from_slice(raw);
        let mut out = Vec::new();
        loop {
            match decoder.step()? {
                Step::Data(data) => {
                    assert!(!data.is_empty() && data.len() <= 2 * CHUNK);
                    out.extend_from_slice(&data);
                }
                Step::NeedInput if rest.is_empty() => decoder.feed(None),
                Step::NeedInput => decoder.feed(Some(rest.split_to(piece.min(rest.len())))),
                Step::End => return Ok(out),
            }
        }
    }

    #[test]
    fn content_encoding_is_read_case_insensitively_and_only_alone() {
        let mut headers = HeaderMap::new();
        assert_eq!(Encoding::from_headers(&headers), None);
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("identity"));
        assert_eq!(Encoding::from_headers(&headers), None);
        #[cfg(feature = "gzip")]
        {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(" GZip "));
            assert_eq!(Encoding::from_headers(&headers), Some(Encoding::Gzip));
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("x-gzip"));
            assert_eq!(Encoding::from_headers(&headers), Some(Encoding::Gzip));
            headers.append(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            assert_eq!(Encoding::from_headers(&headers), None);
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip, br"));
            assert_eq!(Encoding::from_headers(&headers), None);
        }
    }

    #[test]
    fn accept_encoding_lists_the_enabled_codings() {
        let value = accept_encoding();
        let text = value.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(text.contains("gzip"), cfg!(feature = "gzip"), "{text}");
        assert_eq!(
            text.contains("deflate"),
            cfg!(feature = "deflate"),
            "{text}"
        );
        assert_eq!(text.contains("br"), cfg!(feature = "brotli"), "{text}");
        assert_eq!(text.contains("zstd"), cfg!(feature = "zstd"), "{text}");
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn gzip_decodes_in_bounded_pieces_and_rejects_garbage() {
        use std::io::Write as _;

        let plain = vec![7u8; 1 << 20];
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&plain).expect("in memory");
        let gz = enc.finish().expect("in memory");
        for piece in [1, 100, 64 * 1024] {
            assert_eq!(
                decode_all(Encoding::Gzip, &gz, piece).expect("valid"),
                plain
            );
        }
        // Empty body: nothing to decode, no error.
        assert!(
            decode_all(Encoding::Gzip, b"", 10)
                .expect("empty")
                .is_empty()
        );
        let err = decode_all(Encoding::Gzip, b"this is not gzip", 4).expect_err("garbage");
        assert!(
            matches!(
                err,
                Error::Decompress {
                    encoding: "gzip",
                    ..
                }
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with("could not decompress the gzip-encoded response body"),
            "{msg}"
        );
        assert!(!msg.ends_with('.'), "{msg}");
        let err = decode_all(Encoding::Gzip, &gz[..gz.len() / 2], 512).expect_err("cut");
        assert!(matches!(err, Error::Decompress { .. }), "{err:?}");
    }
}
