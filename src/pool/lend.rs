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

use std::sync::atomic::Ordering;

use super::Pool;
use crate::connect::Conn;

impl Pool {
    /// Marks `conn` as held by a response handed to the caller; the
    /// response must call [`unlend`](Pool::unlend) once, when its body
    /// ends or it is dropped.
    ///
    /// Called before the request stops counting as in flight, so that
    /// `close()`, which first waits for the in-flight count to reach zero,
    /// always finds the claim. An HTTP/1.1 connection carries one response
    /// at a time, so only an HTTP/2 one needs a count of its own.
    pub(crate) fn lend(&self, conn: &Conn) {
        match conn.lent() {
            Some(count) if count.fetch_add(1, Ordering::SeqCst) != 0 => {}
            _ => {
                self.lent.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// Gives back a claim made with [`lend`](Pool::lend).
    pub(crate) fn unlend(&self, conn: &Conn) {
        match conn.lent() {
            Some(count) if count.fetch_sub(1, Ordering::SeqCst) != 1 => {}
            _ => {
                self.lent.fetch_sub(1, Ordering::SeqCst);
            }
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
        crate::counter::until(&self.conn_closed, || self.lock().open <= self.lent()).await;
    }
}
