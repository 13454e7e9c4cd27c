//! A timer on the home runtime that is safe to poll from anywhere.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::Liveness;
use crate::error::Error;

pin_project_lite::pin_project! {
    /// A `tokio::time::Sleep` registered with the home runtime.
    ///
    /// Tokio panics when a `Sleep` is polled after its runtime shut down
    /// ("A Tokio 1.x context was found, but it is being shutdown"). Callers
    /// on other runtimes or threads may poll ours at that moment, so it
    /// checks the liveness flag first and, for the narrow race in which the
    /// runtime goes down between that check and the poll, catches tokio's
    /// panic. Either way the caller gets `Error::RuntimeShutdown`.
    pub(crate) struct HomeSleep {
        #[pin]
        inner: Sleep,
        liveness: Arc<Liveness>,
    }
}

impl HomeSleep {
    pub(super) fn new(inner: Sleep, liveness: Arc<Liveness>) -> HomeSleep {
        HomeSleep { inner, liveness }
    }

    /// Moves the deadline to `after` from now.
    pub(crate) fn reset_after(self: Pin<&mut Self>, after: Duration) {
        let this = self.project();
        if this.liveness.alive.load(Ordering::Acquire) {
            let inner = this.inner;
            let reset = super::quietly(|| inner.reset(Instant::now() + after));
            if reset.is_err() {
                this.liveness.mark_dead();
            }
        }
    }
}

impl Future for HomeSleep {
    /// `Ok(())` when the deadline passed; `Err(RuntimeShutdown)` when the
    /// home runtime is gone and the timer can never fire.
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if !this.liveness.alive.load(Ordering::Acquire) {
            return Poll::Ready(Err(Error::RuntimeShutdown));
        }
        let inner = this.inner;
        match super::quietly(|| inner.poll(cx)) {
            Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => {
                this.liveness.mark_dead();
                Poll::Ready(Err(Error::RuntimeShutdown))
            }
        }
    }
}
