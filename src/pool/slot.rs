//! A place in the connection limits, held by one connection for its whole
//! life, from the start of its connect to the close of its socket.

use std::sync::Arc;

use url::Url;

use super::Pool;

/// An origin: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    https: bool,
    host: Arc<str>,
    port: u16,
}

impl Key {
    pub(crate) fn of(url: &Url) -> Key {
        Key {
            https: url.scheme() == "https",
            host: url.host_str().unwrap_or_default().into(),
            port: url.port_or_known_default().unwrap_or(80),
        }
    }

    /// Compares without allocating a key for `url`.
    pub(crate) fn matches(&self, url: &Url) -> bool {
        Some(self.port) == url.port_or_known_default()
            && Some(&*self.host) == url.host_str()
            && self.https == (url.scheme() == "https")
    }

    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

/// One place in the limits. Dropping it frees the place and hands it to
/// the oldest waiting request that can use it.
///
/// It lives in the connection task (see `connect.rs`), so the place is
/// freed exactly when the socket is closed, and is what `close()` counts.
#[derive(Debug)]
pub(crate) struct Slot {
    /// `None` once disarmed.
    pool: Option<Arc<Pool>>,
    key: Key,
    /// Whether a connection was opened with it (for the `closed` counter).
    open: bool,
    /// Whether other requests wait to share its connection if it turns out
    /// to be HTTP/2 (see `Host::opening`).
    opener: bool,
}

impl Slot {
    pub(super) fn new(pool: Arc<Pool>, key: Key) -> Slot {
        Slot {
            pool: Some(pool),
            key,
            open: false,
            opener: false,
        }
    }

    pub(super) fn make_opener(&mut self) {
        self.opener = true;
    }

    pub(crate) fn is_opener(&self) -> bool {
        self.opener
    }

    pub(crate) fn key(&self) -> &Key {
        &self.key
    }

    /// Records that the connection is up.
    pub(crate) fn mark_open(&mut self) {
        self.open = true;
        if let Some(pool) = &self.pool {
            pool.opened();
        }
    }

    /// Whether the session is being closed with a deadline that passed.
    pub(crate) fn pool(&self) -> Option<&Arc<Pool>> {
        self.pool.as_ref()
    }

    /// Forgets the place without freeing it: the pool undid it itself.
    pub(super) fn disarm(mut self) {
        self.pool = None;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.release(&self.key, self.open, self.opener);
        }
    }
}
