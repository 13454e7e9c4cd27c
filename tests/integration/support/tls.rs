//! In-process HTTPS servers (tokio-rustls in front of hyper's HTTP/1.1
//! server, or in front of HTTP/2 and HTTP/1.1 chosen by ALPN) on their own
//! thread and runtime, and a test CA that makes its certificates at test
//! time with rcgen.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

use super::h2::{Handler, Seen, serve_negotiated};
use super::server::text;
use super::thread::ServerThread;
use super::{Counters, Observed};

/// A certificate authority made for one test.
pub(crate) struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate signed by a [`TestCa`], with its private key.
pub(crate) struct TestCert {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl TestCa {
    pub(crate) fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "clientsession integration CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// The CA certificate, PEM.
    pub(crate) fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate valid now for `name` (a DNS name or an IP address).
    pub(crate) fn cert(&self, name: &str) -> TestCert {
        self.sign(&CertificateParams::new(vec![name.to_owned()]).expect("leaf params"))
    }

    /// A certificate for `name` that expired in 2001.
    pub(crate) fn expired_cert(&self, name: &str) -> TestCert {
        let mut params = CertificateParams::new(vec![name.to_owned()]).expect("leaf params");
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        self.sign(&params)
    }

    fn sign(&self, params: &CertificateParams) -> TestCert {
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        TestCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }
}

// ---------------------------------------------------------------------------

/// A loopback HTTPS server answering every request with `200 OK` and
/// `hello, world!`, counting connections like [`super::TestServer`] and
/// TLS handshakes it saw fail. ALPN offers `http/1.1` only.
#[derive(Debug)]
pub(crate) struct TlsServer {
    thread: ServerThread,
    failed_handshakes: Arc<AtomicU64>,
}

impl TlsServer {
    /// Serves `cert`. With `client_ca`, a client certificate signed by it
    /// is required (mutual TLS).
    pub(crate) fn new(cert: &TestCert, client_ca: Option<&TestCa>) -> Self {
        let acceptor = TlsAcceptor::from(Arc::new(server_config(cert, client_ca, &[b"http/1.1"])));
        let failed_handshakes = Arc::new(AtomicU64::new(0));
        let failed = failed_handshakes.clone();
        let thread = ServerThread::spawn("tls-server", move |tcp, counters| {
            serve(acceptor.clone(), tcp, counters, failed.clone())
        });
        Self {
            thread,
            failed_handshakes,
        }
    }

    /// `https://localhost:<port><path>`: the server listens on 127.0.0.1.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{}", self.thread.addr().port(), path)
    }

    /// TLS handshakes that failed on the server's side so far.
    pub(crate) fn failed_handshakes(&self) -> u64 {
        self.failed_handshakes.load(Ordering::SeqCst)
    }
}

impl Observed for TlsServer {
    fn counters(&self) -> &Counters {
        self.thread.counters()
    }
}

fn server_config(cert: &TestCert, client_ca: Option<&TestCa>, alpn: &[&[u8]]) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("protocol versions");
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.issuer.der().clone()).expect("client CA");
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(vec![cert.der.clone()], cert.key.clone_key())
        .expect("server certificate");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

async fn serve(
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    counters: Arc<Counters>,
    failed: Arc<AtomicU64>,
) {
    let tls = match acceptor.accept(tcp).await {
        Ok(tls) => tls,
        Err(_) => {
            failed.fetch_add(1, Ordering::SeqCst);
            return;
        }
    };
    let service = service_fn(move |_req| {
        counters.update(|s| s.requests += 1);
        async { Ok::<_, std::convert::Infallible>(text(http::StatusCode::OK, "hello, world!")) }
    });
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(tls), service)
        .await;
}

// ---------------------------------------------------------------------------

/// A loopback HTTPS server whose ALPN offers `h2` and `http/1.1`: it serves
/// HTTP/2 to clients that pick `h2` and HTTP/1.1 to the others, answering
/// with `handler`, and counts connections like [`super::TestServer`].
#[derive(Debug)]
pub(crate) struct TlsH2Server {
    thread: ServerThread,
    seen: Arc<Seen>,
    failed_handshakes: Arc<AtomicU64>,
}

impl TlsH2Server {
    /// Serves `cert`, answering every request with `handler`.
    pub(crate) fn new(cert: &TestCert, handler: Handler) -> Self {
        let acceptor =
            TlsAcceptor::from(Arc::new(server_config(cert, None, &[b"h2", b"http/1.1"])));
        let seen = Arc::new(Seen::default());
        let failed_handshakes = Arc::new(AtomicU64::new(0));
        let thread = {
            let (seen, failed) = (seen.clone(), failed_handshakes.clone());
            ServerThread::spawn("tls-h2-server", move |tcp, counters| {
                serve_alpn(
                    acceptor.clone(),
                    tcp,
                    handler.clone(),
                    counters,
                    seen.clone(),
                    failed.clone(),
                )
            })
        };
        Self {
            thread,
            seen,
            failed_handshakes,
        }
    }

    /// `https://localhost:<port><path>`: the server listens on 127.0.0.1.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{}", self.thread.addr().port(), path)
    }

    /// What it saw beyond the counters.
    pub(crate) fn seen(&self) -> &Seen {
        &self.seen
    }

    /// TLS handshakes that failed on the server's side so far.
    pub(crate) fn failed_handshakes(&self) -> u64 {
        self.failed_handshakes.load(Ordering::SeqCst)
    }
}

impl Observed for TlsH2Server {
    fn counters(&self) -> &Counters {
        self.thread.counters()
    }
}

async fn serve_alpn(
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    handler: Handler,
    counters: Arc<Counters>,
    seen: Arc<Seen>,
    failed: Arc<AtomicU64>,
) {
    let tls = match acceptor.accept(tcp).await {
        Ok(tls) => tls,
        Err(_) => {
            failed.fetch_add(1, Ordering::SeqCst);
            return;
        }
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
    serve_negotiated(tls, h2, handler, counters, seen).await;
}
