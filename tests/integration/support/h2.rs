//! HTTP/2-capable loopback servers: [`H2cServer`] speaks HTTP/2 over plain
//! TCP (h2c, prior knowledge) and HTTP/1.1 on the same port, and
//! [`super::tls::TlsH2Server`] negotiates `h2` or `http/1.1` by ALPN. Both
//! count connections like [`super::TestServer`], and record which protocol
//! each request came in with and how many requests overlapped.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::gate::Gate;
use super::server::text;
use super::thread::ServerThread;
use super::{Counters, Observed};

/// An answer being prepared by a [`Handler`].
pub(crate) type Reply = Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>;

/// What an HTTP/2-capable server answers to every request.
pub(crate) type Handler = Arc<dyn Fn() -> Reply + Send + Sync>;

/// Answers `200 OK` with `hello, world!` at once.
pub(crate) fn hello() -> Handler {
    Arc::new(|| Box::pin(async { text(StatusCode::OK, "hello, world!") }))
}

/// Answers `200 OK` with `ok` after `delay`, so that concurrent requests
/// overlap at the server.
pub(crate) fn delayed(delay: Duration) -> Handler {
    Arc::new(move || {
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            text(StatusCode::OK, "ok")
        })
    })
}

/// Answers `200 OK` with `done`, but only once `gate` lets the answer go.
pub(crate) fn gated(gate: &Gate) -> Handler {
    let gate = gate.clone();
    Arc::new(move || {
        let gate = gate.clone();
        Box::pin(async move {
            gate.pass().await;
            text(StatusCode::OK, "done")
        })
    })
}

/// What an HTTP/2-capable server saw beyond the shared [`Counters`].
#[derive(Debug, Default)]
pub(crate) struct Seen {
    h2_requests: AtomicU64,
    h1_requests: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    conn_errors: AtomicU64,
    goaways: AtomicU64,
}

impl Seen {
    /// Requests that came in over HTTP/2.
    pub(crate) fn h2_requests(&self) -> u64 {
        self.h2_requests.load(Ordering::SeqCst)
    }

    /// Requests that came in over HTTP/1.x.
    pub(crate) fn h1_requests(&self) -> u64 {
        self.h1_requests.load(Ordering::SeqCst)
    }

    /// The most requests the handler was working on at once.
    pub(crate) fn peak_in_flight(&self) -> u64 {
        self.peak_in_flight.load(Ordering::SeqCst)
    }

    /// Connections whose serving ended with an error (for HTTP/2: the
    /// client went away without a clean shutdown, or broke the protocol).
    pub(crate) fn conn_errors(&self) -> u64 {
        self.conn_errors.load(Ordering::SeqCst)
    }

    /// HTTP/2 GOAWAY frames received from clients, over all connections.
    pub(crate) fn goaways(&self) -> u64 {
        self.goaways.load(Ordering::SeqCst)
    }
}

/// Counts one request in the handler until dropped.
struct InFlight(Arc<Seen>);

