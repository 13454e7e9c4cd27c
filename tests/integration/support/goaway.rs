//! [`GoawayServer`]: an h2c server (HTTP/2 with prior knowledge, built on
//! the `h2` crate directly) that ends its connections the way production
//! servers do, to test what the client does with the requests in flight.
//!
//! What it can do, per [`Policy`]: send a GOAWAY after N requests on a
//! connection (nginx's `keepalive_requests`) or after a quiet spell
//! (nginx's idle timeout), advertise a low `SETTINGS_MAX_CONCURRENT_STREAMS`,
//! refuse the first attempt of some requests with `RST_STREAM`
//! `REFUSED_STREAM`, and never read request bodies (flow control then
//! stalls uploads).
//!
//! How its GOAWAY leaves streams unprocessed: h2's graceful shutdown sends
//! GOAWAY with the largest stream id, then a PING, then (on the PING's ack)
//! a second GOAWAY with the last stream it received (RFC 9113 section 6.8).
//! The first one stops the client at once, so no stream is ever left
//! unprocessed. Like nginx, this server sends only the second: its write
//! side ([`Tap`]) turns the first GOAWAY into a PING (same length, ignored
//! by both sides). Streams the client opens while that last GOAWAY is on its
//! way are above its last stream id: h2 drops them unprocessed, and the
//! client must send them again on another connection.
//!
//! Every request carries an `x-id` header; the server records how often it
//! processed each id, and counts the request streams the client opened (its
//! read side reads the frame headers), so a test can tell requests sent
//! again from requests processed twice.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use http::{Request, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::thread::ServerThread;
use super::{Counters, Observed};

/// How a [`GoawayServer`] treats its connections.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Policy {
    /// GOAWAY once this many requests were processed on a connection.
    pub(crate) goaway_after: Option<u64>,
    /// GOAWAY once no request arrived for this long.
    pub(crate) goaway_idle: Option<Duration>,
    /// `SETTINGS_MAX_CONCURRENT_STREAMS`.
    pub(crate) max_concurrent_streams: Option<u32>,
    /// Refuse (REFUSED_STREAM) the first attempt of each request whose id
    /// is a multiple of this.
    pub(crate) refuse_every: Option<u64>,
    /// Never read request bodies, and never answer requests that have one.
    pub(crate) ignore_bodies: bool,
    /// Send only the second GOAWAY of a graceful shutdown (see the module
    /// docs), so that streams racing it are left unprocessed; otherwise
    /// h2's two-step shutdown, which leaves none.
    pub(crate) nginx_like: bool,
}

/// What a [`GoawayServer`] saw beyond the shared [`Counters`].
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// How many times each request id was processed.
    processed: Mutex<HashMap<u64, u32>>,
    /// Request ids whose first attempt was refused.
    refused: Mutex<HashSet<u64>>,
    /// Request streams the client opened (HEADERS frames received).
    streams: AtomicU64,
    /// GOAWAY frames sent.
    goaways: AtomicU64,
    /// Streams with an unread body that the client reset.
    resets: AtomicU64,
}

impl Seen {
    /// How many times each request id was processed.
    pub(crate) fn processed(&self) -> HashMap<u64, u32> {
        self.processed.lock().unwrap().clone()
    }

    /// Requests refused with REFUSED_STREAM.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.lock().unwrap().len() as u64
    }

    /// Request streams the client opened, processed or not.
    pub(crate) fn streams(&self) -> u64 {
        self.streams.load(Ordering::SeqCst)
    }

    /// GOAWAY frames the server sent (not counting the ones turned into a
    /// PING).
    pub(crate) fn goaways(&self) -> u64 {
        self.goaways.load(Ordering::SeqCst)
    }

    /// Streams with an unread body that the client reset.
    pub(crate) fn resets(&self) -> u64 {
        self.resets.load(Ordering::SeqCst)
    }

    /// Streams the client opened that the server neither processed nor
    /// refused: those a GOAWAY left unprocessed.
    pub(crate) fn unprocessed(&self) -> u64 {
        let processed: u64 = self.processed().values().map(|&n| u64::from(n)).sum();
        self.streams() - processed - self.refused()
    }
}

/// An h2c server that ends connections per its [`Policy`]. Stops in `Drop`.
#[derive(Debug)]
pub(crate) struct GoawayServer {
    thread: ServerThread,
    seen: Arc<Seen>,
}

