//! Whether a failed attempt may be sent again, on which grounds, and how
//! often.
//!
//! An attempt that failed before its response head arrived is sent again
//! (on another connection) only when that cannot make the server act twice:
//!
//! - **Unsent.** hyper handed the request back: it never left the client
//!   (the connection closed first, or an HTTP/2 connection stopped taking
//!   streams after a GOAWAY and gave back the requests queued for it). Any
//!   method, and even a streamed body, can go again: nothing was read from it.
//! - **Unprocessed** (HTTP/2 only). The server said it never processed the
//!   stream. RFC 9113 section 6.8: a GOAWAY carries the last stream id the
//!   server "might have taken some action on"; streams above it were not
//!   processed, and "can be safely retried" on a new connection, whatever
//!   their method. h2 fails exactly those streams with the GOAWAY's error
//!   (`is_go_away() && is_remote()`), and opens no new stream once a GOAWAY
//!   arrived. Section 8.7: `RST_STREAM` with `REFUSED_STREAM` says the same
//!   of one stream. Graceful GOAWAYs (NO_ERROR) are routine: nginx sends one
//!   after `keepalive_requests` (1,000) requests and after idle; issue #13.
//! - **Stale.** A reused keep-alive connection that the server had closed:
//!   the server may have seen the request, so only idempotent methods
//!   (RFC 9110 section 9.2.2) go again.
//!
//! The bounds: one stale retry per request, since the server may have seen
//! the request; unsent and unprocessed attempts cost the server nothing
//! and are bounded only by [`MAX_ATTEMPTS`], so that a server that closes
//! every connection at once cannot keep a request looping. One replay is
//! not enough for unprocessed streams: a server that processes N streams
//! per connection, under more than N concurrent requests, can leave the
//! replay of a request unprocessed again on the next connection (with
//! N = 10 and 64 concurrent requests, one replay lost 59 to 79 of 1,280
//! requests). Every grant of a new
//! attempt is also bounded by the body: a streamed body that was polled is
//! gone, and its request fails with [`NotReplayable`].

use std::error::Error as StdError;

use http::Method;

/// The most attempts one request (one redirect hop) makes in all.
pub(super) const MAX_ATTEMPTS: u8 = 8;

/// Why an attempt failed, as far as sending it again is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// Never left the client.
    Unsent,
    /// The server said it did not process it (HTTP/2 GOAWAY or
    /// REFUSED_STREAM).
    Unprocessed,
    /// Sent on a reused connection that turned out to be closed.
    Stale,
    /// Anything else: the server may have acted on it.
    Final,
}

impl Failure {
    /// Classifies the error of one attempt. `unsent`: hyper gave the
    /// request back; `reused`: the connection served earlier requests.
    /// `h2`: it was an HTTP/2 connection.
    pub(super) fn of(
        e: &hyper::Error,
        unsent: bool,
        reused: bool,
        idempotent: bool,
        h2: bool,
    ) -> Failure {
        if unsent {
            Failure::Unsent
        } else if is_unprocessed(e) || (h2 && is_dropped_pending_open(e)) {
            Failure::Unprocessed
        } else if reused && idempotent && is_stale(e) {
            Failure::Stale
        } else {
            Failure::Final
        }
    }

    /// Whether the connection it happened on takes no new streams.
    pub(super) fn is_going_away(self) -> bool {
        matches!(self, Failure::Unsent | Failure::Unprocessed)
    }
}

/// What one request may still try. Lives on the stack of `exchange`: the
/// happy path only creates it.
#[derive(Debug)]
pub(super) struct Budget {
    attempts: u8,
    stale: bool,
}

impl Budget {
    pub(super) fn new() -> Budget {
        Budget {
            attempts: 1,
            stale: true,
        }
    }

    /// Whether an attempt was already made and failed: the next one wants
    /// a new connection rather than an idle HTTP/1.1 one.
    pub(super) fn is_retry(&self) -> bool {
        self.attempts > 1
    }

