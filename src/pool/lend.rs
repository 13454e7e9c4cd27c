//! Connections lent to responses that callers hold.
//!
//! `close()` never waits on its caller: a task that holds an unread
//! `Response` and awaits `close()` must get control back, and so must
//! `Session::scoped(|s| async move { s.get(url).send().await })`, whose
//! scope closes the session before handing the response out. So once a
//! response head has reached the caller, its connection is *lent*: it
//! leaves the pool's accounting of work to wait for, keeps serving that
//! one body, and is closed (never pooled again after a close) when the
//! body ends or the response is dropped. `close()` waits until every open
//! connection is a lent one; `close_with_timeout` waits for those too, up
//! to its deadline, then aborts them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Pool;
use crate::connect::Conn;

/// One response's claim on its connection. Dropping it gives the claim
/// back.
#[derive(Debug)]
pub(crate) struct Lent {
    pool: Arc<Pool>,
    /// The connection's own count of lent responses (several on one
    /// HTTP/2 connection).
    conn: Arc<AtomicUsize>,
}

impl Pool {
    /// Marks `conn` as held by a response handed to the caller.
    ///
    /// Called before the request stops counting as in flight, so that
    /// `close()`, which first waits for the in-flight count to reach zero,
    /// always finds the claim.
    pub(crate) fn lend(self: &Arc<Self>, conn: &Conn) -> Lent {
        let count = conn.lent().clone();
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            self.lent.fetch_add(1, Ordering::SeqCst);
        }
        Lent {
            pool: self.clone(),
            conn: count,
        }
    }

    /// Connections held by responses the caller has.
    pub(crate) fn lent(&self) -> usize {
        self.lent.load(Ordering::SeqCst)
    }

    /// Completes once every open connection is a lent one.
    ///
    /// After a close, no new claims are made and idle connections are
    /// gone, so the open count only falls towards the lent count; the wait
    /// is woken each time a connection closes.
    pub(crate) async fn only_lent_left(&self) {
        crate::counter::until(&self.all_closed, || self.lock().open <= self.lent()).await;
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if self.conn.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.pool.lent.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
