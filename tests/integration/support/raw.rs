//! Raw TCP peers that write hand-made HTTP/1.1 bytes: servers that hang,
//! drip, lie about their length or close at the worst moment.
//!
//! Each runs a tokio `TcpListener` on its own thread and runtime, counts what
//! it sees like [`super::TestServer`], and stops in `Drop` (see
//! [`super::thread::ServerThread`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::thread::ServerThread;
use super::{Counters, Observed};

/// How [`RawServer::unsized_body`] marks the end of a body that has no
/// Content-Length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Transfer-Encoding: chunked`, connection kept alive.
    Chunked,
    /// `Connection: close`; the body ends when the server closes.
    CloseDelimited,
}

/// A request as read off the wire.
#[derive(Debug, Clone)]
pub(crate) struct RawRequest {
    /// The method token, e.g. `GET`.
    pub(crate) method: String,
    /// The request target, e.g. `/path?q=1`.
    pub(crate) target: String,
    /// Header lines, names lowercased.
    pub(crate) headers: Vec<(String, String)>,
    /// The body, de-chunked if it was chunked.
    pub(crate) body: Vec<u8>,
}

/// One accepted connection, handed to a [`RawServer`] behaviour.
#[derive(Debug)]
pub(crate) struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
    counters: Arc<Counters>,
    /// Requests read on this connection so far.
    pub(crate) requests: u64,
}

/// A raw peer. See the constructors for the behaviours.
#[derive(Debug)]
pub(crate) struct RawServer {
    thread: ServerThread,
}

impl RawServer {
    /// Starts a peer that runs `behaviour` for every accepted connection and
    /// closes the socket when it returns.
    pub(crate) fn new<F, Fut>(behaviour: F) -> Self
    where
        F: Fn(RawConn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        // `behaviour` owns the connection; it is closed when the future
        // finishes and drops it.
        let thread = ServerThread::spawn("raw-server", move |stream, counters| {
            behaviour(RawConn {
                stream,
                buf: Vec::new(),
                counters,
                requests: 0,
            })
        });
        Self { thread }
    }

    /// Accepts, reads requests, and never answers. Holds every connection
    /// until the client closes it.
    pub(crate) fn silent() -> Self {
        Self::new(|mut conn| async move { while conn.read_request().await.is_some() {} })
    }

    /// Accepts and never reads a byte, so that a large upload fills the
    /// socket buffers and stalls. Holds every connection until the server
    /// stops (it cannot see the client close without reading).
    pub(crate) fn never_reads() -> Self {
        Self::new(|conn| async move {
            let _held = conn;
            std::future::pending::<()>().await;
        })
    }

    /// Reads a request head only, answers `413 Payload Too Large` at once,
    /// and closes without reading the body, as a server with an upload
    /// limit does. With body bytes still unread, closing sends a reset.
    pub(crate) fn early_413() -> Self {
        Self::new(|mut conn| async move {
            if conn.read_head().await {
                let _ = conn
                    .write(
                        b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\
                          Connection: close\r\n\r\ntoo large",
                    )
                    .await;
            }
        })
    }

    /// Answers with `Content-Length: 100`, sends 10 body bytes, then sends
    /// nothing more while keeping the connection open.
    pub(crate) fn hang_mid_body() -> Self {
        Self::new(|mut conn| async move {
            if conn.read_request().await.is_some() {
                let _ = conn.write(HEAD_CL_100).await;
                let _ = conn.write(b"0123456789").await;
                conn.hold().await;
            }
        })
    }

    /// Answers with `Content-Length: 100`, sends 10 body bytes and closes.
    pub(crate) fn short_body() -> Self {
        Self::new(|mut conn| async move {
            if conn.read_request().await.is_some() {
                let _ = conn.write(HEAD_CL_100).await;
                let _ = conn.write(b"0123456789").await;
            }
        })
    }

    /// Reads one request in full, then closes without answering.
    pub(crate) fn close_before_response() -> Self {
        Self::new(|mut conn| async move {
            let _ = conn.read_request().await;
        })
    }

    /// Answers with a `len`-byte body (Content-Length set), sending one byte
    /// every `every`. Keeps the connection alive afterwards.
    pub(crate) fn drip(len: usize, every: Duration) -> Self {
        Self::new(move |mut conn| async move {
            while conn.read_request().await.is_some() {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
                if conn.write(head.as_bytes()).await.is_err() {
                    return;
                }
                for _ in 0..len {
                    tokio::time::sleep(every).await;
                    if conn.write(b"x").await.is_err() {
                        return;
                    }
                }
            }
        })
    }

    /// Answers with a `len`-byte body of `x` and no Content-Length, framed
    /// as `framing` says.
    pub(crate) fn unsized_body(len: usize, framing: Framing) -> Self {
        Self::new(move |mut conn| async move {
            while conn.read_request().await.is_some() {
                let ok = match framing {
                    Framing::Chunked => conn.write_chunked(len).await.is_ok(),
                    Framing::CloseDelimited => {
                        let head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
                        let _ = conn.write(head).await;
                        let _ = conn.write(&vec![b'x'; len]).await;
                        false
                    }
                };
                if !ok {
                    return;
                }
            }
        })
    }

