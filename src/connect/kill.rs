//! A kill switch for one HTTP/1.1 connection task: dropping the
//! connection's only handle ends the task at once, whatever hyper is doing.
//!
//! hyper notices that a caller gave up on a request only when it next
//! reads; while it is blocked writing a request body that the server does
//! not read, it would keep the connection, and its place in the limits,
//! forever (issue #13). A connection given back to the pool moves, and is
//! never dropped, so only a handle that nobody will use again fires it.
//!
//! Written by hand rather than with `tokio_util`'s `CancellationToken`:
//! the task checks the switch on every poll, and the token's check takes a
//! lock and a `Notify` registration (about 350 instructions per request in
//! `benches/callgrind.sh`); this one is an atomic load and an
//! `AtomicWaker` registration.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// The state both ends share.
#[derive(Debug, Default)]
struct Switch {
    /// Set by the handle's drop: the task should end.
    fired: AtomicBool,
    /// The task, woken when `fired` is set.
    waker: AtomicWaker,
    /// Set once the task has ended and dropped hyper's connection (so
    /// every request hyper took has been answered).
    ended: AtomicBool,
    /// A request waiting on the handle, woken when `ended` is set.
    on_end: AtomicWaker,
}

/// The handle's end: fires the switch when dropped.
#[derive(Debug)]
pub(crate) struct KillOnDrop(Arc<Switch>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.fired.store(true, Ordering::Release);
        self.0.waker.wake();
    }
}

impl KillOnDrop {
    /// Whether the connection task has ended; if not, `cx` is woken when
    /// it does.
    pub(super) fn poll_ended(&self, cx: &mut Context<'_>) -> bool {
        if self.0.ended.load(Ordering::Acquire) {
            return true;
        }
        self.0.on_end.register(cx.waker());
        self.0.ended.load(Ordering::Acquire)
    }
}

/// The task's end.
#[derive(Debug)]
pub(super) struct KillSwitch(Arc<Switch>);

/// Marks the connection task ended when dropped: after hyper's connection
/// was dropped, whether the task finished or the runtime dropped it.
#[derive(Debug)]
pub(super) struct EndGuard(Arc<Switch>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.ended.store(true, Ordering::Release);
        self.0.on_end.wake();
    }
}

/// A new switch: the end for the handle, and the end for the task.
pub(super) fn pair() -> (KillOnDrop, KillSwitch) {
    let switch = Arc::new(Switch::default());
    (KillOnDrop(switch.clone()), KillSwitch(switch))
}

impl KillSwitch {
    fn fired(&self) -> bool {
        self.0.fired.load(Ordering::Acquire)
    }

    /// A guard to drop once hyper's connection is gone.
    pub(super) fn end_guard(&self) -> EndGuard {
        EndGuard(self.0.clone())
    }
}

pin_project_lite::pin_project! {
    /// `conn`, ended early (as a clean end) when its switch fires.
    pub(super) struct Killable<F> {
        #[pin]
        conn: F,
        switch: Option<KillSwitch>,
        // Whether the task's waker is registered with the switch. A task's
        // waker stays the same for its whole life, and this future is the
        // root of its own task, so once is enough.
        registered: bool,
    }
}

impl<F> Killable<F> {
    /// With `switch` `None` (a shared HTTP/2 connection, which ends when
    /// its last handle is dropped), `conn` runs as it is.
    pub(super) fn new(conn: F, switch: Option<KillSwitch>) -> Killable<F> {
        Killable {
            conn,
            switch,
            registered: false,
        }
    }
}

impl<F> Future for Killable<F>
where
    F: Future<Output = hyper::Result<()>>,
{
    type Output = hyper::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(switch) = this.switch {
            // Registered before the second check, so a drop in between
            // still wakes the task. (`AtomicWaker::wake` takes the waker,
            // but the switch fires once, and the task then ends.)
            if switch.fired() {
                return Poll::Ready(Ok(()));
            }
            if !*this.registered {
                *this.registered = true;
                switch.0.waker.register(cx.waker());
                if switch.fired() {
                    return Poll::Ready(Ok(()));
                }
            }
        }
        this.conn.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_the_handle_ends_the_task() {
        let (handle, switch) = pair();
        let task = tokio::spawn(Killable::new(std::future::pending(), Some(switch)));
        tokio::task::yield_now().await;
        drop(handle);
        assert!(task.await.unwrap().is_ok());
    }
}
