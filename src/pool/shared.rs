//! Sharing one HTTP/2 connection per origin: the shared handle, the end of
//! the "opening" wait, and giving the connection up when another origin
//! needs its place.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hyper::client::conn::http2;
use tokio::time::Instant;
use url::Url;

use super::{Grant, Key, Pool};
use crate::body::Body;
use crate::connect::{Conn, H2Shared};

/// A shared HTTP/2 connection.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) sender: http2::SendRequest<Body>,
    /// Requests on it whose response has not ended.
    pub(super) active: Arc<AtomicUsize>,
    /// Responses on it held by callers (see `lend.rs`).
    pub(super) lent: Arc<AtomicUsize>,
    /// When the reaper first saw it without streams.
    pub(super) idle_since: Option<Instant>,
}

impl Shared {
    pub(super) fn conn(&self) -> Conn {
        Conn::h2(self.sender.clone(), &self.active, &self.lent)
    }
}

impl Pool {
    /// The request that opened `conn` with an opener slot learnt its
    /// protocol: share an HTTP/2 connection with the requests waiting for
    /// it, or let them open HTTP/1.1 connections of their own.
    ///
    /// Called on the home runtime right after the handshake, before anyone
    /// can drop the request, so `opening` is never left set.
    pub(crate) fn connected(self: &Arc<Self>, key: &Key, conn: &Conn) {
        let mut st = self.lock();
        let Some(i) = st.host_of(key) else { return };
        let host = &mut st.hosts[i];
        host.opening = false;
        match conn.h2_shared() {
            Some(H2Shared {
                sender,
                active,
                lent,
            }) => {
                let shared = Shared {
                    sender,
                    active,
                    lent,
                    idle_since: None,
                };
                let mut k = 0;
                while k < st.waiters.len() {
                    if st.waiters[k].key == *key && st.waiters[k].may_h2 {
                        if let Some(waiter) = st.waiters.remove(k) {
                            if waiter.tx.send(Grant::Conn(shared.conn())).is_ok() {
                                self.reused.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    } else {
                        k += 1;
                    }
                }
                st.hosts[i].shared = Some(shared);
            }
            None => {
                host.h1_known = true;
                self.grant_places(&mut st);
            }
        }
    }

    /// `conn`, an HTTP/2 connection to the origin of `url`, takes no new
    /// stream: the server sent a GOAWAY (RFC 9113 section 6.8). The pool
    /// forgets it, so the next request opens another connection (one
    /// opener at a time, within the limits, as for a first connection) or
    /// waits for one, instead of being handed this one.
    ///
    /// hyper cannot tell us sooner: its `http2::SendRequest::is_ready()`
    /// and `is_closed()` only turn once its dispatcher has ended, and the
    /// dispatcher looks at h2's state when it is next given a request.
    /// Streams still open on the connection finish normally; the
    /// connection closes after the last one, and its place is freed then.
    pub(crate) fn going_away(&self, url: &Url, conn: &Conn) {
        let forgotten = {
            let mut st = self.lock();
            let Some(i) = st.host(url) else { return };
            let host = &mut st.hosts[i];
            match &host.shared {
                Some(shared) if conn.shares_count(&shared.active) => host.shared.take(),
                _ => None,
            }
        };
        if forgotten.is_some() {
            tracing::debug!(%url, "HTTP/2 connection going away: no new streams on it");
        }
        drop(forgotten);
    }

    /// An HTTP/2 stream ended. Its handle is a clone of the shared one:
    /// dropping it ends the stream's count, and the connection stays in the
    /// pool, unless it is now idle while requests for other origins wait
    /// for a place, which closing it frees.
    pub(super) fn checkin_h2(&self, url: &Url, conn: Conn) {
        drop(conn);
        let mut st = self.lock();
        if !self.starving(&st) {
            return;
        }
        let Some(i) = st.host(url) else { return };
        let idle = st.hosts[i]
            .shared
            .as_ref()
            .is_some_and(|s| s.active.load(Ordering::Relaxed) == 0);
        let shared = if idle {
            st.hosts[i].shared.take()
        } else {
            None
        };
        drop(st);
        drop(shared);
    }
}
