//! What requests look like on the wire: methods, headers, default headers,
//! bodies, base-URL joining, connection reuse, and bad input reported as
//! typed errors that name the input.

use clientsession::{Bytes, Error, Method, Response, Session, StatusCode};

use crate::support::{Observed, QUICK, TestServer, bounded};

/// The single value of the echoed request header `name`.
fn echoed(response: &Response, name: &str) -> String {
    let key = format!("echo-{name}");
    let mut values = response.headers().get_all(key.as_str()).iter();
    let value = values
        .next()
        .unwrap_or_else(|| panic!("the server did not receive {name}"));
    assert!(values.next().is_none(), "{name} was sent more than once");
    value.to_str().unwrap().to_string()
}

fn header(response: &Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_string()
}

/// Every verb helper, and `request()`, sends its own method.
#[tokio::test]
async fn verbs_send_their_method() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let url = server.url("/verb");
    let cases = [
        (session.get(&url), "GET"),
        (session.post(&url), "POST"),
        (session.put(&url), "PUT"),
        (session.patch(&url), "PATCH"),
        (session.delete(&url), "DELETE"),
        (session.head(&url), "HEAD"),
        (session.request(Method::OPTIONS, &url), "OPTIONS"),
    ];
    for (builder, method) in cases {
        let response = bounded(QUICK, builder.send()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-method"), method);
        bounded(QUICK, response.bytes()).await.unwrap();
    }
    assert_eq!(server.requests(), 7);
}

/// `header()` adds a request header.
#[tokio::test]
async fn request_header_is_sent() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .header("x-request-id", "abc-123")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(echoed(&response, "x-request-id"), "abc-123");
}

/// A body from `Bytes`, `Vec<u8>`, `String` and `&'static str` arrives
/// intact, with its Content-Length.
#[tokio::test]
async fn bodies_of_every_type_are_sent() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let url = server.url("/upload");
    let cases = [
        (
            session.post(&url).body(Bytes::from_static(b"from bytes")),
            "from bytes",
        ),
        (session.put(&url).body(b"from vec".to_vec()), "from vec"),
        (
            session.post(&url).body(String::from("from string")),
            "from string",
        ),
        (session.put(&url).body("from str"), "from str"),
    ];
    for (builder, expected) in cases {
        let response = bounded(QUICK, builder.send()).await.unwrap();
        assert_eq!(
            echoed(&response, "content-length"),
            expected.len().to_string()
        );
        let body = bounded(QUICK, response.text()).await.unwrap();
        assert_eq!(body, expected);
    }
    assert_eq!(server.bodies_received(), 4);
}

/// Relative request URLs are appended to the base URL's path, with or
/// without a leading slash, keeping the query; absolute URLs are used as is.
#[tokio::test]
async fn base_url_joins_relative_urls() {
    let server = TestServer::echo();
    let session = Session::builder()
        .base_url(server.url("/v1"))
        .build()
        .await
        .unwrap();
    let cases = [
        ("/users", "/v1/users"),
        ("users", "/v1/users"),
        ("/users?id=7&sort=asc", "/v1/users?id=7&sort=asc"),
        ("users/42?full=1", "/v1/users/42?full=1"),
    ];
    for (relative, expected) in cases {
        let response = bounded(QUICK, session.get(relative).send()).await.unwrap();
        assert_eq!(header(&response, "x-uri"), expected, "for {relative:?}");
        assert_eq!(
            response.url().as_str(),
            server.url(expected),
            "for {relative:?}"
        );
    }
    let absolute = bounded(QUICK, session.get(server.url("/other")).send())
        .await
        .unwrap();
    assert_eq!(header(&absolute, "x-uri"), "/other");
}

