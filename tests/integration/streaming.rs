//! Streaming both ways: request bodies from a `Stream` and from an
//! `AsyncRead` (a file) sent chunked, and `Response::bytes_stream` /
//! `chunk` downloads that stay in constant memory.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clientsession::{Body, Bytes, Error, Session, StatusCode};
use futures::StreamExt;
use http::Response;
use http_body::Frame;
use http_body_util::StreamBody;
use sha2::{Digest, Sha256};

use crate::support::{Observed as _, QUICK, SLOW, TestServer, bounded};

/// The size of the download in `download_streams_in_constant_memory` (and
/// in the blocking client's `Read` test, which shares this server).
pub(crate) const DOWNLOAD: u64 = 50 * 1024 * 1024;
/// The size of each piece the download server writes.
const PIECE: usize = 1024 * 1024;

/// A stream of `n` pieces "0,", "1,", ... with a pause between two, so the
/// body is not in one piece by the time hyper polls it.
fn counting(n: usize) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    futures::stream::iter(0..n).then(|i| async move {
        tokio::task::yield_now().await;
        Ok(Bytes::from(format!("{i},")))
    })
}

fn expected_counting(n: usize) -> String {
    (0..n).map(|i| format!("{i},")).collect()
}

/// A body made with `Body::wrap_stream` reaches the server intact, sent
/// with chunked transfer encoding and no Content-Length.
#[tokio::test]
async fn stream_body_is_sent_chunked_and_intact() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session
            .post(server.url("/upload"))
            .body(Body::wrap_stream(counting(1000)))
            .send(),
    )
    .await
    .unwrap();
    let headers = response.headers().clone();
    assert_eq!(headers["echo-transfer-encoding"], "chunked");
    assert!(!headers.contains_key("echo-content-length"), "{headers:?}");
    let body = bounded(QUICK, response.text()).await.unwrap();
    assert_eq!(body, expected_counting(1000));
}

/// `Body::sized_stream` sends the announced Content-Length instead of
/// chunked encoding.
#[tokio::test]
async fn sized_stream_is_sent_with_content_length() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let expected = expected_counting(10);
    let response = bounded(
        QUICK,
        session
            .put(server.url("/upload"))
            .body(Body::sized_stream(expected.len() as u64, counting(10)))
            .send(),
    )
    .await
    .unwrap();
    let headers = response.headers().clone();
    assert_eq!(headers["echo-content-length"], expected.len().to_string());
    assert!(
        !headers.contains_key("echo-transfer-encoding"),
        "{headers:?}"
    );
    assert_eq!(bounded(QUICK, response.text()).await.unwrap(), expected);
}

/// A `tokio::fs::File` sent with `Body::from_reader` reaches the server
/// byte for byte, chunked.
#[tokio::test]
async fn file_body_is_sent_chunked_and_intact() {
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    let path = std::env::temp_dir().join(format!(
        "clientsession-upload-{}-{:?}.bin",
        std::process::id(),
        std::thread::current().id()
    ));
    tokio::fs::write(&path, &content).await.unwrap();
    let file = tokio::fs::File::open(&path).await.unwrap();

    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let result = bounded(
        SLOW,
        session
            .post(server.url("/file"))
            .body(Body::from_reader(file))
            .send(),
    )
    .await;
    let _ = tokio::fs::remove_file(&path).await;
    let response = result.unwrap();
    assert_eq!(response.headers()["echo-transfer-encoding"], "chunked");
    assert!(!response.headers().contains_key("echo-content-length"));
    let body = bounded(SLOW, response.bytes()).await.unwrap();
    assert_eq!(body.len(), content.len());
    assert!(body == content, "the echoed file differs");
}

/// An error from the body stream fails the request with `Error::Request`,
/// whose source chain holds the stream's error.
#[tokio::test]
async fn stream_error_fails_the_request() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let failing = futures::stream::iter([
        Ok(Bytes::from_static(b"first piece")),
        Err(std::io::Error::other("the disk went away")),
    ]);
    let err = bounded(
        QUICK,
        session
            .post(server.url("/upload"))
            .body(Body::wrap_stream(failing))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Request { .. }), "{err:?}");
    let mut chain = Vec::new();
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    assert!(
        chain.iter().any(|m| m.contains("the disk went away")),
        "{chain:?}"
    );
    assert_eq!(server.bodies_received(), 0, "no complete body arrived");
}