impl GoawayServer {
    /// Starts a server that answers every request with `200 OK` and `ok`.
    pub(crate) fn new(policy: Policy) -> Self {
        let seen = Arc::new(Seen::default());
        let thread = {
            let seen = seen.clone();
            ServerThread::spawn("goaway-server", move |tcp, counters| {
                serve(tcp, policy, counters, seen.clone())
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

impl Observed for GoawayServer {
    fn counters(&self) -> &Counters {
        self.thread.counters()
    }
}

/// Serves one connection until it closes.
async fn serve(tcp: TcpStream, policy: Policy, counters: Arc<Counters>, seen: Arc<Seen>) {
    let mut builder = h2::server::Builder::new();
    if let Some(max) = policy.max_concurrent_streams {
        builder.max_concurrent_streams(max);
    }
    let tap = Tap::new(tcp, seen.clone(), policy.nginx_like);
    let Ok(mut conn) = builder.handshake(tap).await else {
        return;
    };
    let mut processed = 0;
    let mut going_away = false;
    loop {
        let next = match policy.goaway_idle {
            Some(idle) if !going_away => match tokio::time::timeout(idle, conn.accept()).await {
                Ok(next) => next,
                Err(_) => {
                    going_away = true;
                    conn.graceful_shutdown();
                    continue;
                }
            },
            _ => conn.accept().await,
        };
        let Some(Ok((req, respond))) = next else {
            return;
        };
        processed += 1;
        if !going_away && policy.goaway_after.is_some_and(|n| processed >= n) {
            going_away = true;
            conn.graceful_shutdown();
        }
        tokio::spawn(answer(req, respond, policy, counters.clone(), seen.clone()));
    }
}

/// Answers one request: refuses it, ignores it, or records its id and
/// answers `ok` once its body has been read.
async fn answer(
    req: Request<h2::RecvStream>,
    mut respond: SendResponse<Bytes>,
    policy: Policy,
    counters: Arc<Counters>,
    seen: Arc<Seen>,
) {
    let id: u64 = req
        .headers()
        .get("x-id")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    if policy.refuse_every.is_some_and(|k| id % k == 0) && seen.refused.lock().unwrap().insert(id) {
        respond.send_reset(h2::Reason::REFUSED_STREAM);
        return;
    }
    let mut body = req.into_body();
    if policy.ignore_bodies && !body.is_end_stream() {
        counters.update(|s| s.requests += 1);
        // Hold the stream (and its unread body) until the client resets it.
        if std::future::poll_fn(|cx| respond.poll_reset(cx))
            .await
            .is_ok()
        {
            seen.resets.fetch_add(1, Ordering::SeqCst);
        }
        return;
    }
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { return };
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    *seen.processed.lock().unwrap().entry(id).or_default() += 1;
    counters.update(|s| s.requests += 1);
    let Ok(mut stream) = respond.send_response(Response::new(()), false) else {
        return;
    };
    let _ = stream.send_data(Bytes::from_static(b"ok"), true);
}

// ---------------------------------------------------------------------------

/// Frame types (RFC 9113 section 6).
const HEADERS: u8 = 0x1;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
/// The HTTP/2 client connection preface.
const PREFACE: usize = 24;

/// Where a frame parser is in one direction's byte stream.
#[derive(Debug, Clone)]
struct Frames {
    /// Bytes of the preface still to skip (client side only).
    preface: usize,
    /// The frame header read so far.
    header: Vec<u8>,
    /// Payload bytes still to skip.
    payload: usize,
}

impl Frames {
    fn new(preface: usize) -> Self {
        Self {
            preface,
            header: Vec::with_capacity(9),
            payload: 0,
        }
    }

    /// Walks `bytes`, calling `on_type` with the type byte of each frame
    /// header, which it may rewrite in place.
    fn scan(&mut self, mut bytes: &mut [u8], mut on_type: impl FnMut(&mut u8)) {
        while !bytes.is_empty() {
            let take;
            if self.preface > 0 {
                take = self.preface.min(bytes.len());
                self.preface -= take;
            } else if self.payload > 0 {
                take = self.payload.min(bytes.len());
                self.payload -= take;
            } else {
                take = (9 - self.header.len()).min(bytes.len());
                for byte in &mut bytes[..take] {
                    if self.header.len() == 3 {
                        on_type(byte);
                    }
                    self.header.push(*byte);
                }
                if self.header.len() == 9 {
                    let h = &self.header;
                    self.payload =
                        usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
                    self.header.clear();
                }
            }
            bytes = &mut std::mem::take(&mut bytes)[take..];
        }
    }
}

/// The server's socket, reading the frame headers both ways: counts the
/// client's HEADERS frames and the server's GOAWAY frames, and turns the
/// server's first GOAWAY (the "largest id" one of a graceful shutdown)
/// into a PING.
#[derive(Debug)]
struct Tap {
    io: TcpStream,
    seen: Arc<Seen>,
    read: Frames,
    write: Frames,
    /// Whether the first GOAWAY went out (as a PING).
    first_goaway_done: bool,
}

impl Tap {
    fn new(io: TcpStream, seen: Arc<Seen>, nginx_like: bool) -> Self {
        Self {
            io,
            seen,
            read: Frames::new(PREFACE),
            write: Frames::new(0),
            first_goaway_done: !nginx_like,
        }
    }
}

/// Rewrites the type byte of the server's frames; returns whether the
/// first GOAWAY is now done.
fn rewrite(frames: &mut Frames, bytes: &mut [u8], mut done: bool, seen: Option<&Seen>) -> bool {
    frames.scan(bytes, |ty| {
        if *ty != GOAWAY {
            return;
        }
        if done {
            if let Some(seen) = seen {
                seen.goaways.fetch_add(1, Ordering::SeqCst);
            }
        } else {
            *ty = PING;
            done = true;
        }
    });
    done
}

impl AsyncRead for Tap {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let this = &mut *self;
            let mut bytes = buf.filled()[before..].to_vec();
            let seen = &this.seen;
            this.read.scan(&mut bytes, |ty| {
                if *ty == HEADERS {
                    seen.streams.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        polled
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        // Rewrite a copy with a copy of the parser; commit only the bytes
        // the socket took (h2 offers the rest again).
        let mut copy = buf.to_vec();
        rewrite(
            &mut this.write.clone(),
            &mut copy,
            this.first_goaway_done,
            None,
        );
        let written = std::task::ready!(Pin::new(&mut this.io).poll_write(cx, &copy))?;
        let mut committed = buf[..written].to_vec();
        this.first_goaway_done = rewrite(
            &mut this.write,
            &mut committed,
            this.first_goaway_done,
            Some(&this.seen),
        );
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
