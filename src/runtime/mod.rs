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
//! How "shut down" is learnt: see `liveness.rs`.

mod background;
mod liveness;
mod sleep;

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::JoinHandle;

use crate::error::Error;

pub(crate) use liveness::{DropAlarm, Liveness, Sentinel};
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

    /// A timer registered with the home runtime's time driver, usable from
    /// any thread or runtime.
    pub(crate) fn sleep(&self, after: Duration) -> HomeSleep {
        let _enter = self.handle.enter();
        HomeSleep::new(tokio::time::sleep(after), self.liveness.clone())
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
static CHECKED: Mutex<Vec<tokio::runtime::Id>> = Mutex::new(Vec::new());
const CHECKED_MAX: usize = 64;

/// Reports a runtime without the IO or time driver as a typed error now,
/// instead of letting tokio panic at the first request or when a connection
/// goes back to the pool.
///
/// Tokio has no query for its drivers, only constructors that panic without
/// them ("A Tokio 1.x context was found, but timers are disabled ..."), so we
/// call those under `catch_unwind`, with the panic message silenced (see
/// `quietly`). (With `panic = "abort"` the probe aborts instead; such a
/// runtime would panic at its first use anyway.)
fn check_drivers(handle: &Handle) -> Result<(), Error> {
    let id = handle.id();
    let checked = |ids: &Vec<tokio::runtime::Id>| ids.contains(&id);
    if checked(&CHECKED.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(());
    }
    let _enter = handle.enter();
    let time = quietly(|| drop(tokio::time::sleep(Duration::ZERO)));
    if time.is_err() {
        return Err(Error::RuntimeMisconfigured { driver: "time" });
    }
    let io = quietly(|| {
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

thread_local! {
    /// Set while this thread runs a driver probe that may panic.
    static PROBING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `probe`, catching its panic without printing it.
///
/// The first call wraps the process's panic hook (once) in one that stays
/// silent for panics of a thread inside `quietly` and hands every other
/// panic to the hook that was there before, so the user's own hook and
/// messages are untouched.
pub(crate) fn quietly<R>(probe: impl FnOnce() -> R) -> std::thread::Result<R> {
    static WRAP_HOOK: Once = Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !PROBING.with(Cell::get) {
                previous(info);
            }
        }));
    });
    PROBING.with(|p| p.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(probe));
    PROBING.with(|p| p.set(false));
    result
}
