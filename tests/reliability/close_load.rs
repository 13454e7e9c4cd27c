//! `close()` under load: with 1,000 requests in flight to a slow server,
//! each request finishes or gets `Error::Closed` (nothing is lost); and
//! `close_with_timeout(100 ms)` with requests that would take 5 s returns
//! in time, they get `Error::Aborted`, and no socket is left.

use std::time::{Duration, Instant};

use clientsession::{CloseOutcome, Error, Session};
use http::StatusCode;

use crate::common::{fds_settle, figures, open_fds, scaled, scenario, warm_up};
use crate::peer::{OK, Peer};
use crate::support::poll::eventually;
use crate::support::server::text;
use crate::support::{Observed, QUICK, TestServer, bounded};

/// How late after the deadline `close_with_timeout` may return, and an
/// aborted caller hear of it.
const SLACK: Duration = Duration::from_millis(100);

/// 1,000 GETs to a server that answers each after 50 ms, 100 connections
/// at most; `close()` once the first 100 have reached the server.
#[test]
fn close_lets_every_request_finish_or_fail_closed() {
    scenario(|| async {
        let server = TestServer::new(|_req| async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            text(StatusCode::OK, "slow")
        });
        warm_up(&server.url("/")).await;
        server.wait_open(0, QUICK).await;
        let fds_before = open_fds();
        let seen_before = server.requests();
        let session = Session::builder().build().await.unwrap();
        let requests = scaled(1_000, 300);
        let tasks: Vec<_> = (0..requests)
            .map(|_| {
                let request = session.get(server.url("/"));
                tokio::spawn(async move { request.send().await?.text().await })
            })
            .collect();
        server.wait_requests(seen_before + 100, QUICK).await;
        let started = Instant::now();
        bounded(Duration::from_secs(30), session.close()).await;
        let close_took = started.elapsed();
        let (mut ok, mut closed, mut other) = (0u64, 0u64, Vec::new());
        for task in tasks {
            match bounded(QUICK, task).await.unwrap() {
                Ok(body) if body == "slow" => ok += 1,
                Err(Error::Closed) => closed += 1,
                unexpected => other.push(format!("{unexpected:?}")),
            }
        }
        let answered = server.requests() - seen_before;
        server.wait_open(0, QUICK).await;
        let fds_after = fds_settle(fds_before, QUICK).await;
        figures(format_args!(
            "close under load: {requests} in flight, close() took {:.0} ms, {ok} finished, \
             {closed} Closed, {} other, server answered {answered}, fds {fds_before}->{fds_after}",
            close_took.as_secs_f64() * 1e3,
            other.len(),
        ));
        assert!(other.is_empty(), "{other:#?}");
        assert_eq!(ok + closed, requests);
        assert_eq!(
            ok, answered,
            "requests the server answered but the caller lost"
        );
        assert_eq!(fds_after, fds_before, "file descriptors leaked");
    });
}

/// 1,000 GETs to a server that would answer each after 5 s, at most
/// `max_connections` at once; `close_with_timeout(100 ms)` once every
/// request has started.
async fn close_with_timeout_under_load(label: &str, max_connections: usize) {
    {
        let server = Peer::new(|mut conn| async move {
            while conn.request().await.is_some() {
                // Answer after 5 s, unless the client goes away first.
                if !conn.idle_for(Duration::from_secs(5)).await || conn.write(OK).await.is_err() {
                    return;
                }
            }
        });
        let other = TestServer::hello();
        warm_up(&other.url("/")).await;
        other.wait_open(0, QUICK).await;
        let fds_before = open_fds();
        let requests = scaled(1_000, 300);
        let max_connections = max_connections.min(requests as usize);
        let session = Session::builder()
            .max_connections(max_connections)
            .build()
            .await
            .unwrap();
        let tasks: Vec<_> = (0..requests)
            .map(|_| {
                let request = session.get(server.url("/"));
                tokio::spawn(async move {
                    let result = request.send().await;
                    (result.map(|_| ()), Instant::now())
                })
            })
            .collect();
        server.wait_requests(max_connections as u64, QUICK).await;
        // Every request has started: some on the wire, the rest queued.
        eventually("the other requests to queue", QUICK, || {
            session.stats().waiting as u64 == requests - max_connections as u64
        })
        .await;
        let deadline = Duration::from_millis(100);
        let started = Instant::now();
        let outcome = bounded(QUICK, session.close_with_timeout(deadline)).await;
        let close_took = started.elapsed();
        let (mut aborted, mut late, mut other_results) = (0u64, Duration::ZERO, Vec::new());
        for task in tasks {
            let (result, at) = bounded(QUICK, task).await.unwrap();
            late = late.max(at.saturating_duration_since(started));
            match result {
                Err(Error::Aborted) => aborted += 1,
                unexpected => other_results.push(format!("{unexpected:?}")),
            }
        }
        server.wait_open(0, QUICK).await;
        let fds_after = fds_settle(fds_before, QUICK).await;
        figures(format_args!(
            "close_with_timeout(100 ms) under load, {label}: {requests} in flight (5 s each), \
             returned in {:.0} ms with {outcome:?}, {aborted} Aborted (last at {:.0} ms), {} other, \
             fds {fds_before}->{fds_after}",
            close_took.as_secs_f64() * 1e3,
            late.as_secs_f64() * 1e3,
            other_results.len(),
        ));
        assert!(other_results.is_empty(), "{other_results:#?}");
        assert!(
            close_took <= deadline + SLACK,
            "returned after {close_took:?}"
        );
        assert!(late <= deadline + SLACK, "a caller heard after {late:?}");
        assert_eq!(
            outcome,
            CloseOutcome::Aborted {
                requests: requests as usize
            }
        );
        assert_eq!(fds_after, fds_before, "file descriptors leaked");
    }
}

/// Every request on a connection of its own (the limit raised to the
/// count), each would take 5 s; `close_with_timeout(100 ms)` once all have
/// reached the server.
#[test]
fn close_with_timeout_aborts_requests_on_the_wire_in_time() {
    scenario(|| close_with_timeout_under_load("all on the wire", usize::MAX));
}

/// The case: the default limit of 100 connections, the other
/// requests queued for a place.
#[test]
fn close_with_timeout_aborts_queued_requests_in_time() {
    scenario(|| close_with_timeout_under_load("100 on the wire, the rest queued", 100));
}
