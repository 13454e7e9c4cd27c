//! The session lifecycle: `close()` stops new requests, waits for requests
//! before their response head, closes every pooled socket, and never waits
//! for a body the caller holds; `scoped`/`with_session` close on the way
//! out, whether the closure succeeds or fails.

use std::sync::{Arc, Mutex};

use clientsession::{
    Bytes, CloseOutcome, Error, Session, SessionBuilder, StatusCode, with_session,
};
use tokio::sync::{Semaphore, mpsc};

use crate::support::{
    Observed, QUICK, TestServer, bounded, bounded_thread,
    poll::eventually,
    server::{streaming_body, text},
};

/// An error type of the test's own, to check that `scoped` passes it through.
#[derive(Debug)]
enum AppError {
    Lib(Error),
    Mine,
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Lib(e)
    }
}

/// A server whose answers wait for a permit from the returned semaphore.
fn gated_server() -> (TestServer, Arc<Semaphore>) {
    let gate = Arc::new(Semaphore::new(0));
    let g = gate.clone();
    let server = TestServer::new(move |_req| {
        let g = g.clone();
        async move {
            g.acquire().await.expect("gate open").forget();
            text(StatusCode::OK, "done")
        }
    });
    (server, gate)
}

/// Asserts that a clone that outlived its session sees `Closed`.
async fn assert_closed(session: &Session, url: &str) {
    assert!(session.is_closed());
    let result = bounded(QUICK, session.get(url).send()).await;
    assert!(matches!(result, Err(Error::Closed)), "got {result:?}");
}

/// `Session::scoped` closes the session when the closure returns `Ok`; a
/// clone that escaped sees `Closed`, and every socket is closed.
#[tokio::test]
async fn scoped_closes_session_on_ok() {
    let server = TestServer::hello();
    let url = server.url("/");
    let (escaped, body) = bounded(
        QUICK,
        Session::scoped(|s| {
            let url = url.clone();
            async move {
                let body = s.get(&url).send().await?.text().await?;
                Ok::<_, Error>((s.clone(), body))
            }
        }),
    )
    .await
    .unwrap();
    assert_eq!(body, "hello, world!");
    assert_closed(&escaped, &url).await;
    server.wait_open(0, QUICK).await;
}

/// `Session::scoped` closes the session when the closure fails, and returns
/// the closure's own error type unchanged.
#[tokio::test]
async fn scoped_closes_session_on_err() {
    let server = TestServer::hello();
    let url = server.url("/");
    let slot: Arc<Mutex<Option<Session>>> = Arc::default();
    let escape = slot.clone();
    let result = bounded(
        QUICK,
        Session::scoped(|s| {
            let url = url.clone();
            async move {
                s.get(&url).send().await?.bytes().await?;
                *escape.lock().unwrap() = Some(s);
                Err::<(), _>(AppError::Mine)
            }
        }),
    )
    .await;
    assert!(matches!(result, Err(AppError::Mine)), "got {result:?}");
    let escaped = slot.lock().unwrap().take().expect("the closure ran");
    assert_closed(&escaped, &url).await;
    server.wait_open(0, QUICK).await;
}

/// `with_session` is `Session::scoped` under another name.
#[tokio::test]
async fn with_session_closes_session() {
    let server = TestServer::hello();
    let url = server.url("/");
    let escaped = bounded(
        QUICK,
        with_session(|s| {
            let url = url.clone();
            async move {
                let status = s.get(&url).send().await?.status();
                assert_eq!(status, StatusCode::OK);
                Ok::<_, Error>(s)
            }
        }),
    )
    .await
    .unwrap();
    assert_closed(&escaped, &url).await;

    let failed = bounded(
        QUICK,
        with_session(|_s| async { Err::<(), _>(AppError::Mine) }),
    )
    .await;
    assert!(matches!(failed, Err(AppError::Mine)), "got {failed:?}");
}

/// `SessionBuilder::scoped` applies the builder's settings and closes the
/// session on `Ok` and on `Err`.
#[tokio::test]
async fn builder_scoped_closes_session_on_ok_and_err() {
    let server = TestServer::hello();
    let builder = || Session::builder().base_url(server.url("/"));
    let escaped = bounded(
        QUICK,
        builder().scoped(|s| async move {
            let body = s.get("/").send().await?.text().await?;
            assert_eq!(body, "hello, world!");
            Ok::<_, Error>(s)
        }),
    )
    .await
    .unwrap();
    assert_closed(&escaped, &server.url("/")).await;

    let slot: Arc<Mutex<Option<Session>>> = Arc::default();
    let escape = slot.clone();
    let failed = bounded(
        QUICK,
        builder().scoped(|s| async move {
            *escape.lock().unwrap() = Some(s);
            Err::<(), _>(AppError::Mine)
        }),
    )
    .await;
    assert!(matches!(failed, Err(AppError::Mine)), "got {failed:?}");
    let escaped = slot.lock().unwrap().take().expect("the closure ran");
    assert_closed(&escaped, &server.url("/")).await;
    server.wait_open(0, QUICK).await;
}

