//! The serde helpers (feature `json`): JSON bodies both ways, forms, query
//! strings, and the typed errors of values that cannot be encoded or bodies
//! that cannot be decoded.

use std::collections::HashMap;

use clientsession::{Error, Response, Session, StatusCode};
use serde::{Deserialize, Serialize};

use crate::support::server::text;
use crate::support::{Observed, QUICK, TestServer, bounded};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
    tags: Vec<String>,
}

fn ada() -> User {
    User {
        name: "ada".into(),
        age: 36,
        tags: vec!["math".into(), "engines".into()],
    }
}

/// The values of the echoed request header `name`.
fn echoed(response: &Response, name: &str) -> Vec<String> {
    let key = format!("echo-{name}");
    response
        .headers()
        .get_all(key.as_str())
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// A server that answers every request with `body`.
fn serving(body: &'static str) -> TestServer {
    TestServer::new(move |_req| async move { text(StatusCode::OK, body) })
}

/// `json()` sends the value with `application/json`; `Response::json()`
/// reads it back.
#[tokio::test]
async fn json_round_trip() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session.post(server.url("/users")).json(&ada()).send(),
    )
    .await
    .unwrap();
    assert_eq!(echoed(&response, "content-type"), ["application/json"]);
    let back: User = bounded(QUICK, response.json()).await.unwrap();
    assert_eq!(back, ada());
}

/// A `Content-Type` set before `json()` is kept, and not sent twice.
#[tokio::test]
async fn json_keeps_a_content_type_set_before() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session
            .patch(server.url("/users/1"))
            .header("content-type", "application/merge-patch+json")
            .json(&serde_json::json!({ "age": 37 }))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        echoed(&response, "content-type"),
        ["application/merge-patch+json"]
    );
    let body = bounded(QUICK, response.text()).await.unwrap();
    assert_eq!(body, r#"{"age":37}"#);
}

/// A body that is not JSON is `Error::Decode`, which says where it failed.
#[tokio::test]
async fn invalid_json_is_a_decode_error_with_line_and_column() {
    let server = serving("{\n  \"name\": \"ada\",\n  oops\n}");
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let err = bounded(QUICK, response.json::<User>()).await.unwrap_err();
    match &err {
        Error::Decode { line, column, .. } => assert_eq!((*line, *column), (3, 3)),
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("line 3 column 3"), "{msg}");
    let source = std::error::Error::source(&err).expect("the decoder's error");
    assert!(
        source.to_string().contains("key must be a string"),
        "{source}"
    );
}

/// Valid JSON of the wrong shape is `Error::Decode` too, naming the field.
#[tokio::test]
async fn json_of_the_wrong_shape_is_a_decode_error() {
    let server = serving(r#"{"name": "ada", "age": "old", "tags": []}"#);
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let err = bounded(QUICK, response.json::<User>()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { line: 1, .. }), "{err:?}");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("invalid type"), "{source}");
}

/// `Response::json()` keeps to `max_response_body`.
#[tokio::test]
async fn json_respects_the_body_limit() {
    let server = serving(r#"{"name": "a long name indeed", "age": 1, "tags": []}"#);
    let session = Session::builder()
        .max_response_body(16)
        .build()
        .await
        .unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    let err = bounded(QUICK, response.json::<User>()).await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { limit: 16 }), "{err:?}");
}

/// A value JSON cannot hold is `Error::InvalidBody` from `send()`, and
/// nothing reaches the server.
#[tokio::test]
async fn an_unserializable_json_value_is_reported_by_send() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let bad = HashMap::from([((1, 2), "tuple keys")]);
    let err = bounded(QUICK, session.post(server.url("/")).json(&bad).send())
        .await
        .unwrap_err();
    match &err {
        Error::InvalidBody { reason, source } => {
            assert!(reason.contains("JSON"), "{reason}");
            assert!(source.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 0);
}

/// `form()` sends an urlencoded body with its content type.
#[tokio::test]
async fn form_body_and_content_type() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let response = bounded(
        QUICK,
        session
            .post(server.url("/login"))
            .form(&[("user", "ada lovelace"), ("next", "/a&b=c")])
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(
        echoed(&response, "content-type"),
        ["application/x-www-form-urlencoded"]
    );
    assert_eq!(echoed(&response, "content-length"), ["35"]);
    let body = bounded(QUICK, response.text()).await.unwrap();
    assert_eq!(body, "user=ada+lovelace&next=%2Fa%26b%3Dc");
}

/// A value a form cannot hold (a nested struct) is `Error::InvalidBody`.
#[tokio::test]
async fn an_unencodable_form_is_reported_by_send() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let err = bounded(QUICK, session.post(server.url("/")).form(&ada()).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidBody { .. }), "{err:?}");
    assert_eq!(server.requests(), 0);
}

/// `query()` appends to the query the URL has, after joining onto the base
/// URL; calling it twice appends twice.
#[tokio::test]
async fn query_merges_with_the_existing_query_and_the_base_url() {
    #[derive(Serialize)]
    struct Page {
        limit: u32,
        cursor: Option<String>,
    }
    let server = TestServer::echo();
    let session = Session::builder()
        .base_url(server.url("/api"))
        .build()
        .await
        .unwrap();
    let request = session
        .get("items?page=2")
        .query(&[("q", "a b&c")])
        .query(&Page {
            limit: 3,
            cursor: None,
        });
    let response = bounded(QUICK, request.send()).await.unwrap();
    let uri = response.headers()["x-uri"].to_str().unwrap();
    assert_eq!(uri, "/api/items?page=2&q=a+b%26c&limit=3");
    assert_eq!(response.url().query(), Some("page=2&q=a+b%26c&limit=3"));

    let response = bounded(
        QUICK,
        session.get(server.url("/plain")).query(&[("x", 1)]).send(),
    )
    .await
    .unwrap();
    assert_eq!(response.headers()["x-uri"], "/plain?x=1");
}

/// A value a query string cannot hold is `Error::InvalidUrl`, naming the
/// URL.
#[tokio::test]
async fn an_unencodable_query_is_reported_by_send() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let err = bounded(QUICK, session.get(server.url("/q")).query(&ada()).send())
        .await
        .unwrap_err();
    match err {
        Error::InvalidUrl { url, reason } => {
            assert!(url.ends_with("/q"), "{url}");
            assert!(reason.contains("query"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 0);
}
