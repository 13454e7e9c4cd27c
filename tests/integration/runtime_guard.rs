//! The home-runtime guard: typed errors instead of panics outside a runtime,
//! use from other runtimes and threads, `RuntimeShutdown` once the home
//! runtime is gone, and a `Drop` that never panics.

use std::sync::mpsc;
use std::time::Duration;

use clientsession::{ClientSession, Error, Session, StatusCode};
use tokio::runtime::{Builder, Runtime};

use crate::support::{Observed, QUICK, RawServer, SLOW, TestServer, bounded, bounded_thread};

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("multi-thread runtime")
}

fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("current-thread runtime")
}

/// GETs `url` and returns the status and body text.
async fn fetch(session: &Session, url: &str) -> clientsession::Result<(StatusCode, String)> {
    let response = session.get(url).send().await?;
    let status = response.status();
    Ok((status, response.text().await?))
}

/// `Session::new()` in plain sync code returns `NoRuntime` with a message
/// that says how to fix it.
#[test]
fn new_outside_runtime_is_no_runtime() {
    let err = Session::new().expect_err("no runtime here");
    assert!(matches!(err, Error::NoRuntime), "got {err:?}");
    let message = err.to_string();
    assert!(message.contains("runtime"), "message: {message}");
    assert!(message.contains("Session::scoped"), "message: {message}");
}

/// The aiohttp-style alias behaves the same.
#[test]
fn client_session_new_outside_runtime_is_no_runtime() {
    let err = ClientSession::new().expect_err("no runtime here");
    assert!(matches!(err, Error::NoRuntime), "got {err:?}");
}

/// `build()` polled by a non-Tokio executor reports `NoRuntime` instead of
/// panicking inside Tokio.
#[test]
fn build_under_futures_executor_is_no_runtime() {
    let result = bounded_thread(QUICK, || {
        futures::executor::block_on(Session::builder().build()).map(drop)
    });
    assert!(matches!(result, Err(Error::NoRuntime)), "got {result:?}");
}

/// A runtime without the time driver is reported when the session is
/// created, not as a panic later.
#[test]
fn runtime_without_time_driver_is_misconfigured() {
    let rt = Builder::new_current_thread().enable_io().build().unwrap();
    let inside = rt.block_on(async { Session::new().map(drop) });
    assert!(
        matches!(inside, Err(Error::RuntimeMisconfigured { driver: "time" })),
        "block_on: got {inside:?}"
    );
    let _guard = rt.enter();
    let entered = Session::new().map(drop);
    assert!(
        matches!(entered, Err(Error::RuntimeMisconfigured { driver: "time" })),
        "enter: got {entered:?}"
    );
}

/// A runtime without the IO driver is reported when the session is built.
#[test]
fn runtime_without_io_driver_is_misconfigured() {
    let rt = Builder::new_current_thread().enable_time().build().unwrap();
    let inside = rt.block_on(async { Session::new().map(drop) });
    assert!(
        matches!(inside, Err(Error::RuntimeMisconfigured { driver: "IO" })),
        "new: got {inside:?}"
    );
    let built = rt.block_on(async { Session::builder().build().await.map(drop) });
    assert!(
        matches!(built, Err(Error::RuntimeMisconfigured { driver: "IO" })),
        "build: got {built:?}"
    );
    let _guard = rt.enter();
    let entered = Session::new().map(drop);
    assert!(
        matches!(entered, Err(Error::RuntimeMisconfigured { .. })),
        "enter: got {entered:?}"
    );
}

/// A session homed on a multi-thread runtime works from another runtime and
/// from a plain thread polled by `futures::executor`.
#[test]
fn multi_thread_home_serves_other_runtimes_and_threads() {
    let server = TestServer::hello();
    let home = multi_thread();
    let session = home.block_on(async { Session::new() }).unwrap();

    let other = current_thread();
    let (status, body) = other
        .block_on(bounded(QUICK, fetch(&session, &server.url("/"))))
        .unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello, world!"));

    let (s, url) = (session.clone(), server.url("/"));
    let (status, body) =
        bounded_thread(QUICK, move || futures::executor::block_on(fetch(&s, &url))).unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello, world!"));
}

/// A session homed on a current-thread runtime that is not being driven
/// fails at once with `WrongRuntime` when used from another runtime.
#[test]
fn current_thread_home_used_from_other_runtime_is_wrong_runtime() {
    let server = TestServer::hello();
    let home = current_thread();
    let session = home.block_on(async { Session::new() }).unwrap();
    let other = current_thread();
    let result = other.block_on(bounded(
        Duration::from_secs(1),
        session.get(server.url("/")).send(),
    ));
    assert!(matches!(result, Err(Error::WrongRuntime)), "got {result:?}");
}

