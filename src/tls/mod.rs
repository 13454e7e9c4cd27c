//! TLS with rustls and the ring provider (feature `rustls`): the public
//! certificate types, the session's TLS settings, and the client
//! configuration built from them.
//!
//! The cost that matters here is the client configuration: building one
//! parses about 150 root certificates (feature `webpki-roots`) or reads the
//! operating system's store (feature `native-roots`), which takes
//! milliseconds. Sessions are created per scope, per test, per task, so the
//! configuration of the *default* settings is built once per process and
//! shared (one per ALPN offer); only a session with its own TLS settings
//! pays for its own. See [`TlsSettings::connector`].

mod danger;
mod handshake;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::error::{self, BoxError, Error};

pub(crate) use handshake::TlsConnector;

/// One or more trusted root certificates, for
/// [`SessionBuilder::add_root_certificate`](crate::SessionBuilder::add_root_certificate).
///
/// Use it to trust a private certificate authority (a company CA, a test CA)
/// in addition to, or with
/// [`tls_built_in_roots(false)`](crate::SessionBuilder::tls_built_in_roots)
/// instead of, the built-in roots. A PEM bundle with several certificates
/// adds all of them.
///
/// # Examples
///
/// ```
/// use clientsession::{Certificate, Error};
///
/// let err = Certificate::from_pem(b"not a certificate").unwrap_err();
/// assert!(matches!(err, Error::InvalidCertificate { .. }));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
#[derive(Clone)]
pub struct Certificate {
    /// Never empty; each one parses as a trust anchor.
    ders: Vec<CertificateDer<'static>>,
}

impl Certificate {
    /// Reads every `CERTIFICATE` section of a PEM file.
    ///
    /// Other sections (a private key next to the certificate) are skipped.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCertificate`] when the input is not PEM, holds no
    /// certificate, or holds one that cannot be parsed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::{Certificate, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let pem = std::fs::read("ca.pem").expect("the CA file");
    /// let session = Session::builder()
    ///     .add_root_certificate(Certificate::from_pem(&pem)?)
    ///     .build()
    ///     .await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Certificate, Error> {
        let ders = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| error::invalid_certificate("the PEM data is malformed", Some(e.into())))?;
        if ders.is_empty() {
            return Err(error::invalid_certificate(
                "no `-----BEGIN CERTIFICATE-----` section found in the PEM data",
                None,
            ));
        }
        Certificate::checked(ders)
    }

    /// Reads one DER-encoded (binary) certificate.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCertificate`] when the bytes are not an X.509
    /// certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientsession::{Certificate, Error};
    ///
    /// let err = Certificate::from_der(&[0x30, 0x03, 0x01, 0x01, 0x00]).unwrap_err();
    /// assert!(matches!(err, Error::InvalidCertificate { .. }));
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Certificate, Error> {
        Certificate::checked(vec![CertificateDer::from(der.to_vec())])
    }

    /// Parses each certificate as a trust anchor now, so that a bad one is
    /// reported here and not at the first handshake.
    fn checked(ders: Vec<CertificateDer<'static>>) -> Result<Certificate, Error> {
        let mut store = RootCertStore::empty();
        for der in &ders {
            store.add(der.clone()).map_err(|e| {
                error::invalid_certificate("the certificate cannot be parsed", Some(e.into()))
            })?;
        }
        Ok(Certificate { ders })
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("count", &self.ders.len())
            .finish()
    }
}

// ---------------------------------------------------------------------------

/// A client certificate chain and its private key, for mutual TLS with
/// [`SessionBuilder::identity`](crate::SessionBuilder::identity).
///
/// Its `Debug` output never shows the key.
///
/// # Examples
///
/// ```
/// use clientsession::{Error, Identity};
///
/// let err = Identity::from_pem(b"no certificate", b"no key").unwrap_err();
/// assert!(matches!(err, Error::InvalidCertificate { .. }));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub struct Identity {
    /// The client certificate first, then its intermediates. Never empty.
    chain: Vec<CertificateDer<'static>>,
    /// PKCS#8, PKCS#1 or SEC1; checked to match `chain[0]`.
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// Reads a client certificate chain (the client's certificate first,
    /// then any intermediates) and its private key (PKCS#8, PKCS#1 or SEC1),
    /// both PEM.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCertificate`] when either input is not PEM, the chain
    /// holds no certificate, there is no private key, or the key does not
    /// belong to the first certificate.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientsession::{Identity, Session};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
    /// let chain = std::fs::read("client.pem").expect("the certificate");
    /// let key = std::fs::read("client.key").expect("the key");
    /// let session = Session::builder()
    ///     .identity(Identity::from_pem(&chain, &key)?)
    ///     .build()
    ///     .await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<Identity, Error> {
        let chain = Certificate::from_pem(cert_chain)?.ders;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            error::invalid_certificate(
                "no `-----BEGIN PRIVATE KEY-----` (or RSA/EC) section found in the key PEM",
                Some(e.into()),
            )
        })?;
        // Loads the key with the provider and compares it with the
        // certificate's public key, so that a mismatch shows up here.
        rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), provider()).map_err(
            |e| {
                error::invalid_certificate(
                    "the private key cannot be used with the certificate",
                    Some(e.into()),
                )
            },
        )?;
        Ok(Identity { chain, key })
    }
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------

