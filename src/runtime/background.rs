//! The crate's shared background runtime: the home of
//! `Session::background()`, `SessionBuilder::background()` and the blocking
//! client.
//!
//! One small multi-thread Tokio runtime per process, on its own named
//! threads, started on first use and never shut down by the crate (a
//! `static` is never dropped, so it lives until the process exits). Because
//! it never goes away, a session that lives in it works from every runtime,
//! alive or already dropped, and from plain threads: the pattern of a
//! session in a `static` shared by `#[tokio::test]`s, each with its own
//! short-lived runtime.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::Error;

/// Worker threads of the background runtime. HTTP clients wait on the
/// network, not on the CPU: two workers drive thousands of connections, and
/// a second one keeps the runtime responsive while the first is busy with a
/// TLS handshake or decompression.
const WORKERS: usize = 2;

/// The runtime, once started. Never dropped.
static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// A handle to the background runtime, starting it on the first call.
///
/// Safe to call anywhere: inside or outside a runtime, on any thread.
/// Building a runtime (unlike `block_on` or dropping one) is allowed inside
/// async code, and this one is never dropped.
///
/// # Errors
/// `Error::BackgroundUnavailable` when the operating system refuses the
/// runtime's threads or its IO driver; a later call tries again.
pub(crate) fn handle() -> Result<Handle, Error> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt.handle().clone());
    }
    let built = Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name("clientsession-bg")
        .enable_all()
        .build()
        .map_err(|e| Error::BackgroundUnavailable { source: e.into() })?;
    // Two threads may race to build one: the loser's runtime has run no
    // task yet, and is dropped here. Dropping an idle runtime inside async
    // code would panic, so it is shut down without waiting instead.
    match RUNTIME.set(built) {
        Ok(()) => {}
        Err(spare) => spare.shutdown_background(),
    }
    RUNTIME
        .get()
        .map(|rt| rt.handle().clone())
        .ok_or_else(|| Error::BackgroundUnavailable {
            source: "the background runtime was not stored".into(),
        })
}

/// Whether `handle` is the background runtime's.
pub(crate) fn is_background(handle: &Handle) -> bool {
    RUNTIME
        .get()
        .is_some_and(|rt| rt.handle().id() == handle.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_once_and_runs_outside_any_runtime() {
        let a = handle().unwrap();
        let b = handle().unwrap();
        assert_eq!(a.id(), b.id());
        assert!(is_background(&a));
        assert_eq!(
            a.runtime_flavor(),
            tokio::runtime::RuntimeFlavor::MultiThread
        );
        let answer = std::sync::mpsc::channel();
        let tx = answer.0;
        a.spawn(async move { tx.send(42).unwrap() });
        assert_eq!(answer.1.recv().unwrap(), 42);
    }

    #[test]
    fn usable_from_inside_a_current_thread_runtime() {
        let rt = Builder::new_current_thread().enable_all().build().unwrap();
        let id = rt.block_on(async { handle().unwrap().id() });
        drop(rt);
        assert_eq!(handle().unwrap().id(), id);
    }
}
