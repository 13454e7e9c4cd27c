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
//! Both are spawned wrapped in [`Watched`], which flips the flag when the
//! task is dropped unfinished and not by its own panic: a task that finishes
//! disarms itself, and a task that panics is dropped during its own poll,
//! which `Watched` can see.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

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
///
/// A task that panics is dropped too (tokio drops a panicking future inside
/// its own `catch_unwind`), and that is no shutdown. The two are told apart
/// by `polling`, which [`Watched`] keeps set for as long as the task's own
/// `poll` runs: a drop during that poll is the task's own panic unwinding;
/// any other drop is the runtime dropping the task. (`thread::panicking()`
/// cannot tell them apart: a runtime dropped while its thread unwinds, as in
/// a failing `#[tokio::test]`, is a shutdown all the same. Issue #9.)
#[derive(Debug)]
struct DropAlarm {
    home: Option<Arc<Liveness>>,
    /// Set while the owning task's `poll` runs.
    polling: bool,
}

impl Drop for DropAlarm {
    fn drop(&mut self) {
        if let Some(home) = self.home.take() {
            if !self.polling {
                home.mark_dead();
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A task future that marks the home dead when the runtime drops it
    /// unfinished (see [`DropAlarm`]); spawned by `Home::spawn_watched`.
    ///
    /// Field order matters: fields drop in declaration order, so when the
    /// runtime drops the task, `alarm` marks the home dead before `task`
    /// drops what it owns (hyper's channels, for a connection task) and so
    /// wakes the callers, who then see `RuntimeShutdown` rather than
    /// "dispatch task is gone".
    pub(super) struct Watched<F> {
        alarm: DropAlarm,
        #[pin]
        task: F,
    }
}

impl<F> Watched<F> {
    pub(super) fn new(home: &Home, task: F) -> Watched<F> {
        Watched {
            alarm: DropAlarm {
                home: Some(home.liveness().clone()),
                polling: false,
            },
            task,
        }
    }
}

impl<F: Future<Output = ()>> Future for Watched<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // Left set if `task` panics: tokio then drops us inside this poll.
        this.alarm.polling = true;
        let poll = this.task.poll(cx);
        this.alarm.polling = false;
        if poll.is_ready() {
            // Finished by itself: nothing to report.
            this.alarm.home = None;
        }
        poll
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
        home.spawn_watched(async move {
            tokio::select! {
                _ = stopped => {}
                () = work => {}
            }
        });
        Sentinel { _stop: stop }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_task_that_finishes_is_no_shutdown() {
        let rt = runtime();
        let home = Home::bind(rt.handle().clone()).unwrap();
        rt.block_on(home.spawn_watched(async {})).unwrap();
        drop(rt);
        assert!(home.is_alive());
    }

    #[test]
    fn a_task_that_panics_is_no_shutdown() {
        let rt = runtime();
        let home = Home::bind(rt.handle().clone()).unwrap();
        let joined = rt.block_on(home.spawn_watched(async {
            // Unwinds like a panic, without printing one.
            std::panic::resume_unwind(Box::new("the task's own bug"))
        }));
        assert!(joined.unwrap_err().is_panic());
        assert!(home.is_alive());
    }

    #[test]
    fn a_runtime_dropping_a_pending_task_is_a_shutdown() {
        let rt = runtime();
        let home = Home::bind(rt.handle().clone()).unwrap();
        home.spawn_watched(std::future::pending());
        assert!(home.is_alive());
        drop(rt);
        assert!(!home.is_alive());
    }

    #[test]
    fn a_runtime_dropped_while_its_thread_panics_is_a_shutdown() {
        let rt = runtime();
        let home = Home::bind(rt.handle().clone()).unwrap();
        home.spawn_watched(std::future::pending());
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _owned = rt;
            std::panic::resume_unwind(Box::new("a failing test"));
        }));
        assert!(unwound.is_err());
        assert!(!home.is_alive());
    }
}
