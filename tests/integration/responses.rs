//! What a response exposes and how its body is read: status, headers, final
//! URL, version, `error_for_status`, `bytes`/`text`/`chunk`, and the
//! `max_response_body` limit.

use clientsession::{
    Bytes, DEFAULT_MAX_RESPONSE_BODY, Error, Response, Session, StatusCode, Version,
};

use crate::support::{
    QUICK, RawServer, TestServer, bounded,
    raw::Framing,
    server::{streaming_body, text},
};

/// A server answering `GET /<code>` with that status and body "status".
fn status_server() -> TestServer {
    TestServer::new(|req| async move {
        let code: u16 = req.uri().path()[1..].parse().unwrap_or(200);
        text(StatusCode::from_u16(code).unwrap(), "status")
    })
}

/// A session whose `bytes()`/`text()` limit is `limit` bytes.
async fn limited(limit: u64) -> Session {
    Session::builder()
        .max_response_body(limit)
        .build()
        .await
        .unwrap()
}

/// Reads the whole body with `chunk()`.
async fn drain(response: &mut Response) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        all.extend_from_slice(&chunk);
    }
    all
}

/// Status, headers, final URL, version and Content-Length are exposed as the
/// server sent them.
#[tokio::test]
async fn response_exposes_head_and_final_url() {
    let server = TestServer::new(|_req| async {
        let mut response = text(StatusCode::CREATED, "created");
        response
            .headers_mut()
            .insert("x-resource", "r-1".parse().unwrap());
        response
    });
    let session = Session::new().unwrap();
    let url = server.url("/items?kind=a");
    let response = bounded(QUICK, session.post(&url).body("x").send())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-resource"], "r-1");
    assert_eq!(response.url().as_str(), url);
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.content_length(), Some(7));
    assert_eq!(bounded(QUICK, response.text()).await.unwrap(), "created");
}

/// `error_for_status` turns 4xx and 5xx into `Error::Status` naming the
/// status and URL, and passes other statuses through.
#[tokio::test]
async fn error_for_status_reports_status_and_url() {
    let server = status_server();
    let session = Session::new().unwrap();
    for code in [400u16, 404, 500, 503] {
        let url = server.url(&format!("/{code}"));
        let response = bounded(QUICK, session.get(&url).send()).await.unwrap();
        assert_eq!(response.status().as_u16(), code);
        let err = response.error_for_status().expect_err("an error status");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(code));
        match &err {
            Error::Status {
                status, url: at, ..
            } => {
                assert_eq!(status.as_u16(), code);
                assert_eq!(at.as_str(), url);
            }
            other => panic!("expected Status, got {other:?}"),
        }
        assert!(err.to_string().contains(&code.to_string()), "{err}");
    }
    for code in [200u16, 204, 302] {
        let response = bounded(QUICK, session.get(server.url(&format!("/{code}"))).send())
            .await
            .unwrap();
        let passed = response.error_for_status().expect("not an error status");
        assert_eq!(passed.status().as_u16(), code);
    }
}

/// `bytes()`, `text()` and `chunk()` each read the whole body.
#[tokio::test]
async fn body_readers_read_the_whole_body() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    let url = server.url("/");
    let bytes = bounded(QUICK, async {
        session.get(&url).send().await?.bytes().await
    })
    .await
    .unwrap();
    assert_eq!(bytes, Bytes::from_static(b"hello, world!"));
    let text = bounded(QUICK, async {
        session.get(&url).send().await?.text().await
    })
    .await
    .unwrap();
    assert_eq!(text, "hello, world!");
    let mut response = bounded(QUICK, session.get(&url).send()).await.unwrap();
    assert_eq!(bounded(QUICK, drain(&mut response)).await, b"hello, world!");
    let after_end = bounded(QUICK, response.chunk()).await.unwrap();
    assert!(
        after_end.is_none(),
        "chunk() after the end gave {after_end:?}"
    );
}

/// `chunk()` yields a streamed (chunked) body piece by piece as it arrives.
#[tokio::test]
async fn chunk_streams_body_as_it_arrives() {
    let (feeds_tx, mut feeds) = tokio::sync::mpsc::unbounded_channel();
    let server = TestServer::new(move |_req| {
        let (tx, body) = streaming_body();
        feeds_tx.send(tx).unwrap();
        async move { http::Response::new(body) }
    });
    let session = Session::new().unwrap();
    let mut response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(response.content_length(), None);
    let feed = feeds.recv().await.unwrap();
    for piece in ["one", "two", "three"] {
        feed.send(Bytes::from(piece)).await.unwrap();
        let chunk = bounded(QUICK, response.chunk()).await.unwrap();
        assert_eq!(chunk.as_deref(), Some(piece.as_bytes()));
    }
    drop(feed);
    assert!(bounded(QUICK, response.chunk()).await.unwrap().is_none());
}

