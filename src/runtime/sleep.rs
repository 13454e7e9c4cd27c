//! A timer on the home runtime that is safe to poll from anywhere.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::runtime::{Handle, Id};
use tokio::time::Sleep;

use super::{Liveness, clock};
use crate::error::Error;

pin_project_lite::pin_project! {
    /// A `tokio::time::Sleep` registered with the home runtime.
    ///
    /// A zero duration is "at once": the timer is ready at its first poll,
    /// without asking tokio (whose timer would only fire at its next
    /// millisecond tick). A longer one is clamped to tokio's far future
    /// (`clock.rs`), so `Duration::MAX` means "never".
    ///
    /// Tokio panics when a `Sleep` is polled after its runtime shut down
    /// ("A Tokio 1.x context was found, but it is being shutdown"). So a poll
    /// checks the liveness flag first, and then:
    ///
    /// - from inside the home runtime, polls the timer directly: the runtime
    ///   shuts its time driver down only once it has stopped polling, so the
    ///   poll cannot meet that panic;
    /// - from anywhere else (another runtime or thread, which may poll at the
    ///   very moment the home goes down, after the flag was read), polls it
    ///   under `unwind::catch`, which catches that one panic and turns it
    ///   into `Error::RuntimeShutdown`, and resumes any other. Under
    ///   `panic = "abort"` nothing can be caught: a poll that loses that
    ///   narrow race aborts, as any tokio timer polled there would.
    ///
    /// A thread that entered the home runtime without driving it (its
    /// `spawn_blocking` threads, `Handle::enter`) counts as inside; if it
    /// keeps polling while the runtime shuts down, it meets tokio's own panic
    /// there, as any tokio timer it polls would.
    pub(crate) struct HomeSleep {
        #[pin]
        inner: Sleep,
        // Set while the deadline is a zero duration from its start.
        at_once: bool,
        // The home runtime, to tell a poll from inside it.
        home: Id,
        liveness: Arc<Liveness>,
    }
}

impl HomeSleep {
    /// A timer of the runtime of `handle` that fires `after` from now.
    pub(super) fn new(handle: &Handle, after: Duration, liveness: Arc<Liveness>) -> HomeSleep {
        // The timer is bound to the runtime that is current when it is made.
        let _enter = handle.enter();
        HomeSleep {
            inner: tokio::time::sleep_until(clock::after(after)),
            at_once: after.is_zero(),
            home: handle.id(),
            liveness,
        }
    }

    /// Moves the deadline to `after` from now.
    pub(crate) fn reset_after(self: Pin<&mut Self>, after: Duration) {
        let this = self.project();
        *this.at_once = after.is_zero();
        // Resetting cannot panic: the deadline is clamped, and a reset after
        // the driver shut down only fires the timer with an error, which the
        // next poll reports (tokio's `TimerEntry::reset`).
        if !*this.at_once && this.liveness.alive.load(Ordering::Acquire) {
            this.inner.reset(clock::after(after));
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
        if *this.at_once {
            return Poll::Ready(Ok(()));
        }
        if Handle::try_current().is_ok_and(|h| h.id() == *this.home) {
            return this.inner.poll(cx).map(Ok);
        }
        poll_elsewhere(this.inner, cx, this.liveness)
    }
}

/// Polls `inner` from outside its runtime, where the runtime may shut down
/// at any moment: tokio's shutdown panic becomes `RuntimeShutdown`.
#[cfg(panic = "unwind")]
fn poll_elsewhere(
    inner: Pin<&mut Sleep>,
    cx: &mut Context<'_>,
    liveness: &Liveness,
) -> Poll<Result<(), Error>> {
    match super::unwind::catch(super::unwind::runtime_shutting_down, || inner.poll(cx)) {
        Ok(poll) => poll.map(Ok),
        Err(()) => {
            liveness.mark_dead();
            Poll::Ready(Err(Error::RuntimeShutdown))
        }
    }
}

/// Under `panic = "abort"` a panic cannot be caught: the poll goes straight
/// to tokio (see [`HomeSleep`]).
#[cfg(not(panic = "unwind"))]
fn poll_elsewhere(
    inner: Pin<&mut Sleep>,
    cx: &mut Context<'_>,
    _liveness: &Liveness,
) -> Poll<Result<(), Error>> {
    inner.poll(cx).map(Ok)
}
