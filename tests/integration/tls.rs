//! HTTPS through a session: trust by added roots, the refusals (untrusted,
//! wrong name, expired, plain-HTTP port), mutual TLS, and
//! `danger_accept_invalid_certs`. Feature `rustls`.

use clientsession::{Certificate, Error, Identity, Session, StatusCode};

use crate::support::tls::{TestCa, TlsServer};
use crate::support::{Observed, QUICK, TestServer, bounded};

/// A session that trusts only `ca`.
async fn trusting(ca: &TestCa) -> Session {
    let root = Certificate::from_pem(ca.pem().as_bytes()).unwrap();
    Session::builder()
        .add_root_certificate(root)
        .tls_built_in_roots(false)
        .build()
        .await
        .unwrap()
}

/// Asserts an `Error::Tls` for `localhost` whose message has `words`.
#[track_caller]
fn assert_refused(result: Result<clientsession::Response, Error>, words: &str) {
    match result {
        Err(err @ Error::Tls { .. }) => {
            let msg = err.to_string();
            assert!(msg.contains("localhost"), "{msg}");
            assert!(msg.contains(words), "{msg}");
            assert!(err.is_connect(), "{err:?}");
        }
        Err(other) => panic!("expected Error::Tls, got {other:?}"),
        Ok(resp) => panic!("expected Error::Tls, got {}", resp.status()),
    }
}

/// A server whose certificate comes from an added root is trusted.
#[tokio::test]
async fn https_trusted_by_added_root() {
    let ca = TestCa::new();
    let server = TlsServer::new(&ca.cert("localhost"), None);
    let session = trusting(&ca).await;
    let resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
    assert_eq!(server.requests(), 1);
}

/// Without the root the certificate is untrusted, and nothing is sent.
#[tokio::test]
async fn https_refused_without_root() {
    let ca = TestCa::new();
    let server = TlsServer::new(&ca.cert("localhost"), None);
    let session = Session::new().unwrap();
    let result = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert_refused(result, "unknown issuer");
    assert_eq!(server.requests(), 0);
}

/// A certificate for another host name is refused as a name mismatch.
#[tokio::test]
async fn https_refused_for_wrong_host_name() {
    let ca = TestCa::new();
    let server = TlsServer::new(&ca.cert("other.example"), None);
    let session = trusting(&ca).await;
    let result = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert_refused(result, "name mismatch");
}

/// An expired certificate is refused as expired.
#[tokio::test]
async fn https_refused_for_expired_certificate() {
    let ca = TestCa::new();
    let server = TlsServer::new(&ca.expired_cert("localhost"), None);
    let session = trusting(&ca).await;
    let result = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert_refused(result, "expired");
}

/// An https URL pointed at a plain-HTTP port fails at once with a clear
/// error, not a hang.
#[tokio::test]
async fn https_to_plain_http_port_is_a_clear_error() {
    let server = TestServer::hello();
    let url = format!("https://localhost:{}/", server.addr().port());
    let session = Session::new().unwrap();
    let result = bounded(QUICK, session.get(url).send()).await;
    assert_refused(result, "did not answer TLS");
}

/// A server requiring client certificates accepts the session's identity.
#[tokio::test]
async fn mutual_tls_accepted_with_identity() {
    let ca = TestCa::new();
    let server = TlsServer::new(&ca.cert("localhost"), Some(&ca));
    let client = ca.cert("client.example");
    let identity =
        Identity::from_pem(client.cert_pem.as_bytes(), client.key_pem.as_bytes()).unwrap();
    let session = Session::builder()
        .add_root_certificate(Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .identity(identity)
        .build()
        .await
        .unwrap();
    let resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(server.failed_handshakes(), 0);
}

/// Without an identity, that server refuses the connection. With TLS 1.3
/// the refusal may arrive after the client's side of the handshake, so
/// the error may be `Tls` or `Request`; it is an error either way.
#[tokio::test]
async fn mutual_tls_refused_without_identity() {
    let ca = TestCa::new();
    let server = TlsServer::new(&ca.cert("localhost"), Some(&ca));
    let session = trusting(&ca).await;
    let result = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert!(
        result.is_err(),
        "the server accepted a client without a certificate"
    );
    assert_eq!(server.requests(), 0);
    // The client may retry once on a fresh connection (its request was
    // refused before it was sent); every connection must have failed its
    // handshake. The server counts a failure before it closes the socket.
    let accepted = server.accepted();
    server.wait_closed(accepted, QUICK).await;
    assert!(accepted >= 1);
    assert_eq!(server.failed_handshakes(), accepted);
}

/// `danger_accept_invalid_certs(true)` connects to an untrusted server.
#[tokio::test]
async fn danger_accept_invalid_certs_connects_to_untrusted_server() {
    let ca = TestCa::new();
    let server = TlsServer::new(&ca.cert("other.example"), None);
    let session = Session::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .await
        .unwrap();
    let resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

/// Garbage given as a certificate is a typed error, at once.
#[test]
fn certificate_from_garbage_is_a_typed_error() {
    let err = Certificate::from_pem(b"this is not PEM").unwrap_err();
    assert!(matches!(err, Error::InvalidCertificate { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("invalid TLS certificate"), "{msg}");
}
