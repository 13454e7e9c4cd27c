//! Waiting for a condition that has no notification of its own, such as a
//! value of the client's `stats()` snapshot.

use std::panic::Location;
use std::time::Duration;

/// How often [`eventually`] checks its condition.
const EVERY: Duration = Duration::from_millis(1);

/// Waits until `check` returns true, checking it every millisecond, at most
/// `limit`; panics with `what` if it never does. The sleep between checks
/// only paces the polling: the test waits for the condition, not for time.
#[track_caller]
pub(crate) fn eventually(
    what: &'static str,
    limit: Duration,
    mut check: impl FnMut() -> bool,
) -> impl Future<Output = ()> {
    let at = Location::caller();
    async move {
        let waiting = async {
            while !check() {
                tokio::time::sleep(EVERY).await;
            }
        };
        if tokio::time::timeout(limit, waiting).await.is_err() {
            panic!("hung: waited {limit:?} at {at} for {what}");
        }
    }
}
