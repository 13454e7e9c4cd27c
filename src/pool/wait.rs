//! A request waiting for a connection when every place is taken.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::{Pool, Slot};
use crate::connect::Conn;
use crate::error::{Error, TimeoutKind};
use crate::runtime::Home;

/// What a waiting request is given.
#[derive(Debug)]
pub(crate) enum Grant {
    /// A connection to its origin that just finished a response.
    Conn(Conn),
    /// A free place, to open a new connection with.
    Slot(Slot),
}

/// A place in the queue. Dropping it leaves the queue.
#[derive(Debug)]
pub(crate) struct Waiting {
    pool: Arc<Pool>,
    id: u64,
    rx: oneshot::Receiver<Grant>,
}

impl Waiting {
    pub(super) fn new(pool: Arc<Pool>, id: u64, rx: oneshot::Receiver<Grant>) -> Waiting {
        Waiting { pool, id, rx }
    }

    /// Waits for a grant, at most `timeout`.
    ///
    /// # Errors
    /// `Timeout(Pool)` when the time is up; `Closed` or `Aborted` when the
    /// session closes meanwhile; `RuntimeShutdown` when home is gone.
    pub(crate) async fn wait(
        mut self,
        timeout: std::time::Duration,
        home: &Home,
    ) -> Result<Grant, Error> {
        let sleep = home.sleep(timeout);
        tokio::pin!(sleep);
        tokio::select! {
            biased;
            grant = &mut self.rx => grant.map_err(|_| self.ended()),
            fired = &mut sleep => {
                // A grant sent as the timer fired is not wasted.
                if let Ok(grant) = self.rx.try_recv() {
                    return Ok(grant);
                }
                Err(fired.err().unwrap_or(Error::Timeout(TimeoutKind::Pool)))
            }
        }
    }

    fn ended(&self) -> Error {
        if self.pool.is_aborted() {
            Error::Aborted
        } else {
            Error::Closed
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut st = self.pool.lock();
        if let Some(pos) = st.waiters.iter().position(|w| w.id == self.id) {
            st.waiters.remove(pos);
        }
    }
}
