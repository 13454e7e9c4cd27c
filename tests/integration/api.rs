//! Compile-time checks of the public types and futures. If this module
//! compiles, the checks pass; the tests only make the checks visible in the
//! test list.

use std::future::Future;

use clientsession::{
    Body, ClientSession, Error, RequestBuilder, Response, Session, SessionBuilder, TimeoutKind,
};

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}
fn assert_static<T: 'static>() {}
fn assert_clone<T: Clone>() {}
fn assert_send_future<F: Future + Send>(_: &F) {}

/// Session is a cheap, shareable handle; the other public types can cross
/// threads and tasks.
#[test]
fn public_types_are_send_sync_and_static() {
    assert_clone::<Session>();
    assert_send::<Session>();
    assert_sync::<Session>();
    assert_static::<Session>();
    assert_send::<ClientSession>();

    assert_send::<Error>();
    assert_sync::<Error>();
    assert_static::<Error>();
    assert_send::<TimeoutKind>();
    assert_sync::<TimeoutKind>();

    assert_send::<Response>();
    assert_static::<Response>();
    assert_send::<RequestBuilder>();
    assert_static::<RequestBuilder>();
    assert_send::<SessionBuilder>();
    assert_static::<SessionBuilder>();
    assert_send::<Body>();
}

/// The futures returned by `send()`, `close()`, `build()` and the body
/// readers are `Send`, so they can run inside `tokio::spawn`.
#[test]
fn returned_futures_are_send() {
    // Never called: the closure only has to type-check.
    let _check = |session: Session, mut response: Response| {
        assert_send_future(&session.get("http://127.0.0.1/").send());
        assert_send_future(&session.close());
        assert_send_future(&Session::builder().build());
        assert_send_future(&response.chunk());
        assert_send_future(&response.bytes());
        assert_send_future(&Session::scoped(|s: Session| async move {
            s.get("http://127.0.0.1/").send().await?;
            Ok::<_, Error>(())
        }));
    };
}

/// `Error` stays small, so `Result<T, Error>` is cheap to return.
#[test]
fn error_is_at_most_64_bytes() {
    let size = std::mem::size_of::<Error>();
    assert!(size <= 64, "size_of::<Error>() is {size} bytes");
}
