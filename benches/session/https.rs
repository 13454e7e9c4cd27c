//! HTTPS benches: `https_handshake_get/{impl}`, `https_resumed_get/{impl}`
//! and `https_warm_get/{impl}` for `clientsession` and reqwest, against one
//! loopback HTTPS server.
//!
//! The server is hyper's HTTP/1.1 server behind tokio-rustls (ring), on its
//! own thread and current-thread runtime like [`crate::server::Server`]. Its
//! certificate is for `localhost`, signed by a CA made at start-up with
//! rcgen; both clients trust that CA through `add_root_certificate` (on top
//! of their built-in roots). ALPN offers `http/1.1` only and both clients
//! are `http1_only`, so both speak the same protocol.
//!
//! - `https_handshake_get`: a new TCP connection, a **full** TLS handshake
//!   (the server keeps no sessions and sends no tickets, so every handshake
//!   verifies the certificate chain) and one `GET /small`, per iteration.
//!   Both clients keep no idle connection (`pool_max_idle_per_host(0)`).
//! - `https_resumed_get`: the same, against a second server that lets TLS
//!   1.3 sessions resume (rustls' defaults on both sides): what a client
//!   pays for a new connection to a host it has talked to before.
//! - `https_warm_get`: `GET /small` on a warm pooled TLS connection.
//!
//! After each bench the server's counters are checked: one connection per
//! request in the first two groups, and a handful in the third.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::peers::{Impl, POOL_IDLE_TIMEOUT, Peer};
use crate::requests::on_worker;
use crate::server::SMALL;

/// Idle connections kept per host in `https_warm_get` (one is used).
const WARM_MAX_IDLE: usize = 64;

/// The two clients compared here.
const IMPLS: [Impl; 2] = [Impl::ClientSession, Impl::Reqwest];

/// A CA made at start-up, and a certificate for `localhost` it signed.
pub(crate) struct TestPki {
    /// The CA certificate, PEM: what the clients trust.
    ca_pem: String,
    /// The server's certificate.
    cert: CertificateDer<'static>,
    /// The server's private key (PKCS#8).
    key: PrivatePkcs8KeyDer<'static>,
}

impl TestPki {
    /// A fresh CA (ECDSA P-256, rcgen's default) and a leaf for `localhost`.
    pub(crate) fn new() -> TestPki {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "clientsession bench CA");
        let ca_key = KeyPair::generate().expect("CA key");
        let issuer = CertifiedIssuer::self_signed(ca, ca_key).expect("CA certificate");

        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("leaf params")
            .signed_by(&leaf_key, &issuer)
            .expect("leaf certificate");
        TestPki {
            ca_pem: issuer.pem(),
            cert: leaf.der().clone(),
            key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        }
    }

    /// The CA certificate, PEM.
    pub(crate) fn ca_pem(&self) -> &[u8] {
        self.ca_pem.as_bytes()
    }

    /// The server's rustls config: ALPN `http/1.1` only; TLS session
    /// resumption on (rustls' defaults) or off.
    fn server_config(&self, resumption: bool) -> ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        if !resumption {
            // No session cache (TLS 1.2 ids, TLS 1.3 stateful tickets) and
            // no tickets sent: every handshake is a full one.
            config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        config
    }
}

/// What the server saw, for the checks after each bench.
#[derive(Debug, Default)]
struct Counts {
    /// TCP connections accepted.
    connections: AtomicU64,
    /// TLS handshakes that failed.
    failed_handshakes: AtomicU64,
    /// Requests answered.
    requests: AtomicU64,
}

/// A snapshot of [`Counts`]: (connections, failed handshakes, requests).
type Snapshot = (u64, u64, u64);

impl Counts {
    fn snapshot(&self) -> Snapshot {
        (
            self.connections.load(Ordering::SeqCst),
            self.failed_handshakes.load(Ordering::SeqCst),
            self.requests.load(Ordering::SeqCst),
        )
    }
}

/// A running HTTPS server; dropping it stops the accept loop and joins the
/// thread.
pub(crate) struct HttpsServer {
    /// Where it listens: `127.0.0.1` and a port the OS chose.
    addr: SocketAddr,
    /// What it saw.
    counts: Arc<Counts>,
    /// Fired by `Drop` to end the accept loop.
    shutdown: Option<oneshot::Sender<()>>,
    /// The server thread; joined by `Drop`.
    thread: Option<JoinHandle<()>>,
}

impl HttpsServer {
    /// Starts a server with `pki`'s certificate and returns once it
    /// listens.
    pub(crate) fn start(pki: &TestPki, resumption: bool) -> HttpsServer {
        let acceptor = TlsAcceptor::from(Arc::new(pki.server_config(resumption)));
        let counts = Arc::new(Counts::default());
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown, shutdown_rx) = oneshot::channel();
        let thread = {
            let counts = counts.clone();
            std::thread::Builder::new()
                .name("bench-https-server".into())
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("server runtime");
                    rt.block_on(serve(acceptor, counts, addr_tx, shutdown_rx));
                })
                .expect("spawn server thread")
        };
        let addr = addr_rx.recv().expect("server did not start");
        HttpsServer {
            addr,
            counts,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `https://localhost:PORT` + `path` (the name the certificate is for;
    /// `/etc/hosts` maps it to 127.0.0.1, where the server listens).
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() && !std::thread::panicking() {
                panic!("bench HTTPS server thread panicked");
            }
        }
    }
}

