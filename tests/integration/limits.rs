//! Connection limits and pool control, seen at the server: the total and
//! per-host caps, the bounded wait for a free place, reuse before a new
//! connection, no starvation by idle connections to other hosts, and idle
//! connections closed by count and by age.

use std::time::{Duration, Instant};

use clientsession::{Error, Session, StatusCode, TimeoutKind};

use crate::support::gate::gated_server;
use crate::support::poll::eventually;
use crate::support::server::text;
use crate::support::{Observed, QUICK, SLOW, TestServer, bounded};

/// A server whose handler takes `delay` before answering `ok`, so that
/// concurrent requests overlap and need several connections.
fn slow_server(delay: Duration) -> TestServer {
    TestServer::new(move |_req| async move {
        tokio::time::sleep(delay).await;
        text(StatusCode::OK, "ok")
    })
}

/// Runs `tasks` tasks that each send `per_task` GETs to `url` in turn and
/// read every body; panics if any request fails.
async fn load(session: &Session, url: String, tasks: usize, per_task: usize) {
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        let (session, url) = (session.clone(), url.clone());
        handles.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let resp = session.get(&url).send().await?;
                assert_eq!(resp.status(), StatusCode::OK);
                assert_eq!(resp.text().await?, "ok");
            }
            Ok::<_, Error>(())
        }));
    }
    for handle in handles {
        handle
            .await
            .expect("a load task panicked")
            .expect("a request failed");
    }
}

/// 500 requests from 100 tasks under `max_connections(8)` all succeed, and
/// the server never sees more than 8 connections open at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_connections_caps_concurrent_connections_under_load() {
    let server = slow_server(Duration::from_millis(2));
    let session = Session::builder().max_connections(8).build().await.unwrap();
    bounded(
        Duration::from_secs(20),
        load(&session, server.url("/"), 100, 5),
    )
    .await;
    assert_eq!(server.requests(), 500);
    assert!(server.peak() <= 8, "server saw {} at once", server.peak());
    assert!(server.accepted() <= 8, "accepted {}", server.accepted());
    let stats = session.stats();
    assert!(stats.open <= 8 && stats.opened <= 8, "{stats:?}");
    assert_eq!(stats.opened, server.accepted());
}

/// With `max_connections_per_host(2)` and concurrent load on two servers,
/// each server sees at most 2 connections at once and serves its share.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn per_host_limit_caps_each_server() {
    let (a, b) = (
        slow_server(Duration::from_millis(2)),
        slow_server(Duration::from_millis(2)),
    );
    let session = Session::builder()
        .max_connections_per_host(2)
        .build()
        .await
        .unwrap();
    bounded(Duration::from_secs(20), async {
        tokio::join!(
            load(&session, a.url("/"), 20, 5),
            load(&session, b.url("/"), 20, 5),
        )
    })
    .await;
    for (name, server) in [("a", &a), ("b", &b)] {
        assert_eq!(server.requests(), 100, "server {name}");
        assert!(server.peak() <= 2, "server {name} saw {}", server.peak());
    }
    let stats = session.stats();
    assert_eq!(stats.hosts.len(), 2, "{stats:?}");
    assert!(stats.hosts.iter().all(|h| h.open <= 2), "{stats:?}");
}

/// With `max_connections(1)` held by a request the server does not answer,
/// a second request fails with `Timeout(Pool)` once `pool_timeout` passes.
#[tokio::test]
async fn waiting_request_times_out_with_pool_error_when_pool_is_full() {
    let (server, gate) = gated_server();
    let pool_timeout = Duration::from_millis(200);
    let session = Session::builder()
        .max_connections(1)
        .pool_timeout(pool_timeout)
        .build()
        .await
        .unwrap();
    let first = tokio::spawn(session.get(server.url("/first")).send());
    server.wait_requests(1, QUICK).await;

    let started = Instant::now();
    let result = bounded(QUICK, session.get(server.url("/second")).send()).await;
    let took = started.elapsed();
    let err = result.expect_err("the pool is full");
    assert!(
        matches!(err, Error::Timeout(TimeoutKind::Pool)),
        "got {err:?}"
    );
    assert!(err.is_timeout());
    assert!(err.to_string().contains("pool"), "message: {err}");
    assert!(took >= pool_timeout, "fired early: {took:?}");
    // Nothing more reached the server: the second request never had a place.
    assert_eq!((server.accepted(), server.requests()), (1, 1));

    gate.release(1);
    let resp = bounded(QUICK, first).await.unwrap().unwrap();
    assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "done");
}

