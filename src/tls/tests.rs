//! `TlsConnector::handshake` against a tokio-rustls server on loopback,
//! with certificates made by rcgen for each test.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::{Duration, timeout};

use super::*;

const LIMIT: Duration = Duration::from_secs(2);

/// A test CA that signs leaf certificates.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate with its key, as DER and as PEM.
struct Leaf {
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    cert_pem: String,
    key_pem: String,
}

impl Ca {
    fn new() -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "clientsession test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    fn certificate(&self) -> Certificate {
        Certificate::from_pem(self.issuer.pem().as_bytes()).unwrap()
    }

    fn leaf(&self, name: &str) -> Leaf {
        self.leaf_with(&CertificateParams::new(vec![name.to_owned()]).unwrap())
    }

    fn leaf_with(&self, params: &CertificateParams) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            der: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn server_config(leaf: &Leaf, client_ca: Option<&Ca>, alpn: &[&[u8]]) -> ServerConfig {
    let builder = ServerConfig::builder_with_provider(provider().clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.issuer.der().clone()).unwrap();
            let verifier =
                WebPkiClientVerifier::builder_with_provider(roots.into(), provider().clone())
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(vec![leaf.der.clone()], leaf.key.clone_key())
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// Serves one TLS connection: after the handshake it writes `ok` and
/// closes. The receiver gets whether the server-side handshake succeeded.
async fn tls_server(config: ServerConfig) -> (TcpStream, oneshot::Receiver<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        match acceptor.accept(tcp).await {
            Ok(mut tls) => {
                let _ = tx.send(true);
                let _ = tls.write_all(b"ok").await;
                let _ = tls.shutdown().await;
            }
            Err(_) => {
                let _ = tx.send(false);
            }
        }
    });
    (TcpStream::connect(addr).await.unwrap(), rx)
}

async fn handshake(
    settings: &TlsSettings,
    offer_h2: bool,
    tcp: TcpStream,
    host: &str,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, bool), Error> {
    let connector = settings.connector(offer_h2).unwrap();
    timeout(LIMIT, connector.handshake(tcp, host))
        .await
        .expect("the handshake hung")
}

fn trusting(ca: &Ca) -> TlsSettings {
    TlsSettings {
        roots: vec![ca.certificate()],
        ..TlsSettings::default()
    }
}

#[track_caller]
fn assert_tls_error(result: Result<impl Sized, Error>, host: &str, words: &str) {
    match result {
        Err(err @ Error::Tls { .. }) => {
            let msg = err.to_string();
            assert!(msg.contains(host), "{msg}");
            assert!(msg.contains(words), "{msg}");
            assert!(err.is_connect());
        }
        Err(other) => panic!("expected Error::Tls, got {other:?}"),
        Ok(_) => panic!("expected Error::Tls, got a connection"),
    }
}

// ===== trust =====

/// A certificate for `localhost` from an added root is trusted.
#[tokio::test]
async fn added_root_is_trusted() {
    let ca = Ca::new();
    let (tcp, server) = tls_server(server_config(&ca.leaf("localhost"), None, &[])).await;
    let (mut tls, h2) = handshake(&trusting(&ca), false, tcp, "localhost")
        .await
        .unwrap();
    assert!(!h2);
    let mut body = Vec::new();
    tls.read_to_end(&mut body).await.unwrap();
    assert_eq!(body, b"ok");
    assert!(server.await.unwrap());
}

/// An IP literal is checked against the certificate's IP address.
#[tokio::test]
async fn ip_literal_host_is_checked_against_ip_san() {
    let ca = Ca::new();
    let (tcp, _server) = tls_server(server_config(&ca.leaf("127.0.0.1"), None, &[])).await;
    handshake(&trusting(&ca), false, tcp, "127.0.0.1")
        .await
        .unwrap();
}

