//! Extreme user durations: `Duration::MAX` means "never" and `Duration::ZERO`
//! means "at once", for every timeout and for the idle timeout, against a
//! real loopback server, from the home runtime and from another one. Issue
//! #9: `read_timeout(Duration::MAX)` failed every request with
//! `RuntimeShutdown`, and `pool_idle_timeout(Duration::MAX)` killed the
//! reaper with an overflow panic.

use std::time::Duration;

use clientsession::{Error, Session, SessionBuilder, StatusCode, TimeoutKind};
use tokio::runtime::{Builder, Runtime};

use crate::support::gate::gated_server;
use crate::support::{Observed, QUICK, TestServer, bounded};

/// A duration setter of `SessionBuilder`.
type Setter = fn(SessionBuilder, Duration) -> SessionBuilder;

/// Every duration setter of the session, by name.
const SETTERS: [(&str, Setter); 5] = [
    ("timeout", SessionBuilder::timeout),
    ("connect_timeout", SessionBuilder::connect_timeout),
    ("read_timeout", SessionBuilder::read_timeout),
    ("pool_timeout", SessionBuilder::pool_timeout),
    ("pool_idle_timeout", SessionBuilder::pool_idle_timeout),
];

/// Two GETs in a row (the second one on the pooled connection, resetting
/// the timers of a used session), each body read in full; returns whether
/// the second one reused the connection.
async fn two_gets(session: &Session, url: &str) -> Result<bool, Error> {
    let mut reused = false;
    for _ in 0..2 {
        let response = session.get(url).send().await?;
        assert_eq!(response.status(), StatusCode::OK);
        reused = response.connection_reused();
        assert_eq!(response.text().await?, "hello, world!");
    }
    Ok(reused)
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("multi-thread runtime")
}

/// Asserts `result` is `Timeout(kind)`.
#[track_caller]
fn assert_timeout<T: std::fmt::Debug>(result: clientsession::Result<T>, kind: TimeoutKind) {
    match result {
        Err(Error::Timeout(k)) if k == kind => {}
        other => panic!("expected Timeout({kind:?}), got {other:?}"),
    }
}

/// `Duration::MAX` for any one setting means "never": requests succeed and
/// the connection is reused, on the home runtime.
#[tokio::test]
async fn max_duration_means_never_on_the_home_runtime() {
    let server = TestServer::hello();
    for (name, set) in SETTERS {
        let session = set(Session::builder(), Duration::MAX)
            .build()
            .await
            .unwrap();
        let reused = bounded(QUICK, two_gets(&session, &server.url("/")))
            .await
            .unwrap_or_else(|e| panic!("{name}(Duration::MAX): {e:?}"));
        assert!(reused, "{name}(Duration::MAX): the connection was reused");
    }
}

/// The same from another runtime, where timers take the guarded path.
#[test]
fn max_duration_means_never_from_another_runtime() {
    let server = TestServer::hello();
    let home = multi_thread();
    let other = Builder::new_current_thread().enable_all().build().unwrap();
    for (name, set) in SETTERS {
        let session = home
            .block_on(set(Session::builder(), Duration::MAX).build())
            .unwrap();
        let reused = other
            .block_on(bounded(QUICK, two_gets(&session, &server.url("/"))))
            .unwrap_or_else(|e| panic!("{name}(Duration::MAX): {e:?}"));
        assert!(reused, "{name}(Duration::MAX): the connection was reused");
    }
}

/// Every setting at `Duration::MAX` at once, plus a per-request
/// `timeout(Duration::MAX)` that lifts a session's short total timeout.
#[tokio::test]
async fn all_max_durations_together_and_per_request() {
    let server = TestServer::hello();
    let builder = SETTERS
        .iter()
        .fold(Session::builder(), |b, (_, set)| set(b, Duration::MAX));
    let session = builder.build().await.unwrap();
    assert!(
        bounded(QUICK, two_gets(&session, &server.url("/")))
            .await
            .unwrap()
    );

    let short = Session::builder()
        .timeout(Duration::from_nanos(1))
        .build()
        .await
        .unwrap();
    let response = bounded(
        QUICK,
        short.get(server.url("/")).timeout(Duration::MAX).send(),
    )
    .await
    .unwrap();
    assert_eq!(
        bounded(QUICK, response.text()).await.unwrap(),
        "hello, world!"
    );
}

