//! The clients under test, set up to match each other.
//!
//! `clientsession`, the hyper-util legacy `Client` and reqwest all get the
//! same pool settings (idle timeout 4 s, at most 64 idle connections per
//! host, `TCP_NODELAY`), HTTP/1.1 only, no proxy. 64 idle connections is
//! the widest concurrency any bench uses, so that the concurrent benches
//! measure pooled requests and not connection setup. `raw_conn` is the floor:
//! `hyper::client::conn::http1` connections opened up front, with no pool,
//! no URL parsing and no redirect or timeout logic.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use clientsession::Session;

/// Pool idle timeout given to every client (clientsession's default).
pub(crate) const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// Idle connections kept per host by every client: at least the widest
/// concurrency of any bench (64 tasks), so that no bench reconnects once
/// warm. (clientsession's default is 32.)
const POOL_MAX_IDLE_PER_HOST: usize = 64;
/// Connections `raw_conn` opens: one per task of the widest bench.
pub(crate) const RAW_CONNS: usize = 64;

/// Which client a bench drives; also the last part of the bench id.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Impl {
    /// This crate.
    ClientSession,
    /// `hyper_util::client::legacy::Client`.
    HyperUtil,
    /// `reqwest::Client`.
    Reqwest,
    /// Bare `hyper::client::conn::http1` connections.
    RawConn,
}

impl Impl {
    /// All four, in the order the benches report them.
    pub(crate) const ALL: [Impl; 4] = [
        Impl::ClientSession,
        Impl::HyperUtil,
        Impl::Reqwest,
        Impl::RawConn,
    ];

    /// The id used in bench names and in `BENCH_IMPL`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Impl::ClientSession => "clientsession",
            Impl::HyperUtil => "hyper_util",
            Impl::Reqwest => "reqwest",
            Impl::RawConn => "raw_conn",
        }
    }
}

/// A ready client of one kind; must be created on the client runtime.
// One per bench, built once; boxing the large hyper-util client would add an
// indirection to the path being measured.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Peer {
    /// See [`Impl::ClientSession`].
    ClientSession(Session),
    /// See [`Impl::HyperUtil`].
    HyperUtil(Client<HttpConnector, Full<Bytes>>),
    /// See [`Impl::Reqwest`].
    Reqwest(reqwest::Client),
    /// See [`Impl::RawConn`]: one lock per connection, so that task `i` of
    /// a concurrent bench owns connection `i` (the lock is never contended).
    RawConn {
        /// `Host` header value for every request.
        host: HeaderValue,
        /// The open connections.
        conns: Vec<Mutex<SendRequest<Full<Bytes>>>>,
    },
}

impl Peer {
    /// Builds a client of kind `which` for the server at `addr`.
    pub(crate) async fn new(which: Impl, addr: SocketAddr) -> Peer {
        match which {
            Impl::ClientSession => Peer::ClientSession(
                Session::builder()
                    .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                    .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
                    .build()
                    .await
                    .expect("build clientsession"),
            ),
            Impl::HyperUtil => Peer::HyperUtil(hyper_util_client()),
            Impl::Reqwest => Peer::Reqwest(reqwest_client()),
            Impl::RawConn => {
                let mut conns = Vec::with_capacity(RAW_CONNS);
                for _ in 0..RAW_CONNS {
                    conns.push(Mutex::new(raw_conn(addr).await));
                }
                let host = HeaderValue::from_str(&addr.to_string()).expect("host");
                Peer::RawConn { host, conns }
            }
        }
    }

    /// `GET url`; returns the status and the whole body. `lane` picks the
    /// raw connection (modulo their number); the pooled clients ignore it.
    pub(crate) async fn get(&self, lane: usize, url: &str) -> (StatusCode, Bytes) {
        self.send(lane, hyper::Method::GET, url, None).await
    }

    /// `POST url` with `body`; returns the status and the whole body.
    pub(crate) async fn post(&self, lane: usize, url: &str, body: Bytes) -> (StatusCode, Bytes) {
        self.send(lane, hyper::Method::POST, url, Some(body)).await
    }

    /// Sends one request through this client and reads the whole response.
    async fn send(
        &self,
        lane: usize,
        method: hyper::Method,
        url: &str,
        body: Option<Bytes>,
    ) -> (StatusCode, Bytes) {
        match self {
            Peer::ClientSession(s) => {
                let mut req = s.request(method, url);
                if let Some(body) = body {
                    req = req.body(body);
                }
                let res = req.send().await.expect("clientsession send");
                let status = res.status();
                (status, res.bytes().await.expect("clientsession body"))
            }
            Peer::HyperUtil(c) => {
                let req = Request::builder()
                    .method(method)
                    .uri(url)
                    .body(Full::new(body.unwrap_or_default()))
                    .expect("request");
                let res = c.request(req).await.expect("hyper_util send");
                let status = res.status();
                let body = res.into_body().collect().await.expect("hyper_util body");
                (status, body.to_bytes())
            }
            Peer::Reqwest(c) => {
                let mut req = c.request(method, url);
                if let Some(body) = body {
                    req = req.body(body);
                }
                let res = req.send().await.expect("reqwest send");
                let status = res.status();
                (status, res.bytes().await.expect("reqwest body"))
            }
            Peer::RawConn { host, conns } => {
                let req = Request::builder()
                    .method(method)
                    .uri(path_of(url))
                    .header(HOST, host.clone())
                    .body(Full::new(body.unwrap_or_default()))
                    .expect("request");
                let mut conn = conns[lane % conns.len()].lock().await;
                conn.ready().await.expect("raw_conn ready");
                let res = conn.send_request(req).await.expect("raw_conn send");
                let status = res.status();
                let body = res.into_body().collect().await.expect("raw_conn body");
                (status, body.to_bytes())
            }
        }
    }

    /// Closes the session (clientsession only; the others just drop).
    pub(crate) async fn close(self) {
        if let Peer::ClientSession(s) = self {
            s.close().await;
        }
    }
}

/// The path of an absolute `http://host:port/path` URL, for `raw_conn`,
/// which writes the request target as given.
fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or("/", |i| &url[after_scheme + i..])
}

/// The hyper-util legacy client with the same pool settings.
pub(crate) fn hyper_util_client() -> Client<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .build(connector)
}

/// A reqwest client with the same pool settings. Built with rustls
/// on the ring provider (never used: all traffic is plain HTTP).
pub(crate) fn reqwest_client() -> reqwest::Client {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .tcp_nodelay(true)
        .no_proxy()
        .build()
        .expect("build reqwest")
}

/// One bare HTTP/1.1 connection to `addr`, driven by a spawned task.
async fn raw_conn(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(async move {
        // Ends when the sender is dropped or the server closes.
        let _ = conn.await;
    });
    sender
}