/// Same, when the home runtime's thread is blocked inside its `block_on`.
#[test]
fn current_thread_home_blocked_elsewhere_is_wrong_runtime() {
    let server = TestServer::hello();
    let (session_tx, session_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let home_thread = std::thread::spawn(move || {
        let home = current_thread();
        home.block_on(async move {
            session_tx.send(Session::new()).unwrap();
            // Blocks the only thread of the home runtime on purpose.
            let _ = release_rx.recv_timeout(SLOW);
        });
    });
    let session = session_rx.recv().unwrap().unwrap();
    let other = current_thread();
    let result = other.block_on(bounded(
        Duration::from_secs(1),
        session.get(server.url("/")).send(),
    ));
    release_tx.send(()).unwrap();
    home_thread.join().unwrap();
    assert!(matches!(result, Err(Error::WrongRuntime)), "got {result:?}");
}

/// A current-thread-homed session polled from a plain thread (no runtime)
/// also fails at once with `WrongRuntime`.
#[test]
fn current_thread_home_used_from_plain_thread_is_wrong_runtime() {
    let server = TestServer::hello();
    let home = current_thread();
    let session = home.block_on(async { Session::new() }).unwrap();
    let url = server.url("/");
    let result = bounded_thread(Duration::from_secs(1), move || {
        futures::executor::block_on(session.get(url).send()).map(drop)
    });
    assert!(matches!(result, Err(Error::WrongRuntime)), "got {result:?}");
}

/// The "static client shared by several #[tokio::test]s" case: once the
/// home runtime (either flavour) is dropped, a request from another runtime
/// fails fast with `RuntimeShutdown`, and the pooled socket is closed.
#[test]
fn session_after_home_dropped_is_runtime_shutdown() {
    for (flavour, home) in [
        ("current-thread", current_thread()),
        ("multi-thread", multi_thread()),
    ] {
        let server = TestServer::hello();
        let session = home
            .block_on(async {
                let s = Session::new()?;
                fetch(&s, &server.url("/")).await?;
                Ok::<_, Error>(s)
            })
            .unwrap();
        assert_eq!(server.open(), 1, "{flavour}: a keep-alive connection");
        drop(home);

        let other = current_thread();
        let result = other.block_on(bounded(
            Duration::from_secs(1),
            session.get(server.url("/")).send(),
        ));
        assert!(
            matches!(result, Err(Error::RuntimeShutdown)),
            "{flavour}: got {result:?}"
        );
        server
            .counters()
            .wait_until_blocking("the pooled socket closed", QUICK, |s| {
                s.accepted == s.closed
            });
    }
}

/// A request in flight on another thread when the home runtime is dropped
/// ends promptly with `RuntimeShutdown` instead of hanging.
#[test]
fn in_flight_request_ends_when_home_runtime_drops() {
    let server = RawServer::silent();
    let home = multi_thread();
    let session = home.block_on(async { Session::new() }).unwrap();
    let (tx, rx) = mpsc::channel();
    let url = server.url("/never");
    let requester = std::thread::spawn(move || {
        let rt = current_thread();
        let result = rt.block_on(session.get(url).send()).map(drop);
        let _ = tx.send(result);
    });
    server
        .counters()
        .wait_until_blocking("the request arrive", QUICK, |s| s.requests == 1);
    drop(home);
    let result = rx
        .recv_timeout(QUICK)
        .expect("hung: the in-flight request did not end after its runtime was dropped");
    requester.join().unwrap();
    assert!(
        matches!(result, Err(Error::RuntimeShutdown)),
        "got {result:?}"
    );
}

/// `builder().runtime(handle)` binds the session to `handle`, not to the
/// runtime that ran `build()`; it keeps working after that one is dropped.
#[test]
fn builder_runtime_binds_to_given_handle() {
    let server = TestServer::hello();
    let home = multi_thread();
    let builder_rt = current_thread();
    let handle = home.handle().clone();
    let session = builder_rt
        .block_on(Session::builder().runtime(handle).build())
        .unwrap();
    drop(builder_rt);

    let other = current_thread();
    let (status, body) = other
        .block_on(bounded(QUICK, fetch(&session, &server.url("/"))))
        .unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello, world!"));
}

/// With an explicit runtime, `build()` works even where no runtime runs.
#[test]
fn builder_runtime_builds_outside_any_runtime() {
    let server = TestServer::hello();
    let home = multi_thread();
    let handle = home.handle().clone();
    let url = server.url("/");
    let (status, body) = bounded_thread(QUICK, move || {
        futures::executor::block_on(async {
            let session = Session::builder().runtime(handle).build().await?;
            fetch(&session, &url).await
        })
    })
    .unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello, world!"));
}

/// Dropping a session with a pooled connection inside its runtime does not
/// panic.
#[tokio::test]
async fn drop_inside_runtime_does_not_panic() {
    let server = TestServer::hello();
    let session = Session::new().unwrap();
    bounded(QUICK, fetch(&session, &server.url("/")))
        .await
        .unwrap();
    drop(session.clone());
    drop(session);
}

/// Dropping a session outside any runtime, while its home lives and after
/// it is gone, does not panic.
#[test]
fn drop_outside_runtime_and_after_home_gone_does_not_panic() {
    let server = TestServer::hello();
    let home = multi_thread();
    let (a, b, c) = home
        .block_on(async {
            let s = Session::new()?;
            fetch(&s, &server.url("/")).await?;
            let t = Session::new()?;
            fetch(&t, &server.url("/")).await?;
            Ok::<_, Error>((s, t.clone(), t))
        })
        .unwrap();
    // Outside any runtime, home alive.
    drop(a);
    drop(home);
    // Outside any runtime, home gone.
    drop(b);
    // Inside another runtime, home gone.
    let other = current_thread();
    other.block_on(async move { drop(c) });
}

/// The pool's idle reaper runs on the home runtime: sockets first used from
/// another (since dropped) runtime are still closed after
/// `pool_idle_timeout`.
#[test]
fn idle_reaper_survives_the_runtime_that_used_the_session() {
    let server = TestServer::hello();
    let home = multi_thread();
    let session = home
        .block_on(
            Session::builder()
                .pool_idle_timeout(Duration::from_millis(200))
                .build(),
        )
        .unwrap();
    let user = current_thread();
    user.block_on(bounded(QUICK, fetch(&session, &server.url("/"))))
        .unwrap();
    drop(user);
    assert_eq!(server.accepted(), 1);
    server
        .counters()
        .wait_until_blocking("the idle socket reaped", QUICK, |s| s.accepted == s.closed);
    // Kept alive until here: dropping it would close idle sockets itself.
    drop(session);
}

/// A current-thread home dropped while its thread unwinds from a panic (a
/// failing `#[tokio::test]`) still counts as shut down: a request started
/// on it and then polled from another runtime ends with `RuntimeShutdown`,
/// and so do later calls. Issue #9.
#[test]
fn current_thread_home_dropped_while_panicking_is_runtime_shutdown() {
    let server = RawServer::silent();
    let url = server.url("/never");
    let (tx, rx) = mpsc::channel();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Owned by the closure: dropped while the panic below unwinds.
        let home = current_thread();
        home.block_on(async {
            let session = Session::new().unwrap();
            let mut in_flight = Box::pin(session.get(&url).send());
            tokio::select! {
                result = &mut in_flight => panic!("the silent server answered: {result:?}"),
                _ = server.wait_requests(1, QUICK) => {}
            }
            tx.send((session, in_flight)).unwrap();
            // The test body fails (`resume_unwind` unwinds without printing).
            std::panic::resume_unwind(Box::new("the test body failed"));
        })
    }));
    assert!(unwound.is_err(), "the closure panicked");
    let (session, in_flight) = rx.recv().unwrap();
    let other = current_thread();
    let result = other.block_on(bounded(QUICK, in_flight));
    assert!(
        matches!(result, Err(Error::RuntimeShutdown)),
        "in flight: got {result:?}"
    );
    let later = other.block_on(bounded(QUICK, session.get(&url).send()));
    assert!(
        matches!(later, Err(Error::RuntimeShutdown)),
        "later: got {later:?}"
    );
}

