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
//! write after that reports the error. While it waits it reads the socket
//! itself (into a small stash that the next reads get first), so that the
//! reset's readiness wakes the task even when no read of hyper's is in
//! progress. One deferral per connection, bounded to a few polls, so a
//! connection cannot spin or stall.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pin_project_lite::pin_project! {
    /// A socket whose first reset-on-write is reported once a read has
    /// seen what arrived before it.
    #[derive(Debug)]
    pub(super) struct EarlyResponse<T> {
        #[pin]
        io: T,
        // Whether the one deferral was used.
        deferred: bool,
        // The deferral's state; boxed, as it exists only on a rare path.
        held: Option<Box<Held>>,
    }
}

/// What a deferral holds.
#[derive(Debug)]
struct Held {
    /// The write error, until it is reported.
    error: Option<io::Error>,
    /// Bytes read by our own probe, handed to the next reads first.
    stash: Vec<u8>,
    /// The end (or error) our probe met, handed out after the stash.
    end: Option<io::Result<()>>,
    /// Whether the caller has read something (data, end or error) since.
    read_since: bool,
    /// Write-side polls answered `Pending`: a bound, in case the caller
    /// never reads.
    waits: u8,
}

/// How many write-side polls may be answered `Pending` while the error is
/// held and the caller has read nothing. hyper starts every turn with a
/// read, and the reset makes the socket readable; the bound only keeps a
/// caller that never reads from waiting (or spinning) long.
const MAX_WAITS: u8 = 8;

impl<T> EarlyResponse<T> {
    pub(super) fn new(io: T) -> EarlyResponse<T> {
        EarlyResponse {
            io,
            deferred: false,
            held: None,
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

impl<T: AsyncRead + AsyncWrite> EarlyResponse<T> {
    /// Before a write-side call: the held error once the caller has read
    /// (or the bound is reached), `Pending` until then. While waiting it
    /// reads the socket itself, so that the reset's readiness wakes the
    /// task even if the caller has no read in progress.
    fn before<R>(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Option<Poll<io::Result<R>>> {
        let this = self.project();
        let held = this.held.as_mut()?;
        held.error.as_ref()?;
        if held.read_since || held.waits >= MAX_WAITS {
            return held.error.take().map(|e| Poll::Ready(Err(e)));
        }
        held.waits += 1;
        if !held.stash.is_empty() || held.end.is_some() {
            // The caller has something to read: let it run.
            cx.waker().wake_by_ref();
            return Some(Poll::Pending);
        }
        let mut probe = [0u8; 4096];
        let mut buf = ReadBuf::new(&mut probe);
        match this.io.poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => held.end = Some(Ok(())),
            Poll::Ready(Ok(())) => held.stash.extend_from_slice(buf.filled()),
            Poll::Ready(Err(e)) => held.end = Some(Err(e)),
            // Registered: the socket's next readiness wakes the task.
            Poll::Pending => return Some(Poll::Pending),
        }
        cx.waker().wake_by_ref();
        Some(Poll::Pending)
    }

    /// After a write-side call: holds back the first peer-gone error.
    fn after<R>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        result: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let this = self.project();
        match result {
            Poll::Ready(Err(e)) if peer_gone(&e) && !*this.deferred => {
                *this.deferred = true;
                *this.held = Some(Box::new(Held {
                    error: Some(e),
                    stash: Vec::new(),
                    end: None,
                    read_since: false,
                    waits: 1,
                }));
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => other,
        }
    }
}

impl<T: AsyncRead> AsyncRead for EarlyResponse<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let Some(held) = this.held.as_mut() else {
            return this.io.poll_read(cx, buf);
        };
        if !held.stash.is_empty() {
            let n = held.stash.len().min(buf.remaining());
            buf.put_slice(&held.stash[..n]);
            held.stash.drain(..n);
            held.read_since = true;
            return Poll::Ready(Ok(()));
        }
        if let Some(end) = held.end.take() {
            held.read_since = true;
            return Poll::Ready(end);
        }
        let read = this.io.poll_read(cx, buf);
        held.read_since |= read.is_ready();
        read
    }
}

impl<T: AsyncRead + AsyncWrite> AsyncWrite for EarlyResponse<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(early) = self.as_mut().before(cx) {
            return early;
        }
        let result = self.as_mut().project().io.poll_write(cx, buf);
        self.after(cx, result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(early) = self.as_mut().before(cx) {
            return early;
        }
        let result = self.as_mut().project().io.poll_write_vectored(cx, bufs);
        self.after(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(early) = self.as_mut().before(cx) {
            return early;
        }
        let result = self.as_mut().project().io.poll_flush(cx);
        self.after(cx, result)
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