/// A builder error comes back as the `scoped` call's error, and the closure
/// never runs.
#[tokio::test]
async fn builder_scoped_reports_build_error() {
    let ran = Arc::new(Mutex::new(false));
    let flag = ran.clone();
    let builder: SessionBuilder = Session::builder().base_url("not a url");
    let result: Result<(), AppError> = builder
        .scoped(|_s| async move {
            *flag.lock().unwrap() = true;
            Ok(())
        })
        .await;
    assert!(
        matches!(result, Err(AppError::Lib(Error::InvalidUrl { .. }))),
        "got {result:?}"
    );
    assert!(
        !*ran.lock().unwrap(),
        "the closure ran despite the build error"
    );
}

/// `Session::scoped` polled outside any runtime reports `NoRuntime`.
#[test]
fn scoped_outside_runtime_is_no_runtime() {
    let result = bounded_thread(QUICK, || {
        futures::executor::block_on(Session::scoped(|_s| async { Ok::<_, Error>(()) }))
    });
    assert!(matches!(result, Err(Error::NoRuntime)), "got {result:?}");
}

/// After `close()`, new requests fail with `Closed` on every clone, and the
/// server sees every socket closed.
#[tokio::test]
async fn close_rejects_new_requests_and_closes_sockets() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    let clone = session.clone();
    assert!(!session.is_closed());
    for _ in 0..3 {
        let body = bounded(QUICK, async {
            session.get(server.url("/")).send().await?.bytes().await
        })
        .await
        .unwrap();
        assert_eq!(body, Bytes::from_static(b"hello, world!"));
    }
    assert_eq!(server.open(), 1, "one kept-alive connection before close");
    bounded(QUICK, session.close()).await;
    assert!(session.is_closed() && clone.is_closed());
    assert_closed(&clone, &server.url("/")).await;
    // close() returned once the client closed its sockets; the server only
    // needs the moment it takes to read the FIN.
    server.wait_open(0, QUICK).await;
}

/// `close()` with several open connections closes all of them before it
/// returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_closes_every_pooled_connection() {
    let (server, gate) = gated_server();
    let session = Session::new().unwrap();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let (s, url) = (session.clone(), server.url("/"));
            tokio::spawn(async move { s.get(url).send().await?.text().await })
        })
        .collect();
    // Three requests in flight at once need three connections.
    server.wait_requests(3, QUICK).await;
    gate.add_permits(3);
    for task in tasks {
        assert_eq!(bounded(QUICK, task).await.unwrap().unwrap(), "done");
    }
    assert_eq!(server.accepted(), 3);
    bounded(QUICK, session.close()).await;
    server.wait_open(0, QUICK).await;
}

/// A request in flight when `close()` starts finishes normally; `close()`
/// waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_waits_for_in_flight_request() {
    let (server, gate) = gated_server();
    let session = Session::new().unwrap();
    let (s, url) = (session.clone(), server.url("/slow"));
    let request = tokio::spawn(async move { s.get(url).send().await?.text().await });
    server.wait_requests(1, QUICK).await;

    let mut close = Box::pin(session.close());
    assert!(
        futures::poll!(&mut close).is_pending(),
        "close() did not wait"
    );
    assert!(session.is_closed(), "close() flips the state at once");
    let rejected = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert!(matches!(rejected, Err(Error::Closed)), "got {rejected:?}");
    assert!(!request.is_finished());

    gate.add_permits(1);
    let body = bounded(QUICK, request).await.unwrap().unwrap();
    assert_eq!(body, "done");
    bounded(QUICK, close).await;
    server.wait_open(0, QUICK).await;
}

