//! The home-runtime guard.
//!
//! A session belongs to the Tokio runtime it was created in (its *home*).
//! Everything that needs a runtime — connecting, the connection tasks, the
//! pool's idle reaper, timers — runs on the home runtime, whatever runtime
//! (if any) the caller is on. Before each request the guard answers, with one
//! atomic load (plus one thread-local read for a current-thread home), whether
//! the session can make progress from here:
//!
//! - home shut down → `Error::RuntimeShutdown`;
//! - home is a current-thread runtime and the caller is outside it →
//!   `Error::WrongRuntime` (such a runtime only runs while its own thread
//!   drives it, so waiting on it from elsewhere could hang forever).
//!
//! How "shut down" is learnt: see `liveness.rs`. Only the home runtime
//! dropping our tasks, or tokio's own shutdown panic when a timer is polled
//! from outside it (`sleep.rs`), counts as a shutdown; a task's own panic
//! does not, and any other panic caught on the way is resumed, never
//! swallowed (`unwind.rs`).
//!
//! Timers (`sleep.rs`): a user's duration becomes a deadline only through
//! `clock.rs`, which clamps it as tokio clamps its own far-future deadlines,
//! so `Duration::MAX` means "never" and nothing overflows; a zero duration
//! means "at once". A timer polled from inside the home runtime is polled
//! directly; only a poll from elsewhere needs the caught-panic path.
//!
//! `panic = "abort"`: the crate compiles and works, but can catch nothing.
//! The driver probe at construction is then skipped (a runtime without the
//! IO or time driver makes tokio abort at the first request), and a timer
//! polled from another runtime at the very moment its home shuts down
//! aborts, as any tokio timer would.

mod background;
pub(crate) mod clock;
mod liveness;
mod sleep;
#[cfg(panic = "unwind")]
mod unwind;

use std::future::Future;
use std::sync::Arc;
#[cfg(panic = "unwind")]
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::JoinHandle;

use crate::error::Error;

pub(crate) use liveness::{Liveness, Sentinel};
pub(crate) use sleep::HomeSleep;

/// The runtime a session lives in. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Home {
    /// Handle of the home runtime; every spawn and timer of the session
    /// goes through it.
    handle: Handle,
    /// Whether the home runtime is a current-thread one, in which case the
    /// session refuses calls from outside it (`WrongRuntime`).
    current_thread: bool,
    /// Shared liveness flag, flipped when the home runtime drops our tasks.
    liveness: Arc<Liveness>,
}

impl Home {
    /// Binds to the runtime the caller is in.
    ///
    /// # Errors
    /// `NoRuntime` outside a runtime; `RuntimeMisconfigured` for a runtime
    /// without the IO or time driver.
    pub(crate) fn current() -> Result<Home, Error> {
        let handle = Handle::try_current().map_err(|_| Error::NoRuntime)?;
        Home::bind(handle)
    }

    /// Binds to the crate's shared background runtime, starting it on
    /// first use. Works anywhere: see `background.rs`.
    pub(crate) fn background() -> Result<Home, Error> {
        Home::bind(background::handle()?)
    }

    /// Binds to the runtime of `handle`.
    pub(crate) fn bind(handle: Handle) -> Result<Home, Error> {
        // The background runtime was built with every driver.
        if !background::is_background(&handle) {
            check_drivers(&handle)?;
        }
        let current_thread = handle.runtime_flavor() == RuntimeFlavor::CurrentThread;
        Ok(Home {
            handle,
            current_thread,
            liveness: Arc::new(Liveness::new()),
        })
    }

    /// Fails unless the session can make progress from the calling context.
    #[inline]
    pub(crate) fn check(&self) -> Result<(), Error> {
        if !self.is_alive() {
            return Err(Error::RuntimeShutdown);
        }
        if self.current_thread && !self.is_current() {
            return Err(Error::WrongRuntime);
        }
        Ok(())
    }

    /// Whether the caller may wait for work done on the home runtime.
    pub(crate) fn can_wait_here(&self) -> bool {
        self.is_alive() && (!self.current_thread || self.is_current())
    }

    /// Whether the calling thread is inside the home runtime.
    pub(crate) fn is_current(&self) -> bool {
        Handle::try_current().is_ok_and(|h| h.id() == self.handle.id())
    }

    /// Whether the home runtime is still running our tasks.
    #[inline]
    pub(crate) fn is_alive(&self) -> bool {
        self.liveness.alive.load(Ordering::Acquire)
    }