impl InFlight {
    fn enter(seen: &Arc<Seen>) -> Self {
        let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        seen.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(seen.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts `req`, then answers it with `handler`.
async fn handle(
    req: Request<Incoming>,
    handler: Handler,
    counters: Arc<Counters>,
    seen: Arc<Seen>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.version() == Version::HTTP_2 {
        seen.h2_requests.fetch_add(1, Ordering::SeqCst);
    } else {
        seen.h1_requests.fetch_add(1, Ordering::SeqCst);
    }
    counters.update(|s| s.requests += 1);
    let _in_flight = InFlight::enter(&seen);
    Ok(handler().await)
}

/// Serves one connection with HTTP/2 if `h2`, else HTTP/1.1 with
/// keep-alive, until the client closes it.
pub(crate) async fn serve_negotiated<I>(
    io: I,
    h2: bool,
    handler: Handler,
    counters: Arc<Counters>,
    seen: Arc<Seen>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let seen_conn = seen.clone();
    let service =
        service_fn(move |req| handle(req, handler.clone(), counters.clone(), seen.clone()));
    let io = TokioIo::new(FrameTap::new(io, seen_conn.clone()));
    let result = if h2 {
        http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        http1::Builder::new()
            .keep_alive(true)
            .serve_connection(io, service)
            .await
    };
    if result.is_err() {
        seen_conn.conn_errors.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------

/// A loopback server on plain TCP that speaks HTTP/2 to clients that start
/// with the HTTP/2 preface (prior knowledge, h2c) and HTTP/1.1 to the
/// others (hyper-util's auto builder). Stops in `Drop`.
#[derive(Debug)]
pub(crate) struct H2cServer {
    thread: ServerThread,
    seen: Arc<Seen>,
}

impl H2cServer {
    /// Starts a server that answers every request with `handler`.
    pub(crate) fn new(handler: Handler) -> Self {
        let seen = Arc::new(Seen::default());
        let thread = {
            let seen = seen.clone();
            ServerThread::spawn("h2c-server", move |tcp, counters| {
                serve_auto(tcp, handler.clone(), counters, seen.clone())
            })
        };
        Self { thread, seen }
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        self.thread.url(path)
    }

    /// What it saw beyond the counters.
    pub(crate) fn seen(&self) -> &Seen {
        &self.seen
    }
}

impl Observed for H2cServer {
    fn counters(&self) -> &Counters {
        self.thread.counters()
    }
}

async fn serve_auto(
    tcp: tokio::net::TcpStream,
    handler: Handler,
    counters: Arc<Counters>,
    seen: Arc<Seen>,
) {
    let seen_conn = seen.clone();
    let service =
        service_fn(move |req| handle(req, handler.clone(), counters.clone(), seen.clone()));
    let result = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(FrameTap::new(tcp, seen_conn.clone())), service)
        .await;
    if result.is_err() {
        seen_conn.conn_errors.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------

/// The HTTP/2 client connection preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The frame type of GOAWAY (RFC 9113, section 6.8).
const GOAWAY: u8 = 0x7;

/// Where [`FrameTap`] is in the client's byte stream.
#[derive(Debug)]
enum Parse {
    /// Matching the preface; this many bytes matched so far.
    Preface(usize),
    /// Reading a 9-byte frame header.
    Header(Vec<u8>),
    /// Skipping this many payload bytes.
    Payload(usize),
    /// Not HTTP/2: nothing to look at.
    Off,
}

/// Wraps the server's side of a connection (after TLS, if any) and reads
/// the frame headers of what the client sends, to count its GOAWAY frames.
/// Every byte is passed on to hyper untouched.
#[derive(Debug)]
struct FrameTap<I> {
    io: I,
    seen: Arc<Seen>,
    parse: Parse,
}

impl<I> FrameTap<I> {
    fn new(io: I, seen: Arc<Seen>) -> Self {
        Self {
            io,
            seen,
            parse: Parse::Preface(0),
        }
    }

    fn inspect(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.parse {
                Parse::Off => return,
                Parse::Preface(n) => {
                    if bytes[0] != PREFACE[*n] {
                        self.parse = Parse::Off;
                        return;
                    }
                    *n += 1;
                    if *n == PREFACE.len() {
                        self.parse = Parse::Header(Vec::with_capacity(9));
                    }
                    bytes = &bytes[1..];
                }
                Parse::Header(head) => {
                    let take = (9 - head.len()).min(bytes.len());
                    head.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if head.len() == 9 {
                        let len = usize::from(head[0]) << 16
                            | usize::from(head[1]) << 8
                            | usize::from(head[2]);
                        if head[3] == GOAWAY {
                            self.seen.goaways.fetch_add(1, Ordering::SeqCst);
                        }
                        self.parse = if len == 0 {
                            Parse::Header(Vec::with_capacity(9))
                        } else {
                            Parse::Payload(len)
                        };
                    }
                }
                Parse::Payload(left) => {
                    let take = (*left).min(bytes.len());
                    *left -= take;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        self.parse = Parse::Header(Vec::with_capacity(9));
                    }
                }
            }
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for FrameTap<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let this = &mut *self;
            this.inspect(&buf.filled()[before..]);
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for FrameTap<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
