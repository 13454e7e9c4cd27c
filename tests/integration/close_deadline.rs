//! `Session::close_with_timeout`: graceful when the work ends in time;
//! otherwise the requests still in flight (unread bodies included) are
//! aborted with `Error::Aborted`, and every socket is closed.

use std::time::{Duration, Instant};

use clientsession::{CloseOutcome, Error, Session};

use crate::support::gate::gated_server;
use crate::support::poll::eventually;
use crate::support::raw::RawConn;
use crate::support::{Observed, QUICK, RawServer, TestServer, bounded};

const DEADLINE: Duration = Duration::from_millis(200);
/// How much later than the deadline an aborted caller may hear of it.
const SLACK: Duration = Duration::from_millis(100);

/// A request blocked on a server that never answers is aborted by
/// `close_with_timeout`: its caller gets `Aborted` within the deadline plus
/// 100 ms, the outcome counts it, and the server sees the socket closed.
#[tokio::test]
async fn close_with_timeout_aborts_request_on_silent_server() {
    let server = RawServer::silent();
    let session = Session::builder().build().await.unwrap();
    let request = tokio::spawn({
        let (session, url) = (session.clone(), server.url("/never"));
        async move {
            let result = session.get(&url).send().await;
            (result, Instant::now())
        }
    });
    server.wait_requests(1, QUICK).await;

    let started = Instant::now();
    let outcome = bounded(QUICK, session.close_with_timeout(DEADLINE)).await;
    let (result, failed_at) = bounded(QUICK, request).await.unwrap();
    assert!(matches!(result, Err(Error::Aborted)), "got {result:?}");
    let took = failed_at.duration_since(started);
    assert!(took <= DEADLINE + SLACK, "aborted after {took:?}");
    assert_eq!(outcome, CloseOutcome::Aborted { requests: 1 });
    assert!(!outcome.is_graceful());
    server.wait_closed(1, QUICK).await;
    assert_eq!(server.open(), 0);
    let stats = session.stats();
    assert_eq!(
        (stats.open, stats.in_use, stats.waiting),
        (0, 0, 0),
        "{stats:?}"
    );
}

/// With nothing in flight, `close_with_timeout` is graceful and closes the
/// idle connection.
#[tokio::test]
async fn close_with_timeout_is_graceful_with_nothing_in_flight() {
    let server = TestServer::hello();
    let session = Session::builder().build().await.unwrap();
    let resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    bounded(QUICK, resp.text()).await.unwrap();
    assert_eq!(server.open(), 1);

    let outcome = bounded(QUICK, session.close_with_timeout(DEADLINE)).await;
    assert_eq!(outcome, CloseOutcome::Graceful);
    assert!(outcome.is_graceful());
    server.wait_open(0, QUICK).await;
    assert!(session.is_closed());

    // A session that never sent anything closes gracefully too.
    let fresh = Session::builder().build().await.unwrap();
    let outcome = bounded(QUICK, fresh.close_with_timeout(DEADLINE)).await;
    assert_eq!(outcome, CloseOutcome::Graceful);
}

/// A request that the server answers before the deadline finishes
/// normally, and the close is graceful.
#[tokio::test]
async fn close_with_timeout_waits_for_request_that_ends_in_time() {
    let (server, gate) = gated_server();
    let session = Session::builder().build().await.unwrap();
    let request = tokio::spawn({
        let (session, url) = (session.clone(), server.url("/"));
        async move { session.get(&url).send().await?.text().await }
    });
    server.wait_requests(1, QUICK).await;

    let (outcome, ()) = bounded(QUICK, async {
        tokio::join!(session.close_with_timeout(Duration::from_secs(5)), async {
            gate.release(1)
        })
    })
    .await;
    assert_eq!(outcome, CloseOutcome::Graceful);
    let body = bounded(QUICK, request).await.unwrap();
    assert_eq!(body.unwrap(), "done");
    server.wait_open(0, QUICK).await;
}

/// Reads one request, then answers with a head announcing 100 bytes and
/// sends no body, holding the connection open.
async fn head_only(mut conn: RawConn) {
    if conn.read_request().await.is_some() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        if conn.write(head).await.is_ok() {
            conn.hold().await;
        }
    }
}

/// A response whose body is not read yet counts as in flight: the deadline
/// aborts it, and `chunk()` then fails with `Aborted`.
#[tokio::test]
async fn close_with_timeout_aborts_unread_response_body() {
    let server = RawServer::new(head_only);
    let session = Session::builder().build().await.unwrap();
    let mut resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(resp.content_length(), Some(100));

    let outcome = bounded(QUICK, session.close_with_timeout(DEADLINE)).await;
    assert_eq!(outcome, CloseOutcome::Aborted { requests: 1 });
    let chunk = bounded(QUICK, resp.chunk()).await;
    assert!(matches!(chunk, Err(Error::Aborted)), "got {chunk:?}");
    server.wait_closed(1, QUICK).await;
}

/// Same with part of the body already sent: whatever was buffered may come
/// out first, but the body then ends with `Aborted`, not a hang or a
/// generic body error.
#[tokio::test]
async fn close_with_timeout_aborts_partly_read_body() {
    let server = RawServer::hang_mid_body();
    let session = Session::builder().build().await.unwrap();
    let mut resp = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let first = bounded(QUICK, resp.chunk()).await.unwrap();
    assert_eq!(first.as_deref(), Some(&b"0123456789"[..]));

    let outcome = bounded(QUICK, session.close_with_timeout(DEADLINE)).await;
    assert_eq!(outcome, CloseOutcome::Aborted { requests: 1 });
    let end = bounded(QUICK, async {
        loop {
            match resp.chunk().await {
                Ok(Some(_)) => continue,
                other => break other,
            }
        }
    })
    .await;
    assert!(matches!(end, Err(Error::Aborted)), "got {end:?}");
    server.wait_closed(1, QUICK).await;
}

/// A request still waiting for a place in the connection limits when the
/// deadline passes is aborted too, and counted in the outcome.
#[tokio::test]
async fn close_with_timeout_aborts_requests_waiting_for_the_pool() {
    let server = RawServer::silent();
    let session = Session::builder().max_connections(1).build().await.unwrap();
    let send = |path: &str| {
        let (session, url) = (session.clone(), server.url(path));
        tokio::spawn(async move { session.get(&url).send().await })
    };
    let in_flight = send("/in-flight");
    server.wait_requests(1, QUICK).await;
    let queued = send("/queued");
    eventually("one request waiting", QUICK, || {
        session.stats().waiting == 1
    })
    .await;

    let outcome = bounded(QUICK, session.close_with_timeout(DEADLINE)).await;
    assert_eq!(outcome, CloseOutcome::Aborted { requests: 2 });
    for task in [in_flight, queued] {
        let result = bounded(QUICK, task).await.unwrap();
        assert!(matches!(result, Err(Error::Aborted)), "got {result:?}");
    }
    assert_eq!((server.accepted(), server.requests()), (1, 1));
    server.wait_open(0, QUICK).await;
}
