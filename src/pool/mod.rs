//! The connection pool: idle keep-alive connections, connection limits, and
//! the queue of requests waiting for a free place.
//!
//! We keep our own pool on top of `hyper::client::conn` instead of using
//! hyper-util's legacy client, because:
//! - reuse is deterministic: a connection goes back to the pool the moment
//!   its response body ends, and the next request waits for it to be ready,
//!   where hyper-util races a new connect against a helper task that returns
//!   the connection later (so sequential requests sometimes open a second
//!   connection);
//! - no task is spawned per request (hyper-util spawns one to return each
//!   HTTP/1 connection to its pool);
//! - connection limits and statistics need to see every connection from the
//!   start of its connect to the close of its socket (`Slot`);
//! - `close()` needs to drop every idle connection at a known point.
//!
//! The lock is a `std` mutex held for short bookkeeping only, never across
//! an await; connections are dropped (closed) after it is released.

mod lend;
mod reap;
mod shared;
mod slot;
mod stats;
mod wait;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;
use url::Url;

use crate::connect::Conn;
use crate::error::Error;
use shared::Shared;
pub(crate) use slot::{Key, Slot};
pub use stats::{CloseOutcome, HostStats, PoolStats};
pub(crate) use wait::{Grant, Waiting};

/// The pool's settings, copied from the session's config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_idle_per_host: usize,
    pub(crate) max_total: usize,
    pub(crate) max_per_host: usize,
}

/// Connections of one session, by origin.
#[derive(Debug)]
pub(crate) struct Pool {
    state: Mutex<State>,
    limits: Limits,
    /// Wakes the reaper when a connection opens in an empty pool: a pool
    /// with no connection has nothing to reap, so the reaper sleeps
    /// without a timer until then.
    first_open: Notify,
    /// Woken whenever a connection closes (the open count falls).
    conn_closed: Notify,
    /// Open connections held by responses the caller has (`lend.rs`).
    lent: AtomicUsize,
    /// Set by `abort()`; connection tasks end when it is notified.
    aborted: AtomicBool,
    pub(crate) abort: Arc<Notify>,
    opened: AtomicU64,
    closed: AtomicU64,
    reused: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    /// Origins with an open connection or an idle one. A `Vec` searched
    /// linearly: a session talks to few hosts, and this avoids allocating a
    /// key per request.
    hosts: Vec<Host>,
    /// Connections open or being opened, over all hosts (slots held).
    open: usize,
    /// Requests waiting for a connection, oldest first.
    waiters: VecDeque<Waiter>,
    next_waiter: u64,
    /// Set by `clear()` when the session closes: no new connections, and
    /// connections checked in afterwards are closed.
    closed: bool,
}

#[derive(Debug)]
struct Host {
    key: Key,
    /// Connections to this origin open or being opened.
    open: usize,
    /// Idle HTTP/1.1 connections, most recently used last.
    idle: Vec<Idle>,
    /// The HTTP/2 connection every request to this origin shares.
    shared: Option<Shared>,
    /// A connection that may turn out to be HTTP/2 is being opened: other
    /// requests that could share it wait for it instead of opening their
    /// own (otherwise a burst of 50 requests opens 50 connections before
    /// the first handshake says HTTP/2).
    opening: bool,
    /// The origin answered ALPN with HTTP/1.1: no need to wait for openers.
    h1_known: bool,
}

impl Host {
    fn new(key: Key) -> Host {
        Host {
            key,
            open: 0,
            idle: Vec::new(),
            shared: None,
            opening: false,
            h1_known: false,
        }
    }

    fn is_empty(&self) -> bool {
        self.open == 0 && self.idle.is_empty()
    }

    /// Counts the shared connection as idle while it carries no stream.
    fn idle_count(&self) -> usize {
        let shared_idle = self
            .shared
            .as_ref()
            .is_some_and(|s| s.active.load(Ordering::Relaxed) == 0);
        self.idle.len() + usize::from(shared_idle)
    }
}

