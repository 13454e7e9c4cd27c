//! Credentials: `basic_auth` and `bearer_auth` on a request and as session
//! defaults, what the server receives, and that secrets never show in
//! `Debug` output.

use clientsession::{Error, Response, Session};

use crate::support::{Observed, QUICK, TestServer, bounded};

/// The values of the `Authorization` header the echo server received.
fn authorization(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("echo-authorization")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// `basic_auth` sends `Basic base64(user:password)`, and `user:` without a
/// password.
#[tokio::test]
async fn basic_auth_reaches_the_server() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .basic_auth("ada", Some("hunter2"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(authorization(&response), ["Basic YWRhOmh1bnRlcjI="]);

    let response = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .basic_auth("ada", None::<&str>)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(authorization(&response), ["Basic YWRhOg=="]);
}

/// `bearer_auth` sends `Bearer <token>`, replacing an earlier
/// `Authorization` of the same request.
#[tokio::test]
async fn bearer_auth_reaches_the_server() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .header("authorization", "Basic old")
            .bearer_auth("t0ken")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(authorization(&response), ["Bearer t0ken"]);
}

/// Session credentials go with every request, and a request's own replace
/// them (sent once, not both).
#[tokio::test]
async fn session_default_auth_is_replaced_by_the_request() {
    let server = TestServer::echo();
    let session = Session::builder()
        .basic_auth("svc", Some("pw"))
        .bearer_auth("session-token")
        .build()
        .await
        .unwrap();
    let send = |request: clientsession::RequestBuilder| bounded(QUICK, request.send());

    let response = send(session.get(server.url("/"))).await.unwrap();
    assert_eq!(authorization(&response), ["Bearer session-token"]);

    let response = send(session.get(server.url("/")).basic_auth("ada", Some("x")))
        .await
        .unwrap();
    assert_eq!(authorization(&response), ["Basic YWRhOng="]);

    let response = send(
        session
            .get(server.url("/"))
            .header("authorization", "Custom k"),
    )
    .await
    .unwrap();
    assert_eq!(authorization(&response), ["Custom k"]);
    assert_eq!(server.requests(), 3);
}

/// Neither the secrets nor their base64 appear in the `Debug` output of a
/// request builder, a session builder or a session.
#[tokio::test]
async fn debug_output_hides_credentials() {
    let secrets = ["hunter2", "YWRhOmh1bnRlcjI=", "s3cr3t-t0ken"];
    let check = |shown: String| {
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
    };
    let builder = Session::builder().basic_auth("ada", Some("hunter2"));
    check(format!("{builder:?}"));
    let builder = builder.bearer_auth("s3cr3t-t0ken");
    check(format!("{builder:?}"));
    let session = builder.build().await.unwrap();
    check(format!("{session:?}"));
    let request = session
        .get("http://127.0.0.1:1/")
        .basic_auth("ada", Some("hunter2"));
    check(format!("{request:?}"));
    check(format!("{:?}", request.bearer_auth("s3cr3t-t0ken")));
}

/// A token that would split the header is `Error::InvalidHeader`, which
/// does not repeat the token; nothing is sent.
#[tokio::test]
async fn a_token_with_line_breaks_is_rejected_without_echoing_it() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let err = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .bearer_auth("abc\r\nx-evil: 1")
            .send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::InvalidHeader { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("evil"));
    assert_eq!(server.requests(), 0);

    let err = Session::builder()
        .bearer_auth("abc\nx")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidHeader { .. }), "{err:?}");
}
