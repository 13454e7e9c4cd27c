//! A server whose answers wait until the test lets them go, so that a test
//! can hold requests in flight (and connections busy) for as long as its
//! scenario needs.

use std::sync::Arc;

use http::StatusCode;
use tokio::sync::Semaphore;

use super::TestServer;
use super::server::text;

/// Lets held answers go, one permit per answer.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    permits: Arc<Semaphore>,
}

impl Gate {
    /// A gate that holds every answer until [`Gate::release`].
    pub(crate) fn closed() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(0)),
        }
    }

    /// Lets `n` more answers go (held ones first, then future ones).
    pub(crate) fn release(&self, n: usize) {
        self.permits.add_permits(n);
    }

    /// Waits until this answer is let go; for handlers of other servers.
    pub(crate) async fn pass(&self) {
        self.permits
            .acquire()
            .await
            .expect("the gate is never closed")
            .forget();
    }
}

/// A server that answers every request with `200 OK` and the body `done`,
/// but only once the returned [`Gate`] releases it. The request head is
/// counted before the handler waits, so `wait_requests` sees held requests.
pub(crate) fn gated_server() -> (TestServer, Gate) {
    let gate = Gate {
        permits: Arc::new(Semaphore::new(0)),
    };
    let permits = gate.permits.clone();
    let server = TestServer::new(move |_req| {
        let permits = permits.clone();
        async move {
            permits
                .acquire()
                .await
                .expect("the gate is never closed")
                .forget();
            text(StatusCode::OK, "done")
        }
    });
    (server, gate)
}