    /// Takes one more attempt for `failure`, if the bounds allow it.
    pub(super) fn take(&mut self, failure: Failure) -> bool {
        if self.attempts >= MAX_ATTEMPTS {
            return false;
        }
        let allowed = match failure {
            Failure::Unsent | Failure::Unprocessed => true,
            Failure::Stale => std::mem::take(&mut self.stale),
            Failure::Final => false,
        };
        self.attempts += u8::from(allowed);
        allowed
    }
}

/// Whether the server said it never processed the stream: an HTTP/2
/// GOAWAY whose last stream id is below it, or `RST_STREAM` with
/// `REFUSED_STREAM` (RFC 9113 sections 6.8 and 8.7).
///
/// h2 gives a stream the remote GOAWAY's error only when its id is above
/// the GOAWAY's last stream id (`Streams::recv_go_away`), or when it was
/// never opened (`send_request` after the GOAWAY). Streams at or below the
/// last id finish normally, or fail with another error (the socket closing)
/// that this does not match. A remote `GOAWAY` with an error code other
/// than NO_ERROR says the same of the streams above its last id.
///
/// One gap, in hyper 1.x's dispatcher (`proto/h2/client.rs`,
/// `ClientTask::poll`): if a GOAWAY lands between opening a stream and
/// hyper's readiness check right after it, hyper drops that stream and
/// reports the GOAWAY's error for it, whatever its id. That needs the
/// server to answer with a GOAWAY between two statements of one poll; we
/// accept it rather than lose every request above the last id.
pub(super) fn is_unprocessed(e: &hyper::Error) -> bool {
    let mut source = StdError::source(e);
    while let Some(s) = source {
        if let Some(h2) = s.downcast_ref::<h2::Error>() {
            let refused = h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM);
            return h2.is_remote() && (h2.is_go_away() || refused);
        }
        source = s.source();
    }
    false
}

/// Whether hyper dropped an HTTP/2 request that waited for the server's
/// concurrency limit (`SETTINGS_MAX_CONCURRENT_STREAMS`), never sent.
///
/// hyper's dispatcher holds that one request (`ClientTask::fut_ctx`, its
/// stream "pending open": h2 writes no frame for it) until a stream ends.
/// When a GOAWAY ends the dispatcher meanwhile, the request is dropped
/// with "dispatch task is gone" instead of being handed back. The other
/// way to that error is the runtime dropping hyper's tasks, which
/// `Inner::interrupted` reports before we get here. hyper has no predicate
/// for this kind, so its message is compared (on the error path only).
fn is_dropped_pending_open(e: &hyper::Error) -> bool {
    e.is_user() && e.to_string() == "dispatch task is gone"
}

/// Whether `e` is what a server closing a kept-alive connection looks like.
fn is_stale(e: &hyper::Error) -> bool {
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        return true;
    }
    let mut source = StdError::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            );
        }
        source = s.source();
    }
    false
}

/// RFC 9110 section 9.2.2.
pub(super) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// The cause of an `Error::Request` for a request that the server did not
/// process, but whose streamed body was already read by the failed attempt.
#[derive(Debug, thiserror::Error)]
#[error(
    "the server did not process the request (HTTP/2 GOAWAY or REFUSED_STREAM), but its streamed \
     body was already sent once and cannot be sent again: use a body held in memory to let the \
     client send it again"
)]
pub(super) struct NotReplayable {
    #[source]
    pub(super) source: hyper::Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_up_to_the_bound_and_one_stale_retry() {
        let mut budget = Budget::new();
        assert!(budget.take(Failure::Unprocessed));
        assert!(budget.take(Failure::Unprocessed));
        assert!(budget.take(Failure::Stale));
        assert!(!budget.take(Failure::Stale));
        assert!(!budget.take(Failure::Final));
    }

    #[test]
    fn unsent_attempts_stop_at_the_overall_bound() {
        let mut budget = Budget::new();
        let granted = (0..10).filter(|_| budget.take(Failure::Unsent)).count();
        assert_eq!(granted, usize::from(MAX_ATTEMPTS - 1));
        assert!(!budget.take(Failure::Unprocessed));
    }
}
