//! Reading a response body: timers, the end of the exchange, what a
//! broken connection means, and decompression on top of the raw pieces.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::Body as _;
use hyper::body::Incoming;
use sync_wrapper::SyncWrapper;
use url::Url;

use super::decode::{Decoder, Encoding, Step};
use crate::connect::Conn;
use crate::error::{self, Error, TimeoutKind};
use crate::runtime::HomeSleep;
use crate::session::state::Ticket;

/// The timeouts that keep running while a body is read.
#[derive(Default)]
pub(crate) struct Timers {
    /// The request's total deadline.
    pub(crate) total: Option<Pin<Box<HomeSleep>>>,
    /// The read timeout and its timer, reset after every chunk.
    pub(crate) read: Option<(Duration, Pin<Box<HomeSleep>>)>,
}

/// The body of a response, with what must happen when it ends.
pub(crate) struct BodyReader {
    incoming: Incoming,
    /// The connection, returned to the pool when the body ends; dropped
    /// (and so closed) if the body is abandoned or fails.
    conn: Option<Conn>,
    /// The session (through the request's ticket, no longer counted as
    /// in flight), until the body has ended (or failed).
    session: Option<Ticket>,
    /// Whether the response holds a claim on its connection (`Pool::lend`)
    /// while the body is unread: `close()` does not wait for it (see
    /// `pool/lend.rs`). Given back before the connection goes.
    lent: bool,
    pub(super) timers: Timers,
    /// The announced length, to tell a complete body from a cut one.
    expected: Option<u64>,
    received: u64,
    /// Set when the body is decompressed: `chunk` then hands out decoded
    /// pieces. Boxed, as a decoder's state is large; `SyncWrapper` because
    /// some decoders are `Send` but not `Sync`, and it is only used through
    /// `&mut`.
    decoder: Option<SyncWrapper<Box<Decoder>>>,
}

impl Drop for BodyReader {
    /// A response dropped before its body ended gives back its claim; its
    /// connection is then dropped, which closes it.
    fn drop(&mut self) {
        self.unlend();
    }
}

/// How many raw bytes may follow the end of a compressed body before we
/// stop reading them and close the connection instead of reusing it.
const MAX_TRAILING: u64 = 64 * 1024;

impl BodyReader {
    /// The head has reached the caller: a body that has already ended
    /// gives its connection back now; any other lends the connection to
    /// the response, then stops counting the request as in flight.
    pub(super) fn new(incoming: Incoming, conn: Conn, mut ticket: Ticket, url: &Url) -> BodyReader {
        let expected = incoming.size_hint().exact();
        let ended = incoming.is_end_stream();
        if !ended {
            ticket.inner.pool.lend(&conn);
        }
        ticket.uncount();
        let mut reader = BodyReader {
            incoming,
            conn: Some(conn),
            session: Some(ticket),
            lent: !ended,
            timers: Timers::default(),
            expected,
            received: 0,
            decoder: None,
        };
        if ended {
            reader.finish(url);
        }
        reader
    }

    /// The length of what `chunk` will hand out, when known: the announced
    /// length, unless the body is decompressed.
    pub(super) fn expected(&self) -> Option<u64> {
        match self.decoder {
            Some(_) => None,
            None => self.expected,
        }
    }

    /// Decompresses the body from now on; `false` (and nothing changes)
    /// when the body has already ended, as for a `HEAD` or `304` answer.
    pub(super) fn decode(&mut self, encoding: Encoding) -> bool {
        if self.is_done() {
            return false;
        }
        self.decoder = Some(SyncWrapper::new(Box::new(Decoder::new(encoding))));
        true
    }

    /// Whether the body has ended (or failed) and the exchange is over.
    fn is_done(&self) -> bool {
        self.session.is_none()
    }

    /// The exchange is over and went well: the connection goes back to the
    /// pool (which closes it if the session was closed meanwhile), then
    /// the response gives up its claim on it.
    fn finish(&mut self, url: &Url) {
        self.unlend();
        if let Some(session) = self.session.take() {
            if let Some(conn) = self.conn.take() {
                session.inner.pool.checkin(url, conn);
            }
        }
    }

    /// The exchange failed: drop the connection, and map the error.
    fn fail(&mut self, err: Error) -> Error {
        self.unlend();
        self.conn = None;
        self.session
            .take()
            .and_then(|s| s.inner.interrupted())
            .unwrap_or(err)
    }

