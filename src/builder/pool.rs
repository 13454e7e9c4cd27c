//! `SessionBuilder` setters for the connection pool: idle connections,
//! connection limits, and the wait for a free place.

use std::time::Duration;

use super::SessionBuilder;

impl SessionBuilder {
    /// Sets how long an idle connection stays in the pool before it is
    /// closed.
    ///
    /// The reaper runs on the home runtime for the whole life of the
    /// session. Default: 4 s
    /// ([`DEFAULT_POOL_IDLE_TIMEOUT`](crate::DEFAULT_POOL_IDLE_TIMEOUT)),
    /// below the 5 s keep-alive of Node.js servers.
    ///
    /// `Duration::MAX` means idle connections are kept until the server
    /// closes them (or the session is closed or dropped). `Duration::ZERO`
    /// means no connection is kept idle, so none is reused: an HTTP/1.1
    /// connection is closed as soon as its response ends (as with
    /// [`pool_max_idle_per_host(0)`](SessionBuilder::pool_max_idle_per_host)),
    /// and an HTTP/2 connection, which concurrent requests share, once no
    /// request uses it, within about 50 ms.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> SessionBuilder {
        self.config.pool_idle_timeout = Some(timeout);
        self
    }

    /// Sets how many idle connections are kept per host (scheme, host and
    /// port); more are closed when they become idle.
    ///
    /// `0` disables connection reuse. Default: 32
    /// ([`DEFAULT_POOL_MAX_IDLE_PER_HOST`](crate::DEFAULT_POOL_MAX_IDLE_PER_HOST)).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> SessionBuilder {
        self.config.pool_max_idle_per_host = max;
        self
    }

    /// Sets the most connections the session keeps open at once, over all
    /// hosts, idle or busy.
    ///
    /// A connection holds its place for its whole life, from the start of
    /// its connect to the close of its socket. A request that finds every
    /// place taken waits (at most [`pool_timeout`](SessionBuilder::pool_timeout))
    /// for a connection to its host to finish its response, which it then
    /// reuses, or for a place to free up. When the limit is reached and some
    /// places are held by idle connections to other hosts, one of those is
    /// closed to make room. Default: 100
    /// ([`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS), as in
    /// aiohttp). Values below 1 count as 1.
    pub fn max_connections(mut self, max: usize) -> SessionBuilder {
        self.config.max_connections = max.max(1);
        self
    }

    /// Sets the most connections the session keeps open at once to one
    /// host (scheme, host and port).
    ///
    /// Works as [`max_connections`](SessionBuilder::max_connections), for
    /// one origin. Default: no limit of its own
    /// ([`DEFAULT_MAX_CONNECTIONS_PER_HOST`](crate::DEFAULT_MAX_CONNECTIONS_PER_HOST)).
    /// Values below 1 count as 1.
    pub fn max_connections_per_host(mut self, max: usize) -> SessionBuilder {
        self.config.max_connections_per_host = max.max(1);
        self
    }

    /// Sets the longest wait for a connection when every one allowed by the
    /// limits is busy.
    ///
    /// When it elapses the request fails with
    /// `Error::Timeout(TimeoutKind::Pool)`. The request's total timeout, if
    /// shorter, fires first. Default: 30 s
    /// ([`DEFAULT_POOL_TIMEOUT`](crate::DEFAULT_POOL_TIMEOUT)).
    ///
    /// `Duration::MAX` means a request waits as long as it takes.
    /// `Duration::ZERO` means "at once": a request that finds every place
    /// taken fails with `Error::Timeout(TimeoutKind::Pool)` instead of
    /// waiting; one that finds a connection or a free place is not affected.
    pub fn pool_timeout(mut self, timeout: Duration) -> SessionBuilder {
        self.config.pool_timeout = timeout;
        self
    }
}
