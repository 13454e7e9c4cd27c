//! The blocking client (feature `blocking`): where its calls run and where
//! they are refused (`contexts.rs`), reading bodies (`body.rs`), and here
//! its errors and lifecycle.
//!
//! Every blocking call is bounded by the session's total timeout, or runs
//! on a thread bounded by `bounded_thread`: a blocked `spawn_blocking`
//! thread would otherwise keep the test's runtime from shutting down.

mod body;
mod contexts;

use std::time::Duration;

use clientsession::{Error, blocking};

use crate::support::{Observed as _, QUICK, RawServer, SLOW, TestServer, bounded_thread};

/// A blocking session whose every request ends within `SLOW`.
pub(crate) fn session() -> blocking::Session {
    blocking::Session::builder()
        .timeout(SLOW)
        .build()
        .expect("a blocking session")
}

/// `blocking::Session` is a cheap, shareable handle; its builders and
/// responses can move between threads.
#[test]
fn types_are_clone_send_sync() {
    fn shared<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send + 'static>() {}
    shared::<blocking::Session>();
    sendable::<blocking::SessionBuilder>();
    sendable::<blocking::RequestBuilder>();
    sendable::<blocking::Response>();
}

/// A server that never answers: the request's own timeout ends the wait
/// with `Error::Timeout`, about when it should.
#[test]
fn timeout_ends_a_request_to_a_silent_server() {
    let server = RawServer::silent();
    let url = server.url("/");
    let (err, took) = bounded_thread(SLOW, move || {
        let started = std::time::Instant::now();
        let err = session()
            .get(url)
            .timeout(Duration::from_millis(200))
            .send()
            .unwrap_err();
        (err, started.elapsed())
    });
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.is_timeout());
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < SLOW, "{took:?}");
}

/// A URL that cannot be parsed is `Error::InvalidUrl`, and nothing is
/// sent.
#[test]
fn bad_url_is_invalid_url() {
    let err = bounded_thread(QUICK, || session().get("http://[::1").send().unwrap_err());
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err:?}");
    let err = bounded_thread(QUICK, || session().get("/relative").send().unwrap_err());
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err:?}");
}

/// After `close()`, every clone refuses new requests with `Error::Closed`
/// without reaching the server, and the pool's sockets are closed.
#[test]
fn request_after_close_is_closed() {
    let server = TestServer::hello();
    let url = server.url("/");
    let (err, stats) = bounded_thread(SLOW, move || {
        let session = session();
        let clone = session.clone();
        let body = session.get(&url).send().unwrap().text().unwrap();
        assert_eq!(body, "hello, world!");
        session.close().unwrap();
        assert!(clone.is_closed());
        (clone.get(&url).send().unwrap_err(), clone.stats())
    });
    assert!(matches!(err, Error::Closed), "{err:?}");
    assert_eq!(stats.open, 0, "{stats:?}");
    assert_eq!(server.requests(), 1);
    server
        .counters()
        .wait_until_blocking("the pooled connection closed", QUICK, |s| s.closed == 1);
}

/// A request built with the session's defaults, a header and a body
/// reaches the server intact; the response's getters describe it.
#[test]
fn post_with_header_and_body() {
    let server = TestServer::echo();
    let url = server.url("/notes?x=1");
    let response = bounded_thread(QUICK, move || {
        let session = blocking::Session::builder()
            .default_header("x-default", "d")
            .timeout(SLOW)
            .build()
            .unwrap();
        session
            .post(url)
            .header("x-one", "1")
            .body("remember the milk")
            .send()
            .unwrap()
    });
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_11);
    assert_eq!(response.url().path(), "/notes");
    assert_eq!(response.content_length(), Some(17));
    assert!(!response.connection_reused());
    let headers = response.headers();
    assert_eq!(headers["x-method"], "POST");
    assert_eq!(headers["x-uri"], "/notes?x=1");
    assert_eq!(headers["echo-x-one"], "1");
    assert_eq!(headers["echo-x-default"], "d");
    let body = bounded_thread(QUICK, move || response.text().unwrap());
    assert_eq!(body, "remember the milk");
}

/// `error_for_status` turns a 404 into `Error::Status`, as the async one.
#[test]
fn error_for_status_names_the_status() {
    let server = TestServer::new(|_req| async {
        crate::support::server::text(http::StatusCode::NOT_FOUND, "nope")
    });
    let url = server.url("/missing");
    let err = bounded_thread(QUICK, move || {
        session()
            .get(url)
            .send()
            .unwrap()
            .error_for_status()
            .unwrap_err()
    });
    assert_eq!(err.status(), Some(http::StatusCode::NOT_FOUND), "{err:?}");
}