/// Under `max_connections(1)`, sequential requests, and requests queued
/// while the connection is busy, all go over the one connection.
#[tokio::test]
async fn free_connection_is_reused_before_a_new_one_is_opened() {
    let (server, gate) = gated_server();
    gate.release(3);
    let session = Session::builder().max_connections(1).build().await.unwrap();
    for i in 0..3 {
        let resp = bounded(QUICK, session.get(server.url("/seq")).send())
            .await
            .unwrap();
        assert_eq!(resp.connection_reused(), i > 0, "request {i}");
        bounded(QUICK, resp.text()).await.unwrap();
    }
    assert_eq!(server.accepted(), 1);

    // One request holds the connection; three more queue behind it.
    let held = tokio::spawn(session.get(server.url("/held")).send());
    server.wait_requests(4, QUICK).await;
    let queued: Vec<_> = (0..3)
        .map(|_| {
            let (session, url) = (session.clone(), server.url("/queued"));
            tokio::spawn(async move {
                let resp = session.get(&url).send().await?;
                let reused = resp.connection_reused();
                resp.text().await?;
                Ok::<_, Error>(reused)
            })
        })
        .collect();
    eventually("three requests waiting", QUICK, || {
        session.stats().waiting == 3
    })
    .await;
    gate.release(4);
    let resp = bounded(QUICK, held).await.unwrap().unwrap();
    bounded(QUICK, resp.text()).await.unwrap();
    for task in queued {
        let reused = bounded(QUICK, task).await.unwrap().unwrap();
        assert!(reused, "a queued request opened a new connection");
    }
    assert_eq!(server.accepted(), 1);
    assert_eq!(server.requests(), 7);
}

/// No starvation: with `max_connections(2)` held by two idle connections to
/// server A, a request to server B succeeds at once, and A sees one of its
/// connections closed to make room.
#[tokio::test]
async fn idle_connections_to_another_host_make_room() {
    let (a, b) = (TestServer::hello(), TestServer::hello());
    let session = Session::builder().max_connections(2).build().await.unwrap();
    // Boxed: two request futures side by side are a large future.
    let (r1, r2) = bounded(
        QUICK,
        Box::pin(async {
            tokio::join!(
                session.get(a.url("/1")).send(),
                session.get(a.url("/2")).send()
            )
        }),
    )
    .await;
    for resp in [r1.unwrap(), r2.unwrap()] {
        bounded(QUICK, resp.text()).await.unwrap();
    }
    assert_eq!(a.accepted(), 2);
    let stats = session.stats();
    assert_eq!((stats.open, stats.idle), (2, 2), "{stats:?}");

    let resp = bounded(QUICK, session.get(b.url("/")).send())
        .await
        .unwrap();
    assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
    a.wait_closed(1, QUICK).await;
    assert_eq!(a.open(), 1);
    assert_eq!(b.accepted(), 1);
}

/// A request waiting for a place that is dropped (its future cancelled)
/// leaves the queue, and the place goes to the next request.
#[tokio::test]
async fn dropped_waiting_request_leaves_the_queue() {
    let (server, gate) = gated_server();
    let session = Session::builder().max_connections(1).build().await.unwrap();
    let held = tokio::spawn(session.get(server.url("/held")).send());
    server.wait_requests(1, QUICK).await;

    let waiter = tokio::spawn(session.get(server.url("/dropped")).send());
    eventually("one request waiting", QUICK, || {
        session.stats().waiting == 1
    })
    .await;
    waiter.abort();
    let joined = bounded(QUICK, waiter).await;
    assert!(joined.is_err_and(|e| e.is_cancelled()));
    let stats = session.stats();
    assert_eq!((stats.waiting, stats.open), (0, 1), "{stats:?}");
    assert!(stats.hosts.iter().all(|h| h.waiting == 0), "{stats:?}");

    gate.release(2);
    let resp = bounded(QUICK, held).await.unwrap().unwrap();
    bounded(QUICK, resp.text()).await.unwrap();
    let resp = bounded(QUICK, session.get(server.url("/next")).send())
        .await
        .unwrap();
    assert!(resp.connection_reused());
    bounded(QUICK, resp.text()).await.unwrap();
    assert_eq!((server.accepted(), server.requests()), (1, 2));
}

