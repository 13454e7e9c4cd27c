//! A raw HTTP/1.1 peer with the socket in hand, for the behaviours the
//! integration support's `RawServer` does not offer: reading a body slowly,
//! closing an idle connection after a random delay, resetting (RST)
//! instead of closing.
//!
//! Built on the support's `ServerThread`, so it counts accepted and closed
//! connections and request heads like every other test server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::thread::ServerThread;
use crate::support::{Counters, Observed};

/// One accepted connection.
#[derive(Debug)]
pub(crate) struct PeerConn {
    stream: TcpStream,
    buf: Vec<u8>,
    counters: Arc<Counters>,
}

/// A request head as read off the wire (its body is read separately).
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) method: String,
    /// Header lines, names lowercased.
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    /// The value of header `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The announced body length (0 without Content-Length; this client
    /// sends in-memory bodies with one).
    pub(crate) fn content_length(&self) -> usize {
        self.header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// A loopback peer running a behaviour per connection; stops in `Drop`.
#[derive(Debug)]
pub(crate) struct Peer {
    thread: ServerThread,
}

impl Peer {
    pub(crate) fn new<F, Fut>(behaviour: F) -> Self
    where
        F: Fn(PeerConn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let thread = ServerThread::spawn("reliability-peer", move |stream, counters| {
            let _ = stream.set_nodelay(true);
            behaviour(PeerConn {
                stream,
                buf: Vec::new(),
                counters,
            })
        });
        Self { thread }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        self.thread.url(path)
    }
}

impl Observed for Peer {
    fn counters(&self) -> &Counters {
        self.thread.counters()
    }
}

/// `200 OK`, body `ok`, keep-alive.
pub(crate) const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

impl PeerConn {
    /// Reads the next request head and counts it; `None` when the client
    /// closed (or sent something that is not a head).
    pub(crate) async fn head(&mut self) -> Option<Head> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let text = String::from_utf8(self.buf[..end].to_vec()).ok()?;
        self.buf.drain(..end + 4);
        let mut lines = text.split("\r\n");
        let method = lines.next()?.split(' ').next()?.to_string();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        self.counters.update(|s| s.requests += 1);
        Some(Head { method, headers })
    }

    /// Reads `len` body bytes, in pieces of `piece` with `pause` before
    /// each (zero: as fast as they come).
    pub(crate) async fn body(
        &mut self,
        len: usize,
        piece: usize,
        pause: Duration,
    ) -> Option<Vec<u8>> {
        let mut body = Vec::with_capacity(len);
        while body.len() < len {
            if self.buf.is_empty() {
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                self.fill_at_most(piece).await?;
            }
            let take = self.buf.len().min(len - body.len());
            body.extend(self.buf.drain(..take));
        }
        Some(body)
    }

    /// Reads the next request's head and body; the body is counted.
    pub(crate) async fn request(&mut self) -> Option<(Head, Vec<u8>)> {
        let head = self.head().await?;
        let body = self
            .body(head.content_length(), 64 << 10, Duration::ZERO)
            .await?;
        if head.method == "POST" {
            self.counters.update(|s| s.bodies += 1);
        }
        Some((head, body))
    }

    /// Writes `bytes` and flushes.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Whether the client sent nothing for `idle` (the connection was idle
    /// that long); false as soon as a byte arrives or the client closes.
    pub(crate) async fn idle_for(&mut self, idle: Duration) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        tokio::time::timeout(idle, self.fill()).await.is_err()
    }

    /// Drops the connection with a reset (`SO_LINGER` 0) instead of a
    /// clean close.
    pub(crate) fn reset(self) {
        let _ = self.stream.set_zero_linger();
        drop(self.stream);
    }

    async fn fill(&mut self) -> Option<()> {
        self.fill_at_most(16 << 10).await
    }

    async fn fill_at_most(&mut self, max: usize) -> Option<()> {
        let mut chunk = vec![0u8; max.max(1)];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Some(())
            }
        }
    }
}