/// Without the root, the certificate is untrusted, and the error says so.
#[tokio::test]
async fn unknown_issuer_is_refused() {
    let ca = Ca::new();
    let (tcp, _server) = tls_server(server_config(&ca.leaf("localhost"), None, &[])).await;
    let result = handshake(&TlsSettings::default(), false, tcp, "localhost").await;
    assert_tls_error(result, "localhost", "unknown issuer");
}

/// With no roots at all, the connector still builds, and handshakes fail
/// as untrusted.
#[tokio::test]
async fn no_roots_at_all_refuses_as_untrusted() {
    let ca = Ca::new();
    let (tcp, _server) = tls_server(server_config(&ca.leaf("localhost"), None, &[])).await;
    let settings = TlsSettings {
        built_in_roots: false,
        ..TlsSettings::default()
    };
    let result = handshake(&settings, false, tcp, "localhost").await;
    assert_tls_error(result, "localhost", "not trusted");
}

/// A certificate for another name is a name mismatch.
#[tokio::test]
async fn wrong_host_name_is_refused() {
    let ca = Ca::new();
    let (tcp, _server) = tls_server(server_config(&ca.leaf("other.example"), None, &[])).await;
    let result = handshake(&trusting(&ca), false, tcp, "localhost").await;
    assert_tls_error(result, "localhost", "name mismatch");
}

/// An expired certificate is refused as expired.
#[tokio::test]
async fn expired_certificate_is_refused() {
    let ca = Ca::new();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    let (tcp, _server) = tls_server(server_config(&ca.leaf_with(&params), None, &[])).await;
    let result = handshake(&trusting(&ca), false, tcp, "localhost").await;
    assert_tls_error(result, "localhost", "expired");
}

/// `danger_accept_invalid_certs` connects to an untrusted server.
#[tokio::test]
async fn accept_invalid_certs_connects_to_untrusted_server() {
    let ca = Ca::new();
    let (tcp, server) = tls_server(server_config(&ca.leaf("other.example"), None, &[])).await;
    let settings = TlsSettings {
        accept_invalid_certs: true,
        ..TlsSettings::default()
    };
    handshake(&settings, false, tcp, "localhost").await.unwrap();
    assert!(server.await.unwrap());
}

// ===== peers that are not what they seem =====

/// A plain-HTTP peer gives a clear error at once, not a hang.
#[tokio::test]
async fn plain_http_peer_is_a_clear_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = [0; 1024];
        let _ = tcp.read(&mut buf).await;
        let _ = tcp
            .write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await;
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let result = handshake(&TlsSettings::default(), false, tcp, "localhost").await;
    assert_tls_error(result, "localhost", "did not answer TLS");
}

/// A TLS 1.3 minimum against a TLS 1.2-only server fails with a reason.
#[tokio::test]
async fn min_tls_version_is_enforced() {
    let ca = Ca::new();
    let leaf = ca.leaf("localhost");
    let config = ServerConfig::builder_with_provider(provider().clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der.clone()], leaf.key.clone_key())
        .unwrap();
    let (tcp, _server) = tls_server(config).await;
    let settings = TlsSettings {
        min_version: TlsVersion::Tls13,
        ..trusting(&ca)
    };
    let result = handshake(&settings, false, tcp, "localhost").await;
    assert_tls_error(result, "localhost", "in common");
}

// ===== mutual TLS =====

/// A server requiring client certificates accepts the identity.
#[tokio::test]
async fn mutual_tls_accepts_identity() {
    let ca = Ca::new();
    let client = ca.leaf("client.example");
    let (tcp, server) = tls_server(server_config(&ca.leaf("localhost"), Some(&ca), &[])).await;
    let settings = TlsSettings {
        identity: Some(
            Identity::from_pem(client.cert_pem.as_bytes(), client.key_pem.as_bytes()).unwrap(),
        ),
        ..trusting(&ca)
    };
    let (mut tls, _) = handshake(&settings, false, tcp, "localhost").await.unwrap();
    let mut body = Vec::new();
    timeout(LIMIT, tls.read_to_end(&mut body))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(body, b"ok");
    assert!(server.await.unwrap());
}

