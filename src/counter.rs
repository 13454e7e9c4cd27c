//! A count of live things (requests in flight, open sockets) that `close()`
//! can wait to see reach zero.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counts live things; woken waiters see it reach zero.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    /// How many are live now.
    live: AtomicUsize,
    /// Woken every time `live` drops to zero.
    zero: Notify,
}

impl Counter {
    /// Counts one more. `SeqCst`, because `close()` relies on the order
    /// "count, then check the closed flag" against "set the flag, then read
    /// the count" (see `session/state.rs`).
    pub(crate) fn inc(&self) {
        self.live.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts one fewer, waking the waiters when none are left.
    pub(crate) fn dec(&self) {
        if self.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.zero.notify_waiters();
        }
    }

    pub(crate) fn get(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Completes once the count is zero.
    pub(crate) async fn zero(&self) {
        until(&self.zero, || self.get() == 0).await;
    }
}

/// Completes once `done()` holds, checking it each time `notify` wakes its
/// waiters. The notification is registered before each check, so one sent
/// between the check and the wait is not missed. Works outside any runtime.
pub(crate) async fn until(notify: &Notify, done: impl Fn() -> bool) {
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if done() {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_completes_after_the_last_dec() {
        let c = std::sync::Arc::new(Counter::default());
        c.inc();
        c.inc();
        let waiter = {
            let c = c.clone();
            std::thread::spawn(move || futures_lite_block_on(c.zero()))
        };
        c.dec();
        c.dec();
        waiter.join().unwrap();
        assert_eq!(c.get(), 0);
    }

    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}
