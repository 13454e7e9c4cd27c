//! Sessions on the crate's shared background runtime: built anywhere,
//! usable from every runtime and thread, closed like any other.

use clientsession::{Error, Session};

use crate::support::{QUICK, TestServer, bounded, bounded_thread};

/// Built in plain sync code (no runtime), used from a runtime that is then
/// dropped, and again from a new one: every request succeeds.
#[test]
fn a_background_session_outlives_the_runtimes_that_use_it() {
    let server = TestServer::hello();
    let session = Session::background().expect("the background runtime starts");
    for _ in 0..3 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let text = rt.block_on(async {
            bounded(QUICK, async {
                session.get(server.url("/")).send().await?.text().await
            })
            .await
        });
        assert_eq!(text.unwrap(), "hello, world!");
        drop(rt);
    }
}

/// `build_sync()` without an explicit home, outside a runtime, is
/// `NoRuntime`, as `build()` is; with `background()` it works.
#[test]
fn build_sync_needs_an_explicit_home_outside_a_runtime() {
    let err = Session::builder().build_sync().unwrap_err();
    assert!(matches!(err, Error::NoRuntime), "{err:?}");
    let session = Session::builder()
        .background()
        .max_connections(4)
        .build_sync()
        .unwrap();
    assert_eq!(session.stats().open, 0);
}

/// A bad setting is reported by `build_sync()` too, before any runtime is
/// touched.
#[test]
fn build_sync_reports_the_first_bad_setting() {
    let err = Session::builder()
        .background()
        .base_url("not a url")
        .build_sync()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err:?}");
}

/// Driven by another executor on a plain thread (no Tokio runtime at all).
#[test]
fn a_background_session_works_under_another_executor() {
    let server = TestServer::hello();
    let url = server.url("/");
    let session = Session::background().unwrap();
    let text = bounded_thread(QUICK, move || {
        futures::executor::block_on(async { session.get(url).send().await?.text().await })
    });
    assert_eq!(text.unwrap(), "hello, world!");
}

/// Closed, it refuses new requests with `Closed` from every context, and
/// the close returns from a runtime that is not its home.
#[tokio::test]
async fn a_closed_background_session_refuses_requests() {
    let server = TestServer::hello();
    let session = Session::background().unwrap();
    let response = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    bounded(QUICK, session.close()).await;
    assert_eq!(
        bounded(QUICK, response.text()).await.unwrap(),
        "hello, world!"
    );
    let err = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Closed), "{err:?}");
}
