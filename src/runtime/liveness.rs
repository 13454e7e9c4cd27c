//! How a session learns that its home runtime has shut down.
//!
//! When a Tokio runtime shuts down it drops every task it owns, without
//! polling them again. Two kinds of our tasks turn that drop into a flag:
//!
//! - the *sentinel*, one per session, which lives as long as the session and
//!   also runs its background work (the pool's idle reaper);
//! - every *connection task* (`connect/task.rs`), so that a caller waiting on
//!   a connection learns why it broke: the flag is set in the task's `Drop`,
//!   before hyper's channels inside it are dropped and the caller is woken.
//!
//! A task that finishes normally disarms itself first, so only a drop by the
//! runtime flips the flag.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, oneshot};

use super::Home;

/// Whether the home runtime still runs our tasks, and who to tell when it
/// stops.
#[derive(Debug)]
pub(crate) struct Liveness {
    /// `true` until the home runtime drops one of our tasks.
    pub(super) alive: AtomicBool,
    /// Woken when `alive` turns false, so that `close()` stops waiting for
    /// work that will never finish.
    died: Notify,
}

impl Liveness {
    pub(super) fn new() -> Liveness {
        Liveness {
            alive: AtomicBool::new(true),
            died: Notify::new(),
        }
    }

    /// Records that the home runtime is shutting down.
    pub(crate) fn mark_dead(&self) {
        if self.alive.swap(false, Ordering::AcqRel) {
            tracing::debug!("home runtime shut down; the session fails fast from now on");
            self.died.notify_waiters();
        }
    }

    /// Completes once the home runtime has shut down.
    pub(crate) async fn dead(&self) {
        crate::counter::until(&self.died, || !self.alive.load(Ordering::Acquire)).await;
    }
}

/// Marks the home dead when dropped while armed, that is, when the runtime
/// drops the task that owns it instead of letting it finish.
#[derive(Debug)]
pub(crate) struct DropAlarm {
    home: Option<std::sync::Arc<Liveness>>,
}

impl DropAlarm {
    pub(crate) fn arm(home: &Home) -> DropAlarm {
        DropAlarm {
            home: Some(home.liveness().clone()),
        }
    }

    /// The owning task finished by itself: nothing to report.
    pub(crate) fn disarm(&mut self) {
        self.home = None;
    }
}

impl Drop for DropAlarm {
    fn drop(&mut self) {
        // A task dropped while unwinding from a panic is not a shutdown.
        if let Some(home) = self.home.take() {
            if !std::thread::panicking() {
                home.mark_dead();
            }
        }
    }
}

/// The session's end of its sentinel task. Dropping it ends the task.
#[derive(Debug)]
pub(crate) struct Sentinel {
    _stop: oneshot::Sender<()>,
}

impl Sentinel {
    pub(super) fn start<F>(home: &Home, work: F) -> Sentinel
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let mut alarm = DropAlarm::arm(home);
        home.spawn(async move {
            tokio::select! {
                _ = stopped => {}
                () = work => {}
            }
            alarm.disarm();
        });
        Sentinel { _stop: stop }
    }
}
