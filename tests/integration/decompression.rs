//! Response decompression: gzip, deflate, brotli and zstd bodies decoded by
//! `Content-Encoding`, the `Accept-Encoding` sent for them, a request's own
//! `Accept-Encoding` turning decoding off, and the limit of `bytes()`
//! counting decoded bytes (the decompression bomb).

use std::io::Write as _;

use clientsession::{Error, Session, StatusCode};
use http::Response;
use http_body_util::Full;

use crate::support::{Observed as _, QUICK, TestServer, bounded, server::echo_response};

/// The text every compressed response carries.
fn plain() -> String {
    (0..2000)
        .map(|i| format!("line {i}: the quick brown fox\n"))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// HTTP's `deflate`: the zlib format.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        enc.write_all(data).unwrap();
    }
    out
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

/// `body` with the given `Content-Encoding`.
fn encoded(encoding: &str, body: Vec<u8>) -> Response<Full<clientsession::Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    response
        .headers_mut()
        .insert("content-encoding", encoding.parse().unwrap());
    response
}

/// A server answering `/<coding>` with `plain()` compressed that way (and
/// `/garbage` with a body that claims to be gzip but is not).
fn compressing_server() -> TestServer {
    TestServer::new(|req| async move {
        let plain = plain();
        match req.uri().path() {
            "/gzip" => encoded("gzip", gzip(plain.as_bytes())),
            "/deflate" => encoded("deflate", deflate(plain.as_bytes())),
            "/br" => encoded("br", brotli(plain.as_bytes())),
            "/zstd" => encoded("zstd", zstd(plain.as_bytes())),
            "/garbage" => encoded("gzip", b"this is not gzip at all".to_vec()),
            _ => encoded("identity", plain.into_bytes()),
        }
    })
}

/// Each of gzip, deflate, br and zstd is decoded; the decoded response has
/// neither `Content-Encoding` nor `Content-Length`, and its connection goes
/// back to the pool.
#[tokio::test]
async fn every_coding_is_decoded() {
    let server = compressing_server();
    let session = Session::new().unwrap();
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let response = bounded(QUICK, session.get(server.url(&format!("/{coding}"))).send())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert!(
            !headers.contains_key("content-encoding"),
            "{coding}: {headers:?}"
        );
        assert!(
            !headers.contains_key("content-length"),
            "{coding}: {headers:?}"
        );
        assert_eq!(response.content_length(), None, "{coding}");
        let text = bounded(QUICK, response.text()).await.unwrap();
        assert!(text == plain(), "{coding}: the decoded body differs");
    }
    // Every body was read to its end, so one connection served them all.
    assert_eq!(server.accepted(), 1);
}

/// `chunk()` hands out decoded pieces too.
#[tokio::test]
async fn chunk_yields_decoded_pieces() {
    let server = compressing_server();
    let session = Session::new().unwrap();
    let mut response = bounded(QUICK, session.get(server.url("/br")).send())
        .await
        .unwrap();
    let mut all = Vec::new();
    while let Some(piece) = bounded(QUICK, response.chunk()).await.unwrap() {
        all.extend_from_slice(&piece);
    }
    assert!(all == plain().as_bytes());
}

/// A session sends an `Accept-Encoding` that lists every enabled coding.
#[tokio::test]
async fn accept_encoding_is_sent_by_default() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(
        response.headers()["echo-accept-encoding"],
        "gzip, deflate, br, zstd"
    );
}

/// A request that sets its own `Accept-Encoding` gets the body as sent,
/// with its `Content-Encoding` and `Content-Length`.
#[tokio::test]
async fn own_accept_encoding_turns_decoding_off() {
    let server = TestServer::new(|req| async move {
        let mut response = encoded("gzip", gzip(plain().as_bytes()));
        let echoed = echo_response(req);
        if let Some(sent) = echoed.headers().get("echo-accept-encoding") {
            response.headers_mut().insert("x-sent", sent.clone());
        }
        response
    });
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .header("accept-encoding", "gzip")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.headers()["x-sent"], "gzip");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = gzip(plain().as_bytes());
    assert_eq!(response.content_length(), Some(compressed.len() as u64));
    let body = bounded(QUICK, response.bytes()).await.unwrap();
    assert!(body == compressed, "the body was changed");
}

/// A small gzip body that inflates to 100 MB of zeros ends in
/// `BodyTooLarge` at a 1 MiB limit, fast, without inflating it all.
#[tokio::test]
async fn decompression_bomb_hits_the_body_limit() {
    // 100 gzip members of 1 MB of zeros each: one valid gzip body (RFC 1952
    // allows a series of members) of about 100 KB that decodes to 100 MB.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; 1_000_000]).unwrap();
    let member = enc.finish().unwrap();
    let bomb: Vec<u8> = member.repeat(100);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let server = TestServer::new(move |_req| {
        let bomb = bomb.clone();
        async move { encoded("gzip", bomb) }
    });
    let session = Session::builder()
        .max_response_body(1024 * 1024)
        .build()
        .await
        .unwrap();
    let response = bounded(QUICK, session.get(server.url("/bomb")).send())
        .await
        .unwrap();
    let err = bounded(QUICK, response.bytes()).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1_048_576 }),
        "{err:?}"
    );

    // Read piece by piece, the decoded pieces are small: the decoder never
    // inflates much more than it hands out.
    let mut response = bounded(QUICK, session.get(server.url("/bomb")).send())
        .await
        .unwrap();
    let (mut total, mut largest) = (0u64, 0usize);
    while total < 8 * 1024 * 1024 {
        let piece = bounded(QUICK, response.chunk()).await.unwrap().unwrap();
        assert!(piece.iter().all(|&b| b == 0));
        total += piece.len() as u64;
        largest = largest.max(piece.len());
    }
    assert!(largest <= 128 * 1024, "a decoded piece of {largest} bytes");
}

/// A body that is not valid data of its `Content-Encoding` gives
/// `Error::Decompress`, naming the coding.
#[tokio::test]
async fn corrupt_body_is_a_decompress_error() {
    let server = compressing_server();
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/garbage")).send())
        .await
        .unwrap();
    let err = bounded(QUICK, response.bytes()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decompress {
                encoding: "gzip",
                ..
            }
        ),
        "{err:?}"
    );
}

/// A `HEAD` answer that announces gzip has no body to decode: no error,
/// and its headers are left as the server sent them.
#[tokio::test]
async fn head_response_is_left_alone() {
    let server = compressing_server();
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.head(server.url("/gzip")).send())
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert!(bounded(QUICK, response.bytes()).await.unwrap().is_empty());
}
