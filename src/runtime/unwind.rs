//! Catching the few tokio panics that stand for a condition we can report
//! as a typed error, and only those.
//!
//! Tokio answers two questions only by panicking: "does this runtime have a
//! time (or IO) driver?" and "has the runtime of this timer shut down?"
//! (when a timer is polled from outside its runtime). Where no other way
//! exists, the guard asks them under [`catch`], naming the one panic it
//! expects. Any other panic is a bug, ours or tokio's, and is resumed
//! unchanged (`std::panic::resume_unwind`), never read as a shutdown.
//!
//! Compiled only with `panic = "unwind"`: under `panic = "abort"` nothing can
//! be caught, and the callers take the paths documented beside them.

use std::any::Any;
use std::cell::Cell;
use std::sync::Once;

/// A panic that [`catch`] expects: tells it by its message.
pub(super) type Expected = fn(&str) -> bool;

/// The panic of a timer polled after its runtime shut down
/// (`tokio::util::error::RUNTIME_SHUTTING_DOWN_ERROR`), or of one that the
/// shutting-down driver fired with its shutdown error (`Sleep::poll`'s
/// "timer error: ..." with `tokio::time::error::Error::shutdown()`).
pub(super) fn runtime_shutting_down(message: &str) -> bool {
    message.contains("A Tokio 1.x context was found, but it is being shutdown.")
        || message.contains("timer error: the timer is shutdown")
}

/// The panic of a timer created in a runtime built without `enable_time`.
pub(super) fn timers_disabled(message: &str) -> bool {
    message.contains("A Tokio 1.x context was found, but timers are disabled.")
}

/// The panic of a socket registered in a runtime built without `enable_io`.
pub(super) fn io_disabled(message: &str) -> bool {
    message.contains("A Tokio 1.x context was found, but IO is disabled.")
}

thread_local! {
    /// Which panic this thread expects, while it runs inside [`catch`].
    static EXPECTING: Cell<Option<Expected>> = const { Cell::new(None) };
}

/// Runs `f`. Returns `Err(())` if it panicked with the `expected` panic,
/// which is not printed; resumes any other panic, which is printed by the
/// process's panic hook as usual.
///
/// The first call wraps the process's panic hook (once) in one that stays
/// silent only for the expected panic of a thread inside `catch`, and hands
/// every other panic to the hook that was there before, so the user's own
/// hook and messages are untouched.
pub(super) fn catch<R>(expected: Expected, f: impl FnOnce() -> R) -> Result<R, ()> {
    static WRAP_HOOK: Once = Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let silent = EXPECTING
                .with(Cell::get)
                .is_some_and(|expected| message(info.payload()).is_some_and(expected));
            if !silent {
                previous(info);
            }
        }));
    });
    let outer = EXPECTING.with(|e| e.replace(Some(expected)));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    EXPECTING.with(|e| e.set(outer));
    match result {
        Ok(value) => Ok(value),
        Err(payload) if message(&*payload).is_some_and(expected) => Err(()),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// The message of a panic payload: `panic!("literal")` carries a
/// `&'static str`, a formatted panic (tokio's) a `String`.
fn message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_panic_is_caught() {
        let caught = catch(runtime_shutting_down, || {
            panic!("A Tokio 1.x context was found, but it is being shutdown.")
        });
        assert_eq!(caught, Err(()));
        let formatted = catch(timers_disabled, || {
            let what = "timers";
            panic!("A Tokio 1.x context was found, but {what} are disabled. Call ...")
        });
        assert_eq!(formatted, Err(()));
    }

    #[test]
    fn a_normal_return_passes_through() {
        assert_eq!(catch(io_disabled, || 7), Ok(7));
    }

    #[test]
    fn any_other_panic_is_resumed() {
        let outer = std::panic::catch_unwind(|| {
            let _: Result<(), ()> = catch(runtime_shutting_down, || {
                std::panic::resume_unwind(Box::new("overflow when adding duration to instant"))
            });
        });
        let payload = outer.expect_err("the panic went through");
        assert_eq!(
            message(&*payload),
            Some("overflow when adding duration to instant")
        );
    }

    #[test]
    fn expectations_do_not_leak_out_of_catch() {
        let _ = catch(io_disabled, || ());
        assert!(EXPECTING.with(Cell::get).is_none());
    }
}
