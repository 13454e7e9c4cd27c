//! `multipart/form-data` bodies (feature `multipart`), parsed on the server
//! side by a small reader written from RFC 7578 / RFC 2046, independent of
//! the encoder.

use clientsession::multipart::{Form, Part};
use clientsession::{Body, Error, Session};

use crate::support::{Observed, QUICK, TestServer, bounded};

/// One part as the server reads it: its header lines and its content.
#[derive(Debug)]
struct Received {
    headers: Vec<String>,
    content: Vec<u8>,
}

/// Splits `body` into its parts at `boundary`, checking the framing.
fn parse(body: &[u8], boundary: &str) -> Vec<Received> {
    let first = format!("--{boundary}\r\n");
    let between = format!("\r\n--{boundary}\r\n");
    let last = format!("\r\n--{boundary}--\r\n");
    let inner = body
        .strip_prefix(first.as_bytes())
        .and_then(|b| b.strip_suffix(last.as_bytes()))
        .expect("the body starts and ends with the boundary");
    split(inner, between.as_bytes())
        .into_iter()
        .map(|part| {
            let end = find(part, b"\r\n\r\n").expect("a blank line after the part headers");
            let headers = std::str::from_utf8(&part[..end])
                .expect("ASCII part headers")
                .split("\r\n")
                .map(str::to_owned)
                .collect();
            Received {
                headers,
                content: part[end + 4..].to_vec(),
            }
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut rest: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(at) = find(rest, sep) {
        out.push(&rest[..at]);
        rest = &rest[at + sep.len()..];
    }
    out.push(rest);
    out
}

/// Text fields and a file part arrive as separate parts with their names,
/// file name, type and exact bytes (including CRLF and binary content).
#[tokio::test]
async fn a_multipart_form_is_parsed_by_the_server() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let file: Vec<u8> = (0..=255u8).chain(*b"\r\n--not-a-boundary\r\n").collect();
    let form = Form::new()
        .text("title", "holiday ☀")
        .part(
            "photo",
            Part::bytes(file.clone())
                .file_name("a \"b\".jpg")
                .mime_str("image/jpeg"),
        )
        .text("title", "second");
    let response = bounded(
        QUICK,
        session
            .post(server.url("/upload"))
            .header("content-type", "text/plain")
            .multipart(form)
            .send(),
    )
    .await
    .unwrap();
    let content_types: Vec<_> = response
        .headers()
        .get_all("echo-content-type")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(content_types.len(), 1, "{content_types:?}");
    let boundary = content_types[0]
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a multipart content type with its boundary")
        .to_owned();
    let length: usize = response.headers()["echo-content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = bounded(QUICK, response.bytes()).await.unwrap();
    assert_eq!(body.len(), length);

    let parts = parse(&body, &boundary);
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert_eq!(
        parts[0].headers,
        ["Content-Disposition: form-data; name=\"title\""]
    );
    assert_eq!(parts[0].content, "holiday ☀".as_bytes());
    assert_eq!(
        parts[1].headers,
        [
            "Content-Disposition: form-data; name=\"photo\"; filename=\"a %22b%22.jpg\"",
            "Content-Type: image/jpeg",
        ]
    );
    assert_eq!(parts[1].content, file);
    assert_eq!(parts[2].content, b"second");
}

/// The boundary named in the echoed `Content-Type`.
fn boundary_of(response: &clientsession::Response) -> String {
    let content_type = response.headers()["echo-content-type"].to_str().unwrap();
    content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a multipart content type with its boundary")
        .to_owned()
}

/// A stream part of unknown length makes the form a chunked stream; the
/// server still reads every part in order.
#[tokio::test]
async fn a_stream_part_is_sent_chunked() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let chunks = futures::stream::iter(["first,", "second,", "third"].map(Ok::<_, std::io::Error>));
    let form = Form::new()
        .text("before", "a")
        .part(
            "log",
            Part::stream(Body::wrap_stream(chunks)).file_name("log.txt"),
        )
        .text("after", "b");
    let response = bounded(
        QUICK,
        session.post(server.url("/upload")).multipart(form).send(),
    )
    .await
    .unwrap();
    assert_eq!(response.headers()["echo-transfer-encoding"], "chunked");
    assert!(response.headers().get("echo-content-length").is_none());
    let boundary = boundary_of(&response);
    let body = bounded(QUICK, response.bytes()).await.unwrap();
    let parts = parse(&body, &boundary);
    let contents: Vec<&[u8]> = parts.iter().map(|p| &p.content[..]).collect();
    assert_eq!(contents, [&b"a"[..], b"first,second,third", b"b"]);
    assert_eq!(
        parts[1].headers,
        ["Content-Disposition: form-data; name=\"log\"; filename=\"log.txt\""]
    );
}

/// When every stream part has a known length, the form is sent with a
/// `Content-Length` that matches what arrives.
#[tokio::test]
async fn sized_stream_parts_give_the_form_a_content_length() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let chunks = futures::stream::iter(["0123", "456789"].map(Ok::<_, std::io::Error>));
    let form = Form::new()
        .text("n", "1")
        .part("data", Part::stream(Body::sized_stream(10, chunks)));
    let response = bounded(
        QUICK,
        session.post(server.url("/upload")).multipart(form).send(),
    )
    .await
    .unwrap();
    let length: usize = response.headers()["echo-content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let boundary = boundary_of(&response);
    let body = bounded(QUICK, response.bytes()).await.unwrap();
    assert_eq!(body.len(), length);
    let parts = parse(&body, &boundary);
    assert_eq!(parts[1].content, b"0123456789");
}

/// An empty form is just the closing delimiter.
#[tokio::test]
async fn an_empty_form_sends_only_the_closing_delimiter() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session.post(server.url("/")).multipart(Form::new()).send(),
    )
    .await
    .unwrap();
    let content_type = response.headers()["echo-content-type"].to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap()
        .to_owned();
    let body = bounded(QUICK, response.text()).await.unwrap();
    assert_eq!(body, format!("--{boundary}--\r\n"));
}

/// An invalid MIME type is `Error::InvalidBody` from `send()`; nothing is
/// sent.
#[tokio::test]
async fn an_invalid_mime_type_is_reported_by_send() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let form = Form::new().part("f", Part::bytes("x").mime_str("not a mime"));
    let err = bounded(QUICK, session.post(server.url("/")).multipart(form).send())
        .await
        .unwrap_err();
    match err {
        Error::InvalidBody { reason, .. } => assert!(reason.contains("MIME"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 0);
}
