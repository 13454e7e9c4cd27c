//! The settings of a session, with every default as a named constant.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, header};
use url::Url;

use crate::pool::Limits;

/// Default limit for [`Response::bytes`](crate::Response::bytes) and
/// [`Response::text`](crate::Response::text): 10 MiB.
///
/// Large enough for any API response, small enough that a hostile or broken
/// server cannot make a client buffer gigabytes.
pub const DEFAULT_MAX_RESPONSE_BODY: u64 = 10 * 1024 * 1024;

/// Default connect timeout: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time an idle pooled connection is kept: 4 s.
///
/// Below the 5 s keep-alive timeout of Node.js servers (the shortest common
/// one; nginx uses 75 s), so that we close idle connections before the
/// server does and rarely race a server-side close.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// Default number of idle connections kept per host: 32.
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 32;

/// Default limit on the open connections of a session: 100.
///
/// The same as aiohttp's connector. Enough for heavy concurrent use of a
/// few hosts, and well below the 1024 open files a process gets by default
/// on Linux, which is what an uncapped client runs into first ("too many
/// open files").
pub const DEFAULT_MAX_CONNECTIONS: usize = 100;

/// Default limit on the open connections to one host: none (only the total
/// limit applies), as in aiohttp.
pub const DEFAULT_MAX_CONNECTIONS_PER_HOST: usize = usize::MAX;

/// Default longest wait for a free place when every connection allowed by
/// the limits is busy: 30 s.
pub const DEFAULT_POOL_TIMEOUT: Duration = Duration::from_secs(30);

/// The `User-Agent` sent unless the session or request sets one.
pub(crate) const USER_AGENT: &str = concat!("clientsession/", env!("CARGO_PKG_VERSION"));

/// Everything a session was configured with. Immutable once built.
///
/// `Debug` is written by hand: default headers may carry secrets (an API
/// key set with `default_header`), so only their names are shown.
#[derive(Clone)]
pub(crate) struct Config {
    /// Relative request URLs are appended to this one's path.
    pub(crate) base_url: Option<Url>,
    /// Sent with every request; a request header of the same name replaces
    /// the default.
    pub(crate) default_headers: HeaderMap,
    /// Total deadline of a request, body included. `None`: no deadline.
    pub(crate) timeout: Option<Duration>,
    /// Deadline for opening a connection.
    pub(crate) connect_timeout: Duration,
    /// Longest wait for the response head or the next body chunk.
    pub(crate) read_timeout: Option<Duration>,
    /// How long an idle connection is kept. `None`: until the server closes it.
    pub(crate) pool_idle_timeout: Option<Duration>,
    /// How many idle connections are kept per host.
    pub(crate) pool_max_idle_per_host: usize,
    /// Most connections open at once, over all hosts.
    pub(crate) max_connections: usize,
    /// Most connections open at once to one host (scheme, host, port).
    pub(crate) max_connections_per_host: usize,
    /// Longest wait for a free place in those limits.
    pub(crate) pool_timeout: Duration,
    /// Limit for `bytes()` and `text()`.
    pub(crate) max_response_body: u64,
    /// Which HTTP versions to speak.
    pub(crate) versions: Versions,
    /// How many redirects a request follows.
    pub(crate) redirect: crate::redirect::Policy,
    /// Whether every 4xx/5xx response becomes `Error::Status`.
    pub(crate) raise_for_status: bool,
    /// Whether the session keeps a cookie jar.
    pub(crate) cookies: bool,
    /// Roots, client identity, versions; turned into a connector (shared
    /// per process for the defaults) by `TlsSettings::connector`.
    #[cfg(feature = "rustls")]
    pub(crate) tls: crate::tls::TlsSettings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url.as_ref().map(Url::as_str))
            .field(
                "default_headers",
                &self.default_headers.keys().collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_host", &self.max_connections_per_host)
            .field("pool_timeout", &self.pool_timeout)
            .field("max_response_body", &self.max_response_body)
            .field("versions", &self.versions)
            .field("redirect", &self.redirect)
            .field("raise_for_status", &self.raise_for_status)
            .field("cookies", &self.cookies)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Config {
        let mut default_headers = HeaderMap::new();
        default_headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        // The codings this build decodes (features `gzip`, `deflate`,
        // `brotli`, `zstd`); none, none asked for.
        if let Some(codings) = crate::response::accept_encoding() {
            default_headers.insert(header::ACCEPT_ENCODING, codings);
        }
        Config {
            base_url: None,
            default_headers,
            timeout: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: None,
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_host: DEFAULT_MAX_CONNECTIONS_PER_HOST,
            pool_timeout: DEFAULT_POOL_TIMEOUT,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            versions: Versions::Negotiate,
            redirect: crate::redirect::Policy::default(),
            raise_for_status: false,
            cookies: true,
            #[cfg(feature = "rustls")]
            tls: crate::tls::TlsSettings::default(),
        }
    }
}

/// Which HTTP versions a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Versions {
    /// HTTP/1.1 over plain TCP; over TLS, HTTP/2 when the server picks it
    /// by ALPN, else HTTP/1.1.
    Negotiate,
    /// HTTP/1.1 only; ALPN offers only `http/1.1`.
    Http1Only,
    /// HTTP/2 from the first byte, also over plain TCP (h2c).
    Http2PriorKnowledge,
}

impl Config {
    /// The pool's share of the settings.
    pub(crate) fn limits(&self) -> Limits {
        // A zero idle timeout keeps no connection idle: an HTTP/1.1
        // connection is closed when its response ends, as with no idle
        // places at all, instead of going to the pool to be reaped at the
        // reaper's next look (and maybe reused before that).
        let keep_none = self.pool_idle_timeout.is_some_and(|d| d.is_zero());
        Limits {
            idle_timeout: self.pool_idle_timeout,
            max_idle_per_host: if keep_none {
                0
            } else {
                self.pool_max_idle_per_host
            },
            max_total: self.max_connections,
            max_per_host: self.max_connections_per_host,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_idle_timeout_keeps_no_idle_connection() {
        let config = Config {
            pool_idle_timeout: Some(Duration::ZERO),
            ..Config::default()
        };
        assert_eq!(config.limits().max_idle_per_host, 0);
        assert_eq!(config.limits().idle_timeout, Some(Duration::ZERO));
    }

    #[test]
    fn other_idle_timeouts_keep_the_idle_limit() {
        for d in [Duration::from_millis(1), Duration::MAX] {
            let config = Config {
                pool_idle_timeout: Some(d),
                ..Config::default()
            };
            let limits = config.limits();
            assert_eq!(limits.max_idle_per_host, DEFAULT_POOL_MAX_IDLE_PER_HOST);
            assert_eq!(limits.idle_timeout, Some(d));
        }
    }
}
