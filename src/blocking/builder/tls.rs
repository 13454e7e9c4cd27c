//! The blocking `SessionBuilder`'s TLS setters (feature `rustls`),
//! delegated to the async builder's.

use super::SessionBuilder;

impl SessionBuilder {
    /// Trusts `cert` as a root for HTTPS, in addition to the built-in
    /// roots. See [`SessionBuilder::add_root_certificate`](crate::SessionBuilder::add_root_certificate).
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn add_root_certificate(self, cert: crate::Certificate) -> SessionBuilder {
        self.map(|b| b.add_root_certificate(cert))
    }

    /// Whether to trust the built-in roots. Default: `true`. See
    /// [`SessionBuilder::tls_built_in_roots`](crate::SessionBuilder::tls_built_in_roots).
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls_built_in_roots(self, enabled: bool) -> SessionBuilder {
        self.map(|b| b.tls_built_in_roots(enabled))
    }

    /// Sends `identity` as the client certificate when a server asks for
    /// one. See [`SessionBuilder::identity`](crate::SessionBuilder::identity).
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn identity(self, identity: crate::Identity) -> SessionBuilder {
        self.map(|b| b.identity(identity))
    }

    /// Sets the oldest TLS version accepted. Default: TLS 1.2. See
    /// [`SessionBuilder::min_tls_version`](crate::SessionBuilder::min_tls_version).
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn min_tls_version(self, version: crate::TlsVersion) -> SessionBuilder {
        self.map(|b| b.min_tls_version(version))
    }

    /// Accepts any server certificate. **Dangerous**; only for development.
    /// Default: `false`. See
    /// [`SessionBuilder::danger_accept_invalid_certs`](crate::SessionBuilder::danger_accept_invalid_certs).
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn danger_accept_invalid_certs(self, accept: bool) -> SessionBuilder {
        self.map(|b| b.danger_accept_invalid_certs(accept))
    }
}
