//! `SessionBuilder` setters for TLS (feature `rustls`).

use super::SessionBuilder;

impl SessionBuilder {
    /// Trusts `cert` (one certificate, or every one of a PEM bundle) as a
    /// root for HTTPS, in addition to the built-in roots.
    ///
    /// The way to reach a server whose certificate comes from a private CA;
    /// call it once per root. Default: only the built-in roots (see
    /// [`tls_built_in_roots`](SessionBuilder::tls_built_in_roots)).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::{Certificate, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let ca = Certificate::from_pem(&std::fs::read("ca.pem").expect("the CA file"))?;
    /// let session = Session::builder().add_root_certificate(ca).build().await?;
    /// # drop(session); Ok(()) }
    /// ```
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn add_root_certificate(mut self, cert: crate::Certificate) -> SessionBuilder {
        self.config.tls.roots.push(cert);
        self
    }

    /// Whether to trust the built-in roots: Mozilla's (feature
    /// `webpki-roots`) and the operating system's (feature `native-roots`).
    ///
    /// `false` trusts only the certificates added with
    /// [`add_root_certificate`](SessionBuilder::add_root_certificate); with
    /// none added, every HTTPS request then fails with [`Error::Tls`](crate::Error::Tls).
    /// Default: `true`.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls_built_in_roots(mut self, enabled: bool) -> SessionBuilder {
        self.config.tls.built_in_roots = enabled;
        self
    }

    /// Sends `identity` as the client certificate when a server asks for
    /// one (mutual TLS).
    ///
    /// Default: none; a server that requires a client certificate then
    /// refuses the connection.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn identity(mut self, identity: crate::Identity) -> SessionBuilder {
        self.config.tls.identity = Some(identity);
        self
    }

    /// Sets the oldest TLS version the session accepts.
    ///
    /// Default: [`TlsVersion::Tls12`](crate::TlsVersion::Tls12) (TLS 1.2
    /// and 1.3). Versions before 1.2 are never offered.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn min_tls_version(mut self, version: crate::TlsVersion) -> SessionBuilder {
        self.config.tls.min_version = version;
        self
    }

    /// Accepts any server certificate, trusted or not, expired or for
    /// another host name. **Dangerous**: anyone between the client and the
    /// server can read and change the traffic.
    ///
    /// Only for development against a server with a self-signed
    /// certificate; prefer
    /// [`add_root_certificate`](SessionBuilder::add_root_certificate) with
    /// that certificate. The handshake signatures are still checked.
    /// Default: `false`.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> SessionBuilder {
        self.config.tls.accept_invalid_certs = accept;
        self
    }
}
