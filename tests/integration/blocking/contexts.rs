//! Where the blocking client may block, and where it refuses to: one test
//! per context of the table in the `blocking` module docs, and dropping
//! inside async code.

use std::io::Read;

use clientsession::{Error, blocking};

use super::session;
use crate::support::{Observed as _, QUICK, RawServer, SLOW, TestServer, bounded, bounded_thread};

/// GETs `url` and reads the body as text.
fn fetch(session: &blocking::Session, url: &str) -> Result<String, Error> {
    let response = session.get(url).send()?;
    assert_eq!(response.status(), 200);
    response.text()
}

/// On a plain `std::thread`, outside any runtime, a GET works.
#[test]
fn works_on_a_plain_thread() {
    let server = TestServer::hello();
    let url = server.url("/");
    let body = bounded_thread(QUICK, move || fetch(&session(), &url)).unwrap();
    assert_eq!(body, "hello, world!");
}

/// Inside `tokio::task::spawn_blocking` a GET works.
#[tokio::test]
async fn works_in_spawn_blocking() {
    let server = TestServer::hello();
    let (session, url) = (session(), server.url("/"));
    let body = bounded(
        SLOW,
        tokio::task::spawn_blocking(move || fetch(&session, &url)),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(body, "hello, world!");
}

/// Inside `tokio::task::block_in_place` on a multi-thread runtime, from a
/// spawned task, a GET works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_in_block_in_place() {
    let server = TestServer::hello();
    let (session, url) = (session(), server.url("/"));
    let task = tokio::spawn(async move {
        assert!(tokio::runtime::worker_index().is_some(), "on a worker");
        tokio::task::block_in_place(|| fetch(&session, &url))
    });
    let body = bounded(SLOW, task).await.unwrap().unwrap();
    assert_eq!(body, "hello, world!");
}

/// The documented gap: the body of a multi-thread runtime's `block_on`
/// (a default `#[tokio::main]`) is not a worker, and a blocking call there
/// works (it blocks only that future).
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn works_in_the_body_of_a_multi_thread_block_on() {
    let server = TestServer::hello();
    assert!(tokio::runtime::worker_index().is_none());
    // Bounded by the session's timeout: a plain call, not a future.
    let body = fetch(&session(), &server.url("/")).unwrap();
    assert_eq!(body, "hello, world!");
}

/// Asserts that every waiting call of the blocking client is refused with
/// `BlockingInAsync` here, without sending anything, and that body readers
/// of responses obtained elsewhere (`responses`) are refused too.
fn assert_refused_here(session: &blocking::Session, url: &str, responses: Vec<blocking::Response>) {
    let err = session.get(url).send().unwrap_err();
    assert!(matches!(err, Error::BlockingInAsync), "{err:?}");
    assert!(matches!(session.close(), Err(Error::BlockingInAsync)));
    assert!(!session.is_closed(), "a refused close() changes nothing");

    let mut responses = responses.into_iter();
    let mut next = || responses.next().expect("enough responses");
    let err = next().bytes().unwrap_err();
    assert!(matches!(err, Error::BlockingInAsync), "{err:?}");
    let err = next().text().unwrap_err();
    assert!(matches!(err, Error::BlockingInAsync), "{err:?}");
    let err = next().copy_to(&mut Vec::new()).unwrap_err();
    assert!(matches!(err, Error::BlockingInAsync), "{err:?}");
    let err = next().read(&mut [0; 16]).unwrap_err();
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(matches!(inner, Some(Error::BlockingInAsync)), "{err:?}");
}

/// Four responses from `url`, sent from a plain thread, bodies unread.
fn responses_from_a_thread(session: &blocking::Session, url: &str) -> Vec<blocking::Response> {
    let (session, url) = (session.clone(), url.to_owned());
    bounded_thread(QUICK, move || {
        (0..4).map(|_| session.get(&url).send().unwrap()).collect()
    })
}

/// Inside an async task on a current-thread runtime (the body of a
/// `#[tokio::test]`), `send()`, `close()` and the body readers return
/// `BlockingInAsync` instead of stalling the runtime.
#[tokio::test]
async fn refused_in_an_async_task_on_a_current_thread_runtime() {
    let server = TestServer::hello();
    let (session, url) = (session(), server.url("/"));
    let responses = responses_from_a_thread(&session, &url);
    assert_eq!(server.requests(), 4);
    assert_refused_here(&session, &url, responses);
    assert_eq!(server.requests(), 4, "the refused request was not sent");
}

/// The same inside a task on a worker of a multi-thread runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_in_an_async_task_on_a_multi_thread_runtime() {
    let server = TestServer::hello();
    let (session, url) = (session(), server.url("/"));
    let responses = responses_from_a_thread(&session, &url);
    let task = tokio::spawn(async move {
        assert_refused_here(&session, &url, responses);
    });
    bounded(QUICK, task).await.unwrap();
    assert_eq!(server.requests(), 4, "the refused request was not sent");
}

/// Dropping, inside a task on a runtime's worker, a response whose body
/// the server never finishes and a session with a pooled connection
/// neither panics nor blocks, and closes both connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_inside_async_code_neither_panics_nor_blocks() {
    let hanging = RawServer::hang_mid_body();
    let hello = TestServer::hello();
    let session = session();
    let (s, hanging_url, hello_url) = (session.clone(), hanging.url("/"), hello.url("/"));
    let response = bounded_thread(QUICK, move || {
        assert_eq!(fetch(&s, &hello_url).unwrap(), "hello, world!");
        s.get(hanging_url).send().unwrap()
    });
    assert_eq!(session.stats().idle, 1, "the hello connection is pooled");
    // On a worker, so that a blocking drop would still let the bound
    // below fire on the test's own thread.
    let dropper = tokio::spawn(async move {
        drop(response);
        drop(session);
    });
    bounded(QUICK, dropper).await.unwrap();
    hanging.wait_closed(1, QUICK).await;
    hello.wait_closed(1, QUICK).await;
}

/// The same on a current-thread runtime, in the test's body: a blocking
/// drop would hang the test, so finishing at all is the assertion, and
/// the server then sees the connection closed.
#[tokio::test]
async fn dropping_on_a_current_thread_runtime_returns() {
    let hanging = RawServer::hang_mid_body();
    let session = session();
    let (s, url) = (session.clone(), hanging.url("/"));
    let response = bounded_thread(QUICK, move || s.get(url).send().unwrap());
    drop(response);
    drop(session);
    hanging.wait_closed(1, QUICK).await;
}