/// `close()` never waits on its caller: with a response whose body is half
/// read, it returns at once; the body can still be read to the end, and
/// its connection then closes instead of going back to the pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_returns_while_the_caller_holds_an_unread_body() {
    let (senders_tx, mut senders) = mpsc::unbounded_channel();
    let server = TestServer::new(move |_req| {
        let (tx, body) = streaming_body();
        senders_tx.send(tx).expect("the test is listening");
        async move { http::Response::new(body) }
    });
    let session = Session::new().unwrap();
    let mut response = bounded(QUICK, session.get(server.url("/stream")).send())
        .await
        .unwrap();
    let feed = senders.recv().await.expect("the handler ran");
    feed.send(Bytes::from_static(b"first ")).await.unwrap();
    let first = bounded(QUICK, response.chunk()).await.unwrap();
    assert_eq!(first.as_deref(), Some(&b"first "[..]));

    bounded(QUICK, session.close()).await;
    assert!(session.is_closed());
    let stats = session.stats();
    assert_eq!((stats.open, stats.in_use), (1, 1), "{stats:?}");

    feed.send(Bytes::from_static(b"second")).await.unwrap();
    drop(feed);
    let mut rest = Vec::new();
    while let Some(chunk) = bounded(QUICK, response.chunk()).await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(rest, b"second");
    server.wait_open(0, QUICK).await;
    eventually("the pool see its socket closed", QUICK, || {
        session.stats().open == 0
    })
    .await;
}

/// A response returned out of a scope keeps its connection: the scope ends
/// (it used to wait forever for this very body), the body is read in full
/// afterwards, and then the server sees the connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_returned_out_of_a_scope_stays_readable() {
    let body = "x".repeat(100_000);
    let served = body.clone();
    let server = TestServer::new(move |_req| {
        let served = served.clone();
        async move { text(StatusCode::OK, served) }
    });
    let url = server.url("/big");
    let response = bounded(
        QUICK,
        Session::scoped(|s| async move { s.get(url).send().await }),
    )
    .await
    .unwrap();
    assert_eq!(server.open(), 1);
    let text = bounded(QUICK, response.text()).await.unwrap();
    assert_eq!(text.len(), body.len());
    assert_eq!(text, body);
    server.wait_open(0, QUICK).await;
}

/// A response dropped unread after `close()` closes its connection.
#[tokio::test]
async fn a_detached_response_dropped_unread_closes_its_connection() {
    let server = TestServer::new(|_req| async { text(StatusCode::OK, vec![b'y'; 200_000]) });
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    bounded(QUICK, session.close()).await;
    assert_eq!(session.stats().in_use, 1);
    drop(response);
    server.wait_open(0, QUICK).await;
    eventually("the pool see its socket closed", QUICK, || {
        session.stats().open == 0
    })
    .await;
}

/// `close_with_timeout` waits for bodies the caller holds, up to its
/// deadline, then cuts them off: the reader gets `Aborted`, and no socket
/// is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_with_timeout_aborts_a_held_body_at_the_deadline() {
    let (senders_tx, mut senders) = mpsc::unbounded_channel();
    let server = TestServer::new(move |_req| {
        let (tx, body) = streaming_body();
        senders_tx.send(tx).expect("the test is listening");
        async move { http::Response::new(body) }
    });
    let session = Session::new().unwrap();
    let mut response = bounded(QUICK, session.get(server.url("/stream")).send())
        .await
        .unwrap();
    let _feed = senders.recv().await.expect("the handler ran");
    let outcome = bounded(
        QUICK,
        session.close_with_timeout(std::time::Duration::from_millis(50)),
    )
    .await;
    assert_eq!(outcome, CloseOutcome::Aborted { requests: 1 });
    assert_eq!(session.stats().open, 0);
    let err = bounded(QUICK, response.chunk()).await.unwrap_err();
    assert!(matches!(err, Error::Aborted), "{err:?}");
    server.wait_open(0, QUICK).await;
}

/// `close()` is idempotent, and concurrent calls from clones all return.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_is_idempotent_and_concurrent() {
    let (server, gate) = gated_server();
    let session = Session::new().unwrap();
    let (s, url) = (session.clone(), server.url("/"));
    let request = tokio::spawn(async move { s.get(url).send().await?.text().await });
    server.wait_requests(1, QUICK).await;

    let clone = session.clone();
    let mut first = Box::pin(session.close());
    let mut second = Box::pin(clone.close());
    assert!(futures::poll!(&mut first).is_pending());
    assert!(futures::poll!(&mut second).is_pending());
    gate.add_permits(1);
    bounded(QUICK, async { tokio::join!(first, second) }).await;
    assert_eq!(bounded(QUICK, request).await.unwrap().unwrap(), "done");

    // Again, after it is done: returns at once.
    bounded(QUICK, session.close()).await;
    bounded(QUICK, clone.close()).await;
    assert!(session.is_closed() && clone.is_closed());
    server.wait_open(0, QUICK).await;
}
