//! How the rest of the crate makes errors: one function per variant that
//! needs more than a literal.

use http::StatusCode;
use url::Url;

use super::{BoxError, Error};

pub(crate) fn invalid_url(url: &str, reason: impl Into<String>) -> Error {
    Error::InvalidUrl {
        url: url.to_owned(),
        reason: reason.into(),
    }
}

pub(crate) fn invalid_header(name: &[u8], reason: impl Into<String>) -> Error {
    Error::InvalidHeader {
        name: String::from_utf8_lossy(name).into_owned(),
        reason: reason.into(),
    }
}

pub(crate) fn redirect(url: &Url, reason: String) -> Error {
    Error::Redirect {
        url: Box::new(url.clone()),
        reason,
    }
}

pub(crate) fn status(status: StatusCode, url: &Url) -> Error {
    Error::Status {
        status,
        url: Box::new(url.clone()),
    }
}

pub(crate) fn request(url: &Url, source: impl Into<BoxError>) -> Error {
    Error::Request {
        url: Box::new(url.clone()),
        source: source.into(),
    }
}

pub(crate) fn body(source: impl Into<BoxError>) -> Error {
    Error::Body {
        source: source.into(),
    }
}

/// A failed TLS handshake with `host`; `reason` in words, `source` the cause.
#[cfg(feature = "rustls")]
pub(crate) fn tls(host: &str, reason: impl Into<String>, source: impl Into<BoxError>) -> Error {
    Error::Tls {
        host: host.to_owned(),
        reason: reason.into(),
        source: source.into(),
    }
}

/// A certificate or key that could not be used.
#[cfg(feature = "rustls")]
pub(crate) fn invalid_certificate(reason: impl Into<String>, source: Option<BoxError>) -> Error {
    Error::InvalidCertificate {
        reason: reason.into(),
        source,
    }
}

/// A JSON body that could not be decoded; `line`/`column` from serde_json.
#[cfg(feature = "json")]
pub(crate) fn decode(source: serde_json::Error) -> Error {
    Error::Decode {
        line: source.line(),
        column: source.column(),
        source: source.into(),
    }
}

/// A request body that could not be built.
#[cfg(any(feature = "json", feature = "multipart"))]
pub(crate) fn invalid_body(reason: impl Into<String>, source: Option<BoxError>) -> Error {
    Error::InvalidBody {
        reason: reason.into(),
        source,
    }
}

/// A response body that its decoder rejected.
pub(crate) fn decompress(encoding: &'static str, source: impl Into<BoxError>) -> Error {
    Error::Decompress {
        encoding,
        source: source.into(),
    }
}
