//! The session cookie jar (feature `cookies`): cookies go back to the host
//! that set them, and to no other.

use clientsession::{Session, StatusCode, Url};

use crate::support::server::{TestRequest, echo_response, text};
use crate::support::{QUICK, TestServer, bounded};

/// A server that sets a cookie on `/login` and echoes everything else.
fn cookie_server() -> TestServer {
    TestServer::new(|req: TestRequest| async move {
        if req.uri().path() == "/login" {
            let mut resp = text(StatusCode::OK, "welcome");
            let headers = resp.headers_mut();
            headers.append("set-cookie", "session=abc123; Path=/".parse().unwrap());
            headers.append("set-cookie", "scoped=1; Path=/admin".parse().unwrap());
            resp
        } else {
            echo_response(req)
        }
    })
}

fn sent_cookie(response: &clientsession::Response) -> Option<String> {
    response
        .headers()
        .get("echo-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// A cookie set on one response is sent on the next request to the same
/// host, by path, and not to another host.
#[tokio::test]
async fn cookies_go_back_to_their_host_only() {
    let server = cookie_server();
    let other = TestServer::echo();
    let session = Session::new().unwrap();
    bounded(QUICK, async {
        session
            .get(server.url("/login"))
            .send()
            .await?
            .bytes()
            .await
    })
    .await
    .unwrap();

    let home = bounded(QUICK, session.get(server.url("/home")).send())
        .await
        .unwrap();
    assert_eq!(sent_cookie(&home).as_deref(), Some("session=abc123"));

    let admin = bounded(QUICK, session.get(server.url("/admin/panel")).send())
        .await
        .unwrap();
    let cookie = sent_cookie(&admin).unwrap();
    assert!(
        cookie.contains("session=abc123") && cookie.contains("scoped=1"),
        "{cookie}"
    );

    // Same address, another port: another host as far as cookies go? No:
    // cookies ignore ports (RFC 6265 section 8.5). Use another host name.
    let other_host = other.url("/x").replace("127.0.0.1", "localhost");
    let elsewhere = bounded(QUICK, session.get(&other_host).send())
        .await
        .unwrap();
    assert_eq!(sent_cookie(&elsewhere), None);
}

/// `cookies(false)` keeps no jar: nothing is sent back.
#[tokio::test]
async fn cookies_off_sends_nothing_back() {
    let server = cookie_server();
    let session = Session::builder().cookies(false).build().await.unwrap();
    assert!(session.cookie_jar().is_none());
    bounded(QUICK, async {
        session
            .get(server.url("/login"))
            .send()
            .await?
            .bytes()
            .await
    })
    .await
    .unwrap();
    let home = bounded(QUICK, session.get(server.url("/home")).send())
        .await
        .unwrap();
    assert_eq!(sent_cookie(&home), None);
}

/// Users can read the jar and add cookies of their own; a Cookie header
/// set on the request wins over the jar.
#[tokio::test]
async fn users_can_read_and_add_cookies() {
    let server = TestServer::echo();
    let session = Session::new().unwrap();
    let jar = session.cookie_jar().unwrap();
    let url = Url::parse(&server.url("/")).unwrap();
    jar.add_cookie_str("theme=dark; Path=/", &url).unwrap();
    assert_eq!(
        jar.cookies(&url),
        vec![("theme".to_owned(), "dark".to_owned())]
    );
    assert!(jar.add_cookie_str("=", &url).is_err());

    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert_eq!(sent_cookie(&response).as_deref(), Some("theme=dark"));

    let response = bounded(
        QUICK,
        session
            .get(server.url("/"))
            .header("cookie", "mine=1")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(sent_cookie(&response).as_deref(), Some("mine=1"));
    assert!(
        !format!("{jar:?}").contains("dark"),
        "the jar's Debug shows a value"
    );
}