#[derive(Debug)]
struct Idle {
    conn: Conn,
    since: Instant,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    key: Key,
    /// Whether it could share an HTTP/2 connection being opened.
    may_h2: bool,
    tx: oneshot::Sender<Grant>,
}

/// What `acquire` found for a request.
#[derive(Debug)]
pub(crate) enum Acquire {
    /// An idle connection to reuse.
    Idle(Conn),
    /// A free place: open a new connection with it.
    Slot(Slot),
    /// Neither: wait for one.
    Wait(Waiting),
}

impl State {
    fn host(&self, url: &Url) -> Option<usize> {
        self.hosts.iter().position(|h| h.key.matches(url))
    }

    fn host_of(&self, key: &Key) -> Option<usize> {
        self.hosts.iter().position(|h| h.key == *key)
    }

    fn host_open(&self, key: &Key) -> usize {
        self.host_of(key).map_or(0, |i| self.hosts[i].open)
    }
}

impl Pool {
    pub(crate) fn new(limits: Limits) -> Pool {
        Pool {
            state: Mutex::new(State::default()),
            limits,
            first_open: Notify::new(),
            conn_closed: Notify::new(),
            lent: AtomicUsize::new(0),
            aborted: AtomicBool::new(false),
            abort: Arc::new(Notify::new()),
            opened: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            reused: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; recover anyway.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expired(&self, idle: &Idle, now: Instant) -> bool {
        self.limits
            .idle_timeout
            .is_some_and(|t| now.saturating_duration_since(idle.since) >= t)
    }

    /// An idle connection to the origin of `url`, a place to open a new
    /// one, or a ticket in the queue, in that order of preference.
    ///
    /// With `reuse` false, idle connections are passed over: a retry after
    /// a stale keep-alive connection wants a new one.
    ///
    /// `may_h2`: the connection may turn out to be HTTP/2 (TLS with ALPN, or
    /// prior knowledge), so a request waits for one being opened.
    pub(crate) fn acquire(
        self: &Arc<Self>,
        url: &Url,
        reuse: bool,
        may_h2: bool,
    ) -> Result<Acquire, Error> {
        let mut stale = (Vec::new(), Vec::new());
        let found = self.acquire_locked(url, reuse, may_h2, &mut stale);
        // Dropped outside the lock: closing wakes the connection task.
        drop(stale);
        found
    }

    fn acquire_locked(
        self: &Arc<Self>,
        url: &Url,
        reuse: bool,
        may_h2: bool,
        (stale, stale_shared): &mut (Vec<Idle>, Vec<Shared>),
    ) -> Result<Acquire, Error> {
        let mut st = self.lock();
        if st.closed {
            return Err(Error::Closed);
        }
        let index = st.host(url);
        if let Some(i) = index {
            let host = &mut st.hosts[i];
            match &host.shared {
                Some(shared) if !shared.sender.is_closed() => {
                    self.reused.fetch_add(1, Ordering::Relaxed);
                    return Ok(Acquire::Idle(shared.conn()));
                }
                // Closed: its task frees the slot; forget the handle.
                Some(_) => host.shared = None,
                None => {}
            }
        }
        if let (Some(i), true) = (index, reuse) {
            // Read the clock only when there is an idle connection to age.
            let now = (!st.hosts[i].idle.is_empty()).then(Instant::now);
            while let Some(idle) = st.hosts[i].idle.pop() {
                let expired = now.is_some_and(|now| self.expired(&idle, now));
                if idle.conn.is_closed() || expired {
                    stale.push(idle);
                } else {
                    self.reused.fetch_add(1, Ordering::Relaxed);
                    return Ok(Acquire::Idle(idle.conn));
                }
            }
        }
        let key = match index {
            Some(i) => st.hosts[i].key.clone(),
            None => Key::of(url),
        };
        let host_open = index.map_or(0, |i| st.hosts[i].open);
        let host_has_room = host_open < self.limits.max_per_host;
        let opening = index.is_some_and(|i| st.hosts[i].opening);
        let wait_for_opener = may_h2 && opening;
        // Waiters never stand in the way here: `grant_places` hands every
        // free place to an eligible waiter as soon as it frees up, so a
        // place free now is one no waiter can use.
        if st.open < self.limits.max_total && host_has_room && !wait_for_opener {
            let opener = may_h2 && !index.is_some_and(|i| st.hosts[i].h1_known);
            let mut slot = self.reserve(&mut st, key);
            if opener {
                slot.make_opener();
                if let Some(i) = st.host_of(slot.key()) {
                    st.hosts[i].opening = true;
                }
            }
            return Ok(Acquire::Slot(slot));
        }
        if st.open >= self.limits.max_total && host_has_room && !wait_for_opener {
            // Every place is taken. If some are held by idle connections to
            // other origins, close one: its place goes to the queue, so
            // idle connections never starve another host.
            if let Some(victim) = st.hosts.iter_mut().find_map(|h| h.idle.pop()) {
                stale.push(victim);
            } else if let Some(host) = st.hosts.iter_mut().find(|h| {
                !h.key.matches(url)
                    && h.shared
                        .as_ref()
                        .is_some_and(|s| s.active.load(Ordering::Relaxed) == 0)
            }) {
                stale_shared.extend(host.shared.take());
            }
        }
        let id = st.next_waiter;
        st.next_waiter += 1;
        let (tx, rx) = oneshot::channel();
        st.waiters.push_back(Waiter {
            id,
            key,
            may_h2,
            tx,
        });
        Ok(Acquire::Wait(Waiting::new(self.clone(), id, rx)))
    }

    /// Takes a place for a new connection to `key`. The caller checked
    /// that the limits allow it.
    fn reserve(self: &Arc<Self>, st: &mut State, key: Key) -> Slot {
        if st.open == 0 {
            // The reaper sleeps while no connection is open.
            self.first_open.notify_one();
        }
        st.open += 1;
        match st.host_of(&key) {
            Some(i) => st.hosts[i].open += 1,
            None => {
                let mut host = Host::new(key.clone());
                host.open = 1;
                st.hosts.push(host);
            }
        }
        Slot::new(self.clone(), key)
    }

    /// Gives back a place without a connection having used it.
    fn unreserve(st: &mut State, key: &Key) {
        st.open -= 1;
        if let Some(i) = st.host_of(key) {
            st.hosts[i].open -= 1;
            if st.hosts[i].is_empty() {
                st.hosts.swap_remove(i);
            }
        }
    }

    /// A connection's place is free: its socket is closed, or its connect
    /// failed. Called by `Slot::drop`.
    fn release(self: &Arc<Self>, key: &Key, was_open: bool, opener: bool) {
        let mut stale = Vec::new();
        let mut shared = None;
        {
            let mut st = self.lock();
            if opener && !was_open {
                // Its connect failed: the waiters try for themselves.
                if let Some(i) = st.host_of(key) {
                    st.hosts[i].opening = false;
                }
            }
            Pool::unreserve(&mut st, key);
            // Connections the server closed while idle go with their place.
            if let Some(i) = st.host_of(key) {
                let idle = &mut st.hosts[i].idle;
                let (closed, open): (Vec<Idle>, Vec<Idle>) =
                    idle.drain(..).partition(|idle| idle.conn.is_closed());
                *idle = open;
                stale = closed;
                let host = &mut st.hosts[i];
                if host.shared.as_ref().is_some_and(|s| s.sender.is_closed()) {
                    shared = host.shared.take();
                }
            }
            self.grant_places(&mut st);
        }
        if was_open {
            self.closed.fetch_add(1, Ordering::Relaxed);
        }
        drop(stale);
        drop(shared);
        // `close()` waits for the open count to fall to zero, or to the
        // number of lent connections.
        self.conn_closed.notify_waiters();
    }

    /// Hands free places to waiting requests, oldest first, skipping those
    /// whose origin is at its own limit.
    fn grant_places(self: &Arc<Self>, st: &mut State) {
        let mut i = 0;
        while i < st.waiters.len() && st.open < self.limits.max_total && !st.closed {
            if st.waiters[i].tx.is_closed() {
                st.waiters.remove(i);
                continue;
            }
            let key = &st.waiters[i].key;
            let opening = st.host_of(key).is_some_and(|h| st.hosts[h].opening);
            if st.host_open(key) >= self.limits.max_per_host || (opening && st.waiters[i].may_h2) {
                i += 1;
                continue;
            }
            let Some(waiter) = st.waiters.remove(i) else {
                break;
            };
            let slot = self.reserve(st, waiter.key.clone());
            if let Err(Grant::Slot(slot)) = waiter.tx.send(Grant::Slot(slot)) {
                // The waiter gave up between the check and the send.
                slot.disarm();
                Pool::unreserve(st, &waiter.key);
            }
        }
    }

    /// Whether a waiting request could open a connection if the total
    /// limit had one more place.
    fn starving(&self, st: &State) -> bool {
        st.open >= self.limits.max_total
            && st
                .waiters
                .iter()
                .any(|w| st.host_open(&w.key) < self.limits.max_per_host)
    }

    /// A new connection is up.
    pub(crate) fn opened(&self) {
        self.opened.fetch_add(1, Ordering::Relaxed);
    }

    /// Returns a connection whose response has ended: to the oldest request
    /// waiting for its origin, else to the idle list.
    pub(crate) fn checkin(&self, url: &Url, conn: Conn) {
        if conn.is_h2() {
            return self.checkin_h2(url, conn);
        }
        if conn.is_closed() {
            return;
        }
        let mut conn = conn;
        let mut st = self.lock();
        if st.closed {
            drop(st);
            return;
        }
        while let Some(pos) = st.waiters.iter().position(|w| w.key.matches(url)) {
            let Some(waiter) = st.waiters.remove(pos) else {
                break;
            };
            match waiter.tx.send(Grant::Conn(conn)) {
                Ok(()) => {
                    self.reused.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(Grant::Conn(back)) => conn = back,
                // Cannot happen (we sent a connection), but never drop a
                // slot under the lock: its drop takes the lock.
                Err(other) => {
                    drop(st);
                    drop(other);
                    return;
                }
            }
        }
        let Some(i) = st.host(url) else { return };
        if self.starving(&st) || st.hosts[i].idle.len() >= self.limits.max_idle_per_host {
            // Requests for other origins are waiting for a place: closing
            // this connection frees one. Or the idle list is full.
            drop(st);
            drop(conn);
            return;
        }
        st.hosts[i].idle.push(Idle {
            conn,
            since: Instant::now(),
        });
    }

    /// Closes every idle connection and ends every wait; from now on the
    /// pool opens nothing and keeps nothing.
    pub(crate) fn clear(&self) {
        let (hosts_idle, waiters) = {
            let mut st = self.lock();
            st.closed = true;
            let idle: Vec<(Vec<Idle>, Option<Shared>)> = st
                .hosts
                .iter_mut()
                .map(|h| (std::mem::take(&mut h.idle), h.shared.take()))
                .collect();
            (idle, std::mem::take(&mut st.waiters))
        };
        drop(hosts_idle);
        drop(waiters);
    }

    /// Ends every connection task now, whatever it is doing; their callers
    /// see `Error::Aborted`.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        self.abort.notify_waiters();
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    /// Completes once no connection is open.
    pub(crate) async fn all_closed(&self) {
        crate::counter::until(&self.conn_closed, || self.lock().open == 0).await;
    }
}