/// Default headers go on every request; a request header of the same name
/// replaces the default instead of being added next to it.
#[tokio::test]
async fn default_header_is_sent_and_replaced_by_request_header() {
    let server = TestServer::echo();
    let session = Session::builder()
        .default_header("x-team", "core")
        .default_header("x-env", "test")
        .build()
        .await
        .unwrap();
    let plain = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(echoed(&plain, "x-team"), "core");
    assert_eq!(echoed(&plain, "x-env"), "test");

    let overridden = bounded(
        QUICK,
        session.get(server.url("/")).header("x-team", "edge").send(),
    )
    .await
    .unwrap();
    assert_eq!(echoed(&overridden, "x-team"), "edge");
    assert_eq!(echoed(&overridden, "x-env"), "test");
}

/// Requests carry `User-Agent: clientsession/<version>` unless the caller
/// sets their own.
#[tokio::test]
async fn default_user_agent_is_sent_and_replaceable() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let expected = format!("clientsession/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(echoed(&response, "user-agent"), expected);

    let custom = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .header("user-agent", "my-app/2")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(echoed(&custom, "user-agent"), "my-app/2");
}

/// Sequential requests whose bodies are read reuse one keep-alive
/// connection.
#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    for i in 0..20 {
        let body = bounded(QUICK, async {
            session.get(server.url("/")).send().await?.text().await
        })
        .await
        .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(body, "hello, world!");
    }
    assert_eq!(server.requests(), 20);
    assert_eq!(server.accepted(), 1, "keep-alive connection not reused");
}

/// Bad request URLs are `InvalidUrl` errors that name the URL; nothing
/// reaches the server.
#[tokio::test]
async fn bad_request_urls_are_invalid_url() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    let mut cases = vec![
        "/users",               // relative, and there is no base URL
        "ftp://127.0.0.1/file", // unsupported scheme
        "http://[::1",          // malformed
    ];
    if cfg!(not(feature = "rustls")) {
        cases.push("https://127.0.0.1/secure"); // no TLS in this build
    }
    for bad in cases {
        let result = bounded(QUICK, session.get(bad).send()).await;
        match result {
            Err(Error::InvalidUrl {
                ref url,
                ref reason,
            }) => {
                assert_eq!(url, bad);
                assert!(!reason.is_empty());
                let message = result.as_ref().unwrap_err().to_string();
                assert!(
                    message.contains(bad),
                    "message {message:?} does not name {bad}"
                );
            }
            other => panic!("{bad}: expected InvalidUrl, got {other:?}"),
        }
    }
    assert_eq!(server.requests(), 0);
}

/// A header name with a space is `InvalidHeader` naming it, reported by
/// `send()`; nothing is sent.
#[tokio::test]
async fn invalid_header_name_is_invalid_header() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    let result = bounded(
        QUICK,
        session.get(server.url("/")).header("bad name", "v").send(),
    )
    .await;
    match result {
        Err(Error::InvalidHeader { name, .. }) => assert_eq!(name, "bad name"),
        other => panic!("expected InvalidHeader, got {other:?}"),
    }
    assert_eq!(server.requests(), 0);
}

/// A header value with CR LF (header injection) is `InvalidHeader` naming
/// the header; nothing is sent.
#[tokio::test]
async fn header_value_with_crlf_is_invalid_header() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    let result = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .header("x-note", "a\r\nx-injected: 1")
            .send(),
    )
    .await;
    match result {
        Err(Error::InvalidHeader { name, .. }) => assert_eq!(name, "x-note"),
        other => panic!("expected InvalidHeader, got {other:?}"),
    }
    assert_eq!(server.requests(), 0);
}

/// A relative or non-HTTP base URL, or an invalid default header, is
/// reported by `build()`.
#[tokio::test]
async fn bad_builder_input_is_reported_by_build() {
    for bad in ["/v1", "api.example/v1", "ftp://127.0.0.1/"] {
        let result = Session::builder().base_url(bad).build().await;
        match result {
            Err(Error::InvalidUrl { url, .. }) => assert_eq!(url, bad),
            other => panic!("base_url {bad:?}: expected InvalidUrl, got {other:?}"),
        }
    }
    let result = Session::builder()
        .default_header("bad name", "v")
        .build()
        .await;
    assert!(
        matches!(result, Err(Error::InvalidHeader { ref name, .. }) if name == "bad name"),
        "got {result:?}"
    );
}
