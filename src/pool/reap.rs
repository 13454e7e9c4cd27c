//! The idle reaper: closes connections idle for longer than the idle
//! timeout, from a task on the home runtime.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::{Idle, Pool};
use crate::runtime::clock;

/// The shortest wait before the reaper looks again at busy connections.
/// Without it, a zero idle timeout would wake the reaper at every timer tick
/// while a connection is open.
const MIN_LOOK_AGAIN: Duration = Duration::from_millis(50);

impl Pool {
    /// Closes expired idle connections; returns when to look again: when
    /// the next idle one expires, or one timeout from now while busy
    /// connections (which may become idle at any moment) are open; `None`
    /// when no connection is open.
    fn reap(&self, now: Instant) -> Option<Instant> {
        let timeout = self.limits.idle_timeout?;
        // Every deadline below comes from the user's timeout: `clock::add`
        // clamps it (`pool_idle_timeout(Duration::MAX)` overflowed here and
        // killed the reaper, issue #9).
        let look_again = timeout.max(MIN_LOOK_AGAIN);
        let mut expired = Vec::new();
        let mut expired_shared = Vec::new();
        let mut next: Option<Instant> = None;
        {
            let mut st = self.lock();
            for host in &mut st.hosts {
                let (old, young): (Vec<Idle>, Vec<Idle>) = host
                    .idle
                    .drain(..)
                    .partition(|idle| self.expired(idle, now) || idle.conn.is_closed());
                host.idle = young;
                expired.extend(old);
                for idle in &host.idle {
                    let at = clock::add(idle.since, timeout);
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
                if let Some(shared) = &mut host.shared {
                    // Its streams end without telling the pool, so look
                    // again after half the timeout.
                    let busy = shared.active.load(Ordering::Relaxed) > 0;
                    let since = if busy {
                        None
                    } else {
                        Some(*shared.idle_since.get_or_insert(now))
                    };
                    shared.idle_since = since;
                    match since {
                        Some(since) if now.saturating_duration_since(since) >= timeout => {
                            expired_shared.extend(host.shared.take());
                        }
                        _ => {
                            let at = clock::add(now, look_again / 2);
                            next = Some(next.map_or(at, |n| n.min(at)));
                        }
                    }
                }
            }
            if next.is_none() && st.open > 0 {
                next = Some(clock::add(now, look_again));
            }
        }
        drop(expired_shared);
        if !expired.is_empty() {
            tracing::debug!(count = expired.len(), "closing idle connections");
        }
        next
    }

    /// The idle reaper: runs on the home runtime for the whole life of the
    /// session (it is the session's sentinel work). It wakes at most once
    /// per expiry or per idle timeout, never per request (returning a
    /// connection to the pool does not wake it), and sleeps without a timer
    /// while no connection is open.
    pub(crate) async fn reaper(self: Arc<Self>) {
        if self.limits.idle_timeout.is_none() {
            return std::future::pending().await;
        }
        loop {
            match self.reap(Instant::now()) {
                Some(at) => tokio::time::sleep_until(at).await,
                None => self.first_open.notified().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Limits;

    /// A pool with `idle_timeout` that counts one (busy) open connection.
    fn busy_pool(idle_timeout: Duration) -> Pool {
        let pool = Pool::new(Limits {
            idle_timeout: Some(idle_timeout),
            max_idle_per_host: 32,
            max_total: 100,
            max_per_host: usize::MAX,
        });
        pool.lock().open = 1;
        pool
    }

    #[test]
    fn max_idle_timeout_looks_again_in_the_far_future() {
        // Overflowed (`Instant + Duration::MAX`) under the pool lock: #9.
        let now = Instant::now();
        let next = busy_pool(Duration::MAX).reap(now);
        assert_eq!(next, Some(now + clock::FAR_FUTURE));
    }

    #[test]
    fn zero_idle_timeout_does_not_spin() {
        let now = Instant::now();
        let next = busy_pool(Duration::ZERO).reap(now);
        assert_eq!(next, Some(now + MIN_LOOK_AGAIN));
    }

    #[test]
    fn an_ordinary_idle_timeout_looks_again_one_timeout_later() {
        let now = Instant::now();
        let timeout = Duration::from_secs(4);
        assert_eq!(busy_pool(timeout).reap(now), Some(now + timeout));
    }
}
