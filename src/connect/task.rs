//! The task that drives one connection on the home runtime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::pool::Slot;
use crate::runtime::{DropAlarm, Home};

/// Spawns `conn` (hyper's connection future) on the home runtime. It runs
/// until the connection closes, or the session is closed with a deadline
/// that passed (`Pool::abort`); `slot` is freed when it ends.
pub(super) fn spawn<F>(home: &Home, slot: Slot, peer: String, conn: F)
where
    F: Future<Output = hyper::Result<()>> + Send + 'static,
{
    let drive = async move {
        let Some(pool) = slot.pool().cloned() else {
            return conn.await;
        };
        // Created before the check, so an abort in between is not missed.
        let aborted = pool.abort.clone().notified_owned();
        if pool.is_aborted() {
            return Ok(());
        }
        let result = tokio::select! {
            result = conn => result,
            () = aborted => Ok(()),
        };
        tracing::debug!(%peer, "connection closed");
        drop(slot);
        result
    };
    home.spawn(ConnTask {
        alarm: DropAlarm::arm(home),
        conn: drive,
    });
}

pin_project_lite::pin_project! {
    /// Field order matters: fields drop in declaration order, so when the
    /// runtime drops this task at shutdown, `alarm` marks the home dead
    /// before `conn` drops hyper's channels and wakes the callers, who then
    /// see `RuntimeShutdown` rather than "dispatch task is gone". The socket
    /// is closed with `conn`, and only then is its slot (inside `conn`) freed.
    struct ConnTask<F> {
        alarm: DropAlarm,
        #[pin]
        conn: F,
    }
}

impl<F> Future for ConnTask<F>
where
    F: Future<Output = hyper::Result<()>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let result = std::task::ready!(this.conn.poll(cx));
        this.alarm.disarm();
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
        Poll::Ready(())
    }
}