    pub(crate) fn liveness(&self) -> &Arc<Liveness> {
        &self.liveness
    }

    /// Spawns `fut` on the home runtime. After shutdown the future is
    /// dropped and the handle resolves to a cancelled error (no panic).
    pub(crate) fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(fut)
    }

    /// Spawns `task` on the home runtime, watched: if the runtime drops it
    /// unfinished (it shuts down), the home is marked dead; if the task
    /// panics, it is not (see `liveness.rs`).
    pub(crate) fn spawn_watched<F>(&self, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.handle.spawn(liveness::Watched::new(self, task))
    }

    /// A timer registered with the home runtime's time driver, usable from
    /// any thread or runtime, that fires `after` from now: at its first poll
    /// for `Duration::ZERO`, never for `Duration::MAX` (see `HomeSleep`).
    pub(crate) fn sleep(&self, after: Duration) -> HomeSleep {
        HomeSleep::new(&self.handle, after, self.liveness.clone())
    }

    /// Starts the liveness sentinel (and whatever background work the
    /// session gives it) on the home runtime.
    pub(crate) fn start_sentinel<F>(&self, work: F) -> Sentinel
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Sentinel::start(self, work)
    }

    /// A hyper executor that spawns on the home runtime (HTTP/2 needs one
    /// for its connection and stream tasks).
    pub(crate) fn executor(&self) -> HomeExec {
        HomeExec(self.handle.clone())
    }

    pub(crate) fn id(&self) -> tokio::runtime::Id {
        self.handle.id()
    }
}

impl std::fmt::Debug for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Home")
            .field("runtime", &self.handle.id())
            .field("current_thread", &self.current_thread)
            .field("alive", &self.is_alive())
            .finish()
    }
}

/// Spawns hyper's background futures on the home runtime, whatever
/// runtime is current (hyper-util's `TokioExecutor` is `tokio::spawn`).
#[derive(Clone, Debug)]
pub(crate) struct HomeExec(Handle);

impl<F> hyper::rt::Executor<F> for HomeExec
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        self.0.spawn(fut);
    }
}

/// Runtimes whose drivers were already found present, so that a session
/// per scope or per task does not probe again. Bounded: the oldest entry
/// goes first.
#[cfg(panic = "unwind")]
static CHECKED: Mutex<Vec<tokio::runtime::Id>> = Mutex::new(Vec::new());
#[cfg(panic = "unwind")]
const CHECKED_MAX: usize = 64;

/// Reports a runtime without the IO or time driver as a typed error now,
/// instead of letting tokio panic at the first request or when a connection
/// goes back to the pool.
///
/// Tokio has no query for its drivers, only constructors that panic without
/// them ("A Tokio 1.x context was found, but timers are disabled ..."), so we
/// call those under `unwind::catch`, which silences and catches exactly those
/// panics and resumes any other.
#[cfg(panic = "unwind")]
fn check_drivers(handle: &Handle) -> Result<(), Error> {
    let id = handle.id();
    let checked = |ids: &Vec<tokio::runtime::Id>| ids.contains(&id);
    if checked(&CHECKED.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(());
    }
    let _enter = handle.enter();
    let time = unwind::catch(unwind::timers_disabled, || {
        drop(tokio::time::sleep(Duration::ZERO));
    });
    if time.is_err() {
        return Err(Error::RuntimeMisconfigured { driver: "time" });
    }
    let io = unwind::catch(unwind::io_disabled, || {
        // Registering any socket with the IO driver is the probe; a socket
        // we cannot create says nothing about the driver.
        if let Ok(sock) = std::net::UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0)) {
            if sock.set_nonblocking(true).is_ok() {
                drop(tokio::net::UdpSocket::from_std(sock));
            }
        }
    });
    if io.is_err() {
        return Err(Error::RuntimeMisconfigured { driver: "IO" });
    }
    let mut ids = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if ids.len() >= CHECKED_MAX {
        ids.remove(0);
    }
    ids.push(id);
    Ok(())
}

/// Under `panic = "abort"` the probe cannot run: tokio's only answer is a
/// panic, which would abort the process here. Tokio exposes no driver query
/// on stable (its IO metrics need `tokio_unstable`), so the typed error
/// cannot be had without a panic; a runtime without the IO or time driver
/// makes tokio abort at the session's first request instead, with tokio's
/// own message ("... timers are disabled. Call `enable_time` ...").
#[cfg(not(panic = "unwind"))]
fn check_drivers(_handle: &Handle) -> Result<(), Error> {
    Ok(())
}
