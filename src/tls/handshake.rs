//! The TLS handshake over an open TCP stream, and the words for its
//! failures.

use std::fmt;
use std::io;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, ClientConfig};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::error::{self, Error};

/// Runs TLS client handshakes with one client config. Cloning it is an
/// `Arc` bump.
#[derive(Clone)]
pub(crate) struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl TlsConnector {
    pub(super) fn new(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector { config }
    }

    /// Runs the handshake over `tcp`, checking the certificate against
    /// `host` (a DNS name or an IP literal, without brackets). Returns the
    /// stream, and whether the server picked `h2` by ALPN.
    ///
    /// No timeout of its own: the caller wraps the TCP connect and this in
    /// the connect timeout.
    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
    ) -> Result<(TlsStream<TcpStream>, bool), Error> {
        let name = ServerName::try_from(host)
            .map_err(|e| {
                error::tls(
                    host,
                    "the host is neither a valid DNS name nor an IP address",
                    e,
                )
            })?
            .to_owned();
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        let stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| error::tls(host, reason(&e), e))?;
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
        Ok((stream, h2))
    }

    /// Whether both use the very same client config (one per process for
    /// the default settings).
    #[cfg(test)]
    pub(super) fn shares_config_with(&self, other: &TlsConnector) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("alpn", &self.config.alpn_protocols.len())
            .finish_non_exhaustive()
    }
}

/// What went wrong in a failed handshake, in words, with the fix where
/// there is one. tokio-rustls reports rustls errors inside an `io::Error`.
fn reason(err: &io::Error) -> String {
    let tls = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(tls) => tls_reason(tls),
        None if err.kind() == io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake (is this a TLS port?)".into()
        }
        None => "the connection failed during the handshake".into(),
    }
}

fn tls_reason(err: &rustls::Error) -> String {
    use rustls::Error as E;
    match err {
        E::InvalidCertificate(cert) => certificate_reason(cert),
        // A plain-HTTP server answers the ClientHello with text such as
        // "HTTP/1.1 400 Bad Request", which is no valid TLS record.
        E::InvalidMessage(_) | E::InappropriateMessage { .. } | E::PeerSentOversizedRecord => {
            "the server did not answer TLS (is this an http:// port?)".into()
        }
        E::AlertReceived(AlertDescription::CertificateRequired) => {
            "the server requires a client certificate: set one with `identity`".into()
        }
        E::AlertReceived(AlertDescription::ProtocolVersion) | E::PeerIncompatible(_) => {
            "the server and this client have no TLS version or cipher suite in common".into()
        }
        E::AlertReceived(alert) => format!("the server refused the handshake ({alert:?} alert)"),
        E::NoCertificatesPresented => "the server sent no certificate".into(),
        _ => "the handshake failed".into(),
    }
}

fn certificate_reason(err: &CertificateError) -> String {
    use CertificateError as C;
    match err {
        C::UnknownIssuer => "the certificate is not trusted (unknown issuer): add its root \
                             with `add_root_certificate`"
            .into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the certificate is not valid for this host name (name mismatch)".into()
        }
        C::Expired | C::ExpiredContext { .. } => "the certificate has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the certificate is not valid yet (check the clock)".into()
        }
        C::Revoked => "the certificate has been revoked".into(),
        C::BadSignature => "the certificate has a bad signature".into(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "the certificate is not meant for TLS servers".into()
        }
        _ => "the certificate is invalid".into(),
    }
}
