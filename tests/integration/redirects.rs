//! Following redirects: method and body rewrites, the final URL, limits,
//! loops, bad locations, and credentials that never cross to another
//! origin.

use clientsession::redirect::Policy;
use clientsession::{Error, Session, StatusCode};

use crate::support::server::{TestRequest, echo_response, text};
use crate::support::{Observed, QUICK, TestServer, bounded};

/// A server that redirects `/from/<status>` to `to` with that status, and
/// echoes every other request.
fn redirector(to: String) -> TestServer {
    TestServer::new(move |req: TestRequest| {
        let to = to.clone();
        async move {
            let path = req.uri().path().to_owned();
            match path.strip_prefix("/from/") {
                Some(status) => {
                    let status = StatusCode::from_u16(status.parse().unwrap()).unwrap();
                    let mut resp = text(status, "moved");
                    resp.headers_mut().insert("location", to.parse().unwrap());
                    resp
                }
                None => echo_response(req),
            }
        }
    })
}

fn echoed(response: &clientsession::Response, name: &str) -> Option<String> {
    let key = format!("echo-{name}");
    response
        .headers()
        .get(key.as_str())
        .map(|v| v.to_str().unwrap().to_owned())
}

/// 301/302 after POST and 303 become GET without a body; 307/308 keep the
/// method and the body; the final URL and the hop count are reported.
#[tokio::test]
async fn statuses_rewrite_method_and_body_as_browsers_do() {
    let server = redirector("/landing?x=1".to_owned());
    let session = Session::new().unwrap();
    let cases = [
        (301, "GET", ""),
        (302, "GET", ""),
        (303, "GET", ""),
        (307, "POST", "payload"),
        (308, "POST", "payload"),
    ];
    for (status, method, body) in cases {
        let response = bounded(QUICK, async {
            session
                .post(server.url(&format!("/from/{status}")))
                .body("payload")
                .send()
                .await
        })
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{status}");
        assert_eq!(response.redirects(), 1, "{status}");
        assert_eq!(
            response.url().as_str(),
            server.url("/landing?x=1"),
            "{status}"
        );
        assert_eq!(response.headers()["x-method"], method, "{status}");
        assert_eq!(response.text().await.unwrap(), body, "{status}");
    }
}

/// A chain of redirects across two servers keeps the final URL.
#[tokio::test]
async fn a_redirect_chain_reports_the_final_url() {
    let last = TestServer::echo();
    let middle = redirector(last.url("/end"));
    let first = redirector(middle.url("/from/302"));
    let session = Session::new().unwrap();
    let response = bounded(QUICK, session.get(first.url("/from/301")).send())
        .await
        .unwrap();
    assert_eq!(response.redirects(), 2);
    assert_eq!(response.url().as_str(), last.url("/end"));
}

/// `Policy::none()` returns the redirect itself, per session and per
/// request.
#[tokio::test]
async fn policy_none_returns_the_redirect() {
    let server = redirector("/landing".to_owned());
    let session = Session::builder()
        .redirect(Policy::none())
        .build()
        .await
        .unwrap();
    let response = bounded(QUICK, session.get(server.url("/from/302")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.redirects(), 0);

    let default = Session::new().unwrap();
    let response = bounded(
        QUICK,
        default
            .get(server.url("/from/302"))
            .redirect(Policy::none())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
}

/// Too many hops, a loop, and a Location that is not http(s) are each
/// `Error::Redirect` naming the cause.
#[tokio::test]
async fn too_many_hops_loops_and_bad_locations_are_typed_errors() {
    // Every /from/302 points at itself: a loop.
    let looping = redirector("/from/302".to_owned());
    let session = Session::new().unwrap();
    let err = bounded(QUICK, session.get(looping.url("/from/302")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("loop"), "{err}");

    let ftp = redirector("ftp://127.0.0.1/file".to_owned());
    let err = bounded(QUICK, session.get(ftp.url("/from/301")).send())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not an http"), "{err}");

    // A chain of three hops with a limit of two.
    let end = TestServer::echo();
    let c = redirector(end.url("/end"));
    let b = redirector(c.url("/from/302"));
    let a = redirector(b.url("/from/302"));
    let err = bounded(
        QUICK,
        session
            .get(a.url("/from/302"))
            .redirect(Policy::limited(2))
            .send(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("more than 2 redirects"), "{err}");
    assert_eq!(end.requests(), 0);
}

/// Credentials reach the first origin but not a second one, even set as
/// session defaults and sent twice; a same-origin redirect keeps them.
#[tokio::test]
async fn credentials_do_not_cross_to_another_origin() {
    let other = TestServer::echo();
    let server = redirector(other.url("/elsewhere"));
    let session = Session::builder()
        .default_header("proxy-authorization", "Basic c2VjcmV0")
        .build()
        .await
        .unwrap();
    let response = bounded(QUICK, async {
        session
            .get(server.url("/from/307"))
            .header("authorization", "Bearer one")
            .header("authorization", "Bearer two")
            .header("cookie", "session=abc")
            .header("x-harmless", "kept")
            .send()
            .await
    })
    .await
    .unwrap();
    assert_eq!(response.url().as_str(), other.url("/elsewhere"));
    for name in ["authorization", "cookie", "proxy-authorization"] {
        assert_eq!(echoed(&response, name), None, "{name} crossed origins");
    }
    assert_eq!(echoed(&response, "x-harmless").as_deref(), Some("kept"));

    let same = redirector("/landing".to_owned());
    let response = bounded(QUICK, async {
        session
            .get(same.url("/from/302"))
            .header("authorization", "Bearer one")
            .send()
            .await
    })
    .await
    .unwrap();
    assert_eq!(
        echoed(&response, "authorization").as_deref(),
        Some("Bearer one")
    );
}

/// A non-idempotent request is never replayed to a second origin with its
/// credentials: the POST arrives once at the first server, and the second
/// server sees a GET without the credentials and without the body.
#[tokio::test]
async fn post_redirected_to_another_origin_is_not_replayed_with_credentials() {
    let other = TestServer::echo();
    let server = redirector(other.url("/elsewhere"));
    let session = Session::new().unwrap();
    let response = bounded(QUICK, async {
        session
            .post(server.url("/from/302"))
            .header("authorization", "Bearer secret")
            .body("order")
            .send()
            .await
    })
    .await
    .unwrap();
    assert_eq!(response.headers()["x-method"], "GET");
    assert_eq!(echoed(&response, "authorization"), None);
    assert_eq!(server.bodies_received(), 1);
    assert_eq!(response.text().await.unwrap(), "");
}

/// `raise_for_status(true)` turns every 4xx/5xx into `Error::Status`.
#[tokio::test]
async fn raise_for_status_turns_errors_into_status_errors() {
    let server = TestServer::new(|_req| async { text(StatusCode::NOT_FOUND, "no") });
    let session = Session::builder()
        .raise_for_status(true)
        .build()
        .await
        .unwrap();
    let err = bounded(QUICK, session.get(server.url("/missing")).send())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
}

/// A same-origin redirect with a small body reuses its connection for the
/// next hop: the redirect's body is read, not dropped.
#[tokio::test]
async fn same_origin_redirect_reuses_the_connection() {
    let server = redirector("/landing".to_owned());
    let session = Session::new().unwrap();
    for _ in 0..3 {
        let response = bounded(QUICK, session.get(server.url("/from/302")).send())
            .await
            .unwrap();
        assert_eq!(response.redirects(), 1);
        bounded(QUICK, response.bytes()).await.unwrap();
    }
    assert_eq!(server.accepted(), 1, "a redirect closed its connection");
    assert_eq!(server.requests(), 6);
}
