//! The task that drives one connection on the home runtime.

use std::future::Future;

use super::kill::{KillSwitch, Killable};
use crate::pool::Slot;
use crate::runtime::Home;

/// Spawns `conn` (hyper's connection future) on the home runtime. It runs
/// until the connection closes, its kill switch fires (its last handle was
/// dropped: nobody will use it again; see `kill.rs`), or the session is
/// closed with a deadline that passed (`Pool::abort`); `slot` is freed when
/// it ends.
///
/// The task is watched (`Home::spawn_watched`): when the runtime drops it
/// at shutdown, the home is marked dead before `conn` drops hyper's channels
/// and wakes the callers, who then see `RuntimeShutdown` rather than
/// "dispatch task is gone". The socket is closed with `conn`, and only then
/// is its slot freed.
pub(super) fn spawn<F>(home: &Home, slot: Slot, peer: String, conn: F, kill: Option<KillSwitch>)
where
    F: Future<Output = hyper::Result<()>> + Send + 'static,
{
    let drive = async move {
        // Declared first, so dropped last: after hyper's connection, on
        // every path (see `kill.rs` and `conn.rs`'s `send_h1`).
        let _ended = kill.as_ref().map(KillSwitch::end_guard);
        let conn = Killable::new(conn, kill);
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
    home.spawn_watched(async move {
        if let Err(e) = drive.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
}