    /// The stale keep-alive simulation: on each connection the first
    /// request gets `200 OK` ("ok", keep-alive); the second is read in full
    /// (and counted) and then the socket is closed without an answer.
    pub(crate) fn stale_keep_alive() -> Self {
        Self::new(|mut conn| async move {
            while conn.read_request().await.is_some() {
                if conn.requests >= 2 {
                    return;
                }
                if conn.write(OK_RESPONSE).await.is_err() {
                    return;
                }
            }
        })
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        self.thread.url(path)
    }
}

impl Observed for RawServer {
    fn counters(&self) -> &Counters {
        self.thread.counters()
    }
}

/// `200 OK` with the two-byte body `ok`, keep-alive.
pub(crate) const OK_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const HEAD_CL_100: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";

// ---------------------------------------------------------------------------

impl RawConn {
    /// Reads the next request in full (head and body) and counts it. `None`
    /// when the peer closed or sent something unparsable.
    pub(crate) async fn read_request(&mut self) -> Option<RawRequest> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec()).ok()?;
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        self.requests += 1;
        self.counters.update(|s| s.requests += 1);
        let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            self.read_chunked().await?
        } else {
            let len: usize = header("content-length").map_or(Some(0), |v| v.parse().ok())?;
            self.read_exact(len).await?
        };
        if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
            self.counters.update(|s| s.bodies += 1);
        }
        Some(RawRequest {
            method,
            target,
            headers,
            body,
        })
    }

    /// Writes `bytes` and flushes.
    /// Reads until the end of a request head, and no further; `false` if
    /// the client closed first.
    pub(crate) async fn read_head(&mut self) -> bool {
        while find(&self.buf, b"\r\n\r\n").is_none() {
            if self.fill().await.is_none() {
                return false;
            }
        }
        true
    }

    pub(crate) async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Keeps the connection open, discarding input, until the peer closes.
    pub(crate) async fn hold(&mut self) {
        while self.fill().await.is_some() {
            self.buf.clear();
        }
    }

    async fn write_chunked(&mut self, len: usize) -> std::io::Result<()> {
        self.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await?;
        let mut left = len;
        while left > 0 {
            let n = left.min(4096);
            let mut chunk = format!("{n:x}\r\n").into_bytes();
            chunk.extend(std::iter::repeat_n(b'x', n));
            chunk.extend_from_slice(b"\r\n");
            self.write(&chunk).await?;
            left -= n;
        }
        self.write(b"0\r\n\r\n").await
    }

    /// Reads more bytes into the buffer; `None` on end of stream or error.
    async fn fill(&mut self) -> Option<()> {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Some(())
            }
        }
    }

    async fn read_exact(&mut self, len: usize) -> Option<Vec<u8>> {
        while self.buf.len() < len {
            self.fill().await?;
        }
        Some(self.buf.drain(..len).collect())
    }

    async fn read_line(&mut self) -> Option<String> {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let line = String::from_utf8(self.buf[..end].to_vec()).ok()?;
        self.buf.drain(..end + 2);
        Some(line)
    }

    async fn read_chunked(&mut self) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size_line = self.read_line().await?;
            let size_hex = size_line.split(';').next()?.trim();
            let size = usize::from_str_radix(size_hex, 16).ok()?;
            if size == 0 {
                // Trailers (none expected) end with an empty line.
                while !self.read_line().await?.is_empty() {}
                return Some(body);
            }
            body.extend(self.read_exact(size).await?);
            self.read_exact(2).await?;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------

/// A listener that never accepts, whose accept queue has been filled, so a
/// new connect to it on Linux never completes (the kernel drops the SYN).
#[derive(Debug)]
pub(crate) struct FullBacklog {
    /// Held so the port stays bound; never accepted from.
    _listener: tokio::net::TcpListener,
    /// The connections that filled the queue, held open.
    _fillers: Vec<std::net::TcpStream>,
    addr: SocketAddr,
}

impl FullBacklog {
    /// Builds one, or returns `None` if a connect still completes after the
    /// queue should be full (so the caller can test something else). Must be
    /// called inside a Tokio runtime.
    pub(crate) fn new() -> Option<Self> {
        let socket = tokio::net::TcpSocket::new_v4().ok()?;
        socket.bind("127.0.0.1:0".parse().ok()?).ok()?;
        let listener = socket.listen(1).ok()?;
        let addr = listener.local_addr().ok()?;
        let mut fillers = Vec::new();
        for _ in 0..64 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(stream) => fillers.push(stream),
                Err(_) => {
                    return Some(Self {
                        _listener: listener,
                        _fillers: fillers,
                        addr,
                    });
                }
            }
        }
        None
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}
