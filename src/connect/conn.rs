//! A connection as requests see it: an HTTP/1.1 one used by one request at
//! a time, or an HTTP/2 one shared by concurrent requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::{TrySendError, http1, http2};

use super::kill::KillOnDrop;

use crate::body::Body;

/// One connection handle.
#[derive(Debug)]
pub(crate) struct Conn {
    sender: Sender,
    /// For HTTP/2: counts this handle as an active stream of the shared
    /// connection until dropped (when its response body ends).
    _stream: Option<StreamGuard>,
    /// For HTTP/2: how many responses handed to callers hold the shared
    /// connection (one count shared by all its handles). The pool keeps it
    /// (see `pool/lend.rs`); the connection layer only carries it. An
    /// HTTP/1.1 connection carries one response at a time and needs none.
    lent: Option<Arc<AtomicUsize>>,
    /// For HTTP/1.1, the only handle of its connection: dropping it ends
    /// the connection task at once, whatever hyper is doing (see
    /// `task.rs`). A connection that is given back to the pool moves, and
    /// is not dropped.
    kill: Option<super::kill::KillOnDrop>,
}

#[derive(Debug)]
enum Sender {
    H1(http1::SendRequest<Body>),
    H2(http2::SendRequest<Body>),
}

impl Conn {
    pub(crate) fn h1(sender: http1::SendRequest<Body>, kill: super::kill::KillOnDrop) -> Conn {
        Conn {
            sender: Sender::H1(sender),
            _stream: None,
            lent: None,
            kill: Some(kill),
        }
    }

    /// A handle to a shared HTTP/2 connection: `active` counts its streams,
    /// `lent` its responses held by callers.
    pub(crate) fn h2(
        sender: http2::SendRequest<Body>,
        active: &Arc<AtomicUsize>,
        lent: &Arc<AtomicUsize>,
    ) -> Conn {
        Conn {
            sender: Sender::H2(sender),
            _stream: Some(StreamGuard::new(active)),
            lent: Some(lent.clone()),
            kill: None,
        }
    }

    /// For HTTP/2: the handle to share, its count of active streams and
    /// its count of lent responses, to keep in the pool.
    pub(crate) fn h2_shared(&self) -> Option<H2Shared> {
        match (&self.sender, &self._stream, &self.lent) {
            (Sender::H2(sender), Some(stream), Some(lent)) => Some(H2Shared {
                sender: sender.clone(),
                active: stream.0.clone(),
                lent: lent.clone(),
            }),
            _ => None,
        }
    }

    /// For HTTP/2: the shared connection's count of responses held by
    /// callers.
    pub(crate) fn lent(&self) -> Option<&Arc<AtomicUsize>> {
        self.lent.as_ref()
    }

    /// For HTTP/2: whether `active` is the stream count of this handle's
    /// connection, that is, whether both belong to the same connection.
    pub(crate) fn shares_count(&self, active: &Arc<AtomicUsize>) -> bool {
        self._stream
            .as_ref()
            .is_some_and(|stream| Arc::ptr_eq(&stream.0, active))
    }

    pub(crate) fn is_h2(&self) -> bool {
        matches!(self.sender, Sender::H2(_))
    }

    /// Whether the connection has closed.
    pub(crate) fn is_closed(&self) -> bool {
        match &self.sender {
            Sender::H1(s) => s.is_closed(),
            Sender::H2(s) => s.is_closed(),
        }
    }

    /// Waits until the connection can take a request.
    pub(crate) async fn ready(&mut self) -> hyper::Result<()> {
        match &mut self.sender {
            Sender::H1(s) => s.ready().await,
            Sender::H2(s) => s.ready().await,
        }
    }

    /// Sends `req`; when it was not sent at all, the error gives it back.
    ///
    /// `Err(Lost)` for an HTTP/1.1 request that never reached the
    /// connection: see [`Lost`].
    pub(crate) async fn send(
        &mut self,
        req: Request<Body>,
    ) -> Result<Response<Incoming>, SendError> {
        match &mut self.sender {
            Sender::H1(s) => send_h1(s, self.kill.as_ref(), req).await,
            Sender::H2(s) => s.try_send_request(req).await.map_err(SendError::Hyper),
        }
    }
}

/// Why an attempt failed on its connection.
// Returned once per attempt beside a response head of similar size, never
// stored: boxing hyper's error would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum SendError {
    /// hyper's error, with the request when it was never sent.
    Hyper(TrySendError<Request<Body>>),
    /// The request was lost on its way into a connection that closed at
    /// that moment; it never reached the server.
    Lost,
}

/// Sends on an HTTP/1.1 connection, watching for the connection task
/// ending under a request that never reached it.
///
/// hyper queues the request in a channel that the connection task reads.
/// When the task ends (the server reset an idle connection) just as the
/// request is queued, the channel's receiver can be dropped after the
/// queue was drained and before the request landed in it; the request,
/// and the callback that would answer us, then stay in the channel until
/// the last sender, ours, is dropped, and the answer never comes (a hang
/// the reliability suite found, issue #13). hyper answers every request
/// its connection took when the connection is dropped, and the task marks
/// itself ended only after that (`kill.rs`): a request still unanswered
/// then was never taken. It is `Lost`, and safe to send again.
async fn send_h1(
    sender: &mut http1::SendRequest<Body>,
    kill: Option<&KillOnDrop>,
    req: Request<Body>,
) -> Result<Response<Incoming>, SendError> {
    use std::future::Future;
    use std::task::Poll;

    // The future does not borrow `sender` (hyper's `impl Future` captures
    // no lifetime).
    let sent = sender.try_send_request(req);
    tokio::pin!(sent);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = sent.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(SendError::Hyper));
        }
        if kill.is_some_and(|kill| kill.poll_ended(cx)) {
            return Poll::Ready(Err(SendError::Lost));
        }
        Poll::Pending
    })
    .await
}

/// What the pool keeps of a shared HTTP/2 connection.
#[derive(Debug)]
pub(crate) struct H2Shared {
    pub(crate) sender: http2::SendRequest<Body>,
    pub(crate) active: Arc<AtomicUsize>,
    pub(crate) lent: Arc<AtomicUsize>,
}

/// Counts one active stream on a shared HTTP/2 connection.
#[derive(Debug)]
struct StreamGuard(Arc<AtomicUsize>);

impl StreamGuard {
    fn new(active: &Arc<AtomicUsize>) -> StreamGuard {
        active.fetch_add(1, Ordering::Relaxed);
        StreamGuard(active.clone())
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