/// Accept loop: one task per connection (TLS handshake, then HTTP/1.1),
/// until `shutdown` fires.
async fn serve(
    acceptor: TlsAcceptor,
    counts: Arc<Counts>,
    addr_tx: std::sync::mpsc::Sender<SocketAddr>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    addr_tx
        .send(listener.local_addr().expect("local addr"))
        .expect("report addr");
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        counts.connections.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let counts = counts.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(stream).await {
                Ok(tls) => tls,
                Err(_) => {
                    counts.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            };
            let service = service_fn(move |req| {
                counts.requests.fetch_add(1, Ordering::SeqCst);
                handle(req)
            });
            // Clients close connections whenever they like; not an error
            // worth reporting in a bench.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

/// `GET /small` answers [`SMALL`]; anything else is 404.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::GET && req.uri().path() == "/small" {
        return Ok(Response::new(Full::new(Bytes::from_static(SMALL))));
    }
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = StatusCode::NOT_FOUND;
    Ok(res)
}

// ---------------------------------------------------------------------------

/// A client of kind `which` trusting `pki`'s CA, HTTP/1.1 only, keeping at
/// most `max_idle` idle connections per host. Built on `rt`.
fn https_peer(rt: &Runtime, which: Impl, pki: &TestPki, max_idle: usize) -> Peer {
    match which {
        Impl::ClientSession => {
            let ca =
                clientsession::Certificate::from_pem(pki.ca_pem()).expect("CA for clientsession");
            let session = rt
                .block_on(
                    clientsession::Session::builder()
                        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                        .pool_max_idle_per_host(max_idle)
                        .http1_only()
                        .add_root_certificate(ca)
                        .build(),
                )
                .expect("build clientsession");
            Peer::ClientSession(session)
        }
        Impl::Reqwest => {
            // Err only means a provider is already installed.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let ca = reqwest::Certificate::from_pem(pki.ca_pem()).expect("CA for reqwest");
            // Built inside the runtime: reqwest's connector wants its context.
            let client = rt.block_on(async {
                reqwest::Client::builder()
                    .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                    .pool_max_idle_per_host(max_idle)
                    .tcp_nodelay(true)
                    .no_proxy()
                    .http1_only()
                    .add_root_certificate(ca)
                    .build()
                    .expect("build reqwest")
            });
            Peer::Reqwest(client)
        }
        other => unreachable!("no HTTPS peer for {other:?}"),
    }
}

/// The client and the URL of one bench.
struct Ctx {
    /// The client under test.
    peer: Peer,
    /// `https://localhost:PORT/small`.
    small: String,
}

impl Ctx {
    /// One `GET /small`, checked.
    async fn get_small(&self) {
        let (status, body) = self.peer.get(0, &self.small).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, SMALL);
    }
}

/// Which connections a group expects the server to see.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reuse {
    /// One new connection (and handshake) per request.
    Never,
    /// One warm connection for all requests (a few at most).
    Pooled,
}

/// Adds every HTTPS group to `c`.
pub(crate) fn benches(c: &mut Criterion, rt: &Runtime) {
    let pki = TestPki::new();
    let full = HttpsServer::start(&pki, false);
    let resumable = HttpsServer::start(&pki, true);
    group(c, rt, &pki, &full, "https_handshake_get", Reuse::Never);
    group(c, rt, &pki, &resumable, "https_resumed_get", Reuse::Never);
    group(c, rt, &pki, &full, "https_warm_get", Reuse::Pooled);
}

/// `{name}/{impl}` for both clients: a sequential `GET /small` per
/// iteration, on a new connection or a pooled one as `reuse` says.
fn group(
    c: &mut Criterion,
    rt: &Runtime,
    pki: &TestPki,
    server: &HttpsServer,
    name: &str,
    reuse: Reuse,
) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    let max_idle = match reuse {
        Reuse::Never => 0,
        Reuse::Pooled => WARM_MAX_IDLE,
    };
    for which in IMPLS {
        let ctx = Arc::new(Ctx {
            peer: https_peer(rt, which, pki, max_idle),
            small: server.url("/small"),
        });
        let before = server.counts.snapshot();
        // Stays false when a filter on the command line skips this bench.
        let mut ran = false;
        group.bench_function(which.name(), |b| {
            ran = true;
            on_worker(b, rt, &ctx, |ctx: Arc<Ctx>| async move {
                ctx.get_small().await;
            });
        });
        if let Ok(ctx) = Arc::try_unwrap(ctx) {
            rt.block_on(ctx.peer.close());
        }
        if ran {
            check(server, before, name, which, reuse);
        }
    }
    group.finish();
}

/// Checks what the server saw during one bench: no failed handshake, and
/// one connection per request (`Never`) or a few for all (`Pooled`).
fn check(server: &HttpsServer, before: Snapshot, name: &str, which: Impl, reuse: Reuse) {
    // A connection is counted when accepted, before its request; give the
    // last one's count a moment to land (it always has by now in practice).
    std::thread::sleep(Duration::from_millis(10));
    let after = server.counts.snapshot();
    let (conns, failed, reqs) = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
    let id = format!("{name}/{}", which.name());
    assert_eq!(failed, 0, "{id}: {failed} TLS handshakes failed");
    assert!(reqs > 0, "{id}: no request reached the server");
    match reuse {
        Reuse::Never => assert_eq!(
            conns, reqs,
            "{id}: expected one connection per request, saw {conns} for {reqs} requests"
        ),
        Reuse::Pooled => assert!(
            conns <= 4,
            "{id}: expected a warm connection, saw {conns} connections for {reqs} requests"
        ),
    }
}
