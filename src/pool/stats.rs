//! Snapshots of the pool's state, for `Session::stats()`.

use std::sync::atomic::Ordering;

/// A snapshot of a session's connection pool, from
/// [`Session::stats`](crate::Session::stats).
///
/// The gauges (`open`, `idle`, `in_use`, `waiting`) are taken together
/// under the pool's lock, so they are consistent with each other: at rest,
/// after all work, `in_use` and `waiting` are 0 and `open == idle`. The
/// counters count since the session was built.
///
/// # Examples
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), clientsession::Error> {
/// let session = clientsession::Session::new()?;
/// let stats = session.stats();
/// assert_eq!((stats.open, stats.idle, stats.in_use, stats.waiting), (0, 0, 0, 0));
/// assert_eq!(stats.opened, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Connections open or being opened: each holds a place in the
    /// connection limits.
    pub open: usize,
    /// Open connections waiting in the pool for a request.
    pub idle: usize,
    /// Open connections not idle: carrying a request, or being opened.
    pub in_use: usize,
    /// Requests waiting for a free place in the connection limits.
    pub waiting: usize,
    /// Connections opened since the session was built.
    pub opened: u64,
    /// Connections closed since the session was built.
    pub closed: u64,
    /// Requests that were sent on a connection used before.
    pub reused: u64,
    /// The same gauges for each origin with an open connection or a waiting
    /// request.
    pub hosts: Vec<HostStats>,
}

/// The pool's gauges for one origin (host and port), in [`PoolStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostStats {
    /// The host name or address, as in the URL.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Connections to this origin open or being opened.
    pub open: usize,
    /// Of those, the ones idle in the pool.
    pub idle: usize,
    /// Of those, the ones not idle.
    pub in_use: usize,
    /// Requests waiting for a connection to this origin.
    pub waiting: usize,
}

/// What [`Session::close_with_timeout`](crate::Session::close_with_timeout)
/// did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseOutcome {
    /// Every request finished by itself before the deadline.
    Graceful,
    /// The deadline passed: this many requests (or unread response bodies)
    /// were still in flight and were aborted with [`Error::Aborted`].
    ///
    /// [`Error::Aborted`]: crate::Error::Aborted
    Aborted {
        /// How many.
        requests: usize,
    },
}

impl CloseOutcome {
    /// Whether every request finished by itself.
    pub fn is_graceful(&self) -> bool {
        matches!(self, CloseOutcome::Graceful)
    }
}

// ===== the snapshot =====

impl super::Pool {
    /// A consistent snapshot of the gauges, and the counters.
    pub(crate) fn stats(&self) -> PoolStats {
        let st = self.lock();
        let mut stats = PoolStats {
            open: st.open,
            waiting: st.waiters.len(),
            opened: self.opened.load(Ordering::Relaxed),
            closed: self.closed.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            ..PoolStats::default()
        };
        for host in &st.hosts {
            let idle = host.idle_count();
            stats.idle += idle;
            stats.hosts.push(HostStats {
                host: host.key.host().to_owned(),
                port: host.key.port(),
                open: host.open,
                idle,
                in_use: host.open.saturating_sub(idle),
                waiting: st.waiters.iter().filter(|w| w.key == host.key).count(),
            });
        }
        for waiter in &st.waiters {
            if st.host_of(&waiter.key).is_none() {
                if let Some(h) = stats
                    .hosts
                    .iter_mut()
                    .find(|h| h.host == waiter.key.host() && h.port == waiter.key.port())
                {
                    h.waiting += 1;
                } else {
                    stats.hosts.push(HostStats {
                        host: waiter.key.host().to_owned(),
                        port: waiter.key.port(),
                        waiting: 1,
                        ..HostStats::default()
                    });
                }
            }
        }
        stats.in_use = stats.open.saturating_sub(stats.idle);
        stats
    }
}