/// Without an identity, the server refuses. With TLS 1.3 the client's side
/// of the handshake may finish first; the refusal then arrives as the first
/// read fails.
#[tokio::test]
async fn mutual_tls_refuses_without_identity() {
    let ca = Ca::new();
    let (tcp, server) = tls_server(server_config(&ca.leaf("localhost"), Some(&ca), &[])).await;
    if let Ok((mut tls, _)) = handshake(&trusting(&ca), false, tcp, "localhost").await {
        let mut body = Vec::new();
        let read = timeout(LIMIT, tls.read_to_end(&mut body)).await.unwrap();
        assert!(read.is_err(), "read {body:?}");
    }
    assert!(!server.await.unwrap());
}

// ===== ALPN =====

/// `connector(true)` offers h2, and says when the server picked it.
#[tokio::test]
async fn alpn_negotiates_h2_when_offered() {
    let ca = Ca::new();
    let leaf = ca.leaf("localhost");
    let alpn: &[&[u8]] = &[b"h2", b"http/1.1"];
    let (tcp, _server) = tls_server(server_config(&leaf, None, alpn)).await;
    let (_, h2) = handshake(&trusting(&ca), true, tcp, "localhost")
        .await
        .unwrap();
    assert!(h2, "h2 not negotiated");

    let (tcp, _server) = tls_server(server_config(&leaf, None, alpn)).await;
    let (tls, h2) = handshake(&trusting(&ca), false, tcp, "localhost")
        .await
        .unwrap();
    assert!(!h2);
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(b"http/1.1".as_slice())
    );
}

// ===== connectors and inputs =====

/// The default settings share one config per process; custom ones do not.
#[test]
fn default_config_is_built_once_and_shared() {
    let a = TlsSettings::default().connector(true).unwrap();
    let b = TlsSettings::default().connector(true).unwrap();
    assert!(a.shares_config_with(&b));
    let c = TlsSettings::default().connector(false).unwrap();
    assert!(!a.shares_config_with(&c));
    let custom = TlsSettings {
        built_in_roots: false,
        ..TlsSettings::default()
    };
    let d = custom.connector(true).unwrap();
    assert!(!a.shares_config_with(&d));

    // "A few microseconds" per session: a generous bound that still
    // catches a config rebuilt per call (milliseconds each).
    let start = std::time::Instant::now();
    for _ in 0..1000 {
        let _ = TlsSettings::default().connector(true).unwrap();
    }
    assert!(
        start.elapsed() < Duration::from_millis(50),
        "{:?}",
        start.elapsed()
    );
}

/// Garbage is a typed error, at construction.
#[test]
fn bad_certificates_and_keys_are_typed_errors() {
    for bad in [
        &b"garbage"[..],
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    ] {
        let err = Certificate::from_pem(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidCertificate { .. }), "{err:?}");
    }
    let err = Certificate::from_der(b"garbage").unwrap_err();
    assert!(matches!(err, Error::InvalidCertificate { .. }), "{err:?}");

    let ca = Ca::new();
    let a = ca.leaf("a.example");
    let b = ca.leaf("b.example");
    Identity::from_pem(a.cert_pem.as_bytes(), a.key_pem.as_bytes()).unwrap();
    let mismatch = Identity::from_pem(a.cert_pem.as_bytes(), b.key_pem.as_bytes()).unwrap_err();
    assert!(mismatch.to_string().contains("private key"), "{mismatch}");
    let no_key = Identity::from_pem(a.cert_pem.as_bytes(), a.cert_pem.as_bytes()).unwrap_err();
    assert!(matches!(no_key, Error::InvalidCertificate { .. }));
}

/// Debug output shows no key material.
#[test]
fn identity_debug_hides_the_key() {
    let ca = Ca::new();
    let a = ca.leaf("a.example");
    let id = Identity::from_pem(a.cert_pem.as_bytes(), a.key_pem.as_bytes()).unwrap();
    let debug = format!("{id:?}");
    assert!(debug.starts_with("Identity"), "{debug}");
    assert!(debug.len() < 60, "{debug}");
}
