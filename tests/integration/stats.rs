//! `Session::stats()` and `Response::connection_reused()`, checked against
//! what the servers saw.

use std::time::Duration;

use clientsession::{Error, PoolStats, Session};

use crate::support::gate::gated_server;
use crate::support::poll::eventually;
use crate::support::{Observed, QUICK, SLOW, TestServer, bounded};

/// Asserts the gauges of a pool with no work: nothing busy or waiting, and
/// every open connection idle, in total and per host.
#[track_caller]
fn assert_at_rest(stats: &PoolStats) {
    assert_eq!((stats.in_use, stats.waiting), (0, 0), "{stats:?}");
    assert_eq!(stats.open, stats.idle, "{stats:?}");
    for host in &stats.hosts {
        assert_eq!((host.in_use, host.waiting), (0, 0), "{stats:?}");
        assert_eq!(host.open, host.idle, "{stats:?}");
    }
}

/// Sends `n` GETs to `url` from `n` tasks at once and reads every body.
async fn concurrent_gets(session: &Session, url: &str, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (session, url) = (session.clone(), url.to_owned());
            tokio::spawn(async move { session.get(&url).send().await?.text().await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task panicked").expect("request failed");
    }
}

/// A new session's stats are all zero.
#[tokio::test]
async fn stats_of_a_new_session_are_zero() {
    let session = Session::builder().build().await.unwrap();
    let stats = session.stats();
    assert_eq!(
        (stats.open, stats.idle, stats.in_use, stats.waiting),
        (0, 0, 0, 0)
    );
    assert_eq!((stats.opened, stats.closed, stats.reused), (0, 0, 0));
    assert!(stats.hosts.is_empty());
}

/// The counters match the server's: `opened` is what it accepted, and
/// `closed` what it saw closed, both after idle reaping and after `close()`.
#[tokio::test]
async fn stats_counters_match_server_counters() {
    let server = TestServer::hello();
    let idle_timeout = Duration::from_millis(200);
    let session = Session::builder()
        .pool_idle_timeout(idle_timeout)
        .build()
        .await
        .unwrap();
    let url = server.url("/");
    bounded(QUICK, concurrent_gets(&session, &url, 4)).await;
    let stats = session.stats();
    assert_eq!(stats.opened, server.accepted(), "{stats:?}");
    assert_eq!(stats.open as u64, server.open(), "{stats:?}");
    assert_eq!(stats.closed, 0);

    // The reaper closes them all; both sides count the same closes.
    let opened = server.accepted();
    server.wait_closed(opened, SLOW).await;
    eventually("the pool to count the reaped connections", QUICK, || {
        session.stats().closed == opened
    })
    .await;
    assert_eq!(session.stats().open, 0);

    // New connections, then closed by `close()`.
    bounded(QUICK, concurrent_gets(&session, &url, 3)).await;
    bounded(SLOW, session.close()).await;
    let stats = session.stats();
    server.wait_open(0, QUICK).await;
    assert_eq!(stats.opened, server.accepted(), "{stats:?}");
    assert_eq!(stats.closed, server.closed(), "{stats:?}");
    assert_eq!((stats.open, stats.idle), (0, 0), "{stats:?}");
}

/// After concurrent work the stats are consistent at rest: nothing in use
/// or waiting, open equals idle, and every request either opened a
/// connection or reused one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_are_consistent_at_rest_after_work() {
    let server = TestServer::hello();
    let session = Session::builder().max_connections(3).build().await.unwrap();
    let url = server.url("/");
    bounded(SLOW, concurrent_gets(&session, &url, 20)).await;
    let stats = session.stats();
    assert_at_rest(&stats);
    assert_eq!(stats.open as u64, server.open(), "{stats:?}");
    assert_eq!(stats.opened, server.accepted(), "{stats:?}");
    assert_eq!(stats.opened + stats.reused, 20, "{stats:?}");
    assert_eq!(server.requests(), 20);
}

/// Two servers get one entry each, with their own port and gauges.
#[tokio::test]
async fn stats_have_one_entry_per_host() {
    let (a, b) = (TestServer::hello(), TestServer::hello());
    let session = Session::builder().build().await.unwrap();
    bounded(QUICK, concurrent_gets(&session, &a.url("/"), 2)).await;
    bounded(QUICK, concurrent_gets(&session, &b.url("/"), 1)).await;
    let stats = session.stats();
    assert_at_rest(&stats);
    assert_eq!(stats.hosts.len(), 2, "{stats:?}");
    for (server, open) in [(&a, 2), (&b, 1)] {
        let port = server.addr().port();
        let host = stats
            .hosts
            .iter()
            .find(|h| h.port == port)
            .unwrap_or_else(|| panic!("no entry for port {port}: {stats:?}"));
        assert_eq!(host.host, "127.0.0.1");
        assert_eq!((host.open, host.idle), (open, open), "{stats:?}");
        assert_eq!(host.open as u64, server.open());
    }
    assert_eq!(stats.open, 3);
}

/// `connection_reused()` is false on a session's first request and true on
/// the next one to the same server; the `reused` counter agrees.
#[tokio::test]
async fn response_tells_whether_connection_was_reused() {
    let server = TestServer::hello();
    let session = Session::builder().build().await.unwrap();
    let first = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert!(!first.connection_reused());
    bounded(QUICK, first.text()).await.unwrap();
    let second = bounded(QUICK, session.get(server.url("/")).send())
        .await
        .unwrap();
    assert!(second.connection_reused());
    bounded(QUICK, second.text()).await.unwrap();
    assert_eq!(server.accepted(), 1);
    let stats = session.stats();
    assert_eq!((stats.opened, stats.reused), (1, 1), "{stats:?}");
}

/// While the pool is full, `waiting` counts the queued requests, in total
/// and for their host; it is back to 0 once they are served.
#[tokio::test]
async fn stats_show_requests_waiting_while_pool_is_full() {
    let (server, gate) = gated_server();
    let session = Session::builder().max_connections(1).build().await.unwrap();
    let url = server.url("/");
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (session, url) = (session.clone(), url.clone());
            tokio::spawn(async move { session.get(&url).send().await?.text().await })
        })
        .collect();
    server.wait_requests(1, QUICK).await;
    eventually("three requests waiting", QUICK, || {
        session.stats().waiting == 3
    })
    .await;
    let stats = session.stats();
    assert_eq!(
        (stats.open, stats.in_use, stats.idle),
        (1, 1, 0),
        "{stats:?}"
    );
    assert_eq!(stats.hosts.len(), 1, "{stats:?}");
    assert_eq!(stats.hosts[0].waiting, 3, "{stats:?}");
    assert_eq!(stats.hosts[0].in_use, 1, "{stats:?}");

    gate.release(4);
    for task in tasks {
        let body = bounded(QUICK, task).await.unwrap();
        assert_eq!(body.map_err(|e: Error| e.to_string()).unwrap(), "done");
    }
    let stats = session.stats();
    assert_at_rest(&stats);
    assert_eq!(
        (stats.open, stats.opened, stats.reused),
        (1, 1, 3),
        "{stats:?}"
    );
}
