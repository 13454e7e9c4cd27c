//! Reading bodies with the blocking client: `Read` in constant memory,
//! `copy_to`, `BufRead`, a `Read` followed by `bytes()`, and JSON.

use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clientsession::{Error, blocking};
use sha2::{Digest, Sha256};

use super::session;
use crate::streaming::{DOWNLOAD, MAX_IN_FLIGHT, download_server, expected_digest};
use crate::support::{QUICK, SLOW, TestServer, bounded_thread};

/// A 50 MiB download read through `std::io::Read` with a 64 KiB buffer
/// arrives whole (its SHA-256 matches) while the client holds only a
/// bounded amount: the server never runs far ahead of the reader.
#[test]
fn download_through_read_streams_in_constant_memory() {
    let produced = Arc::new(AtomicU64::new(0));
    let server = download_server(produced.clone());
    let url = server.url("/big");
    let (digest, received) = bounded_thread(Duration::from_secs(60), move || {
        let session = blocking::Session::builder()
            .timeout(Duration::from_secs(50))
            .build()
            .unwrap();
        let mut response = session.get(url).send().unwrap();
        assert_eq!(response.content_length(), Some(DOWNLOAD));
        let (mut hasher, mut received) = (Sha256::new(), 0u64);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = response.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            received += n as u64;
            let ahead = produced.load(Ordering::SeqCst).saturating_sub(received);
            assert!(ahead <= MAX_IN_FLIGHT, "the client buffered {ahead} bytes");
            hasher.update(&buf[..n]);
        }
        (hasher.finalize(), received)
    });
    assert_eq!(received, DOWNLOAD);
    assert_eq!(digest, expected_digest());
}

/// A body of many pieces, as the echo server sends back a large upload.
fn large_body() -> Vec<u8> {
    (0..3 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect()
}

/// `copy_to` writes the whole body to the writer and returns its length.
#[test]
fn copy_to_writes_the_whole_body() {
    let server = TestServer::echo();
    let url = server.url("/");
    let sent = large_body();
    let expected = sent.clone();
    let (written, out) = bounded_thread(SLOW, move || {
        let mut response = session().post(url).body(sent).send().unwrap();
        let mut out = Vec::new();
        (response.copy_to(&mut out).unwrap(), out)
    });
    assert_eq!(written, expected.len() as u64);
    assert!(out == expected, "the copied body differs");
}

/// A writer that fails makes `copy_to` fail with `Error::Write`, whose
/// source is the writer's error.
#[test]
fn copy_to_reports_a_failing_writer() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "disk full",
            ))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let server = TestServer::hello();
    let url = server.url("/");
    let err = bounded_thread(QUICK, move || {
        session()
            .get(url)
            .send()
            .unwrap()
            .copy_to(&mut Full)
            .unwrap_err()
    });
    assert!(matches!(err, Error::Write { .. }), "{err:?}");
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.to_string().contains("disk full"), "{source}");
}

/// `BufRead::lines` reads a body line by line, without a `BufReader`.
#[test]
fn lines_through_buf_read() {
    let server = TestServer::echo();
    let url = server.url("/");
    let lines = bounded_thread(QUICK, move || {
        let response = session().post(url).body("one\ntwo\nthree").send().unwrap();
        response.lines().collect::<Result<Vec<_>, _>>().unwrap()
    });
    assert_eq!(lines, ["one", "two", "three"]);
}

/// Bytes taken with `Read` are not lost to a later `bytes()`, and the
/// body limit still counts them.
#[test]
fn read_then_bytes_keeps_every_byte() {
    let server = TestServer::echo();
    let url = server.url("/");
    let sent = large_body();
    let expected = sent.clone();
    let (head, rest) = bounded_thread(SLOW, move || {
        let mut response = session().post(&url).body(sent.clone()).send().unwrap();
        let mut head = [0u8; 5];
        response.read_exact(&mut head).unwrap();
        let rest = response.bytes().unwrap();

        let limited = blocking::Session::builder()
            .max_response_body(sent.len() as u64 - 1)
            .timeout(SLOW)
            .build()
            .unwrap();
        let mut response = limited.post(&url).body(sent).send().unwrap();
        response.read_exact(&mut [0u8; 5]).unwrap();
        let err = response.bytes().unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
        (head, rest)
    });
    assert_eq!(head, expected[..5]);
    assert_eq!(rest.len(), expected.len() - 5);
    assert!(rest[..] == expected[5..], "the rest differs");
}

/// `chunk()` hands out the body piece by piece, then `None`.
#[test]
fn chunk_reads_to_the_end() {
    let server = TestServer::hello();
    let url = server.url("/");
    let body = bounded_thread(QUICK, move || {
        let mut response = session().get(url).send().unwrap();
        let mut body = Vec::new();
        while let Some(piece) = response.chunk().unwrap() {
            body.extend_from_slice(&piece);
        }
        body
    });
    assert_eq!(body, b"hello, world!");
}

/// JSON both ways: `json()` on the request, `json()` on the response, and
/// a body that is not JSON is `Error::Decode`.
#[cfg(feature = "json")]
#[test]
fn json_both_ways() {
    use std::collections::HashMap;

    let server = TestServer::echo();
    let url = server.url("/");
    let (echoed, err) = bounded_thread(QUICK, move || {
        let session = session();
        let sent = HashMap::from([("name", "ada"), ("role", "admin")]);
        let echoed: HashMap<String, String> = session
            .post(&url)
            .json(&sent)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let err = session
            .post(&url)
            .body("not json")
            .send()
            .unwrap()
            .json::<HashMap<String, String>>()
            .unwrap_err();
        (echoed, err)
    });
    assert_eq!(echoed["name"], "ada");
    assert_eq!(echoed["role"], "admin");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}
