//! A request that ends without a complete exchange (its total timeout, the
//! caller dropping the future or the response, an aborted task) closes its
//! connection and frees its place in the limits at once, whatever phase it
//! was in; the session stays usable and `close()` returns (#13).

use std::time::{Duration, Instant};

use clientsession::{Error, Session, TimeoutKind};

use crate::support::poll::eventually;
use crate::support::{QUICK, RawServer, TestServer, bounded};

/// Larger than the socket buffers of both ends on loopback, so that an
/// upload to a server that never reads stalls.
const STALLING_UPLOAD: usize = 8 << 20;

/// Waits until the session holds no connection at all.
async fn pool_empties(session: &Session) {
    eventually("every connection of the session to close", QUICK, || {
        let s = session.stats();
        s.open == 0 && s.in_use == 0 && s.waiting == 0
    })
    .await;
}

/// The snippet: three uploads that stall against a server that
/// never reads, under `max_connections(2)`. Each ends with its total
/// timeout; the connections are closed, another host is still reachable,
/// and both kinds of close return in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_uploads_free_their_connections() {
    let stuck = RawServer::never_reads();
    let other = TestServer::hello();
    let session = Session::builder()
        .timeout(Duration::from_millis(300))
        .max_connections(2)
        .build()
        .await
        .unwrap();
    for _ in 0..3 {
        let sent = session
            .post(stuck.url("/"))
            .body(vec![b'x'; STALLING_UPLOAD])
            .send();
        let err = bounded(QUICK, sent).await.unwrap_err();
        assert!(matches!(err, Error::Timeout(TimeoutKind::Total)), "{err:?}");
    }
    pool_empties(&session).await;
    let text = bounded(QUICK, async {
        session.get(other.url("/")).send().await?.text().await
    })
    .await
    .unwrap();
    assert_eq!(text, "hello, world!");

    let started = Instant::now();
    let outcome = bounded(
        QUICK,
        session.close_with_timeout(Duration::from_millis(200)),
    )
    .await;
    assert!(outcome.is_graceful(), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_millis(300));
    bounded(QUICK, session.close()).await;
    assert_eq!(session.stats().open, 0);
}

/// The caller drops the request future in the middle of a stalled upload
/// (no session timeout at all): the connection goes with it.
#[tokio::test]
async fn a_dropped_upload_frees_its_connection() {
    let stuck = RawServer::never_reads();
    let session = Session::builder().max_connections(1).build().await.unwrap();
    let sent = session
        .post(stuck.url("/"))
        .body(vec![b'x'; STALLING_UPLOAD])
        .send();
    let gave_up = tokio::time::timeout(Duration::from_millis(100), sent).await;
    assert!(gave_up.is_err(), "the upload cannot have finished");
    pool_empties(&session).await;
}

/// A task aborted while its request waits for a head that never comes.
#[tokio::test]
async fn an_aborted_task_frees_its_connection() {
    let silent = RawServer::silent();
    let session = Session::builder().max_connections(1).build().await.unwrap();
    let task = {
        let (session, url) = (session.clone(), silent.url("/"));
        tokio::spawn(async move { session.get(url).send().await })
    };
    eventually("the request to hold a connection", QUICK, || {
        session.stats().in_use == 1
    })
    .await;
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    pool_empties(&session).await;
}

/// A response dropped in the middle of its body closes its connection.
#[tokio::test]
async fn a_response_dropped_mid_body_frees_its_connection() {
    let server = RawServer::hang_mid_body();
    let session = Session::builder().max_connections(1).build().await.unwrap();
    let mut response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let first = bounded(QUICK, response.chunk()).await.unwrap();
    assert!(first.is_some());
    drop(response);
    pool_empties(&session).await;
}

/// A read timeout in the middle of a body closes its connection.
#[tokio::test]
async fn a_read_timeout_mid_body_frees_its_connection() {
    let server = RawServer::hang_mid_body();
    let session = Session::builder()
        .read_timeout(Duration::from_millis(100))
        .max_connections(1)
        .build()
        .await
        .unwrap();
    let err = bounded(QUICK, async {
        session.get(server.url("/")).send().await?.bytes().await
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Timeout(TimeoutKind::Read)), "{err:?}");
    pool_empties(&session).await;
}

/// Dropping the session with a stalled upload in flight elsewhere (its
/// future dropped too) leaves no connection behind.
#[tokio::test]
async fn dropping_the_session_closes_stalled_connections() {
    let stuck = RawServer::never_reads();
    let session = Session::new().unwrap();
    let watcher = session.clone();
    let sent = session
        .post(stuck.url("/"))
        .body(vec![b'x'; STALLING_UPLOAD])
        .send();
    let _ = tokio::time::timeout(Duration::from_millis(100), sent).await;
    drop(session);
    pool_empties(&watcher).await;
}

/// A server that answers 413 before reading the upload and closes: the
/// caller gets the 413 (as curl and browsers show it), not a reset error,
/// every time (before the fix, 18 of 20 such uploads failed).
#[tokio::test]
async fn an_early_final_response_wins_over_the_reset() {
    let server = RawServer::early_413();
    let session = Session::new().unwrap();
    for _ in 0..20 {
        let sent = session
            .post(server.url("/upload"))
            .body(vec![b'x'; STALLING_UPLOAD])
            .send();
        let response = bounded(QUICK, sent).await.unwrap();
        assert_eq!(response.status(), 413);
        assert_eq!(bounded(QUICK, response.text()).await.unwrap(), "too large");
    }
    pool_empties(&session).await;
}

/// A caller outside the home runtime gives up while its connect hangs (a
/// listener whose accept queue is full drops the SYN): the connect, which
/// runs in a task on the home runtime, is aborted with it and its place is
/// freed at once, not after the connect timeout.
#[tokio::test]
async fn a_dropped_connect_on_another_runtime_frees_its_place() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    // Fill the accept queue (never accepted), so that the next SYN is
    // dropped and a connect hangs.
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let home = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let session = Session::builder()
        .runtime(home.handle().clone())
        .build_sync()
        .unwrap();
    let sent = session.get(format!("http://{addr}/")).send();
    let gave_up = tokio::time::timeout(Duration::from_millis(200), sent).await;
    assert!(gave_up.is_err(), "the connect cannot have finished");
    pool_empties(&session).await;
    drop(listener);
    home.shutdown_background();
}