/// `pool_idle_timeout(300ms)`: the server sees the idle sockets closed
/// within the timeout plus a margin, and not before the requests ended.
#[tokio::test]
async fn idle_timeout_closes_idle_sockets() {
    let server = TestServer::hello();
    let idle_timeout = Duration::from_millis(300);
    let session = Session::builder()
        .pool_idle_timeout(idle_timeout)
        .build()
        .await
        .unwrap();
    // Boxed: two request futures side by side are a large future.
    let (r1, r2) = bounded(
        QUICK,
        Box::pin(async {
            tokio::join!(
                session.get(server.url("/1")).send(),
                session.get(server.url("/2")).send()
            )
        }),
    )
    .await;
    for resp in [r1.unwrap(), r2.unwrap()] {
        bounded(QUICK, resp.text()).await.unwrap();
    }
    let idle_since = Instant::now();
    assert_eq!(server.accepted(), 2);
    assert_eq!(session.stats().idle, 2);

    let margin = Duration::from_millis(400);
    server.wait_closed(2, idle_timeout + margin).await;
    let took = idle_since.elapsed();
    // Closed by the timeout, not by something earlier.
    assert!(took >= idle_timeout - Duration::from_millis(20), "{took:?}");
    eventually("the pool to count both closes", QUICK, || {
        let s = session.stats();
        s.closed == 2 && s.open == 0
    })
    .await;
}

/// `pool_max_idle_per_host(1)`: after 3 concurrent requests the pool keeps
/// one idle connection and the server sees the other 2 closed.
#[tokio::test]
async fn max_idle_per_host_closes_extra_idle_connections() {
    let server = TestServer::hello();
    let session = Session::builder()
        .pool_max_idle_per_host(1)
        .build()
        .await
        .unwrap();
    // Boxed: three request futures side by side are a large future.
    let (r1, r2, r3) = bounded(
        QUICK,
        Box::pin(async {
            tokio::join!(
                session.get(server.url("/1")).send(),
                session.get(server.url("/2")).send(),
                session.get(server.url("/3")).send()
            )
        }),
    )
    .await;
    for resp in [r1.unwrap(), r2.unwrap(), r3.unwrap()] {
        bounded(QUICK, resp.text()).await.unwrap();
    }
    assert_eq!(server.accepted(), 3);
    server.wait_closed(2, QUICK).await;
    assert_eq!(server.open(), 1);
    let stats = session.stats();
    assert_eq!((stats.open, stats.idle), (1, 1), "{stats:?}");
    bounded(SLOW, session.close()).await;
    server.wait_open(0, QUICK).await;
}

/// With `max_connections(1)` busy on server A and a request to server B
/// waiting, A's connection is closed when its response ends, rather than
/// kept idle, so that B gets the place.
#[tokio::test]
async fn busy_connection_to_another_host_is_closed_for_a_waiting_request() {
    let ((a, gate), b) = (gated_server(), TestServer::hello());
    let session = Session::builder().max_connections(1).build().await.unwrap();
    let held = tokio::spawn(session.get(a.url("/")).send());
    a.wait_requests(1, QUICK).await;
    let waiting = tokio::spawn(session.get(b.url("/")).send());
    eventually("one request waiting", QUICK, || {
        session.stats().waiting == 1
    })
    .await;

    gate.release(1);
    let resp = bounded(QUICK, held).await.unwrap().unwrap();
    assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "done");
    let resp = bounded(QUICK, waiting).await.unwrap().unwrap();
    assert_eq!(bounded(QUICK, resp.text()).await.unwrap(), "hello, world!");
    a.wait_closed(1, QUICK).await;
    assert_eq!((a.open(), b.open()), (0, 1));
}