/// `timeout(Duration::ZERO)`, on the session or the request, fails at once
/// with `Timeout(Total)`, before anything reaches the server.
#[tokio::test]
async fn zero_total_timeout_fails_at_once() {
    let server = TestServer::hello();
    let session = Session::builder()
        .timeout(Duration::ZERO)
        .build()
        .await
        .unwrap();
    assert_timeout(
        bounded(QUICK, session.get(server.url("/")).send()).await,
        TimeoutKind::Total,
    );
    let plain = Session::new().unwrap();
    assert_timeout(
        bounded(
            QUICK,
            plain.get(server.url("/")).timeout(Duration::ZERO).send(),
        )
        .await,
        TimeoutKind::Total,
    );
    assert_eq!(server.accepted(), 0);
}

/// `read_timeout(Duration::ZERO)` allows no wait for the server: every
/// request fails at once with `Timeout(Read)`, before it connects.
#[tokio::test]
async fn zero_read_timeout_fails_at_once() {
    let server = TestServer::hello();
    let session = Session::builder()
        .read_timeout(Duration::ZERO)
        .build()
        .await
        .unwrap();
    assert_timeout(
        bounded(QUICK, session.get(server.url("/")).send()).await,
        TimeoutKind::Read,
    );
    assert_eq!(server.accepted(), 0);
}

/// `connect_timeout(Duration::ZERO)`: a request that needs a new
/// connection fails at once with `Timeout(Connect)`, without dialing.
#[tokio::test]
async fn zero_connect_timeout_fails_at_once() {
    let server = TestServer::hello();
    let session = Session::builder()
        .connect_timeout(Duration::ZERO)
        .build()
        .await
        .unwrap();
    assert_timeout(
        bounded(QUICK, session.get(server.url("/")).send()).await,
        TimeoutKind::Connect,
    );
    assert_eq!(server.accepted(), 0);
}

/// `pool_timeout(Duration::ZERO)`: with every place taken, a request fails
/// at once with `Timeout(Pool)` instead of waiting; with a free place it is
/// not affected.
#[tokio::test]
async fn zero_pool_timeout_fails_at_once_when_the_pool_is_full() {
    let (server, gate) = gated_server();
    let session = Session::builder()
        .max_connections(1)
        .pool_timeout(Duration::ZERO)
        .build()
        .await
        .unwrap();
    let first = tokio::spawn(session.get(server.url("/first")).send());
    server.wait_requests(1, QUICK).await;
    assert_timeout(
        bounded(QUICK, session.get(server.url("/second")).send()).await,
        TimeoutKind::Pool,
    );
    assert_eq!((server.accepted(), server.requests()), (1, 1));
    gate.release(1);
    let response = bounded(QUICK, first).await.unwrap().unwrap();
    assert_eq!(bounded(QUICK, response.text()).await.unwrap(), "done");
}

/// `pool_idle_timeout(Duration::ZERO)`: no connection is kept idle, so each
/// request opens its own, and each is closed once its response ends.
#[tokio::test]
async fn zero_idle_timeout_reuses_no_connection() {
    let server = TestServer::hello();
    let session = Session::builder()
        .pool_idle_timeout(Duration::ZERO)
        .build()
        .await
        .unwrap();
    for i in 1..=2 {
        let response = bounded(QUICK, session.get(server.url("/")).send())
            .await
            .unwrap();
        assert!(!response.connection_reused(), "request {i}");
        assert_eq!(
            bounded(QUICK, response.text()).await.unwrap(),
            "hello, world!"
        );
        server.wait_closed(i, QUICK).await;
    }
    assert_eq!(server.accepted(), 2);
}
