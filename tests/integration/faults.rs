//! Servers that lie or hang up: each case ends in a typed error, never a
//! hang, and nothing that may have reached the server is sent twice.

use clientsession::{Error, Session};

use crate::support::{Observed, QUICK, RawServer, bounded};

/// A stale keep-alive connection (the server closes it on the second
/// request) is retried once on a fresh connection for GET.
#[tokio::test]
async fn stale_keep_alive_get_is_retried_on_fresh_connection() {
    let server = RawServer::stale_keep_alive();
    let session = Session::new().unwrap();
    for i in 1..=2 {
        let body = bounded(QUICK, async {
            session.get(server.url("/")).send().await?.text().await
        })
        .await
        .unwrap_or_else(|e| panic!("GET {i}: {e:?}"));
        assert_eq!(body, "ok", "GET {i}");
    }
    // GET 1 and 2 on the first connection (2 was dropped), 2 again on a
    // fresh one.
    assert_eq!(server.requests(), 3);
    assert_eq!(server.accepted(), 2);
}

/// A POST that hit a stale keep-alive connection fails instead of being
/// sent again: the server saw each POST body exactly once.
#[tokio::test]
async fn stale_keep_alive_post_is_not_resent() {
    let server = RawServer::stale_keep_alive();
    let session = Session::new().unwrap();
    let first = bounded(QUICK, async {
        session
            .post(server.url("/orders"))
            .body("order 1")
            .send()
            .await?
            .text()
            .await
    })
    .await
    .unwrap();
    assert_eq!(first, "ok");

    let second = bounded(
        QUICK,
        session.post(server.url("/orders")).body("order 2").send(),
    )
    .await;
    match second {
        Err(Error::Request { .. }) => {}
        other => panic!("expected Error::Request, got {other:?}"),
    }
    assert_eq!(server.bodies_received(), 2, "a POST body was sent twice");
    assert_eq!(
        server.accepted(),
        1,
        "the POST was retried on a new connection"
    );
}

/// A body shorter than its Content-Length, then a close, is a `Body`
/// error, not a hang and not a short success.
#[tokio::test]
async fn body_shorter_than_content_length_is_body_error() {
    let server = RawServer::short_body();
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(100));
    let result = bounded(QUICK, response.bytes()).await;
    assert!(matches!(result, Err(Error::Body { .. })), "got {result:?}");
}

/// The same truncated body read with `chunk()` gives the data that arrived
/// and then a `Body` error.
#[tokio::test]
async fn truncated_body_read_with_chunk_ends_in_body_error() {
    let server = RawServer::short_body();
    let session = Session::new().unwrap();
    let mut response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let mut received = Vec::new();
    let err = loop {
        match bounded(QUICK, response.chunk()).await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => panic!("a truncated body ended cleanly after {received:?}"),
            Err(err) => break err,
        }
    };
    assert!(matches!(err, Error::Body { .. }), "got {err:?}");
    assert_eq!(received, b"0123456789");
}

/// A server that reads the request and closes without answering gives a
/// `Request` error; a POST is sent once.
#[tokio::test]
async fn close_before_response_is_request_error() {
    let server = RawServer::close_before_response();
    let session = Session::new().unwrap();
    let post = bounded(QUICK, session.post(server.url("/")).body("once").send()).await;
    assert!(
        matches!(post, Err(Error::Request { .. })),
        "POST: got {post:?}"
    );
    assert_eq!(server.bodies_received(), 1);

    let get = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert!(
        matches!(get, Err(Error::Request { .. })),
        "GET: got {get:?}"
    );
    // At most one retry, and only for the idempotent GET.
    assert!(server.requests() <= 3, "{} requests", server.requests());
}

/// A response that is not HTTP is a `Request` error.
#[tokio::test]
async fn garbage_response_is_request_error() {
    let server = RawServer::new(|mut conn| async move {
        if conn.read_request().await.is_some() {
            let _ = conn.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
        }
    });
    let session = Session::new().unwrap();
    let result = bounded(QUICK, session.get(server.url("/")).send()).await;
    assert!(
        matches!(result, Err(Error::Request { .. })),
        "got {result:?}"
    );
}