/// `bytes_stream()` yields the whole body, in order.
#[tokio::test]
async fn bytes_stream_yields_the_whole_body() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let pieces: Vec<_> = bounded(QUICK, response.bytes_stream().collect()).await;
    let body: Vec<u8> = pieces
        .into_iter()
        .flat_map(|piece| piece.unwrap().to_vec())
        .collect();
    assert_eq!(body, b"hello, world!");
}

/// Piece `i` of the download: a fixed pseudo-random megabyte, stamped with
/// `i` so that pieces differ and a reordering would show in the digest.
fn piece(base: &[u8], i: u64) -> Bytes {
    let mut piece = base.to_vec();
    piece[..8].copy_from_slice(&i.to_le_bytes());
    Bytes::from(piece)
}

fn base_piece() -> Vec<u8> {
    // xorshift64: deterministic and cheap, even in debug builds.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut base = Vec::with_capacity(PIECE);
    while base.len() < PIECE {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        base.extend_from_slice(&state.to_le_bytes());
    }
    base
}

/// A server that sends `DOWNLOAD` bytes of `piece`s, counting in `produced`
/// how many it has handed to hyper so far.
pub(crate) fn download_server(produced: Arc<AtomicU64>) -> TestServer {
    let base: Arc<[u8]> = base_piece().into();
    TestServer::new(move |_req| {
        let (base, produced) = (base.clone(), produced.clone());
        async move {
            let pieces = futures::stream::iter(0..DOWNLOAD / PIECE as u64).map(move |i| {
                produced.fetch_add(PIECE as u64, Ordering::SeqCst);
                Ok::<_, Infallible>(Frame::data(piece(&base, i)))
            });
            let mut response = Response::new(StreamBody::new(pieces));
            response
                .headers_mut()
                .insert("content-length", DOWNLOAD.into());
            response
        }
    })
}

/// The client never holds much more than one piece: what the server has
/// produced minus what the client has read is bounded by the socket and
/// hyper buffers, far below the body's size.
pub(crate) const MAX_IN_FLIGHT: u64 = 16 * 1024 * 1024;

/// A 50 MiB download read with `chunk()` arrives whole (its SHA-256
/// matches) while the client buffers only a bounded amount: the server can
/// run only so far ahead of the reader.
#[tokio::test]
async fn download_streams_in_constant_memory_with_chunk() {
    let produced = Arc::new(AtomicU64::new(0));
    let server = download_server(produced.clone());
    let session = Session::new().unwrap();
    let mut response = bounded(QUICK, session.get(server.url("/big")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(DOWNLOAD));
    let read = async {
        let (mut hasher, mut received) = (Sha256::new(), 0u64);
        while let Some(chunk) = response.chunk().await.unwrap() {
            received += chunk.len() as u64;
            let ahead = produced.load(Ordering::SeqCst).saturating_sub(received);
            assert!(ahead <= MAX_IN_FLIGHT, "the client buffered {ahead} bytes");
            hasher.update(&chunk);
        }
        (hasher.finalize(), received)
    };
    let (digest, received) = bounded(Duration::from_secs(30), read).await;
    assert_eq!(received, DOWNLOAD);
    assert_eq!(digest, expected_digest());
}

/// The same download through `bytes_stream()`.
#[tokio::test]
async fn download_streams_in_constant_memory_with_bytes_stream() {
    let produced = Arc::new(AtomicU64::new(0));
    let server = download_server(produced.clone());
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/big")).send())
        .await
        .unwrap();
    let read =
        response
            .bytes_stream()
            .fold((Sha256::new(), 0u64), |(mut hasher, received), chunk| {
                let chunk = chunk.unwrap();
                let received = received + chunk.len() as u64;
                let ahead = produced.load(Ordering::SeqCst).saturating_sub(received);
                assert!(ahead <= MAX_IN_FLIGHT, "the client buffered {ahead} bytes");
                hasher.update(&chunk);
                async move { (hasher, received) }
            });
    let (hasher, received) = bounded(Duration::from_secs(30), read).await;
    assert_eq!(received, DOWNLOAD);
    assert_eq!(hasher.finalize(), expected_digest());
}

/// The SHA-256 of the download, computed from the same generator.
pub(crate) fn expected_digest() -> sha2::digest::Output<Sha256> {
    let base = base_piece();
    let mut hasher = Sha256::new();
    for i in 0..DOWNLOAD / PIECE as u64 {
        hasher.update(piece(&base, i));
    }
    hasher.finalize()
}