/// The same for a multi-thread home, with the request in flight from
/// another thread and runtime when the home is dropped during unwinding.
#[test]
fn multi_thread_home_dropped_while_panicking_ends_in_flight_request() {
    let server = RawServer::silent();
    let url = server.url("/never");
    let (tx, rx) = mpsc::channel();
    let mut requester = None;
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let home = multi_thread();
        let session = home.block_on(async { Session::new() }).unwrap();
        let (s, u) = (session.clone(), url.clone());
        requester = Some(std::thread::spawn(move || {
            let rt = current_thread();
            let _ = tx.send(rt.block_on(s.get(u).send()).map(drop));
        }));
        server
            .counters()
            .wait_until_blocking("the request arrive", QUICK, |s| s.requests == 1);
        // `home` and `session` are dropped while this unwinds.
        std::panic::resume_unwind(Box::new("the test body failed"));
    }));
    assert!(unwound.is_err(), "the closure panicked");
    let result = rx
        .recv_timeout(QUICK)
        .expect("hung: the in-flight request did not end after its runtime was dropped");
    requester.expect("started").join().unwrap();
    assert!(
        matches!(result, Err(Error::RuntimeShutdown)),
        "in flight: got {result:?}"
    );
}

/// A session homed on a multi-thread runtime with a read timeout and a total
/// timeout: timers polled from inside the home and from another runtime
/// both work, and both see the home's shutdown as `RuntimeShutdown`.
#[test]
fn timers_work_from_home_and_elsewhere_and_see_shutdown() {
    let server = TestServer::hello();
    let home = multi_thread();
    let session = home
        .block_on(Session::builder().timeout(SLOW).read_timeout(SLOW).build())
        .unwrap();
    let url = server.url("/");
    let inside = home
        .block_on(bounded(QUICK, fetch(&session, &url)))
        .unwrap();
    assert_eq!(inside.0, StatusCode::OK);
    let other = current_thread();
    let outside = other
        .block_on(bounded(QUICK, fetch(&session, &url)))
        .unwrap();
    assert_eq!(outside.0, StatusCode::OK);
    drop(home);
    let after = other.block_on(bounded(QUICK, fetch(&session, &url)));
    assert!(
        matches!(after, Err(Error::RuntimeShutdown)),
        "got {after:?}"
    );
}
