//! The pool of idle keep-alive connections.
//!
//! We keep our own pool on top of `hyper::client::conn` instead of using
//! hyper-util's legacy client, for three reasons:
//! - reuse is deterministic: a connection goes back to the pool the moment
//!   its response body ends, and the next request waits for it to be ready,
//!   where hyper-util races a new connect against a helper task that returns
//!   the connection later (so sequential requests sometimes open a second
//!   connection);
//! - no task is spawned per request (hyper-util spawns one to return each
//!   HTTP/1 connection to its pool);
//! - `close()` needs to drop every idle connection at a known point.
//!
//! The lock is a `std` mutex held only for a push or a pop, never across an
//! await.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use url::Url;

use crate::connect::Conn;

/// Idle connections by origin.
#[derive(Debug)]
pub(crate) struct Pool {
    /// Idle connections, grouped by origin. A `Vec` searched linearly: a
    /// session talks to few hosts, and this avoids allocating a key per
    /// request. Entries with no idle connection are removed.
    hosts: Mutex<Hosts>,
    /// Wakes the reaper when the first idle connection arrives.
    idle_added: Notify,
    idle_timeout: Option<Duration>,
    max_idle_per_host: usize,
}

#[derive(Debug, Default)]
struct Hosts {
    by_origin: Vec<HostIdle>,
    /// Set by `clear()` when the session closes; connections checked in
    /// afterwards are closed instead of kept.
    closed: bool,
}

#[derive(Debug)]
struct HostIdle {
    host: Box<str>,
    port: u16,
    /// Most recently used last.
    conns: Vec<Idle>,
}

#[derive(Debug)]
struct Idle {
    conn: Conn,
    since: Instant,
}

impl HostIdle {
    fn is_for(&self, url: &Url) -> bool {
        Some(self.port) == url.port_or_known_default() && Some(&*self.host) == url.host_str()
    }
}

impl Pool {
    pub(crate) fn new(idle_timeout: Option<Duration>, max_idle_per_host: usize) -> Pool {
        Pool {
            hosts: Mutex::new(Hosts::default()),
            idle_added: Notify::new(),
            idle_timeout,
            max_idle_per_host,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hosts> {
        // No code panics while holding the lock; recover anyway.
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the most recently used idle connection to the origin of `url`
    /// that is still open and not expired.
    pub(crate) fn checkout(&self, url: &Url) -> Option<Conn> {
        let now = Instant::now();
        let mut stale = Vec::new();
        let found = {
            let mut hosts = self.lock();
            let index = hosts.by_origin.iter().position(|h| h.is_for(url))?;
            let entry = &mut hosts.by_origin[index];
            let mut found = None;
            while let Some(idle) = entry.conns.pop() {
                if idle.conn.sender.is_closed() || self.expired(&idle, now) {
                    stale.push(idle);
                    continue;
                }
                found = Some(idle.conn);
                break;
            }
            if entry.conns.is_empty() {
                hosts.by_origin.swap_remove(index);
            }
            found
        };
        // Dropped outside the lock: closing wakes the connection task.
        drop(stale);
        found
    }

    /// Returns a connection whose response has ended.
    pub(crate) fn checkin(&self, url: &Url, conn: Conn) {
        if conn.sender.is_closed() || self.max_idle_per_host == 0 {
            return;
        }
        let idle = Idle {
            conn,
            since: Instant::now(),
        };
        let mut hosts = self.lock();
        if hosts.closed {
            return;
        }
        let was_empty = hosts.by_origin.is_empty();
        match hosts.by_origin.iter_mut().find(|h| h.is_for(url)) {
            Some(entry) if entry.conns.len() >= self.max_idle_per_host => return,
            Some(entry) => entry.conns.push(idle),
            None => hosts.by_origin.push(HostIdle {
                host: url.host_str().unwrap_or_default().into(),
                port: url.port_or_known_default().unwrap_or(80),
                conns: vec![idle],
            }),
        }
        drop(hosts);
        if was_empty {
            self.idle_added.notify_one();
        }
    }

    fn expired(&self, idle: &Idle, now: Instant) -> bool {
        self.idle_timeout
            .is_some_and(|t| now.saturating_duration_since(idle.since) >= t)
    }

    /// Closes expired connections; returns when the next one expires.
    fn reap(&self, now: Instant) -> Option<Instant> {
        let timeout = self.idle_timeout?;
        let mut expired = Vec::new();
        let mut next: Option<Instant> = None;
        {
            let mut hosts = self.lock();
            for entry in &mut hosts.by_origin {
                let (old, young): (Vec<Idle>, Vec<Idle>) = entry
                    .conns
                    .drain(..)
                    .partition(|idle| self.expired(idle, now) || idle.conn.sender.is_closed());
                entry.conns = young;
                expired.extend(old);
                for idle in &entry.conns {
                    let at = idle.since + timeout;
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
            hosts.by_origin.retain(|h| !h.conns.is_empty());
        }
        if !expired.is_empty() {
            tracing::debug!(count = expired.len(), "closing idle connections");
        }
        next
    }

    /// The idle reaper: runs on the home runtime for the whole life of the
    /// session (it is the session's sentinel work), sleeping until the next
    /// connection expires, or until one arrives when the pool is empty.
    pub(crate) async fn reaper(self: std::sync::Arc<Self>) {
        if self.idle_timeout.is_none() {
            return std::future::pending().await;
        }
        loop {
            match self.reap(Instant::now()) {
                Some(at) => tokio::time::sleep_until(at).await,
                None => self.idle_added.notified().await,
            }
        }
    }

    /// Closes every idle connection, and every connection checked in from
    /// now on.
    pub(crate) fn clear(&self) {
        let drained: Vec<HostIdle> = {
            let mut hosts = self.lock();
            hosts.closed = true;
            std::mem::take(&mut hosts.by_origin)
        };
        drop(drained);
    }
}
