//! The pattern people write first: one session in a `static`, shared by
//! many `#[tokio::test]`s. Each test has its own current-thread runtime,
//! the default test runner runs them in parallel, and their runtimes end
//! while others still run. With `Session::background()` (or
//! `SessionBuilder::background()`), every request succeeds in every run.
//!
//! Its own test binary, so that the whole binary can be run again and
//! again: `.ci/run` runs it 20 times (`cargo test --test static_session`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use clientsession::{Bytes, Session};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// The session every test shares, built on first use by whichever test
/// gets there first, with a setting that needs the builder.
static SESSION: LazyLock<Session> = LazyLock::new(|| {
    Session::builder()
        .background()
        .timeout(Duration::from_secs(10))
        .max_connections(8)
        .build_sync()
        .expect("the background runtime starts")
});

/// A loopback server on a thread and runtime of its own, shared by every
/// test and living as long as the test process. It answers `GET /<n>` with
/// the body `<n>`.
static SERVER: LazyLock<SocketAddr> = LazyLock::new(|| {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let addr = listener.local_addr().expect("local addr");
    std::thread::Builder::new()
        .name("static-session-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(serve(listener));
        })
        .expect("spawn the server thread");
    addr
});

async fn serve(listener: std::net::TcpListener) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                let body = req.uri().path().trim_start_matches('/').to_owned();
                Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from(body))))
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Sends `count` GETs from the calling runtime and checks every answer.
async fn requests(tag: u32, count: u32) {
    for i in 0..count {
        let n = tag * 1_000 + i;
        let url = format!("http://{}/{n}", *SERVER);
        let response = SESSION
            .get(&url)
            .send()
            .await
            .expect("the request succeeds");
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.expect("the body"), n.to_string());
    }
}

/// Sends `count` GETs from `tasks` tasks at once.
async fn concurrent(tag: u32, tasks: u32, count: u32) {
    let handles: Vec<_> = (0..tasks)
        .map(|t| tokio::spawn(requests(tag * 100 + t, count)))
        .collect();
    for handle in handles {
        handle.await.expect("no task panicked");
    }
}

#[tokio::test]
async fn first() {
    requests(1, 20).await;
}

#[tokio::test]
async fn second() {
    requests(2, 20).await;
}

#[tokio::test]
async fn third_with_tasks() {
    concurrent(3, 4, 10).await;
}

#[tokio::test]
async fn fourth_short() {
    requests(4, 1).await;
}

#[tokio::test]
async fn fifth_short() {
    requests(5, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixth_multi_thread() {
    concurrent(6, 8, 10).await;
}

#[tokio::test]
async fn seventh_long() {
    requests(7, 100).await;
}

#[tokio::test]
async fn eighth_with_tasks() {
    concurrent(8, 16, 5).await;
}

/// A runtime that used the session ends before this test's own requests.
#[tokio::test]
async fn ninth_after_another_runtime_ended() {
    std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(requests(90, 5));
    })
    .join()
    .expect("the other runtime's requests succeeded");
    requests(9, 10).await;
}

/// Plain threads with no Tokio runtime at all (another executor drives
/// the request futures) share it too.
#[test]
fn tenth_from_plain_threads() {
    let threads: Vec<_> = (0..4)
        .map(|t| std::thread::spawn(move || futures::executor::block_on(requests(100 + t, 5))))
        .collect();
    for thread in threads {
        thread.join().expect("the thread's requests succeeded");
    }
}
