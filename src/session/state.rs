//! The shared state behind every clone of a `Session`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::connect::Dialer;
use crate::counter::Counter;
use crate::error::Error;
use crate::pool::Pool;
use crate::runtime::{Home, Sentinel};

/// What all clones of one session share.
#[derive(Debug)]
pub(crate) struct Inner {
    /// Settings fixed at build time.
    pub(crate) config: Config,
    /// The runtime the session belongs to, and whether it still runs.
    pub(crate) home: Home,
    /// Connections: idle ones, limits, the queue of waiting requests, and
    /// the open sockets that `close()` closes (all but those lent to
    /// responses the caller holds; see `pool/lend.rs`).
    pub(crate) pool: Arc<Pool>,
    /// Opens new connections on the home runtime.
    pub(crate) dialer: Dialer,
    /// Requests that have started and not yet handed a response head to
    /// their caller (or failed). `close()` waits for it to reach zero, and
    /// no longer: a response the caller holds is the caller's to read, so
    /// waiting for its body could wait on the very task that called
    /// `close()` (see `pool/lend.rs`).
    pub(crate) in_flight: Counter,
    /// The cookie jar, unless the session was built with `cookies(false)`.
    #[cfg(feature = "cookies")]
    pub(crate) cookies: Option<crate::cookie::CookieJar>,
    /// Set once by `close()`; new requests fail with `Error::Closed`.
    ///
    /// Ordering with `in_flight` (both `SeqCst`): a request counts itself
    /// and then reads this flag; `close()` sets it and then waits for the
    /// count. So either the request sees the flag and backs out, or
    /// `close()` sees the request and waits for it. Never neither.
    pub(crate) closed: AtomicBool,
    /// Keeps the sentinel task (liveness and idle reaper) running on the
    /// home runtime; dropping the session ends it.
    _sentinel: Sentinel,
}

impl Inner {
    pub(crate) fn new(config: Config, home: Home) -> Result<Inner, Error> {
        #[cfg(feature = "rustls")]
        let tls = config
            .tls
            .connector(config.versions == crate::config::Versions::Negotiate)?;
        let pool = Arc::new(Pool::new(config.limits()));
        let sentinel = home.start_sentinel(pool.clone().reaper());
        let dialer = Dialer {
            home: home.clone(),
            connect_timeout: config.connect_timeout,
            versions: config.versions,
            #[cfg(feature = "rustls")]
            tls,
        };
        Ok(Inner {
            #[cfg(feature = "cookies")]
            cookies: config.cookies.then(crate::cookie::CookieJar::new),
            config,
            home,
            pool,
            dialer,
            in_flight: Counter::default(),
            closed: AtomicBool::new(false),
            _sentinel: sentinel,
        })
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Admits one request, or says why it cannot run from here.
    pub(crate) fn begin(self: Arc<Self>) -> Result<Ticket, Error> {
        self.home.check()?;
        self.in_flight.inc();
        // Built first, so that its drop undoes the count on the error path.
        let ticket = Ticket {
            inner: self,
            counted: true,
        };
        if ticket.inner.is_closed() {
            return Err(Error::Closed);
        }
        Ok(ticket)
    }
}

impl Inner {
    /// Why the session's connections broke when it was not the server's
    /// doing: the home runtime shut down, or `close_with_timeout` aborted
    /// them. The one place that tells those causes apart for requests and
    /// bodies.
    pub(crate) fn interrupted(&self) -> Option<Error> {
        if !self.home.is_alive() {
            Some(Error::RuntimeShutdown)
        } else if self.pool.is_aborted() {
            Some(Error::Aborted)
        } else {
            None
        }
    }
}

impl Drop for Inner {
    /// Closes the idle connections. Never blocks and never panics, inside or
    /// outside a runtime, before or after the home runtime is gone: dropping
    /// a connection handle only closes a channel, and the connection task on
    /// the home runtime (if it still runs) closes the socket.
    fn drop(&mut self) {
        self.pool.clear();
    }
}

/// One admitted request, counted in `in_flight` until its response head
/// reaches the caller (`uncount`) or it fails (dropped).
#[derive(Debug)]
pub(crate) struct Ticket {
    pub(crate) inner: Arc<Inner>,
    /// Cleared by `uncount`, so that the drop does not count it out twice.
    counted: bool,
}

impl Ticket {
    /// The response head reached the caller: the request stops counting as
    /// in flight, and the ticket is only a handle to the session from now
    /// on. Its connection must be lent first (`Pool::lend`), so that
    /// `close()` never sees neither.
    pub(crate) fn uncount(&mut self) {
        if std::mem::take(&mut self.counted) {
            self.inner.in_flight.dec();
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.counted {
            self.inner.in_flight.dec();
        }
    }
}