/// `text()` decodes UTF-8.
#[tokio::test]
async fn text_decodes_utf8() {
    const GREETING: &str = "grüße, 世界 ✓";
    let server = TestServer::new(|_req| async {
        let mut response = text(StatusCode::OK, GREETING);
        response
            .headers_mut()
            .insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
        response
    });
    let session = Session::new().unwrap();
    let body = bounded(QUICK, async {
        session.get(server.url("/")).send().await?.text().await
    })
    .await
    .unwrap();
    assert_eq!(body, GREETING);
}

/// A Content-Length over the limit is rejected by `bytes()` before any of
/// the body is read: the server never sends the body, and it does not hang.
#[tokio::test]
async fn content_length_over_limit_is_body_too_large_before_reading() {
    let server = RawServer::hang_mid_body(); // Content-Length: 100, sends 10
    let session = limited(50).await;
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(100));
    let result = bounded(QUICK, response.bytes()).await;
    assert!(
        matches!(result, Err(Error::BodyTooLarge { limit: 50 })),
        "got {result:?}"
    );
}

/// The default limit is `DEFAULT_MAX_RESPONSE_BODY` (10 MiB).
#[tokio::test]
async fn default_limit_is_ten_mib() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BODY, 10 * 1024 * 1024);
    let server = RawServer::new(|mut conn| async move {
        if conn.read_request().await.is_some() {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                DEFAULT_MAX_RESPONSE_BODY + 1
            );
            let _ = conn.write(head.as_bytes()).await;
            conn.hold().await;
        }
    });
    let session = Session::new().unwrap();
    let result = bounded(QUICK, async {
        session.get(server.url("/")).send().await?.text().await
    })
    .await;
    assert!(
        matches!(result, Err(Error::BodyTooLarge { limit }) if limit == DEFAULT_MAX_RESPONSE_BODY),
        "got {result:?}"
    );
}

/// Bodies without Content-Length (chunked, close-delimited) are cut off at
/// the limit with `BodyTooLarge`.
#[tokio::test]
async fn unsized_body_over_limit_is_body_too_large() {
    for framing in [Framing::Chunked, Framing::CloseDelimited] {
        let server = RawServer::unsized_body(5000, framing);
        let session = limited(1000).await;
        let response = bounded(QUICK, session.get(server.url("/")).send())
            .await
            .unwrap();
        assert_eq!(response.content_length(), None, "{framing:?}");
        let result = bounded(QUICK, response.bytes()).await;
        assert!(
            matches!(result, Err(Error::BodyTooLarge { limit: 1000 })),
            "{framing:?}: got {result:?}"
        );
    }
}

/// A body of exactly the limit is accepted, with or without Content-Length.
#[tokio::test]
async fn body_at_the_limit_is_accepted() {
    let sized = TestServer::hello();
    let session = limited(13).await;
    let body = bounded(QUICK, async {
        session.get(sized.url("/")).send().await?.text().await
    })
    .await
    .unwrap();
    assert_eq!(body, "hello, world!");

    let no_length = RawServer::unsized_body(1000, Framing::Chunked);
    let session = limited(1000).await;
    let body = bounded(QUICK, async {
        session.get(no_length.url("/")).send().await?.bytes().await
    })
    .await
    .unwrap();
    assert_eq!(body.len(), 1000);
}

/// `chunk()` is not subject to `max_response_body`: it streams bodies of
/// any size, with or without Content-Length.
#[tokio::test]
async fn chunk_streams_past_the_limit() {
    let session = limited(100).await;
    let chunked = RawServer::unsized_body(5000, Framing::Chunked);
    let mut response = bounded(QUICK, session.get(chunked.url("/")).send())
        .await
        .unwrap();
    assert_eq!(bounded(QUICK, drain(&mut response)).await.len(), 5000);

    let sized = TestServer::new(|_req| async { text(StatusCode::OK, vec![b'y'; 5000]) });
    let mut response = bounded(QUICK, session.get(sized.url("/")).send())
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(5000));
    assert_eq!(bounded(QUICK, drain(&mut response)).await, vec![b'y'; 5000]);
}