    /// Gives back the claim on the connection, once.
    fn unlend(&mut self) {
        if std::mem::take(&mut self.lent) {
            if let (Some(session), Some(conn)) = (&self.session, &self.conn) {
                session.inner.pool.unlend(conn);
            }
        }
    }

    /// The next piece of the body, decoded if it is compressed; `None` at
    /// its end.
    pub(super) async fn chunk(&mut self, url: &Url) -> Result<Option<Bytes>, Error> {
        loop {
            let Some(decoder) = self.decoder.as_mut().map(SyncWrapper::get_mut) else {
                return self.raw_chunk(url).await;
            };
            match decoder.step() {
                Ok(Step::Data(data)) => return Ok(Some(data)),
                Ok(Step::End) => return self.drain(url).await.map(|()| None),
                Err(e) => return Err(self.fail(e)),
                Ok(Step::NeedInput) => {}
            }
            // The decoder's borrow has ended: read the next raw piece (under
            // the timers) and hand it over. Cancelling this await loses
            // nothing, as the piece is only taken once it is ready.
            let input = self.raw_chunk(url).await?;
            if let Some(decoder) = self.decoder.as_mut() {
                decoder.get_mut().feed(input);
            }
        }
    }

    /// After the end of a compressed body: reads what is left of the raw
    /// body (usually nothing but its end) so that the connection can go
    /// back to the pool; more than [`MAX_TRAILING`] bytes of it, and the
    /// connection is closed instead.
    async fn drain(&mut self, url: &Url) -> Result<(), Error> {
        let mut left = MAX_TRAILING;
        while let Some(piece) = self.raw_chunk(url).await? {
            let Some(rest) = left.checked_sub(piece.len() as u64) else {
                self.unlend();
                self.conn = None;
                self.session = None;
                break;
            };
            left = rest;
        }
        Ok(())
    }

    /// The next raw piece of the body, as the server sent it; `None` at its
    /// end.
    async fn raw_chunk(&mut self, url: &Url) -> Result<Option<Bytes>, Error> {
        loop {
            if self.is_done() {
                return Ok(None);
            }
            let frame = std::future::poll_fn(|cx| self.poll_frame(cx)).await;
            match frame {
                Err(e) => return Err(self.fail(e)),
                Ok(Some(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if data.is_empty() {
                            continue;
                        }
                        self.received += data.len() as u64;
                        return Ok(Some(data));
                    }
                    // Trailers: not exposed yet.
                }
                Ok(None) => return self.end(url).map(|()| None),
            }
        }
    }

    /// The body stream ended: complete, or cut short.
    fn end(&mut self, url: &Url) -> Result<(), Error> {
        let cut = self
            .session
            .as_ref()
            .is_some_and(|s| s.inner.interrupted().is_some());
        match self.expected {
            Some(expected) if self.received < expected => {
                let msg = format!(
                    "the connection closed after {} of the {} bytes the server announced",
                    self.received, expected
                );
                Err(self.fail(error::body(msg)))
            }
            // A connection task dropped by a shutting-down runtime, or ended
            // by an abort, ends the stream just as a clean end would; the
            // alarm or the abort flag was set first (see `connect.rs`).
            None if cut => Err(self.fail(Error::RuntimeShutdown)),
            _ => {
                self.finish(url);
                Ok(())
            }
        }
    }

    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<http_body::Frame<Bytes>>, Error>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.incoming).poll_frame(cx) {
            if let Some((after, read)) = self.timers.read.as_mut() {
                read.as_mut().reset_after(*after);
            }
            return Poll::Ready(frame.transpose().map_err(error::body));
        }
        if let Some(total) = self.timers.total.as_mut() {
            if let Poll::Ready(fired) = total.as_mut().poll(cx) {
                return Poll::Ready(Err(fired
                    .err()
                    .unwrap_or(Error::Timeout(TimeoutKind::Total))));
            }
        }
        if let Some((_, read)) = self.timers.read.as_mut() {
            if let Poll::Ready(fired) = read.as_mut().poll(cx) {
                return Poll::Ready(Err(fired
                    .err()
                    .unwrap_or(Error::Timeout(TimeoutKind::Read))));
            }
        }
        Poll::Pending
    }
}
