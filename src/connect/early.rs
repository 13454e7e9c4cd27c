//! Letting a server's early final response win over the reset that
//! follows it.
//!
//! A server that refuses an upload (413, 401, 400, ...) often answers as
//! soon as it has read the request head, then closes the socket with the
//! upload still unread, which makes its kernel send a reset. The answer is
//! in our socket's receive buffer, but hyper, busy writing the body, meets
//! the reset on its next write and fails the whole exchange with a body
//! write error before it reads the answer (18 of 20 such uploads on
//! loopback). curl and browsers show the answer; so do we.
//!
//! `EarlyResponse` wraps an HTTP/1.1 connection's socket: the first write
//! that fails because the peer reset or closed the connection is not
//! reported at once. It reports `Pending` until one of hyper's reads has
//! completed (each of its turns starts with one; the reset makes the socket
//! readable, and reads return the data that arrived before the reset); the
//! write after that reports the error. One deferral per connection, bounded
//! to a few polls, so a connection cannot spin or stall.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pin_project_lite::pin_project! {
    /// A socket whose first reset-on-write is reported once a read was
    /// tried after it.
    #[derive(Debug)]
    pub(super) struct EarlyResponse<T> {
        #[pin]
        io: T,
        // The write error held back until the next read.
        held: Option<io::Error>,
        // Whether the one deferral was used.
        deferred: bool,
        // Whether a read completed (data, end or error) since the error was
        // held back.
        read_since: bool,
        // Write-side polls answered `Pending` while holding the error: a
        // bound, in case no read ever completes.
        waits: u8,
    }
}

/// How many write-side polls may be answered `Pending` while an error is
/// held and no read has completed. A reset makes the socket readable, so
/// the read that hyper starts each turn completes as soon as the reactor
/// has seen the reset; this bound only keeps a connection that is never
/// read from waiting forever.
const MAX_WAITS: u8 = 8;

impl<T> EarlyResponse<T> {
    pub(super) fn new(io: T) -> EarlyResponse<T> {
        EarlyResponse {
            io,
            held: None,
            deferred: false,
            read_since: false,
            waits: 0,
        }
    }
}

/// Whether a write failed because the peer is gone (an answer it sent
/// before going may still be waiting to be read).
fn peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
    )
}

/// The write side of an `EarlyResponse`, projected.
struct WriteSide<'a> {
    held: &'a mut Option<io::Error>,
    deferred: &'a mut bool,
    read_since: &'a mut bool,
    waits: &'a mut u8,
}

impl WriteSide<'_> {
    /// Before a write-side call: the held error once a read was tried (or
    /// the bound is reached), `Pending` until then.
    fn before<R>(&mut self, cx: &mut Context<'_>) -> Option<Poll<io::Result<R>>> {
        self.held.as_ref()?;
        if *self.read_since || *self.waits >= MAX_WAITS {
            return self.held.take().map(|e| Poll::Ready(Err(e)));
        }
        // No wake-up here: the read hyper started registered for the
        // socket's readiness, which the reset brings.
        let _ = cx;
        *self.waits += 1;
        Some(Poll::Pending)
    }

    /// After a write-side call: holds back the first peer-gone error.
    fn after<R>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Ready(Err(e)) if peer_gone(&e) && !*self.deferred => {
                *self.deferred = true;
                *self.held = Some(e);
                *self.read_since = false;
                *self.waits = 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => other,
        }
    }
}

macro_rules! write_side {
    ($this:ident) => {
        WriteSide {
            held: $this.held,
            deferred: $this.deferred,
            read_since: $this.read_since,
            waits: $this.waits,
        }
    };
}

impl<T: AsyncRead> AsyncRead for EarlyResponse<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let read = this.io.poll_read(cx, buf);
        if read.is_ready() {
            *this.read_since = true;
        }
        read
    }
}

impl<T: AsyncWrite> AsyncWrite for EarlyResponse<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let mut side = write_side!(this);
        if let Some(early) = side.before(cx) {
            return early;
        }
        let result = this.io.poll_write(cx, buf);
        side.after(cx, result)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let mut side = write_side!(this);
        if let Some(early) = side.before(cx) {
            return early;
        }
        let result = this.io.poll_write_vectored(cx, bufs);
        side.after(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let mut side = write_side!(this);
        if let Some(early) = side.before(cx) {
            return early;
        }
        let result = this.io.poll_flush(cx);
        side.after(cx, result)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A peer that answers and resets: the answer is read, and the write
    /// error still comes, one turn later.
    #[tokio::test]
    async fn the_answer_is_readable_after_a_reset_on_write() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 4];
            s.read_exact(&mut head).await.unwrap();
            s.write_all(b"no").await.unwrap();
            s.set_zero_linger().unwrap();
            drop(s);
        });
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut io = EarlyResponse::new(tcp);
        io.write_all(b"head").await.unwrap();
        peer.await.unwrap();
        let mut failed = None;
        for _ in 0..1000 {
            if let Err(e) = io.write_all(&[0u8; 65536]).await {
                failed = Some(e);
                break;
            }
        }
        assert!(peer_gone(&failed.expect("the writes fail")));
        let mut answer = [0u8; 2];
        io.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"no");
    }
}
