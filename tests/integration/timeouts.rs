//! Total, read and connect timeouts, and the per-request override. Every
//! case is bounded, so a timeout that never fires fails instead of hanging.

use std::time::{Duration, Instant};

use clientsession::{Error, Session, StatusCode, TimeoutKind};

use crate::support::{QUICK, RawServer, TestServer, bounded, raw::FullBacklog, server::text};

const SHORT: Duration = Duration::from_millis(300);

/// Asserts `result` is `Timeout(kind)` and that `is_timeout()` agrees.
#[track_caller]
fn assert_timeout<T: std::fmt::Debug>(result: clientsession::Result<T>, kind: TimeoutKind) {
    match result {
        Err(err @ Error::Timeout(k)) if k == kind => assert!(err.is_timeout(), "{err:?}"),
        other => panic!("expected Timeout({kind:?}), got {other:?}"),
    }
}

/// A server that never answers hits the session's total timeout.
#[tokio::test]
async fn total_timeout_fires_when_server_never_answers() {
    let server = RawServer::silent();
    let session = Session::builder().timeout(SHORT).build().await.unwrap();
    let started = Instant::now();
    let result = bounded(QUICK, session.get(server.url("/")).send()).await;
    let took = started.elapsed();
    assert_timeout(result, TimeoutKind::Total);
    assert!(
        took >= SHORT - Duration::from_millis(20),
        "fired early: {took:?}"
    );
}

/// A per-request timeout replaces the session's: shorter fires first.
#[tokio::test]
async fn request_timeout_shorter_than_session_timeout_wins() {
    let server = RawServer::silent();
    let session = Session::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .await
        .unwrap();
    let result = bounded(QUICK, session.get(server.url("/")).timeout(SHORT).send()).await;
    assert_timeout(result, TimeoutKind::Total);
}

/// A per-request timeout replaces the session's: longer lets a slow answer
/// through.
#[tokio::test]
async fn request_timeout_longer_than_session_timeout_wins() {
    // The delay is the scenario (a slow server), not synchronisation.
    let server = TestServer::new(|_req| async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        text(StatusCode::OK, "slow")
    });
    let session = Session::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .await
        .unwrap();
    let url = server.url("/");
    assert_timeout(
        bounded(QUICK, session.get(&url).send()).await,
        TimeoutKind::Total,
    );
    let body = bounded(QUICK, async {
        session
            .get(&url)
            .timeout(Duration::from_secs(3))
            .send()
            .await?
            .text()
            .await
    })
    .await
    .unwrap();
    assert_eq!(body, "slow");
}

/// The total timeout covers the body: a server that stops mid-body makes
/// `bytes()` fail with `Timeout(Total)` instead of hanging.
#[tokio::test]
async fn total_timeout_covers_body_read() {
    let server = RawServer::hang_mid_body();
    let session = Session::builder().timeout(SHORT).build().await.unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_timeout(bounded(QUICK, response.bytes()).await, TimeoutKind::Total);
}

/// A body that drips slower than the read timeout fails with
/// `Timeout(Read)`.
#[tokio::test]
async fn read_timeout_fires_between_slow_chunks() {
    let server = RawServer::drip(50, Duration::from_millis(400));
    let session = Session::builder()
        .read_timeout(Duration::from_millis(100))
        .build()
        .await
        .unwrap();
    let result = bounded(QUICK, async {
        session.get(server.url("/")).send().await?.bytes().await
    })
    .await;
    assert_timeout(result, TimeoutKind::Read);
}

/// The read timeout also bounds the wait for the response head.
#[tokio::test]
async fn read_timeout_fires_waiting_for_response_head() {
    let server = RawServer::silent();
    let session = Session::builder()
        .read_timeout(Duration::from_millis(200))
        .build()
        .await
        .unwrap();
    let result = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert_timeout(result, TimeoutKind::Read);
}

/// The read timeout limits each gap, not the whole body: a drip faster than
/// the read timeout succeeds even though it takes longer in total.
#[tokio::test]
async fn read_timeout_allows_steady_slow_body() {
    let server = RawServer::drip(10, Duration::from_millis(50));
    let session = Session::builder()
        .read_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap();
    let started = Instant::now();
    let body = bounded(QUICK, async {
        session.get(server.url("/")).send().await?.bytes().await
    })
    .await
    .unwrap();
    assert_eq!(&body[..], b"xxxxxxxxxx");
    assert!(started.elapsed() > Duration::from_millis(300));
}

/// A connect that never completes hits the connect timeout. The peer is a
/// loopback listener whose accept queue is full, so the kernel drops the SYN.
#[tokio::test]
async fn connect_timeout_fires_when_connect_hangs() {
    let Some(peer) = FullBacklog::new() else {
        // Some kernels answer a full queue with a reset; then a hanging
        // connect cannot be made on loopback, and the refused case below
        // (`refused_connection_is_connect_error`) is all we can check.
        eprintln!("skipped: connects to a full backlog do not hang here");
        return;
    };
    let session = Session::builder()
        .connect_timeout(SHORT)
        .build()
        .await
        .unwrap();
    let result = bounded(QUICK, session.get(peer.url("/")).send()).await;
    assert_timeout(result, TimeoutKind::Connect);
}

/// A refused connection is a connect error (`is_connect()`), not a timeout.
#[tokio::test]
async fn refused_connection_is_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // Closed again: nothing listens on `port` now.
    let session = Session::new().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let result = bounded(QUICK, session.get(&url).send()).await;
    match result {
        Err(err) => {
            assert!(err.is_connect(), "expected a connect error, got {err:?}");
            assert!(!err.is_timeout(), "{err:?}");
            assert!(matches!(err, Error::Connect { .. }), "{err:?}");
        }
        Ok(response) => panic!("connected to a closed port: {response:?}"),
    }
}