/// A TLS protocol version, for
/// [`SessionBuilder::min_tls_version`](crate::SessionBuilder::min_tls_version).
///
/// # Examples
///
/// ```
/// use clientsession::TlsVersion;
///
/// assert!(TlsVersion::Tls12 < TlsVersion::Tls13);
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2.
    #[default]
    Tls12,
    /// TLS 1.3.
    Tls13,
}

// ---------------------------------------------------------------------------

/// The TLS share of a session's configuration, as the builder set it.
#[derive(Debug, Clone)]
pub(crate) struct TlsSettings {
    /// Certificates trusted in addition to the built-in roots.
    pub(crate) roots: Vec<Certificate>,
    /// Whether the roots of the `webpki-roots` / `native-roots` features
    /// are trusted.
    pub(crate) built_in_roots: bool,
    /// The client certificate for mutual TLS.
    pub(crate) identity: Option<Identity>,
    /// The oldest TLS version offered.
    pub(crate) min_version: TlsVersion,
    /// Skip certificate checks (handshake signatures are still verified).
    pub(crate) accept_invalid_certs: bool,
}

impl Default for TlsSettings {
    fn default() -> TlsSettings {
        TlsSettings {
            roots: Vec::new(),
            built_in_roots: true,
            identity: None,
            min_version: TlsVersion::Tls12,
            accept_invalid_certs: false,
        }
    }
}

/// The configs of the default settings, built on first use: `[0]` offers
/// `http/1.1` only, `[1]` offers `h2` too. A failure is kept as well, so
/// that it is not retried on every session.
static DEFAULT_CONFIGS: [OnceLock<Result<Arc<ClientConfig>, rustls::Error>>; 2] =
    [OnceLock::new(), OnceLock::new()];

impl TlsSettings {
    /// Whether these are the settings of a session that set no TLS option.
    fn is_default(&self) -> bool {
        self.roots.is_empty()
            && self.built_in_roots
            && self.identity.is_none()
            && self.min_version == TlsVersion::Tls12
            && !self.accept_invalid_certs
    }

    /// The connector for these settings; ALPN offers `h2` and `http/1.1`
    /// when `offer_h2`, else only `http/1.1`.
    ///
    /// For the default settings this clones an `Arc` of a per-process
    /// config (built by the first call); custom settings build their own.
    pub(crate) fn connector(&self, offer_h2: bool) -> Result<TlsConnector, Error> {
        let config = if self.is_default() {
            DEFAULT_CONFIGS[usize::from(offer_h2)]
                .get_or_init(|| self.build(offer_h2).map(Arc::new))
                .clone()
        } else {
            self.build(offer_h2).map(Arc::new)
        };
        config.map(TlsConnector::new).map_err(|e| {
            error::invalid_certificate(
                "the TLS client configuration could not be built",
                Some(BoxError::from(e)),
            )
        })
    }

    /// Builds a client config; the slow part is the root store.
    fn build(&self, offer_h2: bool) -> Result<ClientConfig, rustls::Error> {
        let versions: &[&'static rustls::SupportedProtocolVersion] = match self.min_version {
            TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::Tls13 => &[&rustls::version::TLS13],
        };
        let builder = ClientConfig::builder_with_provider(provider().clone())
            .with_protocol_versions(versions)?;
        let builder = if self.accept_invalid_certs {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(danger::AcceptAnyCert::new(provider())))
        } else {
            builder.with_root_certificates(self.root_store()?)
        };
        let mut config = match &self.identity {
            Some(id) => builder.with_client_auth_cert(id.chain.clone(), id.key.clone_key())?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = if offer_h2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(config)
    }

    /// The built-in roots (unless turned off) and every added one. May be
    /// empty: every handshake then fails as untrusted.
    fn root_store(&self) -> Result<RootCertStore, rustls::Error> {
        let mut store = RootCertStore::empty();
        if self.built_in_roots {
            add_built_in_roots(&mut store);
        }
        for cert in &self.roots {
            for der in &cert.ders {
                store.add(der.clone())?;
            }
        }
        Ok(store)
    }
}

/// Adds the roots of the enabled root features (none, one or both).
fn add_built_in_roots(store: &mut RootCertStore) {
    #[cfg(feature = "webpki-roots")]
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    #[cfg(feature = "native-roots")]
    {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::debug!(error = %e, "skipped part of the system trust store");
        }
        let (added, ignored) = store.add_parsable_certificates(found.certs);
        tracing::debug!(added, ignored, "loaded the system trust store");
    }
    // Without either feature there is nothing built in to add.
    let _ = store;
}

/// The ring provider, made once. Not installed as the process default, so
/// that it never clashes with a provider the application installs.
fn provider() -> &'static Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
}
